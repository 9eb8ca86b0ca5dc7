# SPDX-License-Identifier: Apache-2.0
"""CBOR content on the CoAP binding (TS-0008 clause 6.2.2.2 Content-Format / Accept, TS-0004
clause 8.5 CBOR serialisation; docs/coap-binding.md §1.5), black-box with the real binary, the
real `coap-client-openssl` over DTLS-PSK (`-t` Content-Format, `-A` Accept, `-f` body file) and
python3-cbor2 as the independent CBOR codec: a CBOR request maps to the same primitive as its
JSON twin, the answer is CBOR when Accept asks for it (or, without Accept, when the request was
CBOR), malformed or over-deep CBOR is 4000 with nothing stored, unsupported formats get the exact
code (4015 / 4.15, 5207 / 4.06)."""
import json
import socket

import cbor2
import pytest

from binding_clients import ascii_key, coap, parse_value
from cse_harness import SP, Cse, free_port

CF_JSON, CF_CBOR, CF_RES_JSON, CF_RES_CBOR = 50, 60, 10001, 10010


def dev(n):
    return "kpsa-cbor%d@%s" % (n, SP)


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("coapcbor"))
    c.setup_pki()
    c.coap_keys = {}
    for n in (1, 2):
        c.coap_keys[dev(n)] = ascii_key()
        c.psks[dev(n)] = (c.coap_keys[dev(n)].encode().hex(), "Ccbor%d" % n)
    c.coaps_port, c.coap_port = free_port(), free_port()
    c.start("coaps-listen = 127.0.0.1:%d\ncoap-listen = 127.0.0.1:%d\n" % (c.coaps_port, c.coap_port))
    yield c
    rc = c.stop()
    assert rc == 0, "CSE did not shut down cleanly on SIGTERM (rc=%s)" % rc


USED_PORTS = set()


def fresh_udp_port():
    # Each request from its own, never reused client port: the CSE keeps a DTLS session its
    # client left without close_notify (coap() ends the client at the first answer) and, as of
    # this writing, ignores a new ClientHello from that address and port until the session
    # idles out (RFC 6347 clause 4.2.8 wants a new handshake) -- not what this file tests.
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in USED_PORTS:
            USED_PORTS.add(port)
            return port


def req(c, method, path, body=None, ty=None, cf=None, accept=None, n=1):
    trace = []
    r = coap(c, method, path, "Ccbor%d" % n, dev(n), body=body, ty=ty, cf=cf, accept=accept, trace=trace,
             local_port=fresh_udp_port())
    assert r is not None, "no answer: " + "".join(trace[-40:])
    return r


def cf_of(r):
    v = r.opts.get(12)
    return int.from_bytes(v, "big") if v is not None else None


def as_value(r):
    """The answer's content through the independent codec its Content-Format names."""
    if cf_of(r) in (CF_CBOR, CF_RES_CBOR):
        assert isinstance(r.payload, bytes), r
        return cbor2.loads(r.payload)
    assert cf_of(r) in (CF_JSON, CF_RES_JSON), r
    return json.loads(text(r))


def text(r):
    # libcoap's trace shows a payload of a Content-Format it does not know as a hex dump (bytes
    # here), and the bytes of a text payload outside printable ASCII as \xNN
    if isinstance(r.payload, bytes):
        return r.payload.decode("utf-8")
    return parse_value(r.payload).decode("utf-8")


AE = {"m2m:ae": {"rn": "cbor1", "api": "Nm2msec.cbor", "rr": False, "srv": ["3"], "lbl": ["k\u00fcche"]}}


@pytest.fixture(scope="module")
def ae(cse):
    # TS-0004 clause 8.5: AE registration with a CBOR body (application/cbor, no Accept)
    r = req(cse, "post", "/cse-in", cbor2.dumps(AE), ty=2)
    assert r.code == "2.01" and r.rsc == 2001, r
    assert cf_of(r) == CF_CBOR, r  # without Accept a CBOR request is answered in CBOR
    created = cbor2.loads(r.payload)
    assert created["m2m:ae"]["aei"] == "Ccbor1" and created["m2m:ae"]["lbl"] == ["k\u00fcche"], created
    return created


def test_ts0008_6_2_2_2_retrieve_in_cbor_and_json_is_the_same_resource(cse, ae):
    c = req(cse, "get", "/cse-in/cbor1", accept=CF_CBOR)
    assert c.code == "2.05" and c.rsc == 2000 and cf_of(c) == CF_CBOR, c
    r = req(cse, "get", "/cse-in/cbor1", accept=CF_RES_CBOR)
    assert r.code == "2.05" and cf_of(r) == CF_RES_CBOR, r
    j = req(cse, "get", "/cse-in/cbor1")
    assert j.code == "2.05" and cf_of(j) == CF_JSON and isinstance(j.payload, str), j
    jr = req(cse, "get", "/cse-in/cbor1", accept=CF_RES_JSON)
    assert cf_of(jr) == CF_RES_JSON, jr
    assert as_value(c) == as_value(r) == as_value(j) == as_value(jr) == ae
    # and over HTTPS the JSON twin is the same resource
    h = cse.psk("GET", "/cse-in/cbor1", "Ccbor1", dev(1))
    assert h.rsc == 2000 and h.json() == ae, h


def test_ts0004_8_5_container_and_content_instance_in_cbor(cse, ae):
    cnt = {"m2m:cnt": {"rn": "data", "mni": 10, "mbs": 100000}}
    r = req(cse, "post", "/cse-in/cbor1", cbor2.dumps(cnt), ty=3, cf=CF_RES_CBOR, accept=CF_JSON)
    assert r.code == "2.01" and r.rsc == 2001 and cf_of(r) == CF_JSON, r  # Accept decides
    got = json.loads(text(r))["m2m:cnt"]
    assert got["mni"] == 10 and got["mbs"] == 100000 and isinstance(got["mbs"], int), got
    cin = {"m2m:cin": {"rn": "c1", "cnf": "text/plain:0", "con": "21.5 \u00b0C \u6c34", "lbl": ["a", "b"]}}
    r = req(cse, "post", "/cse-in/cbor1/data", cbor2.dumps(cin), ty=4, cf=CF_CBOR)
    assert r.code == "2.01" and r.rsc == 2001, r
    created = cbor2.loads(r.payload)["m2m:cin"]
    assert created["con"] == cin["m2m:cin"]["con"] and created["cs"] == len(cin["m2m:cin"]["con"].encode())
    # the JSON twin created over JSON CoAP gives the same attributes (minus the per-resource ones)
    twin = {"m2m:cin": dict(cin["m2m:cin"], rn="c2")}
    t = req(cse, "post", "/cse-in/cbor1/data", json.dumps(twin), ty=4)
    assert t.rsc == 2001 and cf_of(t) == CF_JSON, t
    tj = json.loads(text(t))["m2m:cin"]
    per = {"rn", "ri", "ct", "lt", "et", "st"}  # stateTag counts the instances
    assert {k: v for k, v in tj.items() if k not in per} == {k: v for k, v in created.items() if k not in per}
    # retrieve in both formats: the same value
    c = req(cse, "get", "/cse-in/cbor1/data/c1", accept=CF_CBOR)
    j = req(cse, "get", "/cse-in/cbor1/data/c1")
    assert c.rsc == 2000 and j.rsc == 2000 and as_value(c) == as_value(j), (c, j)
    assert as_value(c)["m2m:cin"]["con"] == "21.5 \u00b0C \u6c34"


def absent(cse, path):
    r = req(cse, "get", path)
    assert r.code == "4.04" and r.rsc == 4004, r


def refused_4000(cse, body, path="/cse-in/cbor1/data", name=None, ty=4, cf=CF_CBOR):
    r = req(cse, "post", path, body, ty=ty, cf=cf)
    assert r.code == "4.00" and r.rsc == 4000, r
    assert cf_of(r) == CF_CBOR, r  # the refusal answers in CBOR too
    dbg = cbor2.loads(r.payload)["m2m:dbg"]
    if name is not None:
        absent(cse, "%s/%s" % (path, name))
    return dbg


def test_ts0004_8_5_malformed_cbor_is_4000_and_nothing_stored(cse, ae):
    whole = cbor2.dumps({"m2m:cin": {"rn": "bad1", "con": "x"}})
    assert "truncated" in refused_4000(cse, whole[:-1], name="bad1")
    assert "after the data item" in refused_4000(cse, whole + b"\x00", name="bad1")
    # duplicate keys (as the JSON twin with duplicate members)
    dup = b"\xa1\x67m2m:cin\xa2\x62rn\x64bad2\x62rn\x64bad3"
    assert "duplicate" in refused_4000(cse, dup, name="bad2")
    absent(cse, "/cse-in/cbor1/data/bad3")
    # byte strings (TS-0004 8.5.1 wants text strings, major type 3): refused, not guessed at
    bs = cbor2.dumps({b"m2m:cin": {b"rn": b"bad4", b"con": b"x"}})
    assert "byte string" in refused_4000(cse, bs, name="bad4")
    # a tag, and invalid UTF-8 in a text string
    tag = cbor2.dumps({"m2m:cin": {"rn": "bad5", "con": cbor2.CBORTag(0, "2013-03-21T20:04:00Z")}})
    assert "tag" in refused_4000(cse, tag, name="bad5")
    utf = b"\xa1\x67m2m:cin\xa2\x62rn\x64bad6\x63con\x62\xc3\x28"
    assert "UTF-8" in refused_4000(cse, utf, name="bad6")
    # a map key that is not a text string
    ik = cbor2.dumps({"m2m:cin": {"rn": "bad7", 1: "x"}})
    assert "not a text string" in refused_4000(cse, ik, name="bad7")
    # a CBOR array is no content object
    assert "CBOR map" in refused_4000(cse, cbor2.dumps([1, 2]))


def test_deep_nesting_is_refused_and_nothing_stored(cse, ae):
    deep = "x"
    for _ in range(100):
        deep = [deep]
    body = cbor2.dumps({"m2m:cin": {"rn": "deep1", "con": deep}})
    assert "nested deeper" in refused_4000(cse, body, name="deep1")
    # the same content within the limit (a shallow one) is not refused for its nesting
    ok = cbor2.dumps({"m2m:cin": {"rn": "shallow1", "con": "x"}})
    r = req(cse, "post", "/cse-in/cbor1/data", ok, ty=4)
    assert r.rsc == 2001, r


def test_ts0008_6_2_2_2_unsupported_content_format_is_4015(cse, ae):
    body = cbor2.dumps({"m2m:cin": {"rn": "cf1", "con": "x"}})
    for cf in (41, 10012, 10013, 10014, 0):  # XML, preq/prsp+cbor, res+xml, text/plain
        r = req(cse, "post", "/cse-in/cbor1/data", body, ty=4, cf=cf)
        assert r.code == "4.15" and r.rsc == 4015, (cf, r)
    absent(cse, "/cse-in/cbor1/data/cf1")


def test_ts0008_6_2_2_2_unsupported_accept_is_4_06(cse, ae):
    for acc in (41, 10011, 10003, 0):  # XML, ntfy+cbor / ntfy+json (no answer is one), text/plain
        r = req(cse, "get", "/cse-in/cbor1", accept=acc)
        assert r.code == "4.06" and r.rsc == 5207, (acc, r)
    # another error takes precedence (clause 6.2.2.2): malformed CBOR with a bad Accept is 4000
    r = req(cse, "post", "/cse-in/cbor1/data", b"\xa1", ty=4, cf=CF_CBOR, accept=41)
    assert r.code == "4.00" and r.rsc == 4000 and cf_of(r) == CF_CBOR, r  # in the request's format
    # a well-formed CBOR CREATE with an unsupported Accept: 4.06, answered in CBOR, nothing stored
    body = cbor2.dumps({"m2m:cin": {"rn": "acc1", "con": "x"}})
    r = req(cse, "post", "/cse-in/cbor1/data", body, ty=4, cf=CF_CBOR, accept=41)
    assert r.code == "4.06" and r.rsc == 5207 and cf_of(r) == CF_CBOR, r
    assert "Accept 41" in cbor2.loads(r.payload)["m2m:dbg"]
    absent(cse, "/cse-in/cbor1/data/acc1")


def test_ts0004_8_5_update_in_cbor(cse, ae):
    # PUT with a CBOR body (vnd.onem2m-res+cbor) is the UPDATE of its JSON twin
    r = req(cse, "put", "/cse-in/cbor1", cbor2.dumps({"m2m:ae": {"lbl": ["upd", "\u6c34"]}}), cf=CF_RES_CBOR)
    assert r.code == "2.04" and r.rsc == 2004 and cf_of(r) == CF_CBOR, r
    assert cbor2.loads(r.payload)["m2m:ae"]["lbl"] == ["upd", "\u6c34"]
    j = req(cse, "get", "/cse-in/cbor1")
    assert as_value(j)["m2m:ae"]["lbl"] == ["upd", "\u6c34"], j
    # a malformed UPDATE changes nothing
    bad = cbor2.dumps({"m2m:ae": {"lbl": ["lost"]}})[:-2]
    r = req(cse, "put", "/cse-in/cbor1", bad, cf=CF_CBOR)
    assert r.code == "4.00" and r.rsc == 4000, r
    assert as_value(req(cse, "get", "/cse-in/cbor1"))["m2m:ae"]["lbl"] == ["upd", "\u6c34"]
