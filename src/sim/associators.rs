//! `ASSOCIATORS OF {path} [WHERE AssocClass = A ResultClass = R]` for the simulator's WQL.
//!
//! What it does: parses the query libvirt uses to list a VM's checkpoints and active settings
//! (hyperv-wsman.md §9.3, §19); the path between the braces is kept as text (quoted key values
//! may contain `}`) and later parsed by `cim::path`. What it does not: `Role`, `ResultRole`,
//! `RequiredQualifier`, `ClassDefsOnly` clauses (rejected), or evaluate the query (see
//! `sim::instances`).

use super::wql::{Parser, WqlError, lex};

/// An `ASSOCIATORS OF` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Associators {
    /// The object path between the braces.
    pub path: String,
    /// `AssocClass = …`.
    pub assoc_class: Option<String>,
    /// `ResultClass = …`.
    pub result_class: Option<String>,
}

/// Parse `ASSOCIATORS OF {path} [WHERE AssocClass = A ResultClass = R]`; None when the text
/// is not an ASSOCIATORS query at all.
pub fn parse_associators(text: &str) -> Option<Result<Associators, WqlError>> {
    let t = text.trim_start();
    let head = t.get(..11)?;
    if !head.eq_ignore_ascii_case("ASSOCIATORS") {
        return None;
    }
    Some(associators_body(t.get(11..).unwrap_or_default()))
}

fn associators_body(rest: &str) -> Result<Associators, WqlError> {
    let err = |m: &str| WqlError(m.to_string());
    let rest = rest.trim_start();
    let of = rest
        .get(..2)
        .filter(|w| w.eq_ignore_ascii_case("OF"))
        .ok_or_else(|| err("expected of"))?;
    let rest = rest[of.len()..]
        .trim_start()
        .strip_prefix('{')
        .ok_or_else(|| err("expected {"))?;
    let close = closing_brace(rest).ok_or_else(|| err("expected }"))?;
    let (path, tail) = (rest[..close].trim().to_string(), &rest[close + 1..]);
    let mut p = Parser {
        toks: lex(tail)?,
        pos: 0,
    };
    let mut q = Associators {
        path,
        assoc_class: None,
        result_class: None,
    };
    if p.keyword("WHERE") {
        while p.peek().is_some() {
            let key = p.ident("assocclass or resultclass")?;
            if !p.sym("=") {
                return Err(err("expected = in the where clause"));
            }
            let value = p.ident("a class name")?;
            match key.to_ascii_lowercase().as_str() {
                "assocclass" => q.assoc_class = Some(value),
                "resultclass" => q.result_class = Some(value),
                other => return Err(WqlError(format!("{other} is not supported"))),
            }
        }
    } else if p.peek().is_some() {
        return Err(err("unexpected text after the object path"));
    }
    Ok(q)
}

/// Index of the `}` closing the path, skipping quoted key values.
fn closing_brace(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '}') => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn associators_queries() {
        let a = parse_associators(
            "ASSOCIATORS OF {Msvm_ComputerSystem.CreationClassName='Msvm_ComputerSystem',Name='A}B'} \
             WHERE AssocClass = Msvm_SnapshotOfVirtualSystem ResultClass = Msvm_VirtualSystemSettingData",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            a.path,
            "Msvm_ComputerSystem.CreationClassName='Msvm_ComputerSystem',Name='A}B'"
        );
        assert_eq!(
            a.assoc_class.as_deref(),
            Some("Msvm_SnapshotOfVirtualSystem")
        );
        assert_eq!(
            a.result_class.as_deref(),
            Some("Msvm_VirtualSystemSettingData")
        );
        assert!(parse_associators("SELECT * FROM X").is_none());
        assert!(
            parse_associators("associators of {X.a=1} WHERE Role = x")
                .unwrap()
                .is_err()
        );
        assert!(parse_associators("associators of {X.a=1").unwrap().is_err());
    }
}
