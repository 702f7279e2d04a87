//! Simulator scenarios: which host, VMs and checkpoints exist, and which faults to inject.
//!
//! What it does: [`SimConfig`], built in code, from CLI-style flags ([`SimConfig::from_flags`])
//! or from a TOML/JSON scenario file ([`SimConfig::from_toml`], [`SimConfig::from_json`]), plus
//! [`SimConfig::demo`] used by `hvremote demo`. What it does not: read files (the caller passes
//! the text) or run anything. Credentials kept here are test credentials for the simulated host;
//! they are still kept out of `Debug` output.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, ErrorKind};

/// One simulated VM.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmSpec {
    /// Display name (`ElementName`); any characters.
    pub name: String,
    /// `EnabledState` (2 running, 3 off, 6 saved, 9 paused, ...). Default 3.
    #[serde(default = "default_state")]
    pub state: u16,
    /// Checkpoint names, oldest first (each the parent of the next).
    #[serde(default)]
    pub checkpoints: Vec<String>,
    /// Fixed GUID (`Name`); generated when absent.
    #[serde(default)]
    pub guid: Option<String>,
}

fn default_state() -> u16 {
    3
}

impl VmSpec {
    /// A VM that is off and has no checkpoints.
    pub fn new(name: impl Into<String>) -> Self {
        VmSpec {
            name: name.into(),
            state: 3,
            checkpoints: Vec::new(),
            guid: None,
        }
    }
}

/// Faults the simulated host injects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Every export job ends in JobState 10 (Exception) with this ErrorCode and description.
    pub job_failure: Option<JobFailureSpec>,
    /// ExportSystemDefinition returns this code instead of 4096 (e.g. 32775).
    pub export_return_code: Option<u32>,
    /// Every operation but Identify is answered with a `w:AccessDenied` fault.
    pub access_denied: bool,
    /// Every response is delayed by this many milliseconds (applied by the server).
    pub delay_ms: u64,
    /// Request N (1-based) is processed, then the connection is closed without an answer
    /// (the reply is lost: tests that a non-idempotent call is not repeated).
    pub close_after_request: Option<u64>,
    /// Request N (1-based) is answered with a malformed (truncated) body.
    pub malformed_response_at: Option<u64>,
    /// The first Pull of every enumeration is answered with a `w:TimedOut` fault.
    pub first_pull_times_out: bool,
    /// Faults are sent with HTTP 400 instead of 500.
    pub faults_with_400: bool,
}

/// Variations of Windows' reply shapes, to exercise a client's tolerance (hyperv-wsman.md §14,
/// §19). All off by default (the shapes of §18).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Variations {
    /// `p:Job` holds an `a:EndpointReference` wrapper around Address/ReferenceParameters.
    pub job_epr_wrapped: bool,
    /// The job EPR carries an extra `__cimnamespace` selector.
    pub job_epr_cimnamespace: bool,
    /// `p:ReturnValue` comes before `p:Job` in `_OUTPUT`.
    pub return_value_first: bool,
    /// PullResponse uses `w:Items` / `w:EndOfSequence` instead of the `n:` elements.
    pub pull_items_in_wsman_ns: bool,
}

/// An injected job failure.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobFailureSpec {
    /// `ErrorCode` of the failed job.
    pub error_code: u16,
    /// `ErrorDescription`.
    pub description: String,
    /// `ErrorSummaryDescription`.
    #[serde(default = "default_summary")]
    pub summary: String,
}

fn default_summary() -> String {
    "Failed to export virtual machine".into()
}

/// The whole simulated host.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// NetBIOS host name (`Msvm_ComputerSystem.Name` of the host, VMMS `SystemName`).
    pub host_name: String,
    /// DNS name (used in fault `Machine` attributes).
    pub dns_name: String,
    /// OS version reported by Identify, e.g. `10.0.20348`.
    pub os_version: String,
    /// VMs.
    pub vms: Vec<VmSpec>,
    /// Extra generated VMs (`vm0001`, ...), for scale tests.
    pub generated_vms: usize,
    /// Export job duration in milliseconds.
    pub job_duration_ms: u64,
    /// How long finished jobs are kept, in seconds (Windows: 300).
    pub job_retention_secs: u64,
    /// Accepted user name (`user`, `DOMAIN\user` or `user@domain` all match it).
    pub user: String,
    /// Accepted password.
    pub password: String,
    /// Unix time of the simulator's start (datetimes are rendered relative to it).
    pub start_unix_secs: u64,
    /// Seed of the deterministic GUIDs.
    pub seed: u64,
    /// Injected faults.
    pub faults: Faults,
    /// Reply-shape variations.
    pub variations: Variations,
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("host_name", &self.host_name)
            .field("vms", &self.vms)
            .field("generated_vms", &self.generated_vms)
            .field("job_duration_ms", &self.job_duration_ms)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("faults", &self.faults)
            .field("variations", &self.variations)
            .finish_non_exhaustive()
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            host_name: "HV01".into(),
            dns_name: "hv01.example.test".into(),
            os_version: "10.0.20348".into(),
            vms: Vec::new(),
            generated_vms: 0,
            job_duration_ms: 8_000,
            job_retention_secs: 300,
            user: "admin".into(),
            password: "Passw0rd!".into(),
            start_unix_secs: 1_764_115_200,
            seed: 0x5EED,
            faults: Faults::default(),
            variations: Variations::default(),
        }
    }
}

impl SimConfig {
    /// The demo host: `web01` (off, two checkpoints), `db01` (running), `test'vm` (saved).
    pub fn demo() -> Self {
        let mut web = VmSpec::new("web01");
        web.checkpoints = vec!["before-update".into(), "after-update".into()];
        let mut db = VmSpec::new("db01");
        db.state = 2;
        let mut odd = VmSpec::new("test'vm");
        odd.state = 6;
        SimConfig {
            vms: vec![web, db, odd],
            ..SimConfig::default()
        }
    }

    /// Build from flags: `names` (`--vm`, repeatable), `generated` (`--vms N`).
    pub fn from_flags(names: &[String], generated: usize) -> Self {
        SimConfig {
            vms: names.iter().map(VmSpec::new).collect(),
            generated_vms: generated,
            ..SimConfig::default()
        }
    }

    /// Parse a TOML scenario.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        toml::from_str(text).map_err(|e| {
            Error::new(
                ErrorKind::Usage,
                format!("invalid toml scenario: {}", e.message()),
            )
        })
    }

    /// Parse a JSON scenario.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        serde_json::from_str(text)
            .map_err(|e| Error::new(ErrorKind::Usage, format!("invalid json scenario: {e}")))
    }

    /// Export job duration.
    pub fn job_duration(&self) -> Duration {
        Duration::from_millis(self.job_duration_ms)
    }

    /// All VMs: the listed ones, then the generated ones.
    pub fn all_vms(&self) -> Vec<VmSpec> {
        let mut v = self.vms.clone();
        v.extend((1..=self.generated_vms).map(|i| VmSpec::new(format!("vm{i:04}"))));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_scenario_parses_and_keeps_defaults() {
        let c = SimConfig::from_toml(
            "host_name = \"HVX\"\n[[vms]]\nname = \"a b\"\nstate = 2\ncheckpoints = [\"c1\"]\n\
             [faults]\nexport_return_code = 32775\n",
        )
        .unwrap();
        assert_eq!(c.host_name, "HVX");
        assert_eq!(c.vms[0].checkpoints, vec!["c1".to_string()]);
        assert_eq!(c.faults.export_return_code, Some(32775));
        assert_eq!(c.job_duration_ms, 8_000);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let e = SimConfig::from_json("{\"hostname\": \"x\"}").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
    }

    #[test]
    fn debug_hides_password_and_generated_names_are_stable() {
        let c = SimConfig::from_flags(&["x".into()], 2);
        assert!(!format!("{c:?}").contains("Passw0rd"));
        let names: Vec<_> = c.all_vms().into_iter().map(|v| v.name).collect();
        assert_eq!(names, vec!["x", "vm0001", "vm0002"]);
        assert_eq!(SimConfig::demo().vms.len(), 3);
    }
}
