#!/usr/bin/python3
"""A WinRM HTTP endpoint whose Kerberos acceptor is python-gssapi (Debian python3-gssapi; run it
with /usr/bin/python3), in front of a simulated host that speaks Basic over plain HTTP.

It plays the Windows listener of kerberos.md §3 and §5, independently of hvremote's code:
  * a POST without a context gets 401 with `WWW-Authenticate: Negotiate` and `Kerberos` (or the
    schemes given by --schemes);
  * `Authorization: Kerberos <raw krb5>` or `Negotiate <raw krb5 | SPNEGO>` goes to one accepting
    gssapi.SecurityContext per TCP connection (MIT dispatches on the token's OID); the 200 carries
    `WWW-Authenticate: <same scheme> <AP-REP or NegTokenResp>` (mutual authentication);
  * sealed bodies are unframed (u32 LE header length, HEADER | DATA(+PADDING), OriginalContent
    Length = len(data) + len(padding): 0 bytes for AES, 1 for RC4), unwrapped with unwrap_iov
    (std_layout=False, pyspnego's MIT recipe), the protocol string is checked against the scheme
    (Negotiate -> HTTP-SPNEGO-session-encrypted, Kerberos -> HTTP-Kerberos-session-encrypted),
    the plaintext SOAP is forwarded with Basic to --upstream, and the answer is wrapped back with
    wrap_iov over HEADER | DATA | PADDING.

Options: --tamper flips one byte of every sealed response; --no-mutual omits the 200's token;
--close-on-refusal closes the connection with the 401 to a scheme it does not offer;
--unauth-once N answers the N-th sealed request with 401 once (dropping the context);
--unauth-always answers every sealed request with 401;
--tls-cert/--tls-key serve HTTPS: the acceptor then requires RFC 5929 channel bindings
(`tls-server-end-point:` + SHA-256 of the certificate) and bodies are plain SOAP, not sealed;
--wrong-bindings makes the acceptor expect bindings of another certificate.
The Basic password for the upstream comes from the environment variable PROXY_UPSTREAM_PASSWORD
(never argv). The keytab comes from KRB5_KTNAME. The first stdout line is `listening PORT`;
each authentication and message is logged as one line to --log (no secrets).
"""
import argparse
import base64
import hashlib
import ssl
import http.client
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import gssapi
from gssapi.raw import IOV, IOVBufferType, unwrap_iov, wrap_iov

BOUNDARY = b"Encrypted Boundary"
PROTOCOLS = {
    "negotiate": "application/HTTP-SPNEGO-session-encrypted",
    "kerberos": "application/HTTP-Kerberos-session-encrypted",
}
SPNEGO_OID = bytes.fromhex("2b0601050502")
KRB5_OID = bytes.fromhex("2a864886f712010202")


class State:
    args = None
    log_lock = threading.Lock()
    sealed_count = 0
    unauth_done = False
    bindings = None


def log(line):
    if not State.args.log:
        return
    with State.log_lock:
        with open(State.args.log, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def mech_of(token):
    head = token[:24]
    if SPNEGO_OID in head:
        return "spnego"
    if KRB5_OID in head:
        return "krb5"
    return "unknown"


def parse_sealed(content_type, body):
    """(protocol, Length, header, data) of a multipart/encrypted body."""
    if not content_type.lower().startswith("multipart/encrypted"):
        raise ValueError("request body is not multipart/encrypted")
    delim = b"--" + BOUNDARY + b"\r\n"
    if not body.startswith(delim):
        raise ValueError("body does not start with the boundary")
    rest = body[len(delim):]
    first, sep, second = rest.partition(delim)
    if not sep:
        raise ValueError("second boundary missing")
    proto = None
    length = None
    for line in first.split(b"\r\n"):
        line = line.strip()
        if line.lower().startswith(b"content-type:"):
            proto = line.split(b":", 1)[1].strip().decode()
        elif line.lower().startswith(b"originalcontent:"):
            length = int(line.lower().split(b"length=")[1].split(b";")[0])
    octet = b"\tContent-Type: application/octet-stream\r\n"
    if not second.startswith(octet):
        raise ValueError("second part is not application/octet-stream")
    payload = second[len(octet):]
    end = b"--" + BOUNDARY + b"--\r\n"
    if not payload.endswith(end):
        raise ValueError("closing boundary missing")
    payload = payload[: -len(end)]
    hlen = int.from_bytes(payload[:4], "little")
    header = payload[4:4 + hlen]
    data = payload[4 + hlen:]
    if length != len(data):
        raise ValueError("Length %r but %d bytes of sealed data" % (length, len(data)))
    return proto, header, data


def frame(proto, header, data):
    out = b"--" + BOUNDARY + b"\r\n"
    out += b"\tContent-Type: " + proto.encode() + b"\r\n"
    out += b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n" % len(data)
    out += b"--" + BOUNDARY + b"\r\n\tContent-Type: application/octet-stream\r\n"
    out += len(header).to_bytes(4, "little") + header + data
    out += b"--" + BOUNDARY + b"--\r\n"
    return out


def unwrap(ctx, header, data):
    iov = IOV((IOVBufferType.header, False, header), data, std_layout=False)
    unwrap_iov(ctx, iov)
    plain = iov[1].value
    if header[:1] == b"\x60":  # RFC 1964/4757 (RC4): unwrap_iov leaves the padding in DATA
        n = plain[-1] if plain else 0
        if not 1 <= n <= 8 or plain[-n:] != bytes([n]) * n:
            raise ValueError("bad rc4 padding")
        plain = plain[:-n]
    return plain


def wrap(ctx, plain):
    iov = IOV(IOVBufferType.header, plain, IOVBufferType.padding, std_layout=False)
    wrap_iov(ctx, iov, confidential=True)
    pad = iov[2].value or b""
    return iov[0].value, iov[1].value + pad


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.ctx = None
        self.scheme = None

    def log_message(self, fmt, *args):  # quiet: the test reads --log
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def offer(self):
        return [("WWW-Authenticate", s) for s in State.args.schemes.split(",") if s]

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        authz = self.headers.get("Authorization")
        mutual = None
        if authz:
            scheme, _, b64 = authz.partition(" ")
            offered = [s.lower() for s in State.args.schemes.split(",")]
            if scheme.lower() not in offered or scheme.lower() not in PROTOCOLS:
                log("auth refused scheme=%s (not offered)" % scheme)
                if State.args.close_on_refusal:
                    self.close_connection = True
                    return self.reply(401, headers=self.offer() + [("Connection", "close")])
                return self.reply(401, headers=self.offer())
            token = base64.b64decode(b64)
            if State.bindings is not None:
                cb = gssapi.raw.ChannelBindings(application_data=State.bindings)
                self.ctx = gssapi.SecurityContext(usage="accept", channel_bindings=cb)
            else:
                self.ctx = gssapi.SecurityContext(usage="accept")
            self.scheme = scheme.lower()
            try:
                out = self.ctx.step(token)
                complete = self.ctx.complete  # python-gssapi may raise the step's error here
            except Exception as e:  # any GSS failure: log it and answer 401 like Windows
                log("auth failed scheme=%s mech=%s: %s" % (scheme, mech_of(token), " ".join(str(e).split())))
                self.ctx = None
                return self.reply(401, headers=self.offer())
            if not complete:
                return self.reply(401, headers=[("WWW-Authenticate", "%s %s" % (scheme, base64.b64encode(out or b"").decode()))])
            log("auth ok scheme=%s mech=%s client=%s" % (scheme, mech_of(token), self.ctx.initiator_name))
            if out and not State.args.no_mutual:
                mutual = ("WWW-Authenticate", "%s %s" % (scheme, base64.b64encode(out).decode()))
            if not body:
                return self.reply(200, headers=[mutual] if mutual else [])
        if self.ctx is None or not self.ctx.complete:
            return self.reply(401, headers=self.offer())
        if not body:
            return self.reply(200)
        State.sealed_count += 1
        once = State.args.unauth_once and State.sealed_count == State.args.unauth_once and not State.unauth_done
        if once or State.args.unauth_always:
            State.unauth_done = True
            self.ctx = None
            log("401 injected on sealed request %d" % State.sealed_count)
            return self.reply(401, headers=self.offer())
        expected = PROTOCOLS[self.scheme]
        if State.bindings is not None:  # https: plain SOAP, as for NTLM
            ctype = self.headers.get("Content-Type", "")
            if not ctype.lower().startswith("application/soap+xml"):
                log("https request rejected: content type %s" % ctype)
                return self.reply(400, b"expected plain soap over https", [("Content-Type", "text/plain")])
            log("https request ok")
            status, answer = forward(body)
            headers = [("Content-Type", "application/soap+xml;charset=UTF-8")]
            if mutual:
                headers.append(mutual)
            return self.reply(status, answer, headers)
        try:
            proto, header, data = parse_sealed(self.headers.get("Content-Type", ""), body)
            if proto != expected:
                raise ValueError("protocol %s under scheme %s (expected %s)" % (proto, self.scheme, expected))
            plain = unwrap(self.ctx, header, data)
        except Exception as e:  # a bad message is the client's fault: 400 and log why
            log("sealed request rejected: %s" % " ".join(str(e).split()))
            return self.reply(400, b"bad sealed request", [("Content-Type", "text/plain")])
        log("sealed request ok proto=%s header=%d pad=%d" % (proto, len(header), len(data) - len(plain)))
        status, answer = forward(plain)
        h, d = wrap(self.ctx, answer)
        if State.args.tamper:
            d = bytearray(d)
            d[len(d) // 2] ^= 0x01
            d = bytes(d)
        headers = [("Content-Type", 'multipart/encrypted;protocol="%s";boundary="Encrypted Boundary"' % expected)]
        if mutual:
            headers.append(mutual)
        self.reply(status, frame(expected, h, d), headers)


def forward(plain):
    url = urllib.parse.urlsplit(State.args.upstream)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    cred = base64.b64encode(("%s:%s" % (State.args.upstream_user, os.environ.get("PROXY_UPSTREAM_PASSWORD", ""))).encode()).decode()
    conn.request("POST", url.path or "/wsman", body=plain, headers={
        "Content-Type": "application/soap+xml;charset=UTF-8",
        "Authorization": "Basic " + cred,
    })
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--upstream", required=True)
    p.add_argument("--upstream-user", default="lab")
    p.add_argument("--schemes", default="Negotiate,Kerberos")
    p.add_argument("--tamper", action="store_true")
    p.add_argument("--no-mutual", action="store_true")
    p.add_argument("--close-on-refusal", action="store_true")
    p.add_argument("--unauth-once", type=int, default=0)
    p.add_argument("--unauth-always", action="store_true")
    p.add_argument("--log")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--wrong-bindings", action="store_true")
    State.args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", State.args.port), Handler)
    server.daemon_threads = True
    if State.args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(State.args.tls_cert, State.args.tls_key)
        with open(State.args.tls_cert, "rb") as f:
            der = ssl.PEM_cert_to_DER_cert(f.read().decode())
        State.bindings = b"tls-server-end-point:" + hashlib.sha256(der).digest()
        if State.args.wrong_bindings:  # proves the client's bindings are checked
            State.bindings = b"tls-server-end-point:" + hashlib.sha256(der + b"x").digest()
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("listening %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
