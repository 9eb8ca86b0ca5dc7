# SPDX-License-Identifier: Apache-2.0
"""`m2msec maf` as an operable service (issue 8), black-box: the real binary on loopback with a
certificate from a CA made by `m2msec ca init/issue`, MAF clients managed with `m2msec maf client`
while it runs, and an independent TLS-PSK client (`openssl s_client -psk_identity KmID -psk Km
-keymatexport EXPORTER-oneM2M-Connection -keymatexportlen 48`) running MAF Client Registration and
MAF Key Registration (TS-0003 clauses 8.8.2.3, 8.8.2.7; docs/procedures/maf.md). The Key
Identifier answered is checked against the exported material (clause 10.3.1: KcID = the 16 most
significant bytes, Kc = the 32 least significant bytes); the target CSE (certificate) retrieves
exactly that Kc (clause 8.8.2.8). The operator's list/show never print a key; revoking a client
fails its handshakes and makes its Kc keys non-retrievable. Strict configuration errors name the
line; rate limits answer 429 with Retry-After; a kill -9 in the middle of concurrent key
registrations loses no registration that was answered 2001."""
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import subprocess
import time

import pytest

from cse_harness import free_port
from svc_harness import (Svc, answered_2001, assert_store_intact, cert_request, kill9_when_some_done, make_pki,
                         psk_exported_call, start_concurrent)

FQDN = "maf.sp.example.com"
KM_LABEL = b"oneM2M Enrolment Key to Master Credential derivation"  # TS-0003 10.3.2


def ts(offset):
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() + offset))


class Maf(Svc):
    name, fqdn, clean_stop = "maf", FQDN, True

    def add(self, km_id, km_hex, client="Cdev1"):
        return self.m2m("client", "add", "--config", self.ini, "--km-id", km_id, "--km-file",
                        self.key_file("km", km_id, km_hex), "--client-id", client)


def request(method, path, body=None, rqi="rq1", close=True):
    data = json.dumps(body) if body is not None else ""
    head = "%s %s HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: %s\r\nX-M2M-RVI: 3\r\nX-M2M-Origin: Cdev1\r\n" % (
        method, path, FQDN, rqi)
    if body is not None:
        head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
    if close:
        head += "Connection: close\r\n"
    return (head + "\r\n" + data).encode()


def client_reg(rqi="rq1"):
    return request("POST", "/mafClientReg", {"sec:clientRegCfg": {
        "fqdn": FQDN, "adminFQDN": "admin.sp.example.com", "expirationTime": ts(86400)}}, rqi)


def key_reg(rqi="rk1", target="/id-in"):
    return request("POST", "/mafKeyReg", {"sec:keyRegCfg": {
        "fqdn": FQDN, "adminFQDN": "admin.sp.example.com", "SUID": 32, "targetIDs": [target],
        "expirationTime": ts(3600)}}, rqi)


def psk_call(maf, km_id, km_hex, raw):
    """One MAF Handshake (TLS-PSK, KmID/Km) + one request by openssl s_client. Returns (status,
    headers, body, exported material hex) or None when the handshake failed."""
    return psk_exported_call(maf.port, km_id, km_hex, "EXPORTER-oneM2M-Connection", raw)


def cert_call(maf, who, raw):
    """One request over mutual certificates (who = "target" for /id-in, "other" for /id-x)."""
    return cert_request(maf, who, raw)


@pytest.fixture
def pki(m2msec_bin, tmp_path):
    return make_pki(m2msec_bin, tmp_path, FQDN,
                    [("target", "id-in.sp.example.com"), ("other", "id-x.sp.example.com")])


def register_and_key(maf, km_id, km):
    out = psk_call(maf, km_id, km, client_reg())
    assert out is not None, "MAF Handshake failed"
    assert out[1]["x-m2m-rsc"] == "2001", out[2]
    reg = json.loads(out[2])["sec:mafClientReg"]
    out = psk_call(maf, km_id, km, key_reg())
    assert out is not None and out[1]["x-m2m-rsc"] == "2001", out and out[2]
    return reg, json.loads(out[2])["sec:mafKeyReg"], out[3]


def test_registration_key_retrieval_admin_revoke(pki):
    maf = Maf(pki)
    km = secrets.token_hex(32)
    kmid = "dev1@" + FQDN
    r = maf.add(kmid, km)
    assert r.returncode == 0, r.stderr
    maf.start()
    try:
        reg, kr, material = register_and_key(maf, kmid, km)
        assert reg["mafClientID"] == "Cdev1"
        assert re.fullmatch(r"[0-9A-F]{32}", reg["mafClientRegID"])
        # KcID = the 16 most significant bytes of this session's export (TS-0003 10.3.1)
        assert kr["relKeyID"].upper() == material[:32]
        assert kr["keyID"].lower() == (material[:32] + "@" + FQDN).lower()
        assert kr["sourceID"] == "Cdev1" and kr["SUID"] == 32
        # the target CSE retrieves exactly Kc (the 32 least significant bytes)
        fs, fh, fb = cert_call(maf, "target", request("GET", "/mafKeyReg/" + kr["relKeyID"]))
        assert fh["x-m2m-rsc"] == "2000", fb
        assert json.loads(fb)["sec:mafKeyReg"]["keyValue"].lower() == material[32:].lower()
        # an entity not in targetIDs: 4004, no oracle (TS-0003 8.8.2.8)
        assert cert_call(maf, "other", request("GET", "/mafKeyReg/" + kr["relKeyID"]))[1]["x-m2m-rsc"] == "4004"
        # wrong Km, unknown KmID: the handshake fails
        assert psk_call(maf, kmid, secrets.token_hex(32), client_reg()) is None
        assert psk_call(maf, "nobody@" + FQDN, km, client_reg()) is None
        # the operator's view, while the MAF runs; never a key
        lst = maf.m2m("client", "list", "--config", maf.ini)
        assert lst.returncode == 0, lst.stderr
        assert re.search(r"^%s Cdev1 active .*kc_keys=1$" % re.escape(kmid), lst.stdout, re.M), lst.stdout
        show = maf.m2m("client", "show", "--config", maf.ini, "--km-id", kmid, "--json")
        assert show.returncode == 0, show.stderr
        info = json.loads(show.stdout)
        assert info["client_id"] == "Cdev1" and info["state"] == "active" and info["kc_keys"] == 1
        for out in (lst.stdout, show.stdout):
            assert km not in out and material[32:].lower() not in out.lower()
        # revoked while the MAF runs: its handshakes fail and its Kc is not retrievable any more
        rv = maf.m2m("client", "revoke", "--config", maf.ini, "--km-id", kmid)
        assert rv.returncode == 0, rv.stderr
        assert "kc_keys_refused=1" in rv.stdout
        assert psk_call(maf, kmid, km, client_reg()) is None
        fs, fh, fb = cert_call(maf, "target", request("GET", "/mafKeyReg/" + kr["relKeyID"]))
        assert fh["x-m2m-rsc"] == "4103" and fs == 403, fb
        assert "keyValue" not in fb
        assert json.loads(maf.m2m("client", "show", "--config", maf.ini, "--km-id", kmid,
                                  "--json").stdout)["state"] == "revoked"
        # the CLI refuses what is not a client of this MAF
        bad = maf.m2m("client", "show", "--config", maf.ini, "--km-id", "nobody@" + FQDN)
        assert bad.returncode == 1 and "no such client" in bad.stderr
        bad = maf.add("dev2@other.example.com", km)
        assert bad.returncode == 2 and "must be name@%s" % FQDN in bad.stderr
        # a client added while the MAF runs is served at its first handshake
        km3 = secrets.token_hex(32)
        assert maf.add("dev3@" + FQDN, km3, client="Cdev3").returncode == 0
        out = psk_call(maf, "dev3@" + FQDN, km3, client_reg())
        assert out is not None and out[1]["x-m2m-rsc"] == "2001", out and out[2]
        assert json.loads(out[2])["sec:mafClientReg"]["mafClientID"] == "Cdev3"
    finally:
        maf.stop()
    causes = [(a["procedure"], a["outcome"]) for a in maf.audits()]
    assert ("client-registration", "ok") in causes
    assert ("key-registration", "ok") in causes
    assert ("key-retrieval", "ok") in causes
    with open(maf.log) as f:
        text = f.read().lower()
    for secret in (km, material[32:].lower()):
        assert secret not in text


def test_strict_config_errors(pki):
    maf = Maf(pki, "maf-fqnd = typo.example.com\n")
    r = subprocess.run([pki.bin, "maf", "--config", maf.ini], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "m2msec: maf: %s: line 11: unknown key 'maf-fqnd'" % maf.ini in r.stderr, r.stderr
    with open(maf.ini, "w") as f:
        f.write("[mef]\nmef-fqdn = mef.sp.example.com\n")
    r = subprocess.run([pki.bin, "maf", "--config", maf.ini], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "no [maf] section" in r.stderr, r.stderr
    with open(maf.ini, "w") as f:
        f.write("[maf]\nmaf-fqdn = %s\nmef-cert = x.pem\n" % FQDN)
    r = subprocess.run([pki.bin, "maf", "--config", maf.ini], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "line 3: mef-cert needs mef-url" in r.stderr, r.stderr
    # the admin CLI reads the same section with the same rules
    r = maf.m2m("client", "list", "--config", maf.ini)
    assert r.returncode == 2 and "line 3: mef-cert needs mef-url" in r.stderr, r.stderr


def test_rate_limit_429_retry_after(pki):
    maf = Maf(pki, "rate-limit-per-identity = 2\nrate-limit-per-address = 0\n")
    km = secrets.token_hex(32)
    assert maf.add("dev1@" + FQDN, km).returncode == 0
    maf.start()
    try:
        got = [psk_call(maf, "dev1@" + FQDN, km, client_reg("r%d" % i)) for i in range(3)]
        # a target CSE (certificate) retrieving keys is not limited per identity: its rate follows
        # its devices' handshakes (docs/procedures/maf.md "Audit and rate limits")
        for i in range(4):
            fs, fh, fb = cert_call(maf, "target", request("GET", "/mafKeyReg/" + "0" * 32, rqi="t%d" % i))
            assert fs != 429 and fh["x-m2m-rsc"] == "4004", fb
    finally:
        maf.stop()
    assert got[0][1]["x-m2m-rsc"] == "2001"
    status, headers, body, _ = got[2]
    assert status == 429 and headers["x-m2m-rsc"] == "4000"
    assert 1 <= int(headers["retry-after"]) <= 60
    assert any(a["outcome"] == "rate-limited-identity" and a["rqi"] == "r2" for a in maf.audits())


def test_kill9_during_key_registrations_loses_nothing_answered(pki):
    maf = Maf(pki, "rate-limit-per-address = 0\nrate-limit-per-identity = 0\n")
    n = 16
    keys = {"k%d@%s" % (i, FQDN): secrets.token_hex(32) for i in range(n)}
    for i, (kid, k) in enumerate(keys.items()):
        assert maf.add(kid, k, client="Ck%d" % i).returncode == 0
    maf.start()
    for kid, k in keys.items():
        assert psk_call(maf, kid, k, client_reg())[1]["x-m2m-rsc"] == "2001"
    procs = start_concurrent(maf, keys, key_reg)
    kill9_when_some_done(maf, procs, 3)
    answered = answered_2001(procs, "sec:mafKeyReg", "relKeyID")
    assert answered, "no key registration finished before the kill"
    assert_store_intact(pki.path("maf.db"))
    maf.start()
    try:
        for kid, rel in answered.items():
            fs, fh, fb = cert_call(maf, "target", request("GET", "/mafKeyReg/" + rel))
            assert fh["x-m2m-rsc"] == "2000", (kid, fb)
    finally:
        maf.stop()
    print("kill -9: %d of %d key registrations answered 2001 before the kill, all retrievable" % (
        len(answered), n))


def test_mef_down_keid_handshake_fails_others_proceed(pki):
    """Remote provisioning (TS-0003 8.8.2.3) with the MEF unreachable: a KeID of mef-name fails its
    handshake (fail closed) while a KmID client of the same MAF is served meanwhile."""
    dead = free_port()  # nothing listens there
    maf = Maf(pki, "mef-url = https://127.0.0.1:%d\nmef-name = mef.sp.example.com\nmef-ca = %s\n"
                   "mef-cert = %s\nmef-key = %s\npsk-lookup-timeout-ms = 2000\n" % (
                       dead, pki.path("ca/ca.crt"), pki.path("server.crt"), pki.path("server.key")))
    km = secrets.token_hex(32)
    assert maf.add("dev1@" + FQDN, km).returncode == 0
    maf.start()
    try:
        keid = secrets.token_hex(16) + "@mef.sp.example.com"
        cmd = ["openssl", "s_client", "-tls1_2", "-ign_eof", "-psk_identity", keid, "-psk", secrets.token_hex(32),
               "-cipher", "PSK-AES128-CBC-SHA256", "-connect", "127.0.0.1:%d" % maf.port]
        pending = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        pending.stdin.write(client_reg("keid"))
        pending.stdin.close()
        out = psk_call(maf, "dev1@" + FQDN, km, client_reg())
        assert out is not None and out[1]["x-m2m-rsc"] == "2001", out and out[2]
        raw = pending.stdout.read()
        pending.wait(timeout=30)
        assert b"HTTP/1.1 " not in raw  # the KeID handshake failed: no procedure ran
        assert maf.proc.poll() is None
    finally:
        maf.stop()
    with open(maf.log) as f:
        text = f.read()
    assert "KeIDs (remote provisioning of Km, SUID 21) *@mef.sp.example.com" in text


def test_refusals_over_the_wire(pki):
    """docs/procedures/maf.md "Common errors" through the real listener: no association (server-
    authenticated TLS only, no PSK, no client certificate) is refused at the handshake, a
    malformed body 4000, Key Registration before Client Registration 4103, an unknown To 4004."""
    maf = Maf(pki)
    km = secrets.token_hex(32)
    assert maf.add("dev1@" + FQDN, km).returncode == 0
    maf.start()
    try:
        r = subprocess.run(["openssl", "s_client", "-quiet", "-CAfile", pki.path("ca/ca.crt"), "-connect",
                            "127.0.0.1:%d" % maf.port], input=client_reg(), capture_output=True, timeout=30)
        assert b"HTTP/1.1 " not in r.stdout and b"certificate required" in r.stderr, r.stderr
        out = psk_call(maf, "dev1@" + FQDN, km, key_reg())
        assert out[1]["x-m2m-rsc"] == "4103", out[2]
        bad = request("POST", "/mafClientReg", {"sec:clientRegCfg": {"fqdn": FQDN, "nope": 1}})
        assert psk_call(maf, "dev1@" + FQDN, km, bad)[1]["x-m2m-rsc"] == "4000"
        assert psk_call(maf, "dev1@" + FQDN, km, request("GET", "/nothing"))[1]["x-m2m-rsc"] == "4004"
    finally:
        maf.stop()
    causes = [(a["procedure"], a["outcome"], a["rsc"]) for a in maf.audits()]
    assert ("key-registration", "not-registered", 4103) in causes, causes


class FakeMef:
    """A TLS server with the MEF's certificate that requires the MAF's client certificate and
    answers every RETRIEVE with one fixed RSC (the re-check of a Km from the MEF)."""

    def __init__(self, c, rsc, body=b""):
        import socket
        import ssl
        import threading
        self.rsc, self.body, self.paths = rsc, body, []
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(c.path("mef.crt"), c.path("mef.key"))
        ctx.load_verify_locations(c.path("ca/ca.crt"))
        ctx.verify_mode = ssl.CERT_REQUIRED
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.ctx = ctx
        self.th = threading.Thread(target=self.serve, daemon=True)
        self.th.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                s = self.ctx.wrap_socket(conn, server_side=True)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                self.paths.append(data.split(b" ")[1].decode())
                s.sendall(b"HTTP/1.1 %s\r\nX-M2M-RSC: %d\r\nX-M2M-RI: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (
                              b"200 OK" if self.rsc == 2000 else b"404 Not Found", self.rsc, len(self.body),
                              self.body))
                s.close()
            except Exception:  # a refused TLS client: next one
                conn.close()

    def close(self):
        self.sock.close()


@pytest.mark.parametrize("mef_rsc,same_km,state,outcome", [
    (2000, True, "active", "ok"), (2000, False, "active", "internal"), (4004, True, "revoked", "revoked"),
    (4103, True, "revoked", "revoked"), (None, True, "active", "internal")])
def test_km_from_mef_recheck(pki, mef_rsc, same_km, state, outcome):
    """docs/procedures/maf.md "Km from the MEF": a Km that came from the MEF and was last checked
    longer than mef-cache-seconds ago is re-checked during the handshake (RETRIEVE
    fetchCredentials/<KeID>/21 over the MAF's own association, without blocking the loop). The
    MEF's 4004 / 4103 revoke the Km at the MAF and fail the handshake; an unreachable MEF fails
    the handshake and revokes nothing; a 2000 with the stored Km lets the handshake complete, one
    with another key fails it and revokes nothing."""
    pki.m2m("ca", "issue", "--dir", pki.path("ca"), "--san", "mef.sp.example.com", "--out", pki.path("mef"))
    km = secrets.token_hex(32)
    keid = "AB" * 16 + "@mef.sp.example.com"
    body = json.dumps({"sec:fetchCredRsp": {"status": True, "credential": km if same_km else secrets.token_hex(32),
                                            "enroleeID": "Cremote", "keyID": keid, "SUID": 21,
                                            "lifetime": 3600}}).encode()
    mef = FakeMef(pki, mef_rsc or 2000, body if mef_rsc == 2000 else b"")
    port = mef.port
    if mef_rsc is None:
        mef.close()  # nothing listens any more
    maf = Maf(pki, "mef-url = https://127.0.0.1:%d\nmef-name = mef.sp.example.com\nmef-ca = %s\n"
                   "mef-cert = %s\nmef-key = %s\n" % (
                       port, pki.path("ca/ca.crt"), pki.path("server.crt"), pki.path("server.key")))
    kmid = "0123456789abcdef0123456789abcdef@" + FQDN
    assert maf.add(kmid, km, client="Cremote").returncode == 0
    # the record as remote provisioning leaves it (services/maf: attrs "keid", "checked")
    db = sqlite3.connect(pki.path("maf.db"))
    db.execute("UPDATE cred SET attrs = ? WHERE id_fold = ?", (json.dumps({"keid": keid, "checked": 0}), kmid.lower()))
    db.commit()
    db.close()
    maf.start()
    try:
        out = psk_call(maf, kmid, km, client_reg())
        if outcome == "ok":
            assert out is not None and out[1]["x-m2m-rsc"] == "2001", out and out[2]
            # checked just now: the next handshake within mef-cache-seconds asks the MEF nothing
            assert psk_call(maf, kmid, km, request("GET", "/mafClientReg/" + json.loads(out[2])[
                "sec:mafClientReg"]["mafClientRegID"]))[1]["x-m2m-rsc"] == "2000"
        else:
            assert out is None
        if mef_rsc is not None:
            assert mef.paths == ["/fetchCredentials/%s/21" % keid]
        show = maf.m2m("client", "show", "--config", maf.ini, "--km-id", kmid, "--json")
        assert json.loads(show.stdout)["state"] == state
    finally:
        maf.stop()
        mef.close()
    assert ("km-recheck", outcome) in [(a["procedure"], a["outcome"]) for a in maf.audits()]


def test_remote_provisioning_km_from_mef(pki):
    """TS-0003 8.8.2.3 remote provisioning through the MAF's own association with the MEF: a
    psk_identity that is a KeID of mef-name makes the MAF fetch Km (fetchCredentials/<KeID>/21)
    during the handshake; that association may only run MAF Client Registration (anything else
    4103), which stores exactly the Km of the handshake under the assigned KmID; the client then
    uses that KmID with the same Km."""
    pki.m2m("ca", "issue", "--dir", pki.path("ca"), "--san", "mef.sp.example.com", "--out", pki.path("mef"))
    km = secrets.token_hex(32)
    keid = secrets.token_hex(16).upper() + "@mef.sp.example.com"
    body = json.dumps({"sec:fetchCredRsp": {"status": True, "credential": km, "enroleeID": "Cenr1",
                                            "keyID": keid, "SUID": 21, "lifetime": 3600}}).encode()
    mef = FakeMef(pki, 2000, body)
    maf = Maf(pki, "mef-url = https://127.0.0.1:%d\nmef-name = mef.sp.example.com\nmef-ca = %s\n"
                   "mef-cert = %s\nmef-key = %s\n" % (
                       mef.port, pki.path("ca/ca.crt"), pki.path("server.crt"), pki.path("server.key")))
    maf.start()
    try:
        out = psk_call(maf, keid, km, key_reg())
        assert out is not None and out[1]["x-m2m-rsc"] == "4103", out and out[2]
        assert mef.paths[0] == "/fetchCredentials/%s/21" % keid
        out = psk_call(maf, keid, km, client_reg())
        assert out is not None and out[1]["x-m2m-rsc"] == "2001", out and out[2]
        reg = json.loads(out[2])["sec:mafClientReg"]
        assert reg["mafClientID"] == "Cenr1"
        kmid = reg["assignedSymmKeyID"]
        assert kmid.lower().endswith("@" + FQDN)
        # the wrong Km for the KeID fails the handshake
        assert psk_call(maf, keid, secrets.token_hex(32), client_reg()) is None
        # the assigned KmID authenticates with the Km of the handshake
        out = psk_call(maf, kmid, km, key_reg())
        assert out is not None and out[1]["x-m2m-rsc"] == "2001", out and out[2]
        lst = maf.m2m("client", "list", "--config", maf.ini)
        assert re.search(r"^%s Cenr1 active .*kc_keys=1$" % re.escape(kmid.lower()), lst.stdout, re.M | re.I), \
            lst.stdout
        assert km not in lst.stdout
    finally:
        maf.stop()
        mef.close()


def test_maf_client_cli_against_the_real_maf(pki):
    """Entity A's `m2msec maf-client key` (docs/cli.md) against the real MAF: Client Registration
    when needed and Key Registration; the target CSE retrieves the Kc the client wrote, and the
    client's target.psk is its first half (TS-0003 8.8.1 key split); deregister removes the key."""
    maf = Maf(pki)
    km = secrets.token_hex(32)
    kmid = "dev1@" + FQDN
    assert maf.add(kmid, km).returncode == 0
    kf = pki.path("km-dev1")
    out_dir = pki.path("kc-out")
    maf.start()
    try:
        common = ["--maf", "127.0.0.1:%d" % maf.port, "--maf-ca", pki.path("ca/ca.crt"), "--km-id", kmid,
                  "--km-file", kf]
        r = subprocess.run([pki.bin, "maf-client", "key", *common, "--target", "//sp.example.com/id-in", "--out", out_dir],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(out_dir, "kcid")) as f:
            kcid = f.read().strip()
        with open(os.path.join(out_dir, "kc")) as f:
            kc = f.read().strip().lower()
        with open(os.path.join(out_dir, "target.psk")) as f:
            psk = f.read().strip().lower()
        assert kcid in r.stdout and kcid.lower().endswith("@" + FQDN)
        assert psk == kc[:32]
        rel = kcid.split("@")[0]
        fs, fh, fb = cert_call(maf, "target", request("GET", "/mafKeyReg/" + rel))
        assert fh["x-m2m-rsc"] == "2000", fb
        assert json.loads(fb)["sec:mafKeyReg"]["keyValue"].lower() == kc
        r = subprocess.run([pki.bin, "maf-client", "deregister", *common, "--kcid", kcid], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert cert_call(maf, "target", request("GET", "/mafKeyReg/" + rel))[1]["x-m2m-rsc"] == "4004"
    finally:
        maf.stop()


def test_remote_provisioning_with_the_real_mef(m2msec_bin, tmp_path):
    """The whole remote provisioning chain with real binaries (TS-0003 8.8.2.3, 10.3.2): `m2msec
    mef` with the MAF as an Enrolment Target, `m2msec enrol`, `m2msec maf-client key --enrolment`
    (Km = HMAC-SHA-256(Ke, label || MAF-ID)) against `m2msec maf`, which fetches the same Km from
    the MEF; the target retrieves the Kc. Revoking the enrolment at the MEF revokes the Km at the
    MAF at its next re-check, and Entity A's next run fails."""
    from test_25_mef_e2e import FQDN as MEF_FQDN, World
    w = World(m2msec_bin, tmp_path, mef_extra="rate-limit-per-identity = 0\nrate-limit-per-address = 0\n"
                                             "maf-fqdns = %s\n" % FQDN)
    w.c.issue("maf", FQDN)
    w.start_mef()
    maf = None
    try:
        kpm_id, kpm = w.add("rdev1", "Crdev1", "/id-in", extra=["--target", FQDN])
        enr = str(tmp_path / "rdev1")
        r = w.enrol(kpm_id, kpm, enr)
        assert r.returncode == 0, r.stderr
        maf = Maf(w.c, "mef-url = https://127.0.0.1:%d\nmef-name = %s\nmef-ca = %s\nmef-cert = %s\nmef-key = %s\n"
                       "mef-cache-seconds = 1\n" % (
            w.mef_port, MEF_FQDN, w.c.path("ca/ca.crt"), w.c.path("maf.crt"), w.c.path("maf.key")), cert="maf")
        maf.start()
        common = ["--maf", "127.0.0.1:%d" % maf.port, "--maf-ca", w.c.path("ca/ca.crt"), "--enrolment", enr, "--maf-fqdn", FQDN,
                  "--target", "//sp.example.com/id-in"]
        r = subprocess.run([w.bin, "maf-client", "key", *common, "--out", str(tmp_path / "kc1")],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        kcid = (tmp_path / "kc1" / "kcid").read_text().strip()
        kc = (tmp_path / "kc1" / "kc").read_text().strip().lower()
        fs, fh, fb = cert_call(maf, "server", request("GET", "/mafKeyReg/" + kcid.split("@")[0]))
        assert fh["x-m2m-rsc"] == "2000", fb
        body = json.loads(fb)["sec:mafKeyReg"]
        assert body["keyValue"].lower() == kc and body["sourceID"] == "Crdev1"
        lst = maf.m2m("client", "list", "--config", maf.ini, "--json")
        rows = [json.loads(ln) for ln in lst.stdout.splitlines()]
        assert [(x["client_id"], x["state"], x["kc_keys"]) for x in rows] == [("Crdev1", "active", 1)], rows
        kmid = rows[0]["km_id"]
        km = hmac.new(bytes.fromhex(open(os.path.join(enr, "ke")).read().strip()), KM_LABEL + FQDN.encode(),
                      hashlib.sha256).hexdigest()
        # revoked at the MEF: honoured by the MAF within mef-cache-seconds (1 here). The sleep only
        # lets that window pass (waiting longer never changes the outcome); nothing is timed.
        w.revoke(kpm_id)
        time.sleep(1.5)
        r = subprocess.run([w.bin, "maf-client", "key", *common, "--out", str(tmp_path / "kc2")],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1, r.stderr  # the KeID handshake fails: the MEF answers 4004
        # the assigned KmID is re-checked at its next use: 4004 revokes it, the handshake fails
        assert psk_call(maf, kmid, km, client_reg()) is None
        rows = [json.loads(ln) for ln in maf.m2m("client", "list", "--config", maf.ini, "--json").stdout.splitlines()]
        assert [x["state"] for x in rows] == ["revoked"], rows
        # ... and the Kc it registered is refused to the target (its source is revoked)
        assert cert_call(maf, "server", request("GET", "/mafKeyReg/" + kcid.split("@")[0]))[1]["x-m2m-rsc"] == "4103"
    finally:
        if maf is not None:
            maf.stop()
        w.stop_mef()
