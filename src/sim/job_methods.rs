//! `Msvm_ConcreteJob` methods on the simulated host (hyperv-wsman.md §9.5, E15).
//!
//! * RequestStateChange: RequestedState 4 (Terminate) → JobState 8, 5 (Kill) → 9, ReturnValue
//!   0; 2/3/6 → 32770 (not supported); other or missing values → 32773; a job that already
//!   ended → 32775 (invalid state).
//! * GetErrorEx: ReturnValue 0 with one `p:Errors` entry (an escaped CIM-XML `Msvm_Error`
//!   string) when the job ended in Exception, none otherwise.
//!
//! The job is selected by the request's selectors (`InstanceID`); an unknown job is the
//! not-found fault of `sim::faults`. What it does not: Get (see `sim::host`).

use super::cimxml;
use super::envelope::SimFault;
use super::faults;
use super::host::{Call, Host};
use super::invoke::rc;
use super::model;
use super::render;
use super::state::{Outcome, job_state};

impl Host {
    fn job_id(&self, call: &Call<'_>) -> Result<String, SimFault> {
        let inst = self.select_instance(model::CONCRETE_JOB, &call.req.selectors, call.now)?;
        Ok(inst.get_str("InstanceID").unwrap_or_default().to_string())
    }

    pub(crate) fn job_state_change(&mut self, call: &Call<'_>) -> Result<String, SimFault> {
        let id = self.job_id(call)?;
        let uri = render::class_uri(model::CONCRETE_JOB);
        let requested = call
            .req
            .body
            .as_ref()
            .filter(|b| b.is(&uri, "RequestStateChange_INPUT"))
            .and_then(|b| b.child_text(&uri, "RequestedState"))
            .and_then(|t| t.parse::<u16>().ok());
        let now = call.now;
        let job = self
            .state
            .job_mut(&id)
            .ok_or_else(|| faults::not_found(&id))?;
        let code = match requested {
            Some(4 | 5) if job.ended_at(now).is_some() => rc::INVALID_STATE,
            Some(r @ (4 | 5)) => {
                let state = if r == 4 {
                    job_state::TERMINATED
                } else {
                    job_state::KILLED
                };
                job.stopped = Some((now, state));
                0
            }
            Some(2 | 3 | 6) => rc::NOT_SUPPORTED,
            _ => rc::INVALID_PARAMETER,
        };
        Ok(Host::output(
            call,
            model::CONCRETE_JOB,
            "p:RequestStateChange_OUTPUT",
            |w| {
                w.leaf("p:ReturnValue", &code.to_string());
            },
        ))
    }

    pub(crate) fn get_error_ex(&mut self, call: &Call<'_>) -> Result<String, SimFault> {
        let id = self.job_id(call)?;
        let now = call.now;
        let job = self
            .state
            .job_mut(&id)
            .ok_or_else(|| faults::not_found(&id))?;
        let errors: Vec<String> = match (&job.outcome, job.progress(now).0) {
            (Outcome::Exception(f), job_state::EXCEPTION) => {
                vec![cimxml::msvm_error(
                    &f.description,
                    &job.vm_guid,
                    f.error_code,
                )]
            }
            _ => Vec::new(),
        };
        Ok(Host::output(
            call,
            model::CONCRETE_JOB,
            "p:GetErrorEx_OUTPUT",
            |w| {
                for e in &errors {
                    w.leaf("p:Errors", e);
                }
                w.leaf("p:ReturnValue", "0");
            },
        ))
    }
}
