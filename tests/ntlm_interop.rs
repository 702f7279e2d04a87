//! Interop of `hvremote::ntlm` with pyspnego 0.12.4, an independent NTLM implementation
//! (winrm-wire.md §4). The peer is `tests/py/ntlm_peer.py`, driven over stdin/stdout.
//!
//! Python comes from `HVREMOTE_TEST_PYTHON` (set by `scripts/test.sh`, which builds the venv
//! from `tests/py/requirements.txt`). Without it these tests fail on purpose.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use hvremote::ntlm::{Client, ClientConfig, Credentials, Server, ServerConfig, Session};

const USER_FILE: &str = "CORP:alice:S3cret!\n:alice@corp.example:S3cret!\n:alice:S3cret!\n";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("peer sent hex"))
        .collect()
}

/// A running pyspnego peer.
struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    _users: tempfile::NamedTempFile,
}

impl Peer {
    fn spawn(args: &[&str]) -> Peer {
        let python = std::env::var("HVREMOTE_TEST_PYTHON").unwrap_or_else(|_| {
            panic!(
                "HVREMOTE_TEST_PYTHON is not set: run scripts/test.sh (it creates the python \
                 venv with pyspnego and sets the variable)"
            )
        });
        let mut users = tempfile::NamedTempFile::new().unwrap();
        users.write_all(USER_FILE.as_bytes()).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/ntlm_peer.py");
        let mut child = Command::new(python)
            .arg(script)
            .args(args)
            .env("NTLM_USER_FILE", users.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the python peer");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Peer {
            child,
            stdin,
            stdout,
            _users: users,
        }
    }

    fn call(&mut self, line: &str) -> Vec<String> {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        answer.split_whitespace().map(str::to_string).collect()
    }

    /// `step`: Ok(token or empty) or Err(peer error line).
    fn step(&mut self, token: Option<&[u8]>) -> Result<Vec<u8>, String> {
        let arg = token.map_or("-".to_string(), hex);
        let w = self.call(&format!("step {arg}"));
        match w.first().map(String::as_str) {
            Some("token") if w[1] == "-" => Ok(Vec::new()),
            Some("token") => Ok(unhex(&w[1])),
            _ => Err(w.join(" ")),
        }
    }

    fn wrap(&mut self, plain: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let w = self.call(&format!("wrap {}", hex(plain)));
        assert_eq!(w[0], "wrapped", "{w:?}");
        (unhex(&w[1]), unhex(&w[2]))
    }

    fn unwrap(&mut self, sig: &[u8], data: &[u8]) -> Result<Vec<u8>, String> {
        let w = self.call(&format!("unwrap {} {}", hex(sig), hex(data)));
        if w[0] == "plain" {
            Ok(unhex(w.get(1).map_or("", |s| s)))
        } else {
            Err(w.join(" "))
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client(user: &str, password: &str, cbt: Option<&[u8]>) -> Client {
    Client::new(ClientConfig {
        credentials: Credentials::new(user, password).unwrap(),
        target_spn: "HTTP/hv01".into(),
        channel_bindings: cbt.map(<[u8]>::to_vec),
    })
}

fn exchange_with_peer(ours: &mut Session, peer: &mut Peer) {
    for i in 0..3 {
        let req = format!("<s:Envelope>request {i}</s:Envelope>");
        let (sig, data) = ours.seal(req.as_bytes());
        assert_eq!(peer.unwrap(&sig, &data).unwrap(), req.as_bytes());
        let reply = format!("<s:Envelope>reply {i}</s:Envelope>");
        let (sig, data) = peer.wrap(reply.as_bytes());
        assert_eq!(ours.unseal(&sig, &data).unwrap(), reply.as_bytes());
    }
    let (sig, mut data) = ours.seal(b"tampered");
    data[0] ^= 1;
    assert!(
        peer.unwrap(&sig, &data).is_err(),
        "pyspnego must reject a tampered message"
    );
}

fn our_client_against_pyspnego(user: &str, cbt: Option<&[u8]>) -> Result<Session, String> {
    let cbt_arg = cbt.map_or("-".to_string(), hex);
    let mut peer = Peer::spawn(&["server", &cbt_arg]);
    let mut c = client(user, "S3cret!", cbt);
    let challenge = peer.step(Some(&c.negotiate()))?;
    let auth = c.authenticate(&challenge).map_err(|e| e.to_string())?;
    peer.step(Some(&auth))?;
    let mut session = c.into_session().unwrap();
    exchange_with_peer(&mut session, &mut peer);
    Ok(session)
}

#[test]
fn our_client_with_pyspnego_acceptor() {
    let s = our_client_against_pyspnego("CORP\\alice", None).unwrap();
    assert_eq!((s.send_seq(), s.recv_seq()), (4, 3));
    our_client_against_pyspnego("alice@corp.example", None).unwrap();
    our_client_against_pyspnego("alice", None).unwrap();
    let cbt = b"tls-server-end-point:0123456789abcdef0123456789abcdef";
    our_client_against_pyspnego("CORP\\alice", Some(cbt)).unwrap();
}

#[test]
fn pyspnego_acceptor_rejects_wrong_password_and_bindings() {
    let mut peer = Peer::spawn(&["server", "-"]);
    let mut c = client("CORP\\alice", "Wr0ng", None);
    let challenge = peer.step(Some(&c.negotiate())).unwrap();
    let err = peer
        .step(Some(&c.authenticate(&challenge).unwrap()))
        .unwrap_err();
    assert!(err.starts_with("error"), "{err}");
    let mut peer = Peer::spawn(&["server", &hex(b"tls-server-end-point:A")]);
    let mut c = client("CORP\\alice", "S3cret!", Some(b"tls-server-end-point:B"));
    let challenge = peer.step(Some(&c.negotiate())).unwrap();
    let err = peer
        .step(Some(&c.authenticate(&challenge).unwrap()))
        .unwrap_err();
    assert!(err.contains("BadBindings"), "{err}");
}

fn server_cfg(cbt: Option<&[u8]>) -> ServerConfig {
    ServerConfig {
        accounts: vec![("alice".into(), "S3cret!".into())],
        netbios_domain: "CORP".into(),
        dns_domain: "corp.example".into(),
        netbios_computer: "HV01".into(),
        dns_computer: "hv01.corp.example".into(),
        expected_channel_bindings: cbt.map(<[u8]>::to_vec),
    }
}

fn pyspnego_client_against_our_server(
    user: &str,
    password: &str,
    cbt: Option<&[u8]>,
) -> Result<(), String> {
    let cbt_arg = cbt.map_or("-".to_string(), hex);
    let mut peer = Peer::spawn(&["client", user, password, &cbt_arg]);
    let mut server = Server::new(server_cfg(cbt), [0x11; 8], 133_000_000_000_000_000);
    let negotiate = peer.step(None)?;
    let challenge = server.challenge(&negotiate).map_err(|e| e.to_string())?;
    let auth = peer.step(Some(&challenge))?;
    let (mut session, who) = server.authenticate(&auth).map_err(|e| e.to_string())?;
    assert_eq!(who.user, "alice");
    for i in 0..3 {
        let req = format!("<s:Envelope>request {i}</s:Envelope>");
        let (sig, data) = peer.wrap(req.as_bytes());
        assert_eq!(session.unseal(&sig, &data).unwrap(), req.as_bytes());
        let (sig, data) = session.seal(format!("reply {i}").as_bytes());
        assert_eq!(
            peer.unwrap(&sig, &data).unwrap(),
            format!("reply {i}").as_bytes()
        );
    }
    let (sig, mut data) = peer.wrap(b"tampered");
    data[0] ^= 1;
    assert!(session.unseal(&sig, &data).is_err());
    Ok(())
}

#[test]
fn pyspnego_client_with_our_server_all_user_forms() {
    for user in ["CORP\\alice", "alice@corp.example", "alice"] {
        pyspnego_client_against_our_server(user, "S3cret!", None).unwrap();
    }
    let cbt = b"tls-server-end-point:feedface";
    pyspnego_client_against_our_server("CORP\\alice", "S3cret!", Some(cbt)).unwrap();
}

#[test]
fn our_server_rejects_pyspnego_wrong_password() {
    let err = pyspnego_client_against_our_server("CORP\\alice", "Wr0ng", None).unwrap_err();
    assert!(err.contains("does not verify"), "{err}");
}

/// pyspnego with protocol "negotiate" (as pypsrp `auth="negotiate"` uses it) against our
/// SPNEGO acceptor: NegTokenInit/NegTokenResp, mechListMIC both ways, RC4 reset, first sealed
/// message at sequence number 1.
#[test]
fn pyspnego_spnego_client_with_our_acceptor() {
    use hvremote::ntlm::spnego::{AcceptStep, Acceptor, TokenKind, detect};
    let mut peer = Peer::spawn(&["client", "--negotiate", "CORP\\alice", "S3cret!", "-"]);
    let mut acceptor = Acceptor::new(Server::new(server_cfg(None), [0x22; 8], 1));
    let init = peer.step(None).unwrap();
    assert_eq!(detect(&init), TokenKind::NegTokenInit);
    let AcceptStep::Continue(resp) = acceptor.step(&init).unwrap() else {
        panic!("expected a challenge")
    };
    let last = peer.step(Some(&resp)).unwrap();
    assert_eq!(detect(&last), TokenKind::NegTokenResp);
    let AcceptStep::Complete {
        token: Some(fin),
        mut session,
        ..
    } = acceptor.step(&last).unwrap()
    else {
        panic!("expected completion with a final token")
    };
    let w = peer.call(&format!("step {}", hex(&fin)));
    assert_eq!(w.last().map(String::as_str), Some("1"), "{w:?}");
    for i in 0..3 {
        let (sig, data) = peer.wrap(format!("req {i}").as_bytes());
        assert_eq!(sig[12], 1 + i, "seq starts at 1 after the mechListMIC");
        assert_eq!(
            session.unseal(&sig, &data).unwrap(),
            format!("req {i}").as_bytes()
        );
        let (sig, data) = session.seal(b"reply");
        assert_eq!(peer.unwrap(&sig, &data).unwrap(), b"reply");
    }
}
