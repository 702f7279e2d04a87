//! Secrets never leak (issue 8 §4): every remote command runs with `-vv` and `--record`
//! against the simulated host over loopback HTTP with NTLM and sealing, plus one run with a
//! wrong password; then stdout, stderr (the logs) and every recorded fixture file are searched
//! for the password, its NT hash, every session key of those runs (recomputed from the
//! AUTHENTICATE messages the proxy saw) and every `Authorization` value sent.

#[path = "hardening_proxy.rs"]
mod proxy;

use std::path::Path;

use base64::Engine;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use md4::Md4;
use md5::{Digest, Md5};
use rc4::StreamCipher;
use rc4::consts::U16;

const PASSWORD: &str = "S3cr3t-Pa55phrase!";
const WRONG: &str = "Wr0ng-Pa55phrase?";

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(key).unwrap();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

fn nt_hash(pw: &str) -> [u8; 16] {
    Md4::digest(utf16le(pw)).into()
}

/// The NTLMSSP message inside a (possibly SPNEGO-wrapped) token.
fn ntlm_part(token: &[u8]) -> Option<&[u8]> {
    let at = token.windows(8).position(|w| w == b"NTLMSSP\0")?;
    token.get(at..)
}

/// Every key of one NTLMv2 session: base, exported, and the four sign/seal keys.
fn session_keys(auth: &[u8], password: &str) -> Vec<Vec<u8>> {
    let Ok(m) = hvremote::ntlm::AuthenticateMessage::parse(auth) else {
        return Vec::new();
    };
    if m.nt_response.len() < 16 {
        return Vec::new();
    }
    let id = utf16le(&(m.user.to_uppercase() + &m.domain));
    let ntowf = hmac_md5(&nt_hash(password), &[&id]);
    let base = hmac_md5(&ntowf, &[&m.nt_response[..16]]);
    let mut exported = base;
    if m.encrypted_random_session_key.len() == 16 {
        exported.copy_from_slice(&m.encrypted_random_session_key);
        let mut c = <rc4::Rc4<U16> as rc4::KeyInit>::new(&base.into());
        c.apply_keystream(&mut exported);
    }
    let mut keys = vec![base.to_vec(), exported.to_vec()];
    for dir in ["client-to-server", "server-to-client"] {
        for what in ["signing", "sealing"] {
            let magic = format!("session key to {dir} {what} key magic constant\0");
            for n in [16, 7, 5] {
                keys.push(Md5::digest([&exported[..n], magic.as_bytes()].concat()).to_vec());
            }
        }
    }
    keys
}

/// The textual forms a secret byte string could take in output.
fn forms(bytes: &[u8]) -> Vec<String> {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        hex.clone(),
        hex.to_uppercase(),
        b64.encode(bytes),
        format!("{bytes:?}"),
    ]
}

struct Run {
    name: String,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    code: Option<i32>,
}

async fn hv(port: u16, password: &str, record: &Path, args: &[&str]) -> Run {
    let out = tokio::process::Command::new(proxy::binary())
        .args([
            "-vv",
            "-H",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "-u",
            "HV01\\admin",
        ])
        .arg("--record")
        .arg(record)
        .args(args)
        .env("HVREMOTE_PASSWORD", password)
        .env_remove("HVREMOTE_HOST")
        .env_remove("HVREMOTE_USER")
        .env_remove("RUST_LOG")
        .output()
        .await
        .unwrap();
    Run {
        name: args.join(" "),
        stdout: out.stdout,
        stderr: out.stderr,
        code: out.status.code(),
    }
}

fn job_id(stdout: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(stdout).expect("export json");
    v["job"]["instance_id"]
        .as_str()
        .or_else(|| v["job_id"].as_str())
        .or_else(|| v["job"]["InstanceID"].as_str())
        .unwrap_or_else(|| panic!("no job id in {v}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_in_any_output_log_or_fixture() {
    let mut cfg = hvremote::sim::SimConfig::demo();
    cfg.password = PASSWORD.into();
    cfg.job_duration_ms = 300;
    let sim = hvremote::sim::server::SimServer::start(cfg, Default::default())
        .await
        .unwrap();
    let proxy = proxy::start(sim.addr(), None).await;
    let port = proxy.addr.port();
    let dir = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    let export = ["-o", "json", "export", "web01", "--dest", "D:\\Exports"];
    runs.push(hv(port, PASSWORD, &dir.path().join("export.json"), &export).await);
    assert_eq!(
        runs[0].code,
        Some(0),
        "{}",
        String::from_utf8_lossy(&runs[0].stderr)
    );
    let job = job_id(&runs[0].stdout);
    let sel = format!("InstanceID={job}");
    let commands: Vec<Vec<&str>> = vec![
        vec!["vms"],
        vec!["-o", "json", "vms"],
        vec!["snapshots", "web01"],
        vec!["export", "db01", "--dest", "D:\\Exports", "--no-wait"],
        vec!["job", &job],
        vec!["job", &job, "--wait"],
        vec!["wsman", "identify"],
        vec!["wsman", "get", "Msvm_ConcreteJob", "--selector", &sel],
        vec!["-o", "xml", "wsman", "enumerate", "Msvm_ComputerSystem"],
        vec![
            "wsman",
            "invoke",
            "Msvm_ConcreteJob",
            "GetErrorEx",
            "--selector",
            &sel,
        ],
    ];
    for (i, c) in commands.iter().enumerate() {
        let run = hv(port, PASSWORD, &dir.path().join(format!("run{i}.json")), c).await;
        assert_eq!(
            run.code,
            Some(0),
            "{}: {}",
            run.name,
            String::from_utf8_lossy(&run.stderr)
        );
        runs.push(run);
    }
    let bad = hv(port, WRONG, &dir.path().join("badauth.json"), &["vms"]).await;
    assert_eq!(
        bad.code,
        Some(3),
        "failing auth exits 3: {}",
        String::from_utf8_lossy(&bad.stderr)
    );
    runs.push(bad);

    let log = proxy.log.lock().unwrap();
    let mut secrets: Vec<(String, String)> = vec![
        ("password".into(), PASSWORD.into()),
        ("wrong password".into(), WRONG.into()),
    ];
    for pw in [PASSWORD, WRONG] {
        for f in forms(&nt_hash(pw)) {
            secrets.push(("nt hash".into(), f));
        }
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut sessions = 0;
    for a in &log.authorizations {
        secrets.push(("authorization header".into(), a.clone()));
        let token = a.split_once(' ').map_or(a.as_str(), |(_, t)| t).trim();
        if token.len() >= 16 {
            secrets.push(("authorization token".into(), token.to_string()));
        }
        let Some(raw) = b64.decode(token).ok() else {
            continue;
        };
        let Some(msg) = ntlm_part(&raw) else { continue };
        for pw in [PASSWORD, WRONG] {
            let keys = session_keys(msg, pw);
            sessions += usize::from(!keys.is_empty());
            for k in keys {
                for f in forms(&k) {
                    secrets.push(("session key".into(), f));
                }
            }
        }
    }
    assert!(
        sessions >= 2 * 12,
        "saw too few AUTHENTICATE messages: {sessions}"
    );

    let mut files = Vec::new();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        files.push((p.display().to_string(), std::fs::read(&p).unwrap()));
    }
    assert!(files.len() >= 10, "fixtures were recorded: {}", files.len());
    for f in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")).unwrap() {
        let p = f.unwrap().path();
        if p.is_dir() {
            let mut dirs = vec![p];
            while let Some(d) = dirs.pop() {
                for g in std::fs::read_dir(&d).unwrap() {
                    let q = g.unwrap().path();
                    if q.is_dir() {
                        dirs.push(q);
                    } else {
                        files.push((q.display().to_string(), std::fs::read(&q).unwrap()));
                    }
                }
            }
        }
    }
    let mut haystacks: Vec<(String, String)> = files
        .into_iter()
        .map(|(n, b)| (n, String::from_utf8_lossy(&b).into_owned()))
        .collect();
    let mut verbose_lines = 0;
    for r in &runs {
        let err = String::from_utf8_lossy(&r.stderr).into_owned();
        verbose_lines += err.lines().count();
        haystacks.push((
            format!("stdout of `{}`", r.name),
            String::from_utf8_lossy(&r.stdout).into_owned(),
        ));
        haystacks.push((format!("stderr of `{}`", r.name), err));
    }
    assert!(verbose_lines > runs.len(), "-vv produced logs");
    let mut leaks = Vec::new();
    for (what, s) in &secrets {
        for (where_, text) in &haystacks {
            if text.contains(s.as_str()) {
                leaks.push(format!("{what} found in {where_}"));
            }
        }
    }
    println!(
        "searched {} secret forms ({} authorization values) in {} outputs/files",
        secrets.len(),
        log.authorizations.len(),
        haystacks.len()
    );
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
}

#[test]
fn session_keys_recomputes_the_ms_nlmp_exported_key() {
    // MS-NLMP 4.2.4: user "User", domain "Domain", password "Password"; the AUTHENTICATE of
    // 4.2.4.3 carries the encrypted random session key 55 55 ... 55 → exported key.
    let spec = "4e544c4d5353500003000000180018006c00000054005400840000000c000c00480000000800080054000000100010005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e00550073006500720043004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000c5dad2544fc9799094ce1ce90bc9d03e";
    let raw: Vec<u8> = (0..spec.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&spec[i..i + 2], 16).unwrap())
        .collect();
    let keys = session_keys(&raw, "Password");
    assert_eq!(forms(&keys[0])[0], "8de40ccadbc14a82f15cb0ad0de95ca3");
    assert_eq!(forms(&keys[1])[0], "55555555555555555555555555555555");
}
