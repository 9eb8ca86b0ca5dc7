# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of `m2msec das token issue|verify` (TS-0003 clauses 7.3.2.4-7.3.2.6; TS-0004
Tables 6.3.5.41-1, 6.3.5.42-1, 6.3.5.53-1; docs/procedures/das.md).

The independent peer is python3-jwcrypto (a JOSE implementation that is not ours) with keys and
certificates made by python3-cryptography: a token m2msec issues must verify there with the
oneM2M claim set expected, and a token jwcrypto makes must verify with m2msec. Every refusal exits
2 with one stderr line "m2msec: das token verify: refused: <M2M_E_TOKEN_*>: <reason>".
"""
import base64
import datetime
import json
import os
import re
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

jwk = pytest.importorskip("jwcrypto.jwk")
jws = pytest.importorskip("jwcrypto.jws")
jwt = pytest.importorskip("jwcrypto.jwt")

DAS_ID = "//sp.example.com/id-in/Cdas"
HOLDER = "//sp.example.com/id-in/Cae1"
CSE = "//sp.example.com/id-in"
RESOURCE = "/id-in/cnt-1"
TOKEN_ID = re.compile(r"^[0-9a-f]{32}@sp\.example\.com$")


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_key_cert(tmp, name):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subj).issuer_name(subj).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    kp, cp = tmp / f"{name}.key", tmp / f"{name}.crt"
    kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    os.chmod(kp, 0o600)
    cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, kp, cp


@pytest.fixture
def das(tmp_path):
    key, cert, kp, cp = make_key_cert(tmp_path, "das")
    ini = tmp_path / "das.ini"
    ini.write_text(f"[das]\ndas-id = {DAS_ID}\ncert = {cp}\nkey = {kp}\nmax-token-lifetime = 3600\n")
    return {"key": key, "cert": cert, "ini": ini, "dir": tmp_path}


def issue(run, d, *extra, lifetime=600):
    return run("das", "token", "issue", "--config", d["ini"], "--holder", HOLDER, "--audience", CSE,
               "--resource", RESOURCE, "--op", "2", "--lifetime", lifetime, *extra)


def verify(run, d, token, *extra, stdin=False):
    if stdin:
        return run("das", "token", "verify", "--config", d["ini"], *extra, "-", input=token + "\n")
    return run("das", "token", "verify", "--config", d["ini"], *extra, token)


def claims(**over):
    now = int(time.time())
    c = {"tkvr": "1", "jti": "00aa11bb@sp.example.com", "iss": DAS_ID, "azp": HOLDER, "nbf": now - 5,
         "exp": now + 300, "aud": [CSE],
         "tkps": {"pm": [{"ris": [RESOURCE], "pv": {"acr": [{"acor": [HOLDER], "acop": 2}]}}]}}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def jwcrypto_token(key, header=None, **over):
    t = jwt.JWT(header=header or {"alg": "ES256", "typ": "JWT"}, claims=claims(**over))
    t.make_signed_token(jwk.JWK.from_pyca(key))
    return t.serialize()


def assert_refused(r, code):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert f"refused: {code}:" in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1


def test_issued_token_verifies_in_jwcrypto(run, das):
    """Our token is a standard ES256 JWS with the oneM2M claim set (TS-0003 Table 7.3.2.6.2-1)."""
    before = int(time.time())
    r = issue(run, das, "--name", "visitor")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert r.stdout.count("\n") == 1 and token.count(".") == 2
    pub = jwk.JWK.from_pyca(das["cert"].public_key())
    obj = jws.JWS()
    obj.deserialize(token, key=pub)  # raises when the signature does not verify
    assert obj.jose_header == {"alg": "ES256", "typ": "JWT"}  # typ JWT, no cty (clause 7.3.2.6.2)
    c = json.loads(obj.payload)
    assert c["tkvr"] == "1"
    assert TOKEN_ID.match(c["jti"]), c["jti"]  # m2m:tokenID name@issuer-fqdn
    assert c["iss"] == DAS_ID and c["azp"] == HOLDER and c["aud"] == [CSE]
    assert before <= c["nbf"] <= int(time.time()) and c["exp"] == c["nbf"] + 600
    assert c["tknm"] == "visitor"
    assert c["tkps"] == {"pm": [{"ris": [RESOURCE], "pv": {"acr": [{"acor": [HOLDER], "acop": 2}]}}]}
    # and m2msec explains it as valid, with audience and holder checked
    v = verify(run, das, token, "--audience", CSE, "--holder", HOLDER)
    assert v.returncode == 0, v.stderr
    assert "token: valid" in v.stdout and f"azp: {HOLDER}" in v.stdout and "alg: ES256" in v.stdout
    # two tokens never share an ID
    second = issue(run, das).stdout.strip().split(".")[1]
    assert json.loads(base64.urlsafe_b64decode(second + "=" * (-len(second) % 4)))["jti"] != c["jti"]


def test_jwcrypto_token_verifies_with_m2msec(run, das):
    token = jwcrypto_token(das["key"])
    r = verify(run, das, token, "--audience", "//sp.example.com/id-in", "--holder", HOLDER)
    assert r.returncode == 0, r.stderr
    assert "token: valid" in r.stdout and "jti: 00aa11bb@sp.example.com" in r.stdout
    assert 'tkps.pm[0].pv: {"acr":[{"acop":2,"acor":["' + HOLDER + '"]}]}' in r.stdout
    # standard input keeps the token out of ps
    r = verify(run, das, token, stdin=True)
    assert r.returncode == 0 and "token: valid" in r.stdout
    # a wildcard audience (TS-0003 clause 7.1.3) matches
    r = verify(run, das, jwcrypto_token(das["key"], aud=["//*/id-*"]), "--audience", CSE)
    assert r.returncode == 0, r.stderr


def test_forged_signature(run, das):
    other, _, _, _ = make_key_cert(das["dir"], "mallory")
    assert_refused(verify(run, das, jwcrypto_token(other)), "M2M_E_TOKEN_SIGNATURE")
    token = jwcrypto_token(das["key"])
    a, b, s = token.split(".")
    flipped = ("B" if s[0] == "A" else "A") + s[1:]
    assert_refused(verify(run, das, f"{a}.{b}.{flipped}"), "M2M_E_TOKEN_SIGNATURE")


def test_tampered_payload(run, das):
    a, _, s = jwcrypto_token(das["key"]).split(".")
    evil = b64u(json.dumps(claims(tkps={"pm": [{"ris": [RESOURCE], "pv": {
        "acr": [{"acor": [HOLDER], "acop": 63}]}}]})).encode())
    assert_refused(verify(run, das, f"{a}.{evil}.{s}"), "M2M_E_TOKEN_SIGNATURE")


def test_alg_none_refused(run, das):
    hdr = b64u(b'{"alg":"none","typ":"JWT"}')
    body = b64u(json.dumps(claims()).encode())
    assert_refused(verify(run, das, f"{hdr}.{body}."), "M2M_E_TOKEN_UNSECURED")


def test_alg_confusion_refused(run, das):
    """HS256 keyed with the DAS's public certificate: an attacker can compute it."""
    pem = das["cert"].public_bytes(serialization.Encoding.PEM)
    import hmac, hashlib
    hdr = b64u(b'{"alg":"HS256","typ":"JWT"}')
    body = b64u(json.dumps(claims()).encode())
    sig = b64u(hmac.new(pem, f"{hdr}.{body}".encode(), hashlib.sha256).digest())
    assert_refused(verify(run, das, f"{hdr}.{body}.{sig}"), "M2M_E_TOKEN_ALG")


def test_wrong_issuer(run, das):
    assert_refused(verify(run, das, jwcrypto_token(das["key"], iss="//sp.example.com/id-in/Cother")),
                   "M2M_E_TOKEN_ISSUER")


def test_expired_and_not_yet_valid(run, das):
    now = int(time.time())
    # beyond the documented 60 s clock skew
    assert_refused(verify(run, das, jwcrypto_token(das["key"], nbf=now - 1000, exp=now - 120)),
                   "M2M_E_TOKEN_EXPIRED")
    assert_refused(verify(run, das, jwcrypto_token(das["key"], nbf=now + 600, exp=now + 1200)),
                   "M2M_E_TOKEN_NOT_YET_VALID")


def test_audience_and_holder(run, das):
    token = jwcrypto_token(das["key"])
    assert_refused(verify(run, das, token, "--audience", "//sp.example.com/id-mn"), "M2M_E_TOKEN_AUDIENCE")
    assert_refused(verify(run, das, token, "--holder", "//sp.example.com/id-in/Cae2"), "M2M_E_TOKEN_HOLDER")


def test_malformed(run, das):
    assert_refused(verify(run, das, "A" * 9000), "M2M_E_TOKEN_TOO_LARGE")
    assert_refused(verify(run, das, "A" * 9000, stdin=True), "M2M_E_TOKEN_TOO_LARGE")
    assert_refused(verify(run, das, "not-a-token"), "M2M_E_TOKEN_FORMAT")
    assert_refused(verify(run, das, "a.b.c.d.e"), "M2M_E_TOKEN_CLASS")  # JWE: not supported
    # a header without typ JWT (TS-0003 clause 7.3.2.6.2)
    assert_refused(verify(run, das, jwcrypto_token(das["key"], header={"alg": "ES256"})), "M2M_E_TOKEN_HEADER")
    # a missing required claim, a permission with pv but no ris (clause 7.3.2.5)
    assert_refused(verify(run, das, jwcrypto_token(das["key"], jti=None)), "M2M_E_TOKEN_CLAIMS")
    assert_refused(verify(run, das, jwcrypto_token(das["key"], tkps={"pm": [{"pv": {"acr": []}}]})),
                   "M2M_E_TOKEN_PERMISSIONS")


def test_issue_refuses_bad_input(run, das):
    for args, msg in [
        (("--op", "64"), "--op must be"),
        (("--op", "0"), "--op must be"),
        (("--lifetime", "3601"), "--lifetime must be 1..3600"),
        (("--holder", "Cae1"), "--holder must be an Absolute"),
        (("--audience", "/id-in"), "--audience must be an Absolute CSE-ID"),
    ]:
        base = {"--holder": HOLDER, "--audience": CSE, "--resource": RESOURCE, "--op": "2", "--lifetime": "60"}
        base[args[0]] = args[1]
        argv = [x for kv in base.items() for x in kv]
        r = run("das", "token", "issue", "--config", das["ini"], *argv)
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr)
    # the signing key must be the certificate's key and a secret file (0600)
    _, _, kp2, _ = make_key_cert(das["dir"], "other")
    ini2 = das["dir"] / "das2.ini"
    ini2.write_text(das["ini"].read_text().replace(str(das["dir"] / "das.key"), str(kp2)))
    r = run("das", "token", "issue", "--config", ini2, "--holder", HOLDER, "--audience", CSE,
            "--resource", RESOURCE, "--op", "2", "--lifetime", "60")
    assert r.returncode == 1 and "key" in r.stderr and "does not match" in r.stderr, r.stderr
    os.chmod(das["dir"] / "das.key", 0o644)
    r = issue(run, das)
    assert r.returncode != 0 and "permissions" in r.stderr and r.stdout == "", r.stderr
    # a configuration without das-id names the problem
    bad = das["dir"] / "bad.ini"
    bad.write_text("[das]\ncert = x\nkey = y\n")
    r = run("das", "token", "verify", "--config", bad, "x.y.z")
    assert r.returncode == 2 and "das-id is required" in r.stderr


def test_issue_writes_canonical_ids(run, das):
    """The CSE compares holder and audience with the Originator's canonical ID (lower-case SP
    FQDN) byte for byte, so the issuer writes that spelling."""
    r = run("das", "token", "issue", "--config", das["ini"], "--holder", "//SP.Example.COM/id-in/Cae1",
            "--audience", "//SP.example.com/id-*", "--resource", RESOURCE, "--op", "3", "--lifetime", "60")
    assert r.returncode == 0, r.stderr
    body = r.stdout.strip().split(".")[1]
    c = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert c["azp"] == HOLDER and c["aud"] == ["//sp.example.com/id-*"]
    assert c["tkps"]["pm"][0]["pv"]["acr"][0]["acor"] == [HOLDER]
    v = verify(run, das, r.stdout.strip(), "--audience", CSE, "--holder", HOLDER)
    assert v.returncode == 0 and "token: valid" in v.stdout, v.stderr
