//! Round trips (issue 7): exact HTTP request counts against the simulated host over real
//! loopback HTTP with NTLM and sealing, counted on the host's side (every leg, 401s included).
//! Only counts are asserted here; timings live in `benches/` and `bench/peers.sh`.

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
