# SPDX-License-Identifier: Apache-2.0
"""The MEF and the MAF behind their CoAP over DTLS door (`coaps-listen` in [mef] / [maf], issue 9;
TS-0008, docs/coap-dtls.md), black-box with the real binary and independent clients: the real
`coap-client-openssl` (libcoap3-bin, `-u ID -k KEY` PSK, oneM2M options by `-O`) and `openssl
s_client -dtls1_2 -psk ... -keymatexport` (binding_clients.dtls_exported_coap), which exports the
RFC 5705 material of the very DTLS session its request ran on. Each answer is compared with the
same request over the HTTPS door, which stays as it was: the same resolver chain (KpmID, KmID)
decides the DTLS-PSK handshake, the same association is made from the session (TS-0003 clause
10.3.1: KeID / KcID = the 16 most significant bytes of the session's export, Ke / Kc the 32
least significant), the same refusals. EST (RFC 7030) stays HTTPS only: over CoAP it is 5.01 /
RSC 5001 (EST over CoAP, RFC 9148, is not implemented)."""
import hashlib
import hmac
import json
import re
import subprocess
import time

import pytest

from binding_clients import ACK, COAP_CLIENT, CoapReply, ascii_key, coap, parse_opts
from cse_harness import free_port
from dtls_coap import coap_datagram, dtls_exported_coap
from svc_harness import Svc, cert_request, make_pki, psk_exported_call

MEF_FQDN = "mef.sp.example.com"
MAF_FQDN = "maf.sp.example.com"
UCSK_LABEL = b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"  # TS-0003 10.3.7
KM_LABEL = b"oneM2M Enrolment Key to Master Credential derivation"  # TS-0003 10.3.2


def ts(offset):
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() + offset))


class Door:
    """What binding_clients.coap needs of a server: its coaps port and the PSKs of its clients."""
    def __init__(self, svc):
        self.coaps_port, self.coap_keys = svc.coaps_port, svc.coap_keys


class Mef(Svc):
    name, fqdn, clean_stop = "mef", MEF_FQDN, True

    def add(self, kpm_id, key, targets=("/id-in",)):
        self.coap_keys[kpm_id] = key
        return self.m2m("enrolee", "add", "--config", self.ini, "--kpm-id", kpm_id, "--kpm-file",
                        self.key_file("kpm", kpm_id, key.encode().hex()), "--enrolee-id", "Cdev1",
                        *[a for t in targets for a in ("--target", t)])


class Maf(Svc):
    name, fqdn, clean_stop = "maf", MAF_FQDN, True

    def add(self, km_id, key, client="Cdev1"):
        self.coap_keys[km_id] = key
        return self.m2m("client", "add", "--config", self.ini, "--km-id", km_id, "--km-file",
                        self.key_file("km", km_id, key.encode().hex()), "--client-id", client)


def start(cls, pki, extra=""):
    coaps_port = free_port()
    s = cls(pki, "coaps-listen = 127.0.0.1:%d\n%s" % (coaps_port, extra), cert="maf" if cls is Maf else "server")
    s.coaps_port, s.coap_keys = coaps_port, {}
    return s


def http(method, path, fqdn, body=None, rqi="rq1", origin="Cdev1"):
    data = json.dumps(body) if body is not None else ""
    head = "%s %s HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: %s\r\nX-M2M-RVI: 3\r\nX-M2M-Origin: %s\r\n" % (
        method, path, fqdn, rqi, origin)
    if body is not None:
        head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
    return (head + "Connection: close\r\n\r\n" + data).encode()


MEF_REG = {"sec:clientRegCfg": {"fqdn": MEF_FQDN, "adminFQDN": "admin.sp.example.com"}}


def maf_reg():
    return {"sec:clientRegCfg": {"fqdn": MAF_FQDN, "adminFQDN": "admin.sp.example.com",
                                 "expirationTime": ts(86400)}}


def maf_key_reg():
    return {"sec:keyRegCfg": {"fqdn": MAF_FQDN, "adminFQDN": "admin.sp.example.com", "SUID": 32,
                              "targetIDs": ["/id-in"], "expirationTime": ts(3600)}}


def over_dtls(svc, identity, exporter, method, path, body=None, rqi="rq1"):
    """(CoapReply, exported material) of one request over a DTLS session of its own."""
    msg = coap_datagram(method, path, "Cdev1", rqi, json.dumps(body) if body is not None else None)
    return dtls_exported_coap(svc.coaps_port, identity, svc.coap_keys[identity].encode().hex(), exporter, msg)


def over_https(svc, identity, exporter, method, path, body=None, rqi="rq1"):
    """(status, headers, body, material) of the same request over the HTTPS door."""
    return psk_exported_call(svc.port, identity, svc.coap_keys[identity].encode().hex(), exporter,
                             http(method.upper(), path, svc.fqdn, body, rqi))


@pytest.fixture
def pki(m2msec_bin, tmp_path):
    return make_pki(m2msec_bin, tmp_path, MEF_FQDN,
                    [("target", "id-in.sp.example.com"), ("maf", MAF_FQDN), ("other", "id-x.sp.example.com"),
                     ("stranger", "m2m://sp.example.com/id-in/Cstranger")])


def coap_cert(svc, who, method, path, origin, body=None, rqi="rq1"):
    """One request by coap-client over DTLS with the certificate `who` (ECDHE-ECDSA, TS-0003
    8.2.2.2); the answer read from its trace as binding_clients.coap does, None without one."""
    args = [COAP_CLIENT, "-B", "4", "-v", "7", "-m", method, "-O", "271,3", "-O", "283,%s" % rqi, "-O",
            "279,%s" % origin, "-c", svc.c.path(who + ".crt"), "-j", svc.c.path(who + ".key"), "-R",
            svc.c.path("ca/ca.crt")]
    if body is not None:
        args += ["-t", "50", "-e", body]
    p = subprocess.Popen(args + ["coaps://127.0.0.1:%d%s" % (svc.coaps_port, path)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        for line in p.stdout:
            m = ACK.search(line.rstrip("\n"))
            if m and m.group(1) != "RST" and "t:CON" not in line:
                return CoapReply(m.group(2), parse_opts(m.group(3)), m.group(4))
        return None
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=60)
        p.stdout.close()


def test_ts0003_10_3_1_mef_client_registration_over_dtls_keid_from_the_dtls_exporter(pki):
    mef = start(Mef, pki, "ca-dir = %s\n" % pki.path("ca"))
    kpm_id = "dev1@" + MEF_FQDN
    assert mef.add(kpm_id, ascii_key()).returncode == 0
    mef.start()
    try:
        # over CoAP/DTLS, with the session's own export: KeID = its 16 most significant bytes
        out = over_dtls(mef, kpm_id, "EXPORTER-oneM2M-Bootstrap", "post", "/mefClientReg", MEF_REG)
        assert out is not None, "DTLS handshake or answer missing"
        rsp, material = out
        assert rsp.code == "2.01" and rsp.rsc == 2001, rsp
        reg = json.loads(rsp.payload)["sec:mefClientReg"]
        assert reg["keyID"] == material[:32] + "@" + MEF_FQDN
        assert reg["mefClientID"] == "Cdev1"
        # the MEF stored that KeID, and the Ke of the DTLS session under it: the target fetches
        # HMAC-SHA-256(Ke, label || "22" || its FQDN) over HTTPS (TS-0003 10.3.7)
        show = mef.m2m("enrolee", "show", "--config", mef.ini, "--kpm-id", kpm_id, "--json")
        assert show.returncode == 0 and json.loads(show.stdout)["keid"] == reg["keyID"], show.stderr
        req = ("GET /fetchCredentials/%s/22 HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: f1\r\nX-M2M-RVI: 3\r\n"
               "Connection: close\r\n\r\n" % (reg["keyID"], MEF_FQDN)).encode()
        fs, fh, fb = cert_request(mef, "target", req)
        assert fh["x-m2m-rsc"] == "2000", fb
        want = hmac.new(bytes.fromhex(material[32:]), UCSK_LABEL + b"22" + b"id-in.sp.example.com",
                        hashlib.sha256).hexdigest()
        assert json.loads(fb)["sec:fetchCredRsp"]["credential"] == want
        # the same request over HTTPS: the same answer but for the session's own KeID
        hs, hh, hb, hmat = over_https(mef, kpm_id, "EXPORTER-oneM2M-Bootstrap", "post", "/mefClientReg", MEF_REG)
        assert hh["x-m2m-rsc"] == "2001", hb
        hreg = json.loads(hb)["sec:mefClientReg"]
        assert hreg["keyID"] == hmat[:32] + "@" + MEF_FQDN and hreg["keyID"] != reg["keyID"]
        drop = ("mefClientRegID", "keyID", "childResource")
        assert {k: v for k, v in hreg.items() if k not in drop} == {k: v for k, v in reg.items() if k not in drop}
        # and by the real CoAP client: a fresh session, a fresh well-formed KeID
        r = coap(Door(mef), "post", "/mefClientReg", "Cdev1", kpm_id, body=json.dumps(MEF_REG))
        assert r is not None and r.code == "2.01" and r.rsc == 2001, r
        keid = json.loads(r.payload)["sec:mefClientReg"]["keyID"]
        assert re.fullmatch(r"[0-9A-F]{32}@" + re.escape(MEF_FQDN), keid) and keid not in (reg["keyID"],
                                                                                                hreg["keyID"])
    finally:
        mef.stop()
    oks = [a for a in mef.audits() if a["procedure"] == "client-registration" and a["outcome"] == "ok"]
    assert len(oks) == 3


def test_ts0003_8_3_2_1_mef_refusals_over_dtls_as_over_https(pki):
    mef = start(Mef, pki, "ca-dir = %s\n" % pki.path("ca"))
    kpm_id = "dev1@" + MEF_FQDN
    assert mef.add(kpm_id, ascii_key()).returncode == 0
    mef.start()
    door = Door(mef)
    try:
        # wrong Kpm, unknown KpmID (not an enrolee): the handshake fails on both doors, no answer
        assert coap(door, "post", "/mefClientReg", "Cdev1", kpm_id, key=ascii_key(), body=json.dumps(MEF_REG)) is None
        door.coap_keys["nobody@" + MEF_FQDN] = mef.coap_keys[kpm_id]  # the same dict as mef's
        assert coap(door, "post", "/mefClientReg", "Cdev1", "nobody@" + MEF_FQDN, body=json.dumps(MEF_REG)) is None
        assert over_https(mef, "nobody@" + MEF_FQDN, "EXPORTER-oneM2M-Bootstrap", "post", "/mefClientReg",
                          MEF_REG) is None
        # an enrolee asking for what only a target may (fetchCredentials): the exact refusal of HTTPS
        r = coap(door, "get", "/fetchCredentials/00112233445566778899AABBCCDDEEFF@%s/22" % MEF_FQDN, "Cdev1",
                 kpm_id)
        h = over_https(mef, kpm_id, "EXPORTER-oneM2M-Bootstrap", "get",
                       "/fetchCredentials/00112233445566778899AABBCCDDEEFF@%s/22" % MEF_FQDN)
        assert r is not None and h is not None and r.rsc == int(h[1]["x-m2m-rsc"]), (r, h)
        assert r.code == "4.03" and r.rsc == 4103, r
        assert json.loads(r.payload) == json.loads(h[2]), (r.payload, h[2])
        # EST (RFC 7030) stays on the HTTPS door: over CoAP 5.01 / 5001, no procedure reached
        for path in ("/.well-known/est/cacerts", "/.well-known/est/simpleenroll", "/crl"):
            r = coap(door, "get" if "enroll" not in path else "post", path, "Cdev1", kpm_id,
                     body=None if "enroll" not in path else "{}")
            assert r is not None and r.code == "5.01" and r.rsc == 5001, (path, r)
            assert "RFC 9148" in json.loads(r.payload)["m2m:dbg"]
        est = psk_exported_call(mef.port, kpm_id, mef.coap_keys[kpm_id].encode().hex(), "EXPORTER-oneM2M-Bootstrap",
                                ("GET /.well-known/est/cacerts HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                                 % MEF_FQDN).encode())
        assert est is not None and est[0] == 200, est and est[:2]
    finally:
        mef.stop()
    causes = [(a["procedure"], a["outcome"]) for a in mef.audits()]
    assert causes.count(("psk-lookup", "unknown-client")) == 2  # one per door
    assert not any(a["procedure"] == "client-registration" for a in mef.audits())


def test_ts0003_8_3_certificate_peers_of_the_mef_over_dtls_as_over_https(pki):
    """A target CSE and a certificate that is no enrolee's, over DTLS with certificates (the
    ECDHE-ECDSA suites of TS-0003 10.2 under the HTTPS listener's policy)."""
    mef = start(Mef, pki)
    kpm_id = "dev1@" + MEF_FQDN
    assert mef.add(kpm_id, ascii_key()).returncode == 0
    mef.start()
    try:
        reg = json.dumps(MEF_REG)
        r = coap_cert(mef, "stranger", "post", "/mefClientReg", "Cstranger", reg)
        assert r is not None, "DTLS handshake with the certificate failed"
        # a certificate that is no enrolee's and no CSE's: 4107 with the exact answer of HTTPS
        hs, hh, hb = cert_request(mef, "stranger", http("POST", "/mefClientReg", MEF_FQDN, MEF_REG, origin="Cstranger"))
        assert hh["x-m2m-rsc"] == "4107" and hs == 403, hb
        assert r.code == "4.03" and r.rsc == 4107 and json.loads(r.payload) == json.loads(hb), r
        # the target CSE (id-in) fetches the key of an enrolment made over DTLS-PSK, over DTLS
        out = over_dtls(mef, kpm_id, "EXPORTER-oneM2M-Bootstrap", "post", "/mefClientReg", MEF_REG)
        assert out is not None and out[0].rsc == 2001, out
        keid = json.loads(out[0].payload)["sec:mefClientReg"]["keyID"]
        r = coap_cert(mef, "target", "get", "/fetchCredentials/%s/22" % keid, "/id-in")
        assert r is not None and r.code == "2.05" and r.rsc == 2000, r
        want = hmac.new(bytes.fromhex(out[1][32:]), UCSK_LABEL + b"22" + b"id-in.sp.example.com",
                        hashlib.sha256).hexdigest()
        assert json.loads(r.payload)["sec:fetchCredRsp"]["credential"] == want
        # an unknown KeID: the exact refusal of HTTPS
        bad = "/fetchCredentials/00112233445566778899AABBCCDDEEFF@%s/22" % MEF_FQDN
        r = coap_cert(mef, "target", "get", bad, "/id-in")
        hs, hh, hb = cert_request(mef, "target", http("GET", bad, MEF_FQDN, origin="/id-in"))
        assert hh["x-m2m-rsc"] == "4004" and r is not None and r.rsc == 4004 and json.loads(r.payload) == json.loads(hb)
    finally:
        mef.stop()


def test_ts0003_8_8_2_maf_client_and_key_registration_over_dtls(pki):
    maf = start(Maf, pki)
    km_id = "dev1@" + MAF_FQDN
    assert maf.add(km_id, ascii_key()).returncode == 0
    maf.start()
    door = Door(maf)
    try:
        r = coap(door, "post", "/mafClientReg", "Cdev1", km_id, body=json.dumps(maf_reg()))
        assert r is not None and r.code == "2.01" and r.rsc == 2001, r
        reg = json.loads(r.payload)["sec:mafClientReg"]
        assert reg["mafClientID"] == "Cdev1" and re.fullmatch(r"[0-9A-F]{32}", reg["mafClientRegID"])
        # MAF Key Registration on a DTLS session: KcID / Kc from that session's export
        out = over_dtls(maf, km_id, "EXPORTER-oneM2M-Connection", "post", "/mafKeyReg", maf_key_reg())
        assert out is not None
        rsp, material = out
        assert rsp.code == "2.01" and rsp.rsc == 2001, rsp
        kr = json.loads(rsp.payload)["sec:mafKeyReg"]
        assert kr["relKeyID"].upper() == material[:32]
        assert kr["keyID"].lower() == (material[:32] + "@" + MAF_FQDN).lower()
        # the target CSE retrieves exactly that Kc over HTTPS (TS-0003 8.8.2.8)
        fs, fh, fb = cert_request(maf, "target", http("GET", "/mafKeyReg/" + kr["relKeyID"], MAF_FQDN))
        assert fh["x-m2m-rsc"] == "2000", fb
        assert json.loads(fb)["sec:mafKeyReg"]["keyValue"].lower() == material[32:].lower()
        # the HTTPS door answers the same registration alike
        hs, hh, hb, hmat = over_https(maf, km_id, "EXPORTER-oneM2M-Connection", "post", "/mafKeyReg", maf_key_reg())
        assert hh["x-m2m-rsc"] == "2001" and json.loads(hb)["sec:mafKeyReg"]["relKeyID"].upper() == hmat[:32]
        # wrong Km, unknown KmID: no session, no answer (as over HTTPS)
        assert coap(door, "post", "/mafClientReg", "Cdev1", km_id, key=ascii_key(), body=json.dumps(maf_reg())) is None
        door.coap_keys["nobody@" + MAF_FQDN] = maf.coap_keys[km_id]
        assert coap(door, "post", "/mafClientReg", "Cdev1", "nobody@" + MAF_FQDN,
                    body=json.dumps(maf_reg())) is None
        # a client reads its own registration (never the key value) alike on both doors
        r = coap(door, "get", "/mafKeyReg/" + kr["relKeyID"], "Cdev1", km_id)
        h = over_https(maf, km_id, "EXPORTER-oneM2M-Connection", "get", "/mafKeyReg/" + kr["relKeyID"])
        assert r is not None and h is not None and r.rsc == int(h[1]["x-m2m-rsc"]), (r, h)
        assert r.code == "2.05" and r.rsc == 2000 and "keyValue" not in r.payload, r
        assert json.loads(r.payload) == json.loads(h[2])
    finally:
        maf.stop()


def test_ts0008_coaps_listen_keys_strict_and_bound(pki):
    for cls in (Mef, Maf):
        # a malformed address: exit 2, the key and its line
        bad = cls(pki, "coaps-listen = nonsense\n")
        r = subprocess.run([pki.bin, cls.name, "--config", bad.ini, "--check"], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 2 and "line 11: coaps-listen must be host:port" in r.stderr, r.stderr
        # --check binds the DTLS door too: a port in use is named with its key
        with __import__("socket").socket(__import__("socket").AF_INET, __import__("socket").SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            taken = u.getsockname()[1]
            busy = cls(pki, "coaps-listen = 127.0.0.1:%d\n" % taken)
            r = subprocess.run([pki.bin, cls.name, "--config", busy.ini, "--check"], capture_output=True,
                               text=True, timeout=60)
        assert r.returncode == 1 and ("line 11: coaps-listen 127.0.0.1:%d: cannot bind" % taken) in r.stderr, r.stderr
        ok = cls(pki, "coaps-listen = 127.0.0.1:%d\n" % free_port())
        r = subprocess.run([pki.bin, cls.name, "--config", ok.ini, "--check"], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0 and "configuration ok" in r.stdout, r.stderr


def test_ts0003_8_8_2_8_target_retrieves_kc_over_dtls_with_its_certificate(pki):
    maf = start(Maf, pki)
    km_id = "dev1@" + MAF_FQDN
    assert maf.add(km_id, ascii_key()).returncode == 0
    maf.start()
    try:
        r = coap(Door(maf), "post", "/mafClientReg", "Cdev1", km_id, body=json.dumps(maf_reg()))
        assert r is not None and r.rsc == 2001, r
        out = over_dtls(maf, km_id, "EXPORTER-oneM2M-Connection", "post", "/mafKeyReg", maf_key_reg())
        assert out is not None and out[0].rsc == 2001, out
        rel = json.loads(out[0].payload)["sec:mafKeyReg"]["relKeyID"]
        r = coap_cert(maf, "target", "get", "/mafKeyReg/" + rel, "/id-in")
        assert r is not None, "DTLS handshake with the certificate failed"
        assert r.code == "2.05" and r.rsc == 2000, r
        assert json.loads(r.payload)["sec:mafKeyReg"]["keyValue"].lower() == out[1][32:].lower()
        # a CSE not in targetIDs: 4004 (no oracle, TS-0003 8.8.2.8), the exact answer of HTTPS
        r = coap_cert(maf, "other", "get", "/mafKeyReg/" + rel, "/id-x")
        hs, hh, hb = cert_request(maf, "other", http("GET", "/mafKeyReg/" + rel, MAF_FQDN, origin="/id-x"))
        assert hh["x-m2m-rsc"] == "4004" and r is not None and r.rsc == 4004, r
        assert json.loads(r.payload) == json.loads(hb)
    finally:
        maf.stop()


def test_ts0003_8_8_2_3_remote_provisioned_client_registers_over_dtls(pki):
    """A MAF client holding a KeID of the MEF (remote provisioning): the MAF fetches Km from the
    MEF during the DTLS handshake and keeps it for the association, which registers the client
    and stores that Km under the assigned KmID, as over HTTPS."""
    mef = Mef(pki, "maf-fqdns = %s\n" % MAF_FQDN)
    mef.coap_keys = {}
    kpm_id = "rdev1@" + MEF_FQDN
    assert mef.add(kpm_id, ascii_key(), targets=("/id-in", MAF_FQDN)).returncode == 0
    mef.start()
    maf = start(Maf, pki, "mef-url = https://127.0.0.1:%d\nmef-name = %s\nmef-ca = %s\nmef-cert = %s\n"
                          "mef-key = %s\n" % (mef.port, MEF_FQDN, pki.path("ca/ca.crt"), pki.path("maf.crt"),
                                               pki.path("maf.key")))
    maf.start()
    try:
        enr = over_https(mef, kpm_id, "EXPORTER-oneM2M-Bootstrap", "post", "/mefClientReg", MEF_REG)
        assert enr is not None and enr[1]["x-m2m-rsc"] == "2001", enr
        keid = json.loads(enr[2])["sec:mefClientReg"]["keyID"]
        km = hmac.new(bytes.fromhex(enr[3][32:]), KM_LABEL + MAF_FQDN.encode(), hashlib.sha256).hexdigest()
        msg = coap_datagram("post", "/mafClientReg", "Cdev1", "rr1", json.dumps(maf_reg()))
        out = dtls_exported_coap(maf.coaps_port, keid, km, "EXPORTER-oneM2M-Connection", msg)
        assert out is not None, "DTLS handshake with the KeID failed"
        rsp, material = out
        assert rsp.code == "2.01" and rsp.rsc == 2001, rsp
        reg = json.loads(rsp.payload)["sec:mafClientReg"]
        assigned = reg["assignedSymmKeyID"]
        assert re.fullmatch(r"[0-9a-f]{32}@" + re.escape(MAF_FQDN), assigned), reg
        # the Km the handshake used is stored under the assigned KmID: a MAF Handshake with it works
        again = dtls_exported_coap(maf.coaps_port, assigned, km, "EXPORTER-oneM2M-Connection",
                                   coap_datagram("post", "/mafKeyReg", "Cdev1", "rk1", json.dumps(maf_key_reg())))
        assert again is not None and again[0].rsc == 2001, again
        assert json.loads(again[0].payload)["sec:mafKeyReg"]["relKeyID"].upper() == again[1][:32]
    finally:
        maf.stop()
        mef.stop()


def test_rate_limit_per_identity_is_one_budget_over_both_doors(pki):
    # docs/procedures/mef.md "Rate limits": over a limit RSC 4000; over CoAP 4.00 with Max-Age
    # (RFC 7252 5.9.3.4) where HTTPS gives 429 with Retry-After. A client's budget is the same
    # whichever door its requests take (the service's one table per identity).
    mef = start(Mef, pki, "rate-limit-per-identity = 2\nrate-limit-per-address = 0\n")
    kpm_id = "dev1@" + MEF_FQDN
    assert mef.add(kpm_id, ascii_key()).returncode == 0
    mef.start()
    try:
        h = over_https(mef, kpm_id, "EXPORTER-oneM2M-Bootstrap", "post", "/mefClientReg", MEF_REG)
        assert h is not None and h[1]["x-m2m-rsc"] == "2001", h
        r = coap(Door(mef), "post", "/mefClientReg", "Cdev1", kpm_id, body=json.dumps(MEF_REG))
        assert r is not None and r.rsc == 2001, r
        out = over_dtls(mef, kpm_id, "EXPORTER-oneM2M-Bootstrap", "post", "/mefClientReg", MEF_REG)
        assert out is not None and out[0].code == "4.00" and out[0].rsc == 4000, out
        assert int.from_bytes(out[0].opts[14], "big") >= 1, out[0].opts  # Max-Age: when to retry
        h = over_https(mef, kpm_id, "EXPORTER-oneM2M-Bootstrap", "post", "/mefClientReg", MEF_REG)
        assert h is not None and h[0] == 429 and h[1]["x-m2m-rsc"] == "4000" and "retry-after" in h[1], h
    finally:
        mef.stop()
