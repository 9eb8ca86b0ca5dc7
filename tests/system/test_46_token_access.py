# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of the Hosting CSE's token-aware access decision: indirect dynamic
authorization (TS-0003 clauses 7.3.2.3, 7.3.2.5, 7.3.2.6; TS-0009 clauses 6.4.18, 6.4.19, 6.5,
7.1; docs/procedures/das.md "The CSE side").

A real `m2msec cse` on loopback trusts two token issuers (das-trust): a test issuer whose ES256
key only python3-jwcrypto holds (tokens made independently of our signer), and the DAS key of
`m2msec das token issue`. Originators are AEs over TLS-PSK (openssl s_client). Every refusal
asserts its exact Response Status Code.
"""
import base64
import datetime
import json
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from binding_clients import ascii_key, coap
from cse_harness import SP, Cse, free_port

jwk = pytest.importorskip("jwcrypto.jwk")
jwt = pytest.importorskip("jwcrypto.jwt")

ISS = "//sp.example.com/id-in/Cissuer"    # the jwcrypto test issuer
DAS = "//sp.example.com/id-in/Cdas"       # the m2msec das token issue key
AUD = "//sp.example.com/id-in"            # this CSE's absolute CSE-ID
H1 = "//sp.example.com/id-in/Cdev1"
H3 = "//sp.example.com/id-in/Cdev3"
DAS_URI = "https://das.sp.example.com:8445/token"
AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key_cert(tmp, name):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subj).issuer_name(subj).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    kp, cp = tmp / f"{name}.key", tmp / f"{name}.crt"
    kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    kp.chmod(0o600)
    cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, kp, cp


@pytest.fixture(scope="module")
def env(m2msec_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tok")
    c = Cse(m2msec_bin, tmp)
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    for n in range(1, 4):
        c.add_psk("kpsa-dev%d@%s" % (n, SP), "Cdev%d" % n)
    ikey, _, icrt = key_cert(tmp, "issuer")
    _, dkey, dcrt = key_cert(tmp, "das")
    (tmp / "das-trust").write_text(f"# trusted token issuers\n{ISS} {icrt}\n{DAS} {dcrt}\n")
    das_ini = tmp / "das.ini"
    das_ini.write_text(f"[das]\ndas-id = {DAS}\ncert = {dcrt}\nkey = {dkey}\nmax-token-lifetime = 3600\n")
    # CoAP over DTLS-PSK for Cdev1 too (coap-client takes a printable key)
    c.coaps_port, c.coap_keys = free_port(), {"kpsa-dev1c@" + SP: ascii_key()}
    c.psks["kpsa-dev1c@" + SP] = (c.coap_keys["kpsa-dev1c@" + SP].encode().hex(), "Cdev1")
    c.start(f"max-header = 32768\ndas-trust = {tmp / 'das-trust'}\ndas-token-uri = {DAS_URI}\n"
            f"coaps-listen = 127.0.0.1:{c.coaps_port}\n")
    for n in range(1, 4):
        r = c.psk("POST", "/cse-in", "Cdev%d" % n, "kpsa-dev%d@%s" % (n, SP), AE_BODY % ("dev%d" % n), ty=2)
        assert r is not None and r.rsc == 2001, r
    # an ACP that grants Cdev2 everything and the Role-ID reader@sp.example.com RETRIEVE only
    acp = {"m2m:acp": {"rn": "acpTok", "pv": {"acr": [{"acor": ["Cdev2"], "acop": 63},
                                                      {"acor": ["reader@sp.example.com"], "acop": 2}]},
                       "pvs": {"acr": [{"acor": ["CAdmin"], "acop": 63}]}}}
    r = admin(c, "POST", "/cse-in", json.dumps(acp), ty=1)
    assert r.rsc == 2001, r
    acp_ri = r.json()["m2m:acp"]["ri"]
    ris = {}
    for rn in ("box", "other"):
        r = admin(c, "POST", "/cse-in", json.dumps({"m2m:cnt": {"rn": rn, "acpi": [acp_ri]}}), ty=3)
        assert r.rsc == 2001, r
        ris[rn] = r.json()["m2m:cnt"]["ri"]
    yield {"cse": c, "ikey": ikey, "das_ini": das_ini, "ris": ris, "tmp": tmp}
    assert c.stop() == 0


def admin(c, method, path, body=None, ty=None, **kw):
    return c.psk(method, path, "CAdmin", "kpsa-admin@" + SP, body, ty=ty, **kw)


def dev(env, n, method, path, tokens=None, query="", headers=None, bearer=False):
    h = dict(headers or {})
    if tokens is not None:
        h["Authorization"] = ("Bearer " if bearer else "") + "+".join(tokens)
    return env["cse"].psk(method, path + query, "Cdev%d" % n, "kpsa-dev%d@%s" % (n, SP), headers=h)


def claims(env, **over):
    now = int(time.time())
    c = {"tkvr": "1", "jti": "t%d@sp.example.com" % now, "iss": ISS, "azp": H1, "nbf": now - 5, "exp": now + 300,
         "aud": [AUD], "tkps": {"pm": [{"ris": [env["ris"]["box"]], "pv": {"acr": [{"acor": [H1], "acop": 2}]}}]}}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def token(env, key=None, header=None, **over):
    t = jwt.JWT(header=header or {"alg": "ES256", "typ": "JWT"}, claims=claims(env, **over))
    t.make_signed_token(jwk.JWK.from_pyca(key or env["ikey"]))
    return t.serialize()


def das_issue(env, holder=H1, resource="cse-in/box"):
    r = env["cse"].m2m("das", "token", "issue", "--config", str(env["das_ini"]), "--holder", holder, "--audience",
                       AUD, "--resource", resource, "--op", "2", "--lifetime", "600")
    return r.stdout.strip()


# ---- positive paths ------------------------------------------------------------------------

def test_denied_by_acp_then_permitted_with_tkns(env):
    assert dev(env, 1, "GET", "/cse-in/box").rsc == 4103  # the static ACP denies Cdev1
    r = dev(env, 1, "GET", "/cse-in/box", [token(env)])
    assert r.rsc == 2000, r
    assert r.json()["m2m:cnt"]["rn"] == "box"
    # TS-0009 clause 6.4.18: the Local-Token-ID assigned, "lti:tkid"
    lti, _, tkid = r.headers["x-m2m-ati"].partition(":")
    assert lti.startswith("lti") and tkid.endswith("@sp.example.com")


def test_bearer_form_is_accepted(env):
    """TS-0009 clause 7.1 / RFC 6750: "Authorization: Bearer <tokens>" carries the same list."""
    assert dev(env, 1, "GET", "/cse-in/box", [token(env)], bearer=True).rsc == 2000


def test_audience_wildcard(env):
    """TS-0003 clause 7.1.3 wildcards in aud: '*' within one segment."""
    assert dev(env, 1, "GET", "/cse-in/box", [token(env, aud=["//sp.example.com/id-*"])]).rsc == 2000
    assert dev(env, 1, "GET", "/cse-in/box", [token(env, aud=["//*.example.org/id-in"])]).rsc == 4103


def test_m2msec_das_token_issue_is_honoured(env):
    tok = das_issue(env)
    assert tok.count(".") == 2
    assert dev(env, 1, "GET", "/cse-in/box", [tok]).rsc == 2000


def test_ltids_reuse_the_assigned_token(env):
    r = dev(env, 1, "GET", "/cse-in/box", [token(env)])
    lti = r.headers["x-m2m-ati"].split(":")[0]
    assert dev(env, 1, "GET", "/cse-in/box", query="?ltids=" + lti).rsc == 2000
    # another originator's ltids are as unknown as made-up ones
    assert dev(env, 3, "GET", "/cse-in/box", query="?ltids=" + lti).rsc == 4103


def test_ltids_over_coap(env):
    """TS-0008 clause 6.2.2.3: ltids in Uri-Query; the Local-Token-ID assigned over HTTPS serves the
    same originator over CoAP (a compact token is longer than a 255-byte Uri-Query option)."""
    c = env["cse"]
    r = dev(env, 1, "GET", "/cse-in/box", [token(env)])
    lti = r.headers["x-m2m-ati"].split(":")[0]
    assert coap(c, "get", "/cse-in/box", "Cdev1", "kpsa-dev1c@" + SP).rsc == 4103
    assert coap(c, "get", "/cse-in/box?ltids=" + lti, "Cdev1", "kpsa-dev1c@" + SP).rsc == 2000
    assert coap(c, "get", "/cse-in/box?ltids=ltinope", "Cdev1", "kpsa-dev1c@" + SP).rsc == 4103


def test_token_role_ids_match_role_acor(env):
    """TS-0003 clause 7.3.2.5: the rids of a permission are the holder's roles."""
    pm = {"pm": [{"ris": [env["ris"]["box"]], "rids": ["reader@sp.example.com"]}]}
    assert dev(env, 1, "GET", "/cse-in/box", [token(env, tkps=pm)]).rsc == 2000
    assert dev(env, 1, "DELETE", "/cse-in/box", [token(env, tkps=pm)]).rsc == 4103  # the role reads only


def test_tqi_gives_token_request_information(env):
    r = dev(env, 1, "GET", "/cse-in/box", query="?tqi=true")
    assert r.rsc == 4103
    body = r.json()
    assert "m2m:dbg" not in body  # TS-0009 clause 6.5: no debugging information with tqf
    dasi = body["m2m:tqf"]["dasi"]
    assert dasi[0]["uri"] == DAS_URI
    assert dasi[0]["dreq"]["or"] == H1 and dasi[0]["dreq"]["trid"] == env["ris"]["box"]


def test_no_tqi_no_tqf(env):
    r = dev(env, 1, "GET", "/cse-in/box")
    assert r.rsc == 4103 and "m2m:tqf" not in r.json() and "m2m:dbg" in r.json()


# ---- refusals --------------------------------------------------------------------------------

def forged(env):
    other = ec.generate_private_key(ec.SECP256R1())
    return token(env, key=other)


def flipped(env):
    a, b, s = token(env).split(".")
    return f"{a}.{b}." + ("B" if s[0] == "A" else "A") + s[1:]


def alg_none(env):
    hdr = b64u(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return hdr + "." + b64u(json.dumps(claims(env)).encode()) + "."


def tampered(env):
    a, _, s = token(env).split(".")
    c = claims(env)
    c["tkps"]["pm"][0]["pv"]["acr"][0]["acop"] = 63
    return a + "." + b64u(json.dumps(c).encode()) + "." + s


def oversize(env):
    return token(env, header={"alg": "ES256", "typ": "JWT", "kid": "k" * 9000})


NOW = int(time.time())
REFUSALS = [
    ("forged_signature", forged, 4103),
    ("flipped_signature", flipped, 4103),
    ("alg_none_not_permitted", alg_none, 4103),
    ("wrong_issuer", lambda e: token(e, iss="//sp.example.com/id-in/Cmallory"), 4103),
    ("audience_without_this_cse", lambda e: token(e, aud=["//sp.example.com/id-mn"]), 4103),
    ("audience_absent", lambda e: token(e, aud=None), 4103),
    ("holder_not_originator", lambda e: token(e, azp=H3), 4103),
    ("expired", lambda e: token(e, nbf=NOW - 7200, exp=NOW - 3600), 4103),
    ("not_yet_valid", lambda e: token(e, nbf=NOW + 3600, exp=NOW + 7200), 4103),
    ("token_for_another_resource",
     lambda e: token(e, tkps={"pm": [{"ris": [e["ris"]["other"]], "pv": {"acr": [{"acor": [H1], "acop": 2}]}}]}),
     4103),
    ("privileges_for_someone_else",
     lambda e: token(e, tkps={"pm": [{"ris": [e["ris"]["box"]], "pv": {"acr": [{"acor": [H3], "acop": 2}]}}]}),
     4103),
    ("tampered_payload", tampered, 4103),
    ("oversize_header", oversize, 4000),
    ("not_a_jws", lambda e: "abc.def", 4000),
    ("jwe_class_refused", lambda e: "a.b.c.d.e", 4000),
]


@pytest.mark.parametrize("name,make,want", REFUSALS, ids=[x[0] for x in REFUSALS])
def test_token_refused(env, name, make, want):
    r = dev(env, 1, "GET", "/cse-in/box", [make(env)])
    assert r.rsc == want, (name, r)
    # a refused token next to a good one: the request gets nothing from any token (fail closed);
    # a valid token that grants nothing here (another resource / someone else) is no refusal
    if want == 4103 and name not in ("token_for_another_resource", "privileges_for_someone_else"):
        assert dev(env, 1, "GET", "/cse-in/box", [token(env), make(env)]).rsc == 4103


def test_read_token_does_not_delete(env):
    assert dev(env, 1, "DELETE", "/cse-in/box", [token(env)]).rsc == 4103


def test_hs256_with_the_certificate_key_is_refused(env):
    """Algorithm confusion: an HMAC keyed with the issuer's public key is never accepted."""
    pub = env["ikey"].public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    t = jwt.JWT(header={"alg": "HS256", "typ": "JWT"}, claims=claims(env))
    t.make_signed_token(jwk.JWK(kty="oct", k=b64u(pub)))
    assert dev(env, 1, "GET", "/cse-in/box", [t.serialize()]).rsc == 4103


def test_unknown_tids(env):
    assert dev(env, 1, "GET", "/cse-in/box", query="?tids=nope@sp.example.com").rsc == 4103


def test_unknown_ltids(env):
    assert dev(env, 1, "GET", "/cse-in/box", query="?ltids=ltiunknown").rsc == 4103


def test_claimed_role_ids_grant_nothing(env):
    """rids alone (a role held by someone else, or expired) never grant: a Role-ID counts only
    when verified (docs/acp.md); here the ACP names reader@sp.example.com."""
    assert dev(env, 1, "GET", "/cse-in/box", query="?rids=reader@sp.example.com").rsc == 4103
    assert dev(env, 3, "GET", "/cse-in/box", query="?rids=reader@sp.example.com").rsc == 4103


def test_empty_token_in_list_is_4000(env):
    assert dev(env, 1, "GET", "/cse-in/box", [token(env), ""]).rsc == 4000


def test_peer_with_a_valid_token_for_something_else(env):
    t3 = token(env, azp=H3, tkps={"pm": [{"ris": [env["ris"]["other"]],
                                         "pv": {"acr": [{"acor": [H3], "acop": 2}]}}]})
    assert dev(env, 3, "GET", "/cse-in/other", [t3]).rsc == 2000  # valid where it applies
    assert dev(env, 3, "GET", "/cse-in/box", [t3]).rsc == 4103     # and nowhere else
    assert dev(env, 1, "GET", "/cse-in/other", [t3]).rsc == 4103   # nor for anybody else


def test_token_over_plain_http_is_not_honoured(env):
    """Only an authenticated originator can be a token's holder (TS-0003 clause 7.3.2.3)."""
    r = env["cse"].plain("GET", "/cse-in/box", "Cdev1", headers={"Authorization": token(env)})
    assert r.rsc == 4103


# ---- <role>, <token>, <dynamicAuthorizationConsultation> (TS-0001 9.6.38-9.6.40) -----------------

def ts(t):
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(t))


def role(env, holder, nb, na, rlid="reader@sp.example.com", who="CAdmin"):
    body = {"m2m:rol": {"rlid": rlid, "tkis": "CAdmin", "tkhd": holder, "tknb": ts(nb), "tkna": ts(na)}}
    if who == "CAdmin":
        return admin(env["cse"], "POST", "/cse-in", json.dumps(body), ty=31)
    return env["cse"].psk("POST", "/cse-in", who, "kpsa-%s@%s" % (who[1:], SP), json.dumps(body), ty=31)


def test_roles_count_only_for_their_holder_while_valid(env):
    now = int(time.time())
    assert role(env, "Cdev1", now - 60, now + 600, who="Cdev1").rsc == 4103  # no self-issued roles
    assert role(env, "Cdev1", now - 60, now + 600, rlid="reader").rsc == 4000  # not relative@fqdn
    assert role(env, "Cdev1", now - 60, now + 600).rsc == 2001
    assert role(env, "Cdev3", now - 600, now - 60).rsc == 2001  # an expired role of Cdev3
    q = "?rids=reader@sp.example.com"
    assert dev(env, 1, "GET", "/cse-in/box", query=q).rsc == 2000      # the ACP's role acor matches
    assert dev(env, 1, "DELETE", "/cse-in/box", query=q).rsc == 4103   # the role reads only
    assert dev(env, 3, "GET", "/cse-in/box", query=q).rsc == 4103  # expired role
    assert dev(env, 3, "GET", "/cse-in/box", query="?rids=writer@sp.example.com").rsc == 4103  # no such role


def test_token_resource_tids_and_revocation(env):
    t = token(env, jti="stored-%d@sp.example.com" % time.time_ns())
    jti = json.loads(base64.urlsafe_b64decode(t.split(".")[1] + "=="))["jti"]
    body = {"m2m:tk": {"tkid": jti, "tkob": t}}
    c = env["cse"]
    # only its holder stores it; the tkid must be the jti; the tkob must verify
    assert c.psk("POST", "/cse-in", "Cdev3", "kpsa-dev3@" + SP, json.dumps(body), ty=32).rsc == 4103
    bad = {"m2m:tk": {"tkid": "x@sp.example.com", "tkob": t}}
    assert admin(c, "POST", "/cse-in", json.dumps(bad), ty=32).rsc == 4000
    forged_body = {"m2m:tk": {"tkid": jti, "tkob": forged(env)}}
    assert admin(c, "POST", "/cse-in", json.dumps(forged_body), ty=32).rsc == 4000
    assert dev(env, 1, "GET", "/cse-in/box", query="?tids=" + jti).rsc == 4103  # not stored yet
    r = admin(c, "POST", "/cse-in", json.dumps(body), ty=32)
    assert r.rsc == 2001, r
    tk = r.json()["m2m:tk"]
    assert tk["tkhd"] == H1 and tk["tkis"] == ISS
    assert dev(env, 1, "GET", "/cse-in/box", query="?tids=" + jti).rsc == 2000
    assert dev(env, 3, "GET", "/cse-in/box", query="?tids=" + jti).rsc == 4103  # not the holder
    assert dev(env, 1, "GET", "/cse-in/box", [t]).rsc == 2000
    assert admin(c, "DELETE", "/cse-in/" + tk["rn"]).rsc == 2002
    assert dev(env, 1, "GET", "/cse-in/box", [t]).rsc == 4103  # revoked
    assert dev(env, 1, "GET", "/cse-in/box", query="?tids=" + jti).rsc == 4103


def test_dac_and_daci(env):
    c = env["cse"]
    assert admin(c, "POST", "/cse-in", '{"m2m:dac":{"dae":true}}', ty=34).rsc == 4000
    r = admin(c, "POST", "/cse-in", '{"m2m:dac":{"rn":"dac1","dae":true,"dap":["https://das.sp.example.com"]}}',
              ty=34)
    assert r.rsc == 2001, r
    assert admin(c, "POST", "/cse-in", '{"m2m:cnt":{"rn":"dc","daci":["cse-in/dac1"]}}', ty=3).rsc == 2001
    assert admin(c, "POST", "/cse-in", '{"m2m:cnt":{"rn":"dx","daci":["cse-in/box"]}}', ty=3).rsc == 4000
