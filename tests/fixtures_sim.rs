//! Record a small client run against the in-process simulated host, then replay it with no
//! host at all: redaction keeps the replay consistent because the client only echoes names the
//! (redacted) responses gave it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hvremote::sim::{Host, SimConfig};
use hvremote::transport::record::{Recorder, Redaction};
use hvremote::transport::replay::Replayer;
use hvremote::transport::{BoxFuture, SoapRequest, SoapResponse, Transport};
use hvremote::xml::{self, Element, XmlWriter, ns};
use hvremote::{Error, ErrorKind};

const ENUMERATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
const GET: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
const VMMS: &str = "Msvm_VirtualSystemManagementService";

/// The pure simulator behind the `Transport` seam (no HTTP, no NTLM).
struct SimTransport {
    host: Mutex<Host>,
    ticks: AtomicU64,
}

impl Transport for SimTransport {
    fn exchange<'a>(&'a self, req: SoapRequest) -> BoxFuture<'a, Result<SoapResponse, Error>> {
        Box::pin(async move {
            let now = Duration::from_secs(self.ticks.fetch_add(1, Ordering::Relaxed));
            let r = self.host.lock().unwrap().handle(now, &req.body);
            Ok(SoapResponse {
                status: r.status,
                body: r.body,
            })
        })
    }
    fn endpoint(&self) -> &str {
        "http://hv01.example.test:5985/wsman"
    }
}

/// A tiny client: builds requests with `XmlWriter`, numbering MessageIDs with `tag`.
struct Client<'a> {
    t: &'a dyn Transport,
    tag: &'a str,
    n: AtomicU64,
}

impl Client<'_> {
    async fn call(
        &self,
        action: &str,
        class: &str,
        selectors: &[(&str, &str)],
        body: impl FnOnce(&mut XmlWriter),
    ) -> Result<Element, Error> {
        let id = format!(
            "uuid:{}-{}",
            self.tag,
            self.n.fetch_add(1, Ordering::Relaxed)
        );
        let mut w = XmlWriter::new();
        w.start("s:Envelope")
            .attr("xmlns:s", ns::SOAP)
            .attr("xmlns:a", ns::ADDRESSING);
        w.attr("xmlns:w", ns::WSMAN)
            .attr("xmlns:n", ns::ENUMERATION)
            .start("s:Header");
        w.leaf("a:To", self.t.endpoint());
        if !action.is_empty() {
            w.leaf("w:ResourceURI", &format!("{}{class}", ns::HYPERV_V2));
            w.leaf("a:Action", action);
        }
        w.leaf("w:MaxEnvelopeSize", "512000")
            .leaf("a:MessageID", &id);
        if !selectors.is_empty() {
            w.start("w:SelectorSet");
            for (k, v) in selectors {
                w.start("w:Selector").attr("Name", k).text(v).end();
            }
            w.end();
        }
        w.leaf("w:OperationTimeout", "PT60.000S")
            .end()
            .start("s:Body");
        body(&mut w);
        w.end().end();
        let request = SoapRequest {
            action: action.to_string(),
            resource_uri: None,
            message_id: id.clone(),
            body: w.finish().unwrap(),
        };
        let resp = self.t.exchange(request).await?;
        let root = xml::parse(&resp.body)?;
        let relates = root
            .find(ns::ADDRESSING, "RelatesTo")
            .map(|r| r.text_trim());
        if !action.is_empty() {
            assert_eq!(
                relates.as_deref(),
                Some(id.as_str()),
                "RelatesTo not rewritten"
            );
        }
        Ok(root)
    }

    async fn wql(&self, query: &str) -> Result<Vec<Element>, Error> {
        let root = self
            .call(ENUMERATE, "*", &[], |w| {
                w.start("n:Enumerate").leaf("w:OptimizeEnumeration", "");
                w.leaf("w:MaxElements", "32000").start("w:Filter");
                w.attr("Dialect", ns::WQL_DIALECT).text(query).end().end();
            })
            .await?;
        let items = root.find(ns::WSMAN, "Items");
        Ok(items
            .map(|i| i.elements().cloned().collect())
            .unwrap_or_default())
    }
}

fn prop(e: &Element, class: &str, name: &str) -> String {
    let uri = format!("{}{class}", ns::HYPERV_V2);
    e.find(&uri, name)
        .map(|p| p.text_trim())
        .unwrap_or_default()
}

/// Identify, find the VMMS, Get it by the keys the host reported, list VM names.
async fn run(t: &dyn Transport, tag: &str, query: &str) -> Result<(String, Vec<String>), Error> {
    let c = Client {
        t,
        tag,
        n: AtomicU64::new(0),
    };
    c.call("", "", &[], |w| {
        w.start("wsmid:Identify")
            .attr("xmlns:wsmid", ns::IDENTITY)
            .end();
    })
    .await?;
    let vmms = c.wql(&format!("SELECT * FROM {VMMS}")).await?;
    let system = vmms
        .first()
        .map(|v| prop(v, VMMS, "SystemName"))
        .unwrap_or_default();
    let keys = [
        ("CreationClassName", VMMS),
        ("Name", "vmms"),
        ("SystemCreationClassName", "Msvm_ComputerSystem"),
        ("SystemName", system.as_str()),
    ];
    let got = c.call(GET, VMMS, &keys, |_| {}).await?;
    assert_eq!(prop(&got, VMMS, "SystemName"), system);
    let vms = c.wql(query).await?;
    let names = vms
        .iter()
        .map(|v| prop(v, "Msvm_ComputerSystem", "ElementName"))
        .collect();
    Ok((system, names))
}

const VMS: &str = "SELECT * FROM Msvm_ComputerSystem WHERE Caption = 'Virtual Machine'";

async fn recorded(dir: &std::path::Path) -> (std::path::PathBuf, Vec<String>) {
    let sim = SimTransport {
        host: Mutex::new(Host::new(SimConfig::demo())),
        ticks: 0.into(),
    };
    let rec = Recorder::new(
        sim,
        Redaction::for_endpoint("http://hv01.example.test:5985/wsman", Some("admin")),
    );
    let (system, names) = run(&rec, "LIVE", VMS).await.unwrap();
    assert_eq!(system, "HV01");
    let path = dir.join("sim.json");
    let fixture = rec.finish(&path).unwrap();
    assert_eq!(fixture.exchanges.len(), 4);
    (path, names)
}

#[tokio::test]
async fn simulator_run_replays_without_a_host() {
    let dir = tempfile::tempdir().unwrap();
    let (path, live_names) = recorded(dir.path()).await;
    assert!(!live_names.is_empty());

    let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
    assert!(!text.contains("hv01"), "host name left in fixture");
    assert!(!text.contains("passw0rd"));

    let replayer = Replayer::load(&path).unwrap();
    let (system, names) = run(&replayer, "REPLAY", VMS).await.unwrap();
    assert_eq!(system, "HOSTNAME");
    assert_eq!(names, live_names);
    replayer.finish().unwrap();
    let info = replayer.fixture().host_info.clone().unwrap();
    assert_eq!(info.os_build.as_deref(), Some("10.0.20348"));
}

#[tokio::test]
async fn changed_query_fails_at_its_exchange() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = recorded(dir.path()).await;
    let replayer = Replayer::load(&path).unwrap();
    let other = "SELECT * FROM Msvm_ComputerSystem";
    let e = run(&replayer, "REPLAY", other).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Replay);
    let expected = format!(
        "replay {}: exchange 3 (Enumerate) does not match: Body/Enumerate/Filter: \
         expected \"{VMS}\" got \"{other}\"",
        path.display()
    );
    assert_eq!(e.message(), expected);
    assert!(replayer.finish().is_err());
}
