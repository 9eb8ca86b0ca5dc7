/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public API of the oneM2M HTTP binding (TS-0009 V3.9.1) and of the
 * HTTPS/HTTP server of the secure CSE (docs/http-binding.md).
 *
 * Two halves:
 *  - the pure mapping (bindings/http_parse.c): an HTTP request given as method, request-target,
 *    header list and body becomes an m2m_request (TS-0009 clauses 6.2, 6.4, 6.5), and an
 *    m2m_response becomes status, header list and body (clauses 6.3, 6.4). No I/O and no
 *    libevent types, so it is unit-tested and fuzzed on its own;
 *  - the server (bindings/http_server.c): N libevent threads, each with its own event_base and
 *    evhttp on the same port(s) (SO_REUSEPORT), an HTTPS listener over bufferevent_openssl whose
 *    connections carry the TLS security association (TS-0003 clause 8.2.1), and an optional
 *    loopback-only plain-HTTP listener (security association of kind M2M_SA_NONE).
 */
#ifndef M2MSEC_HTTP_H
#define M2MSEC_HTTP_H

#include "m2msec/err.h"
#include "m2msec/primitive.h"
#include "m2msec/sa.h"

#define M2M_HTTP_DEFAULT_MAX_HEADER 8192u    /* request line + header fields, bytes */
#define M2M_HTTP_DEFAULT_MAX_BODY 1048576u   /* message body, bytes */
#define M2M_HTTP_DEFAULT_IDLE_TIMEOUT 120    /* seconds */
#define M2M_HTTP_DEFAULT_HEADER_TIMEOUT 10   /* seconds, accept to complete request */
#define M2M_HTTP_OUT_MAX_HEADERS 12
#define M2M_HTTP_DEFAULT_PSK_LOOKUP_MS 3000  /* one asynchronous PSK lookup */
#define M2M_HTTP_DEFAULT_PSK_LOOKUPS 256     /* lookups waited on per event-loop thread */
#define M2M_HTTP_DRAIN_SECONDS 10          /* SIGTERM: default drain bound (drain_seconds 0) */

/* One header field; name and value are NUL-terminated and borrowed. */
typedef struct m2m_http_header {
	const char *name;
	const char *value;
} m2m_http_header;

/* Size limits of one request; 0 selects the default. */
typedef struct m2m_http_limits {
	size_t max_header; /* request line + every "Name: value\r\n" + final CRLF */
	size_t max_body;
} m2m_http_limits;

/*
 * Map one HTTP request to a request primitive (TS-0009 clause 6; exact rules in
 * docs/http-binding.md). req and rsp must have been initialised (m2m_request_init,
 * m2m_response_init). target is the origin-form request-target exactly as received (still
 * percent-encoded, query included).
 * Returns:
 *   M2M_OK           req is complete and goes to the CSE; rsp is untouched.
 *   M2M_E_PROTO      the request does not map (bad/missing parameter, method, media type, JSON):
 *                    rsp holds the error (rsc 4000/4001/4005/4015, m2m:dbg text, echoed rqi when
 *                    it was valid), req is cleared. Nothing may reach the CSE.
 *   M2M_E_TOO_LARGE  head over max_header (HTTP 431) or body over max_body (HTTP 413), rsc 4000
 *                    in rsp; the connection should be closed.
 *   M2M_E_HTTP_FRAMING  where the message ends is ambiguous (repeated or non-decimal
 *                    Content-Length, Transfer-Encoding other than one "chunked", both, repeated
 *                    Host, a field name that is not a token: RFC 9112 clauses 3.2, 5.1, 6.1, 6.3):
 *                    HTTP 400, rsc 4000 in rsp; the connection must be closed (what follows on it
 *                    may be a smuggled request).
 *   M2M_E_NOMEM      rsp holds 5000.
 *   M2M_E_INVAL      a NULL argument; nothing written.
 */
M2M_API M2M_WUR m2m_err m2m_http_parse_request(const char *method, const char *target,
					       const m2m_http_header *headers, size_t nheaders,
					       const uint8_t *body, size_t body_len,
					       const m2m_http_limits *limits, m2m_request *req,
					       m2m_response *rsp);

/*
 * An HTTP response ready to be written (documented value type). Header values point into the
 * m2m_response given to m2m_http_serialize_response and into this struct itself: keep both
 * alive and do not copy the struct while the headers are used. The reason phrase is always
 * empty (TS-0009 clause 6.3.3).
 */
typedef struct m2m_http_out {
	int status;
	m2m_http_header headers[M2M_HTTP_OUT_MAX_HEADERS];
	size_t nheaders;
	char *body;          /* compact JSON of rsp->pc (malloc'd), NULL when there is no content */
	size_t body_len;
	char rsc_buf[16];    /* storage of the X-M2M-RSC value */
	char len_buf[24];    /* storage of the Content-Length value */
	char cto_buf[24];    /* storage of the X-M2M-CTO value */
	char retry_buf[24];  /* storage of the Retry-After value (rsp->retry_after) */
} m2m_http_out;

/*
 * Serialise rsp (TS-0009 clauses 6.3, 6.4): status = rsp->http_status if set, else
 * m2m_rsc_http_status(rsp->rsc) (rsc 0 counts as 5000); headers X-M2M-RSC, X-M2M-RI (rsp->rqi,
 * else req->rqi), X-M2M-RVI (rsp->rvi, else req->rvi, else "3"), Content-Location of a CREATE
 * (rsp->location_s, the structured ID, unless req->drt is 2 or it is NULL: rsp->location),
 * Allow (on 405), Retry-After (rsp->retry_after > 0, RFC 9110 clause 10.2.3), X-M2M-CTS / X-M2M-CTO (rsp->cnst / rsp->cnot of a partial answer, TS-0009
 * clauses 6.4.20-21), Content-Type application/json (with a body) and Content-Length.
 * req may be NULL (the request did not parse). On error out is cleared.
 */
M2M_API M2M_WUR m2m_err m2m_http_serialize_response(const m2m_request *req, const m2m_response *rsp,
						    m2m_http_out *out);
/* Release out->body and zero out. NULL is a no-op. */
M2M_API void m2m_http_out_clear(m2m_http_out *out);

/* ---- server ------------------------------------------------------------------------------ */

typedef struct m2m_tls m2m_tls;
typedef struct m2m_http_server m2m_http_server;

/*
 * Called once per mapped request on the event-loop thread thread_index (0..threads-1), with the
 * security association of the connection (kind M2M_SA_NONE on the plain-HTTP listener). It must
 * fill rsp (rsc 0 is answered as 5000) and must not block for long: it runs on the loop.
 */
typedef void (*m2m_http_handler_fn)(void *ctx, int thread_index, const m2m_sa *sa, m2m_request *req,
				    m2m_response *rsp);

typedef struct m2m_http_server_config {
	const char *https_listen; /* "host:port" / "[v6]:port"; NULL, "" or "off" = no HTTPS */
	m2m_tls *tls;             /* required with https_listen: SSL_CTX and peer association */
	const char *http_listen;  /* plain HTTP, loopback addresses only; NULL, "" or "off" = none */
	int threads;              /* event-loop threads, 0 = number of online cores */
	size_t max_header;        /* 0 = M2M_HTTP_DEFAULT_MAX_HEADER */
	size_t max_body;          /* 0 = M2M_HTTP_DEFAULT_MAX_BODY */
	int idle_timeout_s;       /* keep-alive idle timeout, 0 = M2M_HTTP_DEFAULT_IDLE_TIMEOUT */
	/* Connection caps (docs/http-binding.md): over them a new connection is closed at accept,
	 * before any TLS work. 0 = derived from RLIMIT_NOFILE. */
	size_t max_connections;             /* open connections of the process */
	size_t max_connections_per_address; /* ... from one IPv4 address or IPv6 /64 */
	/* Seconds from accept to the first complete request (TLS handshake included), and from a
	 * response to the next complete request beyond the idle timeout; 0 = the default. */
	int header_timeout_s;
	/* Asynchronous PSK lookups (m2m_tls_add_psk_resolver_async, docs/tls.md): the deadline of
	 * one lookup in ms (0 = M2M_HTTP_DEFAULT_PSK_LOOKUP_MS) and the lookups one event-loop
	 * thread waits on at once (0 = M2M_HTTP_DEFAULT_PSK_LOOKUPS; beyond, start_fn gets w = NULL). */
	int psk_lookup_timeout_ms;
	unsigned psk_lookups_max;
	/* WebSocket over TLS (TS-0020, docs/websocket-binding.md): "host:port"; NULL, "" or "off" =
	 * none. Needs tls; each text message is one JSON primitive handed to the handler with the
	 * connection's association. */
	const char *wss_listen;
	/* SIGTERM (m2m_http_server_stop): seconds requests in flight, deferred ones included, have
	 * to be answered before their connections are closed unanswered; 0 = M2M_HTTP_DRAIN_SECONDS. */
	int drain_seconds;
} m2m_http_server_config;

/*
 * Create the threads' event bases and bind every listener (port 0 = ephemeral; all threads then
 * share the port the first one got). Raises RLIMIT_NOFILE to its hard limit. Errors:
 * M2M_E_CONFIG (bad address, non-loopback plain HTTP, HTTPS without tls, threads < 0),
 * M2M_E_HTTP_BIND (address in use / not permitted), M2M_E_NOMEM, M2M_E_INTERNAL.
 */
M2M_API M2M_WUR m2m_err m2m_http_server_new(const m2m_http_server_config *cfg, m2m_http_handler_fn fn,
					    void *ctx, m2m_http_server **out);
/* Run every thread's loop; blocks until m2m_http_server_stop() and the drain are done. */
M2M_API M2M_WUR m2m_err m2m_http_server_run(m2m_http_server *srv);
/*
 * Ask the server to stop: stop accepting, let queued responses drain (at most a few seconds),
 * close every connection, make m2m_http_server_run() return. Only write(2)s to pipes: safe from
 * a signal handler and from any thread, before or during run.
 */
M2M_API void m2m_http_server_stop(m2m_http_server *srv);
/* Free the server (after run returned, or without running it). NULL is a no-op. */
M2M_API void m2m_http_server_free(m2m_http_server *srv);
/* The bound port of the HTTPS (https = true) or plain-HTTP listener; -1 if there is none. */
M2M_API int m2m_http_server_port(const m2m_http_server *srv, bool https);
/* The bound port of the WebSocket-over-TLS listener (wss_listen); -1 if there is none. */
M2M_API int m2m_http_server_wss_port(const m2m_http_server *srv);
/* The number of event-loop threads (cfg threads resolved). */
M2M_API int m2m_http_server_threads(const m2m_http_server *srv);

/*
 * Answering later (docs/http-binding.md). Inside the handler, on its thread, m2m_http_defer()
 * takes the current request out of the synchronous path: the handler returns without an answer
 * (rsp is then ignored) and answers later, on the same thread, with m2m_http_deferred_reply()
 * — rsp NULL only releases d (shutdown). A client that went away meanwhile gets nothing; d is
 * released either way. NULL: no memory (answer now). The connection reads no further request
 * until the answer is out. After the server stopped, only release.
 */
typedef struct m2m_http_deferred m2m_http_deferred;
M2M_API m2m_http_deferred *m2m_http_defer(m2m_http_server *srv, int thread_index);
M2M_API void m2m_http_deferred_reply(m2m_http_deferred *d, const m2m_request *req, m2m_response *rsp);
/*
 * Per-connection service state (e.g. the MEF's association with the keys exported from the TLS
 * session, TS-0003 clause 10.3.1). open runs once per connection, on its loop thread, when its
 * security association is first established (before its first request reaches the handler;
 * ssl NULL on the plain-HTTP listener); an error closes the connection unanswered. The state it
 * sets is what m2m_http_conn_state() returns inside the handler for that connection's requests;
 * close(ctx, state) runs when the connection closes (also at shutdown), on the same thread.
 * Set before m2m_http_server_run(); a server without hooks behaves as before.
 */
struct ssl_st; /* OpenSSL's SSL */
typedef struct m2m_http_conn_hooks {
	m2m_err (*open)(void *ctx, int thread_index, struct ssl_st *ssl, const m2m_sa *sa, void **conn_state);
	void (*close)(void *ctx, void *conn_state);
	void *ctx;
} m2m_http_conn_hooks;
M2M_API void m2m_http_server_set_conn_hooks(m2m_http_server *srv, const m2m_http_conn_hooks *hooks);
/* Inside the handler on thread thread_index: the state open set for the current request's
 * connection (NULL when none). */
M2M_API void *m2m_http_conn_state(m2m_http_server *srv, int thread_index);

/* Run fn(arg) soon on the loop of thread thread_index; callable from any thread. Never blocks;
 * M2M_E_NOMEM, or M2M_E_INVAL (bad index). fn never runs after the server stopped. */
M2M_API M2M_WUR m2m_err m2m_http_server_post(m2m_http_server *srv, int thread_index, void (*fn)(void *),
					     void *arg);

/*
 * Raw routes (docs/http-binding.md "Raw routes"): requests whose path starts with a registered
 * prefix (followed by '/', '?' or the end) are not oneM2M primitives (e.g. the MEF's RFC 7030
 * /.well-known/est): they skip the TS-0009 mapping and go to fn as plain HTTP. Message framing
 * and size limits are enforced exactly as for the oneM2M mapping (ambiguous framing: 400 and
 * close; oversize: 413/431). Everything else keeps the oneM2M mapping.
 */
typedef struct m2m_http_raw_request {
	const char *method;               /* "GET", "POST", ... */
	const char *target;               /* origin-form request-target as received (query included) */
	const m2m_http_header *headers;
	size_t nheaders;
	const uint8_t *body;              /* NULL when empty */
	size_t body_len;
	const m2m_sa *sa;                 /* the connection's association (kind NONE on plain HTTP) */
	struct ssl_st *ssl;               /* the TLS connection (after the handshake), NULL on plain HTTP */
} m2m_http_raw_request;

typedef struct m2m_http_raw_response {
	int status;                       /* 0 is answered as 500 */
	const char *content_type;         /* static or owned by the handler's ctx; NULL = none */
	char *body;                       /* malloc'd by the handler, freed by the server; may be NULL */
	size_t body_len;
	int retry_after;                  /* > 0: a Retry-After header (seconds) */
	char *www_authenticate;           /* malloc'd WWW-Authenticate value (RFC 9110 clause 11.6.1,
					     e.g. the BSF's Digest AKA challenge), freed by the server; NULL = none */
	/* Further header fields (e.g. the console's Content-Security-Policy), owned by the handler's
	 * ctx and alive until the server is freed; nheaders <= M2M_HTTP_OUT_MAX_HEADERS */
	const m2m_http_header *headers;
	size_t nheaders;
} m2m_http_raw_response;

/* Runs on the event-loop thread thread_index; must not block. */
typedef void (*m2m_http_raw_fn)(void *ctx, int thread_index, const m2m_http_raw_request *req,
				m2m_http_raw_response *rsp);

#define M2M_HTTP_MAX_ROUTES 4
/* Register fn for prefix (begins with '/', copied) before m2m_http_server_run(). Errors:
 * M2M_E_INVAL, M2M_E_RANGE (more than M2M_HTTP_MAX_ROUTES), M2M_E_EXISTS (same prefix). */
M2M_API M2M_WUR m2m_err m2m_http_server_route(m2m_http_server *srv, const char *prefix, m2m_http_raw_fn fn,
					      void *ctx);
/* True when path (origin-form, e.g. "/.well-known/est/cacerts") falls under a raw route: another
 * binding of the same service (CoAP) refuses what only this HTTP listener serves. */
M2M_API bool m2m_http_server_has_route(const m2m_http_server *srv, const char *path);

#endif
