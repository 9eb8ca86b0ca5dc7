# SPDX-License-Identifier: Apache-2.0
"""Notifications and subscriptions of the secure CSE against real HTTP receivers started here
(TS-0004 7.4.8, 7.5.1.2; docs/resources.md, docs/config.md notify-allow / notify-deny):

- the destination policy: loopback, link-local and the other built-in ranges are refused by
  default (5204 SUBSCRIPTION_VERIFICATION_INITIATION_FAILED, TS-0004 7.4.8.2.1 Recv-6.4 a:
  the verification request cannot be sent), only an explicit notify-allow lifts them, notify-deny
  wins inside an allowed range; unimplemented schemes are 5204, malformed URIs 4000;
- verification is asynchronous: with one event-loop thread, a receiver that holds its answer to
  the verification request does not stop the CSE from serving other requests (and other
  subscriptions) meanwhile; the CREATE is answered when the verification completes;
- delivery has per-target queues: a black-hole receiver holding its first notification does not
  delay another target's notification;
- an UPDATE of nu verifies the new targets; an AE-ID target consents through its poa.

No assertion depends on timing: every check waits for a condition (the timeouts only stop a
hung test) and asserts the order in which things happened."""
import json
import os
import socket
import subprocess
import threading

import pytest

from cse_harness import Cse, wait_port

SUB_CNT = '{"m2m:cnt":{"rn":"%s"}}'


class Receiver:
    """A loopback HTTP receiver: records every request body; answers 200 / X-M2M-RSC 2000,
    unless told to hold verification requests (hold_vrq) or notifications (hold_nev) until
    release() is called."""

    def __init__(self, host="127.0.0.1", hold_vrq=False, hold_nev=False):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.hold_vrq, self.hold_nev = hold_vrq, hold_nev
        self.released = threading.Event()
        self.cv = threading.Condition()
        self.bodies = []
        self.answered = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path="/n"):
        return "http://%s:%d%s" % (self.host, self.port, path)

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, _, body = buf.partition(b"\r\n\r\n")
            n = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    n = int(v.strip())
            while len(body) < n:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                body += chunk
            doc = json.loads(body or b"{}")
            vrq = bool(doc.get("m2m:sgn", {}).get("vrq"))
            with self.cv:
                self.bodies.append(doc)
                self.cv.notify_all()
            if (vrq and self.hold_vrq) or (not vrq and self.hold_nev):
                self.released.wait(60)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-M2M-RSC: 2000\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
            except OSError:
                return
            with self.cv:
                self.answered += 1
                self.cv.notify_all()

    def wait(self, pred, timeout=30):
        with self.cv:
            assert self.cv.wait_for(lambda: pred(self), timeout), self.bodies

    def notifications(self):
        with self.cv:
            return [b["m2m:sgn"] for b in self.bodies if "nev" in b.get("m2m:sgn", {})]

    def verifications(self):
        with self.cv:
            return [b["m2m:sgn"] for b in self.bodies if b.get("m2m:sgn", {}).get("vrq")]

    def release(self):
        self.released.set()

    def close(self):
        self.release()
        self.sock.close()


class Cse1(Cse):
    """The harness CSE with one event-loop thread (so 'not blocked' means the very loop that
    waits for a verification), plain-HTTP admin, and extra configuration lines."""

    def start(self, extra=""):
        with open(self.path("psk.txt"), "w") as f:
            for ident, (key, bound) in self.psks.items():
                f.write("%s %s %s\n" % (ident, key, bound))
        os.chmod(self.path("psk.txt"), 0o600)
        ini = ("cse-id = /id-in\nname = cse-in\nsp-id = //sp.example.com\nstore = %s\n"
               "https-listen = 127.0.0.1:%d\nhttp-listen = 127.0.0.1:%d\npsk-file = %s\nthreads = 1\n"
               "dev-admin-over-plain-http = true\nlog-file = %s\nlog-level = debug\n%s") % (
            self.path("cse.db"), self.port, self.http_port, self.path("psk.txt"), self.log, extra)
        with open(self.path("cse.ini"), "w") as f:
            f.write(ini)
        self.proc = subprocess.Popen([self.bin, "cse", "--config", self.path("cse.ini")],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_port(self.port, self.proc)
        wait_port(self.http_port, self.proc)
        return self


def start_cse(m2msec_bin, tmp, extra=""):
    c = Cse1(m2msec_bin, tmp)
    c.add_psk("kpsa-x@sp.example.com", "Cx")
    # AE-IDs of choice are registered over an authenticated association (plain HTTP only
    # gets a CSE-assigned AE-ID since issue 6)
    c.add_psk("kpsa-rx@sp.example.com", "Crx")
    c.add_psk("kpsa-mute@sp.example.com", "Cmute")
    return c.start(extra)


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = start_cse(m2msec_bin, tmp_path_factory.mktemp("cse13"),
                  "notify-allow = 127.0.0.0/8\nnotify-deny = 127.0.0.2/32\n")
    yield c
    assert c.stop() == 0


@pytest.fixture(scope="module")
def strict(m2msec_bin, tmp_path_factory):
    """A CSE with the default destination policy."""
    c = start_cse(m2msec_bin, tmp_path_factory.mktemp("cse13d"))
    yield c
    assert c.stop() == 0


def admin(c, method, path, body=None, ty=None):
    return c.plain(method, path, "CAdmin", body, ty=ty)


def sub(c, parent, rn, nu, **attrs):
    a = {"rn": rn, "nu": nu}
    a.update(attrs)
    return admin(c, "POST", parent, json.dumps({"m2m:sub": a}), ty=23)


def container(c, rn, parent="/cse-in"):
    r = admin(c, "POST", parent, SUB_CNT % rn, ty=3)
    assert r.rsc == 2001, r
    return parent + "/" + rn


# ---- destination policy ------------------------------------------------------------------

def test_default_policy_refuses_loopback_nu_with_5204(strict):
    rx = Receiver()
    try:
        cnt = container(strict, "d")
        for nu in (rx.url(), "http://[::1]:%d/n" % rx.port, "http://[::ffff:127.0.0.1]:%d/" % rx.port,
                   "http://169.254.169.254/latest/meta-data", "http://0.0.0.0:%d/" % rx.port,
                   "http://localhost:%d/" % rx.port):
            r = sub(strict, cnt, "s", [nu])
            assert r.rsc == 5204, (nu, r)
            assert admin(strict, "GET", cnt + "/s").rsc == 4004  # nothing was created
        assert rx.bodies == []  # never reached: the decision is made before connecting
    finally:
        rx.close()


def test_schemes_and_malformed_nu(strict):
    cnt = container(strict, "m")
    assert sub(strict, cnt, "s", ["https://10.0.0.1/x"]).rsc == 5204  # not implemented: cannot send
    assert sub(strict, cnt, "s", ["coap://10.0.0.1/x"]).rsc == 5204
    assert sub(strict, cnt, "s", ["http://a b/x"]).rsc == 4000        # malformed URI
    assert sub(strict, cnt, "s", ["http://user@10.0.0.1/x"]).rsc == 4000
    assert sub(strict, cnt, "s", ["Cnobody"]).rsc == 4000              # no such AE
    assert admin(strict, "GET", cnt + "/s").rsc == 4004


def test_notify_allow_lifts_and_notify_deny_wins(cse):
    ok, denied = Receiver("127.0.0.1"), Receiver("127.0.0.2")
    try:
        cnt = container(cse, "pol")
        assert sub(cse, cnt, "denied", [denied.url()]).rsc == 5204
        assert sub(cse, cnt, "ok", [ok.url()]).rsc == 2001
        ok.wait(lambda r: len(r.verifications()) == 1)
        assert denied.bodies == []
    finally:
        ok.close()
        denied.close()


def test_malformed_policy_is_a_config_error(m2msec_bin, tmp_path):
    c = Cse1(m2msec_bin, tmp_path)
    c.add_psk("kpsa-x@sp.example.com", "Cx")
    with open(c.path("psk.txt"), "w") as f:
        f.write("kpsa-x@sp.example.com %s Cx\n" % c.psks["kpsa-x@sp.example.com"][0])
    os.chmod(c.path("psk.txt"), 0o600)
    with open(c.path("cse.ini"), "w") as f:
        f.write("store = %s\npsk-file = %s\nnotify-allow = 127.0.0.0/33\n" % (c.path("db"), c.path("psk.txt")))
    r = subprocess.run([m2msec_bin, "cse", "--config", c.path("cse.ini"), "--check"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0
    assert "notify-allow" in r.stderr


# ---- asynchrony --------------------------------------------------------------------------

def test_pending_verification_does_not_block_the_loop(cse):
    slow, fast = Receiver(hold_vrq=True), Receiver()
    result = {}
    try:
        cnt = container(cse, "async")
        t = threading.Thread(target=lambda: result.update(r=sub(cse, cnt, "slow", [slow.url()])))
        t.start()
        slow.wait(lambda r: len(r.verifications()) == 1)  # the CREATE waits for this answer
        # the one event-loop thread serves other requests meanwhile...
        assert admin(cse, "GET", "/cse-in").rsc == 2000
        assert admin(cse, "GET", cnt).rsc == 2000
        # ...and another subscription completes its own verification before the first one
        assert sub(cse, cnt, "fast", [fast.url()]).rsc == 2001
        assert t.is_alive() and "r" not in result and not slow.released.is_set()
        assert admin(cse, "GET", cnt + "/slow").rsc == 4004  # not created before verification
        slow.release()
        t.join(30)
        assert result["r"].rsc == 2001, result["r"]
        assert admin(cse, "GET", cnt + "/slow").rsc == 2000
    finally:
        slow.close()
        fast.close()


def test_black_hole_target_does_not_delay_others(cse):
    hole, live = Receiver(hold_nev=True), Receiver()
    try:
        a, b = container(cse, "qa"), container(cse, "qb")
        assert sub(cse, a, "s", [hole.url()], enc={"net": [3]}).rsc == 2001
        assert sub(cse, b, "s", [live.url()], enc={"net": [3]}).rsc == 2001
        for i in range(10):  # every CREATE is answered at once: delivery never blocks a request
            assert admin(cse, "POST", a, '{"m2m:cin":{"con":"a%d"}}' % i, ty=4).rsc == 2001
        hole.wait(lambda r: len(r.notifications()) == 1)  # the first is held by the black hole
        assert admin(cse, "POST", b, '{"m2m:cin":{"con":"b"}}', ty=4).rsc == 2001
        live.wait(lambda r: len(r.notifications()) == 1)
        assert live.notifications()[0]["nev"]["rep"]["m2m:cin"]["con"] == "b"
        # the unrelated notification arrived while the black hole still holds its first one
        assert len(hole.notifications()) == 1 and hole.answered == 1  # (the verification)
        hole.release()
        hole.wait(lambda r: len(r.notifications()) == 10)
        assert [n["nev"]["rep"]["m2m:cin"]["con"] for n in hole.notifications()] == \
            ["a%d" % i for i in range(10)]  # one queue per target keeps the order
    finally:
        hole.close()
        live.close()


# ---- verification of new targets ---------------------------------------------------------

def test_nu_update_verifies_new_targets(cse):
    one, two = Receiver(), Receiver()
    try:
        cnt = container(cse, "upd")
        assert sub(cse, cnt, "s", [one.url()]).rsc == 2001
        one.wait(lambda r: len(r.verifications()) == 1)
        r = admin(cse, "PUT", cnt + "/s", json.dumps({"m2m:sub": {"nu": [one.url(), two.url()]}}))
        assert r.rsc == 2004, r
        two.wait(lambda r: len(r.verifications()) == 1)
        assert len(one.verifications()) == 1  # unchanged target: not asked again
        # a new target the policy refuses: 5204, nu unchanged
        r = admin(cse, "PUT", cnt + "/s", json.dumps({"m2m:sub": {"nu": ["http://127.0.0.2:9/x"]}}))
        assert r.rsc == 5204, r
        nu = admin(cse, "GET", cnt + "/s").json()["m2m:sub"]["nu"]
        assert nu == [one.url(), two.url()]
    finally:
        one.close()
        two.close()


def test_ae_id_target_consents_through_its_poa(cse):
    poa = Receiver()
    try:
        body = {"m2m:ae": {"rn": "rx", "api": "Nrx", "rr": True, "srv": ["3"], "poa": [poa.url("/poa")]}}
        assert cse.psk("POST", "/cse-in", "Crx", "kpsa-rx@sp.example.com", json.dumps(body), ty=2).rsc == 2001
        body = {"m2m:ae": {"rn": "mute", "api": "Nmute", "rr": False, "srv": ["3"], "poa": [poa.url("/m")]}}
        assert cse.psk("POST", "/cse-in", "Cmute", "kpsa-mute@sp.example.com", json.dumps(body), ty=2).rsc == 2001
        cnt = container(cse, "aeid")
        # not request-reachable: no verification request can be sent (Recv-6.4 a)
        assert sub(cse, cnt, "m", ["Cmute"]).rsc == 5204
        assert poa.bodies == []
        assert sub(cse, cnt, "s", ["Crx"], enc={"net": [3]}).rsc == 2001
        v = poa.verifications()
        assert len(v) == 1 and v[0]["cr"] == "CAdmin"
        assert admin(cse, "POST", cnt, '{"m2m:cin":{"con":"x"}}', ty=4).rsc == 2001
        poa.wait(lambda r: len(r.notifications()) == 1)
    finally:
        poa.close()


def test_client_gone_while_verification_pending(cse):
    slow = Receiver(hold_vrq=True)
    try:
        cnt = container(cse, "gone")
        body = json.dumps({"m2m:sub": {"rn": "s", "nu": [slow.url()]}})
        raw = ("POST %s HTTP/1.1\r\nHost: x\r\nX-M2M-Origin: CAdmin\r\nX-M2M-RI: r1\r\nX-M2M-RVI: 3\r\n"
               "Content-Type: application/json;ty=23\r\nContent-Length: %d\r\n\r\n%s") % (cnt, len(body), body)
        s = socket.create_connection(("127.0.0.1", cse.http_port), timeout=10)
        s.sendall(raw.encode())
        slow.wait(lambda r: len(r.verifications()) == 1)
        s.close()  # the client goes away while its CREATE waits
        slow.release()
        slow.wait(lambda r: r.answered == 1)
        # the CSE answers nobody, crashes nowhere, and goes on serving
        assert admin(cse, "GET", cnt).rsc == 2000
        assert cse.proc.poll() is None
    finally:
        slow.close()


# ---- notification semantics (TS-0004 7.4.8, 7.5.1.2.2, 7.5.1.2.4) -------------------------

def test_ts0004_7_5_1_2_4_deletion_notification_to_su(cse):
    rx = Receiver()
    try:
        cnt = container(cse, "del")
        r = sub(cse, cnt, "s", [rx.url("/n")], su=rx.url("/su"))
        assert r.rsc == 2001, r
        ri = r.json()["m2m:sub"]["ri"]
        assert admin(cse, "DELETE", cnt).rsc == 2002  # the parent: the subscription goes with it
        rx.wait(lambda r: any(b.get("m2m:sgn", {}).get("sud") for b in r.bodies))
        sud = [b["m2m:sgn"] for b in rx.bodies if b.get("m2m:sgn", {}).get("sud")]
        assert sud == [{"sud": True, "sur": ri}]
    finally:
        rx.close()


def test_ts0004_7_4_8_2_1_enc_validation_is_4000(cse):
    cnt = container(cse, "encv")
    u = "http://127.0.0.1:9/x"
    assert sub(cse, cnt, "s", [u], enc={"chty": [4]}).rsc == 4000                  # chty without net 3/4
    assert sub(cse, cnt, "s", [u], enc={"net": [3], "chty": [2]}).rsc == 4000      # an AE is no child here
    assert sub(cse, cnt, "s", [u], enc={"net": [6]}).rsc == 4000                   # AE-only event
    assert sub(cse, cnt, "s", [u], enc={"net": [1], "om": {"ops": 2}}).rsc == 4000 # Recv-6.4
    assert sub(cse, cnt, "s", [u], enc={"net": [3]}, nct=2).rsc == 4000           # Table 9.6.8-4
    assert sub(cse, cnt, "s", [u], exc=0).rsc == 4000
    assert sub(cse, cnt, "s", [u], bn={"num": 0}).rsc == 4000


def test_operation_monitor_and_expiration_counter(cse):
    rx = Receiver()
    try:
        cnt = container(cse, "om")
        assert sub(cse, cnt, "m", [rx.url()], enc={"om": {"ops": 2}}).rsc == 2001
        assert sub(cse, cnt, "e", [rx.url()], enc={"net": [3]}, exc=1, su=rx.url()).rsc == 2001
        assert admin(cse, "GET", cnt).rsc == 2000
        rx.wait(lambda r: any("om" in b.get("m2m:sgn", {}).get("nev", {}) for b in r.bodies))
        assert admin(cse, "POST", cnt, '{"m2m:cin":{"con":"1"}}', ty=4).rsc == 2001
        rx.wait(lambda r: any(b.get("m2m:sgn", {}).get("sud") for b in r.bodies))
        assert admin(cse, "GET", cnt + "/e").rsc == 4004  # exc reached: deleted
        assert admin(cse, "GET", cnt + "/m").rsc == 2000
    finally:
        rx.close()
