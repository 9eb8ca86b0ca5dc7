# SPDX-License-Identifier: Apache-2.0
"""System tests of `m2msec enrol`, the Enrolee side of TS-0003 clause 8.3.

1. Independent key agreement: `openssl s_server -nocert -psk ... -keymatexport
   EXPORTER-oneM2M-Bootstrap -keymatexportlen 48` plays the MEF's TLS end (clause 8.3.2.1), and
   this test answers the Mmef primitives of docs/procedures/mef.md through s_server's stdin. The
   KeID printed, DIR/ke and DIR/target.psk must equal what Python computes from the material
   OpenSSL exported: KeID = hex(16 MSB)@MEF-FQDN, Ke = 32 LSB (clause 10.3.1), target key =
   HMAC-SHA-256(Ke, label || "22" || "cse-in.sp.example.com") (clause 10.3.7).
2. Refusals before any network I/O (Kpm file 0644 -> exit 2, usage errors -> exit 2) and a
   wrong Kpm (handshake failure -> exit 1, no file written).
3. Against the real `m2msec mef` service (skipped, naming the missing command, while the MEF
   shell is not in this build).
The library's own end-to-end test against the MEF procedure layer is tests/unit/test_enrolee_e2e.c.
"""
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import stat
import subprocess
import time

import pytest

from cse_harness import free_port

LABEL = "EXPORTER-oneM2M-Bootstrap"
UCSK_LABEL = b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"
KM_RE = re.compile(r"Keying material: ([0-9A-Fa-f]+)")
KPM_ID = "dev1@mef.example.com"



def wait_for(path, needle, proc, timeout=20):
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if needle in text:
            return text
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %r; output:\n%s" % (needle, text))


def write_secret(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return path


@pytest.fixture
def mef_ca(run, tmp_path):
    d = tmp_path / "ca"
    res = run("ca", "init", "--dir", d, "--name", "mef test ca")
    assert res.returncode == 0, res.stderr
    return d / "ca.crt"


def http(rsc, status, body):
    data = json.dumps(body).encode() if body is not None else b""
    return (b"HTTP/1.1 %d \r\nX-M2M-RSC: %d\r\nX-M2M-RI: r\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (status, rsc, len(data))) + data


def test_keys_match_openssl_export(m2msec_bin, openssl_bin, mef_ca, tmp_path):
    kpm = secrets.token_hex(32)
    kpm_file = write_secret(tmp_path / "kpm", kpm + "\n")
    out_dir = tmp_path / "out"
    srv_out = tmp_path / "server.out"
    port = free_port()
    with open(srv_out, "w") as out:
        server = subprocess.Popen([openssl_bin, "s_server", "-nocert", "-tls1_2", "-psk", kpm,
                                   "-psk_identity", KPM_ID, "-cipher", "PSK-AES128-CCM8:PSK-AES128-CBC-SHA256",
                                   "-keymatexport", LABEL, "-keymatexportlen", "48",
                                   "-accept", "127.0.0.1:%d" % port, "-naccept", "1", "-ign_eof"],
                                  stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(srv_out, "ACCEPT", server)
        enrol = subprocess.Popen([m2msec_bin, "enrol", "--mef", "127.0.0.1:%d" % port, "--mef-ca", str(mef_ca),
                                  "--kpm-id", KPM_ID, "--kpm-file", str(kpm_file), "--out", str(out_dir),
                                  "--timeout", "30"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        text = wait_for(srv_out, "POST /mefClientReg", server)
        mat = bytes.fromhex(KM_RE.search(text).group(1))
        assert len(mat) == 48
        rel = mat[:16].hex().upper()
        keid = rel + "@mef.example.com"
        reg = {"sec:mefClientReg": {"mefClientRegID": rel, "mefClientID": "Cdev1", "keyID": keid,
                                    "expirationTime": "20300101T000000", "enrolmentExpiry": "20300101T000000",
                                    "adminFQDN": "mef.example.com",
                                    "childResource": "mefClientReg/%s/mefClientCmd" % rel,
                                    "targetIDs": ["//sp.example.com/cse-in"]}}
        server.stdin.write(http(2001, 201, reg))
        server.stdin.flush()
        wait_for(srv_out, "GET /mefClientReg/%s/mefClientCmd" % rel, server)
        cmd = {"sec:mefClientCmd": {"cmdID": 1, "cmdDescription": {
            "cmdClassID": 0, "cmdArgs": {"noMoreCmdArgs": {"retryDuration": "PT86400S"}}, "targetID": "Cdev1"},
            "cmdStatusCode": 10}}
        server.stdin.write(http(2000, 200, cmd))
        server.stdin.flush()
        text = wait_for(srv_out, "PUT /mefClientReg/%s/mefClientCmd" % rel, server)
        # the report of NO_MORE_COMMANDS: cmdID 1, status 20 (TS-0003 clause 8.3.4.6)
        wait_for(srv_out, '"cmdStatusCode":20', server)
        assert '"cmdID":1' in srv_out.read_text()
        server.stdin.write(http(2004, 200, None))
        server.stdin.flush()
        stdout, stderr = enrol.communicate(timeout=30)
        assert enrol.returncode == 0, stderr
        assert stdout.strip() == keid
        assert (out_dir / "keid").read_text().strip() == keid
        ke = mat[16:]
        assert (out_dir / "ke").read_text().strip() == ke.hex()
        want = hmac.new(ke, UCSK_LABEL + b"22" + b"cse-in.sp.example.com", hashlib.sha256).hexdigest()
        assert (out_dir / "target.psk").read_text().strip() == want
        for name in ("ke", "target.psk"):
            assert stat.S_IMODE(os.stat(out_dir / name).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(out_dir).st_mode) == 0o700
        # the registration request carried this MEF's FQDN (docs/procedures/mef.md)
        assert '"fqdn":"mef.example.com"' in srv_out.read_text()
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)


def scripted_registration(m2msec_bin, openssl_bin, mef_ca, tmp_path, answer):
    """s_server as the MEF's TLS end; answer(material) -> the bytes replying to the registration.
    Returns (CompletedProcess-like (rc, stdout, stderr), out_dir)."""
    kpm = secrets.token_hex(32)
    kpm_file = write_secret(tmp_path / "kpm", kpm)
    out_dir = tmp_path / "out"
    srv_out = tmp_path / "server.out"
    port = free_port()
    with open(srv_out, "w") as out:
        server = subprocess.Popen([openssl_bin, "s_server", "-nocert", "-tls1_2", "-psk", kpm,
                                   "-cipher", "PSK-AES128-CCM8", "-keymatexport", LABEL, "-keymatexportlen", "48",
                                   "-accept", "127.0.0.1:%d" % port, "-naccept", "1", "-ign_eof"],
                                  stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(srv_out, "ACCEPT", server)
        enrol = subprocess.Popen([m2msec_bin, "enrol", "--mef", "127.0.0.1:%d" % port, "--mef-ca", str(mef_ca),
                                  "--kpm-id", KPM_ID, "--kpm-file", str(kpm_file), "--out", str(out_dir),
                                  "--timeout", "30"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        text = wait_for(srv_out, "POST /mefClientReg", server)
        server.stdin.write(answer(bytes.fromhex(KM_RE.search(text).group(1))))
        server.stdin.flush()
        stdout, stderr = enrol.communicate(timeout=30)
        return enrol.returncode, stdout, stderr, out_dir
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)


def _reg(mat, **over):
    rel = mat[:16].hex().upper()
    body = {"mefClientRegID": rel, "mefClientID": "Cdev1", "keyID": rel + "@mef.example.com",
            "enrolmentExpiry": "20300101T000000", "childResource": "mefClientReg/%s/mefClientCmd" % rel,
            "targetIDs": ["//sp.example.com/cse-in"]}
    body.update(over)
    return {"sec:mefClientReg": body}


@pytest.mark.parametrize("case", ["refused", "other-keyid", "no-targets", "not-json"])
def test_mef_answers_refused(m2msec_bin, openssl_bin, mef_ca, tmp_path, case):
    """The MEF refuses or answers nonsense: exit 1, the RSC and reason printed, nothing written,
    never a key on stdout or stderr."""
    seen = {}

    def answer(mat):
        seen["ke"] = mat[16:].hex()
        if case == "refused":
            return http(4103, 403, {"m2m:dbg": "enrolment expired"})
        if case == "other-keyid":
            return http(2001, 201, _reg(mat, keyID="00" * 16 + "@mef.example.com"))
        if case == "no-targets":
            return http(2001, 201, _reg(mat, targetIDs=[]))
        return b"HTTP/1.1 201 \r\nX-M2M-RSC: 2001\r\nContent-Length: 5\r\n\r\nnope!"

    rc, stdout, stderr, out_dir = scripted_registration(m2msec_bin, openssl_bin, mef_ca, tmp_path, answer)
    assert rc == 1, stderr
    assert stdout == ""
    assert not out_dir.exists()
    assert seen["ke"] not in stderr.lower()
    if case == "refused":
        assert "RSC 4103: enrolment expired" in stderr
    else:
        assert "malformed protocol message" in stderr


def test_wrong_kpm_fails_handshake(m2msec_bin, openssl_bin, mef_ca, tmp_path):
    kpm_file = write_secret(tmp_path / "kpm", secrets.token_hex(32))
    srv_out = tmp_path / "server.out"
    port = free_port()
    with open(srv_out, "w") as out:
        server = subprocess.Popen([openssl_bin, "s_server", "-nocert", "-tls1_2", "-psk", secrets.token_hex(32),
                                   "-cipher", "PSK-AES128-CCM8:PSK-AES128-CBC-SHA256",
                                   "-accept", "127.0.0.1:%d" % port, "-naccept", "1"],
                                  stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(srv_out, "ACCEPT", server)
        res = subprocess.run([m2msec_bin, "enrol", "--mef", "127.0.0.1:%d" % port, "--mef-ca", str(mef_ca),
                              "--kpm-id", KPM_ID, "--kpm-file", str(kpm_file), "--out", str(tmp_path / "o")],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 1, res.stderr
        assert "authentication failed" in res.stderr
        assert res.stdout == ""
        assert not (tmp_path / "o").exists()
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)


def test_loose_kpm_file_refused_before_network(run, mef_ca, tmp_path):
    kpm_file = write_secret(tmp_path / "kpm", secrets.token_hex(32), 0o644)
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as lsock:
        lsock.bind(("127.0.0.1", port))
        lsock.listen(1)
        lsock.settimeout(0.5)
        res = run("enrol", "--mef", "127.0.0.1:%d" % port, "--mef-ca", mef_ca, "--kpm-id", KPM_ID,
                  "--kpm-file", kpm_file, "--out", tmp_path / "o")
        assert res.returncode == 2, res.stderr
        assert "permissions" in res.stderr
        with pytest.raises(socket.timeout):  # no connection was made
            lsock.accept()
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args", [
    [],
    ["--mef", "127.0.0.1:1", "--out", "x"],
    ["--mef", "no-port", "--mef-ca", "ca", "--kpm-id", KPM_ID, "--kpm-file", "-", "--out", "x"],
    ["--mef", "127.0.0.1:1", "--mef-ca", "ca", "--kpm-id", KPM_ID, "--out", "x"],
    ["--mef", "127.0.0.1:1", "--mef-ca", "ca", "--kpm-id", KPM_ID, "--kpm-file", "-", "--client-cert", "c",
     "--client-key", "k", "--out", "x"],
    ["--mef", "127.0.0.1:1", "--mef-ca", "ca", "--kpm-id", "no-fqdn", "--kpm-file", "-", "--out", "x"],
    ["--bogus"],
    ["--mef", "127.0.0.1:1", "--mef-ca", "ca", "--kpm-id", KPM_ID, "--kpm-file", "-", "--out", "x", "--reenrol"],
])
def test_usage_errors(run, args):
    res = run("enrol", *args, input=secrets.token_hex(32))
    assert res.returncode == 2, res.stderr


def test_kpm_from_stdin_short_key_is_usage_error(run, mef_ca, tmp_path):
    res = run("enrol", "--mef", "127.0.0.1:1", "--mef-ca", mef_ca, "--kpm-id", KPM_ID, "--kpm-file", "-",
              "--out", tmp_path / "o", input=secrets.token_hex(16))
    assert res.returncode == 2, res.stderr


def test_help(run):
    res = run("enrol", "--help")
    assert res.returncode == 0
    assert "--kpm-file" in res.stdout and "target.psk" in res.stdout


def _has(run, needle, *cmd):
    """Does `m2msec CMD --help` document needle? (A parent command answers --help anywhere in
    its arguments, so the exit status alone does not show that the subcommand exists.)"""
    res = run(*cmd, "--help")
    return res.returncode == 0 and needle in res.stdout


def test_against_real_mef(run, m2msec_bin, mef_ca, tmp_path):
    """`m2msec enrol` against `m2msec mef --config` + `m2msec mef enrolee add` (issue 7 fixed interface)."""
    if not _has(run, "--config", "mef"):
        pytest.skip("needs the `m2msec mef` command (MEF service shell, not in this build)")
    if not _has(run, "--kpm-id", "mef", "enrolee", "add"):
        pytest.skip("needs the `m2msec mef enrolee add` command (not in this build)")
    ca_dir = mef_ca.parent
    res = run("ca", "issue", "--dir", ca_dir, "--san", "mef.example.com", "--san", "IP:127.0.0.1",
              "--out", tmp_path / "mef")
    assert res.returncode == 0, res.stderr
    port = free_port()
    conf = tmp_path / "mef.ini"
    conf.write_text("[mef]\nmef-fqdn = mef.example.com\nhttps-listen = 127.0.0.1:%d\nstore = %s\n"
                    "cert = %s\nkey = %s\ntrust-anchors = %s\nca-dir = %s\nlog-file = %s\nlog-level = info\n"
                    % (port, tmp_path / "mef.db", tmp_path / "mef.crt", tmp_path / "mef.key", mef_ca, ca_dir,
                       tmp_path / "mef.log"))
    kpm = secrets.token_hex(32)
    kpm_file = write_secret(tmp_path / "kpm", kpm)
    res = run("mef", "enrolee", "add", "--config", conf, "--kpm-id", KPM_ID, "--kpm-file", kpm_file,
              "--enrolee-id", "Cdev1", "--target", "//sp.example.com/cse-in")
    assert res.returncode == 0, res.stderr
    mef = subprocess.Popen([m2msec_bin, "mef", "--config", str(conf)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert mef.poll() is None, mef.stderr.read().decode()
                time.sleep(0.1)
        out = tmp_path / "out"
        res = run("enrol", "--mef", "127.0.0.1:%d" % port, "--mef-ca", mef_ca, "--kpm-id", KPM_ID,
                  "--kpm-file", kpm_file, "--out", out)
        assert res.returncode == 0, res.stderr
        keid = res.stdout.strip()
        assert re.fullmatch(r"[0-9A-F]{32}@mef\.example\.com", keid)
        assert (out / "keid").read_text().strip() == keid
        assert len((out / "target.psk").read_text().strip()) == 64
        bad = write_secret(tmp_path / "bad", secrets.token_hex(32))
        res = run("enrol", "--mef", "127.0.0.1:%d" % port, "--mef-ca", mef_ca, "--kpm-id", KPM_ID,
                  "--kpm-file", bad, "--out", tmp_path / "o2")
        assert res.returncode == 1
        res = run("enrol", "--mef", "127.0.0.1:%d" % port, "--mef-ca", mef_ca, "--kpm-id",
                  "nobody@mef.example.com", "--kpm-file", kpm_file, "--out", tmp_path / "o3")
        assert res.returncode == 1
        # re-enrolment gives a new KeID; after revocation the handshake is refused (exit 1)
        res = run("enrol", "--mef", "127.0.0.1:%d" % port, "--mef-ca", mef_ca, "--kpm-id", KPM_ID,
                  "--kpm-file", kpm_file, "--out", out)
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() != keid
        assert (out / "keid").read_text().strip() == res.stdout.strip()
        res = run("mef", "enrolee", "revoke", "--config", conf, "--kpm-id", KPM_ID)
        assert res.returncode == 0, res.stderr
        res = run("enrol", "--mef", "127.0.0.1:%d" % port, "--mef-ca", mef_ca, "--kpm-id", KPM_ID,
                  "--kpm-file", kpm_file, "--out", tmp_path / "o5")
        assert res.returncode == 1
        assert "authentication failed" in res.stderr
        assert not (tmp_path / "o5").exists()
    finally:
        mef.kill()
        mef.wait(timeout=10)
