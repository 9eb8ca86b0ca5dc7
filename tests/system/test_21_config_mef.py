# SPDX-License-Identifier: Apache-2.0
"""`m2msec mef --config FILE` on the service shell every service shares (issue 7, fixed interface:
the [mef] section of docs/config.md), black-box: the real binary on loopback, TLS checked with an
independent peer (`openssl s_client`), one configuration file holding [cse] and [mef] for both
commands, and the strict parser's errors (exit 2 with `line N`, unknown sections, a missing
certificate named with its path and line). The MEF procedures are plugged in: a client whose
certificate is neither an enrolee's nor an Enrolment Target's (a CSE) has no usable association
and gets SECURITY_ASSOCIATION_REQUIRED (RSC 4107; HTTP 403, docs/procedures/mef.md)."""
import os
import socket
import subprocess

import pytest

from cse_harness import CSE_HOST, Cse, build_request, free_port, parse_http, wait_port


@pytest.fixture
def pki(m2msec_bin, tmp_path):
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    c.add_psk("kpsa-admin@sp.example.com", "CAdmin")
    with open(c.path("psk.txt"), "w") as f:
        for ident, (key, bound) in c.psks.items():
            f.write("%s %s %s\n" % (ident, key, bound))
    os.chmod(c.path("psk.txt"), 0o600)
    return c


def mef_section(c, port, extra=""):
    """[mef] is line 1, mef-fqdn 2, https-listen 3, store 4, cert 5, key 6, log-file 7, threads 8,
    extra from line 9."""
    return ("[mef]\nmef-fqdn = mef.sp.example.com\nhttps-listen = 127.0.0.1:%d\nstore = %s\n"
            "cert = %s\nkey = %s\nlog-file = %s\nthreads = 1\n%s") % (
        port, c.path("mef.db"), c.path("server.crt"), c.path("server.key"), c.path("mef.log"), extra)


def cse_section(c, port):
    return ("[cse]\ncse-id = /id-in\nsp-id = sp.example.com\nstore = %s\nhttps-listen = 127.0.0.1:%d\n"
            "cert = %s\nkey = %s\npsk-file = %s\nlog-file = %s\n") % (
        c.path("cse.db"), port, c.path("server.crt"), c.path("server.key"), c.path("psk.txt"),
        c.path("cse.log"))


def write(c, name, text):
    p = c.path(name)
    with open(p, "w") as f:
        f.write(text)
    return p


def m2m(c, *args):
    return subprocess.run([c.bin, *args], capture_output=True, text=True, timeout=60)


def test_mef_starts_listens_on_tls_and_answers_4107(pki):
    port = free_port()
    # without a PSK source the TLS layer asks for a client certificate (an Enrolment Target's)
    crt, key = pki.issue("target", "m2m://sp.example.com/id-in/Ctarget")
    ini = write(pki, "mef.ini", mef_section(pki, port, "trust-anchors = %s\n" % pki.path("ca/ca.crt")))
    proc = subprocess.Popen([pki.bin, "mef", "--config", ini], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_port(port, proc)
        req = build_request("GET", "/fetchCredentials/x", {"X-M2M-RI": "rq1", "X-M2M-RVI": "3",
                                                             "X-M2M-Origin": "Cx"})
        # independent peer: the certificate must verify against the CA and the handshake complete
        r = subprocess.run(["openssl", "s_client", "-quiet", "-verify_return_error", "-CAfile",
                            pki.path("ca/ca.crt"), "-verify_hostname", CSE_HOST, "-servername", CSE_HOST,
                            "-cert", crt, "-key", key, "-connect", "127.0.0.1:%d" % port], input=req, capture_output=True, timeout=30)
        assert r.stdout, r.stderr
        status, headers, _ = parse_http(r.stdout)
        assert status == 403
        assert headers.get("x-m2m-rsc") == "4107"
        assert headers.get("x-m2m-ri") == "rq1"
        # plain HTTP on the TLS port gets no oneM2M answer
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(req)
            try:
                data = s.recv(65536)
            except (ConnectionResetError, TimeoutError, socket.timeout):
                data = b""
        assert b"X-M2M-RSC" not in data
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_one_file_with_cse_and_mef_sections_serves_both_commands(pki):
    text = cse_section(pki, free_port()) + "\n" + mef_section(pki, free_port())
    ini = write(pki, "both.ini", text)
    for cmd in ("cse", "mef"):
        r = m2m(pki, cmd, "--config", ini, "--check")
        assert r.returncode == 0, (cmd, r.stderr)
        assert "configuration ok" in r.stdout
    # the CSE's keys before any header (implicit [cse], files written before sections existed)
    text = cse_section(pki, free_port()).replace("[cse]\n", "") + mef_section(pki, free_port())
    ini = write(pki, "both2.ini", text)
    for cmd in ("cse", "mef"):
        r = m2m(pki, cmd, "--config", ini, "--check")
        assert r.returncode == 0, (cmd, r.stderr)


def test_unknown_key_in_mef_is_exit_2_with_its_line(pki):
    text = cse_section(pki, free_port()) + mef_section(pki, free_port(), "rate-limit-per-identiy = 5\n")
    ini = write(pki, "typo.ini", text)
    line = text.splitlines().index("rate-limit-per-identiy = 5") + 1
    r = m2m(pki, "mef", "--config", ini, "--check")
    assert r.returncode == 2
    assert r.stderr.strip() == "m2msec: mef: %s: line %d: unknown key 'rate-limit-per-identiy'" % (ini, line)
    # the CSE does not read [mef]: the typo is the MEF's to report
    r = m2m(pki, "cse", "--config", ini, "--check")
    assert r.returncode == 0, r.stderr
    # a CSE-only key in [mef] is unknown there
    ini = write(pki, "cse-key.ini", mef_section(pki, free_port(), "psk-file = x\n"))
    r = m2m(pki, "mef", "--config", ini)
    assert r.returncode == 2
    assert r.stderr.strip() == "m2msec: mef: %s: line 9: unknown key 'psk-file'" % ini


def test_unknown_section_is_an_error_for_every_command(pki):
    ini = write(pki, "sect.ini", mef_section(pki, free_port()) + "[mfe]\nx = 1\n")
    for cmd in ("mef", "cse"):
        r = m2m(pki, cmd, "--config", ini, "--check")
        assert r.returncode == 2, cmd
        assert r.stderr.strip() == "m2msec: %s: %s: line 9: unknown section [mfe]" % (cmd, ini)


def test_missing_mef_section_and_bad_values(pki):
    ini = write(pki, "cse-only.ini", cse_section(pki, free_port()))
    r = m2m(pki, "mef", "--config", ini, "--check")
    assert r.returncode == 2 and r.stderr.strip() == "m2msec: mef: %s: no [mef] section" % ini
    ini = write(pki, "fqdn.ini", mef_section(pki, free_port()).replace("mef.sp.example.com", "mef"))
    r = m2m(pki, "mef", "--config", ini, "--check")
    assert r.returncode == 2
    assert r.stderr.strip() == ("m2msec: mef: %s: line 2: mef-fqdn must be an FQDN such as "
                                "mef.example.com" % ini)
    ini = write(pki, "exp.ini", mef_section(pki, free_port(), "enrolment-expiry-days = 0\n"))
    r = m2m(pki, "mef", "--config", ini, "--check")
    assert r.returncode == 2
    assert r.stderr.strip() == "m2msec: mef: %s: line 9: invalid value for 'enrolment-expiry-days'" % ini
    ini = write(pki, "key.ini", mef_section(pki, free_port()).replace("key = ", "# key = "))
    r = m2m(pki, "mef", "--config", ini, "--check")
    assert r.returncode == 2
    assert r.stderr.strip() == "m2msec: mef: %s: line 5: cert and key must be given together" % ini


def test_missing_cert_names_the_path_and_line(pki):
    missing = pki.path("nope.crt")
    ini = write(pki, "cert.ini", mef_section(pki, free_port()).replace(pki.path("server.crt"), missing))
    r = m2m(pki, "mef", "--config", ini, "--check")
    assert r.returncode == 1
    assert r.stderr.strip() == "m2msec: mef: %s: line 5: cert %s: no such file" % (ini, missing)


def test_mef_help_and_usage(pki):
    r = m2m(pki, "mef", "--help")
    assert r.returncode == 0 and "usage: m2msec mef --config FILE" in r.stdout
    r = m2m(pki, "mef")
    assert r.returncode == 2 and r.stderr.strip() == "m2msec: mef: --config FILE is required (try --help)"
    r = m2m(pki, "--help")
    assert r.returncode == 0 and "\n  mef " in r.stdout


def test_missing_files_of_the_new_keys_are_named(pki):
    """The CSE's mef-ca and the MEF's ca-dir: a missing path is named with its key and line."""
    missing = pki.path("no-such-ca.pem")
    text = cse_section(pki, free_port()) + "mef-url = https://127.0.0.1:8444\nmef-ca = %s\n" % missing
    ini = write(pki, "mefca.ini", text)
    r = m2m(pki, "cse", "--config", ini, "--check")
    assert r.returncode == 1
    assert r.stderr.strip() == "m2msec: cse: %s: line 11: mef-ca %s: no such file" % (ini, missing)
    r = m2m(pki, "cse", "--config", write(pki, "mefurl.ini", cse_section(pki, free_port()) +
                                           "mef-url = https://127.0.0.1:8444\n"), "--check")
    assert r.returncode == 2
    assert "line 10: mef-url needs mef-ca (the CA that authenticates the MEF)" in r.stderr
    missing = pki.path("no-ca-dir")
    ini = write(pki, "cadir.ini", mef_section(pki, free_port(), "ca-dir = %s\n" % missing))
    r = m2m(pki, "mef", "--config", ini, "--check")
    assert r.returncode == 1
    assert r.stderr.strip() == "m2msec: mef: %s: line 9: ca-dir %s: no such file" % (ini, missing)
