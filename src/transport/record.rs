//! The recorder: wraps any [`Transport`] and keeps every exchange for a fixture (GitHub issue 6,
//! items 2 and 4; ARCHITECTURE.md §4).
//!
//! ```no_run
//! # async fn demo<T: hvremote::transport::Transport>(live: T) -> hvremote::Result<()> {
//! use std::sync::Arc;
//! use hvremote::transport::record::{Recorder, Redaction};
//!
//! let redaction = Redaction::for_endpoint(live.endpoint(), Some("CORP\\alice"));
//! let recorder = Arc::new(Recorder::new(live, redaction).with_docs("list VMs on a 2022 host"));
//! // ... hand `recorder.clone()` to the client as its transport and run the command ...
//! // Save whatever happened, also when the command failed:
//! recorder.save("list-vms.json")?;
//! # Ok(()) }
//! ```
//!
//! The recorder sits above authentication and sealing (it sees the plaintext SOAP the transport
//! carries), so passwords, NT hashes, session keys and `Authorization` values cannot reach a
//! fixture. Bodies are stored verbatim except for redaction of names.
//!
//! ## Redaction
//!
//! Applied when the fixture is produced (so names learned late also vanish from early
//! exchanges), to request and response bodies, the endpoint, actions and recorded error
//! messages. Matching is case-insensitive and only whole names are replaced (a match must not
//! touch a letter, digit, `-` or `_`). Placeholders are stable:
//!
//! | original | placeholder |
//! |---|---|
//! | DNS name or IP address of the host (`hv01.example.test`, in `a:To`, fault `Machine`) | `host.example` ([`HOST_DNS_PLACEHOLDER`]) |
//! | NetBIOS name (`HV01`: first label of the DNS name, and names learned from `SystemName`, `CSName`, `__SERVER` and `\\NAME\root\…` object paths in responses) | `HOSTNAME` ([`HOST_NETBIOS_PLACEHOLDER`]) |
//! | user name `alice` | `USER` ([`USER_PLACEHOLDER`]) |
//! | `CORP\alice` / `alice@corp.example` | `DOMAIN\USER` / `USER@DOMAIN` |
//!
//! Replay stays consistent: the client only echoes names that the (redacted) responses gave it,
//! and `a:To` is masked when requests are compared. Not done here: writing files on a signal
//! (the CLI calls [`Recorder::save`] when the command ends, whatever the outcome).

use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use super::fixture::{Exchange, Fixture, HostInfo, RecordedError};
use super::{BoxFuture, Delivery, SoapRequest, SoapResponse, Transport};
use crate::error::Error;
use crate::xml::{self, Element, Node};

/// Placeholder for the host's DNS name or address.
pub const HOST_DNS_PLACEHOLDER: &str = "host.example";
/// Placeholder for the host's NetBIOS (computer) name.
pub const HOST_NETBIOS_PLACEHOLDER: &str = "HOSTNAME";
/// Placeholder for the user name.
pub const USER_PLACEHOLDER: &str = "USER";
/// Placeholder for the user's domain (only where it is written next to the user name).
pub const DOMAIN_PLACEHOLDER: &str = "DOMAIN";

/// Which names to redact; `Redaction::default()` keeps all names (`--record-keep-names`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redaction {
    /// The host as the user named it (DNS name, NetBIOS name or IP address).
    pub host: Option<String>,
    /// The user name (`alice`, `CORP\alice` or `alice@corp.example`).
    pub user: Option<String>,
}

/// Response elements whose text is the host's computer name (any namespace).
const HOST_NAME_ELEMENTS: &[&str] = &["SystemName", "CSName", "__SERVER", "PSComputerName"];

impl Redaction {
    /// Redact the host of `endpoint` (a URL such as `http://hv01:5985/wsman`) and `user`.
    pub fn for_endpoint(endpoint: &str, user: Option<&str>) -> Self {
        Redaction {
            host: host_of_url(endpoint).map(str::to_string),
            user: user.filter(|u| !u.is_empty()).map(str::to_string),
        }
    }

    /// Redact `text` with this redaction's rules (without names learned from responses).
    pub fn apply(&self, text: &str) -> String {
        redact(text, &self.rules(&[]))
    }

    /// Whether anything is redacted.
    pub fn is_active(&self) -> bool {
        self.host.is_some() || self.user.is_some()
    }

    /// The (needle, placeholder) rules, longest needle first; `learned` are host names seen in
    /// responses.
    fn rules(&self, learned: &[String]) -> Vec<(String, &'static str)> {
        let mut rules: Vec<(String, &'static str)> = Vec::new();
        if let Some(h) = self.host.as_deref().filter(|h| !h.is_empty()) {
            host_rules(h, &mut rules);
            for name in learned {
                let placeholder = if name.contains('.') {
                    HOST_DNS_PLACEHOLDER
                } else {
                    HOST_NETBIOS_PLACEHOLDER
                };
                rules.push((name.clone(), placeholder));
            }
        }
        if let Some(u) = self.user.as_deref().filter(|u| !u.is_empty()) {
            user_rules(u, &mut rules);
        }
        rules.retain(|(n, _)| !n.is_empty() && !is_placeholder(n));
        rules.sort_by_key(|(n, _)| std::cmp::Reverse(n.chars().count()));
        rules.dedup_by(|a, b| a.0.eq_ignore_ascii_case(&b.0));
        rules
    }
}

fn is_placeholder(s: &str) -> bool {
    [
        HOST_DNS_PLACEHOLDER,
        HOST_NETBIOS_PLACEHOLDER,
        USER_PLACEHOLDER,
        DOMAIN_PLACEHOLDER,
    ]
    .iter()
    .any(|p| p.eq_ignore_ascii_case(s))
}

fn host_rules(h: &str, rules: &mut Vec<(String, &'static str)>) {
    let bare = h.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        rules.push((bare.to_string(), HOST_DNS_PLACEHOLDER));
    } else if let Some((first, _)) = bare.split_once('.') {
        rules.push((bare.to_string(), HOST_DNS_PLACEHOLDER));
        rules.push((first.to_string(), HOST_NETBIOS_PLACEHOLDER));
    } else {
        rules.push((bare.to_string(), HOST_NETBIOS_PLACEHOLDER));
    }
}

fn user_rules(u: &str, rules: &mut Vec<(String, &'static str)>) {
    if let Some((_, name)) = u.split_once('\\') {
        rules.push((u.to_string(), "DOMAIN\\USER"));
        rules.push((name.to_string(), USER_PLACEHOLDER));
    } else if let Some((name, _)) = u.split_once('@') {
        rules.push((u.to_string(), "USER@DOMAIN"));
        rules.push((name.to_string(), USER_PLACEHOLDER));
    } else {
        rules.push((u.to_string(), USER_PLACEHOLDER));
    }
}

/// The host part of a URL (`http://[::1]:5985/wsman` → `::1`); `None` when there is none.
pub fn host_of_url(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let hostport = authority.rsplit('@').next().unwrap_or(authority);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().unwrap_or(v6)
    } else {
        hostport.split(':').next().unwrap_or(hostport)
    };
    (!host.is_empty()).then_some(host)
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

/// Byte length of `needle` matched case-insensitively at the start of `hay`.
fn match_ci(hay: &str, needle: &str) -> Option<usize> {
    let mut hay_chars = hay.char_indices();
    for n in needle.chars() {
        let (_, h) = hay_chars.next()?;
        if h != n && !h.to_lowercase().eq(n.to_lowercase()) {
            return None;
        }
    }
    Some(hay_chars.next().map(|(i, _)| i).unwrap_or(hay.len()))
}

/// Replace whole-name, case-insensitive occurrences of each rule's needle by its placeholder,
/// in one pass (a placeholder is never rewritten again).
fn redact(text: &str, rules: &[(String, &'static str)]) -> String {
    if rules.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut i = 0;
    while let Some(c) = text.get(i..).and_then(|r| r.chars().next()) {
        if !prev.is_some_and(is_name_char)
            && let Some((len, placeholder)) = find_rule(text, i, rules)
        {
            out.push_str(placeholder);
            prev = text.get(..i + len).and_then(|s| s.chars().next_back());
            i += len;
            continue;
        }
        out.push(c);
        prev = Some(c);
        i += c.len_utf8();
    }
    out
}

fn find_rule(
    text: &str,
    at: usize,
    rules: &[(String, &'static str)],
) -> Option<(usize, &'static str)> {
    let rest = text.get(at..)?;
    rules.iter().find_map(|(needle, placeholder)| {
        let len = match_ci(rest, needle)?;
        let next = rest.get(len..).and_then(|r| r.chars().next());
        (!next.is_some_and(is_name_char)).then_some((len, *placeholder))
    })
}

/// Host names that responses reveal (computer-name properties, object paths, fault `Machine`).
fn learn_names(root: &Element, out: &mut Vec<String>) {
    if let Some(m) = root.attr(None, "Machine") {
        push_name(m, out);
    }
    if HOST_NAME_ELEMENTS.contains(&root.local.as_str()) {
        push_name(&root.text_trim(), out);
    }
    for child in &root.children {
        match child {
            Node::Element(e) => learn_names(e, out),
            Node::Text(t) => learn_from_paths(t, out),
        }
    }
}

/// `\\NAME\root\…` object paths inside a text value.
fn learn_from_paths(text: &str, out: &mut Vec<String>) {
    for (i, _) in text.match_indices("\\\\") {
        let Some((name, rest)) = text.get(i + 2..).and_then(|a| a.split_once('\\')) else {
            continue;
        };
        let is_path = rest
            .get(..4)
            .is_some_and(|r| r.eq_ignore_ascii_case("root"));
        if is_path {
            push_name(name, out);
        }
    }
}

fn push_name(name: &str, out: &mut Vec<String>) {
    let ok = name.chars().count() >= 2
        && name.chars().all(|c| is_name_char(c) || c == '.')
        && name != "."
        && !is_placeholder(name);
    if ok && !out.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        out.push(name.to_string());
    }
}

/// Wraps a transport and records each exchange (see the module docs).
pub struct Recorder<T> {
    inner: T,
    redaction: Redaction,
    docs: String,
    exchanges: Mutex<Vec<Exchange>>,
}

impl<T: Transport> Recorder<T> {
    /// Record the exchanges that go through `inner`, redacting names per `redaction`.
    pub fn new(inner: T, redaction: Redaction) -> Self {
        Recorder {
            inner,
            redaction,
            docs: String::new(),
            exchanges: Mutex::new(Vec::new()),
        }
    }

    /// Set the fixture's `docs` text (what the recording shows).
    pub fn with_docs(mut self, docs: impl Into<String>) -> Self {
        self.docs = docs.into();
        self
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// How many exchanges have been recorded so far.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing has been recorded yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Exchange>> {
        self.exchanges.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The fixture of everything recorded so far, redacted.
    pub fn fixture(&self) -> Fixture {
        let raw = self.lock().clone();
        let mut learned = Vec::new();
        let mut info = None;
        for body in raw.iter().filter_map(|x| x.response.as_deref()) {
            if let Ok(root) = xml::parse(body) {
                learn_names(&root, &mut learned);
                info = info.or_else(|| HostInfo::from_identify(&root));
            }
        }
        let rules = self.redaction.rules(&learned);
        let mut f = Fixture::new(self.docs.clone());
        f.endpoint = redact(self.inner.endpoint(), &rules);
        f.redacted = placeholders(&rules);
        f.host_info = info;
        f.exchanges = raw.iter().map(|x| redact_exchange(x, &rules)).collect();
        f
    }

    /// Write the fixture of everything recorded so far, atomically (temp file + rename). May be
    /// called any number of times, e.g. after a command failed.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        self.fixture().save_atomic(path)
    }

    /// Stop recording and return the fixture.
    pub fn into_fixture(self) -> Fixture {
        self.fixture()
    }

    /// Stop recording, write the fixture to `path` and return it.
    pub fn finish(self, path: impl AsRef<Path>) -> Result<Fixture, Error> {
        let f = self.fixture();
        f.save_atomic(path)?;
        Ok(f)
    }
}

/// The placeholders the rules use, sorted (stable across runs).
fn placeholders(rules: &[(String, &'static str)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, p) in rules {
        if !out.iter().any(|o| o == p) {
            out.push((*p).to_string());
        }
    }
    out.sort();
    out
}

fn redact_exchange(x: &Exchange, rules: &[(String, &'static str)]) -> Exchange {
    let r = |s: &str| redact(s, rules);
    Exchange {
        action: r(&x.action),
        resource_uri: x.resource_uri.as_deref().map(r),
        request: r(&x.request),
        status: x.status,
        response: x.response.as_deref().map(r),
        error: x.error.as_ref().map(|e| RecordedError {
            kind: e.kind.clone(),
            message: r(&e.message),
        }),
        elapsed_ms: x.elapsed_ms,
    }
}

/// Records an exchange when dropped: completed, or abandoned mid-flight (the caller dropped
/// the future, e.g. on Ctrl-C), which is recorded as an `interrupted` error.
struct Pending<'a> {
    log: &'a Mutex<Vec<Exchange>>,
    start: Instant,
    exchange: Exchange,
}

impl Pending<'_> {
    fn complete(mut self, result: &Result<SoapResponse, Error>) {
        match result {
            Ok(resp) => {
                self.exchange.status = Some(resp.status);
                self.exchange.response = Some(resp.body.clone());
            }
            Err(e) => self.exchange.error = Some(RecordedError::from_error(e)),
        }
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        let mut x = std::mem::replace(&mut self.exchange, empty_exchange(String::new()));
        x.elapsed_ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        if x.status.is_none() && x.error.is_none() {
            x.error = Some(RecordedError {
                kind: "interrupted".into(),
                message: "exchange abandoned before its response arrived".into(),
            });
        }
        self.log.lock().unwrap_or_else(|p| p.into_inner()).push(x);
    }
}

fn empty_exchange(request: String) -> Exchange {
    Exchange {
        action: String::new(),
        resource_uri: None,
        request,
        status: None,
        response: None,
        error: None,
        elapsed_ms: 0,
    }
}

impl<T: Transport> Transport for Recorder<T> {
    fn exchange<'a>(&'a self, request: SoapRequest) -> BoxFuture<'a, Result<SoapResponse, Error>> {
        Box::pin(async move {
            let mut exchange = empty_exchange(request.body.clone());
            exchange.action = request.action.clone();
            exchange.resource_uri = request.resource_uri.clone();
            let pending = Pending {
                log: &self.exchanges,
                start: Instant::now(),
                exchange,
            };
            let result = self.inner.exchange(request).await;
            pending.complete(&result);
            result
        })
    }

    fn endpoint(&self) -> &str {
        self.inner.endpoint()
    }

    fn last_delivery(&self) -> Delivery {
        self.inner.last_delivery()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(host: &str, user: &str) -> Vec<(String, &'static str)> {
        Redaction::for_endpoint(&format!("http://{host}:5985/wsman"), Some(user)).rules(&[])
    }

    #[test]
    fn host_of_url_forms() {
        assert_eq!(
            host_of_url("http://hv01.example.test:5985/wsman"),
            Some("hv01.example.test")
        );
        assert_eq!(host_of_url("https://[fe80::1]:5986/wsman"), Some("fe80::1"));
        assert_eq!(host_of_url("hv01"), Some("hv01"));
        assert_eq!(host_of_url("http://u@h/x"), Some("h"));
        assert_eq!(host_of_url("http:///wsman"), None);
    }

    #[test]
    fn redacts_dns_and_netbios_names_case_insensitively() {
        let r = rules("hv01.example.test", "CORP\\alice");
        let text = "http://HV01.Example.Test:5985/wsman \\\\hv01\\root SystemName=HV01 \
                    hv01x xhv01 corp\\ALICE alice Alice2";
        assert_eq!(
            redact(text, &r),
            "http://host.example:5985/wsman \\\\HOSTNAME\\root SystemName=HOSTNAME \
             hv01x xhv01 DOMAIN\\USER USER Alice2"
        );
    }

    #[test]
    fn placeholders_are_not_rewritten() {
        // A user called "host" must not turn host.example into USER.example.
        let r = rules("hv01.example.test", "host");
        assert_eq!(redact("hv01.example.test host", &r), "host.example USER");
    }

    #[test]
    fn ip_hosts_do_not_redact_their_first_octet() {
        let r = rules("10.0.0.5", "bob@corp.example");
        assert_eq!(
            redact("10.0.0.5 10 bob@corp.example bob", &r),
            "host.example 10 USER@DOMAIN USER"
        );
    }

    #[test]
    fn learns_names_from_responses() {
        let body = r#"<r xmlns:p="urn:p"><p:SystemName>WIN-ABC</p:SystemName>
            <f Machine="win-abc.lab.local"/>
            <v>&lt;VALUE&gt;\\OTHER1\root\virtualization\v2:Msvm&lt;/VALUE&gt;</v>
            <p:Name>not-a-host</p:Name></r>"#;
        let mut names = Vec::new();
        learn_names(&xml::parse(body).unwrap(), &mut names);
        assert_eq!(names, ["WIN-ABC", "win-abc.lab.local", "OTHER1"]);
    }

    struct Never;
    impl Transport for Never {
        fn exchange<'a>(&'a self, _: SoapRequest) -> BoxFuture<'a, Result<SoapResponse, Error>> {
            Box::pin(std::future::pending())
        }
        fn endpoint(&self) -> &str {
            "http://hv01:5985/wsman"
        }
    }

    #[tokio::test]
    async fn abandoned_exchange_is_recorded_as_interrupted() {
        let rec = Recorder::new(Never, Redaction::default());
        let req = SoapRequest {
            action: "urn:a".into(),
            resource_uri: None,
            message_id: "uuid:1".into(),
            body: "<x/>".into(),
        };
        let timed = tokio::time::timeout(std::time::Duration::from_millis(5), rec.exchange(req));
        assert!(timed.await.is_err());
        let f = rec.into_fixture();
        let x = f.exchanges.first().unwrap();
        assert_eq!((x.action.as_str(), x.request.as_str()), ("urn:a", "<x/>"));
        assert_eq!(x.error.as_ref().unwrap().kind, "interrupted");
        assert_eq!(
            x.error.as_ref().unwrap().to_error().kind(),
            crate::ErrorKind::Interrupted
        );
    }

    #[test]
    fn keep_names_redacts_nothing() {
        let r = Redaction::default().rules(&["HV01".to_string()]);
        assert!(r.is_empty());
        assert_eq!(redact("HV01", &r), "HV01");
    }
}
