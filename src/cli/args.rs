//! The command line as clap sees it: raw flags, no validation beyond types.
//!
//! Validation (endpoint, credentials, TLS choices) happens in [`super::config`]; this file is
//! only the shape of the command line (issue 4 contract). Passwords never arrive as flag
//! values: only `HVREMOTE_PASSWORD`, `--password-stdin` or a no-echo prompt.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const MAIN_EXAMPLES: &str = "\
Examples:
  hvremote -H hv01 -u 'CORP\\admin' vms
  HVREMOTE_PASSWORD=... hvremote -H hv01 -u admin export web01 --dest 'D:\\Exports'
  hvremote -H hv01 -u admin job 3F2B8C41-9D7E-4A05-B6C3-1E8F0A2D5B77 --wait
  hvremote demo
  kinit admin@CORP.EXAMPLE && hvremote --host hv01.corp.example --auth kerberos vms

Kerberos (builds with `--features kerberos`): --auth kerberos uses the ticket cache (kinit,
KRB5CCNAME), needs no user or password and seals every message; the SPN is HTTP/<host>
(--spn-service host or WSMAN, --spn-host <fqdn> when connecting by IP address or alias).
--auth negotiate (the default) uses Kerberos when a ticket for that SPN is available and NTLM
(user and password) otherwise; -v says which and why.

Exit codes: 0 success (also when stdout's reader leaves early, as with | head); 1 remote
operation failed (fault, method return code, job error, VM or job not found); 2 usage or bad
input; 3 authentication failed; 4 connection, TLS or timeout failure; 130 interrupted.";

/// Manage Hyper-V hosts over WinRM / WS-Management.
#[derive(Debug, Parser)]
#[command(name = "hvremote", version, after_help = MAIN_EXAMPLES)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Authentication schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum AuthArg {
    /// The Negotiate scheme a default Windows listener offers: Kerberos when built with it and a
    /// ticket for the target exists, else NTLM (every message sealed).
    #[default]
    Negotiate,
    /// NTLM explicitly (carried in the Negotiate scheme, as Windows expects; sealed).
    Ntlm,
    /// HTTP Basic (only over HTTPS unless --allow-unencrypted).
    Basic,
    /// Kerberos from the admin's ticket cache (`kinit`), no password; needs a build with
    /// `--features kerberos`.
    Kerberos,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputArg {
    /// Human-readable text.
    #[default]
    Text,
    /// JSON on stdout.
    Json,
    /// Raw XML (wsman commands only).
    Xml,
}

/// `--capture-live-state` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CaptureArg {
    /// Crash consistent (0).
    Crash,
    /// Saved state (1).
    Saved,
    /// Application consistent (2).
    App,
}

/// Options accepted before or after the subcommand.
#[derive(Debug, Clone, Args, Default)]
pub struct GlobalArgs {
    /// Hyper-V host: name, name:port, or URL.
    #[arg(short = 'H', long, env = "HVREMOTE_HOST", global = true)]
    pub host: Option<String>,
    /// Use HTTPS (port 5986 unless --port).
    #[arg(long, global = true)]
    pub https: bool,
    /// TCP port (default 5985, or 5986 with --https).
    #[arg(long, global = true)]
    pub port: Option<u16>,
    /// User name (DOMAIN\user, user@domain or user).
    #[arg(short = 'u', long, env = "HVREMOTE_USER", global = true)]
    pub user: Option<String>,
    /// Read the password from the first line of stdin (else HVREMOTE_PASSWORD or a prompt).
    #[arg(long, global = true)]
    pub password_stdin: bool,
    /// Authentication scheme.
    #[arg(long, value_enum, default_value_t = AuthArg::Negotiate, global = true)]
    pub auth: AuthArg,
    /// Do not verify the server certificate (dangerous).
    #[arg(long, global = true)]
    pub insecure: bool,
    /// PEM file with CA certificates to trust.
    #[arg(long, value_name = "FILE", global = true)]
    pub cacert: Option<PathBuf>,
    /// Name to verify in the server certificate (default: the host).
    #[arg(long, value_name = "NAME", global = true)]
    pub tls_server_name: Option<String>,
    /// Allow Basic auth over plain HTTP, or HTTP without message sealing (dangerous).
    #[arg(long, global = true)]
    pub allow_unencrypted: bool,
    /// WS-Man OperationTimeout in seconds.
    #[arg(long, value_name = "SECS", global = true)]
    pub operation_timeout: Option<u64>,
    /// TCP/TLS connect timeout in seconds.
    #[arg(long, value_name = "SECS", global = true)]
    pub connect_timeout: Option<u64>,
    /// HTTP read timeout in seconds.
    #[arg(long, value_name = "SECS", global = true)]
    pub read_timeout: Option<u64>,
    /// Largest accepted response in bytes.
    #[arg(long, value_name = "BYTES", global = true)]
    pub max_response_size: Option<usize>,
    /// Most responses one enumeration may take (Enumerate and Pulls; default 10000).
    #[arg(long, value_name = "N", global = true)]
    pub max_pages: Option<usize>,
    /// Most items one enumeration may deliver (default 1000000).
    #[arg(long, value_name = "N", global = true)]
    pub max_items: Option<usize>,
    /// Deepest XML element nesting accepted in a response (default 64).
    #[arg(long, value_name = "N", global = true)]
    pub max_xml_depth: Option<usize>,
    /// Most attributes accepted on one XML element of a response (default 64).
    #[arg(long, value_name = "N", global = true)]
    pub max_xml_attributes: Option<usize>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputArg::Text, global = true)]
    pub output: OutputArg,
    /// More logging on stderr (-v, -vv).
    #[arg(short = 'v', long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// No progress and no informational messages.
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// Record every SOAP exchange to a fixture file (host and user names redacted).
    #[arg(long, value_name = "FILE", global = true, conflicts_with = "replay")]
    pub record: Option<PathBuf>,
    /// Keep host and user names in the recorded fixture.
    #[arg(long, global = true)]
    pub record_keep_names: bool,
    /// Answer from a recorded fixture instead of a host.
    #[arg(long, value_name = "FILE", global = true)]
    pub replay: Option<PathBuf>,
    /// Kerberos SPN service class: HTTP (default), host or WSMAN.
    #[arg(long, value_name = "NAME", global = true)]
    pub spn_service: Option<String>,
    /// Kerberos SPN host name, when connecting by IP address or alias (default: the host).
    #[arg(long, value_name = "HOST", global = true)]
    pub spn_host: Option<String>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List virtual machines (name, id, state).
    #[command(
        after_help = "Rows are printed as the host sends them, in the host's order (not sorted). If the listing fails part-way, the error goes to stderr and the exit code is non-zero; with -o json the array is then left without its closing ].\n\nExamples:\n  hvremote -H hv01 -u admin vms\n  hvremote -H hv01 -u admin vms --name web01 -o json"
    )]
    Vms(VmsArgs),
    /// List a VM's checkpoints.
    #[command(after_help = "Examples:\n  hvremote -H hv01 -u admin snapshots web01")]
    Snapshots(SnapshotsArgs),
    /// Export a VM (or one checkpoint) to a directory on the host and follow the job.
    #[command(after_help = EXPORT_EXAMPLES)]
    Export(ExportArgs),
    /// Show or follow a job by its InstanceID.
    #[command(
        after_help = "Examples:\n  hvremote -H hv01 -u admin job 3F2B8C41-9D7E-4A05-B6C3-1E8F0A2D5B77\n  hvremote -H hv01 -u admin job 3F2B8C41-9D7E-4A05-B6C3-1E8F0A2D5B77 --wait"
    )]
    Job(JobArgs),
    /// Generic WS-Management operations (identify, get, enumerate, invoke).
    #[command(subcommand, after_help = WSMAN_EXAMPLES)]
    Wsman(WsmanCommand),
    /// Run a simulated Hyper-V host (for tests and demos) until Ctrl-C.
    #[command(after_help = SIMULATE_EXAMPLES)]
    Simulate(SimulateArgs),
    /// Start a simulated host in-process and export a VM from it over real HTTP.
    #[command(after_help = "Examples:\n  hvremote demo\n  hvremote demo -o json")]
    Demo,
}

const EXPORT_EXAMPLES: &str = "\
Examples:
  hvremote -H hv01 -u admin export web01 --dest 'D:\\Exports'
  hvremote -H hv01 -u admin export web01 --dest 'D:\\Exports' --snapshot before-upgrade
  hvremote -H hv01 -u admin export 5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12 --dest 'D:\\Exports' --no-wait

Ctrl-C stops waiting and leaves the job running on the host (exit 130); resume with
`hvremote job <ID> --wait`. --cancel-on-interrupt cancels the job instead.";

const WSMAN_EXAMPLES: &str = "\
Examples:
  hvremote -H hv01 -u admin wsman identify
  hvremote -H hv01 -u admin wsman get Msvm_ComputerSystem --selector CreationClassName=Msvm_ComputerSystem --selector Name=HV01
  hvremote -H hv01 -u admin wsman enumerate Msvm_ComputerSystem --wql \"SELECT * FROM Msvm_ComputerSystem\"
  hvremote -H hv01 -u admin wsman invoke Msvm_ConcreteJob GetErrorEx --selector InstanceID=<ID>";

const SIMULATE_EXAMPLES: &str = "\
Examples:
  HVREMOTE_PASSWORD=secret hvremote simulate --user lab --vm web01 --vm db01
  hvremote simulate --listen 127.0.0.1:5985 --user lab --password-stdin --vms 3 --job-seconds 20
  KRB5_KTNAME=FILE:/lab/http.keytab hvremote simulate --keytab /lab/http.keytab --vm web01

Kerberos (--keytab): the host accepts `Negotiate` (raw krb5 or SPNEGO) and `Kerberos`, answers
with the mutual-auth token and requires every message sealed over HTTP. GSSAPI reads the keytab
from KRB5_KTNAME, so simulate does not re-execute itself: it checks that KRB5_KTNAME names the
--keytab file and stops with a usage error otherwise. A test realm and keytab come from
scripts/krb-realm.sh (`up DIR`, then `eval \"$(scripts/krb-realm.sh env DIR)\"`).";

/// `vms` arguments.
#[derive(Debug, Clone, Args)]
pub struct VmsArgs {
    /// Only VMs with this display name.
    #[arg(long)]
    pub name: Option<String>,
}

/// `snapshots` arguments.
#[derive(Debug, Clone, Args)]
pub struct SnapshotsArgs {
    /// VM name or GUID.
    pub vm: String,
}

/// `export` arguments.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// VM name or GUID.
    pub vm: String,
    /// Destination directory on the Hyper-V host (absolute, e.g. D:\Exports).
    #[arg(long, value_name = "DIR")]
    pub dest: String,
    /// Export only this checkpoint.
    #[arg(long, value_name = "NAME", conflicts_with = "no_snapshots")]
    pub snapshot: Option<String>,
    /// Do not copy virtual hard disks.
    #[arg(long)]
    pub no_storage: bool,
    /// Do not copy runtime state (saved state, memory).
    #[arg(long)]
    pub no_runtime_state: bool,
    /// Do not copy checkpoints.
    #[arg(long)]
    pub no_snapshots: bool,
    /// Do not create a sub-directory named after the VM.
    #[arg(long)]
    pub no_subdirectory: bool,
    /// What to capture when the VM is running.
    #[arg(long, value_enum)]
    pub capture_live_state: Option<CaptureArg>,
    /// Return as soon as the job has started.
    #[arg(long)]
    pub no_wait: bool,
    /// Stop waiting after this many seconds (the job keeps running; exit 4).
    #[arg(long, value_name = "SECS")]
    pub wait_timeout: Option<u64>,
    /// On Ctrl-C, cancel the job instead of leaving it running.
    #[arg(long)]
    pub cancel_on_interrupt: bool,
}

/// `job` arguments.
#[derive(Debug, Clone, Args)]
pub struct JobArgs {
    /// The job's InstanceID.
    pub instance_id: String,
    /// Follow the job until it ends.
    #[arg(long)]
    pub wait: bool,
    /// Stop waiting after this many seconds (exit 4).
    #[arg(long, value_name = "SECS")]
    pub wait_timeout: Option<u64>,
}

/// `wsman` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum WsmanCommand {
    /// WS-Management Identify.
    Identify,
    /// WS-Transfer Get of one instance.
    Get {
        /// Class name (root\virtualization\v2) or full resource URI.
        class: String,
        /// Key selector K=V (repeatable).
        #[arg(long = "selector", value_name = "K=V")]
        selectors: Vec<String>,
        /// WMI namespace for a bare class name (default root/virtualization/v2).
        #[arg(long, value_name = "NS")]
        namespace: Option<String>,
    },
    /// WS-Enumeration of a class, optionally with a WQL filter.
    Enumerate {
        /// Class name or full resource URI.
        class: String,
        /// WQL query (sent on the namespace's `*` URI).
        #[arg(long, value_name = "QUERY")]
        wql: Option<String>,
        /// WMI namespace for a bare class name (default root/virtualization/v2).
        #[arg(long, value_name = "NS")]
        namespace: Option<String>,
    },
    /// Invoke a method.
    Invoke {
        /// Class name or full resource URI.
        class: String,
        /// Method name.
        method: String,
        /// Key selector K=V (repeatable).
        #[arg(long = "selector", value_name = "K=V")]
        selectors: Vec<String>,
        /// Input parameter K=V (repeatable; repeat a name for an array).
        #[arg(long = "param", value_name = "K=V")]
        params: Vec<String>,
        /// WMI namespace for a bare class name (default root/virtualization/v2).
        #[arg(long, value_name = "NS")]
        namespace: Option<String>,
    },
}

/// `simulate` arguments.
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// Address to listen on (loopback unless --listen-any).
    #[arg(long, default_value = "127.0.0.1:5985")]
    pub listen: String,
    /// Allow a non-loopback listen address.
    #[arg(long)]
    pub listen_any: bool,
    /// A VM to create (repeatable).
    #[arg(long = "vm", value_name = "NAME")]
    pub vms_named: Vec<String>,
    /// Number of generated VMs.
    #[arg(long = "vms", value_name = "N")]
    pub vm_count: Option<usize>,
    /// Scenario file (TOML).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// How long a simulated export job runs.
    #[arg(long, value_name = "N")]
    pub job_seconds: Option<u64>,
    /// Write the generated self-signed certificate (PEM) here (with --https).
    #[arg(long, value_name = "FILE")]
    pub cert_out: Option<PathBuf>,
    /// Most client connections served at once; further ones get 503 and are closed.
    #[arg(long, value_name = "N", default_value_t = crate::sim::server::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Largest request body accepted in bytes; larger ones get 413.
    #[arg(long, value_name = "BYTES", default_value_t = crate::sim::server::DEFAULT_MAX_REQUEST_BYTES)]
    pub max_request_size: usize,
    /// Also accept Kerberos with the service keys in this keytab (needs a build with
    /// `--features kerberos`). GSSAPI reads the keytab from the environment, so KRB5_KTNAME
    /// must name the same file (KRB5_KTNAME=FILE:PATH); simulate refuses to start otherwise.
    /// Without --user, only Kerberos is accepted.
    #[arg(long, value_name = "PATH")]
    pub keytab: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_after_subcommand() {
        let c = Cli::try_parse_from(["hvremote", "vms", "-H", "hv01", "-o", "json", "-q"]).unwrap();
        assert_eq!(c.global.host.as_deref(), Some("hv01"));
        assert_eq!(c.global.output, OutputArg::Json);
        assert!(c.global.quiet);
    }

    #[test]
    fn export_flags_parse() {
        let c = Cli::try_parse_from([
            "hvremote",
            "export",
            "web01",
            "--dest",
            "D:\\X",
            "--no-storage",
            "--capture-live-state",
            "app",
            "--wait-timeout",
            "5",
        ])
        .unwrap();
        let Command::Export(a) = c.command else {
            panic!("not export")
        };
        assert!(a.no_storage && !a.no_snapshots);
        assert_eq!(a.capture_live_state, Some(CaptureArg::App));
        assert_eq!(a.wait_timeout, Some(5));
    }

    #[test]
    fn kerberos_flags_parse_and_help_shows_kinit() {
        let c = Cli::try_parse_from([
            "hvremote",
            "--auth",
            "kerberos",
            "vms",
            "--spn-service",
            "host",
            "--spn-host",
            "hv01.corp.example",
        ])
        .unwrap();
        assert_eq!(c.global.auth, AuthArg::Kerberos);
        assert_eq!(c.global.spn_service.as_deref(), Some("host"));
        assert_eq!(c.global.spn_host.as_deref(), Some("hv01.corp.example"));
        let help = Cli::command().render_long_help().to_string();
        for needle in [
            "kinit admin@CORP.EXAMPLE && hvremote --host hv01.corp.example --auth kerberos vms",
            "--spn-service",
            "--spn-host",
            "--features kerberos",
        ] {
            assert!(help.contains(needle), "{needle}");
        }
    }

    #[test]
    fn there_is_no_password_flag() {
        assert!(Cli::try_parse_from(["hvremote", "vms", "--password", "x"]).is_err());
        assert!(Cli::try_parse_from(["hvremote", "vms", "-p", "x"]).is_err());
    }

    #[test]
    fn snapshot_conflicts_with_no_snapshots() {
        let r = Cli::try_parse_from([
            "hvremote",
            "export",
            "v",
            "--dest",
            "D:\\",
            "--snapshot",
            "a",
            "--no-snapshots",
        ]);
        assert!(r.is_err());
    }
}
