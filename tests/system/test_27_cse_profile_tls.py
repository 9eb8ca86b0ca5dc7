# SPDX-License-Identifier: Apache-2.0
"""The TLS part of the CSE's security profile from its MEF (issue 7, "Security profile": "a suite
outside the profile is not negotiated"; docs/procedures/mef.md "Security profile", docs/tls.md
"Security profile").

A real `m2msec cse` with `mef-security-profile = true` retrieves its profile from the fake MEF of
test_24 (Python ssl server). Its `cipherSuites` (IANA names, TS-0003 10.2) narrow the cipher
policy per connection (intersection, never wider); its `trustAnchors` are added to the configured
`trust-anchors` for client certificates; a refresh (every mef-cache-seconds, at least 5 s) applies
to new connections; a profile naming only unknown suites is malformed and the last good one stays.
Independent clients: `openssl s_client -psk` and Python requests with a client certificate."""
import subprocess
import time

import pytest
import requests

from cse_harness import SP, Cse
from test_24_cse_mef import FakeMef, mef_ini

GCM = "TLS_PSK_WITH_AES_128_GCM_SHA256"
ECDSA_GCM = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"


def psk_get(c, cipher):
    """GET /cse-in over TLS 1.2 PSK offering exactly one suite (OpenSSL name); the RSC or None."""
    ident = "kpsa-admin@" + SP
    raw = b"GET /cse-in HTTP/1.1\r\nX-M2M-Origin: CAdmin\r\nX-M2M-RI: rq1\r\nX-M2M-RVI: 3\r\nConnection: close\r\n\r\n"
    r = subprocess.run(["openssl", "s_client", "-quiet", "-tls1_2", "-psk", c.psks[ident][0], "-psk_identity",
                        ident, "-cipher", cipher, "-connect", "127.0.0.1:%d" % c.port, "-servername", "id-in." + SP],
                       input=raw, capture_output=True, timeout=30)
    if b"HTTP/1.1" not in r.stdout:
        return None  # the handshake failed
    for line in r.stdout.split(b"\r\n"):
        if line.lower().startswith(b"x-m2m-rsc:"):
            return int(line.split(b":")[1])
    return -1


def cert_get(c, crt, key, origin):
    """GET /cse-in with a client certificate; the RSC, or None when the handshake failed."""
    try:
        r = c.cert(c.cert_session(crt, key), "GET", "/cse-in", origin)
    except requests.exceptions.SSLError:
        return None
    except requests.exceptions.ConnectionError:
        return None
    return r.rsc


def wait_refreshes(mef, n=2):
    """Wait until the CSE asked for its profile n more times: after the second request the answer
    to the first one is applied (one refresh thread, one request at a time). Bounded."""
    def count():
        with mef.lock:
            return sum(1 for r in mef.requests if r[0] == "/securityProfile/id-in")
    start = count()
    for _ in range(600):
        if count() >= start + n:
            return
        time.sleep(0.1)
    raise AssertionError("the CSE did not refresh its security profile")


@pytest.fixture
def prof_env(m2msec_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("proftls")
    c = Cse(m2msec_bin, tmp)
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    # a second CA, known to the CSE only through the profile
    c.m2m("ca", "init", "--dir", c.path("xca"), "--name", "profile CA", "--permit", SP)
    c.m2m("ca", "issue", "--dir", c.path("xca"), "--san", "m2m://%s/id-in/Cxca1" % SP, "--out", c.path("xleaf"))
    with open(c.path("xca/ca.crt")) as f:
        xca_pem = f.read()
    mef = FakeMef(c)
    yield c, mef, xca_pem
    c.stop()
    mef.stop()


def test_ts0003_10_2_profile_suites_and_anchors_then_refresh(prof_env):
    c, mef, xca_pem = prof_env
    mef.profile = {"SUIDs": [22], "cipherSuites": [GCM, ECDSA_GCM], "trustAnchors": [xca_pem]}
    c.start(mef_ini(c, mef.port, cache=5) + "mef-security-profile = true\n")
    xcrt, xkey = c.path("xleaf.crt"), c.path("xleaf.key")
    crt, key = c.issue("leaf", "m2m://%s/id-in/Cconf1" % SP)
    # a suite outside the profile is not negotiated, the profile's suite is
    assert psk_get(c, "PSK-AES128-CBC-SHA256") is None
    assert psk_get(c, "PSK-AES128-CCM8") is None
    assert psk_get(c, "PSK-AES128-GCM-SHA256") == 2000
    # the profile's trust anchor lets a client certificate of that CA in, beside the configured CA
    assert cert_get(c, xcrt, xkey, "Cxca1") not in (None, -1)
    assert cert_get(c, crt, key, "Cconf1") not in (None, -1)

    # a malformed refresh (only unknown suites) changes nothing: the last good profile stays
    mef.profile = {"SUIDs": [22], "cipherSuites": ["TLS_NOT_A_SUITE"]}
    wait_refreshes(mef)
    assert psk_get(c, "PSK-AES128-GCM-SHA256") == 2000
    assert psk_get(c, "PSK-AES128-CBC-SHA256") is None
    assert cert_get(c, xcrt, xkey, "Cxca1") not in (None, -1)
    assert "cipherSuites/trustAnchors refused" in c.log_text()

    # a narrower profile: new connections follow it
    mef.profile = {"SUIDs": [22], "cipherSuites": [ECDSA_GCM]}
    wait_refreshes(mef)
    assert psk_get(c, "PSK-AES128-GCM-SHA256") is None
    assert cert_get(c, xcrt, xkey, "Cxca1") is None          # the profile's anchor is gone
    assert cert_get(c, crt, key, "Cconf1") not in (None, -1)  # the configured one never goes

    # a profile whose suites the policy does not have refuses every handshake (fail closed)
    mef.profile = {"SUIDs": [22], "cipherSuites": ["TLS_PSK_WITH_AES_256_GCM_SHA384"]}
    wait_refreshes(mef)
    assert cert_get(c, crt, key, "Cconf1") is None
    assert psk_get(c, "PSK-AES128-GCM-SHA256") is None
    assert psk_get(c, "PSK-AES256-GCM-SHA384") is None  # never wider than the policy


def test_profile_without_tls_members_keeps_the_policy(prof_env):
    c, mef, xca_pem = prof_env
    mef.profile = {"SUIDs": [22]}
    c.start(mef_ini(c, mef.port) + "mef-security-profile = true\n")
    assert psk_get(c, "PSK-AES128-CBC-SHA256") == 2000
    assert psk_get(c, "PSK-AES128-GCM-SHA256") == 2000
    assert cert_get(c, c.path("xleaf.crt"), c.path("xleaf.key"), "Cxca1") is None  # not an anchor


def test_profile_with_malformed_anchor_at_start_fails_closed(prof_env):
    c, mef, xca_pem = prof_env
    with open(c.path("xleaf.crt")) as f:
        leaf_pem = f.read()
    mef.profile = {"SUIDs": [22], "trustAnchors": [leaf_pem]}  # not a CA certificate
    with pytest.raises(RuntimeError, match="exited early"):
        c.start(mef_ini(c, mef.port) + "mef-security-profile = true\n")
    assert c.proc.wait(timeout=30) != 0
    assert "cannot retrieve this CSE's security profile from the MEF (fail closed)" in c.proc.stderr.read().decode()


def test_cli_mef_profile_set_checks_tls_members(m2msec_bin, tmp_path_factory):
    """`m2msec mef profile set` refuses what the CSE's TLS layer would refuse (exit 2, nothing
    stored): only unknown suites (an OpenSSL name is not an IANA name), a non-CA anchor."""
    import json
    import os
    from cse_harness import free_port
    from test_24_cse_mef import MEF_FQDN
    d = str(tmp_path_factory.mktemp("mefclitls"))
    ini = os.path.join(d, "mef.ini")
    with open(ini, "w") as f:
        f.write("[mef]\nmef-fqdn = %s\nhttps-listen = 127.0.0.1:%d\nstore = %s/mef.db\n" % (MEF_FQDN, free_port(), d))
    os.makedirs(os.path.join(d, "pki"))
    c = Cse(m2msec_bin, os.path.join(d, "pki"))
    c.setup_pki()
    with open(c.path("server.crt")) as f:
        leaf_pem = f.read()
    with open(c.path("ca/ca.crt")) as f:
        ca_pem = f.read()
    prof = os.path.join(d, "p.json")

    def set_profile(p):
        with open(prof, "w") as f:
            json.dump({"sec:secProfile": dict(p, SUIDs=[22])}, f)
        return subprocess.run([m2msec_bin, "mef", "profile", "set", "--config", ini, "--cse-id", "/id-in",
                               "--file", prof], capture_output=True, text=True, timeout=30)

    for bad in ({"cipherSuites": ["PSK-AES128-GCM-SHA256"]}, {"cipherSuites": ["TLS_NOT_A_SUITE"]},
                {"trustAnchors": [leaf_pem]}, {"trustAnchors": ["not PEM"]}):
        r = set_profile(bad)
        assert r.returncode == 2 and "not a PEM CA certificate" in r.stderr, (bad, r.stderr)
    r = set_profile({"cipherSuites": [GCM, "TLS_AES_128_GCM_SHA256"], "trustAnchors": [ca_pem]})
    assert r.returncode == 0, r.stderr
    r = subprocess.run([m2msec_bin, "mef", "profile", "show", "--config", ini, "--cse-id", "/id-in"],
                       capture_output=True, text=True, timeout=30)
    assert json.loads(r.stdout)["sec:secProfile"]["cipherSuites"] == [GCM, "TLS_AES_128_GCM_SHA256"]
