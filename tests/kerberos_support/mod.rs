//! Shared harness for the `kerberos_*` tests: a throw-away MIT realm per test
//! (scripts/krb-realm.sh) and the python-gssapi acceptor (tests/py/krb_acceptor.py).
//!
//! GSSAPI reads KRB5_CONFIG / KRB5CCNAME from the process environment, which this crate may not
//! set (no `unsafe`). So [`in_realm`] starts a realm in a temp dir, re-runs the current test
//! binary for just that test with the realm's environment, checks that exactly one test passed
//! there, and stops the realm. Needs: krb5-kdc krb5-admin-server krb5-user python3-gssapi.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

const CASE_VAR: &str = "HVREMOTE_KRB_CASE";

/// The hvremote binary with `env` added and then nothing but the realm's ticket cache to
/// authenticate with: no password, user or keytab in its environment (removed after `env`, which
/// may be a realm's and name the acceptor's keytab), no stdin to prompt on.
pub fn ticket_only_hvremote(env: &[(String, String)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hvremote"));
    c.envs(env.iter().map(|(k, v)| (k, v)))
        .env_remove("HVREMOTE_PASSWORD")
        .env_remove("HVREMOTE_USER")
        .env_remove("KRB5_KTNAME")
        .env_remove("KRB5_CLIENT_KTNAME")
        .stdin(Stdio::null());
    c
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

/// A realm in a temp dir, stopped (by PID, in the script) on drop.
pub struct Realm {
    dir: tempfile::TempDir,
}

impl Realm {
    pub fn up(enctypes: &str) -> Realm {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new("bash")
            .arg(root().join("scripts/krb-realm.sh"))
            .arg("up")
            .arg(dir.path().join("realm"))
            .env("KRB_REALM_PORT", free_port().to_string())
            .env("KRB_REALM_ENCTYPES", enctypes)
            .output()
            .expect("run krb-realm.sh");
        let realm = Realm { dir };
        assert!(
            out.status.success(),
            "realm up failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        realm
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("realm")
    }

    pub fn env(&self) -> Vec<(String, String)> {
        let d = self.path().display().to_string();
        vec![
            ("KRB5_CONFIG".into(), format!("{d}/krb5.conf")),
            ("KRB5_KDC_PROFILE".into(), format!("{d}/kdc.conf")),
            ("KRB5CCNAME".into(), format!("FILE:{d}/ccache")),
            ("KRB5_KTNAME".into(), format!("FILE:{d}/http.keytab")),
            ("KRB_REALM_DIR".into(), d),
        ]
    }
}

impl Drop for Realm {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(root().join("scripts/krb-realm.sh"))
            .arg("down")
            .arg(self.path())
            .status();
    }
}

/// Run `body` inside a fresh realm (see the module docs); `tweak` adjusts the child's env.
pub fn in_realm(name: &str, enctypes: &str, tweak: fn(&Path) -> Vec<(String, String)>, body: fn()) {
    if std::env::var(CASE_VAR).as_deref() == Ok(name) {
        body();
        return;
    }
    let realm = Realm::up(enctypes);
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .envs(realm.env())
        .envs(tweak(&realm.path()))
        .env(CASE_VAR, name)
        .env_remove("KRB5_CLIENT_KTNAME")
        .output()
        .expect("re-run the test binary");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{name} in realm:\n{text}"
    );
}

pub fn no_tweak(_: &Path) -> Vec<(String, String)> {
    Vec::new()
}

/// The python-gssapi acceptor on stdin/stdout.
pub struct Py {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Py {
    pub fn start() -> Py {
        let mut child = Command::new("/usr/bin/python3")
            .arg(root().join("tests/py/krb_acceptor.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start /usr/bin/python3 tests/py/krb_acceptor.py");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Py {
            child,
            stdin,
            stdout,
        }
    }

    /// Send a command; Ok(fields) or Err(text).
    pub fn call(&mut self, cmd: &str, args: &[&[u8]]) -> Result<Vec<Vec<u8>>, String> {
        let mut line = cmd.to_string();
        for a in args {
            line.push(' ');
            line.push_str(&if a.is_empty() {
                "-".into()
            } else {
                B64.encode(a)
            });
        }
        writeln!(self.stdin, "{line}").expect("write to python");
        let mut answer = String::new();
        self.stdout
            .read_line(&mut answer)
            .expect("read from python");
        match answer
            .trim_end()
            .split_once(' ')
            .unwrap_or((answer.trim_end(), ""))
        {
            ("ok", rest) => Ok(rest
                .split(' ')
                .map(|w| {
                    if w == "-" {
                        Vec::new()
                    } else {
                        B64.decode(w).unwrap_or_else(|_| w.as_bytes().to_vec())
                    }
                })
                .collect()),
            (_, rest) => Err(rest.to_string()),
        }
    }
}

impl Drop for Py {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
