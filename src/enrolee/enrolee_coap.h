/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the enrolee library's CoAP client (TS-0008
 * V3.9.0, RFC 7252, RFC 7959): the message layer over any datagram channel (enrolee_coap.c:
 * Confirmable requests with the retransmission and exponential back-off of RFC 7252 clause 4.2
 * inside one total deadline, matching of ACK / Reset by Message ID and of responses by token,
 * piggybacked and separate responses, Block2 reassembly with a bound) and its DTLS 1.2 channel
 * (enrolee_dtls.c: UDP socket, handshake with PSK or certificate, records). Hidden symbols,
 * shared with the unit tests.
 */
#ifndef M2M_ENROLEE_COAP_H
#define M2M_ENROLEE_COAP_H

#include <openssl/ssl.h>

#include "m2msec/primitive.h"

/* RFC 7252 clause 4.8 transmission parameters (defaults). */
#define M2MI_COAPC_ACK_TIMEOUT_MS 2000
#define M2MI_COAPC_MAX_RETRANSMIT 4
#define M2MI_COAPC_DGRAM_MAX 16384 /* one DTLS record's plaintext (RFC 6347: 2^14) */

/* A datagram channel: send one datagram; receive one before until_ms (M2M_E_RANGE when
 * until_ms passed with nothing; any other error is fatal). */
typedef struct m2mi_coapc_chan {
	void *ctx;
	m2m_err (*send)(void *ctx, const uint8_t *buf, size_t len);
	m2m_err (*recv)(void *ctx, uint8_t *buf, size_t cap, size_t *len, int64_t until_ms);
} m2mi_coapc_chan;

/* The state of a client on one channel (zero it, then set chan, deadline_ms and max_body). */
typedef struct m2mi_coapc {
	m2mi_coapc_chan chan;
	int64_t deadline_ms;       /* CLOCK_MONOTONIC ms: nothing runs past it */
	size_t max_body;           /* reassembled response payload bound */
	uint16_t next_mid;         /* Message IDs: random start, then sequential */
	uint64_t next_token;       /* tokens: random start, then sequential (never reused) */
	bool seeded;
	uint16_t last_sep_mid;     /* the last separate CON response ACKed (duplicates re-ACKed) */
	bool has_sep;
	unsigned retransmissions;  /* counters for tests and diagnostics */
	unsigned blocks;
	char why[128];             /* the reason of the last failure (never a key) */
} m2mi_coapc;

/*
 * One request/response exchange (Block2 follow-up requests included) of req on c; *rsp
 * (initialised) gets the mapped answer. Errors: M2M_E_IO (deadline passed, no answer after
 * MAX_RETRANSMIT retransmissions, channel failure), M2M_E_PROTO (a Reset, or an answer that
 * does not map: bindings/coap_client_map.c), M2M_E_TOO_LARGE (request over one datagram,
 * response over max_body), M2M_E_INVAL, M2M_E_NOMEM. c->why says which.
 */
M2M_WUR m2m_err m2mi_coapc_request(m2mi_coapc *c, const m2m_request *req, m2m_response *rsp);

#endif
