//! Invoke on the simulated host: `ExportSystemDefinition`, and the job's `RequestStateChange`
//! and `GetErrorEx` (hyperv-wsman.md §8, §10, E5–E8, E15).
//!
//! ExportSystemDefinition is validated the way this simulator documents (the real host's exact
//! answer is unknown for most of these, §20):
//! * VMMS selectors: any subset of the four keys is accepted; a wrong value or unknown key →
//!   `w:InvalidSelectors` fault. The method then counts as invoked.
//! * Structural problems → `w:InvalidParameter` fault: body not `ExportSystemDefinition_INPUT`,
//!   `ComputerSystem` wrapped in `a:EndpointReference` or without ReferenceParameters/selector
//!   `Name`, `ExportSettingData` given as nested XML or as unparsable CIM-XML, or an instance
//!   whose CLASSNAME is not `Msvm_VirtualSystemExportSettingData`.
//! * ReturnValue **32773** (invalid parameter): a missing parameter, a `ComputerSystem` that
//!   names no VM, an `ExportDirectory` that is not an absolute drive (`C:\…`) or UNC
//!   (`\\server\share…`) path, an unknown property, an unparsable or out-of-range value
//!   (CopySnapshotConfiguration 0..=3, CaptureLiveState 0..=2, BackupIntent 0..=1, booleans
//!   TRUE/FALSE), CopySnapshotConfiguration 2/3 without a SnapshotVirtualSystem naming a
//!   checkpoint **of that VM**.
//! * ReturnValue **32776** (incorrect data type): a property whose TYPE is missing or differs
//!   from the class's CIM type, or whose array-ness differs.
//! * Otherwise the injected return code (with `p:Job` nil), or 4096 and a job EPR.
//!
//! The job methods (`RequestStateChange`, `GetErrorEx`) are in `sim::job_methods`.

use super::cimxml::{self, CimInstance};
use super::envelope::SimFault;
use super::faults;
use super::host::{Call, Host, check_selectors, class_of_uri};
use super::model;
use super::render;
use super::scenario::Variations;
use crate::cim::path::ObjectPath;
use crate::xml::{Element, XmlWriter, ns};

/// ExportSystemDefinition return codes used by the simulator.
pub mod rc {
    /// Job started.
    pub const JOB_STARTED: u32 = 4096;
    /// Not supported.
    pub const NOT_SUPPORTED: u32 = 32770;
    /// Invalid parameter.
    pub const INVALID_PARAMETER: u32 = 32773;
    /// Invalid state.
    pub const INVALID_STATE: u32 = 32775;
    /// Incorrect data type.
    pub const INCORRECT_TYPE: u32 = 32776;
}

const EXPORT_PROPS: [(&str, &str, bool); 15] = [
    ("BackupIntent", "uint8", false),
    ("Caption", "string", false),
    ("CaptureLiveState", "uint8", false),
    ("CopySnapshotConfiguration", "uint8", false),
    ("CopyVmRuntimeInformation", "boolean", false),
    ("CopyVmStorage", "boolean", false),
    ("CreateVmExportSubdirectory", "boolean", false),
    ("Description", "string", false),
    ("DifferentialBackupBase", "string", false),
    ("DisableDifferentialOfIgnoredStorage", "boolean", false),
    ("ElementName", "string", false),
    ("ExcludedVirtualHardDisks", "string", true),
    ("ExportForLiveMigration", "boolean", false),
    ("InstanceID", "string", false),
    ("SnapshotVirtualSystem", "string", false),
];

/// Why an export is refused: a fault, or a ReturnValue.
enum Refusal {
    Fault(SimFault),
    Code(u32),
}

impl From<SimFault> for Refusal {
    fn from(f: SimFault) -> Self {
        Refusal::Fault(f)
    }
}

impl Host {
    pub(crate) fn invoke(&mut self, call: &Call<'_>) -> Result<String, SimFault> {
        let class = class_of_uri(call.req.resource_uri.as_deref())?;
        let action = call.req.action.as_deref().unwrap_or_default();
        let method = action
            .strip_prefix(&render::class_uri(class))
            .and_then(|m| m.strip_prefix('/'));
        match (class, method) {
            (model::VMMS, Some("ExportSystemDefinition")) => self.export(call),
            (model::CONCRETE_JOB, Some("RequestStateChange")) => self.job_state_change(call),
            (model::CONCRETE_JOB, Some("GetErrorEx")) => self.get_error_ex(call),
            _ => Err(faults::action_not_supported(action)),
        }
    }

    fn export(&mut self, call: &Call<'_>) -> Result<String, SimFault> {
        self.check_vmms_selectors(&call.req.selectors)?;
        self.state.export_invocations += 1;
        let v = self.state.config.variations.clone();
        let out = |code: u32, job: Option<String>| {
            Host::output(call, model::VMMS, "p:ExportSystemDefinition_OUTPUT", |w| {
                if v.return_value_first {
                    w.leaf("p:ReturnValue", &code.to_string());
                }
                write_job(w, job.as_deref(), &v);
                if !v.return_value_first {
                    w.leaf("p:ReturnValue", &code.to_string());
                }
            })
        };
        let vm_guid = match self.validate_export(call.req.body.as_ref()) {
            Ok(g) => g,
            Err(Refusal::Fault(f)) => return Err(f),
            Err(Refusal::Code(c)) => return Ok(out(c, None)),
        };
        if let Some(code) = self.state.config.faults.export_return_code {
            return Ok(out(code, None));
        }
        let id = self.state.start_job(call.now, &vm_guid);
        Ok(out(rc::JOB_STARTED, Some(id)))
    }

    fn check_vmms_selectors(&self, selectors: &[(String, String)]) -> Result<(), SimFault> {
        let host = &self.state.config.host_name;
        for (k, v) in check_selectors(model::VMMS, selectors)? {
            let want = match k {
                "CreationClassName" => model::VMMS,
                "Name" => "vmms",
                "SystemCreationClassName" => model::COMPUTER_SYSTEM,
                _ => host.as_str(),
            };
            if !v.eq_ignore_ascii_case(want) {
                return Err(faults::invalid_selectors(&format!("{k}={v}")));
            }
        }
        Ok(())
    }

    /// Returns the VM GUID to export.
    fn validate_export(&self, body: Option<&Element>) -> Result<String, Refusal> {
        let uri = render::class_uri(model::VMMS);
        let input = body.filter(|b| b.is(&uri, "ExportSystemDefinition_INPUT"));
        let input = input.ok_or_else(|| {
            faults::invalid_parameter("the body is not ExportSystemDefinition_INPUT")
        })?;
        let param = |n: &str| input.child(&uri, n).filter(|e| !e.is_nil());
        let cs = param("ComputerSystem").ok_or(Refusal::Code(rc::INVALID_PARAMETER))?;
        let guid = vm_selector(cs)?;
        let vm = self
            .state
            .vm(&guid)
            .ok_or(Refusal::Code(rc::INVALID_PARAMETER))?;
        let dir = param("ExportDirectory")
            .map(Element::text)
            .unwrap_or_default();
        if !is_absolute_windows_path(dir.trim()) {
            return Err(Refusal::Code(rc::INVALID_PARAMETER));
        }
        let esd = param("ExportSettingData").ok_or(Refusal::Code(rc::INVALID_PARAMETER))?;
        if esd.elements().next().is_some() {
            return Err(faults::invalid_parameter(
                "exportsettingdata must be a cim-xml string, not nested xml",
            )
            .into());
        }
        let inst =
            cimxml::parse_instance(&esd.text()).map_err(|e| faults::wmi_invalid_parameter(&e))?;
        if !inst
            .class
            .eq_ignore_ascii_case("Msvm_VirtualSystemExportSettingData")
        {
            return Err(faults::wmi_invalid_parameter(&format!(
                "embedded class {} is not Msvm_VirtualSystemExportSettingData",
                inst.class
            ))
            .into());
        }
        self.check_settings(&inst, &vm.guid)?;
        Ok(vm.guid.clone())
    }

    fn check_settings(&self, inst: &CimInstance, vm_guid: &str) -> Result<(), Refusal> {
        let mut config = None;
        let mut snapshot = None;
        for p in &inst.props {
            let (name, ty, array) = EXPORT_PROPS
                .iter()
                .find(|(n, _, _)| n.eq_ignore_ascii_case(&p.name))
                .ok_or(Refusal::Code(rc::INVALID_PARAMETER))?;
            if !p.ty.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(ty)) || p.array != *array {
                return Err(Refusal::Code(rc::INCORRECT_TYPE));
            }
            let value = p.values.first().map(|v| v.trim().to_string());
            let max = match *name {
                "CopySnapshotConfiguration" => 3,
                "CaptureLiveState" => 2,
                _ => 1,
            };
            match (*ty, value) {
                (_, None) => {}
                ("boolean", Some(v))
                    if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") =>
                {
                    return Err(Refusal::Code(rc::INVALID_PARAMETER));
                }
                ("uint8", Some(v)) => {
                    let n: u8 = v
                        .parse()
                        .map_err(|_| Refusal::Code(rc::INVALID_PARAMETER))?;
                    if n > max {
                        return Err(Refusal::Code(rc::INVALID_PARAMETER));
                    }
                    if *name == "CopySnapshotConfiguration" {
                        config = Some(n);
                    }
                }
                ("string", Some(v)) if *name == "SnapshotVirtualSystem" => snapshot = Some(v),
                _ => {}
            }
        }
        if matches!(config, Some(2 | 3)) {
            let path = snapshot.ok_or(Refusal::Code(rc::INVALID_PARAMETER))?;
            let id = self
                .checkpoint_id_of_path(&path)
                .ok_or(Refusal::Code(rc::INVALID_PARAMETER))?;
            let vm = self
                .state
                .vm(vm_guid)
                .ok_or(Refusal::Code(rc::INVALID_PARAMETER))?;
            if !vm
                .checkpoints
                .iter()
                .any(|c| c.instance_id.eq_ignore_ascii_case(&id))
            {
                return Err(Refusal::Code(rc::INVALID_PARAMETER));
            }
        }
        Ok(())
    }

    /// The InstanceID named by a VSSD object path (`\\HOST\root\virtualization\v2:Class.InstanceID="…"`,
    /// parsed by `cim::path`); host, when given, must be this host (`.`, NetBIOS or DNS name)
    /// and namespace `root\virtualization\v2`.
    fn checkpoint_id_of_path(&self, path: &str) -> Option<String> {
        let p = ObjectPath::parse(path).ok()?;
        let cfg = &self.state.config;
        let host_ok = p.host.as_deref().is_none_or(|h| {
            h == "."
                || h.eq_ignore_ascii_case(&cfg.host_name)
                || h.eq_ignore_ascii_case(&cfg.dns_name)
        });
        let ns_ok = p.namespace.as_deref().is_none_or(|n| {
            n.replace('/', "\\")
                .eq_ignore_ascii_case("root\\virtualization\\v2")
        });
        let class_ok = p.class.eq_ignore_ascii_case(model::VSSD);
        (host_ok && ns_ok && class_ok).then(|| p.key("InstanceID").map(str::to_string))?
    }
}

/// `p:Job`: nil, or the job EPR (optionally wrapped, optionally with `__cimnamespace`).
fn write_job(w: &mut XmlWriter, job: Option<&str>, v: &Variations) {
    let Some(id) = job else {
        w.start("p:Job").attr("xsi:nil", "true").end();
        return;
    };
    let mut keys = vec![("InstanceID", id.to_string())];
    if v.job_epr_cimnamespace {
        keys.push(("__cimnamespace", "root/virtualization/v2".to_string()));
    }
    w.start("p:Job");
    if v.job_epr_wrapped {
        w.start("a:EndpointReference");
    }
    render::write_epr_children(w, model::CONCRETE_JOB, &keys);
    if v.job_epr_wrapped {
        w.end();
    }
    w.end();
}

/// The VM GUID in a REF parameter (Address + ReferenceParameters directly inside).
fn vm_selector(cs: &Element) -> Result<String, Refusal> {
    if cs.child(ns::ADDRESSING, "EndpointReference").is_some() {
        return Err(faults::invalid_parameter(
            "computersystem must not be wrapped in a:EndpointReference",
        )
        .into());
    }
    let rp = cs.child(ns::ADDRESSING, "ReferenceParameters");
    let rp =
        rp.ok_or_else(|| faults::invalid_parameter("computersystem has no a:ReferenceParameters"))?;
    let uri = rp.child_text(ns::WSMAN, "ResourceURI").unwrap_or_default();
    if class_of_uri(Some(&uri)).ok() != Some(model::COMPUTER_SYSTEM) {
        return Err(faults::invalid_parameter(
            "computersystem does not reference msvm_computersystem",
        )
        .into());
    }
    rp.child(ns::WSMAN, "SelectorSet")
        .into_iter()
        .flat_map(|s| s.children_named(ns::WSMAN, "Selector"))
        .find(|s| {
            s.attr(None, "Name")
                .is_some_and(|n| n.eq_ignore_ascii_case("Name"))
        })
        .map(Element::text_trim)
        .ok_or_else(|| faults::invalid_parameter("computersystem has no Name selector").into())
}

/// `C:\…` or `\\server\share…`.
pub fn is_absolute_windows_path(p: &str) -> bool {
    let b = p.as_bytes();
    let drive = b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\';
    let unc = p
        .strip_prefix("\\\\")
        .and_then(|r| r.split_once('\\'))
        .is_some_and(|(s, sh)| !s.is_empty() && !sh.is_empty());
    drive || unc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_paths() {
        assert!(is_absolute_windows_path("C:\\Exports"));
        assert!(is_absolute_windows_path("\\\\srv\\share\\x"));
        assert!(!is_absolute_windows_path("Exports"));
        assert!(!is_absolute_windows_path("C:Exports"));
        assert!(!is_absolute_windows_path("\\\\srv"));
    }

    #[test]
    fn checkpoint_paths_are_parsed_tolerantly() {
        let h = Host::new(crate::sim::SimConfig::demo());
        let id = "Microsoft:AB";
        let ok = [
            "\\\\HV01\\root\\virtualization\\v2:Msvm_VirtualSystemSettingData.InstanceID=\"Microsoft:AB\"",
            "\\\\hv01.example.test\\Root\\Virtualization\\V2:msvm_virtualsystemsettingdata.InstanceID='Microsoft:AB'",
            "Msvm_VirtualSystemSettingData.InstanceID=\"Microsoft:AB\"",
        ];
        for p in ok {
            assert_eq!(h.checkpoint_id_of_path(p).as_deref(), Some(id), "{p}");
        }
        let bad = [
            "\\\\OTHER\\root\\virtualization\\v2:Msvm_VirtualSystemSettingData.InstanceID=\"Microsoft:AB\"",
            "\\\\HV01\\root\\cimv2:Msvm_VirtualSystemSettingData.InstanceID=\"Microsoft:AB\"",
            "\\\\HV01\\root\\virtualization\\v2:Msvm_ComputerSystem.InstanceID=\"Microsoft:AB\"",
            "not a path",
        ];
        for p in bad {
            assert_eq!(h.checkpoint_id_of_path(p), None, "{p}");
        }
    }
}
