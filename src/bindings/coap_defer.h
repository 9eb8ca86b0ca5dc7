/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of bindings/coap_defer.c: the separate responses of the
 * CoAP server (RFC 7252 clause 5.2.2). A request whose answer the CSE gives later (a
 * <subscription> waiting for its verification, TS-0004 clause 7.5.1.2.3; a write queued for the
 * store's writer; a forwarded request) is held here. A CON request is first held quietly for
 * M2MI_COAP_PIGGYBACK_MS: an answer in by then goes piggybacked in the ACK (the request's Message
 * ID and token, clause 5.2.1), as an immediate one would. Otherwise the empty ACK goes out when
 * that wait ends (or at once when the request is retransmitted during it); after an empty ACK the
 * answer is always separate. A retransmission never reaches the CSE twice. A separate answer
 * goes out when it is in, as a CON with a new Message ID and the request's token,
 * retransmitted with the exponential back-off of clause 4.2 (ACK_TIMEOUT 2 s, ACK_RANDOM_FACTOR
 * 1.5, MAX_RETRANSMIT 4) until ACKed or Reset, or given up; a NON request's answer is one NON.
 * Bounded per peer and in all (the server refuses beyond, 5.03). A peer that goes while its
 * request is held loses the answer: it is released, never sent. Block-wise answers (RFC 7959)
 * go through the block store exactly as a piggybacked answer does.
 *
 * No sockets, no threads: the server gives a send function and the clock (tests give theirs).
 * Everything runs on the CoAP thread.
 */
#ifndef M2M_BINDINGS_COAP_DEFER_H
#define M2M_BINDINGS_COAP_DEFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bindings/coap_block.h"
#include "bindings/coap_map.h"
#include "m2msec/coap.h"

#define M2MI_COAP_ACK_TIMEOUT_MS 2000 /* RFC 7252 clause 4.8 */
#define M2MI_COAP_MAX_RETRANSMIT 4
#define M2MI_COAP_DEFER_PEER 4        /* answers held for one peer (RFC 7252 4.7: NSTART is 1) */
#define M2MI_COAP_DEFER_TOTAL 256     /* answers held for all peers */
#define M2MI_COAP_DEFER_RETRY_S 5     /* Max-Age of the 5.03 when full */
/* How long a held CON request waits for its answer before the empty ACK goes out (RFC 7252
 * clause 5.2.2 lets the server wait a little, to piggyback): far below ACK_TIMEOUT, so the
 * client never retransmits for it; above the store writer's usual turn-around (under 1 ms). */
#define M2MI_COAP_PIGGYBACK_MS 100

typedef struct m2mi_coap_defer m2mi_coap_defer;

/* Where a message goes: a DTLS peer (peer non-NULL, opaque to this module) or a plain CoAP
 * client's address. */
typedef struct m2mi_coap_dest {
	const void *peer;
	struct sockaddr_storage addr;
	socklen_t alen;
} m2mi_coap_dest;

/* ack_of: the Message ID of the request this datagram is the ACK of (the piggybacked answer or
 * the empty ACK: the server keeps it for the request's retransmissions), -1 for a CON or NON
 * answer of its own. */
typedef void (*m2mi_coap_defer_send_fn)(void *ctx, const m2mi_coap_dest *to, const uint8_t *buf, size_t len,
					int32_t ack_of);

/* The request the server is handing to the CSE, so that the handler can take it over. */
typedef struct m2mi_coap_defer_req {
	m2mi_coap_dest to;
	uint8_t type; /* CON or NON */
	uint16_t mid;
	uint8_t token[8];
	size_t token_len;
	const uint8_t *pk; /* the block store's peer key */
	size_t pklen;
	const m2mi_coap_block_act *act; /* the request half's decision (its Block2 size, Block1 echo) */
	m2mi_coap_reqinfo info;
} m2mi_coap_defer_req;

/* per_peer / total 0 = the defaults above; blocks: the server's block store; next_mid: its
 * Message ID counter (shared: one sequence per endpoint). */
M2M_WUR m2m_err m2mi_coap_defer_new(size_t per_peer, size_t total, m2mi_coap_blocks *blocks, uint16_t *next_mid,
				    m2mi_coap_defer_send_fn send, void *send_ctx, m2mi_coap_defer **out);
/* Free every held answer. The CSE must have released its pending requests first (free the
 * worker before the server): a later m2m_coap_deferred_reply would use freed memory. */
void m2mi_coap_defer_free(m2mi_coap_defer *d);
/* Tests: the millisecond clock (default CLOCK_MONOTONIC) and the random draw of the first timeout. */
void m2mi_coap_defer_set_clock(m2mi_coap_defer *d, int64_t (*now_ms)(void), uint32_t (*rnd)(void));

/* Room for one more held answer of to's peer (and in all)? */
bool m2mi_coap_defer_room(const m2mi_coap_defer *d, const m2mi_coap_dest *to);
/* A CON request of to's peer with this Message ID is held (its answer not yet ACKed). */
bool m2mi_coap_defer_waiting(const m2mi_coap_defer *d, const m2mi_coap_dest *to, uint16_t mid);
/* A retransmission of a CON request: when it is held, send its empty ACK (now, if the quiet wait
 * still ran: the answer will then be separate) and return true; the CSE never sees it twice. */
bool m2mi_coap_defer_again(m2mi_coap_defer *d, const m2mi_coap_dest *to, uint16_t mid);
/* Around the handler: begin makes cur the request m2m_coap_defer() takes; end returns true when
 * it was taken (the server then sends nothing: the ACK of a CON comes from here). */
void m2mi_coap_defer_begin(m2mi_coap_defer *d, const m2mi_coap_defer_req *cur);
bool m2mi_coap_defer_end(m2mi_coap_defer *d);
/* Inside the handler: take the current request over (NULL when none, no room or no memory). */
m2m_coap_deferred *m2mi_coap_defer_take(m2mi_coap_defer *d);
/* An ACK or Reset from to's peer for Message ID mid: the CON answer it matches is done. */
void m2mi_coap_defer_ack(m2mi_coap_defer *d, const m2mi_coap_dest *to, uint16_t mid);
/* A DTLS peer is gone: its held answers are released (those still in the CSE when they come). */
void m2mi_coap_defer_forget(m2mi_coap_defer *d, const void *peer);
/* Send the empty ACKs whose quiet wait ended; retransmit the CON answers that are due; give up
 * after MAX_RETRANSMIT. */
void m2mi_coap_defer_tick(m2mi_coap_defer *d);
/* Milliseconds until the next tick has work (at most max, at least 0): the server's poll timeout. */
int m2mi_coap_defer_wait_ms(const m2mi_coap_defer *d, int max);
/* Held answers (waiting for the CSE or for an ACK), all peers. */
size_t m2mi_coap_defer_count(const m2mi_coap_defer *d);
/* The address key of a plain client (as the block store's, for matching). */
void m2mi_coap_dest_from(m2mi_coap_dest *to, const void *peer, const struct sockaddr *from);

#endif
