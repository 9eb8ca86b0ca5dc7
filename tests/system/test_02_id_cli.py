# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of `m2msec id` (identifier parsing, TS-0003 clauses 10.3.4-10.6, 10.4, 12.2;
TS-0001 Table 7.2-1; TS-0004 clause 6.3.3; docs/identifiers.md).

Each valid identifier must print exactly one JSON object with the expected fields and exit 0; each
malformed one must exit 2 with one stderr line naming the specific M2M_E_ID_* code.
"""
import json
import re
import subprocess

import pytest

HEX = "0123456789abcdef0123456789ABCDEF"
HEXU = HEX.upper()

VALID = [
    # (kind or None, input, expected JSON object)
    (None, HEX + "@MEF.Example.com.",
     {"kind": "keid", "canonical": HEXU + "@mef.example.com", "relative": HEXU, "fqdn": "mef.example.com"}),
    ("kcid", "00112233445566778899aabbccddeeff@maf.example.com",
     {"kind": "kcid", "canonical": "00112233445566778899AABBCCDDEEFF@maf.example.com",
      "relative": "00112233445566778899AABBCCDDEEFF", "fqdn": "maf.example.com"}),
    (None, "kpsa_1.A-b@Issuer.example.com",
     {"kind": "kpsaid", "canonical": "kpsa_1.A-b@issuer.example.com", "relative": "kpsa_1.A-b",
      "fqdn": "issuer.example.com"}),
    ("kmid", "MyKm.01@MAF.Example.COM",
     {"kind": "kmid", "canonical": "mykm.01@maf.example.com", "relative": "mykm.01", "fqdn": "maf.example.com"}),
    ("role-id", "1234abcd@role-issuer.com",
     {"kind": "role-id", "canonical": "1234abcd@role-issuer.com", "relative": "1234abcd",
      "fqdn": "role-issuer.com"}),
    ("token-id", "Tok-1@Token-Issuer.com",
     {"kind": "token-id", "canonical": "Tok-1@token-issuer.com", "relative": "Tok-1", "fqdn": "token-issuer.com"}),
    (None, "10-thiskey@mymef.com",
     {"kind": "credential-id", "canonical": "10-thiskey@mymef.com", "relative": "thiskey@mymef.com",
      "cred_type": 10}),
    ("suid", "42", {"kind": "suid", "canonical": "42", "suid": 42}),
    (None, "/CSE090112",
     {"kind": "cse-id", "canonical": "/CSE090112", "form": "sp-relative", "cse": "CSE090112"}),
    ("cse-id", "//SP.Example.com/cse-in",
     {"kind": "cse-id", "canonical": "//sp.example.com/cse-in", "fqdn": "sp.example.com", "form": "absolute",
      "cse": "cse-in", "domain_name": "cse-in.sp.example.com"}),
    (None, "C190XX7T", {"kind": "ae-id", "canonical": "C190XX7T", "form": "cse-relative", "stem": "C190XX7T"}),
    ("ae-id", "S", {"kind": "ae-id", "canonical": "S", "form": "cse-relative", "stem": "S"}),
    (None, "/CSE090112/C190XX7T",
     {"kind": "ae-id", "canonical": "/CSE090112/C190XX7T", "form": "sp-relative", "cse": "CSE090112",
      "stem": "C190XX7T"}),
    (None, "/S190XX7T", {"kind": "ae-id", "canonical": "/S190XX7T", "form": "sp-relative", "stem": "S190XX7T"}),
    (None, "//m2m.prov.com/CSE3219/C9886",
     {"kind": "ae-id", "canonical": "//m2m.prov.com/CSE3219/C9886", "fqdn": "m2m.prov.com", "form": "absolute",
      "cse": "CSE3219", "stem": "C9886", "uri": "m2m://m2m.prov.com/CSE3219/C9886"}),
    (None, "//m2m.things.com/S98821",
     {"kind": "ae-id", "canonical": "//m2m.things.com/S98821", "fqdn": "m2m.things.com", "form": "absolute",
      "stem": "S98821", "uri": "m2m://m2m.things.com/S98821"}),
    (None, "//www.m2mprovider.com",
     {"kind": "sp-id", "canonical": "//www.m2mprovider.com", "fqdn": "www.m2mprovider.com", "form": "absolute"}),
    (None, "mef.example.com", {"kind": "fqdn", "canonical": "mef.example.com", "fqdn": "mef.example.com"}),
    ("fqdn", "Example.COM.", {"kind": "fqdn", "canonical": "example.com", "fqdn": "example.com"}),
]


def _args(kind, ident):
    # "--" ends the options, so an identifier starting with '-' is not taken for one
    return ["id", "parse"] + (["--kind", kind] if kind else []) + ["--", ident]


@pytest.mark.parametrize("kind,ident,want", VALID, ids=[v[1] for v in VALID])
def test_valid_identifier_prints_one_json_object(run, kind, ident, want):
    p = run(*_args(kind, ident))
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert p.stdout.endswith("\n") and p.stdout.count("\n") == 1
    assert json.loads(p.stdout) == want


@pytest.mark.parametrize("kind,ident,want", VALID, ids=[v[1] for v in VALID])
def test_canonical_form_is_a_fixed_point(run, kind, ident, want):
    p = run("id", "parse", "--kind", want["kind"], want["canonical"])
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == want


MALFORMED = [
    (None, "", "M2M_E_ID_EMPTY"),
    ("kpsaid", "a" * 1014 + "@example.com" + "a", "M2M_E_ID_TOO_LONG"),
    ("keid", "0123456789abcdef0123456789abcdeg@mef.example.com", "M2M_E_ID_BAD_HEX"),
    ("keid", "0123456789abcdef0123456789abcde@mef.example.com", "M2M_E_ID_BAD_LEN"),
    ("keid", "0123456789abcdef0123456789abcd@mef.example.com", "M2M_E_ID_BAD_LEN"),
    ("kpsaid", "kpsa1", "M2M_E_ID_NO_AT"),
    ("kpsaid", "a@b@sp.example.com", "M2M_E_ID_BAD_FORM"),
    ("kpsaid", "@sp.example.com", "M2M_E_ID_BAD_FORM"),
    ("kmid", "km/1@maf.example.com", "M2M_E_ID_BAD_CHAR"),
    ("fqdn", "localhost", "M2M_E_ID_BAD_FQDN"),
    ("fqdn", "a" * 64 + ".example.com", "M2M_E_ID_BAD_FQDN"),
    ("fqdn", "-a.example.com", "M2M_E_ID_BAD_FQDN"),
    ("fqdn", "ex_ample.com", "M2M_E_ID_BAD_FQDN"),
    ("fqdn", "a..b", "M2M_E_ID_BAD_FQDN"),
    ("fqdn", ".".join(["a" * 63] * 4), "M2M_E_ID_BAD_FQDN"),
    ("fqdn", "*.example.com", "M2M_E_ID_WILDCARD"),
    ("ae-id", "/cse-in/C*", "M2M_E_ID_WILDCARD"),
    ("kpsaid", "\uff4b\uff50\uff53\uff41@sp.example.com", "M2M_E_ID_BAD_CHAR"),
    ("credential-id", "99-x", "M2M_E_ID_BAD_TYPE"),
    ("credential-id", "10-a/b", "M2M_E_ID_BAD_CHAR"),
    ("credential-id", "10-a b", "M2M_E_ID_BAD_CHAR"),
    ("suid", "31", "M2M_E_ID_BAD_TYPE"),
    ("suid", "0", "M2M_E_ID_BAD_TYPE"),
    ("suid", "abc", "M2M_E_ID_BAD_CHAR"),
    ("cse-id", "cse-in", "M2M_E_ID_BAD_FORM"),
    ("cse-id", "/S1/C2", "M2M_E_ID_BAD_FORM"),
    ("ae-id", "Xabc", "M2M_E_ID_BAD_FORM"),
    ("ae-id", "/cse-in/S1", "M2M_E_ID_BAD_FORM"),
    ("ae-id", "/C1", "M2M_E_ID_BAD_FORM"),
    ("sp-id", "//sp.example.com/cse", "M2M_E_ID_BAD_FORM"),
]

ERROR_LINE = re.compile(r"^m2msec: id parse: [^\n()]+ \((M2M_E_[A-Z0-9_]+)\)\n$")


@pytest.mark.parametrize("kind,ident,code", MALFORMED, ids=[m[2] + ":" + m[1][:40] for m in MALFORMED])
def test_malformed_identifier_names_its_error(run, kind, ident, code):
    p = run(*_args(kind, ident))
    assert p.returncode == 2
    assert p.stdout == ""
    m = ERROR_LINE.match(p.stderr)
    assert m, p.stderr
    assert m.group(1) == code


@pytest.mark.parametrize("raw,code", [
    (b"a\xff@sp.example.com", "M2M_E_ID_BAD_UTF8"),
    (b"\xc0\xaf.example.com", "M2M_E_ID_BAD_UTF8"),
    (b"Cabc\xed\xa0\x80", "M2M_E_ID_BAD_UTF8"),
])
def test_non_utf8_argument(m2msec_bin, raw, code):
    p = subprocess.run([m2msec_bin.encode(), b"id", b"parse", raw], capture_output=True, timeout=60)
    assert p.returncode == 2
    assert p.stdout == b""
    assert p.stderr.decode("ascii").strip().endswith("(" + code + ")")
    assert raw not in p.stderr  # the identifier is never echoed


def test_exactly_max_length_is_accepted(run):
    ident = "a" * 1012 + "@example.com"
    assert len(ident) == 1024
    p = run("id", "parse", "--kind", "kpsaid", ident)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["canonical"] == ident


def test_canonical_equality_across_spellings(run):
    a = json.loads(run("id", "parse", "-k", "keid", HEX.lower() + "@mef.example.com").stdout)
    b = json.loads(run("id", "parse", "-k", "keid", HEX.upper() + "@MEF.EXAMPLE.COM.").stdout)
    assert a["canonical"] == b["canonical"] == HEXU + "@mef.example.com"
    c = json.loads(run("id", "parse", "-k", "kpsaid", "Key@sp.example.com").stdout)
    d = json.loads(run("id", "parse", "-k", "kpsaid", "key@sp.example.com").stdout)
    assert c["canonical"] != d["canonical"]  # only KmID is case-insensitive


def test_sp_option_gives_domain_name(run):
    p = run("id", "parse", "--kind", "cse-id", "--sp", "SP.Example.com.", "/CSE-in")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["domain_name"] == "cse-in.sp.example.com"
    p = run("id", "parse", "--kind", "cse-id", "/cse_in", "--sp", "sp.example.com")
    assert p.returncode == 0, p.stderr
    assert "domain_name" not in json.loads(p.stdout)  # '_' cannot be a DNS label
    p = run("id", "parse", "--sp", "localhost", "/cse-in")
    assert p.returncode == 2
    assert p.stderr.startswith("m2msec: id parse: --sp: ") and "(M2M_E_ID_BAD_FQDN)" in p.stderr


def test_unknown_kind_is_a_usage_error(run):
    p = run("id", "parse", "--kind", "kpsa", "kpsa@sp.example.com")
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr.count("\n") == 1 and "(M2M_E_ID_BAD_TYPE)" in p.stderr


@pytest.mark.parametrize("args", [["id", "parse"], ["id", "parse", "a.b", "c.d"], ["id", "parse", "--bogus", "a.b"],
                                  ["id", "parse", "--kind"], ["id"], ["id", "frobnicate"], ["id", "kinds", "x"]])
def test_bad_usage_exits_2(run, args):
    p = run(*args)
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr.startswith("m2msec: ") or p.stderr.startswith("usage: ")


@pytest.mark.parametrize("args,first", [(["id", "--help"], "usage: m2msec id "),
                                        (["id", "parse", "--help"], "usage: m2msec id parse"),
                                        (["id", "parse", "-h"], "usage: m2msec id parse"),
                                        (["id", "kinds", "--help"], "usage: m2msec id kinds")])
def test_help(run, args, first):
    p = run(*args)
    assert p.returncode == 0
    assert p.stdout.startswith(first)
    assert p.stderr == ""


def test_kinds_lists_every_kind(run):
    p = run("id", "kinds")
    assert p.returncode == 0
    assert p.stdout.split("\n") == ["keid", "kcid", "kpsaid", "kmid", "credential-id", "suid", "cse-id", "ae-id",
                                    "sp-id", "fqdn", "role-id", "token-id", ""]
    for kind in p.stdout.split():
        q = run("id", "parse", "--kind", kind, "")
        assert q.returncode == 2 and "(M2M_E_ID_EMPTY)" in q.stderr
