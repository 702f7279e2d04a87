//! Reading the password: `HVREMOTE_PASSWORD`, the first line of stdin (`--password-stdin`), or
//! a no-echo prompt when stdin is a terminal. Never from a flag value.
//!
//! The password is held in [`Secret`], whose `Debug` shows only `<redacted>` and whose memory is
//! wiped on drop. Nothing here logs or prints the value.

use std::io::{BufRead, IsTerminal};

use zeroize::Zeroizing;

use super::config::PasswordSource;
use crate::error::{Error, ErrorKind};

/// Name of the password environment variable.
pub const PASSWORD_ENV: &str = "HVREMOTE_PASSWORD";

/// A secret string: redacted in `Debug`, zeroed on drop.
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wrap a value.
    pub fn new(s: String) -> Self {
        Secret(Zeroizing::new(s))
    }
    /// The value (use only to hand it to authentication).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Read one line from `reader`, without its line ending.
pub fn read_line_from(mut reader: impl BufRead) -> Result<Secret, Error> {
    let mut line = Zeroizing::new(String::new());
    reader.read_line(&mut line).map_err(|e| {
        Error::new(ErrorKind::Io, "cannot read the password from stdin").with_source(e)
    })?;
    let trimmed = line.trim_end_matches(['\r', '\n']);
    if trimmed.is_empty() {
        return Err(Error::new(ErrorKind::Usage, "empty password on stdin"));
    }
    Ok(Secret::new(trimmed.to_string()))
}

/// Obtain the password from `source` (prompting for `user` on a terminal).
pub fn obtain(source: PasswordSource, user: &str) -> Result<Secret, Error> {
    match source {
        PasswordSource::Env => match std::env::var(PASSWORD_ENV) {
            Ok(v) => Ok(Secret::new(v)),
            Err(_) => Err(Error::new(
                ErrorKind::Usage,
                format!("{PASSWORD_ENV} is not valid unicode or not set"),
            )),
        },
        PasswordSource::Stdin => read_line_from(std::io::stdin().lock()),
        PasswordSource::Prompt => {
            if !std::io::stdin().is_terminal() {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!(
                        "no password: set {PASSWORD_ENV}, use --password-stdin, or run on a terminal"
                    ),
                ));
            }
            rpassword::prompt_password(format!("password for {user}: "))
                .map(Secret::new)
                .map_err(|e| Error::new(ErrorKind::Io, "cannot read the password").with_source(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn stdin_line_is_trimmed() {
        let s = read_line_from(&b"p@ss word\r\nmore"[..]).unwrap();
        assert_eq!(s.expose(), "p@ss word");
        assert_eq!(
            read_line_from(&b"\n"[..]).unwrap_err().kind(),
            ErrorKind::Usage
        );
    }
}
