//! `hvremote vms [--name NAME]`: name, id and state of every VM (text table or JSON array).

use crate::cli::args::{OutputArg, VmsArgs};
use crate::cli::output;
use crate::error::Error;
use crate::hyperv::{ops::Ops, vm};

/// List VMs and render them.
pub async fn run(ops: &dyn Ops, args: &VmsArgs, format: OutputArg) -> Result<String, Error> {
    let vms = vm::list_vms(ops, args.name.as_deref()).await?;
    Ok(match format {
        OutputArg::Text => output::vms_text(&vms),
        _ => json(&serde_json::Value::Array(
            vms.iter().map(output::vm_json).collect(),
        )),
    })
}

pub(crate) fn json(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".into())
}
