//! The in-memory Hyper-V host: VMs, checkpoints, the VMMS singleton and export jobs.
//!
//! What it does: holds the model and produces WMI [`Instance`]s of it at a given `now`
//! (a `Duration` since the simulator started, passed in by the caller: no clock reads here).
//! Jobs advance with `now`: JobState 2 (New) for the first 200 ms, then 4 (Running) with
//! PercentComplete rising linearly, then 7 (Completed, 100 %) after the configured duration,
//! or 10 (Exception) with the injected ErrorCode/ErrorDescription. A finished job is removed
//! `job_retention_secs` (default 300 s, Windows' `TimeBeforeRemoval`) after it ended.
//! What it does not: parse or render XML (see `sim::host`, `sim::render`).

use std::time::Duration;

use super::model::{self, Instance, Value};
use super::scenario::{JobFailureSpec, SimConfig};
use super::wql::Associators;
use crate::cim::path::ObjectPath;

/// A simulated VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vm {
    /// GUID (`Msvm_ComputerSystem.Name`).
    pub guid: String,
    /// Display name (`ElementName`).
    pub name: String,
    /// `EnabledState`.
    pub enabled_state: u16,
    /// Checkpoints, oldest first.
    pub checkpoints: Vec<Checkpoint>,
}

/// A checkpoint (`Msvm_VirtualSystemSettingData`, `Microsoft:Hyper-V:Snapshot:Realized`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// `InstanceID` (`Microsoft:<GUID>`).
    pub instance_id: String,
    /// `ElementName`.
    pub name: String,
}

/// How a job ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// JobState 7.
    Success,
    /// JobState 10 with these error values.
    Exception(JobFailureSpec),
}

/// A simulated `Msvm_ConcreteJob`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// `InstanceID` (bare GUID).
    pub id: String,
    /// GUID of the exported VM.
    pub vm_guid: String,
    /// When it was created.
    pub created: Duration,
    /// How long it runs.
    pub duration: Duration,
    /// How it ends.
    pub outcome: Outcome,
    /// Set when terminated (RequestStateChange): when, and the final JobState (8 or 9).
    pub stopped: Option<(Duration, u16)>,
}

/// JobState values used here (CIM_ConcreteJob).
pub mod job_state {
    /// New.
    pub const NEW: u16 = 2;
    /// Running.
    pub const RUNNING: u16 = 4;
    /// Completed.
    pub const COMPLETED: u16 = 7;
    /// Terminated.
    pub const TERMINATED: u16 = 8;
    /// Killed.
    pub const KILLED: u16 = 9;
    /// Exception.
    pub const EXCEPTION: u16 = 10;
}

const NEW_PHASE: Duration = Duration::from_millis(200);

impl Job {
    /// When the job ended, if it has by `now`.
    pub fn ended_at(&self, now: Duration) -> Option<Duration> {
        if let Some((t, _)) = self.stopped {
            return Some(t);
        }
        let end = self.created + self.duration;
        (now >= end).then_some(end)
    }

    /// (JobState, PercentComplete) at `now`.
    pub fn progress(&self, now: Duration) -> (u16, u16) {
        let elapsed = now.saturating_sub(self.created);
        let pct = if self.duration.is_zero() {
            100
        } else {
            (elapsed.as_millis() * 100 / self.duration.as_millis()).min(100) as u16
        };
        if let Some((_, state)) = self.stopped {
            return (state, pct);
        }
        match (self.ended_at(now), &self.outcome) {
            (Some(_), Outcome::Success) => (job_state::COMPLETED, 100),
            (Some(_), Outcome::Exception(_)) => (job_state::EXCEPTION, pct.min(99)),
            (None, _) if elapsed < NEW_PHASE => (job_state::NEW, 0),
            (None, _) => (job_state::RUNNING, pct.min(99)),
        }
    }
}

/// The simulated host's whole state.
#[derive(Debug, Clone)]
pub struct State {
    /// The scenario it was built from.
    pub config: SimConfig,
    /// VMs.
    pub vms: Vec<Vm>,
    /// Jobs (removed after retention).
    pub jobs: Vec<Job>,
    /// Number of ExportSystemDefinition invocations that reached the method.
    pub export_invocations: u64,
    next_id: u64,
}

impl State {
    /// Build the state of a scenario.
    pub fn new(config: SimConfig) -> Self {
        let mut st = State {
            config,
            vms: Vec::new(),
            jobs: Vec::new(),
            export_invocations: 0,
            next_id: 0,
        };
        for spec in st.config.all_vms() {
            let guid = spec.guid.clone().unwrap_or_else(|| st.fresh_guid());
            let checkpoints = spec
                .checkpoints
                .iter()
                .map(|n| Checkpoint {
                    instance_id: format!("Microsoft:{}", st.fresh_guid()),
                    name: n.clone(),
                })
                .collect();
            st.vms.push(Vm {
                guid,
                name: spec.name,
                enabled_state: spec.state,
                checkpoints,
            });
        }
        st
    }

    /// A new deterministic GUID.
    pub fn fresh_guid(&mut self) -> String {
        self.next_id += 1;
        model::guid(self.config.seed, self.next_id)
    }

    /// Drop jobs whose retention has passed.
    pub fn advance(&mut self, now: Duration) {
        let keep = Duration::from_secs(self.config.job_retention_secs);
        self.jobs
            .retain(|j| j.ended_at(now).is_none_or(|end| now < end + keep));
    }

    /// Start an export job for a VM; returns its InstanceID.
    pub fn start_job(&mut self, now: Duration, vm_guid: &str) -> String {
        let id = self.fresh_guid();
        let outcome = match &self.config.faults.job_failure {
            Some(f) => Outcome::Exception(f.clone()),
            None => Outcome::Success,
        };
        let duration = self.config.job_duration();
        self.jobs.push(Job {
            id: id.clone(),
            vm_guid: vm_guid.into(),
            created: now,
            duration,
            outcome,
            stopped: None,
        });
        id
    }

    /// The job with this InstanceID (case-insensitive).
    pub fn job_mut(&mut self, id: &str) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.id.eq_ignore_ascii_case(id))
    }

    /// The VM with this GUID (case-insensitive).
    pub fn vm(&self, guid: &str) -> Option<&Vm> {
        self.vms.iter().find(|v| v.guid.eq_ignore_ascii_case(guid))
    }

    /// The WMI object path of a checkpoint, as WMI writes it (hyperv-wsman.md §9.4).
    pub fn checkpoint_path(&self, cp: &Checkpoint) -> String {
        format!(
            "\\\\{}\\root\\virtualization\\v2:{}.InstanceID=\"{}\"",
            self.config.host_name,
            model::VSSD,
            cp.instance_id
        )
    }

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

    fn host_instance(&self) -> Instance {
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

    fn vm_instance(&self, vm: &Vm, now: Duration) -> Instance {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State::new(SimConfig::demo())
    }

    #[test]
    fn job_goes_new_running_completed_then_disappears() {
        let mut st = state();
        let guid = st.vms[0].guid.clone();
        let id = st.start_job(Duration::from_secs(10), &guid);
        let job = st.jobs[0].clone();
        assert_eq!(job.progress(Duration::from_secs(10)), (job_state::NEW, 0));
        assert_eq!(
            job.progress(Duration::from_secs(14)),
            (job_state::RUNNING, 50)
        );
        assert_eq!(
            job.progress(Duration::from_secs(18)),
            (job_state::COMPLETED, 100)
        );
        st.advance(Duration::from_secs(18 + 299));
        assert!(st.job_mut(&id).is_some());
        st.advance(Duration::from_secs(18 + 300));
        assert!(st.job_mut(&id).is_none());
    }

    #[test]
    fn checkpoints_chain_parents_and_host_is_listed() {
        let st = state();
        let vssd = st.instances(model::VSSD, Duration::ZERO);
        let snaps: Vec<_> = vssd
            .iter()
            .filter(|i| {
                i.get_str("VirtualSystemType") == Some("Microsoft:Hyper-V:Snapshot:Realized")
            })
            .collect();
        assert_eq!(snaps.len(), 2);
        assert_eq!(snaps[0].get("Parent"), Some(&Value::Null));
        assert_eq!(
            snaps[1].get_str("Parent"),
            Some(st.checkpoint_path(&st.vms[0].checkpoints[0]).as_str())
        );
        let cs = st.instances(model::COMPUTER_SYSTEM, Duration::ZERO);
        assert_eq!(cs[0].get_str("Name"), Some("HV01"));
        assert_eq!(cs.len(), 4);
    }
}
