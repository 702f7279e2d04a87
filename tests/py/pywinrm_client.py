"""Interop peer: pywinrm 0.5.0 drives the hvremote simulated host (tests/sim_pywinrm.rs).

Usage: pywinrm_client.py ENDPOINT USER PASSWORD VM_NAME MODE
  MODE full: filtered Enumerate + Pull, a paged Enumerate of every Msvm_ComputerSystem, a Get
             of the VM, ExportSystemDefinition (EPR + embedded CIM-XML) and a Get of the job.
  MODE one:  a single optimized, filtered Enumerate (used for the other user-name forms).
Prints one JSON object on stdout; any exception becomes {"error": "<module>.<class>", ...}.
With PYWINRM_CA set (an https:// endpoint), the certificate is checked against that PEM and
message encryption is 'auto' (none over TLS; requests_ntlm sends channel bindings).

Envelopes are built with xml.etree (every value escaped by the serializer), never by string
formatting. NTLM with message encryption 'always' (sealed over plain HTTP).
"""

import json
import os
import sys
import uuid
import xml.etree.ElementTree as ET

import winrm
from winrm.protocol import Protocol

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "n": "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
    "t": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
}
V2 = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/"
ANON = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
WQL = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
VMMS = "Msvm_VirtualSystemManagementService"

for prefix, uri in NS.items():
    ET.register_namespace(prefix, uri)


def q(prefix, local):
    return "{%s}%s" % (NS[prefix], local)


def sub(parent, tag, text=None, **attrs):
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def wql_string(value):
    """A WQL string literal: single quotes, backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def selector_set(parent, selectors):
    sset = sub(parent, q("w", "SelectorSet"))
    for name, value in selectors:
        sub(sset, q("w", "Selector"), value, Name=name)


def envelope(endpoint, action, resource_uri, selectors=()):
    env = ET.Element(q("s", "Envelope"))
    header = sub(env, q("s", "Header"))
    sub(header, q("a", "To"), endpoint)
    sub(header, q("w", "ResourceURI"), resource_uri, **{q("s", "mustUnderstand"): "true"})
    reply_to = sub(header, q("a", "ReplyTo"))
    sub(reply_to, q("a", "Address"), ANON, **{q("s", "mustUnderstand"): "true"})
    sub(header, q("a", "Action"), action, **{q("s", "mustUnderstand"): "true"})
    sub(header, q("w", "MaxEnvelopeSize"), "512000", **{q("s", "mustUnderstand"): "true"})
    sub(header, q("a", "MessageID"), "uuid:" + str(uuid.uuid4()).upper())
    sub(header, q("w", "OperationTimeout"), "PT60.000S")
    if selectors:
        selector_set(header, selectors)
    body = sub(env, q("s", "Body"))
    return env, body


class Peer:
    def __init__(self, endpoint, user, password):
        self.endpoint = endpoint
        ca = os.environ.get("PYWINRM_CA")
        tls = {"ca_trust_path": ca, "message_encryption": "auto"} if ca else {"message_encryption": "always"}
        self.proto = Protocol(endpoint, transport="ntlm", username=user, password=password, **tls)
        self.exchanges = 0

    def send(self, env):
        text = ET.tostring(env, encoding="unicode")
        reply = self.proto.send_message(text)
        self.exchanges += 1
        return ET.fromstring(reply)

    def enumerate(self, resource_uri, wql, optimize_max=None):
        env, body = envelope(
            self.endpoint, "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate", resource_uri
        )
        enum = sub(body, q("n", "Enumerate"))
        if optimize_max is not None:
            sub(enum, q("w", "OptimizeEnumeration"))
            sub(enum, q("w", "MaxElements"), str(optimize_max))
        sub(enum, q("w", "Filter"), wql, Dialect=WQL)
        resp = self.send(env).find("s:Body/n:EnumerateResponse", NS)
        return page(resp)

    def pull(self, resource_uri, context, max_elements):
        env, body = envelope(self.endpoint, "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull", resource_uri)
        pull = sub(body, q("n", "Pull"))
        sub(pull, q("n", "EnumerationContext"), context)
        sub(pull, q("n", "MaxElements"), str(max_elements))
        return page(self.send(env).find("s:Body/n:PullResponse", NS))

    def get(self, resource_uri, selectors):
        env, _ = envelope(self.endpoint, "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", resource_uri, selectors)
        return list(self.send(env).find("s:Body", NS))[0]

    def export(self, vm_guid, directory, setting_data):
        uri = V2 + VMMS
        keys = [
            ("CreationClassName", VMMS),
            ("Name", "vmms"),
            ("SystemCreationClassName", "Msvm_ComputerSystem"),
            ("SystemName", "HV01"),
        ]
        env, body = envelope(self.endpoint, uri + "/ExportSystemDefinition", uri, keys)
        inp = sub(body, "{%s}ExportSystemDefinition_INPUT" % uri)
        cs = sub(inp, "{%s}ComputerSystem" % uri)
        sub(cs, q("a", "Address"), ANON)
        ref = sub(cs, q("a", "ReferenceParameters"))
        sub(ref, q("w", "ResourceURI"), V2 + "Msvm_ComputerSystem")
        selector_set(ref, [("CreationClassName", "Msvm_ComputerSystem"), ("Name", vm_guid)])
        sub(inp, "{%s}ExportDirectory" % uri, directory)
        sub(inp, "{%s}ExportSettingData" % uri, setting_data)
        return self.send(env).find("s:Body/{%s}ExportSystemDefinition_OUTPUT" % uri, NS)


def page(resp):
    items = resp.find("n:Items", NS)
    if items is None:
        items = resp.find("w:Items", NS)
    context = resp.findtext("n:EnumerationContext", default="", namespaces=NS).strip()
    end = resp.find("n:EndOfSequence", NS) is not None or resp.find("w:EndOfSequence", NS) is not None
    return (list(items) if items is not None else []), context, end


def prop(instance, name):
    return instance.findtext("{*}" + name, default="").strip()


def export_setting_data():
    """The embedded Msvm_VirtualSystemExportSettingData as CIM-XML text."""
    inst = ET.Element("INSTANCE", CLASSNAME="Msvm_VirtualSystemExportSettingData")
    for name, cim_type, value in [
        ("CopySnapshotConfiguration", "uint8", "0"),
        ("CopyVmRuntimeInformation", "boolean", "TRUE"),
        ("CopyVmStorage", "boolean", "TRUE"),
        ("CreateVmExportSubdirectory", "boolean", "TRUE"),
    ]:
        p = ET.SubElement(inst, "PROPERTY", NAME=name, TYPE=cim_type)
        ET.SubElement(p, "VALUE").text = value
    return ET.tostring(inst, encoding="unicode")


def full(peer, vm_name):
    star = V2 + "*"
    wql = "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = " + wql_string(vm_name)
    items, context, end = peer.enumerate(star, wql)
    pulled, _, end_filtered = peer.pull(star, context, 1)
    filtered = items + pulled
    vm = filtered[0]
    guid = prop(vm, "Name")
    # Every computer system, one per Pull.
    names, pulls = [], 0
    items, context, end = peer.enumerate(star, "SELECT * FROM Msvm_ComputerSystem", optimize_max=1)
    names += [prop(i, "ElementName") for i in items]
    while not end:
        items, context, end = peer.pull(star, context, 1)
        pulls += 1
        names += [prop(i, "ElementName") for i in items]
    got = peer.get(V2 + "Msvm_ComputerSystem", [("CreationClassName", "Msvm_ComputerSystem"), ("Name", guid)])
    out = peer.export(guid, "D:\\Exports\\R&D <1>", export_setting_data())
    job_sel = out.find("{*}Job/a:ReferenceParameters/w:SelectorSet/w:Selector[@Name='InstanceID']", NS)
    job_id = job_sel.text.strip() if job_sel is not None else ""
    job = peer.get(V2 + "Msvm_ConcreteJob", [("InstanceID", job_id)])
    return {
        "vm_name": prop(vm, "ElementName"),
        "vm_guid": guid,
        "filtered_items": len(filtered),
        "filtered_pull_end": end_filtered,
        "all_names": names,
        "pulls": pulls,
        "get_name": prop(got, "ElementName"),
        "get_guid": prop(got, "Name"),
        "return_value": int(prop(out, "ReturnValue")),
        "job_id": job_id,
        "job_instance_id": prop(job, "InstanceID"),
        "job_state": int(prop(job, "JobState")),
        "exchanges": peer.exchanges,
    }


def one(peer, vm_name):
    wql = "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = " + wql_string(vm_name)
    items, _, end = peer.enumerate(V2 + "*", wql, optimize_max=10)
    return {"vm_guids": [prop(i, "Name") for i in items], "end": end, "exchanges": peer.exchanges}


def main():
    endpoint, user, password, vm_name, mode = sys.argv[1:6]
    try:
        peer = Peer(endpoint, user, password)
        result = full(peer, vm_name) if mode == "full" else one(peer, vm_name)
    except Exception as e:  # reported to the Rust test, which asserts on it
        result = {"error": type(e).__module__ + "." + type(e).__name__, "message": str(e)}
    result["pywinrm"] = getattr(winrm, "__version__", "unknown")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
