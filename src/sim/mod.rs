//! Simulated Hyper-V WinRM host (temporary header; full docs below once modules land).
pub mod model;
pub mod scenario;
pub mod state;
pub mod wql;
