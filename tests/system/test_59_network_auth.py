# SPDX-License-Identifier: Apache-2.0
"""Underlying-network authorization for delivery handling (issue 12, the seed's 3GPP liaison;
TS-0001 §6.2.2 CMDH; docs/procedures/mef.md "Underlying-network authorization"), real processes
on loopback: `m2msec mef` with `mef enrolee set --network-authorized yes|no`, `m2msec enrol`, and
`m2msec cse` (mef-url, mef-cache-seconds = 1) with a loopback notification receiver.

Flow: an AE enrolled via the MEF (KeID, SUID 22) registers at the CSE and subscribes with a
notification URI of the receiver -> a change is notified -> the operator sets
--network-authorized no -> the CSE's refresh of the KeID (fetchCredentials, networkAuthorized:
false) takes it over -> a change is NOT delivered: nothing reaches the receiver (proved by a
control subscription of another node on the same receiver, whose notification of the same change
does arrive: one queue per receiver keeps order) and the CSE records the undelivered attempt (its
log line) -> --network-authorized yes -> after the next refresh deliveries resume.

Negative CLI cases: unknown enrolee (exit 1 "no such enrolee"), a value other than yes/no and a
missing value (exit 2), neither or both of --kpm-id / --impi (exit 2).

GBA subscribers: the status lives in the test HSS (`hss-file`, the optional netauth= field), set
with `mef enrolee set --impi`; the MEF's BSF keeps working with it (SQN write-back keeps the
field), a malformed value stops the MEF at start naming the line, an unknown IMPI is exit 1.
The Zn answer that hands it to a NAF (CSE) is another slice's (docs/procedures/gba.md).

The 5103 TARGET_NOT_REACHABLE answer belongs to requests this CSE forwards to another node;
none exists before the forwarding path lands, so m2mi_cse_node_reachable (the one check it calls)
is tested at unit level (tests/unit/test_netauth.c)."""
import json
import os
import re
import subprocess
import time

import pytest

from cse_harness import SP
from test_13_notifications import Receiver
from test_25_mef_e2e import FQDN, World, ae
from test_52_gba_bsf import IMPI, Ue, bootstrap, bsf, keys  # noqa: F401 (bsf: the fixture)


def wait_log(w, pattern, start=0, bound=30):
    """Wait (bounded, no timing assertion) until the CSE log has pattern after offset start."""
    end = time.monotonic() + bound
    while time.monotonic() < end:
        m = re.search(pattern, w.c.log_text()[start:])
        if m:
            return m
        time.sleep(0.1)
    pytest.fail("no %r in the CSE log:\n%s" % (pattern, w.c.log_text()[start:][-3000:]))


def mef_set(w, *args):
    return w.m2m("mef", "enrolee", "set", "--config", w.mef_ini, *args)


@pytest.fixture(scope="module")
def world(m2msec_bin, tmp_path_factory):
    w = World(m2msec_bin, tmp_path_factory.mktemp("net"), mef_extra="rate-limit-per-identity = 0\n"
              "rate-limit-per-address = 0\n", cse_extra="notify-allow = 127.0.0.0/8\n")
    w.start_mef()
    w.start_cse()
    yield w
    w.stop()


def test_cli_negative_cases(world):
    w = world
    kpm_id, _ = w.add("netneg", "Cnetneg")
    r = mef_set(w, "--kpm-id", "nobody@" + FQDN, "--network-authorized", "no")
    assert r.returncode == 1 and "nobody@%s: no such enrolee" % FQDN in r.stderr, r.stderr
    assert r.stdout == ""
    for bad in ("maybe", "YES", "0", ""):
        r = mef_set(w, "--kpm-id", kpm_id, "--network-authorized", bad)
        assert r.returncode == 2 and "--network-authorized must be yes or no" in r.stderr, (bad, r.stderr)
    r = mef_set(w, "--kpm-id", kpm_id)
    assert r.returncode == 2 and "--network-authorized" in r.stderr, r.stderr
    r = mef_set(w, "--network-authorized", "no")
    assert r.returncode == 2 and "--kpm-id" in r.stderr, r.stderr
    # nothing was written by the refusals: the enrolee is still authorized
    r = w.m2m("mef", "enrolee", "show", "--config", w.mef_ini, "--kpm-id", kpm_id, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["network_authorized"] == "yes", r.stdout
    # and the accepted values
    r = mef_set(w, "--kpm-id", kpm_id, "--network-authorized", "no")
    assert r.returncode == 0 and r.stdout == "%s network-authorized no\n" % kpm_id, (r.stdout, r.stderr)
    r = w.m2m("mef", "enrolee", "show", "--config", w.mef_ini, "--kpm-id", kpm_id, "--json")
    assert json.loads(r.stdout)["network_authorized"] == "no", r.stdout
    r = w.m2m("mef", "enrolee", "list", "--config", w.mef_ini)
    assert re.search(r"^%s .* network-authorized=no$" % re.escape(kpm_id), r.stdout, re.M), r.stdout


def test_ts0001_6_2_2_no_delivery_to_an_unauthorized_node_then_resume(world, tmp_path):
    w = world
    rx = Receiver()
    try:
        # enrolled via the MEF, registered at the CSE over its KeID association
        kpm_id, kpm = w.add("net1", "Cnet1")
        out = tmp_path / "net1"
        r = w.enrol(kpm_id, kpm, out)
        assert r.returncode == 0, r.stderr
        keid, tkey = r.stdout.strip(), (out / "target.psk").read_text().strip()
        r = w.cse_psk(keid, tkey, "POST", "/cse-in", "Cnet1", ae("net1"), ty=2)
        assert r.rsc == 2001, r
        r = w.cse_psk(keid, tkey, "POST", "/cse-in/net1", "Cnet1", '{"m2m:cnt":{"rn":"c"}}', ty=3)
        assert r.rsc == 2001, r
        # its subscription (nu = the receiver; consented through the verification request)
        r = w.cse_psk(keid, tkey, "POST", "/cse-in/net1/c", "Cnet1",
                      json.dumps({"m2m:sub": {"rn": "s", "nu": [rx.url("/net1")], "enc": {"net": [3]}}}), ty=23)
        assert r.rsc == 2001, r
        sur = r.json()["m2m:sub"]["ri"]
        # a control subscription of another node (the admin) on the same receiver
        r = w.c.psk("POST", "/cse-in/net1/c", "CAdmin", "kpsa-adm@" + SP,
                    body=json.dumps({"m2m:sub": {"rn": "ctl", "nu": [rx.url("/ctl")], "enc": {"net": [3]}}}), ty=23)
        assert r.rsc == 2001, r
        ctl = r.json()["m2m:sub"]["ri"]

        def of(s, con):
            return [n for n in rx.notifications()
                    if n.get("sur") == s and n["nev"]["rep"].get("m2m:cin", {}).get("con") == con]

        def change(con):
            r = w.cse_psk(keid, tkey, "POST", "/cse-in/net1/c", "Cnet1",
                          json.dumps({"m2m:cin": {"con": con}}), ty=4)
            assert r.rsc == 2001, r

        # authorized (no statement): the change reaches both
        change("one")
        rx.wait(lambda x: of(sur, "one") and of(ctl, "one"))

        # the operator: not authorized -> the CSE's periodic refresh takes it over
        mark = len(w.c.log_text())
        r = mef_set(w, "--kpm-id", kpm_id, "--network-authorized", "no")
        assert r.returncode == 0, r.stderr
        wait_log(w, r"underlying network authorization of Cnet1: no \(refreshed from the MEF\)", mark)
        change("two")
        # the control notification of the same change arrives; the one for Cnet1 was never queued
        rx.wait(lambda x: of(ctl, "two"))
        assert of(sur, "two") == []
        # the undelivered attempt is recorded (identities only, never a key)
        m = wait_log(w, r"notification of (\S+) not delivered: node (\S+) is not authorized by the underlying "
                        r"network \(TS-0001 6\.2\.2 CMDH; (\d+) such attempts so far\)", mark)
        assert m.group(1) == sur and m.group(2).endswith("Cnet1"), m.group(0)
        assert tkey not in w.c.log_text() and tkey.upper() not in w.c.log_text()

        # authorized again: after the next refresh the next change is delivered
        mark = len(w.c.log_text())
        r = mef_set(w, "--kpm-id", kpm_id, "--network-authorized", "yes")
        assert r.returncode == 0 and r.stdout == "%s network-authorized yes\n" % kpm_id, r.stderr
        wait_log(w, r"underlying network authorization of Cnet1: yes \(refreshed from the MEF\)", mark)
        change("three")
        rx.wait(lambda x: of(sur, "three") and of(ctl, "three"))
        assert of(sur, "two") == []  # what was not delivered is not sent late
    finally:
        rx.close()


def hss_line(b, impi):
    with open(b.hss) as f:
        return next(ln.split() for ln in f if ln.split() and ln.split()[0] == impi)


def test_gba_subscriber_status_in_the_hss_file(bsf):
    k, opc = keys()
    assert bsf.subscriber(IMPI, k, opc).returncode == 0
    assert len(hss_line(bsf, IMPI)) == 5                       # absent = authorized
    r = bsf.m2m("enrolee", "set", "--config", bsf.ini, "--impi", IMPI, "--network-authorized", "no")
    assert r.returncode == 0 and r.stdout == "%s network-authorized no\n" % IMPI, r.stderr
    line = hss_line(bsf, IMPI)
    assert line == [IMPI, k.hex(), opc.hex(), "000000000000", "8000", "netauth=no"], line
    assert oct(os.stat(bsf.hss).st_mode & 0o777) == "0o600"
    # the BSF serves it as before (authentication is not network access) and its SQN write-back
    # keeps the field
    bsf.start()
    st, _, body, _ = bootstrap(bsf, Ue(k, opc))
    assert st == 200, body
    assert hss_line(bsf, IMPI)[3:] == ["000000000001", "8000", "netauth=no"]
    # back to yes while the MEF runs
    r = bsf.m2m("enrolee", "set", "--config", bsf.ini, "--impi", IMPI, "--network-authorized", "yes")
    assert r.returncode == 0, r.stderr
    assert hss_line(bsf, IMPI)[3:] == ["000000000001", "8000", "netauth=yes"]
    # refusals: unknown IMPI, bad value, both identities
    r = bsf.m2m("enrolee", "set", "--config", bsf.ini, "--impi", "nobody@ims.example.org",
                "--network-authorized", "no")
    assert r.returncode == 1 and "nobody@ims.example.org: no such subscriber" in r.stderr, r.stderr
    r = bsf.m2m("enrolee", "set", "--config", bsf.ini, "--impi", IMPI, "--network-authorized", "off")
    assert r.returncode == 2 and "--network-authorized must be yes or no" in r.stderr, r.stderr
    r = bsf.m2m("enrolee", "set", "--config", bsf.ini, "--impi", IMPI, "--kpm-id", "x@" + FQDN,
                "--network-authorized", "no")
    assert r.returncode == 2 and "exactly one of --kpm-id and --impi" in r.stderr, r.stderr
    assert hss_line(bsf, IMPI)[5] == "netauth=yes"            # nothing written by a refusal
    bsf.stop()
    # an operator's typo in the file: the MEF does not start, naming the line
    with open(bsf.hss) as f:
        text = f.read()
    with open(bsf.hss, "w") as f:
        f.write(text.replace("netauth=yes", "netauth=maybe"))
    r = subprocess.run([bsf.c.bin, "mef", "--config", bsf.ini], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "hss-file" in r.stderr and "line 1" in r.stderr, r.stderr
    assert k.hex() not in r.stderr
