# SPDX-License-Identifier: Apache-2.0
"""The write path of the resource store under concurrency, and its durability setting, through
the real binary (TS-0001 9.6 resource storage, TS-0004 7.3.3.5: a request is applied completely
or not at all). Concurrent CREATEs from many keep-alive connections on a CSE with two worker
threads must all be acknowledged with 2001 (never 5000: the writers queue on the store's writer
gate instead of timing out in SQLite's busy handler) and every acknowledged contentInstance must
be there afterwards. The key store-sync (docs/config.md) selects the durability: `full` is
accepted and in effect (read back from the connection and logged), anything else is refused at
startup with an error naming the key and the line."""
import socket
import threading

import pytest

from cse_harness import SP, Cse, build_request

AE = "Cw1"
AE_ID = "kpsa-w1@" + SP
CONNS = 12
PER_CONN = 25


def start_cse(m2msec_bin, tmp, extra=""):
    c = Cse(m2msec_bin, tmp)
    c.setup_pki()
    c.add_psk(AE_ID, AE)
    c.start(extra)
    r = c.psk("POST", "/cse-in", AE, AE_ID, '{"m2m:ae":{"rn":"w1","api":"Nm2msec.test","rr":false,"srv":["3"]}}',
              ty=2)
    assert r.rsc == 2001, r
    # the load runs on the plain-HTTP listener, where nothing is authenticated (no creator rights,
    # issue 6): an ACP grants the AE CREATE/RETRIEVE/DISCOVERY there without requiring authentication
    r = c.psk("POST", "/cse-in/w1", AE, AE_ID,
              '{"m2m:acp":{"rn":"load-acp","pv":{"acr":[{"acor":["%s"],"acop":35}]},'
              '"pvs":{"acr":[{"acor":["%s"],"acop":63}]}}}' % (AE, AE), ty=1)
    assert r.rsc == 2001, r
    r = c.psk("POST", "/cse-in/w1", AE, AE_ID, '{"m2m:cnt":{"rn":"load","acpi":["cse-in/w1/load-acp"]}}', ty=3)
    assert r.rsc == 2001, r
    return c


def read_reply(sock, buf):
    """One HTTP/1.1 response from a keep-alive socket -> (status, headers, body, rest of buf)."""
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


def create_many(port, conn, results):
    """PER_CONN CREATEs of a contentInstance back to back on one keep-alive plain-HTTP
    connection (the loopback listener); records (rn, status, rsc) of each."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        buf = b""
        for i in range(PER_CONN):
            rn = "c%02d-%03d" % (conn, i)
            body = '{"m2m:cin":{"rn":"%s","cnf":"text/plain:0","con":"v%d"}}' % (rn, i)
            h = {"Connection": "keep-alive", "X-M2M-Origin": AE, "X-M2M-RI": "r-" + rn, "X-M2M-RVI": "3",
                 "Content-Type": "application/json;ty=4"}
            s.sendall(build_request("POST", "/cse-in/w1/load", h, body))
            status, headers, _, buf = read_reply(s, buf)
            results.append((rn, status, headers.get("x-m2m-rsc")))


@pytest.fixture
def cse(m2msec_bin, tmp_path):
    c = start_cse(m2msec_bin, tmp_path)
    yield c
    assert c.stop() == 0


def test_ts0004_concurrent_creates_all_acknowledged_none_lost(cse):
    """CONNS connections x PER_CONN CREATEs at once against threads = 2: every one is 2001 and
    every acknowledged contentInstance is in the store afterwards (cni and each by name)."""
    results = []
    threads = [threading.Thread(target=create_many, args=(cse.http_port, k, results)) for k in range(CONNS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == CONNS * PER_CONN
    bad = [r for r in results if r[1] != 201 or r[2] != "2001"]
    assert not bad, "not acknowledged with 2001: %r" % bad[:5]
    r = cse.psk("GET", "/cse-in/w1/load", AE, AE_ID)
    assert r.rsc == 2000, r
    assert r.json()["m2m:cnt"]["cni"] == CONNS * PER_CONN
    r = cse.psk("GET", "/cse-in/w1/load?fu=1&ty=4", AE, AE_ID)
    assert r.rsc == 2000, r
    found = {u.rsplit("/", 1)[-1] for u in r.json()["m2m:uril"]}
    assert found == {rn for rn, _, _ in results}
    assert '"rsc":5000' not in cse.log_text()  # (not a latency_us of 5000)


def test_store_sync_full_accepted_and_in_effect(m2msec_bin, tmp_path):
    c = start_cse(m2msec_bin, tmp_path, "store-sync = full\n")
    try:
        r = c.psk("POST", "/cse-in/w1/load", AE, AE_ID, '{"m2m:cin":{"rn":"d","con":"x"}}', ty=4)
        assert r.rsc == 2001, r
        assert "resource store: store-sync = full (in effect)" in c.log_text()
    finally:
        assert c.stop() == 0


def test_store_sync_default_is_normal(cse):
    assert "resource store: store-sync = normal (in effect)" in cse.log_text()


@pytest.mark.parametrize("value", ["FULL", "extra", "off", "fsync", ""])
def test_store_sync_bad_value_refused_at_startup(m2msec_bin, tmp_path, value):
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    c.add_psk(AE_ID, AE)
    with pytest.raises(RuntimeError):
        c.start("store-sync = %s\n" % value)
    out, err = c.proc.communicate(timeout=30)
    assert c.proc.returncode == 2, (c.proc.returncode, err)
    lines = open(c.path("cse.ini")).read().split("\n")
    lineno = lines.index("store-sync = %s" % value) + 1
    assert ("line %d: invalid value for 'store-sync'" % lineno).encode() in err, err
    assert b"listening" not in out + err
