#!/usr/bin/python3
"""An independent Kerberos acceptor for hvremote's tests (kerberos.md §3.1), on Debian's
python3-gssapi (run it with /usr/bin/python3). It uses the buffer recipe of pyspnego's MIT
branch, which is proven against Windows: wrap_iov over HEADER | DATA | PADDING and unwrap_iov
over HEADER | DATA, both with std_layout=False. The service keys come from KRB5_KTNAME.

One request per line on stdin, one answer per line on stdout; fields are base64, "-" is empty:
  accept TOKEN            -> ok OUT complete(0|1)
  unwrap HEADER DATA      -> ok PLAIN              (as unwrap_iov returns it, padding kept)
  wrap PLAIN              -> ok HEADER DATA PADLEN (DATA already has the padding appended)
  unwrap_body PROTO BODY  -> ok PLAIN              (multipart/encrypted as pypsrp parses it)
  wrap_body PROTO PLAIN   -> ok BODY               (Length = len(data) + len(padding))
  client                  -> ok NAME
  bindings APPDATA        -> ok               (restart with RFC 5929 channel bindings)
Any failure answers "err <text>" and keeps the process alive.
"""
import base64
import sys

import gssapi
from gssapi.raw import IOV, IOVBufferType, unwrap_iov, wrap_iov

BOUNDARY = b"--Encrypted Boundary\r\n"
END = b"--Encrypted Boundary--\r\n"
OCTET = b"\tContent-Type: application/octet-stream\r\n"


def b64d(s):
    return b"" if s == "-" else base64.b64decode(s)


def b64e(b):
    return base64.b64encode(b).decode() if b else "-"


class Acceptor:
    def __init__(self):
        self.ctx = gssapi.SecurityContext(usage="accept")

    def bindings(self, app_data):
        cb = gssapi.raw.ChannelBindings(application_data=app_data)
        self.ctx = gssapi.SecurityContext(usage="accept", channel_bindings=cb)
        return []

    def accept(self, token):
        out = self.ctx.step(token)
        return [b64e(out or b""), "1" if self.ctx.complete else "0"]

    def wrap_raw(self, plain):
        iov = IOV(IOVBufferType.header, plain, IOVBufferType.padding, std_layout=False)
        wrap_iov(self.ctx, iov, confidential=True)
        pad = iov[2].value or b""
        return iov[0].value, iov[1].value + pad, len(pad)

    def unwrap_raw(self, header, data):
        iov = IOV((IOVBufferType.header, False, header), data, std_layout=False)
        unwrap_iov(self.ctx, iov)
        return iov[1].value

    def wrap(self, plain):
        h, d, pad = self.wrap_raw(plain)
        return [b64e(h), b64e(d), str(pad)]

    def unwrap(self, header, data):
        return [b64e(self.unwrap_raw(header, data))]

    def wrap_body(self, proto, plain):
        h, d, _ = self.wrap_raw(plain)
        body = BOUNDARY + b"\tContent-Type: " + proto + b"\r\n"
        body += b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n" % len(d)
        body += BOUNDARY + OCTET + len(h).to_bytes(4, "little") + h + d + END
        return [b64e(body)]

    def unwrap_body(self, proto, body):
        parts = [p for p in body.split(BOUNDARY) if p]
        if len(parts) != 2 or proto not in parts[0]:
            raise ValueError("not a two-part body for %r" % proto)
        length = int(parts[0].split(b"Length=")[1].split(b"\r\n")[0])
        payload = parts[1]
        if not payload.startswith(OCTET) or not payload.endswith(END):
            raise ValueError("bad octet-stream part")
        payload = payload[len(OCTET):-len(END)]
        hlen = int.from_bytes(payload[:4], "little")
        plain = self.unwrap_raw(payload[4:4 + hlen], payload[4 + hlen:])
        if len(plain) != length:
            raise ValueError("length mismatch: %d != %d" % (len(plain), length))
        return [b64e(plain)]

    def client(self):
        return [base64.b64encode(str(self.ctx.initiator_name).encode()).decode()]


def main():
    acc = Acceptor()
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd, args = words[0], [b64d(w) for w in words[1:]]
        try:
            out = getattr(acc, cmd)(*args)
            print("ok " + " ".join(out), flush=True)
        except Exception as e:  # the test reads the text; never die on bad input
            print("err " + " ".join(str(e).split()), flush=True)


if __name__ == "__main__":
    main()
