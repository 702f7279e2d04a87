//! Rendering results and errors: text tables for people, JSON for scripts (issue 4 shapes).
//!
//! Functions here build strings or `serde_json::Value`s; the [`Sink`] (stdout, owned by
//! `cli::main`), [`emit`] and [`emit_error`] are the only writers. Listings stream: rows are
//! written through the sink as pages are parsed ([`JsonArray`], [`TableWriter`]).
//!
//! Errors: in JSON mode an error is one object on stdout (`{"error":{"kind":…,"message":…,…}}`);
//! in text mode it is `hvremote: <message>` on stderr. A listing that fails after rows were
//! already written (JSON mode included) reports the error as text on stderr: stdout then holds a
//! JSON array with no closing `]`, which no JSON parser accepts, so a script cannot mistake a
//! partial listing for a complete one; the exit code tells what failed. In JSON mode the error
//! object also follows on stdout as its own last line (compact), for scripts that read it there.
//!
//! A reader that closes stdout early (`hvremote vms | head -1`) is not a failure: the first
//! write that meets the closed pipe marks the [`Sink`] closed and returns an error that stops the
//! command (a listing stops pulling pages and releases its enumeration context); from then on
//! nothing more is written, and `cli::main` ends quietly with exit 0 ([`is_closed_pipe`]).

use std::io::Write;

use serde_json::{Value, json};

use super::args::OutputArg;
use super::exit;
use crate::error::{Error, ErrorKind};
use crate::hyperv::{ConcreteJob, Snapshot, Vm};

/// Where command output goes: stdout in the binary, a buffer in tests. Remembers whether
/// anything has been written, so that a failure can be reported where a reader will see it.
pub struct Sink {
    w: Box<dyn Write + Send>,
    wrote: bool,
    closed: bool,
}

impl Sink {
    /// A sink over `w`.
    pub fn new(w: Box<dyn Write + Send>) -> Self {
        Sink {
            w,
            wrote: false,
            closed: false,
        }
    }

    /// Buffered standard output.
    pub fn stdout() -> Self {
        Self::new(Box::new(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stdout(),
        )))
    }

    /// Write `text`; a failed write is an `Io` error that stops the command. A closed pipe
    /// also marks the sink closed: later writes are refused without touching the output.
    pub fn write_str(&mut self, text: &str) -> Result<(), Error> {
        if text.is_empty() {
            return Ok(());
        }
        if self.closed {
            return Err(closed_pipe_error());
        }
        self.wrote = true;
        let res = self.w.write_all(text.as_bytes());
        res.map_err(|e| self.failed(e))
    }

    /// Note a failed write or flush; after a closed pipe the buffered output is dropped (one
    /// more write attempt, ignored) and nothing is written again.
    fn failed(&mut self, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            self.closed = true;
            self.w = Box::new(std::io::sink());
        }
        write_error(e)
    }

    /// True once a write found the reader gone (closed pipe).
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Write `text` and a final newline if it lacks one.
    pub fn emit(&mut self, text: &str) -> Result<(), Error> {
        self.write_str(text)?;
        if !text.ends_with('\n') {
            self.write_str("\n")?;
        }
        Ok(())
    }

    /// [`Sink::emit`] unless `text` is empty.
    pub fn emit_nonempty(&mut self, text: &str) -> Result<(), Error> {
        if text.is_empty() {
            return Ok(());
        }
        self.emit(text)
    }

    /// A sink into memory, and the handle to read it back.
    pub fn memory() -> (Self, MemoryOut) {
        let buf = MemoryOut::default();
        (Self::new(Box::new(buf.clone())), buf)
    }

    /// True once anything has been written.
    pub fn wrote(&self) -> bool {
        self.wrote
    }

    /// Push buffered output out (nothing to do once the pipe is closed).
    pub fn flush(&mut self) -> Result<(), Error> {
        if self.closed {
            return Ok(());
        }
        let res = self.w.flush();
        res.map_err(|e| self.failed(e))
    }
}

/// An in-memory output (see [`Sink::memory`]).
#[derive(Clone, Default)]
pub struct MemoryOut(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl MemoryOut {
    /// Everything written so far, as text (the buffer is emptied).
    pub fn take_string(&self) -> String {
        let bytes = self
            .0
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for MemoryOut {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("output buffer poisoned"))?
            .extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn write_error(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("cannot write the output: {e}")).with_source(e)
}

fn closed_pipe_error() -> Error {
    write_error(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
}

/// True when `err` is (or wraps) a write that found stdout's reader gone: the quiet end of
/// `hvremote … | head`, not a failure.
pub fn is_closed_pipe(err: &Error) -> bool {
    if err.kind() != ErrorKind::Io {
        return false;
    }
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::BrokenPipe;
        }
        source = s.source();
    }
    false
}

/// A JSON array written element by element, in the shape `serde_json::to_string_pretty` gives
/// the whole array (`[]` when empty). Nothing is written before the first element (or
/// [`JsonArray::finish`]), so an error before any row leaves stdout empty.
pub struct JsonArray<'a> {
    out: &'a mut Sink,
    n: usize,
}

impl<'a> JsonArray<'a> {
    /// An array to be written into `out`.
    pub fn new(out: &'a mut Sink) -> Self {
        JsonArray { out, n: 0 }
    }

    /// Write one element.
    pub fn push(&mut self, v: &Value) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".into());
        let mut chunk = String::with_capacity(text.len() + 16);
        chunk.push_str(if self.n == 0 { "[\n" } else { ",\n" });
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                chunk.push('\n');
            }
            chunk.push_str("  ");
            chunk.push_str(line);
        }
        self.n += 1;
        self.out.write_str(&chunk)
    }

    /// Close the array (call only after the last element); returns how many were written.
    pub fn finish(self) -> Result<usize, Error> {
        self.out
            .write_str(if self.n == 0 { "[]\n" } else { "\n]\n" })?;
        Ok(self.n)
    }
}

/// Rows held back to size the columns of a streamed table.
const TABLE_BATCH: usize = 256;

/// A text table written as rows arrive: column widths come from the header and the first
/// 256 rows (later, longer cells push their line wider). Nothing is written before
/// the first batch is complete or the table is finished.
pub struct TableWriter<'a> {
    out: &'a mut Sink,
    header: Vec<String>,
    widths: Option<Vec<usize>>,
    held: Vec<Vec<String>>,
}

impl<'a> TableWriter<'a> {
    /// A table with `header` to be written into `out`.
    pub fn new(out: &'a mut Sink, header: &[&str]) -> Self {
        TableWriter {
            out,
            header: header.iter().map(|h| h.to_string()).collect(),
            widths: None,
            held: Vec::new(),
        }
    }

    /// Add one row.
    pub fn push(&mut self, row: Vec<String>) -> Result<(), Error> {
        match &self.widths {
            Some(w) => {
                let line = table_line(&row, w);
                self.out.write_str(&line)
            }
            None => {
                self.held.push(row);
                if self.held.len() >= TABLE_BATCH {
                    self.release()?;
                }
                Ok(())
            }
        }
    }

    fn release(&mut self) -> Result<(), Error> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.held {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut text = table_line(&self.header, &widths);
        for row in std::mem::take(&mut self.held) {
            text.push_str(&table_line(&row, &widths));
        }
        self.widths = Some(widths);
        self.out.write_str(&text)
    }

    /// Write whatever is held back (the header at least).
    pub fn finish(mut self) -> Result<(), Error> {
        if self.widths.is_none() {
            self.release()?;
        }
        Ok(())
    }
}

fn table_line(row: &[String], widths: &[usize]) -> String {
    let cells: Vec<String> = row
        .iter()
        .zip(widths)
        .map(|(c, w)| format!("{c:<w$}"))
        .collect();
    let mut line = cells.join("  ").trim_end().to_string();
    line.push('\n');
    line
}

/// A VM as JSON: `{"name","id","state","enabled_state"}`.
pub fn vm_json(vm: &Vm) -> Value {
    json!({"name": vm.name, "id": vm.id, "state": vm.state.to_string(), "enabled_state": vm.enabled_state})
}

/// Header of the VM table.
pub const VMS_HEADER: [&str; 3] = ["NAME", "ID", "STATE"];

/// One VM as a table row.
pub fn vm_row(v: &Vm) -> Vec<String> {
    vec![v.name.clone(), v.id.clone(), v.state.to_string()]
}

/// VMs as a text table.
pub fn vms_text(vms: &[Vm]) -> String {
    let rows: Vec<Vec<String>> = vms.iter().map(vm_row).collect();
    table(&VMS_HEADER, &rows)
}

/// A checkpoint as JSON.
pub fn snapshot_json(s: &Snapshot) -> Value {
    json!({"name": s.name, "instance_id": s.instance_id, "creation_time": s.creation_time,
           "parent": s.parent, "type": s.kind})
}

/// Checkpoints as a text table.
pub fn snapshots_text(snaps: &[Snapshot]) -> String {
    let rows: Vec<Vec<String>> = snaps
        .iter()
        .map(|s| {
            let t = s.creation_time.clone().unwrap_or_default();
            vec![s.name.clone(), s.instance_id.clone(), t]
        })
        .collect();
    table(&["NAME", "INSTANCE_ID", "CREATED"], &rows)
}

/// A job as JSON (the `job` object of the issue 4 contract).
pub fn job_json(job: &ConcreteJob) -> Value {
    json!({
        "instance_id": job.instance_id,
        "job_state": job.job_state.map(|s| s.0),
        "state": job.job_state.map(|s| s.to_string()),
        "percent_complete": job.percent_complete,
        "error_code": job.error_code,
        "error_description": job.error_description,
        "error_summary": job.error_summary,
        "elapsed_seconds": job.elapsed.map(|d| d.as_secs_f64()),
    })
}

/// A job as text lines.
pub fn job_text(job: &ConcreteJob) -> String {
    let mut s = format!("job {}\n", job.instance_id);
    let state = job
        .job_state
        .map(|s| format!("{s} ({})", s.0))
        .unwrap_or_else(|| "unknown".into());
    s.push_str(&format!("  state:    {state}\n"));
    if let Some(p) = job.percent_complete {
        s.push_str(&format!("  progress: {p}%\n"));
    }
    if let Some(e) = job.elapsed {
        s.push_str(&format!("  elapsed:  {}s\n", e.as_secs()));
    }
    if let Some(c) = job.error_code.filter(|c| *c != 0) {
        s.push_str(&format!("  error:    {c}\n"));
    }
    for d in [&job.error_summary, &job.error_description]
        .into_iter()
        .flatten()
    {
        s.push_str(&format!("  {d}\n"));
    }
    s
}

/// A left-aligned table with a header row.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The JSON form of an error.
pub fn error_json(err: &Error) -> Value {
    let mut e = json!({"kind": exit::kind_name(err.kind()), "message": err.message(),
                       "exit_code": exit::code_for(err)});
    if let Some(code) = err.return_code() {
        e["return_code"] = json!(code);
    }
    if let Some(f) = err.fault() {
        e["fault"] = json!({"code": f.code, "subcode": f.subcode_local(), "reason": f.reason.trim(),
                            "wsman_code": f.wsman_code, "wsman_message": f.wsman_message});
    }
    if let Some(j) = err.job() {
        e["job"] = json!({"instance_id": j.instance_id, "job_state": j.job_state,
                          "error_code": j.error_code, "error_description": j.error_description,
                          "error_summary": j.error_summary});
    }
    json!({ "error": e })
}

/// The text form of an error (without trailing newline).
pub fn error_text(err: &Error) -> String {
    let mut s = format!("hvremote: {}", err.message());
    if let Some(f) = err.fault() {
        if let Some(code) = f.wsman_code {
            s.push_str(&format!("\n  wsman fault {code} (0x{code:08X})"));
        }
        if let Some(m) = f.wsman_message.as_deref().filter(|m| !m.trim().is_empty()) {
            s.push_str(&format!("\n  {}", m.trim()));
        }
    }
    s
}

/// Write a JSON value (pretty, one object) to stdout.
pub fn emit_json(v: &Value) {
    let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".into());
    emit(&text);
}

/// Write text to stdout, ignoring a closed pipe.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}

/// Report an error in the chosen format.
pub fn emit_error(err: &Error, format: OutputArg) {
    if format == OutputArg::Json {
        emit_json(&error_json(err));
    } else {
        eprintln!("{}", error_text(err));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorKind, JobFailure};
    use crate::hyperv::{JobState, VmState};

    #[test]
    fn vm_json_shape() {
        let vm = Vm {
            name: "web01".into(),
            id: "G".into(),
            state: VmState(3),
            enabled_state: 3,
        };
        assert_eq!(
            vm_json(&vm),
            json!({"name":"web01","id":"G","state":"Off","enabled_state":3})
        );
        let t = vms_text(&[vm]);
        assert!(t.starts_with("NAME "));
        assert!(t.contains("web01  G   Off"), "{t}");
    }

    #[test]
    fn job_json_shape() {
        let job = ConcreteJob {
            instance_id: "J".into(),
            job_state: Some(JobState::COMPLETED),
            percent_complete: Some(100),
            error_code: Some(0),
            elapsed: Some(std::time::Duration::from_secs(90)),
            ..Default::default()
        };
        let v = job_json(&job);
        assert_eq!(v["job_state"], 7);
        assert_eq!(v["state"], "Completed");
        assert_eq!(v["percent_complete"], 100);
        assert_eq!(v["error_description"], Value::Null);
        assert_eq!(v["elapsed_seconds"], 90.0);
    }

    /// A writer whose reader has gone: every write and flush fails with a closed pipe.
    struct Gone(std::sync::Arc<std::sync::atomic::AtomicUsize>);

    impl Write for Gone {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn closed_pipe_closes_the_sink_and_is_recognised() {
        let attempts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut out = Sink::new(Box::new(Gone(attempts.clone())));
        assert!(!out.closed());
        let err = out.write_str("NAME\n").unwrap_err();
        assert!(out.closed());
        assert!(is_closed_pipe(&err), "{err}");
        assert_eq!(err.kind(), ErrorKind::Io);
        // Nothing more reaches the writer: later writes fail at once, flush has nothing to do.
        let again = out.write_str("row\n").unwrap_err();
        assert!(is_closed_pipe(&again));
        assert!(out.flush().is_ok());
        assert_eq!(attempts.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Other write failures, and errors of other kinds with a closed-pipe source, are not it.
        let other = write_error(std::io::ErrorKind::PermissionDenied.into());
        assert!(!is_closed_pipe(&other));
        let net = Error::new(ErrorKind::Connect, "send failed")
            .with_source(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(!is_closed_pipe(&net));
    }

    #[test]
    fn error_json_shape() {
        let err = Error::new(
            ErrorKind::JobFailed,
            "export web01: job failed (32768): boom",
        )
        .with_job(JobFailure {
            instance_id: "J".into(),
            error_code: Some(32768),
            ..Default::default()
        });
        let v = error_json(&err);
        assert_eq!(v["error"]["kind"], "job_failed");
        assert_eq!(v["error"]["exit_code"], 1);
        assert_eq!(v["error"]["job"]["error_code"], 32768);
        assert_eq!(
            error_text(&err),
            "hvremote: export web01: job failed (32768): boom"
        );
    }
}
