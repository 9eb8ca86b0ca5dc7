# SPDX-License-Identifier: Apache-2.0
"""Independent clients of the non-HTTP bindings, shared by the system tests (test_33 CoAP/DTLS,
test_35 WebSocket, test_37 the binding matrix): `coap-client-openssl` (libcoap3-bin) with `-u/-k`
PSK and the oneM2M options given with `-O` (TS-0008 Table 6.2.2.4.0-1: From 279, RQI 283, RVI
271, TY 267), Python `websockets` over TLS with a client certificate (TS-0020 clause 7), and
`mosquitto_rr` / `mosquitto_pub` with a TLS certificate or PSK through a broker (TS-0010).

libcoap 4.3.1 (the client) discards a response carrying critical options it does not know, and
every oneM2M option is critical; so the answer is read from the client's debug trace of the
received message (`-v 7`), which prints it before discarding it."""
import asyncio
import json
import os
import re
import secrets
import ssl
import string
import struct
import subprocess
import tempfile

COAP_CLIENT = "coap-client-openssl"
ACK = re.compile(r"v:1 t:(ACK|NON|RST|CON) c:(\S+) i:\w+ \{[0-9A-Fa-f]*\}(?: \[ (.*?) \])?"
                 r"(?: :: '(.*)'| :: binary data length (\d+))?$")
HEXDUMP = re.compile(r"^<<([0-9a-fA-F]*)>>$")


def ascii_key():
    # coap-client takes -k literally: a 32-byte printable key, written hex-encoded in psk-file
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


class CoapReply:
    def __init__(self, code, opts, payload, mtype="ACK"):
        self.code, self.opts, self.payload = code, opts, payload
        self.mtype = mtype  # ACK (piggybacked), CON (separate response), NON

    @property
    def rsc(self):
        v = self.opts.get(307)
        return int.from_bytes(v, "big") if v is not None else None

    def __repr__(self):
        return "CoapReply(%s, rsc=%s, %r)" % (self.code, self.rsc, self.payload)


def parse_value(text):
    out, i = bytearray(), 0
    while i < len(text):
        if text.startswith("\\x", i):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            out += text[i].encode()
            i += 1
    return bytes(out)


# libcoap prints Content-Format and Accept by media type name when it knows it (RFC 7252 clause
# 12.3); back to the number, as a uint option value of the fewest bytes (RFC 7252 clause 3.2).
MEDIA = {"text/plain": 0, "application/link-format": 40, "application/xml": 41,
         "application/octet-stream": 42, "application/exi": 47, "application/json": 50,
         "application/cbor": 60}


def parse_opts(text):
    """Options of a trace line: numbered ones (the oneM2M options libcoap does not know) as bytes
    under their number, named ones (Block2:1/M/1024, Size2:3201, ETag:0x...) as text under their
    name (the last one when repeated); Content-Format and Accept also as numbers under 12 / 17."""
    opts = {}
    for m in re.finditer(r"(?:^|, )(\d+|[A-Za-z][A-Za-z0-9-]*):((?:\\x[0-9A-Fa-f]{2}|[^,\\])*)", text or ""):
        if m.group(1).isdigit():
            opts[int(m.group(1))] = parse_value(m.group(2))
        else:
            opts[m.group(1)] = m.group(2)
    for m in re.finditer(r"(?:^|, )(Content-Format|Accept):([^,]*)", text or ""):
        v = MEDIA.get(m.group(2)) if m.group(2) in MEDIA else int(m.group(2)) if m.group(2).isdigit() else -1
        num = 12 if m.group(1) == "Content-Format" else 17
        opts[num] = v.to_bytes((v.bit_length() + 7) // 8, "big") if v >= 0 else b"?"
    return opts


def coap(c, method, path, origin, identity=None, key=None, body=None, ty=None, rqi="rq1", secure=True,
         rvi="3", cf=None, accept=None, trace=None, local_port=None, body_file=None, block=None, extra=(),
         cert=None, ca=None, separate=None):
    """One request to the CSE `c` (c.coaps_port / c.coap_port, c.coap_keys); rqi / rvi None leave
    the option out. body is text (sent with `-e`, Content-Format cf or 50) or bytes (written to a
    file and sent with `-f`, Content-Format cf or 60 application/cbor); accept sets `-A`,
    local_port the client's own UDP port (`-p`: one plain CoAP peer over several runs). With trace
    a list, the client's trace lines are appended to it.
    Block-wise (RFC 7959): body_file is sent with -f in Block1 blocks of -b `block` ("SIZE" or
    "NUM,SIZE": a GET then asks for Block2 block NUM); 2.31 Continue answers are passed over, the
    reply is the final one. extra: more client arguments (e.g. ["-O", "23,0x16"]).
    PSK: `identity` and `key` (text, or bytes without NUL: coap-client takes -k as it is).
    Certificate: `cert` = (crt, key) files and/or `ca` (-C: the CA that signed the CSE's).
    separate: None (any test that is not about it) takes the answer piggybacked in the ACK or as a
    separate response (empty ACK, then a CON; RFC 7252 clause 5.2.2): which one depends on whether
    the answer came within the CSE's short wait before an empty ACK, i.e. on timing. True: the CSE
    genuinely holds the request (a <subscription> waiting for its verification). False: the answer
    must be piggybacked (the tests of that wait, test_73).
    Returns CoapReply or None when nothing came back (e.g. a failed handshake)."""
    args = [COAP_CLIENT, "-B", "4", "-v", "7", "-m", method]
    if block is not None:
        args += ["-b", str(block)]
    if local_port is not None:
        args += ["-p", str(local_port)]
    if body_file is not None:
        args += ["-t", "50", "-f", body_file]
    args += list(extra)
    if rvi is not None:
        args += ["-O", "271,%s" % rvi]
    if rqi is not None:
        args += ["-O", "283,%s" % rqi]
    if origin is not None:
        args += ["-O", "279,%s" % origin]
    if ty is not None:
        args += ["-O", "267,0x%02x" % ty]
    tmp = None
    if isinstance(body, bytes):
        fd, tmp = tempfile.mkstemp(prefix="coap-body-")
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        args += ["-t", str(cf if cf is not None else 60), "-f", tmp]
    elif body is not None:
        args += ["-t", str(cf if cf is not None else 50), "-e", body]
    if accept is not None:
        args += ["-A", str(accept)]
    if secure and identity is not None:
        args += ["-u", identity, "-k", key if key is not None else c.coap_keys[identity]]
    if secure and cert is not None:
        args += ["-c", cert[0], "-j", cert[1]]
    if secure and ca is not None:
        args += ["-C", ca]
    if secure:
        url = "coaps://127.0.0.1:%d%s" % (c.coaps_port, path)
    else:
        url = "coap://127.0.0.1:%d%s" % (c.coap_port, path)
    # The client waits out -B after discarding the answer: read its trace as it comes and end it
    # at the first answer, so a request costs a handshake, not the wait.
    p = subprocess.Popen(args + [url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in p.stdout:
            if trace is not None:
                trace.append(line)
            m = ACK.search(line.rstrip("\n"))
            # an answer: piggybacked (ACK), NON, or a separate response (a CON with a response
            # code, RFC 7252 5.2.2) - not the client's own CON request nor the empty ACK (0.00)
            if m and m.group(1) != "RST" and re.match(r"[1-5]\.\d\d$", m.group(2)) and m.group(2) != "2.31":
                payload = m.group(4)
                if m.group(5) is not None:  # a binary (CBOR) payload: libcoap hex-dumps it next
                    h = HEXDUMP.match(next(p.stdout, "").strip())
                    payload = bytes.fromhex(h.group(1)) if h else None
                assert separate is not False or m.group(1) != "CON", "a separate response, not piggybacked: %s" % line
                return CoapReply(m.group(2), parse_opts(m.group(3)), payload, m.group(1))
        return None
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=60)
        p.stdout.close()
        if tmp is not None:
            os.unlink(tmp)


# ---- WebSocket over TLS (TS-0020) ---------------------------------------------------------------

def tls_ctx(cse, crt, key):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cse.path("ca/ca.crt"))
    ctx.load_cert_chain(crt, key)
    return ctx


def ws_url(cse):
    return "wss://127.0.0.1:%d/" % cse.wss_port


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


async def exchange(ws, prim):
    """Send one primitive (a dict, or the exact text of the message) and read one answer."""
    await ws.send(prim if isinstance(prim, str) else json.dumps(prim))
    return json.loads(await ws.recv())


# ---- WebSocket over TLS-PSK: a hand-made client over `openssl s_client -psk` ---------------------
# Python's ssl has no TLS-PSK client before 3.13, so the PSK flavour speaks RFC 6455 itself (test
# code only: one masked text frame out, unmasked frames in) through s_client's pipes.

def _read_exact(f, n):
    out = b""
    while len(out) < n:
        chunk = f.read(n - len(out))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def _ws_frame(opcode, payload):
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ws_psk_exchange(port, identity, hexkey, host, text):
    """Open TLS-PSK, upgrade to oneM2M.json, send one text message and return the first text
    message of the answer (a str), or None when the handshake or the upgrade was refused."""
    cmd = ["openssl", "s_client", "-quiet", "-tls1_2", "-psk", hexkey, "-psk_identity", identity,
           "-cipher", "PSK-AES128-CBC-SHA256", "-connect", "127.0.0.1:%d" % port, "-servername", host]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         bufsize=0)
    try:
        p.stdin.write(("GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: oneM2M.json\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n" % host).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = p.stdout.read(1)
            if not chunk:
                return None
            head += chunk
        if not head.startswith(b"HTTP/1.1 101 "):
            return None
        p.stdin.write(_ws_frame(0x1, text.encode()))
        while True:
            b0, b1 = _read_exact(p.stdout, 2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", _read_exact(p.stdout, 2))[0]
            elif n == 127:
                n = struct.unpack("!Q", _read_exact(p.stdout, 8))[0]
            payload = _read_exact(p.stdout, n)
            if b0 & 0x0F == 0x1:
                p.stdin.write(_ws_frame(0x8, struct.pack("!H", 1000)))
                return payload.decode()
            if b0 & 0x0F == 0x8:
                return None
    except (EOFError, BrokenPipeError):
        return None
    finally:
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        p.stdout.close()


# ---- MQTT through a broker (TS-0010): `mosquitto_rr` (mosquitto-clients) -------------------------
# One process per request: it subscribes to the response topic, publishes the request once the
# broker acknowledged the subscription (so no answer can be missed), and prints the first message
# on the response topic. -W is a hang guard only: a request that gets no answer returns None.

def mqtt_rr(conn, cid, req_topic, resp_topic, text):
    """conn: mosquitto client arguments (host, port, TLS certificate or PSK); returns the answer as
    a dict, or None when the broker refused the client or nothing came back."""
    cp = subprocess.run(["mosquitto_rr", *conn, "-i", cid, "-q", "1", "-t", req_topic, "-e", resp_topic,
                         "-m", text, "-W", "60", "-N", "-F", "%p"], capture_output=True, text=True, timeout=120)
    if cp.returncode != 0 or not cp.stdout:
        return None
    return json.loads(cp.stdout)


def mqtt_connect_refused(conn, cid, topic):
    """True when the broker refuses the TLS handshake or the connection (mosquitto_pub fails)."""
    cp = subprocess.run(["mosquitto_pub", *conn, "-i", cid, "-q", "1", "-t", topic, "-m", "{}"],
                        capture_output=True, text=True, timeout=120)
    return cp.returncode != 0
