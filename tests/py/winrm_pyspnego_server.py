"""A loopback WinRM-style HTTP endpoint backed by pyspnego's NTLM acceptor (test oracle).

Used by tests/http_transport.rs to prove that hvremote's client authenticates and seals
exactly like the peers pyspnego talks to (winrm-wire.md section 4.3). Not Windows.

Rules, per TCP connection (one acceptor each):
* no Authorization and no context -> 401 "Negotiate" + "Kerberos", Connection: close;
* Authorization: Negotiate <token> -> step the acceptor (raw NTLMSSP -> "ntlm", otherwise
  "negotiate"); 401 with the challenge; when complete and the body is empty -> 200, empty;
  an authentication failure -> 401 Negotiate, Connection: close;
* an authenticated multipart/encrypted body -> unwrap_winrm, check Length, reply sealed:
  <Echo n="COUNT">base64(request plaintext)</Echo>, status 500 when the request contains FAULT;
* an unsealed body after authentication -> 401.

Usage: python winrm_pyspnego_server.py --user 'Domain\\User' --password Password [--tamper N]
Prints the listening port on stdout, then serves until killed.
"""

import argparse
import base64
import http.server
import os
import re
import sys
import tempfile
import threading

import spnego

BOUNDARY = b"--Encrypted Boundary\r\n"
PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
CONTENT_TYPE = 'multipart/encrypted;protocol="%s";boundary="Encrypted Boundary"' % PROTOCOL


def frame(header, data, length):
    return (
        BOUNDARY
        + b"\tContent-Type: " + PROTOCOL.encode() + b"\r\n"
        + b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n" % length
        + BOUNDARY
        + b"\tContent-Type: application/octet-stream\r\n"
        + len(header).to_bytes(4, "little") + header + data
        + b"--Encrypted Boundary--\r\n"
    )


def unframe(body):
    parts = [p for p in body.split(BOUNDARY) if p]
    length = int(re.search(rb"Length=(\d+)", parts[0]).group(1))
    payload = parts[1]
    payload = payload[payload.index(b"\r\n") + 2:]
    if payload.endswith(b"--Encrypted Boundary--\r\n"):
        payload = payload[: -len(b"--Encrypted Boundary--\r\n")]
    sig_len = int.from_bytes(payload[:4], "little")
    return payload[4:4 + sig_len], payload[4 + sig_len:], length


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    ctx = None
    counter = 0
    lock = threading.Lock()
    tamper = 0

    def log_message(self, *args):  # keep stdout for the port only
        pass

    def reply(self, status, body=b"", headers=(), close=False):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("negotiate "):
            if not self.authenticate(base64.b64decode(auth[10:].strip()), body):
                return
        elif self.ctx is None or not self.ctx.complete:
            self.reply(401, headers=[("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", "Kerberos")], close=True)
            return
        if not self.headers.get("Content-Type", "").lower().startswith("multipart/encrypted"):
            self.reply(401, headers=[("WWW-Authenticate", "Negotiate")], close=True)
            return
        self.sealed(body)

    def authenticate(self, token, body):
        """Steps the acceptor; returns True when the body should be processed as sealed SOAP."""
        if self.ctx is None or self.ctx.complete:
            proto = "ntlm" if token.startswith(b"NTLMSSP\0") else "negotiate"
            self.ctx = spnego.server(protocol=proto)
        try:
            out = self.ctx.step(token)
        except Exception as e:  # wrong password, bad MIC, bad bindings
            sys.stderr.write("auth failed: %r\n" % (e,))
            self.ctx = None
            self.reply(401, headers=[("WWW-Authenticate", "Negotiate")], close=True)
            return False
        extra = [("WWW-Authenticate", "Negotiate " + base64.b64encode(out).decode())] if out else []
        if not self.ctx.complete:
            self.reply(401, headers=extra)
            return False
        if not body:
            self.reply(200, headers=extra)
            return False
        return True

    def sealed(self, body):
        header, data, length = unframe(body)
        plain = self.ctx.unwrap_winrm(header, data)
        if len(plain) != length:
            self.reply(400, close=True)
            return
        with Handler.lock:
            Handler.counter += 1
            n = Handler.counter
        answer = b'<Echo n="%d">' % n + base64.b64encode(plain) + b"</Echo>"
        wrapped = self.ctx.wrap_winrm(answer)
        sealed_data = bytearray(wrapped.data)
        if n == Handler.tamper:
            sealed_data[len(sealed_data) // 2] ^= 0x01
        status = 500 if b"FAULT" in plain else 200
        out = frame(wrapped.header, bytes(sealed_data), len(answer))
        self.reply(status, out, headers=[("Content-Type", CONTENT_TYPE)])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--tamper", type=int, default=0)
    a = p.parse_args()
    domain, _, user = a.user.rpartition("\\")
    users = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    users.write("%s:%s:%s\n" % (domain, user, a.password))
    users.close()
    os.environ["NTLM_USER_FILE"] = users.name
    Handler.tamper = a.tamper
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    finally:
        os.unlink(users.name)


if __name__ == "__main__":
    main()
