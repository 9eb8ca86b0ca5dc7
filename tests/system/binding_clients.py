# SPDX-License-Identifier: Apache-2.0
"""Independent clients of the non-HTTP bindings, shared by the system tests (test_33 CoAP/DTLS,
test_35 WebSocket, test_37 the binding matrix): `coap-client-openssl` (libcoap3-bin) with `-u/-k`
PSK and the oneM2M options given with `-O` (TS-0008 Table 6.2.2.4.0-1: From 279, RQI 283, RVI
271, TY 267), and Python `websockets` over TLS with a client certificate (TS-0020 clause 7).

libcoap 4.3.1 (the client) discards a response carrying critical options it does not know, and
every oneM2M option is critical; so the answer is read from the client's debug trace of the
received message (`-v 7`), which prints it before discarding it."""
import asyncio
import json
import re
import secrets
import ssl
import string
import subprocess

COAP_CLIENT = "coap-client-openssl"
ACK = re.compile(r"v:1 t:(ACK|NON|RST) c:(\S+) i:\w+ \{[0-9A-Fa-f]*\}(?: \[ (.*?) \])?(?: :: '(.*)')?$")


def ascii_key():
    # coap-client takes -k literally: a 32-byte printable key, written hex-encoded in psk-file
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


class CoapReply:
    def __init__(self, code, opts, payload):
        self.code, self.opts, self.payload = code, opts, payload

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


def parse_opts(text):
    opts = {}
    for m in re.finditer(r"(?:^|, )(\d+):((?:\\x[0-9A-Fa-f]{2}|[^,\\])*)", text or ""):
        opts[int(m.group(1))] = parse_value(m.group(2))
    return opts


def coap(c, method, path, origin, identity=None, key=None, body=None, ty=None, rqi="rq1", secure=True,
         rvi="3"):
    """One request to the CSE `c` (c.coaps_port / c.coap_port, c.coap_keys); rqi / rvi None leave
    the option out. Returns CoapReply or None when nothing came back (e.g. a failed handshake)."""
    args = [COAP_CLIENT, "-B", "4", "-v", "7", "-m", method]
    if rvi is not None:
        args += ["-O", "271,%s" % rvi]
    if rqi is not None:
        args += ["-O", "283,%s" % rqi]
    if origin is not None:
        args += ["-O", "279,%s" % origin]
    if ty is not None:
        args += ["-O", "267,0x%02x" % ty]
    if body is not None:
        args += ["-t", "50", "-e", body]
    if secure:
        args += ["-u", identity, "-k", key if key is not None else c.coap_keys[identity]]
        url = "coaps://127.0.0.1:%d%s" % (c.coaps_port, path)
    else:
        url = "coap://127.0.0.1:%d%s" % (c.coap_port, path)
    # The client waits out -B after discarding the answer: read its trace as it comes and end it
    # at the first answer, so a request costs a handshake, not the wait.
    p = subprocess.Popen(args + [url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in p.stdout:
            m = ACK.search(line.rstrip("\n"))
            if m and m.group(1) != "RST" and "t:CON" not in line:
                return CoapReply(m.group(2), parse_opts(m.group(3)), m.group(4))
        return None
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=60)
        p.stdout.close()


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
