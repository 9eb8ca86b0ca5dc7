# SPDX-License-Identifier: Apache-2.0
"""/metrics of the services on the loopback-only `metrics-listen` listener (issue 13 Operations,
docs/operations.md), black-box against the real binary: the counters move by exactly the requests
and handshakes the test made (TLS-PSK by `openssl s_client`, TS-0003 8.2.2.1; plain HTTP on the
loopback http-listen), the latency histogram is consistent with the request counters, no
identity, key id or Credential-ID appears in the exposition, other paths are 404 and other
methods 405, and a non-loopback metrics-listen is refused at start by every service."""
import re
import signal
import subprocess

import pytest
import requests

from cse_harness import SP, Cse, free_port, wait_port

AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def scrape(port):
    r = requests.get("http://127.0.0.1:%d/metrics" % port, timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return r.text


def samples(text):
    out = {}
    for ln in text.splitlines():
        if not ln or ln.startswith("#"):
            continue
        m = SAMPLE.match(ln)
        assert m, "not a sample line of the text format: %r" % ln
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def delta(before, after, key):
    return after.get(key, 0) - before.get(key, 0)


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("cse"))
    c.setup_pki()
    c.add_psk("kpsa-metrics1@" + SP, "Cmetrics1")
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    c.metrics_port = free_port()
    c.start(extra="metrics-listen = 127.0.0.1:%d\n" % c.metrics_port)
    wait_port(c.metrics_port, c.proc)
    yield c
    assert c.stop() == 0


def test_counters_move_by_exactly_the_requests_made(cse):
    before = samples(scrape(cse.metrics_port))
    rscs = {}
    r = cse.psk("POST", "/cse-in", "Cmetrics1", "kpsa-metrics1@" + SP, AE_BODY % "metrics1", ty=2)
    assert r is not None and r.rsc == 2001, r
    rscs[("create", r.rsc)] = rscs.get(("create", r.rsc), 0) + 1
    for _ in range(3):  # three associations, three RETRIEVEs (TS-0004 7.3.3.2)
        r = cse.psk("GET", "/cse-in/metrics1", "Cmetrics1", "kpsa-metrics1@" + SP)
        assert r is not None and r.rsc == 2000, r
        rscs[("retrieve", r.rsc)] = rscs.get(("retrieve", r.rsc), 0) + 1
    r = cse.psk("GET", "/cse-in/nothere", "Cmetrics1", "kpsa-metrics1@" + SP)
    assert r.rsc == 4004, r
    rscs[("retrieve", 4004)] = rscs.get(("retrieve", 4004), 0) + 1
    for _ in range(2):  # plain HTTP on loopback: a request, no handshake
        r = cse.plain("GET", "/cse-in/metrics1", "Cmetrics1")
        rscs[("retrieve", r.rsc)] = rscs.get(("retrieve", r.rsc), 0) + 1
    # a wrong key for a psk-file KpsaID and an unknown KpsaID: refused handshakes, no request
    assert cse.psk("GET", "/cse-in", "Cmetrics1", "kpsa-metrics1@" + SP, key="00" * 32) is None
    assert cse.psk("GET", "/cse-in", "Cx", "kpsa-nobody@" + SP, key="11" * 32) is None
    text = scrape(cse.metrics_port)
    after = samples(text)

    for (op, rsc), n in rscs.items():
        assert delta(before, after, 'm2msec_requests_total{op="%s",rsc="%d"}' % (op, rsc)) == n, (op, rsc)
    total = {op: sum(n for (o, _), n in rscs.items() if o == op) for op in ("create", "retrieve")}
    for op, n in total.items():
        assert delta(before, after, 'm2msec_request_duration_seconds_count{op="%s"}' % op) == n
        assert delta(before, after, 'm2msec_request_duration_seconds_bucket{op="%s",le="+Inf"}' % op) == n
        assert delta(before, after, 'm2msec_request_duration_seconds_sum{op="%s"}' % op) > 0
    assert delta(before, after, 'm2msec_tls_handshakes_total{outcome="ok",sa_kind="psk-file"}') == 5
    assert delta(before, after, 'm2msec_tls_handshakes_total{outcome="failed",sa_kind="psk-file"}') == 1
    assert delta(before, after, 'm2msec_tls_handshakes_total{outcome="failed",sa_kind="psk"}') == 1
    assert delta(before, after, 'm2msec_tls_handshakes_total{outcome="ok",sa_kind="cert"}') == 0

    # the histogram is cumulative, ends at +Inf = _count, and _count = the requests of the op
    for op in ("create", "retrieve"):
        buckets = [(k, v) for k, v in after.items()
                   if k.startswith('m2msec_request_duration_seconds_bucket{op="%s",' % op)]
        les = [float(re.search(r'le="([^"]+)"', k).group(1).replace("+Inf", "inf")) for k, _ in buckets]
        assert les == sorted(les) and les[-1] == float("inf")
        vals = [v for _, v in buckets]
        assert vals == sorted(vals)
        count = after['m2msec_request_duration_seconds_count{op="%s"}' % op]
        assert vals[-1] == count
        assert count == sum(v for k, v in after.items()
                            if k.startswith('m2msec_requests_total{op="%s",' % op))


def test_no_identity_or_key_id_in_labels(cse):
    r = cse.psk("GET", "/cse-in/metrics1", "Cmetrics1", "kpsa-metrics1@" + SP)
    assert r is not None
    text = scrape(cse.metrics_port)
    for secret in ("kpsa-metrics1", "Cmetrics1", "metrics1", "12-kpsa", SP, "CAdmin", "kpsa-nobody",
                   cse.psks["kpsa-metrics1@" + SP][0]):
        assert secret not in text, secret
    assert "@" not in text  # every KpsaID, KeID, KcID and Credential-ID has one
    labels = set(re.findall(r'(\w+)="', text))
    assert labels <= {"op", "rsc", "le", "outcome", "sa_kind", "link", "cache", "result", "condition"}, labels


def test_other_paths_404_other_methods_405(cse):
    base = "http://127.0.0.1:%d" % cse.metrics_port
    assert requests.get(base + "/", timeout=10).status_code == 404
    assert requests.get(base + "/cse-in", timeout=10).status_code == 404
    assert requests.get(base + "/metrics/x", timeout=10).status_code == 404
    for m in ("POST", "PUT", "DELETE"):
        r = requests.request(m, base + "/metrics", timeout=10)
        assert r.status_code == 405, m
        assert r.headers["Allow"] == "GET"


def test_scrape_is_not_counted_as_a_request(cse):
    before = samples(scrape(cse.metrics_port))
    after = samples(scrape(cse.metrics_port))
    reqs = [k for k in after if k.startswith("m2msec_requests_total")]
    assert all(delta(before, after, k) == 0 for k in reqs)


SECTIONS = {
    "cse": "cse-id = /id-in\nhttps-listen = off\nhttp-listen = 127.0.0.1:0\n",
    "mef": "[mef]\nmef-fqdn = mef.example.com\nhttps-listen = 127.0.0.1:0\nstore = x.db\n",
    "maf": "[maf]\nmaf-fqdn = maf.example.com\nhttps-listen = 127.0.0.1:0\nstore = x.db\n",
    "das": "[das]\ndas-id = //sp.example.com/id-in/Cdas\nhttps-listen = 127.0.0.1:0\nstore = x.db\n",
}


@pytest.mark.parametrize("svc", sorted(SECTIONS))
@pytest.mark.parametrize("addr", ["0.0.0.0:9100", "192.0.2.7:9100", "[::]:9100"])
def test_non_loopback_metrics_listen_refused(m2msec_bin, tmp_path, svc, addr):
    ini = tmp_path / ("%s.ini" % svc)
    ini.write_text(SECTIONS[svc] + "metrics-listen = %s\n" % addr)
    line = SECTIONS[svc].count("\n") + 1
    r = subprocess.run([m2msec_bin, svc, "--config", str(ini)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert r.stderr == ("m2msec: %s: %s: line %d: metrics-listen must be a loopback address (127.0.0.1, ::1 "
                        "or localhost): /metrics has no authentication\n" % (svc, ini, line))


def test_mef_enrolment_and_cse_key_fetch_counters(m2msec_bin, tmp_path):
    """The MEF counts an enrolment (MEF Client Registration, TS-0003 8.3.4.2) once; the CSE counts
    the KeID handshake as psk-mef, and its key cache and MEF fetches (fetchCredentials, 8.3.2.1)
    agree with each other. Neither exposition names the KpmID, the KeID or the enrolee."""
    from test_25_mef_e2e import World, ae
    mp, cp = free_port(), free_port()
    w = World(m2msec_bin, tmp_path, mef_extra="rate-limit-per-identity = 0\nrate-limit-per-address = 0\n"
              "metrics-listen = 127.0.0.1:%d\n" % mp, cse_extra="metrics-listen = 127.0.0.1:%d\n" % cp)
    w.start_mef()
    w.start_cse()
    try:
        wait_port(mp, w.mef)
        wait_port(cp, w.c.proc)
        m0, c0 = samples(scrape(mp)), samples(scrape(cp))
        kpm_id, kpm = w.add("devm", "Cdevm")
        r = w.enrol(kpm_id, "00" * 32, tmp_path / "no")  # wrong Kpm: no enrolment
        assert r.returncode == 1, r.stderr
        r = w.enrol(kpm_id, kpm, tmp_path / "devm")
        assert r.returncode == 0, r.stderr
        keid = r.stdout.strip()
        tkey = (tmp_path / "devm" / "target.psk").read_text().strip()
        m1 = samples(scrape(mp))
        assert delta(m0, m1, 'm2msec_enrolments_total{outcome="ok"}') == 1
        assert delta(m0, m1, 'm2msec_enrolments_total{outcome="refused"}') == 0
        assert sum(delta(m0, m1, k) for k in m1 if k.startswith('m2msec_tls_handshakes_total{outcome="failed"')) >= 1

        for rn in ("devm", "devm2"):
            r = w.cse_psk(keid, tkey, "POST", "/cse-in", "Cdevm", ae(rn), ty=2)
            assert r is not None and r.rsc in (2001, 4117), r
        c1 = samples(scrape(cp))
        assert delta(c0, c1, 'm2msec_tls_handshakes_total{outcome="ok",sa_kind="psk-mef"}') == 2
        hits = delta(c0, c1, 'm2msec_cache_lookups_total{cache="psk",result="hit"}')
        misses = delta(c0, c1, 'm2msec_cache_lookups_total{cache="psk",result="miss"}')
        assert hits + misses == 2 and misses >= 1
        assert delta(c0, c1, 'm2msec_link_fetches_total{link="mef",outcome="ok"}') == misses
        assert delta(c0, c1, 'm2msec_link_fetches_total{link="mef",outcome="failed"}') == 0
        for text in (scrape(mp), scrape(cp)):
            for secret in (kpm_id, kpm, keid, keid.split("@")[0], tkey, "Cdevm"):
                assert secret not in text
            assert "@" not in text
    finally:
        w.stop()


def test_coap_requests_and_dtls_handshakes(m2msec_bin, tmp_path):
    """CoAP (TS-0008) requests are counted like HTTP ones: one DTLS-PSK request (a DTLS handshake,
    psk-file) and one plain CoAP request (no handshake) move the counters by one each."""
    from binding_clients import ascii_key, coap
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    ident = "kpsa-coapm@" + SP
    c.coap_keys = {ident: ascii_key()}
    c.psks[ident] = (c.coap_keys[ident].encode().hex(), "Ccoapm")
    c.coaps_port, c.coap_port, mport = free_port(), free_port(), free_port()
    c.start("coaps-listen = 127.0.0.1:%d\ncoap-listen = 127.0.0.1:%d\nmetrics-listen = 127.0.0.1:%d\n" % (
        c.coaps_port, c.coap_port, mport))
    try:
        wait_port(mport, c.proc)
        before = samples(scrape(mport))
        r = coap(c, "get", "/cse-in", "/id-mn", secure=False)  # no association: 4107
        assert r is not None and r.rsc == 4107, r
        r = coap(c, "post", "/cse-in", "Ccoapm", ident, body=AE_BODY % "coapm", ty=2)
        assert r is not None and r.rsc == 2001, r
        after = samples(scrape(mport))
        assert delta(before, after, 'm2msec_requests_total{op="retrieve",rsc="4107"}') == 1
        assert delta(before, after, 'm2msec_requests_total{op="create",rsc="2001"}') == 1
        assert delta(before, after, 'm2msec_tls_handshakes_total{outcome="ok",sa_kind="psk-file"}') == 1
    finally:
        assert c.stop() == 0


@pytest.mark.parametrize("svc", ["maf", "das"])
def test_maf_and_das_count_requests_and_certificate_handshakes(m2msec_bin, tmp_path, svc):
    """The MAF and the DAS run the same registry and listener: one request over mutual
    certificates (TS-0003 8.2.2.2) is one request and one cert handshake."""
    from svc_harness import cert_request, make_pki
    fqdn = "%s.sp.example.com" % svc
    c = make_pki(m2msec_bin, tmp_path, fqdn, [("target", "id-in.sp.example.com")])
    port, mport = free_port(), free_port()
    first = ("maf-fqdn = %s\nsp-id = sp.example.com" % fqdn if svc == "maf"
             else "das-id = //sp.example.com/id-in/Cdas")
    ini = tmp_path / ("%s.ini" % svc)
    ini.write_text("[%s]\n%s\nhttps-listen = 127.0.0.1:%d\nstore = %s\ncert = %s\nkey = %s\ntrust-anchors = %s\n"
                   "log-file = %s\nthreads = 2\nmetrics-listen = 127.0.0.1:%d\n" % (
                       svc, first, port, c.path(svc + ".db"), c.path("server.crt"), c.path("server.key"),
                       c.path("ca/ca.crt"), c.path(svc + ".log"), mport))
    proc = subprocess.Popen([m2msec_bin, svc, "--config", str(ini)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_port(port, proc)
        wait_port(mport, proc)
        before = samples(scrape(mport))

        class S:  # what cert_request needs of a service
            pass
        s = S()
        s.c, s.port = c, port
        raw = ("GET /nothing HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: m1\r\nX-M2M-RVI: 3\r\nX-M2M-Origin: /id-in\r\n"
               "Connection: close\r\n\r\n" % fqdn).encode()
        status, headers, _ = cert_request(s, "target", raw)
        rsc = headers["x-m2m-rsc"]
        after = samples(scrape(mport))
        assert delta(before, after, 'm2msec_requests_total{op="retrieve",rsc="%s"}' % rsc) == 1
        assert sum(delta(before, after, k) for k in after if k.startswith("m2msec_requests_total")) == 1
        assert delta(before, after, 'm2msec_tls_handshakes_total{outcome="ok",sa_kind="cert"}') == 1
        assert "id-in" not in scrape(mport)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_websocket_request_counted(m2msec_bin, tmp_path):
    """A request primitive over WebSocket (TS-0020) is one request; the upgrade is none."""
    import json
    from binding_clients import ws_psk_exchange
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    key = c.add_psk("kpsa-wsm@" + SP, "Cwsm")
    c.wss_port, mport = free_port(), free_port()
    c.start("wss-listen = 127.0.0.1:%d\nmetrics-listen = 127.0.0.1:%d\n" % (c.wss_port, mport))
    try:
        wait_port(c.wss_port, c.proc)
        wait_port(mport, c.proc)
        before = samples(scrape(mport))
        text = json.dumps({"op": 2, "to": "cse-in", "fr": "Cwsm", "rqi": "w1", "rvi": "3"})
        answer = ws_psk_exchange(c.wss_port, "kpsa-wsm@" + SP, key, "id-in." + SP, text)
        assert answer is not None
        doc = json.loads(answer)
        rsc = int((doc.get("m2m:rsp") or doc)["rsc"])
        after = samples(scrape(mport))
        assert delta(before, after, 'm2msec_requests_total{op="retrieve",rsc="%d"}' % rsc) == 1
        assert sum(delta(before, after, k) for k in after if k.startswith("m2msec_requests_total")) == 1
        assert delta(before, after, 'm2msec_request_duration_seconds_count{op="retrieve"}') == 1
    finally:
        assert c.stop() == 0
