#!/usr/bin/python3
"""grid_approve.py: a topic owner approving subscriptions of an authorize topic (RFC 8600,
XEP-0060 8.6), as an independent client (slixmpp, Debian's python3-slixmpp).

The controller sends the owner one message per subscription request, a data form
(FORM_TYPE http://jabber.org/protocol/pubsub#subscribe_authorization) with pubsub#node,
pubsub#subscriber_jid and pubsub#allow; the owner answers with the form submitted and
pubsub#allow = 1. The message goes to the owner's bare JID when the request is made: an owner
offline then gets it from offline storage, and XEP-0060 8.7's get-pending command (run here
first) has the controller send the form of every request still waiting again. The approval is
confirmed by the node's subscriptions as the owner sees them (8.8.1).

usage: grid_approve.py --jid J --password-file F --host H --port P --ca CA --service S --node N
                       --subscriber JID [--timeout SECONDS]
exit 0 once JID is subscribed to N ("approved JID"); 1 otherwise.
"""
import argparse
import asyncio
import sys

import slixmpp
from slixmpp.xmlstream import ET
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

NS_XDATA = "jabber:x:data"
NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_OWNER = "http://jabber.org/protocol/pubsub#owner"
AUTH_FORM = "http://jabber.org/protocol/pubsub#subscribe_authorization"
GET_PENDING = "http://jabber.org/protocol/pubsub#get-pending"


def form_values(x):
    values = {}
    for field in x.findall(f"{{{NS_XDATA}}}field"):
        value = field.find(f"{{{NS_XDATA}}}value")
        values[field.get("var")] = value.text if value is not None else None
    return values


class Owner(slixmpp.ClientXMPP):
    def __init__(self, args, password):
        super().__init__(args.jid, password)
        self.args = args
        self.answered = 0
        self.ready = asyncio.Event()
        self.register_handler(Callback("forms", MatchXPath("{jabber:client}message"), self.on_message))
        self.add_event_handler("session_start", self.on_start)

    def on_start(self, _event):
        # Available, so that the controller sends the forms to this resource too.
        self.send_presence()
        self.ready.set()

    def on_message(self, msg):
        x = msg.xml.find(f"{{{NS_XDATA}}}x")
        if x is None or x.get("type") != "form":
            return
        v = form_values(x)
        if v.get("FORM_TYPE") != AUTH_FORM or v.get("pubsub#node") != self.args.node:
            return
        if v.get("pubsub#subscriber_jid") != self.args.subscriber:
            return
        reply = self.make_message(mto=msg["from"])
        reply.append(ET.fromstring(
            f"<x xmlns='{NS_XDATA}' type='submit'>"
            f"<field var='FORM_TYPE' type='hidden'><value>{AUTH_FORM}</value></field>"
            f"<field var='pubsub#node'><value>{self.args.node}</value></field>"
            f"<field var='pubsub#subscriber_jid'><value>{self.args.subscriber}</value></field>"
            "<field var='pubsub#allow'><value>1</value></field></x>"))
        reply.send()
        self.answered += 1

    async def get_pending(self):
        """XEP-0060 8.7: the controller sends the forms of the node's waiting requests again."""
        iq = self.make_iq_set(ito=self.args.service)
        iq.append(ET.fromstring(f"<command xmlns='{NS_COMMANDS}' node='{GET_PENDING}' action='execute'/>"))
        result = await iq.send()
        session = result.xml.find(f"{{{NS_COMMANDS}}}command").get("sessionid")
        iq = self.make_iq_set(ito=self.args.service)
        iq.append(ET.fromstring(
            f"<command xmlns='{NS_COMMANDS}' node='{GET_PENDING}' sessionid='{session}'>"
            f"<x xmlns='{NS_XDATA}' type='submit'>"
            f"<field var='FORM_TYPE' type='hidden'><value>{AUTH_FORM}</value></field>"
            f"<field var='pubsub#node'><value>{self.args.node}</value></field></x></command>"))
        await iq.send()

    async def subscribed(self):
        iq = self.make_iq_get(ito=self.args.service)
        iq.append(ET.fromstring(f"<pubsub xmlns='{NS_OWNER}'><subscriptions node='{self.args.node}'/></pubsub>"))
        result = await iq.send()
        for sub in result.xml.iter(f"{{{NS_OWNER}}}subscription"):
            if sub.get("jid") == self.args.subscriber and sub.get("subscription") == "subscribed":
                return True
        return False


async def run(owner, args):
    await owner.ready.wait()
    await owner.get_pending()
    end = asyncio.get_running_loop().time() + args.timeout
    while asyncio.get_running_loop().time() < end:
        await asyncio.sleep(0.2)
        if owner.answered and await owner.subscribed():
            return True
    return False


async def main():
    p = argparse.ArgumentParser()
    for opt in ("--jid", "--password-file", "--host", "--ca", "--service", "--node", "--subscriber"):
        p.add_argument(opt, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--timeout", type=float, default=10)
    args = p.parse_args()
    with open(args.password_file) as f:
        password = f.readline().rstrip("\n")
    owner = Owner(args, password)
    owner.ca_certs = args.ca
    owner.connect(address=(args.host, args.port))
    try:
        ok = await asyncio.wait_for(run(owner, args), timeout=args.timeout + 10)
    finally:
        owner.disconnect()
    if not ok:
        print(f"grid_approve: {args.subscriber} not subscribed to {args.node} "
              f"({owner.answered} form(s) answered)", file=sys.stderr)
        sys.exit(1)
    print(f"approved {args.subscriber}")


if __name__ == "__main__":
    asyncio.run(main())
