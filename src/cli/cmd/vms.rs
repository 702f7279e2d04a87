//! `hvremote vms [--name NAME]`: name, id and state of every VM (text table or JSON array).
//!
//! Rows are written as each page of the enumeration is read, in the host's order (no sort: the
//! listing is never held whole). See [`crate::cli::output`] for what a failure part-way shows.

use crate::cli::args::{OutputArg, VmsArgs};
use crate::cli::output::{self, JsonArray, Sink, TableWriter};
use crate::error::Error;
use crate::hyperv::{ops::Ops, vm};

/// List VMs into `out`; returns "" (everything has been written).
pub async fn run(
    ops: &dyn Ops,
    args: &VmsArgs,
    format: OutputArg,
    out: &mut Sink,
) -> Result<String, Error> {
    let name = args.name.as_deref();
    match format {
        OutputArg::Text => {
            let mut table = TableWriter::new(out, &output::VMS_HEADER);
            vm::each_vm(ops, name, &mut |v| table.push(output::vm_row(&v))).await?;
            table.finish()?;
        }
        _ => {
            let mut rows = JsonArray::new(out);
            vm::each_vm(ops, name, &mut |v| rows.push(&output::vm_json(&v))).await?;
            rows.finish()?;
        }
    }
    Ok(String::new())
}

pub(crate) fn json(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".into())
}
