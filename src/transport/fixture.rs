//! The recorded-fixture file format (GitHub issue 6, item 1; ARCHITECTURE.md §4).
//!
//! A fixture is one JSON document, versioned and self-describing:
//!
//! ```json
//! {
//!   "version": 1,
//!   "docs": "export of web01 on a 2019 host, job polled to completion",
//!   "recorded_with": "hvremote 0.1.0",
//!   "endpoint": "http://host.example:5985/wsman",
//!   "redacted": ["host.example", "HOSTNAME", "USER"],
//!   "host_info": { "product_vendor": "Microsoft Corporation",
//!                  "product_version": "OS: 10.0.17763 SP: 0.0 Stack: 3.0",
//!                  "os_build": "10.0.17763" },
//!   "exchanges": [
//!     { "action": "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate",
//!       "resource_uri": "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*",
//!       "request": "<s:Envelope …>", "status": 200, "response": "<s:Envelope …>",
//!       "elapsed_ms": 41 }
//!   ]
//! }
//! ```
//!
//! Bodies are stored verbatim (decrypted SOAP; the transport seam sits above authentication and
//! sealing, so no credential can reach a fixture). An exchange whose transport failed (timeout,
//! connection lost) has an `error` instead of `status`/`response`, so failing runs can be
//! captured too. `redacted` lists the placeholders used (never the original names).
//!
//! This module only defines the format and reads/writes files; recording is in
//! [`super::record`], replay in [`super::replay`], request comparison in [`super::normalize`].

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::xml::{Element, ns};

/// The fixture format version this build writes and reads.
pub const FIXTURE_VERSION: u32 = 1;

/// `recorded_with` value of fixtures written by this build.
pub const RECORDED_WITH: &str = concat!("hvremote ", env!("CARGO_PKG_VERSION"));

/// One recorded fixture file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixture {
    /// Format version ([`FIXTURE_VERSION`]).
    pub version: u32,
    /// What the fixture shows (free text for the reader).
    #[serde(default)]
    pub docs: String,
    /// The hvremote version that recorded it (e.g. `hvremote 0.1.0`).
    #[serde(default)]
    pub recorded_with: String,
    /// The endpoint URL the exchanges went to (redacted like the bodies).
    #[serde(default)]
    pub endpoint: String,
    /// Placeholders used by redaction (empty when names were kept).
    #[serde(default)]
    pub redacted: Vec<String>,
    /// Facts about the host, from an Identify exchange when the run made one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_info: Option<HostInfo>,
    /// The exchanges, in the order they happened.
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
}

/// Facts about the recorded host (from `wsmid:IdentifyResponse`, hyperv-wsman.md §4).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HostInfo {
    /// `wsmid:ProductVendor` (e.g. `Microsoft Corporation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_vendor: Option<String>,
    /// `wsmid:ProductVersion` verbatim (e.g. `OS: 10.0.17763 SP: 0.0 Stack: 3.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_version: Option<String>,
    /// The OS build taken from the product version (e.g. `10.0.17763`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_build: Option<String>,
}

/// One recorded SOAP exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// `wsa:Action` of the request (empty for Identify).
    #[serde(default)]
    pub action: String,
    /// `w:ResourceURI` of the request, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_uri: Option<String>,
    /// The request envelope, verbatim.
    pub request: String,
    /// HTTP status of the response (absent when the transport failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The response envelope, verbatim (absent when the transport failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// The transport failure, when the exchange did not produce a response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RecordedError>,
    /// Wall-clock time the exchange took, in milliseconds (informational; never re-slept).
    #[serde(default)]
    pub elapsed_ms: u64,
}

/// A transport failure captured in a fixture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedError {
    /// The error kind, lowercase (`timeout`, `connect`, `protocol`, ...).
    pub kind: String,
    /// The error message.
    pub message: String,
}

impl HostInfo {
    /// Host facts from a response holding a `wsmid:IdentifyResponse`; `None` for other
    /// responses.
    pub fn from_identify(root: &Element) -> Option<HostInfo> {
        let id = root.find(ns::IDENTITY, "IdentifyResponse")?;
        let product_version = id.child_text(ns::IDENTITY, "ProductVersion");
        let os_build = product_version.as_deref().and_then(|v| {
            let mut words = v.split_whitespace();
            words.find(|w| *w == "OS:")?;
            words.next().map(str::to_string)
        });
        Some(HostInfo {
            product_vendor: id.child_text(ns::IDENTITY, "ProductVendor"),
            product_version,
            os_build,
        })
    }
}

impl RecordedError {
    /// Capture an error's kind and message.
    pub fn from_error(e: &Error) -> Self {
        RecordedError {
            kind: format!("{:?}", e.kind()).to_ascii_lowercase(),
            message: e.message().to_string(),
        }
    }

    /// Rebuild an error of the recorded kind (unknown kinds become `Protocol`).
    pub fn to_error(&self) -> Error {
        let kind = match self.kind.as_str() {
            "usage" => ErrorKind::Usage,
            "auth" => ErrorKind::Auth,
            "connect" => ErrorKind::Connect,
            "tls" => ErrorKind::Tls,
            "timeout" => ErrorKind::Timeout,
            "fault" => ErrorKind::Fault,
            "limitexceeded" => ErrorKind::LimitExceeded,
            "interrupted" => ErrorKind::Interrupted,
            "io" => ErrorKind::Io,
            "replay" => ErrorKind::Replay,
            "notfound" => ErrorKind::NotFound,
            _ => ErrorKind::Protocol,
        };
        Error::new(kind, self.message.clone())
    }
}

impl Fixture {
    /// An empty fixture of the current version.
    pub fn new(docs: impl Into<String>) -> Self {
        Fixture {
            version: FIXTURE_VERSION,
            docs: docs.into(),
            recorded_with: RECORDED_WITH.to_string(),
            endpoint: String::new(),
            redacted: Vec::new(),
            host_info: None,
            exchanges: Vec::new(),
        }
    }

    /// Read a fixture file; errors name the file and the problem.
    pub fn load(path: impl AsRef<Path>) -> Result<Fixture, Error> {
        let path = path.as_ref();
        let text = fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read fixture {}: {e}", path.display()),
            )
            .with_source(e)
        })?;
        Fixture::from_json(&text, &path.display().to_string())
    }

    /// Parse fixture JSON; `name` (a file name) goes into error messages.
    pub fn from_json(text: &str, name: &str) -> Result<Fixture, Error> {
        let bad = |what: String| Error::new(ErrorKind::Replay, format!("fixture {name}: {what}"));
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(format!("malformed json: {e}")))?;
        let version = value
            .get("version")
            .ok_or_else(|| bad("missing \"version\" (is this an hvremote fixture?)".into()))?;
        match version.as_u64() {
            Some(v) if v == u64::from(FIXTURE_VERSION) => {}
            _ => {
                return Err(bad(format!(
                    "unsupported version {version} (this hvremote reads version {FIXTURE_VERSION})"
                )));
            }
        }
        Fixture::deserialize(value).map_err(|e| bad(format!("malformed fixture: {e}")))
    }

    /// The fixture as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain strings and numbers cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Write the fixture atomically: a temporary file in the same directory, flushed to disk,
    /// then renamed over `path`. An interrupted or failed write leaves any existing file intact
    /// and no temporary file behind.
    pub fn save_atomic(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let io_err = |what: &str, e: std::io::Error| {
            Error::new(
                ErrorKind::Io,
                format!("cannot {what} fixture {}: {e}", path.display()),
            )
            .with_source(e)
        };
        let (tmp, mut file) = create_temp_beside(path).map_err(|e| io_err("create", e))?;
        let written = file
            .write_all(self.to_json().as_bytes())
            .and_then(|()| file.sync_all());
        drop(file);
        let result = written.and_then(|()| fs::rename(&tmp, path));
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(io_err("write", e));
        }
        Ok(())
    }
}

/// Create a fresh temporary file next to `path` (same directory, so rename is atomic).
fn create_temp_beside(path: &Path) -> std::io::Result<(PathBuf, fs::File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "fixture".to_string());
    let mut last_err = None;
    for _ in 0..16 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{base}.{}.{n}.tmp", std::process::id()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| std::io::Error::other("no free temporary file name")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Fixture {
        let mut f = Fixture::new("a sample");
        f.exchanges.push(Exchange {
            action: "urn:a".into(),
            resource_uri: Some("urn:r".into()),
            request: "<x/>".into(),
            status: Some(200),
            response: Some("<y/>".into()),
            error: None,
            elapsed_ms: 3,
        });
        f
    }

    #[test]
    fn json_round_trip() {
        let f = sample();
        let back = Fixture::from_json(&f.to_json(), "t.json").unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn unknown_version_names_file() {
        let e = Fixture::from_json(r#"{"version": 9, "exchanges": []}"#, "x.json").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Replay);
        assert!(
            e.message()
                .contains("fixture x.json: unsupported version 9"),
            "{e}"
        );
    }

    #[test]
    fn missing_version_and_bad_json() {
        let e = Fixture::from_json(r#"{"exchanges": []}"#, "m.json").unwrap_err();
        assert!(
            e.message().contains("fixture m.json: missing \"version\""),
            "{e}"
        );
        let e = Fixture::from_json("{\"version\": 1,", "b.json").unwrap_err();
        assert!(
            e.message().starts_with("fixture b.json: malformed json"),
            "{e}"
        );
        let e = Fixture::from_json(r#"{"version": 1, "exchanges": [{}]}"#, "c.json").unwrap_err();
        assert!(e.message().contains("missing field `request`"), "{e}");
    }

    #[test]
    fn identify_gives_host_info() {
        let body = format!(
            r#"<s:Envelope xmlns:s="{}" xmlns:wsmid="{}"><s:Body><wsmid:IdentifyResponse>
            <wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>
            <wsmid:ProductVersion>OS: 10.0.17763 SP: 0.0 Stack: 3.0</wsmid:ProductVersion>
            </wsmid:IdentifyResponse></s:Body></s:Envelope>"#,
            ns::SOAP,
            ns::IDENTITY
        );
        let root = crate::xml::parse(&body).unwrap();
        let info = HostInfo::from_identify(&root).unwrap();
        assert_eq!(info.os_build.as_deref(), Some("10.0.17763"));
        assert_eq!(
            info.product_vendor.as_deref(),
            Some("Microsoft Corporation")
        );
        let other = crate::xml::parse("<x/>").unwrap();
        assert_eq!(HostInfo::from_identify(&other), None);
    }

    #[test]
    fn recorded_error_round_trips_kind() {
        let e = Error::new(ErrorKind::Timeout, "read timed out after 60s");
        let r = RecordedError::from_error(&e);
        assert_eq!(r.kind, "timeout");
        let back = r.to_error();
        assert_eq!(back.kind(), ErrorKind::Timeout);
        assert_eq!(back.message(), "read timed out after 60s");
    }

    #[test]
    fn save_atomic_replaces_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        fs::write(&path, "old").unwrap();
        sample().save_atomic(&path).unwrap();
        assert_eq!(Fixture::load(&path).unwrap(), sample());
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "temporary file left behind");
    }
}
