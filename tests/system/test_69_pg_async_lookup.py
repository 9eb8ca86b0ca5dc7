# SPDX-License-Identifier: Apache-2.0
"""The credential-store lookup of a TLS-PSK handshake (TS-0003 clause 8.2.2.1, a Kpsa of the
credential store, clause 10.3) never blocks the event loop when the store is PostgreSQL
(docs/tls.md "Asynchronous PSK lookup", docs/scale-out.md): the lookup runs on the store's worker
thread while the handshake waits paused, as for a MEF KeID.

One CSE with ONE event-loop thread (threads = 1), its credential store on a real PostgreSQL
server (pg_harness.py). A psql session holds an ACCESS EXCLUSIVE lock on the cred table, so the
store's lookup of a Kpsa waits on the server (lock_timeout raised to 120 s in the URI: the server
does not give up first). Meanwhile:
- another client (a psk-file Kpsa) still gets its handshake and its 2000 on the same CSE (before
  the lookup went off the loop, the one loop thread sat in the lookup and this client hung);
- the waiting handshake fails closed at psk-lookup-timeout-ms (refused: no byte of a response);
- once the lock is gone, the next handshake with the store's Kpsa asks the store again: 2000.
"""
import subprocess
import threading

import pytest

import pg_harness
from cse_harness import SP
from test_60_pg_store import AE, AE_ID, new_cse, setup_tree
from test_65_two_instances import psk_via, retrieve

pytestmark = pytest.mark.skipif(not pg_harness.available(), reason="postgresql-15 not installed (scripts/deps.sh)")

KPSA_ID = "kpsa-slow@" + SP
SLOW = "?options=-c%20statement_timeout%3D120000%20-c%20lock_timeout%3D120000"
WAITING = ("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
           " WHERE c.relname = 'cred' AND NOT l.granted")
HELD = ("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
        " WHERE c.relname = 'cred' AND l.granted AND l.mode = 'AccessExclusiveLock'")


def poll(pg, db, sql, want):
    for _ in range(600):
        if pg.psql(sql, db=db) == want:
            return
        threading.Event().wait(0.05)
    raise AssertionError("%s never became %s" % (sql, want))


@pytest.fixture
def pg():
    with pg_harness.PgServer() as server:
        yield server


def test_store_lookup_off_the_loop(m2msec_bin, tmp_path, pg):
    uri = pg.create_db("slow")
    c = new_cse(m2msec_bin, tmp_path, uri, "a")
    c.threads = 1
    key = c.m2m("cred", "add", "--store", uri, "--kind", "kpsa", "--id", KPSA_ID, "--owner", AE,
                "--generate").stdout.strip()
    c.start("cred-store = %s%s\npsk-lookup-timeout-ms = 1000\n" % (uri, SLOW))
    try:
        served_while_locked(c, pg, key)
        retried_and_revoked(c, uri, key, pg)
    finally:
        c.stop()
    assert pg.password not in c.log_text()


def served_while_locked(c, pg, key):
    locker = None
    try:
        setup_tree(c)
        assert retrieve(c.port, KPSA_ID, key) == 2000  # the store's Kpsa works
        locker = subprocess.Popen(pg._cmd("psql", "-X", "-q", "-h", pg.dir, "-p", str(pg.port), "-U",
                                          pg_harness.USER, "-d", "slow", "-c",
                                          "BEGIN; LOCK TABLE cred IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600);"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        poll(pg, "slow", HELD, "1")
        blocked = {}
        t = threading.Thread(target=lambda: blocked.setdefault("out", psk_via(c.port, KPSA_ID, key,
                                                                              b"GET / HTTP/1.1\r\n\r\n")))
        t.start()
        poll(pg, "slow", WAITING, "1")  # the CSE's lookup waits on the lock now
        # another client on the same (only) loop thread: served while the lookup waits
        try:
            assert retrieve(c.port, AE_ID, c.psks[AE_ID][0]) == 2000
        except subprocess.TimeoutExpired:
            pytest.fail("the psk-file client hung behind the credential-store lookup (loop blocked)")
        t.join(60)
        assert not t.is_alive()
        assert blocked["out"] == b""  # refused at psk-lookup-timeout-ms: fail closed
        assert pg.psql(WAITING, db="slow") == "1"  # ... while the store still had no answer
    finally:
        pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%'"
                " AND pid <> pg_backend_pid()")
        if locker is not None:
            locker.wait(30)


def retried_and_revoked(c, uri, key, pg):
    poll(pg, "slow", WAITING, "0")
    assert retrieve(c.port, KPSA_ID, key) == 2000  # the next handshake asks the store again
    c.m2m("cred", "revoke", "--store", uri, "--id", KPSA_ID)
    assert psk_via(c.port, KPSA_ID, key, b"GET / HTTP/1.1\r\n\r\n") == b""  # revocation: bound 0
    assert retrieve(c.port, AE_ID, c.psks[AE_ID][0]) == 2000
