# SPDX-License-Identifier: Apache-2.0
"""`m2msec enrol --mef coaps://...` and `m2msec maf-client --maf coaps://...` (issue 9: a
constrained enrolee never needs TCP; TS-0008 CoAP over DTLS 1.2, TS-0003 §8.3 / §8.8.2, §10.3.1),
black-box with the real binaries on loopback: a real `m2msec mef` and `m2msec maf` with their
`coaps-listen` door, a real `m2msec cse` (Enrolment Target /id-in, reached over HTTPS with the keys
the enrolee derived), and independent peers (`openssl s_client` as the Enrolment Target fetching
the key from the MEF; `coap-server-openssl` of libcoap3 as a DTLS-PSK server that is no oneM2M
MEF).

  P1  enrol over coaps with a Kpm: exit 0, the KeID printed, the same files with the same modes as
      an enrolment over HTTPS (keid 0644, ke and target.psk 0600); the MEF hands the Enrolment
      Target exactly target.psk (fetchCredentials), and the CSE accepts KeID/target.psk over HTTPS
      and binds the AE registered with it
  P2  maf-client key over coaps with a KmID: kcid/kc/target.psk written, the CSE accepts the Kc
      Key Identifier / target.psk; maf-client deregister over coaps: the key then fails at the CSE
  N1  wrong Kpm over coaps: exit 1 "authentication failed", nothing written
  N2  unknown KpmID over coaps: the same
  N3  wrong Km over coaps (maf-client): exit 1, nothing written
  N4  MEF not answering (a UDP port that swallows every datagram): exit 1 at the --timeout
      deadline, "input/output error", nothing written
  N5  a DTLS-PSK CoAP server that is no MEF (libcoap's coap-server: answers without oneM2M-RSC):
      exit 1 "malformed protocol message", the reason names the CoAP answer, nothing written
  N6  --cert with a coaps MEF: usage error, exit 2 (EST over CoAP, RFC 9148, not implemented)
  P3  enrol over coaps with a MAF target, then maf-client --enrolment over coaps (remote
      provisioning of Km: KeID association, MAF Client Registration, Key Registration with the
      assigned KmID), the Kc accepted by the CSE (the MAF's DTLS handshake waits for the MEF's
      answer: an asynchronous PSK lookup, docs/coap-dtls.md)
The oversized (Block2 over the bound), reordered, forged-token and Reset answers are exercised
on the real transport code by tests/unit/test_enrolee_coap.c (a scripted server), the mapping's
refusals by tests/unit/test_coap_client_map.c and fuzz/fuzz_coap_client.c.
"""
import os
import re
import secrets
import shutil
import socket
import stat
import subprocess
import time

import pytest

from cse_harness import SP
from test_25_mef_e2e import FQDN as MEF_FQDN, World, ae
from test_30_maf_service import FQDN as MAF_FQDN, Maf
from test_31_maf_e2e import CSE_ID, Env, read_out, wait_for

COAP_SERVER = shutil.which("coap-server-openssl")


def udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_udp_bound(port, proc, bound=20.0):
    """Until something has bound 127.0.0.1:port/udp (the service started its CoAP door)."""
    end = time.monotonic() + bound
    while time.monotonic() < end:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError("nothing bound udp port %d" % port)


@pytest.fixture(scope="module")
def env(m2msec_bin, tmp_path_factory):
    mef_udp, maf_udp = udp_port(), udp_port()
    w = World(m2msec_bin, tmp_path_factory.mktemp("coaps-e2e"),
              mef_extra="rate-limit-per-identity = 0\nrate-limit-per-address = 0\nmaf-fqdns = %s\n"
                        "coaps-listen = 127.0.0.1:%d\n" % (MAF_FQDN, mef_udp))
    w.c.issue("maf", MAF_FQDN)
    w.start_mef()
    wait_udp_bound(mef_udp, w.mef)
    maf = Maf(w.c, "mef-url = https://127.0.0.1:%d\nmef-name = %s\nmef-ca = %s\nmef-cert = %s\nmef-key = %s\n"
                   "mef-cache-seconds = 1\nrate-limit-per-identity = 0\nrate-limit-per-address = 0\n"
                   "coaps-listen = 127.0.0.1:%d\n" % (
                       w.mef_port, MEF_FQDN, w.c.path("ca/ca.crt"), w.c.path("maf.crt"), w.c.path("maf.key"),
                       maf_udp),
              cert="maf")
    maf.start()
    wait_udp_bound(maf_udp, None)
    w.cse_extra = ("maf-url = https://127.0.0.1:%d\nmaf-name = %s\nmaf-ca = %s\nmaf-cert = %s\nmaf-key = %s\n"
                   "maf-cache-seconds = 0\n" % (maf.port, MAF_FQDN, w.c.path("ca/ca.crt"), w.c.path("server.crt"),
                                                w.c.path("server.key")))
    try:
        w.start_cse()
        e = Env(w, maf)
        e.mef_coaps = "coaps://127.0.0.1:%d" % mef_udp
        e.maf_coaps = "coaps://127.0.0.1:%d" % maf_udp
        yield e
    finally:
        w.stop()
        maf.stop()


def enrol(e, mef, kpm_id, kpm, out, *extra):
    return e.w.m2m("enrol", "--mef", mef, "--mef-ca", e.c.path("ca/ca.crt"), "--kpm-id", kpm_id,
                   "--kpm-file", e.w.kpm_file(kpm), "--out", out, *extra)


def maf_client(e, *args):
    return subprocess.run([e.c.bin, "maf-client", args[0], "--maf", e.maf_coaps, "--maf-ca", e.c.path("ca/ca.crt"),
                           *args[1:]], capture_output=True, text=True, timeout=60)


def modes(d):
    return {n: stat.S_IMODE(os.stat(os.path.join(d, n)).st_mode) for n in sorted(os.listdir(d))}


def test_p1_enrol_over_coaps_same_outputs_as_https_and_key_usable(env, tmp_path):
    e = env
    kpm_id, kpm = e.w.add("cdev1", "Ccdev1")
    out = tmp_path / "coaps"
    r = enrol(e, e.mef_coaps, kpm_id, kpm, out)
    assert r.returncode == 0, r.stderr
    keid = r.stdout.strip()
    assert re.fullmatch(r"[0-9A-F]{32}@" + re.escape(MEF_FQDN), keid)
    # the same enrolment over HTTPS (another enrolee): the same files with the same modes
    kpm_id2, kpm2 = e.w.add("cdev2", "Ccdev2")
    r2 = enrol(e, "127.0.0.1:%d" % e.w.mef_port, kpm_id2, kpm2, tmp_path / "https")
    assert r2.returncode == 0, r2.stderr
    assert modes(out) == modes(tmp_path / "https")
    assert modes(out) == {"ke": 0o600, "keid": 0o644, "target.psk": 0o600}
    assert (out / "keid").read_text().strip() == keid
    tkey = (out / "target.psk").read_text().strip()
    # TS-0003 §8.3.2.1: the MEF hands the Enrolment Target exactly the key the enrolee derived
    # from the DTLS session's exporter (§10.3.1, §10.3.7), so both ends agreed on Ke
    s, h, b = e.w.fetch(keid)
    assert h["x-m2m-rsc"] == "2000" and tkey in b, b
    # ... and the CSE accepts the KeID association and binds the AE registered on it
    rep = e.w.cse_psk(keid, tkey, "POST", "/cse-in", "Ccdev1", ae("ccdev1"), ty=2)
    assert rep is not None and rep.rsc == 2001, rep
    rep = e.w.cse_psk(keid, tkey, "GET", "/cse-in/ccdev1", "Ccdev2")
    assert rep is not None and rep.rsc == 4106, rep


def test_n1_n2_wrong_or_unknown_kpm_over_coaps(env, tmp_path):
    e = env
    kpm_id, kpm = e.w.add("cdev3", "Ccdev3")
    for kid, key in ((kpm_id, secrets.token_hex(32)), ("nobody@" + MEF_FQDN, kpm)):
        r = enrol(e, e.mef_coaps, kid, key, tmp_path / "no", "--timeout", "10")
        assert r.returncode == 1 and "authentication failed" in r.stderr, r.stderr
        assert r.stdout == "" and not (tmp_path / "no").exists()


def test_n4_mef_not_answering_exits_at_the_deadline(env, tmp_path):
    e = env
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # swallows every datagram
        s.bind(("127.0.0.1", 0))
        r = enrol(e, "coaps://127.0.0.1:%d" % s.getsockname()[1], "x@" + MEF_FQDN, secrets.token_hex(32),
                  tmp_path / "no", "--timeout", "2")
    assert r.returncode == 1 and "input/output error: no DTLS association with the MEF" in r.stderr, r.stderr
    assert r.stdout == "" and not (tmp_path / "no").exists()


def test_n6_est_over_coaps_is_a_usage_error(env, tmp_path):
    e = env
    r = enrol(e, e.mef_coaps, "x@" + MEF_FQDN, secrets.token_hex(32), tmp_path / "no", "--cert")
    assert r.returncode == 2 and "RFC 9148" in r.stderr, r.stderr
    assert not (tmp_path / "no").exists()


@pytest.mark.skipif(COAP_SERVER is None, reason="coap-server-openssl (libcoap3-bin) not installed")
def test_n5_a_coap_server_that_is_no_mef(env, tmp_path):
    e = env
    key = "0123456789abcdef0123456789abcdef"  # coap-server takes the PSK as text
    port = udp_port()
    while port % 2 == 0 or port + 1 > 65535:   # coap-server: plain on port, DTLS on port + 1
        port = udp_port()
    srv = subprocess.Popen([COAP_SERVER, "-A", "127.0.0.1", "-p", str(port - 1), "-k", key],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_udp_bound(port, srv)
        r = enrol(e, "coaps://127.0.0.1:%d" % port, "dev@" + MEF_FQDN, key.encode().hex(), tmp_path / "no",
                  "--timeout", "10")
    finally:
        srv.terminate()
        srv.wait(timeout=10)
    assert r.returncode == 1 and "malformed protocol message" in r.stderr, r.stderr
    assert "CoAP: the answer" in r.stderr, r.stderr
    assert not (tmp_path / "no").exists()


def test_p2_maf_client_key_and_deregister_over_coaps(env, tmp_path):
    e = env
    kmid, km, kmfile = e.client("ccoap1", "Ccoap1")
    out = tmp_path / "kc"
    r = maf_client(e, "key", "--km-id", kmid, "--km-file", kmfile, "--target", CSE_ID, "--out", out)
    assert r.returncode == 0, r.stderr
    kcid, kc, psk = read_out(out)
    assert r.stdout.strip() == kcid and re.fullmatch(r"[0-9A-F]{32}@" + re.escape(MAF_FQDN), kcid, re.I)
    assert modes(out) == {"kc": 0o600, "kcid": 0o644, "target.psk": 0o600}
    e.owner[kcid] = "Ccoap1"
    # the MAF answered the first Key Registration 4103, the client registered (§8.8.2.3) and
    # retried on the same DTLS association: both procedures ran over CoAP for this client
    done = wait_for(lambda: [a["procedure"] for a in e.maf.audits() if a.get("client") == "Ccoap1"
                             and a["outcome"] == "ok"], 2)
    assert "client-registration" in done and "key-registration" in done, done
    # the MAF registered exactly the Kc both ends exported from the DTLS session (§10.3.1):
    # the CSE gets it from the MAF and the key-split psk completes the handshake
    assert e.served(kcid, psk)
    r = maf_client(e, "deregister", "--km-id", kmid, "--km-file", kmfile, "--kcid", kcid)
    assert r.returncode == 0, r.stderr
    assert e.handshake_fails(kcid, psk)


def test_n3_wrong_km_over_coaps(env, tmp_path):
    e = env
    kmid, km, kmfile = e.client("ccoap2", "Ccoap2")
    bad = tmp_path / "km"
    bad.write_text(secrets.token_hex(32) + "\n")
    os.chmod(bad, 0o600)
    r = maf_client(e, "key", "--km-id", kmid, "--km-file", bad, "--target", CSE_ID, "--out", tmp_path / "no",
                   "--timeout", "10")
    assert r.returncode == 1 and "authentication failed" in r.stderr, r.stderr
    assert not (tmp_path / "no").exists()


def test_p3_enrolment_km_over_coaps_end_to_end(env, tmp_path):
    """A constrained device with no TCP at all: enrol over coaps with a MAF-FQDN target, then
    remote provisioning of the MAF Km (§8.8.2.3 step 2, KeID association) and Key Registration
    over coaps; the Kc is accepted by the CSE."""
    e = env
    kpm_id, kpm = e.w.add("cdev4", "Ccdev4", target=MAF_FQDN)
    dev = tmp_path / "dev"
    r = enrol(e, e.mef_coaps, kpm_id, kpm, dev)
    assert r.returncode == 0, r.stderr
    assert (dev / "mafids").read_text().split() == [MAF_FQDN]
    out = tmp_path / "kc"
    r = maf_client(e, "key", "--enrolment", dev, "--maf-fqdn", MAF_FQDN, "--target", CSE_ID, "--out", out,
                   "--timeout", "10")
    assert r.returncode == 0, r.stderr
    kcid, kc, psk = read_out(out)
    e.owner[kcid] = "Ccdev4"
    assert e.served(kcid, psk)
