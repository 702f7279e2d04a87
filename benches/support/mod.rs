//! Shared set-up for the criterion benches: realistic messages produced by the simulated host's
//! pure part (`sim::Host`), and an NTLM session pair from a real handshake (no sockets).
//!
//! Not a bench itself; each bench file includes it with `mod support;`.

#![allow(dead_code)]

use std::time::Duration;

use hvremote::hyperv::classes::{self, COMPUTER_SYSTEM, VMMS};
use hvremote::hyperv::export::{export_setting_data, vm_epr};
use hvremote::hyperv::model::{Vm, VmState};
use hvremote::hyperv::options::ExportOptions;
use hvremote::ntlm::{Client, ClientConfig, Credentials, Server, ServerConfig, Session};
use hvremote::sim::{Host, SimConfig};
use hvremote::soap::UuidMessageIds;
use hvremote::wsman::Settings;
use hvremote::wsman::enumerate::EnumerateRequest;
use hvremote::wsman::invoke::{InvokeRequest, ParamValue};

/// The endpoint every message is addressed to.
pub const TO: &str = "http://127.0.0.1:5985/wsman";

/// A simulated host with `generated` VMs (plus one named `vm1`).
pub fn host(generated: usize) -> Host {
    Host::new(SimConfig::from_flags(&["vm1".to_string()], generated))
}

/// The ExportSystemDefinition request for the first VM of `host`, built the way the client
/// builds it (embedded `Msvm_VirtualSystemExportSettingData`, REF to the VM, VMMS selectors).
pub fn export_request(host: &Host) -> InvokeRequest {
    let sim_vm = &host.state.vms[0];
    let vm = Vm {
        id: sim_vm.guid.clone(),
        name: sim_vm.name.clone(),
        state: VmState(sim_vm.enabled_state),
        enabled_state: sim_vm.enabled_state,
    };
    let settings = ExportOptions::default()
        .settings(None)
        .expect("default export settings");
    let embedded = export_setting_data(&settings).expect("embedded instance");
    InvokeRequest {
        resource_uri: classes::uri(VMMS),
        method: "ExportSystemDefinition".to_string(),
        selectors: vec![
            ("CreationClassName".to_string(), VMMS.to_string()),
            ("Name".to_string(), "vmms".to_string()),
            (
                "SystemCreationClassName".to_string(),
                COMPUTER_SYSTEM.to_string(),
            ),
            (
                "SystemName".to_string(),
                host.state.config.host_name.clone(),
            ),
        ],
        params: vec![
            ("ComputerSystem".to_string(), ParamValue::Ref(vm_epr(&vm))),
            (
                "ExportDirectory".to_string(),
                ParamValue::Scalar("D:\\Exports".to_string()),
            ),
            (
                "ExportSettingData".to_string(),
                ParamValue::Embedded(embedded),
            ),
        ],
    }
}

/// Build a request body.
pub fn body_of(req: &InvokeRequest) -> String {
    req.to_request(&Settings::new(TO), &UuidMessageIds)
        .expect("request builds")
        .body
}

/// The host's reply to `request` (must be a 200).
pub fn reply(host: &mut Host, request: &str) -> String {
    let r = host.handle(Duration::ZERO, request);
    assert_eq!(r.status, 200, "simulated host refused: {}", r.body);
    r.body
}

/// The first page of `SELECT * FROM Msvm_ComputerSystem` at `max_envelope_size` bytes.
pub fn enumeration_page(host: &mut Host, max_envelope_size: u32) -> String {
    enumeration_page_for(host, max_envelope_size, "SELECT * FROM Msvm_ComputerSystem")
}

/// The host's first reply to the WQL `query` (optimized Enumerate, MaxEnvelopeSize as given).
pub fn enumeration_page_for(host: &mut Host, max_envelope_size: u32, query: &str) -> String {
    let mut s = Settings::new(TO);
    s.max_envelope_size = max_envelope_size;
    let req = EnumerateRequest::new(
        &format!("{}*", hvremote::xml::ns::HYPERV_V2),
        Some(query),
        Default::default(),
    )
    .to_request(&s, &UuidMessageIds)
    .expect("enumerate builds");
    reply(host, &req.body)
}

/// (client, server) NTLM sessions from a full NEGOTIATE/CHALLENGE/AUTHENTICATE exchange.
pub fn sessions() -> (Session, Session) {
    let credentials = Credentials::new("admin", "bench-password").expect("credentials");
    let mut client = Client::new(ClientConfig {
        credentials,
        target_spn: String::new(),
        channel_bindings: None,
    });
    let mut server = Server::new(
        ServerConfig {
            accounts: vec![("admin".to_string(), "bench-password".to_string())],
            netbios_domain: "HV01".to_string(),
            dns_domain: "example.test".to_string(),
            netbios_computer: "HV01".to_string(),
            dns_computer: "hv01.example.test".to_string(),
            expected_channel_bindings: None,
        },
        [7; 8],
        133_000_000_000_000_000,
    );
    let negotiate = client.negotiate();
    let challenge = server.challenge(&negotiate).expect("challenge");
    let authenticate = client.authenticate(&challenge).expect("authenticate");
    let (server_session, _) = server.authenticate(&authenticate).expect("accepted");
    (
        client.into_session().expect("client session"),
        server_session,
    )
}
