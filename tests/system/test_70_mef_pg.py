# SPDX-License-Identifier: Apache-2.0
"""The MEF store on a real PostgreSQL server shared by two `m2msec mef` processes
(tests/system/pg_harness.py; docs/config.md `[mef] store = postgresql://...`, docs/scale-out.md).

- An enrolment with a pre-provisioned Kpm (TS-0003 clause 8.3.2.1) through MEF A, then the
  Enrolment Target's fetchCredentials of that KeID (clause 8.3.2.1, Ke use) answered by MEF B
  with the key the device derived (clause 10.3.7).
- `m2msec mef enrolee revoke` against the PostgreSQL store: both MEFs answer 4004 for the
  revoked KeID and both refuse the device's next enrolment (clause 10.7: nothing outlives Ke).
- Concurrent enrolments of distinct enrolees through both MEFs: every one acknowledged, every
  one registered and fetchable through the other MEF.
- The same enrolee enrolling concurrently through both: exactly one registration remains and it
  is the KeID of one of the enrolments; a replaced KeID is unknown (4004) at both MEFs.
- The operator commands on the URI: import, fleet groups (a member enrolling through B),
  profiles, `ca crl --store`.
- Sessions the server ends are replaced: the next enrolment and fetch succeed. The database
  down under an open connection: its next fetchCredentials answered 5000, nothing granted; answered
  again once it is back (no restart).
- A database migrated by a newer program is refused at startup; a wrong password is refused
  with an error naming the store without any password (stderr and log).
"""
import hashlib
import hmac
import json
import os
import re
import secrets
import select
import subprocess
import threading
import time

import pytest

import pg_harness
from cse_harness import SP, Cse, free_port, parse_http, wait_port

pytestmark = pytest.mark.skipif(not pg_harness.available(), reason="postgresql-15 not installed (scripts/deps.sh)")

FQDN = "mef." + SP


def fetch_request(keid, suid=22):
    return ("GET /fetchCredentials/%s/%d HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: r1\r\nX-M2M-RVI: 3\r\n"
            "Connection: close\r\n\r\n" % (keid, suid, FQDN)).encode()


class Mef:
    def __init__(self, w, name, store):
        self.w, self.name, self.port, self.proc = w, name, free_port(), None
        self.ini = w.c.path("%s.ini" % name)
        self.log = w.c.path("%s.log" % name)
        with open(self.ini, "w") as f:
            f.write("[mef]\nmef-fqdn = %s\nsp-id = %s\nhttps-listen = 127.0.0.1:%d\nstore = %s\ncert = %s\n"
                    "key = %s\ntrust-anchors = %s\nlog-file = %s\nlog-level = info\nthreads = 2\n"
                    "rate-limit-per-identity = 0\nrate-limit-per-address = 0\n" % (
                        FQDN, SP, self.port, store, w.c.path("mef.crt"), w.c.path("mef.key"),
                        w.c.path("ca/ca.crt"), self.log))

    def run(self):
        """Start and return the process (the caller checks that it came up, or why not)."""
        self.err = self.w.c.path("%s.err" % self.name)
        self.proc = subprocess.Popen([self.w.bin, "mef", "--config", self.ini], stdout=subprocess.DEVNULL,
                                     stderr=open(self.err, "w"))
        return self.proc

    def start(self):
        wait_port(self.port, self.run())
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def enrol(self, kpm_id, kpm_file, out):
        return self.w.m2m("enrol", "--mef", "127.0.0.1:%d" % self.port, "--mef-ca", self.w.c.path("ca/ca.crt"),
                          "--kpm-id", kpm_id, "--kpm-file", kpm_file, "--out", out, "--timeout", "60")

    def session(self):
        """An open TLS connection to the MEF as the Enrolment Target (requests written one by one)."""
        c = self.w.c
        return subprocess.Popen(["openssl", "s_client", "-quiet", "-CAfile", c.path("ca/ca.crt"),
                                 "-cert", c.path("server.crt"), "-key", c.path("server.key"), "-servername", FQDN,
                                 "-connect", "127.0.0.1:%d" % self.port], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def fetch(self, keid):
        """fetchCredentials as the Enrolment Target /id-in (its certificate): (RSC, body)."""
        c = self.w.c
        r = subprocess.run(["openssl", "s_client", "-quiet", "-CAfile", c.path("ca/ca.crt"),
                            "-cert", c.path("server.crt"), "-key", c.path("server.key"), "-servername", FQDN,
                            "-connect", "127.0.0.1:%d" % self.port], input=fetch_request(keid),
                           capture_output=True, timeout=60)
        if b"HTTP/1.1 " not in r.stdout:
            return None, ""                     # closed before any answer
        status, h, body = parse_http(r.stdout[r.stdout.find(b"HTTP/1.1 "):])
        return h["x-m2m-rsc"], body


class World:
    def __init__(self, m2msec_bin, tmp, pg):
        self.bin, self.pg = m2msec_bin, pg
        self.c = Cse(m2msec_bin, tmp)
        self.c.setup_pki()                              # ca/, server.* (the Enrolment Target id-in)
        self.c.issue("mef", FQDN)
        self.uri = pg.create_db("mef")
        self.a = Mef(self, "mefA", self.uri)
        self.b = Mef(self, "mefB", self.uri)
        self.n = 0

    def m2m(self, *args):
        return subprocess.run([self.bin, *map(str, args)], capture_output=True, text=True, timeout=120)

    def add(self, name):
        kpm = secrets.token_hex(32)
        self.n += 1
        kf = self.c.path("kpm%d" % self.n)
        with open(kf, "w") as f:
            f.write(kpm + "\n")
        os.chmod(kf, 0o600)
        kpm_id = "%s@%s" % (name, FQDN)
        r = self.m2m("mef", "enrolee", "add", "--config", self.a.ini, "--kpm-id", kpm_id, "--kpm-file", kf,
                     "--enrolee-id", "C" + name, "--target", "/id-in")
        assert r.returncode == 0, r.stderr
        return kpm_id, kf

    def sql(self, q):
        return self.pg.psql(q, db="mef")


@pytest.fixture(scope="module")
def world(m2msec_bin, tmp_path_factory):
    with pg_harness.PgServer() as pg:
        w = World(m2msec_bin, tmp_path_factory.mktemp("mefpg"), pg)
        w.a.start()          # creates the schema (the first start migrates; the second finds it)
        w.b.start()
        try:
            yield w
        finally:
            w.a.stop()
            w.b.stop()


def test_enrol_on_a_fetch_on_b_revoke_on_both(world, tmp_path):
    w = world
    kpm_id, kf = w.add("dev1")
    r = w.a.enrol(kpm_id, kf, tmp_path / "dev1")
    assert r.returncode == 0, r.stderr
    keid = r.stdout.strip()
    assert re.fullmatch(r"[0-9A-F]{32}@" + re.escape(FQDN), keid)
    tkey = (tmp_path / "dev1" / "target.psk").read_text().strip()
    # MEF B never saw the device: the registration (and its Ke) came through the shared store
    rsc, body = w.b.fetch(keid)
    assert rsc == "2000", body
    rsp = json.loads(body)["sec:fetchCredRsp"]
    assert rsp["credential"] == tkey and rsp["enroleeID"] == "Cdev1"
    assert w.a.fetch(keid)[0] == "2000"
    assert w.sql("SELECT count(*) FROM reg WHERE client_id = '%s'" % kpm_id) == "1"
    # the operator revokes through the PostgreSQL store (the CLI on B's configuration)
    r = w.m2m("mef", "enrolee", "revoke", "--config", w.b.ini, "--kpm-id", kpm_id)
    assert r.returncode == 0, r.stderr
    assert w.a.fetch(keid)[0] == "4004"
    assert w.b.fetch(keid)[0] == "4004"
    for m in (w.a, w.b):
        r = m.enrol(kpm_id, kf, tmp_path / ("again-" + m.name))
        assert r.returncode == 1 and "authentication failed" in r.stderr, r.stderr
        assert not (tmp_path / ("again-" + m.name)).exists()
    r = w.m2m("mef", "enrolee", "list", "--config", w.a.ini)
    assert r.returncode == 0, r.stderr
    assert re.search(re.escape(kpm_id) + r".*revoked", r.stdout), r.stdout


def test_concurrent_distinct_enrolments_lose_nothing(world, tmp_path):
    w = world
    devs = [w.add("par%d" % i) for i in range(8)]
    results = [None] * len(devs)

    def go(i):
        kpm_id, kf = devs[i]
        results[i] = (w.a if i % 2 == 0 else w.b).enrol(kpm_id, kf, tmp_path / ("par%d" % i))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(devs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, r in enumerate(results):
        assert r.returncode == 0, r.stderr
        keid = r.stdout.strip()
        tkey = (tmp_path / ("par%d" % i) / "target.psk").read_text().strip()
        other = w.b if i % 2 == 0 else w.a
        rsc, body = other.fetch(keid)
        assert rsc == "2000", body
        assert json.loads(body)["sec:fetchCredRsp"]["credential"] == tkey
    assert w.sql("SELECT count(*) FROM reg WHERE client_id LIKE 'par%'") == str(len(devs))


def test_same_enrolee_concurrently_through_both(world, tmp_path):
    w = world
    for rnd in range(3):
        kpm_id, kf = w.add("twice%d" % rnd)
        results = {}

        def go(m):
            results[m.name] = m.enrol(kpm_id, kf, tmp_path / ("%s-%d" % (m.name, rnd)))

        threads = [threading.Thread(target=go, args=(m,)) for m in (w.a, w.b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        keids = [r.stdout.strip() for r in results.values() if r.returncode == 0]
        assert keids, [r.stderr for r in results.values()]
        rows = w.sql("SELECT keid FROM reg WHERE client_id = '%s'" % kpm_id).split()
        # exactly one registration, one of the enrolments' KeIDs, valid at both MEFs; a replaced
        # KeID is unknown everywhere
        assert len(rows) == 1 and rows[0] in keids, (rows, keids)
        for keid in keids:
            want = "2000" if keid == rows[0] else "4004"
            assert w.a.fetch(keid)[0] == want
            assert w.b.fetch(keid)[0] == want


def test_sessions_dropped_by_the_server_are_replaced(world, tmp_path):
    """The server ends every MEF session (an administrator, a failover): the next enrolment and
    the next fetch still succeed, each MEF connecting again before anything of the request ran."""
    w = world
    kpm_id, kf = w.add("dropped")
    killed = w.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                   " WHERE application_name = 'm2msec' AND datname = 'mef'")
    assert int(killed) >= 4                      # two MEFs, a resolver and two workers each
    r = w.a.enrol(kpm_id, kf, tmp_path / "dropped")
    assert r.returncode == 0, r.stderr
    keid = r.stdout.strip()
    rsc, body = w.b.fetch(keid)
    assert rsc == "2000", body
    assert json.loads(body)["sec:fetchCredRsp"]["credential"] == \
        (tmp_path / "dropped" / "target.psk").read_text().strip()


def read_response(proc, deadline=30):
    """One whole HTTP response (Content-Length framed) from proc's stdout."""
    buf, end = b"", time.monotonic() + deadline
    while time.monotonic() < end:
        if select.select([proc.stdout], [], [], 0.2)[0]:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
        head, sep, body = buf.partition(b"\r\n\r\n")
        m = re.search(rb"(?i)content-length: *(\d+)", head)
        if sep and m and len(body) >= int(m.group(1)):
            break
    status, h, body = parse_http(buf[buf.find(b"HTTP/1.1 "):])
    return h["x-m2m-rsc"], body


def test_server_down_answers_5000_then_recovers(world, tmp_path):
    """The database goes down under an open connection: the next fetch on it is answered 5000
    ("store unavailable") with nothing granted; a new connection meanwhile is refused (closed:
    the association's own lookup fails, the MEF's rule for any store failure at connection open);
    once the database is back, the same MEF answers again without a restart."""
    w = world
    kpm_id, kf = w.add("down")
    r = w.a.enrol(kpm_id, kf, tmp_path / "down")
    assert r.returncode == 0, r.stderr
    keid = r.stdout.strip()
    conn = w.b.session()
    try:
        conn.stdin.write(fetch_request(keid).replace(b"Connection: close\r\n", b""))
        conn.stdin.flush()
        assert read_response(conn)[0] == "2000"
        w.pg.stop()
        try:
            conn.stdin.write(fetch_request(keid))
            conn.stdin.flush()
            rsc, body = read_response(conn)
            assert rsc == "5000", body
            assert "credential" not in body
            rsc, body = w.b.fetch(keid)
            assert rsc in (None, "5000") and "credential" not in body, body
        finally:
            w.pg.start()
    finally:
        conn.kill()
        conn.wait(timeout=10)
    rsc, body = w.b.fetch(keid)
    assert rsc == "2000", body
    for m in (w.a, w.b):
        assert m.proc.poll() is None
        assert w.pg.password not in open(m.log).read() + open(m.err).read()


def test_operator_commands_on_the_pg_store(world, tmp_path):
    """Every operator command that opens the MEF store works on the URI: import, fleet groups (a
    member enrols through B with its derived Kpm), profiles, and `ca crl --store`."""
    w = world
    kpm = secrets.token_hex(32)
    csv = tmp_path / "batch.csv"
    csv.write_text("kpm_id,kpm,enrolee_id,targets\nimp1@%s,%s,Cimp1,/id-in\n" % (FQDN, kpm))
    os.chmod(csv, 0o600)                                 # it holds Kpms
    r = w.m2m("mef", "enrolee", "import", "--config", w.a.ini, csv)
    assert r.returncode == 0, r.stderr
    assert w.sql("SELECT enrolee_id FROM enrolee WHERE client_id = 'imp1@%s'" % FQDN) == "Cimp1"
    r = w.m2m("mef", "enrolee", "import", "--config", w.b.ini, csv)          # idempotent re-run
    assert r.returncode == 0, r.stderr
    gkey = secrets.token_bytes(32)
    gk = tmp_path / "gk"
    gk.write_text(gkey.hex() + "\n")
    os.chmod(gk, 0o600)
    r = w.m2m("mef", "group", "add", "--config", w.a.ini, "--group-id", "fleet1", "--group-key-file", gk,
              "--kpm-prefix", "fl-", "--enrolee-template", "Cfl-{id}", "--target", "/id-in")
    assert r.returncode == 0, r.stderr
    member = "fl-7@" + FQDN
    mk = tmp_path / "member.kpm"
    mk.write_text(hmac.new(gkey, member.encode(), hashlib.sha256).hexdigest() + "\n")
    os.chmod(mk, 0o600)
    r = w.b.enrol(member, mk, tmp_path / "member")
    assert r.returncode == 0, r.stderr
    rsc, body = w.a.fetch(r.stdout.strip())
    assert rsc == "2000" and json.loads(body)["sec:fetchCredRsp"]["enroleeID"] == "Cfl-7", body
    prof = tmp_path / "prof.json"
    prof.write_text('{"sec:secProfile": {"SUIDs": [22], "lifetime": 3600}}')
    r = w.m2m("mef", "profile", "set", "--config", w.a.ini, "--cse-id", "/id-in", "--file", prof)
    assert r.returncode == 0, r.stderr
    r = w.m2m("mef", "profile", "show", "--config", w.b.ini, "--cse-id", "/id-in")
    assert r.returncode == 0 and "3600" in r.stdout, r.stderr
    r = w.m2m("ca", "crl", "--dir", w.c.path("ca"), "--out", tmp_path / "crl.pem", "--store", w.uri)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "crl.pem").read_text().startswith("-----BEGIN X509 CRL-----")
    assert w.pg.password not in r.stdout + r.stderr


def test_newer_schema_refused(world):
    w = world
    uri = w.pg.create_db("newer")
    w.pg.psql("CREATE TABLE m2m_schema_migrations (component text NOT NULL, version integer NOT NULL,"
              " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version));"
              " INSERT INTO m2m_schema_migrations (component, version) VALUES ('mefstore', 1), ('mefstore', 2)",
              db="newer")
    m = Mef(w, "mefNewer", uri)
    proc = m.run()
    assert proc.wait(timeout=60) != 0
    err = open(m.err).read()
    assert "unknown schema version" in err, err
    assert w.pg.password not in err
    # nothing was created in the newer database
    assert w.pg.psql("SELECT to_regclass('enrolee') IS NULL", db="newer") == "t"


def test_wrong_password_error_shows_no_password(world):
    w = world
    bad_pw = "Wrong" + secrets.token_hex(8)
    bad = w.uri.replace(":%s@" % w.pg.password, ":%s@" % bad_pw)
    assert bad != w.uri
    m = Mef(w, "mefBadPw", bad)
    proc = m.run()
    assert proc.wait(timeout=60) != 0
    err = open(m.err).read()
    log = open(m.log).read() if os.path.exists(m.log) else ""
    assert "store" in err, err
    for text in (err, log):
        assert bad_pw not in text and w.pg.password not in text
    r = w.m2m("mef", "enrolee", "list", "--config", m.ini)
    assert r.returncode != 0
    assert "***" in r.stderr, r.stderr
    assert bad_pw not in r.stderr + r.stdout and w.pg.password not in r.stderr + r.stdout
