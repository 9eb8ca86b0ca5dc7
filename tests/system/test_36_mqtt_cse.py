# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of the CSE's MQTT binding (TS-0010 V3.1.0) through a real mosquitto broker.

The broker runs the ACL and psk_file written by `m2msec mqtt-acl` for the CSE's own configuration
(test_34_mqtt_acl's Broker: a certificate listener and a PSK listener, `use_identity_as_username`);
the CSE connects with `mqtt-broker` as its CSE-ID; `mosquitto_pub` / `mosquitto_sub` act as the
AEs (TLS-PSK) and as an unregistered device (TLS certificate). Nothing is timed: every answer is
awaited as the subscriber's first message (-C 1), and "not delivered" is shown by a sentinel
request whose answer must be the first one to arrive (the CSE answers reads in order on one thread;
answers it gives later, docs/mqtt-binding.md, may come after).
"""
import json
import os
import threading

import pytest

from cse_harness import SP, Cse
import test_34_mqtt_acl
from test_34_mqtt_acl import Broker, pytestmark  # noqa: F401  (skip without mosquitto)

AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'


def wait_broker_log(b, needle):
    for line in b.proc.stderr:
        b.log.append(line)
        if needle in line:
            return
    raise AssertionError("broker ended before %r:\n%s" % (needle, "".join(b.log[-40:])))


def start_with_broker(c, tmp, extra="", before_start=None):
    """The CSE c (PKI set up here) with a real mosquitto in front: the broker's certificate, the
    Kpsa of CAE01 and CAE03, the ACL and PSK files `m2msec mqtt-acl` makes from the CSE's own
    configuration, then the CSE connected to the broker (extra: more configuration lines;
    before_start(c): last steps before the CSE starts). Returns (broker, hang-guard timer) once the
    CSE has subscribed."""
    c.setup_pki()
    c.m2m("ca", "issue", "--dir", c.path("ca"), "--out", c.path("broker"), "--san", "IP:127.0.0.1",
          "--cn", "broker")
    c.add_psk("kpsa1@" + SP, "CAE01")
    c.add_psk("kpsa3@" + SP, "CAE03")
    # `m2msec mqtt-acl` reads the CSE's own configuration (cse-id, cert CN, psk-file)
    with open(c.path("psk.txt"), "w") as f:
        f.writelines("%s %s %s\n" % (i, k, bound) for i, (k, bound) in c.psks.items())
    os.chmod(c.path("psk.txt"), 0o600)
    with open(c.path("acl.ini"), "w") as f:
        f.write("cse-id = /id-in\nsp-id = //%s\nstore = %s\ncert = %s\nkey = %s\npsk-file = %s\n" %
                (SP, c.path("cse.db"), c.path("server.crt"), c.path("server.key"), c.path("psk.txt")))
    c.m2m("mqtt-acl", "--config", c.path("acl.ini"), "--acl-out", c.path("acl"), "--psk-out", c.path("mqtt.psk"))
    if before_start is not None:
        before_start(c)
    b = Broker(tmp, c.path("acl"), c.path("mqtt.psk"))
    c.start("mqtt-broker = mqtts://127.0.0.1:%d\nmqtt-ca = %s\nmqtt-cert = %s\nmqtt-key = %s\n"
            "mqtt-acl-enforced = true\n%s" % (b.cert_port, c.path("ca/ca.crt"), c.path("server.crt"),
                                               c.path("server.key"), extra))
    guard = threading.Timer(300, b.proc.terminate)  # hang guard only, never an assertion
    guard.start()
    wait_broker_log(b, "Sending SUBACK to id-in")
    return b, guard


@pytest.fixture
def mqtt(m2msec_bin, tmp_path):
    c = Cse(m2msec_bin, tmp_path)
    b, guard = start_with_broker(c, tmp_path, before_start=lambda c: c.m2m(
        "ca", "issue", "--dir", c.path("ca"), "--out", c.path("dev9"), "--san", "dev9." + SP, "--cn", "dev9"))
    yield c, b
    guard.cancel()
    assert c.stop() == 0  # SIGTERM: the MQTT thread disconnects and is joined
    b.stop()


def ask(b, conn, cid, req_topic, resp_topic, payload):
    """Publish one request, return (topic, JSON answer) of the first message on resp_topic."""
    s = b.sub(conn, [resp_topic], cid + "-sub")
    b.pub(conn, req_topic, json.dumps(payload), cid)
    topic, _, body = b.first_message(s).partition(" ")
    return topic, json.loads(body)


def psk(c, b, ident):
    return b.psk_args(ident, c.psks[ident][0])


def test_ts0010_6_4_4_registration_over_reg_req(mqtt):
    """The PSK client kpsa3 registers over /oneM2M/reg_req/12-kpsa3@SP/id-in (the Credential-ID the
    ACL lets it use): the CSE resolves the Credential-ID through the psk-file to its bound AE-ID
    CAE03 (TS-0010 7.2, TS-0003 8.2.1) and answers 2001 on reg_resp. More in test_43_mqtt_psk."""
    c, b = mqtt
    cred = "12-kpsa3@" + SP
    topic, a = ask(b, psk(c, b, "kpsa3@" + SP), "A::CAE03", "/oneM2M/reg_req/%s/id-in/json" % cred,
                   "/oneM2M/reg_resp/%s/id-in/#" % cred,
                   {"op": 1, "to": "/id-in", "fr": "CAE03", "rqi": "reg1", "rvi": "3", "ty": 2,
                    "pc": json.loads(AE_BODY % "ae03")})
    assert topic == "/oneM2M/reg_resp/%s/id-in/json" % cred
    assert a["rsc"] == 2001, a
    assert a["rqi"] == "reg1"
    assert a["pc"]["m2m:ae"]["aei"] == "CAE03"


def test_ts0010_retrieve_over_req_and_acp(mqtt):
    """CAE01 (registered over HTTPS with its PSK) retrieves its AE over MQTT: 2000 on resp; the
    CSEBase is not its to read: 4103, the same decision as over HTTPS."""
    c, b = mqtt
    r = c.psk("POST", "/cse-in", "CAE01", "kpsa1@" + SP, AE_BODY % "ae01", ty=2)
    assert r.rsc == 2001, r
    conn = psk(c, b, "kpsa1@" + SP)
    topic, a = ask(b, conn, "A::CAE01", "/oneM2M/req/CAE01/id-in/json", "/oneM2M/resp/CAE01/id-in/#",
                   {"op": 2, "to": "cse-in/ae01", "fr": "CAE01", "rqi": "get1", "rvi": "3"})
    assert topic == "/oneM2M/resp/CAE01/id-in/json"
    assert a["rsc"] == 2000, a
    assert a["rqi"] == "get1" and a["to"] == "CAE01"
    assert a["pc"]["m2m:ae"]["aei"] == "CAE01"
    _, a = ask(b, conn, "A::CAE01", "/oneM2M/req/CAE01/id-in/json", "/oneM2M/resp/CAE01/id-in/#",
               {"op": 2, "to": "cse-in", "fr": "CAE01", "rqi": "get2", "rvi": "3"})
    assert a["rsc"] == 4103, a


def test_ts0010_7_2_spoofed_from_is_4106(mqtt):
    """On its own topic CAE01 claims to be CAE03: 4106, nothing done."""
    c, b = mqtt
    _, a = ask(b, psk(c, b, "kpsa1@" + SP), "A::CAE01", "/oneM2M/req/CAE01/id-in/json",
               "/oneM2M/resp/CAE01/id-in/#", {"op": 2, "to": "cse-in", "fr": "CAE03", "rqi": "spoof", "rvi": "3"})
    assert a["rsc"] == 4106, a
    assert a["rqi"] == "spoof"


def test_ts0010_7_4_publishing_under_another_topic_never_reaches_the_cse(mqtt):
    """CAE01 publishes on CAE03's request topic: the broker refuses it, the CSE never answers it;
    CAE03's own sentinel request is the first answer CAE03 gets."""
    c, b = mqtt
    ae3 = psk(c, b, "kpsa3@" + SP)
    s = b.sub(ae3, ["/oneM2M/resp/CAE03/id-in/#"], "A::CAE03-sub")
    b.pub(psk(c, b, "kpsa1@" + SP), "/oneM2M/req/CAE03/id-in/json",
          json.dumps({"op": 2, "to": "cse-in", "fr": "CAE03", "rqi": "forged", "rvi": "3"}), "A::CAE01")
    b.pub(ae3, "/oneM2M/req/CAE03/id-in/json",
          json.dumps({"op": 2, "to": "cse-in", "fr": "CAE03", "rqi": "sentinel", "rvi": "3"}), "A::CAE03")
    _, _, body = b.first_message(s).partition(" ")
    assert json.loads(body)["rqi"] == "sentinel"


def test_reconnects_after_the_broker_restarts(mqtt, monkeypatch):
    """The broker goes away and comes back on the same ports: the CSE reconnects (backoff) and
    subscribes again, then answers as before. Awaited on the broker's log, never timed."""
    c, b = mqtt
    ports = iter([b.cert_port, b.psk_port])
    b.stop()
    monkeypatch.setattr(test_34_mqtt_acl, "free_port", lambda: next(ports))
    b2 = Broker(b.tmp, c.path("acl"), c.path("mqtt.psk"))
    try:
        wait_broker_log(b2, "Sending SUBACK to id-in")
        _, a = ask(b2, psk(c, b2, "kpsa1@" + SP), "A::CAE01", "/oneM2M/req/CAE01/id-in/json",
                   "/oneM2M/resp/CAE01/id-in/#", {"op": 2, "to": "cse-in", "fr": "CAE03", "rqi": "again", "rvi": "3"})
        assert a["rsc"] == 4106 and a["rqi"] == "again", a
    finally:
        b2.stop()
    b.proc = b2.proc  # the fixture's teardown stops it again (idempotent)


def test_unreachable_broker_blocks_nothing_and_stops_cleanly(m2msec_bin, tmp_path):
    """No broker on mqtt-broker: the CSE starts, serves HTTPS (the MQTT thread retries with its
    backoff on its own), and SIGTERM stops it cleanly."""
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    c.add_psk("kpsa1@" + SP, "CAE01")
    nobody = __import__("cse_harness").free_port()
    c.start("mqtt-broker = mqtts://127.0.0.1:%d\nmqtt-ca = %s\nmqtt-cert = %s\nmqtt-key = %s\n"
            "mqtt-acl-enforced = true\n" % (nobody, c.path("ca/ca.crt"), c.path("server.crt"), c.path("server.key")))
    try:
        r = c.psk("POST", "/cse-in", "CAE01", "kpsa1@" + SP, AE_BODY % "ae01", ty=2)
        assert r.rsc == 2001, r
    finally:
        assert c.stop() == 0


def test_mqtt_broker_without_acl_statement_does_not_start(m2msec_bin, tmp_path):
    """Fail closed: without mqtt-acl-enforced = true the topics prove nothing; the CSE refuses to
    start (configuration error naming the line), and an mqtt:// broker is refused the same way."""
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    base = "cse-id = /id-in\nsp-id = //%s\nstore = %s\ncert = %s\nkey = %s\ntrust-anchors = %s\n" % (
        SP, c.path("cse.db"), c.path("server.crt"), c.path("server.key"), c.path("ca/ca.crt"))
    mq = "mqtt-broker = %s\nmqtt-ca = %s\nmqtt-cert = %s\nmqtt-key = %s\n"
    for extra, want in [
        (mq % ("mqtts://127.0.0.1:1", c.path("ca/ca.crt"), c.path("server.crt"), c.path("server.key")),
         "line 7: mqtt-broker needs mqtt-acl-enforced = true"),
        (mq % ("mqtt://127.0.0.1:1", c.path("ca/ca.crt"), c.path("server.crt"), c.path("server.key")) +
         "mqtt-acl-enforced = true\n", "line 7: mqtt-broker must be mqtts://HOST:PORT"),
    ]:
        with open(c.path("bad.ini"), "w") as f:
            f.write(base + extra)
        r = c.m2m("cse", "--config", c.path("bad.ini"), "--check", check=False)
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert want in r.stderr, r.stderr
