# SPDX-License-Identifier: Apache-2.0
"""System tests of `m2msec key derive|split` (TS-0003 clause 10.3): the real binary against
Python's hmac/hashlib/unicodedata computed here, the error contract (exit 2, one line, no key
material on stderr) and the secret-input paths (--ke -, --ke-file with 0600 only)."""
import hashlib
import hmac
import json
import os
import secrets
import unicodedata

import pytest

LABEL_KM = b"oneM2M Enrolment Key to Master Credential derivation"
LABEL_KPSA = b"oneM2M Enrolment Key to Provisioned Secure Connection Key derivation"
LABEL_UCSK = b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"
LABEL_SESSION = b"oneM2M HMAC-SHA256 sessionESPrimKey derivation algorithm"
E2E = [("ke2e_msg_auth", b"E2E Message Authentication Key"),
       ("ke2e_msg_conf", b"E2E Message Confidentiality Key"),
       ("ke2e_att_auth", b"E2E Attribute Authenticity Key"),
       ("ke2e_att_conf", b"E2E Attribute Confidentiality Key")]

IDS = ["maf.example.com", "MAF1.example.com", "//sp.example.com/cse-in", "Cae-01",
       "\uff2d\uff21\uff26\uff11.example.com",        # full-width
       "\ufb01rmware.example.com",                     # ligature fi
       "cafe\u0301.example.com",                       # e + combining acute
       "\u00e9t\u00e9-maf.example.org"]
SUIDS = [10, 12, 21, 22, 23, 24, 25, 32, 33, 34, 35, 40, 45]


def h(key, msg):
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def nfkc(s):
    return unicodedata.normalize("NFKC", s).encode("utf-8")


def ok(res):
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    return res.stdout


def assert_usage_error(res, ke_hex, what="key derive km"):
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("m2msec: %s: " % what), lines[0]
    if ke_hex:
        assert ke_hex.lower() not in res.stderr.lower()
        assert ke_hex[:16].lower() not in res.stderr.lower()


@pytest.mark.parametrize("ident", IDS)
def test_km_kpsa_match_python(run, ident):
    for _ in range(3):
        ke = secrets.token_bytes(32)
        out = ok(run("key", "derive", "km", "--ke", ke.hex(), "--maf-id", ident))
        assert out == h(ke, LABEL_KM + nfkc(ident)) + "\n"
        out = ok(run("key", "derive", "kpsa", "--ke", ke.hex().upper(), "--enrolee-id", ident))
        assert out == h(ke, LABEL_KPSA + nfkc(ident)) + "\n"


def test_nfkc_forms_give_same_km(run):
    ke = secrets.token_hex(32)
    a = ok(run("key", "derive", "km", "--ke", ke, "--maf-id", "\uff2d\uff21\uff26\uff11.example.com"))
    b = ok(run("key", "derive", "km", "--ke", ke, "--maf-id", "MAF1.example.com"))
    c = ok(run("key", "derive", "km", "--ke", ke, "--maf-id", "maf1.example.com"))
    assert a == b != c


@pytest.mark.parametrize("suid", SUIDS)
def test_ucsk_match_python(run, suid):
    ke = secrets.token_bytes(32)
    for target in ("mn-cse.sp.example.com", "\uff2d\uff2e.example.com"):
        out = ok(run("key", "derive", "ucsk", "--ke", ke.hex(), "--suid", suid, "--target", target))
        assert out == h(ke, LABEL_UCSK + str(suid).encode() + nfkc(target)) + "\n"


def test_session_esprim_match_python(run):
    for klen in (16, 32, 64):
        key, rcv, orig = secrets.token_bytes(klen), secrets.token_bytes(16), secrets.token_bytes(16)
        out = ok(run("key", "derive", "session-esprim", "--key", key.hex(), "--rcv-rand", rcv.hex(),
                     "--orig-rand", orig.hex()))
        assert out == h(key, rcv + orig + LABEL_SESSION) + "\n"


@pytest.mark.parametrize("salt", [None, b"\x01" * 32, b"salt-of-13-by"])
def test_e2e_match_python(run, salt):
    kpsa = secrets.token_bytes(32)
    args = ["key", "derive", "e2e", "--kpsa", kpsa.hex()]
    if salt is not None:
        args += ["--salt", salt.hex()]
    got = json.loads(ok(run(*args)))
    master = bytes.fromhex(h(salt if salt else bytes(32), kpsa))
    t = b""
    assert sorted(got) == sorted(name for name, _ in E2E)
    for i, (name, label) in enumerate(E2E, start=1):
        t = bytes.fromhex(h(master, t + label + bytes([i])))
        assert got[name] == t.hex()


@pytest.mark.parametrize("gba_u", [False, True])
def test_gba_naf_match_python(run, gba_u):
    ks, rand = secrets.token_bytes(32), secrets.token_bytes(16)
    impi, naf = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org", b"maf.example.com\x01\x00\x00\x00\x02"

    def p(x):
        return x + len(x).to_bytes(2, "big")
    s = b"\x01" + p(b"gba-u" if gba_u else b"gba-me") + p(rand) + p(impi.encode()) + p(naf)
    args = ["key", "derive", "gba-naf", "--ks", ks.hex(), "--rand", rand.hex(), "--impi", impi,
            "--naf-id", naf.hex()] + (["--gba-u"] if gba_u else [])
    assert ok(run(*args)) == h(ks, s) + "\n"


def test_split_match_python(run):
    for fqdn in ("mef.example.com", "MAF.Example.com"):
        m = secrets.token_bytes(48)
        got = json.loads(ok(run("key", "split", "--exporter", m.hex(), "--fqdn", fqdn)))
        assert got == {"relative_id": m[:16].hex().upper(),
                       "key_id": m[:16].hex().upper() + "@" + fqdn.lower(),
                       "key": m[16:].hex()}


def test_stdin_key(run):
    ke = secrets.token_bytes(32)
    out = ok(run("key", "derive", "km", "--ke", "-", "--maf-id", "maf.example.com", input=ke.hex() + "\n"))
    assert out == h(ke, LABEL_KM + b"maf.example.com") + "\n"
    res = run("key", "derive", "km", "--ke", "-", "--maf-id", "maf.example.com", input="")
    assert res.returncode == 2


def test_ke_file_permissions(run, tmp_path):
    ke = secrets.token_bytes(32)
    path = tmp_path / "ke.hex"
    path.write_text(ke.hex() + "\n")
    os.chmod(path, 0o644)
    res = run("key", "derive", "km", "--ke-file", path, "--maf-id", "maf.example.com")
    assert res.returncode != 0
    assert res.stdout == ""
    assert ke.hex() not in res.stderr
    assert "0600" in res.stderr
    os.chmod(path, 0o600)
    out = ok(run("key", "derive", "km", "--ke-file", path, "--maf-id", "maf.example.com"))
    assert out == h(ke, LABEL_KM + b"maf.example.com") + "\n"
    # both a value and a file is ambiguous
    res = run("key", "derive", "km", "--ke", ke.hex(), "--ke-file", path, "--maf-id", "x")
    assert_usage_error(res, ke.hex())


def test_errors_exit_2_without_key_material(run):
    ke = secrets.token_hex(32)
    cases = [
        ["--ke", ke[:-1], "--maf-id", "maf.example.com"],            # odd length
        ["--ke", "zz" + ke[2:], "--maf-id", "maf.example.com"],       # not hex
        ["--ke", ke[:62], "--maf-id", "maf.example.com"],             # 31 bytes
        ["--ke", ke + "00", "--maf-id", "maf.example.com"],           # 33 bytes
        ["--ke", ke * 3, "--maf-id", "maf.example.com"],              # 96 bytes
        ["--ke", ke, "--maf-id", ""],                                  # empty ID
        ["--ke", ke, "--maf-id", "x" * 1025],                          # too long
        ["--ke", ke],                                                  # missing ID
        ["--maf-id", "maf.example.com"],                               # missing key
        ["--ke", ke, "--maf-id", "m", "--bogus=" + ke],                # unknown option
        ["--ke", ke, "--maf-id", "m", ke],                             # stray argument
        ["--ke", ke, "--maf-id", "m", "--enrolee-id", ke],             # option of another kind
    ]
    for args in cases:
        assert_usage_error(run("key", "derive", "km", *args), ke)
    res = run("key", "derive", "ucsk", "--ke", ke, "--suid", "31", "--target", "t.example.com")
    assert_usage_error(res, ke, "key derive ucsk")
    res = run("key", "derive", "ucsk", "--ke", ke, "--suid", "twenty", "--target", "t.example.com")
    assert_usage_error(res, ke, "key derive ucsk")
    res = run("key", "split", "--exporter", ke, "--fqdn", "mef.example.com")
    assert_usage_error(res, ke, "key split")
    res = run("key", "split", "--exporter", ke + ke[:32], "--fqdn", "*.example.com")
    assert_usage_error(res, ke, "key split")


def test_non_utf8_id(m2msec_bin):
    import subprocess
    ke = secrets.token_hex(32)
    res = subprocess.run([m2msec_bin, "key", "derive", "km", "--ke", ke, "--maf-id", b"caf\xc3"],
                         capture_output=True, timeout=60)
    assert res.returncode == 2
    assert res.stderr.decode().startswith("m2msec: key derive km: ")
    assert ke.encode() not in res.stderr


def test_help(run):
    for args in (["key", "--help"], ["key", "derive", "--help"], ["key", "split", "--help"],
                 ["key", "derive", "km", "--help"], ["key", "derive", "e2e", "-h"]):
        res = run(*args)
        assert res.returncode == 0
        assert res.stdout.startswith("usage: m2msec key")
    assert run("key").returncode == 2
    assert run("key", "derive", "nope").returncode == 2
