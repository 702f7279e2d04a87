//! HTTP authentication header codec: `WWW-Authenticate` (client side) and `Authorization`
//! (both sides).
//!
//! * [`parse_www_authenticate`] reads any number of header values, each possibly holding several
//!   comma-joined challenges (RFC 9110 §11.6.1), e.g. `Negotiate, Kerberos` or
//!   `Negotiate TlRMTVNTUAAC…` or `Basic realm="WSMAN"`. Scheme names are case-insensitive.
//!   Arbitrary bytes never panic; unreadable parts are skipped.
//! * [`negotiate_value`] / [`basic_value`] build `Authorization` values (marked sensitive so
//!   hyper never logs them); [`parse_authorization`] reads one on the server side (the simulated
//!   host).
//!
//! WinRM puts raw NTLMSSP (or SPNEGO) tokens in the `Negotiate` scheme (winrm-wire.md §1.2).
//! What this module does not do: run a handshake (see `http::client`) or NTLM itself (`ntlm`).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use http::HeaderValue;

use crate::error::{Error, ErrorKind};

/// An HTTP authentication scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthScheme {
    /// `Negotiate` (SPNEGO; WinRM also accepts raw NTLMSSP here).
    Negotiate,
    /// `Kerberos`.
    Kerberos,
    /// `NTLM`.
    Ntlm,
    /// `Basic`.
    Basic,
    /// Any other scheme, as sent.
    Other(String),
}

impl AuthScheme {
    fn from_name(name: &str) -> AuthScheme {
        match name.to_ascii_lowercase().as_str() {
            "negotiate" => AuthScheme::Negotiate,
            "kerberos" => AuthScheme::Kerberos,
            "ntlm" => AuthScheme::Ntlm,
            "basic" => AuthScheme::Basic,
            _ => AuthScheme::Other(name.to_string()),
        }
    }

    /// The scheme name as written in headers.
    pub fn name(&self) -> &str {
        match self {
            AuthScheme::Negotiate => "Negotiate",
            AuthScheme::Kerberos => "Kerberos",
            AuthScheme::Ntlm => "NTLM",
            AuthScheme::Basic => "Basic",
            AuthScheme::Other(s) => s,
        }
    }
}

/// One challenge from a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme.
    pub scheme: AuthScheme,
    /// The token68 (base64) that follows the scheme, if any.
    pub token: Option<String>,
    /// `name=value` parameters (e.g. `realm`), quotes removed.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// The decoded token; `None` when there is no token or it is not valid base64.
    pub fn decoded_token(&self) -> Option<Vec<u8>> {
        self.token.as_deref().and_then(|t| B64.decode(t).ok())
    }
}

/// Parse all `WWW-Authenticate` values of a response.
pub fn parse_www_authenticate<'a, I>(values: I) -> Vec<Challenge>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut out: Vec<Challenge> = Vec::new();
    for value in values {
        let Ok(text) = std::str::from_utf8(value) else {
            continue;
        };
        for piece in split_commas(text) {
            parse_piece(piece.trim(), &mut out);
        }
    }
    out
}

/// The decoded token of the first challenge of `scheme` (used to read the NTLM CHALLENGE).
pub fn find_token(challenges: &[Challenge], scheme: &AuthScheme) -> Option<Vec<u8>> {
    challenges
        .iter()
        .filter(|c| &c.scheme == scheme)
        .find_map(Challenge::decoded_token)
}

/// Names of the advertised schemes, for error messages (`"Negotiate, Kerberos"`).
pub fn scheme_list(challenges: &[Challenge]) -> String {
    let names: Vec<&str> = challenges.iter().map(|c| c.scheme.name()).collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

fn split_commas(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(text.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text.get(start..).unwrap_or(""));
    parts
}

fn parse_piece(piece: &str, out: &mut Vec<Challenge>) {
    if piece.is_empty() {
        return;
    }
    let (first, rest) = match piece.split_once(char::is_whitespace) {
        Some((f, r)) => (f, r.trim()),
        None => (piece, ""),
    };
    if first.contains('=') {
        // A parameter of the previous challenge (`realm="x"` after a comma).
        if let (Some(prev), Some(p)) = (out.last_mut(), parse_param(piece)) {
            prev.params.push(p);
        }
        return;
    }
    if !first.chars().all(is_tchar) {
        return;
    }
    let mut challenge = Challenge {
        scheme: AuthScheme::from_name(first),
        token: None,
        params: Vec::new(),
    };
    if is_token68(rest) {
        challenge.token = Some(rest.to_string());
    } else if let Some(p) = parse_param(rest) {
        challenge.params.push(p);
    }
    out.push(challenge);
}

fn parse_param(text: &str) -> Option<(String, String)> {
    let (name, value) = text.split_once('=')?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(is_tchar) {
        return None;
    }
    let value = value.trim();
    let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_string(),
    };
    Some((name.to_ascii_lowercase(), value))
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~+/".contains(c))
}

/// `Authorization: Negotiate <base64 token>` (marked sensitive).
pub fn negotiate_value(token: &[u8]) -> HeaderValue {
    sensitive(format!("Negotiate {}", B64.encode(token)))
}

/// `Authorization: <scheme> <base64 token>` (marked sensitive), e.g. `Kerberos` or `Negotiate`.
pub fn token_value(scheme: &AuthScheme, token: &[u8]) -> HeaderValue {
    sensitive(format!("{} {}", scheme.name(), B64.encode(token)))
}

/// `Authorization: Basic <base64 user:password>` (marked sensitive). RFC 7617 forbids `:` in
/// the user name.
pub fn basic_value(user: &str, password: &str) -> Result<HeaderValue, Error> {
    if user.contains(':') {
        return Err(Error::new(
            ErrorKind::Usage,
            "basic authentication cannot carry a user name containing ':'",
        ));
    }
    let raw = zeroize::Zeroizing::new(format!("{user}:{password}"));
    Ok(sensitive(format!("Basic {}", B64.encode(raw.as_bytes()))))
}

fn sensitive(value: String) -> HeaderValue {
    let value = zeroize::Zeroizing::new(value);
    // Base64 and ASCII scheme names are always valid header bytes.
    let mut v = HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""));
    v.set_sensitive(true);
    v
}

/// A parsed `Authorization` header (server side). `Debug` never shows secrets.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Authorization {
    /// `Negotiate <token>`: raw NTLMSSP or SPNEGO.
    Negotiate(Vec<u8>),
    /// `NTLM <token>`.
    Ntlm(Vec<u8>),
    /// `Kerberos <token>`.
    Kerberos(Vec<u8>),
    /// `Basic` user and password.
    Basic {
        /// User name.
        user: String,
        /// Password (never printed).
        password: String,
    },
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authorization::Negotiate(t) => write!(f, "Negotiate({} bytes)", t.len()),
            Authorization::Ntlm(t) => write!(f, "Ntlm({} bytes)", t.len()),
            Authorization::Kerberos(t) => write!(f, "Kerberos({} bytes)", t.len()),
            Authorization::Basic { user, .. } => write!(f, "Basic({user:?}, <redacted>)"),
        }
    }
}

/// Parse an `Authorization` header value.
pub fn parse_authorization(value: &[u8]) -> Result<Authorization, Error> {
    let bad = |why: &str| {
        Error::new(
            ErrorKind::Auth,
            format!("malformed authorization header: {why}"),
        )
    };
    let text = std::str::from_utf8(value).map_err(|_| bad("not utf-8"))?;
    let (scheme, rest) = text
        .trim()
        .split_once(' ')
        .ok_or_else(|| bad("no credentials"))?;
    let decoded = B64
        .decode(rest.trim())
        .map_err(|_| bad("credentials are not base64"))?;
    match AuthScheme::from_name(scheme) {
        AuthScheme::Negotiate => Ok(Authorization::Negotiate(decoded)),
        AuthScheme::Ntlm => Ok(Authorization::Ntlm(decoded)),
        AuthScheme::Kerberos => Ok(Authorization::Kerberos(decoded)),
        AuthScheme::Basic => {
            let pair =
                String::from_utf8(decoded).map_err(|_| bad("basic credentials are not utf-8"))?;
            let (user, password) = pair
                .split_once(':')
                .ok_or_else(|| bad("basic credentials lack ':'"))?;
            Ok(Authorization::Basic {
                user: user.to_string(),
                password: password.to_string(),
            })
        }
        AuthScheme::Other(s) => Err(bad(&format!("unsupported scheme {s:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(values: &[&str]) -> Vec<Challenge> {
        parse_www_authenticate(values.iter().map(|v| v.as_bytes()))
    }

    #[test]
    fn separate_headers_and_comma_joined() {
        let a = parse(&["Negotiate", "Kerberos"]);
        let b = parse(&["negotiate, KERBEROS"]);
        assert_eq!(a, b);
        assert_eq!(scheme_list(&a), "Negotiate, Kerberos");
    }

    #[test]
    fn token_and_params() {
        let c = parse(&["Negotiate TlRMTVNTUAACAAAA, Basic realm=\"WSMAN, x\", charset=\"UTF-8\""]);
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0].decoded_token().as_deref(),
            Some(&b"NTLMSSP\0\x02\0\0\0"[..])
        );
        assert_eq!(c[1].scheme, AuthScheme::Basic);
        assert_eq!(
            c[1].params,
            vec![
                ("realm".to_string(), "WSMAN, x".to_string()),
                ("charset".to_string(), "UTF-8".to_string()),
            ]
        );
        assert_eq!(
            find_token(&c, &AuthScheme::Negotiate).map(|t| t.len()),
            Some(12)
        );
        assert_eq!(find_token(&c, &AuthScheme::Ntlm), None);
    }

    #[test]
    fn garbage_is_skipped() {
        let c = parse_www_authenticate([&b"\xff\xfe"[..], b",,, =x, \"Neg\" y", b"NTLM !!!"]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, AuthScheme::Ntlm);
        assert_eq!(c[0].decoded_token(), None);
    }

    #[test]
    fn authorization_round_trip() {
        let v = negotiate_value(b"NTLMSSP\0");
        assert!(v.is_sensitive());
        let k = token_value(&AuthScheme::Kerberos, b"\x60\x01");
        assert!(k.is_sensitive());
        assert_eq!(k.as_bytes(), b"Kerberos YAE=");
        assert_eq!(
            parse_authorization(k.as_bytes()).ok(),
            Some(Authorization::Kerberos(b"\x60\x01".to_vec()))
        );
        assert_eq!(
            parse_authorization(v.as_bytes()).ok(),
            Some(Authorization::Negotiate(b"NTLMSSP\0".to_vec()))
        );
        let b = basic_value("admin", "p:w").ok();
        let parsed = b.and_then(|b| parse_authorization(b.as_bytes()).ok());
        assert_eq!(
            parsed,
            Some(Authorization::Basic {
                user: "admin".into(),
                password: "p:w".into()
            })
        );
        assert!(basic_value("a:b", "x").is_err());
    }

    #[test]
    fn authorization_errors_and_debug() {
        for bad in [
            &b"Negotiate"[..],
            b"Negotiate !!",
            b"Foo YQ==",
            b"\xff x",
            b"Basic YQ==",
        ] {
            assert_eq!(
                parse_authorization(bad).err().map(|e| e.kind()),
                Some(ErrorKind::Auth)
            );
        }
        let a = Authorization::Basic {
            user: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{a:?}").contains("hunter2"));
    }
}
