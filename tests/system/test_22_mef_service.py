# SPDX-License-Identifier: Apache-2.0
"""`m2msec mef` as an operable service (issue 7), black-box: the real binary on loopback with a
certificate from a CA made by `m2msec ca init/issue`, enrolees managed with `m2msec mef enrolee`
while it runs, and an independent TLS-PSK client (`openssl s_client -psk_identity KpmID -psk Kpm
-keymatexport EXPORTER-oneM2M-Bootstrap -keymatexportlen 48`) sending the MEF Client Registration
of docs/procedures/mef.md. The KeID answered is checked against the exported material
(TS-0003 §10.3.1: KeID = hexBinary(RelativeKeID)@MEF-FQDN, RelativeKeID = the 16 most significant
bytes). Refusals: wrong Kpm, unknown KpmID, revoked and expired enrolments fail the handshake
(TS-0003 §8.3.2.1); over a rate limit HTTP 429 with Retry-After (RSC 4000). Audit lines are JSON
with one cause per refusal and no key anywhere in the log. A kill -9 in the middle of concurrent
enrolments loses no enrolment that was answered 2001 and leaves the store consistent."""
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import subprocess

import pytest

from cse_harness import parse_http
from svc_harness import (Svc, answered_2001, assert_store_intact, cert_request, kill9_when_some_done, make_pki,
                         psk_exported_call, start_concurrent)

FQDN = "mef.sp.example.com"


class Mef(Svc):
    name, fqdn = "mef", FQDN

    def add(self, kpm_id, kpm_hex, enrolee="Cdev1", target="/id-in", extra=()):
        return self.m2m("enrolee", "add", "--config", self.ini, "--kpm-id", kpm_id, "--kpm-file",
                        self.key_file("kpm", kpm_id, kpm_hex), "--enrolee-id", enrolee, "--target", target,
                        *extra)


def registration(rqi="rq1", claim=None, labels=None):
    cfg = {"fqdn": FQDN, "adminFQDN": "admin.sp.example.com"}
    if claim:
        cfg["enroleeID"] = claim
    if labels is not None:
        cfg["labels"] = labels
    body = json.dumps({"sec:clientRegCfg": cfg}).encode()
    return ("POST /mefClientReg HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: %s\r\nX-M2M-RVI: 3\r\n"
            "X-M2M-Origin: Cdev1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            "Connection: close\r\n\r\n" % (FQDN, rqi, len(body))).encode() + body


def enrol(mef, kpm_id, kpm_hex, rqi="rq1", claim=None, labels=None):
    """One MEF handshake + MEF Client Registration by openssl s_client. Returns (status, headers,
    body, exported material hex) or None when the handshake failed."""
    return psk_exported_call(mef.port, kpm_id, kpm_hex, "EXPORTER-oneM2M-Bootstrap",
                             registration(rqi, claim, labels))


UCSK_LABEL = b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"


def fetch(mef, keid, suid=22):
    """fetchCredentials by the Enrolment Target /id-in (certificate with DNS SAN
    id-in.sp.example.com) -> (status, headers, body)."""
    req = ("GET /fetchCredentials/%s/%d HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: f1\r\nX-M2M-RVI: 3\r\n"
           "Connection: close\r\n\r\n" % (keid, suid, FQDN)).encode()
    return cert_request(mef, "target", req)


@pytest.fixture
def pki(m2msec_bin, tmp_path):
    return make_pki(m2msec_bin, tmp_path, FQDN, [("target", "id-in.sp.example.com")])


def test_enrolment_keid_from_exporter_and_refusals(pki):
    mef = Mef(pki)
    kpm = secrets.token_hex(32)
    r = mef.add("dev1@" + FQDN, kpm)
    assert r.returncode == 0, r.stderr
    mef.start()
    try:
        out = enrol(mef, "dev1@" + FQDN, kpm)
        assert out is not None
        status, headers, body, material = out
        assert headers["x-m2m-rsc"] == "2001", body
        reg = json.loads(body)["sec:mefClientReg"]
        # independent computation: RelativeKeID = first 16 bytes of the exporter output
        assert reg["keyID"] == material[:32] + "@" + FQDN
        assert reg["mefClientID"] == "Cdev1"
        # the target fetches the usage-constrained key: HMAC-SHA-256(Ke, label || "22" ||
        # "id-in.sp.example.com") with Ke = the 32 least significant bytes (TS-0003 §10.3.7)
        fs, fh, fb = fetch(mef, reg["keyID"])
        assert fh["x-m2m-rsc"] == "2000", fb
        want = hmac.new(bytes.fromhex(material[32:]), UCSK_LABEL + b"22" + b"id-in.sp.example.com",
                        hashlib.sha256).hexdigest()
        assert json.loads(fb)["sec:fetchCredRsp"]["credential"] == want
        # wrong Kpm, unknown KpmID: the handshake fails, no HTTP answer
        assert enrol(mef, "dev1@" + FQDN, secrets.token_hex(32)) is None
        assert enrol(mef, "nobody@" + FQDN, kpm) is None
        # the operator sees it (never a key)
        show = mef.m2m("enrolee", "show", "--config", mef.ini, "--kpm-id", "dev1@" + FQDN, "--json")
        assert show.returncode == 0, show.stderr
        assert json.loads(show.stdout)["keid"] == reg["keyID"]
        # revoked while the MEF runs: the next handshake fails
        rv = mef.m2m("enrolee", "revoke", "--config", mef.ini, "--kpm-id", "dev1@" + FQDN)
        assert rv.returncode == 0, rv.stderr
        assert enrol(mef, "dev1@" + FQDN, kpm) is None
        # ... and every key derived from its Ke is gone: its KeID is unknown to the target
        assert fetch(mef, reg["keyID"])[1]["x-m2m-rsc"] == "4004"
        lst = mef.m2m("enrolee", "list", "--config", mef.ini)
        assert "dev1@%s Cdev1 revoked" % FQDN in lst.stdout
        # an expired enrolment (the store's expiry set in the past behind the MEF's back)
        kpm2 = secrets.token_hex(32)
        assert mef.add("dev2@" + FQDN, kpm2, enrolee="Cdev2").returncode == 0
        out2 = enrol(mef, "dev2@" + FQDN, kpm2)
        assert out2[1]["x-m2m-rsc"] == "2001"
        keid2 = json.loads(out2[2])["sec:mefClientReg"]["keyID"]
        db = sqlite3.connect(pki.path("mef.db"), timeout=30)
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        tbl = [t for t in tables if "enrolee" in t][0]
        db.execute("UPDATE %s SET expiry = 1000 WHERE client_id = ?" % tbl, ("dev2@" + FQDN,))
        db.commit()
        db.close()
        assert enrol(mef, "dev2@" + FQDN, kpm2) is None
        # its target is refused the key with the exact answer of docs/procedures/mef.md
        fs, fh, fb = fetch(mef, keid2)
        assert fh["x-m2m-rsc"] == "4103" and fs == 403, fb
        assert json.loads(fb)["sec:fetchCredRsp"] == {"status": False, "errorString": "enrolment expired"}
        lst = mef.m2m("enrolee", "list", "--config", mef.ini, "--json")
        states = {json.loads(ln)["kpm_id"]: json.loads(ln)["state"] for ln in lst.stdout.splitlines()}
        assert states == {"dev1@" + FQDN: "revoked", "dev2@" + FQDN: "expired"}
        for secret in (kpm, kpm2):
            assert secret not in lst.stdout
    finally:
        mef.stop()
    audits = mef.audits()
    causes = [(a["procedure"], a["outcome"]) for a in audits]
    assert ("client-registration", "ok") in causes
    assert ("psk-lookup", "unknown-client") in causes
    assert ("psk-lookup", "revoked") in causes
    assert ("psk-lookup", "expired") in causes
    ok = [a for a in audits if a["procedure"] == "client-registration"][0]
    assert ok["rsc"] == 2001 and ok["key_id"] == reg["keyID"] and ok["rqi"] == "rq1"
    with open(mef.log) as f:
        text = f.read().lower()
    for secret in (kpm, kpm2, material.lower()[32:]):
        assert secret not in text


def test_labels_of_quotes_and_control_characters_kept_whole(pki):
    """sec:clientRegCfg labels (TS-0003 Table 12.4.2-1; docs/procedures/mef.md: at most 8 of <= 63
    bytes): 8 labels of 63 bytes of '"' and U+0001, escaped to up to 6 bytes each in the stored JSON,
    are registered (2001) and answered whole, not silently dropped."""
    mef = Mef(pki)
    kpm = secrets.token_hex(32)
    assert mef.add("dev1@" + FQDN, kpm).returncode == 0
    labels = [("\"\x01" * 32)[:63]] * 8
    mef.start()
    try:
        out = enrol(mef, "dev1@" + FQDN, kpm, labels=labels)
        assert out is not None
        assert out[1]["x-m2m-rsc"] == "2001", out[2]
        assert json.loads(out[2])["sec:mefClientReg"]["labels"] == labels
    finally:
        mef.stop()


def test_rate_limit_per_identity_429_retry_after(pki):
    mef = Mef(pki, "rate-limit-per-identity = 2\nrate-limit-per-address = 4\n")
    kpm = secrets.token_hex(32)
    assert mef.add("dev1@" + FQDN, kpm).returncode == 0
    mef.start()
    try:
        got = [enrol(mef, "dev1@" + FQDN, kpm, rqi="r%d" % i) for i in range(3)]
        # an Enrolment Target is not limited (its fetches follow its fleet's handshakes)
        keid = json.loads(got[0][2])["sec:mefClientReg"]["keyID"]
        for _ in range(6):
            assert fetch(mef, keid)[1]["x-m2m-rsc"] == "4004"  # re-registered since: unknown, not 429
    finally:
        mef.stop()
    assert got[0][1]["x-m2m-rsc"] == "2001"
    status, headers, body, _ = got[2]
    assert status == 429
    assert headers["x-m2m-rsc"] == "4000"
    assert 1 <= int(headers["retry-after"]) <= 60
    assert any(a["outcome"] == "rate-limited-identity" and a["rqi"] == "r2" for a in mef.audits())


def test_rate_limit_per_address(pki):
    mef = Mef(pki, "rate-limit-per-address = 1\n")
    kpm = secrets.token_hex(32)
    assert mef.add("dev1@" + FQDN, kpm).returncode == 0
    mef.start()
    try:
        first, second = enrol(mef, "dev1@" + FQDN, kpm), enrol(mef, "dev1@" + FQDN, kpm, rqi="r2")
    finally:
        mef.stop()
    assert first[1]["x-m2m-rsc"] == "2001"
    assert second[0] == 429 and int(second[1]["retry-after"]) == 60
    assert any(a["outcome"] == "rate-limited-address" for a in mef.audits())


def test_import_bad_row_line_number_idempotent(pki):
    mef = Mef(pki)
    csv = pki.path("fleet.csv")
    good = [secrets.token_hex(32) for _ in range(3)]
    with open(csv, "w") as f:
        f.write("kpm_id,kpm,enrolee_id,targets,expiry_days\n")
        f.write("a1@%s,%s,Ca1,/id-in,30\n" % (FQDN, good[0]))
        f.write("# comment\n\n")
        f.write("a2@%s,zz-not-hex,Ca2,/id-in\n" % FQDN)          # line 5: bad key
        f.write("a3@%s,%s,Ca3,/id-in //sp.example.com/id-x\n" % (FQDN, good[1]))
        f.write("a4@%s,%s,Ca4,/id-in,0\n" % (FQDN, good[2]))     # line 7: bad expiry
    os.chmod(csv, 0o644)
    r = mef.m2m("enrolee", "import", "--config", mef.ini, csv)
    assert r.returncode == 1 and "permissions" in r.stderr, r.stderr
    os.chmod(csv, 0o600)
    r = mef.m2m("enrolee", "import", "--config", mef.ini, csv)
    assert r.returncode == 1, r.stderr
    assert "line 5:" in r.stderr and "line 7:" in r.stderr
    assert r.stdout.strip() == "import: 4 rows: 2 added, 0 unchanged, 2 failed"
    for s in good:
        assert s not in r.stderr and s not in r.stdout
    lst = mef.m2m("enrolee", "list", "--config", mef.ini, "--json")
    ids = [json.loads(ln)["kpm_id"] for ln in lst.stdout.splitlines()]
    assert ids == ["a1@" + FQDN, "a3@" + FQDN]
    r = mef.m2m("enrolee", "import", "--config", mef.ini, csv)
    assert r.stdout.strip() == "import: 4 rows: 0 added, 2 unchanged, 2 failed"


def test_import_progress_bar_on_a_terminal(pki):
    import pty
    mef = Mef(pki)
    csv = pki.path("t.csv")
    with open(csv, "w") as f:
        for i in range(100):
            f.write("t%d@%s,%s,Ct%d,/id-in\n" % (i, FQDN, secrets.token_hex(32), i))
    os.chmod(csv, 0o600)
    master, slave = pty.openpty()
    r = subprocess.run([pki.bin, "mef", "enrolee", "import", "--config", mef.ini, csv], stdout=subprocess.PIPE,
                       stderr=slave, timeout=60)
    os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        tty += chunk
    os.close(master)
    assert r.returncode == 0
    assert r.stdout.decode().strip() == "import: 100 rows: 100 added, 0 unchanged, 0 failed"
    assert b"\rimport [" in tty and b"100/100" in tty


def test_cli_usage_and_key_file_mode(pki):
    mef = Mef(pki)
    kf = pki.path("loose.hex")
    with open(kf, "w") as f:
        f.write(secrets.token_hex(32))
    os.chmod(kf, 0o644)
    r = mef.m2m("enrolee", "add", "--config", mef.ini, "--kpm-id", "d@" + FQDN, "--kpm-file", kf,
                "--enrolee-id", "Cd", "--target", "/id-in")
    assert r.returncode == 2 and r.stderr.startswith("m2msec: mef enrolee add: ")
    r = mef.m2m("enrolee", "add", "--config", mef.ini, "--kpm-id", "d@" + FQDN)
    assert r.returncode == 2 and "--kpm-file is required" in r.stderr
    for sub in (("enrolee", "add"), ("enrolee", "import"), ("group", "add")):
        h = mef.m2m(*sub, "--help")
        assert h.returncode == 0 and h.stdout.startswith("usage: m2msec mef " + " ".join(sub))
    key = secrets.token_hex(32)
    r = mef.m2m("enrolee", "add", "--config", mef.ini, "--kpm-id", "s@" + FQDN, "--kpm-file", "-",
                "--enrolee-id", "Cs", "--target", "/id-in", "--expiry-days", "3", input=key + "\n")
    assert r.returncode == 0 and r.stdout.strip() == "s@%s added" % FQDN, r.stderr
    r = mef.m2m("enrolee", "add", "--config", mef.ini, "--kpm-id", "s@" + FQDN, "--kpm-file", "-",
                "--enrolee-id", "Cother", "--target", "/id-in", input=key + "\n")
    assert r.returncode == 1 and "already enrolled" in r.stderr
    assert mef.m2m("enrolee", "revoke", "--config", mef.ini, "--kpm-id", "zz@" + FQDN).returncode == 1


def test_allowed_claims_before_issuance(pki):
    """--allow: the Enrolee-IDs a Kpm may claim besides its own (docs/procedures/mef.md)."""
    mef = Mef(pki)
    kpm = secrets.token_hex(32)
    assert mef.add("dev1@" + FQDN, kpm, extra=("--allow", "Cdev1-*")).returncode == 0
    mef.start()
    try:
        ok = enrol(mef, "dev1@" + FQDN, kpm, claim="Cdev1-a")
        assert ok[1]["x-m2m-rsc"] == "2001" and json.loads(ok[2])["sec:mefClientReg"]["mefClientID"] == "Cdev1-a"
        bad = enrol(mef, "dev1@" + FQDN, kpm, rqi="rq2", claim="Cother")
        assert bad[0] == 403 and bad[1]["x-m2m-rsc"] == "4103", bad
    finally:
        mef.stop()
    assert any(a["outcome"] == "claim-refused" and a["rqi"] == "rq2" and a["rsc"] == 4103 for a in mef.audits())


def test_est_routes_with_ca_dir(pki):
    """ca-dir wires the EST server (RFC 7030 /.well-known/est) into the same listener, over the
    enrolee's TLS-PSK association; the oneM2M procedures are unaffected."""
    mef = Mef(pki, "ca-dir = %s\n" % pki.path("ca"))
    kpm = secrets.token_hex(32)
    assert mef.add("dev1@" + FQDN, kpm).returncode == 0
    mef.start()
    try:
        req = ("GET /.well-known/est/cacerts HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % FQDN).encode()
        r = subprocess.run(["openssl", "s_client", "-quiet", "-tls1_2", "-psk_identity", "dev1@" + FQDN, "-psk", kpm,
                            "-cipher", "PSK-AES128-CBC-SHA256", "-connect", "127.0.0.1:%d" % mef.port],
                           input=req, capture_output=True, timeout=30)
        status, headers, body = parse_http(r.stdout[r.stdout.find(b"HTTP/1.1 "):])
        assert status == 200 and headers["content-type"].startswith("application/pkcs7-mime"), (status, body)
        assert enrol(mef, "dev1@" + FQDN, kpm)[1]["x-m2m-rsc"] == "2001"
    finally:
        mef.stop()


def test_rotate_while_running(pki):
    mef = Mef(pki)
    old, new = secrets.token_hex(32), secrets.token_hex(32)
    assert mef.add("dev1@" + FQDN, old).returncode == 0
    mef.start()
    try:
        assert enrol(mef, "dev1@" + FQDN, old)[1]["x-m2m-rsc"] == "2001"
        r = mef.m2m("enrolee", "rotate", "--config", mef.ini, "--kpm-id", "dev1@" + FQDN, "--kpm-file", "-",
                    input=new)
        assert r.returncode == 0 and r.stdout.strip() == "dev1@%s rotated" % FQDN, r.stderr
        assert enrol(mef, "dev1@" + FQDN, old) is None  # the old Kpm stops working at once
        assert enrol(mef, "dev1@" + FQDN, new)[1]["x-m2m-rsc"] == "2001"
        r = mef.m2m("enrolee", "show", "--config", mef.ini, "--kpm-id", "nobody@" + FQDN)
        assert r.returncode == 1 and r.stderr.startswith("m2msec: mef enrolee show: nobody@")
    finally:
        mef.stop()


def test_fleet_group_member_enrols(pki):
    mef = Mef(pki)
    gk = secrets.token_hex(32)
    gf = pki.path("group.hex")
    with open(gf, "w") as f:
        f.write(gk)
    os.chmod(gf, 0o600)
    r = mef.m2m("group", "add", "--config", mef.ini, "--group-id", "lot1", "--group-key-file", gf,
                "--kpm-prefix", "lot1-", "--enrolee-template", "Cdev-{id}", "--target", "/id-in")
    assert r.returncode == 0, r.stderr
    kpm_id = "lot1-0042@" + FQDN
    kpm = hmac.new(bytes.fromhex(gk), kpm_id.encode(), hashlib.sha256).hexdigest()
    mef.start()
    try:
        out = enrol(mef, kpm_id, kpm)
        assert out is not None and out[1]["x-m2m-rsc"] == "2001", out
        assert json.loads(out[2])["sec:mefClientReg"]["mefClientID"] == "Cdev-0042"
        assert mef.m2m("group", "revoke", "--config", mef.ini, "--group-id", "lot1").returncode == 0
        other = "lot1-0043@" + FQDN
        assert enrol(mef, other, hmac.new(bytes.fromhex(gk), other.encode(), hashlib.sha256).hexdigest()) is None
    finally:
        mef.stop()


def test_kill9_during_enrolments_loses_nothing_answered(pki):
    mef = Mef(pki, "rate-limit-per-address = 0\n")
    n = 24
    keys = {"k%d@%s" % (i, FQDN): secrets.token_hex(32) for i in range(n)}
    for i, (kid, k) in enumerate(keys.items()):
        assert mef.add(kid, k, enrolee="Ck%d" % i).returncode == 0
    mef.start()
    procs = start_concurrent(mef, keys, registration)
    # kill -9 while the enrolments are in flight (some answered, some not)
    kill9_when_some_done(mef, procs, 4)
    answered = answered_2001(procs, "sec:mefClientReg", "keyID")
    assert answered, "no enrolment finished before the kill"
    assert_store_intact(pki.path("mef.db"))
    mef.start()  # restarts on the same store
    try:
        for kid, keid in answered.items():
            show = mef.m2m("enrolee", "show", "--config", mef.ini, "--kpm-id", kid, "--json")
            assert json.loads(show.stdout)["keid"] == keid
            assert fetch(mef, keid)[1]["x-m2m-rsc"] == "2000"  # usable by its target
        lst = mef.m2m("enrolee", "list", "--config", mef.ini, "--json")
        stored = sum(1 for ln in lst.stdout.splitlines() if json.loads(ln)["keid"])
        assert stored >= len(answered)  # committed before the answer: never the other way round
        # every enrolee still enrols after the restart
        kid = sorted(keys)[0]
        assert enrol(mef, kid, keys[kid])[1]["x-m2m-rsc"] == "2001"
    finally:
        mef.stop()
    print("kill -9: %d of %d enrolments answered 2001 before the kill, all present; %d stored" % (
        len(answered), n, stored))
