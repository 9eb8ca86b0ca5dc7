# SPDX-License-Identifier: Apache-2.0
"""The CSE's resource store on a real PostgreSQL server (tests/system/pg_harness.py: initdb +
pg_ctl in a temporary directory; docs/config.md `store = postgresql://...`).

- A database migrated by a newer program is refused at startup with a clear error, and the
  password of the URI is in no log line and no error message.
- Connection loss: the connection of a CREATE that is inside its transaction ends
  (pg_terminate_backend), then the server stops (pg_ctl stop -m fast): that request is answered
  5000 with nothing of it written (TS-0004 clause 7.3.3.5: a request is applied completely or not
  at all); once the server is back, the next request
  succeeds without restarting the CSE.
- Two CSE processes on one database, concurrent CREATEs into one <container> through both: every
  CREATE acknowledged, currentNrOfInstances / currentByteSize / stateTag exact (TS-0004 clause
  7.4.6.2.1, TS-0001 clause 9.6.6), maxNrOfInstances eviction exact, and one resourceName under
  one parent created once: the second instance answers 4105 (TS-0004 clause 6.6.3.5).
"""
import socket
import subprocess
import threading
import time

import pytest

import pg_harness
from cse_harness import SP, Cse, build_request

pytestmark = pytest.mark.skipif(not pg_harness.available(), reason="postgresql-15 not installed (scripts/deps.sh)")

AE = "Cp1"
AE_ID = "kpsa-p1@" + SP


@pytest.fixture
def pg():
    with pg_harness.PgServer() as server:
        yield server


def new_cse(m2msec_bin, tmp, uri, name, psks=None):
    (tmp / name).mkdir()
    c = Cse(m2msec_bin, tmp / name)
    c.store = uri
    c.setup_pki()
    if psks is None:
        c.add_psk(AE_ID, AE)
    else:
        c.psks = dict(psks)
    return c


def setup_tree(c, cnt_attrs=""):
    """The AE, an ACP letting it CREATE/RETRIEVE on the plain-HTTP listener, and the container."""
    r = c.psk("POST", "/cse-in", AE, AE_ID, '{"m2m:ae":{"rn":"p1","api":"Nm2msec.test","rr":false,"srv":["3"]}}',
              ty=2)
    assert r.rsc == 2001, r
    r = c.psk("POST", "/cse-in/p1", AE, AE_ID,
              '{"m2m:acp":{"rn":"load-acp","pv":{"acr":[{"acor":["%s"],"acop":35}]},'
              '"pvs":{"acr":[{"acor":["%s"],"acop":63}]}}}' % (AE, AE), ty=1)
    assert r.rsc == 2001, r
    r = c.psk("POST", "/cse-in/p1", AE, AE_ID,
              '{"m2m:cnt":{"rn":"load","acpi":["cse-in/p1/load-acp"]%s}}' % cnt_attrs, ty=3)
    assert r.rsc == 2001, r


def read_reply(sock, buf):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before a response"
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside a response body"
        rest += chunk
    return int(lines[0].split()[1]), headers, rest[:n].decode(), rest[n:]


def create_many(port, tag, count, results, body=None, path="/cse-in/p1/load", ty=4):
    """count CREATEs back to back on one keep-alive plain-HTTP connection; records (rn, rsc)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        buf = b""
        for i in range(count):
            rn = "%s-%03d" % (tag, i)
            data = body % rn if body else '{"m2m:cin":{"rn":"%s","cnf":"text/plain:0","con":"%s"}}' % (rn, rn)
            h = {"Connection": "keep-alive", "X-M2M-Origin": AE, "X-M2M-RI": "r-" + rn, "X-M2M-RVI": "3",
                 "Content-Type": "application/json;ty=%d" % ty}
            s.sendall(build_request("POST", path, h, data))
            _, headers, _, buf = read_reply(s, buf)
            results.append((rn, headers.get("x-m2m-rsc")))


def no_password(pg, *cses):
    for c in cses:
        assert pg.password not in c.log_text()


def test_newer_schema_refused_password_never_shown(m2msec_bin, tmp_path, pg):
    uri = pg.create_db("newer")
    c = new_cse(m2msec_bin, tmp_path, uri, "a")
    c.start()
    setup_tree(c)  # the schema is there and used
    assert c.stop() == 0
    pg.psql("INSERT INTO m2m_schema_migrations (component, version) VALUES ('resstore', 99)", db="newer")
    with pytest.raises(RuntimeError):
        c.start()
    err = c.proc.stderr.read().decode() if c.proc and c.proc.stderr else ""
    c.stop()
    text = err + c.log_text()
    assert "schema version 99" in text and "newer" in text, text[-2000:]
    assert "resource store has an unknown schema version" in err, err
    assert "postgresql://m2msec:***@127.0.0.1" in err, err  # the store named, its password hidden
    assert pg.password not in text


def wait_for(pg, count_sql, rounds=300):
    for _ in range(rounds):
        if pg.psql(count_sql) != "0":
            return True
        time.sleep(0.01)
    return False


def test_connection_lost_in_flight_5000_then_recovers(m2msec_bin, tmp_path, pg):
    uri = pg.create_db("loss")
    c = new_cse(m2msec_bin, tmp_path, uri, "a")
    c.start()
    setup_tree(c, ',"mni":2')
    res = []
    create_many(c.http_port, "pre", 2, res)
    assert [r[1] for r in res] == ["2001", "2001"]
    before = c.psk("GET", "/cse-in/p1/load", AE, AE_ID).json()["m2m:cnt"]
    # Hold the oldest instance locked from another session: the next CREATE inserts its instance,
    # then waits to evict that one (maxNrOfInstances 2) — in flight inside its transaction.
    holder = subprocess.Popen(pg._cmd("psql", "-X", "-q", "-h", pg.dir, "-p", str(pg.port), "-U", pg_harness.USER,
                                      "-d", "loss"), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, text=True)
    holder.stdin.write("BEGIN;\nSELECT 1 FROM res WHERE rn = 'pre-000' FOR UPDATE;\n")
    holder.stdin.flush()
    assert wait_for(pg, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'psql'"
                        " AND state = 'idle in transaction'"), "the lock holder never got its lock"
    inflight = []
    t = threading.Thread(target=create_many, args=(c.http_port, "mid", 1, inflight))
    t.start()
    # until the CSE's statement waits for the row lock (a condition, not a timing assertion)
    assert wait_for(pg, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'm2msec'"
                        " AND wait_event_type = 'Lock'"), "the CREATE never reached the locked row"
    # its connection goes first, then the server: at a plain fast stop the lock holder's backend
    # could end (releasing the row) before the CSE's got its signal, and the CREATE could then
    # commit (a correct 2001, but not the loss this test is about)
    pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'm2msec'"
            " AND wait_event_type = 'Lock'")
    pg.stop("fast")
    t.join(60)
    holder.kill()
    holder.wait()
    assert inflight == [("mid-000", "5000")], inflight
    # the server is down: a request fails cleanly too
    r = c.psk("GET", "/cse-in/p1/load", AE, AE_ID)
    assert r.rsc == 5000, r
    pg.start()
    # the next request reconnects; nothing of the failed CREATE was kept (no instance, no eviction,
    # counters unchanged)
    r = c.psk("GET", "/cse-in/p1/load", AE, AE_ID)
    assert r.rsc == 2000, r
    after = r.json()["m2m:cnt"]
    assert (after["cni"], after["cbs"], after["st"]) == (before["cni"], before["cbs"], before["st"])
    assert pg.psql("SELECT string_agg(rn, ',' ORDER BY rn) FROM res WHERE ty = 4", db="loss") == "pre-000,pre-001"
    res = []
    create_many(c.http_port, "post", 1, res)
    assert res == [("post-000", "2001")]
    r = c.psk("GET", "/cse-in/p1/load", AE, AE_ID)
    assert r.json()["m2m:cnt"]["cni"] == 2
    assert pg.psql("SELECT string_agg(rn, ',' ORDER BY rn) FROM res WHERE ty = 4", db="loss") == "post-000,pre-001"
    assert c.stop() == 0
    no_password(pg, c)


THREADS = 3
PER_THREAD = 15


def two_instances(m2msec_bin, tmp_path, pg, db, cnt_attrs=""):
    uri = pg.create_db(db)
    a = new_cse(m2msec_bin, tmp_path, uri, "a")
    a.start()
    setup_tree(a, cnt_attrs)
    b = new_cse(m2msec_bin, tmp_path, uri, "b", psks=a.psks)
    b.start()
    return a, b


def run_both(a, b, **kw):
    results = []
    threads = [threading.Thread(target=create_many, args=(c.http_port, "%s%d" % (n, k), PER_THREAD, results),
                                kwargs=kw)
               for n, c in (("a", a), ("b", b)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_instances_concurrent_creates_counters_exact(m2msec_bin, tmp_path, pg):
    a, b = two_instances(m2msec_bin, tmp_path, pg, "two")
    try:
        results = run_both(a, b)
        total = 2 * THREADS * PER_THREAD
        assert len(results) == total
        bad = [r for r in results if r[1] != "2001"]
        assert not bad, bad[:5]
        for c in (a, b):
            r = c.psk("GET", "/cse-in/p1/load", AE, AE_ID)
            assert r.rsc == 2000, r
            cnt = r.json()["m2m:cnt"]
            # every instance counted once, whichever CSE created it
            assert cnt["cni"] == total
            assert cnt["cbs"] == sum(len(rn) for rn, _ in results)
            assert cnt["st"] == total
        assert int(pg.psql("SELECT count(*) FROM res WHERE ty = 4", db="two")) == total
    finally:
        assert a.stop() == 0 and b.stop() == 0
    no_password(pg, a, b)


def test_two_instances_mni_eviction_exact(m2msec_bin, tmp_path, pg):
    a, b = two_instances(m2msec_bin, tmp_path, pg, "evict", ',"mni":5')
    try:
        results = run_both(a, b)
        assert not [r for r in results if r[1] != "2001"]
        cnt = a.psk("GET", "/cse-in/p1/load", AE, AE_ID).json()["m2m:cnt"]
        assert cnt["cni"] == 5
        assert int(pg.psql("SELECT count(*) FROM res WHERE ty = 4", db="evict")) == 5
        assert cnt["cbs"] == int(pg.psql("SELECT sum(size) FROM res WHERE ty = 4", db="evict"))
    finally:
        assert a.stop() == 0 and b.stop() == 0


def test_two_instances_one_name_one_resource_4105(m2msec_bin, tmp_path, pg):
    """Each round both instances CREATE the same resourceName under one parent at once: exactly
    one 2001 and one 4105 (Conflict), and one row."""
    a, b = two_instances(m2msec_bin, tmp_path, pg, "names")
    try:
        for i in range(8):
            res = []
            body = '{"m2m:cnt":{"rn":"%s"}}'
            ts = [threading.Thread(target=create_many, args=(c.http_port, "same%d" % i, 1, res),
                                   kwargs={"body": body, "path": "/cse-in/p1/load", "ty": 3}) for c in (a, b)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            assert sorted(r[1] for r in res) == ["2001", "4105"], res
        assert int(pg.psql("SELECT count(*) FROM res WHERE ty = 3 AND rn LIKE 'same%'", db="names")) == 8
    finally:
        assert a.stop() == 0 and b.stop() == 0
