# SPDX-License-Identifier: Apache-2.0
"""An `<AE>` as the Target of an ESPrim / ESCertKE NOTIFY (TS-0004 clause 7.6.2, TS-0001 clauses
11.4.2 and 11.4.3; docs/procedures/e2e.md "An `<AE>` as Target").

A real `m2msec cse` on loopback and, as the AE, a Python HTTPS server started here (certificate
issued by the test's CA with `m2msec ca issue`, standard library `http.server` + `ssl`, the CSE's
forward-* certificate required) that records what it receives and answers a canned oneM2M HTTP
response. An `<AE>` with an https:// pointOfAccess is itself the Receiver / Terminating End-Point:
its Hosting CSE relays the NOTIFY (op, From in SP-relative form, Request Identifier, Content
unchanged) and relays the AE's RSC and Content unchanged. The CSE's store holds no ESPrim key:
a CSE terminating a sit 5 itself would answer 4112, so a 2000 with the AE's Content proves the
relay. Refusals, each with its exact RSC: no NOTIFY privilege on the `<AE>` (4103, nothing sent),
a pointOfAccess the notification destination policy refuses (5103, nothing sent), a closed port
(5103), a NOTIFY that arrived without a security association (4107). An `<AE>` with an http://
poa only keeps the CSE as its delegate (a sit 5 with an unknown kid: 4112).
"""
import base64
import http.server
import json
import os
import subprocess
import time
import secrets
import ssl
import threading

import pytest

from cse_harness import SP, Cse, free_port
from test_54_forwarding import ADMIN, admin
from test_55_esprim import make_oro, open_jwcrypto, seal_jwcrypto, seal_manual, session_key, ts

ORIGINATOR = "CAE2"
RX_KEY = secrets.token_hex(32)  # the pairwiseESPrimKey of CAE2 and the AE ae8 (the CSE has none)
RX_KID = "esp-ae8@" + SP


class PyReceiver:
    """The AE as ESPrim Receiver (TS-0003 8.4.2, TS-0004 7.6.2 steps I-M) in Python/jwcrypto:
    sit 3 -> its own receiver rand object (sit 4); sit 5 -> opens the inner request with the
    sessionESPrimKey and answers a sealed inner response."""

    def __init__(self, key_hex):
        self.key_hex, self.rros, self.inner = key_hex, {}, []

    def __call__(self, body):
        seci = json.loads(body)["m2m:seci"]
        if seci["sit"] == 3:
            rro = {"esri": "r" + secrets.token_hex(8), "esrv": "v" + secrets.token_hex(16),
                   "esrx": ts(time.time() + 600), "esks": [1], "espa": [12]}
            self.rros[rro["esri"]] = rro
            return 2000, {"m2m:seci": {"sit": 4, "ero": rro}}
        ph = seci["epo"].split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(ph + "=" * (-len(ph) % 4)))
        key = session_key(self.key_hex, self.rros[hdr["rri"]], hdr["oro"])
        req, _ = open_jwcrypto(key, seci["epo"])
        self.inner.append(req)
        rsp = {"rsc": 2000, "rqi": req["rqi"], "rvi": "3", "pc": {"m2m:dbg": "answered by the AE " + req["to"]}}
        rh = {"alg": "dir", "enc": hdr["enc"], "kid": hdr["kid"], "ori": hdr["ori"], "rri": hdr["rri"],
              "cty": "application/json"}
        return 2000, {"m2m:seci": {"sit": 5, "epo": seal_jwcrypto(key, rh, json.dumps(rsp).encode())}}


class AeServer:
    """The AE's HTTPS endpoint: records every request, answers (rsc, body) or answer(body)."""

    def __init__(self, c, host, answer, san=None):
        self.requests, self.answer = [], answer
        crt, key = c.issue("ae-" + secrets.token_hex(4), san or "IP:" + host)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        ctx.load_verify_locations(c.path("ca/ca.crt"))
        ctx.verify_mode = ssl.CERT_REQUIRED  # the CSE's forward-cert
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                peer = self.connection.getpeercert()
                outer.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                       "body": body, "peer": peer})
                rsc, rbody = outer.answer(body) if callable(outer.answer) else outer.answer
                data = json.dumps(rbody).encode()
                self.send_response(200)
                self.send_header("X-M2M-RSC", str(rsc))
                self.send_header("X-M2M-RI", self.headers.get("X-M2M-RI", ""))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        self.url = "https://%s:%d" % (host, self.srv.server_address[1])
        self.th = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.th.start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def psk_id(stem):
    return "kpsa-%s@%s" % (stem.lower(), SP)


def register(c, stem, rn, poa):
    r = c.psk("POST", "/cse-in", stem, psk_id(stem), ty=2,
              body=json.dumps({"m2m:ae": {"rn": rn, "api": "Nae.target", "rr": True, "srv": ["3"], "poa": poa}}))
    assert r.rsc == 2001, r


def grant(c, rn, acop):
    """The <AE>'s ACP: the Originator may acop (16 NOTIFY, 2 RETRIEVE) on it."""
    r = admin(c, "POST", "/cse-in", json.dumps(
        {"m2m:acp": {"rn": "acp-" + rn, "pv": {"acr": [{"acor": [ORIGINATOR], "acop": acop}]},
                     "pvs": {"acr": [{"acor": ["CAdmin"], "acop": 63}]}}}), ty=1)
    assert r.rsc == 2001, r
    r = admin(c, "PUT", "/cse-in/" + rn, json.dumps({"m2m:ae": {"acpi": [r.json()["m2m:acp"]["ri"]]}}))
    assert r.rsc == 2004, r


@pytest.fixture(scope="module")
def env(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("aetarget"))
    c.setup_pki()
    c.add_psk(ADMIN, "CAdmin")
    for stem in (ORIGINATOR, "CAE1", "CAE3", "CAE4", "CAE5", "CAE6", "CAE7", "CAE8"):
        c.add_psk(psk_id(stem), stem)
    fwd = c.issue("fwd", "id-in." + SP)  # the CSE towards the AEs' points of access
    ae = AeServer(c, "127.0.0.1", (2000, {"m2m:seci": {"sit": 5, "epo": "the-AE-s-own-answer"}}))
    far = AeServer(c, "127.0.0.2", (2000, {}))  # refused by the destination policy
    other = AeServer(c, "127.0.0.1", (2000, {}), san="IP:127.0.0.3")  # a certificate for another host
    # loopback is refused by the built-in policy; 127.0.0.1 alone is allowed (127.0.0.2 is not)
    c.start("forward-ca = %s\nforward-cert = %s\nforward-key = %s\nforward-timeout = 5000\n"
            "notify-allow = 127.0.0.1/32\ndev-admin-over-plain-http = true\n" % (c.path("ca/ca.crt"), *fwd))
    register(c, "CAE1", "ae1", [ae.url + "/notify/ae1"])
    register(c, "CAE3", "ae3", ["https://127.0.0.1:%d" % free_port()])
    register(c, "CAE4", "ae4", [far.url])
    register(c, "CAE5", "ae5", [ae.url])
    register(c, "CAE6", "ae6", ["http://127.0.0.1:9"])
    register(c, "CAE7", "ae7", ["http://127.0.0.1:9", other.url])  # the first https:// one counts
    for rn in ("ae1", "ae3", "ae4", "ae7"):
        grant(c, rn, 16)
    grant(c, "ae5", 2)
    rx = AeServer(c, "127.0.0.1", PyReceiver(RX_KEY))  # an ESPrim Receiver of its own
    register(c, "CAE8", "ae8", [rx.url])
    grant(c, "ae8", 16)
    c.ae, c.far, c.other, c.rx = ae, far, other, rx
    yield c
    c.stop()
    for s in (ae, far, other, rx):
        s.stop()


def notify(c, to, seci, rqi=None):
    body = json.dumps({"m2m:seci": seci}, separators=(",", ":"))
    rqi = rqi or "rq-" + secrets.token_hex(6)
    return c.psk("POST", to, ORIGINATOR, psk_id(ORIGINATOR), body=body, rqi=rqi), body, rqi


def fake_epo(kid="nobody@" + SP):
    """A well-formed ESPrim Object under a key nobody holds (the CSE would answer 4112)."""
    oro = make_oro()
    hdr = {"alg": "dir", "enc": "A256GCM", "kid": kid, "ori": oro["esri"], "rri": "r" + secrets.token_hex(8),
           "cty": "application/json", "oro": oro}
    return seal_manual(secrets.token_bytes(32), hdr, b'{"op":2,"to":"/cse-in","fr":"CAE2","rqi":"x","rvi":"3"}')


@pytest.mark.parametrize("seci", [{"sit": 5, "epo": None}, {"sit": 3}, {"sit": 6, "eckm": "opaque.eckm.message"}],
                         ids=["sit5", "sit3", "sit6"])
def test_relayed_to_the_ae_and_its_answer_relayed(env, seci):
    seci = dict(seci)
    if "epo" in seci:
        seci["epo"] = fake_epo()
    n = len(env.ae.requests)
    r, sent, rqi = notify(env, "/cse-in/ae1", seci)
    # the AE's answer, unchanged (a terminating CSE: 4112 for the sit 5, its own rand object
    # for the sit 3, 5001 for the sit 6 with escertke off)
    assert r.rsc == 2000, r
    assert r.json() == {"m2m:seci": {"sit": 5, "epo": "the-AE-s-own-answer"}}
    assert len(env.ae.requests) == n + 1
    got = env.ae.requests[-1]
    assert got["path"] == "/notify/ae1"
    assert got["headers"]["x-m2m-origin"] == "/id-in/" + ORIGINATOR  # SP-relative (TS-0004 7.3.2.6)
    assert got["headers"]["x-m2m-ri"] == rqi
    assert got["headers"]["x-m2m-rvi"] == "3"
    assert got["body"] == sent.encode()  # the Content as it came, never decoded
    # mutual TLS: the CSE presented its forward-cert
    assert ("DNS", "id-in." + SP) in got["peer"]["subjectAltName"]


def test_no_notify_privilege_4103_nothing_sent(env):
    n = len(env.ae.requests)
    r, _, _ = notify(env, "/cse-in/ae5", {"sit": 5, "epo": fake_epo()})
    assert r.rsc == 4103, r
    assert len(env.ae.requests) == n


def test_poa_refused_by_destination_policy_5103_nothing_sent(env):
    r, _, _ = notify(env, "/cse-in/ae4", {"sit": 5, "epo": fake_epo()})
    assert r.rsc == 5103, r
    assert "destination policy" in r.body
    assert env.far.requests == []


def test_certificate_not_for_the_poa_host_5103(env):
    """The AE's server certificate must chain to forward-ca AND name the poa's host (RFC 2818)."""
    r, _, _ = notify(env, "/cse-in/ae7", {"sit": 5, "epo": fake_epo()})
    assert r.rsc == 5103, r
    assert env.other.requests == []


def test_poa_unreachable_5103(env):
    r, _, _ = notify(env, "/cse-in/ae3", {"sit": 5, "epo": fake_epo()})
    assert r.rsc == 5103, r


def test_without_security_association_4107(env):
    n = len(env.ae.requests)
    r = env.plain("POST", "/cse-in/ae1", ORIGINATOR, body=json.dumps({"m2m:seci": {"sit": 5, "epo": fake_epo()}}))
    assert r.rsc == 4107, r
    assert len(env.ae.requests) == n


def test_http_poa_only_keeps_the_cse_as_delegate(env):
    r, _, _ = notify(env, "/cse-in/ae6", {"sit": 5, "epo": fake_epo()})
    assert r.rsc == 4112, r  # terminated here: the kid is unknown
    r, _, _ = notify(env, "/cse-in/ae6", {"sit": 3})
    assert r.rsc == 2000, r
    assert r.json()["m2m:seci"]["sit"] == 4  # the CSE's own receiver rand object
    r, _, _ = notify(env, "/cse-in/ae6", {"sit": 6, "eckm": "x"})
    assert r.rsc == 5001, r  # ESCertKE to an AE the CSE speaks for: refused as before


def test_esprim_round_trip_with_a_python_ae_receiver(env, m2msec_bin):
    """`m2msec esprim` (the Originator) -> the CSE (relay, never the Receiver: it holds no key)
    -> a Python/jwcrypto Receiver at the AE's poa, and the sealed inner response back."""
    kf, pf = env.path("rx-key.hex"), env.path("rx-tls.psk")
    for path, text in ((kf, RX_KEY), (pf, env.psks[psk_id(ORIGINATOR)][0])):
        with open(path, "w") as f:
            f.write(text + "\n")
        os.chmod(path, 0o600)
    r = subprocess.run([m2msec_bin, "esprim", "--to", "https://127.0.0.1:%d/cse-in/ae8" % env.port,
                        "--key-id", RX_KID, "--key-file", kf, "--psk-identity", psk_id(ORIGINATOR), "--psk-file", pf,
                        "--ca", env.path("ca/ca.crt"), "--verify-name", "id-in." + SP, "--op", "retrieve",
                        "--target", "/id-in/cse-in/ae8/inner", "--from", ORIGINATOR],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr + r.stdout
    assert json.loads(r.stdout)["pc"] == {"m2m:dbg": "answered by the AE /id-in/cse-in/ae8/inner"}
    assert [(q["op"], q["to"], q["fr"]) for q in env.rx.answer.inner] == [(2, "/id-in/cse-in/ae8/inner", ORIGINATOR)]
    # the AE got both outer NOTIFYs (sit 3, sit 5) from the Originator through its Hosting CSE
    assert [json.loads(q["body"])["m2m:seci"]["sit"] for q in env.rx.requests] == [3, 5]
    assert {q["headers"]["x-m2m-origin"] for q in env.rx.requests} == {"/id-in/" + ORIGINATOR}
