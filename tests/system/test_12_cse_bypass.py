# SPDX-License-Identifier: Apache-2.0
"""Access-control bypasses found by outside testing (issue 6, section 1) and the primitive rules of
section 3 that go with them, against the real binary on loopback. Each case asserts the exact
Response Status Code; each failed (was served, or answered differently) before the fix.

Peers: `openssl s_client -psk` (TLS-PSK), Python `requests` (certificates), raw sockets (plain
HTTP on the loopback http-listen)."""
import json
import socket

import pytest
import requests

from cse_harness import CSE_HOST, SP, Cse, Reply, build_request, make_cert_with_cryptography, parse_http

AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'
ROLE = "operator@m2m.example.org"


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("cse12"))
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    for n in (1, 2):
        c.add_psk("kpsa-b%d@%s" % (n, SP), "Cb%d" % n)
    c.add_psk("kpsa-s1@" + SP, "Ss1")
    c.add_psk("kpsa-late@" + SP, "Clate")
    c.add_psk("kpsa-mn@" + SP, "/id-mn")
    c.start()
    for ident, origin, rn in (("kpsa-b1", "Cb1", "b1"), ("kpsa-b2", "Cb2", "b2"), ("kpsa-s1", "Ss1", "s1")):
        r = c.psk("POST", "/cse-in", origin, "%s@%s" % (ident, SP), AE_BODY % rn, ty=2)
        assert r is not None and r.rsc == 2001, r
    yield c
    assert c.stop() == 0


def admin(c, method, path, body=None, ty=None, **kw):
    return c.psk(method, path, "CAdmin", "kpsa-admin@" + SP, body, ty=ty, **kw)


def b(c, n, method, path, body=None, ty=None, origin=None, **kw):
    return c.psk(method, path, origin or "Cb%d" % n, "kpsa-b%d@%s" % (n, SP), body, ty=ty, **kw)


def mn(c, method, path, origin, body=None, ty=None):
    return c.psk(method, path, origin, "kpsa-mn@" + SP, body, ty=ty)


def raw_plain(c, method, path, headers, body=None):
    """Plain HTTP with exactly these oneM2M headers (no defaults added)."""
    with socket.create_connection(("127.0.0.1", c.http_port), timeout=10) as s:
        s.sendall(build_request(method, path, headers, body))
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return Reply(*parse_http(buf))


def make_acp(c, rn, rules):
    body = {"m2m:acp": {"rn": rn, "pv": {"acr": rules}, "pvs": {"acr": [{"acor": ["CAdmin"], "acop": 63}]}}}
    r = admin(c, "POST", "/cse-in", json.dumps(body), ty=1)
    assert r.rsc == 2001, r
    return r.json()["m2m:acp"]["ri"]


# ---- Role-IDs are never trusted unverified ---------------------------------------------------

def test_unverified_role_id_grants_nothing(cse):
    acp = make_acp(cse, "roleacp", [{"acor": [ROLE], "acop": 63}])
    r = admin(cse, "POST", "/cse-in", json.dumps({"m2m:cnt": {"rn": "rolecnt", "acpi": [acp]}}), ty=3)
    assert r.rsc == 2001, r
    assert admin(cse, "POST", "/cse-in/rolecnt", '{"m2m:cin":{"con":"x"}}', ty=4).rsc == 2001
    # no verification source is configured: rids never count (was 2000 / 2001)
    assert b(cse, 2, "GET", "/cse-in/rolecnt?rids=" + ROLE).rsc == 4103
    assert b(cse, 2, "GET", "/cse-in/rolecnt?rcn=4&rids=" + ROLE).rsc == 4103
    assert b(cse, 2, "POST", "/cse-in/rolecnt?rids=" + ROLE, '{"m2m:cin":{"con":"y"}}', ty=4).rsc == 4103
    r = cse.plain("GET", "/cse-in/rolecnt?rids=" + ROLE, "Cb2")
    assert r.rsc == 4103


# ---- a peer CSE never acts as an AE -------------------------------------------------------------

@pytest.mark.parametrize("origin", ["Ss1", "/Ss1", "//%s/Ss1" % SP])
def test_peer_cse_cannot_act_as_s_type_ae(cse, origin):
    # was 2000/2001/2004: the mn-CSE read the AE, created under it and rewrote its poa
    assert mn(cse, "GET", "/cse-in/s1", origin).rsc == 4106
    assert mn(cse, "POST", "/cse-in/s1", origin, '{"m2m:cnt":{"rn":"evil"}}', ty=3).rsc == 4106
    assert mn(cse, "PUT", "/cse-in/s1", origin, '{"m2m:ae":{"poa":["http://127.0.0.1:1/"]}}').rsc == 4106
    r = cse.psk("GET", "/cse-in/s1", "Ss1", "kpsa-s1@" + SP)
    assert r.rsc == 2000 and "poa" not in r.json()["m2m:ae"]


@pytest.mark.parametrize("origin", ["Cb1", "/id-in/Cb1", "//%s/id-in/Cb1" % SP, "/id-mn/Cx",
                                    "//%s/id-mn/Cx" % SP])
def test_peer_cse_cannot_act_for_any_ae(cse, origin):
    assert mn(cse, "GET", "/cse-in/b1", origin).rsc == 4106


def test_peer_cse_as_itself_is_still_served(cse):
    # its own CSE-ID is authenticated; without privileges that is 4103, not 4106
    assert mn(cse, "GET", "/cse-in/b1", "/id-mn").rsc == 4103


# ---- plain HTTP: never the registered AE ---------------------------------------------------------

def test_plain_http_is_not_the_registered_ae(cse):
    assert b(cse, 1, "POST", "/cse-in/b1", '{"m2m:cnt":{"rn":"priv"}}', ty=3).rsc == 2001
    assert b(cse, 1, "POST", "/cse-in/b1/priv", '{"m2m:cin":{"con":"c1-secret"}}', ty=4).rsc == 2001
    # was 2000 / 2001 / 2004 / 2002 through the creator rule
    assert cse.plain("GET", "/cse-in/b1", "Cb1").rsc == 4103
    assert cse.plain("GET", "/cse-in/b1/priv/la", "Cb1").rsc == 4103
    assert cse.plain("GET", "/cse-in/b1/priv?rcn=4", "Cb1").rsc == 4103
    assert cse.plain("POST", "/cse-in/b1/priv", "Cb1", '{"m2m:cin":{"con":"forged"}}', ty=4).rsc == 4103
    assert cse.plain("PUT", "/cse-in/b1", "Cb1", '{"m2m:ae":{"poa":["http://127.0.0.1:1/"]}}').rsc == 4103
    assert cse.plain("DELETE", "/cse-in/b1/priv", "Cb1").rsc == 4103
    r = b(cse, 1, "GET", "/cse-in/b1/priv/la")
    assert r.rsc == 2000 and r.json()["m2m:cin"]["con"] == "c1-secret"


def test_plain_http_cannot_preregister_a_certificate_ae_id(cse):
    # was 2001, and the certificate holder then got 4117
    r = cse.plain("POST", "/cse-in", "Ccertx", AE_BODY % "certx", ty=2)
    assert r.rsc == 4106, r
    crt, key = cse.issue("certx", "m2m://%s/id-in/Ccertx" % SP)
    s = cse.cert_session(crt, key)
    assert cse.cert(s, "POST", "/cse-in", "Ccertx", AE_BODY % "certx", ty=2).rsc == 2001
    assert cse.cert(s, "GET", "/cse-in/certx", "Ccertx").rsc == 2000


def test_plain_http_cannot_preregister_a_psk_bound_ae_id(cse):
    # Clate has a PSK bound (psk-file) but has not registered yet; nor may any AE-ID of choice
    for ae in ("Clate", "Slate"):
        assert cse.plain("POST", "/cse-in", ae, AE_BODY % ae.lower(), ty=2).rsc == 4106  # was 2001
    r = cse.psk("POST", "/cse-in", "Clate", "kpsa-late@" + SP, AE_BODY % "late", ty=2)
    assert r.rsc == 2001, r


def test_plain_http_registration_gets_a_cse_assigned_id(cse):
    r = cse.plain("POST", "/cse-in", "C", AE_BODY % "anon", ty=2)
    assert r.rsc == 2001, r
    aei = r.json()["m2m:ae"]["aei"]
    assert aei.startswith("C") and len(aei) == 17
    # and it has no creator rights over itself either (unauthenticated)
    assert cse.plain("GET", "/cse-in/anon", aei).rsc == 4103


def test_dev_admin_over_plain_http_still_works(m2msec_bin, tmp_path):
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    c.add_psk("kpsa-x@" + SP, "Cx")
    c.start(extra="dev-admin-over-plain-http = on\n")
    try:
        assert c.plain("GET", "/cse-in", "CAdmin").rsc == 2000
        assert c.plain("POST", "/cse-in", "CAdmin", '{"m2m:cnt":{"rn":"a"}}', ty=3).rsc == 2001
        assert c.plain("GET", "/cse-in/a", "CAdmin").rsc == 2000
    finally:
        assert c.stop() == 0


# ---- disableRetrieval on every read path ------------------------------------------------------

@pytest.mark.parametrize("query", ["?rcn=4", "?rcn=8", "?rcn=5", "?rcn=6"])
def test_disable_retrieval_holds_for_result_content(cse, query):
    if b(cse, 1, "GET", "/cse-in/b1/dr").rsc != 2000:
        assert b(cse, 1, "POST", "/cse-in/b1", '{"m2m:cnt":{"rn":"dr","disr":true}}', ty=3).rsc == 2001
        assert b(cse, 1, "POST", "/cse-in/b1/dr", '{"m2m:cin":{"rn":"hid","con":"TOPSECRET"}}', ty=4).rsc == 2001
    assert b(cse, 1, "GET", "/cse-in/b1/dr/la").rsc == 4005
    for target in ("/cse-in/b1/dr", "/cse-in/b1"):  # the container, and its parent (descendants)
        r = b(cse, 1, "GET", target + query)
        assert r.rsc == 2000, r
        # neither the con nor the name/path of the instance (was listed with its con)
        assert "TOPSECRET" not in r.body and '"hid"' not in r.body and '/hid"' not in r.body, r


def test_disable_retrieval_off_deletes_the_hidden_instances(cse):
    # TS-0001 Table 9.6.6-2: TRUE -> FALSE deletes every existing instance (was: they became readable)
    assert b(cse, 1, "POST", "/cse-in/b1", '{"m2m:cnt":{"rn":"dr2","disr":true}}', ty=3).rsc == 2001
    assert b(cse, 1, "POST", "/cse-in/b1/dr2", '{"m2m:cin":{"rn":"h","con":"HIDDEN"}}', ty=4).rsc == 2001
    r = b(cse, 1, "PUT", "/cse-in/b1/dr2", '{"m2m:cnt":{"disr":false}}')
    assert r.rsc == 2004 and r.json()["m2m:cnt"]["cni"] == 0, r
    assert b(cse, 1, "GET", "/cse-in/b1/dr2/h").rsc == 4004
    assert b(cse, 1, "GET", "/cse-in/b1/dr2/la").rsc == 4004


# ---- Registree AE: From must be the AE-ID-Stem ----------------------------------------------------

@pytest.mark.parametrize("origin", ["/id-in/Cb1", "//%s/id-in/Cb1" % SP])
def test_registree_ae_non_stem_from_is_4000(cse, origin):
    # TS-0004 7.3.2.1; was 2000
    assert b(cse, 1, "GET", "/cse-in/b1", origin=origin).rsc == 4000
    assert cse.plain("GET", "/cse-in/b1", origin).rsc == 4000


# ---- a peer can never be this CSE ---------------------------------------------------------------

def test_client_certificate_naming_this_cse_is_refused(cse):
    crt, key = cse.issue("selfcse", CSE_HOST)  # DNS SAN id-in.<sp>: this CSE's own name
    s = cse.cert_session(crt, key)
    for origin in ("/id-in", "//%s/id-in" % SP):
        r = cse.cert(s, "GET", "/cse-in", origin)
        assert r.rsc == 4106, r  # was accepted as /id-in with rq_authn
    assert cse.cert(s, "GET", "/cse-in", "Cb1").rsc == 4106


@pytest.mark.parametrize("uri", ["m2m://%s/id-in" % SP, "m2m://%s/id-in/" % SP])
def test_client_certificate_with_uri_naming_this_cse_is_refused(cse, uri):
    # a URI SAN names an AE (TS-0003 10.1.1.5); one naming a CSE binds nothing: no handshake
    crt, key = make_cert_with_cryptography(cse.path("ca"), cse.path("selfuri%d" % len(uri)), san_uri=uri)
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        cse.cert(cse.cert_session(crt, key), "GET", "/cse-in", "/id-in")


def test_psk_bound_to_this_cse_is_refused(m2msec_bin, tmp_path):
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    c.add_psk("kpsa-self@" + SP, "/id-in")
    c.start()
    try:
        for origin in ("/id-in", "//%s/id-in" % SP):
            r = c.psk("GET", "/cse-in", origin, "kpsa-self@" + SP)
            assert r is not None and r.rsc == 4106, r
        r = c.psk("POST", "/cse-in", None, "kpsa-self@" + SP, AE_BODY % "x", ty=2)
        assert r is not None and r.rsc == 4106, r
    finally:
        assert c.stop() == 0


# ---- section 3: Release 1, resource types, et, overflow -----------------------------------------

def test_release1_request_is_4001_without_rvi(cse):
    r = raw_plain(cse, "GET", "/cse-in", {"X-M2M-RI": "r1", "X-M2M-Origin": "Cb1"})
    assert r.rsc == 4001 and r.status == 501, r  # was 4000 with RVI 3
    assert "x-m2m-rvi" not in r.headers
    assert r.headers.get("x-m2m-ri") == "r1"
    r = raw_plain(cse, "GET", "/cse-in", {"X-M2M-RI": "r2", "X-M2M-Origin": "Cb1", "X-M2M-RVI": "3"})
    assert r.headers.get("x-m2m-rvi") == "3"


@pytest.mark.parametrize("ty,want", [(33, 4000), (52, 4000), (9999, 4000), (6, 5001), (10002, 5001)])
def test_resource_type_undefined_4000_unimplemented_5001(cse, ty, want):
    assert admin(cse, "POST", "/cse-in", '{"m2m:x":{}}', ty=ty).rsc == want


def test_update_et_after_parent_is_4000(cse):
    r = b(cse, 1, "POST", "/cse-in/b1", '{"m2m:cnt":{"rn":"etp"}}', ty=3)
    assert r.rsc == 2001
    parent_et = r.json()["m2m:cnt"]["et"]
    r = b(cse, 1, "POST", "/cse-in/b1/etp", '{"m2m:cnt":{"rn":"etc"}}', ty=3)
    assert r.rsc == 2001
    child_et = r.json()["m2m:cnt"]["et"]
    assert child_et <= parent_et
    r = b(cse, 1, "PUT", "/cse-in/b1/etp/etc", '{"m2m:cnt":{"et":"20950101T000000"}}')
    assert r.rsc == 4000, r  # TS-0004 7.3.3.4; was 2004: the child outlived its parent
    assert b(cse, 1, "GET", "/cse-in/b1/etp/etc").json()["m2m:cnt"]["et"] == child_et
    r = b(cse, 1, "PUT", "/cse-in/b1/etp/etc", '{"m2m:cnt":{"et":"%s"}}' % parent_et)
    assert r.rsc == 2004, r


def test_huge_mia_does_not_overflow(cse):
    big = 2 ** 63 - 1
    body = '{"m2m:cnt":{"rn":"bigmia","mia":%d,"mbs":%d,"mni":%d}}' % (big, big, big)
    assert b(cse, 1, "POST", "/cse-in/b1", body, ty=3).rsc == 2001
    assert b(cse, 1, "POST", "/cse-in/b1/bigmia", '{"m2m:cin":{"con":"v"}}', ty=4).rsc == 2001
    assert b(cse, 1, "GET", "/cse-in/b1/bigmia/la").json()["m2m:cin"]["con"] == "v"
