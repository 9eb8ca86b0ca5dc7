# SPDX-License-Identifier: Apache-2.0
"""CoAP over DTLS with the HTTPS listener's whole security policy (issue 9; docs/coap-dtls.md):
certificates (TS-0003 8.2.2.2, DTLS 1.2 with TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, 10.2.3) under the
same trust anchors, CRL and certificate -> association mapping as HTTPS, and asynchronous PSK
resolvers (a MEF KeID, TS-0003 8.3.2.1; a MAF Kc identifier, 8.2.2.3) resolved DURING the DTLS
handshake, which pauses only that peer's handshake.

Real `m2msec cse` on loopback (`coaps-listen`, `trust-anchors`, `crl-file`, `mef-url`, `maf-url`),
the independent client `coap-client-openssl` (libcoap3-bin; `-c/-j/-C` certificates, `-u/-k` PSK,
the oneM2M options as `-O`), the CA of `m2msec ca`, a fake MEF in this process (test_24's FakeMef)
whose answer the test holds back to prove the pause, and test_29's fake MAF.

Cases: the two suites DTLS MUST implement (PSK and ECDHE_ECDSA with AES_128_CCM_8, checked with
`openssl s_client -dtls1_2`); certificate AE registration 2001 and retrieve 2000 (aei = the
certificate's AE-ID); spoofed From 4106; a certificate of another CA, a self-signed one, one
without clientAuth, no client certificate: no handshake; a revoked certificate refused once the
CRL is republished; PSK and certificates on the same endpoint; a KeID not cached: the handshake
waits for the MEF while another peer is served, then succeeds; a Kc not cached: retrieved from
the MAF during the handshake; the lookup deadline and the cap of lookups in flight; the MEF down:
that handshake fails, others are served."""
import json
import secrets
import subprocess
import threading
import time

import pytest

from binding_clients import ascii_key, coap
from cse_harness import SP, Cse, free_port, make_cert_with_cryptography
from test_24_cse_mef import FakeMef, keid, mef_ini
from test_29_maf_cse_fake import MAF_FQDN, FakeMaf

AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'
PSK_ID = "kpsa-c38@" + SP


def serial_of(crt):
    out = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-serial"], capture_output=True,
                         text=True, check=True).stdout
    return out.strip().split("=", 1)[1]


def publish_crl(c, *serials):
    args = ["ca", "crl", "--dir", c.path("ca"), "--out", c.path("crl.pem")]
    for s in serials:
        args += ["--serial", s]
    assert c.m2m(*args).stdout.strip() == str(len(serials))


def wait_until(pred, deadline_s=30.0):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.2)
    return pred()


class HoldingMef(FakeMef):
    """test_24's fake MEF, but a fetch of a KeID in `held` waits until the test releases it."""

    def __init__(self, cse):
        self.held, self.asked, self.release = set(), [], threading.Event()
        super().__init__(cse)

    def _get(self, h):
        if any("/fetchCredentials/%s/" % k in h.path for k in list(self.held)):
            self.asked.append(h.path)
            self.release.wait(60)
        super()._get(h)

    def add_ascii(self, kid, bound):
        key = ascii_key()  # coap-client takes -k as text
        self.table[kid] = (key.encode().hex(), bound)
        return key


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("c38"))
    c.setup_pki()
    c.coap_keys = {PSK_ID: ascii_key()}
    c.psks[PSK_ID] = (c.coap_keys[PSK_ID].encode().hex(), "Cc38psk")
    c.add_psk("kpsa-c38other@" + SP, "Cc38other")
    c.mef = HoldingMef(c)
    c.maf = FakeMaf(c)
    crt, key = c.issue("cse-to-maf", "id-in." + SP)
    publish_crl(c)  # nothing revoked yet
    c.coaps_port = free_port()
    # a lookup deadline far beyond the hold below: only the test's release ends the wait
    c.start("coaps-listen = 127.0.0.1:%d\ncrl-file = %s\ncrl-refresh-seconds = 1\n%s"
            "maf-url = https://127.0.0.1:%d\nmaf-name = %s\nmaf-ca = %s\nmaf-cert = %s\nmaf-key = %s\n" % (
                c.coaps_port, c.path("crl.pem"), mef_ini(c, c.mef.port, timeout_ms=30000), c.maf.port, MAF_FQDN,
                c.path("ca/ca.crt"), crt, key))
    r = c.psk("POST", "/cse-in", "Cc38other", "kpsa-c38other@" + SP, AE_BODY % "c38other", ty=2)
    assert r.rsc == 2001, r
    r = coap(c, "post", "/cse-in", "Cc38psk", PSK_ID, body=AE_BODY % "c38psk", ty=2)
    assert r is not None and r.rsc == 2001, r
    yield c
    c.mef.release.set()
    rc = c.stop()
    c.mef.stop()
    c.maf.stop()
    assert rc == 0, "CSE did not shut down cleanly (rc=%s)" % rc


def cert_req(c, crt_key, method, path, origin, body=None, ty=None, rqi="rq1"):
    return coap(c, method, path, origin, body=body, ty=ty, rqi=rqi, cert=crt_key, ca=c.path("ca/ca.crt"))


def psk_served(c):
    r = coap(c, "get", "/cse-in/c38psk", "Cc38psk", PSK_ID)
    return r is not None and r.rsc == 2000


# ---- certificates (TS-0003 8.2.2.2) ----------------------------------------------------------------

def test_cert_registration_retrieve_and_spoofed_from(cse):
    ck = cse.issue("c38a", "m2m://%s/id-in/Cc38a" % SP)
    r = cert_req(cse, ck, "post", "/cse-in", "Cc38a", body=AE_BODY % "c38a", ty=2)
    assert r is not None and r.rsc == 2001, r
    assert json.loads(r.payload)["m2m:ae"]["aei"] == "Cc38a"
    r = cert_req(cse, ck, "get", "/cse-in/c38a", "Cc38a", rqi="rq-cert")
    assert r is not None and r.rsc == 2000, r
    assert r.opts[283] == b"rq-cert"
    # TS-0004 7.3.2.1: From must be the AE-ID the certificate binds
    r = cert_req(cse, ck, "get", "/cse-in/c38other", "Cc38other")
    assert r is not None and r.rsc == 4106, r
    # the same over HTTPS (one mapping for both listeners, src/tls/peer.c)
    s = cse.cert_session(*ck)
    assert cse.cert(s, "GET", "/cse-in/c38other", "Cc38other").rsc == 4106
    assert cse.cert(s, "GET", "/cse-in/c38a", "Cc38a").rsc == 2000


def test_psk_and_certificate_on_the_same_endpoint(cse):
    assert psk_served(cse)
    ck = cse.issue("c38b", "m2m://%s/id-in/Cc38b" % SP)
    r = cert_req(cse, ck, "post", "/cse-in", "Cc38b", body=AE_BODY % "c38b", ty=2)
    assert r is not None and r.rsc == 2001, r


def dtls_cipher(c, *args):
    """The suite `openssl s_client -dtls1_2` (an independent DTLS client) ends on, or None."""
    r = subprocess.run(["openssl", "s_client", "-dtls1_2", "-connect", "127.0.0.1:%d" % c.coaps_port, *args],
                       input=b"", capture_output=True, timeout=30)
    if r.returncode != 0 or b" alert " in r.stderr:  # s_client prints the suite even after an alert
        return None
    for line in r.stdout.decode(errors="replace").splitlines():
        if line.startswith("New, ") and "Cipher is " in line:
            name = line.split("Cipher is ", 1)[1].strip()
            return None if name == "(NONE)" else name
    return None


def test_dtls_mandatory_ccm8_suites(cse):
    # TS-0003 10.2.2 / 10.2.3: DTLS MUST implement TLS_PSK_WITH_AES_128_CCM_8 and
    # TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8; a client offering only one of them gets it
    ck = cse.issue("c38g", "m2m://%s/id-in/Cc38g" % SP)
    assert dtls_cipher(cse, "-cipher", "ECDHE-ECDSA-AES128-CCM8", "-cert", ck[0], "-key", ck[1], "-CAfile",
                       cse.path("ca/ca.crt")) == "ECDHE-ECDSA-AES128-CCM8"
    assert dtls_cipher(cse, "-cipher", "PSK-AES128-CCM8", "-psk_identity", PSK_ID, "-psk",
                       cse.coap_keys[PSK_ID].encode().hex()) == "PSK-AES128-CCM8"
    # the certificate suite without a client certificate: refused (the CSE requires one)
    assert dtls_cipher(cse, "-cipher", "ECDHE-ECDSA-AES128-CCM8", "-CAfile", cse.path("ca/ca.crt")) is None


def test_untrusted_wrong_and_absent_client_certificates_refused(cse):
    # TS-0003 8.1.2.5: a certificate of another CA (same AE-ID) has no path to the trust anchors
    cse.m2m("ca", "init", "--dir", cse.path("ca2"), "--name", "other CA", "--permit", SP)
    cse.m2m("ca", "issue", "--dir", cse.path("ca2"), "--san", "m2m://%s/id-in/Cc38c" % SP, "--out",
            cse.path("c38c-other"))
    other = (cse.path("c38c-other.crt"), cse.path("c38c-other.key"))
    assert cert_req(cse, other, "get", "/cse-in", "Cc38c") is None
    # self-signed, naming the same AE-ID
    selfs = make_cert_with_cryptography(cse.path("ca"), cse.path("c38c-self"), self_signed=True,
                                        san_uri="m2m://%s/id-in/Cc38c" % SP)
    assert cert_req(cse, selfs, "get", "/cse-in", "Cc38c") is None
    # TS-0003 10.1.1: of our CA but extendedKeyUsage without clientAuth
    noclient = make_cert_with_cryptography(cse.path("ca"), cse.path("c38c-srv"), client_eku=False,
                                           san_uri="m2m://%s/id-in/Cc38c" % SP)
    assert cert_req(cse, noclient, "get", "/cse-in", "Cc38c") is None
    # no client certificate and no PSK: the CSE requires one, as over HTTPS
    assert coap(cse, "get", "/cse-in", "Cc38c", ca=cse.path("ca/ca.crt")) is None
    # the CSE still serves good peers of both kinds
    assert psk_served(cse)
    good = make_cert_with_cryptography(cse.path("ca"), cse.path("c38c-ok"), san_uri="m2m://%s/id-in/Cc38c" % SP)
    r = cert_req(cse, good, "post", "/cse-in", "Cc38c", body=AE_BODY % "c38c", ty=2)
    assert r is not None and r.rsc == 2001, r


def test_revoked_certificate_refused(cse):
    # TS-0003 8.1.2.2: the CRL of crl-file applies to DTLS clients as to TLS ones
    ck = cse.issue("c38d", "m2m://%s/id-in/Cc38d" % SP)
    keep = cse.issue("c38e", "m2m://%s/id-in/Cc38e" % SP)
    r = cert_req(cse, ck, "post", "/cse-in", "Cc38d", body=AE_BODY % "c38d", ty=2)
    assert r is not None and r.rsc == 2001, r
    publish_crl(cse, serial_of(ck[0]))
    assert wait_until(lambda: cert_req(cse, ck, "get", "/cse-in/c38d", "Cc38d") is None)
    r = cert_req(cse, keep, "post", "/cse-in", "Cc38e", body=AE_BODY % "c38e", ty=2)
    assert r is not None and r.rsc == 2001, r


# ---- asynchronous PSK resolvers during the DTLS handshake (TS-0003 8.3.2.1) -------------------------

def test_keid_not_cached_resolved_during_the_dtls_handshake(cse):
    mef = cse.mef
    kid = keid()
    key = mef.add_ascii(kid, "Cc38mef1")
    assert mef.fetches(kid) == []  # never seen by the CSE: nothing cached
    mef.held.add(kid)
    mef.release.clear()
    out = {}
    t = threading.Thread(target=lambda: out.setdefault(
        "r", coap(cse, "post", "/cse-in", "Cc38mef1", kid, key=key, body=AE_BODY % "c38mef1", ty=2)))
    t.start()
    try:
        # the CSE asks the MEF during that peer's handshake ...
        assert wait_until(lambda: any(kid in p for p in mef.asked))
        # ... and, while the MEF holds the answer, serves another peer (the thread never blocks)
        assert psk_served(cse)
        assert t.is_alive() and "r" not in out
    finally:
        mef.held.discard(kid)
        mef.release.set()
    t.join(60)
    r = out.get("r")
    assert r is not None and r.rsc == 2001, r
    assert json.loads(r.payload)["m2m:ae"]["aei"] == "Cc38mef1"
    # bound to the MEF's Enrolee-ID: a spoofed From is 4106; the key is cached now (one fetch)
    r = coap(cse, "get", "/cse-in/c38other", "Cc38other", kid, key=key)
    assert r is not None and r.rsc == 4106, r
    assert len(mef.fetches(kid)) == 1
    # a wrong key for a known KeID: no handshake
    assert coap(cse, "get", "/cse-in", "Cc38mef1", kid, key=ascii_key()) is None


def test_maf_kc_not_cached_resolved_during_the_dtls_handshake(cse):
    # TS-0003 8.2.2.3 / 8.8.2.8: the CSE retrieves Kc from the MAF during the DTLS handshake;
    # psk = the first half of Kc (8.8.1), here printable so that coap-client can take it as -k
    psk = ascii_key()[:16]
    rel = secrets.token_hex(16).upper()
    kcid = rel + "@" + MAF_FQDN
    with cse.maf.lock:
        cse.maf.table[rel] = (psk.encode().hex() + "00" * 16, "Cc38maf")
    assert cse.maf.retrievals(kcid) == []
    r = coap(cse, "post", "/cse-in", "Cc38maf", kcid, key=psk, body=AE_BODY % "c38maf", ty=2)
    assert r is not None and r.rsc == 2001, r
    assert json.loads(r.payload)["m2m:ae"]["aei"] == "Cc38maf"
    assert len(cse.maf.retrievals(kcid)) == 1
    r = coap(cse, "get", "/cse-in/c38other", "Cc38other", kcid, key=psk)
    assert r is not None and r.rsc == 4106, r


def test_mef_down_refuses_the_keid_and_serves_others(cse):
    mef = cse.mef
    kid = keid()
    key = mef.add_ascii(kid, "Cc38mef2")
    mef.stop()
    assert coap(cse, "get", "/cse-in", "Cc38mef2", kid, key=key) is None
    assert psk_served(cse)
    ck = cse.issue("c38f", "m2m://%s/id-in/Cc38f" % SP)
    r = cert_req(cse, ck, "post", "/cse-in", "Cc38f", body=AE_BODY % "c38f", ty=2)
    assert r is not None and r.rsc == 2001, r


# ---- the deadline and the cap of lookups, as on HTTPS (psk-lookup-timeout-ms, psk-lookups-max) --------

def small_cse(m2msec_bin, tmp, timeout_ms, lookups_max):
    c = Cse(m2msec_bin, tmp)
    c.setup_pki()
    c.coap_keys = {PSK_ID: ascii_key()}
    c.psks[PSK_ID] = (c.coap_keys[PSK_ID].encode().hex(), "Cc38psk")
    c.mef = HoldingMef(c)
    c.coaps_port = free_port()
    c.start("coaps-listen = 127.0.0.1:%d\npsk-lookups-max = %d\n%s" % (
        c.coaps_port, lookups_max, mef_ini(c, c.mef.port, timeout_ms=timeout_ms)))
    r = coap(c, "post", "/cse-in", "Cc38psk", PSK_ID, body=AE_BODY % "c38psk", ty=2)
    assert r is not None and r.rsc == 2001, r
    return c


def test_lookup_deadline_fails_the_dtls_handshake_closed(m2msec_bin, tmp_path):
    c = small_cse(m2msec_bin, tmp_path, timeout_ms=300, lookups_max=256)
    try:
        kid = keid()
        key = c.mef.add_ascii(kid, "Cc38late")
        c.mef.held.add(kid)  # the MEF never answers in time: only the CSE's deadline ends the wait
        assert coap(c, "get", "/cse-in", "Cc38late", kid, key=key) is None
        assert any(kid in p for p in c.mef.asked)  # it was the lookup that was given up
        assert psk_served(c)
    finally:
        c.mef.release.set()
        rc = c.stop()
        c.mef.stop()
    assert rc == 0


def test_lookups_in_flight_are_bounded(m2msec_bin, tmp_path):
    c = small_cse(m2msec_bin, tmp_path, timeout_ms=30000, lookups_max=1)
    try:
        k1, k2 = keid(), keid()
        key1, key2 = c.mef.add_ascii(k1, "Cc38cap1"), c.mef.add_ascii(k2, "Cc38cap2")
        c.mef.held.update((k1, k2))
        out = {}
        t = threading.Thread(target=lambda: out.setdefault(
            "r", coap(c, "post", "/cse-in", "Cc38cap1", k1, key=key1, body=AE_BODY % "c38cap1", ty=2)))
        t.start()
        assert wait_until(lambda: any(k1 in p for p in c.mef.asked))
        # psk-lookups-max = 1 and one handshake waits: a second KeID is not waited for (fails
        # closed at once), the CSE never asks the MEF for it, and others are still served
        assert coap(c, "get", "/cse-in", "Cc38cap2", k2, key=key2) is None
        assert not any(k2 in p for p in c.mef.asked)
        assert psk_served(c)
        assert t.is_alive()
        c.mef.release.set()
        t.join(60)
        assert out.get("r") is not None and out["r"].rsc == 2001, out
    finally:
        c.mef.release.set()
        rc = c.stop()
        c.mef.stop()
    assert rc == 0
