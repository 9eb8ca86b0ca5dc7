# SPDX-License-Identifier: Apache-2.0
"""An attacker's view of `m2msec maf` (issue 8), black-box over real TLS: what a client holding a
valid credential for something else can make the MAF do (TS-0003 clause 8.8.2;
docs/procedures/maf.md). A registered Km client gets 4004 for another client's key and
registration whatever the operation, in either hex case, with the same error text as for an
unknown one (no oracle), and the victim's key stays intact; labels of quotes and control
characters survive the store whole; a client's unexpired keys are capped (4000, nothing written);
the audit log names one cause per refusal and never a key. A CSE binds a Kc only when the MAF's
answer lists it in targetIDs (absolute or SP-relative; an sp-id in capitals is the same SP). A
silent MEF blocks no loop of the MAF."""
import json
import secrets
import socket
import subprocess

from cse_harness import SP, Cse
from test_24_cse_mef import AE_BODY
from test_29_maf_cse_fake import MAF_FQDN, RAW, FakeMaf
from test_30_maf_service import FQDN, Maf, cert_call, client_reg, key_reg, pki, psk_call, request, ts  # noqa: F401

NO_LIMITS = "rate-limit-per-identity = 0\nrate-limit-per-address = 0\n"


def rsc(out):
    assert out is not None, "MAF Handshake failed"
    return out[1]["x-m2m-rsc"]


def dbg(out):
    return json.loads(out[2]).get("m2m:dbg")


def two_clients(pki, extra=NO_LIMITS):
    maf = Maf(pki, extra)
    ka, kb = secrets.token_hex(32), secrets.token_hex(32)
    assert maf.add("deva@" + FQDN, ka, client="Cdeva").returncode == 0
    assert maf.add("devb@" + FQDN, kb, client="Cdevb").returncode == 0
    return maf, ("deva@" + FQDN, ka), ("devb@" + FQDN, kb)


def test_other_clients_key_and_registration_are_not_found(pki):
    maf, a, b = two_clients(pki)
    maf.start()
    try:
        out = psk_call(maf, *a, client_reg())
        assert rsc(out) == "2001", out[2]
        rid = json.loads(out[2])["sec:mafClientReg"]["mafClientRegID"]
        out = psk_call(maf, *a, key_reg())
        assert rsc(out) == "2001", out[2]
        rel = json.loads(out[2])["sec:mafKeyReg"]["relKeyID"]
        assert rsc(psk_call(maf, *b, client_reg())) == "2001"
        unknown = psk_call(maf, *b, request("GET", "/mafKeyReg/" + "0" * 32))
        assert rsc(unknown) == "4004"
        # B holds a valid Km and a registration of its own: A's key is still "not found", the
        # same answer (code and text) as an unknown key, in either hex case
        for path in (rel, rel.lower()):
            for raw in (request("GET", "/mafKeyReg/" + path),
                        request("PUT", "/mafKeyReg/" + path, {"sec:keyRegCfg": {"targetIDs": ["/id-x"]}}),
                        request("DELETE", "/mafKeyReg/" + path)):
                out = psk_call(maf, *b, raw)
                assert rsc(out) == "4004" and dbg(out) == dbg(unknown), out[2]
        # nor is A's registration B's
        for raw in (request("GET", "/mafClientReg/" + rid), request("DELETE", "/mafClientReg/" + rid)):
            out = psk_call(maf, *b, raw)
            assert rsc(out) == "4004", out[2]
        # a certificate CSE not in targetIDs: the same 4004
        fs, fh, fb = cert_call(maf, "other", request("GET", "/mafKeyReg/" + rel))
        assert fh["x-m2m-rsc"] == "4004" and json.loads(fb)["m2m:dbg"] == dbg(unknown)
        # A's key and registration are intact: the target still retrieves, A still reads its registration
        fs, fh, fb = cert_call(maf, "target", request("GET", "/mafKeyReg/" + rel))
        assert fh["x-m2m-rsc"] == "2000" and json.loads(fb)["sec:mafKeyReg"]["targetIDs"] == ["//sp.example.com/id-in"]
        assert rsc(psk_call(maf, *a, request("GET", "/mafClientReg/" + rid))) == "2000"
    finally:
        maf.stop()


def test_labels_with_quotes_and_control_characters_survive(pki):
    maf, a, _ = two_clients(pki)
    maf.start()
    label = ("\"\x01" * 32)[:63]  # 63 bytes, escaped to 2 or 6 bytes each in the stored JSON
    try:
        body = {"sec:clientRegCfg": {"fqdn": FQDN, "adminFQDN": "admin.sp.example.com",
                                     "expirationTime": ts(86400), "labels": [label] * 8}}
        out = psk_call(maf, *a, request("POST", "/mafClientReg", body))
        assert rsc(out) == "2001", out[2]
        reg = json.loads(out[2])["sec:mafClientReg"]
        assert reg["labels"] == [label] * 8
        out = psk_call(maf, *a, request("GET", "/mafClientReg/" + reg["mafClientRegID"]))
        assert rsc(out) == "2000"
        assert json.loads(out[2])["sec:mafClientReg"]["labels"] == [label] * 8
    finally:
        maf.stop()


def test_keys_per_client_capped(pki):
    maf, a, b = two_clients(pki, NO_LIMITS + "max-keys-per-client = 8\n")
    maf.start()
    try:
        assert rsc(psk_call(maf, *a, client_reg())) == "2001"
        assert rsc(psk_call(maf, *b, client_reg())) == "2001"
        rels = []
        for i in range(8):
            out = psk_call(maf, *a, key_reg("k%d" % i))
            assert rsc(out) == "2001", out[2]
            rels.append(json.loads(out[2])["sec:mafKeyReg"]["relKeyID"])
        out = psk_call(maf, *a, key_reg("over"))
        assert rsc(out) == "4000" and "too many key registrations" in dbg(out), out[2]
        # nothing was written for the refused one; another client is not affected
        assert rsc(psk_call(maf, *b, key_reg("b1"))) == "2001"
        # a de-registered key frees its place
        assert rsc(psk_call(maf, *a, request("DELETE", "/mafKeyReg/" + rels[0]))) == "2002"
        assert rsc(psk_call(maf, *a, key_reg("again"))) == "2001"
    finally:
        maf.stop()
    causes = [(x["procedure"], x["outcome"], x["rsc"], x.get("rqi")) for x in maf.audits()]
    assert ("key-registration", "key-limit", 4000, "over") in causes


def test_no_secret_in_the_log_even_at_debug(pki):
    """A Key Value sent by the source (Key Registration) and answered to the target (Key
    Retrieval), and the Km of every handshake, never reach the log, even at log-level debug."""
    maf, a, b = two_clients(pki, NO_LIMITS + "log-level = debug\n")
    kv = secrets.token_hex(32)
    maf.start()
    try:
        assert rsc(psk_call(maf, *a, client_reg())) == "2001"
        body = {"sec:keyRegCfg": {"fqdn": FQDN, "adminFQDN": "admin.sp.example.com", "SUID": 32,
                                  "targetIDs": ["/id-in"], "expirationTime": ts(3600), "keyValue": kv}}
        out = psk_call(maf, *a, request("POST", "/mafKeyReg", body))
        assert rsc(out) == "2001", out[2]
        rel = json.loads(out[2])["sec:mafKeyReg"]["relKeyID"]
        fs, fh, fb = cert_call(maf, "target", request("GET", "/mafKeyReg/" + rel))
        assert fh["x-m2m-rsc"] == "2000" and json.loads(fb)["sec:mafKeyReg"]["keyValue"] == kv
        # wrong Km for a known KmID: refused, and the presented key is not logged either
        assert psk_call(maf, a[0], b[1], client_reg()) is None
    finally:
        maf.stop()
    with open(maf.log) as f:
        text = f.read().lower()
    assert "maf audit" in text
    for secret in (kv, a[1], b[1]):
        assert secret not in text


def test_cse_binds_no_key_registered_for_another_cse(m2msec_bin, tmp_path):
    """A MAF that took another CSE's certificate for this one (or any answer naming another target)
    must not make the CSE bind the key: TS-0003 8.8.2.8, the key is for its targets only. The CSE
    compares in canonical form (its sp-id written in capitals here)."""
    c = Cse(m2msec_bin, tmp_path)
    c.sp_id = SP.upper()  # the MAF answers canonical IDs: "//sp.example.com/id-in"
    c.setup_pki()
    maf = FakeMaf(c)
    crt, key = c.issue("cse-to-maf", "id-in." + SP)
    c.start("maf-url = https://127.0.0.1:%d\nmaf-name = %s\nmaf-ca = %s\nmaf-cert = %s\nmaf-key = %s\n"
            % (maf.port, MAF_FQDN, c.path("ca/ca.crt"), crt, key))
    try:
        kcid, kc = maf.add("Cother1", targets=["//%s/id-x" % SP])
        rc, out = c.psk_raw(RAW, kcid, key=kc[:32])
        assert rc != 0 and b"HTTP/1.1" not in out
        assert len(maf.retrievals(kcid)) == 1
        # this CSE in either form: bound
        for i, tg in enumerate(("//%s/id-in" % SP, "/id-in")):
            kcid, kc = maf.add("Cmine%d" % i, targets=[tg])
            r = c.psk("POST", "/cse-in", "Cmine%d" % i, kcid, AE_BODY % ("mine%d" % i), ty=2, key=kc[:32])
            assert r is not None and r.rsc == 2001, r
    finally:
        rc = c.stop()
        maf.stop()
    assert rc == 0


def test_silent_mef_blocks_no_loop(pki):
    """A MEF that accepts the connection and never answers (remote provisioning, TS-0003 8.8.2.3):
    the KeID handshake waits on its own deadline while KmID clients are served meanwhile on the
    same loops; the MAF then stops cleanly with the fetch still pending (nothing blocks)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes TCP handshakes; nobody ever reads
    maf = Maf(pki, NO_LIMITS + "mef-url = https://127.0.0.1:%d\nmef-name = mef.sp.example.com\nmef-ca = %s\n"
              "mef-cert = %s\nmef-key = %s\npsk-lookup-timeout-ms = 60000\n" % (
                  silent.getsockname()[1], pki.path("ca/ca.crt"), pki.path("server.crt"), pki.path("server.key")))
    km = secrets.token_hex(32)
    assert maf.add("dev1@" + FQDN, km).returncode == 0
    maf.start()
    pending = []
    try:
        for _ in range(3):  # more pending KeID handshakes than loops
            keid = secrets.token_hex(16) + "@mef.sp.example.com"
            p = subprocess.Popen(["openssl", "s_client", "-tls1_2", "-ign_eof", "-psk_identity", keid, "-psk",
                                  secrets.token_hex(32), "-cipher", "PSK-AES128-CBC-SHA256", "-connect",
                                  "127.0.0.1:%d" % maf.port], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
            p.stdin.write(client_reg("keid"))
            p.stdin.flush()
            pending.append(p)
        for i in range(4):
            out = psk_call(maf, "dev1@" + FQDN, km, client_reg("km%d" % i))
            assert rsc(out) == "2001", out and out[2]
        # the KeID handshakes are still waiting for the silent MEF (deadline 60 s)
        assert all(p.poll() is None for p in pending)
    finally:
        maf.stop()  # asserts a clean exit (status 0) with the fetches still pending
        for p in pending:
            p.kill()
            p.wait(timeout=30)
        silent.close()
