# SPDX-License-Identifier: Apache-2.0
"""MAF-based SAEF end to end over real TLS with every real binary (issue 8 "Tests and benchmark";
TS-0003 §8.2.2.3, §8.8.2, §8.8.1 key split, §10.3; docs/procedures/maf.md).

One CA (`m2msec ca`, generated here: no committed key), a real `m2msec mef` (the MAF is one of
its Enrolment Targets, `maf-fqdns`), a real `m2msec maf` (its own association with the MEF,
`mef-cache-seconds = 1`) and a real `m2msec cse` (Entity B: `maf-url`/`maf-ca`/`maf-cert`/
`maf-key`/`maf-name`, `maf-cache-seconds = 0` so each handshake asks the MAF). Entity A is
`m2msec maf-client` (pre-provisioned Km from `m2msec maf client add`, or `--enrolment` from
`m2msec enrol`); it then reaches the CSE with an independent TLS-PSK client (`openssl s_client
-psk_identity <kcid> -psk <target.psk>`). Raw procedures go to the MAF with `openssl s_client`
(TLS-PSK KmID/Km, or the CSE's / another CSE's certificate).

Each negative case asserts the exact refusal; its comment names the check that, removed, makes
it fail:
  N1  Kc retrieval by a CSE not in targetIDs (its certificate): 4004
  N2  Entity A with a Kc for another CSE (/id-mn1) at /id-in: handshake fails (MAF said 4004)
  N3  expired Kc: the CSE's handshake fails, the target's retrieval 4103
  N4  Key Registration Update to an expirationTime in the past: 4000
  N5  de-registered Kc: the CSE's handshake fails, the target's retrieval 4004
  N6  a second de-registration: maf-client exit 1, RSC 4004
  N7  de-registration by a non-source: maf-client exit 1, RSC 4004 (the key still works)
  N8  an AE retrieving another's key: 4004 (no oracle)
  N9  revoked client: its maf-client run exits 1, its Kc fails at the CSE, retrieval 4103
  N10 wrong KmID: exit 1, nothing written
  N11 wrong Km: exit 1, nothing written
  N12 Km whose enrolment was revoked at the MEF: exit 1, the assigned KmID fails, its Kc 4103
  N13 the remote-provisioning (KeID) association trying Key Registration: 4103
  N14 key registration before client registration: 4103
  N15 kcid with a flipped hex digit: the CSE's handshake fails
  N16 kcid with another FQDN part, 31 / 33 hex digits or a path: the handshake
      fails and the MAF is not asked
  N17 the KcID of another key with this key's psk: the handshake fails
  N18 the whole Kc or its second half as psk: the handshake fails (key split §8.8.1)
  N19 spoofed From on the Kc association: 4106
  N20-N26 malformed key registrations raw over TLS-PSK (unknown member, SUID 31, two targets for
      SUID 32, missing fqdn, keyValue of 31 bytes, fqdn of another MAF, not JSON): 4000
  N27 MAF down: a Kc handshake at the CSE fails, a provisioned-PSK client is still served
  N28 MAF Client De-Registration: its Kc fails at the CSE, retrieval 4004
  N29 a CSE whose maf-name is not in the MAF's certificate: handshake fails, the MAF is never asked
  N30 a second Key Registration of the same session's KcID: 4105
  N31 a key registered for ESPrim (SUID 33) / ESData (34) naming /id-in: the CSE's handshake fails
  N34 a hung MAF (SIGSTOP): the Kc handshake fails at the CSE's deadline, provisioned PSK served
  N33 no resumable TLS session offered on a Kc association (resumption would bypass the MAF)
  N32 a keyValue chosen by Entity A presented whole as psk: the handshake fails
Positive: both Km flavours; a re-run after a de-registration keeps the AE; a keyValue chosen by A;
the Key Identifier matched case-insensitively; the Kc cache bounded by expirationTime; a MAF restart.
"""
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time

import pytest

from cse_harness import SP, Cse, parse_http
from test_24_cse_mef import AE_BODY
from test_25_mef_e2e import FQDN as MEF_FQDN, World, parse_all
from test_30_maf_service import FQDN, KM_LABEL, Maf, cert_call, client_reg, key_reg, psk_call, request, ts

CSE_ID = "//%s/id-in" % SP
RAW = b"GET /cse-in HTTP/1.1\r\nX-M2M-Origin: CAdmin\r\nX-M2M-RI: 1\r\nX-M2M-RVI: 3\r\nConnection: close\r\n\r\n"


class Env:
    """World (CA, MEF, CSE) + a real MAF and helpers for Entity A."""

    def __init__(self, w, maf):
        self.w, self.c, self.maf = w, w.c, maf
        self.n = 0
        self.owner, self.clients = {}, {}  # kcid -> its source's AE-ID, KmID -> AE-ID
        self.secrets = set()  # every Km, Kc and psk of this run: never in a log

    def client(self, name, client_id):
        """A pre-provisioned MAF client: (KmID, Km hex, Km file)."""
        km, kmid = secrets.token_hex(32), "%s@%s" % (name, FQDN)
        self.secrets.add(km)
        r = self.maf.add(kmid, km, client=client_id)
        self.clients[kmid] = client_id
        assert r.returncode == 0, r.stderr
        return kmid, km, self.c.path("km-%s" % name)

    def maf_client(self, *args):
        return subprocess.run([self.c.bin, "maf-client", *args[:1], "--maf", "127.0.0.1:%d" % self.maf.port,
                               "--maf-ca", self.c.path("ca/ca.crt"), *args[1:]],
                              capture_output=True, text=True, timeout=60)

    def key(self, kmid, kmfile, target=CSE_ID, extra=()):
        """`m2msec maf-client key`: (CompletedProcess, out dir)."""
        self.n += 1
        out = self.c.path("kc%d" % self.n)
        return self.maf_client("key", "--km-id", kmid, "--km-file", kmfile, "--target", target, "--out", out,
                               *extra), out

    def key_ok(self, kmid, kmfile, target=CSE_ID):
        r, out = self.key(kmid, kmfile, target)
        assert r.returncode == 0, r.stderr
        kcid, kc, psk = read_out(out)
        self.secrets.update((kc, psk))
        self.owner[kcid] = self.clients[kmid]
        return kcid, kc, psk

    def cse(self, kcid, psk, method="GET", path="/cse-in", origin=None, body=None, ty=None):
        """One request over the Kc association; the default: GET /cse-in as the key's source."""
        origin = origin or self.owner[kcid]
        return self.c.psk(method, path, origin, kcid, body=body, ty=ty, key=psk)

    def second_cse(self, tmp, cache_seconds, maf_name=FQDN):
        """Another `m2msec cse` /id-in (same CA and certificate, own store and port) with its own
        maf-cache-seconds."""
        c2 = Cse(self.c.bin, tmp)
        os.makedirs(c2.path("ca"))
        for n in ("ca/ca.crt", "server.crt", "server.key"):
            shutil.copy2(self.c.path(n), c2.path(n))
        c2.add_psk("kpsa-adm@" + SP, "CAdmin")
        return c2.start("maf-url = https://127.0.0.1:%d\nmaf-name = %s\nmaf-ca = %s\nmaf-cert = %s\nmaf-key = %s\n"
                        "maf-cache-seconds = %d\n" % (self.maf.port, maf_name, c2.path("ca/ca.crt"),
                                                      c2.path("server.crt"), c2.path("server.key"), cache_seconds))

    def served(self, kcid, psk, c=None):
        """The Kc handshake completes and From = the key's source is accepted (not 4106): GET
        /cse-in by an AE that registered nothing is then the CSE's access decision, 4103."""
        rep = (c or self.c).psk("GET", "/cse-in", self.owner[kcid], kcid, key=psk)
        return rep is not None and rep.rsc == 4103 and "no privilege" in rep.body

    def handshake_fails(self, kcid, psk, c=None):
        rc, out = (c or self.c).psk_raw(RAW, kcid, key=psk)
        return rc != 0 and b"HTTP/1.1" not in out

    def retrievals(self, kcid, want=1):
        """The Key Retrieval audit lines naming kcid: (outcome, rsc, client). The MAF writes an
        audit line after its answer, so wait (bounded) until `want` lines are there."""
        rel = kcid.split("@")[0].upper()
        return wait_for(lambda: [(a["outcome"], a["rsc"], a.get("client")) for a in self.maf.audits()
                                 if a["procedure"] == "key-retrieval" and rel in (a.get("key_id") or "").upper()],
                        want)

    def cse_since(self, n, want):
        """This CSE's Key Retrieval lines after the first n, once `want` of them are written."""
        return wait_for(lambda: self.cse_retrievals()[n:], want)

    def settled(self, kcid):
        """The Key Retrieval lines naming kcid once every earlier audit line is written: a sentinel
        retrieval (an unknown relKeyID, this CSE's certificate) is made and waited for first."""
        n = len(self.cse_retrievals())
        st, h, b = cert_call(self.maf, "server", request("GET", "/mafKeyReg/" + "0" * 32, rqi="sentinel"))
        assert h["x-m2m-rsc"] == "4004", b
        assert ("not-found", 4004, None) in self.cse_since(n, 1)
        return self.retrievals(kcid, 0)

    def cse_retrievals(self):
        """Every Key Retrieval audit line of this CSE: (outcome, rsc, key_id or None: a refusal
        that names no key, no oracle)."""
        return [(a["outcome"], a["rsc"], a.get("key_id")) for a in self.maf.audits()
                if a["procedure"] == "key-retrieval" and a.get("client") == CSE_ID]


def wait_for(fn, want, bound=10.0):
    """fn() once it has at least `want` items (a bound for a log line written after the answer;
    waiting longer never changes the outcome, nothing is timed)."""
    end = time.monotonic() + bound
    got = fn()
    while len(got) < want and time.monotonic() < end:
        time.sleep(0.05)
        got = fn()
    return got


def read_out(out):
    def rd(n):
        with open(os.path.join(out, n)) as f:
            return f.read().strip()
    return rd("kcid"), rd("kc").lower(), rd("target.psk").lower()


@pytest.fixture(scope="module")
def env(m2msec_bin, tmp_path_factory):
    w = World(m2msec_bin, tmp_path_factory.mktemp("maf-e2e"),
              mef_extra="rate-limit-per-identity = 0\nrate-limit-per-address = 0\nmaf-fqdns = %s\n" % FQDN)
    w.c.issue("maf", FQDN)
    w.c.issue("mn1-maf", "id-mn1." + SP)
    w.start_mef()
    maf = Maf(w.c, "mef-url = https://127.0.0.1:%d\nmef-name = %s\nmef-ca = %s\nmef-cert = %s\nmef-key = %s\n"
                   "mef-cache-seconds = 1\nrate-limit-per-identity = 0\nrate-limit-per-address = 0\n" % (
                       w.mef_port, MEF_FQDN, w.c.path("ca/ca.crt"), w.c.path("maf.crt"), w.c.path("maf.key")),
              cert="maf")
    maf.start()
    # the CSE's own association with the MAF: its /id-in certificate, the MAF named by maf-name
    w.cse_extra = ("maf-url = https://127.0.0.1:%d\nmaf-name = %s\nmaf-ca = %s\nmaf-cert = %s\nmaf-key = %s\n"
                   "maf-cache-seconds = 0\n" % (maf.port, FQDN, w.c.path("ca/ca.crt"), w.c.path("server.crt"),
                                                w.c.path("server.key")))
    try:
        w.start_cse()
        e = Env(w, maf)
        yield e
        assert w.c.stop() == 0, "the CSE did not stop cleanly"
    finally:
        maf.stop()
        w.stop()
    # no key in any log (the CSE logs at debug level): Km, Kc, the psk half
    for log in (w.c.log, maf.log, w.c.path("mef.log")):
        with open(log) as f:
            text = f.read().lower()
        leaked = [k for k in e.secrets if k.lower() in text]
        assert not leaked and len(e.secrets) > 20, (log, len(leaked))


def test_kc_chain_pre_provisioned_km(env):
    """Entity A (AE Cae1, pre-provisioned Km) obtains Kc for /id-in and registers at the CSE,
    which retrieved Kc from the MAF over its certificate association; the association is bound
    to A's AE-ID (a spoofed From: N19)."""
    kmid, km, kf = env.client("ae1", "Cae1")
    r, out = env.key(kmid, kf)
    assert r.returncode == 0, r.stderr
    kcid, kc, psk = read_out(out)
    assert kcid in r.stdout
    assert re.fullmatch(r"[0-9A-Fa-f]{32}@" + re.escape(FQDN), kcid, re.I), kcid
    assert len(kc) == 64 and psk == kc[:32]  # key split §8.8.1, computed here
    assert oct(os.stat(os.path.join(out, "target.psk")).st_mode & 0o777) == "0o600"
    rep = env.cse(kcid, psk, "POST", "/cse-in", "Cae1", AE_BODY % "ae1", ty=2)
    assert rep is not None and rep.rsc == 2001, rep
    assert rep.json()["m2m:ae"]["aei"] == "Cae1"
    rep = env.cse(kcid, psk, "GET", "/cse-in/ae1", "Cae1")
    assert rep is not None and rep.rsc == 2000, rep
    # N19: the association is bound to the sourceID the MAF reported (TS-0004 §7.3.2.1; fails if
    # the CSE dropped the binding of the Kc association to sourceID)
    rep = env.cse(kcid, psk, "GET", "/cse-in/ae1", "Cspoof")
    assert rep is not None and rep.rsc == 4106, rep
    rep = env.cse(kcid, psk, "POST", "/cse-in", "Cspoof", AE_BODY % "spoof1", ty=2)  # nor register another AE-ID
    assert rep is not None and rep.rsc == 4106, rep
    # the MAF handed Kc to the CSE (certificate /id-in): key-retrieval ok, once per handshake
    got = env.retrievals(kcid, 4)
    assert len(got) == 4 and all(g[:2] == ("ok", 2000) for g in got), got
    assert all(g[2] == CSE_ID for g in got), got
    # N18: the whole Kc, its second half: no handshake (the key split check at the CSE)
    assert env.handshake_fails(kcid, kc)
    assert env.handshake_fails(kcid, kc[32:])


def test_n1_n2_not_a_target(env):
    kmid, km, kf = env.client("ae2", "Cae2")
    kcid, kc, psk = env.key_ok(kmid, kf)
    rel = kcid.split("@")[0]
    # N1: the targetIDs check of Key Retrieval (§8.8.2.8): another CSE's certificate gets 4004
    st, h, b = cert_call(env.maf, "mn1-maf", request("GET", "/mafKeyReg/" + rel))
    assert (st, h["x-m2m-rsc"]) == (404, "4004") and "keyValue" not in b, b
    # N2: a Kc for /id-mn1 presented to /id-in: the MAF refuses /id-in (4004), the handshake fails
    kcid2, kc2, psk2 = env.key_ok(kmid, kf, target="//%s/id-mn1" % SP)
    assert env.handshake_fails(kcid2, psk2)
    assert env.retrievals(kcid2) == [("not-found", 4004, CSE_ID)], env.retrievals(kcid2)


def test_n3_n4_expired_kc(env, tmp_path):
    kmid, km, kf = env.client("ae3", "Cae3")
    kcid, kc, psk = env.key_ok(kmid, kf)
    rel = kcid.split("@")[0]
    # N4: Key Registration Update to a time in the past: 4000 (the "in.et <= now" check)
    upd = request("PUT", "/mafKeyReg/" + rel, {"sec:keyRegCfg": {"expirationTime": ts(-10)}})
    out = psk_call(env.maf, kmid, km, upd)
    assert out is not None and (out[0], out[1]["x-m2m-rsc"]) == (400, "4000"), out and out[2]
    # shrink the window to 2 s (the source's Key Registration Update), then wait clearly past it;
    # waiting longer never changes the outcome, nothing is timed
    upd = request("PUT", "/mafKeyReg/" + rel, {"sec:keyRegCfg": {"expirationTime": ts(2)}})
    out = psk_call(env.maf, kmid, km, upd)
    assert out is not None and out[1]["x-m2m-rsc"] == "2004", out and out[2]
    assert env.served(kcid, psk)
    # a CSE that caches keys for 60 s caches this one no longer than its expirationTime
    c2 = env.second_cse(tmp_path, 60)
    try:
        assert env.served(kcid, psk, c2)
        assert len(env.retrievals(kcid, 2)) == 2  # the CSE and the second one
        assert env.served(kcid, psk, c2) and len(env.settled(kcid)) == 2  # served from its cache
        time.sleep(3.5)
        # N3b: cached, but expired: the handshake fails (the key cache's expiry bound)
        assert env.handshake_fails(kcid, psk, c2)
    finally:
        assert c2.stop() == 0
    # N3: expired (the key's validity check at Key Retrieval, and the CSE's expiry check)
    assert env.handshake_fails(kcid, psk)
    st, h, b = cert_call(env.maf, "server", request("GET", "/mafKeyReg/" + rel))
    assert (st, h["x-m2m-rsc"]) == (403, "4103") and "keyValue" not in b, b


def test_n5_to_n8_deregistration_and_ownership(env):
    kmid, km, kf = env.client("ae4", "Cae4")
    kmid_b, km_b, kf_b = env.client("ae5", "Cae5")
    kcid, kc, psk = env.key_ok(kmid, kf)
    rel = kcid.split("@")[0]
    assert env.key_ok(kmid_b, kf_b)  # B is a registered client with a key of its own
    # N8: another AE retrieving A's key: 4004 like an unknown key (the targetIDs/source check)
    out = psk_call(env.maf, kmid_b, km_b, request("GET", "/mafKeyReg/" + rel))
    assert out is not None and (out[0], out[1]["x-m2m-rsc"]) == (404, "4004") and "keyValue" not in out[2]
    # the source itself sees its record, never the key value
    out = psk_call(env.maf, kmid, km, request("GET", "/mafKeyReg/" + rel))
    assert out[1]["x-m2m-rsc"] == "2000" and "keyValue" not in out[2], out[2]
    # N7: de-registration by a non-source: 4004 (the source check of Key De-Registration); A's key lives
    r = env.maf_client("deregister", "--km-id", kmid_b, "--km-file", kf_b, "--kcid", kcid)
    assert r.returncode == 1 and "RSC 4004" in r.stderr, r.stderr
    assert env.served(kcid, psk)
    sess = env.c.path("sess-ae4.pem")
    rc, out = env.c.psk_raw(RAW, kcid, key=psk, extra_args=("-sess_out", sess))
    # N33: the CSE offers no resumable session (tls_ctx.c: no tickets, no session cache): a
    # resumption would skip the PSK callback, so a de-registered or expired Kc would keep working
    assert b"HTTP/1.1 " in out and not os.path.exists(sess)
    # N5: de-registered by A: the next handshake at the CSE fails (maf-cache-seconds = 0), 4004
    r = env.maf_client("deregister", "--km-id", kmid, "--km-file", kf, "--kcid", kcid)
    assert r.returncode == 0 and "deregistered" in r.stdout, r.stderr
    assert env.handshake_fails(kcid, psk)
    st, h, b = cert_call(env.maf, "server", request("GET", "/mafKeyReg/" + rel))
    assert (st, h["x-m2m-rsc"]) == (404, "4004"), b
    # N6: twice: 4004
    r = env.maf_client("deregister", "--km-id", kmid, "--km-file", kf, "--kcid", kcid)
    assert r.returncode == 1 and "RSC 4004" in r.stderr, r.stderr


def test_n9_revoked_client(env):
    kmid, km, kf = env.client("ae6", "Cae6")
    kcid, kc, psk = env.key_ok(kmid, kf)
    rv = env.maf.m2m("client", "revoke", "--config", env.maf.ini, "--km-id", kmid)
    assert rv.returncode == 0, rv.stderr
    # the Km record's state check at the MAF Handshake
    r, out = env.key(kmid, kf)
    assert r.returncode == 1 and not os.path.exists(out), r.stderr
    # the registering record's state check at Key Retrieval: 4103, the CSE's handshake fails
    assert env.handshake_fails(kcid, psk)
    st, h, b = cert_call(env.maf, "server", request("GET", "/mafKeyReg/" + kcid.split("@")[0]))
    assert (st, h["x-m2m-rsc"]) == (403, "4103") and "keyValue" not in b, b


def test_n10_n11_wrong_kmid_or_km(env):
    kmid, km, kf = env.client("ae7", "Cae7")
    # N10: the KmID lookup (unknown identity fails the handshake)
    r, out = env.key("nobody@" + FQDN, kf)
    assert r.returncode == 1 and not os.path.exists(out), r.stderr
    # N11: the PSK itself (a wrong Km fails the handshake)
    bad = env.c.path("km-wrong")
    with open(bad, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    os.chmod(bad, 0o600)
    r, out = env.key(kmid, bad)
    assert r.returncode == 1 and not os.path.exists(out), r.stderr
    assert env.key_ok(kmid, kf)  # the right pair works


def test_n14_key_registration_before_client_registration(env):
    kmid, km, kf = env.client("ae8", "Cae8")
    # the "registration required" check of Key Registration (maf.md; maf-client would register first)
    out = psk_call(env.maf, kmid, km, key_reg())
    assert out is not None and (out[0], out[1]["x-m2m-rsc"]) == (403, "4103"), out and out[2]
    assert ("key-registration", "not-registered", 4103) in [
        (a["procedure"], a["outcome"], a["rsc"]) for a in env.maf.audits()]


def test_n15_to_n17_tampered_identifiers(env):
    kmid, km, kf = env.client("ae9", "Cae9")
    kcid, kc, psk = env.key_ok(kmid, kf)
    kcid_b, kc_b, psk_b = env.key_ok(kmid, kf)
    rel = kcid.split("@")[0]
    # N15: one hex digit flipped: an unknown relKeyID at the MAF (4004), the handshake fails
    flipped = ("0" if rel[0] != "0" else "1") + rel[1:] + "@" + FQDN
    env.settled(kcid)  # every earlier line written
    n = len(env.cse_retrievals())
    assert env.handshake_fails(flipped, psk)
    assert env.cse_since(n, 1) == [("not-found", 4004, None)], env.cse_retrievals()[n:]
    # N16: another FQDN part: not this CSE's maf-name, so no MAF identity and no PSK (the MAF is
    # not asked: the maf-name check of the CSE's identity recogniser)
    # not asked: the maf-name check of the CSE's identity recogniser); nor for a relKeyID that is not
    # 32 hex digits (31, 33, a path segment): the CSE builds /mafKeyReg/<relKeyID> only from those
    env.settled(kcid)
    n = len(env.cse_retrievals())
    for ident in (rel + "@maf2." + SP, rel[:31] + "@" + FQDN, rel + "0@" + FQDN,
                  "0" * 16 + "/../mafClientReg@" + FQDN):
        assert env.handshake_fails(ident, psk), ident
    env.settled(kcid)
    assert env.cse_retrievals()[n:] == [("not-found", 4004, None)], env.cse_retrievals()[n:]  # the sentinel only
    # N17: the KcID of another key with this key's psk: the PSK mismatch fails the handshake
    assert env.handshake_fails(kcid_b, psk)
    assert env.served(kcid, psk)


def test_rerun_after_deregistration_and_identifier_case(env):
    """A re-runs the MAF procedures after a de-registration (§8.2.2.3) and keeps its AE at the
    CSE; the Key Identifier is matched case-insensitively (hex and FQDN, as KmIDs, clause 10.6) and
    its FQDN with or without the trailing dot."""
    kmid, km, kf = env.client("ae13", "Cae13")
    kcid, kc, psk = env.key_ok(kmid, kf)
    rep = env.cse(kcid, psk, "POST", "/cse-in", "Cae13", AE_BODY % "ae13", ty=2)
    assert rep is not None and rep.rsc == 2001, rep
    r = env.maf_client("deregister", "--km-id", kmid, "--km-file", kf, "--kcid", kcid)
    assert r.returncode == 0, r.stderr
    assert env.handshake_fails(kcid, psk)
    kcid2, kc2, psk2 = env.key_ok(kmid, kf)
    assert kcid2 != kcid
    rep = env.cse(kcid2, psk2, "GET", "/cse-in/ae13", "Cae13")
    assert rep is not None and rep.rsc == 2000, rep
    rel, fq = kcid2.split("@")
    # docs/identifiers.md: FQDNs compare case-insensitively and without the trailing dot
    for variant in (rel.lower() + "@" + fq, rel.upper() + "@" + fq.upper(), rel + "@" + fq + "."):
        rep = env.c.psk("GET", "/cse-in/ae13", "Cae13", variant, key=psk2)
        assert rep is not None and rep.rsc == 2000, (variant, rep)


def raw_key(env, kmid, km, **over):
    """A Key Registration sent raw (openssl s_client, KmID/Km): (answer, exported material)."""
    cfg = {"fqdn": FQDN, "adminFQDN": "admin." + SP, "SUID": 32, "targetIDs": [CSE_ID],
           "expirationTime": ts(3600)}
    cfg.update(over)
    out = psk_call(env.maf, kmid, km, request("POST", "/mafKeyReg", {"sec:keyRegCfg": cfg}))
    assert out is not None and out[1]["x-m2m-rsc"] == "2001", out and out[2]
    env.secrets.update((out[3][32:].lower(), over.get("keyValue", "").lower() or out[3][32:64].lower()))
    return json.loads(out[2])["sec:mafKeyReg"], out[3]


def test_key_value_of_the_client_and_other_suids(env):
    """A keyValue chosen by Entity A (Table 8.8.2.7-1) works at the CSE with its first half; a key
    registered for ESPrim (SUID 33) or ESData (34) naming /id-in is no TLS key: the CSE's SUID check
    of the retrieval answer fails the handshake although the MAF hands the key out."""
    kmid, km, kf = env.client("ae14", "Cae14")
    out = psk_call(env.maf, kmid, km, client_reg())
    assert out[1]["x-m2m-rsc"] == "2001", out[2]
    value = secrets.token_hex(32)
    reg, material = raw_key(env, kmid, km, keyValue=value)
    assert reg["relKeyID"].upper() != material[:32]  # random, not this session's KcID
    kcid = reg["keyID"]
    env.owner[kcid] = "Cae14"
    assert env.served(kcid, value[:32])
    assert env.handshake_fails(kcid, value)  # N32: the whole key is not the psk (m2m_key_split)
    for suid, targets in ((33, [CSE_ID]), (34, [CSE_ID, "//%s/id-mn1" % SP])):
        reg, material = raw_key(env, kmid, km, SUID=suid, targetIDs=targets)
        n = len(env.cse_retrievals())
        # N31: the SUID check of the CSE's answer parser (maf_key_rsp.c); removed, the handshake completes
        assert env.handshake_fails(reg["keyID"], material[32:64].lower())
        assert [x[:2] for x in env.cse_since(n, 1)] == [("ok", 2000)]  # refused by the CSE itself


def test_n30_same_session_kcid_twice(env):
    """Two Key Registrations without keyValue on one MAF Handshake: the second names the same
    KcID, 4105 (the MAF's uniqueness check), and the first key stays."""
    kmid, km, kf = env.client("ae15", "Cae15")
    out = psk_call(env.maf, kmid, km, client_reg())
    assert out[1]["x-m2m-rsc"] == "2001", out[2]
    body = {"sec:keyRegCfg": {"fqdn": FQDN, "adminFQDN": "admin." + SP, "SUID": 32, "targetIDs": [CSE_ID],
                              "expirationTime": ts(3600)}}
    raw = request("POST", "/mafKeyReg", body, "k1", close=False) + request("POST", "/mafKeyReg", body, "k2")
    cmd = ["openssl", "s_client", "-tls1_2", "-ign_eof", "-psk_identity", kmid, "-psk", km, "-cipher",
           "PSK-AES128-CBC-SHA256", "-keymatexport", "EXPORTER-oneM2M-Connection", "-keymatexportlen", "48",
           "-connect", "127.0.0.1:%d" % env.maf.port]
    r = subprocess.run(cmd, input=raw, capture_output=True, timeout=30)
    got = parse_all(r.stdout)
    assert [h["x-m2m-rsc"] for _, h, _ in got] == ["2001", "4105"], r.stdout[-400:]
    material = re.search(rb"Keying material: ([0-9A-Fa-f]+)", r.stdout).group(1).decode().upper()
    kcid = material[:32] + "@" + FQDN
    env.owner[kcid] = "Cae15"
    assert env.served(kcid, material[32:64].lower())


BAD_KEY_REGS = {
    "unknown-member": {"nope": 1},
    "suid-31": {"SUID": 31},
    "two-targets-suid-32": {"targetIDs": [CSE_ID, "//%s/id-mn1" % SP]},
    "missing-fqdn": {"fqdn": None},
    "keyvalue-31-bytes": {"keyValue": "ab" * 31},
    "fqdn-other-maf": {"fqdn": "maf2." + SP},
    "expired": {"expirationTime": ts(-60)},
    "no-targets": {"targetIDs": []},
    "suid-string": {"SUID": "32"},
    "keyvalue-not-hex": {"keyValue": "zz" * 32},
}


@pytest.mark.parametrize("case", sorted(BAD_KEY_REGS) + ["not-json"])
def test_n20_n26_malformed_key_registration(env, case):
    """docs/procedures/maf.md "MAF Key Registration": each one of the body checks (member set,
    SUID set, target count per SUID, mandatory fqdn, Kc length, fqdn = this MAF, JSON) gives
    4000 and registers nothing."""
    kmid, km, kf = env.client("bad-" + case, "Cbad" + case.replace("-", ""))
    out = psk_call(env.maf, kmid, km, client_reg())
    assert out[1]["x-m2m-rsc"] == "2001", out[2]
    if case == "not-json":
        raw = ("POST /mafKeyReg HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: rb\r\nX-M2M-RVI: 3\r\nContent-Type: "
               "application/json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{\"sec:key" % FQDN).encode()
    else:
        cfg = {"fqdn": FQDN, "adminFQDN": "admin." + SP, "SUID": 32, "targetIDs": [CSE_ID],
               "expirationTime": ts(3600)}
        cfg.update(BAD_KEY_REGS[case])
        cfg = {k: v for k, v in cfg.items() if v is not None}
        raw = request("POST", "/mafKeyReg", {"sec:keyRegCfg": cfg})
    out = psk_call(env.maf, kmid, km, raw)
    assert out is not None and (out[0], out[1]["x-m2m-rsc"]) == (400, "4000"), out and out[2]
    show = json.loads(env.maf.m2m("client", "show", "--config", env.maf.ini, "--km-id", kmid, "--json").stdout)
    assert show["kc_keys"] == 0, show


def test_enrolment_flavour_and_mef_revocation(env):
    """`m2msec enrol` (the MAF an Enrolment Target at the MEF, maf-fqdns) then `m2msec maf-client
    key --enrolment`: the MAF fetches Km from the MEF, Entity A reaches the CSE with its Kc. N13:
    the KeID association may not register keys (4103). N12: revoked at the MEF: the next run
    fails, the assigned KmID is revoked at its re-check, and the CSE refuses its Kc."""
    w = env.w
    kpm_id, kpm = w.add("rdev1", "Crdev1", "/id-in", extra=["--target", FQDN])
    enr = env.c.path("enr-rdev1")
    r = w.enrol(kpm_id, kpm, enr)
    assert r.returncode == 0, r.stderr
    common = ["--enrolment", enr, "--maf-fqdn", FQDN, "--target", CSE_ID]
    r = env.maf_client("key", *common, "--out", env.c.path("kc-enr1"))
    assert r.returncode == 0, r.stderr
    kcid, kc, psk = read_out(env.c.path("kc-enr1"))
    assert psk == kc[:32]
    rep = env.cse(kcid, psk, "POST", "/cse-in", "Crdev1", AE_BODY % "rdev1", ty=2)
    assert rep is not None and rep.rsc == 2001, rep
    rep = env.cse(kcid, psk, "GET", "/cse-in/rdev1", "Cae1")  # N19 again, for this flavour
    assert rep is not None and rep.rsc == 4106, rep
    assert env.retrievals(kcid)[0][:2] == ("ok", 2000)
    with open(os.path.join(enr, "ke")) as f:
        ke = bytes.fromhex(f.read().strip())
    with open(os.path.join(enr, "keid")) as f:
        keid = f.read().strip()
    km = hmac.new(ke, KM_LABEL + FQDN.encode(), hashlib.sha256).hexdigest()  # §10.3.2
    # N13: the KeID (remote provisioning) association may run Client Registration only (4103)
    out = psk_call(env.maf, keid, km, key_reg())
    assert out is not None and (out[0], out[1]["x-m2m-rsc"]) == (403, "4103"), out and out[2]
    rows = [json.loads(ln) for ln in env.maf.m2m("client", "list", "--config", env.maf.ini,
                                                   "--json").stdout.splitlines()]
    kmid = [x["km_id"] for x in rows if x["client_id"] == "Crdev1"][0]
    # N12: revoked at the MEF; the MAF's re-check (mef-cache-seconds = 1) honours it. The sleep only
    # lets that window pass (waiting longer never changes the outcome).
    w.revoke(kpm_id)
    time.sleep(1.5)
    r = env.maf_client("key", *common, "--out", env.c.path("kc-enr2"))
    assert r.returncode == 1 and not os.path.exists(env.c.path("kc-enr2")), r.stderr
    assert psk_call(env.maf, kmid, km, client_reg()) is None  # the assigned KmID: revoked at its re-check
    assert env.handshake_fails(kcid, psk)  # its Kc: source revoked (4103)
    assert env.retrievals(kcid, 2)[-1][:2] == ("revoked", 4103)


def test_n28_client_deregistration_deletes_its_keys(env):
    """MAF Client De-Registration (§8.8.2.6) deletes the client's key registrations: the CSE's
    next handshake with its Kc fails (4004 at the MAF). Fails if the De-Registration kept them."""
    kmid, km, kf = env.client("ae11", "Cae11")
    kcid, kc, psk = env.key_ok(kmid, kf)
    assert env.served(kcid, psk)
    out = psk_call(env.maf, kmid, km, client_reg())  # one registration per client: this replaces it
    assert out[1]["x-m2m-rsc"] == "2001", out[2]
    old_id = json.loads(out[2])["sec:mafClientReg"]["mafClientRegID"]
    out = psk_call(env.maf, kmid, km, client_reg())
    reg_id = json.loads(out[2])["sec:mafClientReg"]["mafClientRegID"]
    # a new registration replaces the previous one: its mafClientRegID is unknown now (4004)
    out = psk_call(env.maf, kmid, km, request("GET", "/mafClientReg/" + old_id))
    assert old_id != reg_id and out is not None and out[1]["x-m2m-rsc"] == "4004", out and out[2]
    assert env.served(kcid, psk)  # ... and the client's keys stay
    out = psk_call(env.maf, kmid, km, request("DELETE", "/mafClientReg/" + reg_id))
    assert out is not None and out[1]["x-m2m-rsc"] == "2002", out and out[2]
    assert env.handshake_fails(kcid, psk)
    st, h, b = cert_call(env.maf, "server", request("GET", "/mafKeyReg/" + kcid.split("@")[0]))
    assert (st, h["x-m2m-rsc"]) == (404, "4004"), b


def test_n29_maf_certificate_must_carry_maf_name(env, tmp_path):
    """A CSE whose maf-name is not the name in the MAF's certificate never sends its request: the
    server-certificate name check of the CSE's association with the MAF (a MAF impostor would
    otherwise hand out keys of its choice)."""
    kmid, km, kf = env.client("ae12", "Cae12")
    kcid, kc, psk = env.key_ok(kmid, kf)
    c2 = env.second_cse(tmp_path, 0, maf_name="maf2." + SP)
    try:
        assert env.handshake_fails(kcid.split("@")[0] + "@maf2." + SP, psk, c2)
        assert env.settled(kcid) == []  # never retrieved
        rep = c2.psk("GET", "/cse-in", "CAdmin", "kpsa-adm@" + SP)  # the provisioned key still works
        assert rep is not None and rep.rsc == 2000, rep
    finally:
        assert c2.stop() == 0


@pytest.mark.parametrize("origin,rsc", [("Cae16", 4103), ("Cspoof16", 4106)])
def test_tls13_external_psk_with_kc(env, origin, rsc):
    """The same Kc as a TLS 1.3 external PSK (RFC 8446 §2.2, the CSE's other PSK resolver path):
    the CSE retrieves it from the MAF and binds the association to the source; a spoofed From 4106
    (fails if the TLS 1.3 path skipped the binding)."""
    kmid, km, kf = env.client("ae16" + origin, "Cae16")
    kcid, kc, psk = env.key_ok(kmid, kf)
    raw = ("GET /cse-in HTTP/1.1\r\nX-M2M-Origin: %s\r\nX-M2M-RI: 1\r\nX-M2M-RVI: 3\r\nConnection: close"
           "\r\n\r\n" % origin).encode()
    def tls13(key):
        r = subprocess.run(["openssl", "s_client", "-quiet", "-tls1_3", "-psk", key, "-psk_identity", kcid,
                            "-ciphersuites", "TLS_AES_128_GCM_SHA256", "-connect", "127.0.0.1:%d" % env.c.port,
                            "-servername", "id-in." + SP], input=raw, capture_output=True, timeout=30)
        return r.returncode, r.stdout
    rc, out = tls13(psk)
    assert b"HTTP/1.1 " in out, out
    status, h, body = parse_http(out[out.index(b"HTTP/1.1 "):])
    assert int(h["x-m2m-rsc"]) == rsc, body
    assert [x[:2] for x in env.retrievals(kcid)] == [("ok", 2000)]
    # and with the wrong half, TLS 1.3 fails too
    rc, out = tls13(kc[32:])
    assert rc != 0 and b"HTTP/1.1" not in out


def test_n27_maf_down_last(env):
    """Runs last (it stops the MAF): a Kc the CSE has not cached fails closed; a provisioned-PSK
    client is still served (the resolver never blocks other handshakes)."""
    kmid, km, kf = env.client("ae10", "Cae10")
    kcid, kc, psk = env.key_ok(kmid, kf)
    assert env.served(kcid, psk)
    # N34: a MAF that accepts the connection and never answers (SIGSTOP): the CSE's lookup deadline
    # (psk-lookup-timeout-ms) fails that handshake closed while a provisioned-PSK client is served
    kcid2, kc2, psk2 = env.key_ok(kmid, kf)
    env.maf.proc.send_signal(signal.SIGSTOP)
    try:
        hung = subprocess.Popen(["openssl", "s_client", "-quiet", "-tls1_2", "-psk", psk2, "-psk_identity", kcid2,
                                 "-cipher", "PSK-AES128-CBC-SHA256", "-connect", "127.0.0.1:%d" % env.c.port],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        rep = env.c.psk("GET", "/cse-in", "CAdmin", "kpsa-adm@" + SP)
        assert rep is not None and rep.rsc == 2000, rep
        out, _ = hung.communicate(RAW, timeout=30)
        assert hung.returncode != 0 and b"HTTP/1.1" not in out
    finally:
        env.maf.proc.send_signal(signal.SIGCONT)
    env.maf.stop()
    # the CSE's fail-closed rule for an unreachable MAF
    assert env.handshake_fails(kcid, psk)
    rep = env.c.psk("GET", "/cse-in", "CAdmin", "kpsa-adm@" + SP)
    assert rep is not None and rep.rsc == 2000, rep
    # back up: the key registration survived the restart (one committed store transaction)
    env.maf.start()
    assert env.served(kcid, psk)

