# SPDX-License-Identifier: Apache-2.0
"""The CSE as NAF of the GBA-based RSPF (TS-0003 clause 8.3.2.3; 3GPP TS 33.220 clause 4.5.3 Zn,
TS 33.222 clause 5.4.0.1 TLS-PSK with B-TID identities), black-box, real processes on loopback:
`m2msec mef` as BSF (bsf-listen, hss-file) and as Zn server (its https-listen, RETRIEVE
/gbaNafKey/<B-TID>/<NAF FQDN>/<kind>), `m2msec mef subscriber add|set` (Enrolee-ID, authorised
NAFs, GBA_U), `m2msec enrol --gba` (the UE), `m2msec cse` with bsf-url (the NAF), and `openssl
s_client -psk_identity <B-TID> -psk <target.psk>` as an independent TLS-PSK peer.

End to end: subscriber added -> enrol --gba -> TLS-PSK with the B-TID to the CSE, which fetches
Ks_NAF over Zn during the handshake -> the AE registers with From = the subscriber's Enrolee-ID
(bound), any other From 4106. The Zn answer's key equals DIR/target.psk.

Negative cases in this file (with test_52's Ub cases: wrong K, wrong RES, unknown IMPI, replayed
RAND/AUTN, SQN out of range -> AUTS -> resynchronised, 0644 hss-file, 11 malformed Digest headers):
  Z1  unknown B-TID on Zn: 4004 "unknown B-TID"
  Z2  tampered B-TID (one base64 character) at the CSE: handshake fails
  Z3  a B-TID spelled with an upper-case FQDN (not the BSF's spelling): handshake fails
  Z4  NAF not authorised for the subscriber: Zn 4103 "NAF not authorised ..." and handshake fails
  Z5  subscriber without a Zn record: 4103, handshake fails
  Z6  a NAF asking for another NAF's key (NAF FQDN not its own): 4103
  Z7  Ks_int_NAF (GBA_U) for a GBA_ME subscriber: 4103 "GBA_U not available ..."
  Z8  malformed Zn requests (bad B-TID, standard base64 '/', unknown kind, extra segment): 4000
  Z9  Zn as DELETE: 4005
  Z10 Zn without mutual authentication (no client certificate): handshake fails, no answer
  Z11 another CSE (a NAF the subscriber does not list) asking for its own key: 4103
  Z12 expired bootstrap on Zn: 4103 "bootstrap expired"
  Z13 expired bootstrap at the NAF: a key cached by the CSE is not used past the bootstrap's
      lifetime (bsf-cache-seconds far longer): the handshake fails
  Z14 wrong key with the right B-TID: handshake fails
  Z15 spoofed From on the B-TID association: 4106
  Z16 a GBA_ME subscriber's B-TID at a GBA_U NAF (gba-naf-key = ks-int-naf): 4103, handshake fails
  Z17 Ks_NAF presented to a GBA_U NAF that uses Ks_int_NAF: handshake fails
"""
import json
import os
import secrets
import sqlite3
import time

import pytest

from cse_harness import SP
from test_25_mef_e2e import FQDN, World, ae, request
from test_48_milenage_cli import py_milenage  # noqa: F401  (the independent MILENAGE of test_52)

IMPI = "gba1@ims.mnc001.mcc001.3gppnetwork.org"
NAF = "id-in." + SP  # the public domain name of /id-in (TS-0003 clause 8.3.2.3)


def keys():
    return secrets.token_bytes(16), secrets.token_bytes(16)


class GbaWorld(World):
    def __init__(self, m2msec_bin, tmp, lifetime=3600, cache=1, naf_key="ks-naf"):
        from cse_harness import free_port
        self.bsf_port = free_port()
        self.lifetime = lifetime
        super().__init__(m2msec_bin, tmp, mef_extra="bsf-listen = 127.0.0.1:%d\nhss-file = %s\n"
                         "bootstrap-lifetime = %d\n" % (self.bsf_port, os.path.join(str(tmp), "hss.txt"), lifetime))
        hss = self.c.path("hss.txt")
        open(hss, "w").close()
        os.chmod(hss, 0o600)
        self.c.issue("dev", "cgba9." + SP)  # another CSE (//sp.example.com/cgba9), not authorised
        self.cse_extra = ("bsf-url = https://127.0.0.1:%d\nbsf-ca = %s\nbsf-cert = %s\nbsf-key = %s\n"
                          "bsf-name = %s\nbsf-cache-seconds = %d\ngba-naf-key = %s\n" % (
                              self.mef_port, self.c.path("ca/ca.crt"), self.c.path("server.crt"),
                              self.c.path("server.key"), FQDN, cache, naf_key))

    def secret(self, hexval):
        self.n += 1
        p = self.c.path("s%d" % self.n)
        with open(p, "w") as f:
            f.write(hexval + "\n")
        os.chmod(p, 0o600)
        return p

    def subscriber(self, impi, k, opc, *extra):
        r = self.m2m("mef", "subscriber", "add", "--config", self.mef_ini, "--impi", impi, "--k-file",
                     self.secret(k.hex()), "--opc-file", self.secret(opc.hex()), *extra)
        assert r.returncode == 0, r.stderr
        return r

    def enrol_gba(self, impi, k, opc, out, naf=NAF, kind="ks-naf"):
        r = self.m2m("enrol", "--gba", "--bsf", "127.0.0.1:%d" % self.bsf_port, "--bsf-fqdn", FQDN, "--bsf-ca",
                     self.c.path("ca/ca.crt"), "--impi", impi, "--k-file", self.secret(k.hex()), "--opc-file",
                     self.secret(opc.hex()), "--naf-fqdn", naf, "--naf-key", kind, "--out", out)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(out, "btid")) as f:
            btid = f.read().strip()
        with open(os.path.join(out, "target.psk")) as f:
            psk = f.read().strip()
        return btid, psk

    def zn(self, btid, naf=NAF, kind="ks-naf", method="GET", crt="server"):
        b = btid.replace("+", "-").replace("/", "_")
        r = self.target_session(request(method, "/gbaNafKey/%s/%s/%s" % (b, naf, kind)), crt)
        assert r, "no answer"
        return r[0]

    def zn_raw(self, path, crt="server"):
        return self.target_session(request("GET", path), crt)[0]


def hint_seen(w, btid, psk):
    """The TLS 1.2 PSK identity hint the CSE sent (openssl s_client -debug prints it)."""
    import re
    import subprocess
    r = subprocess.run(["openssl", "s_client", "-debug", "-tls1_2", "-psk_identity", btid, "-psk", psk,
                        "-cipher", "PSK-AES128-CBC-SHA256", "-connect", "127.0.0.1:%d" % w.c.port],
                       input=b"", capture_output=True, timeout=30)
    m = re.search(rb"Received PSK identity hint '([^']*)'", r.stdout)
    return m.group(1).decode() if m else None


def rsc(reply):
    return int(reply[1].get("x-m2m-rsc", "0"))


def body(reply):
    return json.loads(reply[2] or b"{}")


@pytest.fixture(scope="module")
def world(m2msec_bin, tmp_path_factory):
    w = GbaWorld(m2msec_bin, tmp_path_factory.mktemp("gba_naf"))
    w.start_mef()
    w.start_cse()
    yield w
    w.stop()


def test_end_to_end_btid_registers_ae_from_bound(world, tmp_path):
    w = world
    k, opc = keys()
    w.subscriber(IMPI, k, opc, "--enrolee-id", "Cgba1", "--naf", NAF)
    btid, psk = w.enrol_gba(IMPI, k, opc, str(tmp_path / "ue"))
    assert btid.endswith("@" + FQDN)
    # Zn as the CSE would ask it: the same key the UE derived, the Enrolee-ID, the IMPI
    r = w.zn(btid)
    assert rsc(r) == 2000, r
    z = body(r)["sec:gbaNafKeyRsp"]
    assert z["key"] == psk and z["enroleeID"] == "Cgba1" and z["impi"] == IMPI and z["btid"] == btid
    assert z["keyKind"] == "ks-naf" and 0 < z["lifetime"] <= w.lifetime
    # TLS-PSK with psk_identity = B-TID, openssl s_client as the independent peer
    r = w.cse_psk(btid, psk, "POST", "/cse-in", "Cgba1", ae("gba1"), ty=2)
    assert r is not None and r.rsc == 2001, r
    assert r.json()["m2m:ae"]["aei"] == "Cgba1"
    r = w.cse_psk(btid, psk, "GET", "/cse-in/gba1", "Cgba1")
    assert r.rsc == 2000, r
    # TS 33.222 5.4.0.1: the NAF's hint (GBA_ME)
    assert hint_seen(w, btid, psk) == "3GPP-bootstrapping"
    # Z15 another From on the association bound to Cgba1
    r = w.cse_psk(btid, psk, "GET", "/cse-in", "Cgba9")
    assert r.rsc == 4106, r
    # Z14 the right B-TID with a wrong key
    assert w.cse_psk(btid, secrets.token_hex(32), "GET", "/cse-in", "Cgba1") is None
    # Z2 tampered B-TID: one base64 character changed (a well-formed B-TID the BSF never issued)
    c = "A" if btid[0] != "A" else "B"
    assert w.cse_psk(c + btid[1:], psk, "GET", "/cse-in", "Cgba1") is None
    assert rsc(w.zn(c + btid[1:])) == 4004
    # Z3 the B-TID with an upper-case FQDN: not the spelling the BSF issued
    up = btid.split("@")[0] + "@" + FQDN.upper()
    assert w.cse_psk(up, psk, "GET", "/cse-in", "Cgba1") is None
    # no NAF key in the MEF's or the CSE's log (audit lines name the B-TID only)
    for log in ("mef.log", "cse.log"):
        with open(w.c.path(log)) as f:
            text = f.read()
        assert psk not in text and psk.upper() not in text, log
    assert any('"gba-naf-key"' in ln and btid in ln for ln in open(w.c.path("mef.log")))


def test_zn_refusals(world, tmp_path):
    w = world
    k, opc = keys()
    impi = "gba2@ims.example.org"
    w.subscriber(impi, k, opc, "--enrolee-id", "Cgba2", "--naf", NAF)
    btid, psk = w.enrol_gba(impi, k, opc, str(tmp_path / "ue2"))
    # Z1 unknown B-TID
    unknown = "A" * 22 + "==@" + FQDN
    r = w.zn(unknown)
    assert rsc(r) == 4004 and body(r)["sec:gbaNafKeyRsp"]["errorString"] == "unknown B-TID", r
    # Z6 another NAF's key: /id-in's certificate naming id-mn1's FQDN
    r = w.zn(btid, naf="id-mn1." + SP)
    assert rsc(r) == 4103 and "authenticated NAF" in body(r)["sec:gbaNafKeyRsp"]["errorString"], r
    # Z7 GBA_U's Ks_int_NAF for a GBA_ME subscriber
    r = w.zn(btid, kind="ks-int-naf")
    assert rsc(r) == 4103 and "GBA_U" in body(r)["sec:gbaNafKeyRsp"]["errorString"], r
    # Z8 malformed
    b = btid.replace("+", "-").replace("/", "_")
    for path in ("/gbaNafKey/notabtid@%s/%s/ks-naf" % (FQDN, NAF),
                 "/gbaNafKey/%s/%s/ks-other" % (b, NAF),
                 "/gbaNafKey/%s/%s/ks-naf/x" % (b, NAF),
                 "/gbaNafKey/%s/%s" % (b, NAF),
                 "/gbaNafKey/%s/not_an_fqdn/ks-naf" % b,
                 "/gbaNafKey"):
        assert rsc(w.zn_raw(path)) == 4000, path
    # Z9 not RETRIEVE
    assert rsc(w.zn(btid, method="DELETE")) == 4005
    # Z11 another CSE, authenticated, asking for its own NAF key of a subscriber that does not list it
    r = w.zn(btid, naf="cgba9." + SP, crt="dev")
    assert rsc(r) == 4103 and body(r)["sec:gbaNafKeyRsp"]["errorString"] == \
        "NAF not authorised for this subscriber", r
    # the good request still works after all of that
    assert rsc(w.zn(btid)) == 2000


def test_zn_without_mutual_auth_refused(world):
    w = world
    import subprocess
    from test_25_mef_e2e import parse_all
    r = subprocess.run(["openssl", "s_client", "-quiet", "-CAfile", w.c.path("ca/ca.crt"), "-servername", FQDN,
                        "-connect", "127.0.0.1:%d" % w.mef_port],
                       input=request("GET", "/gbaNafKey/%s/%s/ks-naf" % ("A" * 22 + "==@" + FQDN, NAF)),
                       capture_output=True, timeout=30)
    # Z10 no client certificate: the MEF's listener requires one for every non-PSK client, so the
    # handshake fails and nothing is answered (a NAF key never leaves without mutual authentication)
    assert parse_all(r.stdout) == [] and b"HTTP/1.1" not in r.stdout, r.stdout


def test_naf_not_authorised_and_no_record(world, tmp_path):
    w = world
    k, opc = keys()
    impi = "gba3@ims.example.org"
    w.subscriber(impi, k, opc, "--enrolee-id", "Cgba3", "--naf", "id-mn1." + SP)
    btid, psk = w.enrol_gba(impi, k, opc, str(tmp_path / "ue3"))
    # Z4 the subscriber's record lists another NAF only
    r = w.zn(btid)
    assert rsc(r) == 4103 and body(r)["sec:gbaNafKeyRsp"]["errorString"] == \
        "NAF not authorised for this subscriber", r
    assert w.cse_psk(btid, psk, "POST", "/cse-in", "Cgba3", ae("gba3"), ty=2) is None
    # the operator authorises this NAF: the next Zn succeeds (the refusal is cached <= 5 s at the CSE)
    r = w.m2m("mef", "subscriber", "set", "--config", w.mef_ini, "--impi", impi, "--enrolee-id", "Cgba3",
              "--naf", "id-mn1.%s,%s" % (SP, NAF.upper()))
    assert r.returncode == 0, r.stderr
    assert rsc(w.zn(btid)) == 2000
    # Z5 a subscriber without a Zn record at all
    k2, opc2 = keys()
    impi2 = "gba4@ims.example.org"
    w.subscriber(impi2, k2, opc2)
    btid2, psk2 = w.enrol_gba(impi2, k2, opc2, str(tmp_path / "ue4"))
    assert rsc(w.zn(btid2)) == 4103
    assert w.cse_psk(btid2, psk2, "GET", "/cse-in", "Cgba4") is None
    # the CLI refuses a malformed record
    r = w.m2m("mef", "subscriber", "set", "--config", w.mef_ini, "--impi", impi, "--enrolee-id", "Cgba3",
              "--naf", "bad fqdn")
    assert r.returncode == 2 and "FQDN" in r.stderr, r


def test_gba_u_subscriber_ks_int_naf(world, tmp_path):
    w = world
    k, opc = keys()
    impi = "gba5@ims.example.org"
    w.subscriber(impi, k, opc, "--enrolee-id", "Cgba5", "--naf", NAF, "--gba-u")
    btid, psk = w.enrol_gba(impi, k, opc, str(tmp_path / "ue5"))
    me, ext, it = (body(w.zn(btid, kind=kd))["sec:gbaNafKeyRsp"] for kd in ("ks-naf", "ks-ext-naf", "ks-int-naf"))
    # TS 33.220 Annex B.3: Ks_ext_NAF uses P0 "gba-me" (= Ks_NAF), Ks_int_NAF "gba-u"
    assert me["key"] == ext["key"] == psk and it["key"] != psk and it["keyKind"] == "ks-int-naf"


def test_expired_bootstrap_refused_on_zn_and_at_the_naf(m2msec_bin, tmp_path):
    # Z12 / Z13: a short bootstrap lifetime, a CSE that would cache keys for an hour
    w = GbaWorld(m2msec_bin, tmp_path, lifetime=3, cache=3600)
    w.start_mef()
    w.start_cse()
    try:
        k, opc = keys()
        w.subscriber(IMPI, k, opc, "--enrolee-id", "Cgba6", "--naf", NAF)
        btid, psk = w.enrol_gba(IMPI, k, opc, str(tmp_path / "ue6"))
        r = w.cse_psk(btid, psk, "POST", "/cse-in", "Cgba6", ae("gba6"), ty=2)
        assert r is not None and r.rsc == 2001, r
        db = sqlite3.connect(w.c.path("mef.db"))
        expiry = db.execute("SELECT expiry FROM gba_bootstrap WHERE btid = ?", (btid,)).fetchone()[0]
        db.close()
        while time.time() < expiry + 1:  # wait for the lifetime to pass (no timing asserted)
            time.sleep(0.5)
        r = w.zn(btid)
        assert rsc(r) == 4103 and body(r)["sec:gbaNafKeyRsp"]["errorString"] == "bootstrap expired", r
        # the CSE's cached key (bsf-cache-seconds = 3600) is past the bootstrap's lifetime: not used
        assert w.cse_psk(btid, psk, "GET", "/cse-in", "Cgba6") is None
    finally:
        w.stop()


def test_gba_u_cse_uses_ks_int_naf(m2msec_bin, tmp_path):
    """gba-naf-key = ks-int-naf (GBA_U, the client in the UICC, TS-0003 8.3.2.3): a GBA_U subscriber's
    device with Ks_int_NAF registers; Z16 a GBA_ME subscriber's B-TID is refused by the BSF (GBA_U not
    available) so the handshake fails; Z17 a device holding Ks_NAF instead fails the handshake."""
    w = GbaWorld(m2msec_bin, tmp_path, naf_key="ks-int-naf")
    w.start_mef()
    w.start_cse()
    try:
        k, opc = keys()
        w.subscriber(IMPI, k, opc, "--enrolee-id", "Cgbau", "--naf", NAF, "--gba-u")
        btid, psk = w.enrol_gba(IMPI, k, opc, str(tmp_path / "u1"), kind="ks-int-naf")
        assert body(w.zn(btid, kind="ks-int-naf"))["sec:gbaNafKeyRsp"]["key"] == psk
        r = w.cse_psk(btid, psk, "POST", "/cse-in", "Cgbau", ae("gbau"), ty=2)
        assert r is not None and r.rsc == 2001, r
        assert hint_seen(w, btid, psk) == "3GPP-bootstrapping-uicc"  # TS 33.222: Ks_int_NAF
        # Z17 the GBA_ME key of the same bootstrap is not the CSE's key
        me = body(w.zn(btid))["sec:gbaNafKeyRsp"]["key"]
        assert me != psk and w.cse_psk(btid, me, "GET", "/cse-in", "Cgbau") is None
        # Z16 a GBA_ME subscriber at a GBA_U NAF
        k2, opc2 = keys()
        w.subscriber("me@ims.example.org", k2, opc2, "--enrolee-id", "Cgbame", "--naf", NAF)
        btid2, _ = w.enrol_gba("me@ims.example.org", k2, opc2, str(tmp_path / "u2"), kind="ks-int-naf")
        r = w.zn(btid2, kind="ks-int-naf")
        assert rsc(r) == 4103 and "GBA_U" in body(r)["sec:gbaNafKeyRsp"]["errorString"], r
        assert w.cse_psk(btid2, _, "GET", "/cse-in", "Cgbame") is None
        # enrol refuses an unknown kind
        r = w.m2m("enrol", "--gba", "--bsf", "127.0.0.1:%d" % w.bsf_port, "--bsf-ca", w.c.path("ca/ca.crt"),
                  "--impi", IMPI, "--k-file", w.secret(k.hex()), "--opc-file", w.secret(opc.hex()),
                  "--naf-fqdn", NAF, "--naf-key", "ks-other", "--out", str(tmp_path / "u3"))
        assert r.returncode == 2 and "--naf-key" in r.stderr, r
    finally:
        w.stop()
