# SPDX-License-Identifier: Apache-2.0
"""Answers given later on the CoAP and MQTT bindings (docs/coap-dtls.md "Answers given later",
docs/mqtt-binding.md): a <subscription> CREATE waits for the verification request to its
notification target (TS-0004 clause 7.5.1.2.3); the binding's thread must go on serving every
other client meanwhile (one slow peer never delays another).

- CoAP over DTLS (`coap-client-openssl`): while the target holds the verification request, the
  CREATE is acknowledged with an empty ACK and another client's RETRIEVE is answered; after the
  release the CREATE gets 2.01 / 2001 as a separate response, a CON (RFC 7252 clause 5.2.2).
- A quick answer given later (a <contentInstance> CREATE through the store's writer) comes within
  the CSE's short wait, so it is piggybacked in the ACK (clause 5.2.1), over DTLS and plain CoAP.
- Plain CoAP, a hand-made client (RFC 7252 clause 3, encoded here): a peer holds at most 4
  answers; the 5th request is refused with 5.03, oneM2M-RSC 5000 and Max-Age 5 while another
  peer is still served; a retransmitted CON of a held request gets the empty ACK again and never
  runs twice (clause 4.5); the separate response is retransmitted with the same Message ID until
  ACKed (clause 4.2).
- MQTT (a real mosquitto broker, `mosquitto_rr`): the CREATE's answer is published when it is
  in, and another client's request is answered meanwhile.

No assertion depends on timing: every check waits for a condition (the timeouts only bound a hung
test) and asserts the order in which things happened."""
import json
import socket
import threading
import time

import pytest

from binding_clients import ascii_key, coap
from cse_harness import SP, Cse, free_port
from dtls_coap import _coap_opt, parse_coap
from test_13_notifications import Receiver
from test_34_mqtt_acl import pytestmark as needs_mosquitto
from test_36_mqtt_cse import ask, psk, start_with_broker

# the client's wait for an answer (-B): a bound on a hung server, not a timing assertion (the
# client returns at the first answer); long enough for a slow (sanitizer) build
SLOW = ["-B", "30"]
AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("defer"))
    c.setup_pki()
    c.coap_keys = {}
    for n in (1, 2):
        ident = "kpsa-ddev%d@%s" % (n, SP)
        c.coap_keys[ident] = ascii_key()
        c.psks[ident] = (c.coap_keys[ident].encode().hex(), "Cddev%d" % n)
    c.coaps_port, c.coap_port = free_port(), free_port()
    c.start("coaps-listen = 127.0.0.1:%d\ncoap-listen = 127.0.0.1:%d\nnotify-allow = 127.0.0.0/8\n"
            "dev-admin-over-plain-http = true\n" % (c.coaps_port, c.coap_port))
    yield c
    assert c.stop() == 0


def dev(n):
    return "kpsa-ddev%d@%s" % (n, SP)


def admin(c, method, path, body=None, ty=None):
    return c.plain(method, path, "CAdmin", body, ty=ty)


def sub_body(rn, nu):
    return json.dumps({"m2m:sub": {"rn": rn, "nu": [nu]}})


def test_rfc7252_5_2_2_held_subscription_create_over_dtls_does_not_block_others(cse):
    for n in (1, 2):
        r = coap(cse, "post", "/cse-in", "Cddev%d" % n, dev(n), body=AE_BODY % ("ddev%d" % n), ty=2, extra=SLOW)
        assert r is not None and r.rsc == 2001, r
    r = coap(cse, "post", "/cse-in/ddev1", "Cddev1", dev(1), body='{"m2m:cnt":{"rn":"box"}}', ty=3, extra=SLOW)
    assert r is not None and r.rsc == 2001, r
    slow, result, trace = Receiver(hold_vrq=True), {}, []
    try:
        t = threading.Thread(target=lambda: result.update(r=coap(
            cse, "post", "/cse-in/ddev1/box", "Cddev1", dev(1), body=sub_body("held", slow.url()), ty=23,
            trace=trace, extra=["-B", "60"], separate=True)))
        t.start()
        slow.wait(lambda rc: len(rc.verifications()) == 1)  # the CREATE waits for this answer
        # the CoAP thread serves another DTLS client meanwhile
        r2 = coap(cse, "get", "/cse-in/ddev2", "Cddev2", dev(2), extra=SLOW)
        assert r2 is not None and r2.code == "2.05" and r2.rsc == 2000, r2
        assert t.is_alive() and "r" not in result
        assert admin(cse, "GET", "/cse-in/ddev1/box/held").rsc == 4004  # not before its verification
        # the CSE waits a little to piggyback (docs/coap-dtls.md); held longer, the request gets
        # its empty ACK: only then is the answer let through, so it must be separate
        deadline = time.monotonic() + 60  # a bound on a hung CSE, not a timing assertion
        while not any("t:ACK c:0.00" in ln for ln in list(trace)) and time.monotonic() < deadline:
            time.sleep(0.05)
        slow.release()
        t.join(60)
        r = result["r"]
        assert r is not None and r.code == "2.01" and r.rsc == 2001 and r.mtype == "CON", r
        # an empty ACK first, then the answer as a CON of its own (RFC 7252 clause 5.2.2)
        acks = [i for i, ln in enumerate(trace) if "t:ACK c:0.00" in ln]
        cons = [i for i, ln in enumerate(trace) if "t:CON c:2.01" in ln]
        assert acks and cons and acks[0] < cons[0], trace
        assert admin(cse, "GET", "/cse-in/ddev1/box/held").rsc == 2000
    finally:
        slow.close()


def test_rfc7252_5_2_1_a_write_through_the_store_writer_is_piggybacked_over_dtls(cse):
    # the CREATE goes to the store's writer (an answer given later), but well within the CSE's
    # wait before an empty ACK (docs/coap-dtls.md): it rides in the ACK, one datagram
    trace = []
    r = coap(cse, "post", "/cse-in/ddev1/box", "Cddev1", dev(1), body='{"m2m:cin":{"con":"piggy"}}', ty=4,
             trace=trace, extra=SLOW, separate=False)
    assert r is not None and r.code == "2.01" and r.rsc == 2001 and r.mtype == "ACK", r
    assert not [ln for ln in trace if "t:ACK c:0.00" in ln or "t:CON c:2." in ln], trace


# ---- a hand-made plain CoAP client -------------------------------------------------------------

def con(mid, token, path, body, ty, origin="CAdmin", rqi="d1"):
    """A CON POST (RFC 7252 clause 3) with Uri-Path, Content-Format 50, oneM2M TY, RVI, From, RQI."""
    msg = bytes([0x40 | len(token), 2, mid >> 8, mid & 0xFF]) + token
    opts = [(11, seg.encode()) for seg in path.strip("/").split("/")]
    opts += [(12, bytes([50])), (267, bytes([ty])), (271, b"3"), (279, origin.encode()), (283, rqi.encode())]
    prev = 0
    for num, val in opts:
        msg += _coap_opt(prev, num, val)
        prev = num
    return msg + b"\xff" + body.encode()


def mtype(d):
    return d[0] >> 4 & 3  # 0 CON, 1 NON, 2 ACK, 3 RST


def mid_of(d):
    return d[2] << 8 | d[3]


def empty_ack(mid):
    return bytes([0x60, 0, mid >> 8, mid & 0xFF])


class Peer:
    """One plain CoAP client: one UDP socket, so one peer of the server."""

    def __init__(self, c):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(30)  # a bound on a hung server, not a timing assertion
        self.to = ("127.0.0.1", c.coap_port)

    def send(self, data):
        self.s.sendto(data, self.to)

    def recv(self):
        return self.s.recv(65536)

    def close(self):
        self.s.close()


def test_rfc7252_5_2_1_a_write_through_the_store_writer_is_piggybacked_over_plain_coap(cse):
    assert admin(cse, "POST", "/cse-in", '{"m2m:cnt":{"rn":"pigbox"}}', ty=3).rsc == 2001
    a = Peer(cse)
    try:
        a.send(con(0x300, b"\x73", "/cse-in/pigbox", '{"m2m:cin":{"con":"piggy"}}', 4))
        d = a.recv()  # the first datagram is the answer itself: ACK, the request's Message ID and token
        code, opts, _ = parse_coap(d)
        assert mtype(d) == 2 and mid_of(d) == 0x300 and d[4:5] == b"\x73" and code == "2.01", d
        assert int.from_bytes(opts[307], "big") == 2001, opts
        assert admin(cse, "GET", "/cse-in/pigbox/la").rsc == 2000
    finally:
        a.close()


def test_rfc7252_pending_cap_retransmission_and_separate_con(cse):
    assert admin(cse, "POST", "/cse-in", '{"m2m:cnt":{"rn":"capbox"}}', ty=3).rsc == 2001
    slow = Receiver(hold_vrq=True)
    a, b = Peer(cse), Peer(cse)
    try:
        reqs = [con(0x100 + i, bytes([0x70, i]), "/cse-in/capbox", sub_body("s%d" % i, slow.url()), 23)
                for i in range(4)]
        for i, m in enumerate(reqs):  # each is held: an empty ACK at once
            a.send(m)
            assert a.recv() == empty_ack(0x100 + i)
        slow.wait(lambda rc: len(rc.verifications()) == 4)
        # a retransmission of a held CON gets the empty ACK again and does not run twice (4.5)
        a.send(reqs[0])
        assert a.recv() == empty_ack(0x100)
        # the 5th of this peer: refused before the CSE, 5.03 / RSC 5000 / Max-Age 5
        a.send(con(0x104, b"\x71", "/cse-in/capbox", sub_body("s4", slow.url()), 23))
        d = a.recv()
        code, opts, _ = parse_coap(d)
        assert mtype(d) == 2 and mid_of(d) == 0x104 and code == "5.03", d
        assert int.from_bytes(opts[307], "big") == 5000 and opts[14] == b"\x05", opts
        # another peer is still served (the cap is per peer)
        b.send(con(0x200, b"\x72", "/cse-in/capbox", sub_body("t0", slow.url()), 23))
        assert b.recv() == empty_ack(0x200)
        slow.wait(lambda rc: len(rc.verifications()) == 5)
        slow.release()
        # the answers: CONs with new Message IDs and the requests' tokens, 2.01 / 2001
        got, first0, s0_again = {}, bytes([0x70, 0]), 0
        while len(got) < 4 or s0_again == 0:
            d = a.recv()
            code, opts, _ = parse_coap(d)
            assert mtype(d) == 0 and code == "2.01" and int.from_bytes(opts[307], "big") == 2001, d
            tok = d[4:4 + (d[0] & 0x0F)]
            if tok in got:  # only s0's answer is left un-ACKed: it comes again, the same message
                assert tok == first0 and d == got[tok], (got, d)  # RFC 7252 clause 4.2
                s0_again += 1
                continue
            got[tok] = d
            if tok != first0:
                a.send(empty_ack(mid_of(d)))
        assert sorted(got) == sorted(bytes([0x70, i]) for i in range(4)), got
        assert len({mid_of(d) for d in got.values()}) == 4  # a new Message ID each
        first = got[first0]
        a.send(empty_ack(mid_of(first)))
        d = b.recv()
        assert mtype(d) == 0 and parse_coap(d)[0] == "2.01", d
        b.send(empty_ack(mid_of(d)))
        for i in range(4):
            assert admin(cse, "GET", "/cse-in/capbox/s%d" % i).rsc == 2000
        assert admin(cse, "GET", "/cse-in/capbox/s4").rsc == 4004
        assert len(slow.verifications()) == 5  # s0 verified once: its retransmission never ran
    finally:
        slow.close()
        a.close()
        b.close()


# ---- MQTT (TS-0010) through a real broker -------------------------------------------------------

@pytest.fixture(scope="module")
def mqtt(m2msec_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("defer-mqtt")
    c = Cse(m2msec_bin, tmp)
    b, guard = start_with_broker(c, tmp, "notify-allow = 127.0.0.0/8\n")
    for ident, aei in (("kpsa1@" + SP, "CAE01"), ("kpsa3@" + SP, "CAE03")):
        assert c.psk("POST", "/cse-in", aei, ident, AE_BODY % aei.lower(), ty=2).rsc == 2001
    assert c.psk("POST", "/cse-in/cae01", "CAE01", "kpsa1@" + SP, '{"m2m:cnt":{"rn":"box"}}', ty=3).rsc == 2001
    yield c, b
    guard.cancel()
    assert c.stop() == 0
    b.stop()


def mqtt_sub_create(rn, nu, rqi):
    return {"op": 1, "to": "cse-in/cae01/box", "fr": "CAE01", "rqi": rqi, "rvi": "3", "ty": 23,
            "pc": {"m2m:sub": {"rn": rn, "nu": [nu]}}}


REQ1, RESP1 = "/oneM2M/req/CAE01/id-in/json", "/oneM2M/resp/CAE01/id-in/#"


@needs_mosquitto
def test_ts0010_held_subscription_create_does_not_block_other_clients(mqtt):
    c, b = mqtt
    slow = Receiver(hold_vrq=True)
    ae1 = psk(c, b, "kpsa1@" + SP)
    try:
        held = b.sub(ae1, [RESP1], "A::CAE01-sub")
        b.pub(ae1, REQ1, json.dumps(mqtt_sub_create("held", slow.url(), "mq-held")), "A::CAE01")
        slow.wait(lambda rc: len(rc.verifications()) == 1)  # the CREATE waits for this answer
        # the MQTT thread answers another client meanwhile...
        _, a = ask(b, psk(c, b, "kpsa3@" + SP), "A::CAE03", "/oneM2M/req/CAE03/id-in/json",
                   "/oneM2M/resp/CAE03/id-in/#", {"op": 2, "to": "cse-in/cae03", "fr": "CAE03", "rqi": "mq-get",
                                                  "rvi": "3"})
        assert a["rsc"] == 2000 and a["rqi"] == "mq-get", a
        assert held.poll() is None  # ...while the CREATE's answer has not come
        assert c.psk("GET", "/cse-in/cae01/box/held", "CAE01", "kpsa1@" + SP).rsc == 4004  # not yet
        slow.release()
        topic, _, body = b.first_message(held).partition(" ")
        a = json.loads(body)
        assert topic == "/oneM2M/resp/CAE01/id-in/json" and a["rsc"] == 2001 and a["rqi"] == "mq-held", a
        assert c.psk("GET", "/cse-in/cae01/box/held", "CAE01", "kpsa1@" + SP).rsc == 2000
    finally:
        slow.close()


@needs_mosquitto
def test_ts0010_held_answers_are_bounded_per_originator(mqtt):
    c, b = mqtt
    slow = Receiver(hold_vrq=True)
    ae1 = psk(c, b, "kpsa1@" + SP)
    try:
        for i in range(4):
            b.pub(ae1, REQ1, json.dumps(mqtt_sub_create("m%d" % i, slow.url(), "mq-h%d" % i)), "A::CAE01")
        slow.wait(lambda rc: len(rc.verifications()) == 4)
        # the 5th of this originator: refused before the CSE with 5000; its answer is the first
        _, a = ask(b, ae1, "A::CAE01", REQ1, RESP1, mqtt_sub_create("m4", slow.url(), "mq-over"))
        assert a["rsc"] == 5000 and a["rqi"] == "mq-over", a
        assert len(slow.verifications()) == 4
        # another originator is still served
        _, a = ask(b, psk(c, b, "kpsa3@" + SP), "A::CAE03", "/oneM2M/req/CAE03/id-in/json",
                   "/oneM2M/resp/CAE03/id-in/#", {"op": 2, "to": "cse-in/cae03", "fr": "CAE03", "rqi": "mq-g2",
                                                  "rvi": "3"})
        assert a["rsc"] == 2000, a
        slow.release()
        deadline = time.monotonic() + 60  # a bound on a hung CSE, not a timing assertion
        for i in range(4):  # each held CREATE completes after its verification
            while True:
                r = c.psk("GET", "/cse-in/cae01/box/m%d" % i, "CAE01", "kpsa1@" + SP)
                if r.rsc == 2000 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert r.rsc == 2000, r
        assert c.psk("GET", "/cse-in/cae01/box/m4", "CAE01", "kpsa1@" + SP).rsc == 4004
    finally:
        slow.close()


def test_rfc7252_5_2_2_a_non_request_s_later_answer_is_a_non(cse):
    """A NON CREATE (queued for the store's writer, so answered later): nothing at once, then one
    NON with the request's token (RFC 7252 clause 5.2.3), 2.01 / 2001."""
    p = Peer(cse)
    try:
        m = bytearray(con(0x300, b"\x73\x01", "/cse-in", '{"m2m:cnt":{"rn":"nonbox"}}', 3, rqi="n1"))
        m[0] = (m[0] & 0xCF) | 0x10  # type NON
        p.send(bytes(m))
        d = p.recv()
        code, opts, _ = parse_coap(d)
        assert mtype(d) == 1 and d[4:6] == b"\x73\x01" and code == "2.01", d
        assert int.from_bytes(opts[307], "big") == 2001, opts
        assert admin(cse, "GET", "/cse-in/nonbox").rsc == 2000
    finally:
        p.close()
