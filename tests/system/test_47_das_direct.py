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
import json
import subprocess

import pytest

from cse_harness import build_request, free_port, parse_http, wait_port
from svc_harness import make_pki

SP = "sp.example.com"
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

    def audits(self):
        with open(self.log) as f:
            return [j for j in (json.loads(ln) for ln in f if ln.strip()) if j.get("msg") == "das audit"]

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
    a = das.audits()
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
    assert [a["outcome"] for a in das.audits()] == ["not-granted"] * 5


def test_role_rule(das):
    rsc, body = das.notify("cse", dreq(**{"or": "//sp.example.com/id-in/Cop1", "orid": ["admin@sp.example.com"],
                                          "op": 4}))
    assert rsc == 2000 and body["m2m:seci"]["dres"]["dai"]["gp"]["acr"][0]["acop"] == 63


def test_non_cse_client_refused(das):
    """Only a CSE authenticated by its certificate consults (an AE's certificate: 4103)."""
    rsc, _ = das.notify("ae1", dreq(), fr=AE1)
    assert rsc == 4103
    a = das.audits()
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
    assert [a["outcome"] for a in das.audits()] == ["granted", "refused", "refused", "refused"]


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
