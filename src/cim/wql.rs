//! WQL: string literals and a small `SELECT` builder (hyperv-wsman.md §6.5).
//!
//! User text (VM names may contain `'`) only ever enters a query through [`quote`], which
//! produces a single-quoted literal with `\` → `\\`, `'` → `\'` and `"` → `\"` (the escapes
//! libvirt's `virBufferEscapeSQL` applies). Class and property names are identifiers chosen by
//! our code; [`Select`] rejects anything else. [`unquote`] and [`parse_literal`] are the inverse
//! (for tests and the simulated host); they accept single- or double-quoted literals.
//!
//! What this module does not do: full WQL parsing, `ASSOCIATORS OF`, or sending queries.

use std::fmt;

use super::names::check_identifier;
use super::{CimError, short};

/// A single-quoted WQL string literal for `value`, safe against early termination.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\\' | '\'' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

fn lit_err(input: &str, reason: &'static str) -> CimError {
    CimError::WqlLiteral {
        input: short(input),
        reason,
    }
}

/// Read one quoted literal at the start of `s` (after optional whitespace): returns its value
/// and the rest of `s` after the closing quote. A backslash takes the next character literally.
pub fn parse_literal(s: &str) -> Result<(String, &str), CimError> {
    let t = s.trim_start();
    let mut chars = t.char_indices();
    let q = match chars.next() {
        Some((_, c @ ('\'' | '"'))) => c,
        _ => return Err(lit_err(s, "expected a quoted string")),
    };
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        if c == q {
            let rest = t.get(i + c.len_utf8()..).unwrap_or("");
            return Ok((value, rest));
        }
        if c == '\\' {
            match chars.next() {
                Some((_, e)) => value.push(e),
                None => break,
            }
        } else {
            value.push(c);
        }
    }
    Err(lit_err(s, "unterminated string"))
}

/// The value of a complete quoted literal (inverse of [`quote`]); trailing text is an error.
pub fn unquote(literal: &str) -> Result<String, CimError> {
    let (value, rest) = parse_literal(literal)?;
    if !rest.trim().is_empty() {
        return Err(lit_err(literal, "text after the closing quote"));
    }
    Ok(value)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Literal {
    Str(String),
    Num(u64),
    Bool(bool),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => f.write_str(&quote(s)),
            Literal::Num(n) => write!(f, "{n}"),
            Literal::Bool(b) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
        }
    }
}

/// A `SELECT … FROM Class [WHERE a = … AND b = …]` query. Names are validated when added, so
/// `to_string()` always yields a well-formed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Select {
    class: String,
    props: Option<Vec<String>>,
    conds: Vec<(String, Literal)>,
}

impl Select {
    /// `SELECT * FROM class` (typed, namespaced items; preferred).
    pub fn all(class: &str) -> Result<Self, CimError> {
        check_identifier(class)?;
        Ok(Select {
            class: class.to_string(),
            props: None,
            conds: Vec::new(),
        })
    }

    /// `SELECT p1, p2 FROM class` (items come back as `w:XmlFragment`; an empty list means `*`).
    pub fn props(props: &[&str], class: &str) -> Result<Self, CimError> {
        let mut s = Self::all(class)?;
        for p in props {
            check_identifier(p)?;
        }
        if !props.is_empty() {
            s.props = Some(props.iter().map(|p| p.to_string()).collect());
        }
        Ok(s)
    }

    fn push(mut self, prop: &str, lit: Literal) -> Result<Self, CimError> {
        check_identifier(prop)?;
        self.conds.push((prop.to_string(), lit));
        Ok(self)
    }

    /// Add the condition `prop = 'value'` (value quoted with [`quote`]).
    pub fn where_eq(self, prop: &str, value: &str) -> Result<Self, CimError> {
        self.push(prop, Literal::Str(value.to_string()))
    }

    /// Add `AND prop = 'value'` (same as [`Select::where_eq`]; reads better after it).
    pub fn and_eq(self, prop: &str, value: &str) -> Result<Self, CimError> {
        self.where_eq(prop, value)
    }

    /// Add the condition `prop = <number>`.
    pub fn and_eq_num(self, prop: &str, value: u64) -> Result<Self, CimError> {
        self.push(prop, Literal::Num(value))
    }

    /// Add the condition `prop = TRUE|FALSE`.
    pub fn and_eq_bool(self, prop: &str, value: bool) -> Result<Self, CimError> {
        self.push(prop, Literal::Bool(value))
    }

    /// The class queried.
    pub fn class(&self) -> &str {
        &self.class
    }
}

impl fmt::Display for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.props {
            Some(p) => write!(f, "SELECT {} FROM {}", p.join(", "), self.class)?,
            None => write!(f, "SELECT * FROM {}", self.class)?,
        }
        for (i, (prop, lit)) in self.conds.iter().enumerate() {
            let word = if i == 0 { "WHERE" } else { "AND" };
            write!(f, " {word} {prop} = {lit}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quote_escapes() {
        assert_eq!(quote("web01"), "'web01'");
        assert_eq!(quote(r#"it's "a" \ vm"#), r#"'it\'s \"a\" \\ vm'"#);
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn unquote_accepts_both_quotes_and_rejects_garbage() {
        assert_eq!(unquote(r#"'it\'s'"#).unwrap(), "it's");
        assert_eq!(unquote(r#""a\"b""#).unwrap(), "a\"b");
        assert_eq!(unquote(r#"'a"b'"#).unwrap(), "a\"b");
        for bad in ["", "abc", "'abc", "'abc\\'", "'a' x", "\"a'"] {
            assert!(unquote(bad).is_err(), "{bad:?}");
        }
        let e = unquote("'abc").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid wql literal \"'abc\": unterminated string"
        );
    }

    #[test]
    fn parse_literal_returns_rest() {
        let (v, rest) = parse_literal(" 'a\\'b' AND x = 1").unwrap();
        assert_eq!(v, "a'b");
        assert_eq!(rest, " AND x = 1");
    }

    #[test]
    fn select_builder() {
        let q = Select::all("Msvm_ComputerSystem")
            .and_then(|s| s.where_eq("ElementName", "it's"))
            .and_then(|s| s.and_eq("Caption", "Virtual Machine"))
            .unwrap();
        assert_eq!(
            q.to_string(),
            r"SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'it\'s' AND Caption = 'Virtual Machine'"
        );
        let q = Select::props(
            &["Name", "ElementName", "EnabledState"],
            "Msvm_ComputerSystem",
        )
        .and_then(|s| s.and_eq_num("EnabledState", 2))
        .and_then(|s| s.and_eq_bool("Cancellable", true))
        .unwrap();
        assert_eq!(
            q.to_string(),
            "SELECT Name, ElementName, EnabledState FROM Msvm_ComputerSystem \
             WHERE EnabledState = 2 AND Cancellable = TRUE"
        );
        assert_eq!(q.class(), "Msvm_ComputerSystem");
    }

    #[test]
    fn select_rejects_bad_names() {
        assert!(Select::all("Msvm_ComputerSystem; DROP").is_err());
        assert!(Select::props(&["Name", "x y"], "C").is_err());
        assert!(Select::all("C").unwrap().where_eq("a' OR '1", "v").is_err());
        assert!(Select::all("").is_err());
    }

    proptest! {
        #[test]
        fn quote_unquote_round_trip(s in any::<String>()) {
            prop_assert_eq!(unquote(&quote(&s)).unwrap(), s);
        }

        #[test]
        fn quoted_literal_never_terminates_early(s in "[a-z'\"\\\\ ]{0,20}", tail in "[a-z ']{0,10}") {
            let q = quote(&s);
            let input = format!("{q}{tail}");
            let (v, rest) = parse_literal(&input).unwrap();
            prop_assert_eq!(v, s);
            prop_assert_eq!(rest, tail.as_str());
        }

        #[test]
        fn random_literals_never_panic(s in any::<String>()) {
            let _ = unquote(&s);
            let _ = parse_literal(&s);
        }
    }
}
