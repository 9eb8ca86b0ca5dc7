# SPDX-License-Identifier: Apache-2.0
"""System tests of the credential store's lookup memo (docs/credstore.md "Lookup memo"): the CSE keeps
the records its SQLite connection fetched while PRAGMA data_version shows no other commit, so a
revocation by the operator CLI (`m2msec cred revoke`, another process) must be seen by the very next
use of the key through a warm memo: an ESPrim request is refused with 4112 (TS-0004 Table 7.6.2-1,
as tests/system/test_55_esprim.py expects for a revoked kid) and a TLS-PSK handshake fails
(TS-0003 clause 10.3: the check before use)."""
import secrets

import pytest

from cse_harness import SP, Cse

pytest.importorskip("jwcrypto")
from test_55_esprim import Esp, inner  # noqa: E402

KE = secrets.token_hex(32)  # ESPrim pairwise key (SUID 13, owner CAE1)
KT = secrets.token_hex(32)  # TLS Kpsa (owner CAE1)
KID_E = "memo-esp@" + SP
KID_T = "memo-tls@" + SP


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("credmemo"))
    c.setup_pki()
    c.add_psk("tls1@" + SP, "CAE1")
    c.store = c.path("creds.db")
    c.m2m("cred", "add", "--store", c.store, "--kind", "kpsa", "--id", KID_E, "--key", "-", "--owner", "CAE1",
          "--suid", "13", input=KE)
    c.m2m("cred", "add", "--store", c.store, "--kind", "kpsa", "--id", KID_T, "--key", "-", "--owner", "CAE1",
          input=KT)
    c.start("cred-store = %s\nesprim-rand-seconds = 600\ndev-admin-over-plain-http = true\n" % c.store)
    yield c
    c.stop()


def esp_retrieve(c, esp=None):
    esp = esp or Esp(c, key_hex=KE, kid=KID_E)
    return esp, esp.send(inner(2, "/id-in/cse-in", "CAE1"))


def test_esprim_revoked_by_cli_refused_next_request(cse):
    # warm: several sessions and several requests of one session, all through the store lookup
    warm = None
    for _ in range(4):
        warm, r = esp_retrieve(cse)
        assert r.rsc == 2000 and r.json()["m2m:seci"]["sit"] == 5, r
    _, r = esp_retrieve(cse, warm)
    assert r.rsc == 2000, r
    cse.m2m("cred", "revoke", "--store", cse.store, "--id", KID_E)  # another process
    _, r = esp_retrieve(cse)  # a new session
    assert r.rsc == 4112, r
    _, r = esp_retrieve(cse, warm)  # the session established while the key was valid
    assert r.rsc == 4112, r


def test_tls_psk_revoked_by_cli_refused_next_handshake(cse):
    for _ in range(4):
        r = cse.psk("GET", "/cse-in", "CAE1", KID_T, key=KT)
        assert r is not None, "handshake with a valid store PSK refused"
    cse.m2m("cred", "revoke", "--store", cse.store, "--id", KID_T)
    assert cse.psk("GET", "/cse-in", "CAE1", KID_T, key=KT) is None
