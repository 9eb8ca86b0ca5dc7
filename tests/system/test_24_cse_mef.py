# SPDX-License-Identifier: Apache-2.0
"""The CSE as an Enrolment Target of a MEF (issue 7, "CSE integration"; TS-0003 8.3.2.1 "Use of
provisioned credentials", docs/procedures/mef.md fetchCredentials).

A real `m2msec cse` on loopback with `mef-url` set; a device presents TLS-PSK with
`psk_identity` = KeID (`openssl s_client -psk_identity KeID -psk <usage-constrained key>`); the
CSE RETRIEVEs /fetchCredentials/<KeID>/22 from the MEF over its own mutually authenticated TLS
association DURING the handshake and binds the association to the Enrolee-ID the MEF returned.

Two MEFs:
 - a fake MEF in this process (Python ssl server, client certificate required, canned
   fetchCredRsp answers): always runs, so the CSE side is proven on its own;
 - the real `m2msec mef` end to end (enrol -> KeID -> CSE): skipped ONLY while the MEF process
   answers 5001 (procedure layer not plugged into the service shell yet)."""
import json
import os
import secrets
import socket
import ssl
import subprocess
import threading

import pytest

from cse_harness import SP, Cse, free_port, wait_port
from fake_tls import FakeTlsServer, send_json

MEF_FQDN = "mef." + SP
AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'


def keid(fill=None):
    return (fill or secrets.token_hex(16).upper()) + "@" + MEF_FQDN


class FakeMef(FakeTlsServer):
    """A MEF that answers fetchCredentials from a table: keid -> (hex key, Enrolee-ID) or an RSC."""

    def __init__(self, cse):
        self.table = {}
        self.requests = []  # (path, X-M2M-Origin, client certificate presented)
        self.silent = False
        self.profile = None  # the sec:secProfile of /id-in, or None (4004)
        self.lock = threading.Lock()
        super().__init__(cse, "mef", MEF_FQDN, self._get)

    def _get(self, h):
        with self.lock:
            self.requests.append((h.path, h.headers.get("X-M2M-Origin"), h.connection.getpeercert() is not None))
            silent = self.silent
        if silent:
            threading.Event().wait(5)  # never answers within the CSE's deadline
            return
        parts = h.path.split("/")
        if len(parts) == 3 and parts[1] == "securityProfile":
            # only the CSE's own profile (docs/procedures/mef.md): another CSE-ID is 4103
            if parts[2] != "id-in":
                rsc, body = 4103, {"m2m:dbg": "not your profile"}
            elif self.profile is None:
                rsc, body = 4004, {"m2m:dbg": "no profile"}
            else:
                rsc, body = 2000, {"sec:secProfile": dict(self.profile, cseID="/id-in")}
            send_json(h, rsc, body, status=200 if rsc == 2000 else 403, content_type=False)
            return
        entry = self.table.get(parts[2]) if len(parts) == 4 and parts[1] == "fetchCredentials" else None
        if isinstance(entry, tuple):
            rsc, body = 2000, {"sec:fetchCredRsp": {
                "status": True, "credential": entry[0], "enroleeID": entry[1], "keyID": parts[2],
                "SUID": int(parts[3]), "lifetime": 3600, "expirationTime": "20990101T000000"}}
        else:
            rsc = entry or 4004
            body = {"m2m:dbg": "refused", "sec:fetchCredRsp": {"status": False, "errorString": "x"}}
        send_json(h, rsc, body)

    def add(self, kid, bound):
        key = secrets.token_hex(32)
        self.table[kid] = (key, bound)
        return key

    def fetches(self, kid):
        with self.lock:
            return [r for r in self.requests if r[0].startswith("/fetchCredentials/" + kid + "/")]


def mef_ini(c, mef_port, cache=60, timeout_ms=3000):
    # the CSE's CSE-ID certificate (docs/pki.md 10.1.1.7: DNS SAN = the CSE-ID's public domain name)
    crt, key = c.issue("cse-to-mef", "id-in." + SP) \
        if not os.path.exists(c.path("cse-to-mef.crt")) else (c.path("cse-to-mef.crt"), c.path("cse-to-mef.key"))
    return ("mef-url = https://127.0.0.1:%d\nmef-name = %s\nmef-ca = %s\nmef-cert = %s\nmef-key = %s\n"
            "mef-cache-seconds = %d\npsk-lookup-timeout-ms = %d\n") % (
        mef_port, MEF_FQDN, c.path("ca/ca.crt"), crt, key, cache, timeout_ms)


@pytest.fixture(scope="module")
def env(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("cse"))
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    c.add_psk("kpsa-dev1@" + SP, "Cdev1")
    mef = FakeMef(c)
    c.start(mef_ini(c, mef.port))
    yield c, mef
    rc = c.stop()
    mef.stop()
    assert rc == 0, "CSE did not shut down cleanly on SIGTERM (rc=%s)" % rc


def test_ts0003_8_3_2_1_keid_fetched_during_handshake_and_bound(env):
    c, mef = env
    kid = keid()
    key = mef.add(kid, "Cmefdev1")
    r = c.psk("POST", "/cse-in", "Cmefdev1", kid, AE_BODY % "mefdev1", ty=2, key=key)
    assert r is not None and r.rsc == 2001, r
    # one RETRIEVE by this CSE, over the mutually authenticated association, SUID 22
    f = mef.fetches(kid)
    assert f == [("/fetchCredentials/%s/22" % kid, "/id-in", True)]
    # the association is bound to the Enrolee-ID: a spoofed From is 4106 (TS-0004 7.3.2.1)
    r = c.psk("GET", "/cse-in/mefdev1", "Cdev1", kid, key=key)
    assert r is not None and r.rsc == 4106, r
    r = c.psk("GET", "/cse-in/mefdev1", "Cmefdev1", kid, key=key)
    assert r is not None and r.rsc == 2000, r
    # answered from the cache (mef-cache-seconds = 60): no second fetch
    assert len(mef.fetches(kid)) == 1


def test_ts0003_8_3_2_1_wrong_key_for_keid_is_refused(env):
    c, mef = env
    kid = keid()
    mef.add(kid, "Cmefdev2")
    rc, out = c.psk_raw(b"GET /cse-in HTTP/1.1\r\n\r\n", kid, key=secrets.token_hex(32))
    assert rc != 0 and b"HTTP/1.1" not in out


@pytest.mark.parametrize("rsc", [4004, 4103])
def test_ts0003_8_3_2_1_keid_refused_by_mef_fails_handshake(env, rsc):
    """Unknown KeID / target not authorized for the enrolee (4004), revoked or SUID refused (4103)."""
    c, mef = env
    kid = keid()
    mef.table[kid] = rsc
    rc, out = c.psk_raw(b"GET /cse-in HTTP/1.1\r\n\r\n", kid, key=secrets.token_hex(32))
    assert rc != 0 and b"HTTP/1.1" not in out
    assert len(mef.fetches(kid)) == 1
    # the refusal is cached briefly: a retry does not reach the MEF again
    rc, out = c.psk_raw(b"GET /cse-in HTTP/1.1\r\n\r\n", kid, key=secrets.token_hex(32))
    assert rc != 0 and len(mef.fetches(kid)) == 1


def test_keid_of_another_mef_is_not_fetched(env):
    c, mef = env
    other = secrets.token_hex(16).upper() + "@mef.other.example.com"
    rc, out = c.psk_raw(b"GET /cse-in HTTP/1.1\r\n\r\n", other, key=secrets.token_hex(32))
    assert rc != 0 and b"HTTP/1.1" not in out
    assert not any(other in r[0] for r in mef.requests)


def test_mef_silent_fails_closed_others_served(env):
    """A MEF that does not answer: the handshake fails at psk-lookup-timeout-ms, a provisioned
    client is served meanwhile."""
    c, mef = env
    kid = keid()
    mef.add(kid, "Cmefdev3")
    mef.silent = True
    try:
        done = {}

        def slow():
            done["r"] = c.psk_raw(b"GET /cse-in HTTP/1.1\r\nX-M2M-Origin: Cmefdev3\r\nX-M2M-RI: 1\r\n"
                                  b"X-M2M-RVI: 3\r\n\r\n", kid, key=mef.table[kid][0])

        t = threading.Thread(target=slow)
        t.start()
        r = c.psk("GET", "/cse-in", "CAdmin", "kpsa-admin@" + SP)
        assert r is not None and r.rsc == 2000, r
        t.join()
        rc, out = done["r"]
        assert rc != 0 and b"HTTP/1.1" not in out
    finally:
        mef.silent = False


def test_revocation_reaches_cse_within_cache_bound_and_mef_down(m2msec_bin, tmp_path_factory):
    """mef-cache-seconds = 0: a revocation at the MEF refuses the very next handshake. MEF down:
    the KeID handshake fails, a provisioned PSK client is served."""
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("cse0"))
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    mef = FakeMef(c)
    c.start(mef_ini(c, mef.port, cache=0))
    try:
        kid = keid()
        key = mef.add(kid, "Cmefdev4")
        r = c.psk("POST", "/cse-in", "Cmefdev4", kid, AE_BODY % "mefdev4", ty=2, key=key)
        assert r is not None and r.rsc == 2001, r
        mef.table[kid] = 4103  # revoked at the MEF
        rc, out = c.psk_raw(b"GET /cse-in HTTP/1.1\r\n\r\n", kid, key=key)
        assert rc != 0 and b"HTTP/1.1" not in out
        assert len(mef.fetches(kid)) == 2
        mef.table[kid] = (key, "Cmefdev4")
        mef.stop()  # MEF down
        rc, out = c.psk_raw(b"GET /cse-in HTTP/1.1\r\n\r\n", kid, key=key)
        assert rc != 0 and b"HTTP/1.1" not in out
        r = c.psk("GET", "/cse-in", "CAdmin", "kpsa-admin@" + SP)
        assert r is not None and r.rsc == 2000, r
    finally:
        assert c.stop() == 0


def test_config_mef_url_by_ip_needs_mef_name(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("csecfg"))
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    ini = mef_ini(c, 1).replace("mef-name = %s\n" % MEF_FQDN, "")
    with open(c.path("psk.txt"), "w") as f:
        f.write("kpsa-admin@%s %s CAdmin\n" % (SP, c.psks["kpsa-admin@" + SP][0]))
    os.chmod(c.path("psk.txt"), 0o600)
    with open(c.path("cse.ini"), "w") as f:
        f.write("cse-id = /id-in\nsp-id = //%s\nstore = %s\nhttps-listen = 127.0.0.1:%d\ncert = %s\n"
                "key = %s\npsk-file = %s\n%s" % (SP, c.path("cse.db"), free_port(), c.path("server.crt"),
                                                 c.path("server.key"), c.path("psk.txt"), ini))
    r = subprocess.run([m2msec_bin, "cse", "--config", c.path("cse.ini"), "--check"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0
    assert "the host is an IP address: set mef-name to the MEF's FQDN" in r.stderr, r.stderr
    with open(c.path("cse.ini"), "a") as f:
        f.write("mef-name = %s\n" % MEF_FQDN)
    text = open(c.path("cse.ini")).read()
    text = "\n".join(l for l in text.split("\n") if not l.startswith(("mef-cert", "mef-key")))
    with open(c.path("cse.ini"), "w") as f:
        f.write(text)
    r = subprocess.run([m2msec_bin, "cse", "--config", c.path("cse.ini"), "--check"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2
    assert "needs mef-cert and mef-key (this CSE's certificate towards the MEF)" in r.stderr, r.stderr


# ---- security profile (the CSE <-> MEF profile) ------------------------------------------------

PROFILE = {"SUIDs": [22], "appRules": [{"applicableCredIDs": ["12-*@" + MEF_FQDN], "allowedAEs": ["Cmef*"]}],
           "lifetime": 3600}


def _start_with_profile(m2msec_bin, tmp, profile):
    c = Cse(m2msec_bin, tmp)
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    mef = FakeMef(c)
    mef.profile = profile
    return c, mef


def test_profile_allowed_aes_enforced_4103(m2msec_bin, tmp_path_factory):
    """allowedAEs of the MEF's profile (TS-0001 9.6.29): a KeID credential may register only the
    AE-IDs its rule allows; another AE-ID is 4103 even though it is the association's own."""
    c, mef = _start_with_profile(m2msec_bin, tmp_path_factory.mktemp("prof"), PROFILE)
    c.start(mef_ini(c, mef.port) + "mef-security-profile = true\n")
    try:
        assert any(r[0] == "/securityProfile/id-in" for r in mef.requests)
        kid = keid()
        key = mef.add(kid, "Cmefdev6")
        r = c.psk("POST", "/cse-in", "Cmefdev6", kid, AE_BODY % "mefdev6", ty=2, key=key)
        assert r is not None and r.rsc == 2001, r
        kid2 = keid()
        key2 = mef.add(kid2, "Cstranger")  # bound by the MEF, but not allowed by the profile
        r = c.psk("POST", "/cse-in", "Cstranger", kid2, AE_BODY % "stranger", ty=2, key=key2)
        assert r is not None and r.rsc == 4103, r
        # a credential no rule names is not restricted by the profile
        r = c.psk("GET", "/cse-in", "CAdmin", "kpsa-admin@" + SP)
        assert r is not None and r.rsc == 2000, r
    finally:
        assert c.stop() == 0
        mef.stop()


def test_profile_suid_not_accepted_refuses_keids(m2msec_bin, tmp_path_factory):
    c, mef = _start_with_profile(m2msec_bin, tmp_path_factory.mktemp("prof23"), dict(PROFILE, SUIDs=[23]))
    c.start(mef_ini(c, mef.port) + "mef-security-profile = true\n")
    try:
        kid = keid()
        key = mef.add(kid, "Cmefdev7")
        rc, out = c.psk_raw(b"GET /cse-in HTTP/1.1\r\n\r\n", kid, key=key)
        assert rc != 0 and b"HTTP/1.1" not in out
        assert mef.fetches(kid) == []  # refused before any fetch
    finally:
        assert c.stop() == 0
        mef.stop()


def test_profile_unavailable_at_start_fails_closed(m2msec_bin, tmp_path_factory):
    c, mef = _start_with_profile(m2msec_bin, tmp_path_factory.mktemp("prof0"), None)
    try:
        with pytest.raises(RuntimeError, match="exited early"):
            c.start(mef_ini(c, mef.port) + "mef-security-profile = true\n")
        assert c.proc.wait(timeout=30) != 0
        err = c.proc.stderr.read().decode()
        assert "cannot retrieve this CSE's security profile from the MEF (fail closed)" in err, err
    finally:
        c.stop()
        mef.stop()


def test_cli_mef_profile_set_show(m2msec_bin, tmp_path_factory):
    """`m2msec mef profile set|show` (docs/cli.md): checked as the CSE will parse it, stored per CSE."""
    d = str(tmp_path_factory.mktemp("mefcli"))
    ini = os.path.join(d, "mef.ini")
    with open(ini, "w") as f:
        f.write("[mef]\nmef-fqdn = %s\nhttps-listen = 127.0.0.1:%d\nstore = %s/mef.db\n" % (MEF_FQDN, free_port(), d))
    prof = os.path.join(d, "p.json")
    with open(prof, "w") as f:
        json.dump({"sec:secProfile": PROFILE}, f)

    def m(*a):
        return subprocess.run([m2msec_bin, "mef", "profile", *a], capture_output=True, text=True, timeout=30)

    r = m("show", "--config", ini, "--cse-id", "/id-in")
    assert r.returncode == 1 and "mef profile: /id-in: no profile" in r.stderr, r.stderr
    r = m("set", "--config", ini, "--cse-id", "/id-in", "--file", prof)
    assert r.returncode == 0 and r.stdout == "security profile of /id-in set\n", r.stderr
    r = m("show", "--config", ini, "--cse-id", "/id-in")
    assert r.returncode == 0
    shown = json.loads(r.stdout)["sec:secProfile"]
    assert shown["cseID"] == "/id-in" and shown["SUIDs"] == [22]
    r = m("set", "--config", ini, "--cse-id", "//%s/id-in" % SP, "--file", prof)
    assert r.returncode == 2 and "must be an SP-relative CSE-ID such as /id-in" in r.stderr
    with open(prof, "w") as f:
        json.dump({"sec:secProfile": {"SUIDs": [99]}}, f)
    r = m("set", "--config", ini, "--cse-id", "/id-in", "--file", prof)
    assert r.returncode == 2 and "not a valid sec:secProfile" in r.stderr, r.stderr
    r = m("show", "--config", ini, "--cse-id", "/id-in")  # the good one stays
    assert json.loads(r.stdout)["sec:secProfile"]["SUIDs"] == [22]


# ---- the real MEF end to end -----------------------------------------------------------------

def _mef_answers_5001(m2msec_bin, tmp):
    """Start `m2msec mef` and ask it anything over TLS; True when it answers 5001 (the procedure
    layer is not plugged in yet)."""
    c = Cse(m2msec_bin, tmp)
    c.setup_pki()
    crt, key = c.issue("mef", MEF_FQDN)
    port = free_port()
    with open(c.path("mef.ini"), "w") as f:
        f.write("[mef]\nmef-fqdn = %s\nhttps-listen = 127.0.0.1:%d\nstore = %s\ncert = %s\nkey = %s\n"
                "trust-anchors = %s\nca-dir = %s\nlog-file = %s\n" % (
                    MEF_FQDN, port, c.path("mef.db"), crt, key, c.path("ca/ca.crt"), c.path("ca"),
                    c.path("mef.log")))
    p = subprocess.Popen([m2msec_bin, "mef", "--config", c.path("mef.ini")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        wait_port(port, p)
        # any certificate the MEF's shell accepts will do: the question is only whether a procedure
        # handler answers (an AE-ID certificate maps without the MEF knowing the SP)
        ccrt, ckey = c.issue("probe", "m2m://%s/id-in/Cprobe" % SP)
        ctx = ssl.create_default_context(cafile=c.path("ca/ca.crt"))
        ctx.load_cert_chain(ccrt, ckey)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname=MEF_FQDN) as t:
                t.sendall(b"GET /fetchCredentials/%s/22 HTTP/1.1\r\nHost: x\r\nX-M2M-Origin: /id-in\r\n"
                          b"X-M2M-RI: 1\r\nX-M2M-RVI: 3\r\nConnection: close\r\n\r\n" % keid("0" * 32).encode())
                buf = b""
                while True:
                    d = t.recv(65536)
                    if not d:
                        break
                    buf += d
        return b"X-M2M-RSC: 5001" in buf or b"x-m2m-rsc: 5001" in buf.lower()
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_e2e_real_mef_enrol_then_keid_at_cse(m2msec_bin, tmp_path_factory):
    if _mef_answers_5001(m2msec_bin, tmp_path_factory.mktemp("probe")):
        pytest.skip("m2msec mef answers 5001: the MEF procedure layer is not plugged into the service "
                    "shell in this tree (the CSE side is proven against the fake MEF above and in "
                    "tests/unit/test_remote_link.c)")
    # The fixed interface of issue 7: enrolee add -> m2msec enrol -> KeID at the CSE -> revoke.
    # (Written against the documented commands; not run in the tree it was written in, see above.)
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("e2e"))
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    crt, key = c.issue("mef", MEF_FQDN)
    port = free_port()
    with open(c.path("mef.ini"), "w") as f:
        f.write("[mef]\nmef-fqdn = %s\nsp-id = %s\nhttps-listen = 127.0.0.1:%d\nstore = %s\ncert = %s\n"
                "key = %s\ntrust-anchors = %s\nca-dir = %s\nlog-file = %s\n" % (
                    MEF_FQDN, SP, port, c.path("mef.db"), crt, key, c.path("ca/ca.crt"), c.path("ca"),
                    c.path("mef.log")))
    kpm = c.path("kpm.hex")
    with open(kpm, "w") as f:
        f.write(secrets.token_hex(32))
    os.chmod(kpm, 0o600)
    kpm_id = "dev1@" + MEF_FQDN
    c.m2m("mef", "enrolee", "add", "--config", c.path("mef.ini"), "--kpm-id", kpm_id, "--kpm-file", kpm,
          "--enrolee-id", "Cdev-e2e", "--target", "//%s/id-in" % SP)
    p = subprocess.Popen([m2msec_bin, "mef", "--config", c.path("mef.ini")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        wait_port(port, p)
        out = c.path("enrol")
        c.m2m("enrol", "--mef", "127.0.0.1:%d" % port, "--mef-ca", c.path("ca/ca.crt"), "--kpm-id", kpm_id,
              "--kpm-file", kpm, "--out", out)
        kid = open(os.path.join(out, "keid")).read().strip()
        tkey = open(os.path.join(out, "target.psk")).read().strip()
        assert kid.endswith("@" + MEF_FQDN)
        c.start(mef_ini(c, port, cache=0))
        r = c.psk("POST", "/cse-in", "Cdev-e2e", kid, AE_BODY % "deve2e", ty=2, key=tkey)
        assert r is not None and r.rsc == 2001, r
        r = c.psk("GET", "/cse-in/deve2e", "Cdev1", kid, key=tkey)
        assert r is not None and r.rsc == 4106, r
        c.m2m("mef", "enrolee", "revoke", "--config", c.path("mef.ini"), "--kpm-id", kpm_id)
        rc, o = c.psk_raw(b"GET /cse-in HTTP/1.1\r\n\r\n", kid, key=tkey)
        assert rc != 0 and b"HTTP/1.1" not in o  # mef-cache-seconds = 0: the next handshake
    finally:
        c.stop()
        p.terminate()
        p.wait(timeout=10)
