# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of MQTT with pre-shared keys (TS-0010 V3.1.0 clauses 6.4.4, 7.2-7.4; TS-0003
clauses 8.2.1, 8.2.2.1 and 10.4) through a real mosquitto broker started by the test:

- the CSE connects to its broker over TLS-PSK (mqtt-psk-identity, mqtt-psk-file), with the identity
  the mosquitto psk_file written by `m2msec mqtt-acl` knows;
- a PSK client registers over /oneM2M/reg_req/<Credential-ID>/id-in, the Credential-ID being
  12-<KpsaID> (the ACL lets each PSK identity use its own only: "the broker fills the
  Credential-ID"); the CSE resolves it through the resolver chain HTTPS-PSK uses (psk-file,
  credential store) to the bound AE-ID, or to nothing but the Credential-ID (CSE-assigned AE-ID);
- a Credential-ID the CSE does not know (deleted) or that is revoked after the broker's ACL was
  written is refused with 4106; a wrong PSK is refused by the broker; a From other than the bound
  AE-ID is 4106 on reg_req and on req.
Nothing is timed: each answer is the subscriber's first message (-C 1), awaited on the broker's log.
"""
import json
import os
import subprocess
import threading

import pytest

from cse_harness import SP, Cse
from test_34_mqtt_acl import Broker, pytestmark  # noqa: F401  (skip without mosquitto)
from test_36_mqtt_cse import AE_BODY, ask, wait_broker_log

CSE_IDENT = "kpsa-cse@" + SP
CSE_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
K5, K6 = "55" * 32, "66" * 32


def cred(ident):
    return "12-" + ident


def write_secret(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def mqtt_keys(c, broker_port, key_file):
    return ("cred-store = %s\nmqtt-broker = mqtts://127.0.0.1:%d\nmqtt-psk-identity = %s\n"
            "mqtt-psk-file = %s\nmqtt-acl-enforced = true\n" % (c.path("creds.db"), broker_port, CSE_IDENT,
                                                               key_file))


def stop_broker(b):
    """Stop the broker: its log pipe is drained meanwhile (a broker blocked on a full stderr pipe
    would not see SIGTERM), and a broker that does not end is killed (cleanup, not an assertion)."""
    threading.Thread(target=lambda: b.log.extend(b.proc.stderr), daemon=True).start()
    b.proc.terminate()
    try:
        b.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        b.proc.kill()
        b.proc.wait(timeout=30)


@pytest.fixture
def env(m2msec_bin, tmp_path):
    c = Cse(m2msec_bin, tmp_path)
    c.setup_pki()
    c.m2m("ca", "issue", "--dir", c.path("ca"), "--out", c.path("broker"), "--san", "IP:127.0.0.1",
          "--cn", "broker")
    c.add_psk("kpsa1@" + SP, "CAE01")
    c.add_psk("kpsa3@" + SP, "CAE03")
    # kpsa9: in the psk-file the ACL is written from, no longer in the CSE's (c.start rewrites it)
    c.add_psk("kpsa9@" + SP, "CAE09")
    with open(c.path("psk.txt"), "w") as f:
        f.writelines("%s %s %s\n" % (i, k, bound) for i, (k, bound) in c.psks.items())
    os.chmod(c.path("psk.txt"), 0o600)
    # credential store: kpsa5 (CAE05, revoked later), kpsa6 (no owner: only its Credential-ID is
    # known)
    for ident, key, owner in (("kpsa5", K5, ["--owner", "CAE05"]), ("kpsa6", K6, [])):
        c.m2m("cred", "add", "--store", c.path("creds.db"), "--kind", "kpsa", "--id", ident + "@" + SP,
              "--key", "-", *owner, input=key)
    write_secret(c.path("mqtt-cse.key"), CSE_KEY + "\n")
    # `m2msec mqtt-acl` reads the CSE's own configuration; the broker's port is not known yet and
    # does not matter to the ACL
    with open(c.path("acl.ini"), "w") as f:
        f.write("cse-id = /id-in\nsp-id = //%s\nstore = %s\ncert = %s\nkey = %s\npsk-file = %s\n%s" %
                (SP, c.path("cse.db"), c.path("server.crt"), c.path("server.key"), c.path("psk.txt"),
                 mqtt_keys(c, 1, c.path("mqtt-cse.key"))))
    r = c.m2m("mqtt-acl", "--config", c.path("acl.ini"), "--acl-out", c.path("acl"), "--psk-out", c.path("mqtt.psk"))
    assert CSE_KEY not in r.stdout + r.stderr
    b = Broker(tmp_path, c.path("acl"), c.path("mqtt.psk"))
    c.k9 = c.psks.pop("kpsa9@" + SP)[0]
    guard = threading.Timer(300, b.proc.terminate)  # hang guard only, never an assertion
    guard.start()
    yield c, b
    guard.cancel()
    c.stop()
    stop_broker(b)


@pytest.fixture
def mqtt(env):
    c, b = env
    c.start(mqtt_keys(c, b.psk_port, c.path("mqtt-cse.key")))
    wait_broker_log(b, "Sending SUBACK to id-in")
    yield c, b
    assert c.stop() == 0


def register(b, c, ident, key, fr, rn, rqi):
    conn = b.psk_args(ident, key)
    return ask(b, conn, "A::" + ident.split("@")[0], "/oneM2M/reg_req/%s/id-in/json" % cred(ident),
               "/oneM2M/reg_resp/%s/id-in/#" % cred(ident),
               {"op": 1, "to": "/id-in", "fr": fr, "rqi": rqi, "rvi": "3", "ty": 2,
                "pc": json.loads(AE_BODY % rn)})


def test_ts0010_7_3_cse_connects_to_its_broker_over_tls_psk(mqtt):
    """The broker authenticated the CSE by its PSK: its username is the PSK identity that the
    psk_file of `m2msec mqtt-acl` holds, and the ACL granted it the CSE's topics (SUBACK). The key
    appears in no log and only in the 0600 psk_file."""
    c, b = mqtt
    assert any(" as id-in " in ln and "u'%s'" % CSE_IDENT in ln for ln in b.log), "".join(b.log[-20:])
    assert "%s:%s\n" % (CSE_IDENT, CSE_KEY) in open(c.path("mqtt.psk")).read()
    assert CSE_KEY not in open(c.path("acl")).read()
    assert CSE_KEY not in c.log_text() and CSE_KEY not in "".join(b.log)


def test_ts0010_7_2_psk_client_registers_with_its_credential_id(mqtt):
    """kpsa3 (psk-file, bound to CAE03) registers over reg_req/12-kpsa3@SP: the CSE resolved the
    Credential-ID to CAE03 (2001, aei CAE03); kpsa6 (credential store, no owner) registers with From
    C and gets a CSE-assigned AE-ID (TS-0003 8.2.1: only the Credential-ID is known)."""
    c, b = mqtt
    ident = "kpsa3@" + SP
    topic, a = register(b, c, ident, c.psks[ident][0], "CAE03", "ae03", "r3")
    assert topic == "/oneM2M/reg_resp/%s/id-in/json" % cred(ident)
    assert a["rsc"] == 2001 and a["rqi"] == "r3", a
    assert a["pc"]["m2m:ae"]["aei"] == "CAE03", a
    _, a = register(b, c, "kpsa6@" + SP, K6, "C", "ae06", "r6")
    assert a["rsc"] == 2001, a
    assert a["pc"]["m2m:ae"]["aei"].startswith("C") and a["pc"]["m2m:ae"]["aei"] != "C", a


def test_ts0010_7_2_unknown_or_revoked_credential_id_is_4106(mqtt):
    """The broker's ACL and psk_file are a snapshot: kpsa9, no longer in the CSE's psk-file, and
    kpsa5, revoked in the credential store after they were written, still reach the CSE, whose
    lookup (the one HTTPS-PSK uses) refuses them: 4106, no resource in the answer."""
    c, b = mqtt
    _, a = register(b, c, "kpsa9@" + SP, c.k9, "CAE09", "ae09", "u9")
    assert a["rsc"] == 4106 and a["rqi"] == "u9", a
    assert "m2m:ae" not in a.get("pc", {})
    _, a = register(b, c, "kpsa5@" + SP, K5, "CAE05", "ae05", "a5")
    assert a["rsc"] == 2001, a   # active: registered
    c.m2m("cred", "revoke", "--store", c.path("creds.db"), "--id", "kpsa5@" + SP)
    _, a = register(b, c, "kpsa5@" + SP, K5, "CAE05", "ae05b", "u5")
    assert a["rsc"] == 4106 and a["rqi"] == "u5", a
    assert "m2m:ae" not in a.get("pc", {})


def test_ts0010_7_2_spoofed_from_is_4106(mqtt):
    """kpsa1 is bound to CAE01: registering as CAE03 over its own reg_req topic is 4106 (the same
    originator rule as HTTPS-PSK), and so is a request on its req topic with From CAE03."""
    c, b = mqtt
    ident = "kpsa1@" + SP
    _, a = register(b, c, ident, c.psks[ident][0], "CAE03", "spoof", "s1")
    assert a["rsc"] == 4106 and a["rqi"] == "s1", a
    _, a = ask(b, b.psk_args(ident, c.psks[ident][0]), "A::CAE01", "/oneM2M/req/CAE01/id-in/json",
               "/oneM2M/resp/CAE01/id-in/#", {"op": 2, "to": "cse-in", "fr": "CAE03", "rqi": "s2", "rvi": "3"})
    assert a["rsc"] == 4106 and a["rqi"] == "s2", a


def test_ts0010_7_3_wrong_psk_is_refused_by_the_broker(mqtt):
    """A client with kpsa3's identity but another key never completes the TLS handshake with the
    broker (mosquitto_pub fails); kpsa3's own sentinel is the first answer it gets."""
    c, b = mqtt
    ident = "kpsa3@" + SP
    s = b.sub(b.psk_args(ident, c.psks[ident][0]), ["/oneM2M/reg_resp/%s/id-in/#" % cred(ident)], "A::kpsa3-sub")
    bad = subprocess.run(["mosquitto_pub", *b.psk_args(ident, "ab" * 32), "-i", "A::forger", "-q", "1",
                          "-t", "/oneM2M/reg_req/%s/id-in/json" % cred(ident),
                          "-m", json.dumps({"op": 1, "to": "/id-in", "fr": "CAE03", "rqi": "forged", "rvi": "3",
                                            "ty": 2, "pc": json.loads(AE_BODY % "forged")})],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0, (bad.stdout, bad.stderr)
    b.pub(b.psk_args(ident, c.psks[ident][0]), "/oneM2M/reg_req/%s/id-in/json" % cred(ident),
          json.dumps({"op": 2, "to": "/id-in", "fr": "CAE03", "rqi": "sentinel", "rvi": "3"}), "A::kpsa3")
    _, _, body = b.first_message(s).partition(" ")
    assert json.loads(body)["rqi"] == "sentinel"


def test_cse_with_a_wrong_psk_is_refused_by_the_broker(env):
    """The CSE's own key differs from the broker's psk_file: the broker refuses its handshake (and
    so never grants it the CSE's topics); the CSE keeps retrying and stops cleanly."""
    c, b = env
    write_secret(c.path("wrong.key"), "ab" * 32)
    c.start(mqtt_keys(c, b.psk_port, c.path("wrong.key")))
    for line in b.proc.stderr:
        b.log.append(line)
        assert "Sending SUBACK to id-in" not in line
        if "OpenSSL Error" in line or "Client <unknown> disconnected" in line:
            break
    assert not any("as id-in" in ln for ln in b.log), "".join(b.log[-20:])
    assert c.stop() == 0


@pytest.mark.parametrize("case", ["mode", "both", "half"])
def test_mqtt_psk_configuration_is_checked(env, case):
    """mqtt-psk-file is a credential file (0600 of the effective user, like psk-file); a PSK and
    a certificate towards the broker exclude each other; identity and file come together. The CSE
    does not start and names the key and its line."""
    c, b = env
    key = c.path("mqtt-cse.key")
    extra = mqtt_keys(c, b.psk_port, key)
    if case == "mode":
        os.chmod(key, 0o644)
        want = "mqtt-psk-file"
    elif case == "both":
        extra += "mqtt-cert = %s\nmqtt-key = %s\n" % (c.path("server.crt"), c.path("server.key"))
        want = "not both"
    else:
        extra = extra.replace("mqtt-psk-identity = %s\n" % CSE_IDENT, "")
        want = "mqtt-psk-identity and mqtt-psk-file must be given together"
    base = ("cse-id = /id-in\nsp-id = //%s\nstore = %s\nhttps-listen = 127.0.0.1:%d\ncert = %s\nkey = %s\n"
            "psk-file = %s\n" % (SP, c.path("cse.db"), c.port, c.path("server.crt"), c.path("server.key"),
                                 c.path("psk.txt")))
    with open(c.path("bad.ini"), "w") as f:
        f.write(base + extra)
    r = c.m2m("cse", "--config", c.path("bad.ini"), "--check", check=False)
    assert r.returncode != 0, (r.returncode, r.stdout, r.stderr)
    assert want in r.stderr, r.stderr
    assert CSE_KEY not in r.stdout + r.stderr
