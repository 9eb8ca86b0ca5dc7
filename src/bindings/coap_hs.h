/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the DTLS handshake driver of the CoAP server for
 * asynchronous PSK lookups (bindings/coap_hs.c; docs/coap-dtls.md, docs/tls.md "Asynchronous
 * PSK lookup"; TS-0003 clause 8.2.2.1 MEF KeIDs, clause 8.2.2.3 MAF Kc identifiers): the poll
 * loop's counterpart of http_hs.c, over the same psk_async.c machinery and call queue.
 */
#ifndef M2MSEC_BINDINGS_COAP_HS_H
#define M2MSEC_BINDINGS_COAP_HS_H

#include <stdbool.h>
#include <stdint.h>
#include <openssl/ssl.h>

#include "bindings/call_queue.h"
#include "m2msec/tls.h"

/* What the CoAP thread shares between its handshakes. */
typedef struct m2mi_coap_hs_loop {
	m2mi_call_queue *calls; /* answers of lookups from other threads (m2m_psk_wait_done_post) */
	unsigned inflight;      /* lookups waited on by this thread */
	unsigned max_inflight;  /* psk-lookups-max: beyond, a lookup is not waited for (fails closed) */
	int lookup_ms;          /* psk-lookup-timeout-ms: the deadline of one lookup */
} m2mi_coap_hs_loop;

/* One DTLS session's handshake. Lives inside the session (its address is the wake argument). */
typedef struct m2mi_coap_hs {
	m2m_tls_async_host host;
	bool attached;
	bool woken;          /* the lookup was answered (or cancelled): step again */
	int64_t deadline_ms; /* monotonic ms of the pending lookup's deadline, 0 = none */
} m2mi_coap_hs;

typedef enum { M2MI_COAP_HS_DONE, M2MI_COAP_HS_AGAIN, M2MI_COAP_HS_FAILED } m2mi_coap_hs_state;

/* 0 for max_inflight / lookup_ms: the HTTPS listener's defaults. */
m2m_err m2mi_coap_hs_loop_init(m2mi_coap_hs_loop *l, unsigned max_inflight, int lookup_ms);
/* Run the answers still queued (they complete abandoned waits), then free the queue. */
void m2mi_coap_hs_loop_fini(m2mi_coap_hs_loop *l);
/* Let ssl's handshake pause in a lookup (only when tls has an asynchronous resolver). */
m2m_err m2mi_coap_hs_attach(m2mi_coap_hs_loop *l, m2mi_coap_hs *hs, SSL *ssl, const m2m_tls *tls);
/* One SSL_accept step. AGAIN: wants a datagram, or waits for a lookup (see _paused). */
m2mi_coap_hs_state m2mi_coap_hs_step(m2mi_coap_hs_loop *l, m2mi_coap_hs *hs, SSL *ssl, int64_t now_ms);
/* A lookup is pending and not answered: read nothing, retransmit nothing, wait for the wake. */
bool m2mi_coap_hs_paused(const m2mi_coap_hs *hs, const SSL *ssl);
/* The pending lookup's deadline passed: it is cancelled, the next step fails (true). */
bool m2mi_coap_hs_expire(m2mi_coap_hs *hs, SSL *ssl, int64_t now_ms);
/* Before SSL_free: unwind a paused handshake (else its ASYNC job leaks) and detach. */
void m2mi_coap_hs_release(m2mi_coap_hs *hs, SSL *ssl);
/* Monotonic milliseconds. */
int64_t m2mi_coap_hs_now_ms(void);

#endif
