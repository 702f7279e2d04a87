//! The fixture corpus under `fixtures/hyperv/` (GitHub issue 6, item 5; fixtures/README.md).
//!
//! * `corpus_replays_to_documented_outcome`: every `<name>.json` fixture replays through the
//!   real binary (`--replay`, no network, no simulator) to the exit code and JSON stored in
//!   `<name>.expected.json`.
//! * `regeneration_reproduces_committed_fixtures` (the drift check): every case of `fixtures/hyperv/cases.toml` is
//!   recorded again against the simulated host (in-process `SimServer`, real HTTP + NTLM +
//!   sealing on loopback, the real binary with `--record`) into a temporary directory and
//!   compared with the committed files, masking what differs on every run (MessageIDs,
//!   datetimes and intervals, `elapsed_ms`). With `HVREMOTE_REGEN_FIXTURES=1` it writes into
//!   `fixtures/hyperv/` instead (that is what `scripts/regen-fixtures.sh` runs).

mod support;

use std::path::Path;

use hvremote::sim::SimConfig;
use hvremote::sim::server::ServerOptions;
use hvremote::transport::fixture::Fixture;
use hvremote::transport::normalize::normalize;
use serde::Deserialize;
use serde_json::{Value, json};
use support::{corpus_dir, replay_args, strings};

/// The simulated host's account (test credentials, not a secret).
const USER: &str = "admin";
const PASSWORD: &str = "Corpus-Passw0rd!";
/// The simulated host's logical clock step (see `ServerOptions::clock_step`).
const CLOCK_STEP: std::time::Duration = std::time::Duration::from_millis(50);
/// The port written into fixtures in place of the ephemeral one the recording used.
const FIXED_PORT: &str = "5985";

/// One corpus entry (`fixtures/hyperv/cases.toml`): which simulated host, what to record.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    scenario: String,
    docs: String,
    /// Run an unrecorded `export --no-wait` first; `{job}` in `args` is its job InstanceID,
    /// and the command runs once that job has ended.
    #[serde(default)]
    setup: bool,
    args: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Cases {
    case: Vec<Case>,
}

const SETUP: &[&str] = &["export", "web01", "--dest", "D:\\Exports", "--no-wait"];

/// Every corpus case, in file order.
fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(corpus_dir().join("cases.toml")).unwrap();
    let cases: Cases = toml::from_str(&text).expect("cases.toml parses");
    cases.case
}

/// Run the binary; (exit code, stdout as JSON or null).
async fn run_cli(args: &[String]) -> (i32, Value) {
    let r = support::run(PASSWORD, args).await;
    (r.code_or_signal(), r.json_or_null())
}

/// Record `case` against a fresh simulated host into `out_dir`; also writes the expected file.
async fn record_case(case: &Case, out_dir: &Path) {
    let scenario = corpus_dir().join(format!("scenarios/{}.toml", case.scenario));
    let text = std::fs::read_to_string(&scenario).expect("read scenario");
    let cfg = SimConfig::from_toml(&text).expect("scenario parses");
    // A logical clock (50 ms per SOAP message): with the corpus's 100 ms jobs the first poll
    // always sees New and the second the end, however loaded the machine is.
    let opts = ServerOptions {
        clock_step: Some(CLOCK_STEP),
        ..ServerOptions::default()
    };
    let server = support::start_sim(cfg, USER, PASSWORD, opts).await;
    let host = server.addr().to_string();
    let base = strings(&["-H", &host, "-u", USER, "-q", "-o", "json"]);
    let mut args = case.args.clone();
    if case.setup {
        let (code, out) = run_cli(&[base.clone(), strings(SETUP)].concat()).await;
        assert_eq!(code, 0, "{}: setup failed: {out}", case.name);
        let job = out["job"]["instance_id"].as_str().expect("setup job id");
        args = args.iter().map(|a| a.replace("{job}", job)).collect();
    }
    let raw = out_dir.join(format!("{}.raw.json", case.name));
    let mut rec = base.clone();
    rec.extend(["--record".to_string(), raw.display().to_string()]);
    let (live_code, _) = run_cli(&[rec, args.clone()].concat()).await;
    server.stop().await.unwrap();
    let port = host.rsplit(':').next().unwrap_or_default();
    let json = std::fs::read_to_string(&raw).unwrap().replace(
        &format!("host.example:{port}"),
        &format!("host.example:{FIXED_PORT}"),
    );
    std::fs::remove_file(&raw).unwrap();
    let mut fixture = Fixture::from_json(&json, &case.name).unwrap();
    fixture.docs = format!(
        "{} (simulated host, scenarios/{}.toml)",
        case.docs, case.scenario
    );
    let path = out_dir.join(format!("{}.json", case.name));
    fixture.save_atomic(&path).unwrap();
    let (code, stdout) = run_cli(&replay_args(&path, &args)).await;
    assert_eq!(
        code, live_code,
        "{}: replay exit differs from the live run",
        case.name
    );
    let expected = json!({
        "docs": case.docs,
        "scenario": format!("scenarios/{}.toml", case.scenario),
        "args": args,
        "exit_code": code,
        "stdout_json": stdout,
    });
    let text = serde_json::to_string_pretty(&expected).unwrap() + "\n";
    std::fs::write(out_dir.join(format!("{}.expected.json", case.name)), text).unwrap();
}

/// Elements whose text follows the simulator's clock (canonical-form line endings).
const CLOCK_ELEMENTS: &[&str] = &["}Datetime", "}Interval", "}OnTimeInMilliseconds"];

/// Canonical response text with datetimes and intervals masked (they follow the clock).
fn mask_times(canonical: &str) -> String {
    let mut out = Vec::new();
    let mut mask_next = false;
    for line in canonical.lines() {
        if mask_next && line.trim_start().starts_with('"') {
            out.push("*".to_string());
        } else {
            out.push(line.to_string());
        }
        let t = line.trim_end();
        mask_next = CLOCK_ELEMENTS.iter().any(|e| t.ends_with(e));
    }
    out.join("\n")
}

fn canonical_body(body: Option<&str>) -> String {
    match body {
        Some(b) => normalize(b)
            .map(|c| mask_times(&c))
            .unwrap_or_else(|_| mask_uuids(b)),
        None => String::new(),
    }
}

/// `uuid:<36 characters>` (MessageID, RelatesTo) masked, for bodies that do not parse.
fn mask_uuids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("uuid:") {
        out.push_str(&rest[..i + 5]);
        rest = &rest[i + 5..];
        let n = rest
            .chars()
            .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
            .count();
        out.push('*');
        rest = &rest[n..];
    }
    out.push_str(rest);
    out
}

/// A fixture with everything that changes on every recording masked.
fn masked_fixture(path: &Path) -> Value {
    let f = Fixture::load(path).unwrap();
    let exchanges: Vec<Value> = f
        .exchanges
        .iter()
        .map(|e| {
            json!({
                "action": e.action, "resource_uri": e.resource_uri,
                "request": canonical_body(Some(&e.request)), "status": e.status,
                "response": canonical_body(e.response.as_deref()),
                "error": e.error.as_ref().map(|r| (r.kind.clone(), r.message.clone())),
            })
        })
        .collect();
    json!({ "docs": f.docs, "endpoint": f.endpoint, "redacted": f.redacted,
            "host_info": serde_json::to_value(&f.host_info).unwrap(), "exchanges": exchanges })
}

/// Expected output with clock-dependent values (`elapsed_seconds`, `*_time`) masked.
fn masked_json(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase();
                    let clock = lower.contains("elapsed") || lower.contains("time");
                    (k.clone(), if clock { json!("*") } else { masked_json(v) })
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(masked_json).collect()),
        other => other.clone(),
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_replays_to_documented_outcome() {
    let dir = corpus_dir();
    for case in cases() {
        let expected = read_json(&dir.join(format!("{}.expected.json", case.name)));
        let args: Vec<String> = serde_json::from_value(expected["args"].clone()).unwrap();
        let fixture = dir.join(format!("{}.json", case.name));
        let (code, stdout) = run_cli(&replay_args(&fixture, &args)).await;
        assert_eq!(
            json!(code),
            expected["exit_code"],
            "{}: exit code",
            case.name
        );
        assert_eq!(
            stdout, expected["stdout_json"],
            "{}: json output",
            case.name
        );
        assert!(
            !expected["docs"].as_str().unwrap_or("").is_empty(),
            "{}: docs",
            case.name
        );
    }
}

#[test]
fn every_corpus_file_belongs_to_a_case() {
    let all = cases();
    assert!(all.len() >= 30, "cases.toml lost cases");
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        let stem = stem.strip_suffix(".expected").unwrap_or(stem);
        assert!(
            all.iter().any(|c| c.name == stem),
            "{name} is not in cases.toml"
        );
    }
    for case in &all {
        assert!(
            corpus_dir()
                .join(format!("scenarios/{}.toml", case.scenario))
                .is_file()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regeneration_reproduces_committed_fixtures() {
    let regen = std::env::var_os("HVREMOTE_REGEN_FIXTURES").is_some_and(|v| v == "1");
    let tmp = tempfile::tempdir().unwrap();
    let out = if regen {
        corpus_dir()
    } else {
        tmp.path().to_path_buf()
    };
    let all = cases();
    for case in &all {
        record_case(case, &out).await;
    }
    if regen {
        return;
    }
    for case in &all {
        for (file, mask) in [
            (
                format!("{}.json", case.name),
                masked_fixture as fn(&Path) -> Value,
            ),
            (format!("{}.expected.json", case.name), |p: &Path| {
                masked_json(&read_json(p))
            }),
        ] {
            let fresh = serde_json::to_string_pretty(&mask(&tmp.path().join(&file))).unwrap();
            let committed = serde_json::to_string_pretty(&mask(&corpus_dir().join(&file))).unwrap();
            if let Some((n, (a, b))) = fresh
                .lines()
                .zip(committed.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
            {
                panic!(
                    "{file} drifted from the simulator (masked line {n}):\n  regenerated: {a}\n  committed:   {b}\nrun scripts/regen-fixtures.sh and review the diff"
                );
            }
            assert_eq!(fresh.len(), committed.len(), "{file} drifted (length)");
        }
    }
}
