//! CIM data types as named in CIM-XML `TYPE` attributes (DSP0201, DSP0004 §5.2), and the
//! check of a value's text against its type used by the embedded-instance reader and writer.

use crate::cim::datetime::{CimDateTime, CimInterval};

/// A CIM data type as named in CIM-XML `TYPE` attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CimType {
    /// `boolean`
    Boolean,
    /// `string`
    String,
    /// `uint8`
    Uint8,
    /// `uint16`
    Uint16,
    /// `uint32`
    Uint32,
    /// `uint64`
    Uint64,
    /// `sint8`
    Sint8,
    /// `sint16`
    Sint16,
    /// `sint32`
    Sint32,
    /// `sint64`
    Sint64,
    /// `real32`
    Real32,
    /// `real64`
    Real64,
    /// `datetime`
    Datetime,
    /// `char16`
    Char16,
    /// A reference (`PROPERTY.REFERENCE`; has no `TYPE` attribute on the wire).
    Reference,
}

const TYPES: [(CimType, &str); 15] = [
    (CimType::Boolean, "boolean"),
    (CimType::String, "string"),
    (CimType::Uint8, "uint8"),
    (CimType::Uint16, "uint16"),
    (CimType::Uint32, "uint32"),
    (CimType::Uint64, "uint64"),
    (CimType::Sint8, "sint8"),
    (CimType::Sint16, "sint16"),
    (CimType::Sint32, "sint32"),
    (CimType::Sint64, "sint64"),
    (CimType::Real32, "real32"),
    (CimType::Real64, "real64"),
    (CimType::Datetime, "datetime"),
    (CimType::Char16, "char16"),
    (CimType::Reference, "reference"),
];

impl CimType {
    /// The lower-case CIM-XML name (`uint8`, `boolean`, ...).
    pub fn as_str(self) -> &'static str {
        TYPES
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("string", |(_, n)| n)
    }

    /// The type named `s` (case-insensitive), if any.
    pub fn parse(s: &str) -> Option<CimType> {
        let s = s.trim();
        TYPES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
            .map(|(t, _)| *t)
    }

    /// Check `text` against the type; the normalized value or why it is wrong.
    pub(super) fn normalize(self, text: &str) -> Result<String, &'static str> {
        fn int<T: std::str::FromStr + ToString>(t: &str) -> Result<String, &'static str> {
            t.trim()
                .parse::<T>()
                .map(|v| v.to_string())
                .map_err(|_| "integer value out of range for its type")
        }
        match self {
            CimType::Boolean => match text.trim() {
                t if t.eq_ignore_ascii_case("true") => Ok("TRUE".into()),
                t if t.eq_ignore_ascii_case("false") => Ok("FALSE".into()),
                _ => Err("boolean value is not TRUE or FALSE"),
            },
            CimType::Uint8 => int::<u8>(text),
            CimType::Uint16 => int::<u16>(text),
            CimType::Uint32 => int::<u32>(text),
            CimType::Uint64 => int::<u64>(text),
            CimType::Sint8 => int::<i8>(text),
            CimType::Sint16 => int::<i16>(text),
            CimType::Sint32 => int::<i32>(text),
            CimType::Sint64 => int::<i64>(text),
            CimType::Real32 | CimType::Real64 => match text.trim().parse::<f64>() {
                Ok(_) => Ok(text.trim().to_string()),
                Err(_) => Err("real value is not a number"),
            },
            CimType::Datetime => {
                let t = text.trim();
                match CimDateTime::parse(t).is_ok() || CimInterval::parse(t).is_ok() {
                    true => Ok(t.to_string()),
                    false => Err("datetime value is not a datetime or interval"),
                }
            }
            CimType::Char16 if text.chars().count() != 1 => {
                Err("char16 value is not one character")
            }
            CimType::Char16 | CimType::String | CimType::Reference => Ok(text.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cim_type_names() {
        for (t, n) in TYPES {
            assert_eq!(t.as_str(), n);
            assert_eq!(CimType::parse(&n.to_uppercase()), Some(t));
        }
        assert_eq!(CimType::parse("object"), None);
    }

    #[test]
    fn normalizes_values_by_type() {
        assert_eq!(CimType::Boolean.normalize(" true "), Ok("TRUE".into()));
        assert_eq!(CimType::Uint8.normalize(" 07"), Ok("7".into()));
        assert!(CimType::Uint8.normalize("256").is_err());
        assert!(CimType::Sint8.normalize("-128").is_ok());
        assert!(CimType::Real64.normalize("1.5e3").is_ok());
        assert!(CimType::Real32.normalize("x").is_err());
        assert!(
            CimType::Datetime
                .normalize("20250101000000.000000+000")
                .is_ok()
        );
        assert!(
            CimType::Datetime
                .normalize("00000001000000.000000:000")
                .is_ok()
        );
        assert!(CimType::Datetime.normalize("soon").is_err());
        assert!(CimType::Char16.normalize("ab").is_err());
        assert_eq!(CimType::String.normalize(" a "), Ok(" a ".into()));
    }
}
