# SPDX-License-Identifier: Apache-2.0
"""An ESPrim inner request that has to wait does not hold the event loop (TS-0003 clause 8.4,
TS-0004 clause 7.6.2, docs/procedures/e2e.md "Deferred inner requests").

The inner primitive of an outer NOTIFY (m2m:seci sit 5) runs through the CSE's one request path.
A <subscription> CREATE there must first have its verification request answered by the
notification target (TS-0004 clause 7.5.1.2.3); while that target holds it, the outer NOTIFY is
pending like the inner request, and the one event loop (threads = 1) keeps serving other
clients, plain and ESPrim. Once the target answers, the inner answer is sealed with the same
sessionESPrimKey into the outer answer (TS-0004 Table 7.6.2-1), exactly as the direct path does.
The protected objects are built and opened by the helpers of test_55 (Python, independent of
m2msec); the held target is test_13's Receiver.
"""
import json
import secrets
import socket
import threading

import pytest

from cse_harness import SP, Cse, free_port
from dtls_coap import _coap_opt, parse_coap

e55 = pytest.importorskip("test_55_esprim")
from test_13_notifications import Receiver  # noqa: E402
from test_73_coap_mqtt_defer import AE_BODY, Peer, con, empty_ack, mid_of, mtype  # noqa: E402
from test_34_mqtt_acl import pytestmark as needs_mosquitto  # noqa: E402
from test_36_mqtt_cse import ask, psk, start_with_broker  # noqa: E402

K1, K2 = secrets.token_hex(32), secrets.token_hex(32)
KID1, KID2 = "espd1@" + SP, "espd2@" + SP


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("esprim_defer"))
    c.threads = 1  # both clients share the one loop: "not blocked" means that very loop
    c.setup_pki()
    store = c.path("creds.db")
    for kid, key, owner in ((KID1, K1, "CAE1"), (KID2, K2, "CAE2")):
        c.m2m("cred", "add", "--store", store, "--kind", "kpsa", "--id", kid, "--key", "-", "--owner", owner,
              "--suid", "13", input=key)
    c.coap_port = free_port()  # plain CoAP: its own thread, the same deferral (cmd_cse.c)
    c.start("cred-store = %s\nesprim-rand-seconds = 600\ndev-admin-over-plain-http = true\n"
            "notify-allow = 127.0.0.0/8\ncoap-listen = 127.0.0.1:%d\n" % (store, c.coap_port))
    for kid, key, owner, rn in ((KID1, K1, "CAE1", "ae1"), (KID2, K2, "CAE2", "ae2")):
        esp = e55.Esp(c, key_hex=key, kid=kid, origin=owner)
        rsp = esp.opened(esp.send(e55.inner(1, "/id-in/cse-in", owner, ty=2,
                                            pc={"m2m:ae": {"rn": rn, "api": "Nesp", "rr": False, "srv": ["3"]}})))
        assert rsp["rsc"] == 2001, rsp
    yield c
    c.stop()


def esp1(c):
    return e55.Esp(c, key_hex=K1, kid=KID1, origin="CAE1")


def sub_pt(rn, nu, rqi):
    return e55.inner(1, "/id-in/cse-in/ae1", "CAE1", rqi=rqi, ty=23, pc={"m2m:sub": {"rn": rn, "nu": [nu]}})


def admin_get(c, path):
    return c.plain("GET", path, "CAdmin")


def test_held_verification_leaves_the_loop_to_others(cse):
    slow = Receiver(hold_vrq=True)
    result = {}
    try:
        esp = esp1(cse)
        rqi = "sub-" + secrets.token_hex(4)
        t = threading.Thread(target=lambda: result.update(r=esp.send(sub_pt("s1", slow.url(), rqi))))
        t.start()
        slow.wait(lambda r: len(r.verifications()) == 1)  # the inner CREATE waits for this answer
        # the one loop serves a plain client...
        assert admin_get(cse, "/cse-in").rsc == 2000
        # ...and another ESPrim client (its own key, session and AE) end to end
        other = e55.Esp(cse, key_hex=K2, kid=KID2, origin="CAE2")
        rsp = other.opened(other.send(e55.inner(2, "/id-in/cse-in/ae2", "CAE2")))
        assert rsp["rsc"] == 2000 and rsp["pc"]["m2m:ae"]["rn"] == "ae2", rsp
        assert t.is_alive() and "r" not in result
        assert admin_get(cse, "/cse-in/ae1/s1").rsc == 4004  # not created before verification
        slow.release()
        t.join(30)
        assert not t.is_alive()
        # the outer answer is the protected inner one: 2001, its own rqi, the subscription
        rsp = esp.opened(result["r"])
        assert rsp["rsc"] == 2001 and rsp["rqi"] == rqi, rsp
        assert rsp["pc"]["m2m:sub"]["rn"] == "s1"
        assert admin_get(cse, "/cse-in/ae1/s1").rsc == 2000
        ver = slow.verifications()[0]
        assert ver["vrq"] is True and ver["cr"] == "CAE1"
    finally:
        slow.close()


def test_failed_verification_is_protected_5204(cse):
    # the same answer as the direct path: the inner refusal sealed, outer 2000 (C.6a)
    esp = esp1(cse)
    rqi = "subf-" + secrets.token_hex(4)
    rsp = esp.opened(esp.send(sub_pt("sf", "http://127.0.0.1:%d/n" % free_port(), rqi)))
    assert rsp["rsc"] == 5204 and rsp["rqi"] == rqi, rsp
    assert admin_get(cse, "/cse-in/ae1/sf").rsc == 4004


def test_deferred_request_counts_as_seen(cse):
    # replay bookkeeping as on the direct path: the inner request is seen once accepted, so the
    # same object sent again while (or after) it waits is refused, protected, with 4000
    slow = Receiver(hold_vrq=True)
    result = {}
    try:
        esp = esp1(cse)
        h = esp.hdr()
        epo = e55.seal_manual(esp.key, h, sub_pt("s2", slow.url(), "rp-" + secrets.token_hex(4)))
        t = threading.Thread(target=lambda: result.update(r=esp.send_epo(epo)))
        t.start()
        slow.wait(lambda r: len(r.verifications()) == 1)
        again = esp.opened(esp.send_epo(epo))
        assert again["rsc"] == 4000, again
        slow.release()
        t.join(30)
        assert esp.opened(result["r"])["rsc"] == 2001
    finally:
        slow.close()


def test_client_gone_while_inner_request_waits(cse):
    slow = Receiver(hold_vrq=True)
    try:
        esp = esp1(cse)
        body = json.dumps({"m2m:seci": {"sit": 5, "epo": e55.seal_manual(
            esp.key, esp.hdr(), sub_pt("s3", slow.url(), "g-" + secrets.token_hex(4)))}})
        raw = ("POST /cse-in HTTP/1.1\r\nHost: x\r\nX-M2M-Origin: CAE1\r\nX-M2M-RI: r1\r\nX-M2M-RVI: 3\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s") % (len(body), body)
        s = socket.create_connection(("127.0.0.1", cse.http_port), timeout=10)
        s.sendall(raw.encode())
        slow.wait(lambda r: len(r.verifications()) == 1)
        s.close()  # the Originator goes away while its inner CREATE waits
        slow.release()
        slow.wait(lambda r: r.answered == 1)
        # released quietly: the CSE goes on serving (the CREATE itself may have been made)
        assert admin_get(cse, "/cse-in").rsc == 2000
        assert cse.proc.poll() is None
    finally:
        slow.close()


# ---- the CoAP binding (its own thread, the async API since the CoAP deferral) ------------------

def coap_notify(mid, token, seci, origin="CAE1", rqi="cn1"):
    """A CON POST without oneM2M-TY (a NOTIFY, TS-0008): Uri-Path cse-in, Content-Format 50."""
    msg = bytes([0x40 | len(token), 2, mid >> 8, mid & 0xFF]) + token
    opts = [(11, b"cse-in"), (12, bytes([50])), (271, b"3"), (279, origin.encode()), (283, rqi.encode())]
    prev = 0
    for num, val in opts:
        msg += _coap_opt(prev, num, val)
        prev = num
    return msg + b"\xff" + json.dumps({"m2m:seci": seci}).encode()


def test_held_verification_over_coap_is_a_separate_answer(cse):
    slow = Receiver(hold_vrq=True)
    a, b = Peer(cse), Peer(cse)
    try:
        esp = esp1(cse)
        rqi = "csub-" + secrets.token_hex(4)
        epo = e55.seal_manual(esp.key, esp.hdr(), sub_pt("c1", slow.url(), rqi))
        a.send(coap_notify(0x500, b"\x74\x01", {"sit": 5, "epo": epo}))
        assert a.recv() == empty_ack(0x500)  # held: acknowledged, answered later (RFC 7252 5.2.2)
        slow.wait(lambda r: len(r.verifications()) == 1)
        # the CoAP thread serves another peer meanwhile
        b.send(con(0x600, b"\x75", "/cse-in", '{"m2m:cnt":{"rn":"cbox"}}', 3))
        d = b.recv()
        if d == empty_ack(0x600):  # a write goes to the store's writer: a separate answer
            d = b.recv()
            b.send(empty_ack(mid_of(d)))
        assert parse_coap(d)[0] == "2.01", d
        assert not slow.released.is_set() and admin_get(cse, "/cse-in/cbox").rsc == 2000
        assert admin_get(cse, "/cse-in/ae1/c1").rsc == 4004
        slow.release()
        d = a.recv()
        code, opts, payload = parse_coap(d)
        assert mtype(d) == 0 and d[4:6] == b"\x74\x01", d
        a.send(empty_ack(mid_of(d)))
        # the NOTIFY's 2.04 / 2000 carries the m2m:seci with the sealed inner answer (TS-0004
        # 7.6.2; docs/coap-dtls.md on TS-0008 Table 6.2.4-1's empty NOTIFY payload)
        assert code == "2.04" and int.from_bytes(opts[307], "big") == 2000, d
        seci = json.loads(payload)["m2m:seci"]
        assert seci["sit"] == 5, seci
        rsp, hdr = e55.open_jwcrypto(esp.key, seci["epo"])
        assert hdr["kid"] == esp.kid and rsp["rsc"] == 2001 and rsp["rqi"] == rqi, rsp
        assert rsp["pc"]["m2m:sub"]["rn"] == "c1", rsp
        assert admin_get(cse, "/cse-in/ae1/c1").rsc == 2000
    finally:
        slow.close()
        a.close()
        b.close()


# ---- the MQTT binding (TS-0010, a real broker): the sealed answer is published when it is in ------

KM = secrets.token_hex(32)
KIDM = "espm@" + SP


@pytest.fixture(scope="module")
def mqtt(m2msec_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("esprim-defer-mqtt")
    c = Cse(m2msec_bin, tmp)
    store = c.path("creds.db")
    b, guard = start_with_broker(
        c, tmp, "cred-store = %s\nesprim-rand-seconds = 600\nnotify-allow = 127.0.0.0/8\n" % store,
        before_start=lambda c: c.m2m("cred", "add", "--store", store, "--kind", "kpsa", "--id", KIDM, "--key", "-",
                                     "--owner", "CAE01", "--suid", "13", input=KM))
    for ident, aei in (("kpsa1@" + SP, "CAE01"), ("kpsa3@" + SP, "CAE03")):
        assert c.psk("POST", "/cse-in", aei, ident, AE_BODY % aei.lower(), ty=2).rsc == 2001
    yield c, b
    guard.cancel()
    assert c.stop() == 0
    b.stop()


class MqttReply:
    """What Esp.opened needs of an MQTT answer: rsc and json() (the Content)."""

    def __init__(self, a):
        self.rsc, self.pc = a["rsc"], a.get("pc")

    def json(self):
        return self.pc


@needs_mosquitto
def test_held_verification_over_mqtt_is_published_sealed(mqtt):
    c, b = mqtt
    slow = Receiver(hold_vrq=True)
    ae1 = psk(c, b, "kpsa1@" + SP)
    try:
        esp = e55.Esp(c, key_hex=KM, kid=KIDM, origin="CAE01")
        rqi = "msub-" + secrets.token_hex(4)
        pt = e55.inner(1, "/id-in/cse-in/cae01", "CAE01", rqi=rqi, ty=23,
                       pc={"m2m:sub": {"rn": "m1", "nu": [slow.url()]}})
        outer = {"op": 5, "to": "/id-in/cse-in", "fr": "CAE01", "rqi": "mq-esp", "rvi": "3",
                 "pc": {"m2m:seci": {"sit": 5, "epo": e55.seal_manual(esp.key, esp.hdr(), pt)}}}
        held = b.sub(ae1, ["/oneM2M/resp/CAE01/id-in/#"], "A::CAE01-sub")
        b.pub(ae1, "/oneM2M/req/CAE01/id-in/json", json.dumps(outer), "A::CAE01")
        slow.wait(lambda rc: len(rc.verifications()) == 1)  # the inner CREATE waits for this answer
        # the MQTT thread answers another client meanwhile
        _, a = ask(b, psk(c, b, "kpsa3@" + SP), "A::CAE03", "/oneM2M/req/CAE03/id-in/json",
                   "/oneM2M/resp/CAE03/id-in/#", {"op": 2, "to": "cse-in/cae03", "fr": "CAE03", "rqi": "mq-get",
                                                  "rvi": "3"})
        assert a["rsc"] == 2000 and a["rqi"] == "mq-get", a
        assert held.poll() is None
        slow.release()
        topic, _, body = b.first_message(held).partition(" ")
        a = json.loads(body)
        assert topic == "/oneM2M/resp/CAE01/id-in/json" and a["rqi"] == "mq-esp", a
        rsp = esp.opened(MqttReply(a))
        assert rsp["rsc"] == 2001 and rsp["rqi"] == rqi and rsp["pc"]["m2m:sub"]["rn"] == "m1", rsp
        assert c.psk("GET", "/cse-in/cae01/m1", "CAE01", "kpsa1@" + SP).rsc == 2000
    finally:
        slow.close()
