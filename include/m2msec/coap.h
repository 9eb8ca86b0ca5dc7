/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public API of the CoAP server of the secure CSE (TS-0008 V3.9.0,
 * docs/coap-dtls.md): one thread of its own (it never runs on, nor blocks, the HTTP event loops)
 * with a DTLS 1.2 endpoint on OpenSSL (cookie exchange, one connected socket per peer) under the
 * SAME policy as HTTPS (the m2m_tls of the https listener: cipher suites, PSK resolver chain
 * with asynchronous MEF/MAF lookups that pause only that handshake, client certificates with
 * the same trust anchors, CRL and identity mapping; TS-0003 clauses 8.2.2.1, 8.2.2.2, 10.2),
 * and an optional loopback-only plain CoAP endpoint (security association of
 * kind M2M_SA_NONE, like http-listen). Every request reaches the handler with the security
 * association of its DTLS session, exactly as the HTTP binding passes it.
 */
#ifndef M2MSEC_COAP_H
#define M2MSEC_COAP_H

#include "m2msec/err.h"
#include "m2msec/http.h" /* m2m_http_conn_hooks: one hook shape for both bindings */
#include "m2msec/primitive.h"
#include "m2msec/sa.h"

#define M2M_COAP_MAX_PEERS 1024 /* DTLS sessions held at once; beyond, new handshakes are dropped */

typedef struct m2m_tls m2m_tls;
typedef struct m2m_coap_server m2m_coap_server;

/* Called on the CoAP thread once per mapped request; must fill rsp (rsc 0 is answered as 5000). */
typedef void (*m2m_coap_handler_fn)(void *ctx, const m2m_sa *sa, m2m_request *req, m2m_response *rsp);

typedef struct m2m_coap_server_config {
	const char *coaps_listen; /* "host:port"; NULL, "" or "off" = no DTLS endpoint */
	m2m_tls *tls;             /* required with coaps_listen: its PSK resolver chain */
	const char *coap_listen;  /* plain CoAP, loopback only; NULL, "" or "off" = none */
	size_t max_body;          /* largest request body, reassembled from Block1 (RFC 7959); 0 = 1 MiB */
	size_t block_size;        /* Block2 size of large answers, 16..1024, a power of two; 0 = 1024 */
	/* Asynchronous PSK lookups during a DTLS handshake, as on HTTPS (m2m_http_server_config):
	 * the deadline of one lookup in ms (0 = M2M_HTTP_DEFAULT_PSK_LOOKUP_MS) and the lookups the
	 * CoAP thread waits on at once (0 = M2M_HTTP_DEFAULT_PSK_LOOKUPS). */
	int psk_lookup_timeout_ms;
	unsigned psk_lookups_max;
} m2m_coap_server_config;

/*
 * Create the libcoap context and bind the endpoints (port 0 = ephemeral). Errors: M2M_E_CONFIG
 * (bad address, non-loopback plain CoAP, coaps without tls, no endpoint), M2M_E_HTTP_BIND
 * (address in use), M2M_E_NOMEM, M2M_E_INTERNAL.
 */
M2M_API M2M_WUR m2m_err m2m_coap_server_new(const m2m_coap_server_config *cfg, m2m_coap_handler_fn fn,
					    void *ctx, m2m_coap_server **out);
/* The bound UDP port of the DTLS (secure) or plain endpoint, 0 when there is none. */
M2M_API int m2m_coap_server_port(const m2m_coap_server *srv, bool secure);
/*
 * Per-peer service state (the MEF/MAF association with the keys exported from the DTLS session,
 * TS-0003 clause 10.3.1; RFC 5705 applies to DTLS): the same hooks as the HTTP server's
 * (m2m_http_conn_hooks), so a service plugs one pair into both bindings. open runs once per DTLS
 * session, on the CoAP thread, right after its handshake and before its first request reaches the
 * handler, with the session's SSL and association and thread_index as given here (the service's
 * worker of the CoAP thread); an error drops the peer unanswered. close(ctx, state) runs when the
 * peer is dropped (idle, error, shutdown, free). Plain CoAP has no peers: its requests see NULL.
 * Set before m2m_coap_server_start(); a server without hooks behaves as before.
 */
M2M_API void m2m_coap_server_set_conn_hooks(m2m_coap_server *srv, const m2m_http_conn_hooks *hooks, int thread_index);
/* Inside the handler (CoAP thread): the state open set for the current request's peer (NULL when
 * none). */
M2M_API void *m2m_coap_conn_state(const m2m_coap_server *srv);
/*
 * Separate responses (RFC 7252 clause 5.2.2, docs/coap-dtls.md "Answers given later"). Inside the
 * handler, m2m_coap_defer() takes the current request's answer over: rsp is then ignored, a CON
 * request gets an empty ACK at once and its answer goes out when m2m_coap_deferred_reply() is
 * called, on the CoAP thread (a CON with the request's token, retransmitted until ACKed; a NON for
 * a NON request). req NULL releases it: nothing is sent (the CSE's shutdown). NULL from
 * m2m_coap_defer (no memory): answer through rsp as usual. The server bounds the answers it holds
 * and refuses a request beyond with 5.03 before the handler sees it. A peer that goes meanwhile
 * loses its answer. m2m_coap_server_post() runs fn(arg) on the CoAP thread, from any thread (the
 * CSE worker's wake); M2M_E_INVAL, M2M_E_NOMEM. Free the handler's CSE worker before the server.
 */
typedef struct m2m_coap_deferred m2m_coap_deferred;
M2M_API m2m_coap_deferred *m2m_coap_defer(m2m_coap_server *srv);
M2M_API void m2m_coap_deferred_reply(m2m_coap_deferred *d, const m2m_request *req, m2m_response *rsp);
M2M_API M2M_WUR m2m_err m2m_coap_server_post(m2m_coap_server *srv, void (*fn)(void *), void *arg);
/* Start the CoAP thread. */
M2M_API M2M_WUR m2m_err m2m_coap_server_start(m2m_coap_server *srv);
/* Stop and join the thread (any thread but the CoAP one; idempotent). */
M2M_API void m2m_coap_server_stop(m2m_coap_server *srv);
/* Stop, then free every session, key copy and association. NULL is a no-op. An asynchronous
 * resolver of tls may still answer a lookup until it is stopped: free after it (stop before). */
M2M_API void m2m_coap_server_free(m2m_coap_server *srv);

#endif
