# SPDX-License-Identifier: Apache-2.0
"""CoAP over DTLS-PSK with the RFC 5705 exporter, by `openssl s_client -dtls1_2` (an independent
peer, next to binding_clients.py's coap-client): coap-client cannot export keying material, and
the MEF/MAF tests (test_39) need the exporter output of the very DTLS session a request ran on
(TS-0003 clause 10.3.1: KeID/KcID = its 16 most significant bytes). s_client speaks DTLS 1.2
with PSK and -keymatexport; the CoAP message is encoded here (RFC 7252 clause 3, independent of
the server's codec) and sent as one record."""
import re
import select
import subprocess
import time

from binding_clients import CoapReply


def _coap_opt(prev, num, val):
    def ext(x):
        return (x, b"") if x < 13 else (13, bytes([x - 13])) if x < 269 else (14, (x - 269).to_bytes(2, "big"))
    dn, de = ext(num - prev)
    ln, le = ext(len(val))
    return bytes([dn << 4 | ln]) + de + le + val


def coap_datagram(method, path, origin, rqi, body=None, mid=0x1234, token=b"\x5a"):
    """A CON request with Uri-Path, Content-Format JSON (50) with a body, oneM2M RVI 3, From, RQI."""
    code = {"get": 1, "post": 2, "put": 3, "delete": 4}[method]
    msg = bytes([0x40 | len(token), code, mid >> 8, mid & 0xFF]) + token
    opts = [(11, seg.encode()) for seg in path.strip("/").split("/")]
    if body is not None:
        opts.append((12, bytes([50])))
    opts += [(271, b"3"), (279, origin.encode()), (283, rqi.encode())]
    prev = 0
    for num, val in opts:
        msg += _coap_opt(prev, num, val)
        prev = num
    return msg + (b"\xff" + body.encode() if body is not None else b"")


def parse_coap(data):
    """(code "c.dd", {option: bytes}, payload bytes) of one CoAP message."""
    tkl, code = data[0] & 0x0F, data[1]
    i, num, opts = 4 + tkl, 0, {}
    while i < len(data) and data[i] != 0xFF:
        d, ln = data[i] >> 4, data[i] & 0x0F
        i += 1
        vals = []
        for x in (d, ln):
            if x == 13:
                x, i = data[i] + 13, i + 1
            elif x == 14:
                x, i = int.from_bytes(data[i:i + 2], "big") + 269, i + 2
            vals.append(x)
        num += vals[0]
        opts[num] = data[i:i + vals[1]]
        i += vals[1]
    return "%d.%02d" % (code >> 5, code & 0x1F), opts, data[i + 1:] if i < len(data) else b""


def _find_answer(buf, start, msg):
    """Offset of the ACK echoing msg's Message ID and token in buf (from start), or -1."""
    tkl = msg[0] & 0x0F
    j = buf.find(bytes([0x60 | tkl]), start)  # version 1, ACK, the same token length
    while j >= 0 and (buf[j + 2:j + 4] != msg[2:4] or buf[j + 4:j + 4 + tkl] != msg[4:4 + tkl]):
        j = buf.find(bytes([0x60 | tkl]), j + 1)
    return j


def dtls_exported_coap(port, identity, key_hex, exporter, msg):
    """One DTLS-PSK handshake + one CoAP request (msg) by `openssl s_client -dtls1_2`, the 48 bytes
    of exporter label `exporter` exported. Returns (CoapReply, material hex upper) or None when
    the handshake failed or nothing came back."""
    cmd = ["openssl", "s_client", "-dtls1_2", "-ign_eof", "-psk_identity", identity, "-psk", key_hex, "-cipher",
           "PSK-AES128-CCM8", "-connect", "127.0.0.1:%d" % port, "-keymatexport", exporter,
           "-keymatexportlen", "48"]
    mat = re.compile(rb"Keying material: ([0-9A-Fa-f]+)\n")
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    buf = b""
    try:
        p.stdin.write(msg)
        p.stdin.flush()
        deadline = time.monotonic() + 30  # a bound on a hung peer, not a timing assertion
        while time.monotonic() < deadline:
            ready, _, _ = select.select([p.stdout], [], [], 1)
            if not ready:
                continue
            chunk = p.stdout.read1(65536)
            if not chunk:
                break
            buf += chunk
            m = mat.search(buf)
            j = _find_answer(buf, m.end(), msg) if m else -1
            # the answer is one record: complete once its JSON payload is (or it has none)
            if j >= 0 and (0xFF not in buf[j:] or buf[j:].rstrip().endswith(b"}")):
                break
    finally:
        p.kill()
        p.wait()
        p.stdin.close()
        p.stdout.close()
    m = mat.search(buf)
    j = _find_answer(buf, m.end(), msg) if m else -1
    if j < 0:
        return None
    code, opts, payload = parse_coap(buf[j:])
    return CoapReply(code, opts, payload.decode(errors="replace")), m.group(1).decode().upper()
