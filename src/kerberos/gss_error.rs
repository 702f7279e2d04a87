//! GSSAPI failures turned into specific `ErrorKind::Auth` errors with a hint (issue 9 item 4,
//! kerberos.md §6.2 and §10).
//!
//! The text always comes from `gss_display_status` through libgssapi's `Display` (its `Debug`
//! prints the routine-error field as misleading bitflags). The hint is chosen from the MIT krb5
//! minor code (`krb5_err.h` values) or, failing that, the GSS major code. What it does not do:
//! retry, or print anything.

use crate::error::{Error, ErrorKind};

/// Why a GSSAPI call failed, as far as a user can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    NoTicket,
    UnknownSpn,
    ClockSkew,
    KdcUnreachable,
    WrongRealm,
    TicketExpired,
    Modified,
    Enctype,
    Other,
}

// MIT krb5 com_err codes (krb5.h); libgssapi hands the minor status over as u32.
const KRB5_FCC_NOFILE: i32 = -1_765_328_189;
const KRB5_CC_NOTFOUND: i32 = -1_765_328_243;
const KRB5_CC_END: i32 = -1_765_328_242;
const KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN: i32 = -1_765_328_377;
const KRB5KRB_AP_ERR_SKEW: i32 = -1_765_328_347;
const KRB5_KDC_UNREACH: i32 = -1_765_328_228;
const KRB5_REALM_UNKNOWN: i32 = -1_765_328_230;
const KRB5_REALM_CANT_RESOLVE: i32 = -1_765_328_164;
const KRB5_CONFIG_NODEFREALM: i32 = -1_765_328_160;
const KRB5KDC_ERR_WRONG_REALM: i32 = -1_765_328_316;
const KRB5KRB_AP_ERR_TKT_EXPIRED: i32 = -1_765_328_352;
const KRB5KRB_AP_ERR_MODIFIED: i32 = -1_765_328_343;
const KRB5KDC_ERR_ETYPE_NOSUPP: i32 = -1_765_328_370;
// gssapi krb5 mechanism codes (gssapi_err_krb5.et, base 39756032).
const KG_EMPTY_CCACHE: i32 = 39_756_044;
// GSS major routine errors (RFC 2744), shifted into place.
const GSS_S_NO_CRED: u32 = 7 << 16;
const GSS_S_CREDENTIALS_EXPIRED: u32 = 11 << 16;
const GSS_S_CONTEXT_EXPIRED: u32 = 12 << 16;
const ROUTINE_MASK: u32 = 0xff << 16;

/// Classify by minor code first, then by major code.
pub(crate) fn classify(major: u32, minor: u32) -> Cause {
    match minor as i32 {
        KRB5_FCC_NOFILE | KRB5_CC_NOTFOUND | KRB5_CC_END | KG_EMPTY_CCACHE => Cause::NoTicket,
        KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN => Cause::UnknownSpn,
        KRB5KRB_AP_ERR_SKEW => Cause::ClockSkew,
        KRB5_KDC_UNREACH => Cause::KdcUnreachable,
        KRB5_REALM_UNKNOWN
        | KRB5_REALM_CANT_RESOLVE
        | KRB5_CONFIG_NODEFREALM
        | KRB5KDC_ERR_WRONG_REALM => Cause::WrongRealm,
        KRB5KRB_AP_ERR_TKT_EXPIRED => Cause::TicketExpired,
        KRB5KRB_AP_ERR_MODIFIED => Cause::Modified,
        KRB5KDC_ERR_ETYPE_NOSUPP => Cause::Enctype,
        _ => match major & ROUTINE_MASK {
            GSS_S_NO_CRED => Cause::NoTicket,
            GSS_S_CREDENTIALS_EXPIRED | GSS_S_CONTEXT_EXPIRED => Cause::TicketExpired,
            _ => Cause::Other,
        },
    }
}

/// The hint appended to the GSSAPI text; `spn` is `service/host`.
pub(crate) fn hint(cause: Cause, spn: &str) -> String {
    match cause {
        Cause::NoTicket => "no usable kerberos ticket: run `kinit user@REALM` (realm in upper \
                            case) or point KRB5CCNAME at your ticket cache"
            .to_string(),
        Cause::UnknownSpn => format!(
            "the kdc does not know the service principal {spn}: try `--spn-service host`, use the \
             host's fqdn (not an ip address or alias) or `--spn-host`, and check `setspn -L` on \
             the host's computer account"
        ),
        Cause::ClockSkew => "clock skew too great between this machine and the kdc or the host \
                             (kerberos allows 5 minutes): sync the clock (ntp)"
            .to_string(),
        Cause::KdcUnreachable => "cannot reach a kdc for the realm: check the [realms] kdc \
                                  entries or dns_lookup_kdc in krb5.conf and the network path to \
                                  port 88"
            .to_string(),
        Cause::WrongRealm => format!(
            "the ticket's realm cannot reach {spn}: map the host's domain to its realm in \
             krb5.conf [domain_realm], or kinit as a user of the host's realm (or a trusting one)"
        ),
        Cause::TicketExpired => "the kerberos ticket has expired: run `kinit` again".to_string(),
        Cause::Modified => format!(
            "the host could not decrypt the ticket for {spn} (wrong key or wrong account): try \
             `--spn-service host`, or check that {spn} is registered on the host's own account"
        ),
        Cause::Enctype => "the kdc and this machine share no encryption type: check \
                           permitted_enctypes in krb5.conf (aes is expected)"
            .to_string(),
        Cause::Other => String::new(),
    }
}

/// Build the hvremote error for a failed GSSAPI `call` (lowercase, specific, `Auth`).
pub(crate) fn gss_failure(call: &str, spn: &str, e: &libgssapi::error::Error) -> Error {
    let text = e.to_string();
    let cause = match classify(e.major.bits(), e.minor) {
        // No cross-realm key for the target's realm: the ticket is for the wrong realm.
        Cause::UnknownSpn if text.contains("krbtgt/") => Cause::WrongRealm,
        c => c,
    };
    auth_error(call, spn, cause, &text)
}

/// Same as [`gss_failure`] from parts (used by tests and the ticket probe).
pub(crate) fn auth_error(call: &str, spn: &str, cause: Cause, text: &str) -> Error {
    let text = text.trim();
    let hint = hint(cause, spn);
    let message = if hint.is_empty() {
        format!("kerberos {call} failed: {text}")
    } else {
        format!("kerberos {call} failed: {text}; {hint}")
    };
    Error::new(ErrorKind::Auth, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_codes_pick_the_cause() {
        let m = |c: i32| classify(13 << 16, c as u32);
        assert_eq!(m(KRB5_FCC_NOFILE), Cause::NoTicket);
        assert_eq!(m(KG_EMPTY_CCACHE), Cause::NoTicket);
        assert_eq!(m(KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN), Cause::UnknownSpn);
        assert_eq!(m(KRB5KRB_AP_ERR_SKEW), Cause::ClockSkew);
        assert_eq!(m(KRB5_KDC_UNREACH), Cause::KdcUnreachable);
        assert_eq!(m(KRB5_REALM_CANT_RESOLVE), Cause::WrongRealm);
        assert_eq!(m(12345), Cause::Other);
        assert_eq!(classify(GSS_S_NO_CRED, 0), Cause::NoTicket);
        assert_eq!(classify(GSS_S_CONTEXT_EXPIRED, 0), Cause::TicketExpired);
    }

    #[test]
    fn messages_are_auth_errors_with_hints() {
        let e = auth_error(
            "init",
            "HTTP/x.test",
            Cause::UnknownSpn,
            "Server not found ",
        );
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(
            e.to_string()
                .starts_with("kerberos init failed: Server not found; ")
        );
        assert!(e.to_string().contains("--spn-service host"));
        assert!(e.to_string().contains("setspn"));
        let e = auth_error("init", "s", Cause::NoTicket, "No credentials");
        assert!(e.to_string().contains("kinit user@REALM"));
        let e = auth_error("wrap", "s", Cause::Other, "boom");
        assert_eq!(e.to_string(), "kerberos wrap failed: boom");
    }
}
