//! `ExportSystemDefinition`: resolve the VM, the management service's keys and (optionally) the
//! checkpoint, build the embedded `Msvm_VirtualSystemExportSettingData`, invoke, and interpret
//! the return value (hyperv-wsman.md §8.2, §8.3, §9.2, §10).
//!
//! Glue: I/O through [`Ops`]. The method is invoked exactly once; following the job is
//! [`super::job`]'s business and never repeats the invoke.

use super::classes::{self, COMPUTER_SYSTEM, VMMS, VSSD};
use super::model::{ReturnCode, Snapshot, Vm};
use super::ops::{Arg, Ops};
use super::options::{EXPORT_SETTING_DATA_CLASS, ExportOptions, PropertyValue};
use crate::cim::embedded::EmbeddedInstance;
use crate::cim::path::ObjectPath;
use crate::error::{Error, ErrorKind};
use crate::soap::addressing::Epr;
use crate::xml::ns;

/// The WMI namespace of the Hyper-V v2 classes, as object paths write it.
const HYPERV_NAMESPACE: &str = r"root\virtualization\v2";

/// How an export started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportStarted {
    /// The exported VM.
    pub vm: Vm,
    /// The exported checkpoint, if one.
    pub snapshot: Option<Snapshot>,
    /// `ReturnValue` (0 done, 4096 job started).
    pub return_value: u32,
    /// The job's EPR when `return_value` is 4096.
    pub job: Option<Epr>,
}

/// The management service's selector set, learned by WQL (fallback: constants without
/// `SystemName`).
pub async fn vmms_selectors(ops: &dyn Ops) -> Result<Vec<(String, String)>, Error> {
    let items = ops
        .query(&classes::wql_vmms())
        .await
        .map_err(|e| e.context("find the virtual system management service"))?;
    let inst = items.first();
    let get = |p: &str, d: &str| {
        inst.and_then(|i| classes::prop(i, p))
            .unwrap_or_else(|| d.to_string())
    };
    let mut sel = vec![
        (
            "CreationClassName".to_string(),
            get("CreationClassName", VMMS),
        ),
        ("Name".to_string(), get("Name", "vmms")),
        (
            "SystemCreationClassName".to_string(),
            get("SystemCreationClassName", COMPUTER_SYSTEM),
        ),
    ];
    if let Some(host) = inst.and_then(|i| classes::prop(i, "SystemName")) {
        sel.push(("SystemName".to_string(), host));
    }
    Ok(sel)
}

/// The REF parameter naming a VM (CreationClassName + Name).
pub fn vm_epr(vm: &Vm) -> Epr {
    Epr {
        address: ns::ANONYMOUS.to_string(),
        resource_uri: classes::uri(COMPUTER_SYSTEM),
        selectors: vec![
            ("CreationClassName".to_string(), COMPUTER_SYSTEM.to_string()),
            ("Name".to_string(), vm.id.clone()),
        ],
    }
}

/// The WMI object path of a checkpoint's settings:
/// `\\HOST\root\virtualization\v2:Msvm_VirtualSystemSettingData.InstanceID="…"` (built by
/// [`ObjectPath`], which escapes `\` and `"` in the key).
pub fn snapshot_path(host: &str, instance_id: &str) -> Result<String, Error> {
    let path = ObjectPath::new(VSSD)?
        .with_namespace(HYPERV_NAMESPACE)?
        .with_host(host)?
        .with_key("InstanceID", instance_id)?;
    Ok(path.to_string())
}

/// The CIM-XML text of the embedded export settings (DSP0201 `INSTANCE`, written by
/// [`EmbeddedInstance::to_cimxml`]).
pub fn export_setting_data(props: &[(&'static str, PropertyValue)]) -> Result<String, Error> {
    let mut inst = EmbeddedInstance::new(EXPORT_SETTING_DATA_CLASS);
    for (name, value) in props {
        inst = match value {
            PropertyValue::U8(v) => inst.uint8(name, *v),
            PropertyValue::Bool(b) => inst.boolean(name, *b),
            PropertyValue::Str(s) => inst.string(name, s),
        };
    }
    Ok(inst.to_cimxml()?)
}

/// Export `vm_name` (name or GUID) to `dest` on the host. Returns once the method answered;
/// a `MethodFailed` error for return codes other than 0 and 4096.
pub async fn export(
    ops: &dyn Ops,
    vm_name: &str,
    dest: &str,
    options: &ExportOptions,
) -> Result<ExportStarted, Error> {
    if dest.trim().is_empty() {
        return Err(Error::new(ErrorKind::Usage, "export destination is empty"));
    }
    let vm = super::vm::find_vm(ops, vm_name).await?;
    let ctx = format!("export {}", vm.name);
    let selectors = vmms_selectors(ops).await.map_err(|e| e.context(&ctx))?;
    let snapshot = match options.snapshot_name() {
        Some(n) => Some(
            super::vm::find_snapshot(ops, &vm, n)
                .await
                .map_err(|e| e.context(&ctx))?,
        ),
        None => None,
    };
    let host = selectors
        .iter()
        .find(|(k, _)| k == "SystemName")
        .map(|(_, v)| v.as_str())
        .unwrap_or(".");
    let path = snapshot
        .as_ref()
        .map(|s| snapshot_path(host, &s.instance_id))
        .transpose()
        .map_err(|e| e.context(&ctx))?;
    let settings = export_setting_data(&options.settings(path.as_deref())?)?;
    let args = vec![
        ("ComputerSystem".to_string(), Arg::Ref(vm_epr(&vm))),
        ("ExportDirectory".to_string(), Arg::Str(dest.to_string())),
        ("ExportSettingData".to_string(), Arg::Str(settings)),
    ];
    let uri = classes::uri(VMMS);
    let out = ops
        .invoke(&uri, "ExportSystemDefinition", &selectors, &args)
        .await
        .map_err(|e| e.context(&ctx))?;
    let code = ReturnCode(out.return_value);
    let job = out.epr("Job").cloned();
    match code {
        ReturnCode::COMPLETED => {}
        ReturnCode::JOB_STARTED if job.is_some() => {}
        ReturnCode::JOB_STARTED => {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!("{ctx}: job started but no job reference returned"),
            ));
        }
        _ => {
            return Err(Error::new(
                ErrorKind::MethodFailed,
                format!("{ctx}: method failed ({}): {}", code.0, code.describe()),
            )
            .with_return_code(code.0));
        }
    }
    Ok(ExportStarted {
        vm,
        snapshot,
        return_value: code.0,
        job,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hyperv::ops::MethodOutput;
    use crate::hyperv::ops::fake::{Call, FakeOps, inst};
    use crate::hyperv::{SnapshotSelection, VmState};

    const G1: &str = "5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12";

    fn script(ops: &FakeOps, rv: u32) {
        ops.push_query(Ok(vec![inst(
            "Msvm_ComputerSystem",
            &[
                ("ElementName", Some("web01")),
                ("EnabledState", Some("3")),
                ("Name", Some(G1)),
            ],
        )]));
        ops.push_query(Ok(vec![inst(
            "Msvm_VirtualSystemManagementService",
            &[
                ("CreationClassName", Some(VMMS)),
                ("Name", Some("vmms")),
                ("SystemCreationClassName", Some(COMPUTER_SYSTEM)),
                ("SystemName", Some("HV01")),
            ],
        )]));
        let job = Epr {
            address: ns::ANONYMOUS.into(),
            resource_uri: classes::uri("Msvm_ConcreteJob"),
            selectors: vec![("InstanceID".into(), "J1".into())],
        };
        let refs = if rv == 4096 {
            vec![("Job".to_string(), job)]
        } else {
            vec![]
        };
        ops.push_invoke(Ok(MethodOutput {
            return_value: rv,
            refs,
            values: vec![],
        }));
    }

    type Invoked = (String, Vec<(String, String)>, Vec<(String, Arg)>);

    fn invoke_call(ops: &FakeOps) -> Invoked {
        for c in ops.calls() {
            if let Call::Invoke(u, m, s, a) = c {
                assert_eq!(m, "ExportSystemDefinition");
                return (u, s, a);
            }
        }
        panic!("no invoke")
    }

    #[tokio::test]
    async fn default_export_sends_keys_epr_and_settings() {
        let ops = FakeOps::default();
        script(&ops, 4096);
        let r = export(&ops, "web01", "D:\\Exports\\R&D", &ExportOptions::default())
            .await
            .unwrap();
        assert_eq!(r.return_value, 4096);
        assert_eq!(r.job.unwrap().selector("InstanceID"), Some("J1"));
        let (uri, sel, args) = invoke_call(&ops);
        assert!(uri.ends_with("/v2/Msvm_VirtualSystemManagementService"));
        let keys: Vec<_> = sel.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            keys,
            [
                "CreationClassName=Msvm_VirtualSystemManagementService",
                "Name=vmms",
                "SystemCreationClassName=Msvm_ComputerSystem",
                "SystemName=HV01"
            ]
        );
        let names: Vec<_> = args.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["ComputerSystem", "ExportDirectory", "ExportSettingData"]
        );
        let Arg::Ref(epr) = &args[0].1 else {
            panic!("not a ref")
        };
        assert_eq!(epr.selector("Name"), Some(G1));
        assert_eq!(
            epr.selector("CreationClassName"),
            Some("Msvm_ComputerSystem")
        );
        assert_eq!(args[1].1, Arg::Str("D:\\Exports\\R&D".into()));
        assert_eq!(
            args[2].1,
            Arg::Str(concat!(
                r#"<INSTANCE CLASSNAME="Msvm_VirtualSystemExportSettingData">"#,
                r#"<PROPERTY NAME="CopySnapshotConfiguration" TYPE="uint8"><VALUE>0</VALUE></PROPERTY>"#,
                r#"<PROPERTY NAME="CopyVmRuntimeInformation" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY>"#,
                r#"<PROPERTY NAME="CopyVmStorage" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY>"#,
                r#"<PROPERTY NAME="CreateVmExportSubdirectory" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY>"#,
                "</INSTANCE>"
            )
            .into())
        );
    }

    #[tokio::test]
    async fn snapshot_export_sends_object_path() {
        let ops = FakeOps::default();
        script(&ops, 4096);
        ops.push_query(Ok(vec![inst(
            VSSD,
            &[
                ("ElementName", Some("before")),
                ("InstanceID", Some("Microsoft:A1B2")),
            ],
        )]));
        // queue order: vm, vmms, snapshots
        let opts = ExportOptions {
            snapshots: SnapshotSelection::One("before".into()),
            ..Default::default()
        };
        let r = export(&ops, "web01", "D:\\E", &opts).await.unwrap();
        assert_eq!(r.snapshot.unwrap().instance_id, "Microsoft:A1B2");
        let (_, _, args) = invoke_call(&ops);
        let Arg::Str(s) = &args[2].1 else {
            panic!("not a string")
        };
        assert!(s.contains(r#"<VALUE>2</VALUE>"#), "{s}");
        assert!(
            s.contains(r#"<PROPERTY NAME="SnapshotVirtualSystem" TYPE="string"><VALUE>\\HV01\root\virtualization\v2:Msvm_VirtualSystemSettingData.InstanceID="Microsoft:A1B2"</VALUE>"#),
            "{s}"
        );
    }

    #[tokio::test]
    async fn failure_code_is_method_failed() {
        let ops = FakeOps::default();
        script(&ops, 32775);
        let e = export(&ops, "web01", "D:\\E", &ExportOptions::default())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MethodFailed);
        assert_eq!(e.return_code(), Some(32775));
        assert_eq!(
            e.message(),
            "export web01: method failed (32775): invalid state for this operation"
        );
        let _ = VmState::OFF;
    }

    #[test]
    fn object_path_escapes_key() {
        assert_eq!(
            snapshot_path("HV01", r#"a"b\c"#).unwrap(),
            r#"\\HV01\root\virtualization\v2:Msvm_VirtualSystemSettingData.InstanceID="a\"b\\c""#
        );
    }
}
