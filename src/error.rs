//! The crate's top-level error: opaque, with a [`ErrorKind`] and typed accessors.
//!
//! Sorted by who is at fault: the peer sent garbage (`Protocol`), the peer refused (`Fault`,
//! `MethodFailed`, `JobFailed`, `NotFound`), we could not reach it (`Connect`, `Timeout`, `Tls`,
//! `Auth`), the caller misused us (`Usage`). Messages are one lowercase phrase with context,
//! no trailing period. The exit-code table lives in `cli::exit` and nowhere else.

use std::fmt;

use crate::soap::fault::Fault;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller misused the API or gave bad input.
    Usage,
    /// Authentication was rejected or could not be performed.
    Auth,
    /// The host could not be reached or the connection broke.
    Connect,
    /// TLS setup or certificate validation failed.
    Tls,
    /// A connect, read or wait timeout expired.
    Timeout,
    /// The peer sent something we could not understand.
    Protocol,
    /// The peer answered with a SOAP fault.
    Fault,
    /// A WMI method returned a failure code.
    MethodFailed,
    /// A job ended in failure.
    JobFailed,
    /// An object (VM, job, checkpoint) was not found or was ambiguous.
    NotFound,
    /// A configured bound (response size, pages, items) was exceeded.
    LimitExceeded,
    /// A replayed fixture did not match the request (or could not be read).
    Replay,
    /// Waiting was interrupted (Ctrl-C) or a wait deadline passed; the job keeps running.
    Interrupted,
    /// A local I/O failure (files).
    Io,
}

/// Facts about a failed or abandoned job carried by an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobFailure {
    /// `InstanceID` of the job.
    pub instance_id: String,
    /// `JobState` value.
    pub job_state: Option<u16>,
    /// `ErrorCode`.
    pub error_code: Option<u32>,
    /// `ErrorDescription` (or the GetErrorEx message).
    pub error_description: Option<String>,
    /// `ErrorSummaryDescription`.
    pub error_summary: Option<String>,
}

/// The crate's error type.
pub struct Error {
    kind: ErrorKind,
    message: String,
    fault: Option<Box<Fault>>,
    return_code: Option<u32>,
    job: Option<Box<JobFailure>>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with a lowercase message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            fault: None,
            return_code: None,
            job: None,
            source: None,
        }
    }

    /// Attach a source error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Attach a SOAP fault.
    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.fault = Some(Box::new(fault));
        self
    }

    /// Attach a method return code.
    pub fn with_return_code(mut self, code: u32) -> Self {
        self.return_code = Some(code);
        self
    }

    /// Attach job facts.
    pub fn with_job(mut self, job: JobFailure) -> Self {
        self.job = Some(Box::new(job));
        self
    }

    /// Prefix the message with context: `"{ctx}: {message}"`.
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message (without the source chain).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The SOAP fault, when the host answered with one.
    pub fn fault(&self) -> Option<&Fault> {
        self.fault.as_deref()
    }

    /// The WMI method return code, when a method failed.
    pub fn return_code(&self) -> Option<u32> {
        self.return_code
    }

    /// The job facts, when a job failed or was left running.
    pub fn job(&self) -> Option<&JobFailure> {
        self.job.as_deref()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("fault", &self.fault)
            .field("return_code", &self.return_code)
            .field("job", &self.job)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<crate::xml::XmlError> for Error {
    fn from(e: crate::xml::XmlError) -> Self {
        Error::new(ErrorKind::Protocol, e.to_string())
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
