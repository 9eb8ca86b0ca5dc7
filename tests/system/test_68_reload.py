# SPDX-License-Identifier: Apache-2.0
"""SIGHUP reloads the server certificate chain, its private key and the trust anchors (issue 13
Operations, docs/operations.md "Signals"; TS-0003 clauses 8.2.2.2 and 10.1.1), black-box against
the real binaries with `openssl s_client`:

- a keep-alive TLS connection made before the signal (one s_client process: one TCP connection,
  one handshake) keeps answering after it, with the certificate it was made with;
- a new handshake presents the new certificate (its serial number, read from what s_client
  received, is the new one);
- a client certificate of a CA added to trust-anchors is accepted after the signal, one of a CA
  removed from it is refused for new handshakes;
- a key that does not match the new certificate keeps the running context: new handshakes still
  work with the old certificate and the log names the reason (and no key material);
- the MEF too, on its https-listen and on its BSF listener (bsf-listen).

No assertion depends on timing: each step waits for a log line (timeouts only stop a hung test)."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from cse_harness import CSE_HOST, SP, Cse
from svc_harness import make_pki
from test_52_gba_bsf import Bsf
from test_62_signals import KeepAlive, hup_and_wait

RELOADED = "SIGHUP: credentials reloaded"
FAILED = "SIGHUP: reload failed, the loaded credentials stay in force: "


def served(port, crt=None, key=None, raw=b"", sni=CSE_HOST, dtls=False):
    """One (D)TLS 1.2 handshake (client certificate crt/key if given) and raw sent; returns (serial
    of the server certificate s_client received or None, whether an HTTP answer came back)."""
    cmd = ["openssl", "s_client", "-dtls1_2" if dtls else "-tls1_2", "-showcerts", "-connect",
           "127.0.0.1:%d" % port]
    cmd += ["-ign_eof"] if raw else []  # with nothing to send, end at the end of the handshake
    cmd += [] if dtls else ["-servername", sni]
    if crt:
        cmd += ["-cert", crt, "-key", key]
    r = subprocess.run(cmd, input=raw, capture_output=True, timeout=30)
    out = r.stdout
    i, j = out.find(b"-----BEGIN CERTIFICATE-----"), out.find(b"-----END CERTIFICATE-----")
    serial = None
    if i >= 0 and j > i:
        x = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=out[i:j + 26], capture_output=True,
                           timeout=30)
        serial = x.stdout.decode().strip().split("=", 1)[1].upper()
    return serial, b"HTTP/1.1 " in out


def serial_of(crt):
    x = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", crt], capture_output=True, text=True,
                       timeout=30, check=True)
    return x.stdout.strip().split("=", 1)[1].upper()


def get(origin):
    return ("GET /cse-in HTTP/1.1\r\nHost: %s\r\nX-M2M-Origin: %s\r\nX-M2M-RI: r1\r\nX-M2M-RVI: 3\r\n"
            "Connection: close\r\n\r\n" % (CSE_HOST, origin)).encode()


def replace_pair(c, src, dst):
    """Put certificate and key src.{crt,key} in place of dst.{crt,key} (rename: atomic, 0600 kept)."""
    for ext in (".crt", ".key"):
        shutil.copy2(c.path(src + ext), c.path(dst + ext + ".new"))
        os.replace(c.path(dst + ext + ".new"), c.path(dst + ext))


class CertKeepAlive(KeepAlive):
    """KeepAlive over a client certificate instead of a PSK."""

    def __init__(self, c, crt, key):
        self.p = subprocess.Popen(
            ["openssl", "s_client", "-quiet", "-tls1_2", "-cert", crt, "-key", key, "-connect",
             "127.0.0.1:%d" % c.port, "-servername", CSE_HOST],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buf = b""


@pytest.fixture
def cse(m2msec_bin, tmp_path):
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    c.m2m("ca", "init", "--dir", c.path("ca2"), "--name", "second CA", "--permit", SP)
    shutil.copy(c.path("ca/ca.crt"), c.path("anchors.pem"))
    c.trust_anchors = c.path("anchors.pem")
    c.add_psk("kpsa-keep@" + SP, "Ckeep")
    c.start()
    yield c
    assert c.stop() == 0


def test_sighup_swaps_certificate_and_anchors_for_new_handshakes_only(cse):
    old_crt, old_key = cse.issue("cold", "m2m://%s/id-in/Cold" % SP)  # from the first CA
    cse.m2m("ca", "issue", "--dir", cse.path("ca2"), "--san", "m2m://%s/id-in/Cnew" % SP, "--out", cse.path("cnew"))
    new_crt, new_key = cse.path("cnew.crt"), cse.path("cnew.key")  # from the second CA
    serial1 = serial_of(cse.path("server.crt"))
    assert served(cse.port, old_crt, old_key, get("Cold")) == (serial1, True)
    assert served(cse.port, new_crt, new_key, get("Cnew"))[1] is False  # CA 2 is no anchor yet

    # connections made before the signal: TLS-PSK and a certificate of the CA about to be removed
    ka = KeepAlive(cse, "kpsa-keep@" + SP)
    _, h_psk, _ = ka.request("GET", "/cse-in", "Ckeep", "before")
    kc = CertKeepAlive(cse, old_crt, old_key)
    _, h_cert, _ = kc.request("GET", "/cse-in", "Cold", "before")

    # a new server certificate and key; trust-anchors: the second CA instead of the first
    cse.issue("server2", CSE_HOST)
    replace_pair(cse, "server2", "server")
    serial2 = serial_of(cse.path("server.crt"))
    assert serial2 != serial1
    shutil.copy(cse.path("ca2/ca.crt"), cse.path("anchors.pem"))
    hup_and_wait(cse, RELOADED)

    # the established connections keep working, on the same TLS session
    _, h, _ = ka.request("GET", "/cse-in", "Ckeep", "after")
    assert h["x-m2m-rsc"] == h_psk["x-m2m-rsc"]
    _, h, _ = kc.request("GET", "/cse-in", "Cold", "after")
    assert h["x-m2m-rsc"] == h_cert["x-m2m-rsc"]
    assert ka.p.poll() is None and kc.p.poll() is None
    ka.close()
    kc.close()
    # a new handshake presents the new certificate; the added CA's client is accepted...
    assert served(cse.port, new_crt, new_key, get("Cnew")) == (serial2, True)
    # ...and the removed CA's client is refused (no HTTP answer: the handshake failed)
    assert served(cse.port, old_crt, old_key, get("Cold"))[1] is False
    assert cse.proc.poll() is None


def test_sighup_with_a_mismatched_key_keeps_the_running_context(cse):
    crt, key = cse.issue("cold", "m2m://%s/id-in/Cold" % SP)
    serial1 = serial_of(cse.path("server.crt"))
    cse.issue("server2", CSE_HOST)
    key_text = open(cse.path("server2.key")).read()
    # the new certificate with a key that is not its own (server.key stays the old one)
    shutil.copy2(cse.path("server2.crt"), cse.path("server.crt.new"))
    os.replace(cse.path("server.crt.new"), cse.path("server.crt"))
    hup_and_wait(cse, FAILED + "key file: key does not match the certificate")
    assert served(cse.port, crt, key, get("Cold")) == (serial1, True)  # the old context serves on
    body = "".join(ln for ln in key_text.splitlines() if "-----" not in ln)
    assert body[:40] not in cse.log_text() and open(cse.path("server.key")).read()[40:80] not in cse.log_text()
    # an unreadable key file (0644) the same way, naming the file
    replace_pair(cse, "server2", "server")
    os.chmod(cse.path("server.key"), 0o644)
    hup_and_wait(cse, FAILED + "key file: ")
    assert served(cse.port, crt, key, get("Cold")) == (serial1, True)
    # fixed: the next SIGHUP takes it
    os.chmod(cse.path("server.key"), 0o600)
    hup_and_wait(cse, RELOADED)
    assert served(cse.port, crt, key, get("Cold")) == (serial_of(cse.path("server2.crt")), True)


def test_sighup_renews_the_coaps_and_wss_listeners(m2msec_bin, tmp_path):
    """CoAP over DTLS (TS-0003 clause 10.2: DTLS 1.2) and WebSocket over TLS (TS-0020) share the
    TLS context of https-listen: the DTLS twin is rebuilt, the WSS listener makes its connections
    on the current context."""
    from cse_harness import free_port
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    coaps, wss = free_port(), free_port()
    c.start("coaps-listen = 127.0.0.1:%d\nwss-listen = 127.0.0.1:%d\n" % (coaps, wss))
    try:
        crt, key = c.issue("cold", "m2m://%s/id-in/Cold" % SP)
        serial1 = serial_of(c.path("server.crt"))
        assert served(coaps, crt, key, dtls=True)[0] == serial1
        assert served(wss, crt, key)[0] == serial1
        c.issue("server2", CSE_HOST)
        replace_pair(c, "server2", "server")
        hup_and_wait(c, RELOADED)
        serial2 = serial_of(c.path("server2.crt"))
        assert served(coaps, crt, key, dtls=True)[0] == serial2
        assert served(wss, crt, key)[0] == serial2
        assert served(c.port, crt, key, get("Cold")) == (serial2, True)
    finally:
        assert c.stop() == 0


@pytest.fixture
def mef(m2msec_bin, tmp_path):
    c = make_pki(m2msec_bin, tmp_path, "mef.sp.example.com", [("client", "id-in.sp.example.com"),
                                                              ("server2", "mef.sp.example.com")])
    b = Bsf(c)
    open(b.hss, "w").close()
    os.chmod(b.hss, 0o600)
    b.start()
    yield b
    b.stop()


def test_sighup_reloads_the_mef_and_its_bsf_listener(mef):
    c = mef.c

    def hup(marker, count):
        end = time.monotonic() + 30
        mef.proc.send_signal(signal.SIGHUP)
        while time.monotonic() < end:
            if sum(1 for ln in mef.log_lines() if ln.get("msg", "").startswith(marker)) >= count:
                return
            time.sleep(0.05)
        raise AssertionError("no log line %r" % marker)

    serial1 = serial_of(c.path("server.crt"))
    client = (c.path("client.crt"), c.path("client.key"))
    assert served(mef.port, *client, sni="mef.sp.example.com")[0] == serial1
    assert served(mef.bsf_port, sni="mef.sp.example.com")[0] == serial1
    replace_pair(c, "server2", "server")
    hup(RELOADED, 2)  # https-listen (and its coaps twin) and bsf-listen
    serial2 = serial_of(c.path("server2.crt"))
    assert served(mef.port, *client, sni="mef.sp.example.com")[0] == serial2
    assert served(mef.bsf_port, sni="mef.sp.example.com")[0] == serial2
    # a broken key on both: both keep the new-old context, the log says why, twice
    # a PEM frame whose body is no key: the frame of a key generated now, its body replaced
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    with open(c.path("server.key"), "w") as f:
        f.write("%s\nnot a key\n%s\n" % (pem[0], pem[-1]))
    hup(FAILED + "key file: no unencrypted PEM private key", 2)
    assert served(mef.port, *client, sni="mef.sp.example.com")[0] == serial2
    assert served(mef.bsf_port, sni="mef.sp.example.com")[0] == serial2
    assert mef.proc.poll() is None


# ---- SIGTERM's drain bound: drain-seconds (docs/operations.md "Signals", docs/config.md) -------

def test_sigterm_drain_ends_at_drain_seconds_and_exits_0(m2msec_bin, tmp_path):
    """A request in flight that cannot be answered within drain-seconds (its subscription's
    verification request, TS-0004 7.4.8.2.1, is held by the receiver) has its connection closed
    unanswered when the bound is reached, and the process exits 0 — while the receiver still
    holds the request, so it is the bound that ended the drain, not an answer."""
    import json
    import socket
    import threading
    from cse_harness import build_request
    from test_13_notifications import Receiver, container, start_cse

    c = start_cse(m2msec_bin, tmp_path, "notify-allow = 127.0.0.0/8\ndrain-seconds = 1\n")
    rx = Receiver(hold_vrq=True)
    try:
        parent = container(c, "drain")
        got = {}

        def create():
            body = json.dumps({"m2m:sub": {"rn": "s1", "nu": [rx.url()]}}).encode()
            h = {"X-M2M-Origin": "CAdmin", "X-M2M-RI": "d1", "X-M2M-RVI": "3",
                 "Content-Type": "application/json;ty=23"}
            with socket.create_connection(("127.0.0.1", c.http_port), timeout=60) as s:
                s.sendall(build_request("POST", parent, h, body))
                buf = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
            got["raw"] = buf

        t = threading.Thread(target=create)
        t.start()
        rx.wait(lambda r: len(r.verifications()) == 1)
        c.proc.send_signal(signal.SIGTERM)
        assert c.proc.wait(timeout=60) == 0  # the receiver has not answered: the bound ended it
        t.join(30)
        assert got["raw"] == b""  # closed unanswered, as documented
    finally:
        rx.release()
        rx.close()
        c.stop()


@pytest.mark.parametrize("value,ok", [("1", True), ("600", True), ("0", False), ("601", False), ("ten", False)])
def test_drain_seconds_bounds(m2msec_bin, tmp_path, value, ok):
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    with open(c.path("x.ini"), "w") as f:
        f.write("cse-id = /id-in\nname = cse-in\nsp-id = //%s\nstore = %s\nhttps-listen = 127.0.0.1:0\n"
                "cert = %s\nkey = %s\ndrain-seconds = %s\n" % (SP, c.path("x.db"), c.path("server.crt"),
                                                                c.path("server.key"), value))
    r = subprocess.run([m2msec_bin, "cse", "--config", c.path("x.ini"), "--check"], capture_output=True,
                       text=True, timeout=60)
    if ok:
        assert r.returncode == 0, r.stderr
    else:
        assert r.returncode == 2, r
        assert "line 8: invalid value for 'drain-seconds'" in r.stderr, r.stderr


@pytest.mark.parametrize("svc", ["mef", "maf", "das"])
def test_drain_seconds_is_a_key_of_every_service(m2msec_bin, tmp_path, svc):
    c = Cse(m2msec_bin, tmp_path)
    with open(c.path("x.ini"), "w") as f:
        f.write("[%s]\ndrain-seconds = 601\n" % svc)
    r = subprocess.run([m2msec_bin, svc, "--config", c.path("x.ini"), "--check"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "line 2: invalid value for 'drain-seconds'" in r.stderr, r.stderr
