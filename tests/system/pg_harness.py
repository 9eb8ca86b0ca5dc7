# SPDX-License-Identifier: Apache-2.0
"""A real, throw-away PostgreSQL server for the tests of the PostgreSQL stores (no mocks):
`initdb` + `pg_ctl` from Debian's postgresql-15 in a temporary directory, listening on a free
loopback port and on a Unix socket inside that directory, with a password-protected role (so the
tests can check that the password never reaches a log). As root, the server runs as the
`postgres` system user (`runuser -u postgres --`); the directory is removed on teardown, always.

As a script it wraps one command (ctest's PostgreSQL pass of the unit tests, scripts/test.sh):
    pg_harness.py run -- CMD ARGS...   start a server, run CMD with M2MSEC_TEST_PG_URI set to a
                                       fresh database's URI, stop the server, exit with CMD's code
"""
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time

PG_BIN = os.environ.get("M2MSEC_PG_BIN", "/usr/lib/postgresql/15/bin")
USER = "m2msec"


def available():
    return os.access(os.path.join(PG_BIN, "initdb"), os.X_OK) and os.access(
        os.path.join(PG_BIN, "pg_ctl"), os.X_OK)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PgServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="m2msec-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.port = _free_port()
        self.password = secrets.token_urlsafe(18)
        self.running = False
        self.as_root = os.geteuid() == 0
        if self.as_root:
            # the server refuses to run as root: the postgres system user owns its directory
            subprocess.run(["chown", "postgres:postgres", self.dir], check=True)
        os.chmod(self.dir, 0o700)

    def _cmd(self, *args):
        return (["runuser", "-u", "postgres", "--"] if self.as_root else []) + list(args)

    def _run(self, *args, check=True):
        r = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError("%s failed: %s%s" % (args[0], r.stdout, r.stderr))
        return r

    def init(self):
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if self.as_root:
            subprocess.run(["chown", "postgres:postgres", pwfile], check=True)
        os.chmod(pwfile, 0o600)
        self._run(os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", USER, "--pwfile", pwfile, "-E", "UTF8",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync")
        os.unlink(pwfile)
        return self

    def start(self):
        opts = "-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=60" % (self.port, self.dir)
        self._run(os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", self.log, "-o", opts, "-w", "-t", "60",
                  "start")
        self.running = True
        return self

    def stop(self, mode="fast"):
        if self.running:
            self._run(os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "60", "stop",
                      check=False)
            self.running = False

    def teardown(self):
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def uri(self, db="postgres"):
        return "postgresql://%s:%s@127.0.0.1:%d/%s" % (USER, self.password, self.port, db)

    def psql(self, sql, db="postgres"):
        """Run sql through the Unix socket as the superuser role; returns stdout (rows, | separated)."""
        r = self._run("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-p",
                      str(self.port), "-U", USER, "-d", db, "-c", sql)
        return r.stdout.strip()

    def create_db(self, name):
        self.psql('CREATE DATABASE "%s"' % name, db="postgres")
        return self.uri(name)

    def __enter__(self):
        try:
            return self.init().start()
        except BaseException:
            self.teardown()
            raise

    def __exit__(self, *exc):
        self.teardown()


def main(argv):
    if len(argv) < 3 or argv[1] != "run" or "--" not in argv:
        sys.stderr.write("usage: pg_harness.py run -- CMD ARGS...\n")
        return 2
    cmd = argv[argv.index("--") + 1:]
    with PgServer() as pg:
        env = dict(os.environ, M2MSEC_TEST_PG_URI=pg.create_db("unit"))
        return subprocess.run(cmd, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
