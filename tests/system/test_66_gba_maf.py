# SPDX-License-Identifier: Apache-2.0
"""The MAF as NAF of the GBA-based RSPF (issue 12 "Fixed interface": a MAF configured with the MEF's
Zn endpoint accepts B-TIDs as TLS-PSK identities; TS-0003 clause 8.3.2.3, clause 8.8.2.3 MAF Client
Registration, clause 8.8.2.7 MAF Key Registration; 3GPP TS 33.220 clause 4.5.3 Zn, TS 33.222 clause
5.4.0.1), black-box with real processes on loopback: `m2msec mef` as BSF (bsf-listen, hss-file) and
Zn server (the MAF is one of its `maf-fqdns`), `m2msec maf` with bsf-url/bsf-ca/bsf-cert/bsf-key/
bsf-name (its own certificate association with the BSF), `m2msec cse` (Entity B, maf-url), `m2msec
enrol --gba --naf-fqdn <MAF-FQDN>` (the UE) and `m2msec maf-client key --km-id <B-TID> --km-file
<target.psk>` (Entity A).

End to end: subscriber added -> enrol --gba for the MAF-FQDN -> maf-client with the B-TID: the MAF
fetches Ks_NAF over Zn during the handshake, the association (peer kind GBA, bound to the
subscriber's Enrolee-ID) registers the Km under a MAF-assigned KmID, the KmID association registers
Kc for /id-in -> the CSE accepts Kc and the AE registers with From = the Enrolee-ID.

Negative cases, each with its exact outcome:
  G1 NAF not authorised for the MAF (the subscriber lists the CSE only): Zn 4103
     "naf-not-authorized", maf-client exit 1 "MAF Handshake refused", nothing written
  G2 expired bootstrap: Zn 4103 "expired", maf-client exit 1, nothing written
  G3 tampered B-TID (one base64 character): Zn 4004 "not-found", maf-client exit 1
  G4 the B-TID association trying MAF Key Registration directly: 4103 (registers only)
  G5 the Km registered over a B-TID is re-checked over Zn (not fetchCredentials): the operator
     withdraws the MAF from the subscriber's NAFs -> the next KmID handshake fails and the MAF's
     km-recheck revokes it (audit "revoked"); the MEF audited a gba-naf-key refusal for the MAF
  G6 a --km-id that is neither a KmID nor a B-TID: exit 2

The GBA subscriber's network-access status on Zn (docs/procedures/mef.md "Underlying-network
authorization"; TS-0001 clause 6.2.2 CMDH): the positive Zn answer carries "networkAuthorized" from
the HSS; the CSE as NAF observes it and refreshes it over Zn (bsf-cache-seconds = 1): a subscriber
set `--network-authorized no` gets no notification from the CSE (the undelivered attempt is
recorded), `yes` resumes the deliveries.
"""
import json
import os
import sqlite3
import time

import pytest

from test_25_mef_e2e import FQDN as MEF_FQDN, ae
from test_30_maf_service import FQDN as MAF_FQDN, Maf, key_reg, psk_call
from test_31_maf_e2e import read_out, wait_for
from test_13_notifications import Receiver
from test_58_gba_naf import NAF, GbaWorld, body, keys, rsc
from test_59_network_auth import wait_log

CSE_ID = "//sp.example.com/id-in"


def mef_audits(w):
    out = []
    with open(w.c.path("mef.log")) as f:
        for ln in f:
            try:
                j = json.loads(ln)
            except ValueError:
                continue
            if j.get("msg") == "mef audit":
                out.append(j)
    return out


def zn_outcomes(w, btid):
    return [a["outcome"] for a in mef_audits(w) if a.get("procedure") == "gba-naf-key" and a.get("key_id") == btid]


class MafWorld(GbaWorld):
    def __init__(self, m2msec_bin, tmp):
        super().__init__(m2msec_bin, tmp)
        with open(self.mef_ini, "a") as f:  # the MAF is a NAF the MEF knows by its certificate
            f.write("maf-fqdns = %s\nrate-limit-per-identity = 0\nrate-limit-per-address = 0\n" % MAF_FQDN)
        self.c.issue("maf", MAF_FQDN)
        self.maf = Maf(self.c, "bsf-url = https://127.0.0.1:%d\nbsf-name = %s\nbsf-ca = %s\nbsf-cert = %s\n"
                               "bsf-key = %s\nbsf-cache-seconds = 1\nmef-cache-seconds = 1\n"
                               "rate-limit-per-identity = 0\nrate-limit-per-address = 0\n" % (
                                   self.mef_port, MEF_FQDN, self.c.path("ca/ca.crt"), self.c.path("maf.crt"),
                                   self.c.path("maf.key")), cert="maf")
        self.cse_extra += ("maf-url = https://127.0.0.1:%d\nmaf-name = %s\nmaf-ca = %s\nmaf-cert = %s\n"
                           "maf-key = %s\nmaf-cache-seconds = 0\n" % (
                               self.maf.port, MAF_FQDN, self.c.path("ca/ca.crt"), self.c.path("server.crt"),
                               self.c.path("server.key")))
        self.cse_extra += "notify-allow = 127.0.0.0/8\n"

    def maf_client(self, btid, psk, out, target=CSE_ID):
        return self.m2m("maf-client", "key", "--maf", "127.0.0.1:%d" % self.maf.port, "--maf-ca",
                        self.c.path("ca/ca.crt"), "--maf-fqdn", MAF_FQDN, "--km-id", btid, "--km-file",
                        self.secret(psk), "--target", target, "--out", out)


@pytest.fixture(scope="module")
def world(m2msec_bin, tmp_path_factory):
    w = MafWorld(m2msec_bin, tmp_path_factory.mktemp("gba_maf"))
    w.start_mef()
    w.maf.start()
    try:
        w.start_cse()
        yield w
    finally:
        w.maf.stop()
        w.stop()


def test_end_to_end_gba_device_obtains_kc_and_registers_at_the_cse(world, tmp_path):
    w = world
    k, opc = keys()
    impi = "gm1@ims.example.org"
    w.subscriber(impi, k, opc, "--enrolee-id", "Cgm1", "--naf", MAF_FQDN)
    btid, psk = w.enrol_gba(impi, k, opc, str(tmp_path / "ue"), naf=MAF_FQDN)
    out = str(tmp_path / "kc")
    r = w.maf_client(btid, psk, out)
    assert r.returncode == 0, r.stderr
    kcid, kc, tpsk = read_out(out)
    assert kcid in r.stdout and kcid.endswith("@" + MAF_FQDN)
    # the MAF asked the BSF for its own NAF key (Zn ok) and registered the B-TID's Km for Cgm1
    assert "ok" in zn_outcomes(w, btid)
    regs = wait_for(lambda: [a for a in w.maf.audits() if a["procedure"] == "client-registration"
                             and a.get("client") == btid], 1)
    assert [a["outcome"] for a in regs] == ["ok"] and regs[0]["rsc"] == 2001, regs
    db = sqlite3.connect(w.c.path("maf.db"))
    rows = db.execute("SELECT id, owner, attrs FROM cred WHERE kind = 'km'").fetchall()
    db.close()
    mine = [x for x in rows if json.loads(x[2] or "{}").get("keid") == btid]
    assert len(mine) == 1 and mine[0][1] == "Cgm1", rows
    # Entity B: the CSE accepts Kc (from the MAF) and binds the association to the Enrolee-ID
    rep = w.c.psk("POST", "/cse-in", "Cgm1", kcid, body=ae("gm1"), ty=2, key=tpsk)
    assert rep is not None and rep.rsc == 2001, rep
    assert rep.json()["m2m:ae"]["aei"] == "Cgm1"
    rep = w.c.psk("GET", "/cse-in/gm1", "Cgm9", kcid, key=tpsk)
    assert rep is not None and rep.rsc == 4106, rep
    # G4 the B-TID association may only register (clause 8.8.2.3 as for a KeID)
    got = psk_call(w.maf, btid, psk, key_reg())
    assert got is not None and got[1]["x-m2m-rsc"] == "4103", got
    # G5 the Km of the B-TID is re-checked over Zn: withdraw the MAF from the subscriber's NAFs
    kmid = mine[0][0]
    r = w.m2m("mef", "subscriber", "set", "--config", w.mef_ini, "--impi", impi, "--enrolee-id", "Cgm1",
              "--naf", NAF)
    assert r.returncode == 0, r.stderr
    time.sleep(1.1)  # older than mef-cache-seconds = 1: the next handshake re-checks (nothing timed)
    assert psk_call(w.maf, kmid, psk, key_reg()) is None
    rec = wait_for(lambda: [a for a in w.maf.audits() if a["procedure"] == "km-recheck" and a.get("key_id") == kmid],
                   1)
    assert [a["outcome"] for a in rec] == ["revoked"], rec
    assert zn_outcomes(w, btid)[-1] == "naf-not-authorized"
    # no key in any log
    for log in (w.maf.log, w.c.path("mef.log"), w.c.log):
        with open(log) as f:
            text = f.read().lower()
        assert psk not in text and kc not in text and tpsk not in text, log


def refused(w, r, out):
    assert r.returncode == 1 and "MAF Handshake refused" in r.stderr, r.stderr
    assert not os.path.exists(out)


def test_g1_naf_not_authorised_for_the_maf(world, tmp_path):
    w = world
    k, opc = keys()
    impi = "gm2@ims.example.org"
    w.subscriber(impi, k, opc, "--enrolee-id", "Cgm2", "--naf", NAF)  # the CSE only
    btid, psk = w.enrol_gba(impi, k, opc, str(tmp_path / "ue"), naf=MAF_FQDN)
    out = str(tmp_path / "kc")
    refused(w, w.maf_client(btid, psk, out), out)
    assert zn_outcomes(w, btid) == ["naf-not-authorized"]


def test_g2_expired_bootstrap(world, tmp_path):
    w = world
    k, opc = keys()
    impi = "gm3@ims.example.org"
    w.subscriber(impi, k, opc, "--enrolee-id", "Cgm3", "--naf", MAF_FQDN)
    btid, psk = w.enrol_gba(impi, k, opc, str(tmp_path / "ue"), naf=MAF_FQDN)
    db = sqlite3.connect(w.c.path("mef.db"))  # the bootstrap's lifetime has passed
    db.execute("UPDATE gba_bootstrap SET expiry = ? WHERE btid = ?", (int(time.time()) - 1, btid))
    db.commit()
    db.close()
    out = str(tmp_path / "kc")
    refused(w, w.maf_client(btid, psk, out), out)
    assert zn_outcomes(w, btid) == ["expired"]


def test_g3_tampered_btid_and_g6_bad_form(world, tmp_path):
    w = world
    k, opc = keys()
    impi = "gm4@ims.example.org"
    w.subscriber(impi, k, opc, "--enrolee-id", "Cgm4", "--naf", MAF_FQDN)
    btid, psk = w.enrol_gba(impi, k, opc, str(tmp_path / "ue"), naf=MAF_FQDN)
    bad = ("A" if btid[0] != "A" else "B") + btid[1:]
    out = str(tmp_path / "kc")
    refused(w, w.maf_client(bad, psk, out), out)
    assert zn_outcomes(w, bad) == ["not-found"]
    r = w.maf_client("not a b-tid@" + MEF_FQDN, psk, out)
    assert r.returncode == 2 and "--km-id" in r.stderr, r.stderr
    assert not os.path.exists(out)


def test_gba_subscriber_network_authorization_on_zn(world, tmp_path):
    w = world
    k, opc = keys()
    impi = "gm5@ims.example.org"
    w.subscriber(impi, k, opc, "--enrolee-id", "Cgm5", "--naf", NAF)
    btid, psk = w.enrol_gba(impi, k, opc, str(tmp_path / "ue"))
    # the Zn answer carries the HSS's status (absent netauth= field: authorized)
    z = body(w.zn(btid))["sec:gbaNafKeyRsp"]
    assert z["networkAuthorized"] is True, z
    rx = Receiver()
    try:
        r = w.cse_psk(btid, psk, "POST", "/cse-in", "Cgm5", ae("gm5"), ty=2)
        assert r is not None and r.rsc == 2001, r
        r = w.cse_psk(btid, psk, "POST", "/cse-in/gm5", "Cgm5", '{"m2m:cnt":{"rn":"c"}}', ty=3)
        assert r.rsc == 2001, r
        r = w.cse_psk(btid, psk, "POST", "/cse-in/gm5/c", "Cgm5",
                      json.dumps({"m2m:sub": {"rn": "s", "nu": [rx.url("/gm5")], "enc": {"net": [3]}}}), ty=23)
        assert r.rsc == 2001, r
        sur = r.json()["m2m:sub"]["ri"]
        r = w.c.psk("POST", "/cse-in/gm5/c", "CAdmin", "kpsa-adm@sp.example.com",
                    body=json.dumps({"m2m:sub": {"rn": "ctl", "nu": [rx.url("/ctl")], "enc": {"net": [3]}}}), ty=23)
        assert r.rsc == 2001, r
        ctl = r.json()["m2m:sub"]["ri"]

        def of(s, con):
            return [n for n in rx.notifications()
                    if n.get("sur") == s and n["nev"]["rep"].get("m2m:cin", {}).get("con") == con]

        def change(con):
            r = w.cse_psk(btid, psk, "POST", "/cse-in/gm5/c", "Cgm5", json.dumps({"m2m:cin": {"con": con}}), ty=4)
            assert r.rsc == 2001, r

        change("one")
        rx.wait(lambda x: of(sur, "one") and of(ctl, "one"))
        # the operator: not authorized in the HSS -> Zn says so -> the CSE's refresh over Zn
        mark = len(w.c.log_text())
        r = w.m2m("mef", "enrolee", "set", "--config", w.mef_ini, "--impi", impi, "--network-authorized", "no")
        assert r.returncode == 0, r.stderr
        assert body(w.zn(btid))["sec:gbaNafKeyRsp"]["networkAuthorized"] is False
        wait_log(w, r"underlying network authorization of Cgm5: no \(refreshed from the BSF\)", mark)
        change("two")
        rx.wait(lambda x: of(ctl, "two"))
        assert of(sur, "two") == []
        m = wait_log(w, r"notification of (\S+) not delivered: node (\S+) is not authorized by the underlying "
                        r"network \(TS-0001 6\.2\.2 CMDH; (\d+) such attempts so far\)", mark)
        assert m.group(1) == sur and m.group(2).endswith("Cgm5"), m.group(0)
        # authorized again: deliveries resume after the next refresh
        mark = len(w.c.log_text())
        r = w.m2m("mef", "enrolee", "set", "--config", w.mef_ini, "--impi", impi, "--network-authorized", "yes")
        assert r.returncode == 0, r.stderr
        wait_log(w, r"underlying network authorization of Cgm5: yes \(refreshed from the BSF\)", mark)
        change("three")
        rx.wait(lambda x: of(sur, "three") and of(ctl, "three"))
        assert of(sur, "two") == []
        assert psk not in w.c.log_text()
    finally:
        rx.close()
    assert rsc(w.zn(btid)) == 2000
