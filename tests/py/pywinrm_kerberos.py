"""Interop peer: pywinrm 0.5.0 with Kerberos drives `hvremote simulate --keytab` (tests/kerberos_sim.rs).

Usage: pywinrm_kerberos.py ENDPOINT SPN_HOST VM_NAME MODE
  ENDPOINT  http://127.0.0.1:<port>/wsman (TCP goes to the address)
  SPN_HOST  kerberos_hostname_override: the ticket is for HTTP/<SPN_HOST>
  MODE      full or one, as in pywinrm_client.py (whose envelopes and checks this reuses)

pywinrm's `transport='kerberos'` (requests-kerberos, pyspnego with python `gssapi`) takes the
ticket from the default ccache (KRB5CCNAME, as after `kinit`); no user name or password is given.
It authenticates pre-emptively with a raw krb5 token in `Negotiate`, requires the mutual-auth
token on the 200 and seals every message (`message_encryption='always'`,
HTTP-SPNEGO-session-encrypted). Use an AES realm: pywinrm writes the wrong Length for RC4
(kerberos.md §5.3). Prints one JSON object; an exception becomes {"error": "<module>.<class>"}.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import winrm  # noqa: E402
from winrm.protocol import Protocol  # noqa: E402

import pywinrm_client as base  # noqa: E402


class KerberosPeer(base.Peer):
    def __init__(self, endpoint, spn_host):
        self.endpoint = endpoint
        self.proto = Protocol(
            endpoint,
            transport="kerberos",
            message_encryption="always",
            kerberos_hostname_override=spn_host,
        )
        self.exchanges = 0


def main():
    endpoint, spn_host, vm_name, mode = sys.argv[1:5]
    try:
        peer = KerberosPeer(endpoint, spn_host)
        result = base.full(peer, vm_name) if mode == "full" else base.one(peer, vm_name)
    except Exception as e:  # reported to the Rust test, which asserts on it
        result = {"error": type(e).__module__ + "." + type(e).__name__, "message": str(e)}
    result["pywinrm"] = getattr(winrm, "__version__", "unknown")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
