//! Fixture files: load errors name the file, atomic writes, and replay never sleeps the
//! recorded times.

use std::time::Duration;

use hvremote::ErrorKind;
use hvremote::transport::fixture::{Exchange, Fixture};
use hvremote::transport::replay::Replayer;
use hvremote::transport::{SoapRequest, Transport};
use hvremote::xml::ns;

fn poll_request(id: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"{}\" xmlns:a=\"{}\"><s:Header><a:MessageID>{id}</a:MessageID>\
         </s:Header><s:Body><Get xmlns=\"urn:job\">job-1</Get></s:Body></s:Envelope>",
        ns::SOAP,
        ns::ADDRESSING
    )
}

fn poll_response(id: &str, state: u16) -> String {
    format!(
        "<s:Envelope xmlns:s=\"{}\" xmlns:a=\"{}\"><s:Header><a:RelatesTo>{id}</a:RelatesTo>\
         </s:Header><s:Body><Job xmlns=\"urn:job\">{state}</Job></s:Body></s:Envelope>",
        ns::SOAP,
        ns::ADDRESSING
    )
}

/// A polling loop of `n` Gets, each recorded as taking a minute.
fn polling_fixture(n: usize) -> Fixture {
    let mut f = Fixture::new("job polled until done");
    for i in 0..n {
        let id = format!("uuid:P{i}");
        let state = if i + 1 == n { 7 } else { 4 };
        f.exchanges.push(Exchange {
            action: format!("{}/Get", ns::TRANSFER),
            resource_uri: None,
            request: poll_request(&id),
            status: Some(200),
            response: Some(poll_response(&id, state)),
            error: None,
            elapsed_ms: 60_000,
        });
    }
    f
}

// Paused tokio time: any sleep in the replayer would move this clock forward by exactly its
// length (the runtime jumps idle timers ahead), so the check is exact, not a timing.
#[tokio::test(start_paused = true)]
async fn polling_replays_without_waiting() {
    let replayer = Replayer::new(polling_fixture(100), "poll.json");
    let start = tokio::time::Instant::now();
    for i in 0..100 {
        let id = format!("uuid:NEW{i}");
        let resp = replayer
            .exchange(SoapRequest {
                action: format!("{}/Get", ns::TRANSFER),
                resource_uri: None,
                message_id: id.clone(),
                body: poll_request(&id),
            })
            .await
            .unwrap();
        assert!(
            resp.body
                .contains(&format!("<a:RelatesTo>{id}</a:RelatesTo>"))
        );
    }
    replayer.finish().unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO, "replay slept");
}

#[test]
fn unknown_version_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.json");
    std::fs::write(&path, r#"{"version": 2, "exchanges": []}"#).unwrap();
    let e = Replayer::load(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Replay);
    assert_eq!(
        e.message(),
        format!(
            "fixture {}: unsupported version 2 (this hvremote reads version 1)",
            path.display()
        )
    );
}

#[test]
fn malformed_json_names_the_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\"version\": 1,\n \"exchanges\": [").unwrap();
    let e = Fixture::load(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Replay);
    let prefix = format!("fixture {}: malformed json:", path.display());
    assert!(e.message().starts_with(&prefix), "{e}");
    assert!(e.message().contains("line 2"), "{e}");
}

#[test]
fn missing_file_is_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.json");
    let e = Fixture::load(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.message().contains(&path.display().to_string()), "{e}");
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn atomic_save_replaces_existing_file_and_leaves_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.json");
    std::fs::write(&path, "previous contents").unwrap();
    let f = polling_fixture(2);
    f.save_atomic(&path).unwrap();
    assert_eq!(Fixture::load(&path).unwrap(), f);
    assert_eq!(entries(dir.path()), ["f.json"]);
}

#[test]
fn failed_save_keeps_what_was_there_and_leaves_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    // The target is a non-empty directory: the final rename fails after the data was written.
    let path = dir.path().join("taken.json");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("keep"), "mine").unwrap();
    let e = polling_fixture(1).save_atomic(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.message().contains("taken.json"), "{e}");
    assert_eq!(std::fs::read_to_string(path.join("keep")).unwrap(), "mine");
    assert_eq!(entries(dir.path()), ["taken.json"]);
}
