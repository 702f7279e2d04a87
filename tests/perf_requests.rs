//! Round trips (issue 7): exact HTTP request counts against the simulated host over real
//! loopback HTTP with NTLM and sealing, counted on the host's side (every leg, 401s included).
//! Only counts are asserted here; timings live in `benches/` and `bench/peers.sh`.

mod e2e_support;

use std::sync::Arc;

use clap::Parser;
use hvremote::cli::args::Cli;
use hvremote::cli::connect::Session;
use hvremote::cli::run_remote;
use hvremote::http::{Endpoint, HttpConfig, HttpTransport};
use hvremote::sim::SimConfig;
use hvremote::sim::server::{ServerOptions, SimServer};

const USER: &str = "admin";
const PASSWORD: &str = "perf-test-password";

async fn server(generated_vms: usize, named: &[&str]) -> SimServer {
    let names: Vec<String> = named.iter().map(|s| s.to_string()).collect();
    let mut config = SimConfig::from_flags(&names, generated_vms);
    config.user = USER.to_string();
    config.password = PASSWORD.to_string();
    config.job_duration_ms = 1_000;
    SimServer::start(config, ServerOptions::default())
        .await
        .expect("simulated host starts")
}

/// Run one CLI command over a fresh NTLM (Negotiate) HTTP connection to `server`.
async fn run(server: &SimServer, argv: &[&str]) -> String {
    let endpoint = Endpoint::parse(&server.endpoint(), false).expect("endpoint");
    let cfg = HttpConfig::new(endpoint, USER, PASSWORD);
    let transport = Arc::new(HttpTransport::connect_lazy(cfg).expect("transport"));
    let session = Session::over(transport, None);
    let mut full = vec!["hvremote", "-q"];
    full.extend_from_slice(argv);
    let cli = Cli::try_parse_from(full).expect("arguments parse");
    run_remote(&session, &cli.command, &cli.global)
        .await
        .expect("command succeeds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vms_over_5000_vms_takes_at_most_10_http_requests() {
    let server = server(5000, &[]).await;
    let out = run(&server, &["-o", "json", "vms"]).await;
    let listed: serde_json::Value = serde_json::from_str(&out).expect("json output");
    assert_eq!(listed.as_array().map(Vec::len), Some(5000));
    let requests = server.http_requests();
    assert!(
        requests <= 10,
        "vms over 5000 VMs took {requests} HTTP requests"
    );
    server.stop().await.expect("stops");
}

/// `--no-wait` still reads the job once (its first poll), so the requests before that poll are
/// all but the last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_reaches_the_first_poll_within_5_http_requests() {
    let server = server(0, &["web01"]).await;
    run(
        &server,
        &["export", "web01", "--dest", "D:\\Exports", "--no-wait"],
    )
    .await;
    // `--no-wait` still reads the job once (its first poll): the requests before that poll
    // are all but the last.
    let before_first_poll = server.http_requests().saturating_sub(1);
    assert_eq!(
        server.host().lock().map(|h| h.export_invocations()).ok(),
        Some(1)
    );
    assert!(
        before_first_poll <= 5,
        "export took {before_first_poll} HTTP requests before the first poll"
    );
    server.stop().await.expect("stops");
}

/// `vms` streams: over 5000 VMs, a Pull answered with a truncated body after the first page has
/// been printed ends with exit 1 and the error on stderr; in JSON mode stdout holds the rows of
/// the first page in an array left without its `]`, which no JSON parser accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vms_failing_mid_listing_keeps_printed_rows_and_fails_cleanly() {
    async fn failing_host() -> SimServer {
        let mut config = SimConfig::from_flags(&[], 5000);
        config.user = "lab".into();
        config.password = e2e_support::PASSWORD.into();
        // SOAP request 1 is the Enumerate (first page), 2 the first Pull.
        config.faults.malformed_response_at = Some(2);
        SimServer::start(config, ServerOptions::default())
            .await
            .expect("simulated host starts")
    }
    let server = failing_host().await;
    let addr = server.addr().to_string();
    let json = e2e_support::hv_at(&addr, e2e_support::PASSWORD, &["-q", "-o", "json", "vms"]).await;
    server.stop().await.expect("stops");
    json.expect_code(1);
    assert!(json.stdout.starts_with("[\n  {"), "{json:?}");
    assert!(serde_json::from_str::<serde_json::Value>(&json.stdout).is_err());
    let rows = json.stdout.matches("\"enabled_state\"").count();
    assert!(rows > 0 && rows < 5000, "{rows} rows before the failure");
    assert!(
        json.stderr.starts_with("hvremote: list vms: ") && json.stderr.contains("malformed xml"),
        "{json:?}"
    );
    // The error object is also the last line of stdout.
    let last = json.stdout.trim_end().lines().last().unwrap_or("");
    let err: serde_json::Value = serde_json::from_str(last).expect("last line is json");
    assert_eq!(err["error"]["exit_code"], 1, "{last}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("list vms")
    );
    let server = failing_host().await;
    let addr = server.addr().to_string();
    let text = e2e_support::hv_at(&addr, e2e_support::PASSWORD, &["-q", "vms"]).await;
    server.stop().await.expect("stops");
    text.expect_code(1);
    assert!(text.stdout.starts_with("NAME "), "{text:?}");
    assert!(text.stderr.starts_with("hvremote: list vms: "), "{text:?}");
}
