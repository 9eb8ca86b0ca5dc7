# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of the Dynamic Authorization Server `m2msec das --config FILE` (TS-0003 clause
7.3.2.2 direct and 7.3.2.3 indirect dynamic authorization; TS-0004 §7.5.1.2.10 and Tables
6.3.5.46-1 dreq, 6.3.5.47-1 dres, 6.3.5.48-1 seci, short names §8.2.5; docs/procedures/das.md).

The DAS runs on loopback with mutual TLS; the clients are `openssl s_client` with certificates of
the test CA: a CSE (DNS SAN id-in.sp.example.com = //sp.example.com/id-in), an AE
(m2m://sp.example.com/id-in/Cae1). Tokens are checked by `m2msec das token verify` (the CSE's
verifier) and decoded independently here.
"""
import base64
import datetime
import json
import os
import shutil
import subprocess
import threading
import time

import pytest

from cse_harness import SP, build_request, free_port, parse_http, wait_port
from fake_tls import FakeTlsServer, send_json
from svc_harness import make_pki

DAS_ID = "//sp.example.com/id-in/Cdas"
CSE = "//sp.example.com/id-in"
VISITOR = "//sp.example.com/id-in/Cvisitor"
AE1 = "//sp.example.com/id-in/Cae1"

POLICY = """# grant ORIGINATOR RESOURCE PRIVILEGES LIFETIME [role=ROLE-IDS]
grant //sp.example.com/id-in/Cvisitor /id-in/cnt-* retrieve 1h
grant //sp.example.com/id-in/Cae1 /id-in/cnt-1 retrieve,update 600
grant //sp.example.com/id-in/Cop* /id-in/* 63 10m role=admin@sp.example.com
"""


class Das:
    def __init__(self, c, policy=POLICY, extra=""):
        self.c, self.port, self.proc = c, free_port(), None
        self.ini, self.log = c.path("das.ini"), c.path("das.log")
        with open(c.path("policy.txt"), "w") as f:
            f.write(policy)
        with open(self.ini, "w") as f:
            f.write("[das]\ndas-id = %s\nhttps-listen = 127.0.0.1:%d\nstore = %s\ncert = %s\nkey = %s\n"
                    "trust-anchors = %s\npolicy = %s\nlog-file = %s\nthreads = 2\nmax-token-lifetime = 3600\n%s" % (
                        DAS_ID, self.port, c.path("das.db"), c.path("server.crt"), c.path("server.key"),
                        c.path("ca/ca.crt"), c.path("policy.txt"), self.log, extra))

    def start(self):
        self.proc = subprocess.Popen([self.c.bin, "das", "--config", self.ini], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        wait_port(self.port, self.proc)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None

    def audits(self, at_least=0, resource=None):
        """The audit lines (of resource, when given); the log sink writes from its own thread, so
        wait (bounded, not a timing assertion) until at_least of them are there."""
        deadline = time.monotonic() + 15
        while True:
            try:
                with open(self.log) as f:
                    got = [j for j in (json.loads(ln) for ln in f if ln.strip()) if j.get("msg") == "das audit"]
            except FileNotFoundError:
                got = []
            if resource is not None:
                got = [j for j in got if j.get("resource") == resource]
            if len(got) >= at_least or time.monotonic() > deadline:
                return got
            time.sleep(0.05)

    def notify(self, who, body, fr=CSE, to="/id-in/Cdas", rqi="dq1"):
        """One NOTIFY over mutual TLS with the client certificate who (file stem)."""
        h = {"X-M2M-RI": rqi, "X-M2M-RVI": "3", "X-M2M-Origin": fr, "Content-Type": "application/json;ty=0"}
        h["Content-Type"] = "application/json"
        raw = build_request("POST", to, h, body if isinstance(body, str) else json.dumps(body))
        cmd = ["openssl", "s_client", "-quiet", "-CAfile", self.c.path("ca/ca.crt"), "-connect",
               "127.0.0.1:%d" % self.port]
        if who is not None:
            cmd[3:3] = ["-cert", self.c.path(who + ".crt"), "-key", self.c.path(who + ".key")]
        r = subprocess.run(cmd, input=raw, capture_output=True, timeout=30)
        i = r.stdout.find(b"HTTP/1.1 ")
        if i < 0:
            assert who is None, r.stderr
            return None, r.stderr  # the handshake was refused
        status, headers, text = parse_http(r.stdout[i:])
        return int(headers.get("x-m2m-rsc", "0")), (json.loads(text) if text else None)


def dreq(**over):
    d = {"or": VISITOR, "op": 2, "trid": "/id-in/cnt-1", "trt": 3}
    d.update(over)
    return {"m2m:seci": {"sit": 1, "dreq": {k: v for k, v in d.items() if v is not None}}}


def claims_of(token):
    p = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


@pytest.fixture
def das(m2msec_bin, tmp_path):
    c = make_pki(m2msec_bin, tmp_path, "das.sp.example.com",
                 [("cse", "id-in.sp.example.com"), ("ae1", "m2m://sp.example.com/id-in/Cae1"),
                  ("cse2", "id-other.sp.example.com")])
    d = Das(c).start()
    yield d
    d.stop()


def verify(das, token, holder, audience=CSE):
    return subprocess.run([das.c.bin, "das", "token", "verify", "--config", das.ini, "--audience", audience,
                           "--holder", holder, token], capture_output=True, text=True, timeout=30)


def test_consultation_granted(das):
    """TS-0003 7.3.2.2 step 3: dai (gp, pl) and one ES256 token, holder = the originator,
    audience = only the consulting CSE; one audit line."""
    rsc, body = das.notify("cse", dreq(ppl=120000))
    assert rsc == 2000, body
    seci = body["m2m:seci"]
    assert seci["sit"] == 2 and set(seci) == {"sit", "dres"}
    dres = seci["dres"]
    assert dres["dai"]["gp"] == {"acr": [{"acor": [VISITOR], "acop": 2}]}
    assert len(dres["dai"]["pl"]) == 15 and dres["dai"]["pl"][8] == "T"
    assert len(dres["tkns"]) == 1
    c = claims_of(dres["tkns"][0])
    assert c["azp"] == VISITOR and c["aud"] in ([CSE], CSE) and c["iss"] == DAS_ID
    assert c["exp"] - c["nbf"] == 120  # ppl (120 s) below the rule's 1 h
    assert c["tkps"]["pm"][0]["ris"] == ["/id-in/cnt-1"]
    assert verify(das, dres["tkns"][0], VISITOR).returncode == 0
    assert verify(das, dres["tkns"][0], AE1).returncode == 2  # holder is the visitor only
    a = das.audits(1)
    assert len(a) == 1 and a[0]["outcome"] == "granted" and a[0]["rule_line"] == 2 and a[0]["acop"] == 2
    assert a[0]["client"] == CSE and "tkns" not in json.dumps(a[0]) and dres["tkns"][0] not in json.dumps(a)


def test_sp_relative_from_and_originator(das):
    rsc, body = das.notify("cse", dreq(**{"or": "/id-in/Cvisitor"}), fr="/id-in")
    assert rsc == 2000 and claims_of(body["m2m:seci"]["dres"]["tkns"][0])["azp"] == VISITOR


def test_policy_not_granting(das):
    """No rule: sit 2 with an empty dres (the CSE grants nothing: 4103 to its originator)."""
    for q in (dreq(op=3), dreq(trid="/id-in/acp-1"), dreq(**{"or": "//sp.example.com/id-in/Cstranger"}),
              dreq(**{"or": "//sp.example.com/id-in/Cop1"}),  # role= rule without the role
              dreq(**{"or": "//sp.example.com/id-in/Cop1", "orid": ["other@sp.example.com"]})):
        rsc, body = das.notify("cse", q)
        assert rsc == 2000 and body == {"m2m:seci": {"sit": 2, "dres": {}}}, (q, body)
    assert [a["outcome"] for a in das.audits(5)] == ["not-granted"] * 5


def test_role_rule(das):
    rsc, body = das.notify("cse", dreq(**{"or": "//sp.example.com/id-in/Cop1", "orid": ["admin@sp.example.com"],
                                          "op": 4}))
    assert rsc == 2000 and body["m2m:seci"]["dres"]["dai"]["gp"]["acr"][0]["acop"] == 63


def test_non_cse_client_refused(das):
    """Only a CSE authenticated by its certificate consults (an AE's certificate: 4103)."""
    rsc, _ = das.notify("ae1", dreq(), fr=AE1)
    assert rsc == 4103
    a = das.audits(1)
    assert a[-1]["outcome"] == "refused" and a[-1]["rsc"] == 4103


def test_no_client_certificate_refused(das):
    """Mutual TLS: without a client certificate the handshake itself fails (no primitive)."""
    rsc, err = das.notify(None, dreq())
    assert rsc is None and b"certificate required" in err
    assert das.audits() == []


def test_from_not_the_authenticated_cse(das):
    rsc, _ = das.notify("cse2", dreq(), fr=CSE)
    assert rsc == 4103


@pytest.mark.parametrize("body", [
    "not json", {"m2m:seci": {"sit": 2, "dres": {}}}, {"m2m:seci": {"sit": 1}},
    dreq(op=9), dreq(trid=None), dreq(**{"or": None}), dreq(bogus=1), dreq(orid="notalist"),
    dreq(oip={"ip4": "10.0.0.1", "ip6": "::1"}), dreq(ppl="20200101T000000"),
    {"m2m:seci": {"sit": 1, "dreq": {"or": VISITOR, "op": 2, "trid": "/id-in/cnt-1"}, "x": 1}},
])
def test_garbage_consultation(das, body):
    rsc, _ = das.notify("cse", body)
    assert rsc in (4000, 4102) if body == "not json" else rsc == 4000


def test_operation_other_than_notify(das):
    raw = build_request("GET", "/id-in/Cdas", {"X-M2M-RI": "g1", "X-M2M-RVI": "3", "X-M2M-Origin": CSE})
    r = subprocess.run(["openssl", "s_client", "-quiet", "-CAfile", das.c.path("ca/ca.crt"), "-cert",
                        das.c.path("cse.crt"), "-key", das.c.path("cse.key"), "-connect", "127.0.0.1:%d" % das.port],
                       input=raw, capture_output=True, timeout=30)
    _, h, _ = parse_http(r.stdout[r.stdout.find(b"HTTP/1.1 "):])
    assert h["x-m2m-rsc"] == "4005"


def test_token_endpoint(das):
    """Indirect DA (m2msec's token request, docs/procedures/das.md): an AE asks for itself."""
    rsc, body = das.notify("ae1", dreq(**{"or": AE1, "op": 3}), fr=AE1, to="/id-in/Cdas/token")
    assert rsc == 2000, body
    dres = body["m2m:seci"]["dres"]
    assert "dai" not in dres and len(dres["tkns"]) == 1
    c = claims_of(dres["tkns"][0])
    assert c["azp"] == AE1 and c["aud"] in ([CSE], CSE) and c["exp"] - c["nbf"] == 600
    assert c["tkps"]["pm"][0]["pv"]["acr"][0]["acop"] == 6
    assert verify(das, dres["tkns"][0], AE1).returncode == 0
    # for somebody else, not granted, a CSE-relative trid (no audience): refused
    assert das.notify("ae1", dreq(), fr=AE1, to="/id-in/Cdas/token")[0] == 4103
    assert das.notify("ae1", dreq(**{"or": AE1, "op": 4}), fr=AE1, to="/id-in/Cdas/token")[0] == 4103
    assert das.notify("ae1", dreq(**{"or": AE1, "trid": "cnt-1"}), fr=AE1, to="/id-in/Cdas/token")[0] == 4000
    assert [a["outcome"] for a in das.audits(4)] == ["granted", "refused", "refused", "refused"]


@pytest.mark.parametrize("policy,line,what", [
    ("grant a b retrieve 1h\nallow a b 2 1h\n", 2, "unknown directive"),
    ("\n\ngrant a b fly 1h\n", 3, "privileges"),
    ("grant a b 64 1h\n", 1, "privileges"),
    ("grant a b 2 0\n", 1, "lifetime"),
    ("grant a b 2 400d\n", 1, "lifetime"),
    ("grant a b 2\n", 1, "expected grant"),
    ("grant a b 2 1h roles=x@y\n", 1, "role="),
    ("# ok\ngrant a b 2 1h role=r*@x\n", 2, "role="),
])
def test_policy_errors_named_by_line(m2msec_bin, tmp_path, policy, line, what):
    c = make_pki(m2msec_bin, tmp_path, "das.sp.example.com", [])
    d = Das(c, policy=policy)
    r = subprocess.run([c.bin, "das", "--config", d.ini, "--check"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r.stderr
    assert "policy" in r.stderr and "line %d:" % line in r.stderr and what in r.stderr, r.stderr


def test_check_ok_and_missing_policy(m2msec_bin, tmp_path):
    c = make_pki(m2msec_bin, tmp_path, "das.sp.example.com", [])
    d = Das(c)
    r = subprocess.run([c.bin, "das", "--config", d.ini, "--check"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "configuration ok" in r.stdout, r.stderr
    text = open(d.ini).read().replace(c.path("policy.txt"), c.path("nope.txt"))
    with open(d.ini, "w") as f:
        f.write(text)
    r = subprocess.run([c.bin, "das", "--config", d.ini, "--check"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "no such file" in r.stderr, r.stderr


# ---- the Hosting CSE: direct dynamic authorization end to end (TS-0004 §7.5.1.2.10) -----------

CSE_POLICY = """grant //sp.example.com/id-in/Cvisitor /id-in/cse-in/box retrieve 1h
grant //sp.example.com/id-in/Cvisitor /id-in/cse-in/short retrieve 3s
grant //sp.example.com/id-in/Cae1 /id-in/cse-in/other retrieve 10m
"""
AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'


class CseDas:
    """A real CSE (cse_harness) and a real DAS on one test PKI: the CSE's certificate
    (id-in.sp.example.com) is its das-cert, the DAS's certificate names IP 127.0.0.1 (its dap URL)."""

    def __init__(self, m2msec_bin, tmp, policy=None):
        from cse_harness import Cse
        c = self.cse = Cse(m2msec_bin, tmp)
        c.setup_pki()
        c.m2m("ca", "issue", "--dir", c.path("ca"), "--san", "das.sp.example.com", "--san", "IP:127.0.0.1",
              "--out", c.path("dascert"))
        c.issue("ae1", "m2m://sp.example.com/id-in/Cae1")
        c.add_psk("kpsa-admin@" + SP, "CAdmin")
        for who in ("Cvisitor", "Cae1", "Cstranger"):
            c.add_psk("kpsa-%s@%s" % (who, SP), who)
        with open(c.path("das-trust"), "w") as f:
            f.write("%s %s\n" % (DAS_ID, c.path("dascert.crt")))
        shim = type("C", (), {"path": c.path, "bin": c.bin})()
        for ext in ("crt", "key"):  # Das() reads server.* of its directory: give it the DAS's own
            os.makedirs(c.path("das"), exist_ok=True)
            shutil.copy(c.path("dascert." + ext), c.path("das/server." + ext))
        os.makedirs(c.path("das/ca"), exist_ok=True)
        shutil.copy(c.path("ca/ca.crt"), c.path("das/ca/ca.crt"))
        shim.path = lambda n: os.path.join(c.path("das"), n)
        self.das = Das(shim, policy=CSE_POLICY if policy is None else policy)
        self.das.start()
        c.start("das-trust = %s\ndas-ca = %s\ndas-cert = %s\ndas-key = %s\ndas-timeout = 1500\n" % (
            c.path("das-trust"), c.path("ca/ca.crt"), c.path("server.crt"), c.path("server.key")))
        for who in ("Cvisitor", "Cae1", "Cstranger"):
            r = self.as_(who, "POST", "/cse-in", AE_BODY % who[1:].lower(), ty=2)
            assert r.rsc == 2001, r
        # an ACP that lets only the administrator in: every other originator is denied by ACP
        acp = {"m2m:acp": {"rn": "acpOnlyAdmin", "pv": {"acr": [{"acor": ["CAdmin"], "acop": 63}]},
                           "pvs": {"acr": [{"acor": ["CAdmin"], "acop": 63}]}}}
        r = self.admin("POST", "/cse-in", json.dumps(acp), ty=1)
        assert r.rsc == 2001, r
        self.acp_ri = r.json()["m2m:acp"]["ri"]
        self.dac("dac1", self.das.port)

    def dac(self, rn, port, dae=True):
        r = self.admin("POST", "/cse-in", json.dumps({"m2m:dac": {
            "rn": rn, "dae": dae, "dap": ["https://127.0.0.1:%d/id-in/Cdas" % port]}}), ty=34)
        assert r.rsc == 2001, r

    def cnt(self, rn, dac="dac1"):
        body = {"m2m:cnt": {"rn": rn, "acpi": [self.acp_ri]}}
        if dac:
            body["m2m:cnt"]["daci"] = ["cse-in/" + dac]
        r = self.admin("POST", "/cse-in", json.dumps(body), ty=3)
        assert r.rsc == 2001, r
        return r.json()["m2m:cnt"]["ri"]

    def admin(self, method, path, body=None, ty=None):
        return self.as_("CAdmin", method, path, body, ty=ty)

    def as_(self, who, method, path, body=None, ty=None, headers=None):
        return self.cse.psk(method, path, who, "kpsa-%s@%s" % ("admin" if who == "CAdmin" else who, SP), body,
                            ty=ty, headers=headers)

    def dynamic_acps(self, rn):
        r = self.admin("GET", "/cse-in/%s?rcn=4" % rn)
        assert r.rsc == 2000, r
        return [a for a in r.json()["m2m:cnt"].get("m2m:acp", [])]

    def stop(self):
        self.das.stop()
        return self.cse.stop()


@pytest.fixture(scope="module")
def env(m2msec_bin, tmp_path_factory):
    e = CseDas(m2msec_bin, tmp_path_factory.mktemp("dda"))
    yield e
    assert e.stop() == 0


def test_direct_da_grants_and_creates_the_child_acp(env):
    """Denied by ACP, granted by the DAS: the child <accessControlPolicy> (pv = gp, et = pl, pvs =
    only this CSE, TS-0004 §7.5.1.2.10) appears and later requests need no consultation."""
    env.cnt("box")
    box = "/id-in/cse-in/box"
    r = env.as_("Cvisitor", "GET", "/cse-in/box")
    assert r.rsc == 2000, r
    assert r.json()["m2m:cnt"]["rn"] == "box"
    acps = env.dynamic_acps("box")
    assert len(acps) == 1, acps
    a = acps[0]
    assert a["pv"] == {"acr": [{"acor": [VISITOR], "acop": 2}]}
    assert a["pvs"] == {"acr": [{"acor": [CSE], "acop": 14}]} and a["lbl"] == ["m2msec:dynAuth"]
    assert len(a["et"]) == 15 and a["et"] > a["ct"]
    a = env.das.audits(1, box)
    assert [x["outcome"] for x in a] == ["granted"] and a[0]["client"] == CSE
    assert env.as_("Cvisitor", "GET", "/cse-in/box").rsc == 2000
    # the grant is RETRIEVE only: an UPDATE is denied by the ACP and consulted for (a write, on
    # the writer thread: test_51), which the DAS policy does not grant
    r = env.as_("Cvisitor", "PUT", "/cse-in/box", '{"m2m:cnt":{"lbl":["x"]}}')
    assert r.rsc == 4103, r
    # another originator gets nothing from the visitor's ACP; the DAS policy grants it nothing
    assert env.as_("Cstranger", "GET", "/cse-in/box").rsc == 4103
    a = env.das.audits(3, box)  # the visitor's second GET was decided by the ACP: no consultation
    assert [(x["outcome"], x["originator"], x["op"]) for x in a] == [
        ("granted", VISITOR, 2), ("not-granted", VISITOR, 3), ("not-granted", "//sp.example.com/id-in/Cstranger", 2)]


def test_no_consultation_without_daci_or_with_dae_false(env):
    env.cnt("nodaci", dac=None)
    assert env.as_("Cvisitor", "GET", "/cse-in/nodaci").rsc == 4103
    env.dac("dacOff", env.das.port, dae=False)
    env.cnt("off", dac="dacOff")
    assert env.as_("Cvisitor", "GET", "/cse-in/off").rsc == 4103
    assert env.das.audits(0, "/id-in/cse-in/nodaci") == [] and env.das.audits(0, "/id-in/cse-in/off") == []


def test_grant_expires(env):
    """The child ACP's expirationTime is the privilegesLifetime (3 s by the policy): after it, the
    grant is gone; with the DAS stopped nothing renews it."""
    env.cnt("short")
    assert env.as_("Cvisitor", "GET", "/cse-in/short").rsc == 2000
    (a,) = env.dynamic_acps("short")
    et = datetime.datetime.strptime(a["et"], "%Y%m%dT%H%M%S").replace(tzinfo=datetime.timezone.utc)
    env.das.stop()
    try:
        while datetime.datetime.now(datetime.timezone.utc) <= et + datetime.timedelta(seconds=1):
            time.sleep(0.2)
        assert env.as_("Cvisitor", "GET", "/cse-in/short").rsc == 4103
        assert env.admin("GET", "/cse-in/short/" + a["rn"]).rsc == 4004
    finally:
        env.das.start()


def test_das_down_is_4103(env):
    port = free_port()  # nothing listens there
    env.dac("dacDown", port)
    env.cnt("down", dac="dacDown")
    assert env.as_("Cvisitor", "GET", "/cse-in/down").rsc == 4103


def test_slow_das_is_4103_and_others_are_served(env):
    """A DAS that never answers: the request gets 4103 when das-timeout (1.5 s) expires, and the
    CSE serves other requests meanwhile (the consultation never blocks a loop)."""
    release = threading.Event()
    fake = FakeTlsServer(env.cse, "slowdas", "IP:127.0.0.1", lambda h: release.wait(20))
    try:
        env.dac("dacSlow", fake.port)
        env.cnt("slow", dac="dacSlow")
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("r", env.as_("Cvisitor", "GET", "/cse-in/slow")))
        t.start()
        served = [env.admin("GET", "/cse-in/slow").rsc for _ in range(3)]
        t.join(30)
        assert served == [2000, 2000, 2000]
        assert out["r"].rsc == 4103, out
    finally:
        release.set()
        fake.stop()


def fake_das(env, name, answer):
    """A fake DAS (the real DAS's certificate is not needed: the CSE checks the answer's tokens
    against das-trust) answering every NOTIFY with answer(request JSON) as 2000."""
    def post(h):
        n = int(h.headers.get("Content-Length", "0"))
        req = json.loads(h.rfile.read(n))
        send_json(h, 2000, answer(req))
    srv = FakeTlsServer(env.cse, name, "IP:127.0.0.1", None, do_post=post)
    env.dac("dac" + name, srv.port)
    return srv


def issue(env, holder, resource, audience=CSE):
    r = subprocess.run([env.cse.bin, "das", "token", "issue", "--config", env.das.ini, "--holder", holder,
                        "--audience", audience, "--resource", resource, "--op", "2", "--lifetime", "600"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def pl():
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime("%Y%m%dT%H%M%S")


@pytest.mark.parametrize("case", ["garbage", "sit1", "error_dbg", "other_holder_token", "other_audience",
                                  "gp_for_someone_else", "unsigned_token", "other_resource_token", "empty"])
def test_bad_das_answers_are_4103(env, case):
    """Garbage, a wrong sit, a token for another holder or CSE or resource, a grant for another
    originator (an answer for another request): nothing is granted and no ACP is created."""
    gp = {"acr": [{"acor": [VISITOR], "acop": 2}]}
    rn = "bad" + case.replace("_", "")

    def answer(req):
        trid = req["m2m:seci"]["dreq"]["trid"]
        good = issue(env, VISITOR, trid)
        return {
            "garbage": {"hello": "world"},
            "sit1": {"m2m:seci": {"sit": 1, "dres": {"dai": {"gp": gp, "pl": pl()}}}},
            "error_dbg": {"m2m:dbg": "nope"},
            "other_holder_token": {"m2m:seci": {"sit": 2, "dres": {"dai": {"gp": gp, "pl": pl()},
                                                                  "tkns": [issue(env, AE1, trid)]}}},
            "other_audience": {"m2m:seci": {"sit": 2, "dres": {
                "dai": {"gp": gp, "pl": pl()}, "tkns": [issue(env, VISITOR, trid, "//sp.example.com/id-*")]}}},
            "gp_for_someone_else": {"m2m:seci": {"sit": 2, "dres": {
                "dai": {"gp": {"acr": [{"acor": [AE1], "acop": 2}]}, "pl": pl()}}}},
            "unsigned_token": {"m2m:seci": {"sit": 2, "dres": {
                "dai": {"gp": gp, "pl": pl()}, "tkns": [good.rsplit(".", 1)[0] + "."]}}},
            "other_resource_token": {"m2m:seci": {"sit": 2, "dres": {
                "dai": {"gp": gp, "pl": pl()}, "tkns": [issue(env, VISITOR, "/id-in/cse-in/box")]}}},
            "empty": {"m2m:seci": {"sit": 2, "dres": {}}},
        }[case]
    fake = fake_das(env, case.replace("_", ""), answer)
    try:
        env.cnt(rn, dac="dac" + case.replace("_", ""))
        r = env.as_("Cvisitor", "GET", "/cse-in/" + rn)
        assert r.rsc == 4103, r
        assert env.dynamic_acps(rn) == []
    finally:
        fake.stop()


def test_a_good_fake_answer_grants(env):
    """The control of the case above: the same fake DAS with a correct answer does grant (so each
    4103 above is the check it names, not a broken fake)."""
    gp = {"acr": [{"acor": [VISITOR], "acop": 2}]}
    fake = fake_das(env, "good", lambda req: {"m2m:seci": {"sit": 2, "dres": {
        "dai": {"gp": gp, "pl": pl()}, "tkns": [issue(env, VISITOR, req["m2m:seci"]["dreq"]["trid"])]}}})
    try:
        env.cnt("goodfake", dac="dacgood")
        assert env.as_("Cvisitor", "GET", "/cse-in/goodfake").rsc == 2000
        assert len(env.dynamic_acps("goodfake")) == 1
    finally:
        fake.stop()


def test_tokens_only_answer_grants_this_request(env):
    """A dres with tkns but no dai: the verified token's pv decides this request (2000), no ACP is
    created, so the next request consults again; a tokens-only answer with a token for another
    holder grants nothing (4103)."""
    calls = []

    def answer(req):
        calls.append(req)
        dq = req["m2m:seci"]["dreq"]
        holder = VISITOR if len(calls) < 3 else AE1
        return {"m2m:seci": {"sit": 2, "dres": {"tkns": [issue(env, holder, dq["trid"])]}}}
    fake = fake_das(env, "tkonly", answer)
    try:
        env.cnt("tkonly", dac="dactkonly")
        assert env.as_("Cvisitor", "GET", "/cse-in/tkonly").rsc == 2000
        assert env.dynamic_acps("tkonly") == []
        assert env.as_("Cvisitor", "GET", "/cse-in/tkonly").rsc == 2000
        assert env.as_("Cvisitor", "GET", "/cse-in/tkonly").rsc == 4103  # the third answer: Cae1's token
        assert len(calls) == 3 and calls[0]["m2m:seci"]["dreq"]["or"] == VISITOR
    finally:
        fake.stop()


def test_indirect_token_from_the_das_accepted_by_the_cse(env):
    """Indirect DA: Cae1 asks the DAS's token endpoint (its certificate), then presents the
    token in tkns (TS-0009 6.4.19 Authorization) to the CSE: permitted; without it, 4103."""
    env.cnt("other", dac=None)
    assert env.as_("Cae1", "GET", "/cse-in/other").rsc == 4103
    env.das.c = type("C", (), {"path": env.cse.path, "bin": env.cse.bin})()  # ae1.* live in the CSE dir
    rsc, body = env.das.notify("ae1", dreq(**{"or": AE1, "trid": "/id-in/cse-in/other"}), fr=AE1,
                               to="/id-in/Cdas/token")
    assert rsc == 2000, body
    tok = body["m2m:seci"]["dres"]["tkns"][0]
    r = env.as_("Cae1", "GET", "/cse-in/other", headers={"Authorization": tok})
    assert r.rsc == 2000, r
    r = env.as_("Cstranger", "GET", "/cse-in/other", headers={"Authorization": tok})
    assert r.rsc == 4103, r  # holder != originator


def test_cse_das_keys_checked(m2msec_bin, tmp_path):
    """das-ca/das-cert/das-key go together, and a missing file is named with its line."""
    from cse_harness import Cse
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    for extra, code, want in (("das-ca = %s\n" % c.path("ca/ca.crt"), 2, "das-ca, das-cert and das-key go together"),
                              ("das-ca = %s\ndas-cert = %s\ndas-key = %s\n" % (
                                  c.path("ca/ca.crt"), c.path("server.crt"), c.path("nope.key")), 1,
                               "das-key %s: no such file" % c.path("nope.key"))):
        with open(c.path("cse.ini"), "w") as f:
            f.write("cse-id = /id-in\nsp-id = //%s\nstore = %s\nhttps-listen = 127.0.0.1:%d\ncert = %s\nkey = %s\n"
                    "trust-anchors = %s\n%s" % (SP, c.path("cse.db"), free_port(), c.path("server.crt"),
                                                 c.path("server.key"), c.path("ca/ca.crt"), extra))
        r = subprocess.run([m2msec_bin, "cse", "--config", c.path("cse.ini"), "--check"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == code and want in r.stderr, (r.returncode, r.stderr)
