//! The client-side message builders and parsers (`wsman`, `soap`, `cim`) against the pure
//! simulated host: the whole export flow (find VM, find VMMS, find checkpoint, invoke, follow
//! the job by Get and by WQL) with no transport in between.

use std::time::Duration;

use hvremote::cim::embedded::{CimType, EmbeddedInstance, EmbeddedValue};
use hvremote::cim::instance::Instance;
use hvremote::cim::path::ObjectPath;
use hvremote::cim::wql::Select;
use hvremote::sim::{Host, SimConfig};
use hvremote::soap::{Epr, SequentialMessageIds};
use hvremote::transport::SoapRequest;
use hvremote::wsman::enumerate::{self, EnumerateRequest, EnumerationMode, Page};
use hvremote::wsman::invoke::{self, InvokeRequest, ParamValue};
use hvremote::wsman::{Settings, get};
use hvremote::xml::ns;

struct Client {
    host: Host,
    now: Duration,
    settings: Settings,
    ids: SequentialMessageIds,
}

impl Client {
    fn new(config: SimConfig) -> Self {
        Client {
            host: Host::new(config),
            now: Duration::ZERO,
            settings: Settings::new("http://hv01:5985/wsman"),
            ids: SequentialMessageIds::new(),
        }
    }

    fn send(&mut self, req: SoapRequest) -> (u16, String) {
        let r = self.host.handle(self.now, &req.body);
        (r.status, r.body)
    }

    /// Enumerate + Pull until EndOfSequence, small pages to exercise paging.
    fn query(&mut self, q: &str, mode: EnumerationMode) -> Vec<enumerate::EnumItem> {
        let star = format!("{}*", ns::HYPERV_V2);
        let mut e = EnumerateRequest::new(&star, Some(q), mode);
        e.max_elements = 2;
        let (st, body) = self.send(e.to_request(&self.settings, &self.ids).unwrap());
        let mut page: Page = enumerate::parse_page(st, &body).unwrap();
        let mut items = std::mem::take(&mut page.items);
        while !page.end_of_sequence {
            let ctx = page.context.clone().expect("context while not finished");
            let req = enumerate::pull_request(&self.settings, &self.ids, &star, &ctx, 2).unwrap();
            let (st, body) = self.send(req);
            page = enumerate::parse_page(st, &body).unwrap();
            items.append(&mut page.items);
        }
        items
    }

    fn instances(&mut self, q: &str) -> Vec<Instance> {
        self.query(q, EnumerationMode::Objects)
            .into_iter()
            .map(|i| Instance::from_element(&i.instance.unwrap()).unwrap())
            .collect()
    }
}

fn vm_epr(guid: &str) -> Epr {
    Epr::anonymous(
        format!("{}Msvm_ComputerSystem", ns::HYPERV_V2),
        vec![
            ("CreationClassName".into(), "Msvm_ComputerSystem".into()),
            ("Name".into(), guid.into()),
        ],
    )
}

#[test]
fn full_checkpoint_export_flow_with_client_messages() {
    let mut c = Client::new(SimConfig::from_flags(&["o'brien \"x\"".into()], 5));
    c.host.state.vms[0]
        .checkpoints
        .push(hvremote::sim::state::Checkpoint {
            instance_id: "Microsoft:A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF".into(),
            name: "cp1".into(),
        });
    let q = Select::all("Msvm_ComputerSystem")
        .unwrap()
        .where_eq("ElementName", "o'brien \"x\"")
        .unwrap();
    let vms = c.instances(&q.to_string());
    assert_eq!(vms.len(), 1);
    let guid = vms[0].get_str("Name").unwrap().to_string();
    assert_eq!(vms[0].get_u16("EnabledState"), Some(3));

    let all = c.instances("SELECT * FROM Msvm_ComputerSystem");
    assert_eq!(all.len(), 7, "host + 6 vms across pages of 2");

    let vmms = c.instances("SELECT * FROM Msvm_VirtualSystemManagementService");
    let keys: Vec<(String, String)> = [
        "CreationClassName",
        "Name",
        "SystemCreationClassName",
        "SystemName",
    ]
    .iter()
    .map(|k| (k.to_string(), vmms[0].get_str(k).unwrap().to_string()))
    .collect();

    let q = Select::all("Msvm_VirtualSystemSettingData")
        .unwrap()
        .where_eq("VirtualSystemIdentifier", &guid)
        .unwrap()
        .and_eq("VirtualSystemType", "Microsoft:Hyper-V:Snapshot:Realized")
        .unwrap();
    let cps = c.instances(&q.to_string());
    assert_eq!(cps.len(), 1);
    let path = ObjectPath::new("Msvm_VirtualSystemSettingData")
        .unwrap()
        .with_host("HV01")
        .unwrap()
        .with_namespace("root\\virtualization\\v2")
        .unwrap()
        .with_key("InstanceID", cps[0].get_str("InstanceID").unwrap())
        .unwrap();

    let esd = EmbeddedInstance::new("Msvm_VirtualSystemExportSettingData")
        .uint8("CopySnapshotConfiguration", 2)
        .boolean("CopyVmRuntimeInformation", true)
        .boolean("CopyVmStorage", true)
        .boolean("CreateVmExportSubdirectory", true)
        .property(
            "SnapshotVirtualSystem",
            CimType::String,
            EmbeddedValue::Scalar(path.to_string()),
        );
    let inv = InvokeRequest {
        resource_uri: format!("{}Msvm_VirtualSystemManagementService", ns::HYPERV_V2),
        method: "ExportSystemDefinition".into(),
        selectors: keys,
        params: vec![
            ("ComputerSystem".into(), ParamValue::Ref(vm_epr(&guid))),
            (
                "ExportDirectory".into(),
                ParamValue::Scalar("\\\\nas\\exports\\R&D".into()),
            ),
            (
                "ExportSettingData".into(),
                ParamValue::Embedded(esd.to_cimxml().unwrap()),
            ),
        ],
    };
    let (st, body) = c.send(inv.to_request(&c.settings, &c.ids).unwrap());
    let out = invoke::parse_output(st, &body, Some("ExportSystemDefinition")).unwrap();
    assert_eq!(out.return_value, 4096, "{body}");
    let job = out.epr("Job").unwrap().unwrap();
    assert_eq!(c.host.export_invocations(), 1);

    c.now = Duration::from_secs(4);
    let (st, body) =
        c.send(get::request(&c.settings, &c.ids, &job.resource_uri, &job.selectors).unwrap());
    let j = Instance::from_element(&get::parse(st, &body).unwrap()).unwrap();
    assert_eq!(
        (j.get_u16("JobState"), j.get_u16("PercentComplete")),
        (Some(4), Some(50))
    );
    assert!(j.get_interval("TimeBeforeRemoval").is_some());

    c.now = Duration::from_secs(9);
    let id = job.selector("InstanceID").unwrap().to_string();
    let q = Select::all("Msvm_ConcreteJob")
        .unwrap()
        .where_eq("InstanceID", &id)
        .unwrap();
    let jobs = c.instances(&q.to_string());
    assert_eq!(jobs[0].get_u16("JobState"), Some(7));
    assert_eq!(jobs[0].get_u16("ErrorCode"), Some(0));
}

#[test]
fn client_parsers_see_the_simulator_faults() {
    let mut c = Client::new(SimConfig::demo());
    let star = format!("{}*", ns::HYPERV_V2);
    let e = EnumerateRequest::new(&star, Some("SELECT * FROM Nope"), EnumerationMode::Epr);
    let (st, body) = c.send(e.to_request(&c.settings, &c.ids).unwrap());
    let err = enumerate::parse_page(st, &body).unwrap_err();
    let f = err.fault().expect("a fault");
    assert_eq!(f.wsman_code, Some(2150858778));
    assert_eq!(f.subcode_local(), Some("CannotProcessFilter"));
    assert_eq!(f.http_status, 500);

    let uri = format!("{}Msvm_ConcreteJob", ns::HYPERV_V2);
    let sel = vec![("InstanceID".to_string(), "GONE".to_string())];
    let (st, body) = c.send(get::request(&c.settings, &c.ids, &uri, &sel).unwrap());
    let f = get::parse(st, &body).unwrap_err();
    assert_eq!(f.fault().and_then(|f| f.wsman_code), Some(2150858752));

    let items = c.query(
        "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'web01'",
        EnumerationMode::ObjectAndEpr,
    );
    let epr = items[0].epr.clone().unwrap();
    assert_eq!(
        epr.selector("CreationClassName"),
        Some("Msvm_ComputerSystem")
    );
    assert!(items[0].instance.is_some());
}

#[test]
fn associators_of_lists_a_vms_checkpoints() {
    let mut c = Client::new(SimConfig::demo());
    let guid = c.host.state.vms[0].guid.clone();
    let path = ObjectPath::new("Msvm_ComputerSystem")
        .unwrap()
        .with_key("CreationClassName", "Msvm_ComputerSystem")
        .unwrap()
        .with_key("Name", &guid)
        .unwrap();
    let q = format!(
        "ASSOCIATORS OF {{{path}}} WHERE AssocClass = Msvm_SnapshotOfVirtualSystem ResultClass = Msvm_VirtualSystemSettingData"
    );
    let cps = c.instances(&q);
    let names: Vec<_> = cps
        .iter()
        .map(|i| i.get_str("ElementName").unwrap().to_string())
        .collect();
    assert_eq!(names, ["before-update", "after-update"]);
    let q = format!(
        "ASSOCIATORS OF {{{path}}} WHERE AssocClass = Msvm_SettingsDefineState ResultClass = Msvm_VirtualSystemSettingData"
    );
    let active = c.instances(&q);
    assert_eq!(active.len(), 1);
    assert_eq!(
        active[0].get_str("VirtualSystemType"),
        Some("Microsoft:Hyper-V:System:Realized")
    );
}

#[test]
fn reply_shape_variations_still_parse_with_the_client() {
    let mut cfg = SimConfig::from_flags(&[], 4);
    cfg.variations.job_epr_wrapped = true;
    cfg.variations.job_epr_cimnamespace = true;
    cfg.variations.return_value_first = true;
    cfg.variations.pull_items_in_wsman_ns = true;
    let mut c = Client::new(cfg);
    let all = c.instances("SELECT * FROM Msvm_ComputerSystem");
    assert_eq!(all.len(), 5);
    let guid = c.host.state.vms[0].guid.clone();
    let esd = EmbeddedInstance::new("Msvm_VirtualSystemExportSettingData")
        .uint8("CopySnapshotConfiguration", 1);
    let inv = InvokeRequest {
        resource_uri: format!("{}Msvm_VirtualSystemManagementService", ns::HYPERV_V2),
        method: "ExportSystemDefinition".into(),
        selectors: vec![(
            "CreationClassName".into(),
            "Msvm_VirtualSystemManagementService".into(),
        )],
        params: vec![
            ("ComputerSystem".into(), ParamValue::Ref(vm_epr(&guid))),
            (
                "ExportDirectory".into(),
                ParamValue::Scalar("C:\\Exports".into()),
            ),
            (
                "ExportSettingData".into(),
                ParamValue::Embedded(esd.to_cimxml().unwrap()),
            ),
        ],
    };
    let (st, body) = c.send(inv.to_request(&c.settings, &c.ids).unwrap());
    assert!(body.contains("EndpointReference") && body.contains("__cimnamespace"));
    let out = invoke::parse_output(st, &body, Some("ExportSystemDefinition")).unwrap();
    assert_eq!(out.return_value, 4096);
    let job = out.epr("Job").unwrap().unwrap();
    let (st, body) =
        c.send(get::request(&c.settings, &c.ids, &job.resource_uri, &job.selectors).unwrap());
    let j = Instance::from_element(&get::parse(st, &body).unwrap()).unwrap();
    assert_eq!(j.get_u16("JobState"), Some(2));
}

#[test]
fn provider_and_wmi_error_fault_details_parse_with_the_client() {
    let mut c = Client::new(SimConfig::demo());
    let star = format!("{}*", ns::HYPERV_V2);
    let e = EnumerateRequest::new(
        &star,
        Some("SELECT * FROM Msvm_Nope"),
        EnumerationMode::Objects,
    );
    let (st, body) = c.send(e.to_request(&c.settings, &c.ids).unwrap());
    assert!(body.contains("ProviderFault") && body.contains("__ExtendedStatus"));
    let err = enumerate::parse_page(st, &body).unwrap_err();
    let f = err.fault().unwrap();
    assert_eq!(f.wsman_code, Some(2150858778));
    let msg = f.wsman_message.clone().unwrap_or_default();
    assert!(msg.contains("class does not exist"), "{msg}");

    let guid = c.host.state.vms[0].guid.clone();
    let inv = InvokeRequest {
        resource_uri: format!("{}Msvm_VirtualSystemManagementService", ns::HYPERV_V2),
        method: "ExportSystemDefinition".into(),
        selectors: vec![],
        params: vec![
            ("ComputerSystem".into(), ParamValue::Ref(vm_epr(&guid))),
            (
                "ExportDirectory".into(),
                ParamValue::Scalar("C:\\Exports".into()),
            ),
            (
                "ExportSettingData".into(),
                ParamValue::Embedded("<INSTANCE CLASSNAME=\"Msvm_Other\"/>".into()),
            ),
        ],
    };
    let (st, body) = c.send(inv.to_request(&c.settings, &c.ids).unwrap());
    let err = invoke::parse_output(st, &body, Some("ExportSystemDefinition")).unwrap_err();
    let f = err.fault().unwrap();
    assert_eq!(f.subcode_local(), Some("InvalidParameter"));
    let wmi = f.wmi_error.clone().expect("msft_wmierror detail");
    assert_eq!(wmi.error_code.as_deref(), Some("2147749896"));
}
