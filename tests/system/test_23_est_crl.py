# SPDX-License-Identifier: Apache-2.0
"""Certificate revocation honoured by the CSE (issue 7; TS-0003 8.1.2.2 certificate status, 8.3.6).

The real `m2msec cse` with `trust-anchors` = a `m2msec ca init` CA and `crl-file` = the CRL that
`m2msec ca crl` publishes for it. A device certificate of that CA completes the handshake; once
its serial is on a republished CRL the CSE refuses it at the handshake (after crl-refresh-seconds),
while another device certificate of the same CA is still accepted. A CRL that disappears fails
closed; a CSE configured with an unusable crl-file does not start. Independent client: Python
`requests` with the client certificate. The waits below poll for the refresh with a deadline;
nothing asserts a duration."""
import os
import subprocess
import time

import pytest
import requests

from cse_harness import SP, Cse


def serial_of(crt):
    out = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-serial"], capture_output=True,
                         text=True, check=True).stdout
    return out.strip().split("=", 1)[1]


def handshake_ok(cse, crt, key):
    """True when the TLS handshake with this client certificate completes (any HTTP answer)."""
    try:
        r = cse.cert(cse.cert_session(crt, key), "GET", "/cse-in", "Cx")
        return r.status > 0
    except (requests.exceptions.SSLError, requests.exceptions.ConnectionError):
        return False


def wait_until(pred, deadline_s=30.0):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.2)
    return pred()


def publish(cse, *serials):
    args = ["ca", "crl", "--dir", cse.path("ca"), "--out", cse.path("crl.pem")]
    for s in serials:
        args += ["--serial", s]
    r = cse.m2m(*args)
    assert r.stdout.strip() == str(len(serials))


@pytest.fixture()
def cse(m2msec_bin, tmp_path):
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    yield c
    c.stop()


def test_revoked_certificate_refused_after_refresh(cse):
    crt1, key1 = cse.issue("dev1", "m2m://%s/id-in/Cdev1" % SP)
    crt2, key2 = cse.issue("dev2", "m2m://%s/id-in/Cdev2" % SP)
    publish(cse)  # empty CRL: nothing revoked
    cse.start("crl-file = %s\ncrl-refresh-seconds = 1\n" % cse.path("crl.pem"))
    assert handshake_ok(cse, crt1, key1)
    assert handshake_ok(cse, crt2, key2)
    # `openssl crl -CAfile` accepts what we publish
    publish(cse, serial_of(crt1))
    r = subprocess.run(["openssl", "crl", "-in", cse.path("crl.pem"), "-CAfile", cse.path("ca/ca.crt"),
                        "-noout"], capture_output=True, text=True)
    assert r.returncode == 0 and "verify OK" in r.stderr + r.stdout
    assert wait_until(lambda: not handshake_ok(cse, crt1, key1)), "revoked certificate still accepted"
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        cse.cert(cse.cert_session(crt1, key1), "GET", "/cse-in", "Cdev1")
    assert handshake_ok(cse, crt2, key2)  # the CA's other certificates are unaffected


def test_missing_crl_fails_closed(cse):
    crt1, key1 = cse.issue("dev1", "m2m://%s/id-in/Cdev1" % SP)
    publish(cse)
    cse.start("crl-file = %s\ncrl-refresh-seconds = 1\n" % cse.path("crl.pem"))
    assert handshake_ok(cse, crt1, key1)
    os.unlink(cse.path("crl.pem"))
    assert wait_until(lambda: not handshake_ok(cse, crt1, key1)), "certificate accepted without a CRL"
    publish(cse)  # a good CRL again: accepted again
    assert wait_until(lambda: handshake_ok(cse, crt1, key1))


def test_unusable_crl_file_refuses_to_start(cse):
    with open(cse.path("crl.pem"), "w") as f:
        f.write("not a CRL\n")
    with pytest.raises(Exception):
        cse.start("crl-file = %s\n" % cse.path("crl.pem"))
    assert cse.proc.wait(timeout=20) != 0


def test_ca_crl_cli_errors(cse):
    ca = cse.path("ca")
    out = cse.path("c.pem")
    r = cse.m2m("ca", "crl", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: m2msec ca crl")
    # exit 2: bad usage or input; exit 1: runtime failure; nothing written either way
    assert cse.m2m("ca", "crl", "--dir", ca, check=False).returncode == 2
    assert cse.m2m("ca", "crl", "--dir", ca, "--out", out, "--revoke", "0A", check=False).returncode == 2
    assert cse.m2m("ca", "crl", "--dir", ca, "--out", out, "--serial", "zz", check=False).returncode == 2
    assert cse.m2m("ca", "crl", "--dir", ca, "--out", out, "--hours", "0", check=False).returncode == 2
    assert cse.m2m("ca", "crl", "--dir", ca, "--out", out, "--store", cse.path("nope.db"),
                   check=False).returncode == 1
    assert cse.m2m("ca", "crl", "--dir", cse.path("noca"), "--out", out, check=False).returncode == 1
    assert not os.path.exists(out)
