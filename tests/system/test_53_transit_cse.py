# SPDX-License-Identifier: Apache-2.0
"""CSE registration (<remoteCSE>, ty 16) at a real IN-CSE on loopback, from the Registree CSE's
side of the wire: TS-0001 clause 10.1.1.2.1, TS-0004 clause 7.4.4.2.1 (credential check 4107,
AE-ID From 4005, already registered 4117, CSE-ID set from From), TS-0004 clause 7.3.2.1 / TS-0003
clause 7.2.1 (From must be the CSE the association is bound to: 4106). The MN-CSE is played by
independent clients (`openssl s_client -psk`, Python `requests` with a client certificate)."""
import json

import pytest

from cse_harness import SP, Cse

CSR = '{"m2m:csr":{"cb":"/%s/cse-mn","rr":true,"srv":["3"],"poa":["https://127.0.0.1:1"]%s}}'
AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'


def csr(cse_id, extra=""):
    return CSR % (cse_id, extra)


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("cse53"))
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    c.add_psk("kpsa-mn@" + SP, "/id-mn")
    c.add_psk("kpsa-mn3@" + SP, "/id-mn3")
    c.add_psk("kpsa-mn4@" + SP, "/id-mn4")
    c.add_psk("kpsa-ae@" + SP, "Cae1")
    c.start()
    yield c
    assert c.stop() == 0


def admin(c, method, path, body=None, ty=None):
    return c.psk(method, path, "CAdmin", "kpsa-admin@" + SP, body, ty=ty)


def test_psk_registration_creates_the_remote_cse(cse):
    r = cse.psk("POST", "/cse-in", "/id-mn", "kpsa-mn@" + SP, csr("id-mn"), ty=16)
    assert r.rsc == 2001, r
    body = r.json()["m2m:csr"]
    assert body["csi"] == "/id-mn"  # TS-0004 7.4.4.2.1 Recv-6.5: set from From
    assert body["ri"] == "id-mn" and body["ty"] == 16 and body["cb"] == "/id-mn/cse-mn"
    assert body["rr"] is True and body["poa"] == ["https://127.0.0.1:1"]
    got = admin(cse, "GET", "/cse-in/id-mn")
    assert got.rsc == 2000 and got.json()["m2m:csr"]["csi"] == "/id-mn"
    # a second registration of the same CSE-ID under the same parent: 4117
    again = cse.psk("POST", "/cse-in", "/id-mn", "kpsa-mn@" + SP, csr("id-mn", ',"rn":"other"'), ty=16)
    assert again.rsc == 4117
    # the Registree reads its own <remoteCSE> as its creator
    own = cse.psk("GET", "/cse-in/id-mn", "/id-mn", "kpsa-mn@" + SP)
    assert own.rsc == 2000, own


def test_certificate_registration(cse):
    crt, key = cse.issue("mn2", "id-mn2." + SP)  # DNS SAN: the CSE-ID (TS-0003 10.1.1.6)
    s = cse.cert_session(crt, key)
    r = cse.cert(s, "POST", "/cse-in", "/id-mn2", csr("id-mn2"), ty=16)
    assert r.rsc == 2001, r
    assert r.json()["m2m:csr"]["csi"] == "/id-mn2"
    assert admin(cse, "GET", "/cse-in/id-mn2").rsc == 2000


def test_certificate_for_another_cse_id_cannot_register_as_the_mn(cse):
    crt, key = cse.issue("mnx", "id-mnx." + SP)  # valid, but for /id-mnx
    s = cse.cert_session(crt, key)
    r = cse.cert(s, "POST", "/cse-in", "/id-mn5", csr("id-mn5"), ty=16)
    assert r.rsc == 4106
    assert admin(cse, "GET", "/cse-in/id-mn5").rsc == 4004


def test_psk_for_another_cse_id_cannot_register_as_it(cse):
    r = cse.psk("POST", "/cse-in", "/id-mn6", "kpsa-mn4@" + SP, csr("id-mn6"), ty=16)
    assert r.rsc == 4106
    assert admin(cse, "GET", "/cse-in/id-mn6").rsc == 4004


def test_csi_other_than_from_is_refused(cse):
    r = cse.psk("POST", "/cse-in", "/id-mn3", "kpsa-mn3@" + SP, csr("id-mn3", ',"csi":"/id-in"'), ty=16)
    assert r.rsc == 4000
    assert admin(cse, "GET", "/cse-in/id-mn3").rsc == 4004


def test_ae_association_cannot_register_a_cse(cse):
    # a CSE-ID From over an association bound to an AE: the credential is no CSE's (4107)
    r = cse.psk("POST", "/cse-in", "/id-mn7", "kpsa-ae@" + SP, csr("id-mn7"), ty=16)
    assert r.rsc == 4107
    r = cse.psk("POST", "/cse-in", "Cae1", "kpsa-ae@" + SP, csr("id-mn7"), ty=16)
    assert r.rsc == 4107


def test_plain_http_cannot_register_a_cse(cse):
    assert cse.plain("POST", "/cse-in", "/id-mn8", csr("id-mn8"), ty=16).rsc == 4107


@pytest.mark.parametrize("origin", ["Cae1", "/id-in/Cae1", "//%s/id-mn4/Cx" % SP])
def test_ae_id_from_over_a_cse_association_is_4005(cse, origin):
    r = cse.psk("POST", "/cse-in", origin, "kpsa-mn4@" + SP, csr("id-mn4"), ty=16)
    assert r.rsc == 4005
    assert admin(cse, "GET", "/cse-in/id-mn4").rsc == 4004


def test_remote_cse_only_under_the_cse_base(cse):
    r = admin(cse, "POST", "/cse-in", '{"m2m:cnt":{"rn":"c53"}}', ty=3)
    assert r.rsc == 2001
    r = cse.psk("POST", "/cse-in/c53", "/id-mn4", "kpsa-mn4@" + SP, csr("id-mn4"), ty=16)
    assert r.rsc == 4108


def test_mandatory_attributes(cse):
    body = json.dumps({"m2m:csr": {"rr": True, "srv": ["3"]}})  # cb missing
    assert cse.psk("POST", "/cse-in", "/id-mn4", "kpsa-mn4@" + SP, body, ty=16).rsc == 4000


# ---- the Registree side: a real MN-CSE registering with a real IN-CSE -----------------------

def mkdir(tmp_path, name):
    d = tmp_path / name
    d.mkdir()
    return d


def wait_for(pred, what, timeout=30.0):
    """Poll for an event (not a timing assertion: the bound only stops a hung test)."""
    import time
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("never happened: " + what)


def test_mn_registers_with_certificate_retrying_until_the_in_is_up(m2msec_bin, tmp_path):
    inc = Cse(m2msec_bin, mkdir(tmp_path, "in"))
    inc.setup_pki()
    inc.add_psk("kpsa-admin@" + SP, "CAdmin")
    mn_crt, mn_key = inc.issue("mn", "id-mn." + SP)  # the IN's SP CA vouches for /id-mn
    mn = Cse(m2msec_bin, mkdir(tmp_path, "mn"))
    mn.cse_id, mn.cse_name = "/id-mn", "cse-mn"
    mn.setup_pki()
    mn.add_psk("kpsa-admin@" + SP, "CAdmin")
    reg = ("registrar = https://127.0.0.1:%d\nregistrar-ca = %s\nregistrar-cert = %s\nregistrar-key = %s\n"
           "registrar-cse-id = /id-in\n") % (inc.port, inc.path("ca/ca.crt"), mn_crt, mn_key)
    # the IN is down: the MN starts anyway, serves local requests, and retries
    mn.start(reg)
    try:
        wait_for(lambda: "registration failed" in mn.log_text(), "a failed attempt logged")
        assert admin(mn, "GET", "/cse-mn").rsc == 2000
        inc.start()
        wait_for(lambda: admin(inc, "GET", "/cse-in/id-mn").rsc == 2000, "the <remoteCSE> at the IN")
        body = admin(inc, "GET", "/cse-in/id-mn").json()["m2m:csr"]
        assert body["csi"] == "/id-mn" and body["cb"] == "/id-mn/cse-mn" and body["rr"] is True
        wait_for(lambda: "registrar: registered (created)" in mn.log_text(), "the MN logs the registration")
        # a restart of the MN finds its registration (4117 counts as registered)
        assert mn.stop() == 0
        mn.start(reg)
        wait_for(lambda: "registrar: registered (already registered)" in mn.log_text(), "re-registration")
        assert admin(inc, "GET", "/cse-in/id-mn").rsc == 2000
    finally:
        mn.stop()
        inc.stop()


def test_mn_with_a_certificate_for_another_cse_id_is_refused(m2msec_bin, tmp_path):
    inc = Cse(m2msec_bin, mkdir(tmp_path, "in"))
    inc.setup_pki()
    inc.add_psk("kpsa-admin@" + SP, "CAdmin")
    crt, key = inc.issue("other", "id-other." + SP)  # valid, but for /id-other
    mn = Cse(m2msec_bin, mkdir(tmp_path, "mn"))
    mn.cse_id, mn.cse_name = "/id-mn", "cse-mn"
    mn.setup_pki()
    reg = ("registrar = https://127.0.0.1:%d\nregistrar-ca = %s\nregistrar-cert = %s\nregistrar-key = %s\n"
           "registrar-cse-id = /id-in\n") % (inc.port, inc.path("ca/ca.crt"), crt, key)
    inc.start()
    mn.start(reg)
    try:
        wait_for(lambda: "RSC 4106" in mn.log_text(), "the IN's 4106 logged by the MN")
        assert admin(inc, "GET", "/cse-in/id-mn").rsc == 4004
    finally:
        mn.stop()
        inc.stop()


# ---- which originators a registered CSE may speak for (TS-0004 7.3.2.1, TS-0003 7.1.2) ------

def test_registree_cse_speaks_only_for_its_own_c_type_aes(m2msec_bin, tmp_path):
    c = Cse(m2msec_bin, mkdir(tmp_path, "in"))
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    c.add_psk("kpsa-mn@" + SP, "/id-mn")
    c.add_psk("kpsa-b1@" + SP, "Cb1")
    c.start()
    try:
        mn = lambda origin, path="/cse-in/box": c.psk("GET", path, origin, "kpsa-mn@" + SP)
        assert c.psk("POST", "/cse-in", "Cb1", "kpsa-b1@" + SP, AE_BODY % "b1", ty=2).rsc == 2001
        acp = {"m2m:acp": {"rn": "fwd", "pv": {"acr": [{"acor": ["/id-mn/Cx"], "acop": 2}]},
                           "pvs": {"acr": [{"acor": ["CAdmin"], "acop": 63}]}}}
        r = admin(c, "POST", "/cse-in", json.dumps(acp), ty=1)
        assert r.rsc == 2001
        cnt = {"m2m:cnt": {"rn": "box", "acpi": [r.json()["m2m:acp"]["ri"]]}}
        r = admin(c, "POST", "/cse-in", json.dumps(cnt), ty=3)
        assert r.rsc == 2001, r
        # not registered yet: the MN speaks for no AE
        assert mn("/id-mn/Cx").rsc == 4106
        assert c.psk("POST", "/cse-in", "/id-mn", "kpsa-mn@" + SP, csr("id-mn"), ty=16).rsc == 2001
        # registered: its C-type AEs, any ID form; the IN's ACP decides
        assert mn("/id-mn/Cx").rsc == 2000
        assert mn("//%s/id-mn/Cx" % SP).rsc == 2000
        assert mn("/id-mn/Cy").rsc == 4103
        # never for an AE of another CSE, an AE registered here, or an S-type AE
        for origin in ("/id-mn2/Cx", "//%s/id-mn2/Cx" % SP, "Cb1", "/id-in/Cb1", "/Sx", "//other.example.com/id-mn/Cx"):
            assert mn(origin).rsc == 4106, origin
        # deregistered: vouches for nobody again
        assert admin(c, "DELETE", "/cse-in/id-mn").rsc == 2002
        assert mn("/id-mn/Cx").rsc == 4106
    finally:
        assert c.stop() == 0
