//! The Kerberos handshake on one HTTP connection (issue 9; kerberos.md §3 and §9, RFC 4559):
//! the client side of the authentication-mechanism seam next to `conn::ntlm_handshake`.
//!
//! Scheme order: the first POST carries the token pre-emptively under `Negotiate` (what
//! Windows' own client, pywinrm and pypsrp send; a default listener offers `Negotiate` and
//! `Kerberos` and sniffs raw krb5 or SPNEGO inside `Negotiate`). If the 401 does not offer the
//! scheme that was sent but offers the other one, the handshake switches once (a fresh context
//! under `Kerberos`, as for Exchange-style endpoints that offer only `Kerberos`; on a new
//! connection when the 401 closed this one); never a loop.
//! Mutual authentication is required: the 200 must carry `WWW-Authenticate: <scheme> <token>`
//! and that token must complete the context, or the handshake fails with an `Auth` error.
//! Over HTTPS the context carries the RFC 5929 channel bindings (no sealing, as for NTLM).
//!
//! What this module does not do: GSSAPI itself (`crate::kerberos`), sealing (`http::encrypted`)
//! or the re-authentication rules (`http::client`). Only built with the `kerberos` feature.

use http::{HeaderValue, StatusCode, header};

use super::auth::{self, AuthScheme};
use super::config::{HttpConfig, KerberosTarget};
use super::conn::{self, Conn, Session};
use crate::error::{Error, ErrorKind};
use crate::kerberos::{ClientContext, HttpScheme, KerberosConfig, Mech};

/// Most legs of one context (krb5 needs one; SPNEGO may need a second).
const MAX_LEGS: usize = 3;

/// The GSSAPI settings for `target` under `scheme` (raw krb5 unless SPNEGO is asked for under
/// `Negotiate`).
pub(crate) fn kerberos_config(
    cfg: &HttpConfig,
    target: &KerberosTarget,
    scheme: HttpScheme,
) -> KerberosConfig {
    let mut kc = KerberosConfig::new(target.host(&cfg.endpoint.host));
    kc.spn_service = target.service().to_string();
    kc.scheme = scheme;
    kc.mech = if target.spnego && scheme == HttpScheme::Negotiate {
        Mech::Spnego
    } else {
        Mech::Krb5
    };
    kc
}

fn http_scheme(scheme: HttpScheme) -> AuthScheme {
    match scheme {
        HttpScheme::Kerberos => AuthScheme::Kerberos,
        _ => AuthScheme::Negotiate,
    }
}

fn other(scheme: HttpScheme) -> HttpScheme {
    match scheme {
        HttpScheme::Negotiate => HttpScheme::Kerberos,
        _ => HttpScheme::Negotiate,
    }
}

/// What to do after a 401 that carries no token for the scheme sent.
#[derive(Debug, PartialEq, Eq)]
enum After401 {
    /// The host offers only the other scheme: switch to it (once).
    Switch(HttpScheme),
    /// The host offers the scheme but refused the ticket.
    Rejected,
    /// The host offers neither Kerberos scheme.
    NotOffered,
}

fn after_401(sent: HttpScheme, offered: &[auth::Challenge], switched: bool) -> After401 {
    let has = |s: HttpScheme| offered.iter().any(|c| c.scheme == http_scheme(s));
    if has(sent) {
        After401::Rejected
    } else if has(other(sent)) && !switched {
        After401::Switch(other(sent))
    } else {
        After401::NotOffered
    }
}

/// Authenticate `conn` with the admin's ticket, starting under `first` (`Negotiate`, or
/// `Kerberos` after a switch); on success `conn.session` holds the context and the result is
/// `None`. `Some(next)`: the host refused the scheme sent, offered `next`, and closed the
/// connection with its 401; the caller opens a new connection and calls again with `next`
/// (the switch still happens once: a call starting under `Kerberos` does not switch back).
pub(crate) async fn kerberos_handshake(
    conn: &mut Conn,
    cfg: &HttpConfig,
    target: &KerberosTarget,
    bindings: Option<Vec<u8>>,
    first: HttpScheme,
) -> Result<Option<HttpScheme>, Error> {
    let spn = target.spn(&cfg.endpoint.host);
    let mut scheme = first;
    let mut switched = first != HttpScheme::Negotiate;
    'contexts: loop {
        let mut ctx = ClientContext::new(kerberos_config(cfg, target, scheme))?;
        if ctx.ticket_lifetime_secs() == 0 {
            // MIT would still build a token (and an acceptor within the clock-skew allowance
            // would take it), but the context could not seal a single message.
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "kerberos authentication to {spn} failed: the ticket in the cache has \
                     expired; run `kinit` again"
                ),
            ));
        }
        if let Some(b) = &bindings {
            ctx.set_channel_bindings(b.clone());
        }
        let mut token = ctx.step(None)?.ok_or_else(|| {
            Error::new(
                ErrorKind::Auth,
                format!("kerberos produced no initial token for {spn}"),
            )
        })?;
        let ours = http_scheme(scheme);
        for _ in 0..MAX_LEGS {
            let value: HeaderValue = auth::token_value(&ours, &token);
            let resp = conn::leg(conn, cfg, value, "kerberos authentication").await?;
            let challenges = auth::parse_www_authenticate(
                resp.headers
                    .get_all(header::WWW_AUTHENTICATE)
                    .iter()
                    .map(|v| v.as_bytes()),
            );
            let reply = auth::find_token(&challenges, &ours);
            if resp.status.is_success() {
                // `step` refuses a missing token (mutual authentication is required).
                let extra = ctx.step(reply.as_deref())?;
                if !ctx.is_complete() || extra.is_some() {
                    return Err(Error::new(
                        ErrorKind::Auth,
                        format!(
                            "kerberos mutual authentication with {spn} did not complete: the \
                             host's token on http {} did not finish the context",
                            resp.status.as_u16()
                        ),
                    ));
                }
                conn.session = Some(Session::Kerberos(Box::new(ctx.into_session()?), scheme));
                tracing::debug!(endpoint = %cfg.endpoint, %spn, scheme = scheme.header_name(), "kerberos context established");
                return Ok(None);
            }
            if resp.status != StatusCode::UNAUTHORIZED {
                return Err(Error::new(
                    ErrorKind::Auth,
                    format!(
                        "the host answered http {} to the kerberos authentication for {spn}",
                        resp.status.as_u16()
                    ),
                ));
            }
            if let Some(reply) = reply {
                // A continuation (SPNEGO) or a KRB-ERROR: GSSAPI names the cause.
                match ctx.step(Some(&reply))? {
                    Some(next) if !ctx.is_complete() => {
                        token = next;
                        continue;
                    }
                    _ => return Err(rejected(cfg, &spn, scheme)),
                }
            }
            match after_401(scheme, &challenges, switched) {
                After401::Switch(next) => {
                    tracing::debug!(
                        from = scheme.header_name(),
                        to = next.header_name(),
                        "kerberos: the host does not offer the scheme sent; switching once"
                    );
                    if closes(&resp.headers) || conn.sender.is_closed() {
                        return Ok(Some(next));
                    }
                    scheme = next;
                    switched = true;
                    continue 'contexts;
                }
                After401::Rejected => return Err(rejected(cfg, &spn, scheme)),
                After401::NotOffered => {
                    return Err(Error::new(
                        ErrorKind::Auth,
                        format!(
                            "{} does not offer kerberos (schemes offered: {}); enable Kerberos or \
                             Negotiate on the WinRM service, or use --auth ntlm",
                            cfg.endpoint,
                            auth::scheme_list(&challenges)
                        ),
                    ));
                }
            }
        }
        return Err(Error::new(
            ErrorKind::Auth,
            format!("kerberos authentication with {spn} did not finish in {MAX_LEGS} legs"),
        ));
    }
}

/// Whether a response ends its connection (`Connection: close`).
fn closes(headers: &http::HeaderMap) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("close"))
}

/// The error for a 401 to a Kerberos token, with the likely causes.
fn rejected(cfg: &HttpConfig, spn: &str, scheme: HttpScheme) -> Error {
    let binding = if cfg.endpoint.is_https() {
        "the channel bindings did not match (a tls-intercepting proxy between here and the host?)"
    } else {
        "the host requires channel binding (use https)"
    };
    Error::new(
        ErrorKind::Auth,
        format!(
            "{} rejected the kerberos ticket for {spn} (scheme {}); likely causes: the SPN is \
             registered on another account (try --spn-service host, check `setspn -L` on the host), \
             the user is not in Administrators or Remote Management Users on the host, Kerberos is \
             disabled on the WinRM service, or {binding}",
            cfg.endpoint,
            scheme.header_name()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Endpoint;

    fn challenges(v: &[&str]) -> Vec<auth::Challenge> {
        auth::parse_www_authenticate(v.iter().map(|s| s.as_bytes()))
    }

    #[test]
    fn kerberos_scheme_switch_happens_once_and_only_when_offered() {
        let only_kerberos = challenges(&["Kerberos"]);
        let both = challenges(&["Negotiate", "Kerberos"]);
        let basic = challenges(&["Basic realm=\"WSMAN\""]);
        let neg = HttpScheme::Negotiate;
        assert_eq!(
            after_401(neg, &only_kerberos, false),
            After401::Switch(HttpScheme::Kerberos)
        );
        assert_eq!(after_401(neg, &only_kerberos, true), After401::NotOffered);
        assert_eq!(after_401(neg, &both, false), After401::Rejected);
        assert_eq!(after_401(neg, &basic, false), After401::NotOffered);
        assert_eq!(
            after_401(HttpScheme::Kerberos, &challenges(&["Negotiate"]), false),
            After401::Switch(HttpScheme::Negotiate)
        );
    }

    #[test]
    fn kerberos_config_follows_target_and_scheme() {
        let ep = Endpoint::parse("127.0.0.1:5985", false).unwrap_or_else(|e| panic!("{e}"));
        let cfg = HttpConfig::new(ep, "", "");
        let mut t = KerberosTarget {
            spn_service: Some("host".into()),
            spn_host: Some("hv01.hvlab.test".into()),
            spnego: true,
        };
        let k = kerberos_config(&cfg, &t, HttpScheme::Negotiate);
        assert_eq!(k.spn(), "host/hv01.hvlab.test");
        assert_eq!(k.mech, Mech::Spnego);
        assert_eq!(
            k.scheme.protocol(),
            super::super::encrypted::SPNEGO_PROTOCOL
        );
        let k = kerberos_config(&cfg, &t, HttpScheme::Kerberos);
        assert_eq!(k.mech, Mech::Krb5);
        assert_eq!(
            k.scheme.protocol(),
            super::super::encrypted::KERBEROS_PROTOCOL
        );
        t.spn_host = None;
        let k = kerberos_config(&cfg, &t, HttpScheme::Negotiate);
        assert!(k.target_name().is_err(), "an ip address has no spn");
        let msg = rejected(&cfg, "HTTP/x", HttpScheme::Kerberos).to_string();
        assert!(msg.contains("--spn-service host") && msg.contains("setspn"));
    }
}
