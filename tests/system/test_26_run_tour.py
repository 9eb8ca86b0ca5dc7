# SPDX-License-Identifier: Apache-2.0
"""`make run` with the MEF (issue 7, "Done when") and the MAF (issue 8, "CSE integration"):
scripts/run.sh prepares var/ with one configuration file (var/run.ini, [cse], [mef] and [maf]);
the test starts `m2msec mef`, `m2msec maf` and `m2msec cse` from it as make run does, then
executes every command of the printed tour as written (bash, in a directory that looks like the
repository: build/ and var/), asserting each outcome:
  1. `m2msec mef enrolee add ... --kpm-file var/dev1.kpm` registers the Kpm enrolee (TS-0003 §8.3);
  2. `m2msec enrol --mef ... --kpm-file ... --out var/dev1` prints the KeID (clause 10.3.1) and
     writes keid, ke and target.psk (0600);
  3. `openssl s_client -psk_identity "$(cat var/dev1/keid)" -psk "$(cat var/dev1/target.psk)"`
     registers the AE (2001): the CSE fetched the key from the MEF (clause 8.3.2.1,
     fetchCredentials) and bound the association to the Enrolee-ID; another From is 4106;
  4. `m2msec enrol ... --cert` gets a certificate for a device-generated key over EST (clause
     8.3.6) and the CSE accepts it (curl RETRIEVE of the AE: 2000);
  5. `m2msec maf client add ... --km-file var/ae1.km --client-id Cmaf1` adds a MAF client with a
     pre-provisioned Km (TS-0003 §8.8.2.2);
  6. `m2msec maf-client key ... --target //SP/id-in --out var/ae1` registers a Kc for the CSE
     (§8.8.2.7) and writes kcid, kc and target.psk (0600, the first half of Kc, §8.8.1);
  7. `openssl s_client -psk_identity "$(cat var/ae1/kcid)" -psk "$(cat var/ae1/target.psk)"`
     registers the AE (2001): the CSE retrieved Kc from the MAF (§8.8.2.8, the MAF's audit shows
     the CSE-ID's key-retrieval) and bound the association to Cmaf1 (§8.2.2.3);
  8. `m2msec maf-client key --enrolment var/dev1` (Km from the enrolment, §10.3.2; the MAF fetches
     it from the MEF) and Cmef1 reads its AE through that Kc (2000);
  9. `m2msec mef enrolee revoke` makes the next enrolment fail (exit 1, nothing written);
 10. `coap-client-openssl -u kpsa-coap1@SP -k "$(cat var/coap1.key)" -O 279,Ccoap1 ...
     coaps://...` registers an AE over CoAP/DTLS-PSK (TS-0008; its -v 7 trace shows 2.01 with the
     oneM2M-RSC option 307 = 2001, the association bound to Ccoap1);
 11. a `python3 -c` websockets one-liner with the certificate var/ws1.crt registers an AE over
     WebSocket/TLS with the oneM2M.json subprotocol (TS-0020; "rsc":2001);
 12. `mosquitto_rr --psk-identity kpsa-mqtt1@SP --psk "$(cat var/mqtt1.key)" -t
     /oneM2M/reg_req/12-kpsa-mqtt1@SP/id-in/json ...` registers an AE over MQTT through the real
     mosquitto broker configured by run.sh (var/mosquitto.conf, the ACL and psk_file of `m2msec
     mqtt-acl`), the CSE connected to it over TLS-PSK (TS-0010; "rsc":2001, aei Cmqtt1).
 14. GBA (see the test); 15. an MN-CSE (var/mn.ini) registered with the tour's CSE and `m2msec
     esprim` from its AE through it: a contentInstance created on the IN-CSE end to end ("rsc":2001),
     its content never in the MN's log.
Also: no key in the printed text or the MEF's or the MAF's log, and the full `make run`
(scripts/run.sh without M2MSEC_RUN_PREPARE_ONLY) starts the three services and the broker and stops
them on SIGINT."""
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest

from cse_harness import free_port, wait_port

SOURCE_DIR = os.environ.get("M2MSEC_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SP = "m2msec.example.com"
KPM_ID = "dev1@mef." + SP
KM_ID = "ae1@maf." + SP


def run_sh(m2msec_bin, var, port, mef_port, maf_port, prepare_only=True, coaps_port=None, wss_port=None,
           mqtt_port=None, das_port=None):
    env = dict(os.environ, M2MSEC_VAR=str(var), M2MSEC_PORT=str(port), M2MSEC_MEF_PORT=str(mef_port),
               M2MSEC_MAF_PORT=str(maf_port), M2MSEC_COAPS_PORT=str(coaps_port or free_port()),
               M2MSEC_WSS_PORT=str(wss_port or free_port()), M2MSEC_MQTT_PORT=str(mqtt_port or free_port()),
               M2MSEC_DAS_PORT=str(das_port or free_port()), M2MSEC_BSF_PORT=str(free_port()),
               M2MSEC_MN_PORT=str(free_port()))
    if prepare_only:
        env["M2MSEC_RUN_PREPARE_ONLY"] = "1"
    return env


def tour_blocks(text):
    """The command blocks of the printed tour (between "The tour" and "Without the MEF"): a
    command line is indented by exactly two spaces, its continuation lines (after a trailing
    backslash) by four; prose ends a block."""
    body = text[text.index("The tour"):text.index("Without the MEF")]
    blocks, cur, cont = [], [], False
    for line in body.splitlines():
        if cont or (line.startswith("  ") and not line.startswith("   ")):
            cur.append(line.strip() if not cont else line)
            cont = line.endswith("\\")
            continue
        if cur:
            blocks.append("\n".join(cur))
            cur = []
    if cur:
        blocks.append("\n".join(cur))
    return blocks


def bash(script, cwd):
    # `python3` of the printed tour is the interpreter running these tests (the Debian one, with
    # python3-websockets), as on a machine set up by scripts/deps.sh
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run(["/bin/bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=env)


def rsc(out):
    m = re.search(r"^X-M2M-RSC: *(\d+)", out, re.M | re.I)
    return int(m.group(1)) if m else None


MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)


def wait_log(path, needle, proc, timeout=60):
    """Wait until needle appears in the log file path (bounded wait for a start-up, not a timing
    assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and needle in open(path, errors="replace").read():
            return
        assert proc.poll() is None, "process ended before %r" % needle
        time.sleep(0.1)
    raise AssertionError("%r not in %s" % (needle, path))


def start(m2msec_bin, service, ini, port, cwd):
    log = open(os.path.join(cwd, service + ".out"), "w")
    proc = subprocess.Popen([m2msec_bin, service, "--config", str(ini)], cwd=cwd, stdout=log,
                            stderr=subprocess.STDOUT)
    wait_port(port, proc)
    return proc


@pytest.fixture
def tour(m2msec_bin, tmp_path):
    port, mef_port, maf_port = free_port(), free_port(), free_port()
    coaps_port, wss_port, mqtt_port, das_port = free_port(), free_port(), free_port(), free_port()
    var = tmp_path / "var"
    res = subprocess.run([os.path.join(SOURCE_DIR, "scripts", "run.sh"), os.path.dirname(m2msec_bin)],
                         env=run_sh(m2msec_bin, var, port, mef_port, maf_port, coaps_port=coaps_port,
                                    wss_port=wss_port, mqtt_port=mqtt_port, das_port=das_port),
                         capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, (res.stdout, res.stderr)
    os.symlink(os.path.dirname(m2msec_bin), tmp_path / "build")
    procs = []
    try:
        procs.append(start(m2msec_bin, "mef", var / "run.ini", mef_port, tmp_path))
        procs.append(start(m2msec_bin, "maf", var / "run.ini", maf_port, tmp_path))
        procs.append(start(m2msec_bin, "das", var / "run.ini", das_port, tmp_path))
        if MOSQUITTO is not None:  # the broker as run.sh starts it (var/mosquitto.conf)
            procs.append(subprocess.Popen([MOSQUITTO, "-c", str(var / "mosquitto.conf")], cwd=tmp_path,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_port(mqtt_port, procs[-1])
        procs.append(start(m2msec_bin, "cse", var / "run.ini", port, tmp_path))
        wait_port(wss_port, procs[-1])
        if MOSQUITTO is not None:  # the CSE connected over TLS-PSK and subscribed to its topics
            wait_log(var / "mosquitto.log", "Sending SUBACK to id-in", procs[-1])
        yield tmp_path, var, res.stdout + res.stderr, port, mef_port, maf_port, coaps_port, wss_port, mqtt_port
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=30)


def test_printed_tour_enrols_a_device_end_to_end(tour):
    cwd, var, out, port, mef_port, maf_port, coaps_port, wss_port, mqtt_port = tour
    blocks = tour_blocks(out)
    assert len(blocks) == 22, blocks
    (add, enrol, register, spoof, cert, maf_add, maf_key, maf_register, maf_audit, maf_enrol, revoke, look,
     coaps, wss, mqtt, dda_setup, dda_read, dda_audit, gba, mn_start, e2e_setup, e2e_esprim) = blocks
    assert "--kpm-file %s/dev1.kpm" % var in add and "--enrolee-id Cmef1 --target /id-in" in add

    # 1. the operator adds the Kpm enrolee (the Kpm travels in its 0600 file)
    r = bash(add, cwd)
    assert r.returncode == 0 and r.stdout.strip() == KPM_ID + " added", (r.stdout, r.stderr)

    # 2. the device enrols: the KeID on stdout, the keys in 0600 files
    r = bash(enrol, cwd)
    assert r.returncode == 0, r.stderr
    keid = r.stdout.strip()
    assert re.fullmatch(r"[0-9A-F]{32}@mef\.m2msec\.example\.com", keid), keid
    assert (var / "dev1" / "keid").read_text().strip() == keid
    for name in ("ke", "target.psk"):
        assert stat.S_IMODE(os.stat(var / "dev1" / name).st_mode) == 0o600

    # 3. TLS-PSK with the KeID to the CSE: the CSE fetches the key from the MEF; the AE registers
    r = bash(register, cwd)
    assert rsc(r.stdout) == 2001, (r.stdout, r.stderr)
    assert '"aei":"Cmef1"' in r.stdout.replace(" ", "")
    r = bash(spoof, cwd)
    assert rsc(r.stdout) == 4106, (r.stdout, r.stderr)   # From Cdev9 on Cmef1's association

    # 14. GBA (TS-0003 8.3.2.3): subscriber added, `m2msec enrol --gba` (Ub, Digest AKA), TLS-PSK
    # with psk_identity = the B-TID: the CSE fetched Ks_NAF over Zn and bound the association to Cgba1
    assert "--enrolee-id Cgba1 --naf id-in.%s" % SP in gba and "enrol --gba" in gba
    r = bash(gba, cwd)
    assert "subscriber gba1@ims.%s added" % SP in r.stdout, (r.stdout, r.stderr)
    btid = (var / "gba1" / "btid").read_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9+/]{22}==@mef\.m2msec\.example\.com", btid), btid
    for name in ("ks", "target.psk"):
        assert stat.S_IMODE(os.stat(var / "gba1" / name).st_mode) == 0o600
    assert rsc(r.stdout) == 2001, (r.stdout, r.stderr)
    assert '"aei":"Cgba1"' in r.stdout.replace(" ", "")

    # 15. end to end through a transit CSE (TS-0003 8.4): the MN-CSE of var/mn.ini registers with
    # the tour's CSE; `m2msec esprim` from its AE Cmn1 through the MN creates a contentInstance on
    # the IN-CSE, protected end to end: the MN's log never shows the inner content
    binary, *args = mn_start.split()
    assert os.path.basename(binary) == "m2msec" and args == ["cse", "--config", str(var / "mn.ini")], mn_start
    mn_port = int(re.search(r"^https-listen = 127\.0\.0\.1:(\d+)$", (var / "mn.ini").read_text(), re.M).group(1))
    mn = start(binary, "cse", var / "mn.ini", mn_port, cwd)
    try:
        wait_log(var / "mn.log", "registrar: registered", mn)
        r = bash(e2e_setup, cwd)
        assert re.findall(r"X-M2M-RSC: *(\d+)", r.stdout, re.I) == ["2001"] * 2, (r.stdout, r.stderr)
        assert "esprim --to https://127.0.0.1:%d/~/id-in" % mn_port in e2e_esprim
        r = bash(e2e_esprim, cwd)
        assert r.returncode == 0, (r.stdout, r.stderr)
        e2e = json.loads(r.stdout)
        assert e2e["rsc"] == 2001 and e2e["pc"]["m2m:cin"]["con"] == "e2e-secret", e2e
        assert "e2e-secret" not in (var / "mn.log").read_text()
    finally:
        mn.terminate()
        mn.wait(timeout=30)

    # 4. the certificate flavour: device-generated key, EST, then the CSE accepts the certificate
    if shutil.which("curl") is None:
        pytest.skip("curl (scripts/deps.sh) not installed")
    r = bash(cert, cwd)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert (var / "dev1" / "cert.pem").exists()
    assert stat.S_IMODE(os.stat(var / "dev1" / "cert.key").st_mode) == 0o600
    assert rsc(r.stdout) == 2000, r.stdout
    assert '"rn":"mef1"' in r.stdout.replace(" ", "")

    # 5. the operator adds a MAF client with a pre-provisioned Km (its 0600 file)
    r = bash(maf_add, cwd)
    assert r.returncode == 0 and r.stdout.strip() == KM_ID + " added client=Cmaf1", (r.stdout, r.stderr)

    # 6. Entity A registers a Kc for the CSE with the MAF: the Key Identifier on stdout, the keys in
    # 0600 files, target.psk = the first half of Kc (TS-0003 8.8.1 key split)
    assert "--target //%s/id-in --out %s/ae1" % (SP, var) in maf_key
    r = bash(maf_key, cwd)
    assert r.returncode == 0, (r.stdout, r.stderr)
    kcid = r.stdout.strip()
    assert re.fullmatch(r"[0-9A-F]{32}@maf\.m2msec\.example\.com", kcid), kcid
    assert (var / "ae1" / "kcid").read_text().strip() == kcid
    for name in ("kc", "target.psk"):
        assert stat.S_IMODE(os.stat(var / "ae1" / name).st_mode) == 0o600
    kc = (var / "ae1" / "kc").read_text().strip().lower()
    assert (var / "ae1" / "target.psk").read_text().strip().lower() == kc[:32]

    # 7. TLS-PSK with the Kc Key Identifier: the CSE retrieves Kc from the MAF, binds Cmaf1
    r = bash(maf_register, cwd)
    assert rsc(r.stdout) == 2001, (r.stdout, r.stderr)
    assert '"aei":"Cmaf1"' in r.stdout.replace(" ", "")
    r = bash(maf_audit, cwd)
    assert r.returncode == 0, r.stderr
    audits = [json.loads(ln) for ln in r.stdout.splitlines()]
    got = [(a["procedure"], a["outcome"], a["rsc"], a["client"], a["key_id"]) for a in audits]
    assert got == [("key-registration", "ok", 2001, "Cmaf1", kcid),
                   ("key-retrieval", "ok", 2000, "//%s/id-in" % SP, kcid)], got

    # 8. the enrolment flavour: Km from the enrolment of step 4, fetched by the MAF from the MEF;
    # Cmef1 reads its AE over the association with that Kc
    r = bash(maf_enrol, cwd)
    assert (var / "dev1-maf" / "kcid").exists(), (r.stdout, r.stderr)
    kcid2 = (var / "dev1-maf" / "kcid").read_text().strip()
    assert kcid2 in r.stdout and kcid2 != kcid
    assert rsc(r.stdout) == 2000, (r.stdout, r.stderr)
    assert '"rn":"mef1"' in r.stdout.replace(" ", "")
    retr = [json.loads(ln) for ln in (var / "maf.log").read_text().splitlines() if '"maf audit"' in ln]
    assert [(a["procedure"], a["client"]) for a in retr if a.get("key_id") == kcid2][-1] == \
        ("key-retrieval", "//%s/id-in" % SP)

    # 9. revoked: the next enrolment fails, nothing is written
    r = bash(revoke, cwd)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert KPM_ID + " revoked" in r.stdout or "revoked" in r.stdout
    assert "authentication failed" in r.stderr
    assert not (var / "dev1-again").exists()
    r = bash(look, cwd)
    assert r.returncode == 0, r.stderr
    assert "%s Cmef1 revoked" % KPM_ID in r.stdout

    # 10. CoAP over DTLS-PSK (TS-0008): the AE registers; coap-client drops the answer (unknown
    # critical oneM2M options) after its -v 7 trace printed it: 2.01, RSC option 307 = 2001
    assert "coaps://127.0.0.1:%d/cse-in" % coaps_port in coaps and '-k "$(cat %s/coap1.key)"' % var in coaps
    if shutil.which("coap-client-openssl") is None:
        pytest.skip("coap-client-openssl (libcoap3-bin, scripts/deps.sh) not installed")
    r = bash(coaps, cwd)
    # one answer: piggybacked in the ACK, or (when the write took longer than the CSE's wait
    # before an empty ACK, RFC 7252 5.2.2) a separate CON response
    acks = [ln for ln in r.stdout.splitlines() if re.search(r"t:(ACK|CON) c:2\.", ln)]
    assert len(acks) == 1, (r.stdout, r.stderr)
    assert " c:2.01 " in acks[0] and "307:\\x07\\xD1" in acks[0], acks[0]    # 0x07D1 = 2001
    assert '"aei":"Ccoap1"' in acks[0].replace(" ", ""), acks[0]

    # 11. WebSocket over TLS with the certificate of Cws1 (TS-0020): the AE registers
    assert "wss://127.0.0.1:%d/" % wss_port in wss and '"%s/ws1.crt"' % var in wss
    r = bash(wss, cwd)
    assert r.returncode == 0, (r.stdout, r.stderr)
    answer = json.loads(r.stdout)
    assert answer["rsc"] == 2001 and answer["rqi"] == "w1", answer
    assert answer["pc"]["m2m:ae"]["aei"] == "Cws1", answer

    # 13 (before 12, which may skip without mosquitto). direct dynamic authorization (TS-0003
    # 7.3.2.2): the ACP of dda lets only CAdmin in; Cws1's RETRIEVE is granted by the DAS's policy,
    # and the DAS audits one granted consultation
    r = bash(dda_setup, cwd)
    assert re.findall(r"X-M2M-RSC: *(\d+)", r.stdout, re.I) == ["2001"] * 3, (r.stdout, r.stderr)
    r = bash(dda_read, cwd)
    assert rsc(r.stdout) == 2000, (r.stdout, r.stderr)
    assert '"rn":"dda"' in r.stdout.replace(" ", "")
    for _ in range(100):  # the log sink writes from its own thread: bounded wait for the line
        r = bash(dda_audit, cwd)
        if r.stdout.strip():
            break
        time.sleep(0.1)
    a = json.loads(r.stdout)
    assert (a["kind"], a["outcome"], a["client"], a["originator"], a["resource"], a["acop"]) == \
        ("consultation", "granted", "//%s/id-in" % SP, "//%s/id-in/Cws1" % SP, "/id-in/cse-in/dda", 2), a

    # 12. MQTT over TLS through the real broker (TS-0010): the PSK client registers on the topic of
    # its Credential-ID; the CSE (a TLS-PSK client of the broker) resolves it to Cmqtt1
    assert "-p %d " % mqtt_port in mqtt and '--psk "$(cat %s/mqtt1.key)"' % var in mqtt
    assert "/oneM2M/reg_req/12-kpsa-mqtt1@%s/id-in/json" % SP in mqtt
    if MOSQUITTO is None or shutil.which("mosquitto_rr") is None:
        pytest.skip("mosquitto and mosquitto-clients (scripts/deps.sh) not installed")
    r = bash(mqtt, cwd)
    assert r.returncode == 0, (r.stdout, r.stderr)
    answer = json.loads(r.stdout)
    assert answer["rsc"] == 2001 and answer["rqi"] == "m1", answer
    assert answer["pc"]["m2m:ae"]["aei"] == "Cmqtt1", answer
    assert "u'kpsa-mqtt-cse@%s'" % SP in (var / "mosquitto.log").read_text()  # the CSE's PSK identity

    # no key anywhere the reader sees
    kpm = (var / "dev1.kpm").read_text().strip()
    text = out + (var / "mef.log").read_text() + (var / "maf.log").read_text()
    text += (var / "mosquitto.log").read_text() + (var / "mqtt.acl").read_text()
    secrets = [kpm, (var / "ae1.km").read_text().strip(), kc, (var / "dev1-maf" / "kc").read_text().strip()]
    secrets += [(var / "dev1" / name).read_text().strip() for name in ("ke", "target.psk")]
    secrets.append((var / "coap1.key").read_text().strip())
    secrets += [(var / name).read_text().strip() for name in ("mqtt1.key", "mqtt-cse.key", "mn1.key", "mn1.esp")]
    text += (var / "mn.log").read_text()
    for secret in secrets:
        assert secret.lower() not in text.lower()


def test_tour_config_is_one_file_with_three_sections(tour):
    cwd, var, out, port, mef_port, maf_port, coaps_port, wss_port, mqtt_port = tour
    text = (var / "run.ini").read_text()
    assert "[cse]" in text and "[mef]" in text and "[maf]" in text and "[das]" in text
    assert "mef-url = https://127.0.0.1:%d" % mef_port in text
    assert "https-listen = 127.0.0.1:%d" % mef_port in text
    assert "maf-url = https://127.0.0.1:%d" % maf_port in text
    assert "https-listen = 127.0.0.1:%d" % maf_port in text
    assert "maf-fqdns = maf.%s" % SP in text and "maf-name = maf.%s" % SP in text
    assert "coaps-listen = 127.0.0.1:%d" % coaps_port in text and "wss-listen = 127.0.0.1:%d" % wss_port in text
    assert "mqtt-broker = mqtts://127.0.0.1:%d" % mqtt_port in text and "mqtt-acl-enforced = true" in text
    assert "listener %d 127.0.0.1" % mqtt_port in (var / "mosquitto.conf").read_text()
    assert not (var / "cse.ini").exists()
    for name in ("dev1.kpm", "ae1.km", "mef.key", "maf.key", "server.key", "run.ini", "coap1.key", "ws1.key",
                 "mqtt1.key", "mqtt-cse.key", "mqtt.psk", "das.key"):
        assert stat.S_IMODE(os.stat(var / name).st_mode) == 0o600, name
    assert not re.search(r"-psk [0-9a-f]{64}", out)


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_make_run_starts_all_three_and_sigint_stops_them(m2msec_bin, tmp_path):
    """scripts/run.sh as `make run` runs it: the MEF and the MAF in the background (logs in var/),
    the CSE in the foreground; SIGINT to the script's process group (Ctrl-C) stops all three, and
    the mosquitto broker run.sh starts for the MQTT step with them."""
    port, mef_port, maf_port, wss_port, mqtt_port = free_port(), free_port(), free_port(), free_port(), free_port()
    das_port = free_port()
    proc = subprocess.Popen([os.path.join(SOURCE_DIR, "scripts", "run.sh"), os.path.dirname(m2msec_bin)],
                            env=run_sh(m2msec_bin, tmp_path / "var", port, mef_port, maf_port, prepare_only=False,
                                       wss_port=wss_port, mqtt_port=mqtt_port, das_port=das_port),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_port(mef_port, proc, timeout=60)
        wait_port(maf_port, proc, timeout=60)
        wait_port(das_port, proc, timeout=60)
        wait_port(port, proc, timeout=60)
        wait_port(wss_port, proc, timeout=60)
        if MOSQUITTO is not None:
            wait_port(mqtt_port, proc, timeout=60)
        assert (tmp_path / "var" / "mef.log").exists() and (tmp_path / "var" / "maf.log").exists()
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 30          # bounded wait for the shutdowns, not a timing check
        while ((port_open(mef_port) or port_open(maf_port) or port_open(mqtt_port) or port_open(das_port)) and
               time.monotonic() < deadline):
            time.sleep(0.1)
        assert not port_open(mef_port) and not port_open(maf_port) and not port_open(port)
        assert not port_open(wss_port) and not port_open(mqtt_port) and not port_open(das_port)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def test_usage_lists_every_command_aligned(m2msec_bin):
    """`m2msec --help` (the overview make run's reader meets first): every summary starts in the
    same column, also after the longest command name (maf-client)."""
    r = subprocess.run([m2msec_bin, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    listing = r.stdout[r.stdout.index("commands:\n") + len("commands:\n"):].split("\n\n")[0].splitlines()
    names = [ln.split()[0] for ln in listing]
    assert "maf-client" in names and "cse" in names
    width = max(len(n) for n in names)
    for ln in listing:
        assert ln.startswith("  ") and ln[2 + width] == " " and ln[3 + width] != " ", listing


def test_new_binding_ports_are_checked(m2msec_bin, tmp_path):
    """M2MSEC_COAPS_PORT / M2MSEC_WSS_PORT: a port number in range, not another service's port;
    anything else stops run.sh before it writes var/ (exit status 2, one line on stderr)."""
    port, mef_port, maf_port = free_port(), free_port(), free_port()
    for coaps, wss, want in ((port, None, "M2MSEC_COAPS_PORT %d is already the port of another service" % port),
                             (None, maf_port, "M2MSEC_WSS_PORT %d is already the port of another service" % maf_port),
                             (70000, None, "M2MSEC_COAPS_PORT 70000 is out of range"),
                             (None, "x1", "M2MSEC_WSS_PORT must be a port number, not 'x1'")):
        var = tmp_path / "var"
        env = run_sh(m2msec_bin, var, port, mef_port, maf_port, coaps_port=coaps, wss_port=wss)
        if coaps is not None and wss is None:
            env["M2MSEC_WSS_PORT"] = str(free_port())
        r = subprocess.run([os.path.join(SOURCE_DIR, "scripts", "run.sh"), os.path.dirname(m2msec_bin)], env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and r.stderr.strip() == "run.sh: " + want, (r.returncode, r.stderr)
        assert not var.exists()
    # the same port for both is refused too
    same = free_port()
    r = subprocess.run([os.path.join(SOURCE_DIR, "scripts", "run.sh"), os.path.dirname(m2msec_bin)],
                       env=run_sh(m2msec_bin, tmp_path / "var", port, mef_port, maf_port, coaps_port=same,
                                  wss_port=same), capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "M2MSEC_WSS_PORT %d is already the port of another service" % same in r.stderr
    # the broker's port (M2MSEC_MQTT_PORT) is checked the same way
    for mqtt, want in ((mef_port, "M2MSEC_MQTT_PORT %d is already the port of another service" % mef_port),
                       ("y", "M2MSEC_MQTT_PORT must be a port number, not 'y'")):
        r = subprocess.run([os.path.join(SOURCE_DIR, "scripts", "run.sh"), os.path.dirname(m2msec_bin)],
                           env=run_sh(m2msec_bin, tmp_path / "var", port, mef_port, maf_port, mqtt_port=mqtt),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and r.stderr.strip() == "run.sh: " + want, (r.returncode, r.stderr)
        assert not (tmp_path / "var").exists()
