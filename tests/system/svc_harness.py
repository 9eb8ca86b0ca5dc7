# SPDX-License-Identifier: Apache-2.0
"""What the black-box tests of the HTTPS-only services (`m2msec mef`, test_22_mef_service.py;
`m2msec maf`, test_30_maf_service.py) drive alike: the service process on loopback with its [mef] or
[maf] section, its operator command, its JSON log and audit lines; a TLS-PSK handshake plus one
request by `openssl s_client` with the RFC 5705 exporter (TS-0003 clause 10.3.1); a request over
mutual certificates; the test CA; and the kill -9 check of concurrent requests (only a complete
2001 counts as answered, the store passes its integrity check)."""
import json
import os
import re
import signal
import sqlite3
import subprocess
import time

from cse_harness import Cse, free_port, parse_http, wait_port


class Svc:
    """A service process; subclasses set name ("mef"/"maf"), fqdn and clean_stop (a SIGTERM stop
    must exit 0 with nothing from a sanitizer on stderr)."""
    name = fqdn = None
    clean_stop = False

    def __init__(self, c, extra="", cert="server"):
        self.c, self.port, self.proc = c, free_port(), None
        self.ini = c.path("%s.ini" % self.name)
        self.log = c.path("%s.log" % self.name)
        with open(self.ini, "w") as f:
            f.write("[%s]\n%s-fqdn = %s\nhttps-listen = 127.0.0.1:%d\nstore = %s\ncert = %s\nkey = %s\n"
                    "log-file = %s\nthreads = 2\nsp-id = sp.example.com\ntrust-anchors = %s\n%s" % (
                        self.name, self.name, self.fqdn, self.port, c.path("%s.db" % self.name),
                        c.path(cert + ".crt"), c.path(cert + ".key"), self.log, c.path("ca/ca.crt"), extra))

    def start(self):
        self.proc = subprocess.Popen([self.c.bin, self.name, "--config", self.ini], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        wait_port(self.port, self.proc)
        return self

    def stop(self, sig=signal.SIGTERM):
        proc, self.proc = self.proc, None
        if proc and proc.poll() is None:
            proc.send_signal(sig)
            proc.wait(timeout=20)
            if self.clean_stop and sig == signal.SIGTERM:
                err = proc.stderr.read().decode(errors="replace")
                assert proc.returncode == 0 and "Sanitizer" not in err, err

    def m2m(self, *args, input=None):
        return subprocess.run([self.c.bin, self.name, *args], capture_output=True, text=True, timeout=60,
                              input=input)

    def key_file(self, prefix, key_id, key_hex):
        """key_hex in a file of mode 0600 named after key_id's name part (for --km-file/--kpm-file)."""
        kf = self.c.path("%s-%s" % (prefix, key_id.split("@")[0]))
        with open(kf, "w") as f:
            f.write(key_hex + "\n")
        os.chmod(kf, 0o600)
        return kf

    def log_lines(self):
        try:
            with open(self.log) as f:
                return [json.loads(ln) for ln in f if ln.strip()]
        except FileNotFoundError:
            return []

    def audits(self):
        return [ln for ln in self.log_lines() if ln.get("msg") == "%s audit" % self.name]


def psk_cmd(port, identity, key_hex):
    return ["openssl", "s_client", "-tls1_2", "-ign_eof", "-psk_identity", identity, "-psk", key_hex, "-cipher",
            "PSK-AES128-CBC-SHA256", "-connect", "127.0.0.1:%d" % port]


def psk_exported_call(port, identity, key_hex, exporter, raw):
    """One TLS-PSK handshake + one request, the 48 bytes of exporter label exporter exported.
    Returns (status, headers, body, exported material hex) or None when the handshake failed."""
    cmd = psk_cmd(port, identity, key_hex) + ["-keymatexport", exporter, "-keymatexportlen", "48"]
    r = subprocess.run(cmd, input=raw, capture_output=True, timeout=30)
    m = re.search(rb"Keying material: ([0-9A-Fa-f]+)", r.stdout)
    i = r.stdout.find(b"HTTP/1.1 ")
    if m is None or i < 0:
        return None
    status, headers, body = parse_http(r.stdout[i:])
    return status, headers, body, m.group(1).decode().upper()


def cert_request(svc, who, raw):
    """One request over mutual certificates (who: the file stem of the client's certificate)."""
    r = subprocess.run(["openssl", "s_client", "-quiet", "-CAfile", svc.c.path("ca/ca.crt"), "-cert",
                        svc.c.path(who + ".crt"), "-key", svc.c.path(who + ".key"), "-connect",
                        "127.0.0.1:%d" % svc.port], input=raw, capture_output=True, timeout=30)
    i = r.stdout.find(b"HTTP/1.1 ")
    assert i >= 0, r.stderr
    return parse_http(r.stdout[i:])


def make_pki(m2msec_bin, tmp_path, fqdn, certs):
    """A test CA for sp.example.com, the service's certificate "server" for fqdn and one per
    (stem, DNS SAN) in certs."""
    c = Cse(m2msec_bin, tmp_path)
    c.m2m("ca", "init", "--dir", c.path("ca"), "--name", "test CA", "--permit", "sp.example.com")
    c.m2m("ca", "issue", "--dir", c.path("ca"), "--san", fqdn, "--out", c.path("server"))
    for stem, san in certs:
        c.m2m("ca", "issue", "--dir", c.path("ca"), "--san", san, "--out", c.path(stem))
    return c


def start_concurrent(svc, keys, payload):
    """One TLS-PSK client a (identity, key) of keys, each sending payload(identity); not waited."""
    procs = []
    for kid, k in keys.items():
        p = subprocess.Popen(psk_cmd(svc.port, kid, k), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        p.stdin.write(payload(kid))
        p.stdin.close()
        procs.append((kid, p))
    return procs


def kill9_when_some_done(svc, procs, some):
    """kill -9 once `some` of procs finished (or after a 30 s bound, not a timing assertion)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and sum(p.poll() is not None for _, p in procs) < some:
        time.sleep(0.005)
    svc.stop(signal.SIGKILL)


def answered_2001(procs, resource, attr):
    """{identity: body[resource][attr]} of the complete 2001 answers: an answer the kill cut short
    (head and body travel in separate TLS records) was not received."""
    answered = {}
    for kid, p in procs:
        raw = p.stdout.read()
        p.wait(timeout=30)
        i = raw.find(b"HTTP/1.1 ")
        if i >= 0:
            _, h, body = parse_http(raw[i:])
            complete = len(body.encode()) == int(h.get("content-length", "-1"))
            if h.get("x-m2m-rsc") == "2001" and complete:
                answered[kid] = json.loads(body)[resource][attr]
    return answered


def assert_store_intact(path):
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
