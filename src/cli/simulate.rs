//! `hvremote simulate`: serve the simulated Hyper-V host on a TCP port until Ctrl-C.
//!
//! Binds loopback by default and refuses a non-loopback address unless `--listen-any`. The
//! accepted account is `--user` with the password from `HVREMOTE_PASSWORD` or
//! `--password-stdin` (never a flag value). Clients authenticate with Negotiate/NTLM and every
//! message is sealed, as on a default Windows listener; `--allow-unencrypted` additionally
//! offers Basic over plain HTTP (dangerous: the password travels in clear text).
//!
//! `--keytab PATH` (builds with the `kerberos` feature) also accepts Kerberos; GSSAPI reads the
//! keytab from `KRB5_KTNAME`, so that variable must name PATH (checked before listening; the
//! command does not re-execute itself). With `--keytab` and no `--user`, NTLM is off and no
//! password is read. Without the feature, `--keytab` is a usage error naming the build flag.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use super::args::{GlobalArgs, SimulateArgs};
use super::config::PasswordSource;
use crate::error::{Error, ErrorKind};
use crate::sim::server::{ServerOptions, serve};
use crate::sim::{Host, SimConfig};

fn usage(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Usage, msg)
}

fn at_least_one(n: usize, flag: &str) -> Result<usize, Error> {
    if n == 0 {
        return Err(usage(format!("{flag} must be at least 1")));
    }
    Ok(n)
}

/// The listen address, checked against the loopback rule.
pub fn listen_addr(a: &SimulateArgs) -> Result<SocketAddr, Error> {
    let addr: SocketAddr = a.listen.parse().map_err(|_| {
        usage(format!(
            "invalid --listen address '{}' (want ip:port)",
            a.listen
        ))
    })?;
    if !addr.ip().is_loopback() && !a.listen_any {
        return Err(usage(format!(
            "refusing to listen on non-loopback address {addr} without --listen-any"
        )));
    }
    Ok(addr)
}

/// The host configuration from the flags (scenario file, VMs, job length).
pub fn sim_config(a: &SimulateArgs) -> Result<SimConfig, Error> {
    let mut c = match &a.scenario {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot read scenario {}", p.display()),
                )
                .with_source(e)
            })?;
            let json = p
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("json"));
            let parsed = if json {
                SimConfig::from_json(&text)
            } else {
                SimConfig::from_toml(&text)
            };
            parsed.map_err(|e| e.context(format!("scenario {}", p.display())))?
        }
        None if a.vms_named.is_empty() && a.vm_count.is_none() => SimConfig::demo(),
        None => SimConfig::from_flags(&a.vms_named, a.vm_count.unwrap_or(0)),
    };
    if let Some(s) = a.job_seconds {
        c.job_duration_ms = s.saturating_mul(1000);
    }
    Ok(c)
}

/// Run the simulated host until Ctrl-C.
pub async fn run(g: &GlobalArgs, a: &SimulateArgs) -> Result<String, Error> {
    if a.cert_out.is_some() && !g.https {
        return Err(usage("--cert-out goes with --https"));
    }
    let addr = listen_addr(a)?;
    let mut config = sim_config(a)?;
    let mut opts = ServerOptions {
        danger_allow_basic_unencrypted: g.allow_unencrypted,
        allow_basic: g.auth == super::args::AuthArg::Basic,
        keytab: a.keytab.clone(),
        max_connections: at_least_one(a.max_connections, "--max-connections")?,
        max_request_bytes: at_least_one(a.max_request_size, "--max-request-size")?,
        ..Default::default()
    };
    let kerberos_only = a.keytab.is_some() && g.user.is_none();
    if kerberos_only && g.allow_unencrypted {
        return Err(usage(
            "--allow-unencrypted offers basic authentication, which needs --user",
        ));
    }
    opts.check()?;
    let user = if kerberos_only {
        opts.ntlm = false;
        String::new()
    } else {
        let user = g.user.clone().ok_or_else(|| {
            usage("simulate needs --user (the account clients log on with) or --keytab")
        })?;
        let source = if g.password_stdin {
            PasswordSource::Stdin
        } else {
            PasswordSource::Env
        };
        config.password = super::password::obtain(source, &user)?.expose().to_string();
        config.user = user.clone();
        user
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        Error::new(ErrorKind::Connect, format!("cannot listen on {addr}")).with_source(e)
    })?;
    let bound = listener.local_addr().unwrap_or(addr);
    let tls = if g.https {
        let mut names = crate::sim::tls::loopback_names();
        let ip = bound.ip().to_string();
        if !names.contains(&ip) {
            names.push(ip);
        }
        Some(crate::sim::tls::SimTls::generate(
            &names,
            a.cert_out.as_deref(),
        )?)
    } else {
        None
    };
    let mut out = std::io::stdout().lock();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let _ = writeln!(
        out,
        "simulated hyper-v host listening on {scheme}://{bound}/wsman"
    );
    let connect = match (&tls, &a.cert_out) {
        (None, _) => format!(
            "hvremote -H {bound} -u {user} vms\n(negotiate/ntlm with message encryption; Ctrl-C stops it)"
        ),
        (Some(_), Some(pem)) => format!(
            "hvremote -H https://{bound}/wsman --cacert {} -u {user} vms\n(ntlm with channel binding; Ctrl-C stops it)",
            pem.display()
        ),
        (Some(_), None) => format!(
            "hvremote -H https://{bound}/wsman --insecure -u {user} vms\n(self-signed certificate: pass --cert-out FILE to trust it with --cacert; Ctrl-C stops it)"
        ),
    };
    if !user.is_empty() {
        let _ = writeln!(out, "connect with: HVREMOTE_PASSWORD=<password> {connect}");
    }
    if let Some(kt) = &a.keytab {
        let _ = writeln!(
            out,
            "kerberos: service keys from {} (for example: kinit user@REALM, then hvremote -H {bound} \
             --spn-host <fqdn of a keytab spn> --auth kerberos vms)",
            kt.display()
        );
    }
    let _ = out.flush();
    drop(out);
    let host = Arc::new(Mutex::new(Host::new(config)));
    opts.tls = tls;
    serve(listener, host, opts, super::ctrl_c()).await?;
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(v: &[&str]) -> SimulateArgs {
        let mut full = vec!["hvremote", "simulate"];
        full.extend_from_slice(v);
        match super::super::args::Cli::try_parse_from(full)
            .unwrap()
            .command
        {
            super::super::args::Command::Simulate(a) => a,
            _ => panic!("not simulate"),
        }
    }

    #[test]
    fn loopback_only_unless_listen_any() {
        assert!(listen_addr(&args(&[])).is_ok());
        let e = listen_addr(&args(&["--listen", "0.0.0.0:5985"])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(listen_addr(&args(&["--listen", "0.0.0.0:5985", "--listen-any"])).is_ok());
        assert!(listen_addr(&args(&["--listen", "nope"])).is_err());
    }

    #[test]
    fn keytab_flag_parses() {
        let a = args(&["--keytab", "/lab/http.keytab"]);
        assert_eq!(
            a.keytab.as_deref(),
            Some(std::path::Path::new("/lab/http.keytab"))
        );
        assert_eq!(args(&[]).keytab, None);
    }

    #[cfg(not(feature = "kerberos"))]
    #[test]
    fn keytab_without_the_feature_is_a_usage_error() {
        let opts = ServerOptions {
            keytab: Some(std::path::PathBuf::from("/nonexistent/http.keytab")),
            ..Default::default()
        };
        let e = opts.check().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(e.to_string().contains("--features kerberos"), "{e}");
    }

    #[test]
    fn vms_and_job_length_from_flags() {
        let c = sim_config(&args(&["--vm", "a", "--vm", "b", "--job-seconds", "7"])).unwrap();
        assert_eq!(c.job_duration_ms, 7000);
        let names: Vec<String> = c.all_vms().into_iter().map(|v| v.name).collect();
        assert!(names.contains(&"a".to_string()) && names.contains(&"b".to_string()));
    }
}
