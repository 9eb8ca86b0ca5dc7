# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of the WebSocket binding (TS-0020 V3.0.1, docs/websocket-binding.md): a real
`m2msec cse` with `wss-listen`, a real client (Python `websockets`, Debian python3-websockets) over
TLS with a client certificate (TS-0020 clause 7: the SAEF completes before the opening handshake),
the oneM2M.json subprotocol (clause 6.2.2.7), JSON primitives in text messages (clause 5.2) and the
association bound to every primitive on the socket (spoofed From: 4106)."""
import socket
import struct

import pytest

websockets = pytest.importorskip("websockets")

from binding_clients import exchange, run, tls_ctx, ws_url as url  # noqa: E402
from cse_harness import CSE_HOST, SP, Cse, free_port, wait_port  # noqa: E402

AE = {"m2m:ae": {"rn": "wsae1", "api": "Nm2msec.test", "rr": False, "srv": ["3"]}}


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("cse_ws"))
    c.setup_pki()
    c.wss_port = free_port()
    c.start("wss-listen = 127.0.0.1:%d\n" % c.wss_port)
    wait_port(c.wss_port, c.proc)
    yield c
    assert c.stop() == 0  # a clean stop (an ASan build reports errors through the exit code)


def test_ts0020_wss_cert_registration_retrieve_and_spoof(cse):
    crt, key = cse.issue("cws1", "m2m://%s/id-in/Cws1" % SP)

    async def go():
        async with websockets.connect(url(cse), ssl=tls_ctx(cse, crt, key), server_hostname=CSE_HOST,
                                      subprotocols=["oneM2M.json"]) as ws:
            assert ws.subprotocol == "oneM2M.json"
            r = await exchange(ws, {"op": 1, "to": "cse-in", "fr": "Cws1", "rqi": "w1", "rvi": "3", "ty": 2,
                                    "pc": AE})
            assert r["rsc"] == 2001, r
            assert r["rqi"] == "w1"
            assert r["pc"]["m2m:ae"]["aei"] == "Cws1"
            r = await exchange(ws, {"op": 2, "to": "cse-in/wsae1", "fr": "Cws1", "rqi": "w2", "rvi": "3"})
            assert r["rsc"] == 2000, r
            assert r["pc"]["m2m:ae"]["rn"] == "wsae1"
            # TS-0003 8.1.2.5 / TS-0004 7.3.2.1: the certificate binds every primitive on the socket
            r = await exchange(ws, {"op": 2, "to": "cse-in/wsae1", "fr": "Cother", "rqi": "w3", "rvi": "3"})
            assert r["rsc"] == 4106, r
            assert r["rqi"] == "w3"
            # a malformed primitive is 4000 and the socket stays usable
            r = await exchange(ws, {"op": 2, "fr": "Cws1", "rqi": "w4", "rvi": "3"})
            assert r["rsc"] == 4000, r
            r = await exchange(ws, {"op": 2, "to": "cse-in/wsae1", "fr": "Cws1", "rqi": "w5", "rvi": "3"})
            assert r["rsc"] == 2000, r
    run(go())


def test_ts0020_6_2_2_7_subprotocol_required(cse):
    crt, key = cse.issue("cws2", "m2m://%s/id-in/Cws2" % SP)

    async def go():
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
            async with websockets.connect(url(cse), ssl=tls_ctx(cse, crt, key), server_hostname=CSE_HOST,
                                          subprotocols=["oneM2M.xml"]):
                pass
        assert e.value.status_code == 400
    run(go())


def test_ts0020_binary_message_is_closed_1003(cse):
    crt, key = cse.issue("cws3", "m2m://%s/id-in/Cws3" % SP)

    async def go():
        async with websockets.connect(url(cse), ssl=tls_ctx(cse, crt, key), server_hostname=CSE_HOST,
                                      subprotocols=["oneM2M.json"]) as ws:
            await ws.send(b"\x00\x01")  # oneM2M.cbor is not served
            with pytest.raises(websockets.exceptions.ConnectionClosed) as e:
                await ws.recv()
            assert e.value.rcvd.code == 1003
    run(go())


def raw_upgrade(cse, crt, key, protocol="oneM2M.json", version="13"):
    """Open TLS and send a hand-made opening handshake; returns (socket, response head)."""
    raw = socket.create_connection(("127.0.0.1", cse.wss_port), timeout=10)
    s = tls_ctx(cse, crt, key).wrap_socket(raw, server_hostname=CSE_HOST)
    s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: %s\r\n"
               "Sec-WebSocket-Version: %s\r\n\r\n" % (CSE_HOST, protocol, version)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    return s, head


def test_rfc6455_accept_and_unmasked_frame_is_closed_1002(cse):
    crt, key = cse.issue("cws4", "m2m://%s/id-in/Cws4" % SP)
    s, head = raw_upgrade(cse, crt, key)
    try:
        assert head.startswith(b"HTTP/1.1 101 ")
        # RFC 6455 section 1.3: the published key/accept pair
        assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in head
        assert b"Sec-WebSocket-Protocol: oneM2M.json\r\n" in head
        s.sendall(b"\x81\x02{}")  # a client frame without a mask (section 5.1)
        data = b""
        while len(data) < 4:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        assert data[0] == 0x88  # Close
        assert struct.unpack("!H", data[2:4])[0] == 1002
    finally:
        s.close()


def test_rfc6455_4_4_other_version_is_426(cse):
    crt, key = cse.issue("cws5", "m2m://%s/id-in/Cws5" % SP)
    s, head = raw_upgrade(cse, crt, key, version="8")
    s.close()
    assert head.startswith(b"HTTP/1.1 426 ")
    assert b"Sec-WebSocket-Version: 13\r\n" in head
