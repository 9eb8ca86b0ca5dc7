# SPDX-License-Identifier: Apache-2.0
"""The CoAP listeners of the CSE (`coaps-listen`, `coap-listen`; TS-0008, docs/coap-dtls.md),
black-box with the real binary. The CoAP transport is not in this build (Debian's libcoap 4.3.1
answers 4.02 Bad Option to the oneM2M options before any handler runs, docs/coap-dtls.md), so a
CSE configured with a CoAP door must refuse to start, naming the key, its value and its line,
and must not come up half-way (no HTTPS listener). The strict validation of the keys (loopback
only for plain CoAP, a PSK source and the HTTPS resolver chain for DTLS) is checked first."""
import os
import socket
import subprocess

import pytest

from cse_harness import SP, Cse, free_port

NOT_AVAILABLE = "the CoAP binding is not available in this build (docs/coap-dtls.md)"


@pytest.fixture
def cse(m2msec_bin, tmp_path):
    c = Cse(m2msec_bin, tmp_path)
    c.add_psk("kpsa-dev1@" + SP, "Cdev1")
    with open(c.path("psk.txt"), "w") as f:
        for ident, (key, bound) in c.psks.items():
            f.write("%s %s %s\n" % (ident, key, bound))
    os.chmod(c.path("psk.txt"), 0o600)
    return c


def write_ini(c, extra):
    """Lines 1-6 are fixed; extra starts at line 7."""
    ini = ("cse-id = /id-in\nsp-id = //%s\nstore = %s\nhttps-listen = 127.0.0.1:%d\npsk-file = %s\n"
           "log-file = %s\n%s") % (SP, c.path("cse.db"), c.port, c.path("psk.txt"), c.log, extra)
    with open(c.path("cse.ini"), "w") as f:
        f.write(ini)
    return c.path("cse.ini")


def run_cse(c, *args):
    return subprocess.run([c.bin, "cse", "--config", c.path("cse.ini"), *args], capture_output=True,
                          text=True, timeout=60)


def https_port_closed(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("key", ["coaps-listen", "coap-listen"])
def test_ts0008_coap_listener_is_refused_not_ignored(cse, key):
    port = free_port()
    write_ini(cse, "threads = 1\n%s = 127.0.0.1:%d\n" % (key, port))
    for extra in ((), ("--check",)):
        r = run_cse(cse, *extra)
        assert r.returncode == 2, r
        assert r.stderr.strip() == "m2msec: cse: %s: line 8: %s 127.0.0.1:%d: %s" % (
            cse.path("cse.ini"), key, port, NOT_AVAILABLE), r.stderr
        assert https_port_closed(cse.port)
    assert not os.path.exists(cse.path("cse.db")), "the CSE started before refusing"


def test_ts0008_coap_listen_off_starts_normally(cse):
    write_ini(cse, "coaps-listen = off\ncoap-listen = off\n")
    r = run_cse(cse, "--check")
    assert r.returncode == 0, r.stderr
    assert "configuration ok" in r.stdout


BAD = [
    ("coap-listen = 0.0.0.0:5683\n", "line 7: coap-listen must be a loopback address"),
    ("coap-listen = 192.0.2.1:5683\n", "line 7: coap-listen must be a loopback address"),
    ("coap-listen = nonsense\n", "line 7: coap-listen must be host:port"),
    ("coaps-listen = 127.0.0.1\n", "line 7: coaps-listen must be host:port"),
]


@pytest.mark.parametrize("extra,want", BAD)
def test_ts0008_coap_keys_strict_validation(cse, extra, want):
    write_ini(cse, extra)
    r = run_cse(cse, "--check")
    assert r.returncode == 2, r
    assert want in r.stderr, r.stderr


def test_ts0008_coaps_needs_the_https_resolver_chain(cse):
    # coaps-listen shares the PSK resolver chain of the HTTPS listener: without it, refused.
    ini = ("cse-id = /id-in\nsp-id = //%s\nstore = %s\nhttps-listen = off\nhttp-listen = 127.0.0.1:%d\n"
           "psk-file = %s\ncoaps-listen = 127.0.0.1:%d\n") % (SP, cse.path("cse.db"), free_port(),
                                                            cse.path("psk.txt"), free_port())
    with open(cse.path("cse.ini"), "w") as f:
        f.write(ini)
    r = run_cse(cse, "--check")
    assert r.returncode == 2, r
    assert "line 7: coaps-listen needs https-listen" in r.stderr, r.stderr
