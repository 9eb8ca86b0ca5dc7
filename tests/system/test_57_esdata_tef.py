# SPDX-License-Identifier: Apache-2.0
"""ESData stored in a CSE and keys from the MEF as Trust Enabling Function (issue 11), real
processes on loopback: `m2msec mef`, `m2msec cse`, `m2msec esdata`, an independent Source
(openssl s_client doing MEF Client Registration + MEF Key Registration, python3-jwcrypto making
and opening the JOSE objects).

contentInfo (TS-0004 Table 6.3.3-1 m2m:contentInfo "type/subtype:encodingType[:contentSecurity]",
Table 6.3.4.2.38-1): a <contentInstance> whose contentSecurity claims a JOSE serialisation must
carry one, else 4000 BAD_REQUEST and nothing is stored; the CSE stores and returns it unchanged and
its SQLite store never holds the plaintext (TS-0003 clause 8.6.3: the Target fetches the ESData
from the Hosting CSE).

TEF (TS-0003 clause 8.6.3, digest §12; docs/procedures/e2e.md "TEF"): the Source registers a
key with SUID 14 (ESData encryption) or 15 (ESData signature) for targetIDs [/id-in]; the Target
CSE /id-in retrieves it by its Credential-ID "<SUID>-<keyID>" (TS-0003 clause 10.4); a CSE not
listed gets 4004 (the answer of an unknown key: no oracle). `m2msec esdata ... --mef --key-id`
fetches the key and uses its Credential-ID as the JOSE "kid".
"""
import base64
import json
import os
import secrets
import sqlite3

import pytest

from test_25_mef_e2e import FQDN, World, reg_body, request

jwcrypto = pytest.importorskip("jwcrypto")
from jwcrypto import jwe, jwk, jws  # noqa: E402
from jwcrypto.common import json_encode  # noqa: E402

SECRET = "reading-7f3a9c: 21.5 degC at valve 12"        # the marker searched for in the store


@pytest.fixture(scope="module")
def world(m2msec_bin, tmp_path_factory):
    w = World(m2msec_bin, tmp_path_factory.mktemp("esd"), mef_extra="rate-limit-per-identity = 0\n"
              "rate-limit-per-address = 0\n")
    w.start_mef()
    w.start_cse()
    adm = w.c.psk("POST", "/cse-in", "CAdmin", "kpsa-adm@sp.example.com",
                  body=json.dumps({"m2m:cnt": {"rn": "e2e"}}), ty=3)
    assert adm.rsc == 2001, adm
    yield w
    w.stop()


def secret_file(tmp, name, text):
    p = os.path.join(str(tmp), name)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return p


def cin(w, rn, cnf, con):
    body = json.dumps({"m2m:cin": {"rn": rn, "cnf": cnf, "con": con}})
    return w.c.psk("POST", "/cse-in/e2e", "CAdmin", "kpsa-adm@sp.example.com", body=body, ty=4)


def get(w, rn):
    return w.c.psk("GET", "/cse-in/e2e/" + rn, "CAdmin", "kpsa-adm@sp.example.com")


def store_bytes(w):
    data = b""
    for suffix in ("", "-wal"):
        p = w.c.path("cse.db") + suffix
        if os.path.exists(p):
            with open(p, "rb") as f:
                data += f.read()
    return data


def esdata(w, *args, input):
    return w.m2m("esdata", *args, input=input)


def oct_key(n):
    raw = os.urandom(n)
    return raw, jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(raw).rstrip(b"=").decode())


# ---- contentInfo: accept / refuse matrix -------------------------------------------------------

def test_content_security_matrix_exact_rscs(world, tmp_path):
    w = world
    raw, k = oct_key(16)
    kf = secret_file(tmp_path, "k.hex", raw.hex())
    compact = esdata(w, "protect", "--alg", "A128KW", "--enc", "A128GCM", "--key-file", kf, input=SECRET)
    assert compact.returncode == 0, compact.stderr
    compact = compact.stdout.strip()
    as_json = esdata(w, "protect", "--alg", "A128KW", "--enc", "A128GCM", "--key-file", kf, "--json", input=SECRET)
    assert as_json.returncode == 0, as_json.stderr
    jobj = json.loads(as_json.stdout)
    # an independent JWS JSON object (jwcrypto), flattened
    s = jws.JWS(SECRET.encode())
    s.add_signature(k, None, json_encode({"alg": "HS256"}))
    jws_json = json.loads(s.serialize())
    accepted = [
        ("a0", "text/plain:0", "21.5"),                                    # no contentSecurity: anything
        ("a00", "text/plain:0:0", "21.5"),
        ("a1", "text/plain:0:1", compact),
        ("a2", "text/plain:0:2", jobj),                                    # JSON Serialization as an object
        ("a2s", "text/plain:0:2", json.dumps(jws_json)),                   # ... or as its text
        ("a3", "text/plain:0:3", base64.b64encode(json.dumps(jobj).encode()).decode()),
        ("a4", "application/xml:0:4", "<xenc:EncryptedData/>"),
        ("a5", "application/xml:0:5", base64.b64encode(b"<EncryptedData/>").decode()),
    ]
    for rn, cnf, con in accepted:
        r = cin(w, rn, cnf, con)
        assert r.rsc == 2001, (rn, r)
        got = get(w, rn)
        assert got.rsc == 2000 and got.json()["m2m:cin"]["con"] == con, (rn, got)   # returned unchanged
        assert got.json()["m2m:cin"]["cnf"] == cnf
    none_hdr = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    refused = [
        ("text/plain:0:1", SECRET),                                        # plaintext flagged compact
        ("text/plain:0:1", {"t": 21.5}),
        ("text/plain:0:1", compact.rsplit(".", 1)[0]),                     # truncated: 4 parts
        ("text/plain:0:1", compact.rsplit(".", 2)[0] + "..AAAA"),          # empty ciphertext [d]
        ("text/plain:0:1", none_hdr + ".cGF5bG9hZA."),                     # unsecured JWS
        ("text/plain:0:1", none_hdr + ".cGF5bG9hZA.AAAA"),                 # alg none
        ("text/plain:0:1", compact.replace(".", "+", 1)),                  # not base64url
        ("text/plain:0:1", json.dumps(jobj)),                              # JSON under the compact flag
        ("text/plain:0:2", compact),                                       # compact under the JSON flag
        ("text/plain:0:2", {"t": 21.5}),                                   # JSON, but not JOSE
        ("text/plain:0:2", dict(jobj, ciphertext="")),
        ("text/plain:0:2", {"payload": "cGF5bG9hZA", "signature": "AAAA"}),  # no alg anywhere
        ("text/plain:0:3", json.dumps(jobj)),                              # not base64
        ("text/plain:0:3", base64.b64encode(SECRET.encode()).decode()),    # base64 of plaintext
        ("application/xml:0:4", SECRET),
        ("application/xml:0:5", "<EncryptedData/>"),
        ("text/plain:0:6", compact),                                       # no such contentSecurity
        ("text/plain:3:1", compact),                                       # no such encodingType
        ("text/plain:1:", compact),
    ]
    for i, (cnf, con) in enumerate(refused):
        r = cin(w, "b%d" % i, cnf, con)
        assert r.rsc == 4000, (i, cnf, r)                                  # BAD_REQUEST, TS-0004 §7.3.3.3
        assert get(w, "b%d" % i).rsc == 4004, i                            # nothing stored
    cnt = w.c.psk("GET", "/cse-in/e2e", "CAdmin", "kpsa-adm@sp.example.com")
    assert cnt.rsc == 2000 and cnt.json()["m2m:cnt"]["cni"] == len(accepted), cnt


def test_opaque_storage_only_ciphertext_in_the_store(world, tmp_path):
    w = world
    raw, k = oct_key(32)
    # an independent Source (jwcrypto) protects; the CSE stores and returns the object unchanged
    obj = jwe.JWE(SECRET.encode(), protected=json_encode({"alg": "A256KW", "enc": "A256GCM", "kid": "k-opaque"}))
    obj.add_recipient(k)
    text = obj.serialize(compact=True)
    r = cin(w, "opaque", "text/plain:0:1", text)
    assert r.rsc == 2001, r
    got = get(w, "opaque")
    assert got.rsc == 2000 and got.json()["m2m:cin"]["con"] == text
    # the Target opens what it retrieved with the key; the CSE never had it
    kf = secret_file(tmp_path, "k.hex", raw.hex())
    out = esdata(w, "decrypt", "--key-file", kf, input=got.json()["m2m:cin"]["con"])
    assert out.returncode == 0 and out.stdout == SECRET, out.stderr
    db = store_bytes(w)
    assert text.encode() in db or text.split(".")[3].encode() in db       # the ciphertext is there
    assert SECRET.encode() not in db                                       # the plaintext is not
    assert SECRET not in w.c.log_text()
    # the row itself, read with sqlite3: its body holds exactly the object, no plaintext
    db = sqlite3.connect(w.c.path("cse.db"), timeout=30)
    bodies = [r[0] for r in db.execute("SELECT body FROM res WHERE rn = 'opaque'")]
    db.close()
    assert len(bodies) == 1 and text in bodies[0] and SECRET not in bodies[0], bodies


# ---- TEF: key registration by the Source, retrieval by the Target ---------------------------------

def register_keys(w, name):
    """A Kpm enrolee (the Source) registers an ESData encryption key (SUID 14, 16 octets) and a
    signature key (SUID 15, 32 octets) for the target /id-in, in its MEF session."""
    kpm_id, kpm = w.add(name, "C" + name)
    k14, k15 = os.urandom(16), os.urandom(32)

    def key_reg(suid, key):
        return json.dumps({"sec:keyRegCfg": {"fqdn": FQDN, "adminFQDN": FQDN, "SUID": suid,
                                             "targetIDs": ["/id-in"], "keyValue": key.hex()}})
    mat, rsps = w.psk_session(kpm_id, kpm, request("POST", "/mefClientReg", reg_body(), close=False, rqi="a")
                              + request("POST", "/mefKeyReg", key_reg(14, k14), close=False, rqi="b")
                              + request("POST", "/mefKeyReg", key_reg(15, k15), close=True, rqi="c"))
    assert [h["x-m2m-rsc"] for _, h, _ in rsps] == ["2001", "2001", "2001"], rsps
    r14 = json.loads(rsps[1][2])["sec:mefKeyReg"]
    r15 = json.loads(rsps[2][2])["sec:mefKeyReg"]
    assert "keyValue" not in r14 and r14["SUID"] == 14 and r14["keyID"].endswith("@" + FQDN)
    return k14, r14, k15, r15


def tef_args(w, key_id, crt="server"):
    return ["--mef", "127.0.0.1:%d" % w.mef_port, "--mef-ca", w.c.path("ca/ca.crt"), "--mef-fqdn", FQDN,
            "--client-cert", w.c.path(crt + ".crt"), "--client-key", w.c.path(crt + ".key"), "--key-id", key_id]


@pytest.fixture(scope="module")
def keys(world):
    return register_keys(world, "src1")


def test_tef_retrieval_access_check(world, keys):
    w = world
    k14, r14, k15, r15 = keys
    rel = r14["relKeyID"]
    # the listed Target gets the key; a CSE not listed gets 4004, as for an unknown key
    s, h, b = w.target_session(request("GET", "/mefKeyReg/" + rel))[0]
    assert h["x-m2m-rsc"] == "2000", b
    got = json.loads(b)["sec:mefKeyReg"]
    assert bytes.fromhex(got["keyValue"]) == k14 and got["SUID"] == 14 and got["targetIDs"] == ["/id-in"]
    s, h, b = w.target_session(request("GET", "/mefKeyReg/" + rel), crt="mn1")[0]
    assert h["x-m2m-rsc"] == "4004" and "keyValue" not in b, b
    s, h, b = w.target_session(request("GET", "/mefKeyReg/" + "0" * 32))[0]
    assert h["x-m2m-rsc"] == "4004", b
    # a Target cannot change or delete the Source's registration
    for method in ("DELETE", "PUT"):
        body = json.dumps({"sec:keyRegCfg": {"targetIDs": ["/id-mn1"]}}) if method == "PUT" else None
        s, h, b = w.target_session(request(method, "/mefKeyReg/" + rel, body))[0]
        assert h["x-m2m-rsc"] == "4004", (method, b)


def test_cli_decrypt_and_protect_with_the_tef_key(world, keys, tmp_path):
    w = world
    k14, r14, k15, r15 = keys
    cred = "14-" + r14["keyID"]                                            # TS-0003 clause 10.4
    jk = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(k14).rstrip(b"=").decode())
    # the Source (jwcrypto) protects with kid = the Credential-ID; the Target decrypts via the MEF
    obj = jwe.JWE(SECRET.encode(), protected=json_encode({"alg": "A128KW", "enc": "A128GCM", "kid": cred}))
    obj.add_recipient(jk)
    text = obj.serialize(compact=True)
    for key_id in (cred, r14["keyID"]):                                    # Credential-ID or bare keyID
        out = esdata(w, "decrypt", *tef_args(w, key_id), input=text)
        assert out.returncode == 0 and out.stdout == SECRET, out.stderr
    # the Target protects for the other listed parties with the same key: jwcrypto opens it and
    # sees the Credential-ID as kid
    out = esdata(w, "protect", "--alg", "A128KW", "--enc", "A128GCM", *tef_args(w, cred), input=SECRET)
    assert out.returncode == 0, out.stderr
    back = jwe.JWE()
    back.deserialize(out.stdout.strip(), key=jk)
    assert back.payload.decode() == SECRET and json.loads(back.objects["protected"])["kid"] == cred
    # JSON Serialization as well
    out = esdata(w, "protect", "--alg", "A128KW", "--enc", "A256GCM", "--json", *tef_args(w, cred), input=SECRET)
    assert out.returncode == 0, out.stderr
    back = jwe.JWE()
    back.deserialize(out.stdout, key=jk)
    assert back.payload.decode() == SECRET
    # an object for another kid is not opened with the MEF key (the kid binds the credential)
    other = jwe.JWE(SECRET.encode(), protected=json_encode({"alg": "A128KW", "enc": "A128GCM", "kid": "14-x@y"}))
    other.add_recipient(jk)
    out = esdata(w, "decrypt", *tef_args(w, cred), input=other.serialize(compact=True))
    assert out.returncode == 1 and "M2M_E_ESD_KEY" in out.stderr, out.stderr


def test_cli_verify_with_the_tef_signature_key(world, keys):
    w = world
    k14, r14, k15, r15 = keys
    cred = "15-" + r15["keyID"]
    jk = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(k15).rstrip(b"=").decode())
    s = jws.JWS(SECRET.encode())
    s.add_signature(jk, None, json_encode({"alg": "HS256", "kid": cred}))
    out = esdata(w, "verify", *tef_args(w, cred), input=s.serialize(compact=True))
    assert out.returncode == 0 and out.stdout == SECRET, out.stderr
    # signed by the Target with the MEF key (MIC with a TEF key, TS-0003 Table 8.5.2.1-1): jwcrypto verifies
    out = esdata(w, "protect", "--alg", "HS256", *tef_args(w, cred), input=SECRET)
    assert out.returncode == 0, out.stderr
    v = jws.JWS()
    v.deserialize(out.stdout.strip())
    v.verify(jk)
    assert v.payload.decode() == SECRET
    # a tampered payload fails
    h, p, sig = out.stdout.strip().split(".")
    bad = ".".join((h, base64.urlsafe_b64encode(b"22.5").rstrip(b"=").decode(), sig))
    out = esdata(w, "verify", *tef_args(w, cred), input=bad)
    assert out.returncode == 1 and "M2M_E_ESD_SIGNATURE" in out.stderr, out.stderr


def test_cli_tef_refusals(world, keys):
    w = world
    k14, r14, k15, r15 = keys
    cred14, cred15 = "14-" + r14["keyID"], "15-" + r15["keyID"]
    obj = jwe.JWE(SECRET.encode(), protected=json_encode({"alg": "A128KW", "enc": "A128GCM", "kid": cred14}))
    obj.add_recipient(jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(k14).rstrip(b"=").decode()))
    text = obj.serialize(compact=True)
    # a Target not listed (the CSE /id-mn1): the MEF's 4004, exit 1, nothing written
    out = esdata(w, "decrypt", *tef_args(w, cred14, crt="mn1"), input=text)
    assert out.returncode == 1 and "RSC 4004" in out.stderr and out.stdout == "", out.stderr
    # unknown key
    out = esdata(w, "decrypt", *tef_args(w, "14-" + "A" * 32 + "@" + FQDN), input=text)
    assert out.returncode == 1 and "RSC 4004" in out.stderr, out.stderr
    # a key of the other usage (TS-0004 Table 6.3.4.2.39-1): the signature key does not decrypt,
    # the encryption key does not sign
    out = esdata(w, "decrypt", *tef_args(w, cred15), input=text)
    assert out.returncode == 1 and "SUID 15" in out.stderr, out.stderr
    out = esdata(w, "protect", "--alg", "HS256", *tef_args(w, cred14), input=SECRET)
    assert out.returncode == 1 and "SUID 14" in out.stderr and out.stdout == "", out.stderr
    # a Credential-ID whose SUID is not the registration's
    out = esdata(w, "decrypt", *tef_args(w, "15-" + r14["keyID"]), input=text)
    assert out.returncode == 1 and "SUID" in out.stderr, out.stderr
    # malformed / other MEF / non-ESData SUID: usage errors before any connection
    for bad in ("nope", "22-" + r14["keyID"], r14["relKeyID"] + "@mef.other.example.com", "14-" + r14["relKeyID"]):
        out = esdata(w, "decrypt", *tef_args(w, bad), input=text)
        assert out.returncode == 2, (bad, out.stderr)
    # --key-id without --mef, --mef without a client certificate
    out = esdata(w, "decrypt", "--key-id", cred14, input=text)
    assert out.returncode == 2, out.stderr
    args = tef_args(w, cred14)
    out = esdata(w, "decrypt", *args[:6], *args[10:], input=text)
    assert out.returncode == 2 and "--client-cert" in out.stderr, out.stderr


def test_rspf_suid_24_and_a_non_esdata_registration(world):
    """SUID 24 (RSPF-provisioned ESData encryption key) works like 14; a key registered for
    another use (SUID 22, SAEF: exactly one target) is never taken as an ESData key, whatever the
    Credential-ID the Target names."""
    w = world
    kpm_id, kpm = w.add("src24", "Csrc24")
    k24, k22 = os.urandom(32), os.urandom(32)

    def key_reg(suid, key):
        return json.dumps({"sec:keyRegCfg": {"fqdn": FQDN, "adminFQDN": FQDN, "SUID": suid,
                                             "targetIDs": ["/id-in"], "keyValue": key.hex()}})
    mat, rsps = w.psk_session(kpm_id, kpm, request("POST", "/mefClientReg", reg_body(), close=False, rqi="a")
                              + request("POST", "/mefKeyReg", key_reg(24, k24), close=False, rqi="b")
                              + request("POST", "/mefKeyReg", key_reg(22, k22), close=True, rqi="c"))
    assert [h["x-m2m-rsc"] for _, h, _ in rsps] == ["2001", "2001", "2001"], rsps
    r24 = json.loads(rsps[1][2])["sec:mefKeyReg"]
    r22 = json.loads(rsps[2][2])["sec:mefKeyReg"]
    cred = "24-" + r24["keyID"]
    jk = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(k24).rstrip(b"=").decode())
    obj = jwe.JWE(SECRET.encode(), protected=json_encode({"alg": "dir", "enc": "A256GCM", "kid": cred}))
    obj.add_recipient(jk)
    out = esdata(w, "decrypt", *tef_args(w, cred), input=obj.serialize(compact=True))
    assert out.returncode == 0 and out.stdout == SECRET, out.stderr
    # the SAEF key by its bare keyID: the MEF hands it to the listed target, the client refuses it
    out = esdata(w, "decrypt", *tef_args(w, r22["keyID"]), input=obj.serialize(compact=True))
    assert out.returncode == 1 and "not an ESData key" in out.stderr, out.stderr


def test_end_to_end_source_cse_target_via_the_tef(world, keys, tmp_path):
    """Source (jwcrypto, key registered with the MEF) -> <contentInstance> with contentInfo
    application/json:0:1 in the CSE -> Target RETRIEVEs it and opens it with the key fetched from
    the MEF by Credential-ID. The CSE's store and log never hold the plaintext."""
    w = world
    k14, r14, k15, r15 = keys
    cred = "14-" + r14["keyID"]
    marker = SECRET + " e2e " + secrets.token_hex(8)
    jk = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(k14).rstrip(b"=").decode())
    obj = jwe.JWE(marker.encode(), protected=json_encode({"alg": "A128KW", "enc": "A128GCM", "kid": cred,
                                                          "cty": "text/plain"}))
    obj.add_recipient(jk)
    r = cin(w, "tef1", "text/plain:0:1", obj.serialize(compact=True))
    assert r.rsc == 2001, r
    got = get(w, "tef1")
    assert got.rsc == 2000
    out = esdata(w, "decrypt", *tef_args(w, cred), input=got.json()["m2m:cin"]["con"])
    assert out.returncode == 0 and out.stdout == marker, out.stderr
    assert marker.encode() not in store_bytes(w)
    assert marker not in w.c.log_text()
