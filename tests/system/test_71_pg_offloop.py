# SPDX-License-Identifier: Apache-2.0
"""With its resource store on PostgreSQL, the CSE runs no database round trip on an event loop
(docs/architecture.md "Resource store on PostgreSQL", docs/config.md store-threads): the
requests go to the store threads, the loop keeps the I/O and answers when the store thread is done.

One CSE with ONE event-loop thread (threads = 1) on a real PostgreSQL server (pg_harness.py). A
psql session holds the row of the <container> locked (SELECT ... FOR UPDATE), so a <subscription>
CREATE under it (its real CREATE locks its parent, TS-0004 7.4.8.2.1) waits on the server
(lock_timeout raised in the URI: the server does not give up first). Meanwhile another client of
the same loop completes a TLS-PSK handshake, a RETRIEVE and a CREATE that touch no locked row,
and /metrics answers; the stalled CREATE is still waiting in the store afterwards (before the
change its loop sat in the statement and that client hung). Once the lock is released the
stalled CREATE completes: 2001, the <subscription> is there.

The queue of the store threads is bounded (store-queue) and has a deadline (store-queue-ms): with
one store thread held by such a CREATE and a queue of one, of two more requests one is refused
at once with 5000 (queue full), the other waits; past the deadline it is answered 5000 without
being run (nothing written), and the next request is served (2000).

The connection of a store thread lost while its request waits inside its transaction: that
request is answered 5000 with nothing written, the thread reconnects for the next one.
"""
import socket
import subprocess
import threading

import pytest

import pg_harness
from test_60_pg_store import AE, AE_ID, new_cse, setup_tree

pytestmark = pytest.mark.skipif(not pg_harness.available(), reason="postgresql-15 not installed (scripts/deps.sh)")

SLOW = "?options=-c%20statement_timeout%3D120000%20-c%20lock_timeout%3D120000"
WAITING = ("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'm2msec'"
           " AND wait_event_type = 'Lock'")
HELD = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'psql' AND state = 'idle in transaction'"
SUB = '{"m2m:sub":{"rn":"%s","nu":["%s"],"enc":{"net":[3]}}}'


@pytest.fixture
def pg():
    with pg_harness.PgServer() as server:
        yield server


def poll(pg, db, sql, want):
    for _ in range(600):
        if pg.psql(sql, db=db) == want:
            return
        threading.Event().wait(0.05)
    raise AssertionError("%s never became %s" % (sql, want))


def lock_container(pg, db):
    """A psql session holding the <container>'s row locked until COMMIT on its stdin."""
    holder = subprocess.Popen(pg._cmd("psql", "-X", "-q", "-h", pg.dir, "-p", str(pg.port), "-U", pg_harness.USER,
                                      "-d", db), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, text=True)
    holder.stdin.write("BEGIN;\nSELECT 1 FROM res WHERE rn = 'load' FOR UPDATE;\n")
    holder.stdin.flush()
    poll(pg, db, HELD, "1")
    return holder


def release(holder):
    if holder.poll() is None:
        holder.stdin.write("COMMIT;\n")
        holder.stdin.close()
        holder.wait(30)


def in_thread(fn, *args):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", fn(*args)))
    t.start()
    return t, out


def metrics(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return buf


def start_cse(m2msec_bin, tmp_path, pg, db, extra=""):
    uri = pg.create_db(db)
    c = new_cse(m2msec_bin, tmp_path, uri + SLOW, "a")
    c.threads = 1
    c.metrics_port = pg_harness._free_port()
    c.start("metrics-listen = 127.0.0.1:%d\n%s" % (c.metrics_port, extra))
    setup_tree(c)
    return c


def test_other_clients_served_while_a_request_waits_in_the_store(m2msec_bin, tmp_path, pg):
    c = start_cse(m2msec_bin, tmp_path, pg, "offloop")
    holder = None
    try:
        holder = lock_container(pg, "offloop")
        t, stalled = in_thread(c.psk, "POST", "/cse-in/p1/load", AE, AE_ID, SUB % ("s1", AE), 23)
        poll(pg, "offloop", WAITING, "1")  # its CREATE waits for the row lock on the server now
        # another client of the one loop: a TLS handshake and requests that need no locked row
        try:
            r = c.psk("GET", "/cse-in/p1/load-acp", AE, AE_ID)
            assert r is not None and r.rsc == 2000, r
            r = c.psk("POST", "/cse-in/p1", AE, AE_ID, '{"m2m:cnt":{"rn":"other"}}', ty=3)
            assert r is not None and r.rsc == 2001, r
            r = c.psk("GET", "/cse-in/p1/other", AE, AE_ID)
            assert r is not None and r.rsc == 2000, r
        except subprocess.TimeoutExpired:
            pytest.fail("the TLS client hung behind the request waiting in the store (loop blocked)")
        assert metrics(c.metrics_port).startswith(b"HTTP/1.1 200")
        assert t.is_alive() and pg.psql(WAITING, db="offloop") == "1"  # ... all while it still waits
        release(holder)
        t.join(60)
        assert not t.is_alive()
        assert stalled["r"].rsc == 2001, stalled["r"]
        r = c.psk("GET", "/cse-in/p1/load/s1", AE, AE_ID)
        assert r.rsc == 2000 and r.json()["m2m:sub"]["nu"] == [AE], r
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
        rc = c.stop()
    assert rc == 0  # the store threads stop cleanly with the CSE
    assert pg.password not in c.log_text()


def test_queue_bound_and_deadline_5000(m2msec_bin, tmp_path, pg):
    c = start_cse(m2msec_bin, tmp_path, pg, "bound", "store-threads = 1\nstore-queue = 1\nstore-queue-ms = 300\n")
    holder = None
    try:
        holder = lock_container(pg, "bound")
        t, stalled = in_thread(c.psk, "POST", "/cse-in/p1/load", AE, AE_ID, SUB % ("s2", AE), 23)
        poll(pg, "bound", WAITING, "1")  # the one store thread waits on the server
        done = threading.Semaphore(0)
        outs = [{}, {}]

        def get(i):
            outs[i]["r"] = c.plain("GET", "/cse-in/p1/load-acp", AE, rqi="q%d" % i)
            done.release()
        both = [threading.Thread(target=get, args=(i,)) for i in (0, 1)]
        for b in both:
            b.start()
        assert done.acquire(timeout=60), "neither request was answered while the store thread waits"
        first = [o["r"] for o in outs if "r" in o]
        assert len(first) == 1  # one is queued, the other refused at once: the queue holds one
        assert first[0].rsc == 5000 and "queue is full" in first[0].body, first[0]
        threading.Event().wait(0.6)  # the queued one waits longer than store-queue-ms (300 ms)
        assert t.is_alive() and pg.psql(WAITING, db="bound") == "1"
        release(holder)
        t.join(60)
        for b in both:
            b.join(60)
        assert stalled["r"].rsc == 2001, stalled["r"]
        late = [o["r"] for o in outs if o["r"] is not first[0]]
        assert len(late) == 1 and late[0].rsc == 5000 and "queued too long" in late[0].body, late
        assert c.plain("GET", "/cse-in/p1/load-acp", AE).rsc == 2000  # served again
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
        c.stop()


def test_connection_lost_on_a_store_thread_5000_nothing_written(m2msec_bin, tmp_path, pg):
    """The store thread's connection ends while its <subscription> CREATE waits inside its
    transaction: that request is answered 5000 and nothing of it is written (TS-0004 clause
    7.3.3.5); the thread reconnects for the next request."""
    c = start_cse(m2msec_bin, tmp_path, pg, "lost", "store-threads = 1\n")
    holder = None
    try:
        holder = lock_container(pg, "lost")
        t, stalled = in_thread(c.psk, "POST", "/cse-in/p1/load", AE, AE_ID, SUB % ("s3", AE), 23)
        poll(pg, "lost", WAITING, "1")
        pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'm2msec'"
                " AND wait_event_type = 'Lock'")
        t.join(60)
        assert not t.is_alive()
        assert stalled["r"].rsc == 5000, stalled["r"]
        release(holder)
        assert pg.psql("SELECT count(*) FROM res WHERE ty = 23", db="lost") == "0"
        r = c.psk("GET", "/cse-in/p1/load", AE, AE_ID)  # the one store thread serves again
        assert r.rsc == 2000, r
        r = c.psk("POST", "/cse-in/p1/load", AE, AE_ID, SUB % ("s3", AE), ty=23)
        assert r.rsc == 2001, r
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
        c.stop()
