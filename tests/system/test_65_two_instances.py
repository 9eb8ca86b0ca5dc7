# SPDX-License-Identifier: Apache-2.0
"""Two CSE processes on one PostgreSQL database behind a real HAProxy in TCP mode on one address
(docs/scale-out.md): the balancer forwards bytes only (TLS passthrough), so the TLS association
still ends at a CSE — a TLS-PSK handshake through it succeeds with a key only the CSEs know.

- Concurrent CREATEs from several clients through the one address (plain HTTP keep-alive and
  TLS-PSK handshakes), spread over both instances, are all acknowledged and nothing is lost: currentNrOfInstances / currentByteSize exact
  (TS-0004 clause 7.4.6.2.1, TS-0001 clause 9.6.6).
- An <accessControlPolicy> changed through instance A is enforced by instance B on its next
  request (the ACP cache entry is valid only for the ACP version read from the shared store with
  every request: bound 0; TS-0003 clause 7.1.1).
- A Kpsa of the shared credential store (cred-store = postgresql://...) revoked is refused by
  both instances at their next handshake (no cache of store lookups; TS-0003 clause 10.3).
- One instance killed (SIGKILL) mid-load: every CREATE acknowledged with 2001 is in the store
  afterwards and counted, and HAProxy sends the rest to the survivor.
"""
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

import pg_harness
from cse_harness import SP, build_request, free_port, wait_port
from test_60_pg_store import AE, AE_ID, create_many, new_cse, read_reply, setup_tree

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

pytestmark = [
    pytest.mark.skipif(not pg_harness.available(), reason="postgresql-15 not installed (scripts/deps.sh)"),
    pytest.mark.skipif(not os.access(HAPROXY, os.X_OK), reason="haproxy not installed (scripts/deps.sh)"),
]

KPSA_ID = "kpsa-shared@" + SP


class Balancer:
    """HAProxy in TCP mode in front of the https and http listeners of the CSEs: round robin per
    connection, a failed connect retried on the other server (redispatch), health checks every
    200 ms so a dead instance leaves the rotation."""

    def __init__(self, tmp, cses):
        self.tls_port, self.http_port = free_port(), free_port()
        self.cfg = str(tmp / "haproxy.cfg")

        def servers(attr):
            return "".join("    server s%d 127.0.0.1:%d check inter 200ms fall 1 rise 2\n" % (i, getattr(c, attr))
                           for i, c in enumerate(cses))
        with open(self.cfg, "w") as f:
            f.write("global\n    maxconn 400\n"
                    "defaults\n    mode tcp\n    timeout connect 2s\n    timeout client 60s\n"
                    "    timeout server 60s\n    retries 3\n    option redispatch\n"
                    "frontend tls_in\n    bind 127.0.0.1:%d\n    default_backend tls_cses\n"
                    "backend tls_cses\n    balance roundrobin\n%s"
                    "frontend http_in\n    bind 127.0.0.1:%d\n    default_backend http_cses\n"
                    "backend http_cses\n    balance roundrobin\n%s"
                    % (self.tls_port, servers("port"), self.http_port, servers("http_port")))
        check = subprocess.run([HAPROXY, "-c", "-f", self.cfg], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", self.cfg], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        wait_port(self.tls_port, self.proc)
        wait_port(self.http_port, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def pg():
    with pg_harness.PgServer() as server:
        yield server


@pytest.fixture
def pair(m2msec_bin, tmp_path, pg):
    """Two CSEs sharing one database for resources and credentials, behind one balancer."""
    uri = pg.create_db("two")
    a = new_cse(m2msec_bin, tmp_path, uri, "a")
    # the shared credential store: one Kpsa both instances resolve
    a.shared_key = a.m2m("cred", "add", "--store", uri, "--kind", "kpsa", "--id", KPSA_ID, "--owner", AE,
                         "--generate").stdout.strip()
    extra = "cred-store = %s\n" % uri
    a.start(extra)
    setup_tree(a)
    b = new_cse(m2msec_bin, tmp_path, uri, "b", psks=a.psks)
    b.start(extra)
    lb = Balancer(tmp_path, [a, b])
    yield a, b, lb, uri
    lb.stop()
    for c in (a, b):
        c.stop()
        assert pg.password not in c.log_text()


def psk_via(port, identity, key, raw):
    """One request over TLS-PSK to 127.0.0.1:port (openssl s_client); the reply bytes."""
    cmd = ["openssl", "s_client", "-quiet", "-tls1_2", "-psk", key, "-psk_identity", identity,
           "-cipher", "PSK-AES128-CBC-SHA256", "-connect", "127.0.0.1:%d" % port]
    return subprocess.run(cmd, input=raw, capture_output=True, timeout=30).stdout


def rsc_of(out):
    for line in out.decode("latin-1").split("\r\n"):
        if line.lower().startswith("x-m2m-rsc:"):
            return int(line.split(":", 1)[1])
    return None


def retrieve(port, identity, key, path="/cse-in/p1/load"):
    h = {"X-M2M-Origin": AE, "X-M2M-RI": "rq-get", "X-M2M-RVI": "3"}
    return rsc_of(psk_via(port, identity, key, build_request("GET", path, h)))


def cnt_of(c):
    r = c.psk("GET", "/cse-in/p1/load", AE, AE_ID)
    assert r.rsc == 2000, r
    return r.json()["m2m:cnt"]


def served(c, rn):
    return ("r-" + rn) in c.log_text()


CLIENTS = 6
PER_CLIENT = 12
TLS_CLIENTS = 4
TLS_PER_CLIENT = 3


def test_concurrent_creates_through_one_address(pair, pg):
    a, b, lb, _ = pair
    results = []
    threads = [threading.Thread(target=create_many, args=(lb.http_port, "c%d" % k, PER_CLIENT, results))
               for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # and over TLS-PSK through the balancer, concurrently: each handshake ends at a CSE
    key = a.psks[AE_ID][0]

    def tls_creates(k):
        for i in range(TLS_PER_CLIENT):
            rn = "t%d-%03d" % (k, i)
            h = {"X-M2M-Origin": AE, "X-M2M-RI": "r-" + rn, "X-M2M-RVI": "3", "Content-Type": "application/json;ty=4"}
            body = '{"m2m:cin":{"rn":"%s","cnf":"text/plain:0","con":"%s"}}' % (rn, rn)
            out = psk_via(lb.tls_port, AE_ID, key, build_request("POST", "/cse-in/p1/load", h, body))
            results.append((rn, str(rsc_of(out))))
    threads = [threading.Thread(target=tls_creates, args=(k,)) for k in range(TLS_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == CLIENTS * PER_CLIENT + TLS_CLIENTS * TLS_PER_CLIENT
    assert all(rsc == "2001" for _, rsc in results), [r for r in results if r[1] != "2001"]
    # one connection per TLS request, round robin: both instances took some
    tls_rns = [rn for rn, _ in results if rn.startswith("t")]
    assert any(served(a, rn) for rn in tls_rns) and any(served(b, rn) for rn in tls_rns)
    # both instances took connections (round robin per connection through the one address)
    firsts = ["c%d-000" % k for k in range(CLIENTS)]
    assert any(served(a, rn) for rn in firsts) and any(served(b, rn) for rn in firsts)
    n = len(results)
    size = sum(len(rn) for rn, _ in results)  # each con is its rn
    for c in (a, b):
        cnt = cnt_of(c)
        assert (cnt["cni"], cnt["cbs"]) == (n, size), cnt
    assert pg.psql("SELECT count(*) FROM res WHERE ty = 4", db="two") == str(n)
    # the TLS association ends at a CSE: a TLS-PSK request through the balancer is answered
    assert retrieve(lb.tls_port, AE_ID, a.psks[AE_ID][0]) == 2000


def test_acp_change_on_a_enforced_by_b(pair):
    a, b, _, _ = pair
    key = a.psks[AE_ID][0]
    assert retrieve(b.port, AE_ID, key) == 2000
    # through A: the ACP keeps CREATE only (acop 1) — RETRIEVE no longer granted
    body = '{"m2m:acp":{"pv":{"acr":[{"acor":["%s"],"acop":1}]}}}' % AE
    h = {"X-M2M-Origin": AE, "X-M2M-RI": "rq-upd", "X-M2M-RVI": "3", "Content-Type": "application/json"}
    assert rsc_of(psk_via(a.port, AE_ID, key, build_request("PUT", "/cse-in/p1/load-acp", h, body))) == 2004
    # B's very next request sees the new version (no bound to wait out)
    assert retrieve(b.port, AE_ID, key) == 4103
    assert retrieve(a.port, AE_ID, key) == 4103
    # and back: granted again on both
    body = '{"m2m:acp":{"pv":{"acr":[{"acor":["%s"],"acop":35}]}}}' % AE
    assert rsc_of(psk_via(b.port, AE_ID, key, build_request("PUT", "/cse-in/p1/load-acp", h, body))) == 2004
    assert retrieve(a.port, AE_ID, key) == 2000


def test_revoked_credential_refused_by_both(pair, m2msec_bin):
    a, b, lb, uri = pair
    key = a.shared_key
    assert len(key) == 64
    for port in (a.port, b.port, lb.tls_port):
        assert retrieve(port, KPSA_ID, key) == 2000
    a.m2m("cred", "revoke", "--store", uri, "--id", KPSA_ID)
    for port in (a.port, b.port, lb.tls_port):
        assert psk_via(port, KPSA_ID, key, b"GET / HTTP/1.1\r\n\r\n") == b""  # handshake refused
    # another identity still works on both: only the revoked one is refused
    for port in (a.port, b.port):
        assert retrieve(port, AE_ID, a.psks[AE_ID][0]) == 2000


def creator(port, tag, stop, acked, unanswered):
    """CREATEs until stop is set, reconnecting through the balancer when a connection dies."""
    i = 0
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                buf = b""
                while not stop.is_set():
                    rn = "%s-%04d" % (tag, i)
                    i += 1
                    data = '{"m2m:cin":{"rn":"%s","cnf":"text/plain:0","con":"%s"}}' % (rn, rn)
                    h = {"Connection": "keep-alive", "X-M2M-Origin": AE, "X-M2M-RI": "r-" + rn, "X-M2M-RVI": "3",
                         "Content-Type": "application/json;ty=4"}
                    try:
                        s.sendall(build_request("POST", "/cse-in/p1/load", h, data))
                        _, headers, _, buf = read_reply(s, buf)
                    except (OSError, AssertionError):
                        unanswered.append(rn)
                        break
                    if headers.get("x-m2m-rsc") == "2001":
                        acked.append(rn)
                    else:
                        unanswered.append(rn)
        except OSError:
            time.sleep(0.05)


def test_sigkill_one_instance_mid_load(pair, pg):
    a, b, lb, _ = pair
    stop = threading.Event()
    acked, unanswered = [], []
    threads = [threading.Thread(target=creator, args=(lb.http_port, "k%d" % k, stop, acked, unanswered))
               for k in range(4)]
    for t in threads:
        t.start()
    # kill A once the load runs on both (a condition on the store, not a timing assertion)
    for _ in range(3000):
        if len(acked) >= 40 and any(served(a, rn) for rn in list(acked)):
            break
        time.sleep(0.01)
    assert len(acked) >= 40
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait(10)
    killed_at = len(acked)
    # the survivor keeps acknowledging through the same address
    for _ in range(3000):
        if len(acked) >= killed_at + 40:
            break
        time.sleep(0.01)
    stop.set()
    for t in threads:
        t.join(60)
    assert len(acked) >= killed_at + 40, (killed_at, len(acked), unanswered[:5])
    stored = set(pg.psql("SELECT string_agg(rn, ',') FROM res WHERE ty = 4", db="two").split(","))
    lost = [rn for rn in acked if rn not in stored]
    assert lost == [], lost[:10]  # every acknowledged write is there
    # and counted exactly: what the store holds is what the container says
    cnt = cnt_of(b)
    assert cnt["cni"] == len(stored), (cnt, len(stored))
    assert cnt["cbs"] == sum(len(rn) for rn in stored)
    # the balancer sent everything after the kill to the survivor
    after = acked[killed_at + 5:]
    assert after and all(served(b, rn) for rn in after)
