//! Recorder (wip).
