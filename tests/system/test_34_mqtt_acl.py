# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of `m2msec mqtt-acl` (TS-0010 V3.1.0 clauses 7.2-7.4) with a real mosquitto.

The generated ACL and psk_file are loaded by a real `mosquitto` (Debian package) on loopback with a
certificate listener and a PSK listener (both `use_identity_as_username`); `mosquitto_pub` and
`mosquitto_sub` with TLS client certificates or --psk check that a client publishes only under its
own identity, that a publication under another's topic never reaches the subscriber (the broker
refuses it), and that only the CSE can read the CSE's request topics.

"Not delivered" is asserted without timing: after the refused publication (QoS 1, so the broker
has processed it when mosquitto_pub returns) an allowed sentinel is published, and the subscriber
(-C 1) must receive the sentinel as its first message.
"""
import os
import shutil
import stat
import subprocess

import pytest

from cse_harness import free_port

SP = "m2msec.example.com"
K1 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
K2 = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
KPSA1 = "kpsa1@" + SP  # bound to the AE CAE01 (registered)
KPSA3 = "kpsa3@" + SP  # no bound identity in the credential sense: psk-file binds it to CAE03

pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None and not os.path.exists("/usr/sbin/mosquitto"),
                                reason="mosquitto (scripts/deps.sh) is required")

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def ok(cp):
    assert cp.returncode == 0, (cp.returncode, cp.stdout, cp.stderr)
    return cp



@pytest.fixture
def pki(run, tmp_path):
    ca = tmp_path / "ca"
    ok(run("ca", "init", "--dir", ca, "--name", "Test CA", "--permit", SP))
    ok(run("ca", "issue", "--dir", ca, "--out", tmp_path / "broker", "--san", "IP:127.0.0.1", "--cn", "broker"))
    ok(run("ca", "issue", "--dir", ca, "--out", tmp_path / "cse", "--san", "id-in." + SP, "--cn", "id-in"))
    # certificate clients unknown to the configuration: no topic at all (not even reg_req)
    ok(run("ca", "issue", "--dir", ca, "--out", tmp_path / "dev9", "--san", "dev9." + SP, "--cn", "dev9"))
    ok(run("ca", "issue", "--dir", ca, "--out", tmp_path / "dev8", "--san", "dev8." + SP, "--cn", "dev8"))
    return tmp_path


def write_config(tmp_path, psk_lines):
    psk = tmp_path / "cse.psk"
    psk.write_text("".join(psk_lines))
    os.chmod(psk, 0o600)
    cfg = tmp_path / "cse.conf"
    cfg.write_text("[cse]\ncse-id = /id-in\nsp-id = //%s\nstore = %s\ncert = %s\nkey = %s\npsk-file = %s\n" %
                   (SP, tmp_path / "cse.db", tmp_path / "cse.crt", tmp_path / "cse.key", psk))
    return cfg


def test_acl_cli_contract(run, pki):
    cfg = write_config(pki, ["%s %s CAE01\n" % (KPSA1, K1)])
    acl, pskout = pki / "acl", pki / "psk"
    cp = ok(run("mqtt-acl", "--config", cfg, "--acl-out", acl, "--psk-out", pskout))
    assert K1 not in cp.stdout + cp.stderr
    text = acl.read_text()
    assert "user id-in\ntopic read /oneM2M/req/+/id-in/#\n" in text
    assert "user %s\ntopic write /oneM2M/req/CAE01/id-in/#\n" % KPSA1 in text
    # TS-0010 6.4.4/7.4: the ACL fills the Credential-ID (12-<KpsaID>, TS-0003 10.4); no %u pattern
    # lets a username that looks like a Credential-ID claim it
    assert "topic write /oneM2M/reg_req/12-%s/id-in/#\n" % KPSA1 in text
    assert "topic read /oneM2M/reg_resp/12-%s/id-in/#\n" % KPSA1 in text
    assert "pattern" not in text
    assert stat.S_IMODE(os.stat(pskout).st_mode) == 0o600
    assert pskout.read_text() == "%s:%s\n" % (KPSA1, K1)
    # missing required options: usage error
    assert run("mqtt-acl", "--config", cfg).returncode == 2
    assert "mqtt-acl" in run("--help").stdout


@pytest.mark.parametrize("bound", ["CA+E", "C#x", "CAE:1"])
def test_acl_refuses_unsafe_identity(run, pki, bound):
    """A bound ID that would break a topic level is refused (exit 2) and nothing is written."""
    cfg = write_config(pki, ["%s %s %s\n" % (KPSA1, K1, bound)])
    acl, pskout = pki / "acl", pki / "psk"
    cp = run("mqtt-acl", "--config", cfg, "--acl-out", acl, "--psk-out", pskout)
    assert cp.returncode == 2, (cp.stdout, cp.stderr)
    assert "psk-file" in cp.stderr and "line 1" in cp.stderr  # the one psk-file parser refuses it
    assert K1 not in cp.stdout + cp.stderr
    assert not acl.exists() and not pskout.exists()


@pytest.mark.parametrize("cn", ["id+in", "id#in", "id:in", "id/in", "id in"])
def test_acl_refuses_unsafe_cse_certificate_cn(run, pki, cn):
    """The CSE's broker identity (its certificate CN, = the mosquitto username) must be one safe
    ACL line, psk_file field and topic level: refused with exit 2, nothing written."""
    ok(run("ca", "issue", "--dir", pki / "ca", "--out", pki / "bad", "--san", "bad." + SP, "--cn", cn))
    cfg = write_config(pki, ["%s %s CAE01\n" % (KPSA1, K1)])
    cfg.write_text(cfg.read_text().replace(str(pki / "cse.crt"), str(pki / "bad.crt"))
                   .replace(str(pki / "cse.key"), str(pki / "bad.key")))
    acl, pskout = pki / "acl", pki / "psk"
    cp = run("mqtt-acl", "--config", cfg, "--acl-out", acl, "--psk-out", pskout)
    assert cp.returncode == 2, (cp.stdout, cp.stderr)
    assert "CN" in cp.stderr and K1 not in cp.stdout + cp.stderr
    assert not acl.exists() and not pskout.exists()


class Broker:
    def __init__(self, tmp_path, acl, pskfile):
        self.tmp = tmp_path
        self.cert_port, self.psk_port = free_port(), free_port()
        conf = tmp_path / "mosquitto.conf"
        lines = [
            "per_listener_settings false", "allow_anonymous false", "persistence false",
            "log_dest stderr", "log_type all", "acl_file %s" % acl, "psk_file %s" % pskfile,
            "listener %d 127.0.0.1" % self.cert_port, "cafile %s" % (tmp_path / "ca" / "ca.crt"),
            "certfile %s" % (tmp_path / "broker.crt"), "keyfile %s" % (tmp_path / "broker.key"),
            "require_certificate true", "use_identity_as_username true",
            "listener %d 127.0.0.1" % self.psk_port, "psk_hint m2msec", "use_identity_as_username true",
        ]
        if os.geteuid() == 0:
            # mosquitto drops to the user "mosquitto" when started as root, which cannot read the
            # test's private files; keep the test's own user instead.
            lines.insert(0, "user root")
        conf.write_text("\n".join(lines) + "\n")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.log = []
        for line in self.proc.stderr:
            self.log.append(line)
            if " running" in line:
                break
        assert self.proc.poll() is None, "".join(self.log)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def cert_args(self, who):
        return ["-h", "127.0.0.1", "-p", str(self.cert_port), "--cafile", str(self.tmp / "ca" / "ca.crt"),
                "--cert", str(self.tmp / (who + ".crt")), "--key", str(self.tmp / (who + ".key"))]

    def psk_args(self, identity, key):
        return ["-h", "127.0.0.1", "-p", str(self.psk_port), "--psk", key, "--psk-identity", identity,
                "--tls-version", "tlsv1.2"]

    def pub(self, conn, topic, msg, cid):
        cp = subprocess.run(["mosquitto_pub", *conn, "-i", cid, "-q", "1", "-t", topic, "-m", msg],
                            capture_output=True, text=True, timeout=60)
        assert cp.returncode == 0, (cp.stdout, cp.stderr)

    def sub(self, conn, topics, cid):
        """Start mosquitto_sub (-C 1) and return once the broker answered its SUBSCRIBE."""
        args = ["mosquitto_sub", *conn, "-i", cid, "-q", "1", "-C", "1", "-d", "-F", "MSG %t %p"]
        for t in topics:
            args += ["-t", t]
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # The client's stdout is block-buffered in a pipe; the broker's log (stderr) is not.
        for line in self.proc.stderr:
            self.log.append(line)
            if "Sending SUBACK to %s" % cid in line:
                break
        assert p.poll() is None, p.stdout.read()
        return p

    def first_message(self, p):
        out, _ = p.communicate(timeout=60)
        msgs = [line[4:] for line in out.splitlines() if line.startswith("MSG ")]
        assert msgs, out
        return msgs[0]


@pytest.fixture
def broker(run, pki):
    cfg = write_config(pki, ["%s %s CAE01\n" % (KPSA1, K1), "%s %s CAE03\n" % (KPSA3, K2)])
    acl, pskout = pki / "acl", pki / "psk"
    ok(run("mqtt-acl", "--config", cfg, "--acl-out", acl, "--psk-out", pskout))
    b = Broker(pki, acl, pskout)
    yield b
    b.stop()


def test_registered_ae_publishes_only_as_itself(broker):
    """TS-0010 7.4: AE CAE01 (PSK) may publish /oneM2M/req/CAE01/id-in; not CAE03's topic."""
    cse = broker.cert_args("cse")
    ae1 = broker.psk_args(KPSA1, K1)
    s = broker.sub(cse, ["/oneM2M/req/+/id-in/#"], "C::id-in")
    broker.pub(ae1, "/oneM2M/req/CAE03/id-in/json", "spoofed", "A::CAE01")  # refused by the broker
    broker.pub(ae1, "/oneM2M/req/CAE01/id-in/json", "own", "A::CAE01")
    assert broker.first_message(s) == "/oneM2M/req/CAE01/id-in/json own"


def test_response_topics_are_the_cse_s(broker):
    """An AE cannot answer in the CSE's name: /oneM2M/resp/CAE03/id-in is the CSE's to publish."""
    ae3 = broker.psk_args(KPSA3, K2)
    ae1 = broker.psk_args(KPSA1, K1)
    s = broker.sub(ae3, ["/oneM2M/resp/CAE03/id-in/#"], "A::CAE03")
    broker.pub(ae1, "/oneM2M/resp/CAE03/id-in/json", "forged", "A::CAE01")
    broker.pub(broker.cert_args("cse"), "/oneM2M/resp/CAE03/id-in/json", "real", "C::id-in")
    assert broker.first_message(s) == "/oneM2M/resp/CAE03/id-in/json real"


def test_only_the_cse_reads_its_request_topic(broker):
    """An AE subscribing to the CSE's request topic gets nothing; the CSE gets the request."""
    ae1 = broker.psk_args(KPSA1, K1)
    ae3 = broker.psk_args(KPSA3, K2)
    spy = broker.sub(ae3, ["/oneM2M/req/+/id-in/#", "/oneM2M/resp/CAE03/id-in/#"], "A::CAE03")
    cse = broker.sub(broker.cert_args("cse"), ["/oneM2M/req/+/id-in/#"], "C::id-in")
    broker.pub(ae1, "/oneM2M/req/CAE01/id-in/json", "secret-request", "A::CAE01")
    assert broker.first_message(cse) == "/oneM2M/req/CAE01/id-in/json secret-request"
    broker.pub(broker.cert_args("cse"), "/oneM2M/resp/CAE03/id-in/json", "sentinel", "C::id-in")
    assert broker.first_message(spy) == "/oneM2M/resp/CAE03/id-in/json sentinel"


def test_unregistered_client_only_registers_under_its_identity(broker):
    """TS-0010 7.4 'all other cases' + 6.4.4: a PSK client may publish registration requests only
    under its own Credential-ID /oneM2M/reg_req/12-<its KpsaID>/...: not under its bare identity,
    not under another's Credential-ID; a certificate client unknown to the configuration (dev9)
    has no registration topic at all."""
    dev9 = broker.cert_args("dev9")
    ae1 = broker.psk_args(KPSA1, K1)
    s = broker.sub(broker.cert_args("cse"), ["/oneM2M/req/+/id-in/#", "/oneM2M/reg_req/+/id-in/#"], "C::id-in")
    broker.pub(dev9, "/oneM2M/req/dev9/id-in/json", "not-registered", "dev9")
    broker.pub(dev9, "/oneM2M/reg_req/dev9/id-in/json", "unknown-certificate", "dev9")
    broker.pub(ae1, "/oneM2M/reg_req/%s/id-in/json" % KPSA1, "bare-identity", "A::CAE01")
    broker.pub(ae1, "/oneM2M/reg_req/12-%s/id-in/json" % KPSA3, "other-credential", "A::CAE01")
    broker.pub(ae1, "/oneM2M/reg_req/12-%s/id-in/json" % KPSA1, "register", "A::CAE01")
    assert broker.first_message(s) == "/oneM2M/reg_req/12-%s/id-in/json register" % KPSA1


def test_acl_from_credential_store(run, pki):
    """Active Kpsa records (owner = bound AE-ID) and certificate records with an owner (username =
    the certificate's CN) get their own topics; a revoked record gets nothing and its key is not
    exported; the broker then enforces it for the certificate client."""
    store = pki / "creds.db"
    k5, k7 = "55" * 32, "77" * 32
    ok(run("cred", "add", "--store", store, "--kind", "kpsa", "--id", "kpsa5@" + SP, "--key", k5,
           "--owner", "CAE05"))
    ok(run("cred", "add", "--store", store, "--kind", "kpsa", "--id", "kpsa7@" + SP, "--key", k7,
           "--owner", "CAE07"))
    ok(run("cred", "revoke", "--store", store, "--id", "kpsa7@" + SP))
    ok(run("ca", "issue", "--dir", pki / "ca", "--out", pki / "ae6", "--san",
           "m2m://%s/id-in/CAE06" % SP, "--cn", "ae6"))
    ok(run("cred", "add", "--store", store, "--kind", "cert", "--cert", pki / "ae6.crt", "--owner", "CAE06"))
    cfg = write_config(pki, [])
    cfg.write_text(cfg.read_text() + "cred-store = %s\n" % store)
    acl, pskout = pki / "acl", pki / "psk"
    cp = ok(run("mqtt-acl", "--config", cfg, "--acl-out", acl, "--psk-out", pskout))
    assert k5 not in cp.stdout + cp.stderr
    text = acl.read_text()
    assert "user kpsa5@%s\ntopic write /oneM2M/req/CAE05/id-in/#\n" % SP in text
    assert "user ae6\ntopic write /oneM2M/req/CAE06/id-in/#\n" in text
    assert "CAE07" not in text and "kpsa7" not in text
    assert pskout.read_text() == "kpsa5@%s:%s\n" % (SP, k5)

    b = Broker(pki, acl, pskout)
    try:
        s = b.sub(b.cert_args("cse"), ["/oneM2M/req/+/id-in/#"], "C::id-in")
        b.pub(b.cert_args("ae6"), "/oneM2M/req/CAE05/id-in/json", "spoofed", "A::CAE06")
        b.pub(b.cert_args("ae6"), "/oneM2M/req/CAE06/id-in/json", "own", "A::CAE06")
        assert b.first_message(s) == "/oneM2M/req/CAE06/id-in/json own"
    finally:
        b.stop()
