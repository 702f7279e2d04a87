//! Values, instances and class schemas of the simulated Hyper-V WMI namespace.
//!
//! What it does: a small typed model of the WMI instances the simulator serves
//! (`Msvm_ComputerSystem`, `Msvm_VirtualSystemSettingData`,
//! `Msvm_VirtualSystemManagementService`, `Msvm_ConcreteJob`), with the static property lists of
//! each class (hyperv-wsman.md §9) and the DMTF/xs datetime helpers the renderer needs.
//! What it does not: read clocks or render XML (see `sim::render`).

use std::time::Duration;

/// A WMI property value, as the simulator stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// NULL (rendered `xsi:nil="true"`).
    Null,
    /// A string.
    Str(String),
    /// An unsigned integer of any width.
    UInt(u64),
    /// A boolean.
    Bool(bool),
    /// A timestamp as xs:dateTime text (rendered in `cim:Datetime`).
    Datetime(String),
    /// An interval as xs:duration text (rendered in `cim:Interval`).
    Interval(String),
    /// A string array (repeated elements).
    StrArray(Vec<String>),
    /// An unsigned integer array (repeated elements).
    UIntArray(Vec<u64>),
}

impl Value {
    /// A string value.
    pub fn s(v: impl Into<String>) -> Value {
        Value::Str(v.into())
    }
}

/// One WMI instance: its class and its properties (rendered in alphabetical order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The class name, e.g. `Msvm_ComputerSystem`.
    pub class: &'static str,
    /// Properties by their canonical names.
    pub props: Vec<(&'static str, Value)>,
}

impl Instance {
    /// The value of property `name` (case-insensitive), if the instance carries it.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.props
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The string value of property `name`, if it is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// The key selectors of this instance (class-specific key properties with their values).
    pub fn keys(&self) -> Vec<(&'static str, String)> {
        key_names(self.class)
            .iter()
            .filter_map(|k| self.get_str(k).map(|v| (*k, v.to_string())))
            .collect()
    }
}

/// `Msvm_ComputerSystem`.
pub const COMPUTER_SYSTEM: &str = "Msvm_ComputerSystem";
/// `Msvm_VirtualSystemSettingData`.
pub const VSSD: &str = "Msvm_VirtualSystemSettingData";
/// `Msvm_VirtualSystemManagementService`.
pub const VMMS: &str = "Msvm_VirtualSystemManagementService";
/// `Msvm_ConcreteJob`.
pub const CONCRETE_JOB: &str = "Msvm_ConcreteJob";
/// The classes the simulator knows.
pub const CLASSES: [&str; 4] = [COMPUTER_SYSTEM, VSSD, VMMS, CONCRETE_JOB];

/// The canonical spelling of a known class name (case-insensitive match).
pub fn canonical_class(name: &str) -> Option<&'static str> {
    CLASSES
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(name))
}

/// Key property names of a class (hyperv-wsman.md §5).
pub fn key_names(class: &str) -> &'static [&'static str] {
    match class {
        COMPUTER_SYSTEM => &["CreationClassName", "Name"],
        VMMS => &[
            "CreationClassName",
            "Name",
            "SystemCreationClassName",
            "SystemName",
        ],
        _ => &["InstanceID"],
    }
}

/// All property names of a class, as the simulator renders them.
pub fn property_names(class: &str) -> &'static [&'static str] {
    match class {
        COMPUTER_SYSTEM => &[
            "Caption",
            "CreationClassName",
            "Description",
            "ElementName",
            "EnabledState",
            "HealthState",
            "InstallDate",
            "Name",
            "OnTimeInMilliseconds",
            "OperationalStatus",
            "ProcessID",
            "RequestedState",
            "TimeOfLastStateChange",
        ],
        VSSD => &[
            "Caption",
            "CreationTime",
            "Description",
            "ElementName",
            "InstanceID",
            "Parent",
            "VirtualSystemIdentifier",
            "VirtualSystemSubType",
            "VirtualSystemType",
        ],
        VMMS => &[
            "Caption",
            "CreationClassName",
            "ElementName",
            "EnabledState",
            "Name",
            "SystemCreationClassName",
            "SystemName",
        ],
        CONCRETE_JOB => &[
            "Cancellable",
            "Caption",
            "DeleteOnCompletion",
            "Description",
            "ElapsedTime",
            "ElementName",
            "ErrorCode",
            "ErrorDescription",
            "ErrorSummaryDescription",
            "InstanceID",
            "JobState",
            "JobStatus",
            "JobType",
            "PercentComplete",
            "StartTime",
            "TimeBeforeRemoval",
            "TimeSubmitted",
        ],
        _ => &[],
    }
}

/// Canonical spelling of property `name` of `class` (case-insensitive match).
pub fn canonical_property(class: &str, name: &str) -> Option<&'static str> {
    property_names(class)
        .iter()
        .copied()
        .find(|p| p.eq_ignore_ascii_case(name))
}

/// xs:dateTime text for `base_unix_secs + offset` (UTC, millisecond precision).
pub fn xs_datetime(base_unix_secs: u64, offset: Duration) -> String {
    let total_ms = base_unix_secs
        .saturating_mul(1000)
        .saturating_add(offset.as_millis().min(u128::from(u64::MAX / 2)) as u64);
    let secs = total_ms / 1000;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        total_ms % 1000
    )
}

/// xs:duration text for an interval, in the `P<d>DT<h>H<m>M<s>S` form of hyperv-wsman.md E10.
pub fn xs_interval(d: Duration) -> String {
    let s = d.as_secs();
    let ms = d.subsec_millis();
    let secs = if ms == 0 {
        format!("{}", s % 60)
    } else {
        format!("{}.{ms:03}", s % 60)
    };
    format!(
        "P{}DT{}H{}M{secs}S",
        s / 86_400,
        (s / 3600) % 24,
        (s / 60) % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (proleptic Gregorian; H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A deterministic, GUID-shaped identifier (upper case) derived from `seed` and `n`.
pub fn guid(seed: u64, n: u64) -> String {
    let a = splitmix(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let b = splitmix(a ^ n);
    format!(
        "{:08X}-{:04X}-4{:03X}-{:04X}-{:012X}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        0x8000 | ((b >> 48) & 0x3FFF),
        b & 0xFFFF_FFFF_FFFF
    )
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_and_interval_texts() {
        assert_eq!(xs_datetime(0, Duration::ZERO), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            xs_datetime(1_764_118_923, Duration::from_millis(456)),
            "2025-11-26T01:02:03.456Z"
        );
        assert_eq!(xs_interval(Duration::from_secs(300)), "P0DT0H5M0S");
        assert_eq!(
            xs_interval(Duration::from_millis(42_123)),
            "P0DT0H0M42.123S"
        );
    }

    #[test]
    fn guids_are_deterministic_and_distinct() {
        let g = guid(1, 1);
        assert_eq!(g.len(), 36);
        assert_eq!(g, guid(1, 1));
        assert_ne!(g, guid(1, 2));
        assert_eq!(g.as_bytes()[14], b'4');
    }

    #[test]
    fn names_are_case_insensitive() {
        assert_eq!(
            canonical_class("msvm_computersystem"),
            Some(COMPUTER_SYSTEM)
        );
        assert_eq!(canonical_property(VSSD, "instanceid"), Some("InstanceID"));
        assert_eq!(canonical_class("Win32_Process"), None);
    }
}
