/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/coap_block.c: block-wise transfer of RFC 7959
 * (TS-0008 clause 6.5) - the Block/Size option codec, Block1 reassembly (2.31 Continue, 4.08 out
 * of order / unknown / changed options, 4.13 with Size1), Block2 slicing from the store (ETag,
 * Size2, a smaller SZX, never a second run), per-peer separation, limits and expiry.
 */
#include "m2m_test.h"
#include <stdio.h>
#include "bindings/coap_block.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#define C(c, d) M2MI_COAP_CODE(c, d)

struct m {
	m2mi_coap_opt o[8];
	m2mi_coap_msg msg;
	uint8_t b1[3], b2[3], s1[4];
	uint8_t tok[2];
};

/* A POST (or GET) to path with optional Block2 (b2num >= 0), Block1 (b1num >= 0), Size1. */
static m2mi_coap_msg *mk(struct m *m, uint8_t code, const char *path, int b2num, int szx2, int b1num, bool more,
			  int szx1, long size1, const uint8_t *pl, size_t len)
{
	size_t n = 0;

	memset(m, 0, sizeof(*m));
	m->o[n++] = (m2mi_coap_opt){M2MI_COAP_OPT_URI_PATH, (const uint8_t *)path, strlen(path)};
	if (b2num >= 0) {
		m2mi_coap_blockopt b = {(uint32_t)b2num, false, (uint8_t)szx2};
		m->o[n++] = (m2mi_coap_opt){M2MI_COAP_OPT_BLOCK2, m->b2, m2mi_coap_block_write(&b, m->b2)};
	}
	if (b1num >= 0) {
		m2mi_coap_blockopt b = {(uint32_t)b1num, more, (uint8_t)szx1};
		m->o[n++] = (m2mi_coap_opt){M2MI_COAP_OPT_BLOCK1, m->b1, m2mi_coap_block_write(&b, m->b1)};
	}
	if (size1 >= 0)
		m->o[n++] = (m2mi_coap_opt){M2MI_COAP_OPT_SIZE1, m->s1, m2mi_coap_uint_write((uint32_t)size1, m->s1)};
	m->o[n++] = (m2mi_coap_opt){M2MI_COAP_OPT_RQI, (const uint8_t *)"rq1", 3};
	m->tok[0] = (uint8_t)(b1num + b2num); /* libcoap changes the token per block: no matter */
	m->msg = (m2mi_coap_msg){M2MI_COAP_CON, code, 1, m->tok, 1, m->o, n, len ? pl : NULL, len};
	return &m->msg;
}

static m2mi_coap_msg *tagged(m2mi_coap_msg *msg, struct m *m)
{
	m->o[msg->nopts++] = (m2mi_coap_opt){M2MI_COAP_OPT_REQUEST_TAG, (const uint8_t *)"\x56\x0d", 2};
	return msg;
}

static const m2mi_coap_opt *opt(const m2mi_coap_block_reply *r, uint16_t num)
{
	for (size_t i = 0; i < r->nopts; i++)
		if (r->opts[i].num == num)
			return &r->opts[i];
	return NULL;
}

static m2mi_coap_blockopt blk(const m2mi_coap_block_reply *r, uint16_t num)
{
	m2mi_coap_blockopt b = {0};
	const m2mi_coap_opt *o = opt(r, num);

	assert_non_null(o);
	assert_int_equal(m2mi_coap_block_parse(o->val, o->len, &b), M2M_OK);
	return b;
}

static unsigned long uval(const m2mi_coap_opt *o)
{
	unsigned long v = 0;

	assert_non_null(o);
	for (size_t i = 0; i < o->len; i++)
		v = v << 8 | o->val[i];
	return v;
}

static void ascending(const m2mi_coap_block_reply *r)
{
	for (size_t i = 1; i < r->nopts; i++)
		assert_true(r->opts[i - 1].num <= r->opts[i].num);
}

static uint8_t body[8192];

static void fill(void)
{
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7 + i / 251);
}

static m2mi_coap_blocks *store(size_t block, size_t max_body, size_t peer_x, size_t total_x, size_t total_b)
{
	m2mi_coap_block_limits l = {block, max_body, peer_x, total_x, 0, total_b, 60};
	m2mi_coap_blocks *st = NULL;

	assert_int_equal(m2mi_coap_blocks_new(&l, &st), M2M_OK);
	return st;
}

#define REQ(st, peer, msg, now, act) \
	assert_int_equal(m2mi_coap_block_request(st, (const uint8_t *)(peer), strlen(peer), msg, now, act), M2M_OK)

/* RFC 7959 clause 2.2: NUM / M / SZX, the fewest bytes, SZX 7 reserved, 3 bytes at most. */
static void test_codec(void **state)
{
	m2mi_coap_blockopt b;
	uint8_t v[3], u[4];
	static const uint8_t v4[] = {1, 2, 3, 4}, s7[] = {0x0f};

	(void)state;
	assert_int_equal(m2mi_coap_block_parse(NULL, 0, &b), M2M_OK);
	assert_true(b.num == 0 && !b.more && b.szx == 0);
	assert_int_equal(m2mi_coap_block_parse((const uint8_t *)"\x0a", 1, &b), M2M_OK);
	assert_true(b.num == 0 && b.more && b.szx == 2);
	b = (m2mi_coap_blockopt){(1u << 20) - 1, true, 6};
	assert_int_equal(m2mi_coap_block_write(&b, v), 3);
	assert_int_equal(m2mi_coap_block_parse(v, 3, &b), M2M_OK);
	assert_true(b.num == (1u << 20) - 1 && b.more && b.szx == 6);
	b = (m2mi_coap_blockopt){1, false, 6};
	assert_int_equal(m2mi_coap_block_write(&b, v), 1);
	assert_int_equal(v[0], 0x16);
	b.num = 1u << 20;
	assert_int_equal(m2mi_coap_block_write(&b, v), (size_t)-1);
	assert_int_equal(m2mi_coap_block_parse(v4, 4, &b), M2M_E_PROTO);
	assert_int_equal(m2mi_coap_block_parse(s7, 1, &b), M2M_E_PROTO);
	assert_int_equal(m2mi_coap_uint_write(0, u), 0);
	assert_int_equal(m2mi_coap_uint_write(1024, u), 2);
	assert_true(u[0] == 4 && u[1] == 0);
}

/* RFC 7959 clause 2.5: 2.31 per block with more, the whole body once at the last, Block1 echoed. */
static void test_block1_in_order(void **state)
{
	m2mi_coap_blocks *st = store(0, 4096, 0, 0, 0);
	m2mi_coap_block_act a;
	struct m m;
	size_t bytes;

	(void)state;
	for (int i = 0; i < 3; i++) {
		REQ(st, "A", mk(&m, 2, "cse", -1, 0, i, true, 2, i == 0 ? 202 : -1, body + 64 * i, 64), 10, &a);
		assert_int_equal(a.verdict, M2MI_COAP_BLOCK_REPLY);
		assert_int_equal(a.rep.code, C(2, 31));
		assert_int_equal(a.rep.nopts, 1);
		assert_true(blk(&a.rep, M2MI_COAP_OPT_BLOCK1).num == (uint32_t)i && blk(&a.rep, M2MI_COAP_OPT_BLOCK1).more);
		/* the same block again (its 2.31 lost): 2.31 again, nothing appended */
		REQ(st, "A", mk(&m, 2, "cse", -1, 0, i, true, 2, -1, body + 64 * i, 64), 10, &a);
		assert_int_equal(a.rep.code, C(2, 31));
	}
	assert_int_equal(m2mi_coap_blocks_count(st, &bytes), 1);
	assert_true(bytes > 192);
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 3, false, 2, -1, body + 192, 10), 11, &a);
	assert_int_equal(a.verdict, M2MI_COAP_BLOCK_PASS);
	assert_int_equal(a.payload_len, 202);
	assert_memory_equal(a.payload, body, 202);
	assert_int_equal(m2mi_coap_blocks_count(st, &bytes), 0);
	assert_int_equal(bytes, 0);
	/* the final answer names the last block, M clear */
	assert_int_equal(m2mi_coap_block_response(st, (const uint8_t *)"A", 1, &a, C(2, 1), NULL, 0, NULL, 0, 11), M2M_OK);
	assert_int_equal(a.rep.code, C(2, 1));
	assert_true(blk(&a.rep, M2MI_COAP_OPT_BLOCK1).num == 3 && !blk(&a.rep, M2MI_COAP_OPT_BLOCK1).more);
	m2mi_coap_block_act_clear(&a);
	/* the last block sent again (a new message ID): no transfer left, 4.08, never a second CREATE */
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 3, false, 2, -1, body + 192, 10), 12, &a);
	assert_int_equal(a.verdict, M2MI_COAP_BLOCK_REFUSE);
	assert_int_equal(a.code, C(4, 8));
	m2mi_coap_blocks_free(st);
}

/* 4.08: a missing block 0, a gap, changed options; the gap also ends the transfer. */
static void test_block1_incomplete(void **state)
{
	m2mi_coap_blocks *st = store(0, 4096, 0, 0, 0);
	m2mi_coap_block_act a;
	struct m m;

	(void)state;
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 1, true, 2, -1, body, 64), 1, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8) && a.rsc == 4000);
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 0, true, 2, -1, body, 64), 1, &a);
	assert_int_equal(a.verdict, M2MI_COAP_BLOCK_REPLY);
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 2, true, 2, -1, body, 64), 1, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8));
	assert_int_equal(m2mi_coap_blocks_count(st, NULL), 0);
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 1, true, 2, -1, body, 64), 1, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8));
	/* another Uri-Path (or RQI, From ...) is another request */
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 0, true, 2, -1, body, 64), 1, &a);
	REQ(st, "A", mk(&m, 2, "other", -1, 0, 1, false, 2, -1, body, 10), 1, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8));
	/* an abandoned reassembly expires: its next block after the lifetime is 4.08 */
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 0, true, 2, -1, body, 64), 100, &a);
	assert_int_equal(a.verdict, M2MI_COAP_BLOCK_REPLY);
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 1, false, 2, -1, body, 10), 100 + 61, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8));
	assert_int_equal(m2mi_coap_blocks_count(st, NULL), 0);
	/* a block with more to come must be exactly its size */
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 1, true, 2, -1, body, 63), 1, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 0));
	m2mi_coap_blocks_free(st);
}

/* RFC 7959 clause 4: 4.13 with Size1 = max_body, by Size1 and by the blocks themselves. */
static void test_block1_too_large(void **state)
{
	m2mi_coap_blocks *st = store(0, 200, 0, 0, 0);
	m2mi_coap_block_act a;
	struct m m;

	(void)state;
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 0, true, 2, 201, body, 64), 1, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 13) && a.rsc == 4000);
	assert_int_equal(m2mi_coap_block_response(st, (const uint8_t *)"A", 1, &a, C(4, 13), NULL, 0, NULL, 0, 1), M2M_OK);
	assert_int_equal(uval(opt(&a.rep, M2MI_COAP_OPT_SIZE1)), 200);
	for (int i = 0; i < 3; i++) {
		REQ(st, "A", mk(&m, 2, "cse", -1, 0, i, true, 2, -1, body, 64), 1, &a);
		assert_int_equal(a.verdict, M2MI_COAP_BLOCK_REPLY);
	}
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 3, true, 2, -1, body, 64), 1, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 13) && a.size1);
	assert_int_equal(m2mi_coap_blocks_count(st, NULL), 0);
	m2mi_coap_blocks_free(st);
}

/* Two peers with the same request interleave: each gets its own body. */
static void test_peers_do_not_mix(void **state)
{
	m2mi_coap_blocks *st = store(0, 4096, 0, 0, 0);
	m2mi_coap_block_act a;
	struct m m;

	(void)state;
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 0, true, 2, -1, body, 64), 1, &a);
	REQ(st, "B", mk(&m, 2, "cse", -1, 0, 0, true, 2, -1, body + 1000, 64), 1, &a);
	REQ(st, "A", mk(&m, 2, "cse", -1, 0, 1, false, 2, -1, body + 64, 5), 1, &a);
	assert_int_equal(a.verdict, M2MI_COAP_BLOCK_PASS);
	assert_int_equal(a.payload_len, 69);
	assert_memory_equal(a.payload, body, 69);
	m2mi_coap_block_act_clear(&a);
	/* a third peer cannot continue B's transfer */
	REQ(st, "C", mk(&m, 2, "cse", -1, 0, 1, false, 2, -1, body, 5), 1, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8));
	REQ(st, "B", mk(&m, 2, "cse", -1, 0, 1, false, 2, -1, body + 1064, 7), 1, &a);
	assert_int_equal(a.payload_len, 71);
	assert_memory_equal(a.payload, body + 1000, 71);
	m2mi_coap_block_act_clear(&a);
	m2mi_coap_blocks_free(st);
}

/* RFC 7959 clause 2.4: block 0 with ETag and Size2, later blocks from the store, the same options. */
static void test_block2_slices(void **state)
{
	m2mi_coap_blocks *st = store(0, 0, 0, 0, 0);
	m2mi_coap_block_act a;
	struct m m;
	static const uint8_t rsc[] = {0x07, 0xd0};
	m2mi_coap_opt ro[] = {{M2MI_COAP_OPT_CONTENT_FORMAT, (const uint8_t *)"\x32", 1}, {M2MI_COAP_OPT_RSC, rsc, 2}};
	uint8_t etag[8];

	(void)state;
	REQ(st, "A", mk(&m, 1, "big", -1, 0, -1, false, 0, -1, NULL, 0), 1, &a);
	assert_int_equal(a.verdict, M2MI_COAP_BLOCK_PASS);
	assert_int_equal(a.want2, 1024);
	assert_int_equal(m2mi_coap_block_response(st, (const uint8_t *)"A", 1, &a, C(2, 5), ro, 2, body, 3000, 1), M2M_OK);
	ascending(&a.rep);
	assert_int_equal(a.rep.payload_len, 1024);
	assert_true(blk(&a.rep, M2MI_COAP_OPT_BLOCK2).num == 0 && blk(&a.rep, M2MI_COAP_OPT_BLOCK2).more &&
		    blk(&a.rep, M2MI_COAP_OPT_BLOCK2).szx == 6);
	assert_int_equal(uval(opt(&a.rep, M2MI_COAP_OPT_SIZE2)), 3000);
	assert_int_equal(opt(&a.rep, M2MI_COAP_OPT_ETAG)->len, 8);
	memcpy(etag, opt(&a.rep, M2MI_COAP_OPT_ETAG)->val, 8);
	assert_false(a.rep.unstored);
	for (uint32_t n = 1; n <= 2; n++) {
		REQ(st, "A", mk(&m, 1, "big", (int)n, 6, -1, false, 0, -1, NULL, 0), 2, &a);
		assert_int_equal(a.verdict, M2MI_COAP_BLOCK_REPLY);
		ascending(&a.rep);
		assert_int_equal(a.rep.code, C(2, 5));
		assert_int_equal(uval(opt(&a.rep, M2MI_COAP_OPT_RSC)), 2000);
		assert_memory_equal(opt(&a.rep, M2MI_COAP_OPT_ETAG)->val, etag, 8);
		assert_int_equal(blk(&a.rep, M2MI_COAP_OPT_BLOCK2).num, n);
		assert_int_equal(blk(&a.rep, M2MI_COAP_OPT_BLOCK2).more, n == 1);
		assert_int_equal(a.rep.payload_len, n == 1 ? 1024 : 952);
		assert_memory_equal(a.rep.payload, body + 1024 * n, a.rep.payload_len);
	}
	REQ(st, "A", mk(&m, 1, "big", 3, 6, -1, false, 0, -1, NULL, 0), 2, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 2));
	/* a smaller size later on: NUM counts in the new size (clause 2.4) */
	REQ(st, "A", mk(&m, 1, "big", 40, 2, -1, false, 0, -1, NULL, 0), 2, &a);
	assert_int_equal(a.rep.payload_len, 64);
	assert_memory_equal(a.rep.payload, body + 2560, 64);
	/* another peer, another request: nothing held for them (never served, never run again here) */
	REQ(st, "B", mk(&m, 1, "big", 1, 6, -1, false, 0, -1, NULL, 0), 2, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8));
	REQ(st, "A", mk(&m, 1, "other", 1, 6, -1, false, 0, -1, NULL, 0), 2, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8));
	/* expired after the lifetime */
	REQ(st, "A", mk(&m, 1, "big", 1, 6, -1, false, 0, -1, NULL, 0), 2 + 121, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8));
	m2mi_coap_blocks_free(st);
}

/* The client asks a smaller block size in its first Block2: honoured; a small answer stays whole. */
static void test_block2_small_szx(void **state)
{
	m2mi_coap_blocks *st = store(256, 0, 0, 0, 0);
	m2mi_coap_block_act a;
	struct m m;

	(void)state;
	REQ(st, "A", mk(&m, 1, "x", -1, 0, -1, false, 0, -1, NULL, 0), 1, &a);
	assert_int_equal(a.want2, 256); /* the configured size */
	REQ(st, "A", mk(&m, 1, "x", 0, 2, -1, false, 0, -1, NULL, 0), 1, &a);
	assert_int_equal(a.want2, 64);
	assert_int_equal(m2mi_coap_block_response(st, (const uint8_t *)"A", 1, &a, C(2, 5), NULL, 0, body, 64, 1), M2M_OK);
	assert_null(opt(&a.rep, M2MI_COAP_OPT_BLOCK2));
	assert_int_equal(a.rep.payload_len, 64);
	assert_int_equal(m2mi_coap_blocks_count(st, NULL), 0);
	REQ(st, "A", mk(&m, 1, "x", 0, 6, -1, false, 0, -1, NULL, 0), 1, &a);
	assert_int_equal(a.want2, 256); /* a larger one than configured: the configured */
	m2mi_coap_blocks_free(st);
}

/* Block1 then a large answer (RFC 7959 clause 3.3): Block1 echo and Block2 0 together. */
static void test_block1_then_block2(void **state)
{
	m2mi_coap_blocks *st = store(0, 0, 0, 0, 0);
	m2mi_coap_block_act a;
	struct m m;

	(void)state;
	/* libcoap tags the body's blocks with Request-Tag (RFC 9175), not its later Block2 requests */
	REQ(st, "A", tagged(mk(&m, 2, "c", -1, 0, 0, true, 6, -1, body, 1024), &m), 1, &a);
	assert_int_equal(a.verdict, M2MI_COAP_BLOCK_REPLY);
	REQ(st, "A", mk(&m, 2, "c", -1, 0, 1, false, 6, -1, body + 1024, 100), 1, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8)); /* another tag: another body */
	REQ(st, "A", tagged(mk(&m, 2, "c", -1, 0, 0, true, 6, -1, body, 1024), &m), 1, &a);
	REQ(st, "A", tagged(mk(&m, 2, "c", -1, 0, 1, false, 6, -1, body + 1024, 100), &m), 1, &a);
	assert_int_equal(a.verdict, M2MI_COAP_BLOCK_PASS);
	assert_int_equal(m2mi_coap_block_response(st, (const uint8_t *)"A", 1, &a, C(2, 1), NULL, 0, body, 2000, 1), M2M_OK);
	ascending(&a.rep);
	assert_non_null(opt(&a.rep, M2MI_COAP_OPT_BLOCK1));
	assert_non_null(opt(&a.rep, M2MI_COAP_OPT_BLOCK2));
	m2mi_coap_block_act_clear(&a);
	/* the later block is asked without Block1 and without payload: the same request */
	REQ(st, "A", mk(&m, 2, "c", 1, 6, -1, false, 0, -1, NULL, 0), 1, &a);
	assert_int_equal(a.verdict, M2MI_COAP_BLOCK_REPLY);
	assert_int_equal(a.rep.payload_len, 976);
	m2mi_coap_blocks_free(st);
}

/* Malformed Block options: repeated 4.02, too long 4.02, SZX 7 4.00. */
static void test_malformed(void **state)
{
	m2mi_coap_blocks *st = store(0, 0, 0, 0, 0);
	m2mi_coap_block_act a;
	static const uint8_t v7[] = {0x07}, v4[] = {0, 0, 0, 1}, v0[] = {0x08};
	m2mi_coap_opt two[] = {{M2MI_COAP_OPT_BLOCK1, v0, 1}, {M2MI_COAP_OPT_BLOCK1, v0, 1}};
	m2mi_coap_opt sz7[] = {{M2MI_COAP_OPT_BLOCK2, v7, 1}};
	m2mi_coap_opt lng[] = {{M2MI_COAP_OPT_BLOCK2, v4, 4}};
	m2mi_coap_msg msg = {M2MI_COAP_CON, 1, 1, NULL, 0, two, 2, NULL, 0};

	(void)state;
	REQ(st, "A", &msg, 1, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 2));
	msg.opts = sz7;
	msg.nopts = 1;
	REQ(st, "A", &msg, 1, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 0));
	msg.opts = lng;
	REQ(st, "A", &msg, 1, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 2));
	assert_int_equal(m2mi_coap_block_request(st, NULL, 3, &msg, 1, &a), M2M_E_INVAL);
	m2mi_coap_blocks_free(st);
}

/* Bounds: per peer the oldest goes; in total a new reassembly waits (5.03) while stored answers of
 * others may be displaced; expiry frees the rest. */
static void test_limits(void **state)
{
	m2mi_coap_blocks *st = store(0, 4096, 2, 3, 0);
	m2mi_coap_block_act a;
	struct m m;
	m2mi_coap_block_limits l;

	(void)state;
	REQ(st, "A", mk(&m, 2, "p1", -1, 0, 0, true, 2, -1, body, 64), 1, &a);
	REQ(st, "A", mk(&m, 2, "p2", -1, 0, 0, true, 2, -1, body, 64), 2, &a);
	REQ(st, "A", mk(&m, 2, "p3", -1, 0, 0, true, 2, -1, body, 64), 3, &a);
	assert_int_equal(a.verdict, M2MI_COAP_BLOCK_REPLY);
	assert_int_equal(m2mi_coap_blocks_count(st, NULL), 2);
	REQ(st, "A", mk(&m, 2, "p1", -1, 0, 1, false, 2, -1, body, 1), 3, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8)); /* the oldest went */
	REQ(st, "B", mk(&m, 2, "p1", -1, 0, 0, true, 2, -1, body, 64), 3, &a);
	assert_int_equal(m2mi_coap_blocks_count(st, NULL), 3);
	REQ(st, "C", mk(&m, 2, "p1", -1, 0, 0, true, 2, -1, body, 64), 3, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(5, 3) && a.retry_after == 60);
	/* all expire */
	m2mi_coap_blocks_expire(st, 3 + 61);
	assert_int_equal(m2mi_coap_blocks_count(st, NULL), 0);
	m2mi_coap_blocks_limits(st, &l);
	assert_true(l.peer_bytes >= 4096);
	m2mi_coap_blocks_free(st);

	/* total bytes: a new large answer displaces the oldest stored answer of another peer */
	st = store(0, 0, 0, 0, 5000);
	REQ(st, "A", mk(&m, 1, "big", -1, 0, -1, false, 0, -1, NULL, 0), 1, &a);
	assert_int_equal(m2mi_coap_block_response(st, (const uint8_t *)"A", 1, &a, C(2, 5), NULL, 0, body, 3000, 1), M2M_OK);
	assert_false(a.rep.unstored);
	REQ(st, "B", mk(&m, 1, "big", -1, 0, -1, false, 0, -1, NULL, 0), 2, &a);
	assert_int_equal(m2mi_coap_block_response(st, (const uint8_t *)"B", 1, &a, C(2, 5), NULL, 0, body, 3000, 2), M2M_OK);
	assert_false(a.rep.unstored);
	assert_int_equal(m2mi_coap_blocks_count(st, NULL), 1);
	REQ(st, "A", mk(&m, 1, "big", 1, 6, -1, false, 0, -1, NULL, 0), 2, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8));
	m2mi_coap_blocks_free(st);

	/* bytes per peer: a peer's second large answer displaces its first, never another peer's */
	{
		m2mi_coap_block_limits pl = {0, 0, 0, 0, 4000, 0, 60};
		assert_int_equal(m2mi_coap_blocks_new(&pl, &st), M2M_OK);
	}
	REQ(st, "B", mk(&m, 1, "b", -1, 0, -1, false, 0, -1, NULL, 0), 1, &a);
	assert_int_equal(m2mi_coap_block_response(st, (const uint8_t *)"B", 1, &a, C(2, 5), NULL, 0, body, 2000, 1), M2M_OK);
	REQ(st, "A", mk(&m, 1, "a1", -1, 0, -1, false, 0, -1, NULL, 0), 2, &a);
	assert_int_equal(m2mi_coap_block_response(st, (const uint8_t *)"A", 1, &a, C(2, 5), NULL, 0, body, 2000, 2), M2M_OK);
	REQ(st, "A", mk(&m, 1, "a2", -1, 0, -1, false, 0, -1, NULL, 0), 3, &a);
	assert_int_equal(m2mi_coap_block_response(st, (const uint8_t *)"A", 1, &a, C(2, 5), NULL, 0, body, 2000, 3), M2M_OK);
	assert_false(a.rep.unstored);
	assert_int_equal(m2mi_coap_blocks_count(st, NULL), 2);
	REQ(st, "A", mk(&m, 1, "a1", 1, 6, -1, false, 0, -1, NULL, 0), 4, &a);
	assert_true(a.verdict == M2MI_COAP_BLOCK_REFUSE && a.code == C(4, 8));
	REQ(st, "A", mk(&m, 1, "a2", 1, 6, -1, false, 0, -1, NULL, 0), 4, &a);
	assert_int_equal(a.verdict, M2MI_COAP_BLOCK_REPLY);
	REQ(st, "B", mk(&m, 1, "b", 1, 6, -1, false, 0, -1, NULL, 0), 4, &a);
	assert_int_equal(a.verdict, M2MI_COAP_BLOCK_REPLY);
	m2mi_coap_blocks_free(st);
	st = store(0, 0, 0, 0, 5000);

	/* too large to keep at all: block 0 still goes out, marked */
	REQ(st, "A", mk(&m, 1, "big", -1, 0, -1, false, 0, -1, NULL, 0), 3, &a);
	assert_int_equal(m2mi_coap_block_response(st, (const uint8_t *)"A", 1, &a, C(2, 5), NULL, 0, body, 6000, 3), M2M_OK);
	assert_true(a.rep.unstored);
	assert_int_equal(a.rep.payload_len, 1024);
	m2mi_coap_blocks_free(st);
}

/* Peer keys: a DTLS identity (not its session), or a plain client's address and port. */
static void test_peer_keys(void **state)
{
	m2m_sa a = {0}, b = {0};
	uint8_t k1[M2MI_COAP_BLOCK_PEER_MAX], k2[M2MI_COAP_BLOCK_PEER_MAX];
	size_t n1, n2;
	struct sockaddr_in s1 = {0}, s2;
	int x = 0, y = 0;

	(void)state;
	a.kind = b.kind = M2M_SA_PSK;
	snprintf(a.credential_id, sizeof(a.credential_id), "kpsa-1@sp");
	snprintf(a.bound_id, sizeof(a.bound_id), "Cdev1");
	b = a;
	n1 = m2mi_coap_block_peer_sa(&a, &x, k1);
	n2 = m2mi_coap_block_peer_sa(&b, &y, k2); /* another session, the same identity */
	assert_true(n1 == n2 && memcmp(k1, k2, n1) == 0);
	snprintf(b.credential_id, sizeof(b.credential_id), "kpsa-2@sp"); /* same AE, another credential */
	n2 = m2mi_coap_block_peer_sa(&b, &y, k2);
	assert_false(n1 == n2 && memcmp(k1, k2, n1) == 0);
	memset(&b, 0, sizeof(b)); /* no name: per session */
	n1 = m2mi_coap_block_peer_sa(&b, &x, k1);
	n2 = m2mi_coap_block_peer_sa(&b, &y, k2);
	assert_false(n1 == n2 && memcmp(k1, k2, n1) == 0);
	s1.sin_family = AF_INET;
	s1.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s1.sin_port = htons(5683);
	s2 = s1;
	s2.sin_port = htons(5684);
	n1 = m2mi_coap_block_peer_addr((const struct sockaddr *)&s1, k1);
	n2 = m2mi_coap_block_peer_addr((const struct sockaddr *)&s2, k2);
	assert_true(n1 == n2 && memcmp(k1, k2, n1) != 0);
	n2 = m2mi_coap_block_peer_addr((const struct sockaddr *)&s1, k2);
	assert_memory_equal(k1, k2, n1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_block1_in_order),
		cmocka_unit_test(test_block1_incomplete),
		cmocka_unit_test(test_block1_too_large),
		cmocka_unit_test(test_peers_do_not_mix),
		cmocka_unit_test(test_block2_slices),
		cmocka_unit_test(test_block2_small_szx),
		cmocka_unit_test(test_block1_then_block2),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_peer_keys),
	};

	fill();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
