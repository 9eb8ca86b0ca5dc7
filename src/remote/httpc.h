/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the non-blocking HTTP/1.1 client (httpc.c) shared by
 * every outbound exchange: the CSE's NOTIFY requests (plain http://, destination policy) and the
 * outbound associations of remote/ (https:// with a client certificate, RETRIEVE with a bounded
 * answer body: the CSE's links to the MEF and the MAF, the MAF's link to the MEF). One
 * event_base, one total deadline per exchange, the callback exactly once and never inside the
 * call that started it.
 */
#ifndef M2MSEC_REMOTE_HTTPC_H
#define M2MSEC_REMOTE_HTTPC_H

#include <stdbool.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "core/addr_policy.h"
#include "m2msec/err.h"

/* ---- plain HTTP (NOTIFY) ---- */
typedef struct m2mi_url {
	char host[256];
	char port[8];
	char path[2048];
} m2mi_url;
/* "http://host[:port][/path]": M2M_E_UNSUPPORTED for another scheme, M2M_E_INVAL malformed. */
m2m_err m2mi_url_parse(const char *url, m2mi_url *u);
enum { M2MI_HTTPC_OK = 0, M2MI_HTTPC_FAILED = 1, M2MI_HTTPC_DENIED = 2 };
/* Per-socket options of an outbound connection: TCP_NODELAY, so a request's small TLS records
 * are not held back by Nagle's algorithm waiting for the peer's delayed ACK (about 40 ms per
 * exchange on Linux loopback: a CSE fetching Kc from the MAF during a handshake, bench/maf).
 * A socket that is not TCP (or -1) is left alone. */
void m2mi_httpc_tune_socket(int fd);

typedef struct m2mi_httpc m2mi_httpc;
typedef void (*m2mi_httpc_cb)(void *arg, int result, int status, int rsc);
m2m_err m2mi_httpc_new(struct event_base *base, const m2mi_addr_policy *pol, m2mi_httpc **out);
/* Drops the exchanges in flight without calling their callbacks. */
void m2mi_httpc_free(m2mi_httpc *h);
/* POST a oneM2M NOTIFY (TS-0009) with a total deadline; cb(arg, result, HTTP status, X-M2M-RSC)
 * runs exactly once, later, on the base's thread. M2MI_HTTPC_FAILED: not started, cb not called. */
int m2mi_httpc_post(m2mi_httpc *h, const char *url, const char *origin, const char *body, int timeout_ms,
		    m2mi_httpc_cb cb, void *arg);
/* The same with an Event Category header (ec 0 = none; 4 = latest). */
int m2mi_httpc_post_ec(m2mi_httpc *h, const char *url, const char *origin, int ec, const char *body, int timeout_ms,
		       m2mi_httpc_cb cb, void *arg);

/* ---- HTTPS and RETRIEVE (outbound associations: remote_link.c) ---- */

/* "http://..." or "https://host[:port][/path]" (default port 443); *tls tells which. */
m2m_err m2mi_url_parse_any(const char *url, m2mi_url *u, bool *tls);
/* Use ctx (up-ref'd: client certificate, trust anchors) for https:// URLs and verify the
 * server's certificate for verify_name (NULL or "" = the URL's host; an IP literal is checked
 * against the certificate's iPAddress SAN). Loop thread, before the first request. */
m2m_err m2mi_httpc_set_tls(m2mi_httpc *h, SSL_CTX *ctx, const char *verify_name);
/* Answer of a RETRIEVE: result M2MI_HTTPC_OK with the HTTP status, X-M2M-RSC and the body
 * (borrowed for the call; at most 16 KiB), or M2MI_HTTPC_FAILED / _DENIED with body NULL. */
typedef void (*m2mi_httpc_body_cb)(void *arg, int result, int status, int rsc, const char *body, size_t len);
/* RETRIEVE url (GET with X-M2M-Origin = origin, TS-0009 clause 6) within timeout_ms; cb runs
 * exactly once, later, on the base's thread. M2MI_HTTPC_FAILED: not started, cb not called. */
int m2mi_httpc_retrieve(m2mi_httpc *h, const char *url, const char *origin, int timeout_ms, m2mi_httpc_body_cb cb,
			void *arg);
/* NOTIFY url (POST with X-M2M-RI rqi and the JSON body) within timeout_ms, the answer's body to
 * cb as for a RETRIEVE (the DAS consultation, TS-0004 7.5.1.2.10). */
int m2mi_httpc_notify(m2mi_httpc *h, const char *url, const char *origin, const char *rqi, const char *body,
		      int timeout_ms, m2mi_httpc_body_cb cb, void *arg);
/* CREATE (POST, Content-Type application/json;ty=ty > 0) otherwise as m2mi_httpc_notify: the
 * <remoteCSE> registration of a Registree CSE (docs/procedures/transit.md). */
int m2mi_httpc_create(m2mi_httpc *h, const char *url, const char *origin, const char *rqi, int ty, const char *body,
		      int timeout_ms, m2mi_httpc_body_cb cb, void *arg);

/* Any operation of TS-0009 Table 6.2.2-1 (a request forwarded by a transit CSE,
 * services/cse/forward.c): op 1..5 (CREATE needs ty > 0, CREATE/UPDATE/NOTIFY a body), the
 * given From, Request Identifier and Release Version Indicator (NULL = "3"); the answer as for
 * a RETRIEVE. Every header value with CR or LF is refused (M2MI_HTTPC_FAILED, cb not called). */
typedef struct m2mi_httpc_msg {
	int op;
	int ty;
	const char *origin;
	const char *rqi;
	const char *rvi;
	const char *body;
	const char *verify_name; /* the name the server's certificate must carry (NULL: the client's) */
} m2mi_httpc_msg;
int m2mi_httpc_request(m2mi_httpc *h, const char *url, const m2mi_httpc_msg *m, int timeout_ms,
		       m2mi_httpc_body_cb cb, void *arg);

#endif
