# SPDX-License-Identifier: Apache-2.0
"""End-to-end security THROUGH a transit CSE (TS-0003 clauses 8.4, 8.5, 8.7; TS-0001 clause 11.4;
TS-0004 clauses 7.3.2.6, 7.6.2; docs/procedures/e2e.md "Through a transit CSE").

A real IN-CSE (/id-in, the Target: ESPrim Receiver, ESCertKE Terminating End-Point, Hosting CSE)
and a real MN-CSE (/id-mn, registered with it: the transit CSE) started by the test (test_54's
Pair). An AE registered with the MN (Cae, From /id-mn/Cae at the IN) talks to the IN only through
the MN:
 (a) `m2msec esprim` CREATE / RETRIEVE on the IN with a pre-provisioned pairwiseESPrimKey (SUID 13):
     the MN's debug log and its store never hold the inner request's content or resource name;
 (b) ESCertKE through the MN, then the derived key (SUID 43) used for ESPrim through the MN;
 (c) ESData: protected content created through the MN on the IN; neither CSE's store holds the
     plaintext; the Target reads it back through the MN and decrypts it with the key;
 (d) refusals made by the IN and relayed by the MN unchanged: a tampered object 4115, a replay
     (protected 4000), an unknown kid 4112.
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

from cse_harness import SP
from test_54_forwarding import AE_BODY, Pair, admin, container, wait_for

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

LABEL = b"oneM2M HMAC-SHA256 sessionESPrimKey derivation algorithm"
KEY13 = secrets.token_hex(32)
KID13 = "esp-mn-ae@" + SP
ORIGIN = "/id-mn/Cae"            # the AE of the MN, SP-relative (as the IN sees it)
AE_PSK = "kpsa-ae@" + SP
# distinctive strings of the inner requests: they must never reach the transit MN in clear
INNER_RN = "inner-rn-" + secrets.token_hex(6)
INNER_CON = "inner-con-" + secrets.token_hex(8)
ECK_RN = "eck-rn-" + secrets.token_hex(6)
ESD_PLAIN = "esdata-plain-" + secrets.token_hex(8)
CONTROL = "control-" + secrets.token_hex(8)   # written on the MN in clear: proves the store is read


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def secret_file(c, name, text):
    p = c.path(name)
    with open(p, "w") as f:
        f.write(text + "\n")
    os.chmod(p, 0o600)
    return p


def store_bytes(c):
    """The CSE's SQLite store as bytes (database + WAL); None for a PostgreSQL store (the pg pass
    of scripts/test.sh), where the store is no file of the test."""
    if not c.store.endswith(".db"):
        return None
    data = b""
    for suffix in ("", "-wal"):
        if os.path.exists(c.store + suffix):
            with open(c.store + suffix, "rb") as f:
                data += f.read()
    return data


def provision(p):
    """The IN's credential store: the pairwiseESPrimKey of the MN's AE (KPSA, SUID 13, owner its
    AE-ID); the AE's ESCertKE certificate from the IN's CA (the IN's trust anchors)."""
    inc = p.inc
    inc.m2m("cred", "add", "--store", inc.path("creds.db"), "--kind", "kpsa", "--id", KID13, "--key", "-",
            "--owner", ORIGIN, "--suid", "13", input=KEY13)
    inc.issue("cae-eck", "m2m://%s/id-mn/Cae" % SP)


@pytest.fixture(scope="module")
def pair(m2msec_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e67")
    p = Pair(m2msec_bin, tmp, in_extra="esprim-rand-seconds = 600\nescertke = true\ncred-store = %s\n"
             % os.path.join(str(tmp), "in", "creds.db"), before_start=provision)
    mn, inc = p.mn, p.inc
    assert mn.psk("POST", "/cse-mn", "Cae", AE_PSK, AE_BODY % "ae", ty=2).rsc == 2001
    container(inc, "/cse-in", "box", [ORIGIN], 3)          # CREATE + RETRIEVE for the MN's AE
    container(mn, "/cse-mn", "mlocal", ["Cae"], 3)
    p.bin = m2msec_bin
    p.ae_psk_file = secret_file(mn, "ae.psk", mn.psks[AE_PSK][0])
    yield p
    assert p.stop() == (0, 0)


def esprim_cli(p, op, target, key_hex=KEY13, kid=KID13, extra=()):
    """`m2msec esprim` from the MN's AE (hop-by-hop TLS-PSK to the MN) to the IN's <CSEBase>: the
    outer NOTIFY from its AE-ID-Stem (a Registree AE, TS-0004 7.3.2.1), the inner request from
    its SP-relative AE-ID (the key's identity at the IN)."""
    kf = secret_file(p.mn, "esp-%s.hex" % hashlib.sha256(kid.encode()).hexdigest()[:8], key_hex)
    cmd = [p.bin, "esprim", "--to", "https://127.0.0.1:%d/~/id-in" % p.mn.port, "--key-id", kid,
           "--key-file", kf, "--psk-identity", AE_PSK, "--psk-file", p.ae_psk_file,
           "--ca", p.mn.path("ca/ca.crt"), "--verify-name", "id-mn." + SP,
           "--op", op, "--target", target, "--from", ORIGIN, "--outer-from", "Cae", *extra]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr


def test_esf_lists_43_only_with_escertke(pair):
    # TS-0003 Table 8.4.3.1.3-1: the SUIDs of the keys the Target accepts; 43 (ESCertKE-derived)
    # only where ESCertKE is terminated
    assert admin(pair.inc, "GET", "/cse-in").json()["m2m:cb"]["esi"]["esf"] == [13, 23, 33, 43]
    assert admin(pair.mn, "GET", "/cse-mn").json()["m2m:cb"]["esi"]["esf"] == [13, 23, 33]


def test_a_esprim_through_the_transit_mn(pair):
    cin = json.dumps({"m2m:cin": {"rn": INNER_RN, "con": INNER_CON}})
    rc, out, err = esprim_cli(pair, "create", "/id-in/cse-in/box", extra=("--ty", "4", "--content", cin))
    assert rc == 0, (out, err)
    assert out["rsc"] == 2001 and out["pc"]["m2m:cin"]["con"] == INNER_CON, out
    rc, out, err = esprim_cli(pair, "retrieve", "/id-in/cse-in/box/" + INNER_RN)
    assert rc == 0, (out, err)
    assert out["rsc"] == 2000 and out["pc"]["m2m:cin"]["con"] == INNER_CON, out
    # created on the IN, by the AE of the MN (the inner From, re-authorized by the IN's ACP)
    got = admin(pair.inc, "GET", "/cse-in/box/" + INNER_RN)
    assert got.rsc == 2000 and got.json()["m2m:cin"]["con"] == INNER_CON
    # the inner ACP decides at the IN: a target the AE may not read is 4103, protected (exit 1)
    container(pair.inc, "/cse-in", "closed", ["/id-mn/Cother"], 63)
    rc, out, _ = esprim_cli(pair, "retrieve", "/id-in/cse-in/closed")
    assert rc == 1 and out["rsc"] == 4103, out
    # a control written on the MN in clear is in its store: the store is really what is read
    r = pair.mn.psk("POST", "/cse-mn/mlocal", "Cae", AE_PSK, json.dumps({"m2m:cin": {"con": CONTROL}}), ty=4)
    assert r.rsc == 2001, r
    # the transit MN forwarded the NOTIFYs (its debug log shows the hop) ...
    log = pair.mn.log_text()
    assert "/id-in" in log
    # ... and never saw the inner primitive: neither its log nor its store has its content or name
    for secret in (INNER_RN, INNER_CON):
        assert secret not in log, secret
    db = store_bytes(pair.mn)
    if db is not None:
        assert CONTROL.encode() in db
        assert INNER_RN.encode() not in db and INNER_CON.encode() not in db


def test_b_escertke_through_the_mn_then_esprim(pair):
    inc, mn = pair.inc, pair.mn
    out = mn.path("eck.key")
    r = subprocess.run([pair.bin, "escertke", "--to", "https://127.0.0.1:%d" % mn.port, "--target", "//%s/id-in" % SP,
                        "--cert", inc.path("cae-eck.crt"), "--key", inc.path("cae-eck.key"),
                        "--ca", inc.path("ca/ca.crt"), "--from", "Cae",
                        "--psk-id", AE_PSK, "--psk-file", pair.ae_psk_file, "--tls-ca", mn.path("ca/ca.crt"),
                        "--name", "id-mn." + SP, "--out", out], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr + r.stdout
    with open(out + ".kid") as f:
        kid = f.read().strip()
    with open(out) as f:
        key = f.read().strip()
    assert kid.endswith("@id-in." + SP) and len(key) == 64
    # the IN holds exactly that key: KPSA, SUID 43, owner the initiator (TS-0003 8.7, 10.3.1)
    creds = json.loads(inc.m2m("cred", "list", "--store", inc.path("creds.db"), "--kind", "kpsa", "--json").stdout)
    rec = [c for c in creds if c["id"] == kid]
    assert len(rec) == 1 and rec[0]["suid"] == 43, rec
    cnt = json.dumps({"m2m:cnt": {"rn": ECK_RN}})
    rc, got, err = esprim_cli(pair, "create", "/id-in/cse-in/box", key_hex=key, kid=kid, extra=("--ty", "3", "--content", cnt))
    assert rc == 0, (out, err)
    assert got["rsc"] == 2001 and got["pc"]["m2m:cnt"]["rn"] == ECK_RN, got
    rc, got, err = esprim_cli(pair, "retrieve", "/id-in/cse-in/box/" + ECK_RN, key_hex=key, kid=kid)
    assert rc == 0 and got["rsc"] == 2000, (got, err)
    assert ECK_RN not in mn.log_text()
    db = store_bytes(mn)
    if db is not None:
        assert ECK_RN.encode() not in db and bytes.fromhex(key) not in db and key.encode() not in db
    # the ESCertKE key under another key value: the tag fails at the IN, 4115 relayed
    rc, got, _ = esprim_cli(pair, "retrieve", "/id-in/cse-in/box", key_hex=secrets.token_hex(32), kid=kid)
    assert rc == 1 and got == {"rsc": 4115, "protected": False}, got


def test_c_esdata_through_the_mn(pair):
    inc, mn = pair.inc, pair.mn
    raw = os.urandom(32)
    kf = secret_file(mn, "esd.hex", raw.hex())
    prot = subprocess.run([pair.bin, "esdata", "protect", "--alg", "dir", "--enc", "A256GCM", "--key-file", kf,
                           "--counter-file", mn.path("esd.count")], input=ESD_PLAIN, capture_output=True,
                          text=True, timeout=60)
    assert prot.returncode == 0, prot.stderr
    obj = prot.stdout.strip()
    body = json.dumps({"m2m:cin": {"rn": "esd", "cnf": "text/plain:0:1", "con": obj}})
    r = mn.psk("POST", "/~/id-in/cse-in/box", "Cae", AE_PSK, body, ty=4)
    assert r.rsc == 2001, r
    # the Target reads it back through the MN: the object unchanged, opened with the key
    got = mn.psk("GET", "/~/id-in/cse-in/box/esd", "Cae", AE_PSK)
    assert got.rsc == 2000 and got.json()["m2m:cin"]["con"] == obj, got
    dec = subprocess.run([pair.bin, "esdata", "decrypt", "--key-file", kf], input=got.json()["m2m:cin"]["con"],
                         capture_output=True, text=True, timeout=60)
    assert dec.returncode == 0 and dec.stdout == ESD_PLAIN, dec.stderr
    # the hosting IN stored the object opaquely, the MN stored nothing: no plaintext anywhere
    for c in (inc, mn):
        assert ESD_PLAIN not in c.log_text()
        db = store_bytes(c)
        if db is not None:
            assert ESD_PLAIN.encode() not in db
    db = store_bytes(inc)
    if db is not None:
        assert obj.split(".")[3].encode() in db       # the ciphertext is there


# ---- (d) refusals by the IN, relayed by the MN ------------------------------------------------

def notify_via_mn(p, seci):
    return p.mn.psk("POST", "/~/id-in", "Cae", AE_PSK, json.dumps({"m2m:seci": seci}),
                    rqi="n-" + secrets.token_hex(4))


class Sess:
    """A hand-made Originator session (python3-cryptography AES-GCM, Python's hmac) through the MN."""

    def __init__(self, p, key_hex=KEY13, kid=KID13):
        self.p, self.kid = p, kid
        r = notify_via_mn(p, {"sit": 3})
        assert r.rsc == 2000, r
        self.rro = r.json()["m2m:seci"]["ero"]
        # well inside the receiver object's 600 s (esprim-rand-seconds): an originator object may not
        # outlive it (TS-0003 C.6b.1), and +600 gave 4113 when a second boundary fell in between
        self.oro = {"esri": "o" + secrets.token_hex(8), "esrv": "v" + secrets.token_hex(16),
                    "esrx": time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() + 300)), "esk": 1, "espa": [12]}
        self.key = hmac.new(bytes.fromhex(key_hex), self.rro["esrv"].encode() + self.oro["esrv"].encode() + LABEL,
                            hashlib.sha256).digest()

    def seal(self, inner, tamper=False):
        hdr = {"alg": "dir", "enc": "A256GCM", "kid": self.kid, "ori": self.oro["esri"], "rri": self.rro["esri"],
               "cty": "application/json", "oro": self.oro}
        ph = b64u(json.dumps(hdr, separators=(",", ":")).encode())
        iv = os.urandom(12)
        ct = AESGCM(self.key).encrypt(iv, json.dumps(inner).encode(), ph.encode())
        body, tag = ct[:-16], ct[-16:]
        if tamper:  # a transit CSE flipping one ciphertext bit
            body = bytes([body[0] ^ 1]) + body[1:]
        return ".".join([ph, "", b64u(iv), b64u(body), b64u(tag)])

    def open(self, r):
        assert r.rsc == 2000, r
        seci = r.json()["m2m:seci"]
        assert seci["sit"] == 5
        ph, _, iv, ct, tag = seci["epo"].split(".")
        return json.loads(AESGCM(self.key).decrypt(b64u_dec(iv), b64u_dec(ct) + b64u_dec(tag), ph.encode()))


def inner_retrieve(rqi=None):
    return {"op": 2, "to": "/id-in/cse-in/box", "fr": ORIGIN, "rqi": rqi or "i-" + secrets.token_hex(6), "rvi": "3"}


def test_d_hand_made_object_through_the_mn(pair):
    s = Sess(pair)
    rsp = s.open(notify_via_mn(pair, {"sit": 5, "epo": s.seal(inner_retrieve())}))
    assert rsp["rsc"] == 2000 and rsp["pc"]["m2m:cnt"]["rn"] == "box"


def test_d_tampered_in_transit_4115_relayed(pair):
    s = Sess(pair)
    r = notify_via_mn(pair, {"sit": 5, "epo": s.seal(inner_retrieve(), tamper=True)})
    assert r.rsc == 4115, r                          # ESPRIM_BAD_MAC, plain (TS-0004 Table 7.6.2-1)
    assert "m2m:seci" not in str(r.body)


def test_d_replay_refused_and_relayed(pair):
    s = Sess(pair)
    epo = s.seal(inner_retrieve())
    assert s.open(notify_via_mn(pair, {"sit": 5, "epo": epo}))["rsc"] == 2000
    # the same ESPrim object again (a transit CSE replaying it): refused, protected (e2e.md "Replay")
    rsp = s.open(notify_via_mn(pair, {"sit": 5, "epo": epo}))
    assert rsp["rsc"] == 4000, rsp


def test_d_wrong_kid_4112_relayed(pair):
    s = Sess(pair)
    s.kid = "nokey@" + SP
    r = notify_via_mn(pair, {"sit": 5, "epo": s.seal(inner_retrieve())})
    assert r.rsc == 4112, r                          # ESPRIM_UNKNOWN_KEY_ID, plain
    # the CLI through the MN: the same refusal, exit 1
    rc, out, _ = esprim_cli(pair, "retrieve", "/id-in/cse-in/box", kid="nokey@" + SP)
    assert rc == 1 and out == {"rsc": 4112, "protected": False}, out


# ---- pairwiseESPrimKey from the MEF (TS-0003 8.4.2 A: RSPF/MEF-provisioned, SUID 23) -----------

@pytest.fixture(scope="module")
def mef_world(m2msec_bin, tmp_path_factory):
    from test_25_mef_e2e import World
    w = World(m2msec_bin, tmp_path_factory.mktemp("e2e67mef")).start_mef().start_cse()
    kpm_id, kpm = w.add("espdev", "Cesp")
    out = w.c.path("espdev")
    r = w.enrol(kpm_id, kpm, out)
    assert r.returncode == 0, r.stderr
    w.out = out
    with open(os.path.join(out, "keid")) as f:
        w.keid = f.read().strip()
    # the enrolee's usage-constrained ESPrim key for the Enrolment Target id-in (TS-0003 10.3.7)
    with open(os.path.join(out, "ke")) as f:
        ke = f.read().strip()
    r = w.m2m("key", "derive", "ucsk", "--ke", "-", "--suid", "23", "--target", "id-in." + SP, input=ke)
    assert r.returncode == 0, r.stderr
    w.k23 = r.stdout.strip().split()[-1]
    assert len(w.k23) == 64, r.stdout
    yield w
    w.stop()


def mef_esprim(w, key_hex, op, target, extra=(), kid=None):
    kf = secret_file(w.c, "k-" + secrets.token_hex(4), key_hex)
    cmd = [w.bin, "esprim", "--to", "https://127.0.0.1:%d/cse-in" % w.c.port, "--key-id", kid or w.keid,
           "--key-file", kf, "--psk-identity", w.keid, "--psk-file", os.path.join(w.out, "target.psk"),
           "--ca", w.c.path("ca/ca.crt"), "--verify-name", "id-in." + SP, "--op", op, "--target", target,
           "--from", "Cesp", *extra]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr


def test_mef_provisioned_esprim_key_suid_23(mef_world):
    w = mef_world
    # the CSE fetches the SUID 23 key of the KeID from the MEF (fetchCredentials/<KeID>/23) and
    # opens the object; the inner request registers the enrolee's AE and reads it back
    ae = json.dumps({"m2m:ae": {"rn": "espdev", "api": "Nesp", "rr": False, "srv": ["3"]}})
    rc, out, err = mef_esprim(w, w.k23, "create", "/id-in/cse-in", extra=("--ty", "2", "--content", ae))
    assert rc == 0, (out, err)
    assert out["rsc"] == 2001 and out["pc"]["m2m:ae"]["aei"] == "Cesp", out
    rc, out, err = mef_esprim(w, w.k23, "retrieve", "/id-in/cse-in/espdev")
    assert rc == 0 and out["rsc"] == 2000, (out, err)
    # the hop-by-hop key of the same KeID (SUID 22) is no ESPrim key: the tag fails (4115)
    with open(os.path.join(w.out, "target.psk")) as f:
        k22 = f.read().strip()
    rc, out, _ = mef_esprim(w, k22, "retrieve", "/id-in/cse-in/espdev")
    assert rc == 1 and out == {"rsc": 4115, "protected": False}, out
    # ... and the ESPrim key never becomes a TLS PSK: a handshake with it under the KeID fails
    r = subprocess.run(["openssl", "s_client", "-quiet", "-tls1_2", "-psk", w.k23, "-psk_identity", w.keid,
                        "-cipher", "PSK-AES128-CBC-SHA256", "-connect", "127.0.0.1:%d" % w.c.port],
                       input=b"GET /cse-in HTTP/1.1\r\nHost: x\r\nX-M2M-Origin: Cesp\r\nX-M2M-RI: t\r\n"
                             b"X-M2M-RVI: 3\r\nConnection: close\r\n\r\n", capture_output=True, timeout=30)
    assert b"X-M2M-RSC" not in r.stdout
    # an unknown KeID of that MEF: the MEF answers 4004, the Receiver 4112
    rc, out, _ = mef_esprim(w, w.k23, "retrieve", "/id-in/cse-in/espdev",
                            kid="0123456789ABCDEF0123456789ABCDEF@mef." + SP)
    assert rc == 1 and out == {"rsc": 4112, "protected": False}, out
    # the MEF saw the ESPrim SUID asked
    # (the MEF's log line is written after its answer: wait for it, not assume it)
    wait_for(lambda: "/23" in open(w.c.path("mef.log")).read(), "the MEF logs a fetch with SUID 23")


# ---- pairwiseESPrimKey from the MAF (Kc registered with SUID 33; docs/keys.md choice 8) ---------

@pytest.fixture(scope="module")
def maf_env(m2msec_bin, tmp_path_factory):
    from test_25_mef_e2e import World, FQDN as MEF_FQDN
    from test_31_maf_e2e import Env
    from test_30_maf_service import FQDN as MAF_FQDN, Maf
    w = World(m2msec_bin, tmp_path_factory.mktemp("e2e67maf"),
              mef_extra="rate-limit-per-identity = 0\nrate-limit-per-address = 0\nmaf-fqdns = %s\n" % MAF_FQDN)
    w.c.issue("maf", MAF_FQDN)
    w.start_mef()
    maf = Maf(w.c, "mef-url = https://127.0.0.1:%d\nmef-name = %s\nmef-ca = %s\nmef-cert = %s\nmef-key = %s\n"
                   "mef-cache-seconds = 1\nrate-limit-per-identity = 0\nrate-limit-per-address = 0\n" % (
                       w.mef_port, MEF_FQDN, w.c.path("ca/ca.crt"), w.c.path("maf.crt"), w.c.path("maf.key")),
              cert="maf")
    maf.start()
    w.cse_extra = ("maf-url = https://127.0.0.1:%d\nmaf-name = %s\nmaf-ca = %s\nmaf-cert = %s\nmaf-key = %s\n"
                   "maf-cache-seconds = 60\n" % (maf.port, MAF_FQDN, w.c.path("ca/ca.crt"), w.c.path("server.crt"),
                                                w.c.path("server.key")))
    try:
        w.start_cse()
        yield Env(w, maf)
    finally:
        maf.stop()
        w.stop()


def test_maf_kc_as_esprim_key_suid_33(maf_env):
    from test_31_maf_e2e import read_out
    e = maf_env
    kmid, _, kmfile = e.client("espmaf", "Cespm")
    kcid, _, psk = e.key_ok(kmid, kmfile)                    # SUID 32: the hop-by-hop TLS key
    r, out = e.key(kmid, kmfile, extra=("--suid", "33"))     # SUID 33: the pairwiseESPrimKey
    assert r.returncode == 0, r.stderr
    kcid33, kc33, psk33 = read_out(out)
    assert kcid33 != kcid
    hop = secret_file(e.c, "hop-" + secrets.token_hex(3), psk)

    def esp(kid, key_hex, op, target, extra=()):
        kf = secret_file(e.c, "espk-" + secrets.token_hex(3), key_hex)
        p = subprocess.run([e.c.bin, "esprim", "--to", "https://127.0.0.1:%d/cse-in" % e.c.port, "--key-id", kid,
                            "--key-file", kf, "--psk-identity", kcid, "--psk-file", hop, "--ca", e.c.path("ca/ca.crt"),
                            "--verify-name", "id-in." + SP, "--op", op, "--target", target, "--from", "Cespm", *extra],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else None), p.stderr

    ae = json.dumps({"m2m:ae": {"rn": "espm", "api": "Nesp", "rr": False, "srv": ["3"]}})
    rc, got, err = esp(kcid33, kc33, "create", "/id-in/cse-in", ("--ty", "2", "--content", ae))
    assert rc == 0, (got, err)
    assert got["rsc"] == 2001 and got["pc"]["m2m:ae"]["aei"] == "Cespm", got
    rc, got, err = esp(kcid33, kc33, "retrieve", "/id-in/cse-in/espm")
    assert rc == 0 and got["rsc"] == 2000, (got, err)
    # the SUID 32 Kc is no ESPrim key (the MAF answers SUID 32, the ESPrim resolver wants 33): 4112
    rc, got, _ = esp(kcid, psk, "retrieve", "/id-in/cse-in/espm")
    assert rc == 1 and got == {"rsc": 4112, "protected": False}, got
    # ... and the SUID 33 Kc never becomes a TLS PSK (the hop-by-hop resolver wants SUID 32)
    r = e.c.psk("GET", "/cse-in", "Cespm", kcid33, key=psk33)
    assert r is None, r
