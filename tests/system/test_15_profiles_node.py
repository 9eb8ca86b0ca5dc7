# SPDX-License-Identifier: Apache-2.0
"""M2M Service Subscription profiles (TS-0001 9.6.19/9.6.20/9.6.29 and 10.2.2.2 step 003, TS-0004
7.3.2.7, 7.4.19, 7.4.20, 7.4.29) enforced on AE registration over real TLS-PSK associations
(`service-subscription = enforce`), and <node> with the deviceInfo / firmware <mgmtObj>
specialisations (TS-0004 7.4.18, 7.4.15, Annex D.2 and D.8)."""
import json

import pytest

from cse_harness import SP, Cse

SUB_RSC = 4128   # SERVICE_SUBSCRIPTION_NOT_ESTABLISHED (TS-0004 Table 6.6.3.3-1)
RULE_RSC = 4126  # APP_RULE_VALIDATION_FAILED


def cred(name):
    return "12-kpsa-%s@%s" % (name, SP)  # Credential-ID of a psk-file KpsaID (TS-0003 10.4)


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("cse15"))
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    for name in ("p1", "w", "x", "u"):
        c.add_psk("kpsa-%s@%s" % (name, SP), "C%s" % name)
    c.start("service-subscription = enforce\n")
    yield c
    assert c.stop() == 0


def ae_body(api, rn=None):
    a = {"api": api, "rr": False, "srv": ["3"]}
    if rn:
        a["rn"] = rn
    return json.dumps({"m2m:ae": a})


def register(c, name, api, origin=None):
    return c.psk("POST", "/cse-in", origin or "C%s" % name, "kpsa-%s@%s" % (name, SP), ae_body(api), ty=2)


def admin(c, method, path, body=None, ty=None):
    return c.psk(method, path, "CAdmin", "kpsa-admin@" + SP, body, ty=ty)


def test_ts0004_7327_no_profile_is_4128(cse):
    r = register(cse, "p1", "Nprof.app")
    assert r.rsc == SUB_RSC and r.status == 403, r


def test_admin_provisions_profile(cse):
    rule = {"m2m:asar": {"rn": "rule1", "apci": [cred("p1"), cred("w")], "aai": ["Nprof*"],
                         "aae": ["Cp1", "Cw"]}}
    assert admin(cse, "POST", "/cse-in", json.dumps(rule), ty=19).rsc == 2001
    assert admin(cse, "POST", "/cse-in", '{"m2m:mssp":{"rn":"acme"}}', ty=11).rsc == 2001
    node = {"m2m:svsn": {"rn": "in", "ni": "urn:uuid:5f0a0c2e-0000-4000-8000-000000000001",
                         "csi": "/id-in", "rlk": ["cse-in/rule1"]}}
    r = admin(cse, "POST", "/cse-in/acme", json.dumps(node), ty=20)
    assert r.rsc == 2001, r
    assert r.json()["m2m:svsn"]["rlk"] == ["cse-in/rule1"]


def test_matching_rule_registers(cse):
    r = register(cse, "p1", "Nprof.app")
    assert r.rsc == 2001, r
    assert r.json()["m2m:ae"]["aei"] == "Cp1"


def test_wrong_app_id_is_4126(cse):
    r = register(cse, "w", "Rother")
    assert r.rsc == RULE_RSC and r.status == 403, r
    assert register(cse, "w", "Nprof.w").rsc == 2001


def test_other_credential_cannot_use_the_rule(cse):
    # the attacker holds a valid credential (kpsa-x, bound to Cx), but the rule is for kpsa-p1/kpsa-w
    assert admin(cse, "PUT", "/cse-in/rule1", '{"m2m:asar":{"aae":["*"]}}').rsc == 2004
    r = register(cse, "x", "Nprof.app")
    assert r.rsc == SUB_RSC, r
    # and without any association (loopback plain HTTP) no rule applies either
    r = cse.plain("POST", "/cse-in", "C", ae_body("Nprof.app"), ty=2)
    assert r.rsc == SUB_RSC, r
    assert admin(cse, "GET", "/cse-in/Cx").rsc == 4004
    assert admin(cse, "GET", "/cse-in/Cpx").rsc == 4004


def test_non_admin_cannot_administer_profiles(cse):
    # a registered AE with a valid association: no CREATE, UPDATE or DELETE of profile resources
    def p1(method, path, body=None, ty=None):
        return cse.psk(method, path, "Cp1", "kpsa-p1@" + SP, body, ty=ty)
    assert p1("POST", "/cse-in", '{"m2m:mssp":{"rn":"mine"}}', ty=11).rsc == 4103
    assert p1("POST", "/cse-in", '{"m2m:asar":{"aai":["*"],"aae":["*"],"apci":["*"]}}', ty=19).rsc == 4103
    assert p1("POST", "/cse-in/acme", '{"m2m:svsn":{"ni":"n","csi":"/id-in"}}', ty=20).rsc == 4103
    assert p1("PUT", "/cse-in/rule1", '{"m2m:asar":{"apci":["*"]}}').rsc == 4103
    assert p1("PUT", "/cse-in/acme/in", '{"m2m:svsn":{"rlk":[]}}').rsc == 4103
    assert p1("DELETE", "/cse-in/rule1").rsc == 4103
    assert admin(cse, "GET", "/cse-in/rule1").json()["m2m:asar"]["apci"] == [cred("p1"), cred("w")]


def test_profile_validation_is_4000(cse):
    for ty, path, body in (
            (20, "/cse-in/acme", '{"m2m:svsn":{"ni":"n","rlk":["cse-in/rule1"]}}'),  # rlk without csi
            (20, "/cse-in/acme", '{"m2m:svsn":{"csi":"/id-in"}}'),                   # ni mandatory
            (20, "/cse-in/acme", '{"m2m:svsn":{"ni":"n","csi":"/id-in","rlk":["cse-in/acme"]}}'),
            (19, "/cse-in", '{"m2m:asar":{"aai":["Cwrong"]}}'),                      # TS-0004 7.4.29.2.1
            (19, "/cse-in", '{"m2m:asar":{"aae":"C*"}}'),
            (11, "/cse-in", '{"m2m:mssp":{"svr":1}}')):
        r = admin(cse, "POST", path, body, ty=ty)
        assert r.rsc == 4000, (body, r)


# ---- <node> and <mgmtObj> (TS-0004 7.4.18, 7.4.15, Annex D) ---------------------------------------

NODE = {"m2m:nod": {"rn": "dev1", "ni": "urn:gsma:imei:90420156-025763-0", "hcl": "/id-asn1",
                    "hael": ["Cp1"], "mgca": "coap://[2001:db8::1]"}}
DVI = {"m2m:dvi": {"rn": "info", "mgd": 1007, "dlb": "urn:dev:ops:0001-M1-42", "man": "ACME",
                   "mod": "M1", "dty": "sensor", "fwv": "1.2.3", "ptl": ["application/json"]}}
FWR = {"m2m:fwr": {"rn": "fw", "mgd": 1001, "vr": "1.2.3", "fwn": "base",
                   "url": "https://fw.example.com/1.2.3", "ud": False}}


def with_(base, **kw):
    wrapper, attrs = next(iter(base.items()))
    a = dict(attrs)
    for k, v in kw.items():
        if v is None:
            a.pop(k, None)
        else:
            a[k] = v
    return json.dumps({wrapper: a})


def test_node_device_info_firmware_crud(cse):
    r = admin(cse, "POST", "/cse-in", json.dumps(NODE), ty=14)
    assert r.rsc == 2001, r
    assert r.json()["m2m:nod"]["ty"] == 14
    r = admin(cse, "POST", "/cse-in/dev1", json.dumps(DVI), ty=13)
    assert r.rsc == 2001, r
    assert r.json()["m2m:dvi"]["mgd"] == 1007
    r = admin(cse, "POST", "/cse-in/dev1", json.dumps(FWR), ty=13)
    assert r.rsc == 2001, r
    assert r.json()["m2m:fwr"]["ty"] == 13
    # firmware update request and its status (D.2.2.2), device info after the update
    r = admin(cse, "PUT", "/cse-in/dev1/fw", '{"m2m:fwr":{"vr":"1.2.4","ud":true,"uds":{"acn":"ud","sus":3}}}')
    assert r.rsc == 2004, r
    assert admin(cse, "PUT", "/cse-in/dev1/info", '{"m2m:dvi":{"fwv":"1.2.4"}}').rsc == 2004
    r = admin(cse, "GET", "/cse-in/dev1?rcn=4")
    assert r.rsc == 2000, r
    nod = r.json()["m2m:nod"]
    assert nod["m2m:dvi"][0]["fwv"] == "1.2.4" and nod["m2m:fwr"][0]["uds"]["sus"] == 3
    assert admin(cse, "GET", "/cse-in/dev1/info").json()["m2m:dvi"]["man"] == "ACME"
    assert admin(cse, "DELETE", "/cse-in/dev1/fw").rsc == 2002
    assert admin(cse, "GET", "/cse-in/dev1/fw").rsc == 4004


@pytest.mark.parametrize("ty,path,body", [
    (14, "/cse-in", with_(NODE, rn="x1", ni=None)),                 # nodeID mandatory
    (14, "/cse-in", with_(NODE, rn="x2", ni="two words")),
    (14, "/cse-in", with_(NODE, rn="x3", hcl="Cnotacse")),
    (14, "/cse-in", with_(NODE, rn="x4", hael=[])),
    (14, "/cse-in", with_(NODE, rn="x5", rms=True)),                # roamingStatus: NP
    (14, "/cse-in", with_(NODE, rn="x6", bogus=1)),                 # unknown attribute
    (13, "/cse-in/dev1", with_(DVI, rn="y1", mgd=1001)),            # mgd of another specialisation
    (13, "/cse-in/dev1", with_(DVI, rn="y2", man=None)),            # manufacturer mandatory
    (13, "/cse-in/dev1", with_(DVI, rn="y3", mfd="yesterday")),     # m2m:timestamp
    (13, "/cse-in/dev1", with_(DVI, rn="y4", ptl=["json"])),         # MIME types
    (13, "/cse-in/dev1", with_(FWR, rn="y5", ud="yes")),
    (13, "/cse-in/dev1", with_(FWR, rn="y6", url="not a url")),
    (13, "/cse-in/dev1", with_(FWR, rn="y7", uds={"sus": 1})),      # updateStatus: NP on CREATE
    (13, "/cse-in/dev1", with_(FWR, rn="y8", vr=None)),
])
def test_node_mgmtobj_validation_is_4000(cse, ty, path, body):
    r = admin(cse, "POST", path, body, ty=ty)
    assert r.rsc == 4000 and r.status == 400, r


def test_node_mgmtobj_update_validation(cse):
    assert admin(cse, "PUT", "/cse-in/dev1/info", '{"m2m:dvi":{"man":"Other"}}').rsc == 4000  # NP on UPDATE
    assert admin(cse, "PUT", "/cse-in/dev1/info", '{"m2m:fwr":{"vr":"2"}}').rsc == 4000      # wrong wrapper
    assert admin(cse, "PUT", "/cse-in/dev1", '{"m2m:nod":{"ni":null}}').rsc == 4000
    assert admin(cse, "PUT", "/cse-in/dev1", '{"m2m:nod":{"nid":"x"}}').rsc == 4000
    assert admin(cse, "POST", "/cse-in/dev1", '{"m2m:bat":{"mgd":1006}}', ty=13).rsc == 5001
    assert admin(cse, "GET", "/cse-in/dev1/info").json()["m2m:dvi"]["man"] == "ACME"


def test_ae_node_link_must_name_a_visible_node(cse):
    def p1(body):
        return cse.psk("PUT", "/cse-in/Cp1", "Cp1", "kpsa-p1@" + SP, body)
    assert admin(cse, "POST", "/cse-in", '{"m2m:cnt":{"rn":"notanode"}}', ty=3).rsc == 2001
    # the node exists but the AE may not see it: the same answer as for a missing one
    assert p1('{"m2m:ae":{"nl":"cse-in/dev1"}}').rsc == 4000
    assert p1('{"m2m:ae":{"nl":"cse-in/nosuchnode"}}').rsc == 4000
    acp = {"m2m:acp": {"rn": "nodeRead", "pv": {"acr": [{"acor": ["Cp1"], "acop": 2}]},
                       "pvs": {"acr": [{"acor": ["CAdmin"], "acop": 63}]}}}
    assert admin(cse, "POST", "/cse-in", json.dumps(acp), ty=1).rsc == 2001
    assert admin(cse, "PUT", "/cse-in/dev1", '{"m2m:nod":{"acpi":["cse-in/nodeRead"]}}').rsc == 2004
    r = p1('{"m2m:ae":{"nl":"cse-in/dev1"}}')
    assert r.rsc == 2004, r
    assert r.json()["m2m:ae"]["nl"] == "cse-in/dev1"
    assert p1('{"m2m:ae":{"nl":"cse-in/notanode"}}').rsc == 4000
    assert admin(cse, "GET", "/cse-in/Cp1").json()["m2m:ae"]["nl"] == "cse-in/dev1"
