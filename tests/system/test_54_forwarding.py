# SPDX-License-Identifier: Apache-2.0
"""Forwarding through a transit CSE (TS-0004 clauses 7.3.2.6 and 7.3.2.8, TS-0001 clause 10.2;
docs/procedures/transit.md): a real IN-CSE and a real MN-CSE registered with it. An AE on the MN
reads and creates on the IN and an AE on the IN reads on the MN, each through the other CSE; the
Originator is kept (SP-relative, TS-0004 7.3.2.6) and re-authorized by the Hosting CSE (its ACPs:
4103 relayed; its originator rules: a CSE speaks only for the AEs behind it, 4106); never back to
the CSE a request came from (4004); an unreachable host is 5103 without blocking the transit CSE's
other clients; a NOTIFY's Content reaches the next hop byte for byte."""
import json
import os
import socket
import ssl
import threading

import pytest

from cse_harness import SP, Cse, _PinnedHostAdapter

AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'
ADMIN = "kpsa-admin@" + SP


def mkdir(tmp, name):
    d = tmp / name
    d.mkdir()
    return d


def wait_for(pred, what, timeout=30.0):
    """Poll for an event (not a timing assertion: the bound only stops a hung test)."""
    import time
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("never happened: " + what)


def admin(c, method, path, body=None, ty=None):
    return c.psk(method, path, "CAdmin", ADMIN, body, ty=ty)


def acp(rn, acor, acop):
    return json.dumps({"m2m:acp": {"rn": rn, "pv": {"acr": [{"acor": acor, "acop": acop}]},
                                   "pvs": {"acr": [{"acor": ["CAdmin"], "acop": 63}]}}})


def container(c, base, rn, acor, acop):
    r = admin(c, "POST", base, acp("acp-" + rn, acor, acop), ty=1)
    assert r.rsc == 2001, r
    r = admin(c, "POST", base, json.dumps({"m2m:cnt": {"rn": rn, "acpi": [r.json()["m2m:acp"]["ri"]]}}), ty=3)
    assert r.rsc == 2001, r


class Pair:
    """IN-CSE /id-in and MN-CSE /id-mn (registered with the IN, poa = its HTTPS listener)."""

    def __init__(self, m2msec_bin, tmp, in_extra="", mn_extra="", before_start=None):
        """in_extra / mn_extra: more configuration lines; before_start(pair): provisioning (the
        credential store of test_67) once both CSEs' PKI exists, before either starts."""
        self.inc = Cse(m2msec_bin, mkdir(tmp, "in"))
        self.inc.threads = 1  # one serving loop: a blocked loop would show
        self.inc.setup_pki()
        for ident, bound in (("kpsa-admin", "CAdmin"), ("kpsa-b1", "Cb1"), ("kpsa-fake", "/id-fake"),
                             ("kpsa-hang", "/id-hang")):
            self.inc.add_psk(ident + "@" + SP, bound)
        self.mn = mn = Cse(m2msec_bin, mkdir(tmp, "mn"))
        mn.cse_id, mn.cse_name = "/id-mn", "cse-mn"
        mn.threads = 1
        mn.setup_pki()
        # the MN's server certificate names its CSE-ID: the IN checks <csi>.<sp> at the poa
        os.remove(mn.path("server.crt"))
        os.remove(mn.path("server.key"))
        mn.issue("server", "id-mn." + SP)
        mn.add_psk(ADMIN, "CAdmin")
        mn.add_psk("kpsa-ae@" + SP, "Cae")
        mn.add_psk("kpsa-ae2@" + SP, "Cae2")
        self.mn_crt = self.inc.issue("mn", "id-mn." + SP)     # the MN towards the IN
        self.in_crt = mn.issue("in-fwd", "id-in." + SP)        # the IN towards the MN
        self.reg = ("registrar = https://127.0.0.1:%d\nregistrar-ca = %s\nregistrar-cert = %s\n"
                    "registrar-key = %s\nregistrar-cse-id = /id-in\npoa = https://127.0.0.1:%d\n"
                    "forward-timeout = 60000\n") % (self.inc.port, self.inc.path("ca/ca.crt"), *self.mn_crt,
                                                    mn.port)
        if before_start is not None:
            before_start(self)
        self.inc.start("forward-ca = %s\nforward-cert = %s\nforward-key = %s\nforward-timeout = 60000\n%s" % (
            mn.path("ca/ca.crt"), *self.in_crt, in_extra))
        mn.start(self.reg + mn_extra)
        wait_for(lambda: "registrar: registered" in mn.log_text(), "the MN registered")
        assert admin(self.inc, "GET", "/cse-in/id-mn").json()["m2m:csr"]["poa"] == ["https://127.0.0.1:%d" % mn.port]
        # TS-0004 7.4.4.2.1 step 004: the MN holds the <remoteCSE> of its Registrar
        local = admin(mn, "GET", "/cse-mn/id-in")
        assert local.rsc == 2000, local
        assert local.json()["m2m:csr"]["csi"] == "/id-in"
        assert local.json()["m2m:csr"]["poa"] == ["https://127.0.0.1:%d" % self.inc.port]

    def stop(self):
        a, b = self.mn.stop(), self.inc.stop()
        return a, b

    def mn_session(self, crt):
        """A client of the MN with a certificate (verifies the MN as id-mn.<sp>)."""
        import requests
        s = requests.Session()
        s.mount("https://", _PinnedHostAdapter("id-mn." + SP))
        s.cert = crt
        return s

    def mn_cert(self, session, method, path, origin):
        r = session.request(method, "https://127.0.0.1:%d%s" % (self.mn.port, path), timeout=30,
                            headers={"X-M2M-Origin": origin, "X-M2M-RI": "rq1", "X-M2M-RVI": "3"},
                            verify=self.mn.path("ca/ca.crt"))
        return r.status_code, r.headers.get("X-M2M-RSC")


@pytest.fixture(scope="module")
def pair(m2msec_bin, tmp_path_factory):
    p = Pair(m2msec_bin, tmp_path_factory.mktemp("fwd54"))
    mn, inc = p.mn, p.inc
    assert mn.psk("POST", "/cse-mn", "Cae", "kpsa-ae@" + SP, AE_BODY % "ae", ty=2).rsc == 2001
    assert mn.psk("POST", "/cse-mn", "Cae2", "kpsa-ae2@" + SP, AE_BODY % "ae2", ty=2).rsc == 2001
    assert inc.psk("POST", "/cse-in", "Cb1", "kpsa-b1@" + SP, AE_BODY % "b1", ty=2).rsc == 2001
    container(inc, "/cse-in", "box", ["/id-mn/Cae"], 3)      # CREATE + RETRIEVE for the MN's AE
    container(inc, "/cse-in", "closed", ["/id-mn/Cother"], 63)
    container(mn, "/cse-mn", "mbox", ["/id-in/Cb1"], 2)
    container(mn, "/cse-mn", "mclosed", ["/id-in/Cother"], 63)
    yield p
    assert p.stop() == (0, 0)


def test_ae_on_the_mn_reads_and_creates_on_the_in(pair):
    mn = pair.mn
    ae = lambda method, path, body=None, ty=None, rqi="rq1": mn.psk(
        method, path, "Cae", "kpsa-ae@" + SP, body, ty=ty, rqi=rqi)
    r = ae("GET", "/~/id-in/cse-in/box", rqi="fwd-rqi-1")
    assert r.rsc == 2000, r
    assert r.json()["m2m:cnt"]["rn"] == "box"
    assert r.headers["x-m2m-ri"] == "fwd-rqi-1"  # the Request Identifier is kept
    # absolute form (TS-0004 7.3.2.8)
    assert ae("GET", "/_/%s/id-in/cse-in/box" % SP).rsc == 2000
    # CREATE: the creator is the Originator in SP-relative form (TS-0004 7.3.2.6)
    r = ae("POST", "/~/id-in/cse-in/box", json.dumps({"m2m:cnt": {"rn": "made-by-ae", "cr": None}}), ty=3)
    assert r.rsc == 2001, r
    assert r.json()["m2m:cnt"]["cr"] == "/id-mn/Cae"
    got = admin(pair.inc, "GET", "/cse-in/box/made-by-ae")
    assert got.rsc == 2000 and got.json()["m2m:cnt"]["cr"] == "/id-mn/Cae"
    # the Hosting CSE re-authorizes: its ACP denies -> 4103 relayed; UPDATE (PUT) and DELETE too
    assert ae("GET", "/~/id-in/cse-in/closed").rsc == 4103
    assert ae("PUT", "/~/id-in/cse-in/box", json.dumps({"m2m:cnt": {"lbl": ["x"]}})).rsc == 4103
    assert ae("DELETE", "/~/id-in/cse-in/box").rsc == 4103
    assert admin(pair.inc, "GET", "/cse-in/box").rsc == 2000
    # another AE of the MN is another Originator at the IN
    assert mn.psk("GET", "/~/id-in/cse-in/box", "Cae2", "kpsa-ae2@" + SP).rsc == 4103
    # a resource that does not exist at the host: the host's 4004, relayed
    assert ae("GET", "/~/id-in/cse-in/nothing").rsc == 4004


def test_ae_on_the_in_reads_on_the_mn(pair):
    inc = pair.inc
    b1 = lambda path: inc.psk("GET", path, "Cb1", "kpsa-b1@" + SP)
    r = b1("/~/id-mn/cse-mn/mbox")
    assert r.rsc == 2000, r
    assert r.json()["m2m:cnt"]["rn"] == "mbox"
    assert b1("/~/id-mn/cse-mn/mclosed").rsc == 4103
    # the admin of the IN is nobody at the MN: the MN's ACPs decide
    assert admin(inc, "GET", "/~/id-mn/cse-mn/mbox").rsc == 4103
    # the loopback plain-HTTP listener authenticates nobody: nothing is vouched for (4107)
    assert inc.plain("GET", "/~/id-mn/cse-mn/mbox", "Cb1").rsc == 4107


def test_forged_from_behind_the_wrong_cse_is_refused(pair):
    s = pair.mn_session(pair.in_crt)
    # over the IN's association the MN admits the IN and the C-type AEs registered with it only
    assert pair.mn_cert(s, "GET", "/~/id-mn/cse-mn/mbox", "/id-in/Cb1") == (200, "2000")
    for origin in ("/id-other/Cb1", "/id-mn/Cae", "Cae", "/Sx"):
        status, rsc = pair.mn_cert(s, "GET", "/~/id-mn/cse-mn/mbox", origin)
        assert rsc == "4106", origin
    # an AE of the MN cannot claim another AE-ID: refused at the MN before any forwarding
    r = pair.mn.psk("GET", "/~/id-in/cse-in/box", "Cae2", "kpsa-ae@" + SP)
    assert r.rsc == 4106


def test_never_back_to_the_cse_it_came_from(pair):
    # the MN's association at the IN asks for the MN's own resources: not sent back (4004)
    s = pair.inc.cert_session(*pair.mn_crt)
    r = pair.inc.cert(s, "GET", "/~/id-mn/cse-mn/mbox", "/id-mn")
    assert r.rsc == 4004
    # a request from its Registrar is never forwarded up again by the MN (TS-0004 7.3.2.6)
    s = pair.mn_session(pair.in_crt)
    assert pair.mn_cert(s, "GET", "/~/id-other/cse-x", "/id-in")[1] == "4004"
    # an IN-CSE without a matching <remoteCSE>: NOT_FOUND
    assert admin(pair.inc, "GET", "/~/id-nowhere/x").rsc == 4004
    # registrations never go through a transit CSE (TS-0004 7.3.2.8)
    assert pair.mn.psk("POST", "/~/id-in/cse-in", "Cae", "kpsa-ae@" + SP, AE_BODY % "x", ty=2).rsc == 4000


def tls_server(crt, handler):
    """An HTTPS next hop played by Python: handler(raw_request_bytes) -> raw answer bytes."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*crt)
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    got = []

    def run():
        conn, _ = lsock.accept()
        with ctx.wrap_socket(conn, server_side=True) as t:
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += t.recv(65536)
            head, _, body = buf.partition(b"\r\n\r\n")
            n = int([ln.split(b":")[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")][0])
            while len(body) < n:
                body += t.recv(65536)
            got.append((head.decode(), body))
            t.sendall(handler(head, body))
    th = threading.Thread(target=run, daemon=True)
    th.start()
    return lsock, th, got


def register_fake(inc, name, port):
    csr = json.dumps({"m2m:csr": {"cb": "/%s/cse-x" % name, "rr": True, "srv": ["3"],
                                  "poa": ["https://127.0.0.1:%d" % port]}})
    r = inc.psk("POST", "/cse-in", "/" + name, "kpsa-%s@%s" % (name[3:], SP), csr, ty=16)
    assert r.rsc == 2001, r


def test_notify_content_is_forwarded_byte_identical(pair):
    crt = pair.mn.issue("fake", "id-fake." + SP)  # forward-ca of the IN is the MN's CA
    answer = b'{"m2m:rsp":{"z":[1,2],"a":"opaque"}}'
    lsock, th, got = tls_server(crt, lambda h, b: b"HTTP/1.1 200 OK\r\nX-M2M-RSC: 2000\r\nX-M2M-RI: n1\r\n"
                                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))
    try:
        register_fake(pair.inc, "id-fake", lsock.getsockname()[1])
        content = ('{"m2m:seci":{"sit":5,"esob":"eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIiwia2lkIjoiazEifQ..'
                   'aGVsbG8.d29ybGQ.dGFn","z":{"b":[true,null,1.5],"a":"x"}}}')
        r = pair.inc.psk("POST", "/~/id-fake/cse-x", "Cb1", "kpsa-b1@" + SP, content, rqi="ntf-54")
        assert r.rsc == 2000, r
        assert r.json() == json.loads(answer)  # the answer's Content relayed
        th.join(30)
        head, body = got[0]
        assert body == content.encode()  # byte for byte
        assert head.startswith("POST /~/id-fake/cse-x HTTP/1.1")
        assert "X-M2M-Origin: /id-in/Cb1" in head and "X-M2M-RI: ntf-54" in head
        assert "ty=" not in head  # a NOTIFY, not a CREATE
    finally:
        lsock.close()


def test_unreachable_host_is_5103_without_blocking_others(pair):
    inc = pair.inc
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(4)
    register_fake(inc, "id-hang", hang.getsockname()[1])
    out = []
    th = threading.Thread(target=lambda: out.append(
        inc.psk("GET", "/~/id-hang/cse-x", "Cb1", "kpsa-b1@" + SP)), daemon=True)
    th.start()
    held, _ = hang.accept()  # the IN is connected to the silent next hop, waiting for it
    try:
        # meanwhile the IN's only serving loop answers its other clients
        assert admin(inc, "GET", "/cse-in").rsc == 2000
        assert inc.psk("GET", "/cse-in/box", "Cb1", "kpsa-b1@" + SP).rsc == 4103
        assert th.is_alive()
    finally:
        held.close()  # the next hop goes away without answering
        hang.close()
    th.join(60)
    assert out and out[0].rsc == 5103


def test_registrar_down_is_5103(pair):
    mn = pair.mn
    pair.inc.stop()
    try:
        r = mn.psk("GET", "/~/id-in/cse-in/box", "Cae", "kpsa-ae@" + SP)
        assert r.rsc == 5103, r
        assert admin(mn, "GET", "/cse-mn").rsc == 2000  # served locally throughout
    finally:
        pair.inc.start("forward-ca = %s\nforward-cert = %s\nforward-key = %s\nforward-timeout = 60000\n" % (
            mn.path("ca/ca.crt"), *pair.in_crt))
    assert mn.psk("GET", "/~/id-in/cse-in/box", "Cae", "kpsa-ae@" + SP).rsc == 2000


def test_psk_registration_and_forwarding(m2msec_bin, tmp_path):
    """registrar-psk-identity/-file: the MN's association with the IN is TLS-PSK; the IN binds the
    Kpsa to /id-mn through its psk-file (the resolver chain every binding uses)."""
    inc = Cse(m2msec_bin, mkdir(tmp_path, "in"))
    inc.setup_pki()
    inc.add_psk(ADMIN, "CAdmin")
    key = inc.add_psk("kpsa-mn@" + SP, "/id-mn")
    inc.add_psk("kpsa-other@" + SP, "/id-other")
    mn = Cse(m2msec_bin, mkdir(tmp_path, "mn"))
    mn.cse_id, mn.cse_name = "/id-mn", "cse-mn"
    mn.setup_pki()
    mn.add_psk(ADMIN, "CAdmin")
    mn.add_psk("kpsa-ae@" + SP, "Cae")
    keyfile = mn.path("registrar.psk")
    with open(keyfile, "w") as f:
        f.write(key + "\n")
    os.chmod(keyfile, 0o600)
    reg = ("registrar = https://127.0.0.1:%d\nregistrar-ca = %s\nregistrar-cse-id = /id-in\n"
           "registrar-psk-identity = kpsa-mn@%s\nregistrar-psk-file = %s\n") % (
        inc.port, inc.path("ca/ca.crt"), SP, keyfile)
    inc.start()
    try:
        mn.start(reg)
        wait_for(lambda: "registrar: registered (created)" in mn.log_text(), "the MN registered over PSK")
        assert admin(inc, "GET", "/cse-in/id-mn").json()["m2m:csr"]["csi"] == "/id-mn"
        container(inc, "/cse-in", "box", ["/id-mn/Cae"], 2)
        assert mn.psk("POST", "/cse-mn", "Cae", "kpsa-ae@" + SP, AE_BODY % "ae", ty=2).rsc == 2001
        r = mn.psk("GET", "/~/id-in/cse-in/box", "Cae", "kpsa-ae@" + SP)
        assert r.rsc == 2000, r
        assert mn.stop() == 0
        # a Kpsa the IN binds to another CSE-ID: the IN refuses the registration (4106)
        with open(keyfile, "w") as f:
            f.write(inc.psks["kpsa-other@" + SP][0] + "\n")
        mn.start(reg.replace("kpsa-mn@", "kpsa-other@"))
        wait_for(lambda: "RSC 4106" in mn.log_text(), "the IN's 4106 logged by the MN")
    finally:
        mn.stop()
        assert inc.stop() == 0


def test_silent_registrar_blocks_no_other_client_of_the_mn(m2msec_bin, tmp_path):
    """The MN's Registrar accepts connections and never answers: a forwarded request waits on the
    MN's outbound loop while the MN's only serving loop answers a second client; when the
    Registrar goes away the first client gets 5103."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    held = []

    def hold():
        while True:
            try:
                held.append(silent.accept()[0])
            except OSError:
                return
    threading.Thread(target=hold, daemon=True).start()
    ca = Cse(m2msec_bin, mkdir(tmp_path, "ca"))
    ca.setup_pki()
    mn = Cse(m2msec_bin, mkdir(tmp_path, "mn"))
    mn.cse_id, mn.cse_name, mn.threads = "/id-mn", "cse-mn", 1
    mn.setup_pki()
    mn.add_psk(ADMIN, "CAdmin")
    mn.add_psk("kpsa-ae@" + SP, "Cae")
    crt = ca.issue("mn", "id-mn." + SP)
    mn.start(("registrar = https://127.0.0.1:%d\nregistrar-ca = %s\nregistrar-cert = %s\nregistrar-key = %s\n"
              "registrar-cse-id = /id-in\nforward-timeout = 60000\n") % (
        silent.getsockname()[1], ca.path("ca/ca.crt"), *crt))
    try:
        assert mn.psk("POST", "/cse-mn", "Cae", "kpsa-ae@" + SP, AE_BODY % "ae", ty=2).rsc == 2001
        out = []
        th = threading.Thread(target=lambda: out.append(
            mn.psk("GET", "/~/id-in/cse-in", "Cae", "kpsa-ae@" + SP)), daemon=True)
        th.start()
        wait_for(lambda: "forwarding RETRIEVE /id-in/cse-in" in mn.log_text(), "the request forwarded")
        assert admin(mn, "GET", "/cse-mn").rsc == 2000  # the second client is served meanwhile
        assert mn.psk("GET", "/cse-mn/ae", "Cae", "kpsa-ae@" + SP).rsc == 2000
        assert th.is_alive()  # the first still waits for the silent Registrar
    finally:
        silent.close()
        for s in held:
            s.close()
    th.join(60)
    try:
        assert out and out[0].rsc == 5103
    finally:
        assert mn.stop() == 0
