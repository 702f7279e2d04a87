//! Job progress on stderr: an indicatif bar with PercentComplete and elapsed time when stderr
//! is a terminal, plain lines (only when something changed) otherwise, nothing with `-q`.
//!
//! Implements [`JobObserver`], so the library reports progress without knowing about terminals.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::hyperv::{ConcreteJob, JobObserver};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A progress bar (stderr is a terminal).
    Bar,
    /// Plain lines.
    Lines,
    /// Nothing.
    Quiet,
}

impl ProgressMode {
    /// Pick the mode for this process.
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            ProgressMode::Quiet
        } else if std::io::stderr().is_terminal() {
            ProgressMode::Bar
        } else {
            ProgressMode::Lines
        }
    }
}

/// The CLI's job observer.
pub struct Progress {
    mode: ProgressMode,
    bar: Option<ProgressBar>,
    label: String,
    started: Instant,
    last: Option<(Option<u16>, Option<u16>)>,
}

impl Progress {
    /// A new observer labelled e.g. `export web01`.
    pub fn new(mode: ProgressMode, label: impl Into<String>) -> Self {
        let label = label.into();
        let bar = (mode == ProgressMode::Bar).then(|| {
            let b = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr());
            let style =
                ProgressStyle::with_template("{msg} [{bar:40}] {pos:>3}% {elapsed_precise}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
            b.set_style(style);
            b.set_message(label.clone());
            b
        });
        Progress {
            mode,
            bar,
            label,
            started: Instant::now(),
            last: None,
        }
    }

    /// The plain line for a job reading, or None when nothing changed since the last one.
    pub fn line_for(&mut self, job: &ConcreteJob) -> Option<String> {
        let key = (job.job_state.map(|s| s.0), job.percent_complete);
        if self.last == Some(key) {
            return None;
        }
        self.last = Some(key);
        let state = job
            .job_state
            .map(|s| s.to_string())
            .unwrap_or_else(|| "unknown".into());
        let pct = job
            .percent_complete
            .map(|p| format!(" {p}%"))
            .unwrap_or_default();
        let secs = job
            .elapsed
            .unwrap_or_else(|| self.started.elapsed())
            .as_secs();
        Some(format!(
            "{}: job {} {state}{pct} ({secs}s)",
            self.label, job.instance_id
        ))
    }

    /// Remove the bar (call before printing the result).
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl JobObserver for Progress {
    fn on_update(&mut self, job: &ConcreteJob) {
        match self.mode {
            ProgressMode::Quiet => {}
            ProgressMode::Bar => {
                if let Some(b) = &self.bar {
                    b.set_position(u64::from(job.percent_complete.unwrap_or(0).min(100)));
                }
            }
            ProgressMode::Lines => {
                if let Some(l) = self.line_for(job) {
                    eprintln!("{l}");
                }
            }
        }
    }

    fn on_retry(&mut self, reason: &str) {
        if self.mode == ProgressMode::Lines {
            eprintln!("{}: polling again after: {reason}", self.label);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hyperv::JobState;

    #[test]
    fn lines_only_on_change() {
        let mut p = Progress::new(ProgressMode::Lines, "export web01");
        let mut job = ConcreteJob {
            instance_id: "J1".into(),
            job_state: Some(JobState::RUNNING),
            percent_complete: Some(10),
            elapsed: Some(std::time::Duration::from_secs(5)),
            ..Default::default()
        };
        assert_eq!(
            p.line_for(&job).unwrap(),
            "export web01: job J1 Running 10% (5s)"
        );
        assert!(p.line_for(&job).is_none());
        job.percent_complete = Some(20);
        assert!(p.line_for(&job).unwrap().contains("20%"));
    }

    #[test]
    fn quiet_has_no_bar() {
        assert!(Progress::new(ProgressMode::Quiet, "x").bar.is_none());
        assert!(Progress::new(ProgressMode::Bar, "x").bar.is_some());
    }
}
