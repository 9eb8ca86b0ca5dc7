# SPDX-License-Identifier: Apache-2.0
"""End to end through the MEF (issue 7, TS-0003 §8.3), real processes on loopback: `m2msec ca`
(one CA for every certificate and the MEF's EST CA), `m2msec mef` (+ `mef enrolee add|revoke`),
`m2msec cse` (mef-url/mef-ca/mef-cert/mef-key, mef-cache-seconds, crl-file), `m2msec enrol`, and
independent peers: `openssl s_client` (TLS-PSK with -keymatexport EXPORTER-oneM2M-Bootstrap
-keymatexportlen 48, certificates), Python hmac / cryptography / requests.

Flows: Kpm -> MEF Handshake -> Ke/KeID (checked against the exporter output, §10.3.1) -> MEF
Client Registration -> TLS-PSK with psk_identity = KeID to the CSE, which fetches the key from the
MEF (fetchCredentials, §8.3.2.1; the key checked against HMAC-SHA-256(Ke, label || "22" ||
"id-in.sp.example.com"), §10.3.7) -> the AE registers and its From is bound. Certificates: a key
and CSR generated on the device (`m2msec enrol --cert`, EST §8.3.6), the CSE accepting that
certificate (trust-anchors = the MEF's CA), then revocation -> CRL (`m2msec ca crl --store`) ->
the CSE refuses it.

Negative cases in this file (each asserts the exact refusal):
  N1  wrong Kpm: handshake fails, `m2msec enrol` exit 1 "authentication failed", nothing written
  N2  unknown KpmID: the same
  N3  expired enrolment: the same
  N4  revoked enrolee at the MEF: the same
  N5  revoked enrolee at the CSE: its KeID handshake refused within mef-cache-seconds
  N6  target not authorized: fetchCredentials of an enrolee of /id-mn1 by /id-in: 4004 "unknown KeID"
  N7  ... and that enrolee's KeID handshake at the CSE /id-in fails
  N8  SUID not allowed (12): 4103 "SUID not allowed for this target"
  N9  SUID malformed (022): 4000
  N10 KeID malformed: 4000
  N11 unknown KeID: 4004
  N12 fetchCredentials over an enrolee association: 4103 "not an Enrolment Target"
  N13 fetchCredentials with the From of another CSE: 4106
  N14 fetchCredentials as UPDATE: 4005
  N15 CSR claiming a foreign AE-ID: EST 403 "claim-refused"
  N16 CSR that is not base64 DER PKCS#10: EST 400 "malformed"
  N17 EST by an Enrolment Target: 403
  N18 /serverkeygen: 404 (no server-side key generation)
  N19 revoked certificate at the CSE: handshake refused after the CRL refresh
  N20 replayed MEF Client Registration in the same session: 4117
  N21 registration body not JSON: 4000
  N22 registration with an unknown member: 4000
  N23 registration with another wrapper: 4000
  N24 registration naming another MEF's fqdn: 4000
  N25 registration with an expirationTime in the past: 4000
  N26 registration with httpPort out of xs:unsignedByte: 4000
  N27 registration claiming a foreign enroleeID: 4103
  N28 client command update with a stale cmdID: 4105
  N29 MEF procedure path unknown: 4004
  N30 spoofed From on the KeID association: 4106
  N31 From of another registered AE on the KeID association: 4106
  N32 the CSE-ID as From on the KeID association: 4000 (a Registree AE's From is its AE-ID-Stem,
      TS-0004 §7.3.2.1, checked before the binding)
  N33 MEF down: a new KeID's handshake at the CSE fails; a provisioned-PSK client is still served
  N34 rate limit: HTTP 429 with Retry-After, RSC 4000
"""
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import time

import pytest
import requests

from cse_harness import SP, Cse, free_port, parse_http, wait_port

FQDN = "mef." + SP
LABEL = "EXPORTER-oneM2M-Bootstrap"
UCSK_LABEL = b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"
CIPHER = "PSK-AES128-CBC-SHA256"


def parse_all(raw):
    """Every HTTP/1.1 response in raw (Content-Length framed) -> [(status, headers, body)]."""
    out, i = [], raw.find(b"HTTP/1.1 ")
    while i >= 0:
        status, headers, body = parse_http(raw[i:])
        out.append((status, headers, body))
        head_end = raw.index(b"\r\n\r\n", i) + 4
        i = raw.find(b"HTTP/1.1 ", head_end + int(headers.get("content-length", "0")))
    return out


def request(method, path, body=None, origin=None, rqi="r1", close=True, ctype="application/json"):
    h = "%s %s HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: %s\r\nX-M2M-RVI: 3\r\n" % (method, path, FQDN, rqi)
    if origin:
        h += "X-M2M-Origin: %s\r\n" % origin
    data = body.encode() if isinstance(body, str) else (body or b"")
    if body is not None:
        h += "Content-Type: %s\r\nContent-Length: %d\r\n" % (ctype, len(data))
    if close:
        h += "Connection: close\r\n"
    return h.encode() + b"\r\n" + data


def reg_body(**over):
    cfg = {"fqdn": FQDN, "adminFQDN": FQDN}
    cfg.update(over)
    return json.dumps({"sec:clientRegCfg": cfg})


class World:
    """A CA, a running MEF and a running CSE (Enrolment Target /id-in of that MEF)."""

    def __init__(self, m2msec_bin, tmp, mef_extra="", cse_extra=""):
        self.bin = m2msec_bin
        self.c = Cse(m2msec_bin, tmp)
        self.c.setup_pki()                                         # ca/, server.* (id-in.sp.example.com)
        self.c.issue("mef", FQDN)
        self.c.issue("mn1", "id-mn1." + SP)                        # another CSE (not this MEF's target here)
        self.mef_port = free_port()
        self.mef_ini = self.c.path("mef.ini")
        with open(self.mef_ini, "w") as f:
            f.write("[mef]\nmef-fqdn = %s\nsp-id = %s\nhttps-listen = 127.0.0.1:%d\nstore = %s\ncert = %s\n"
                    "key = %s\ntrust-anchors = %s\nca-dir = %s\nest-uri = https://%s:%d/.well-known/est\n"
                    "log-file = %s\nlog-level = info\nthreads = 2\n%s" % (
                        FQDN, SP, self.mef_port, self.c.path("mef.db"), self.c.path("mef.crt"),
                        self.c.path("mef.key"), self.c.path("ca/ca.crt"), self.c.path("ca"), FQDN,
                        self.mef_port, self.c.path("mef.log"), mef_extra))
        self.mef = None
        self.cse_extra = cse_extra
        self.n = 0

    def m2m(self, *args, input=None):
        return subprocess.run([self.bin, *map(str, args)], capture_output=True, text=True, timeout=60,
                              input=input)

    def start_mef(self):
        self.mef = subprocess.Popen([self.bin, "mef", "--config", self.mef_ini], stdout=subprocess.DEVNULL,
                                    stderr=open(self.c.path("mef.err"), "a"))
        wait_port(self.mef_port, self.mef)
        return self

    def stop_mef(self):
        if self.mef and self.mef.poll() is None:
            self.mef.send_signal(signal.SIGTERM)
            self.mef.wait(timeout=30)
        self.mef = None

    def publish_crl(self):
        r = self.m2m("ca", "crl", "--dir", self.c.path("ca"), "--store", self.c.path("mef.db"),
                     "--out", self.c.path("crl.pem"))
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def start_cse(self):
        self.publish_crl()
        self.kadm = self.c.add_psk("kpsa-adm@" + SP, "CAdmin")
        self.kother = self.c.add_psk("kpsa-other@" + SP, "Cother")
        extra = ("mef-url = https://127.0.0.1:%d\nmef-ca = %s\nmef-cert = %s\nmef-key = %s\n"
                 "mef-cache-seconds = 1\ncrl-file = %s\ncrl-refresh-seconds = 1\n%s" % (
                     self.mef_port, self.c.path("ca/ca.crt"), self.c.path("server.crt"), self.c.path("server.key"),
                     self.c.path("crl.pem"), self.cse_extra))
        extra += "mef-name = %s\n" % FQDN                          # mef-url names the MEF by address
        self.c.start(extra)
        return self

    def stop(self):
        self.c.stop()
        self.stop_mef()

    # ---- enrolees -----------------------------------------------------------------------------
    def kpm_file(self, kpm_hex):
        self.n += 1
        p = self.c.path("kpm%d" % self.n)
        with open(p, "w") as f:
            f.write(kpm_hex + "\n")
        os.chmod(p, 0o600)
        return p

    def add(self, name, enrolee, target="/id-in", extra=()):
        kpm = secrets.token_hex(32)
        kpm_id = "%s@%s" % (name, FQDN)
        r = self.m2m("mef", "enrolee", "add", "--config", self.mef_ini, "--kpm-id", kpm_id, "--kpm-file",
                     self.kpm_file(kpm), "--enrolee-id", enrolee, "--target", target, *extra)
        assert r.returncode == 0, r.stderr
        return kpm_id, kpm

    def enrol(self, kpm_id, kpm, out, *extra):
        return self.m2m("enrol", "--mef", "127.0.0.1:%d" % self.mef_port, "--mef-ca", self.c.path("ca/ca.crt"),
                        "--kpm-id", kpm_id, "--kpm-file", self.kpm_file(kpm), "--out", out, *extra)

    def revoke(self, kpm_id):
        r = self.m2m("mef", "enrolee", "revoke", "--config", self.mef_ini, "--kpm-id", kpm_id)
        assert r.returncode == 0, r.stderr

    # ---- independent clients of the MEF ---------------------------------------------------------
    def psk_session(self, kpm_id, kpm, raw):
        """openssl s_client TLS-PSK with the Kpm: (material hex or None, [responses])."""
        r = subprocess.run(["openssl", "s_client", "-tls1_2", "-ign_eof", "-psk_identity", kpm_id, "-psk", kpm,
                            "-cipher", CIPHER, "-keymatexport", LABEL, "-keymatexportlen", "48",
                            "-connect", "127.0.0.1:%d" % self.mef_port], input=raw, capture_output=True, timeout=30)
        m = re.search(rb"Keying material: ([0-9A-Fa-f]+)", r.stdout)
        return (m.group(1).decode().upper() if m else None), parse_all(r.stdout)

    def target_session(self, raw, crt="server", quiet=True):
        """As the Enrolment Target /id-in (its certificate), or another certificate."""
        r = subprocess.run(["openssl", "s_client", "-quiet", "-CAfile", self.c.path("ca/ca.crt"),
                            "-cert", self.c.path(crt + ".crt"), "-key", self.c.path(crt + ".key"),
                            "-servername", FQDN, "-connect", "127.0.0.1:%d" % self.mef_port],
                           input=raw, capture_output=True, timeout=30)
        return parse_all(r.stdout)

    def fetch(self, keid, suid=22, method="GET", origin=None, crt="server"):
        return self.target_session(request(method, "/fetchCredentials/%s/%s" % (keid, suid), origin=origin),
                                   crt)[0]

    # ---- the CSE ------------------------------------------------------------------------------------
    def cse_psk(self, keid, key_hex, method, path, origin, body=None, ty=None):
        return self.c.psk(method, path, origin, keid, body=body, ty=ty, key=key_hex)


def ae(rn):
    return json.dumps({"m2m:ae": {"rn": rn, "api": "Nm2msec.e2e", "rr": False, "srv": ["3"]}})


@pytest.fixture(scope="module")
def world(m2msec_bin, tmp_path_factory):
    w = World(m2msec_bin, tmp_path_factory.mktemp("e2e"), mef_extra="rate-limit-per-identity = 0\n"
              "rate-limit-per-address = 0\n")
    w.start_mef()
    w.start_cse()
    yield w
    w.stop()


def probe(w, keid, key_hex):
    """One request on the KeID association (None: the handshake was refused)."""
    return w.cse_psk(keid, key_hex, "GET", "/cse-in", "Cprobe")


def kpm_registration(w, name, enrolee, target="/id-in"):
    """A Kpm enrolee registered through openssl s_client: (keid, Ke bytes, target key hex)."""
    kpm_id, kpm = w.add(name, enrolee, target)
    mat, rsps = w.psk_session(kpm_id, kpm, request("POST", "/mefClientReg", reg_body()))
    assert mat is not None and len(mat) == 96
    status, h, body = rsps[0]
    assert h["x-m2m-rsc"] == "2001", body
    reg = json.loads(body)["sec:mefClientReg"]
    keid = mat[:32] + "@" + FQDN                                   # §10.3.1, from the exporter
    assert reg["keyID"] == keid and reg["mefClientID"] == enrolee
    ke = bytes.fromhex(mat[32:])
    tkey = hmac.new(ke, UCSK_LABEL + b"22" + b"id-in." + SP.encode(), hashlib.sha256).hexdigest()
    return keid, ke, tkey, kpm_id, kpm


# ---- the PSK flow --------------------------------------------------------------------------------

def test_psk_enrolment_to_cse_registration_key_agreement_and_bound_from(world):
    w = world
    keid, ke, tkey, kpm_id, kpm = kpm_registration(w, "dev1", "Cdev1")
    # the target's fetch gives exactly the independently computed usage-constrained key
    status, h, body = w.fetch(keid)
    assert h["x-m2m-rsc"] == "2000", body
    rsp = json.loads(body)["sec:fetchCredRsp"]
    assert rsp["credential"] == tkey and rsp["enroleeID"] == "Cdev1" and rsp["SUID"] == 22
    assert 0 < rsp["lifetime"] <= 86400
    # the CSE fetches it during the handshake and binds the association to Cdev1
    r = probe(w, keid, tkey)
    assert r is not None and r.rsc == 4106, r                       # From Cprobe is not Cdev1
    r = w.cse_psk(keid, tkey, "POST", "/cse-in", "Cdev1", ae("dev1"), ty=2)
    assert r.rsc == 2001, r
    assert r.json()["m2m:ae"]["aei"] == "Cdev1"
    r = w.cse_psk(keid, tkey, "GET", "/cse-in/dev1", "Cdev1")
    assert r.rsc == 2000, r
    # N30 spoofed From, N31 From of another registered AE: 4106; N32 the CSE-ID as From: 4000, as
    # for every Registree AE (TS-0004 §7.3.2.1: its From must be its AE-ID-Stem, checked first)
    r = w.c.psk("POST", "/cse-in", "Cother", "kpsa-other@" + SP, body=ae("other"), ty=2)
    assert r.rsc in (2001, 4117), r
    for origin, want in (("Cdev9", 4106), ("Cother", 4106), ("/id-in", 4000)):
        r = w.cse_psk(keid, tkey, "GET", "/cse-in", origin)
        assert r.rsc == want, (origin, r)
    # a wrong key with the right KeID fails the handshake
    assert w.cse_psk(keid, secrets.token_hex(32), "GET", "/cse-in", "Cdev1") is None


def test_m2msec_enrol_then_cse(world, tmp_path):
    w = world
    kpm_id, kpm = w.add("dev2", "Cdev2")
    # N1 wrong Kpm, N2 unknown KpmID: exit 1, "authentication failed", nothing written
    for kid, key in ((kpm_id, secrets.token_hex(32)), ("nobody@" + FQDN, kpm)):
        r = w.enrol(kid, key, tmp_path / "no")
        assert r.returncode == 1 and "authentication failed" in r.stderr, r.stderr
        assert r.stdout == "" and not (tmp_path / "no").exists()
    out = tmp_path / "dev2"
    r = w.enrol(kpm_id, kpm, out)
    assert r.returncode == 0, r.stderr
    keid = r.stdout.strip()
    assert re.fullmatch(r"[0-9A-F]{32}@" + re.escape(FQDN), keid)
    tkey = (out / "target.psk").read_text().strip()
    s, h, b = w.fetch(keid)
    assert h["x-m2m-rsc"] == "2000" and json.loads(b)["sec:fetchCredRsp"]["credential"] == tkey, b
    r = w.cse_psk(keid, tkey, "POST", "/cse-in", "Cdev2", ae("dev2"), ty=2)
    assert r.rsc == 2001, r


def test_expired_and_revoked_enrolees_at_the_mef(world, tmp_path):
    w = world
    # N3 expired enrolment (Enrolment Expiry moved into the past behind the MEF's back)
    kpm_id, kpm = w.add("dev3", "Cdev3")
    db = sqlite3.connect(w.c.path("mef.db"), timeout=30)
    db.execute("UPDATE enrolee SET expiry = 1000 WHERE client_id = ?", (kpm_id,))
    db.commit()
    db.close()
    r = w.enrol(kpm_id, kpm, tmp_path / "e")
    assert r.returncode == 1 and "authentication failed" in r.stderr, r.stderr
    assert not (tmp_path / "e").exists()
    # N4 revoked: the handshake fails and its KeID is gone for the target
    keid, ke, tkey, kpm_id, kpm = kpm_registration(w, "dev4", "Cdev4")
    assert w.fetch(keid)[1]["x-m2m-rsc"] == "2000"
    w.revoke(kpm_id)
    r = w.enrol(kpm_id, kpm, tmp_path / "r")
    assert r.returncode == 1 and "authentication failed" in r.stderr, r.stderr
    assert not (tmp_path / "r").exists()
    assert w.fetch(keid)[1]["x-m2m-rsc"] == "4004"


def test_revoked_enrolee_refused_at_the_cse_within_cache_seconds(world):
    w = world
    keid, ke, tkey, kpm_id, kpm = kpm_registration(w, "dev15", "Cdev15")
    r = w.cse_psk(keid, tkey, "POST", "/cse-in", "Cdev15", ae("dev15"), ty=2)
    assert r.rsc == 2001, r
    # N5 revoked at the MEF: the CSE refuses the KeID once its cache entry (mef-cache-seconds = 1)
    # is gone
    w.revoke(kpm_id)
    end = time.monotonic() + 20                  # a bound on the wait, not a timing assertion
    while time.monotonic() < end and w.cse_psk(keid, tkey, "GET", "/cse-in/dev15", "Cdev15") is not None:
        time.sleep(0.3)
    assert w.cse_psk(keid, tkey, "GET", "/cse-in/dev15", "Cdev15") is None


def test_fetch_credentials_refusals(world):
    w = world
    keid, ke, tkey, kpm_id, kpm = kpm_registration(w, "dev5", "Cdev5")
    # N6 target not authorized: an enrolee of /id-mn1 is not /id-in's
    keid_mn, _, tkey_mn, _, _ = kpm_registration(w, "dev6", "Cdev6", target="/id-mn1")
    s, h, b = w.fetch(keid_mn)
    assert h["x-m2m-rsc"] == "4004" and json.loads(b)["sec:fetchCredRsp"] == {
        "status": False, "errorString": "unknown KeID"}, b
    # ... while /id-mn1 itself gets it (it is that enrolee's target)
    assert w.fetch(keid_mn, crt="mn1")[1]["x-m2m-rsc"] == "2000"
    # N8 SUID not allowed; N9 SUID malformed; N10 KeID malformed; N11 unknown KeID
    s, h, b = w.fetch(keid, suid=12)
    assert h["x-m2m-rsc"] == "4103" and json.loads(b)["sec:fetchCredRsp"]["errorString"] == \
        "SUID not allowed for this target", b
    assert w.fetch(keid, suid="022")[1]["x-m2m-rsc"] == "4000"
    assert w.fetch("XYZ@" + FQDN)[1]["x-m2m-rsc"] == "4000"
    assert w.fetch("00" * 16 + "@" + FQDN)[1]["x-m2m-rsc"] == "4004"
    # N13 From of another CSE; N14 not a RETRIEVE
    assert w.fetch(keid, origin="/id-mn1")[1]["x-m2m-rsc"] == "4106"
    assert w.fetch(keid, method="DELETE")[1]["x-m2m-rsc"] == "4005"
    # N12 an enrolee's association is not an Enrolment Target
    kpm_id7, kpm7 = w.add("dev7", "Cdev7")
    _, rsps = w.psk_session(kpm_id7, kpm7, request("GET", "/fetchCredentials/%s/22" % keid))
    assert rsps[0][1]["x-m2m-rsc"] == "4103", rsps
    assert json.loads(rsps[0][2])["sec:fetchCredRsp"]["errorString"] == "not an Enrolment Target"


def test_cse_refuses_keid_of_another_target(world):
    w = world
    keid, ke, tkey, _, _ = kpm_registration(w, "dev16", "Cdev16")
    keid_mn, _, tkey_mn, _, _ = kpm_registration(w, "dev17", "Cdev17", target="/id-mn1")
    # control: the handshake succeeds (no AE yet, so no privilege on the CSEBase: 4103)
    assert w.cse_psk(keid, tkey, "GET", "/cse-in", "Cdev16").rsc == 4103
    # N7 the CSE /id-in refuses the handshake of the /id-mn1 enrolee's KeID (the MEF said 4004),
    # even with the key that /id-in would have derived for it
    assert w.cse_psk(keid_mn, tkey_mn, "GET", "/cse-in", "Cdev17") is None


def test_malformed_and_replayed_procedure_bodies(world):
    w = world
    kpm_id, kpm = w.add("dev8", "Cdev8")
    bad = [
        request("POST", "/mefClientReg", "{not json", close=False, rqi="b1"),                    # N21
        request("POST", "/mefClientReg", reg_body(bogus=1), close=False, rqi="b2"),              # N22
        request("POST", "/mefClientReg", json.dumps({"sec:keyRegCfg": {"fqdn": FQDN}}), close=False,
                rqi="b3"),                                                                       # N23
        request("POST", "/mefClientReg", reg_body(fqdn="mef.other.example.com"), close=False, rqi="b4"),  # N24
        request("POST", "/mefClientReg", reg_body(expirationTime="20000101T000000"), close=False,
                rqi="b5"),                                                                       # N25
        request("POST", "/mefClientReg", reg_body(httpPort=300), close=False, rqi="b6"),         # N26
        request("POST", "/mefClientReg", reg_body(enroleeID="Cstranger"), close=False, rqi="b7"),  # N27
        request("GET", "/noSuchResource", close=False, rqi="b8"),                                # N29
        request("POST", "/mefClientReg", reg_body(), close=False, rqi="ok"),
        request("POST", "/mefClientReg", reg_body(), close=True, rqi="again"),                   # N20
    ]
    mat, rsps = w.psk_session(kpm_id, kpm, b"".join(bad))
    got = [(int(h["x-m2m-rsc"]), h.get("x-m2m-ri")) for _, h, _ in rsps]
    assert got == [(4000, "b1"), (4000, "b2"), (4000, "b3"), (4000, "b4"), (4000, "b5"), (4000, "b6"),
                   (4103, "b7"), (4004, "b8"), (2001, "ok"), (4117, "again")], got
    # N28 a stale cmdID on the client command resource. Its path names the registration ID (the
    # RelativeKeID), known only after the handshake: the update is sent once this session's
    # exporter output is printed (s_client prints -keymatexport before reading stdin)
    upd = json.dumps({"sec:mefClientCmd": {"cmdID": 99, "cmdStatusCode": 20}})
    kpm_id10, kpm10 = w.add("dev10", "Cdev10")
    first = request("POST", "/mefClientReg", reg_body(), close=False, rqi="c1")
    proc = subprocess.Popen(["openssl", "s_client", "-tls1_2", "-ign_eof", "-psk_identity", kpm_id10, "-psk",
                             kpm10, "-cipher", CIPHER, "-keymatexport", LABEL, "-keymatexportlen", "48",
                             "-connect", "127.0.0.1:%d" % w.mef_port], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    buf = b""
    while b"Keying material:" not in buf or not re.search(rb"Keying material: [0-9A-Fa-f]{96}", buf):
        chunk = proc.stdout.read1(4096)
        assert chunk, buf
        buf += chunk
    mat = re.search(rb"Keying material: ([0-9A-Fa-f]{96})", buf).group(1).decode().upper()
    proc.stdin.write(first + request("PUT", "/mefClientReg/%s/mefClientCmd" % mat[:32], upd, rqi="c2"))
    proc.stdin.flush()
    rest, _ = proc.communicate(timeout=30)
    rsps = parse_all(buf + rest)
    assert [h["x-m2m-rsc"] for _, h, _ in rsps] == ["2001", "4105"], rsps


def csr_der(san_uri):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
           .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(san_uri)]), critical=True)
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.DER)


def est_post(body, op="simpleenroll"):
    return request("POST", "/.well-known/est/" + op, body, ctype="application/pkcs10")


def test_est_refusals(world):
    w = world
    kpm_id, kpm = w.add("dev11", "Cdev11")
    # N15 a CSR claiming a foreign AE-ID
    b64 = base64.encodebytes(csr_der("m2m://%s/id-in/Cstranger" % SP)).decode()
    _, rsps = w.psk_session(kpm_id, kpm, est_post(b64))
    assert rsps[0][0] == 403 and rsps[0][2].strip() == "subjectAltName not allowed for this enrolee", rsps
    # N16 not a PKCS#10
    _, rsps = w.psk_session(kpm_id, kpm, est_post("bm90IGEgY3NyCg==\n"))
    assert rsps[0][0] == 400 and rsps[0][2].strip() == "bad PKCS#10 request or signature", rsps
    # its own AE-ID is issued (the control)
    b64 = base64.encodebytes(csr_der("m2m://%s/id-in/Cdev11" % SP)).decode()
    _, rsps = w.psk_session(kpm_id, kpm, est_post(b64))
    assert rsps[0][0] == 200, rsps
    # N17 EST by an Enrolment Target; N18 no server-side key generation
    assert w.target_session(est_post(b64))[0][0] == 403
    _, rsps = w.psk_session(kpm_id, kpm, request("POST", "/.well-known/est/serverkeygen", b64))
    assert rsps[0][0] == 404, rsps


def test_certificate_flow_cse_accepts_then_crl_refuses(world, tmp_path):
    w = world
    kpm_id, kpm = w.add("dev12", "Cdev12")
    out = tmp_path / "dev12"
    r = w.enrol(kpm_id, kpm, out, "--cert")
    assert r.returncode == 0, r.stderr
    crt, key = str(out / "cert.pem"), str(out / "cert.key")
    assert oct(os.stat(key).st_mode & 0o777) == "0o600"
    san = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-ext", "subjectAltName"], capture_output=True,
                         text=True).stdout
    assert "URI:m2m://%s/id-in/Cdev12" % SP in san
    sess = w.c.cert_session(crt, key)
    r = w.c.cert(sess, "POST", "/cse-in", "Cdev12", ae("dev12"), ty=2)
    assert r.rsc == 2001, r
    r = w.c.cert(w.c.cert_session(crt, key), "GET", "/cse-in", "Cdev99")
    assert r.rsc == 4106, r                                       # a certificate's From is bound too
    # N19 revoked (the enrolee, hence its certificate) -> CRL published -> the CSE refuses it
    w.revoke(kpm_id)
    assert w.publish_crl() != "0"

    def refused():
        try:
            w.c.cert(w.c.cert_session(crt, key), "GET", "/cse-in/dev12", "Cdev12")
            return False
        except (requests.exceptions.SSLError, requests.exceptions.ConnectionError):
            return True
    end = time.monotonic() + 30                  # a bound on the wait for crl-refresh-seconds
    while time.monotonic() < end and not refused():
        time.sleep(0.3)
    assert refused()


# ---- their own processes: MEF down, rate limit -----------------------------------------------------

def test_mef_down_fails_closed_other_clients_served(m2msec_bin, tmp_path):
    w = World(m2msec_bin, tmp_path, mef_extra="rate-limit-per-identity = 0\nrate-limit-per-address = 0\n")
    w.start_mef()
    try:
        w.start_cse()
        keid, ke, tkey, kpm_id, kpm = kpm_registration(w, "dev13", "Cdev13")
        w.stop_mef()
            # N33 the KeID is new to the CSE and the MEF is down: the handshake fails (fail closed) ...
        assert w.cse_psk(keid, tkey, "GET", "/cse-in", "Cdev13") is None
        # ... and a client with a provisioned PSK is still served
        r = w.c.psk("GET", "/cse-in", "CAdmin", "kpsa-adm@" + SP)
        assert r is not None and r.rsc == 2000, r
    finally:
        w.stop()


def test_rate_limit_429_retry_after(m2msec_bin, tmp_path):
    w = World(m2msec_bin, tmp_path, mef_extra="rate-limit-per-identity = 2\nrate-limit-per-address = 0\n")
    w.start_mef()
    try:
        kpm_id, kpm = w.add("dev14", "Cdev14")
        reqs = b"".join(request("GET", "/mefClientReg/" + "00" * 16, close=(i == 3), rqi="q%d" % i)
                        for i in range(4))
        _, rsps = w.psk_session(kpm_id, kpm, reqs)
        statuses = [s for s, _, _ in rsps]
        assert 429 in statuses, rsps                                     # N34
        s, h, b = rsps[statuses.index(429)]
        assert h["x-m2m-rsc"] == "4000" and int(h["retry-after"]) >= 1, (h, b)
    finally:
        w.stop_mef()
