# SPDX-License-Identifier: Apache-2.0
"""Start a real `m2msec cse` on loopback with a freshly generated PKI and PSKs, and talk to it
with independent clients: `openssl s_client -psk` for TLS-PSK, Python `requests` for
certificates, raw sockets for plain HTTP. Nothing here is committed key material: every key and
certificate is generated in a temporary directory at run time."""
import datetime
import os
import re
import secrets
import socket
import subprocess
import time

import requests
from requests.adapters import HTTPAdapter

import pg_harness

SP = "sp.example.com"
CSE_HOST = "id-in." + SP


_GIVEN = set()


def free_port():
    """A loopback port free now and never handed out before by this process: two picks in a row
    may otherwise get the same ephemeral port back (the first is not bound until its service
    starts), and two services of one test would then collide."""
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


def wait_port(port, proc, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("m2msec cse exited early: rc=%s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("m2msec cse did not open port %d" % port)


def parse_http(raw):
    """Parse one HTTP/1.1 response -> (status, headers(dict, lowercase names), body str)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0]) if lines else None
    if not m:
        raise AssertionError("no HTTP response in %r" % raw[:200])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", len(body)))
    return int(m.group(1)), headers, body[:n].decode("utf-8", "replace")


def build_request(method, path, headers, body=None):
    hdr = {"Host": CSE_HOST, "Connection": "close"}
    hdr.update(headers)
    data = body.encode() if isinstance(body, str) else (body or b"")
    if body is not None:
        hdr["Content-Length"] = str(len(data))
    req = "%s %s HTTP/1.1\r\n" % (method, path)
    req += "".join("%s: %s\r\n" % (k, v) for k, v in hdr.items()) + "\r\n"
    return req.encode() + data


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def rsc(self):
        v = self.headers.get("x-m2m-rsc")
        return int(v) if v else None

    def json(self):
        import json
        return json.loads(self.body)

    def __repr__(self):
        return "Reply(%d, rsc=%s, %s)" % (self.status, self.rsc, self.body[:200])


_PG = None
_PG_DBS = 0


def store_location(tmp_dir):
    """The `store` of a CSE started by the tests: a SQLite file in its directory, or — with
    M2MSEC_TEST_STORE=pg (the PostgreSQL pass of scripts/test.sh) — a fresh database of the one
    PostgreSQL server of this test session (tests/system/pg_harness.py, stopped at exit)."""
    global _PG, _PG_DBS
    if os.environ.get("M2MSEC_TEST_STORE", "sqlite") != "pg":
        return os.path.join(tmp_dir, "cse.db")
    if _PG is None:
        import atexit
        _PG = pg_harness.PgServer().init().start()
        atexit.register(_PG.teardown)
    _PG_DBS += 1
    return _PG.create_db("cse%d" % _PG_DBS)


class Cse:
    def __init__(self, bin_path, tmp):
        self.bin, self.dir = bin_path, str(tmp)
        os.chmod(self.dir, 0o700)
        self.port = free_port()
        self.http_port = free_port()
        self.proc = None
        self.store = store_location(self.dir)
        self.psks = {}  # identity -> (hex key, bound)
        self.log = os.path.join(self.dir, "cse.log")

    # ---- PKI -------------------------------------------------------------------------------
    def m2m(self, *args, check=True, input=None):
        r = subprocess.run([self.bin, *args], capture_output=True, text=True, timeout=60, input=input)
        if check and r.returncode != 0:
            raise AssertionError("m2msec %s failed: %s" % (" ".join(args), r.stderr))
        return r

    def path(self, name):
        return os.path.join(self.dir, name)

    def setup_pki(self):
        self.m2m("ca", "init", "--dir", self.path("ca"), "--name", "test CA", "--permit", SP)
        self.m2m("ca", "issue", "--dir", self.path("ca"), "--san", CSE_HOST, "--out", self.path("server"))

    def issue(self, name, san):
        self.m2m("ca", "issue", "--dir", self.path("ca"), "--san", san, "--out", self.path(name))
        return self.path(name + ".crt"), self.path(name + ".key")

    def add_psk(self, identity, bound):
        self.psks[identity] = (secrets.token_hex(32), bound)
        return self.psks[identity][0]

    # ---- process ---------------------------------------------------------------------------
    def start(self, extra=""):
        with open(self.path("psk.txt"), "w") as f:
            for ident, (key, bound) in self.psks.items():
                f.write("%s %s %s\n" % (ident, key, bound))
        os.chmod(self.path("psk.txt"), 0o600)
        ini = ("cse-id = %s\nname = %s\nsp-id = //%s\nstore = %s\n"
               "https-listen = 127.0.0.1:%d\nhttp-listen = 127.0.0.1:%d\n"
               "cert = %s\nkey = %s\ntrust-anchors = %s\npsk-file = %s\nthreads = %d\n"
               "log-file = %s\nlog-level = debug\n%s") % (
            getattr(self, "cse_id", "/id-in"), getattr(self, "cse_name", "cse-in"),
            getattr(self, "sp_id", SP), self.store, self.port, self.http_port, self.path("server.crt"),
            self.path("server.key"), getattr(self, "trust_anchors", self.path("ca/ca.crt")), self.path("psk.txt"),
            getattr(self, "threads", 2),
            self.log, extra)
        with open(self.path("cse.ini"), "w") as f:
            f.write(ini)
        # wrap: a command that execs the CSE (test_72: the unit's system-call filter)
        self.proc = subprocess.Popen([*getattr(self, "wrap", []), self.bin, "cse", "--config", self.path("cse.ini")],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=getattr(self, "env", None))
        wait_port(self.port, self.proc)
        wait_port(self.http_port, self.proc)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # ---- clients ---------------------------------------------------------------------------
    def psk_raw(self, raw, identity, key=None, extra_args=()):
        """Send raw bytes over TLS-PSK with openssl s_client; returns (rc, stdout bytes)."""
        key = key if key is not None else self.psks[identity][0]
        cmd = ["openssl", "s_client", "-quiet", "-tls1_2", "-psk", key, "-psk_identity", identity,
               "-cipher", "PSK-AES128-CBC-SHA256", "-connect", "127.0.0.1:%d" % self.port,
               "-servername", CSE_HOST, *extra_args]
        r = subprocess.run(cmd, input=raw, capture_output=True, timeout=30)
        return r.returncode, r.stdout

    def psk(self, method, path, origin, identity, body=None, ty=None, key=None, headers=None, rqi="rq1"):
        h = {"X-M2M-RI": rqi, "X-M2M-RVI": "3"}
        if origin is not None:
            h["X-M2M-Origin"] = origin
        if ty is not None:
            h["Content-Type"] = "application/json;ty=%d" % ty
        elif body is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        rc, out = self.psk_raw(build_request(method, path, h, body), identity, key)
        if not out:
            return None  # handshake refused / no response
        return Reply(*parse_http(out))

    def plain(self, method, path, origin, body=None, ty=None, headers=None, rqi="rq1"):
        h = {"X-M2M-RI": rqi, "X-M2M-RVI": "3"}
        if origin is not None:
            h["X-M2M-Origin"] = origin
        if ty is not None:
            h["Content-Type"] = "application/json;ty=%d" % ty
        elif body is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        with socket.create_connection(("127.0.0.1", self.http_port), timeout=10) as s:
            s.sendall(build_request(method, path, h, body))
            buf = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        return Reply(*parse_http(buf))

    def cert_session(self, crt, key):
        s = requests.Session()
        s.mount("https://", _PinnedHostAdapter(CSE_HOST))
        s.cert = (crt, key)
        s.verify = self.path("ca/ca.crt")
        return s

    def cert(self, session, method, path, origin, body=None, ty=None, headers=None):
        h = {"X-M2M-RI": "rq1", "X-M2M-RVI": "3"}
        if origin is not None:
            h["X-M2M-Origin"] = origin
        if ty is not None:
            h["Content-Type"] = "application/json;ty=%d" % ty
        h.update(headers or {})
        # verify= per request: requests lets $REQUESTS_CA_BUNDLE override a Session's verify.
        r = session.request(method, "https://127.0.0.1:%d%s" % (self.port, path), headers=h,
                            data=body, timeout=15, verify=self.path("ca/ca.crt"))
        return Reply(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.text)


class _PinnedHostAdapter(HTTPAdapter):
    """Verify the server certificate against a fixed host name while connecting to 127.0.0.1."""

    def __init__(self, host, **kw):
        self._host = host
        super().__init__(**kw)

    def init_poolmanager(self, *a, **kw):
        kw["assert_hostname"] = self._host
        kw["server_hostname"] = self._host
        return super().init_poolmanager(*a, **kw)


def make_cert_with_cryptography(ca_dir, out_prefix, san_uri=None, san_dns=None, expired=False,
                                self_signed=False, rsa=False, client_eku=True):
    """An independent certificate factory (python3-cryptography) for negative cases: expired,
    self-signed, RSA, wrong extendedKeyUsage."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa as rsamod
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsamod.generate_private_key(65537, 2048) if rsa else ec.generate_private_key(ec.SECP256R1())
    with open(os.path.join(ca_dir, "ca.key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    with open(os.path.join(ca_dir, "ca.crt"), "rb") as f:
        ca_crt = x509.load_pem_x509_certificate(f.read())
    now = datetime.datetime.utcnow()
    nb, na = (now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)) if expired else \
        (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=30))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    issuer = subject if self_signed else ca_crt.subject
    names = []
    if san_uri:
        names.append(x509.UniformResourceIdentifier(san_uri))
    if san_dns:
        names.append(x509.DNSName(san_dns))
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                        critical=True))
    eku = [ExtendedKeyUsageOID.CLIENT_AUTH] if client_eku else [ExtendedKeyUsageOID.SERVER_AUTH]
    b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if names:
        b = b.add_extension(x509.SubjectAlternativeName(names), critical=False)
    crt = b.sign(key if self_signed else ca_key, hashes.SHA256())
    with open(out_prefix + ".crt", "wb") as f:
        f.write(crt.public_bytes(serialization.Encoding.PEM))
    fd = os.open(out_prefix + ".key", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return out_prefix + ".crt", out_prefix + ".key"
