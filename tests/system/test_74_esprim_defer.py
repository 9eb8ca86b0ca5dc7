# SPDX-License-Identifier: Apache-2.0
"""An ESPrim inner request that has to wait does not hold the event loop (TS-0003 clause 8.4,
TS-0004 clause 7.6.2, docs/procedures/e2e.md "Deferred inner requests").

The inner primitive of an outer NOTIFY (m2m:seci sit 5) runs through the CSE's one request path.
A <subscription> CREATE there must first have its verification request answered by the
notification target (TS-0004 clause 7.5.1.2.3); while that target holds it, the outer NOTIFY is
pending like the inner request, and the one event loop (threads = 1) keeps serving other
clients, plain and ESPrim. Once the target answers, the inner answer is sealed with the same
sessionESPrimKey into the outer answer (TS-0004 Table 7.6.2-1), exactly as the direct path does.
The protected objects are built and opened by the helpers of test_55 (Python, independent of
m2msec); the held target is test_13's Receiver.
"""
import json
import secrets
import socket
import threading

import pytest

from cse_harness import SP, Cse

e55 = pytest.importorskip("test_55_esprim")
from test_13_notifications import Receiver  # noqa: E402

K1, K2 = secrets.token_hex(32), secrets.token_hex(32)
KID1, KID2 = "espd1@" + SP, "espd2@" + SP


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("esprim_defer"))
    c.threads = 1  # both clients share the one loop: "not blocked" means that very loop
    c.setup_pki()
    store = c.path("creds.db")
    for kid, key, owner in ((KID1, K1, "CAE1"), (KID2, K2, "CAE2")):
        c.m2m("cred", "add", "--store", store, "--kind", "kpsa", "--id", kid, "--key", "-", "--owner", owner,
              "--suid", "13", input=key)
    c.start("cred-store = %s\nesprim-rand-seconds = 600\ndev-admin-over-plain-http = true\n"
            "notify-allow = 127.0.0.0/8\n" % store)
    for kid, key, owner, rn in ((KID1, K1, "CAE1", "ae1"), (KID2, K2, "CAE2", "ae2")):
        esp = e55.Esp(c, key_hex=key, kid=kid, origin=owner)
        rsp = esp.opened(esp.send(e55.inner(1, "/id-in/cse-in", owner, ty=2,
                                            pc={"m2m:ae": {"rn": rn, "api": "Nesp", "rr": False, "srv": ["3"]}})))
        assert rsp["rsc"] == 2001, rsp
    yield c
    c.stop()


def esp1(c):
    return e55.Esp(c, key_hex=K1, kid=KID1, origin="CAE1")


def sub_pt(rn, nu, rqi):
    return e55.inner(1, "/id-in/cse-in/ae1", "CAE1", rqi=rqi, ty=23, pc={"m2m:sub": {"rn": rn, "nu": [nu]}})


def admin_get(c, path):
    return c.plain("GET", path, "CAdmin")


def test_held_verification_leaves_the_loop_to_others(cse):
    slow = Receiver(hold_vrq=True)
    result = {}
    try:
        esp = esp1(cse)
        rqi = "sub-" + secrets.token_hex(4)
        t = threading.Thread(target=lambda: result.update(r=esp.send(sub_pt("s1", slow.url(), rqi))))
        t.start()
        slow.wait(lambda r: len(r.verifications()) == 1)  # the inner CREATE waits for this answer
        # the one loop serves a plain client...
        assert admin_get(cse, "/cse-in").rsc == 2000
        # ...and another ESPrim client (its own key, session and AE) end to end
        other = e55.Esp(cse, key_hex=K2, kid=KID2, origin="CAE2")
        rsp = other.opened(other.send(e55.inner(2, "/id-in/cse-in/ae2", "CAE2")))
        assert rsp["rsc"] == 2000 and rsp["pc"]["m2m:ae"]["rn"] == "ae2", rsp
        assert t.is_alive() and "r" not in result
        assert admin_get(cse, "/cse-in/ae1/s1").rsc == 4004  # not created before verification
        slow.release()
        t.join(30)
        assert not t.is_alive()
        # the outer answer is the protected inner one: 2001, its own rqi, the subscription
        rsp = esp.opened(result["r"])
        assert rsp["rsc"] == 2001 and rsp["rqi"] == rqi, rsp
        assert rsp["pc"]["m2m:sub"]["rn"] == "s1"
        assert admin_get(cse, "/cse-in/ae1/s1").rsc == 2000
        ver = slow.verifications()[0]
        assert ver["vrq"] is True and ver["cr"] == "CAE1"
    finally:
        slow.close()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_failed_verification_is_protected_5204(cse):
    # the same answer as the direct path: the inner refusal sealed, outer 2000 (C.6a)
    esp = esp1(cse)
    rqi = "subf-" + secrets.token_hex(4)
    rsp = esp.opened(esp.send(sub_pt("sf", "http://127.0.0.1:%d/n" % closed_port(), rqi)))
    assert rsp["rsc"] == 5204 and rsp["rqi"] == rqi, rsp
    assert admin_get(cse, "/cse-in/ae1/sf").rsc == 4004


def test_deferred_request_counts_as_seen(cse):
    # replay bookkeeping as on the direct path: the inner request is seen once accepted, so the
    # same object sent again while (or after) it waits is refused, protected, with 4000
    slow = Receiver(hold_vrq=True)
    result = {}
    try:
        esp = esp1(cse)
        h = esp.hdr()
        epo = e55.seal_manual(esp.key, h, sub_pt("s2", slow.url(), "rp-" + secrets.token_hex(4)))
        t = threading.Thread(target=lambda: result.update(r=esp.send_epo(epo)))
        t.start()
        slow.wait(lambda r: len(r.verifications()) == 1)
        again = esp.opened(esp.send_epo(epo))
        assert again["rsc"] == 4000, again
        slow.release()
        t.join(30)
        assert esp.opened(result["r"])["rsc"] == 2001
    finally:
        slow.close()


def test_client_gone_while_inner_request_waits(cse):
    slow = Receiver(hold_vrq=True)
    try:
        esp = esp1(cse)
        body = json.dumps({"m2m:seci": {"sit": 5, "epo": e55.seal_manual(
            esp.key, esp.hdr(), sub_pt("s3", slow.url(), "g-" + secrets.token_hex(4)))}})
        raw = ("POST /cse-in HTTP/1.1\r\nHost: x\r\nX-M2M-Origin: CAE1\r\nX-M2M-RI: r1\r\nX-M2M-RVI: 3\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s") % (len(body), body)
        s = socket.create_connection(("127.0.0.1", cse.http_port), timeout=10)
        s.sendall(raw.encode())
        slow.wait(lambda r: len(r.verifications()) == 1)
        s.close()  # the Originator goes away while its inner CREATE waits
        slow.release()
        slow.wait(lambda r: r.answered == 1)
        # released quietly: the CSE goes on serving (the CREATE itself may have been made)
        assert admin_get(cse, "/cse-in").rsc == 2000
        assert cse.proc.poll() is None
    finally:
        slow.close()
