//! A WQL subset: parser and evaluator for the simulator's enumerations.
//!
//! Grammar (keywords, class and property names case-insensitive):
//!
//! ```text
//! query  := SELECT ( "*" | prop { "," prop } ) FROM class [ WHERE or ]
//! or     := and { OR and }          and := atom { AND atom }
//! atom   := "(" or ")" | prop op literal
//! op     := "=" | "<>" | "!="
//! literal:= 'text' | "text" (backslash escapes \' \" \\) | integer | TRUE | FALSE | NULL
//! ```
//!
//! String comparisons are case-insensitive, as WMI compares strings. A NULL property matches
//! neither `=` nor `<>`. Unknown classes and properties are rejected after parsing
//! ([`Query::resolve`]); the host turns every error into the `n:CannotProcessFilter` fault with
//! WSManFault code 2150858778 (hyperv-wsman.md §13, E14).
//!
//! `ASSOCIATORS OF` is parsed in `sim::associators`. Not supported: `REFERENCES OF`, `LIKE`,
//! `ISA`, `<`/`>` comparisons (all answered with the same fault).

use super::model::{self, Instance, Value};

/// A WQL error (parse or resolution), with a lowercase reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid wql query: {0}")]
pub struct WqlError(pub String);

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Literal {
    /// A quoted string.
    Str(String),
    /// An integer.
    Int(i64),
    /// TRUE / FALSE.
    Bool(bool),
    /// NULL.
    Null,
}

/// A condition tree.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cond {
    /// `prop = lit` (eq true) or `prop <> lit` (eq false).
    Cmp {
        /// Property name.
        prop: String,
        /// True for `=`, false for `<>`.
        eq: bool,
        /// Right-hand side.
        lit: Literal,
    },
    /// Conjunction.
    And(Box<Cond>, Box<Cond>),
    /// Disjunction.
    Or(Box<Cond>, Box<Cond>),
}

/// A parsed query; after [`Query::resolve`] class and property names are canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// `None` for `SELECT *`.
    pub props: Option<Vec<String>>,
    /// The class after FROM.
    pub class: String,
    /// The WHERE condition.
    pub cond: Option<Cond>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    Word(String),
    Str(String),
    Int(i64),
    Sym(&'static str),
}

pub(super) fn lex(s: &str) -> Result<Vec<Tok>, WqlError> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = cs.get(i) {
        i += 1;
        match c {
            c if c.is_whitespace() => {}
            '*' => out.push(Tok::Sym("*")),
            ',' => out.push(Tok::Sym(",")),
            '(' => out.push(Tok::Sym("(")),
            ')' => out.push(Tok::Sym(")")),
            '=' => out.push(Tok::Sym("=")),
            '<' if cs.get(i) == Some(&'>') => {
                i += 1;
                out.push(Tok::Sym("<>"));
            }
            '!' if cs.get(i) == Some(&'=') => {
                i += 1;
                out.push(Tok::Sym("<>"));
            }
            '\'' | '"' => out.push(Tok::Str(lex_string(&cs, &mut i, c)?)),
            c if c.is_ascii_digit() || c == '-' => out.push(Tok::Int(lex_int(&cs, &mut i, c)?)),
            c if c.is_alphanumeric() || c == '_' => {
                let mut w = String::from(c);
                while let Some(&d) = cs.get(i).filter(|d| d.is_alphanumeric() || **d == '_') {
                    w.push(d);
                    i += 1;
                }
                out.push(Tok::Word(w));
            }
            c => return Err(WqlError(format!("unexpected character {c:?}"))),
        }
    }
    Ok(out)
}

fn lex_string(cs: &[char], i: &mut usize, quote: char) -> Result<String, WqlError> {
    let mut s = String::new();
    loop {
        let c = *cs
            .get(*i)
            .ok_or_else(|| WqlError("unterminated string literal".into()))?;
        *i += 1;
        match c {
            '\\' => {
                let e = *cs
                    .get(*i)
                    .ok_or_else(|| WqlError("unterminated string literal".into()))?;
                *i += 1;
                s.push(e);
            }
            c if c == quote => return Ok(s),
            c => s.push(c),
        }
    }
}

fn lex_int(cs: &[char], i: &mut usize, first: char) -> Result<i64, WqlError> {
    let mut w = String::from(first);
    while let Some(&d) = cs.get(*i).filter(|d| d.is_ascii_digit()) {
        w.push(d);
        *i += 1;
    }
    w.parse()
        .map_err(|_| WqlError(format!("invalid number {w}")))
}

pub(super) struct Parser {
    pub(super) toks: Vec<Tok>,
    pub(super) pos: usize,
}

impl Parser {
    pub(super) fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    pub(super) fn keyword(&mut self, kw: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw)) {
            self.pos += 1;
            return true;
        }
        false
    }
    fn expect_kw(&mut self, kw: &str) -> Result<(), WqlError> {
        if self.keyword(kw) {
            Ok(())
        } else {
            Err(WqlError(format!("expected {}", kw.to_lowercase())))
        }
    }
    pub(super) fn sym(&mut self, s: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(x)) if *x == s) {
            self.pos += 1;
            return true;
        }
        false
    }
    pub(super) fn ident(&mut self, what: &str) -> Result<String, WqlError> {
        match self.next() {
            Some(Tok::Word(w)) => Ok(w),
            _ => Err(WqlError(format!("expected {what}"))),
        }
    }
    fn or(&mut self) -> Result<Cond, WqlError> {
        let mut c = self.and()?;
        while self.keyword("OR") {
            c = Cond::Or(Box::new(c), Box::new(self.and()?));
        }
        Ok(c)
    }
    fn and(&mut self) -> Result<Cond, WqlError> {
        let mut c = self.atom()?;
        while self.keyword("AND") {
            c = Cond::And(Box::new(c), Box::new(self.atom()?));
        }
        Ok(c)
    }
    fn atom(&mut self) -> Result<Cond, WqlError> {
        if self.sym("(") {
            let c = self.or()?;
            return if self.sym(")") {
                Ok(c)
            } else {
                Err(WqlError("expected )".into()))
            };
        }
        let prop = self.ident("a property name")?;
        let eq = if self.sym("=") {
            true
        } else if self.sym("<>") {
            false
        } else {
            return Err(WqlError(format!("expected = or <> after {prop}")));
        };
        let lit = match self.next() {
            Some(Tok::Str(s)) => Literal::Str(s),
            Some(Tok::Int(n)) => Literal::Int(n),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("TRUE") => Literal::Bool(true),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("FALSE") => Literal::Bool(false),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("NULL") => Literal::Null,
            _ => return Err(WqlError(format!("expected a literal after {prop}"))),
        };
        Ok(Cond::Cmp { prop, eq, lit })
    }
}

/// Parse a WQL query text.
pub fn parse(text: &str) -> Result<Query, WqlError> {
    let mut p = Parser {
        toks: lex(text)?,
        pos: 0,
    };
    p.expect_kw("SELECT")?;
    let props = if p.sym("*") {
        None
    } else {
        let mut v = vec![p.ident("a property name or *")?];
        while p.sym(",") {
            v.push(p.ident("a property name")?);
        }
        Some(v)
    };
    p.expect_kw("FROM")?;
    let class = p.ident("a class name")?;
    let cond = if p.keyword("WHERE") {
        Some(p.or()?)
    } else {
        None
    };
    if p.peek().is_some() {
        return Err(WqlError("unexpected text after the query".into()));
    }
    Ok(Query { props, class, cond })
}

impl Query {
    /// Check class and property names against the model and make them canonical.
    pub fn resolve(mut self) -> Result<Query, WqlError> {
        let class = model::canonical_class(&self.class)
            .ok_or_else(|| WqlError(format!("class {} does not exist", self.class)))?;
        let canon = |p: &str| {
            model::canonical_property(class, p)
                .map(str::to_string)
                .ok_or_else(|| WqlError(format!("property {p} is not a property of {class}")))
        };
        if let Some(props) = &mut self.props {
            for p in props.iter_mut() {
                *p = canon(p)?;
            }
        }
        if let Some(c) = &mut self.cond {
            resolve_cond(c, &canon)?;
        }
        self.class = class.to_string();
        Ok(self)
    }

    /// True when `inst` satisfies the WHERE condition (always, without one).
    pub fn matches(&self, inst: &Instance) -> bool {
        self.cond.as_ref().is_none_or(|c| eval(c, inst))
    }
}

fn resolve_cond(
    c: &mut Cond,
    canon: &dyn Fn(&str) -> Result<String, WqlError>,
) -> Result<(), WqlError> {
    match c {
        Cond::Cmp { prop, .. } => *prop = canon(prop)?,
        Cond::And(a, b) | Cond::Or(a, b) => {
            resolve_cond(a, canon)?;
            resolve_cond(b, canon)?;
        }
    }
    Ok(())
}

fn eval(c: &Cond, inst: &Instance) -> bool {
    match c {
        Cond::And(a, b) => eval(a, inst) && eval(b, inst),
        Cond::Or(a, b) => eval(a, inst) || eval(b, inst),
        Cond::Cmp { prop, eq, lit } => match equal(inst.get(prop).unwrap_or(&Value::Null), lit) {
            Some(same) => same == *eq,
            None => false,
        },
    }
}

/// Some(equal?) or None when the comparison involves NULL or incompatible types.
fn equal(v: &Value, lit: &Literal) -> Option<bool> {
    match (v, lit) {
        (Value::Str(s) | Value::Datetime(s) | Value::Interval(s), Literal::Str(l)) => {
            Some(s.to_lowercase() == l.to_lowercase())
        }
        (Value::UInt(n), Literal::Int(l)) => Some(i128::from(*n) == i128::from(*l)),
        (Value::UInt(n), Literal::Str(l)) => l.trim().parse::<u64>().ok().map(|l| l == *n),
        (Value::Bool(b), Literal::Bool(l)) => Some(b == l),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst() -> Instance {
        Instance {
            class: model::COMPUTER_SYSTEM,
            props: vec![
                ("ElementName", Value::s("it's \"x\"\\y")),
                ("EnabledState", Value::UInt(2)),
                ("Name", Value::s("ABC")),
                ("InstallDate", Value::Null),
            ],
        }
    }

    fn q(s: &str) -> Query {
        parse(s).and_then(Query::resolve).unwrap()
    }

    #[test]
    fn escapes_in_both_quote_styles() {
        let i = inst();
        assert!(
            q(r#"SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'it\'s "x"\\y'"#)
                .matches(&i)
        );
        assert!(
            q(r#"select * from msvm_computersystem where elementname = "it's \"x\"\\y""#)
                .matches(&i)
        );
        assert!(!q("SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'its'").matches(&i));
    }

    #[test]
    fn and_or_precedence_and_operators() {
        let i = inst();
        assert!(q("SELECT * FROM Msvm_ComputerSystem WHERE Name = 'x' OR Name = 'abc' AND EnabledState = 2").matches(&i));
        assert!(!q("SELECT * FROM Msvm_ComputerSystem WHERE (Name = 'x' OR Name = 'abc') AND EnabledState <> 2").matches(&i));
        assert!(q("SELECT * FROM Msvm_ComputerSystem WHERE EnabledState != 3").matches(&i));
        assert!(!q("SELECT * FROM Msvm_ComputerSystem WHERE InstallDate <> 'x'").matches(&i));
    }

    #[test]
    fn property_lists_are_canonicalised() {
        let query = q("SELECT name, ELEMENTNAME FROM Msvm_ComputerSystem");
        assert_eq!(
            query.props,
            Some(vec!["Name".to_string(), "ElementName".to_string()])
        );
        assert_eq!(query.class, "Msvm_ComputerSystem");
    }

    #[test]
    fn errors_are_reported() {
        for bad in [
            "SELECT FROM Msvm_ComputerSystem",
            "SELECT * FROM",
            "SELECT * FROM Msvm_ComputerSystem WHERE Name = 'x",
            "SELECT * FROM Msvm_ComputerSystem WHERE Name",
            "SELECT * FROM Msvm_ComputerSystem WHERE Name > 3",
            "SELECT * FROM Msvm_ComputerSystem extra",
            "DELETE FROM x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("SELECT * FROM Win32_Foo").unwrap().resolve().is_err());
        assert!(
            parse("SELECT Bogus FROM Msvm_ComputerSystem")
                .unwrap()
                .resolve()
                .is_err()
        );
    }
}
