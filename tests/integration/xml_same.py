#!/usr/bin/python3
"""xml_same.py: exits 0 when two XML files hold the same element tree by namespace URI, local
name, attributes (namespace URI + local name + value), text and tails; prints the first
difference otherwise. Prefixes are not compared: a controller may re-declare them (Prosody
re-serializes every stanza, writing ns1: for a prefixed attribute's namespace), and an XML
namespace is its URI, not its prefix. A payload that lost an attribute's namespace (what
libstrophe's parser does) fails here.

usage: xml_same.py A B
"""
import sys
import xml.etree.ElementTree as ET


def diff(a, b, path):
    if a.tag != b.tag:
        return f"{path}: element {a.tag} != {b.tag}"
    here = f"{path}/{a.tag}"
    if a.attrib != b.attrib:
        return f"{here}: attributes {sorted(a.attrib.items())} != {sorted(b.attrib.items())}"
    if (a.text or "") != (b.text or ""):
        return f"{here}: text {a.text!r} != {b.text!r}"
    if (a.tail or "") != (b.tail or ""):
        return f"{here}: tail {a.tail!r} != {b.tail!r}"
    if len(a) != len(b):
        return f"{here}: {len(a)} children != {len(b)}"
    for x, y in zip(a, b):
        d = diff(x, y, here)
        if d:
            return d
    return None


d = diff(ET.parse(sys.argv[1]).getroot(), ET.parse(sys.argv[2]).getroot(), "")
if d:
    print(f"{sys.argv[1]} vs {sys.argv[2]}: {d}")
    sys.exit(1)
