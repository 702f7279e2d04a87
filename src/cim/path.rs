//! WMI object paths (hyperv-wsman.md §9.4, §12):
//! `\\HV01\root\virtualization\v2:Msvm_VirtualSystemSettingData.InstanceID="Microsoft:…"`.
//!
//! Written form: `\\HOST\namespace:Class.Key="value",Key2="value2"`; inside the double-quoted
//! key value `\` becomes `\\` and `"` becomes `\"`. The host part is written only together with
//! a namespace. Parsing is tolerant, as WMI and other tools vary: `//` for `\\`, `/` between
//! host and namespace, single-quoted values, unquoted (numeric) values, a relative path without
//! host or namespace, and `Class=@` for singletons. Namespace and class case are kept as given
//! (WMI compares them case-insensitively; so does [`ObjectPath::key`]).
//!
//! What this module does not do: resolve paths or talk to WMI; WS-Man addresses instances with
//! EPRs (`soap::addressing`), these paths only travel inside property values.

use std::fmt;

use super::names::check_identifier;
use super::wql::parse_literal;
use super::{CimError, short};

/// A WMI object path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectPath {
    /// Server name (`HV01`), when the path is absolute.
    pub host: Option<String>,
    /// Namespace (`root\virtualization\v2`), when given.
    pub namespace: Option<String>,
    /// Class name.
    pub class: String,
    /// Key properties in order.
    pub keys: Vec<(String, String)>,
}

fn path_err(input: &str, reason: &'static str) -> CimError {
    CimError::Path {
        input: short(input),
        reason,
    }
}

/// Split off the leading identifier characters of `s`.
fn split_ident(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    s.split_at(end)
}

impl ObjectPath {
    /// A relative path to `class` with no keys; `class` must be an identifier.
    pub fn new(class: &str) -> Result<Self, CimError> {
        check_identifier(class)?;
        Ok(ObjectPath {
            class: class.to_string(),
            ..Self::default()
        })
    }

    /// Set the host (must be non-empty, without `\`, `/` or `:`).
    pub fn with_host(mut self, host: &str) -> Result<Self, CimError> {
        if host.is_empty() || host.contains(['\\', '/', ':']) {
            return Err(path_err(host, "invalid host name"));
        }
        self.host = Some(host.to_string());
        Ok(self)
    }

    /// Set the namespace: identifiers separated by `\` or `/`.
    pub fn with_namespace(mut self, namespace: &str) -> Result<Self, CimError> {
        if !namespace
            .split(['\\', '/'])
            .all(super::names::is_identifier)
        {
            return Err(path_err(namespace, "invalid namespace"));
        }
        self.namespace = Some(namespace.to_string());
        Ok(self)
    }

    /// Append key `name` (an identifier) with `value` (any text).
    pub fn with_key(mut self, name: &str, value: &str) -> Result<Self, CimError> {
        check_identifier(name)?;
        self.keys.push((name.to_string(), value.to_string()));
        Ok(self)
    }

    /// The value of key `name` (case-insensitive, as WMI compares key names).
    pub fn key(&self, name: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Parse a path; see the module docs for the accepted variations.
    pub fn parse(s: &str) -> Result<Self, CimError> {
        let t = s.trim();
        let (host, rest) = split_host(t).ok_or_else(|| path_err(s, "malformed host part"))?;
        let (namespace, rest) = split_namespace(rest, host.is_some())
            .ok_or_else(|| path_err(s, "missing ':' after the namespace"))?;
        let (class, rest) = split_ident(rest);
        check_identifier(class).map_err(|_| path_err(s, "missing or invalid class name"))?;
        let keys = match rest {
            "" | "=@" => Vec::new(),
            _ => match rest.strip_prefix('.') {
                Some(k) => parse_keys(k, s)?,
                None => return Err(path_err(s, "expected '.' and keys after the class name")),
            },
        };
        Ok(ObjectPath {
            host: host.map(str::to_string),
            namespace: namespace.map(str::to_string),
            class: class.to_string(),
            keys,
        })
    }
}

/// `\\host\rest` or `//host/rest` → (Some(host), rest); otherwise (None, input).
fn split_host(t: &str) -> Option<(Option<&str>, &str)> {
    let Some(after) = t.strip_prefix("\\\\").or_else(|| t.strip_prefix("//")) else {
        return Some((None, t));
    };
    let (host, rest) = after.split_once(['\\', '/'])?;
    if host.is_empty() {
        return None;
    }
    Some((Some(host), rest))
}

/// `namespace:rest` → (Some(namespace), rest); the namespace ends at the first ':' met before
/// any '.', '=' or quote. Required when a host was given.
fn split_namespace(t: &str, required: bool) -> Option<(Option<&str>, &str)> {
    let stop = t.find(['.', '=', '"', '\'']).unwrap_or(t.len());
    match t.get(..stop).and_then(|head| head.find(':')) {
        Some(0) => None,
        Some(i) => Some((t.get(..i), t.get(i + 1..)?)),
        None if required => None,
        None => Some((None, t)),
    }
}

/// `K="v",K2='v2',K3=5` → pairs.
fn parse_keys(mut rest: &str, input: &str) -> Result<Vec<(String, String)>, CimError> {
    let mut keys = Vec::new();
    loop {
        let (name, after) = split_ident(rest.trim_start());
        check_identifier(name).map_err(|_| path_err(input, "missing or invalid key name"))?;
        let after = after
            .trim_start()
            .strip_prefix('=')
            .ok_or_else(|| path_err(input, "expected '=' after a key name"))?
            .trim_start();
        let (value, tail) = if after.starts_with(['"', '\'']) {
            parse_literal(after).map_err(|_| path_err(input, "unterminated key value"))?
        } else {
            let end = after.find(',').unwrap_or(after.len());
            let (v, tail) = after.split_at(end);
            if v.trim().is_empty() {
                return Err(path_err(input, "empty key value"));
            }
            (v.trim().to_string(), tail)
        };
        keys.push((name.to_string(), value));
        match tail.trim_start() {
            "" => return Ok(keys),
            t => match t.strip_prefix(',') {
                Some(next) => rest = next,
                None => return Err(path_err(input, "expected ',' between keys")),
            },
        }
    }
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ns) = &self.namespace {
            if let Some(host) = &self.host {
                write!(f, "\\\\{host}\\")?;
            }
            write!(f, "{ns}:")?;
        }
        f.write_str(&self.class)?;
        for (i, (k, v)) in self.keys.iter().enumerate() {
            f.write_str(if i == 0 { "." } else { "," })?;
            write!(f, "{k}=\"")?;
            for c in v.chars() {
                if matches!(c, '\\' | '"') {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("\"")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SNAP: &str = r#"\\HV01\root\virtualization\v2:Msvm_VirtualSystemSettingData.InstanceID="Microsoft:A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF""#;

    #[test]
    fn builds_the_snapshot_path() {
        let p = ObjectPath::new("Msvm_VirtualSystemSettingData")
            .and_then(|p| p.with_host("HV01"))
            .and_then(|p| p.with_namespace(r"root\virtualization\v2"))
            .and_then(|p| {
                p.with_key(
                    "InstanceID",
                    "Microsoft:A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF",
                )
            })
            .unwrap();
        assert_eq!(p.to_string(), SNAP);
        assert_eq!(ObjectPath::parse(SNAP).unwrap(), p);
        assert_eq!(
            p.key("instanceid"),
            Some("Microsoft:A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF")
        );
    }

    #[test]
    fn escapes_key_values() {
        let p = ObjectPath::new("C")
            .unwrap()
            .with_key("K", r#"a\b"c"#)
            .unwrap();
        assert_eq!(p.to_string(), r#"C.K="a\\b\"c""#);
        assert_eq!(ObjectPath::parse(&p.to_string()).unwrap(), p);
    }

    #[test]
    fn tolerant_forms() {
        let p = ObjectPath::parse(
            "//hv01.example.test/Root/Virtualization/V2:Msvm_ComputerSystem.CreationClassName='Msvm_ComputerSystem', Name='5C9E'",
        )
        .unwrap();
        assert_eq!(p.host.as_deref(), Some("hv01.example.test"));
        assert_eq!(p.namespace.as_deref(), Some("Root/Virtualization/V2"));
        assert_eq!(p.key("Name"), Some("5C9E"));
        let p = ObjectPath::parse("root\\cimv2:Win32_Disk.DeviceID=5").unwrap();
        assert_eq!((p.host.as_deref(), p.key("DeviceID")), (None, Some("5")));
        let p = ObjectPath::parse("Msvm_VirtualSystemManagementService=@").unwrap();
        assert!(p.keys.is_empty() && p.namespace.is_none());
        let p = ObjectPath::parse(r#"C.K="x:y.z=w""#).unwrap();
        assert_eq!(
            (p.namespace.as_deref(), p.key("k")),
            (None, Some("x:y.z=w"))
        );
    }

    #[test]
    fn malformed_paths_are_errors() {
        for bad in [
            "",
            "\\\\",
            "\\\\HOST",
            "\\\\HOST\\root:",
            "\\\\HOST\\Class.K=\"v\"",
            ":C",
            "C.",
            "C.K",
            "C.K=\"v",
            "C.K=\"v\"x",
            "C.K=",
            "1C",
            "C K",
            "C.K=\"v\",",
        ] {
            assert!(ObjectPath::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ObjectPath::new("a b").is_err());
        assert!(ObjectPath::new("C").unwrap().with_host("a\\b").is_err());
        assert!(
            ObjectPath::new("C")
                .unwrap()
                .with_namespace("root:x")
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn build_then_parse(
            host in proptest::option::of("[A-Za-z0-9.-]{1,12}"),
            ns in proptest::option::of("[a-z_][a-z0-9_]{0,6}(\\\\[a-z_][a-z0-9_]{0,6}){0,2}"),
            class in "[A-Za-z_][A-Za-z0-9_]{0,12}",
            keys in proptest::collection::vec(("[A-Za-z_][A-Za-z0-9_]{0,8}", any::<String>()), 0..4),
        ) {
            let mut p = ObjectPath::new(&class).unwrap();
            if let Some(ns) = &ns {
                p = p.with_namespace(ns).unwrap();
                if let Some(h) = &host { p = p.with_host(h).unwrap(); }
            }
            for (k, v) in &keys { p = p.with_key(k, v).unwrap(); }
            prop_assert_eq!(ObjectPath::parse(&p.to_string()).unwrap(), p);
        }

        #[test]
        fn random_input_never_panics(s in any::<String>(), t in "[\\\\/:.=\"',A-Za-z@ ]{0,30}") {
            let _ = ObjectPath::parse(&s);
            let _ = ObjectPath::parse(&t);
        }
    }
}
