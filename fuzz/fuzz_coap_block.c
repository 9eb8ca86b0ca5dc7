/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of block-wise transfer (RFC 7959, TS-0008 clause 6.5;
 * bindings/coap_block.c). The input is a sequence of records, each one CoAP datagram from one of
 * four peers at a later time:
 *   1 byte  ctl: bits 0-1 the peer, bits 2-7 seconds since the previous record
 *   2 bytes datagram length (big endian), then the datagram (RFC 7252 clause 3)
 *   2 bytes size of the answer a fake CSE gives when the request passes
 * Each datagram is decoded (bindings/coap_wire.c) and handed to the block store as the server
 * does; the answer goes through the response half and is encoded. Invariants trap: the store stays
 * within its limits; a body passed after Block1 ends with this block's payload and is as long as
 * its blocks; a stored answer's block is the exact slice of that answer (the fake CSE's bytes are
 * a function of size and offset); every reply has ascending options and fits a datagram.
 */
#include <stdlib.h>
#include <string.h>

#include "bindings/coap_block.h"
#include "bindings/coap_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static uint8_t pat(size_t total, size_t i)
{
	return (uint8_t)(i * 31 + total);
}

static const m2mi_coap_opt *find(const m2mi_coap_block_reply *r, uint16_t num)
{
	for (size_t i = 0; i < r->nopts; i++)
		if (r->opts[i].num == num)
			return &r->opts[i];
	return NULL;
}

static void check_reply(const m2mi_coap_block_reply *r, const m2mi_coap_block_limits *lim)
{
	static uint8_t buf[1 << 16];
	m2mi_coap_msg m = {M2MI_COAP_ACK, r->code, 1, NULL, 0, r->opts, r->nopts, r->payload, r->payload_len};
	const m2mi_coap_opt *b2 = find(r, M2MI_COAP_OPT_BLOCK2), *s2 = find(r, M2MI_COAP_OPT_SIZE2);
	m2mi_coap_blockopt b;
	size_t n, total = 0;

	for (size_t i = 1; i < r->nopts; i++)
		CHECK(r->opts[i - 1].num <= r->opts[i].num);
	CHECK(m2mi_coap_encode(&m, buf, sizeof(buf), &n) == M2M_OK);
	if (b2 == NULL)
		return;
	CHECK(m2mi_coap_block_parse(b2->val, b2->len, &b) == M2M_OK);
	CHECK(r->payload_len <= M2MI_COAP_BLOCK_BYTES(b.szx) && M2MI_COAP_BLOCK_BYTES(b.szx) <= lim->block_size);
	CHECK(s2 != NULL);
	for (size_t i = 0; i < s2->len; i++)
		total = total << 8 | s2->val[i];
	for (size_t i = 0; i < r->payload_len; i++)
		CHECK(r->payload[i] == pat(total, (size_t)b.num * M2MI_COAP_BLOCK_BYTES(b.szx) + i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t *peers[4] = {(const uint8_t *)"Dkpsa-a", (const uint8_t *)"Dkpsa-b",
					  (const uint8_t *)"U127.0.0.1:1", (const uint8_t *)""};
	static const uint8_t rsc[] = {0x07, 0xd0};
	static uint8_t answer[4096];
	m2mi_coap_block_limits lim = {64, 512, 3, 6, 0, 8192, 30};
	m2mi_coap_blocks *st = NULL;
	m2mi_coap_opt opts[64];
	m2mi_coap_opt aopts[2] = {{M2MI_COAP_OPT_CONTENT_FORMAT, (const uint8_t *)"\x32", 1}, {M2MI_COAP_OPT_RSC, rsc, 2}};
	m2mi_coap_block_act act;
	m2mi_coap_msg msg;
	int64_t now = 1000;
	size_t bytes;

	if (m2mi_coap_blocks_new(&lim, &st) != M2M_OK)
		return 0;
	m2mi_coap_blocks_limits(st, &lim);
	while (size >= 5) {
		uint8_t ctl = data[0];
		size_t len = (size_t)data[1] << 8 | data[2], asz;
		const uint8_t *peer = peers[ctl & 3];
		if (len > size - 5)
			break;
		asz = ((size_t)data[3 + len] << 8 | data[4 + len]) % sizeof(answer);
		now += ctl >> 2;
		if (m2mi_coap_decode(data + 3, len, opts, 64, &msg) == M2M_OK &&
		    m2mi_coap_block_request(st, peer, strlen((const char *)peer), &msg, now, &act) == M2M_OK) {
			const m2mi_coap_opt *o1 = NULL;
			m2mi_coap_blockopt b1;
			for (size_t i = 0; i < msg.nopts; i++)
				if (msg.opts[i].num == M2MI_COAP_OPT_BLOCK1)
					o1 = &msg.opts[i];
			if (act.verdict == M2MI_COAP_BLOCK_REPLY) {
				check_reply(&act.rep, &lim);
			} else {
				if (act.verdict == M2MI_COAP_BLOCK_PASS) {
					CHECK(act.payload_len <= lim.max_body);
					if (act.whole != NULL && o1 != NULL &&
					    m2mi_coap_block_parse(o1->val, o1->len, &b1) == M2M_OK) {
						CHECK(act.payload_len ==
						      (size_t)b1.num * M2MI_COAP_BLOCK_BYTES(b1.szx) + msg.payload_len);
						CHECK(msg.payload_len == 0 ||
						      memcmp(act.payload + act.payload_len - msg.payload_len, msg.payload,
							     msg.payload_len) == 0);
					}
				} else {
					CHECK(M2MI_COAP_CLASS(act.code) >= 4 && act.why != NULL);
				}
				for (size_t i = 0; i < asz; i++)
					answer[i] = pat(asz, i);
				if (m2mi_coap_block_response(st, peer, strlen((const char *)peer), &act,
							     M2MI_COAP_CODE(2, 5), aopts, 2, asz ? answer : NULL, asz,
							     now) == M2M_OK)
					check_reply(&act.rep, &lim);
			}
			m2mi_coap_block_act_clear(&act);
		}
		CHECK(m2mi_coap_blocks_count(st, &bytes) <= lim.total_xfers && bytes <= lim.total_bytes);
		data += 5 + len;
		size -= 5 + len;
	}
	m2mi_coap_blocks_free(st);
	return 0;
}
