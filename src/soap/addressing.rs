//! WS-Addressing pieces: endpoint references (EPRs) and their wire form.
//!
//! (Skeleton: the `Epr` shape is fixed; parse/write functions are added by the soap layer.)

/// An endpoint reference as WinRM uses it: an address and reference parameters holding a
/// resource URI and a selector set (hyperv-wsman.md §8.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Epr {
    /// `a:Address` (the anonymous role URI in WMI REF values, or the endpoint URL).
    pub address: String,
    /// `w:ResourceURI` of the referenced instance's class.
    pub resource_uri: String,
    /// `w:Selector` name/value pairs in document order (may include `__cimnamespace`).
    pub selectors: Vec<(String, String)>,
}

impl Epr {
    /// The value of selector `name` (case-insensitive name match, as WMI key names are).
    pub fn selector(&self, name: &str) -> Option<&str> {
        self.selectors
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
