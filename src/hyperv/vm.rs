//! Finding VMs and their checkpoints (hyperv-wsman.md §9.1, §9.3, §10.2 steps 1 and 3).
//!
//! A VM is an `Msvm_ComputerSystem` whose `Name` is a GUID; the host instance is excluded by
//! that rule alone (never by the localized `Caption`/`Description`). Names are matched by the
//! host (WQL `ElementName = '<escaped>'`), GUIDs by `Name`. Checkpoints are listed with
//! `SELECT * FROM Msvm_VirtualSystemSettingData WHERE VirtualSystemIdentifier = '<guid>' AND
//! VirtualSystemType = 'Microsoft:Hyper-V:Snapshot:Realized'`, which scopes them to one VM.

use super::classes::{self, snapshot_from_instance, vm_from_instance};
use super::model::{Snapshot, Vm};
use super::ops::Ops;
use crate::error::{Error, ErrorKind};

/// Every VM on the host (optionally only those named `name`) handed to `sink` in host order as
/// each page of the enumeration is read; the host instance is skipped. Returns how many VMs
/// were delivered. An error from `sink` stops the listing and is returned as is.
pub async fn each_vm(
    ops: &dyn Ops,
    name: Option<&str>,
    sink: &mut (dyn FnMut(Vm) -> Result<(), Error> + Send),
) -> Result<usize, Error> {
    let wql = match name {
        Some(n) => classes::wql_find_vm(n),
        None => classes::wql_all_systems(),
    };
    let mut n = 0;
    let mut sink_failed = false;
    let res = ops
        .query_each_vm(&wql, &mut |vm| {
            n += 1;
            sink(vm).inspect_err(|_| sink_failed = true)
        })
        .await;
    match res {
        Err(e) if !sink_failed => Err(e.context("list vms")),
        Err(e) => Err(e),
        Ok(_) => Ok(n),
    }
}

/// Every VM on the host, sorted by name, optionally only those named `name`.
pub async fn list_vms(ops: &dyn Ops, name: Option<&str>) -> Result<Vec<Vm>, Error> {
    let mut vms = Vec::new();
    each_vm(ops, name, &mut |vm| {
        vms.push(vm);
        Ok(())
    })
    .await?;
    vms.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    Ok(vms)
}

/// The one VM named (or with GUID) `name_or_guid`.
///
/// None → `NotFound` (`vm 'x' not found`, a failed remote lookup); several → `Usage` listing
/// their GUIDs (the name the caller gave is ambiguous: bad input, exit 2).
pub async fn find_vm(ops: &dyn Ops, name_or_guid: &str) -> Result<Vm, Error> {
    let wql = classes::wql_find_vm(name_or_guid);
    let items = ops
        .query(&wql)
        .await
        .map_err(|e| e.context(format!("find vm '{name_or_guid}'")))?;
    let mut vms: Vec<Vm> = items.iter().filter_map(vm_from_instance).collect();
    match vms.len() {
        0 => Err(Error::new(
            ErrorKind::NotFound,
            format!("vm '{name_or_guid}' not found"),
        )),
        1 => Ok(vms.remove(0)),
        _ => {
            let ids: Vec<&str> = vms.iter().map(|v| v.id.as_str()).collect();
            Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "vm name '{name_or_guid}' is ambiguous: {} vms match ({}); use the guid",
                    vms.len(),
                    ids.join(", ")
                ),
            ))
        }
    }
}

/// A VM's normal checkpoints, oldest first (by CreationTime text, then name).
pub async fn snapshots(ops: &dyn Ops, vm: &Vm) -> Result<Vec<Snapshot>, Error> {
    let wql = classes::wql_snapshots(&vm.id);
    let items = ops
        .query(&wql)
        .await
        .map_err(|e| e.context(format!("list checkpoints of vm '{}'", vm.name)))?;
    let mut snaps: Vec<Snapshot> = items.iter().filter_map(snapshot_from_instance).collect();
    snaps.sort_by(|a, b| {
        a.creation_time
            .cmp(&b.creation_time)
            .then(a.name.cmp(&b.name))
    });
    Ok(snaps)
}

/// The checkpoint of `vm` named `name` (exactly one), or by its InstanceID.
pub async fn find_snapshot(ops: &dyn Ops, vm: &Vm, name: &str) -> Result<Snapshot, Error> {
    let all = snapshots(ops, vm).await?;
    let mut hits: Vec<Snapshot> = all
        .iter()
        .filter(|s| s.name == name || s.instance_id.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    match hits.len() {
        0 => Err(Error::new(
            ErrorKind::NotFound,
            format!("checkpoint '{name}' of vm '{}' not found", vm.name),
        )),
        1 => Ok(hits.remove(0)),
        n => {
            let ids: Vec<&str> = hits.iter().map(|s| s.instance_id.as_str()).collect();
            Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "checkpoint name '{name}' of vm '{}' is ambiguous: {n} match ({}); use the instance id",
                    vm.name,
                    ids.join(", ")
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hyperv::ops::fake::{Call, FakeOps, inst};

    const G1: &str = "5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12";
    const G2: &str = "6D0F3B28-4C5E-4071-9B32-8E1F7C0D5A23";

    fn cs(name: &str, guid: &str, state: &str) -> crate::xml::Element {
        inst(
            "Msvm_ComputerSystem",
            &[
                ("ElementName", Some(name)),
                ("EnabledState", Some(state)),
                ("Name", Some(guid)),
            ],
        )
    }

    #[tokio::test]
    async fn list_excludes_host_and_sorts() {
        let ops = FakeOps::default();
        ops.push_query(Ok(vec![
            cs("zeta", G1, "2"),
            cs("HV01", "HV01", "2"),
            cs("alpha", G2, "3"),
        ]));
        let vms = list_vms(&ops, None).await.unwrap();
        assert_eq!(
            vms.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
            ["alpha", "zeta"]
        );
        assert_eq!(
            ops.calls(),
            vec![Call::Query(
                "SELECT Name, ElementName, EnabledState FROM Msvm_ComputerSystem".into()
            )]
        );
    }

    #[tokio::test]
    async fn find_escapes_and_reports_none_or_many() {
        let ops = FakeOps::default();
        ops.push_query(Ok(vec![]));
        let e = find_vm(&ops, r#"o'b\"<&"#).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.message(), r#"vm 'o'b\"<&' not found"#);
        assert_eq!(
            ops.calls(),
            vec![Call::Query(
                r#"SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'o\'b\\\"<&'"#.into()
            )]
        );
        ops.push_query(Ok(vec![cs("web", G1, "2"), cs("web", G2, "3")]));
        let e = find_vm(&ops, "web").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(
            e.message().contains(G1) && e.message().contains(G2),
            "{}",
            e.message()
        );
    }

    #[tokio::test]
    async fn find_by_guid_uses_name() {
        let ops = FakeOps::default();
        ops.push_query(Ok(vec![cs("web01", G1, "3")]));
        let vm = find_vm(&ops, G1).await.unwrap();
        assert_eq!(vm.name, "web01");
        assert_eq!(
            ops.calls(),
            vec![Call::Query(format!(
                "SELECT * FROM Msvm_ComputerSystem WHERE Name = '{G1}'"
            ))]
        );
    }

    #[tokio::test]
    async fn snapshot_lookup_is_scoped_to_the_vm() {
        let ops = FakeOps::default();
        let vm = Vm {
            name: "web01".into(),
            id: G1.into(),
            state: crate::hyperv::VmState(3),
            enabled_state: 3,
        };
        let snap = |n: &str, id: &str| {
            inst(
                "Msvm_VirtualSystemSettingData",
                &[
                    ("ElementName", Some(n)),
                    ("InstanceID", Some(id)),
                    ("Parent", None),
                ],
            )
        };
        ops.push_query(Ok(vec![
            snap("before", "Microsoft:A"),
            snap("after", "Microsoft:B"),
        ]));
        let s = find_snapshot(&ops, &vm, "after").await.unwrap();
        assert_eq!(s.instance_id, "Microsoft:B");
        assert_eq!(s.parent, None);
        let Call::Query(q) = &ops.calls()[0] else {
            panic!("no query")
        };
        assert!(
            q.contains(&format!("VirtualSystemIdentifier = '{G1}'")),
            "{q}"
        );
        ops.push_query(Ok(vec![snap("before", "Microsoft:A")]));
        let e = find_snapshot(&ops, &vm, "nope").await.unwrap_err();
        assert_eq!(e.message(), "checkpoint 'nope' of vm 'web01' not found");
    }
}
