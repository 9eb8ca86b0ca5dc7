# SPDX-License-Identifier: Apache-2.0
"""Block-wise transfer of RFC 7959 in the CSE's CoAP binding (TS-0008 clauses 5.2.3 and 6.5,
docs/coap-dtls.md "Block-wise transfer"), black-box with the real binary: the independent client
`coap-client-openssl` (libcoap3-bin: `-f FILE` sends a body in Block1 blocks of `-b SIZE`, `-b
NUM,SIZE` asks for Block2 block NUM) over DTLS and over plain loopback CoAP, and for exact
interleavings a hand-encoded RFC 7252 client over UDP (independent of src/bindings/coap_wire.c).

libcoap 4.3.1 discards an answer carrying the (critical) oneM2M options it does not know, so it
never asks for Block2 block 1 by itself; each later block is fetched by a run of its own with
`-b NUM,SIZE`. Over DTLS every run is a new session of the same PSK identity: the CSE keeps an
answer per authenticated identity, so that works; over plain CoAP `-p` keeps the source port."""
import json
import os
import socket
import struct
import subprocess
import threading

import pytest

from binding_clients import ascii_key, coap
from cse_harness import SP, Cse, free_port

MAX_BODY = 16384
BLOCK = 512  # coap-block-size: the CSE's own block size for answers (the default is 1024)
BOX = "/cse-in/cdev1/box"
AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'


def ident(name):
    return "kpsa-%s@%s" % (name, SP)


ID1, ID1B = ident("bdev1"), ident("bdev1b")


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("coapblock"))
    c.setup_pki()
    c.coap_keys = {}
    # two credentials of the same AE (two devices of one application): two peers whose requests
    # can carry exactly the same options
    for name in ("bdev1", "bdev1b"):
        c.coap_keys[ident(name)] = ascii_key()
        c.psks[ident(name)] = (c.coap_keys[ident(name)].encode().hex(), "Cdev1")
    c.coaps_port, c.coap_port = free_port(), free_port()
    c.start("coaps-listen = 127.0.0.1:%d\ncoap-listen = 127.0.0.1:%d\nmax-body = %d\ncoap-block-size = %d\n"
            "dev-admin-over-plain-http = true\n" % (c.coaps_port, c.coap_port, MAX_BODY, BLOCK))
    assert c.psk("POST", "/cse-in", "Cdev1", ID1, AE_BODY % "cdev1", ty=2).rsc == 2001
    assert c.psk("POST", "/cse-in/cdev1", "Cdev1", ID1, '{"m2m:cnt":{"rn":"box"}}', ty=3).rsc == 2001
    yield c
    rc = c.stop()
    assert rc == 0, "CSE did not shut down cleanly on SIGTERM (rc=%s)" % rc


def content(n, seed):
    return "".join(chr(65 + (i * 7 + seed) % 26) for i in range(n))


def cin_file(tmp_path, rn, con):
    f = tmp_path / ("%s.json" % rn)
    f.write_text(json.dumps({"m2m:cin": {"rn": rn, "cnf": "text/plain:0", "con": con}}))
    return str(f)


def cni(c):
    return c.psk("GET", BOX, "Cdev1", ID1).json()["m2m:cnt"]["cni"]


def stored(c, rn):
    h = c.psk("GET", BOX + "/" + rn, "Cdev1", ID1)
    return h.json()["m2m:cin"]["con"] if h.rsc == 2000 else h.rsc


def block(opt):
    num, more, size = opt.split("/")
    return int(num), more == "M", int(size)


def b2(num, szx=5):
    v = num << 4 | szx
    return "23,0x%02x" % v if v < 256 else "23,0x%04x" % v


def fetch_rest(first, ask):
    """Reassemble an answer from its block 0 (`first`) and ask(num) for each later block; every
    block carries the same ETag (RFC 7959 clause 2.4). Returns the whole payload."""
    num, more, size = block(first.opts["Block2"])
    assert num == 0 and more, first
    body, etag = first.payload, first.opts["ETag"]
    while more:
        r = ask(num + 1)
        if r is None:  # nothing within coap-client's own 4-s wait (seen once on a loaded CI host):
            r = ask(num + 1)  # asked once more; the callers' counters still prove one execution
        assert r is not None and r.opts.get("ETag") == etag, r
        num, more, size = block(r.opts["Block2"])
        body += r.payload
    assert len(body) == int(first.opts["Size2"])
    return body


# ---- Block1 (RFC 7959 clause 2.5) over DTLS ---------------------------------------------------------

def test_rfc7959_2_5_block1_create_over_dtls_is_whole_and_once(cse, tmp_path):
    con = content(6000, 1)
    before = cni(cse)
    r = coap(cse, "post", BOX, "Cdev1", ID1, ty=4, body_file=cin_file(tmp_path, "b1", con), block=1024,
             rqi="blk-create")
    assert r is not None and r.code == "2.01" and r.rsc == 2001, r
    assert block(r.opts["Block1"])[1] is False  # the final answer names the last block (clause 2.3)
    assert stored(cse, "b1") == con
    assert cni(cse) == before + 1
    # the answer (the created <contentInstance>) is larger than a block: block 0 came with it;
    # the later blocks come from the store, so the CREATE is never executed a second time
    whole = fetch_rest(r, lambda n: coap(cse, "post", BOX, "Cdev1", ID1, ty=4, rqi="blk-create",
                                         extra=["-t", "50", "-O", b2(n)]))
    assert json.loads(whole)["m2m:cin"]["con"] == con
    assert cni(cse) == before + 1


def test_rfc7959_2_5_block1_out_of_order_is_4_08(cse, tmp_path):
    before = cni(cse)
    # the client starts the body at block 1: the CSE never saw block 0
    r = coap(cse, "post", BOX, "Cdev1", ID1, ty=4, body_file=cin_file(tmp_path, "ooo", content(3000, 2)),
             block="1,1024", rqi="blk-ooo")
    assert r is not None and r.code == "4.08" and r.rsc == 4000, r
    assert stored(cse, "ooo") == 4004 and cni(cse) == before


def test_rfc7959_4_oversized_body_is_4_13_with_size1(cse, tmp_path):
    before = cni(cse)
    r = coap(cse, "post", BOX, "Cdev1", ID1, ty=4, body_file=cin_file(tmp_path, "huge", content(20000, 3)),
             block=1024, rqi="blk-huge")
    assert r is not None and r.code == "4.13" and r.rsc == 4000, r
    assert r.opts.get("Size1") == str(MAX_BODY), r
    assert stored(cse, "huge") == 4004 and cni(cse) == before


# ---- Block2 (RFC 7959 clause 2.4) over DTLS ---------------------------------------------------------

def test_rfc7959_2_4_block2_retrieve_over_dtls(cse, tmp_path):
    con = content(5000, 4)
    assert cse.psk("POST", BOX, "Cdev1", ID1, json.dumps({"m2m:cin": {"rn": "b2", "con": con}}), ty=4).rsc == 2001
    r = coap(cse, "get", BOX + "/b2", "Cdev1", ID1, rqi="blk-get")
    assert r is not None and r.code == "2.05" and r.rsc == 2000, r
    assert block(r.opts["Block2"]) == (0, True, BLOCK) and len(r.payload) == BLOCK
    whole = fetch_rest(r, lambda n: coap(cse, "get", BOX + "/b2", "Cdev1", ID1, rqi="blk-get",
                                         block="%d,%d" % (n, BLOCK)))
    assert json.loads(whole) == cse.psk("GET", BOX + "/b2", "Cdev1", ID1).json()
    # a client asking block 1 of 1024 bytes gets the CSE's 512: block 2, the same bytes (NUM scales)
    r1 = coap(cse, "get", BOX + "/b2", "Cdev1", ID1, rqi="blk-get", block="1,1024")
    assert block(r1.opts["Block2"]) == (2, True, BLOCK) and r1.payload == whole[1024:1024 + BLOCK], r1
    # a smaller block size asked by the client is honoured
    r = coap(cse, "get", BOX + "/b2", "Cdev1", ID1, rqi="blk-get256", block=256)
    assert block(r.opts["Block2"]) == (0, True, 256) and len(r.payload) == 256, r
    # a later block of an answer never made (another request identifier): 4.08, not a new run
    r = coap(cse, "get", BOX + "/b2", "Cdev1", ID1, rqi="blk-never", block="1,%d" % BLOCK)
    assert r is not None and r.code == "4.08" and r.rsc == 4000, r


def test_rfc7959_2_4_later_blocks_do_not_run_the_retrieve_again(cse):
    # a <container> whose representation spans blocks; changed between block 0 and the rest
    old = ["old-label-%02d-%s" % (i, "x" * 30) for i in range(40)]
    new = ["new-label-%02d-%s" % (i, "y" * 30) for i in range(40)]
    body = json.dumps({"m2m:cnt": {"rn": "lbls", "lbl": old}})
    assert cse.psk("POST", "/cse-in/cdev1", "Cdev1", ID1, body, ty=3).rsc == 2001
    r = coap(cse, "get", "/cse-in/cdev1/lbls", "Cdev1", ID1, rqi="blk-cnt")
    assert r is not None and r.rsc == 2000 and block(r.opts["Block2"])[1], r
    upd = json.dumps({"m2m:cnt": {"lbl": new}})
    assert cse.psk("PUT", "/cse-in/cdev1/lbls", "Cdev1", ID1, upd).rsc == 2004
    whole = fetch_rest(r, lambda n: coap(cse, "get", "/cse-in/cdev1/lbls", "Cdev1", ID1, rqi="blk-cnt",
                                         block="%d,%d" % (n, BLOCK)))
    assert json.loads(whole)["m2m:cnt"]["lbl"] == old  # one consistent answer, the one block 0 began
    # a new request runs anew: a new representation, a new ETag (how a client detects the change)
    r2 = coap(cse, "get", "/cse-in/cdev1/lbls", "Cdev1", ID1, rqi="blk-cnt2")
    assert r2.rsc == 2000 and r2.opts["ETag"] != r.opts["ETag"], (r, r2)


# ---- peers ------------------------------------------------------------------------------------------

def test_rfc7959_second_peer_never_gets_the_first_peers_blocks(cse, tmp_path):
    con = content(4000, 5)
    assert cse.psk("POST", BOX, "Cdev1", ID1, json.dumps({"m2m:cin": {"rn": "own", "con": con}}), ty=4).rsc == 2001
    r = coap(cse, "get", BOX + "/own", "Cdev1", ID1, rqi="blk-own")
    assert block(r.opts["Block2"])[1], r
    # the same request (same From, RQI, path) from the other credential: nothing held for it
    r2 = coap(cse, "get", BOX + "/own", "Cdev1", ID1B, rqi="blk-own", block="1,%d" % BLOCK)
    assert r2 is not None and r2.code == "4.08" and r2.rsc == 4000, r2
    # two bodies sent at the same time by the two peers, each arrives whole and unmixed
    cons = {"par1": content(7000, 6), "par2": content(7000, 7)}
    out = {}

    def send(rn, who):
        out[rn] = coap(cse, "post", BOX, "Cdev1", who, ty=4, body_file=cin_file(tmp_path, rn, cons[rn]),
                       block=256, rqi="blk-par")
    ts = [threading.Thread(target=send, args=("par1", ID1)), threading.Thread(target=send, args=("par2", ID1B))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for rn in cons:
        assert out[rn] is not None and out[rn].rsc == 2001, out
        assert stored(cse, rn) == cons[rn]


# ---- plain loopback CoAP (coap-listen) ------------------------------------------------------------

def test_rfc7959_block1_and_block2_over_plain_coap(cse, tmp_path):
    con = content(5000, 8)
    r = coap(cse, "post", BOX, "CAdmin", ty=4, body_file=cin_file(tmp_path, "plain1", con), block=512,
             rqi="blk-plain", secure=False)
    assert r is not None and r.code == "2.01" and r.rsc == 2001, r
    assert stored(cse, "plain1") == con
    port = free_port()  # one peer (address and port) over several client runs
    r = coap(cse, "get", BOX + "/plain1", "CAdmin", rqi="blk-pget", secure=False, local_port=port)
    whole = fetch_rest(r, lambda n: coap(cse, "get", BOX + "/plain1", "CAdmin", rqi="blk-pget", secure=False,
                                         local_port=port, block="%d,%d" % (n, BLOCK)))
    assert json.loads(whole)["m2m:cin"]["con"] == con
    # another source port is another peer
    r = coap(cse, "get", BOX + "/plain1", "CAdmin", rqi="blk-pget", secure=False, block="1,%d" % BLOCK)
    assert r is not None and r.code == "4.08" and r.rsc == 4000, r


# A hand-made RFC 7252 client: exact interleavings of two peers with the same options.

def _nib(x):
    return (x, b"") if x < 13 else (13, bytes([x - 13])) if x < 269 else (14, struct.pack("!H", x - 269))


def encode(code, mid, token, opts, payload=b""):
    out, last = bytes([0x40 | len(token), code]) + struct.pack("!H", mid) + token, 0
    for num, val in sorted(opts, key=lambda o: o[0]):
        (d, de), (ln, le) = _nib(num - last), _nib(len(val))
        out += bytes([d << 4 | ln]) + de + le + val
        last = num
    return out + (b"\xff" + payload if payload else b"")


def decode(b):
    tkl, i, last, opts = b[0] & 15, 4 + (b[0] & 15), 0, {}
    while i < len(b) and b[i] != 0xFF:
        d, ln = b[i] >> 4, b[i] & 15
        i += 1
        if d == 13:
            d, i = b[i] + 13, i + 1
        elif d == 14:
            d, i = struct.unpack("!H", b[i:i + 2])[0] + 269, i + 2
        if ln == 13:
            ln, i = b[i] + 13, i + 1
        elif ln == 14:
            ln, i = struct.unpack("!H", b[i:i + 2])[0] + 269, i + 2
        last += d
        opts[last] = b[i:i + ln]
        i += ln
    code = b[1]
    return "%d.%02d" % (code >> 5, code & 31), opts, b[i + 1:] if i < len(b) else b""


def uint(v):
    return v.to_bytes((v.bit_length() + 7) // 8, "big")


class RawPeer:
    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(30)
        self.s.connect(("127.0.0.1", port))
        self.mid = int.from_bytes(os.urandom(2), "big")

    def ask(self, code, opts, payload=b""):
        self.mid = (self.mid + 1) & 0xFFFF
        self.s.send(encode(code, self.mid, bytes([self.mid & 0xFF]), opts, payload))
        d = self.s.recv(65536)
        if (d[0] >> 4) & 3 == 2 and d[1] == 0 and d[2:4] == self.mid.to_bytes(2, "big"):
            # an empty ACK: the answer took longer than the CSE's wait for a piggyback and comes
            # as a separate CON response (RFC 7252 clause 5.2.2), which is acknowledged
            d = self.s.recv(65536)
            assert (d[0] >> 4) & 3 == 0 and d[1] != 0, d
            self.s.send(bytes([0x60, 0]) + d[2:4])
            return decode(d)
        # else piggybacked in the ACK (clause 5.2.1): the request's Message ID
        assert (d[0] >> 4) & 3 == 2 and d[1] != 0 and d[2:4] == self.mid.to_bytes(2, "big"), d
        return decode(d)


def create_opts(rqi):
    return [(11, b"cse-in"), (11, b"cdev1"), (11, b"box"), (12, b"\x32"), (267, b"\x04"), (271, b"3"),
            (279, b"CAdmin"), (283, rqi)]


def test_rfc7959_interleaved_peers_with_the_same_options_over_plain_coap(cse):
    a, b, third = RawPeer(cse.coap_port), RawPeer(cse.coap_port), RawPeer(cse.coap_port)
    bodies = {"rawA": content(3000, 9), "rawB": content(3000, 10)}
    data = {rn: json.dumps({"m2m:cin": {"rn": rn, "con": c}}).encode() for rn, c in bodies.items()}
    blocks = {rn: [d[i:i + 512] for i in range(0, len(d), 512)] for rn, d in data.items()}
    assert len(blocks["rawA"]) == len(blocks["rawB"]) >= 3
    before = cni(cse)
    last = {}
    for n in range(len(blocks["rawA"])):
        for rn, peer in (("rawA", a), ("rawB", b)):
            more = n + 1 < len(blocks[rn])
            code, opts, pl = peer.ask(2, create_opts(b"blk-raw") + [(27, uint(n << 4 | (8 if more else 0) | 5))],
                                      blocks[rn][n])
            if more:
                assert code == "2.31" and opts[27] == uint(n << 4 | 8 | 5), (rn, n, code, opts)
            else:
                last[rn] = (code, opts, pl)
    for rn in bodies:
        code, opts, pl = last[rn]
        assert code == "2.01" and int.from_bytes(opts[307], "big") == 2001, (rn, code, opts, pl)
        assert stored(cse, rn) == bodies[rn]
    assert cni(cse) == before + 2
    # a third peer sending a last block of the same request: no transfer of its own, 4.08
    code, opts, _ = third.ask(2, create_opts(b"blk-raw") + [(27, uint(5 << 4 | 5))], b"}}")
    assert code == "4.08" and int.from_bytes(opts[307], "big") == 4000
    # the CREATE answer's later blocks (Block2, no body, same options) come from the store
    code, opts, pl = last["rawA"]
    assert (opts[23][-1] >> 3) & 1 == 1  # M: more blocks of the created representation
    whole, num = pl, 0
    while (opts[23][-1] >> 3) & 1:
        num += 1
        code, opts, pl = a.ask(2, create_opts(b"blk-raw") + [(23, uint(num << 4 | 5))])
        assert code == "2.01" and opts[4] == last["rawA"][1][4], (code, opts)
        whole += pl
    assert json.loads(whole)["m2m:cin"]["con"] == bodies["rawA"]
    assert cni(cse) == before + 2  # never created twice


def test_ts0008_coap_block_size_is_validated(cse, tmp_path):
    ini = tmp_path / "bad.ini"
    ini.write_text("cse-id = /id-in\nsp-id = //%s\nstore = %s\npsk-file = %s\ncoap-block-size = 100\n" % (
        SP, tmp_path / "x.db", cse.path("psk.txt")))
    r = subprocess.run([cse.bin, "cse", "--config", str(ini), "--check"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "line 5: coap-block-size must be a power of two from 16 to 1024" in r.stderr, r.stderr
    ini.write_text("cse-id = /id-in\nsp-id = //%s\nstore = %s\npsk-file = %s\ncoap-block-size = 2048\n" % (
        SP, tmp_path / "x.db", cse.path("psk.txt")))
    r = subprocess.run([cse.bin, "cse", "--config", str(ini), "--check"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "coap-block-size" in r.stderr, r.stderr
