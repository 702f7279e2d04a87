//! Shared set-up of the tests that run the real `hvremote` binary: the command with its
//! password in `HVREMOTE_PASSWORD` (never a flag) and no host or user taken from the
//! environment, what one run produced, the `--replay` command line, the fixture corpus folder,
//! and a simulated host started on `127.0.0.1:0` with a given account.
//!
//! Included as `mod support;` by test files and through `e2e_support` by the end-to-end tests.
//! What it does not: decide what a test checks (each test file keeps its own assertions).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hvremote::sim::SimConfig;
use hvremote::sim::server::{ServerOptions, SimServer};
use serde_json::Value;

/// The binary with `password` in the environment and stdin closed; `HVREMOTE_HOST` and
/// `HVREMOTE_USER` removed so that only the arguments given count.
pub fn command(password: &str) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_hvremote"));
    c.env_remove("HVREMOTE_HOST")
        .env_remove("HVREMOTE_USER")
        .env("HVREMOTE_PASSWORD", password)
        .stdin(std::process::Stdio::null());
    c
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    /// Exit code (None when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Stdout as JSON (panics with both streams when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not json ({e}): {self:?}"))
    }

    /// Stdout as JSON, or null when it is not JSON.
    pub fn json_or_null(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or(Value::Null)
    }

    /// The exit code, -1 when killed by a signal.
    pub fn code_or_signal(&self) -> i32 {
        self.code.unwrap_or(-1)
    }

    /// Assert the exit code, showing both streams when it differs.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "{self:?}");
        self
    }

    /// Stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Run the binary with `args` and `password` (see [`command`]) to its end.
pub async fn run(password: &str, args: &[impl AsRef<std::ffi::OsStr>]) -> Run {
    let out = command(password)
        .args(args)
        .output()
        .await
        .expect("run hvremote");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Owned copies of `v`.
pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The command line replaying `fixture` for `cmd` (quiet, JSON).
pub fn replay_args(fixture: &Path, cmd: &[String]) -> Vec<String> {
    let mut v = strings(&["-q", "-o", "json", "--replay"]);
    v.push(fixture.display().to_string());
    v.extend(cmd.iter().cloned());
    v
}

/// The committed fixture corpus, `fixtures/hyperv/`.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hyperv")
}

/// Start a simulated host for `config` on `127.0.0.1:0` that accepts `user` / `password`.
pub async fn start_sim(
    mut config: SimConfig,
    user: &str,
    password: &str,
    options: ServerOptions,
) -> SimServer {
    config.user = user.into();
    config.password = password.into();
    SimServer::start(config, options)
        .await
        .expect("start the simulated host")
}
