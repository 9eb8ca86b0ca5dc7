# SPDX-License-Identifier: Apache-2.0
"""ESCertKE (TS-0003 clause 8.7, TS-0001 clause 11.4.3, TS-0004 clause 7.5.1.2.12) between the
`m2msec escertke` Initiating End-Point and the CSE as Terminating End-Point: the four messages of a
TLS 1.2 certificate handshake in two NOTIFYs (seci sit 6) to the <CSEBase>, correlated by From; the
pairwiseE2EKey lands in the CSE's credential store (KPSA, SUID 43, owner = the initiator). The
negative cases are played by an independent initiator: Python's ssl module over memory BIOs."""
import base64
import json
import os
import re
import ssl
import subprocess
import time

import pytest

from cse_harness import CSE_HOST, SP, Cse

TARGET = "//%s/id-in" % SP
KEY_FQDN = "id-in." + SP


def seci(msg, sit=6):
    return json.dumps({"m2m:seci": {"sit": sit, "eckm": base64.b64encode(msg).decode()}})


def start_cse(bin_path, tmp, extra):
    c = Cse(bin_path, tmp)
    c.setup_pki()
    c.m2m("cred", "add", "--store", c.path("cred.db"), "--kind", "kpsa", "--id", "seed@" + SP, "--generate")
    with open(c.path("hop.psk"), "w") as f:
        f.write(c.add_psk("kpsa-ae1@" + SP, "Cae1"))
    os.chmod(c.path("hop.psk"), 0o600)
    c.start("cred-store = %s\n%s" % (c.path("cred.db"), extra))
    for stem in ("Cae1", "Cae2", "Cae3"):
        c.issue(stem, "m2m://%s/id-in/%s" % (SP, stem))
    c.m2m("ca", "init", "--dir", c.path("other"), "--name", "other CA", "--permit", SP)
    c.m2m("ca", "issue", "--dir", c.path("other"), "--san", "m2m://%s/id-in/Cae1" % SP, "--out", c.path("rogue"))
    return c


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = start_cse(m2msec_bin, tmp_path_factory.mktemp("cse56"), "escertke = true\nescertke-sessions = 2\n")
    yield c
    assert c.stop() == 0


def cli(c, out, cert="Cae1", tls=None, frm=None, ca=None, extra=()):
    args = ["escertke", "--to", "https://127.0.0.1:%d" % c.port, "--target", TARGET,
            "--cert", c.path(cert + ".crt"), "--key", c.path(cert + ".key"),
            "--ca", ca or c.path("ca/ca.crt"), "--name", CSE_HOST, "--out", out]
    if tls:
        args += ["--tls-ca", c.path("ca/ca.crt"), "--tls-cert", c.path(tls + ".crt"), "--tls-key", c.path(tls + ".key")]
    if frm:
        args += ["--from", frm]
    return c.m2m(*args, *extra, check=False)


def creds(c):
    r = c.m2m("cred", "list", "--store", c.path("cred.db"), "--kind", "kpsa", "--json")
    return json.loads(r.stdout)


class Initiator:
    """An independent ESCertKE initiator: CPython's ssl (OpenSSL) client over memory BIOs."""

    def __init__(self, c, crt, key, ca=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
        ctx.options |= ssl.OP_NO_TICKET
        ctx.load_cert_chain(crt, key)
        ctx.load_verify_locations(ca or c.path("ca/ca.crt"))
        self.inb, self.outb = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inb, self.outb, server_hostname=CSE_HOST)

    def step(self, msg=None):
        if msg is not None:
            self.inb.write(msg)
        try:
            self.obj.do_handshake()
            return None
        except ssl.SSLWantReadError:
            return self.outb.read()


def notify(c, stem, body, origin=None):
    s = c.cert_session(c.path(stem + ".crt"), c.path(stem + ".key"))
    return c.cert(s, "POST", "/~/id-in", origin or stem, body, headers={"Content-Type": "application/json"})


def eckm_of(reply):
    assert reply.rsc == 2000, reply
    s = reply.json()["m2m:seci"]
    assert s["sit"] == 6
    return base64.b64decode(s["eckm"])


def test_cli_exchange_and_cse_store(cse, tmp_path):
    out = str(tmp_path / "k1")
    r = cli(cse, out)
    assert r.returncode == 0, r.stderr
    kid = r.stdout.strip()
    # TS-0003 10.3.1: pairwiseE2EKeyID = 16 bytes (hexBinary) @ the terminating CSE's domain name
    assert re.fullmatch(r"[0-9A-Fa-f]{32}@" + re.escape(KEY_FQDN), kid), kid
    assert open(out + ".kid").read().strip() == kid
    assert os.stat(out).st_mode & 0o777 == 0o600
    key = open(out).read().strip()
    assert re.fullmatch(r"[0-9a-fA-F]{64}", key)  # pairwiseE2EKey: the 32 LSB
    stored = {x["id"].lower(): x for x in creds(cse)}
    rec = stored[kid.lower()]
    assert rec["suid"] == 43 and rec["owner"].endswith("/id-in/Cae1"), rec
    # a second exchange: another session, another key and identifier, the first one kept
    out2 = str(tmp_path / "k2")
    r2 = cli(cse, out2)
    assert r2.returncode == 0, r2.stderr
    kid2 = r2.stdout.strip()
    assert kid2.lower() != kid.lower() and open(out2).read().strip() != key
    stored = {x["id"].lower() for x in creds(cse)}
    assert kid.lower() in stored and kid2.lower() in stored
    # an end-to-end key (SUID 43) is never a hop-by-hop TLS-PSK, though the store holds it
    assert cse.psk("GET", "/~/id-in", "Cae1", kid, key=key) is None
    assert "escertke: pairwiseE2EKey" in cse.log_text()
    assert key.lower() not in cse.log_text().lower()  # never a key in the log


def test_psk_hop(cse, tmp_path):
    # hop-by-hop TLS-PSK bound to Cae1, the ESCertKE certificate of Cae1 end to end
    out = str(tmp_path / "k")
    r = cli(cse, out, extra=("--psk-id", "kpsa-ae1@" + SP, "--psk-file", cse.path("hop.psk")))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().lower() in {x["id"].lower() for x in creds(cse)}


def test_initiator_from_another_ca_is_4106(cse, tmp_path):
    # hop-by-hop as the genuine Cae1; the ESCertKE certificate from a CA the CSE does not trust
    r = cli(cse, str(tmp_path / "k"), cert="rogue", tls="Cae1", frm="Cae1")
    assert r.returncode == 1 and "RSC 4106" in r.stderr, r.stderr
    assert not os.path.exists(str(tmp_path / "k"))


def test_certificate_of_another_identity_than_from_is_4106(cse, tmp_path):
    r = cli(cse, str(tmp_path / "k"), cert="Cae2", tls="Cae1", frm="Cae1")
    assert r.returncode == 1 and "RSC 4106" in r.stderr, r.stderr


def test_initiator_refuses_an_untrusted_terminator(cse, tmp_path):
    r = cli(cse, str(tmp_path / "k"), tls="Cae1", ca=cse.path("other/ca.crt"))
    assert r.returncode == 1 and "message 2 refused" in r.stderr, r.stderr


def test_independent_initiator_and_replay(cse):
    ini = Initiator(cse, cse.path("Cae2.crt"), cse.path("Cae2.key"))
    m2 = eckm_of(notify(cse, "Cae2", seci(ini.step())))
    m3 = ini.step(m2)
    m4 = eckm_of(notify(cse, "Cae2", seci(m3)))
    assert ini.step(m4) is None  # handshake complete on the independent side
    assert ini.obj.version() == "TLSv1.2"
    owners = [x["owner"] for x in creds(cse)]
    assert any(o.endswith("/id-in/Cae2") for o in owners)
    # TS-0001 11.4.3 C.1c: message 3 again has no procedure to continue
    r = notify(cse, "Cae2", seci(m3))
    assert r.rsc == 4000 and "no procedure in progress" in r.body


def test_message3_from_another_from(cse):
    ini = Initiator(cse, cse.path("Cae1.crt"), cse.path("Cae1.key"))
    m2 = eckm_of(notify(cse, "Cae1", seci(ini.step())))
    m3 = ini.step(m2)
    r = notify(cse, "Cae3", seci(m3))  # correlated by From: Cae3 has no procedure
    assert r.rsc == 4000 and "no procedure in progress" in r.body
    # the procedure of Cae1 is untouched and completes
    assert ini.step(eckm_of(notify(cse, "Cae1", seci(m3)))) is None


def test_garbage_and_unsupported(cse):
    garbage = seci(b"\x16\x03\x01\x00\x05\x01garbage")  # looks like a ClientHello, is not one
    assert notify(cse, "Cae1", garbage).rsc == 4000
    assert notify(cse, "Cae1", seci(b"not TLS at all")).rsc == 4000
    bad_b64 = json.dumps({"m2m:seci": {"sit": 6, "eckm": "!!!!"}})
    assert notify(cse, "Cae1", bad_b64).rsc == 4000
    both = json.dumps({"m2m:seci": {"sit": 6, "eckm": "AAAA", "epo": "a.b.c.d.e"}})
    assert notify(cse, "Cae1", both).rsc == 4000
    # a securityInfo type this CSE does not receive (dasResponse: it is no DAS)
    r = notify(cse, "Cae1", json.dumps({"m2m:seci": {"sit": 2, "dres": {"dapd": []}}}))
    assert r.rsc == 5001


def test_tls13_client_hello_is_refused(cse):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cse.path("Cae1.crt"), cse.path("Cae1.key"))
    ctx.load_verify_locations(cse.path("ca/ca.crt"))
    inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inb, outb, server_hostname=CSE_HOST)
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    assert notify(cse, "Cae1", seci(outb.read())).rsc == 4000


def test_procedures_in_progress_are_bounded(cse):
    # escertke-sessions = 2
    a = Initiator(cse, cse.path("Cae1.crt"), cse.path("Cae1.key"))
    b = Initiator(cse, cse.path("Cae2.crt"), cse.path("Cae2.key"))
    c3 = Initiator(cse, cse.path("Cae3.crt"), cse.path("Cae3.key"))
    ma = eckm_of(notify(cse, "Cae1", seci(a.step())))
    mb = eckm_of(notify(cse, "Cae2", seci(b.step())))
    r = notify(cse, "Cae3", seci(c3.step()))
    assert r.rsc == 5207, r
    for ini, stem, m in ((a, "Cae1", ma), (b, "Cae2", mb)):
        assert ini.step(eckm_of(notify(cse, stem, seci(ini.step(m))))) is None


def test_expired_procedure(m2msec_bin, tmp_path_factory):
    c = start_cse(m2msec_bin, tmp_path_factory.mktemp("cse56x"), "escertke = true\nescertke-lifetime = 1\n")
    try:
        ini = Initiator(c, c.path("Cae1.crt"), c.path("Cae1.key"))
        m3 = ini.step(eckm_of(notify(c, "Cae1", seci(ini.step()))))
        time.sleep(2.5)  # past escertke-lifetime: the procedure is gone (not a timing assertion)
        r = notify(c, "Cae1", seci(m3))
        assert r.rsc == 4000 and "expired" in r.body
    finally:
        assert c.stop() == 0


def test_disabled_and_misconfigured(m2msec_bin, tmp_path_factory):
    c = start_cse(m2msec_bin, tmp_path_factory.mktemp("cse56d"), "")
    try:
        ini = Initiator(c, c.path("Cae1.crt"), c.path("Cae1.key"))
        assert notify(c, "Cae1", seci(ini.step())).rsc == 5001
    finally:
        assert c.stop() == 0
    bad = os.path.join(c.dir, "bad.ini")
    with open(c.path("cse.ini")) as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write("\n".join(x for x in text.splitlines() if not x.startswith("cred-store")) + "\nescertke = true\n")
    r = subprocess.run([m2msec_bin, "cse", "--config", bad, "--check"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "escertke" in r.stderr, r.stderr
