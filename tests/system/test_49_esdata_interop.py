# SPDX-License-Identifier: Apache-2.0
"""System tests of ESData (TS-0003 clause 8.5) interoperability: objects made by
`m2msec esdata protect` are opened by an independent JOSE implementation (python3-jwcrypto), and
objects made by jwcrypto are opened by `m2msec esdata decrypt|verify`, for every algorithm of
Tables 8.5.3.2-3/-4 (JWE) and 8.5.3.3-2 (JWS), in the Compact and the JSON Serialization, plus
Nested Sign-then-Encrypt (clause 8.5.3.4) and the CLI's refusals (exit 1, M2M_E_ESD_* named)."""
import json
import os

import pytest

jwcrypto = pytest.importorskip("jwcrypto")
from jwcrypto import jwe, jwk, jws  # noqa: E402
from jwcrypto.common import json_encode  # noqa: E402

PAYLOAD = '{"m2m:cin":{"cnf":"application/json:0","con":"21.5"}}'
KW = {"A128KW": 16, "A192KW": 24, "A256KW": 32}
ENCS = {"A128GCM": 16, "A192GCM": 24, "A256GCM": 32}
ECDH = ["ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW"]
CURVE = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


def secret_file(tmp_path, name, data):
    p = tmp_path / name
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(data)
    return str(p)


def oct_key(tmp_path, n, name="k.hex"):
    raw = os.urandom(n)
    return jwk.JWK(kty="oct", k=jwk.base64url_encode(raw)), secret_file(tmp_path, name, raw.hex())


def pem_pair(tmp_path, key, name):
    priv = secret_file(tmp_path, name + ".pem", key.export_to_pem(private_key=True, password=None).decode())
    pub = tmp_path / (name + "-pub.pem")
    pub.write_bytes(key.export_to_pem())
    return priv, str(pub)


def ours(run, *args, input):
    res = run("esdata", *args, input=input)
    assert res.returncode == 0, res.stderr
    return res.stdout


def jw_decrypt(text, key):
    obj = jwe.JWE()
    obj.deserialize(text.strip(), key=key)
    return obj.payload.decode()


def jw_encrypt(key, alg, enc, compact, kid=None):
    hdr = {"alg": alg, "enc": enc}
    if kid:
        hdr["kid"] = kid
    if compact:
        obj = jwe.JWE(PAYLOAD.encode(), protected=json_encode(hdr))
        obj.add_recipient(key)
        return obj.serialize(compact=True)
    obj = jwe.JWE(PAYLOAD.encode(), protected=json_encode({"enc": enc}))
    obj.add_recipient(key, header=json_encode({"alg": alg}))
    return obj.serialize()


@pytest.mark.parametrize("compact", [True, False], ids=["compact", "json"])
@pytest.mark.parametrize("enc", list(ENCS))
@pytest.mark.parametrize("alg", ["dir", *KW])
def test_symmetric_jwe_both_directions(run, tmp_path, alg, enc, compact):
    key, kfile = oct_key(tmp_path, ENCS[enc] if alg == "dir" else KW[alg])
    args = ["protect", "--alg", alg, "--enc", enc, "--key-file", kfile, "--kid", "14-k1@mef.example.com"]
    if alg == "dir":
        args += ["--counter-file", str(tmp_path / "uses")]
    if not compact:
        args.append("--json")
    out = ours(run, *args, input=PAYLOAD)
    assert (out[0] == "{") == (not compact)
    assert jw_decrypt(out, key) == PAYLOAD
    theirs = jw_encrypt(key, alg, enc, compact)
    assert ours(run, "decrypt", "--key-file", kfile, input=theirs) == PAYLOAD
    if alg == "dir":  # the caller-persisted count of direct AES-GCM invocations
        assert (tmp_path / "uses").read_text().strip() == "1"


@pytest.mark.parametrize("compact", [True, False], ids=["compact", "json"])
@pytest.mark.parametrize("enc", list(ENCS))
@pytest.mark.parametrize("alg", ["RSA-OAEP-256", *ECDH])
def test_asymmetric_jwe_both_directions(run, tmp_path, alg, enc, compact):
    key = jwk.JWK.generate(kty="RSA", size=2048) if alg.startswith("RSA") else \
        jwk.JWK.generate(kty="EC", crv="P-256")
    priv, pub = pem_pair(tmp_path, key, "t")
    args = ["protect", "--alg", alg, "--enc", enc, "--cert", pub]
    if not compact:
        args.append("--json")
    out = ours(run, *args, input=PAYLOAD)
    assert jw_decrypt(out, key) == PAYLOAD
    theirs = jw_encrypt(jwk.JWK.from_pem(open(pub, "rb").read()), alg, enc, compact)
    allow = ["--allow", "ECDH-ES," + enc] if alg == "ECDH-ES" else []
    assert ours(run, "decrypt", "--key", priv, *allow, input=theirs) == PAYLOAD


@pytest.mark.parametrize("curve", ["P-384", "P-521"])
def test_ecdh_other_curves(run, tmp_path, curve):
    key = jwk.JWK.generate(kty="EC", crv=curve)
    priv, pub = pem_pair(tmp_path, key, "t")
    out = ours(run, "protect", "--alg", "ECDH-ES+A256KW", "--enc", "A256GCM", "--cert", pub, input=PAYLOAD)
    assert jw_decrypt(out, key) == PAYLOAD
    theirs = jw_encrypt(key, "ECDH-ES+A128KW", "A128GCM", True)
    assert ours(run, "decrypt", "--key", priv, input=theirs) == PAYLOAD


def jw_verify(text, key):
    obj = jws.JWS()
    obj.deserialize(text.strip())
    obj.verify(key)
    return obj.payload.decode()


def jw_sign(key, alg, compact):
    obj = jws.JWS(PAYLOAD.encode())
    obj.add_signature(key, None, json_encode({"alg": alg}))
    return obj.serialize(compact=compact)


@pytest.mark.parametrize("compact", [True, False], ids=["compact", "json"])
@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
                                 "ES256", "ES384", "ES512"])
def test_jws_both_directions(run, tmp_path, alg, compact):
    fmt = [] if compact else ["--json"]
    if alg.startswith("HS"):
        key, kfile = oct_key(tmp_path, 64)
        out = ours(run, "protect", "--alg", alg, "--key-file", kfile, *fmt, input=PAYLOAD)
        vargs = ["--key-file", kfile]
    else:
        key = jwk.JWK.generate(kty="RSA", size=2048) if alg.startswith("RS") else \
            jwk.JWK.generate(kty="EC", crv=CURVE[alg])
        priv, pub = pem_pair(tmp_path, key, "s")
        out = ours(run, "protect", "--alg", alg, "--sign-key", priv, *fmt, input=PAYLOAD)
        vargs = ["--cert", pub]
    assert jw_verify(out, key) == PAYLOAD
    assert ours(run, "verify", *vargs, input=jw_sign(key, alg, compact)) == PAYLOAD


@pytest.mark.parametrize("compact", [True, False], ids=["compact", "json"])
def test_nested_both_directions(run, tmp_path, compact):
    skey = jwk.JWK.generate(kty="EC", crv="P-256")
    spriv, spub = pem_pair(tmp_path, skey, "src")
    tkey = jwk.JWK.generate(kty="RSA", size=2048)
    tpriv, tpub = pem_pair(tmp_path, tkey, "tgt")
    fmt = [] if compact else ["--json"]
    out = ours(run, "protect", "--alg", "RSA-OAEP-256", "--enc", "A256GCM", "--cert", tpub,
               "--sign-key", spriv, *fmt, input=PAYLOAD)
    outer = jwe.JWE()
    outer.deserialize(out.strip(), key=tkey)
    assert outer.jose_header["cty"] == ("JOSE" if compact else "JOSE+JSON")
    assert jw_verify(outer.payload.decode(), skey) == PAYLOAD
    # jwcrypto nests: JWS (ES256) inside JWE (ECDH-ES+A128KW) with cty JOSE
    ekey = jwk.JWK.generate(kty="EC", crv="P-256")
    epriv, _ = pem_pair(tmp_path, ekey, "e")
    inner = jw_sign(skey, "ES256", compact)
    hdr = {"alg": "ECDH-ES+A128KW", "enc": "A128GCM", "cty": "JOSE" if compact else "JOSE+JSON"}
    o = jwe.JWE(inner.encode(), protected=json_encode(hdr))
    o.add_recipient(ekey.public())  # public part only
    theirs = o.serialize(compact=True)
    assert ours(run, "decrypt", "--key", epriv, "--cert", spub, input=theirs) == PAYLOAD


def refused(run, args, input, name):
    res = run("esdata", *args, input=input)
    assert res.returncode == 1, res.stdout
    assert name in res.stderr, res.stderr
    assert res.stdout == ""


def test_refusals(run, tmp_path):
    key, kfile = oct_key(tmp_path, 16)
    _, other = oct_key(tmp_path, 16, "other.hex")
    good = jw_encrypt(key, "A128KW", "A128GCM", True)
    refused(run, ["decrypt", "--key-file", other], good, "M2M_E_ESD_DECRYPT")       # wrong key
    parts = good.split(".")
    parts[4] = ("B" if parts[4][0] == "A" else "A") + parts[4][1:]
    refused(run, ["decrypt", "--key-file", kfile], ".".join(parts), "M2M_E_ESD_DECRYPT")  # tag
    refused(run, ["decrypt", "--key-file", kfile], ".".join(good.split(".")[:4]), "M2M_E_ESD_FORMAT")
    refused(run, ["decrypt", "--key-file", kfile, "--allow", "A256KW,A128GCM"], good, "M2M_E_ESD_ALG")
    # alg none (an unsecured JWS) is never accepted
    none = jwk.base64url_encode(b'{"alg":"none"}') + "." + jwk.base64url_encode(PAYLOAD) + "."
    refused(run, ["verify", "--key-file", kfile], none, "M2M_E_ESD_FORMAT")
    none_sig = jwk.base64url_encode(b'{"alg":"none"}') + "." + jwk.base64url_encode(PAYLOAD) + ".AA"
    refused(run, ["verify", "--key-file", kfile], none_sig, "M2M_E_ESD_UNSECURED")
    # a signature by a wrong key
    skey = jwk.JWK.generate(kty="EC", crv="P-256")
    _, spub = pem_pair(tmp_path, jwk.JWK.generate(kty="EC", crv="P-256"), "wrong")
    refused(run, ["verify", "--cert", spub], jw_sign(skey, "ES256", True), "M2M_E_ESD_SIGNATURE")
    # a JWE given to verify, a JWS given to decrypt: not the expected class
    refused(run, ["verify", "--key-file", kfile], good, "M2M_E_ESD_CLASS")
    # dir without a counter file is a usage error; a counter at 2^32 is refused
    res = run("esdata", "protect", "--alg", "dir", "--enc", "A128GCM", "--key-file", kfile, input="x")
    assert res.returncode == 2
    (tmp_path / "cnt").write_text(str(2 ** 32) + "\n")
    refused(run, ["protect", "--alg", "dir", "--enc", "A128GCM", "--key-file", kfile,
                  "--counter-file", str(tmp_path / "cnt")], "x", "M2M_E_ESD_LIMIT")
    # the key file must be 0600
    os.chmod(kfile, 0o644)
    refused(run, ["decrypt", "--key-file", kfile], good, "credentials")


def test_multiple_recipients_json(run, tmp_path):
    """Clause 8.5.2.1 "multiple credentials": one object for two symmetric keys and one
    certificate (JSON Serialization, general form); jwcrypto opens it with each; a compact object
    cannot carry two (exit 1, M2M_E_ESD_FORMAT)."""
    k1, f1 = oct_key(tmp_path, 16, "a.hex")
    k2, f2 = oct_key(tmp_path, 32, "b.hex")
    out = ours(run, "protect", "--alg", "A128KW", "--enc", "A128GCM", "--key-file", f1, "--json",
               input=PAYLOAD)
    assert jw_decrypt(out, k1) == PAYLOAD
    # two A256KW keys: each recipient opens the same object
    k3, f3 = oct_key(tmp_path, 32, "c.hex")
    out = ours(run, "protect", "--alg", "A256KW", "--enc", "A256GCM", "--key-file", f2, "--key-file", f3,
               "--kid", "15-b", "--kid", "15-c", "--json", input=PAYLOAD)
    assert len(json.loads(out)["recipients"]) == 2
    assert jw_decrypt(out, k2) == PAYLOAD and jw_decrypt(out, k3) == PAYLOAD
    assert ours(run, "decrypt", "--key-file", f3, input=out) == PAYLOAD
    refused(run, ["protect", "--alg", "A256KW", "--key-file", f2, "--key-file", f3], PAYLOAD, "M2M_E_ESD_FORMAT")
