//! Record → save → load → replay round trips through an in-test fake host, with redaction of
//! host and user names, strict matching, unused exchanges and recorded transport failures.

use std::path::Path;
use std::sync::Arc;

use hvremote::ErrorKind;
use hvremote::transport::fixture::Fixture;
use hvremote::transport::record::{Recorder, Redaction};
use hvremote::transport::replay::Replayer;
use hvremote::transport::{BoxFuture, SoapRequest, SoapResponse, Transport};
use hvremote::xml::ns;

const LIVE: &str = "http://hv01.example.test:5985/wsman";
const VMMS_WQL: &str = "SELECT * FROM Msvm_VirtualSystemManagementService";

fn envelope(header: &str, body: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"{}\" xmlns:a=\"{}\" xmlns:w=\"{}\" xmlns:n=\"{}\" \
         xmlns:wsmid=\"{}\" xmlns:p=\"urn:p\">\n  <s:Header>{header}</s:Header>\n  \
         <s:Body>{body}</s:Body>\n</s:Envelope>",
        ns::SOAP,
        ns::ADDRESSING,
        ns::WSMAN,
        ns::ENUMERATION,
        ns::IDENTITY
    )
}

fn request(to: &str, id: &str, action: &str, body: &str) -> SoapRequest {
    let header = format!(
        "<a:To>{to}</a:To><a:Action>{action}</a:Action><a:MessageID>{id}</a:MessageID>\
         <w:OperationTimeout>PT60S</w:OperationTimeout>"
    );
    SoapRequest {
        action: action.to_string(),
        resource_uri: None,
        message_id: id.to_string(),
        body: envelope(&header, body),
    }
}

/// The run: Identify, Enumerate the VMMS, Get it by the SystemName the host reported.
fn script(to: &str, prefix: &str, system_name: &str) -> Vec<SoapRequest> {
    let get = format!("<p:Get><p:SystemName>{system_name}</p:SystemName></p:Get>");
    vec![
        request(to, &format!("uuid:{prefix}1"), "", "<wsmid:Identify/>"),
        request(
            to,
            &format!("uuid:{prefix}2"),
            &format!("{}/Enumerate", ns::ENUMERATION),
            &format!("<n:Enumerate><w:Filter>{VMMS_WQL}</w:Filter></n:Enumerate>"),
        ),
        request(
            to,
            &format!("uuid:{prefix}3"),
            &format!("{}/Get", ns::TRANSFER),
            &get,
        ),
    ]
}

/// A fake Hyper-V host that answers the script above; action `.../Boom` times out.
struct FakeHost;

fn answer(req: &SoapRequest) -> String {
    let relates = format!("<a:RelatesTo>{}</a:RelatesTo>", req.message_id);
    let body = if req.body.contains("Identify") {
        "<wsmid:IdentifyResponse><wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>\
         <wsmid:ProductVersion>OS: 10.0.20348 SP: 0.0 Stack: 3.0</wsmid:ProductVersion>\
         </wsmid:IdentifyResponse>"
            .to_string()
    } else if req.action.ends_with("Enumerate") {
        "<n:EnumerateResponse><p:SystemName>HV01</p:SystemName>\
         <p:Path>\\\\HV01\\root\\virtualization\\v2:Msvm_VirtualSystemManagementService</p:Path>\
         </n:EnumerateResponse>"
            .to_string()
    } else {
        "<p:GetResponse><p:Owner>CORP\\alice</p:Owner>\
         <p:Fault Machine=\"hv01.example.test\">Hv01 says hello to ALICE</p:Fault></p:GetResponse>"
            .to_string()
    };
    envelope(&relates, &body)
}

impl Transport for FakeHost {
    fn exchange<'a>(
        &'a self,
        req: SoapRequest,
    ) -> BoxFuture<'a, Result<SoapResponse, hvremote::Error>> {
        Box::pin(async move {
            if req.action.ends_with("Boom") {
                let msg = "no answer from hv01.example.test within 60s";
                return Err(hvremote::Error::new(ErrorKind::Timeout, msg));
            }
            Ok(SoapResponse {
                status: 200,
                body: answer(&req),
            })
        })
    }
    fn endpoint(&self) -> &str {
        LIVE
    }
}

fn redaction() -> Redaction {
    Redaction::for_endpoint(LIVE, Some("CORP\\alice"))
}

async fn record_to(path: &Path, redaction: Redaction) -> Vec<SoapResponse> {
    let rec = Arc::new(Recorder::new(FakeHost, redaction).with_docs("round trip test"));
    let mut out = Vec::new();
    for req in script(LIVE, "L", "HV01") {
        out.push(rec.exchange(req).await.unwrap());
    }
    rec.save(path).unwrap();
    out
}

#[tokio::test]
async fn record_save_load_replay_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rt.json");
    record_to(&path, redaction()).await;

    let fixture = Fixture::load(&path).unwrap();
    assert_eq!(fixture.exchanges.len(), 3);
    assert_eq!(fixture.docs, "round trip test");
    assert!(fixture.recorded_with.starts_with("hvremote "));
    let info = fixture.host_info.clone().unwrap();
    assert_eq!(info.os_build.as_deref(), Some("10.0.20348"));

    // The replaying client is configured with another host name and echoes what the
    // (redacted) responses told it.
    let replayer = Replayer::load(&path).unwrap();
    assert_eq!(replayer.endpoint(), "http://host.example:5985/wsman");
    let script = script("http://my-lab:5985/wsman", "R", "HOSTNAME");
    for (i, req) in script.into_iter().enumerate() {
        let id = req.message_id.clone();
        let resp = replayer.exchange(req).await.unwrap();
        let recorded = fixture.exchanges[i].response.clone().unwrap();
        let expected = recorded.replace(&format!("uuid:L{}", i + 1), &id);
        assert_eq!(resp.body, expected);
        assert!(
            resp.body
                .contains(&format!("<a:RelatesTo>{id}</a:RelatesTo>"))
        );
    }
    replayer.finish().unwrap();
}

#[tokio::test]
async fn redaction_removes_host_and_user_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("red.json");
    record_to(&path, redaction()).await;
    let text = std::fs::read_to_string(&path).unwrap();
    let lower = text.to_lowercase();
    for name in ["hv01", "alice", "corp\\", "example.test"] {
        assert!(!lower.contains(name), "{name} left in fixture:\n{text}");
    }
    assert!(text.contains("<a:To>http://host.example:5985/wsman</a:To>"));
    assert!(text.contains("<p:SystemName>HOSTNAME</p:SystemName>"));
    assert!(text.contains("\\\\\\\\HOSTNAME\\\\root")); // \\HOSTNAME\root, JSON-escaped
    assert!(text.contains("<p:Owner>DOMAIN\\\\USER</p:Owner>"));
    assert!(text.contains("Machine=\\\"host.example\\\""));
    assert!(text.contains("HOSTNAME says hello to USER"));
    let fixture = Fixture::load(&path).unwrap();
    assert_eq!(
        fixture.redacted,
        ["DOMAIN\\USER", "HOSTNAME", "USER", "host.example"]
    );
}

#[tokio::test]
async fn keep_names_records_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keep.json");
    let live = record_to(&path, Redaction::default()).await;
    let fixture = Fixture::load(&path).unwrap();
    assert_eq!(fixture.endpoint, LIVE);
    assert!(fixture.redacted.is_empty());
    for (x, resp) in fixture.exchanges.iter().zip(&live) {
        assert_eq!(x.response.as_deref(), Some(resp.body.as_str()));
        assert_eq!(x.status, Some(200));
    }
    assert_eq!(
        fixture.exchanges[0].request,
        script(LIVE, "L", "HV01")[0].body
    );
}

#[tokio::test]
async fn mismatch_names_exchange_index_and_element() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mm.json");
    record_to(&path, redaction()).await;
    let replayer = Replayer::load(&path).unwrap();
    let mut reqs = script("http://x/wsman", "R", "HOSTNAME");
    replayer.exchange(reqs.remove(0)).await.unwrap();
    let mut wrong = reqs.remove(0);
    wrong.body = wrong
        .body
        .replace(VMMS_WQL, "SELECT * FROM Msvm_ComputerSystem");
    let e = replayer.exchange(wrong).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Replay);
    assert_eq!(
        e.message(),
        format!(
            "replay {}: exchange 1 (Enumerate) does not match: Body/Enumerate/Filter: \
             expected \"{VMMS_WQL}\" got \"SELECT * FROM Msvm_ComputerSystem\"",
            path.display()
        )
    );
}

#[tokio::test]
async fn unused_exchanges_fail_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unused.json");
    record_to(&path, redaction()).await;
    let replayer = Replayer::load(&path).unwrap();
    let first = script("http://x/wsman", "R", "HOSTNAME").remove(0);
    replayer.exchange(first).await.unwrap();
    let e = replayer.finish().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Replay);
    assert_eq!(
        e.message(),
        format!(
            "replay {}: 2 of 3 exchanges were not used (next: exchange 1 (Enumerate))",
            path.display()
        )
    );
}

#[tokio::test]
async fn transport_failures_are_recorded_and_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("boom.json");
    let rec = Recorder::new(FakeHost, redaction());
    let boom = request(LIVE, "uuid:B1", "urn:x/Boom", "<p:Boom/>");
    let live = rec.exchange(boom.clone()).await.unwrap_err();
    assert_eq!(live.kind(), ErrorKind::Timeout);
    let fixture = rec.finish(&path).unwrap();
    let err = fixture.exchanges[0].error.clone().unwrap();
    assert_eq!(err.message, "no answer from host.example within 60s");

    let replayer = Replayer::load(&path).unwrap();
    let e = replayer.exchange(boom).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(e.message(), "no answer from host.example within 60s");
    replayer.finish().unwrap();
}
