/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface between the two halves of the HTTP server:
 * bindings/http_server.c (threads, listeners, the request path, stop and drain) and
 * bindings/http_conn.c (a connection from accept to close: caps, deadline, security association,
 * accept back-off). Not installed; the types are the server's private state.
 */
#ifndef M2M_BINDINGS_HTTP_SERVER_INT_H
#define M2M_BINDINGS_HTTP_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <event2/event.h>
#include <event2/http.h>

#include "bindings/conn_limit.h"
#include "bindings/http_calls.h"
#include "m2msec/http.h"
#include "m2msec/tls.h"

enum { L_HTTPS = 0, L_HTTP = 1, L_WSS = 2, M2MI_NLISTENERS = 3 }; /* L_WSS: bindings/ws_server.c */

struct worker;

/* One listener of one thread. */
struct listener {
	struct worker *w;
	bool tls;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *backoff_ev;   /* re-enables accept after a descriptor shortage */
	int backoff_ms;
};

/* An accepted connection (counted in the caps from accept to close). */
struct conn {
	struct evhttp_connection *evcon; /* the key */
	struct conn *prev, *next;
	struct worker *w;
	uint64_t id;
	int ip_family;
	uint8_t ip[16];
	m2m_sa sa;                       /* cached association (kind NONE on plain HTTP) */
	void *svc_state;                 /* m2m_http_conn_hooks state, valid while svc_open */
	bool svc_open;                   /* hooks.open succeeded: hooks.close is owed at close */
	bool sa_ready;                   /* sa was asked for (at the first request) */
	bool tls;
	struct event *deadline;          /* closes it when no complete request arrives in time */
	struct m2mi_hs *hs;              /* our handshake driver (bindings/http_hs.c), NULL = none */
	bool no_linger;                  /* closed without a response (deadline): no lingering close */
	struct m2mi_ws_conn *ws;         /* taken over by the WebSocket binding (bindings/ws_server.c) */
};

struct worker {
	m2m_http_server *srv;
	int index;
	pthread_t tid;
	bool started;
	struct event_base *base;
	struct listener ls[M2MI_NLISTENERS];
	int stop_rd, stop_wr;
	struct event *stop_ev, *drain_ev;
	int drain_ticks;
	bool draining;
	void *tree;        /* tsearch root: struct conn by evcon */
	struct conn *conns;
	/* deferred answers and posted calls (m2m_http_defer, m2m_http_server_post) */
	struct evhttp_request *cur_ev;   /* the request whose handler runs now */
	void *cur_state;                 /* conn state of the request whose handler runs now */
	struct m2m_http_deferred *cur_deferred;
	bool cur_tls, cur_head;
	uint64_t cur_conn;
	int64_t cur_t0;
	m2mi_http_calls *calls;          /* m2m_http_server_post */
	unsigned psk_inflight;           /* PSK lookups waited on by this loop (bindings/http_hs.c) */
	struct m2mi_linger *lingers;     /* lingering closes (bindings/http_linger.c) */
	size_t nlingers;
	struct m2mi_ws_conn *cur_ws;     /* the WebSocket session whose message is handled now */
	unsigned ndeferred;              /* requests answered later (m2m_http_defer): the drain waits */
};

struct m2mi_http_route {
	char *prefix;
	size_t len;
	m2m_http_raw_fn fn;
	void *ctx;
};

struct m2m_http_server {
	struct m2mi_http_route routes[M2M_HTTP_MAX_ROUTES]; /* raw routes (http_raw.c) */
	size_t nroutes;
	m2m_http_handler_fn fn;
	void *ctx;
	m2m_http_conn_hooks hooks;       /* per-connection service state (m2m_http_server_set_conn_hooks) */
	m2m_tls *tls;
	m2m_http_limits lim;
	int idle_s;
	int header_s;
	int drain_s;                     /* SIGTERM's drain bound, seconds (drain-seconds) */
	m2mi_conn_limit *limit;          /* shared by every thread */
	int nthreads;
	int port[M2MI_NLISTENERS];
	bool ran;
	atomic_bool stopping;            /* set by m2m_http_server_stop() */
	atomic_uint_fast64_t next_conn;
	struct worker *w;
	int psk_lookup_ms;               /* deadline of one asynchronous PSK lookup */
	unsigned psk_lookups_max;        /* concurrent lookups per loop */
};

/* The request line's method name for libevent's command ("UNKNOWN" for one it has no name for):
 * the oneM2M mapping and the raw routes see the same name. */
const char *m2mi_http_method_name(enum evhttp_cmd_type t);
/* The connection of request ev, admitted if it was not yet (a cap may refuse it), its deadline
 * off until the response is written, its security association asked for once. NULL: close it. */
struct conn *m2mi_http_conn_get(struct worker *w, struct evhttp_request *ev, bool tls);
/* Run the close hook of c's service state if it is owed (at close and at shutdown). */
void m2mi_http_conn_state_close(struct conn *c);
/* evhttp_set_bevcb callback (arg: the struct listener): the connection's bufferevent, plain or
 * TLS, and its admission right after the accept. */
struct bufferevent *m2mi_http_bevcb(struct event_base *base, void *arg);
/* The timer that resumes accepting on l after a descriptor shortage. */
struct event *m2mi_http_backoff_new(struct listener *l);
/* Install the accept error callback (descriptor shortage -> pause) on l's bound socket. */
void m2mi_http_accept_errors(struct listener *l);
/* bindings/http_hs.c: with asynchronous PSK resolvers, drive c's TLS handshake ourselves (it may
 * pause in a lookup) and hand the established SSL back to bufferevent_openssl. M2M_OK: started
 * (or not needed); else close the connection. */
M2M_WUR m2m_err m2mi_http_hs_start(struct conn *c);
/* From the close callback: unwind a paused handshake and free the driver. */
void m2mi_http_hs_free(struct conn *c);
/* Called first on each event-loop thread. */
void m2mi_http_worker_started(struct worker *w);
/* Raise RLIMIT_NOFILE to its hard limit and route libevent's warnings to the log; returns the
 * soft limit in force. */
size_t m2mi_http_raise_nofile(void);
/* The caps of cfg (0 = derived from nofile). */
M2M_WUR m2m_err m2mi_http_make_limit(const m2m_http_server_config *cfg, size_t nofile, m2mi_conn_limit **out);

/* http_raw.c: answer ev when its path has a raw route (returns true); rc is what the oneM2M
 * mapping said about the same message (framing and size refusals stay with the caller). */
bool m2mi_http_raw_dispatch(struct worker *w, struct evhttp_request *ev, struct conn *c, bool tls,
			    const m2m_http_header *hdrs, size_t nh, const uint8_t *body, size_t blen, m2m_err rc);
/* Release the routes' prefixes. */
void m2mi_http_routes_free(m2m_http_server *srv);

#endif
