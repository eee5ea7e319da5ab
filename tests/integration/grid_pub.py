#!/usr/bin/python3
"""grid_pub.py: an independent XMPP-Grid publisher for the subscriber tests (slixmpp, Debian's
python3-slixmpp). It creates the topic (RFC 8600 pubsub#type, open access) when asked and
publishes N IODEF 2.0 documents whose payloads carry xml:lang, xsi:schemaLocation and a
foreign-namespace prefixed attribute in AdditionalData. The item is sent as raw text:
slixmpp's own serializer drops namespaced attributes, and what is published must be exactly
the document the test keeps in --out to compare with what comes out.

usage: grid_pub.py --jid J --password-file F --host H --port P --ca CA --service S --node N
                   [--create] [--count N] [--prefix P] [--restriction R] [--out DIR]
                   [--window W] [--start I] [--time T]

--time: the documents' GenerationTime (default 2015-07-18T09:00:00-05:00).
"""
import argparse
import asyncio
import os
import sys

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

IODEF_NS = "urn:ietf:params:xml:ns:iodef-2.0"


def document(name, restriction, time):
    return (
        '<IODEF-Document xmlns="urn:ietf:params:xml:ns:iodef-2.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="2.00" xml:lang="en" '
        'xsi:schemaLocation="urn:ietf:params:xml:ns:iodef-2.0 iodef-2.0.xsd">'
        f'<Incident purpose="reporting" restriction="{restriction}">'
        f'<IncidentID name="csirt.example.com">{name}</IncidentID>'
        f"<GenerationTime>{time}</GenerationTime>"
        f'<Description xml:lang="de">Vorfall {name} &amp; &lt;mehr&gt;</Description>'
        '<Contact type="organization" role="creator">'
        "<Email><EmailTo>contact@csirt.example.com</EmailTo></Email></Contact>"
        '<AdditionalData dtype="xml"><ext:Sighting xmlns:ext="urn:example:gridgate:ext" '
        f'ext:confidence="0.9" plain="kept">{name}</ext:Sighting></AdditionalData>'
        "</Incident></IODEF-Document>"
    )


class Publisher(slixmpp.ClientXMPP):
    def __init__(self, args, password):
        super().__init__(args.jid, password)
        self.args = args
        self.todo = list(range(args.start, args.start + args.count))
        self.in_flight = set()
        self.failed = []
        self.done = asyncio.Event()
        self.register_plugin("xep_0060")
        self.register_plugin("xep_0004")
        self.register_handler(Callback("answers", MatchXPath("{jabber:client}iq"), self.on_iq))
        self.add_event_handler("session_start", self.start)

    async def start(self, _event):
        if self.args.create:
            form = self["xep_0004"].make_form("submit")
            form.add_field("FORM_TYPE", ftype="hidden",
                           value="http://jabber.org/protocol/pubsub#node_config")
            form.add_field("pubsub#type", value=IODEF_NS)
            form.add_field("pubsub#access_model", value="open")
            form.add_field("pubsub#persist_items", value="1")
            form.add_field("pubsub#max_items", value="100000")
            form.add_field("pubsub#send_last_published_item", value="never")
            try:
                await self["xep_0060"].create_node(self.args.service, self.args.node, config=form)
            except slixmpp.exceptions.IqError as e:
                if e.condition != "conflict":
                    raise
        self.fill()

    def fill(self):
        while self.todo and len(self.in_flight) < self.args.window:
            i = self.todo.pop(0)
            name = f"{self.args.prefix}-{i}"
            doc = document(name, self.args.restriction, self.args.time)
            if self.args.out:
                with open(os.path.join(self.args.out, name + ".xml"), "w") as f:
                    f.write(doc)
            self.in_flight.add(f"gp-{i}")
            self.send_raw(
                f"<iq type='set' id='gp-{i}' to='{self.args.service}'>"
                f"<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                f"<publish node='{self.args.node}'><item id='{name}'>{doc}</item></publish>"
                "</pubsub></iq>")
        if not self.todo and not self.in_flight:
            self.done.set()

    def on_iq(self, iq):
        if iq["id"] not in self.in_flight:
            return
        self.in_flight.discard(iq["id"])
        if iq["type"] == "error":
            self.failed.append(iq["id"])
        self.fill()


async def main():
    p = argparse.ArgumentParser()
    for opt in ("--jid", "--password-file", "--host", "--ca", "--service", "--node"):
        p.add_argument(opt, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--create", action="store_true")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--start", type=int, default=1)
    p.add_argument("--prefix", default="ev")
    p.add_argument("--restriction", default="public")
    p.add_argument("--out")
    p.add_argument("--window", type=int, default=32)
    p.add_argument("--time", default="2015-07-18T09:00:00-05:00")
    args = p.parse_args()
    with open(args.password_file) as f:
        password = f.readline().rstrip("\n")
    xmpp = Publisher(args, password)
    xmpp.ca_certs = args.ca
    xmpp.connect(address=(args.host, args.port))
    await asyncio.wait_for(xmpp.done.wait(), timeout=120)
    xmpp.disconnect()
    if xmpp.failed:
        print(f"grid_pub: {len(xmpp.failed)} publish(es) refused", file=sys.stderr)
        sys.exit(1)
    print(f"published {args.count}")


if __name__ == "__main__":
    asyncio.run(main())
