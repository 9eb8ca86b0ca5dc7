# SPDX-License-Identifier: Apache-2.0
"""System tests of `m2msec maf-client`, Entity A of TS-0003 clause 8.2.2.3 (docs/procedures/maf.md).

1. Independent key agreement: `openssl s_server -nocert -psk Km -keymatexport
   EXPORTER-oneM2M-Connection -keymatexportlen 48` plays the MAF's TLS end (MAF Handshake with
   KmID/Km, clause 8.8.2.2) and this test answers the Mmaf primitives through s_server's stdin:
   4103 to the first MAF Key Registration, so the client runs MAF Client Registration and
   retries. The Key Identifier printed, DIR/kcid, DIR/kc and DIR/target.psk must equal what
   OpenSSL exported: KcID = 16 MSB, Kc = 32 LSB (clause 10.3.1), psk = Kc[0..15] (clause 8.8.1).
2. A relKeyID that is not the session's KcID: exit 1, nothing written.
3. De-registration: DELETE mafKeyReg/<relKeyID>; 2002 -> exit 0, 4004 -> exit 1 with the RSC.
4. Refusals before any network I/O: a group-readable Km file, usage errors (exit 2).
The flow tests against a scripted MAF in-process are tests/unit/test_maf_client_e2e.c.
"""
import json
import os
import re
import secrets
import socket
import stat
import subprocess
import time

import pytest

from test_22_enrol import free_port, http, wait_for, write_secret

LABEL = "EXPORTER-oneM2M-Connection"
KM_RE = re.compile(r"Keying material: ([0-9A-Fa-f]+)")
KM_ID = "dev1@maf.example.com"
TARGET = "//sp.example.com/cse-in"


@pytest.fixture
def maf_ca(run, tmp_path):
    d = tmp_path / "ca"
    res = run("ca", "init", "--dir", d, "--name", "maf test ca")
    assert res.returncode == 0, res.stderr
    return d / "ca.crt"


def key_reg(mat, body, **over):
    rel = mat[:16].hex().upper()
    cfg = json.loads(body)["sec:keyRegCfg"]
    reg = {"relKeyID": rel, "keyID": rel + "@maf.example.com", "expirationTime": cfg["expirationTime"],
           "sourceID": "Cdev1", "adminFQDN": "maf.example.com", "SUID": 32, "targetIDs": cfg["targetIDs"]}
    reg.update(over)
    return {"sec:mafKeyReg": reg}


def last_body(text, marker):
    """The JSON body of the last request whose request line contains marker."""
    part = text[text.rindex(marker):]
    start = part.index("{")
    dec, _ = json.JSONDecoder().raw_decode(part[start:])
    return json.dumps(dec)


class Maf:
    """openssl s_server as the MAF's TLS end (one connection), driven through its stdin."""

    def __init__(self, openssl_bin, tmp_path, km):
        self.out = tmp_path / "server.out"
        self.port = free_port()
        with open(self.out, "w") as out:
            self.proc = subprocess.Popen([openssl_bin, "s_server", "-nocert", "-tls1_2", "-psk", km,
                                          "-psk_identity", KM_ID, "-cipher", "PSK-AES128-CCM8",
                                          "-keymatexport", LABEL, "-keymatexportlen", "48",
                                          "-accept", "127.0.0.1:%d" % self.port, "-naccept", "1", "-ign_eof"],
                                         stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
        wait_for(self.out, "ACCEPT", self.proc)

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def material(self):
        return bytes.fromhex(KM_RE.search(self.out.read_text()).group(1))

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def wait_count(maf, needle, count, body=False):
    """Server output once needle occurred count times (and, with body, the last one's JSON body
    arrived); returns (text, body)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = maf.out.read_text(errors="replace")
        if text.count(needle) >= count:
            if not body:
                return text, None
            try:
                return text, last_body(text, needle)
            except ValueError:
                pass
        if maf.proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %d x %r" % (count, needle))


def client(m2msec_bin, maf, maf_ca, km_file, *extra):
    return subprocess.Popen([m2msec_bin, "maf-client", *extra, "--maf", "127.0.0.1:%d" % maf.port,
                             "--maf-ca", str(maf_ca), "--km-id", KM_ID, "--km-file", str(km_file),
                             "--timeout", "30"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_key_matches_openssl_export(m2msec_bin, openssl_bin, maf_ca, tmp_path):
    km = secrets.token_hex(32)
    km_file = write_secret(tmp_path / "km", km + "\n")
    out_dir = tmp_path / "out"
    maf = Maf(openssl_bin, tmp_path, km)
    try:
        proc = client(m2msec_bin, maf, maf_ca, km_file, "key", "--target", TARGET, "--out", out_dir,
                      "--lifetime", "600")
        wait_count(maf, "POST /mafKeyReg", 1, body=True)
        maf.send(http(4103, 403, {"m2m:dbg": "MAF Client Registration required first"}))
        _, body = wait_count(maf, "POST /mafClientReg", 1, body=True)
        reg = json.loads(body)["sec:clientRegCfg"]
        assert reg["fqdn"] == "maf.example.com"
        maf.send(http(2001, 201, {"sec:mafClientReg": {"mafClientRegID": "AB", "mafClientID": "Cdev1",
                                                       "expirationTime": reg["expirationTime"]}}))
        _, body = wait_count(maf, "POST /mafKeyReg", 2, body=True)
        cfg = json.loads(body)["sec:keyRegCfg"]
        assert cfg["SUID"] == 32 and cfg["targetIDs"] == [TARGET] and "keyValue" not in cfg
        mat = maf.material()
        maf.send(http(2001, 201, key_reg(mat, body)))
        stdout, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 0, stderr
        kid = mat[:16].hex().upper() + "@maf.example.com"
        assert stdout.strip() == kid
        assert (out_dir / "kcid").read_text().strip() == kid
        assert (out_dir / "kc").read_text().strip() == mat[16:].hex()
        assert (out_dir / "target.psk").read_text().strip() == mat[16:32].hex()  # key-split rule
        for name in ("kc", "target.psk"):
            assert stat.S_IMODE(os.stat(out_dir / name).st_mode) == 0o600
        assert km not in stdout + stderr and mat[16:].hex() not in stderr
    finally:
        maf.close()


@pytest.mark.parametrize("case", ["other-relkeyid", "suid-33", "refused"])
def test_bad_answers_write_nothing(m2msec_bin, openssl_bin, maf_ca, tmp_path, case):
    km = secrets.token_hex(32)
    km_file = write_secret(tmp_path / "km", km)
    out_dir = tmp_path / "out"
    maf = Maf(openssl_bin, tmp_path, km)
    try:
        proc = client(m2msec_bin, maf, maf_ca, km_file, "key", "--target", TARGET, "--out", out_dir)
        _, body = wait_count(maf, "POST /mafKeyReg", 1, body=True)
        mat = maf.material()
        if case == "other-relkeyid":
            rel = (bytes([mat[0] ^ 1]) + mat[1:16]).hex().upper()
            ans = http(2001, 201, key_reg(mat, body, relKeyID=rel, keyID=rel + "@maf.example.com"))
        elif case == "suid-33":
            ans = http(2001, 201, key_reg(mat, body, SUID=33))
        else:
            ans = http(4000, 400, {"m2m:dbg": "targetIDs: not a CSE-ID"})
        maf.send(ans)
        stdout, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 1, stderr
        assert stdout == ""
        if case == "refused":
            assert "RSC 4000" in stderr and "targetIDs" in stderr
        elif case == "other-relkeyid":
            assert "relKeyID" in stderr
        assert not out_dir.exists()
    finally:
        maf.close()


@pytest.mark.parametrize("rsc", [2002, 4004])
def test_deregister(m2msec_bin, openssl_bin, maf_ca, tmp_path, rsc):
    km = secrets.token_hex(32)
    km_file = write_secret(tmp_path / "km", km)
    maf = Maf(openssl_bin, tmp_path, km)
    try:
        proc = client(m2msec_bin, maf, maf_ca, km_file, "deregister", "--kcid",
                      "00112233445566778899aabbccddeeff@maf.example.com")
        wait_count(maf, "DELETE /mafKeyReg/00112233445566778899AABBCCDDEEFF ", 1)
        maf.send(http(rsc, 200 if rsc == 2002 else 404, None if rsc == 2002 else {"m2m:dbg": "not found"}))
        stdout, stderr = proc.communicate(timeout=30)
        assert proc.returncode == (0 if rsc == 2002 else 1), stderr
        if rsc == 4004:
            assert "RSC 4004" in stderr
    finally:
        maf.close()


def test_loose_km_file_refused_before_network(run, maf_ca, tmp_path):
    km_file = write_secret(tmp_path / "km", secrets.token_hex(32), 0o640)
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as lsock:
        lsock.bind(("127.0.0.1", port))
        lsock.listen(1)
        lsock.settimeout(0.5)
        res = run("maf-client", "key", "--maf", "127.0.0.1:%d" % port, "--maf-ca", maf_ca, "--km-id", KM_ID,
                  "--km-file", km_file, "--target", TARGET, "--out", tmp_path / "o")
        assert res.returncode == 2, res.stderr
        assert "permissions" in res.stderr
        with pytest.raises(socket.timeout):  # no connection was made
            lsock.accept()
    assert not (tmp_path / "o").exists()


BASE = ["--maf", "127.0.0.1:1", "--maf-ca", "ca"]
KM = ["--km-id", KM_ID, "--km-file", "-"]


@pytest.mark.parametrize("args", [
    [],
    ["bogus"],
    ["key"],
    ["key", *KM, "--target", TARGET, "--out", "x"],                          # no --maf
    ["key", *BASE, "--target", TARGET, "--out", "x"],                        # no Km
    ["key", *BASE, "--km-id", KM_ID, "--target", TARGET, "--out", "x"],      # no --km-file
    ["key", *BASE, *KM, "--enrolment", "d", "--target", TARGET, "--out", "x"],  # both
    ["key", *BASE, *KM, "--out", "x"],                                       # no --target
    ["key", *BASE, *KM, "--target", TARGET],                                 # no --out
    ["key", *BASE, *KM, "--target", "/cse-in", "--out", "x"],                # SP-relative
    ["key", *BASE, *KM, "--target", TARGET, "--out", "x", "--lifetime", "0"],
    ["key", *BASE, *KM, "--target", TARGET, "--out", "x", "--lifetime", "1y"],
    ["key", *BASE, *KM, "--target", TARGET, "--out", "x", "--kcid", "A"],
    ["key", *BASE, *KM, "--target", TARGET, "--out", "x", "--timeout", "0"],
    ["key", "--maf", "no-port", "--maf-ca", "ca", *KM, "--target", TARGET, "--out", "x"],
    ["key", *BASE, "--km-id", "no-fqdn", "--km-file", "-", "--target", TARGET, "--out", "x"],
    ["key", *BASE, *KM, "--target", TARGET, "--out", "x", "--maf-fqdn", "bad fqdn"],
    ["key", *BASE, *KM, "--target", TARGET, "--out", "x", "--bogus"],
    ["deregister", *BASE, *KM],                                              # no --kcid
    ["deregister", *BASE, *KM, "--kcid", "not-hex"],
    ["deregister", *BASE, *KM, "--kcid", "00112233445566778899AABBCCDDEEFF", "--target", TARGET],
])
def test_usage_errors(run, args):
    res = run("maf-client", *args, input=secrets.token_hex(32))
    assert res.returncode == 2, res.stderr
    assert "maf-client" in res.stderr


def test_enrolment_dir_checked_before_network(run, tmp_path):
    d = tmp_path / "enr"
    d.mkdir()
    (d / "keid").write_text("0123456789ABCDEF0123456789ABCDEF@mef.example.com\n")
    write_secret(d / "ke", secrets.token_hex(32), 0o644)
    res = run("maf-client", "key", *BASE, "--enrolment", d, "--target", TARGET, "--out", tmp_path / "o")
    assert res.returncode == 2 and "permissions" in res.stderr, res.stderr


def test_help(run):
    res = run("maf-client", "--help")
    assert res.returncode == 0
    assert "--km-file" in res.stdout and "target.psk" in res.stdout and "--enrolment" in res.stdout
