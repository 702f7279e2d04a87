//! WMI instances of the simulated host's state (hyperv-wsman.md §9, E2, E4, E10).
//!
//! What it does: turns [`State`] into [`Instance`]s at a given `now`: the host's and the VMs'
//! `Msvm_ComputerSystem`, realized and snapshot `Msvm_VirtualSystemSettingData` (checkpoint
//! `Parent` = the previous checkpoint's object path), the VMMS singleton, and
//! `Msvm_ConcreteJob` with JobState/PercentComplete/ElapsedTime at `now`; and answers
//! `ASSOCIATORS OF` queries. What it does not: render XML or change the state.

use std::time::Duration;

use super::associators::Associators;
use super::model::{self, Instance, Value};
use super::state::{Job, Outcome, State, Vm, job_state};
use crate::cim::path::ObjectPath;

impl State {
    /// All instances of `class` (a canonical class name) at `now`.
    pub fn instances(&self, class: &str, now: Duration) -> Vec<Instance> {
        match class {
            model::COMPUTER_SYSTEM => {
                let mut v = vec![self.host_instance()];
                v.extend(self.vms.iter().map(|vm| self.vm_instance(vm, now)));
                v
            }
            model::VSSD => self
                .vms
                .iter()
                .flat_map(|vm| self.vssd_instances(vm))
                .collect(),
            model::VMMS => vec![self.vmms_instance()],
            model::CONCRETE_JOB => self
                .jobs
                .iter()
                .map(|j| self.job_instance(j, now))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Instances answering an `ASSOCIATORS OF` query. Supported: a VM's
    /// `Msvm_ComputerSystem` path with AssocClass `Msvm_SnapshotOfVirtualSystem` (its
    /// checkpoints), `Msvm_SettingsDefineState` (its realized settings) or none (both); any
    /// other AssocClass has no instances. A path naming no VM yields nothing.
    pub fn associators(&self, q: &Associators) -> Result<Vec<Instance>, String> {
        let path = ObjectPath::parse(&q.path).map_err(|e| e.to_string())?;
        if !path.class.eq_ignore_ascii_case(model::COMPUTER_SYSTEM) {
            return Ok(Vec::new());
        }
        let Some(vm) = path.key("Name").and_then(|g| self.vm(g)) else {
            return Ok(Vec::new());
        };
        let result = match &q.result_class {
            Some(r) => {
                Some(model::canonical_class(r).ok_or_else(|| format!("class {r} does not exist"))?)
            }
            None => None,
        };
        let vssd = self.vssd_instances(vm);
        let (realized, snaps) = vssd.split_at(1.min(vssd.len()));
        let found: Vec<Instance> = match q
            .assoc_class
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("msvm_snapshotofvirtualsystem") => snaps.to_vec(),
            Some("msvm_settingsdefinestate") => realized.to_vec(),
            None => vssd.clone(),
            Some(_) => Vec::new(),
        };
        Ok(found
            .into_iter()
            .filter(|i| result.is_none_or(|r| r == i.class))
            .collect())
    }

    fn dt(&self, at: Duration) -> Value {
        Value::Datetime(model::xs_datetime(self.config.start_unix_secs, at))
    }

    /// The host's own `Msvm_ComputerSystem`.
    pub(crate) fn host_instance(&self) -> Instance {
        let h = &self.config.host_name;
        Instance {
            class: model::COMPUTER_SYSTEM,
            props: vec![
                ("Caption", Value::s("Hosting Computer System")),
                ("CreationClassName", Value::s(model::COMPUTER_SYSTEM)),
                ("Description", Value::s("Microsoft Hosting Computer System")),
                ("ElementName", Value::s(h)),
                ("EnabledState", Value::UInt(2)),
                ("HealthState", Value::UInt(5)),
                ("InstallDate", Value::Null),
                ("Name", Value::s(h)),
                ("OnTimeInMilliseconds", Value::Null),
                ("OperationalStatus", Value::UIntArray(vec![2])),
                ("ProcessID", Value::Null),
                ("RequestedState", Value::UInt(12)),
                ("TimeOfLastStateChange", self.dt(Duration::ZERO)),
            ],
        }
    }

    /// A VM's `Msvm_ComputerSystem` at `now`.
    pub(crate) fn vm_instance(&self, vm: &Vm, now: Duration) -> Instance {
        let running = vm.enabled_state == 2;
        Instance {
            class: model::COMPUTER_SYSTEM,
            props: vec![
                ("Caption", Value::s("Virtual Machine")),
                ("CreationClassName", Value::s(model::COMPUTER_SYSTEM)),
                ("Description", Value::s("Microsoft Virtual Machine")),
                ("ElementName", Value::s(&vm.name)),
                ("EnabledState", Value::UInt(vm.enabled_state.into())),
                ("HealthState", Value::UInt(5)),
                ("InstallDate", Value::Null),
                ("Name", Value::s(&vm.guid)),
                (
                    "OnTimeInMilliseconds",
                    Value::UInt(if running { now.as_millis() as u64 } else { 0 }),
                ),
                ("OperationalStatus", Value::UIntArray(vec![2])),
                (
                    "ProcessID",
                    if running {
                        Value::UInt(4242)
                    } else {
                        Value::Null
                    },
                ),
                ("RequestedState", Value::UInt(12)),
                ("TimeOfLastStateChange", self.dt(Duration::ZERO)),
            ],
        }
    }

    fn vssd_instances(&self, vm: &Vm) -> Vec<Instance> {
        let mut out = vec![self.vssd(vm, &format!("Microsoft:{}", vm.guid), &vm.name, None, true)];
        let mut parent: Option<String> = None;
        for cp in &vm.checkpoints {
            out.push(self.vssd(vm, &cp.instance_id, &cp.name, parent.clone(), false));
            parent = Some(self.checkpoint_path(cp));
        }
        out
    }

    fn vssd(
        &self,
        vm: &Vm,
        id: &str,
        name: &str,
        parent: Option<String>,
        realized: bool,
    ) -> Instance {
        let (ty, desc) = if realized {
            (
                "Microsoft:Hyper-V:System:Realized",
                "Active settings for the virtual machine",
            )
        } else {
            (
                "Microsoft:Hyper-V:Snapshot:Realized",
                "Snapshot settings for the virtual machine",
            )
        };
        Instance {
            class: model::VSSD,
            props: vec![
                (
                    "Caption",
                    Value::s(if realized {
                        "Virtual Machine Settings"
                    } else {
                        "Snapshot Settings"
                    }),
                ),
                ("CreationTime", self.dt(Duration::ZERO)),
                ("Description", Value::s(desc)),
                ("ElementName", Value::s(name)),
                ("InstanceID", Value::s(id)),
                ("Parent", parent.map_or(Value::Null, Value::Str)),
                ("VirtualSystemIdentifier", Value::s(&vm.guid)),
                (
                    "VirtualSystemSubType",
                    Value::s("Microsoft:Hyper-V:SubType:2"),
                ),
                ("VirtualSystemType", Value::s(ty)),
            ],
        }
    }

    fn vmms_instance(&self) -> Instance {
        Instance {
            class: model::VMMS,
            props: vec![
                ("Caption", Value::s("Virtual Machine Management Service")),
                ("CreationClassName", Value::s(model::VMMS)),
                (
                    "ElementName",
                    Value::s("Virtual Machine Management Service"),
                ),
                ("EnabledState", Value::UInt(2)),
                ("Name", Value::s("vmms")),
                ("SystemCreationClassName", Value::s(model::COMPUTER_SYSTEM)),
                ("SystemName", Value::s(&self.config.host_name)),
            ],
        }
    }

    fn job_instance(&self, j: &Job, now: Duration) -> Instance {
        let (state, pct) = j.progress(now);
        let end = j.ended_at(now).unwrap_or(now);
        let (code, desc, summary, status) = match (&j.outcome, state) {
            (Outcome::Exception(f), job_state::EXCEPTION) => (
                u64::from(f.error_code),
                Value::s(&f.description),
                Value::s(&f.summary),
                "Job failed",
            ),
            (_, job_state::COMPLETED) => {
                (0, Value::Null, Value::Null, "Job completed successfully")
            }
            (_, job_state::TERMINATED | job_state::KILLED) => {
                (0, Value::Null, Value::Null, "Job was stopped")
            }
            _ => (0, Value::Null, Value::Null, "Job is running"),
        };
        Instance {
            class: model::CONCRETE_JOB,
            props: vec![
                ("Cancellable", Value::Bool(true)),
                ("Caption", Value::s("Export Virtual Machine")),
                ("DeleteOnCompletion", Value::Bool(true)),
                ("Description", Value::s("Exporting Virtual Machine")),
                (
                    "ElapsedTime",
                    Value::Interval(model::xs_interval(end.saturating_sub(j.created))),
                ),
                ("ElementName", Value::s("Export")),
                ("ErrorCode", Value::UInt(code)),
                ("ErrorDescription", desc),
                ("ErrorSummaryDescription", summary),
                ("InstanceID", Value::s(&j.id)),
                ("JobState", Value::UInt(state.into())),
                ("JobStatus", Value::s(status)),
                ("JobType", Value::UInt(62)),
                ("PercentComplete", Value::UInt(pct.into())),
                ("StartTime", self.dt(j.created)),
                (
                    "TimeBeforeRemoval",
                    Value::Interval(model::xs_interval(Duration::from_secs(
                        self.config.job_retention_secs,
                    ))),
                ),
                ("TimeSubmitted", self.dt(j.created)),
            ],
        }
    }
}
