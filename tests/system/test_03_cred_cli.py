# SPDX-License-Identifier: Apache-2.0
"""System tests of `m2msec cred add|list|show|revoke` (the credential store, docs/credstore.md).

Black box: the real binary against a store in a temporary directory. Keys and the certificate
are generated at run time. Checks the CLI contract (exit 0/1/2, one-line "m2msec: " errors),
that key bytes never appear in list/show output or on stderr, and with Python's sqlite3 that
the database is mode 0600 and in WAL mode.
"""
import datetime
import json
import os
import secrets
import sqlite3
import stat
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

KPSAID = "Kpsa-1@sp.example.com"
KEID_LOWER = "00112233445566778899aabbccddeeff@MEF.example.com"
KEID = "00112233445566778899AABBCCDDEEFF@mef.example.com"
KMID = "km-1@maf.example.com"
KCID = "FFEEDDCCBBAA99887766554433221100@maf.example.com"
KPMID = "kpm-1@mef.example.com"


@pytest.fixture
def store(tmp_path):
    return str(tmp_path / "creds.db")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def assert_error_line(p, code, *needles):
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("m2msec: "), p.stderr
    for n in needles:
        assert n in lines[0], p.stderr


class Secrets:
    """Every key hex this test hands to or receives from the binary."""

    def __init__(self):
        self.keys = []

    def new(self, n=32):
        k = secrets.token_hex(n)
        self.keys.append(k)
        return k

    def assert_absent(self, *texts):
        for t in texts:
            low = t.lower()
            for k in self.keys:
                assert k.lower() not in low, "key bytes leaked into output"


def add_all(run, store, tmp_path, sec):
    """Add one record of each symmetric kind through each key source; returns outputs seen."""
    seen = []
    k1 = sec.new()
    p = run("cred", "add", "--store", store, "--kind", "kpsa", "--id", KPSAID, "--key", k1,
            "--owner", "/cse-mn1", "--target", "//sp.example.com/cse-in", "--target", "Cae1",
            "--suid", "12", "--not-after", "2999-01-01T00:00:00Z")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "" and p.stderr == ""  # silent on success
    seen += [p.stdout, p.stderr]

    k2 = sec.new()
    p = run("cred", "add", "--store", store, "--kind", "ke", "--id", KEID_LOWER, "--key", "-",
            input=k2 + "\n")
    assert p.returncode == 0, p.stderr
    seen += [p.stdout, p.stderr]

    kf = tmp_path / "km.hex"
    k3 = sec.new(16)
    kf.write_text(k3 + "\n")
    os.chmod(kf, 0o600)
    p = run("cred", "add", "--store", store, "--kind", "km", "--id", KMID.upper(), "--key-file", kf)
    assert p.returncode == 0, p.stderr
    seen += [p.stdout, p.stderr]

    p = run("cred", "add", "--store", store, "--kind", "kc", "--id", KCID, "--generate")
    assert p.returncode == 0, p.stderr
    gen = p.stdout.strip()
    assert len(gen) == 64 and all(c in "0123456789abcdef" for c in gen)
    assert p.stdout == gen + "\n"  # the key, once, and nothing else
    sec.keys.append(gen)
    seen.append(p.stderr)

    # not yet valid and already expired records
    p = run("cred", "add", "--store", store, "--kind", "kpm", "--id", KPMID, "--key", sec.new(),
            "--not-before", "4000000000")
    assert p.returncode == 0, p.stderr
    p = run("cred", "add", "--store", store, "--kind", "kpsa", "--id", "old@sp.example.com",
            "--key", sec.new(), "--not-before", "1000", "--not-after", "2000-01-01T00:00:00Z")
    assert p.returncode == 0, p.stderr
    seen += [p.stdout, p.stderr]
    return seen


def test_add_list_show_revoke(run, store, tmp_path):
    sec = Secrets()
    seen = add_all(run, store, tmp_path, sec)

    p = run("cred", "list", "--store", store, "--json")
    assert p.returncode == 0, p.stderr
    seen += [p.stdout, p.stderr]
    recs = {r["id"]: r for r in json.loads(p.stdout)}
    assert set(recs) == {KPSAID, KEID, KMID, KCID, KPMID, "old@sp.example.com"}
    assert recs[KPSAID]["kind"] == "kpsa"
    assert recs[KPSAID]["state"] == "active"
    assert recs[KPSAID]["suid"] == 12
    assert recs[KPSAID]["owner"] == "/cse-mn1"
    assert recs[KPSAID]["targets"] == ["//sp.example.com/cse-in", "Cae1"]
    assert recs[KPSAID]["not_after"] == 32472144000
    assert recs[KEID]["kind"] == "ke" and recs[KEID]["state"] == "active"
    assert recs[KMID]["kind"] == "km"
    assert recs[KPMID]["state"] == "not-yet-valid"
    assert recs["old@sp.example.com"]["state"] == "expired"
    assert recs["old@sp.example.com"]["not_before"] == 1000
    assert recs["old@sp.example.com"]["not_after"] == 946684800
    for r in recs.values():
        assert set(r) == {"kind", "id", "state", "owner", "targets", "suid", "not_before",
                          "not_after", "revoked_at", "created_at", "last_used"}

    p = run("cred", "list", "--store", store, "--kind", "kpsa", "--json")
    assert p.returncode == 0
    assert sorted(r["id"] for r in json.loads(p.stdout)) == sorted([KPSAID, "old@sp.example.com"])

    p = run("cred", "list", "--store", store)
    assert p.returncode == 0
    seen += [p.stdout, p.stderr]
    lines = p.stdout.splitlines()
    assert lines[0].split()[:3] == ["KIND", "STATE", "SUID"]
    assert len(lines) == 7
    assert any(KEID in ln and "active" in ln for ln in lines)

    # show accepts any spelling of an identifier that the standard treats as equal
    p = run("cred", "show", "--store", store, "--id", KEID_LOWER, "--json")
    assert p.returncode == 0, p.stderr
    seen += [p.stdout, p.stderr]
    assert json.loads(p.stdout)["id"] == KEID

    p = run("cred", "revoke", "--store", store, "--id", KPSAID)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == ""
    p = run("cred", "show", "--store", store, "--id", KPSAID, "--json")
    assert p.returncode == 0
    seen += [p.stdout, p.stderr]
    rec = json.loads(p.stdout)
    assert rec["state"] == "revoked"
    assert isinstance(rec["revoked_at"], int) and rec["revoked_at"] > 0
    p = run("cred", "show", "--store", store, "--id", KPSAID)
    assert p.returncode == 0
    seen += [p.stdout, p.stderr]
    assert "state:       revoked" in p.stdout

    sec.assert_absent(*seen)


def test_show_unknown_id(run, store, tmp_path):
    add_all(run, store, tmp_path, Secrets())
    p = run("cred", "show", "--store", store, "--id", "nobody@sp.example.com")
    assert p.returncode == 1
    assert p.stderr.strip() == "m2msec: cred show: not found"
    # KpsaID relative parts are case-sensitive: another spelling is another key
    p = run("cred", "show", "--store", store, "--id", KPSAID.lower())
    assert p.returncode == 1
    p = run("cred", "revoke", "--store", store, "--id", "nobody@sp.example.com")
    assert_error_line(p, 1, "not found")


def test_store_file_mode_and_wal(run, store, m2msec_bin):
    key = secrets.token_hex(32)
    # even with umask 0 the database is created 0600
    p = subprocess.run([m2msec_bin, "cred", "add", "--store", store, "--kind", "kpsa", "--id",
                        KPSAID, "--key", key], capture_output=True, text=True, timeout=60,
                       preexec_fn=lambda: os.umask(0))
    assert p.returncode == 0, p.stderr
    assert mode(store) == 0o600
    db = sqlite3.connect(store)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version FROM m2m_schema WHERE component = 'credstore'").fetchone()[0] == 2  # schema 2: cred.attrs (docs/credstore.md)
        row = db.execute("SELECT kind, state FROM cred WHERE id = ?", (KPSAID,)).fetchone()
        assert row == ("kpsa", "active")
        # while a connection is open the WAL companions exist, with the database's mode
        for sfx in ("-wal", "-shm"):
            assert os.path.exists(store + sfx)
            assert mode(store + sfx) == 0o600, sfx
    finally:
        db.close()


def test_loose_store_mode_refused(run, store):
    p = run("cred", "add", "--store", store, "--kind", "kpsa", "--id", KPSAID, "--key",
            secrets.token_hex(32))
    assert p.returncode == 0
    os.chmod(store, 0o644)
    for args in (("list",), ("show", "--id", KPSAID), ("revoke", "--id", KPSAID)):
        p = run("cred", *args, "--store", store)
        assert_error_line(p, 1, "permissions")
    p = run("cred", "add", "--store", store, "--kind", "kc", "--id", KCID, "--generate")
    assert_error_line(p, 1, "permissions")
    assert p.stdout == ""  # no key is printed when nothing was stored
    os.chmod(store, 0o600)
    p = run("cred", "list", "--store", store)
    assert p.returncode == 0


def test_key_file_must_be_private(run, store, tmp_path):
    key = secrets.token_hex(32)
    kf = tmp_path / "k.hex"
    kf.write_text(key)
    os.chmod(kf, 0o644)
    p = run("cred", "add", "--store", store, "--kind", "kpsa", "--id", KPSAID, "--key-file", kf)
    assert_error_line(p, 1, "permissions")
    assert key not in p.stderr
    os.chmod(kf, 0o600)
    p = run("cred", "add", "--store", store, "--kind", "kpsa", "--id", KPSAID, "--key-file", kf)
    assert p.returncode == 0, p.stderr


def make_cert(not_before, not_after):
    k = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cse-in.sp.example.com")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(k.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .sign(k, hashes.SHA256()))
    return cert


def test_certificate_record(run, store, tmp_path):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    cert = make_cert(now - datetime.timedelta(days=1), now + datetime.timedelta(days=30))
    pem = tmp_path / "cert.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    fp = cert.fingerprint(hashes.SHA256()).hex().upper()
    p = run("cred", "add", "--store", store, "--kind", "cert", "--cert", pem,
            "--owner", "//sp.example.com/cse-in")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == fp  # the computed identifier is printed when --id is omitted
    p = run("cred", "show", "--store", store, "--id", fp.lower(), "--json")
    assert p.returncode == 0, p.stderr
    rec = json.loads(p.stdout)
    assert rec["kind"] == "cert" and rec["id"] == fp and rec["state"] == "active"
    assert rec["not_before"] == int((now - datetime.timedelta(days=1)).timestamp())
    assert rec["not_after"] == int((now + datetime.timedelta(days=30)).timestamp())
    # the same certificate again, and a wrong --id, are refused
    p = run("cred", "add", "--store", store, "--kind", "cert", "--cert", pem)
    assert_error_line(p, 1, "already exists")
    p = run("cred", "add", "--store", store, "--kind", "cert", "--cert", pem, "--id", "AB" * 32)
    assert p.returncode == 2
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    p = run("cred", "add", "--store", store, "--kind", "cert", "--cert", bad)
    assert_error_line(p, 2, "certificate")


@pytest.mark.parametrize("args, needle", [
    (("--kind", "kpsa", "--id", "no-at-sign", "--key", "00" * 32), "identifier"),
    (("--kind", "ke", "--id", "0011@mef.example.com", "--key", "00" * 32), "identifier"),
    (("--kind", "kpsa", "--id", KPSAID, "--key", "0011"), "length"),
    (("--kind", "ke", "--id", KEID, "--key", "00" * 16), "length"),
    (("--kind", "kpsa", "--id", KPSAID, "--key", "zz" * 32), "hex"),
    (("--kind", "bogus", "--id", KPSAID, "--generate"), "--kind"),
    (("--kind", "kpsa", "--id", KPSAID), "exactly one"),
    (("--kind", "kpsa", "--id", KPSAID, "--generate", "--key", "00" * 32), "exactly one"),
    (("--kind", "kpsa", "--id", KPSAID, "--generate", "--not-after", "2024-02-30T00:00:00Z"), "--not-after"),
    (("--kind", "kpsa", "--id", KPSAID, "--generate", "--not-before", "yesterday"), "--not-before"),
    (("--kind", "kpsa", "--id", KPSAID, "--generate", "--not-before", "20", "--not-after", "10"), "range"),
    (("--kind", "kpsa", "--id", KPSAID, "--generate", "--suid", "99"), "enumeration"),
    (("--kind", "kpsa", "--id", KPSAID, "--generate", "--target", "not a target"), "identifier"),
    (("--kind", "kpsa", "--id", KPSAID, "--generate", "--frobnicate"), "unknown option"),
])
def test_bad_input_exit_2(run, store, args, needle):
    p = run("cred", "add", "--store", store, *args)
    assert_error_line(p, 2, needle)
    assert p.stdout == ""  # nothing stored, so no generated key printed
    # and nothing was stored
    if os.path.exists(store):
        p = run("cred", "list", "--store", store, "--json")
        assert json.loads(p.stdout) == []


def test_usage_and_help(run, store):
    for sub in ("add", "list", "show", "revoke"):
        p = run("cred", sub, "--help")
        assert p.returncode == 0 and p.stdout.startswith("usage: m2msec cred " + sub)
    p = run("cred", "--help")
    assert p.returncode == 0 and "usage: m2msec cred" in p.stdout
    p = run("cred")
    assert p.returncode == 2
    p = run("cred", "frob")
    assert_error_line(p, 2, "unknown subcommand")
    p = run("cred", "list")
    assert_error_line(p, 2, "--store")
    p = run("cred", "show", "--store", store)
    assert_error_line(p, 2, "--id")
    p = run("cred", "list", "--store", store)
    assert_error_line(p, 1, "no credential store")
    assert not os.path.exists(store)  # reading never creates a store
