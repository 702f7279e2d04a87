//! THE exit-code table (issue 4): the only place that decides how a failure ends the process.
//!
//! 0 success (also when stdout's reader goes away early, as with `| head`: the command stops
//! quietly, see `cli::output`); 1 the remote operation failed (fault, method return code, job ended in error, VM
//! or job not found); 2 usage or bad input (also a replay mismatch); 3 authentication failed;
//! 4 connection, TLS or timeout failure (also `--wait-timeout` expiry); 130 interrupted.

use crate::error::{Error, ErrorKind};

/// Success.
pub const SUCCESS: u8 = 0;
/// The remote operation failed.
pub const REMOTE_FAILED: u8 = 1;
/// Usage or bad input.
pub const USAGE: u8 = 2;
/// Authentication failed.
pub const AUTH: u8 = 3;
/// Connection, TLS or timeout failure.
pub const CONNECT: u8 = 4;
/// Interrupted (Ctrl-C).
pub const INTERRUPTED: u8 = 130;

/// The exit code for an error kind.
pub fn code_for_kind(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Fault
        | ErrorKind::MethodFailed
        | ErrorKind::JobFailed
        | ErrorKind::NotFound
        | ErrorKind::Protocol
        | ErrorKind::LimitExceeded => REMOTE_FAILED,
        ErrorKind::Usage | ErrorKind::Replay | ErrorKind::Io => USAGE,
        ErrorKind::Auth => AUTH,
        ErrorKind::Connect | ErrorKind::Tls | ErrorKind::Timeout => CONNECT,
        ErrorKind::Interrupted => INTERRUPTED,
    }
}

/// The exit code for an error.
pub fn code_for(err: &Error) -> u8 {
    code_for_kind(err.kind())
}

/// A short machine-readable name for an error kind (the `kind` field of JSON errors).
pub fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Usage => "usage",
        ErrorKind::Auth => "auth",
        ErrorKind::Connect => "connect",
        ErrorKind::Tls => "tls",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Protocol => "protocol",
        ErrorKind::Fault => "fault",
        ErrorKind::MethodFailed => "method_failed",
        ErrorKind::JobFailed => "job_failed",
        ErrorKind::NotFound => "not_found",
        ErrorKind::LimitExceeded => "limit_exceeded",
        ErrorKind::Replay => "replay",
        ErrorKind::Interrupted => "interrupted",
        ErrorKind::Io => "io",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_contract() {
        let cases = [
            (ErrorKind::Fault, 1),
            (ErrorKind::MethodFailed, 1),
            (ErrorKind::JobFailed, 1),
            (ErrorKind::NotFound, 1),
            (ErrorKind::Usage, 2),
            (ErrorKind::Replay, 2),
            (ErrorKind::Auth, 3),
            (ErrorKind::Connect, 4),
            (ErrorKind::Tls, 4),
            (ErrorKind::Timeout, 4),
            (ErrorKind::Interrupted, 130),
        ];
        for (k, c) in cases {
            assert_eq!(code_for_kind(k), c, "{k:?}");
            assert_eq!(code_for(&Error::new(k, "x")), c);
        }
    }

    #[test]
    fn kind_names_are_distinct() {
        let kinds = [
            ErrorKind::Usage,
            ErrorKind::Auth,
            ErrorKind::Connect,
            ErrorKind::Tls,
            ErrorKind::Timeout,
            ErrorKind::Protocol,
            ErrorKind::Fault,
            ErrorKind::MethodFailed,
            ErrorKind::JobFailed,
            ErrorKind::NotFound,
            ErrorKind::LimitExceeded,
            ErrorKind::Replay,
            ErrorKind::Interrupted,
            ErrorKind::Io,
        ];
        let mut names: Vec<_> = kinds.iter().map(|k| kind_name(*k)).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), kinds.len());
    }
}
