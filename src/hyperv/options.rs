//! Export options and their mapping to the embedded `Msvm_VirtualSystemExportSettingData`
//! instance (hyperv-wsman.md §9.4, §10.2 step 4).
//!
//! Defaults follow PowerShell's `Export-VM`: all checkpoints, storage, runtime state, and a
//! sub-directory named after the VM. The four core properties are always sent explicitly (a
//! host's defaults for omitted ones are undocumented); `CaptureLiveState` only when asked;
//! `SnapshotVirtualSystem` only when exporting one checkpoint. Core tier: no I/O; turning the
//! properties into CIM-XML is the `cim` layer's job.

use crate::error::{Error, ErrorKind};

/// Which checkpoints an export copies (`CopySnapshotConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SnapshotSelection {
    /// 0: all checkpoints (the default, like `Export-VM`).
    #[default]
    All,
    /// 1: no checkpoints.
    None,
    /// 2: only the named checkpoint (its storage and runtime state are always exported).
    One(String),
}

/// `CaptureLiveState` values: what to capture when the VM is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaptureLiveState {
    /// 0: crash consistent.
    CrashConsistent,
    /// 1: saved state.
    SavedState,
    /// 2: application consistent (Windows 10 / Server 2016 and later).
    AppConsistent,
}

impl CaptureLiveState {
    /// The uint8 value sent to the host.
    pub fn value(self) -> u8 {
        match self {
            CaptureLiveState::CrashConsistent => 0,
            CaptureLiveState::SavedState => 1,
            CaptureLiveState::AppConsistent => 2,
        }
    }
}

/// How to export a VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// Which checkpoints to copy.
    pub snapshots: SnapshotSelection,
    /// `CopyVmStorage` (virtual hard disks).
    pub copy_storage: bool,
    /// `CopyVmRuntimeInformation` (saved state / memory).
    pub copy_runtime_state: bool,
    /// `CreateVmExportSubdirectory`.
    pub create_subdirectory: bool,
    /// `CaptureLiveState`, sent only when set.
    pub capture_live_state: Option<CaptureLiveState>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            snapshots: SnapshotSelection::All,
            copy_storage: true,
            copy_runtime_state: true,
            create_subdirectory: true,
            capture_live_state: None,
        }
    }
}

/// A property value of the embedded instance.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PropertyValue {
    /// CIM `uint8`.
    U8(u8),
    /// CIM `boolean`.
    Bool(bool),
    /// CIM `string`.
    Str(String),
}

impl PropertyValue {
    /// The lower-case CIM type name (`TYPE` attribute in CIM-XML).
    pub fn cim_type(&self) -> &'static str {
        match self {
            PropertyValue::U8(_) => "uint8",
            PropertyValue::Bool(_) => "boolean",
            PropertyValue::Str(_) => "string",
        }
    }

    /// The CIM-XML `VALUE` text (booleans upper case, as DSP0201 writes them).
    pub fn cim_text(&self) -> String {
        match self {
            PropertyValue::U8(v) => v.to_string(),
            PropertyValue::Bool(true) => "TRUE".to_string(),
            PropertyValue::Bool(false) => "FALSE".to_string(),
            PropertyValue::Str(s) => s.clone(),
        }
    }
}

/// Class name of the embedded instance.
pub const EXPORT_SETTING_DATA_CLASS: &str = "Msvm_VirtualSystemExportSettingData";

impl ExportOptions {
    /// The checkpoint name when exporting one checkpoint.
    pub fn snapshot_name(&self) -> Option<&str> {
        match &self.snapshots {
            SnapshotSelection::One(n) => Some(n),
            _ => None,
        }
    }

    /// The properties of the embedded instance, in the order they are sent.
    ///
    /// `snapshot_path` is the WMI object path of the checkpoint's settings; it is required
    /// exactly when exporting one checkpoint (else a `Usage` error).
    pub fn settings(
        &self,
        snapshot_path: Option<&str>,
    ) -> Result<Vec<(&'static str, PropertyValue)>, Error> {
        let copy_config = match (&self.snapshots, snapshot_path) {
            (SnapshotSelection::All, None) => 0,
            (SnapshotSelection::None, None) => 1,
            (SnapshotSelection::One(_), Some(_)) => 2,
            (SnapshotSelection::One(n), None) => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!("export of checkpoint '{n}' needs its object path"),
                ));
            }
            (_, Some(_)) => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "a checkpoint object path is only sent when exporting one checkpoint",
                ));
            }
        };
        let mut props = vec![
            ("CopySnapshotConfiguration", PropertyValue::U8(copy_config)),
            (
                "CopyVmRuntimeInformation",
                PropertyValue::Bool(self.copy_runtime_state),
            ),
            ("CopyVmStorage", PropertyValue::Bool(self.copy_storage)),
            (
                "CreateVmExportSubdirectory",
                PropertyValue::Bool(self.create_subdirectory),
            ),
        ];
        if let Some(c) = self.capture_live_state {
            props.push(("CaptureLiveState", PropertyValue::U8(c.value())));
        }
        if let Some(p) = snapshot_path {
            props.push(("SnapshotVirtualSystem", PropertyValue::Str(p.to_string())));
        }
        Ok(props)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &[(&'static str, PropertyValue)]) -> Vec<&'static str> {
        p.iter().map(|(n, _)| *n).collect()
    }

    #[test]
    fn defaults_match_export_vm() {
        let p = ExportOptions::default().settings(None).unwrap();
        assert_eq!(
            p,
            vec![
                ("CopySnapshotConfiguration", PropertyValue::U8(0)),
                ("CopyVmRuntimeInformation", PropertyValue::Bool(true)),
                ("CopyVmStorage", PropertyValue::Bool(true)),
                ("CreateVmExportSubdirectory", PropertyValue::Bool(true)),
            ]
        );
    }

    #[test]
    fn flags_flip_core_properties() {
        let o = ExportOptions {
            snapshots: SnapshotSelection::None,
            copy_storage: false,
            copy_runtime_state: false,
            create_subdirectory: false,
            capture_live_state: Some(CaptureLiveState::AppConsistent),
        };
        let p = o.settings(None).unwrap();
        assert_eq!(p[0].1, PropertyValue::U8(1));
        assert_eq!(p[1].1, PropertyValue::Bool(false));
        assert_eq!(p[2].1, PropertyValue::Bool(false));
        assert_eq!(p[3].1, PropertyValue::Bool(false));
        assert_eq!(p[4], ("CaptureLiveState", PropertyValue::U8(2)));
        assert_eq!(p.len(), 5);
    }

    #[test]
    fn one_snapshot_sends_its_path() {
        let o = ExportOptions {
            snapshots: SnapshotSelection::One("before".into()),
            ..Default::default()
        };
        assert_eq!(o.settings(None).unwrap_err().kind(), ErrorKind::Usage);
        let p = o.settings(Some("\\\\HV01\\root:X")).unwrap();
        assert_eq!(p[0].1, PropertyValue::U8(2));
        assert_eq!(
            names(&p),
            [
                "CopySnapshotConfiguration",
                "CopyVmRuntimeInformation",
                "CopyVmStorage",
                "CreateVmExportSubdirectory",
                "SnapshotVirtualSystem"
            ]
        );
        assert!(ExportOptions::default().settings(Some("x")).is_err());
    }

    #[test]
    fn cim_text_and_types() {
        assert_eq!(PropertyValue::Bool(true).cim_text(), "TRUE");
        assert_eq!(PropertyValue::Bool(false).cim_text(), "FALSE");
        assert_eq!(PropertyValue::U8(2).cim_type(), "uint8");
        assert_eq!(PropertyValue::Str("a".into()).cim_type(), "string");
        assert_eq!(CaptureLiveState::SavedState.value(), 1);
    }
}
