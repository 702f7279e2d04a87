//! Benchmark peer: the VM listing done with `winrm-rs` (crates.io), as a competent user would:
//! `WinrmClient::run_wql("SELECT * FROM Msvm_ComputerSystem", "root/virtualization/v2")` over
//! NTLM with message encryption, then one `Name<TAB>ElementName<TAB>EnabledState` line per VM
//! on stdout (the same output as `hvremote vms`, so `bench/peers.sh` can compare the VM sets).
//!
//! Usage: `winrm-rs-list HOST PORT USER PASSWORD [QUERY]`; `WINRM_RS_AUTH=basic` switches to
//! HTTP Basic without encryption (winrm-rs 1.1.2 sends the first request of an NTLM context
//! unsealed, which WinRM with `AllowUnencrypted=false`, and the simulated host, refuse). Not part of hvremote: this crate has
//! its own `[workspace]` and lock file and is built only by `bench/peers.sh`.

use std::io::Write;

use winrm_rs::{AuthMethod, EncryptionMode, WinrmClient, WinrmConfig, WinrmCredentials};

const DEFAULT_QUERY: &str = "SELECT * FROM Msvm_ComputerSystem";
const NAMESPACE: &str = "root/virtualization/v2";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: winrm-rs-list HOST PORT USER PASSWORD [QUERY]");
        std::process::exit(2);
    }
    let query = args.get(5).map(String::as_str).unwrap_or(DEFAULT_QUERY);
    let basic = std::env::var("WINRM_RS_AUTH").is_ok_and(|a| a.eq_ignore_ascii_case("basic"));
    let config = WinrmConfig {
        port: args[2].parse().unwrap_or(5985),
        use_tls: false,
        auth_method: if basic { AuthMethod::Basic } else { AuthMethod::Ntlm },
        encryption: if basic { EncryptionMode::Never } else { EncryptionMode::Always },
        ..WinrmConfig::default()
    };
    let creds = WinrmCredentials::new(args[3].clone(), args[4].clone(), "");
    let client = match WinrmClient::new(config, creds) {
        Ok(c) => c,
        Err(e) => fail(&e),
    };
    let items = match client.run_wql(&args[1], query, Some(NAMESPACE)).await {
        Ok(xml) => xml,
        Err(e) => fail(&e),
    };
    if std::env::var_os("WINRM_RS_RAW").is_some() {
        eprintln!("{items}");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for vm in vms(&items) {
        let _ = writeln!(out, "{}\t{}\t{}", vm.0, vm.1, vm.2);
    }
    let _ = out.flush();
}

fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("winrm-rs-list: {e}");
    std::process::exit(1);
}

/// Split the concatenated items into instances (each ends with its class's closing tag, with
/// or without a prefix) and read the three printed properties. A light scan, no XML parser:
/// winrm-rs hands back a string, and a caller has to do something like this to use it.
fn vms(items: &str) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    let mut from = 0;
    for (at, _) in tag_ends(items, "Msvm_ComputerSystem>") {
        if !is_closing(items, at) {
            continue;
        }
        let inst = &items[from..at];
        rows.push((prop(inst, "Name"), prop(inst, "ElementName"), prop(inst, "EnabledState")));
        from = at;
    }
    rows
}

/// Positions of `name` (e.g. `Name>`) that are whole tag names: preceded by `<`, `</` or a
/// prefix colon.
fn tag_ends<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = (usize, &'a str)> + 'a {
    text.match_indices(name).filter(|(at, _)| {
        matches!(text.as_bytes().get(at.wrapping_sub(1)), Some(b'<' | b'/' | b':'))
    })
}

/// Whether the tag containing position `at` is a closing tag.
fn is_closing(text: &str, at: usize) -> bool {
    text[..at].rfind('<').is_some_and(|lt| text[lt..].starts_with("</"))
}

/// Text of the first `<[x:]NAME>text</[x:]NAME>` element in `inst`.
fn prop(inst: &str, name: &str) -> String {
    let open = format!("{name}>");
    for (at, _) in tag_ends(inst, &open) {
        if is_closing(inst, at) {
            continue;
        }
        let text_start = at + open.len();
        let end = inst[text_start..].find('<').map_or(inst.len(), |j| text_start + j);
        return unescape(&inst[text_start..end]);
    }
    String::new()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}
