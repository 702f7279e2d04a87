//! Replayer (wip).
