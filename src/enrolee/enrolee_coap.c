/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the message layer of the enrolee library's CoAP client (RFC 7252 clauses
 * 4 and 5, RFC 7959 clause 2; TS-0008 V3.9.0 clause 6) over a datagram channel
 * (enrolee/enrolee_coap.h): every request is Confirmable, retransmitted after ACK_TIMEOUT with a
 * random factor and doubled each time, at most MAX_RETRANSMIT times (clause 4.2), and never past
 * the caller's total deadline; an ACK or Reset counts only with the request's Message ID, a
 * response only with its token (clause 5.3.2); an empty ACK means a separate response follows
 * (clause 5.2.2), which is acknowledged when Confirmable; a response delivered in blocks (Block2)
 * is asked for block by block and reassembled up to a bound, each block checked to continue the
 * one before (same code and ETag, offset NUM * size equal to what was received). The primitive
 * mapping is bindings/coap_client_map.c; nothing here interprets oneM2M content.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "bindings/coap_client_map.h"
#include "bindings/coap_wire.h"
#include "enrolee/enrolee_coap.h"
#include "enrolee/enrolee_int.h"

static m2m_err failw(m2mi_coapc *c, m2m_err r, const char *why)
{
	snprintf(c->why, sizeof(c->why), "%s", why);
	return r;
}

static void seed(m2mi_coapc *c)
{
	if (c->seeded)
		return;
	/* clause 4.4 / 5.3.1: unpredictable starting Message ID and tokens */
	if (RAND_bytes((unsigned char *)&c->next_mid, sizeof(c->next_mid)) != 1 ||
	    RAND_bytes((unsigned char *)&c->next_token, sizeof(c->next_token)) != 1)
		c->next_token = (uint64_t)m2mi_enr_now_ms();
	c->seeded = true;
}

/* An empty ACK or Reset for a message of the server (clause 4.2, 4.3); best effort. */
static void send_empty(m2mi_coapc *c, uint8_t type, uint16_t mid)
{
	uint8_t b[4] = {(uint8_t)(0x40 | type << 4), 0, (uint8_t)(mid >> 8), (uint8_t)mid};

	(void)c->chan.send(c->chan.ctx, b, sizeof(b));
}

/* The initial timeout: ACK_TIMEOUT times a random factor in [1, 1.5] (clause 4.8). */
static int64_t first_timeout(void)
{
	uint16_t r = 0;

	(void)RAND_bytes((unsigned char *)&r, sizeof(r));
	return M2MI_COAPC_ACK_TIMEOUT_MS + (int64_t)r % (M2MI_COAPC_ACK_TIMEOUT_MS / 2 + 1);
}

/*
 * Send the CON request tx (Message ID mid, token tok) and wait for its response: *msg is the
 * decoded response (pointing into rx and opts). Piggybacked in the ACK, or separate after an
 * empty ACK (or even before it: the response acknowledges the request, clause 5.2.2).
 */
static m2m_err exchange(m2mi_coapc *c, const uint8_t *tx, size_t txlen, uint16_t mid, const uint8_t tok[8], uint8_t *rx,
			m2mi_coap_opt *opts, m2mi_coap_msg *msg)
{
	int64_t timeout = first_timeout(), next;
	unsigned tries = 0;
	bool acked = false;

	if (c->chan.send(c->chan.ctx, tx, txlen) != M2M_OK)
		return failw(c, M2M_E_IO, "sending the request failed");
	next = m2mi_enr_now_ms() + timeout;
	for (;;) {
		int64_t now = m2mi_enr_now_ms(), until;
		size_t n = 0;
		m2m_err r;

		if (now >= c->deadline_ms)
			return failw(c, M2M_E_IO, acked ? "the separate response did not arrive before the deadline"
							: "no answer before the deadline");
		until = acked || next > c->deadline_ms ? c->deadline_ms : next;
		r = c->chan.recv(c->chan.ctx, rx, M2MI_COAPC_DGRAM_MAX, &n, until);
		if (r == M2M_E_RANGE) {
			if (acked || m2mi_enr_now_ms() >= c->deadline_ms)
				continue; /* the top of the loop ends it at the deadline */
			if (tries == M2MI_COAPC_MAX_RETRANSMIT)
				return failw(c, M2M_E_IO, "no answer after 4 retransmissions");
			tries++;
			c->retransmissions++;
			timeout *= 2; /* clause 4.2: exponential back-off */
			next = m2mi_enr_now_ms() + timeout;
			if (c->chan.send(c->chan.ctx, tx, txlen) != M2M_OK)
				return failw(c, M2M_E_IO, "sending the request failed");
			continue;
		}
		if (r != M2M_OK)
			return failw(c, M2M_E_IO, "the connection failed");
		if (m2mi_coap_decode(rx, n, opts, M2MI_COAP_MAX_NOPTS, msg) != M2M_OK)
			continue; /* clause 4.2: a message that cannot be processed is ignored (or rejected) */
		if (msg->type == M2MI_COAP_ACK || msg->type == M2MI_COAP_RST) {
			if (msg->mid != mid)
				continue; /* an old or foreign exchange */
			if (msg->type == M2MI_COAP_RST)
				return failw(c, M2M_E_PROTO, "the server rejected the request (Reset)");
			if (msg->code == 0) {
				acked = true; /* clause 5.2.2: a separate response follows */
				continue;
			}
			if (msg->token_len != 8 || memcmp(msg->token, tok, 8) != 0)
				return failw(c, M2M_E_PROTO, "the acknowledgement carries another request's token");
			return M2M_OK;
		}
		if (msg->code == 0 || M2MI_COAP_CLASS(msg->code) == 0) { /* a ping, or a request to us */
			if (msg->type == M2MI_COAP_CON)
				send_empty(c, M2MI_COAP_RST, msg->mid);
			continue;
		}
		if (msg->token_len != 8 || memcmp(msg->token, tok, 8) != 0) {
			/* clause 5.3.2: not ours; a repeat of a separate response already taken is ACKed
			 * again (our ACK was lost), anything else Confirmable is rejected */
			if (msg->type == M2MI_COAP_CON)
				send_empty(c, c->has_sep && msg->mid == c->last_sep_mid ? M2MI_COAP_ACK : M2MI_COAP_RST,
					   msg->mid);
			continue;
		}
		if (msg->type == M2MI_COAP_CON) {
			send_empty(c, M2MI_COAP_ACK, msg->mid);
			c->last_sep_mid = msg->mid;
			c->has_sep = true;
		}
		return M2M_OK;
	}
}

/* Reassembly state of a Block2 transfer (RFC 7959 clause 2.4). */
struct blocks {
	uint8_t *body;
	size_t len;
	uint32_t next_num;
	uint8_t code;
	uint8_t etag[8];
	size_t etag_len;
};

/* Take one block; *done when it was the last. */
static m2m_err take_block(m2mi_coapc *c, struct blocks *b, const m2mi_coap_msg *msg, const m2mi_coap_rspinfo *info,
			  bool *done)
{
	size_t bsz = (size_t)16 << info->block2_szx;
	uint8_t *nb;

	*done = false;
	if (info->block2_num != b->next_num || (uint64_t)info->block2_num * bsz != b->len)
		return failw(c, M2M_E_PROTO, "a block of the response is out of order");
	if (b->len == 0) {
		b->code = msg->code;
		b->etag_len = info->etag_len;
		if (info->etag_len > 0)
			memcpy(b->etag, info->etag, info->etag_len);
	} else if (msg->code != b->code || info->etag_len != b->etag_len ||
		   (b->etag_len > 0 && memcmp(info->etag, b->etag, b->etag_len) != 0)) {
		return failw(c, M2M_E_PROTO, "the response changed between its blocks");
	}
	if (info->block2_more && msg->payload_len != bsz)
		return failw(c, M2M_E_PROTO, "a block of the response has the wrong size");
	if (msg->payload_len > c->max_body - b->len)
		return failw(c, M2M_E_TOO_LARGE, "the response is larger than allowed");
	if (msg->payload_len > 0) {
		if ((nb = realloc(b->body, b->len + msg->payload_len)) == NULL)
			return failw(c, M2M_E_NOMEM, "out of memory");
		b->body = nb;
		memcpy(b->body + b->len, msg->payload, msg->payload_len);
		b->len += msg->payload_len;
	}
	c->blocks++;
	if (!info->block2_more) {
		*done = true;
		return M2M_OK;
	}
	if (info->block2_num >= 0xfffff)
		return failw(c, M2M_E_TOO_LARGE, "the response has too many blocks");
	b->next_num = info->block2_num + 1;
	return M2M_OK;
}

m2m_err m2mi_coapc_request(m2mi_coapc *c, const m2m_request *req, m2m_response *rsp)
{
	uint8_t *tx = malloc(M2MI_COAPC_DGRAM_MAX), *rx = malloc(M2MI_COAPC_DGRAM_MAX);
	m2mi_coap_opt *opts = calloc(M2MI_COAP_MAX_NOPTS, sizeof(*opts));
	struct blocks b = {0};
	long block2 = M2MI_COAP_NO_BLOCK2;
	m2m_err r;

	if (c == NULL || req == NULL || rsp == NULL || c->chan.send == NULL || c->chan.recv == NULL) {
		r = M2M_E_INVAL;
		goto out;
	}
	c->why[0] = '\0';
	if (tx == NULL || rx == NULL || opts == NULL) {
		r = failw(c, M2M_E_NOMEM, "out of memory");
		goto out;
	}
	seed(c);
	for (;;) {
		m2mi_coap_out out;
		m2mi_coap_msg m = {0}, msg;
		m2mi_coap_rspinfo info;
		uint8_t tok[8];
		size_t txlen = 0;
		bool done;

		if ((r = m2mi_coap_from_request(req, block2, &out)) != M2M_OK) {
			failw(c, r, "the request does not map to CoAP");
			goto out;
		}
		for (int i = 0; i < 8; i++)
			tok[i] = (uint8_t)(c->next_token >> (8 * i));
		c->next_token++;
		m.type = M2MI_COAP_CON;
		m.code = out.code;
		m.mid = c->next_mid++;
		m.token = tok;
		m.token_len = sizeof(tok);
		m.opts = out.opts;
		m.nopts = out.nopts;
		m.payload = (const uint8_t *)out.payload;
		m.payload_len = out.payload_len;
		r = m2mi_coap_encode(&m, tx, M2MI_COAPC_DGRAM_MAX, &txlen);
		m2mi_coap_out_clear(&out);
		if (r != M2M_OK) { /* no Block1: a request is one datagram */
			r = failw(c, r == M2M_E_RANGE ? M2M_E_TOO_LARGE : r, "the request does not fit one datagram");
			goto out;
		}
		if ((r = exchange(c, tx, txlen, m.mid, tok, rx, opts, &msg)) != M2M_OK)
			goto out;
		if (m2mi_coap_rsp_check(&msg, &info) != M2M_OK) {
			r = failw(c, M2M_E_PROTO, "the answer is no oneM2M CoAP response");
			goto out;
		}
		if (!info.has_block2 && block2 == M2MI_COAP_NO_BLOCK2) { /* the whole answer in one */
			if (msg.payload_len > c->max_body) {
				r = failw(c, M2M_E_TOO_LARGE, "the response is larger than allowed");
				goto out;
			}
			r = m2mi_coap_to_response(&msg, req->rqi, rsp);
			if (r != M2M_OK)
				failw(c, r, "the answer does not map to a oneM2M response");
			goto out;
		}
		if (!info.has_block2) {
			r = failw(c, M2M_E_PROTO, "a block-wise response lost its Block2 option");
			goto out;
		}
		if ((r = take_block(c, &b, &msg, &info, &done)) != M2M_OK)
			goto out;
		if (done) {
			msg.payload = b.body;
			msg.payload_len = b.len;
			r = m2mi_coap_to_response(&msg, req->rqi, rsp);
			if (r != M2M_OK)
				failw(c, r, "the answer does not map to a oneM2M response");
			goto out;
		}
		/* RFC 7959 clause 2.4: ask for the next block with the size the server chose */
		block2 = (long)b.next_num << 4 | (long)info.block2_szx;
	}
out:
	free(b.body);
	free(tx);
	free(rx);
	free(opts);
	return r;
}
