//! The in-memory Hyper-V host: VMs, checkpoints, the VMMS singleton and export jobs.
//!
//! What it does: holds the model and produces WMI [`Instance`](super::model::Instance)s of it at a given `now`
//! (a `Duration` since the simulator started, passed in by the caller: no clock reads here).
//! Jobs advance with `now`: JobState 2 (New) for the first 200 ms, then 4 (Running) with
//! PercentComplete rising linearly, then 7 (Completed, 100 %) after the configured duration,
//! or 10 (Exception) with the injected ErrorCode/ErrorDescription. A finished job is removed
//! `job_retention_secs` (default 300 s, Windows' `TimeBeforeRemoval`) after it ended.
//! What it does not: build WMI instances (see `sim::instances`), parse or render XML.

use std::time::Duration;

use super::model;
use super::scenario::{JobFailureSpec, SimConfig};

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
#[non_exhaustive]
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
    /// Build the state of a scenario. Names may hold any characters; those XML 1.0 cannot
    /// carry (most C0 controls) are replaced by U+FFFD, since no WinRM reply could hold them.
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
                    name: xml_safe(n),
                })
                .collect();
            st.vms.push(Vm {
                guid,
                name: xml_safe(&spec.name),
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
}

fn xml_safe(s: &str) -> String {
    s.replace(|c| !crate::xml::write::is_xml_char(c), "\u{FFFD}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::model::Value;

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
    fn names_keep_quotes_but_lose_forbidden_characters() {
        let st = State::new(SimConfig::from_flags(&["a'b\"c\u{1}".into()], 0));
        assert_eq!(st.vms[0].name, "a'b\"c\u{FFFD}");
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
