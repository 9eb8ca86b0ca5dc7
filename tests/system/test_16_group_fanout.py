# SPDX-License-Identifier: Apache-2.0
"""Group fan-out and attribute validation of the secure CSE over real TLS-PSK, black box:
<group>/fopt (TS-0004 7.4.14, TS-0001 10.2.7.6-10.2.7.9) with the access decision made per
member for the Originator (never the group creator's rights), disableRetrieval honoured through
the fanOutPoint, deleted members pruned from memberIDs by the DELETE itself, maxNrOfMembers mandatory (TS-0004 Table
7.4.13.1-3), csz/cnf/drt validation (TS-0004 Table 6.3.3-1, Table 6.3.4.2.8-1) and
Content-Location structured or unstructured per drt (TS-0009 6.4.4)."""
import json
import sqlite3

import pytest

from cse_harness import SP, Cse

AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("cse"))
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    for n in (1, 2, 3):
        c.add_psk("kpsa-r%d@%s" % (n, SP), "Cr%d" % n)
    c.start()
    for n in (1, 2):
        r = c.psk("POST", "/cse-in", "Cr%d" % n, "kpsa-r%d@%s" % (n, SP), AE_BODY % ("r%d" % n), ty=2)
        assert r.rsc == 2001, r
    yield c
    assert c.stop() == 0


def ae(c, n, method, path, body=None, ty=None, **kw):
    return c.psk(method, path, "Cr%d" % n, "kpsa-r%d@%s" % (n, SP), body, ty=ty, **kw)


def admin(c, method, path, body=None, ty=None, **kw):
    return c.psk(method, path, "CAdmin", "kpsa-admin@" + SP, body, ty=ty, **kw)


def mk(c, parent, wrapper, attrs, ty):
    r = admin(c, "POST", parent, json.dumps({wrapper: attrs}), ty=ty)
    assert r.rsc == 2001, r
    return r.json()[wrapper]["ri"]


def acp(c, rn, acor, acop=63):
    return mk(c, "/cse-in", "m2m:acp", {"rn": rn, "pv": {"acr": [{"acor": acor, "acop": acop}]},
                                        "pvs": {"acr": [{"acor": ["CAdmin"], "acop": 63}]}}, 1)


def members(reply):
    assert reply.rsc == 2000, reply
    return {m["fr"]: m for m in reply.json()["m2m:agr"]["m2m:rsp"]}


@pytest.fixture(scope="module")
def world(cse):
    """fo1 readable and writable by Cr1 and Cr2; fo2 the admin's alone, holding a secret; the
    admin's group fog lists both and lets Cr1 and Cr2 use its fanOutPoint."""
    read = acp(cse, "fo-read", ["Cr1", "Cr2"])
    use = acp(cse, "fo-use", ["Cr1", "Cr2"])
    mk(cse, "/cse-in", "m2m:cnt", {"rn": "fo1", "acpi": [read]}, 3)
    mk(cse, "/cse-in", "m2m:cnt", {"rn": "fo2"}, 3)
    mk(cse, "/cse-in/fo2", "m2m:cin", {"con": "fo2-secret"}, 4)
    mk(cse, "/cse-in", "m2m:grp", {"rn": "fog", "mnm": 10, "mid": ["cse-in/fo1", "cse-in/fo2"],
                                   "acpi": [use]}, 9)
    mk(cse, "/cse-in", "m2m:grp", {"rn": "fog2", "mnm": 10, "mid": ["cse-in/fo2"], "acpi": [use]}, 9)
    return use


def test_ts0004_7_4_14_retrieve_decided_per_member(cse, world):
    m = members(ae(cse, 2, "GET", "/cse-in/fog/fopt"))
    assert m["cse-in/fo1"]["rsc"] == 2000 and m["cse-in/fo1"]["pc"]["m2m:cnt"]["rn"] == "fo1"
    assert m["cse-in/fo2"]["rsc"] == 4103 and "m2m:cnt" not in m["cse-in/fo2"].get("pc", {})
    r = ae(cse, 2, "GET", "/cse-in/fog/fopt/la")
    m = members(r)
    assert m["cse-in/fo2"]["rsc"] == 4103
    assert "fo2-secret" not in r.body


def test_ts0004_7_4_14_admin_group_gives_attacker_nothing(cse, world):
    # the group was created by the admin: its creator's rights never apply to the Originator
    for path in ("/cse-in/fog2/fopt", "/cse-in/fog2/fopt/la", "/cse-in/fog2/fopt/ol"):
        r = ae(cse, 2, "GET", path)
        assert [x["rsc"] for x in members(r).values()] == [4103]
        assert "fo2-secret" not in r.body
    # no privilege on the group itself: refused as a whole
    mk(cse, "/cse-in", "m2m:grp", {"rn": "fog0", "mnm": 2, "mid": ["cse-in/fo1"]}, 9)
    assert ae(cse, 2, "GET", "/cse-in/fog0/fopt").rsc == 4103


def test_ts0004_7_4_14_create_into_two_containers(cse, world):
    m = members(ae(cse, 1, "POST", "/cse-in/fog/fopt", '{"m2m:cin":{"con":"from-r1"}}', ty=4))
    assert m["cse-in/fo1"]["rsc"] == 2001 and m["cse-in/fo2"]["rsc"] == 4103
    m = members(admin(cse, "POST", "/cse-in/fog/fopt", '{"m2m:cin":{"con":"both"}}', ty=4))
    assert m["cse-in/fo1"]["rsc"] == 2001 and m["cse-in/fo2"]["rsc"] == 2001
    for c in ("fo1", "fo2"):
        assert admin(cse, "GET", "/cse-in/%s/la" % c).json()["m2m:cin"]["con"] == "both"


def test_ts0004_7_4_14_disable_retrieval_honoured(cse, world):
    mk(cse, "/cse-in", "m2m:cnt", {"rn": "fod", "acpi": [world], "disr": True}, 3)
    mk(cse, "/cse-in/fod", "m2m:cin", {"con": "fod-hidden"}, 4)
    mk(cse, "/cse-in", "m2m:grp", {"rn": "fogd", "mnm": 2, "mid": ["cse-in/fod"], "acpi": [world]}, 9)
    for path in ("/cse-in/fogd/fopt/la", "/cse-in/fogd/fopt/ol"):
        r = ae(cse, 2, "GET", path)
        assert members(r)["cse-in/fod"]["rsc"] == 4005
        assert "fod-hidden" not in r.body


def test_ts0004_7_4_14_3_5_deleted_members_pruned(cse, world):
    mk(cse, "/cse-in", "m2m:cnt", {"rn": "fo3"}, 3)
    mk(cse, "/cse-in", "m2m:cnt", {"rn": "fo4"}, 3)
    mk(cse, "/cse-in", "m2m:grp", {"rn": "fogp", "mnm": 5, "mid": ["cse-in/fo3", "cse-in/fo4"]}, 9)
    assert admin(cse, "DELETE", "/cse-in/fo3").rsc == 2002
    # pruned by the DELETE itself: the fan-out no longer addresses fo3
    assert list(members(admin(cse, "GET", "/cse-in/fogp/fopt"))) == ["cse-in/fo4"]
    g = admin(cse, "GET", "/cse-in/fogp").json()["m2m:grp"]
    assert g["mid"] == ["cse-in/fo4"] and g["cnm"] == 1
    m = members(admin(cse, "DELETE", "/cse-in/fogp/fopt"))
    assert m["cse-in/fo4"]["rsc"] == 2002
    g = admin(cse, "GET", "/cse-in/fogp").json()["m2m:grp"]
    assert g["mid"] == [] and g["cnm"] == 0
    assert admin(cse, "GET", "/cse-in/fogp/fopt").rsc == 4109  # NO_MEMBERS


def test_ts0004_table_7_4_13_1_3_group_optionality(cse, world):
    r = admin(cse, "POST", "/cse-in", json.dumps({"m2m:grp": {"rn": "nomnm", "mid": []}}), ty=9)
    assert r.rsc == 4000 and "mnm" in r.body
    r = admin(cse, "POST", "/cse-in", json.dumps({"m2m:grp": {"rn": "nomt", "mnm": 1, "mid": []}}), ty=9)
    assert r.rsc == 2001 and r.json()["m2m:grp"]["mt"] == 0  # default MIXED


def test_ts0004_csz_cnf_drt_validated(cse):
    bad_ae = '{"m2m:ae":{"rn":"r3","api":"Nm2msec.test","rr":false,"srv":["3"],"csz":["yaml"]}}'
    assert ae(cse, 3, "POST", "/cse-in", bad_ae, ty=2).rsc == 4000
    assert ae(cse, 3, "POST", "/cse-in", bad_ae.replace("yaml", "json"), ty=2).rsc == 2001
    assert ae(cse, 3, "PUT", "/cse-in/r3", '{"m2m:ae":{"csz":[]}}').rsc == 4000
    assert ae(cse, 3, "POST", "/cse-in/r3", '{"m2m:cnt":{"rn":"v"}}', ty=3).rsc == 2001
    for cnf in ("text/plain", "text/plain:7", "text/plain:0:9", "plain:0", "text/plain; charset=x:0"):
        body = json.dumps({"m2m:cin": {"cnf": cnf, "con": "x"}})
        assert ae(cse, 3, "POST", "/cse-in/r3/v", body, ty=4).rsc == 4000, cnf
    assert ae(cse, 3, "GET", "/cse-in/r3/v").json()["m2m:cnt"]["cni"] == 0  # nothing written
    assert ae(cse, 3, "POST", "/cse-in/r3/v", '{"m2m:cin":{"cnf":"text/plain:0","con":"x"}}', ty=4).rsc == 2001
    for q in ("drt=0", "drt=3", "drt=x", "drt="):
        assert ae(cse, 3, "GET", "/cse-in/r3/v?" + q).rsc == 4000, q
        assert ae(cse, 3, "POST", "/cse-in/r3/v?" + q, '{"m2m:cin":{"con":"y"}}', ty=4).rsc == 4000, q
    assert ae(cse, 3, "GET", "/cse-in/r3/v").json()["m2m:cnt"]["cni"] == 1


def test_ts0009_6_4_4_content_location_per_drt(cse):
    r = admin(cse, "POST", "/cse-in", '{"m2m:cnt":{"rn":"loc1"}}', ty=3)
    assert r.rsc == 2001 and r.headers["content-location"] == "cse-in/loc1"  # default structured
    r = admin(cse, "POST", "/cse-in?drt=1", '{"m2m:cnt":{"rn":"loc2"}}', ty=3)
    assert r.rsc == 2001 and r.headers["content-location"] == "cse-in/loc2"
    r = admin(cse, "POST", "/cse-in?drt=2", '{"m2m:cnt":{"rn":"loc3"}}', ty=3)
    assert r.rsc == 2001 and r.headers["content-location"] == r.json()["m2m:cnt"]["ri"]
    assert r.headers["content-location"] != "cse-in/loc3"


def grp(c, rn):
    r = admin(c, "GET", "/cse-in/" + rn)
    assert r.rsc == 2000, r
    return r.json()["m2m:grp"]


def index_rows(c, grp_ri):
    db = sqlite3.connect("file:%s?mode=ro" % c.path("cse.db"), uri=True, timeout=30)
    try:
        return db.execute("SELECT mid, member_ri FROM grp_member WHERE grp_ri = ?", (grp_ri,)).fetchall()
    finally:
        db.close()


def test_ts0004_7_4_13_member_deleted_directly_is_pruned_at_once(cse, world):
    """A member deleted by a plain DELETE leaves mid and cnm in the same transaction, whatever ID
    form the group used for it (resourceID, structured, SP-relative); no fan-out involved."""
    a = mk(cse, "/cse-in", "m2m:cnt", {"rn": "pd1"}, 3)
    mk(cse, "/cse-in", "m2m:cnt", {"rn": "pd2"}, 3)
    mk(cse, "/cse-in", "m2m:cnt", {"rn": "pd3"}, 3)
    mk(cse, "/cse-in", "m2m:cnt", {"rn": "pdk"}, 3)
    mid = [a, "cse-in/pd2", "/id-in/cse-in/pd3", "cse-in/pdk", "//elsewhere.example.com/id-x/cnt1"]
    g0 = mk(cse, "/cse-in", "m2m:grp", {"rn": "gpd", "mnm": 9, "mid": mid}, 9)
    assert grp(cse, "gpd")["cnm"] == 5
    for rn, left in (("pd1", mid[1:]), ("pd2", mid[2:]), ("pd3", mid[3:])):
        before = grp(cse, "gpd")
        assert admin(cse, "DELETE", "/cse-in/" + rn).rsc == 2002
        g = grp(cse, "gpd")
        assert g["mid"] == left and g["cnm"] == len(left), rn
        assert g["lt"] >= before["lt"]
    assert [r[0] for r in index_rows(cse, g0)] == ["cse-in/pdk"]


def test_ts0004_7_4_13_subtree_delete_prunes_every_member(cse, world):
    mk(cse, "/cse-in", "m2m:cnt", {"rn": "pp"}, 3)
    mk(cse, "/cse-in/pp", "m2m:cnt", {"rn": "m1"}, 3)
    m2 = mk(cse, "/cse-in/pp/m1", "m2m:cnt", {"rn": "m2"}, 3)
    mk(cse, "/cse-in", "m2m:cnt", {"rn": "ppk"}, 3)
    mk(cse, "/cse-in", "m2m:grp", {"rn": "gpp", "mnm": 5, "mid": ["cse-in/pp/m1", m2, "cse-in/ppk"]}, 9)
    mk(cse, "/cse-in", "m2m:grp", {"rn": "gpp2", "mnm": 5, "mid": ["cse-in/pp/m1"]}, 9)
    assert admin(cse, "DELETE", "/cse-in/pp").rsc == 2002
    g = grp(cse, "gpp")
    assert g["mid"] == ["cse-in/ppk"] and g["cnm"] == 1
    g = grp(cse, "gpp2")
    assert g["mid"] == [] and g["cnm"] == 0
    assert admin(cse, "GET", "/cse-in/gpp2/fopt").rsc == 4109  # NO_MEMBERS, without a fan-out


def test_ts0004_7_4_13_member_index_follows_update_and_group_delete(cse, world):
    mk(cse, "/cse-in", "m2m:cnt", {"rn": "iu1"}, 3)
    mk(cse, "/cse-in", "m2m:cnt", {"rn": "iu2"}, 3)
    g0 = mk(cse, "/cse-in", "m2m:grp", {"rn": "giu", "mnm": 5, "mid": ["cse-in/iu1"]}, 9)
    assert [r[0] for r in index_rows(cse, g0)] == ["cse-in/iu1"]
    assert admin(cse, "PUT", "/cse-in/giu", '{"m2m:grp":{"mid":["cse-in/iu2"]}}').rsc == 2004
    assert [r[0] for r in index_rows(cse, g0)] == ["cse-in/iu2"]
    # iu1 left the group by the UPDATE: deleting it changes nothing there
    lt = grp(cse, "giu")["lt"]
    assert admin(cse, "DELETE", "/cse-in/iu1").rsc == 2002
    g = grp(cse, "giu")
    assert g["mid"] == ["cse-in/iu2"] and g["cnm"] == 1 and g["lt"] == lt
    assert admin(cse, "DELETE", "/cse-in/giu").rsc == 2002
    assert index_rows(cse, g0) == []
    assert admin(cse, "DELETE", "/cse-in/iu2").rsc == 2002  # no group left to update
