# SPDX-License-Identifier: Apache-2.0
"""System test of the TS-0003 clause 10.3.1 TLS key export: an independent TLS 1.2 PSK session
between `openssl s_server` and `openssl s_client` (PSK-AES128-CBC-SHA256, the clause 10.2.2
mandatory suite) exports 48 bytes with the label "EXPORTER-oneM2M-Bootstrap" on both ends; the
two must agree, and `m2msec key split` must turn them into Ke / RelativeKeID / KeID exactly as
the clause says (16 most significant bytes = RelativeKeID, 32 least significant = Ke)."""
import json
import re
import secrets
import subprocess
import time

import pytest

from cse_harness import free_port

LABEL = "EXPORTER-oneM2M-Bootstrap"
CIPHER = "PSK-AES128-CBC-SHA256"
KM_RE = re.compile(r"Keying material: ([0-9A-Fa-f]+)")



def wait_for(path, needle, proc, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if needle in text:
            return text
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %r; output:\n%s" % (needle, text))


def export_pair(openssl_bin, tmp_path, label=LABEL):
    """Run one s_server/s_client session; return (server material, client material) as bytes."""
    psk, ident = secrets.token_hex(32), "kpm-%s@mef.example.com" % secrets.token_hex(4)
    srv_out = tmp_path / "server.out"
    common = ["-tls1_2", "-psk", psk, "-psk_identity", ident, "-cipher", CIPHER,
              "-keymatexport", label, "-keymatexportlen", "48"]
    for attempt in range(3):            # a free port can be taken between bind and listen
        port = free_port()
        with open(srv_out, "w") as out:
            # stdin stays open: s_server closes the connection on stdin EOF
            server = subprocess.Popen([openssl_bin, "s_server", "-nocert", *common,
                                       "-accept", "127.0.0.1:%d" % port, "-naccept", "1"],
                                      stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
        try:
            try:
                wait_for(srv_out, "ACCEPT", server)
            except AssertionError:
                if attempt == 2:
                    raise
                continue
            client = subprocess.run([openssl_bin, "s_client", "-connect", "127.0.0.1:%d" % port, *common],
                                    input="\n", capture_output=True, text=True, timeout=30)
            srv_text = wait_for(srv_out, "Keying material: ", server)
            server.stdin.close()
            server.wait(timeout=15)
            srv_text = srv_out.read_text(errors="replace")
            cli = KM_RE.search(client.stdout)
            srv = KM_RE.search(srv_text)
            assert cli, client.stdout + client.stderr
            assert srv, srv_text
            assert CIPHER in client.stdout
            return bytes.fromhex(srv.group(1)), bytes.fromhex(cli.group(1))
        finally:
            if server.poll() is None:
                server.kill()
                server.wait(timeout=10)
    raise AssertionError("unreachable")


def test_bootstrap_exporter_split(run, openssl_bin, tmp_path):
    srv, cli = export_pair(openssl_bin, tmp_path)
    assert len(srv) == 48
    assert srv == cli
    got = json.loads(run("key", "split", "--exporter", srv.hex().upper(), "--fqdn", "mef.example.com").stdout)
    assert got == {"relative_id": srv[:16].hex().upper(),
                   "key_id": srv[:16].hex().upper() + "@mef.example.com",
                   "key": srv[16:].hex()}


def test_split_from_stdin_and_other_label(run, openssl_bin, tmp_path):
    srv, cli = export_pair(openssl_bin, tmp_path, "EXPORTER-oneM2M-Connection")
    assert srv == cli
    res = run("key", "split", "--exporter", "-", "--fqdn", "MAF.example.com", input=cli.hex() + "\n")
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert got["key"] == cli[16:].hex()
    assert got["key_id"] == cli[:16].hex().upper() + "@maf.example.com"


@pytest.mark.parametrize("nbytes", [47, 49])
def test_split_wrong_length(run, nbytes):
    m = secrets.token_hex(nbytes)
    res = run("key", "split", "--exporter", m, "--fqdn", "mef.example.com")
    assert res.returncode == 2
    assert res.stdout == ""
    assert m[:20] not in res.stderr
