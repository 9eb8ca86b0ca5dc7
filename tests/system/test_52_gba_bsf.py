# SPDX-License-Identifier: Apache-2.0
"""The MEF as GBA BSF (TS-0003 clause 8.3.2.3; 3GPP TS 33.220 clause 4.5.2 Ub with HTTP Digest AKA,
RFC 3310; HTTP mapping of TS 24.109 clause 5.2), black-box: the real `m2msec mef` with `[mef]
bsf-listen` and its test HSS (`hss-file`, filled by `m2msec mef subscriber add`), driven by a UE
written here: an independent MILENAGE over python3-cryptography (test_48), the USIM's AUTN and SQN
checks (TS 33.102 clause 6.3.3, the SQN scheme of docs/procedures/gba.md) and RFC 2617 digests by
hashlib. Ub is TLS with server authentication only: the client has no certificate.
Checked: a full bootstrap gives B-TID = base64(RAND)@MEF-FQDN and stores Ks = CK || IK equal to the
Python computation; wrong RES (a UE with the wrong K) and replayed answers are refused 403; an SQN
out of range is answered with AUTS, the HSS resynchronises and the next challenge succeeds; the
HSS's SQN survives a restart; a 0644 hss-file stops the MEF at start; malformed Authorization
headers are 400."""
import base64
import hashlib
import http.client
import os
import re
import secrets
import sqlite3
import ssl
import subprocess

import pytest

from cse_harness import free_port, wait_port
from svc_harness import Svc, make_pki
from test_48_milenage_cli import py_milenage

FQDN = "mef.sp.example.com"
IMPI = "user1@ims.mnc001.mcc001.3gppnetwork.org"
URI = "/bsf"


class Bsf(Svc):
    name, fqdn = "mef", FQDN

    def __init__(self, c, extra=""):
        self.bsf_port = free_port()
        self.hss = c.path("hss.txt")
        super().__init__(c, "bsf-listen = 127.0.0.1:%d\nhss-file = %s\n%s" % (self.bsf_port, self.hss, extra))

    def start(self):
        super().start()
        wait_port(self.bsf_port, self.proc)
        return self

    def secret_file(self, name, hexval, mode=0o600):
        p = self.c.path(name)
        with open(p, "w") as f:
            f.write(hexval + "\n")
        os.chmod(p, mode)
        return p

    def subscriber(self, impi, k, opc):
        return self.m2m("subscriber", "add", "--config", self.ini, "--impi", impi, "--k-file",
                        self.secret_file("k-" + secrets.token_hex(4), k.hex()), "--opc-file",
                        self.secret_file("opc-" + secrets.token_hex(4), opc.hex()))

    def hss_sqn(self, impi):
        with open(self.hss) as f:
            for ln in f:
                p = ln.split()
                if p and p[0] == impi:
                    return int(p[3], 16)
        return None


def ub(port, authz):
    """One GET on Ub over server-authenticated TLS -> (status, headers, body)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.load_verify_locations(Ub.ca)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
    try:
        conn.request("GET", URI, headers={} if authz is None else {"Authorization": authz})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


class Ub:
    ca = None


def md5(s):
    return hashlib.md5(s).hexdigest()


class Ue:
    """A software USIM + RFC 3310 client."""

    def __init__(self, k, opc, sqn_ms=0, impi=IMPI):
        self.k, self.opc, self.sqn_ms, self.impi = k, opc, sqn_ms, impi
        self.nc = 0

    def initial(self):
        return 'Digest username="%s", realm="%s", nonce="", uri="%s", response=""' % (self.impi, FQDN, URI)

    def creds(self, realm, nonce, password, auts=None):
        self.nc += 1
        nc, cnonce = "%08x" % self.nc, secrets.token_hex(8)
        ha1 = md5(("%s:%s:" % (self.impi, realm)).encode() + password)
        ha2 = md5(("GET:%s" % URI).encode())
        resp = md5(("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2)).encode())
        h = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=AKAv1-MD5, '
             'qop=auth, nc=%s, cnonce="%s"' % (self.impi, realm, nonce, URI, resp, nc, cnonce))
        if auts is not None:
            h += ', auts="%s"' % base64.b64encode(auts).decode()
        return h

    def answer(self, www):
        """-> ("ok", creds, rand, ck+ik) | ("sync", creds) | ("mac", None)."""
        realm = re.search(r'realm="([^"]*)"', www).group(1)
        nonce = re.search(r'nonce="([^"]*)"', www).group(1)
        raw = base64.b64decode(nonce)
        rand, autn = raw[:16], raw[16:32]
        ak = bytes.fromhex(py_milenage(self.k, self.opc, rand, bytes(6), bytes(2))["ak"])
        sqn = bytes(a ^ b for a, b in zip(autn[:6], ak))
        amf, mac = autn[6:8], autn[8:16]
        out = py_milenage(self.k, self.opc, rand, sqn, amf)
        if out["mac_a"] != mac.hex():
            return ("mac", None)
        s = int.from_bytes(sqn, "big")
        self.last_sqn = s
        if not (self.sqn_ms < s <= self.sqn_ms + (1 << 28)):
            ms = self.sqn_ms.to_bytes(6, "big")
            star = py_milenage(self.k, self.opc, rand, ms, bytes(2))
            auts = bytes(a ^ b for a, b in zip(ms, bytes.fromhex(star["ak_star"]))) + bytes.fromhex(star["mac_s"])
            return ("sync", self.creds(realm, nonce, b"", auts))
        self.sqn_ms = s
        return ("ok", self.creds(realm, nonce, bytes.fromhex(out["res"])), rand,
                bytes.fromhex(out["ck"]) + bytes.fromhex(out["ik"]))


def stored(bsf, btid):
    db = sqlite3.connect(bsf.c.path("mef.db"))
    try:
        return db.execute("SELECT impi, rand, ks, expiry FROM gba_bootstrap WHERE btid = ?", (btid,)).fetchone()
    finally:
        db.close()


@pytest.fixture
def bsf(m2msec_bin, tmp_path):
    c = make_pki(m2msec_bin, tmp_path, FQDN, [])
    Ub.ca = c.path("ca/ca.crt")
    b = Bsf(c)
    yield b
    b.stop()


def keys():
    return secrets.token_bytes(16), secrets.token_bytes(16)


def bootstrap(b, ue):
    st, h, _ = ub(b.bsf_port, ue.initial())
    assert st == 401, st
    assert "AKAv1-MD5" in h["www-authenticate"]
    res = ue.answer(h["www-authenticate"])
    assert res[0] == "ok", res[0]
    st, h, body = ub(b.bsf_port, res[1])
    return st, h, body, res


def test_full_bootstrap_btid_and_ks(bsf):
    k, opc = keys()
    assert bsf.subscriber(IMPI, k, opc).returncode == 0
    assert oct(os.stat(bsf.hss).st_mode & 0o777) == "0o600"
    bsf.start()
    ue = Ue(k, opc)
    st, h, body, res = bootstrap(bsf, ue)
    assert st == 200, body
    assert h["content-type"] == "application/vnd.3gpp.bsf+xml"
    btid = re.search(rb"<btid>([^<]+)</btid>", body).group(1).decode()
    assert re.search(rb"<lifetime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</lifetime>", body)
    rand, ks = res[2], res[3]
    assert btid == base64.b64encode(rand).decode() + "@" + FQDN  # TS 33.220 clause 4.5.2
    row = stored(bsf, btid)
    assert row[0] == IMPI and row[1] == rand and row[2] == ks  # Ks = CK || IK
    assert bsf.hss_sqn(IMPI) == 1 and ue.sqn_ms == 1
    # the answer is used up: the same credentials again are refused (replay)
    st, _, _ = ub(bsf.bsf_port, res[1])
    assert st == 403
    # no key anywhere in the log
    log = open(bsf.log).read()
    assert ks.hex() not in log and ks.hex().upper() not in log
    assert any(a.get("outcome") == "ok" and a.get("procedure") == "gba-bootstrap" for a in bsf.audits())


def test_wrong_k_wrong_res_and_unknown_subscriber_refused(bsf):
    k, opc = keys()
    assert bsf.subscriber(IMPI, k, opc).returncode == 0
    bsf.start()
    # a UE holding another K does not authenticate the network (MAC-A) ...
    st, h, _ = ub(bsf.bsf_port, Ue(secrets.token_bytes(16), opc).initial())
    assert st == 401
    assert Ue(secrets.token_bytes(16), opc).answer(h["www-authenticate"])[0] == "mac"
    # ... and an answer with a RES it computed anyway is refused
    ue = Ue(k, opc)
    res = ue.answer(h["www-authenticate"])
    wrong = res[1].replace('response="', 'response="0' if 'response="f' in res[1] else 'response="f', 1)
    wrong = re.sub(r'response="(.)', lambda m: 'response="%s' % ("0" if m.group(1) != "0" else "1"), res[1])
    assert ub(bsf.bsf_port, wrong)[0] == 403
    # the challenge is gone after one answer: the right answer now is refused too
    assert ub(bsf.bsf_port, res[1])[0] == 403
    # an unknown IMPI
    assert ub(bsf.bsf_port, Ue(k, opc, impi="nobody@ims.example.org").initial())[0] == 403
    outcomes = [a.get("outcome") for a in bsf.audits()]
    assert "auth-failed" in outcomes and "unknown-client" in outcomes


def test_replayed_rand_autn_and_sqn_out_of_range_resynchronised(bsf):
    k, opc = keys()
    assert bsf.subscriber(IMPI, k, opc).returncode == 0
    bsf.start()
    ue = Ue(k, opc)
    st, h, _ = ub(bsf.bsf_port, ue.initial())
    old = h["www-authenticate"]
    assert bootstrap(bsf, ue)[0] == 200  # SQN 2 accepted
    # the old challenge (SQN 1) replayed to the USIM: not fresh -> AUTS (TS 33.102 clause 6.3.3)
    assert ue.answer(old)[0] == "sync"
    # a USIM far ahead (SQN_MS = 5000): the HSS's SQN is out of range -> AUTS -> resynchronised
    ue2 = Ue(k, opc, sqn_ms=5000)
    st, h, _ = ub(bsf.bsf_port, ue2.initial())
    assert st == 401
    res = ue2.answer(h["www-authenticate"])
    assert res[0] == "sync"
    st, h, _ = ub(bsf.bsf_port, res[1])
    assert st == 401  # a new challenge after resynchronisation (RFC 3310 clause 3.5)
    assert bsf.hss_sqn(IMPI) == 5001
    res = ue2.answer(h["www-authenticate"])
    assert res[0] == "ok" and ue2.sqn_ms == 5001
    st, _, body = ub(bsf.bsf_port, res[1])
    assert st == 200, body
    # a tampered AUTS (MAC-S) is refused
    ue3 = Ue(k, opc, sqn_ms=9000)
    st, h, _ = ub(bsf.bsf_port, ue3.initial())
    res = ue3.answer(h["www-authenticate"])
    assert res[0] == "sync"
    auts = re.search(r'auts="([^"]+)"', res[1]).group(1)
    raw = bytearray(base64.b64decode(auts))
    raw[-1] ^= 1
    assert ub(bsf.bsf_port, res[1].replace(auts, base64.b64encode(bytes(raw)).decode()))[0] == 403
    assert bsf.hss_sqn(IMPI) == 5002


def test_sqn_persisted_across_restart(bsf):
    k, opc = keys()
    assert bsf.subscriber(IMPI, k, opc).returncode == 0
    bsf.start()
    ue = Ue(k, opc)
    assert bootstrap(bsf, ue)[0] == 200
    bsf.stop()
    assert bsf.hss_sqn(IMPI) == 1
    bsf.start()
    st, h, _ = ub(bsf.bsf_port, ue.initial())
    res = ue.answer(h["www-authenticate"])
    assert res[0] == "ok" and ue.last_sqn == 2  # never an SQN handed out before the restart


def test_hss_file_mode_0644_refused(bsf):
    k, opc = keys()
    assert bsf.subscriber(IMPI, k, opc).returncode == 0
    os.chmod(bsf.hss, 0o644)
    r = subprocess.run([bsf.c.bin, "mef", "--config", bsf.ini], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.stderr
    assert "hss-file" in r.stderr and "0600" in r.stderr
    assert k.hex() not in r.stderr
    # the operator command refuses it as well, and key files of mode 0644
    assert bsf.subscriber("other@ims.example.org", k, opc).returncode == 1
    os.chmod(bsf.hss, 0o600)
    r = bsf.m2m("subscriber", "add", "--config", bsf.ini, "--impi", "x@ims.example.org", "--k-file",
                bsf.secret_file("k644", k.hex(), 0o644), "--opc-file", bsf.secret_file("o600", opc.hex()))
    assert r.returncode == 1 and k.hex() not in r.stderr + r.stdout
    assert bsf.subscriber(IMPI, k, opc).returncode == 2  # already there


@pytest.mark.parametrize("hdr", [
    None,
    "Basic dXNlcjpwYXNz",
    "Digest",
    "Digest username=",
    'Digest username="%s", realm="%s", nonce="", uri="/bsf", response="", algorithm=MD5' % (IMPI, FQDN),
    'Digest realm="%s", nonce="", uri="/bsf", response=""' % FQDN,
    'Digest username="%s", username="%s", realm="%s", nonce="", uri="/bsf", response=""' % (IMPI, IMPI, FQDN),
    'Digest username="%s", realm="%s", nonce="abc", uri="/bsf", response="zz", algorithm=AKAv1-MD5' % (IMPI, FQDN),
    'Digest username="a\x01b", realm="%s", nonce="", uri="/bsf", response=""' % FQDN,
    'Digest username="%s", realm="%s", nonce="", uri="/bsf", response="", auts="AAAA"' % (IMPI, FQDN),
    "Digest " + "a=b, " * 40 + "c=d",
])
def test_malformed_authorization_400(bsf, hdr):
    k, opc = keys()
    assert bsf.subscriber(IMPI, k, opc).returncode == 0
    bsf.start()
    assert ub(bsf.bsf_port, hdr)[0] == 400
    assert bsf.hss_sqn(IMPI) == 0  # no vector was spent


def test_answer_to_unknown_nonce_403(bsf):
    k, opc = keys()
    assert bsf.subscriber(IMPI, k, opc).returncode == 0
    bsf.start()
    ue = Ue(k, opc)
    nonce = base64.b64encode(secrets.token_bytes(32)).decode()
    assert ub(bsf.bsf_port, ue.creds(FQDN, nonce, b"x" * 8))[0] == 403


# ---- `m2msec enrol --gba`: the real UE ----------------------------------------------------------
def ks_naf(ks, rand, impi, naf_fqdn):
    """TS 33.220 Annex B.2: HMAC-SHA-256(Ks, 0x01 || P0 || L0 || ... ), P0 = "gba-me"."""
    import hmac

    def p(b):
        return b + len(b).to_bytes(2, "big")
    naf_id = naf_fqdn.encode() + bytes([0xff, 0, 0, 0, 1])  # the oneM2M Ua identifier (gba.h)
    s = b"\x01" + p(b"gba-me") + p(rand) + p(impi.encode()) + p(naf_id)
    return hmac.new(ks, s, hashlib.sha256).digest()


def enrol_gba(b, k, opc, out, extra=()):
    return b.m2m_top("enrol", "--gba", "--bsf", "127.0.0.1:%d" % b.bsf_port, "--bsf-fqdn", FQDN, "--bsf-ca",
                     Ub.ca, "--impi", IMPI, "--k-file", b.secret_file("ek", k.hex()), "--opc-file",
                     b.secret_file("eo", opc.hex()), "--out", out, *extra)


def _m2m_top(self, *args):
    return subprocess.run([self.c.bin, *args], capture_output=True, text=True, timeout=60)


Bsf.m2m_top = _m2m_top


def test_enrol_gba_end_to_end(bsf):
    k, opc = keys()
    assert bsf.subscriber(IMPI, k, opc).returncode == 0
    bsf.start()
    out = bsf.c.path("ue")
    r = enrol_gba(bsf, k, opc, out, ("--naf-fqdn", "cse-in.sp.example.com"))
    assert r.returncode == 0, r.stderr
    btid = r.stdout.strip()
    assert open(os.path.join(out, "btid")).read().strip() == btid
    impi, rand, ks, _ = stored(bsf, btid)
    assert btid == base64.b64encode(rand).decode() + "@" + FQDN
    assert open(os.path.join(out, "ks")).read().strip() == ks.hex()
    assert open(os.path.join(out, "target.psk")).read().strip() == ks_naf(ks, rand, IMPI,
                                                                           "cse-in.sp.example.com").hex()
    for f in ("ks", "target.psk", "sqn"):
        assert os.stat(os.path.join(out, f)).st_mode & 0o777 == 0o600
    assert int(open(os.path.join(out, "sqn")).read(), 16) == 1
    assert k.hex() not in r.stdout + r.stderr
    # a second run: SQN_MS read back, a fresh B-TID
    r = enrol_gba(bsf, k, opc, out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() != btid and int(open(os.path.join(out, "sqn")).read(), 16) == 2
    # the USIM far ahead: AUTS, resynchronised, success
    with open(os.path.join(out, "sqn"), "w") as f:
        f.write("000000001000\n")
    r = enrol_gba(bsf, k, opc, out)
    assert r.returncode == 0, r.stderr
    assert bsf.hss_sqn(IMPI) == 0x1001
    # the wrong K: the BSF is not authentic to this USIM, nothing written
    r = enrol_gba(bsf, secrets.token_bytes(16), opc, bsf.c.path("ue2"))
    assert r.returncode == 1 and "not authentic" in r.stderr
    assert not os.path.exists(bsf.c.path("ue2/btid"))
    # a 0644 key file is refused before any network I/O
    kf = bsf.secret_file("k644", k.hex(), 0o644)
    r = bsf.m2m_top("enrol", "--gba", "--bsf", "127.0.0.1:%d" % bsf.bsf_port, "--bsf-ca", Ub.ca, "--impi", IMPI,
                    "--k-file", kf, "--opc-file", bsf.secret_file("eo2", opc.hex()), "--out", bsf.c.path("ue3"))
    assert r.returncode == 1 and k.hex() not in r.stderr


def test_config_bsf_listen_needs_hss_file_and_check(bsf):
    k, opc = keys()
    assert bsf.subscriber(IMPI, k, opc).returncode == 0
    r = bsf.m2m("--config", bsf.ini, "--check")
    assert r.returncode == 0 and "configuration ok" in r.stdout, r.stderr
    text = open(bsf.ini).read()
    with open(bsf.ini, "w") as f:
        f.write(text.replace("hss-file = %s\n" % bsf.hss, ""))
    r = bsf.m2m("--config", bsf.ini, "--check")
    assert r.returncode == 2 and "bsf-listen" in r.stderr and "hss-file" in r.stderr, r.stderr
    with open(bsf.ini, "w") as f:
        f.write(text.replace("bsf-listen = 127.0.0.1:%d" % bsf.bsf_port, "bsf-listen = nowhere"))
    r = bsf.m2m("--config", bsf.ini, "--check")
    assert r.returncode == 2 and "bsf-listen" in r.stderr, r.stderr
    with open(bsf.ini, "w") as f:
        f.write(text.replace("bootstrap-lifetime", "x") + "bootstrap-lifetime = 0\n")
    r = bsf.m2m("--config", bsf.ini, "--check")
    assert r.returncode == 2 and "bootstrap-lifetime" in r.stderr, r.stderr
