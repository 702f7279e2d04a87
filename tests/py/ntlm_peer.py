"""pyspnego NTLM peer for tests/ntlm_interop.rs, driven over stdin/stdout with hex lines.

Usage:
  ntlm_peer.py server [CBT_HEX|-]                 (needs NTLM_USER_FILE in the environment)
  ntlm_peer.py client USER PASSWORD [CBT_HEX|-]   (protocol "ntlm", hostname hv01, service HTTP)
  add --negotiate after the role to use protocol "negotiate" (SPNEGO-wrapped tokens)

Commands (one per line), answers (one line each):
  step HEX|-        -> "token HEX|- complete 0|1"
  wrap HEX          -> "wrapped SIG_HEX DATA_HEX"       (wrap_winrm)
  unwrap SIG DATA   -> "plain HEX"                      (unwrap_winrm)
Any failure           -> "error TYPE: MESSAGE"; the peer keeps reading.
"""
import sys

import spnego
from spnego.channel_bindings import GssChannelBindings


def bindings(arg):
    if arg is None or arg == "-":
        return None
    return GssChannelBindings(application_data=bytes.fromhex(arg))


def make_context(argv):
    protocol = "ntlm"
    if len(argv) > 1 and argv[1] == "--negotiate":
        protocol = "negotiate"
        argv = [argv[0]] + argv[2:]
    if argv[0] == "server":
        cbt = bindings(argv[1] if len(argv) > 1 else None)
        return spnego.server(protocol=protocol, channel_bindings=cbt)
    cbt = bindings(argv[3] if len(argv) > 3 else None)
    return spnego.client(argv[1], argv[2], hostname="hv01", service="HTTP",
                         protocol=protocol, channel_bindings=cbt)


def handle(ctx, words):
    cmd = words[0]
    if cmd == "step":
        data = None if words[1] == "-" else bytes.fromhex(words[1])
        out = ctx.step(data)
        tok = out.hex() if out else "-"
        return "token %s complete %d" % (tok, 1 if ctx.complete else 0)
    if cmd == "wrap":
        res = ctx.wrap_winrm(bytes.fromhex(words[1]))
        return "wrapped %s %s" % (res.header.hex(), res.data.hex())
    if cmd == "unwrap":
        plain = ctx.unwrap_winrm(bytes.fromhex(words[1]), bytes.fromhex(words[2]))
        return "plain %s" % plain.hex()
    raise ValueError("unknown command %r" % cmd)


def main():
    ctx = make_context(sys.argv[1:])
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            answer = handle(ctx, words)
        except Exception as e:  # report every failure to the Rust side
            answer = "error %s: %s" % (type(e).__name__, str(e).replace("\n", " "))
        sys.stdout.write(answer + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
