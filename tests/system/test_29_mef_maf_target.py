# SPDX-License-Identifier: Apache-2.0
"""The MAF as an Enrolment Target of the MEF (issue 8, TS-0003 §8.8.2.3 step 2 with §8.3.2.1
"Use of provisioned credentials"; Km of §10.3.2; SUID 21 of TS-0004 Table 6.3.4.2.39-1), black
box: the real `m2msec mef` with `maf-fqdns`, `m2msec ca issue` for the MAF's FQDN certificate,
`m2msec mef enrolee add --target <MAF-FQDN>`, `m2msec enrol` for the device, and Python's ssl as
the MAF over mutual TLS. The Km the MEF answers is checked against HMAC-SHA-256(Ke, "oneM2M
Enrolment Key to Master Credential derivation" || MAF-FQDN) computed here from the Ke the
enrolee wrote (`DIR/ke`).

Negative cases (each asserts the exact refusal):
  M1  the MAF asks SUID 22 (a CSE's key): 4103 "SUID not allowed for this target"
  M2  the CSE /id-in asks SUID 21 (the MAF's key): 4103 "SUID not allowed for this target"
  M3  a MAF listed in maf-fqdns but not a target of that enrolee: 4004 "unknown KeID" (no oracle)
  M4  an unknown KeID: 4004 "unknown KeID"
  M5  X-M2M-Origin naming another MAF: 4106
  M6  a certificate for an FQDN not in maf-fqdns is a CSE target: SUID 21 is 4103
  M7  the MAF as an enrolee (MEF Client Registration): 4103
  M8  revoked enrolee: 4004 (its registration and KeID are gone)
  M9  `enrolee add --target` with a malformed MAF-FQDN: exit 2, nothing stored
  M10 maf-fqdns outside the SP: the MEF does not start, the key named
  M11 `enrolee import` row with a malformed MAF-FQDN target: that row refused (exit 1), nothing stored
  M12 `group add --target` with a malformed MAF-FQDN: exit 2
  M13 an enrolee whose only target is a MAF: no CSE gets a key for it (4004)
"""
import hashlib
import hmac
import json
import socket
import ssl
import subprocess

import pytest

from cse_harness import SP, parse_http
from test_25_mef_e2e import FQDN, World, reg_body, request

MAF = "maf." + SP
MAF2 = "maf2." + SP
KM_LABEL = b"oneM2M Enrolment Key to Master Credential derivation"


@pytest.fixture(scope="module")
def world(m2msec_bin, tmp_path_factory):
    w = World(m2msec_bin, tmp_path_factory.mktemp("maf_target"),
              mef_extra="rate-limit-per-identity = 0\nrate-limit-per-address = 0\nmaf-fqdns = %s %s\n" % (MAF, MAF2))
    w.c.issue("maf", MAF)
    w.c.issue("maf2", MAF2)
    w.c.issue("maf3", "maf3." + SP)                                # an FQDN not in maf-fqdns
    w.start_mef()
    yield w
    w.stop_mef()


def mtls(w, crt, raw):
    """One request over mutual TLS with certificate crt (Python ssl, not our client)."""
    ctx = ssl.create_default_context(cafile=w.c.path("ca/ca.crt"))
    ctx.load_cert_chain(w.c.path(crt + ".crt"), w.c.path(crt + ".key"))
    with socket.create_connection(("127.0.0.1", w.mef_port), timeout=30) as s:
        with ctx.wrap_socket(s, server_hostname=FQDN) as t:
            t.sendall(raw)
            data = b""
            while True:
                chunk = t.recv(65536)
                if not chunk:
                    break
                data += chunk
    return parse_http(data)


def fetch(w, crt, keid, suid, origin=None):
    status, h, body = mtls(w, crt, request("GET", "/fetchCredentials/%s/%s" % (keid, suid), origin=origin))
    return h["x-m2m-rsc"], json.loads(body)


def enrolled(w, tmp_path, name, targets):
    kpm_id, kpm = w.add(name, "C" + name, targets[0], extra=[x for t in targets[1:] for x in ("--target", t)])
    out = tmp_path / name
    r = w.enrol(kpm_id, kpm, out)
    assert r.returncode == 0, r.stderr
    keid = (out / "keid").read_text().strip()
    ke = bytes.fromhex((out / "ke").read_text().strip())
    return kpm_id, keid, ke


def test_maf_fetches_km(world, tmp_path):
    w = world
    kpm_id, keid, ke = enrolled(w, tmp_path, "mdev1", ["/id-in", "MAF." + SP])
    # the target is stored and shown as given, lowercase
    r = w.m2m("mef", "enrolee", "show", "--config", w.mef_ini, "--kpm-id", kpm_id, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["targets"] == "/id-in," + MAF
    assert (tmp_path / "mdev1" / "mafids").read_text() == MAF + "\n"
    assert (tmp_path / "mdev1" / "target.psk").exists()
    rsc, body = fetch(w, "maf", keid, 21)
    assert rsc == "2000", body
    rsp = body["sec:fetchCredRsp"]
    km = hmac.new(ke, KM_LABEL + MAF.encode(), hashlib.sha256).hexdigest()
    assert rsp["status"] is True and rsp["credential"] == km
    assert rsp["enroleeID"] == "Cmdev1" and rsp["keyID"] == keid and rsp["SUID"] == 21
    assert 0 < rsp["lifetime"] <= 86400
    # From = the MAF-FQDN is accepted (case-insensitive)
    assert fetch(w, "maf", keid, 21, origin=MAF.upper())[0] == "2000"
    # M1 a MAF asking a CSE's SUIDs, M2 a CSE asking the MAF's
    for suid in (22, 23, 24, 25):
        rsc, body = fetch(w, "maf", keid, suid)
        assert rsc == "4103" and body["sec:fetchCredRsp"]["errorString"] == "SUID not allowed for this target"
    rsc, body = fetch(w, "server", keid, 21)
    assert rsc == "4103" and body["sec:fetchCredRsp"]["errorString"] == "SUID not allowed for this target"
    # ... the CSE still gets its own key
    assert fetch(w, "server", keid, 22)[0] == "2000"
    # M3 another MAF, M4 unknown KeID: the same 4004
    for crt, k in (("maf2", keid), ("maf", "0123456789ABCDEF0123456789ABCDEF@" + FQDN)):
        rsc, body = fetch(w, crt, k, 21)
        assert rsc == "4004" and body["sec:fetchCredRsp"]["errorString"] == "unknown KeID"
        assert body["sec:fetchCredRsp"]["status"] is False
    # M5 From naming another MAF
    assert fetch(w, "maf", keid, 21, origin=MAF2)[0] == "4106"
    # M6 an FQDN certificate not listed in maf-fqdns is an ordinary CSE target
    rsc, body = fetch(w, "maf3", keid, 21)
    assert rsc == "4103" and body["sec:fetchCredRsp"]["errorString"] == "SUID not allowed for this target"
    # M7 a MAF is no enrolee
    status, h, body = mtls(w, "maf", request("POST", "/mefClientReg", reg_body()))
    assert h["x-m2m-rsc"] == "4103", body
    # M8 revocation: the KeID is gone for the MAF too
    w.revoke(kpm_id)
    rsc, body = fetch(w, "maf", keid, 21)
    assert rsc == "4004" and body["sec:fetchCredRsp"]["errorString"] == "unknown KeID"
    # audit: one line per outcome naming the MAF as client, never the key
    with open(w.c.path("mef.log")) as f:
        log = f.read()
    assert km not in log
    lines = [json.loads(ln) for ln in log.splitlines() if '"mef audit"' in ln]
    mine = [x for x in lines if x.get("procedure") == "fetch-credentials" and x.get("client") == MAF]
    assert any(x["outcome"] == "ok" and x["rsc"] == 2000 and x.get("suid") == 21 for x in mine), mine
    assert any(x["outcome"] == "suid-not-allowed" and x["rsc"] == 4103 and x.get("suid") == 22 for x in mine)


def test_maf_only_enrolee(world, tmp_path):
    """An enrolee whose only target is a MAF: `m2msec enrol` writes ke, keid and mafids (no
    target.psk); the MAF's Km matches the one computed from DIR/ke."""
    w = world
    kpm_id, keid, ke = enrolled(w, tmp_path, "mdev3", [MAF])
    out = tmp_path / "mdev3"
    assert (out / "mafids").read_text() == MAF + "\n"
    assert not (out / "target.psk").exists()
    rsc, body = fetch(w, "maf", keid, 21)
    assert rsc == "2000", body
    assert body["sec:fetchCredRsp"]["credential"] == hmac.new(ke, KM_LABEL + MAF.encode(), hashlib.sha256).hexdigest()
    # no CSE may fetch a key for it
    assert fetch(w, "server", keid, 22)[0] == "4004"


def test_registration_lists_maf_apart(world, tmp_path):
    """targetIDs stays CSE-IDs (the enrolee derives a SUID 22 key per entry); mafIDs names the MAF."""
    w = world
    kpm_id, kpm = w.add("mdev2", "Cmdev2", "/id-in", extra=["--target", MAF])
    mat, rsps = w.psk_session(kpm_id, kpm, request("POST", "/mefClientReg", reg_body()))
    status, h, body = rsps[0]
    assert h["x-m2m-rsc"] == "2001", body
    reg = json.loads(body)["sec:mefClientReg"]
    assert reg["targetIDs"] == ["//%s/id-in" % SP] and reg["mafIDs"] == [MAF]


def test_bad_maf_target_refused(world):
    # M9 a malformed MAF-FQDN target: bad input, nothing stored
    for bad in ("maf", "*.sp.example.com", "maf..sp.example.com", "maf.sp.example.com."):
        r = w_add_raw(world, "mbad", bad)
        assert r.returncode == 2, (bad, r.stderr)
        r = world.m2m("mef", "enrolee", "show", "--config", world.mef_ini, "--kpm-id", "mbad@" + FQDN)
        assert r.returncode != 0


def w_add_raw(w, name, target):
    return w.m2m("mef", "enrolee", "add", "--config", w.mef_ini, "--kpm-id", "%s@%s" % (name, FQDN), "--kpm-file",
                 w.kpm_file("11" * 32), "--enrolee-id", "C" + name, "--target", "/id-in", "--target", target)


def test_maf_fqdns_outside_sp_refused(m2msec_bin, tmp_path):
    # M10 a MAF-FQDN the TLS layer cannot bind (outside the SP): fail at start, key named
    w = World(m2msec_bin, tmp_path, mef_extra="maf-fqdns = maf.example.org\n")
    r = subprocess.run([m2msec_bin, "mef", "--config", w.mef_ini], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "maf-fqdns" in r.stderr, r.stderr


def test_import_and_group_take_maf_targets(world, tmp_path):
    """`mef enrolee import` and `mef group add` store a MAF-FQDN target like `enrolee add`; a
    malformed one is refused (import: that row, exit 1; group: exit 2)."""
    w = world
    csv = tmp_path / "e.csv"
    csv.write_text("kpm_id,kpm,enrolee_id,targets\nimp1@%s,%s,Cimp1,/id-in %s\nimp2@%s,%s,Cimp2,maf_x\n" % (
        FQDN, "22" * 32, MAF.upper(), FQDN, "33" * 32))
    csv.chmod(0o600)
    r = w.m2m("mef", "enrolee", "import", "--config", w.mef_ini, str(csv))
    assert r.returncode == 1, r.stderr
    r = w.m2m("mef", "enrolee", "show", "--config", w.mef_ini, "--kpm-id", "imp1@" + FQDN, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["targets"] == "/id-in," + MAF, r.stdout
    assert w.m2m("mef", "enrolee", "show", "--config", w.mef_ini, "--kpm-id", "imp2@" + FQDN).returncode != 0
    gk = tmp_path / "g.hex"
    gk.write_text("44" * 32 + "\n")
    gk.chmod(0o600)
    base = ["mef", "group", "add", "--config", w.mef_ini, "--group-key-file", str(gk), "--enrolee-template",
            "Cg-{id}", "--target", "/id-in"]
    r = w.m2m(*base, "--group-id", "gmaf", "--kpm-prefix", "gm-", "--target", MAF)
    assert r.returncode == 0, r.stderr
    r = w.m2m(*base, "--group-id", "gbad", "--kpm-prefix", "gb-", "--target", "maf")
    assert r.returncode == 2, r.stderr
    # a member of the group enrols (first registration writes its row) and the MAF gets its Km
    kpm = hmac.new(bytes.fromhex("44" * 32), ("gm-d1@" + FQDN).encode(), hashlib.sha256).hexdigest()
    out = tmp_path / "gm"
    r = w.enrol("gm-d1@" + FQDN, kpm, out)
    assert r.returncode == 0, r.stderr
    keid = (out / "keid").read_text().strip()
    ke = bytes.fromhex((out / "ke").read_text().strip())
    rsc, body = fetch(w, "maf", keid, 21)
    assert rsc == "2000", body
    assert body["sec:fetchCredRsp"]["credential"] == hmac.new(ke, KM_LABEL + MAF.encode(), hashlib.sha256).hexdigest()
