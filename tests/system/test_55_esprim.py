# SPDX-License-Identifier: Apache-2.0
"""System tests of the CSE as ESPrim Target (TS-0004 clause 7.6.2, TS-0003 clause 8.4.2,
TS-0001 clause 11.4.2; docs/procedures/e2e.md) and of `m2msec esprim` (the Originator).

The pairwiseESPrimKeys live in the CSE's credential store (kind kpsa, SUID 13, owner = the AE-ID
the key is bound to) and are found through the TLS PSK resolver chain. Protected objects are built
here independently of m2msec: the sessionESPrimKey with Python's hmac (TS-0003 clause 10.3.8.2),
the JWE with python3-jwcrypto (dir + A256GCM) or, for the malformed / tampered cases, by hand with
python3-cryptography's AES-GCM. Every refusal asserts its exact Response Status Code (Table
7.6.2-1): plain when no valid session key exists, ESPrim-protected once one does (C.6a).
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import time

import pytest

from cse_harness import SP, CSE_HOST, Cse

jwcrypto = pytest.importorskip("jwcrypto")
from jwcrypto import jwe, jwk  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

LABEL = b"oneM2M HMAC-SHA256 sessionESPrimKey derivation algorithm"
K1 = secrets.token_hex(32)   # esp1: SUID 13, owner CAE1
K2 = secrets.token_hex(32)   # esp2: SUID 13, owner CAE2
K3 = secrets.token_hex(32)   # esp3: no ESPrim SUID (a TLS Kpsa)
K4 = secrets.token_hex(32)   # esp4: revoked
K5 = secrets.token_hex(32)   # esp5: expired
KID = {n: "esp%d@%s" % (n, SP) for n in range(1, 7)}


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def ts(t):
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(t))


def make_oro(expiry=None, espa=(12,), esk=1):
    # well inside the receiver objects' 600 s (an originator object may not outlive the receiver
    # object, C.6b.1: with +600 a second boundary between the rand request and here gave 4113)
    return {"esri": "o" + secrets.token_hex(8), "esrv": "v" + secrets.token_hex(16),
            "esrx": ts(expiry if expiry is not None else time.time() + 300), "esk": esk, "espa": list(espa)}


def session_key(pairwise_hex, rro, oro, n=32):
    k = hmac.new(bytes.fromhex(pairwise_hex), rro["esrv"].encode() + oro["esrv"].encode() + LABEL,
                 hashlib.sha256).digest()
    return k[:n]


def seal_manual(key, hdr, pt, tamper=None):
    """JWE compact by hand (AES-GCM, AAD = ASCII(b64u(protected header)))."""
    ph = b64u(json.dumps(hdr, separators=(",", ":")).encode())
    iv = os.urandom(12)
    ct = AESGCM(key).encrypt(iv, pt, ph.encode())
    body, tag = ct[:-16], ct[-16:]
    if tamper == "tag":
        tag = bytes([tag[0] ^ 1]) + tag[1:]
    if tamper == "ct":
        body = bytes([body[0] ^ 1]) + body[1:]
    return ".".join([ph, "", b64u(iv), b64u(body), b64u(tag)])


def seal_jwcrypto(key, hdr, pt):
    e = jwe.JWE(pt, protected=json.dumps(hdr))
    e.add_recipient(jwk.JWK(kty="oct", k=b64u(key)))
    return e.serialize(compact=True)


def open_jwcrypto(key, compact):
    e = jwe.JWE()
    e.deserialize(compact, key=jwk.JWK(kty="oct", k=b64u(key)))
    return json.loads(e.payload), json.loads(e.objects["protected"])


def inner(op, to, fr, rqi=None, ty=None, pc=None):
    p = {"op": op, "to": to, "fr": fr, "rqi": rqi or "in-" + secrets.token_hex(6), "rvi": "3"}
    if ty:
        p["ty"] = ty
    if pc is not None:
        p["pc"] = pc
    return json.dumps(p).encode()


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("esprim"))
    c.setup_pki()
    c.add_psk("tls1@" + SP, "CAE1")  # the hop-by-hop TLS of the CLI (psk-file)
    store = c.path("creds.db")
    for n, key, extra in ((1, K1, ["--owner", "CAE1", "--suid", "13"]), (2, K2, ["--owner", "CAE2", "--suid", "13"]),
                          (3, K3, ["--owner", "CAE1"]), (4, K4, ["--owner", "CAE1", "--suid", "13"]),
                          (5, K5, ["--owner", "CAE1", "--suid", "13", "--not-after", "2020-01-01T00:00:00Z"])):
        c.m2m("cred", "add", "--store", store, "--kind", "kpsa", "--id", KID[n], "--key", "-", *extra, input=key)
    c.m2m("cred", "revoke", "--store", store, "--id", KID[4])
    c.start("cred-store = %s\nesprim-rand-seconds = 600\ndev-admin-over-plain-http = true\n" % store)
    # every test may address ae1 (CAE1) and ae2 (CAE2): registered through ESPrim, the first with
    # an object made by jwcrypto (asserted in test_jwcrypto_object_registers_ae_and_ae_retrieves)
    esp = Esp(c)
    c.ae1_rsp = esp.opened(esp.send(inner(1, "/id-in/cse-in", "CAE1", ty=2,
                                          pc={"m2m:ae": {"rn": "ae1", "api": "Nesp", "rr": False, "srv": ["3"]}}),
                                    use_jwcrypto=True))
    e2 = Esp(c, key_hex=K2, kid=KID[2], origin="CAE2")
    c.ae2_rsp = e2.opened(e2.send(inner(1, "/id-in/cse-in", "CAE2", ty=2,
                                        pc={"m2m:ae": {"rn": "ae2", "api": "Nesp", "rr": False, "srv": ["3"]}})))
    yield c
    c.stop()


def notify(c, to, seci, origin="CAE1"):
    return c.plain("POST", to, origin, body=json.dumps({"m2m:seci": seci}))


def rand_request(c, origin="CAE1", to="/cse-in"):
    r = notify(c, to, {"sit": 3}, origin)
    assert r.rsc == 2000, r
    return r.json()["m2m:seci"]["ero"]


class Esp:
    """One Originator session against the CSE (non-shared rand object unless rro given)."""

    def __init__(self, c, key_hex=K1, kid=KID[1], origin="CAE1", rro=None, oro=None, enc="A256GCM"):
        self.c, self.kid, self.origin = c, kid, origin
        self.rro = rro or rand_request(c, origin)
        self.oro = oro or make_oro(espa=(12,) if enc == "A256GCM" else (10, 11, 12))
        self.enc = enc
        self.key = session_key(key_hex, self.rro, self.oro, {"A128GCM": 16, "A192GCM": 24}.get(enc, 32))

    def hdr(self, **kw):
        h = {"alg": "dir", "enc": self.enc, "kid": self.kid, "ori": self.oro["esri"], "rri": self.rro["esri"],
             "cty": "application/json", "oro": self.oro}
        h.update(kw)
        return {k: v for k, v in h.items() if v is not None}

    def send(self, pt, to="/cse-in", use_jwcrypto=False, tamper=None, **hdr):
        h = self.hdr(**hdr)
        epo = seal_jwcrypto(self.key, h, pt) if use_jwcrypto else seal_manual(self.key, h, pt, tamper)
        return self.send_epo(epo, to)

    def send_epo(self, epo, to="/cse-in"):
        return notify(self.c, to, {"sit": 5, "epo": epo}, self.origin)

    def opened(self, r):
        """The inner response of a protected answer."""
        assert r.rsc == 2000, r
        seci = r.json()["m2m:seci"]
        assert seci["sit"] == 5
        rsp, hdr = open_jwcrypto(self.key, seci["epo"])
        assert hdr["kid"] == self.kid and hdr["ori"] == self.oro["esri"] and hdr["rri"] == self.rro["esri"]
        return rsp


# ---- happy paths -------------------------------------------------------------------------------

def test_csebase_publishes_esi(cse):
    r = cse.plain("GET", "/cse-in", "CAdmin")
    if r.rsc != 2000:  # the CSEBase may not be readable by this originator on plain HTTP
        pytest.skip("CSEBase not readable: %s" % r)
    esi = r.json()["m2m:cb"]["esi"]
    assert 13 in esi["esf"] and esi["esro"]["esri"].startswith("s") and esi["esro"]["esks"] == [1]
    # the shared object is stable while valid (not renewed per request)
    assert cse.plain("GET", "/cse-in", "CAdmin").json()["m2m:cb"]["esi"]["esro"] == esi["esro"]


def test_jwcrypto_object_registers_ae_and_ae_retrieves(cse):
    rsp = cse.ae1_rsp  # the fixture's CREATE <AE>, sealed by jwcrypto
    assert rsp["rsc"] == 2001, rsp
    assert rsp["pc"]["m2m:ae"]["aei"] == "CAE1"
    esp = Esp(cse)
    rsp = esp.opened(esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1"), use_jwcrypto=True))
    assert rsp["rsc"] == 2000 and rsp["pc"]["m2m:ae"]["rn"] == "ae1"


def test_shared_rand_object_and_a128gcm(cse):
    # esro of the CSEBase via the ACP-free route: a sit 3 answer is non-shared; the shared one is
    # only in esi, so read it as the admin over the plain listener if allowed
    r = cse.plain("GET", "/cse-in", "CAdmin")
    if r.rsc != 2000:
        pytest.skip("CSEBase not readable")
    esp = Esp(cse, rro=r.json()["m2m:cb"]["esi"]["esro"], enc="A128GCM")
    rsp = esp.opened(esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1")))
    assert rsp["rsc"] == 2000


def test_inner_acp_decides_for_inner_from(cse):
    # CAE2 registered its own AE; it may not read ae1 (no ACP grants it): 4103 inside, protected
    assert cse.ae2_rsp["rsc"] == 2001, cse.ae2_rsp
    e2 = Esp(cse, key_hex=K2, kid=KID[2], origin="CAE2")
    rsp = e2.opened(e2.send(inner(2, "/id-in/cse-in/ae1", "CAE2")))
    assert rsp["rsc"] == 4103
    # ... while CAE1 reads its own
    e1 = Esp(cse)
    assert e1.opened(e1.send(inner(2, "/id-in/cse-in/ae1", "CAE1")))["rsc"] == 2000


def cli(cse, m2msec_bin, *args, key=K1, kid=KID[1]):
    kf = cse.path("esp-key-%s.hex" % kid.split("@")[0])
    with open(kf, "w") as f:
        f.write(key + "\n")
    os.chmod(kf, 0o600)
    pf = cse.path("tls1.psk")
    with open(pf, "w") as f:
        f.write(cse.psks["tls1@" + SP][0] + "\n")
    os.chmod(pf, 0o600)
    cmd = [m2msec_bin, "esprim", "--to", "https://127.0.0.1:%d/cse-in" % cse.port, "--key-id", kid,
           "--key-file", kf, "--psk-identity", "tls1@" + SP, "--psk-file", pf, "--ca", cse.path("ca/ca.crt"),
           "--verify-name", CSE_HOST, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_cli_create_and_retrieve(cse, m2msec_bin):
    r = cli(cse, m2msec_bin, "--op", "create", "--target", "/id-in/cse-in/ae1", "--from", "CAE1", "--ty", "3",
            "--content", json.dumps({"m2m:cnt": {"rn": "box"}}))
    assert r.returncode == 0, r.stderr + r.stdout
    assert json.loads(r.stdout)["rsc"] == 2001
    r = cli(cse, m2msec_bin, "--op", "retrieve", "--target", "/id-in/cse-in/ae1/box", "--from", "CAE1")
    assert r.returncode == 0, r.stderr + r.stdout
    out = json.loads(r.stdout)
    assert out["rsc"] == 2000 and out["pc"]["m2m:cnt"]["rn"] == "box"
    # an inner refusal: exit 1, the protected inner RSC printed
    r = cli(cse, m2msec_bin, "--op", "retrieve", "--target", "/id-in/cse-in/ae1/nothing", "--from", "CAE1")
    assert r.returncode == 1 and json.loads(r.stdout)["rsc"] == 4004
    # unknown key: plain 4112, exit 1
    r = cli(cse, m2msec_bin, "--op", "retrieve", "--target", "/id-in/cse-in/ae1", "--from", "CAE1",
            kid="nokey@" + SP)
    assert r.returncode == 1 and json.loads(r.stdout) == {"rsc": 4112, "protected": False}
    # usage
    r = cli(cse, m2msec_bin, "--op", "frobnicate", "--target", "x", "--from", "CAE1")
    assert r.returncode == 2


def test_cli_certificate_hop(cse, m2msec_bin):
    # the hop-by-hop TLS with a client certificate bound to CAE1 instead of a PSK
    crt, key = cse.issue("cae1cert", "m2m://%s/id-in/CAE1" % SP)
    kf = cse.path("esp-key-cert.hex")
    with open(kf, "w") as f:
        f.write(K1 + "\n")
    os.chmod(kf, 0o600)
    r = subprocess.run([m2msec_bin, "esprim", "--to", "https://127.0.0.1:%d/cse-in" % cse.port, "--key-id", KID[1],
                        "--key-file", kf, "--ca", cse.path("ca/ca.crt"), "--cert", crt, "--key", key,
                        "--verify-name", CSE_HOST, "--op", "retrieve", "--target", "/id-in/cse-in/ae1",
                        "--from", "CAE1"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr + r.stdout
    assert json.loads(r.stdout)["rsc"] == 2000
    # a wrong verify name: the TLS hop fails, exit 1
    r = subprocess.run([m2msec_bin, "esprim", "--to", "https://127.0.0.1:%d/cse-in" % cse.port, "--key-id", KID[1],
                        "--key-file", kf, "--ca", cse.path("ca/ca.crt"), "--cert", crt, "--key", key,
                        "--verify-name", "other.example.com", "--op", "retrieve", "--target", "/id-in/cse-in/ae1",
                        "--from", "CAE1"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1


# ---- refusals: plain (no valid session key) -----------------------------------------------------

def test_sit3_needs_target_csebase_or_ae(cse):
    r = cse.plain("POST", "/cse-in/ae1", "CAE1", body=json.dumps({"m2m:seci": {"sit": 3}}))
    assert r.rsc == 2000  # an <AE> hosted here is a Target too
    cse.plain("GET", "/cse-in", "CAdmin")
    assert notify(cse, "/cse-in/nothing", {"sit": 3}).rsc == 4004


@pytest.mark.parametrize("epo", [
    "a.b.c.d",                       # four parts
    "a.b.c.d.e.f",                   # six parts
    "!!!.x.y.z.w",                   # not base64url
    "",                              # empty
])
def test_unparsable_object_4000(cse, epo):
    esp = Esp(cse)
    r = esp.send_epo(epo)
    assert r.rsc in (4000,), r


def test_truncated_compact_4000(cse):
    esp = Esp(cse)
    good = seal_manual(esp.key, esp.hdr(), inner(2, "/id-in/cse-in/ae1", "CAE1"))
    parts = good.split(".")
    assert esp.send_epo(".".join(parts[:4])).rsc == 4000
    assert esp.send_epo(good[: len(good) // 2]).rsc == 4000
    assert esp.send_epo(".".join(parts[:4] + [parts[4][:8]])).rsc == 4000  # short tag


def test_nonempty_encrypted_key_4000(cse):
    esp = Esp(cse)
    p = seal_manual(esp.key, esp.hdr(), inner(2, "/id-in/cse-in/ae1", "CAE1")).split(".")
    p[1] = b64u(b"k" * 16)
    assert esp.send_epo(".".join(p)).rsc == 4000


@pytest.mark.parametrize("hdr", [{"alg": "A256KW"}, {"alg": "none"}, {"enc": "A256CBC-HS512"}, {"zip": "DEF"}])
def test_unsupported_alg_enc_4111(cse, hdr):
    esp = Esp(cse)
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1"), **hdr).rsc == 4111


def test_espa_not_subset_4111(cse):
    esp = Esp(cse, oro=make_oro(espa=(12, 13)))
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1")).rsc == 4111
    # enc not in the originator's espa
    esp = Esp(cse, oro=make_oro(espa=(10,)))
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1")).rsc == 4111


def test_a192gcm_accepted(cse):
    esp = Esp(cse, enc="A192GCM")
    assert esp.opened(esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1")))["rsc"] == 2000


def test_non_json_cty_4111_protected(cse):
    esp = Esp(cse)
    assert esp.opened(esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1"), cty="application/cbor"))["rsc"] == 4111


def test_unsupported_keygen_4111(cse):
    esp = Esp(cse, oro=make_oro(esk=2))
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1")).rsc == 4111


@pytest.mark.parametrize("kid,key", [("nokey@" + SP, K1), (KID[3], K3), (KID[4], K4), (KID[5], K5)],
                         ids=["unknown", "not-esprim-suid", "revoked", "expired"])
def test_key_refused_4112(cse, kid, key):
    esp = Esp(cse, key_hex=key, kid=kid)
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1")).rsc == 4112


def test_malformed_kid_4112_or_4000(cse):
    esp = Esp(cse, kid="not a key id")
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1")).rsc == 4112


def test_unknown_ori_4113(cse):
    esp = Esp(cse)
    # no oro in the header and never seen
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1"), oro=None).rsc == 4113
    # ori not naming the object carried
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1"), ori="oother").rsc == 4113


def test_expired_originator_rand_4113(cse):
    esp = Esp(cse, oro=make_oro(expiry=time.time() - 60))
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1")).rsc == 4113


def test_originator_rand_beyond_receiver_4113(cse):
    esp = Esp(cse, oro=make_oro(expiry=time.time() + 86400))
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1")).rsc == 4113


def test_unknown_rri_4114(cse):
    esp = Esp(cse)
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1"), rri="nffffffffffffffff").rsc == 4114


def test_expired_receiver_rand_4114(cse):
    # a receiver object the CSE never issued, claimed expired: unknown -> 4114
    rro = {"esri": "n0000000000000001", "esrv": "v" + "00" * 16, "esrx": ts(time.time() - 10), "esks": [1],
           "espa": [12]}
    esp = Esp(cse, rro=rro)
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1")).rsc == 4114


def test_non_shared_rand_of_another_originator_4114(cse):
    rro = rand_request(cse, origin="CAE2")  # issued to CAE2, used with CAE1's key
    esp = Esp(cse, rro=rro)
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1")).rsc == 4114


def test_tampered_tag_and_ciphertext_4115(cse):
    esp = Esp(cse)
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1"), tamper="tag").rsc == 4115
    assert esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1"), tamper="ct").rsc == 4115


def test_wrong_kid_for_key_4115(cse):
    # sealed with CAE1's key but naming CAE2's kid: the tag does not verify
    esp = Esp(cse, key_hex=K1, kid=KID[2], origin="CAE2")
    assert esp.send(inner(2, "/id-in/cse-in/ae2", "CAE2")).rsc == 4115


def test_bad_seci_4000(cse):
    assert notify(cse, "/cse-in", {"sit": 5}).rsc == 4000
    assert notify(cse, "/cse-in", {"sit": 5, "epo": "x", "eckm": "AA=="}).rsc == 4000
    assert notify(cse, "/cse-in", {"sit": 99}).rsc == 4000


# ---- refusals: protected (a valid session key exists) ------------------------------------------

def test_from_mismatch_4116_protected(cse):
    esp = Esp(cse)
    rsp = esp.opened(esp.send(inner(2, "/id-in/cse-in/ae1", "CAE2")))
    assert rsp["rsc"] == 4116


def test_key_of_another_owner_4116(cse):
    # CAE2's key used for a request From CAE1: impersonation, protected
    e = Esp(cse, key_hex=K2, kid=KID[2], origin="CAE2")
    rsp = e.opened(e.send(inner(2, "/id-in/cse-in/ae1", "CAE1")))
    assert rsp["rsc"] == 4116


def test_unparsable_inner_primitive_4000_protected(cse):
    esp = Esp(cse)
    assert esp.opened(esp.send(b"{not json"))["rsc"] == 4000
    assert esp.opened(esp.send(b'{"op":9}'))["rsc"] == 4000


def test_replay_refused_protected(cse):
    esp = Esp(cse)
    epo = seal_manual(esp.key, esp.hdr(), inner(2, "/id-in/cse-in/ae1", "CAE1", rqi="once"))
    assert esp.opened(esp.send_epo(epo))["rsc"] == 2000
    again = esp.opened(esp.send_epo(epo))
    assert again["rsc"] == 4000 and "replay" in json.dumps(again)
    # the same rqi in a fresh object of the same rand object is a replay too
    assert esp.opened(esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1", rqi="once")))["rsc"] == 4000
    # a new rand object makes it fresh
    esp2 = Esp(cse, rro=esp.rro)
    assert esp2.opened(esp2.send(inner(2, "/id-in/cse-in/ae1", "CAE1", rqi="once")))["rsc"] == 2000


def test_oro_remembered_after_first_use(cse):
    esp = Esp(cse)
    assert esp.opened(esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1")))["rsc"] == 2000
    assert esp.opened(esp.send(inner(2, "/id-in/cse-in/ae1", "CAE1"), oro=None))["rsc"] == 2000


def test_nested_esprim_refused_protected(cse):
    esp = Esp(cse)
    nested = json.loads(inner(5, "/id-in/cse-in", "CAE1"))
    nested["pc"] = {"m2m:seci": {"sit": 3}}
    assert esp.opened(esp.send(json.dumps(nested).encode()))["rsc"] == 4000
    # a plain inner NOTIFY to the CSE is the request path's answer (not supported), protected
    nested["pc"] = {"m2m:sgn": {"vrq": True}}
    assert esp.opened(esp.send(json.dumps(nested).encode()))["rsc"] == 5001


def test_inner_delivery_params_ignored(cse):
    esp = Esp(cse)
    p = json.loads(inner(2, "/id-in/cse-in/ae1", "CAE1"))
    p["rt"] = {"rtv": 1}
    rsp = esp.opened(esp.send(json.dumps(p).encode()))
    assert rsp["rsc"] == 2000


def test_esi_on_ae_validated(cse):
    esp = Esp(cse)
    ok = {"m2m:ae": {"esi": {"esf": [13], "esro": make_rro_like()}}}
    assert esp.opened(esp.send(inner(3, "/id-in/cse-in/ae1", "CAE1", pc=ok)))["rsc"] == 2004
    bad = {"m2m:ae": {"esi": {"esf": ["x"]}}}
    assert esp.opened(esp.send(inner(3, "/id-in/cse-in/ae1", "CAE1", pc=bad)))["rsc"] == 4000
    bad = {"m2m:ae": {"esi": {"other": 1}}}
    assert esp.opened(esp.send(inner(3, "/id-in/cse-in/ae1", "CAE1", pc=bad)))["rsc"] == 4000


def make_rro_like():
    return {"esri": "s0102030405060708", "esrv": "v" + "ab" * 16, "esrx": ts(time.time() + 600), "esks": [1],
            "espa": [12]}


def test_store_never_holds_plaintext_of_epo(cse):
    # the outer NOTIFY creates nothing: the CSE's log names no inner content value
    esp = Esp(cse)
    marker = "secretmarker" + secrets.token_hex(4)
    esp.opened(esp.send(inner(2, "/id-in/cse-in/ae1/" + marker, "CAE1")))
    assert K1 not in cse.log_text()
