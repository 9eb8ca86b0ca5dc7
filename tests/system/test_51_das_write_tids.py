# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of direct dynamic authorization for writes (TS-0003 clause 7.3.2.2, TS-0004
§7.5.1.2.10; docs/procedures/das.md "Direct dynamic authorization at the CSE"): a CREATE, UPDATE
or DELETE denied by the target's ACPs is decided on the CSE's writer thread; it is consulted for
like a RETRIEVE, and a verified grant runs it again exactly once (the same RSC as an ACP grant,
one resource written); a DAS saying no, or down, or silent: 4103 and nothing written, while the
CSE goes on serving reads and writes of others.

Real processes: the CSE (cse_harness) and the DAS (`m2msec das`) on one test PKI, the harness of
test_47_das_direct.py.
"""
import json
import threading

import pytest

from cse_harness import free_port
from fake_tls import FakeTlsServer
from test_47_das_direct import CseDas, claims_of, dreq

VISITOR = "//sp.example.com/id-in/Cvisitor"
AE1 = "//sp.example.com/id-in/Cae1"

POLICY = """grant //sp.example.com/id-in/Cvisitor /id-in/cse-in/wc create 1h
grant //sp.example.com/id-in/Cvisitor /id-in/cse-in/wu update 1h
grant //sp.example.com/id-in/Cvisitor /id-in/cse-in/wd/* delete 1h
grant //sp.example.com/id-in/Cae1 /id-in/cse-in/tidc retrieve 10m
"""
CIN = '{"m2m:cin":{"con":"v"}}'


@pytest.fixture(scope="module")
def env(m2msec_bin, tmp_path_factory):
    e = CseDas(m2msec_bin, tmp_path_factory.mktemp("dawrite"), policy=POLICY)
    yield e
    assert e.stop() == 0


def cni(env, rn):
    r = env.admin("GET", "/cse-in/" + rn)
    assert r.rsc == 2000, r
    return r.json()["m2m:cnt"]["cni"]


def test_create_granted_by_das_creates_exactly_one(env):
    """CREATE denied by ACP (the parent's), granted through direct DA: 2001 and exactly one
    <contentInstance>; the child ACP then permits the next CREATE without a consultation."""
    env.cnt("wc")
    r = env.as_("Cvisitor", "POST", "/cse-in/wc", CIN, ty=4)
    assert r.rsc == 2001, r
    assert r.json()["m2m:cin"]["con"] == "v"
    assert cni(env, "wc") == 1
    (a,) = env.dynamic_acps("wc")
    assert a["pv"] == {"acr": [{"acor": [VISITOR], "acop": 1}]}
    audits = env.das.audits(1, "/id-in/cse-in/wc")
    assert [(x["outcome"], x["op"]) for x in audits] == [("granted", 1)]
    assert env.as_("Cvisitor", "POST", "/cse-in/wc", CIN, ty=4).rsc == 2001
    assert cni(env, "wc") == 2
    assert len(env.das.audits(0, "/id-in/cse-in/wc")) == 1  # decided by the child ACP


def test_update_granted_by_das(env):
    env.cnt("wu")
    r = env.as_("Cvisitor", "PUT", "/cse-in/wu", '{"m2m:cnt":{"lbl":["granted"]}}')
    assert r.rsc == 2004, r
    r = env.admin("GET", "/cse-in/wu")
    assert r.json()["m2m:cnt"]["lbl"] == ["granted"]
    assert [x["outcome"] for x in env.das.audits(1, "/id-in/cse-in/wu")] == ["granted"]


def test_delete_granted_by_das(env):
    """DELETE of a child without daci: the parent's daci (m2msec's system policy)."""
    env.cnt("wd")
    r = env.admin("POST", "/cse-in/wd", json.dumps({"m2m:cnt": {"rn": "x", "acpi": [env.acp_ri]}}), ty=3)
    assert r.rsc == 2001, r
    r = env.as_("Cvisitor", "DELETE", "/cse-in/wd/x")
    assert r.rsc == 2002, r
    assert env.admin("GET", "/cse-in/wd/x").rsc == 4004
    assert [x["outcome"] for x in env.das.audits(1, "/id-in/cse-in/wd/x")] == ["granted"]


def test_das_saying_no_writes_nothing(env):
    """No rule for this container or this operation: 4103, nothing written, no ACP."""
    env.cnt("wno")
    assert env.as_("Cvisitor", "POST", "/cse-in/wno", CIN, ty=4).rsc == 4103
    assert env.as_("Cvisitor", "PUT", "/cse-in/wno", '{"m2m:cnt":{"lbl":["no"]}}').rsc == 4103
    assert env.as_("Cvisitor", "DELETE", "/cse-in/wno").rsc == 4103
    assert env.as_("Cstranger", "POST", "/cse-in/wc", CIN, ty=4).rsc == 4103  # another originator
    r = env.admin("GET", "/cse-in/wno")
    assert r.rsc == 2000 and r.json()["m2m:cnt"]["cni"] == 0 and "lbl" not in r.json()["m2m:cnt"]
    assert env.dynamic_acps("wno") == []
    assert [x["outcome"] for x in env.das.audits(3, "/id-in/cse-in/wno")] == ["not-granted"] * 3


def test_das_down_write_is_4103(env):
    env.dac("dacDownW", free_port())  # nothing listens there
    env.cnt("wdown", dac="dacDownW")
    assert env.as_("Cvisitor", "POST", "/cse-in/wdown", CIN, ty=4).rsc == 4103
    assert cni(env, "wdown") == 0


def test_slow_das_write_is_4103_and_others_write_meanwhile(env):
    """A DAS that never answers: the write gets 4103 at das-timeout (1.5 s) and nothing is
    written, while the writer thread and the loops go on serving others' reads and writes."""
    release = threading.Event()
    fake = FakeTlsServer(env.cse, "slowdasw", "IP:127.0.0.1", lambda h: release.wait(20))
    try:
        env.dac("dacSlowW", fake.port)
        env.cnt("wslow", dac="dacSlowW")
        out = {}
        t = threading.Thread(target=lambda: out.setdefault(
            "r", env.as_("Cvisitor", "POST", "/cse-in/wslow", CIN, ty=4)))
        t.start()
        served = [env.admin("POST", "/cse-in/wslow", CIN, ty=4).rsc for _ in range(3)]
        served.append(env.admin("GET", "/cse-in/wslow").rsc)
        t.join(30)
        assert served == [2001, 2001, 2001, 2000]
        assert out["r"].rsc == 4103, out
        assert cni(env, "wslow") == 3  # the administrator's three, none of the visitor's
    finally:
        release.set()
        fake.stop()


# ---- tids of tokens the CSE does not hold (TS-0003 clause 7.3.2.3 step 5) ---------------------

def das_token(env):
    """Cae1 obtains a token from the DAS's token endpoint (its own certificate); the DAS
    remembers it by its ID."""
    env.das.c = type("C", (), {"path": env.cse.path, "bin": env.cse.bin})()  # ae1.* live in the CSE dir
    rsc, body = env.das.notify("ae1", dreq(**{"or": AE1, "trid": "/id-in/cse-in/tidc"}), fr=AE1,
                               to="/id-in/Cdas/token")
    assert rsc == 2000, body
    return claims_of(body["m2m:seci"]["dres"]["tkns"][0])["jti"]


@pytest.fixture(scope="module")
def tid(env):
    env.cnt("tidc")
    return das_token(env)


def test_tids_of_a_das_token_permitted(env, tid):
    """The CSE holds no <token> of that ID: it asks the DAS (NOTIFY seci sit 1, dreq tids), the
    DAS answers the token (sit 2, tkns), the CSE verifies it (holder = Cae1) and permits; nothing
    is stored (no child ACP: the token decided)."""
    before = len(env.das.audits(0, "/id-in/cse-in/tidc"))
    r = env.as_("Cae1", "GET", "/cse-in/tidc?tids=" + tid)
    assert r.rsc == 2000, r
    got = env.das.audits(before + 1, "/id-in/cse-in/tidc")[before:]
    assert [x["outcome"] for x in got] == ["tokens-by-id"]
    assert env.dynamic_acps("tidc") == []


def test_unknown_tid_is_4103(env, tid):
    before = len(env.das.audits(0, "/id-in/cse-in/tidc"))
    r = env.as_("Cae1", "GET", "/cse-in/tidc?tids=0123456789abcdef0123456789abcdef@sp.example.com")
    assert r.rsc == 4103, r
    got = env.das.audits(before + 1, "/id-in/cse-in/tidc")[before:]
    assert [x["outcome"] for x in got] == ["not-granted"]


def test_tid_of_another_originator_is_4103(env, tid):
    """The DAS gives the token (it is for this CSE), but its holder is Cae1: the CSE refuses it
    for Cstranger (TS-0003 7.3.2.3 step 7.1.3)."""
    r = env.as_("Cstranger", "GET", "/cse-in/tidc?tids=" + tid)
    assert r.rsc == 4103, r


def test_tids_with_das_down_is_4103(env, tid):
    env.dac("dacDownT", free_port())
    env.cnt("tiddown", dac="dacDownT")
    assert env.as_("Cae1", "GET", "/cse-in/tiddown?tids=" + tid).rsc == 4103
