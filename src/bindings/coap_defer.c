/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the separate responses of the CoAP server (bindings/coap_defer.h; RFC
 * 7252 clauses 4.2, 4.5, 5.2.1 and 5.2.2): the table of requests whose answer the CSE gives
 * later, the quiet wait that lets a quick answer ride in the ACK, the empty ACK when it ends, the
 * CON answer's retransmission with exponential back-off, and its match with the peer's ACK or
 * Reset. A small list: at most M2MI_COAP_DEFER_TOTAL entries, each looked at per datagram or
 * per poll tick of the CoAP thread.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>

#include <openssl/rand.h>

#include "bindings/coap_defer.h"
#include "bindings/coap_wire.h"
#include "core/metrics.h"
#include "m2msec/log.h"
#include "m2msec/rsc.h"

#define DEFER_DGRAM_MAX 16384 /* one DTLS record's plaintext, as the server's */

struct m2m_coap_deferred {
	m2mi_coap_defer *d;
	struct m2m_coap_deferred *next;
	m2mi_coap_dest to;
	bool orphan;   /* its peer went while the CSE held it: released when the CSE hands it back */
	bool answered; /* the CON answer went out and waits for its ACK */
	bool acked;    /* a CON request's empty ACK went out: its answer can only be separate */
	int64_t ack_due_ms; /* a CON request's quiet wait ends: the empty ACK goes out */
	uint8_t type;
	uint16_t req_mid, rsp_mid;
	uint8_t token[8];
	size_t token_len;
	uint8_t pk[M2MI_COAP_BLOCK_PEER_MAX];
	size_t pklen;
	m2mi_coap_block_act act;
	m2mi_coap_reqinfo info;
	uint8_t *bytes; /* the CON answer, for its retransmissions */
	size_t len;
	int64_t due_ms, timeout_ms;
	unsigned tries;
};

struct m2mi_coap_defer {
	size_t per_peer, total, n;
	struct m2m_coap_deferred *head;
	m2mi_coap_blocks *blocks;
	uint16_t *next_mid;
	m2mi_coap_defer_send_fn send;
	void *send_ctx;
	int64_t (*now_ms)(void);
	uint32_t (*rnd)(void);
	const m2mi_coap_defer_req *cur; /* the request in the handler */
	bool taken;
	uint8_t tx[DEFER_DGRAM_MAX];
};

static int64_t mono_ms(void)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static uint32_t draw(void)
{
	uint32_t v = 0;

	(void)RAND_bytes((unsigned char *)&v, sizeof(v));
	return v;
}

m2m_err m2mi_coap_defer_new(size_t per_peer, size_t total, m2mi_coap_blocks *blocks, uint16_t *next_mid,
			    m2mi_coap_defer_send_fn send, void *send_ctx, m2mi_coap_defer **out)
{
	m2mi_coap_defer *d;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (blocks == NULL || next_mid == NULL || send == NULL)
		return M2M_E_INVAL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return M2M_E_NOMEM;
	d->per_peer = per_peer != 0 ? per_peer : M2MI_COAP_DEFER_PEER;
	d->total = total != 0 ? total : M2MI_COAP_DEFER_TOTAL;
	d->blocks = blocks;
	d->next_mid = next_mid;
	d->send = send;
	d->send_ctx = send_ctx;
	d->now_ms = mono_ms;
	d->rnd = draw;
	*out = d;
	return M2M_OK;
}

static void entry_free(m2mi_coap_defer *d, struct m2m_coap_deferred *e)
{
	for (struct m2m_coap_deferred **pp = &d->head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			d->n--;
			break;
		}
	free(e->bytes);
	m2mi_coap_block_act_clear(&e->act);
	free(e);
}

void m2mi_coap_defer_free(m2mi_coap_defer *d)
{
	if (d == NULL)
		return;
	while (d->head != NULL)
		entry_free(d, d->head);
	free(d);
}

void m2mi_coap_defer_set_clock(m2mi_coap_defer *d, int64_t (*now_ms)(void), uint32_t (*rnd)(void))
{
	d->now_ms = now_ms != NULL ? now_ms : mono_ms;
	d->rnd = rnd != NULL ? rnd : draw;
}

void m2mi_coap_dest_from(m2mi_coap_dest *to, const void *peer, const struct sockaddr *from)
{
	memset(to, 0, sizeof(*to));
	to->peer = peer;
	if (peer != NULL || from == NULL)
		return;
	/* only the address family's own bytes: two datagrams of one client compare equal */
	to->alen = from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	memcpy(&to->addr, from, to->alen);
}

static bool same(const m2mi_coap_dest *a, const m2mi_coap_dest *b)
{
	if (a->peer != NULL || b->peer != NULL)
		return a->peer == b->peer;
	return a->alen == b->alen && a->alen > 0 && memcmp(&a->addr, &b->addr, a->alen) == 0;
}

bool m2mi_coap_defer_room(const m2mi_coap_defer *d, const m2mi_coap_dest *to)
{
	size_t mine = 0;

	if (d->n >= d->total)
		return false;
	for (const struct m2m_coap_deferred *e = d->head; e != NULL; e = e->next)
		if (!e->orphan && same(&e->to, to))
			mine++;
	return mine < d->per_peer;
}

bool m2mi_coap_defer_waiting(const m2mi_coap_defer *d, const m2mi_coap_dest *to, uint16_t mid)
{
	for (const struct m2m_coap_deferred *e = d->head; e != NULL; e = e->next)
		if (!e->orphan && e->type == M2MI_COAP_CON && e->req_mid == mid && same(&e->to, to))
			return true;
	return false;
}

void m2mi_coap_defer_begin(m2mi_coap_defer *d, const m2mi_coap_defer_req *cur)
{
	d->cur = cur;
	d->taken = false;
}

bool m2mi_coap_defer_end(m2mi_coap_defer *d)
{
	bool taken = d->taken;

	d->cur = NULL;
	d->taken = false;
	return taken;
}

m2m_coap_deferred *m2mi_coap_defer_take(m2mi_coap_defer *d)
{
	const m2mi_coap_defer_req *c;
	struct m2m_coap_deferred *e;

	if (d == NULL || (c = d->cur) == NULL || d->taken || !m2mi_coap_defer_room(d, &c->to) ||
	    c->token_len > sizeof(e->token) || c->pklen > sizeof(e->pk) || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->d = d;
	e->to = c->to;
	e->type = c->type;
	e->req_mid = c->mid;
	memcpy(e->token, c->token, c->token_len);
	e->token_len = c->token_len;
	memcpy(e->pk, c->pk, c->pklen);
	e->pklen = c->pklen;
	if (c->act != NULL)
		e->act = *c->act;
	e->act.whole = NULL; /* the request body stays the server's (freed after the handler) */
	e->act.payload = NULL;
	e->act.payload_len = 0;
	e->info = c->info;
	e->ack_due_ms = d->now_ms() + M2MI_COAP_PIGGYBACK_MS;
	e->next = d->head;
	d->head = e;
	d->n++;
	d->taken = true;
	return e;
}

/* The empty ACK of a held CON request (RFC 7252 clause 5.2.2): from now on its answer is separate. */
static void empty_ack(m2mi_coap_defer *d, struct m2m_coap_deferred *e)
{
	m2mi_coap_msg m;
	size_t len = 0;

	memset(&m, 0, sizeof(m));
	m.type = M2MI_COAP_ACK;
	m.mid = e->req_mid;
	if (m2mi_coap_encode(&m, d->tx, sizeof(d->tx), &len) == M2M_OK)
		d->send(d->send_ctx, &e->to, d->tx, len, e->req_mid);
	e->acked = true;
}

/* The answer as the piggybacked path builds it (mapping, then the block store): piggy, in the
 * ACK with the request's Message ID (clause 5.2.1); else as a CON or NON with a new Message ID;
 * always the request's token (clause 5.3.2); 5.00 when it does not fit. Returns its length in
 * d->tx, 0 for none. */
static size_t build(m2mi_coap_defer *d, struct m2m_coap_deferred *e, bool piggy, const m2m_request *req,
		    m2m_response *rsp)
{
	m2mi_coap_out out;
	m2mi_coap_msg m;
	size_t len = 0;
	bool ok = false;

	memset(&out, 0, sizeof(out));
	memset(&m, 0, sizeof(m));
	m.type = piggy ? M2MI_COAP_ACK : e->type == M2MI_COAP_CON ? M2MI_COAP_CON : M2MI_COAP_NON;
	m.mid = piggy ? e->req_mid : (e->rsp_mid = (*d->next_mid)++);
	m.token = e->token;
	m.token_len = e->token_len;
	if (m2mi_coap_from_response(req, rsp, &e->info, &out) == M2M_OK &&
	    m2mi_coap_block_response(d->blocks, e->pk, e->pklen, &e->act, out.code, out.opts, out.nopts,
				     (const uint8_t *)out.payload, out.payload_len, (int64_t)time(NULL)) == M2M_OK) {
		m.code = e->act.rep.code;
		m.opts = e->act.rep.opts;
		m.nopts = e->act.rep.nopts;
		m.payload = e->act.rep.payload;
		m.payload_len = e->act.rep.payload_len;
		ok = m.code != 0 && m2mi_coap_encode(&m, d->tx, sizeof(d->tx), &len) == M2M_OK;
	}
	if (!ok) {
		m.code = M2MI_COAP_CODE(5, 0);
		m.opts = NULL;
		m.nopts = 0;
		m.payload = NULL;
		m.payload_len = 0;
		if (m2mi_coap_encode(&m, d->tx, sizeof(d->tx), &len) != M2M_OK)
			len = 0;
	}
	m2mi_coap_out_clear(&out);
	return len;
}

void m2m_coap_deferred_reply(m2m_coap_deferred *e, const m2m_request *req, m2m_response *rsp)
{
	m2mi_coap_defer *d;
	size_t len;
	bool piggy;

	if (e == NULL)
		return;
	d = e->d;
	if (req == NULL || rsp == NULL || e->orphan) { /* released, or nobody to answer */
		entry_free(d, e);
		return;
	}
	if (rsp->rsc == 0)
		m2m_response_error(rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "internal error");
	m2mi_metrics_request(req->op, rsp->rsc, 0);
	piggy = e->type == M2MI_COAP_CON && !e->acked; /* in within the quiet wait: in the ACK */
	if ((len = build(d, e, piggy, req, rsp)) == 0) {
		entry_free(d, e);
		return;
	}
	d->send(d->send_ctx, &e->to, d->tx, len, piggy ? e->req_mid : -1);
	if (piggy || e->type != M2MI_COAP_CON || (e->bytes = malloc(len)) == NULL) {
		/* an ACK is never retransmitted (clause 4.2: the request's retransmission gets it
		 * again from the server's cache); a NON answer goes once; without memory a CON too */
		entry_free(d, e);
		return;
	}
	memcpy(e->bytes, d->tx, len);
	e->len = len;
	e->answered = true;
	e->tries = 0;
	/* RFC 7252 clause 4.2: the first timeout is random in [ACK_TIMEOUT, ACK_TIMEOUT * 1.5] */
	e->timeout_ms = M2MI_COAP_ACK_TIMEOUT_MS + (int64_t)(d->rnd() % (M2MI_COAP_ACK_TIMEOUT_MS / 2 + 1));
	e->due_ms = d->now_ms() + e->timeout_ms;
}

bool m2mi_coap_defer_again(m2mi_coap_defer *d, const m2mi_coap_dest *to, uint16_t mid)
{
	for (struct m2m_coap_deferred *e = d->head; e != NULL; e = e->next)
		if (!e->orphan && e->type == M2MI_COAP_CON && e->req_mid == mid && same(&e->to, to)) {
			/* the client retransmits: it waited ACK_TIMEOUT, or the network doubled the
			 * datagram. Either way it gets the empty ACK now rather than a silence. */
			empty_ack(d, e);
			return true;
		}
	return false;
}

void m2mi_coap_defer_ack(m2mi_coap_defer *d, const m2mi_coap_dest *to, uint16_t mid)
{
	for (struct m2m_coap_deferred *e = d->head; e != NULL; e = e->next)
		if (e->answered && e->rsp_mid == mid && same(&e->to, to)) {
			entry_free(d, e);
			return;
		}
}

void m2mi_coap_defer_forget(m2mi_coap_defer *d, const void *peer)
{
	struct m2m_coap_deferred *e = d->head, *next;

	if (d == NULL || peer == NULL)
		return;
	for (; e != NULL; e = next) {
		next = e->next;
		if (e->to.peer != peer)
			continue;
		if (e->answered) {
			entry_free(d, e);
		} else { /* the CSE still has it: its reply frees it, sends nothing */
			e->orphan = true;
			e->to.peer = NULL;
		}
	}
}

void m2mi_coap_defer_tick(m2mi_coap_defer *d)
{
	struct m2m_coap_deferred *e, *next;
	int64_t now;

	if (d == NULL || d->head == NULL)
		return;
	now = d->now_ms();
	for (e = d->head; e != NULL; e = next) {
		next = e->next;
		if (!e->answered && !e->orphan && e->type == M2MI_COAP_CON && !e->acked && now >= e->ack_due_ms)
			empty_ack(d, e); /* the quiet wait is over: the answer will be separate */
		if (!e->answered || now < e->due_ms)
			continue;
		if (e->tries >= M2MI_COAP_MAX_RETRANSMIT) { /* clause 4.2: give up */
			m2m_log(M2M_LOG_DEBUG, "CoAP: a separate response was never acknowledged: given up");
			entry_free(d, e);
			continue;
		}
		d->send(d->send_ctx, &e->to, e->bytes, e->len, -1);
		e->tries++;
		e->timeout_ms *= 2;
		e->due_ms += e->timeout_ms;
	}
}

int m2mi_coap_defer_wait_ms(const m2mi_coap_defer *d, int max)
{
	int64_t now, wait = max;

	if (d == NULL || d->head == NULL)
		return max;
	now = d->now_ms();
	for (const struct m2m_coap_deferred *e = d->head; e != NULL; e = e->next) {
		if (e->answered && e->due_ms - now < wait)
			wait = e->due_ms - now;
		else if (!e->answered && !e->orphan && e->type == M2MI_COAP_CON && !e->acked && e->ack_due_ms - now < wait)
			wait = e->ack_due_ms - now;
	}
	return wait < 0 ? 0 : (int)wait;
}

size_t m2mi_coap_defer_count(const m2mi_coap_defer *d)
{
	return d != NULL ? d->n : 0;
}
