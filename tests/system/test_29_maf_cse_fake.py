# SPDX-License-Identifier: Apache-2.0
"""The CSE as Entity B of MAF-based SAEF against a FAKE MAF (issue 8, "CSE integration";
TS-0003 8.2.2.3, 8.8.2.8 MAF Key Retrieval, 8.8.1 key split; docs/procedures/maf.md "The CSE
side"). End-to-end runs against the real `m2msec maf` live in the other test_29_maf*.py files.

A real `m2msec cse` on loopback with `maf-url` (and `mef-url` beside it); a fake MAF in this
process (Python ssl server, client certificate required) answers RETRIEVE /mafKeyReg/<relKeyID>
from a table. An AE presents TLS-PSK with psk_identity = the Key Identifier and psk = the first
half of Kc (`openssl s_client`); the CSE retrieves Kc DURING the handshake over its own mutually
authenticated association and binds the association to the sourceID the MAF reported."""
import os
import secrets
import subprocess
import threading

import pytest

from cse_harness import SP, Cse, free_port
from fake_tls import FakeTlsServer, send_json
from test_24_cse_mef import AE_BODY, FakeMef, mef_ini

MAF_FQDN = "maf." + SP
RAW = b"GET /cse-in HTTP/1.1\r\nX-M2M-Origin: CAdmin\r\nX-M2M-RI: 1\r\nX-M2M-RVI: 3\r\n\r\n"


class FakeMaf(FakeTlsServer):
    """relKeyID -> (Kc hex, sourceID[, SUID]) or an RSC."""

    def __init__(self, cse):
        self.table, self.requests, self.lock = {}, [], threading.Lock()
        # a target retrieving Kc is authenticated (maf.md): the client certificate is required
        super().__init__(cse, "maf", MAF_FQDN, self._get)

    def _get(self, h):
        parts = h.path.split("/")
        with self.lock:
            self.requests.append((h.path, h.headers.get("X-M2M-Origin")))
            e = self.table.get(parts[2]) if len(parts) == 3 and parts[1] == "mafKeyReg" else None
        if isinstance(e, tuple):
            rsc, body = 2000, {"sec:mafKeyReg": {
                "relKeyID": parts[2], "keyID": parts[2] + "@" + MAF_FQDN,
                "expirationTime": "20990101T000000", "sourceID": e[1], "adminFQDN": "admin." + SP,
                "SUID": e[2] if len(e) > 2 else 32, "targetIDs": e[3] if len(e) > 3 else ["//%s/id-in" % SP], "keyValue": e[0]}}
        else:
            rsc, body = e or 4004, {"m2m:dbg": "refused"}
        send_json(h, rsc, body)

    def add(self, source, suid=32, targets=None):
        rel, kc = secrets.token_hex(16).upper(), secrets.token_hex(32)
        with self.lock:
            self.table[rel] = (kc, source, suid) + ((targets,) if targets is not None else ())
        return rel + "@" + MAF_FQDN, kc

    def retrievals(self, kcid):
        with self.lock:
            return [r for r in self.requests if r[0] == "/mafKeyReg/" + kcid.split("@")[0]]



@pytest.fixture(scope="module")
def env(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("cse"))
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    mef, maf = FakeMef(c), FakeMaf(c)
    crt, key = c.issue("cse-to-maf", "id-in." + SP)
    c.start(mef_ini(c, mef.port) + "maf-url = https://127.0.0.1:%d\nmaf-name = %s\nmaf-ca = %s\n"
            "maf-cert = %s\nmaf-key = %s\n" % (maf.port, MAF_FQDN, c.path("ca/ca.crt"), crt, key))
    yield c, maf, mef
    rc = c.stop()
    maf.stop()
    mef.stop()
    assert rc == 0, "CSE did not shut down cleanly on SIGTERM (rc=%s)" % rc


def test_ts0003_8_8_2_8_kc_retrieved_during_handshake_and_bound(env):
    c, maf, _ = env
    kcid, kc = maf.add("Cmafdev1")
    psk = kc[:32]  # TS-0003 8.8.1: (D)TLS-PSK uses the first half of Kc
    r = c.psk("POST", "/cse-in", "Cmafdev1", kcid, AE_BODY % "mafdev1", ty=2, key=psk)
    assert r is not None and r.rsc == 2001, r
    assert maf.retrievals(kcid) == [("/mafKeyReg/" + kcid.split("@")[0], "/id-in")]
    # bound to the sourceID the MAF reported: a spoofed From is 4106 (TS-0004 7.3.2.1)
    r = c.psk("GET", "/cse-in/mafdev1", "Cother", kcid, key=psk)
    assert r is not None and r.rsc == 4106, r
    r = c.psk("GET", "/cse-in/mafdev1", "Cmafdev1", kcid, key=psk)
    assert r is not None and r.rsc == 2000, r
    assert len(maf.retrievals(kcid)) == 1  # cached (maf-cache-seconds = 60)


def test_ts0003_8_8_1_whole_kc_or_second_half_is_not_the_psk(env):
    c, maf, _ = env
    kcid, kc = maf.add("Cmafdev2")
    for wrong in (kc, kc[32:]):
        rc, out = c.psk_raw(RAW, kcid, key=wrong)
        assert rc != 0 and b"HTTP/1.1" not in out


@pytest.mark.parametrize("rsc", [4004, 4103])
def test_ts0003_8_8_2_8_refused_key_fails_handshake_and_is_cached(env, rsc):
    """4004: unknown / de-registered / this CSE not a target; 4103: expired, source revoked."""
    c, maf, _ = env
    rel = secrets.token_hex(16).upper()
    maf.table[rel] = rsc
    kcid = rel + "@" + MAF_FQDN
    for _ in range(2):
        rc, out = c.psk_raw(RAW, kcid, key=secrets.token_hex(16))
        assert rc != 0 and b"HTTP/1.1" not in out
    assert len(maf.retrievals(kcid)) == 1  # the refusal is kept 5 s


def test_answer_for_another_suid_is_refused(env):
    c, maf, _ = env
    kcid, kc = maf.add("Cmafdev3", suid=22)
    rc, out = c.psk_raw(RAW, kcid, key=kc[:32])
    assert rc != 0 and b"HTTP/1.1" not in out


def test_mef_keids_still_resolved_beside_the_maf(env):
    c, maf, mef = env
    kid = secrets.token_hex(16).upper() + "@mef." + SP
    key = mef.add(kid, "Cmefdev9")
    r = c.psk("POST", "/cse-in", "Cmefdev9", kid, AE_BODY % "mefdev9", ty=2, key=key)
    assert r is not None and r.rsc == 2001, r
    assert not any(kid.split("@")[0] in p for p, _ in maf.requests)


def test_maf_down_fails_closed(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("down"))
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    crt, key = c.issue("cse-to-maf", "id-in." + SP)
    c.start("maf-url = https://127.0.0.1:%d\nmaf-name = %s\nmaf-ca = %s\nmaf-cert = %s\nmaf-key = %s\n"
            % (free_port(), MAF_FQDN, c.path("ca/ca.crt"), crt, key))
    try:
        rc, out = c.psk_raw(RAW, secrets.token_hex(16).upper() + "@" + MAF_FQDN, key=secrets.token_hex(16))
        assert rc != 0 and b"HTTP/1.1" not in out
        r = c.psk("GET", "/cse-in", "CAdmin", "kpsa-admin@" + SP)  # provisioned keys unaffected
        assert r is not None and r.rsc == 2000, r
    finally:
        assert c.stop() == 0


def test_maf_url_by_ip_needs_maf_name(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("ip"))
    c.setup_pki()
    crt, key = c.issue("cse-to-maf", "id-in." + SP)
    with open(c.path("psk.txt"), "w") as f:
        f.write("kpsa-admin@%s %s CAdmin\n" % (SP, secrets.token_hex(16)))
    os.chmod(c.path("psk.txt"), 0o600)
    with open(c.path("cse.ini"), "w") as f:
        f.write("cse-id = /id-in\nsp-id = //%s\nstore = %s\nhttps-listen = 127.0.0.1:%d\npsk-file = %s\n"
                "maf-url = https://127.0.0.1:9\nmaf-ca = %s\nmaf-cert = %s\nmaf-key = %s\n"
                % (SP, c.path("cse.db"), free_port(), c.path("psk.txt"), c.path("ca/ca.crt"), crt, key))
    r = subprocess.run([m2msec_bin, "cse", "--config", c.path("cse.ini"), "--check"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2
    assert "line 6: maf-url https://127.0.0.1:9: the host is an IP address: set maf-name to the MAF's FQDN" \
        in r.stderr, r.stderr
