# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of the authorization relationship mapping (TS-0003 clauses 7.3.2.2 steps 5-8
and 7.3.2.7.1; TS-0009 clauses 6.4.25 X-M2M-ASRI and Table 6.2.2.2-1 asi; docs/procedures/das.md
"Relationship mapping").

A real `m2msec cse` trusts the key of `m2msec das token issue` (das-trust). An AE holding a P-256
certificate (made here with python cryptography, independently of m2msec) registers as Cold over
TLS-PSK, gets a token for Cold, records an AuthorSign for it, registers again as Cnew (its new
association is bound to the new AE-ID, as a Registrar-assigned AE-ID-Stem would be), and uses the
old token with an AuthorSign naming Cnew. Every refusal asserts its Response Status Code.
"""
import base64
import datetime
import hashlib
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from cse_harness import SP, Cse

import pytest

DAS = "//sp.example.com/id-in/Cdas"
AUD = "//sp.example.com/id-in"
OLD, NEW, OTHER = AUD + "/Cold", AUD + "/Cnew", AUD + "/Cother"
AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key_cert(name, curve=None):
    key = ec.generate_private_key(curve or ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subj).issuer_name(subj).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    return key, cert


def author_sign(key, cert, token, originator):
    """The AuthorSign of docs/procedures/das.md: ES256 over
    "m2msec-AuthorSign-v1" NUL || SHA-256(token) || originator NUL || audience, carried as
    base64url(u16 len || DER certificate || r || s)."""
    msg = b"m2msec-AuthorSign-v1\0" + hashlib.sha256(token.encode()).digest() + originator.encode() + b"\0" + \
        AUD.encode()
    r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(hashes.SHA256())))
    der = cert.public_bytes(serialization.Encoding.DER)
    m = (1 << 256) - 1  # a P-384 r, s is cut to the 64 bytes of the format: the key is refused first
    return b64u(len(der).to_bytes(2, "big") + der + (r & m).to_bytes(32, "big") + (s & m).to_bytes(32, "big"))


@pytest.fixture(scope="module")
def env(m2msec_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("relmap")
    c = Cse(m2msec_bin, tmp)
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    for n in ("old", "new", "other"):
        c.add_psk("kpsa-%s@%s" % (n, SP), "C" + n)
    dkey, dcert = key_cert("das")
    (tmp / "das.key").write_bytes(dkey.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
    (tmp / "das.key").chmod(0o600)
    (tmp / "das.crt").write_bytes(dcert.public_bytes(serialization.Encoding.PEM))
    (tmp / "das-trust").write_text(f"{DAS} {tmp / 'das.crt'}\n")
    das_ini = tmp / "das.ini"
    das_ini.write_text(f"[das]\ndas-id = {DAS}\ncert = {tmp / 'das.crt'}\nkey = {tmp / 'das.key'}\n"
                       "max-token-lifetime = 3600\n")
    c.start(f"max-header = 32768\ndas-trust = {tmp / 'das-trust'}\n")
    for n in ("old", "other"):
        r = c.psk("POST", "/cse-in", "C" + n, "kpsa-%s@%s" % (n, SP), AE_BODY % n, ty=2)
        assert r is not None and r.rsc == 2001, r
    acp = {"m2m:acp": {"rn": "acpBox", "pv": {"acr": [{"acor": ["CAdmin"], "acop": 63}]},
                       "pvs": {"acr": [{"acor": ["CAdmin"], "acop": 63}]}}}
    r = c.psk("POST", "/cse-in", "CAdmin", "kpsa-admin@" + SP, json.dumps(acp), ty=1)
    assert r.rsc == 2001, r
    r = c.psk("POST", "/cse-in", "CAdmin", "kpsa-admin@" + SP,
              json.dumps({"m2m:cnt": {"rn": "box", "acpi": [r.json()["m2m:acp"]["ri"]]}}), ty=3)
    assert r.rsc == 2001, r
    r = c.m2m("das", "token", "issue", "--config", str(das_ini), "--holder", OLD, "--audience", AUD,
              "--resource", "cse-in/box", "--op", "2", "--lifetime", "600")
    token = r.stdout.strip()
    assert token.count(".") == 2, r
    yield {"cse": c, "token": token, "author": key_cert("ae"), "thief": key_cert("thief")}
    assert c.stop() == 0


def get(env, who, aus=None, asi=False):
    h = {"Authorization": env["token"]}
    if aus is not None:
        h["X-M2M-AS"] = aus
    return env["cse"].psk("GET", "/cse-in/box" + ("?asi=true" if asi else ""), "C" + who,
                          "kpsa-%s@%s" % (who, SP), headers=h)


def asri(r):
    return r.headers.get("x-m2m-asri")


def test_relationship_mapping_end_to_end(env):
    key, cert = env["author"]
    tkey, tcert = env["thief"]
    tok = env["token"]
    c = env["cse"]
    # the holder: permitted; with asi it is asked for an AuthorSign (clause 7.3.2.2 step 5)
    r = get(env, "old")
    assert r.rsc == 2000 and asri(r) is None, r
    r = get(env, "old", asi=True)
    assert r.rsc == 2000 and asri(r) == "true", r
    # the AuthorSign of the holder's certificate key makes the AuthorRelMapRecord (steps 6-8)
    r = get(env, "old", aus=author_sign(key, cert, tok, OLD), asi=True)
    assert r.rsc == 2000 and asri(r) is None, r

    # re-registration: the old AE is deleted, the same device registers with a new AE-ID
    r = c.psk("DELETE", "/cse-in/old", "Cold", "kpsa-old@" + SP)
    assert r.rsc == 2002, r
    r = c.psk("POST", "/cse-in", "Cnew", "kpsa-new@" + SP, AE_BODY % "new", ty=2)
    assert r.rsc == 2001, r

    # clause 7.3.2.7.1: the old token without AuthorSign: 4103 asking for one (asri)
    r = get(env, "new")
    assert r.rsc == 4103 and asri(r) == "true" and "AuthorSign" in r.json()["m2m:dbg"], r
    # a signature by another key: 4103
    r = get(env, "new", aus=author_sign(tkey, tcert, tok, NEW))
    assert r.rsc == 4103, r
    # the record's own AuthorSign replayed (it names the old AE-ID): 4103
    r = get(env, "new", aus=author_sign(key, cert, tok, OLD))
    assert r.rsc == 4103, r
    # a malformed AuthorSign: 4000
    r = get(env, "new", aus="not.an.author.sign")
    assert r.rsc == 4000 and "aus" in r.json()["m2m:dbg"], r
    # the same author, signing for its new AE-ID: permitted, and from then on without signature
    r = get(env, "new", aus=author_sign(key, cert, tok, NEW))
    assert r.rsc == 2000, r
    assert r.json()["m2m:cnt"]["rn"] == "box"
    r = get(env, "new")
    assert r.rsc == 2000, r

    # another AE presenting the record's token: 4103, with or without a signature of its own key
    r = get(env, "other")
    assert r.rsc == 4103 and asri(r) == "true", r
    r = get(env, "other", aus=author_sign(tkey, tcert, tok, OTHER))
    assert r.rsc == 4103, r
    # the token grants RETRIEVE only: the mapping moves no other right
    r = c.psk("PUT", "/cse-in/box", "Cnew", "kpsa-new@" + SP, json.dumps({"m2m:cnt": {"lbl": ["x"]}}),
              headers={"Authorization": tok, "Content-Type": "application/json"})
    assert r.rsc == 4103, r


def test_p384_author_key_is_refused(env):
    """Only an ES256 (P-256) certificate key is an AuthorSign key: 4103."""
    key, cert = key_cert("p384", ec.SECP384R1())
    r = get(env, "other", aus=author_sign(key, cert, env["token"], OTHER))
    assert r.rsc == 4103, r
