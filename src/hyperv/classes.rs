//! Hyper-V class names, resource URIs, WQL text, and reading the instances this crate uses
//! (`Msvm_ComputerSystem`, `Msvm_VirtualSystemSettingData`, `Msvm_ConcreteJob`) into model
//! records (hyperv-wsman.md §7, §9).
//!
//! Core tier. Properties are matched by local name inside the instance's own namespace (WS-CIM
//! puts every property in the class namespace); NULL (`xsi:nil`) and absent read as `None`.
//! WQL string literals are always escaped with [`wql_quote`]; user text never enters a query
//! any other way.

use std::time::Duration;

use super::model::{ConcreteJob, JobState, Snapshot, Vm, VmState, is_guid};
use std::borrow::Cow;

use crate::wsman::enumerate::ItemView;
use crate::xml::stream::FlatElement;
use crate::xml::{Element, ns};

/// `Msvm_ComputerSystem`.
pub const COMPUTER_SYSTEM: &str = "Msvm_ComputerSystem";
/// `Msvm_VirtualSystemManagementService`.
pub const VMMS: &str = "Msvm_VirtualSystemManagementService";
/// `Msvm_VirtualSystemSettingData`.
pub const VSSD: &str = "Msvm_VirtualSystemSettingData";
/// `Msvm_ConcreteJob`.
pub const CONCRETE_JOB: &str = "Msvm_ConcreteJob";
/// VirtualSystemType of a normal checkpoint.
pub const SNAPSHOT_REALIZED: &str = "Microsoft:Hyper-V:Snapshot:Realized";

/// The resource URI of a class in root\virtualization\v2.
pub fn uri(class: &str) -> String {
    format!("{}{class}", ns::HYPERV_V2)
}

/// The `*` URI on which WQL queries are sent.
pub fn wql_uri() -> String {
    uri("*")
}

/// A WQL string literal: single-quoted, with `\`, `'` and `"` escaped by a backslash.
pub fn wql_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if matches!(c, '\\' | '\'' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// WQL for every computer system (VMs and the host).
pub fn wql_all_systems() -> String {
    format!("SELECT {VM_LIST_PROPERTIES} FROM {COMPUTER_SYSTEM}")
}

/// The properties `vms` prints (read by [`vm_from_instance`]); asking only for these keeps a
/// 5000-VM listing to a few pages (issue 7).
pub const VM_LIST_PROPERTIES: &str = "Name, ElementName, EnabledState";

/// WQL to find a VM by GUID (`Name`) or display name (`ElementName`).
pub fn wql_find_vm(name_or_guid: &str) -> String {
    let prop = if is_guid(name_or_guid) {
        "Name"
    } else {
        "ElementName"
    };
    format!(
        "SELECT * FROM {COMPUTER_SYSTEM} WHERE {prop} = {}",
        wql_quote(name_or_guid)
    )
}

/// WQL for a VM's normal checkpoints.
pub fn wql_snapshots(vm_guid: &str) -> String {
    format!(
        "SELECT * FROM {VSSD} WHERE VirtualSystemIdentifier = {} AND VirtualSystemType = {}",
        wql_quote(vm_guid),
        wql_quote(SNAPSHOT_REALIZED)
    )
}

/// WQL for the management service.
pub fn wql_vmms() -> String {
    format!("SELECT * FROM {VMMS}")
}

/// WQL for a job by InstanceID.
pub fn wql_job(instance_id: &str) -> String {
    format!(
        "SELECT * FROM {CONCRETE_JOB} WHERE InstanceID = {}",
        wql_quote(instance_id)
    )
}

/// A property's text (trimmed); `None` when absent or NULL.
///
/// A `w:XmlFragment` (the item of a property-list query such as [`wql_all_systems`]) holds
/// unqualified property elements; an instance holds them in its class namespace.
pub fn prop(inst: &Element, name: &str) -> Option<String> {
    let el = match inst.ns.as_deref() {
        _ if inst.is(crate::xml::ns::WSMAN, "XmlFragment") => {
            inst.elements().find(|e| e.ns.is_none() && e.local == name)
        }
        Some(n) => inst.child(n, name),
        None => inst.child_local(name),
    }?;
    if el.is_nil() {
        return None;
    }
    // Datetime and interval values are wrapped (cim:Datetime / cim:Interval).
    let inner = el.elements().next();
    Some(match inner {
        Some(i) => i.text_trim(),
        None => el.text_trim(),
    })
}

fn prop_num<N: std::str::FromStr>(inst: &Element, name: &str) -> Option<N> {
    prop(inst, name)?.parse().ok()
}

/// A VM from an `Msvm_ComputerSystem` instance; `None` for the host (Name is not a GUID).
pub fn vm_from_instance(inst: &Element) -> Option<Vm> {
    let id = prop(inst, "Name").filter(|n| is_guid(n))?;
    let enabled_state = prop_num::<u16>(inst, "EnabledState").unwrap_or(0);
    Some(Vm {
        name: prop(inst, "ElementName").unwrap_or_default(),
        id,
        state: VmState(enabled_state),
        enabled_state,
    })
}

/// [`prop`] on an item read without its tree (same matching, nil and wrapper rules); the text
/// borrows the page unless the value is wrapped.
pub fn flat_prop<'v>(inst: &'v FlatElement<'_>, name: &str) -> Option<Cow<'v, str>> {
    flat_prop_in(inst, is_fragment(inst), name)
}

/// True for a `w:XmlFragment` item (the local name is compared first: it is the cheap test).
fn is_fragment(inst: &FlatElement<'_>) -> bool {
    inst.local == "XmlFragment" && inst.ns.as_deref() == Some(ns::WSMAN)
}

/// [`flat_prop`] with [`is_fragment`] already known (a row reads several properties).
fn flat_prop_in<'v>(inst: &'v FlatElement<'_>, fragment: bool, name: &str) -> Option<Cow<'v, str>> {
    let c = inst.children.iter().find(|c| {
        c.local == name
            && if fragment {
                c.ns.is_none()
            } else {
                inst.ns.is_none() || c.ns == inst.ns
            }
    })?;
    if c.nil {
        return None;
    }
    Some(match c.elements.first() {
        Some(i) => Cow::Owned(i.text_trim()),
        None => Cow::Borrowed(c.text.trim()),
    })
}

/// [`vm_from_instance`] on an enumerated item as the streaming reader hands it out: only the
/// row's strings are allocated.
pub fn vm_from_view(item: &ItemView<'_>) -> Option<Vm> {
    let f = match item {
        ItemView::Flat(f) => f,
        ItemView::Item(i) => return vm_from_instance(i.instance.as_ref()?),
    };
    let fragment = is_fragment(f);
    let id = flat_prop_in(f, fragment, "Name").filter(|n| is_guid(n))?;
    let enabled_state = flat_prop_in(f, fragment, "EnabledState")
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(0);
    Some(Vm {
        name: flat_prop_in(f, fragment, "ElementName")
            .map(Cow::into_owned)
            .unwrap_or_default(),
        id: id.into_owned(),
        state: VmState(enabled_state),
        enabled_state,
    })
}

/// A checkpoint from an `Msvm_VirtualSystemSettingData` instance.
pub fn snapshot_from_instance(inst: &Element) -> Option<Snapshot> {
    Some(Snapshot {
        instance_id: prop(inst, "InstanceID")?,
        name: prop(inst, "ElementName").unwrap_or_default(),
        creation_time: prop(inst, "CreationTime"),
        parent: prop(inst, "Parent"),
        kind: prop(inst, "VirtualSystemType"),
    })
}

/// A job from a `CIM_ConcreteJob` instance (any subclass).
pub fn job_from_instance(inst: &Element) -> Option<ConcreteJob> {
    Some(ConcreteJob {
        instance_id: prop(inst, "InstanceID")?,
        job_state: prop_num::<u16>(inst, "JobState").map(JobState),
        percent_complete: prop_num(inst, "PercentComplete"),
        error_code: prop_num(inst, "ErrorCode"),
        error_description: prop(inst, "ErrorDescription").filter(|s| !s.is_empty()),
        error_summary: prop(inst, "ErrorSummaryDescription").filter(|s| !s.is_empty()),
        job_status: prop(inst, "JobStatus"),
        elapsed: prop(inst, "ElapsedTime").and_then(|t| parse_interval(&t)),
        cancellable: prop(inst, "Cancellable").map(|b| b.eq_ignore_ascii_case("true")),
    })
}

/// Parse an interval: xs:duration (`P0DT0H0M42.123S`) or DMTF (`00000000000042.123000:000`).
pub fn parse_interval(s: &str) -> Option<Duration> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('P') {
        return parse_xs_duration(rest);
    }
    let b = s.as_bytes();
    if b.len() == 25 && b.get(21) == Some(&b':') {
        let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<u64>().ok();
        let secs = n(0..8)? * 86400 + n(8..10)? * 3600 + n(10..12)? * 60 + n(12..14)?;
        return Some(Duration::from_secs(secs) + Duration::from_micros(n(15..21)?));
    }
    None
}

fn parse_xs_duration(rest: &str) -> Option<Duration> {
    let mut total = 0f64;
    let mut in_time = false;
    let mut num = String::new();
    for c in rest.chars() {
        match c {
            'T' => in_time = true,
            '0'..='9' | '.' => num.push(c),
            _ => {
                let v: f64 = num.parse().ok()?;
                num.clear();
                total += v * match (c, in_time) {
                    ('D', false) => 86400.0,
                    ('H', true) => 3600.0,
                    ('M', true) => 60.0,
                    ('S', true) => 1.0,
                    _ => return None,
                };
            }
        }
    }
    (num.is_empty() && total.is_finite()).then(|| Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_from_view_matches_vm_from_instance() {
        use crate::wsman::enumerate::{for_each_view, parse_page};
        let mut vms = 0;
        for body in [
            include_str!("../../fixtures/xml/enumerate_response_complete.xml"),
            include_str!("../../fixtures/xml/enumerate_response_fragments.xml"),
            include_str!("../../fixtures/xml/enumerate_response_complete_other_prefixes.xml"),
            include_str!("../../fixtures/xml/pull_response_object_and_epr.xml"),
        ] {
            let owned: Vec<Option<Vm>> = parse_page(200, body)
                .unwrap()
                .items
                .iter()
                .map(|i| i.instance.as_ref().and_then(vm_from_instance))
                .collect();
            let mut viewed = Vec::new();
            for_each_view(200, body, &Default::default(), &mut |v| {
                viewed.push(vm_from_view(&v));
                Ok(())
            })
            .unwrap();
            assert_eq!(viewed, owned);
            vms += owned.iter().flatten().count();
        }
        assert!(vms > 2, "the fixtures hold vms");
    }
    use crate::xml::parse;

    const VM: &str = r#"<p:Msvm_ComputerSystem xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ComputerSystem" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><p:ElementName>web01</p:ElementName><p:EnabledState>3</p:EnabledState><p:InstallDate xsi:nil="true"/><p:Name>5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12</p:Name></p:Msvm_ComputerSystem>"#;

    #[test]
    fn wql_escapes_hostile_names() {
        assert_eq!(
            wql_find_vm(r#"a'b\c"d<e&f"#),
            r#"SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'a\'b\\c\"d<e&f'"#
        );
        assert_eq!(
            wql_find_vm("5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12"),
            "SELECT * FROM Msvm_ComputerSystem WHERE Name = '5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12'"
        );
        assert!(
            wql_snapshots("G")
                .ends_with("VirtualSystemType = 'Microsoft:Hyper-V:Snapshot:Realized'")
        );
    }

    #[test]
    fn reads_vm_and_skips_host() {
        let vm = vm_from_instance(&parse(VM).unwrap()).unwrap();
        assert_eq!(vm.name, "web01");
        assert_eq!(vm.state, VmState::OFF);
        let host = VM.replace("5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12", "HV01");
        assert!(vm_from_instance(&parse(&host).unwrap()).is_none());
    }

    #[test]
    fn reads_job_with_interval_and_nil() {
        let x = r#"<p:Msvm_ConcreteJob xmlns:p="urn:j" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><p:ElapsedTime><cim:Interval>P0DT0H1M42.5S</cim:Interval></p:ElapsedTime><p:ErrorCode>0</p:ErrorCode><p:ErrorDescription xsi:nil="true"/><p:InstanceID>J1</p:InstanceID><p:JobState>4</p:JobState><p:PercentComplete>37</p:PercentComplete></p:Msvm_ConcreteJob>"#;
        let j = job_from_instance(&parse(x).unwrap()).unwrap();
        assert_eq!(j.instance_id, "J1");
        assert_eq!(j.job_state, Some(JobState::RUNNING));
        assert_eq!(j.percent_complete, Some(37));
        assert_eq!(j.error_description, None);
        assert_eq!(j.elapsed, Some(Duration::from_millis(102_500)));
    }

    #[test]
    fn intervals() {
        assert_eq!(
            parse_interval("P1DT0H0M0S"),
            Some(Duration::from_secs(86400))
        );
        assert_eq!(
            parse_interval("00000000000500.000000:000"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(parse_interval("PXS"), None);
        assert_eq!(parse_interval("garbage"), None);
    }

    #[test]
    fn vm_from_property_list_fragment() {
        let xml = r#"<w:XmlFragment xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><ElementName>web01</ElementName><EnabledState>2</EnabledState><Name>B6A3EE20-3DDF-4EA3-B06A-23E191DAE32C</Name></w:XmlFragment>"#;
        let frag = crate::xml::parse(xml).unwrap();
        let vm = vm_from_instance(&frag).unwrap();
        assert_eq!(vm.name, "web01");
        assert_eq!(vm.id, "B6A3EE20-3DDF-4EA3-B06A-23E191DAE32C");
        assert_eq!(vm.enabled_state, 2);
        let other = r#"<w:XmlFragment xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><q:Name xmlns:q="urn:x">B6A3EE20-3DDF-4EA3-B06A-23E191DAE32C</q:Name></w:XmlFragment>"#;
        assert!(vm_from_instance(&crate::xml::parse(other).unwrap()).is_none());
    }
}
