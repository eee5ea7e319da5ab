#!/usr/bin/python3
"""iodef_json_same.py: each IODEF-JSON body an exporter sent says what the published XML says.

For every record of the spool (SPOOL_DB) whose DIR/ID.json exists (DIR: the bodies a sink
kept by Idempotency-Key, the record id), the values of the XML document (attribute values
but xmlns and xsi:, the text of elements without child elements) and the scalar values of
the JSON document are compared as multisets, numbers by value ("2.00" is 2.0), XML content
(AdditionalData's) by its parsed tree, and a few
keys are checked where they belong (IncidentID, purpose, restriction, GenerationTime,
lang). Written apart from the converter, so a value lost, doubled or moved to a wrong key
shows. Exit 1 on the first difference; every record in SPOOL_DB must have its body.

usage: iodef_json_same.py SPOOL_DB DIR
"""
import collections
import json
import os
import sqlite3
import sys
import xml.etree.ElementTree as ET

XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NS = "{urn:ietf:params:xml:ns:iodef-2.0}"


def norm(v):
    if isinstance(v, bool):
        return ("s", str(v))
    if isinstance(v, (int, float)):
        return ("n", float(v))
    try:
        return ("n", float(v))
    except ValueError:
        return ("s", v.strip())


def canon(el):
    return (el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(),
            tuple(canon(k) for k in el))


def xml_values(el, out):
    for k, v in el.attrib.items():
        if not k.startswith(XSI):
            out.append(norm(v))
    kids = list(el)
    if el.tag == NS + "AdditionalData" and kids:
        # XML content (dtype "xml") is one JSON string holding that XML.
        out.append(("xml", tuple(canon(k) for k in kids)))
        return
    if not kids and el.text is not None and el.text.strip():
        out.append(norm(el.text))
    for k in kids:
        xml_values(k, out)


def json_values(j, out):
    if isinstance(j, dict):
        for v in j.values():
            json_values(v, out)
    elif isinstance(j, list):
        for v in j:
            json_values(v, out)
    elif isinstance(j, str) and j.startswith("<"):
        out.append(("xml", tuple(canon(k) for k in ET.fromstring("<w>" + j + "</w>"))))
    else:
        out.append(norm(j))


def main():
    db, d = sys.argv[1], sys.argv[2]
    rows = sqlite3.connect(db).execute("SELECT id, payload FROM records WHERE source = 'sub'")
    n = 0
    for rid, payload in rows:
        path = os.path.join(d, rid + ".json")
        if not os.path.exists(path):
            sys.exit(f"iodef_json_same: no body for record {rid}")
        with open(path) as f:
            j = json.load(f)
        root = ET.fromstring(payload)
        xv, jv = [], []
        xml_values(root, xv)
        json_values(j, jv)
        if collections.Counter(xv) != collections.Counter(jv):
            sys.exit(f"iodef_json_same: {rid}: values differ: XML only "
                     f"{collections.Counter(xv) - collections.Counter(jv)}, JSON only "
                     f"{collections.Counter(jv) - collections.Counter(xv)}")
        if j.get("lang") != root.get(XML_LANG) or j.get("version") != "2.0":
            sys.exit(f"iodef_json_same: {rid}: lang or version")
        incs = root.findall(NS + "Incident")
        if len(incs) != len(j["Incident"]):
            sys.exit(f"iodef_json_same: {rid}: {len(incs)} Incidents, {len(j['Incident'])} in JSON")
        for x, ji in zip(incs, j["Incident"]):
            iid = x.find(NS + "IncidentID")
            if (ji["IncidentID"] != {"id": iid.text, "name": iid.get("name")} or
                    ji["purpose"] != x.get("purpose") or
                    ji.get("restriction") != x.get("restriction") or
                    ji["GenerationTime"] != x.find(NS + "GenerationTime").text.strip()):
                sys.exit(f"iodef_json_same: {rid}: Incident keys differ")
        n += 1
    if n == 0:
        sys.exit("iodef_json_same: no records")
    print(f"iodef_json_same: {n} documents agree")


main()
