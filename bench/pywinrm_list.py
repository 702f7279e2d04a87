#!/usr/bin/env python3
"""Benchmark peer: list Hyper-V VMs with pywinrm (PyPI), as a competent user would.

pywinrm has no WMI/enumeration helper, so this uses its documented low-level API: the WS-Man
header from ``Protocol.build_wsman_header`` (its default 153600-byte MaxEnvelopeSize), an
optimized WS-Enumeration Enumerate with a WQL filter, then Pull until EndOfSequence, each sent
with ``Protocol.send_message`` over NTLM with message encryption ("always"). Every page is
parsed with ElementTree and one ``Name<TAB>ElementName<TAB>EnabledState`` line per instance
is written to stdout. Client CPU time and peak RSS go to stderr as ``cpu_s=… maxrss_kb=…``.

Usage: pywinrm_list.py ENDPOINT USER PASSWORD [QUERY]
"""

import resource
import sys
import xml.etree.ElementTree as ET

import winrm
import xmltodict

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "n": "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
}
ENUMERATE = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
PULL = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
RESOURCE = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*"
WQL = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
MAX_ELEMENTS = "32000"


def envelope(protocol, action, body):
    header = protocol.build_wsman_header(action, RESOURCE)
    header["env:Header"]["a:To"] = protocol.transport.endpoint
    header["env:Body"] = body
    return xmltodict.unparse({"env:Envelope": header})


def enumerate_body(query):
    return {
        "n:Enumerate": {
            "w:OptimizeEnumeration": None,
            "w:MaxElements": MAX_ELEMENTS,
            "w:Filter": {"@Dialect": WQL, "#text": query},
        }
    }


def pull_body(context):
    return {"n:Pull": {"n:EnumerationContext": context, "n:MaxElements": MAX_ELEMENTS}}


def local(tag):
    return tag.rsplit("}", 1)[-1]


def rows(items):
    """Yield (Name, ElementName, EnabledState) of every instance under n:Items / w:Items."""
    for inst in items:
        props = {local(p.tag): (p.text or "") for p in inst}
        yield props.get("Name", ""), props.get("ElementName", ""), props.get("EnabledState", "")


def page(protocol, action, body, out):
    """Send one request; write its rows; return the next context or None at the end."""
    reply = protocol.send_message(envelope(protocol, action, body))
    root = ET.fromstring(reply)
    response = root.find("s:Body/*", NS)
    for items in response.iter():
        if local(items.tag) == "Items":
            for name, element_name, state in rows(items):
                out.write(f"{name}\t{element_name}\t{state}\n")
    if response.find(".//w:EndOfSequence", NS) is not None or response.find(".//n:EndOfSequence", NS) is not None:
        return None
    ctx = response.find(".//n:EnumerationContext", NS)
    return ctx.text if ctx is not None else None


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: pywinrm_list.py ENDPOINT USER PASSWORD [QUERY]")
    endpoint, user, password = sys.argv[1:4]
    query = sys.argv[4] if len(sys.argv) > 4 else "SELECT * FROM Msvm_ComputerSystem"
    protocol = winrm.Protocol(
        endpoint=endpoint,
        transport="ntlm",
        username=user,
        password=password,
        message_encryption="always",
    )
    out = sys.stdout
    context = page(protocol, ENUMERATE, enumerate_body(query), out)
    while context:
        context = page(protocol, PULL, pull_body(context), out)
    out.flush()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    sys.stderr.write(f"cpu_s={usage.ru_utime + usage.ru_stime:.3f} maxrss_kb={usage.ru_maxrss}\n")


if __name__ == "__main__":
    main()
