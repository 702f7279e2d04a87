//! Hyper-V value types: VM power states, job states, method return codes, and the plain records
//! the `hyperv` glue hands back (VM, checkpoint, job).
//!
//! Core tier: no I/O. Open protocol enumerations are newtypes with associated consts, so a value
//! this crate has never heard of prints as a number instead of failing (hyperv-wsman.md §9.1,
//! §9.5, §10.4). Export options live in [`super::options`]; reading a job from an instance lives
//! in [`super::job`].

use std::fmt;
use std::time::Duration;

/// `Msvm_ComputerSystem.EnabledState` (hyperv-wsman.md §9.1), v2 values and vendor values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VmState(pub u16);

impl VmState {
    /// 2: Enabled (running).
    pub const RUNNING: VmState = VmState(2);
    /// 3: Disabled (off).
    pub const OFF: VmState = VmState(3);
    /// 6: Enabled but offline (saved).
    pub const SAVED: VmState = VmState(6);
    /// 9: Quiesce (paused).
    pub const PAUSED: VmState = VmState(9);
    /// 10: Starting.
    pub const STARTING: VmState = VmState(10);

    /// The word for this state (`Running`, `Off`, `Saved`, `Paused`, ...), if known.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "Unknown",
            1 => "Other",
            2 => "Running",
            3 => "Off",
            4 => "ShuttingDown",
            5 => "NotApplicable",
            6 | 32769 => "Saved",
            7 => "InTest",
            8 => "Deferred",
            9 | 32768 => "Paused",
            10 | 32770 => "Starting",
            32771 => "Snapshotting",
            32773 => "Saving",
            32774 => "Stopping",
            32776 => "Pausing",
            32777 => "Resuming",
            32779 => "FastSaved",
            32780 => "FastSaving",
            _ => return None,
        })
    }
}

impl fmt::Display for VmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "Unknown({})", self.0),
        }
    }
}

/// `CIM_ConcreteJob.JobState` (hyperv-wsman.md §9.5, §11.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobState(pub u16);

impl JobState {
    /// 2 New.
    pub const NEW: JobState = JobState(2);
    /// 3 Starting.
    pub const STARTING: JobState = JobState(3);
    /// 4 Running.
    pub const RUNNING: JobState = JobState(4);
    /// 5 Suspended.
    pub const SUSPENDED: JobState = JobState(5);
    /// 6 Shutting down.
    pub const SHUTTING_DOWN: JobState = JobState(6);
    /// 7 Completed.
    pub const COMPLETED: JobState = JobState(7);
    /// 8 Terminated.
    pub const TERMINATED: JobState = JobState(8);
    /// 9 Killed.
    pub const KILLED: JobState = JobState(9);
    /// 10 Exception.
    pub const EXCEPTION: JobState = JobState(10);
    /// 11 Service.
    pub const SERVICE: JobState = JobState(11);
    /// 32768 Completed with warnings (vendor value).
    pub const COMPLETED_WITH_WARNINGS: JobState = JobState(32768);

    /// Whether the job has ended (successfully or not).
    pub fn is_terminal(self) -> bool {
        matches!(self.0, 7..=10 | 32768)
    }

    /// Whether the state itself means success (7 or 32768); see [`ConcreteJob::succeeded`].
    pub fn is_success(self) -> bool {
        matches!(self.0, 7 | 32768)
    }

    /// The state's name, if known.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            2 => "New",
            3 => "Starting",
            4 => "Running",
            5 => "Suspended",
            6 => "ShuttingDown",
            7 => "Completed",
            8 => "Terminated",
            9 => "Killed",
            10 => "Exception",
            11 => "Service",
            12 => "QueryPending",
            32768 => "CompletedWithWarnings",
            _ => return None,
        })
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "Unknown({})", self.0),
        }
    }
}

/// A Hyper-V method's `ReturnValue` (hyperv-wsman.md §10.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReturnCode(pub u32);

impl ReturnCode {
    /// 0: completed with no error.
    pub const COMPLETED: ReturnCode = ReturnCode(0);
    /// 4096: parameters checked, job started.
    pub const JOB_STARTED: ReturnCode = ReturnCode(4096);
    /// 32775: invalid state for this operation.
    pub const INVALID_STATE: ReturnCode = ReturnCode(32775);

    /// The documented meaning of the code, if known.
    pub fn meaning(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "completed with no error",
            4096 => "method parameters checked, job started",
            32768 => "failed",
            32769 => "access denied",
            32770 => "not supported",
            32771 => "status is unknown",
            32772 => "timeout",
            32773 => "invalid parameter",
            32774 => "system is in use",
            32775 => "invalid state for this operation",
            32776 => "incorrect data type",
            32777 => "system is not available",
            32778 => "out of memory",
            _ => return None,
        })
    }

    /// The meaning, or `unknown return code` when undocumented.
    pub fn describe(self) -> &'static str {
        self.meaning().unwrap_or("unknown return code")
    }
}

impl fmt::Display for ReturnCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.describe())
    }
}

/// A virtual machine (`Msvm_ComputerSystem` whose `Name` is a GUID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vm {
    /// Display name (`ElementName`); not unique.
    pub name: String,
    /// VM GUID (`Name`).
    pub id: String,
    /// Power state.
    pub state: VmState,
    /// Raw `EnabledState` (same number as `state.0`; 0 when the host sent none).
    pub enabled_state: u16,
}

/// A checkpoint (`Msvm_VirtualSystemSettingData` of a snapshot type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Checkpoint name (`ElementName`).
    pub name: String,
    /// `InstanceID` (`Microsoft:<GUID>`).
    pub instance_id: String,
    /// `CreationTime` as sent (ISO 8601 or CIM datetime text).
    pub creation_time: Option<String>,
    /// `Parent`: the object path of the parent checkpoint, if any.
    pub parent: Option<String>,
    /// `VirtualSystemType`.
    pub kind: Option<String>,
}

/// A job (`Msvm_ConcreteJob`) as read from the host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConcreteJob {
    /// `InstanceID`.
    pub instance_id: String,
    /// `JobState`.
    pub job_state: Option<JobState>,
    /// `PercentComplete` (0–100).
    pub percent_complete: Option<u16>,
    /// `ErrorCode`.
    pub error_code: Option<u32>,
    /// `ErrorDescription`.
    pub error_description: Option<String>,
    /// `ErrorSummaryDescription`.
    pub error_summary: Option<String>,
    /// `JobStatus` free text.
    pub job_status: Option<String>,
    /// `ElapsedTime`.
    pub elapsed: Option<Duration>,
    /// `Cancellable`.
    pub cancellable: Option<bool>,
}

impl ConcreteJob {
    /// Whether the job has ended.
    pub fn is_terminal(&self) -> bool {
        self.job_state.is_some_and(JobState::is_terminal)
    }

    /// Whether the job ended well: Completed with ErrorCode 0 or NULL, or completed with warnings.
    pub fn succeeded(&self) -> bool {
        match self.job_state {
            Some(JobState::COMPLETED) => self.error_code.unwrap_or(0) == 0,
            Some(JobState::COMPLETED_WITH_WARNINGS) => true,
            _ => false,
        }
    }

    /// The job facts an error carries.
    pub fn to_failure(&self) -> crate::error::JobFailure {
        crate::error::JobFailure {
            instance_id: self.instance_id.clone(),
            job_state: self.job_state.map(|s| s.0),
            error_code: self.error_code,
            error_description: self.error_description.clone(),
            error_summary: self.error_summary.clone(),
        }
    }
}

/// Receives progress while a job is followed. The CLI's progress bar implements it; tests
/// collect updates with [`CollectingObserver`].
pub trait JobObserver: Send {
    /// A fresh reading of the job.
    fn on_update(&mut self, job: &ConcreteJob);
    /// A poll failed transiently and will be retried (`reason` is a lowercase phrase).
    fn on_retry(&mut self, reason: &str) {
        let _ = reason;
    }
}

/// A [`JobObserver`] that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopObserver;

impl JobObserver for NoopObserver {
    fn on_update(&mut self, _job: &ConcreteJob) {}
}

/// A [`JobObserver`] that keeps every update and retry (for tests).
#[derive(Debug, Default, Clone)]
pub struct CollectingObserver {
    /// Every job reading, in order.
    pub updates: Vec<ConcreteJob>,
    /// Every retry reason, in order.
    pub retries: Vec<String>,
}

impl JobObserver for CollectingObserver {
    fn on_update(&mut self, job: &ConcreteJob) {
        self.updates.push(job.clone());
    }
    fn on_retry(&mut self, reason: &str) {
        self.retries.push(reason.to_string());
    }
}

/// Whether `s` is a GUID in the 8-4-4-4-12 hex form (what VM `Name`s are).
pub fn is_guid(s: &str) -> bool {
    // 8-4-4-4-12 hex digits. It runs once per listed VM, so without branches per byte: bit i of
    // DASHES says whether byte i must be the dash, every other byte must be a hex digit.
    const DASHES: u64 = 1 << 8 | 1 << 13 | 1 << 18 | 1 << 23;
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().fold(true, |ok, (i, c)| {
            ok & if DASHES >> i & 1 == 1 {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_state_names_accept_both_value_sets() {
        assert_eq!(VmState(2).to_string(), "Running");
        assert_eq!(VmState(3).to_string(), "Off");
        assert_eq!(VmState(6).to_string(), "Saved");
        assert_eq!(VmState(32769).to_string(), "Saved");
        assert_eq!(VmState(9).to_string(), "Paused");
        assert_eq!(VmState(32768).to_string(), "Paused");
        assert_eq!(VmState(4242).to_string(), "Unknown(4242)");
    }

    #[test]
    fn job_state_terminal_and_success() {
        for s in [7, 8, 9, 10, 32768] {
            assert!(JobState(s).is_terminal(), "{s}");
        }
        for s in [2, 3, 4, 5, 6, 11, 12, 99] {
            assert!(!JobState(s).is_terminal(), "{s}");
        }
        assert!(JobState::COMPLETED.is_success());
        assert!(JobState::COMPLETED_WITH_WARNINGS.is_success());
        assert!(!JobState::EXCEPTION.is_success());
        assert_eq!(JobState(32768).to_string(), "CompletedWithWarnings");
        assert_eq!(JobState(77).to_string(), "Unknown(77)");
    }

    #[test]
    fn return_codes_have_meanings() {
        assert_eq!(
            ReturnCode(32775).meaning(),
            Some("invalid state for this operation")
        );
        assert_eq!(ReturnCode(32773).describe(), "invalid parameter");
        assert_eq!(ReturnCode(32778).describe(), "out of memory");
        assert_eq!(
            ReturnCode(4096).to_string(),
            "4096 (method parameters checked, job started)"
        );
        assert_eq!(ReturnCode(1).describe(), "unknown return code");
        assert!(ReturnCode(32779).meaning().is_none());
    }

    #[test]
    fn job_success_needs_zero_error_code() {
        let mut job = ConcreteJob {
            job_state: Some(JobState::COMPLETED),
            ..Default::default()
        };
        assert!(job.succeeded());
        job.error_code = Some(32768);
        assert!(!job.succeeded());
        job.job_state = Some(JobState::COMPLETED_WITH_WARNINGS);
        assert!(job.succeeded());
        job.job_state = Some(JobState::EXCEPTION);
        assert!(!job.succeeded() && job.is_terminal());
    }

    #[test]
    fn guid_recognition() {
        assert!(is_guid("5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12"));
        assert!(is_guid("5c9e2a17-3b4d-4f60-8a21-7d0e6b9c4f12"));
        assert!(!is_guid("HV01"));
        assert!(!is_guid("5C9E2A173-B4D-4F60-8A21-7D0E6B9C4F12"));
        assert!(!is_guid("5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F1"));
        assert!(!is_guid("5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F1G"));
    }

    #[test]
    fn collecting_observer_collects() {
        let mut o = CollectingObserver::default();
        o.on_update(&ConcreteJob::default());
        o.on_retry("timed out");
        assert_eq!(o.updates.len(), 1);
        assert_eq!(o.retries, vec!["timed out".to_string()]);
    }
}
