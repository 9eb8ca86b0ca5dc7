/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/coap_defer.c: the separate responses of the
 * CoAP server (RFC 7252 clauses 5.2.1, 5.2.2) - a CON request answered within the quiet wait
 * (M2MI_COAP_PIGGYBACK_MS) is answered piggybacked in the ACK; after it, the empty ACK goes out
 * once (or at once for a retransmission during the wait) and the answer goes out as a CON with a new
 * Message ID and the request's token, is retransmitted on the exponential back-off of clause 4.2
 * (first timeout in [2 s, 3 s], doubled, MAX_RETRANSMIT 4) until ACKed or Reset, then given up;
 * a NON request's answer is one NON; the per-peer and total caps; a held retransmission is
 * recognised; a peer gone or a release sends nothing; a large answer goes out in Block2 blocks.
 */
#include "m2m_test.h"
#include "bindings/coap_defer.h"
#include "bindings/coap_wire.h"

#include <netinet/in.h>
#include <stdlib.h>

#define C(c, d) M2MI_COAP_CODE(c, d)

static int64_t clock_ms;
static uint32_t rnd_val;

static int64_t fake_now(void)
{
	return clock_ms;
}

static uint32_t fake_rnd(void)
{
	return rnd_val;
}

/* What went out: answers in buf, empty ACKs counted apart (their Message IDs in empty_mid). */
struct sent {
	int n;
	const void *peer[16];
	uint8_t buf[16][2048];
	size_t len[16];
	int32_t ack_of[16];
	int nempty;
	uint16_t empty_mid[16];
};

static void rec(void *ctx, const m2mi_coap_dest *to, const uint8_t *buf, size_t len, int32_t ack_of)
{
	struct sent *s = ctx;

	if (len == 4 && (buf[0] >> 4 & 3) == M2MI_COAP_ACK && buf[1] == 0) { /* an empty ACK */
		assert_true(s->nempty < 16);
		s->empty_mid[s->nempty] = (uint16_t)(buf[2] << 8 | buf[3]);
		assert_int_equal(ack_of, s->empty_mid[s->nempty]); /* kept for the request's retransmissions */
		s->nempty++;
		return;
	}
	assert_true(s->n < 16 && len <= sizeof(s->buf[0]));
	s->peer[s->n] = to->peer;
	s->ack_of[s->n] = ack_of;
	memcpy(s->buf[s->n], buf, len);
	s->len[s->n++] = len;
}

struct fix {
	m2mi_coap_blocks *blocks;
	m2mi_coap_defer *d;
	uint16_t mid;
	struct sent sent;
};

static void setup(struct fix *f, size_t per_peer, size_t total)
{
	m2mi_coap_block_limits bl = {0};

	memset(f, 0, sizeof(*f));
	f->mid = 0x4000;
	clock_ms = 1000000;
	rnd_val = 0;
	assert_int_equal(m2mi_coap_blocks_new(&bl, &f->blocks), M2M_OK);
	assert_int_equal(m2mi_coap_defer_new(per_peer, total, f->blocks, &f->mid, rec, &f->sent, &f->d), M2M_OK);
	m2mi_coap_defer_set_clock(f->d, fake_now, fake_rnd);
}

static void teardown(struct fix *f)
{
	m2mi_coap_defer_free(f->d);
	m2mi_coap_blocks_free(f->blocks);
}

static const m2mi_coap_block_act pass_act = {.verdict = M2MI_COAP_BLOCK_PASS, .want2 = 1024};

/* The handler's view: take the current request of peer (type, mid, token 0xAB 0xmid). */
static m2m_coap_deferred *take_req(struct fix *f, const void *peer, uint8_t type, uint16_t mid,
				   const m2mi_coap_block_act *act)
{
	m2mi_coap_defer_req cur = {.type = type, .mid = mid, .token = {0xAB, (uint8_t)mid}, .token_len = 2,
				   .pk = (const uint8_t *)"peer", .pklen = 4, .act = act ? act : &pass_act,
				   .info = {0, M2MI_COAP_CF_JSON}};
	m2m_coap_deferred *e;

	m2mi_coap_dest_from(&cur.to, peer, NULL);
	m2mi_coap_defer_begin(f->d, &cur);
	e = m2mi_coap_defer_take(f->d);
	assert_true(m2mi_coap_defer_end(f->d) == (e != NULL));
	return e;
}

/* take_req, then let the quiet wait end: a CON request gets its empty ACK, its answer will be separate. */
static m2m_coap_deferred *hold(struct fix *f, const void *peer, uint8_t type, uint16_t mid,
			       const m2mi_coap_block_act *act)
{
	m2m_coap_deferred *e = take_req(f, peer, type, mid, act);
	int before = f->sent.nempty;

	clock_ms += M2MI_COAP_PIGGYBACK_MS;
	m2mi_coap_defer_tick(f->d);
	assert_int_equal(f->sent.nempty, before + (e != NULL && type == M2MI_COAP_CON ? 1 : 0));
	return e;
}

static void answer(m2m_coap_deferred *e, int rsc, const char *why)
{
	m2m_request req;
	m2m_response rsp;

	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = M2M_OP_CREATE;
	m2m_response_error(&rsp, rsc, "%s", why);
	m2m_coap_deferred_reply(e, &req, &rsp);
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
}

static m2mi_coap_msg dec(struct fix *f, int i, m2mi_coap_opt *opts)
{
	m2mi_coap_msg m;

	assert_int_equal(m2mi_coap_decode(f->sent.buf[i], f->sent.len[i], opts, 32, &m), M2M_OK);
	return m;
}

static const void *const PA = "peer A", *const PB = "peer B", *const PC = "peer C";

static void test_con_answer_and_backoff(void **st)
{
	struct fix f;
	m2mi_coap_opt o[32];
	m2mi_coap_msg m;
	m2mi_coap_dest a;
	int64_t t0;

	(void)st;
	setup(&f, 0, 0);
	m2mi_coap_dest_from(&a, PA, NULL);
	m2m_coap_deferred *e = hold(&f, PA, M2MI_COAP_CON, 0x1111, NULL);
	assert_non_null(e);
	assert_true(m2mi_coap_defer_waiting(f.d, &a, 0x1111));  /* a retransmission: the empty ACK again */
	assert_false(m2mi_coap_defer_waiting(f.d, &a, 0x1112));
	assert_int_equal(f.sent.n, 0);
	answer(e, 2001, "created");
	assert_int_equal(f.sent.n, 1);
	m = dec(&f, 0, o);
	assert_int_equal(m.type, M2MI_COAP_CON); /* clause 5.2.2: a CON of its own */
	assert_int_equal(m.mid, 0x4000);         /* a new Message ID from the server's counter */
	assert_int_equal(f.mid, 0x4001);
	assert_int_equal(m.token_len, 2);        /* the request's token */
	assert_int_equal(m.token[1], 0x11);
	assert_int_equal(m.code, C(2, 1));
	/* clause 4.2 with the least random draw: 2 s, then 4, 8, 16; give up 32 s after the last */
	t0 = clock_ms;
	int64_t at[] = {2000, 6000, 14000, 30000};
	for (int i = 0; i < 4; i++) {
		clock_ms = t0 + at[i] - 1;
		m2mi_coap_defer_tick(f.d);
		assert_int_equal(f.sent.n, 1 + i); /* not before its time */
		clock_ms = t0 + at[i];
		m2mi_coap_defer_tick(f.d);
		assert_int_equal(f.sent.n, 2 + i);
		assert_memory_equal(f.sent.buf[1 + i], f.sent.buf[0], f.sent.len[0]); /* the same message */
	}
	clock_ms = t0 + 62000 - 1;
	m2mi_coap_defer_tick(f.d);
	assert_int_equal(m2mi_coap_defer_count(f.d), 1);
	clock_ms = t0 + 62000;
	m2mi_coap_defer_tick(f.d);
	assert_int_equal(f.sent.n, 5); /* MAX_RETRANSMIT: 4 retransmissions, then given up */
	assert_int_equal(m2mi_coap_defer_count(f.d), 0);
	assert_false(m2mi_coap_defer_waiting(f.d, &a, 0x1111));
	teardown(&f);
}

static void test_random_factor_and_ack(void **st)
{
	struct fix f;
	m2mi_coap_dest a, b;
	int64_t t0;

	(void)st;
	setup(&f, 0, 0);
	rnd_val = 1000; /* the largest draw: ACK_TIMEOUT * ACK_RANDOM_FACTOR = 3 s */
	m2mi_coap_dest_from(&a, PA, NULL);
	m2mi_coap_dest_from(&b, PB, NULL);
	answer(hold(&f, PA, M2MI_COAP_CON, 7, NULL), 2001, "x");
	t0 = clock_ms;
	clock_ms = t0 + 2999;
	m2mi_coap_defer_tick(f.d);
	assert_int_equal(f.sent.n, 1);
	clock_ms = t0 + 3000;
	m2mi_coap_defer_tick(f.d);
	assert_int_equal(f.sent.n, 2);
	m2mi_coap_defer_ack(f.d, &a, 0x4001); /* not ours */
	m2mi_coap_defer_ack(f.d, &b, 0x4000); /* another peer's */
	assert_int_equal(m2mi_coap_defer_count(f.d), 1);
	m2mi_coap_defer_ack(f.d, &a, 0x4000); /* the peer's ACK (or Reset) ends it */
	assert_int_equal(m2mi_coap_defer_count(f.d), 0);
	clock_ms = t0 + 100000;
	m2mi_coap_defer_tick(f.d);
	assert_int_equal(f.sent.n, 2);
	teardown(&f);
}

static void test_non_answer_once(void **st)
{
	struct fix f;
	m2mi_coap_opt o[32];
	m2mi_coap_dest a;

	(void)st;
	setup(&f, 0, 0);
	m2mi_coap_dest_from(&a, PA, NULL);
	m2m_coap_deferred *e = hold(&f, PA, M2MI_COAP_NON, 9, NULL);
	assert_false(m2mi_coap_defer_waiting(f.d, &a, 9)); /* NON: nothing to acknowledge */
	answer(e, 4103, "no");
	assert_int_equal(f.sent.n, 1);
	assert_int_equal(dec(&f, 0, o).type, M2MI_COAP_NON);
	assert_int_equal(dec(&f, 0, o).code, C(4, 3));
	assert_int_equal(m2mi_coap_defer_count(f.d), 0);
	teardown(&f);
}

static void test_caps(void **st)
{
	struct fix f;
	m2mi_coap_dest a, b, c;
	m2m_coap_deferred *e[3];

	(void)st;
	setup(&f, 2, 3);
	m2mi_coap_dest_from(&a, PA, NULL);
	m2mi_coap_dest_from(&b, PB, NULL);
	m2mi_coap_dest_from(&c, PC, NULL);
	assert_non_null(e[0] = hold(&f, PA, M2MI_COAP_CON, 1, NULL));
	assert_non_null(e[1] = hold(&f, PA, M2MI_COAP_CON, 2, NULL));
	assert_false(m2mi_coap_defer_room(f.d, &a)); /* per peer */
	assert_null(hold(&f, PA, M2MI_COAP_CON, 3, NULL));
	assert_true(m2mi_coap_defer_room(f.d, &b));
	assert_non_null(e[2] = hold(&f, PB, M2MI_COAP_CON, 1, NULL));
	assert_false(m2mi_coap_defer_room(f.d, &c)); /* in all */
	assert_null(hold(&f, PC, M2MI_COAP_CON, 1, NULL));
	answer(e[0], 2001, "x"); /* answered but not ACKed: still held (retransmissions) */
	assert_false(m2mi_coap_defer_room(f.d, &c));
	m2mi_coap_defer_ack(f.d, &a, 0x4000);
	assert_true(m2mi_coap_defer_room(f.d, &c));
	assert_true(m2mi_coap_defer_room(f.d, &a));
	m2m_coap_deferred_reply(e[1], NULL, NULL);
	m2m_coap_deferred_reply(e[2], NULL, NULL);
	assert_int_equal(f.sent.n, 1); /* a release sends nothing */
	assert_int_equal(m2mi_coap_defer_count(f.d), 0);
	teardown(&f);
}

static void test_take_only_inside_the_handler(void **st)
{
	struct fix f;
	m2mi_coap_defer_req cur = {.type = M2MI_COAP_CON, .mid = 5, .pk = (const uint8_t *)"p", .pklen = 1};

	(void)st;
	setup(&f, 0, 0);
	assert_null(m2mi_coap_defer_take(f.d)); /* no request in the handler */
	m2mi_coap_dest_from(&cur.to, PA, NULL);
	m2mi_coap_defer_begin(f.d, &cur);
	m2m_coap_deferred *e = m2mi_coap_defer_take(f.d);
	assert_non_null(e);
	assert_null(m2mi_coap_defer_take(f.d)); /* once */
	assert_true(m2mi_coap_defer_end(f.d));
	m2mi_coap_defer_begin(f.d, &cur);
	assert_false(m2mi_coap_defer_end(f.d)); /* not taken: answered piggybacked */
	m2m_coap_deferred_reply(e, NULL, NULL);
	m2m_coap_deferred_reply(NULL, NULL, NULL);
	teardown(&f);
}

static void test_peer_gone(void **st)
{
	struct fix f;
	m2mi_coap_dest a;

	(void)st;
	setup(&f, 0, 0);
	m2mi_coap_dest_from(&a, PA, NULL);
	m2m_coap_deferred *held = hold(&f, PA, M2MI_COAP_CON, 1, NULL);
	m2m_coap_deferred *sent = hold(&f, PA, M2MI_COAP_CON, 2, NULL);
	m2m_coap_deferred *other = hold(&f, PB, M2MI_COAP_CON, 1, NULL);
	answer(sent, 2001, "x");
	assert_int_equal(f.sent.n, 1);
	m2mi_coap_defer_forget(f.d, PA);
	assert_false(m2mi_coap_defer_waiting(f.d, &a, 1));
	assert_int_equal(m2mi_coap_defer_count(f.d), 2); /* the held one waits for the CSE to hand it back */
	answer(held, 2001, "x");
	assert_int_equal(f.sent.n, 1); /* released, not sent */
	clock_ms += 100000;
	m2mi_coap_defer_tick(f.d);
	assert_int_equal(f.sent.n, 1); /* the answered one is not retransmitted to a gone peer */
	answer(other, 2001, "x");
	assert_int_equal(f.sent.n, 2);
	assert_ptr_equal(f.sent.peer[1], PB);
	teardown(&f);
}

static void test_plain_peers_by_address(void **st)
{
	struct fix f;
	struct sockaddr_in s1 = {.sin_family = AF_INET, .sin_port = htons(5000)}, s2 = s1;
	m2mi_coap_dest a, b;
	m2mi_coap_defer_req cur = {.type = M2MI_COAP_CON, .mid = 77, .pk = (const uint8_t *)"p", .pklen = 1};

	(void)st;
	setup(&f, 0, 0);
	s1.sin_addr.s_addr = htonl(0x7f000001);
	s2.sin_addr.s_addr = htonl(0x7f000001);
	s2.sin_port = htons(5001);
	m2mi_coap_dest_from(&cur.to, NULL, (const struct sockaddr *)&s1);
	m2mi_coap_dest_from(&a, NULL, (const struct sockaddr *)&s1);
	m2mi_coap_dest_from(&b, NULL, (const struct sockaddr *)&s2);
	m2mi_coap_defer_begin(f.d, &cur);
	m2m_coap_deferred *e = m2mi_coap_defer_take(f.d);
	assert_true(m2mi_coap_defer_end(f.d));
	assert_true(m2mi_coap_defer_waiting(f.d, &a, 77));
	assert_false(m2mi_coap_defer_waiting(f.d, &b, 77)); /* another port is another client */
	m2mi_coap_defer_forget(f.d, NULL);                  /* no DTLS peer: nothing */
	assert_true(m2mi_coap_defer_waiting(f.d, &a, 77));
	answer(e, 2001, "x");
	assert_null(f.sent.peer[0]);
	teardown(&f);
}

static void test_block2_answer(void **st)
{
	struct fix f;
	m2mi_coap_opt o[32], ro[4];
	m2mi_coap_msg m, req;
	m2mi_coap_block_act act;
	m2mi_coap_blockopt b2 = {0, false, 0}, got;
	uint8_t bv[3];
	bool found = false;

	(void)st;
	setup(&f, 0, 0);
	/* a request asking for 16-byte blocks (RFC 7959 clause 2.4) */
	ro[0] = (m2mi_coap_opt){M2MI_COAP_OPT_URI_PATH, (const uint8_t *)"cse-in", 6};
	ro[1] = (m2mi_coap_opt){M2MI_COAP_OPT_BLOCK2, bv, m2mi_coap_block_write(&b2, bv)};
	req = (m2mi_coap_msg){M2MI_COAP_CON, C(0, 2), 3, (const uint8_t *)"\x01", 1, ro, 2, NULL, 0};
	assert_int_equal(m2mi_coap_block_request(f.blocks, (const uint8_t *)"peer", 4, &req, 1, &act), M2M_OK);
	assert_int_equal(act.verdict, M2MI_COAP_BLOCK_PASS);
	m2m_coap_deferred *e = hold(&f, PA, M2MI_COAP_CON, 3, &act);
	m2mi_coap_block_act_clear(&act);
	answer(e, 4000, "a debug text that is much longer than one block of sixteen bytes");
	m = dec(&f, 0, o);
	assert_int_equal(m.type, M2MI_COAP_CON);
	for (size_t i = 0; i < m.nopts; i++)
		if (m.opts[i].num == M2MI_COAP_OPT_BLOCK2) {
			assert_int_equal(m2mi_coap_block_parse(m.opts[i].val, m.opts[i].len, &got), M2M_OK);
			found = got.num == 0 && got.more && got.szx == 0;
		}
	assert_true(found);
	assert_int_equal(m.payload_len, 16);
	assert_int_equal(m2mi_coap_blocks_count(f.blocks, NULL), 1); /* later blocks come from the store */
	teardown(&f);
}

/* RFC 7252 clause 5.2.1: an answer in within the quiet wait rides in the ACK, as an immediate one. */
static void test_piggyback_in_time(void **st)
{
	struct fix f;
	m2mi_coap_opt o[32];
	m2mi_coap_msg m;
	m2mi_coap_dest a;

	(void)st;
	setup(&f, 0, 0);
	m2mi_coap_dest_from(&a, PA, NULL);
	m2m_coap_deferred *e = take_req(&f, PA, M2MI_COAP_CON, 0x2222, NULL);
	assert_non_null(e);
	assert_int_equal(m2mi_coap_defer_wait_ms(f.d, 1000), M2MI_COAP_PIGGYBACK_MS); /* the poll wakes for it */
	clock_ms += M2MI_COAP_PIGGYBACK_MS - 1;
	m2mi_coap_defer_tick(f.d);
	assert_int_equal(f.sent.nempty, 0); /* not yet: still hoping to piggyback */
	assert_int_equal(f.sent.n, 0);
	assert_int_equal(m2mi_coap_defer_wait_ms(f.d, 1000), 1);
	answer(e, 2001, "created");
	assert_int_equal(f.sent.n, 1);
	assert_int_equal(f.sent.nempty, 0);
	m = dec(&f, 0, o);
	assert_int_equal(m.type, M2MI_COAP_ACK); /* piggybacked: the request's Message ID and token */
	assert_int_equal(m.mid, 0x2222);
	assert_int_equal(m.token_len, 2);
	assert_int_equal(m.token[1], 0x22);
	assert_int_equal(m.code, C(2, 1));
	assert_int_equal(f.sent.ack_of[0], 0x2222); /* the server keeps it for retransmissions */
	assert_int_equal(f.mid, 0x4000);            /* no Message ID of the server's spent */
	assert_int_equal(m2mi_coap_defer_count(f.d), 0); /* an ACK is not retransmitted */
	assert_false(m2mi_coap_defer_waiting(f.d, &a, 0x2222));
	assert_false(m2mi_coap_defer_again(f.d, &a, 0x2222)); /* now the server's cache answers it */
	clock_ms += 100000;
	m2mi_coap_defer_tick(f.d);
	assert_int_equal(f.sent.n + f.sent.nempty, 1);
	assert_int_equal(m2mi_coap_defer_wait_ms(f.d, 1000), 1000);
	teardown(&f);
}

/* Clause 5.2.2: the wait ends first - the empty ACK once, then the answer as a CON of its own. */
static void test_empty_ack_when_the_wait_ends(void **st)
{
	struct fix f;
	m2mi_coap_opt o[32];
	m2mi_coap_msg m;
	m2mi_coap_dest a;

	(void)st;
	setup(&f, 0, 0);
	m2mi_coap_dest_from(&a, PA, NULL);
	m2m_coap_deferred *e = take_req(&f, PA, M2MI_COAP_CON, 0x3333, NULL);
	m2m_coap_deferred *n = take_req(&f, PB, M2MI_COAP_NON, 0x3334, NULL);
	clock_ms += M2MI_COAP_PIGGYBACK_MS;
	assert_int_equal(m2mi_coap_defer_wait_ms(f.d, 1000), 0);
	m2mi_coap_defer_tick(f.d);
	assert_int_equal(f.sent.nempty, 1); /* the CON's only: a NON has nothing to acknowledge */
	assert_int_equal(f.sent.empty_mid[0], 0x3333);
	assert_int_equal(f.sent.n, 0);
	clock_ms += 1000;
	m2mi_coap_defer_tick(f.d);
	assert_int_equal(f.sent.nempty, 1); /* once */
	answer(e, 2001, "created");
	m = dec(&f, 0, o);
	assert_int_equal(m.type, M2MI_COAP_CON); /* after an empty ACK the answer is separate */
	assert_int_equal(m.mid, 0x4000);
	assert_int_equal(m.token[1], 0x33);
	assert_int_equal(f.sent.ack_of[0], -1);
	assert_true(m2mi_coap_defer_waiting(f.d, &a, 0x3333)); /* until its ACK */
	m2mi_coap_defer_ack(f.d, &a, 0x4000);
	answer(n, 2000, "ok");
	assert_int_equal(dec(&f, 1, o).type, M2MI_COAP_NON);
	assert_int_equal(m2mi_coap_defer_count(f.d), 0);
	teardown(&f);
}

/* A retransmission during the wait: the empty ACK at once (never the CSE twice), so the answer is
 * separate even when it then comes in time; the wait's end sends no second empty ACK. */
static void test_retransmission_during_the_wait(void **st)
{
	struct fix f;
	m2mi_coap_opt o[32];
	m2mi_coap_dest a, b;

	(void)st;
	setup(&f, 0, 0);
	m2mi_coap_dest_from(&a, PA, NULL);
	m2mi_coap_dest_from(&b, PB, NULL);
	m2m_coap_deferred *e = take_req(&f, PA, M2MI_COAP_CON, 0x5555, NULL);
	m2m_coap_deferred *gone = take_req(&f, PB, M2MI_COAP_CON, 0x5556, NULL);
	clock_ms += 10;
	assert_false(m2mi_coap_defer_again(f.d, &a, 0x5556)); /* not this peer's */
	assert_false(m2mi_coap_defer_again(f.d, &b, 0x5555));
	assert_int_equal(f.sent.nempty, 0);
	assert_true(m2mi_coap_defer_again(f.d, &a, 0x5555));
	assert_int_equal(f.sent.nempty, 1);
	assert_int_equal(f.sent.empty_mid[0], 0x5555);
	m2mi_coap_defer_forget(f.d, PB); /* a peer gone in its wait gets no empty ACK */
	clock_ms += M2MI_COAP_PIGGYBACK_MS;
	m2mi_coap_defer_tick(f.d);
	assert_int_equal(f.sent.nempty, 1);
	answer(e, 2001, "created");
	assert_int_equal(f.sent.n, 1);
	assert_int_equal(dec(&f, 0, o).type, M2MI_COAP_CON);
	assert_int_equal(dec(&f, 0, o).mid, 0x4000);
	assert_true(m2mi_coap_defer_again(f.d, &a, 0x5555)); /* answered, not ACKed: the empty ACK again */
	assert_int_equal(f.sent.nempty, 2);
	assert_int_equal(f.sent.n, 1);
	answer(gone, 2001, "created");
	assert_int_equal(f.sent.n, 1); /* released, not sent */
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_con_answer_and_backoff),
		cmocka_unit_test(test_random_factor_and_ack),
		cmocka_unit_test(test_non_answer_once),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_take_only_inside_the_handler),
		cmocka_unit_test(test_peer_gone),
		cmocka_unit_test(test_plain_peers_by_address),
		cmocka_unit_test(test_block2_answer),
		cmocka_unit_test(test_piggyback_in_time),
		cmocka_unit_test(test_empty_ack_when_the_wait_ends),
		cmocka_unit_test(test_retransmission_during_the_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
