# SPDX-License-Identifier: Apache-2.0
"""Signals of the services (issue 13 Operations, docs/operations.md "Signals"), black-box against
the real binary with real clients:

- SIGHUP reloads the psk-file (TS-0003 8.2.2.1 pre-provisioned Kpsa) without dropping a
  connection: a keep-alive TLS-PSK connection (one `openssl s_client` process, so one TCP
  connection and one handshake) answers before and after the signal; a Kpsa added to the file is
  accepted by the next handshake, a removed one is refused for new handshakes; a file that no
  longer loads leaves the loaded keys in force and says so in the log.
- SIGTERM drains: the listeners close at once, a request in flight (a subscription CREATE whose
  verification request, TS-0004 7.4.8.2.1, the receiver holds) is still answered 2001, and the
  process exits 0.

No assertion depends on timing: each step waits for a condition (the timeouts only stop a hung
test)."""
import json
import os
import re
import shutil
import select
import signal
import socket
import subprocess
import threading
import time

import pytest

from cse_harness import CSE_HOST, SP, Cse, build_request, parse_http
from test_13_notifications import Receiver, admin, container, start_cse

RELOADED = "SIGHUP: credentials reloaded"


def write_psks(c):
    with open(c.path("psk.txt"), "w") as f:
        for ident, (key, bound) in c.psks.items():
            f.write("%s %s %s\n" % (ident, key, bound))
    os.chmod(c.path("psk.txt"), 0o600)


def wait_for(pred, what, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def hup_and_wait(c, marker=RELOADED):
    n = c.log_text().count(marker)
    c.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: c.log_text().count(marker) > n, "the log line %r" % marker)


class KeepAlive:
    """One TLS-PSK connection held open by `openssl s_client`; requests go one after the other."""

    def __init__(self, c, identity):
        key = c.psks[identity][0]
        self.p = subprocess.Popen(
            ["openssl", "s_client", "-quiet", "-tls1_2", "-psk", key, "-psk_identity", identity, "-cipher",
             "PSK-AES128-CBC-SHA256", "-connect", "127.0.0.1:%d" % c.port, "-servername", CSE_HOST],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buf = b""

    def request(self, method, path, origin, rqi):
        self.p.stdin.write(build_request(method, path, {"X-M2M-Origin": origin, "X-M2M-RI": rqi, "X-M2M-RVI": "3",
                                                        "Connection": "keep-alive"}))
        self.p.stdin.flush()
        end = time.monotonic() + 30
        while time.monotonic() < end:
            head, sep, body = self.buf.partition(b"\r\n\r\n")
            if sep:
                n = 0
                for ln in head.split(b"\r\n")[1:]:
                    k, _, v = ln.partition(b":")
                    if k.strip().lower() == b"content-length":
                        n = int(v)
                if len(body) >= n:
                    raw, self.buf = head + sep + body[:n], body[n:]
                    return parse_http(raw)
            r, _, _ = select.select([self.p.stdout], [], [], 1)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                assert chunk, "the connection was closed: %r" % self.p.stderr.read()
                self.buf += chunk
        raise AssertionError("no answer on the kept-alive connection")

    def close(self):
        self.p.terminate()  # -quiet implies -ign_eof: end of input does not end s_client
        self.p.wait(timeout=30)


@pytest.fixture
def cse(m2msec_bin, tmp_path):
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    c.add_psk("kpsa-keep@" + SP, "Ckeep")
    c.add_psk("kpsa-gone@" + SP, "Cgone")
    c.start()
    yield c
    assert c.stop() == 0


def test_sighup_keeps_connections_and_reloads_psk_file(cse):
    ka = KeepAlive(cse, "kpsa-keep@" + SP)
    status, headers, _ = ka.request("GET", "/cse-in", "Ckeep", "before")
    assert headers.get("x-m2m-rsc"), headers
    first_rsc = headers["x-m2m-rsc"]

    # add kpsa-new, remove kpsa-gone; the kept connection's own key stays in the file
    cse.add_psk("kpsa-new@" + SP, "Cnew")
    gone_key = cse.psks.pop("kpsa-gone@" + SP)[0]
    assert cse.psk("GET", "/cse-in", "Cnew", "kpsa-new@" + SP) is None  # not loaded yet
    write_psks(cse)
    hup_and_wait(cse)

    # the connection established before the signal still works, on the same TLS session
    status, headers, _ = ka.request("GET", "/cse-in", "Ckeep", "after")
    assert headers["x-m2m-rsc"] == first_rsc
    assert ka.p.poll() is None
    ka.close()
    # a key added to the file works for a new handshake, a removed one is refused
    r = cse.psk("GET", "/cse-in", "Cnew", "kpsa-new@" + SP)
    assert r is not None and r.rsc == int(first_rsc), r
    assert cse.psk("GET", "/cse-in", "Cgone", "kpsa-gone@" + SP, key=gone_key) is None
    assert cse.proc.poll() is None


def test_sighup_with_a_broken_psk_file_keeps_the_loaded_keys(cse):
    with open(cse.path("psk.txt"), "w") as f:
        f.write("kpsa-keep@%s 00 Ckeep\n" % SP)  # a 1-byte key: refused by the parser
    os.chmod(cse.path("psk.txt"), 0o600)
    hup_and_wait(cse, "SIGHUP: reload failed, the loaded credentials stay in force: psk file: line 1")
    r = cse.psk("GET", "/cse-in", "Cgone", "kpsa-gone@" + SP)
    assert r is not None  # still loaded
    assert cse.psks["kpsa-keep@" + SP][0] not in cse.log_text()


def test_sigterm_answers_the_request_in_flight_and_exits_0(m2msec_bin, tmp_path):
    c = start_cse(m2msec_bin, tmp_path, "notify-allow = 127.0.0.0/8\n")
    rx = Receiver(hold_vrq=True)
    try:
        parent = container(c, "drain")
        result = {}

        def create():
            body = json.dumps({"m2m:sub": {"rn": "s1", "nu": [rx.url()]}})
            result["r"] = admin(c, "POST", parent, body, ty=23)

        t = threading.Thread(target=create)
        t.start()
        # the CREATE waits for its verification request, which the receiver holds
        rx.wait(lambda r: len(r.verifications()) == 1)
        c.proc.send_signal(signal.SIGTERM)

        def refused():
            try:
                socket.create_connection(("127.0.0.1", c.port), timeout=1).close()
                return False
            except OSError:
                return True
        wait_for(refused, "the listener to close after SIGTERM")
        assert c.proc.poll() is None  # still draining: the CREATE is in flight
        rx.release()
        t.join(30)
        assert result["r"].rsc == 2001, result["r"]
        assert c.proc.wait(timeout=30) == 0
    finally:
        rx.close()
        c.stop()


# ---- the systemd units (packaging/systemd, docs/operations.md "Units") ------------------------

UNITS = os.path.join(os.path.dirname(__file__), "..", "..", "packaging", "systemd")
SERVICES = ("cse", "mef", "maf", "das")


def unit_text(name):
    with open(os.path.join(UNITS, "m2msec-%s.service" % name)) as f:
        return f.read()


def drain_seconds():
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "include", "m2msec", "http.h")) as f:
        return int(re.search(r"#define M2M_HTTP_DRAIN_SECONDS (\d+)", f.read()).group(1))


@pytest.mark.parametrize("name", SERVICES)
def test_unit_hardening_signals_and_credentials(name):
    u = unit_text(name)
    opts = {}
    for ln in u.splitlines():
        if "=" in ln and not ln.startswith("#"):
            k, _, v = ln.partition("=")
            opts.setdefault(k, []).append(v)
    assert opts["ExecStart"] == ["/usr/bin/m2msec %s --config /etc/m2msec/%s.ini" % (name, name)]
    assert opts.get("DynamicUser") == ["yes"] or opts.get("User") == ["m2msec"]
    for k, v in (("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("NoNewPrivileges", "yes"),
                 ("PrivateTmp", "yes"), ("StateDirectory", "m2msec/%s" % name), ("KillSignal", "SIGTERM"),
                 ("ExecReload", "/bin/kill -HUP $MAINPID"), ("CapabilityBoundingSet", "")):
        assert opts.get(k) == [v], k
    assert int(opts["TimeoutStopSec"][0]) > drain_seconds()
    cred = opts["LoadCredential"][0]
    assert re.fullmatch(r"[a-z]+\.key:/etc/m2msec/%s/[a-z]+\.key" % name, cred), cred


@pytest.mark.parametrize("name", SERVICES)
def test_systemd_analyze_verify(name, m2msec_bin, tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze not installed (Debian package systemd)")
    # the unit as installed, but pointing at the binary under test (verify checks ExecStart)
    path = tmp_path / ("m2msec-%s.service" % name)
    path.write_text(unit_text(name).replace("/usr/bin/m2msec", os.path.abspath(m2msec_bin)))
    r = subprocess.run([tool, "verify", "--man=no", str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_key_from_credentials_directory(m2msec_bin, tmp_path):
    """The CSE's key named "%d/server.key" is read from $CREDENTIALS_DIRECTORY, where systemd may
    leave it root-owned and readable through an ACL (mode 0440); without the variable the key is a
    configuration error that names the key and the line."""
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    creds = tmp_path / "credentials"
    creds.mkdir(mode=0o700)
    shutil.copy(c.path("server.key"), creds / "server.key")
    os.chmod(creds / "server.key", 0o440)
    ini = tmp_path / "cse.ini"
    ini.write_text("cse-id = /id-in\nsp-id = //%s\nstore = %s\nhttps-listen = 127.0.0.1:0\ncert = %s\n"
                   "key = %%d/server.key\ntrust-anchors = %s\n" % (SP, c.path("cse.db"), c.path("server.crt"),
                                                                   c.path("ca/ca.crt")))
    env = dict(os.environ, CREDENTIALS_DIRECTORY=str(creds))
    r = subprocess.run([m2msec_bin, "cse", "--config", str(ini), "--check"], capture_output=True, text=True,
                       timeout=60, env=env)
    assert r.returncode == 0 and r.stdout == "configuration ok\n", r.stderr
    env.pop("CREDENTIALS_DIRECTORY")
    r = subprocess.run([m2msec_bin, "cse", "--config", str(ini), "--check"], capture_output=True, text=True,
                       timeout=60, env=env)
    assert r.returncode == 2
    assert r.stderr == ("m2msec: cse: %s: line 6: 'key' names a credential (%%d/...) but $CREDENTIALS_DIRECTORY "
                        "is not set (systemd LoadCredential=)\n" % ini)
