/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the life of one connection of the HTTP server (docs/http-binding.md,
 * "Connection limits"), from accept to close: the caps per process and per source address
 * (bindings/conn_limit.c), checked right after the accept and before any TLS work; the deadline
 * from accept to a complete request (slowloris); the security association asked once per
 * connection (TS-0003 clause 8.2.1); the TLS close_notify at close; and the accept back-off when
 * the process runs out of descriptors. Everything a peer can trigger at line rate is logged
 * through a rate limiter. Runs on the connection's event-loop thread only.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bindings/http_linger.h"
#include "bindings/http_server_int.h"
#include "bindings/ws_server.h"
#include "m2msec/log.h"

#define BACKOFF_MIN_MS 50          /* accept paused after EMFILE/ENFILE: 50 ms, doubling ... */
#define BACKOFF_MAX_MS 1000        /* ... up to 1 s */
#define NOFILE_RESERVE_MIN 64      /* descriptors kept for stores, logs, notifications */
#define DEFAULT_MAX_CONN 65536
#define DEFAULT_MAX_PER_ADDR 1024

static const m2m_sa sa_none = {.kind = M2M_SA_NONE};

/* Peers can repeat every one of these conditions at line rate: one line per condition and
 * second at most, with the count of the suppressed ones (core/log.c). */
static m2m_log_limiter rl_no_sa = M2M_LOG_LIMITER_INIT(1000);
static m2m_log_limiter rl_over = M2M_LOG_LIMITER_INIT(1000);
static m2m_log_limiter rl_deadline = M2M_LOG_LIMITER_INIT(1000);
static m2m_log_limiter rl_accept = M2M_LOG_LIMITER_INIT(1000);
static m2m_log_limiter rl_libevent = M2M_LOG_LIMITER_INIT(1000);

/* The worker of the calling event-loop thread (the listener error callback gets no argument of
 * ours). */
static _Thread_local struct worker *this_worker;

/* ---- per-connection state ------------------------------------------------------------------- */

static int conn_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct conn *)a)->evcon, y = (uintptr_t)((const struct conn *)b)->evcon;

	return x < y ? -1 : x > y;
}

/*
 * evhttp closes a connection (after a response with Connection: close has been written, on the
 * idle timeout, at shutdown) by freeing its bufferevent, and bufferevent_openssl then frees the
 * SSL object and closes the socket without a TLS close_notify: the client sees a truncated
 * stream ("unexpected eof"), indistinguishable from an attack (RFC 5246 clause 7.2.1). This runs
 * from the close callback, before that free, after the response is in the socket: one
 * non-blocking SSL_shutdown() writes the alert (we do not wait for the peer's). Nothing is sent
 * twice, nor after a fatal error (the handshake state is then no longer "finished").
 */
static void tls_close_notify(struct evhttp_connection *evcon)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	if (ssl == NULL || !SSL_is_init_finished(ssl) || (SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN))
		return;
	(void)SSL_shutdown(ssl); /* 0: sent, the peer's not awaited */
	ERR_clear_error();
}

/*
 * A connection closed after a response (ours with Connection: close, libevent's 400/413
 * backstop) may still have request bytes coming: close it in stages (bindings/http_linger.c).
 * Not after our deadline (no response was sent) nor before a TLS handshake finished.
 */
static bool conn_linger(struct conn *c, struct evhttp_connection *evcon)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	SSL *ssl = bev != NULL && c->tls ? bufferevent_openssl_get_ssl(bev) : NULL;

	if (bev == NULL || c->no_linger || (c->tls && (ssl == NULL || !SSL_is_init_finished(ssl))))
		return false;
	return m2mi_http_linger_start(c, bufferevent_getfd(bev));
}

static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	struct worker *w = arg;
	struct conn key = {.evcon = evcon}, *c;
	void *found = tfind(&key, &w->tree, conn_cmp);
	bool lingering;

	if (found == NULL)
		return;
	c = *(struct conn **)found;
	m2mi_http_hs_free(c); /* a handshake paused in a PSK lookup is unwound first */
	if (c->tls)
		tls_close_notify(evcon);
	lingering = conn_linger(c, evcon); /* RFC 9112 clause 9.6: bindings/http_linger.c */
	tdelete(&key, &w->tree, conn_cmp);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->deadline != NULL)
		event_free(c->deadline);
	m2mi_http_conn_state_close(c); /* the service's per-connection state (keys zeroized) */
	m2mi_ws_conn_free(c->ws);      /* a WebSocket session on it (bindings/ws_server.c) */
	if (!lingering) /* else the lingering socket holds its place in the caps */
		m2mi_conn_limit_release(w->srv->limit, c->ip_family, c->ip);
	free(c);
}

static void set_peer_ip(struct conn *c, const struct sockaddr *sa)
{
	int fam;

	m2mi_addr_from_sockaddr(sa, &fam, c->ip);
	if (fam != 0) /* an unknown family keeps what the connection had */
		c->ip_family = fam;
}

static void arm_deadline(struct conn *c, int seconds)
{
	struct timeval tv = {seconds, 0};

	if (c->deadline != NULL)
		(void)evtimer_add(c->deadline, &tv);
}

/*
 * Slowloris (issue 6: one byte per 9 s held a connection 170 s, and evhttp's idle timeout is
 * per read): a connection must deliver a complete request within header-timeout of its accept,
 * TLS handshake included, and the next one within idle-timeout + header-timeout of the previous
 * response. The deadline is off while a request is being handled.
 */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	m2m_log_rl(&rl_deadline, M2M_LOG_INFO, "conn %llu: no complete request in time, closing",
		   (unsigned long long)c->id);
	c->no_linger = true;
	evhttp_connection_free(c->evcon); /* on_conn_close frees c */
}

static void on_request_done(struct evhttp_request *ev, void *arg)
{
	struct conn *c = arg;

	arm_deadline(c, c->w->srv->idle_s + c->w->srv->header_s);
}

static const char *verdict_name(m2mi_conn_verdict v)
{
	return v == M2MI_CONN_OVER_TOTAL ? "max-connections" : "max-connections-per-address";
}

/*
 * Count evcon in the caps and give it its state and deadline; NULL (the caller closes it) when a
 * cap is reached or there is no memory. Runs right after the accept, before any byte of the TLS
 * handshake is read.
 */
static struct conn *conn_admit(struct worker *w, struct evhttp_connection *evcon, bool tls)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	const struct sockaddr *peer = evhttp_connection_get_addr(evcon);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	m2mi_conn_verdict v;
	struct conn *c;
	int one = 1;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->evcon = evcon;
	c->w = w;
	c->tls = tls;
	c->id = atomic_fetch_add(&w->srv->next_conn, 1) + 1;
	/* evhttp records the accept address; ask the socket when it did not (family unset) */
	if ((peer == NULL || (peer->sa_family != AF_INET && peer->sa_family != AF_INET6)) && fd >= 0 &&
	    getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		peer = (const struct sockaddr *)&ss;
	set_peer_ip(c, peer);
	if ((v = m2mi_conn_limit_acquire(w->srv->limit, c->ip_family, c->ip)) != M2MI_CONN_ADMIT) {
		m2m_log_rl(&rl_over, M2M_LOG_WARN, "conn %llu: %s reached, closed at accept",
			   (unsigned long long)c->id, verdict_name(v));
		free(c);
		return NULL;
	}
	/* Inherited from the listening socket on Linux; set again for other kernels. */
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->deadline = evtimer_new(w->base, on_deadline, c);
	if (c->deadline == NULL || tsearch(c, &w->tree, conn_cmp) == NULL) {
		if (c->deadline != NULL)
			event_free(c->deadline);
		m2mi_conn_limit_release(w->srv->limit, c->ip_family, c->ip);
		free(c);
		return NULL;
	}
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	evhttp_connection_set_closecb(evcon, on_conn_close, w);
	arm_deadline(c, w->srv->header_s);
	return c;
}

/*
 * The state of the connection of request ev, with its security association, asked from the TLS
 * layer exactly once (at the first request). NULL when the association cannot be had, a cap is
 * reached or there is no memory: the caller closes the connection.
 */
struct conn *m2mi_http_conn_get(struct worker *w, struct evhttp_request *ev, bool tls)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct conn key = {.evcon = evcon}, *c;
	void *found = tfind(&key, &w->tree, conn_cmp);
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);

	c = found != NULL ? *(struct conn **)found : conn_admit(w, evcon, tls);
	if (c == NULL)
		return NULL;
	if (c->deadline != NULL)
		(void)evtimer_del(c->deadline);
	evhttp_request_set_on_complete_cb(ev, on_request_done, c);
	if (c->sa_ready)
		return c;
	if (tls) {
		/* A plain bufferevent here means evhttp fell back after SSL_new failed: refuse. */
		SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
		m2m_err rc = ssl ? m2m_tls_peer_sa(w->srv->tls, ssl, &c->sa) : M2M_E_INTERNAL;
		if (rc != M2M_OK) {
			m2m_log_rl(&rl_no_sa, M2M_LOG_WARN, "conn %llu: no security association (%s), closing",
				   (unsigned long long)c->id, m2m_strerror(rc));
			return NULL; /* the close frees c */
		}
	} else {
		c->sa = sa_none;
	}
	c->sa_ready = true;
	/* Per-connection service state (m2m_http_conn_hooks): once, now that the association is
	 * known and the SSL* still at hand (the MEF runs the RFC 5705 exporter here). */
	if (w->srv->hooks.open != NULL) {
		SSL *ssl = tls && bev ? bufferevent_openssl_get_ssl(bev) : NULL;
		m2m_err rc = w->srv->hooks.open(w->srv->hooks.ctx, w->index, ssl, &c->sa, &c->svc_state);
		if (rc != M2M_OK) {
			m2m_log_rl(&rl_no_sa, M2M_LOG_WARN, "conn %llu: service state refused (%s), closing",
				   (unsigned long long)c->id, m2m_strerror(rc));
			return NULL; /* the close frees c */
		}
		c->svc_open = true;
	}
	return c;
}

void m2mi_http_conn_state_close(struct conn *c)
{
	if (!c->svc_open)
		return;
	c->svc_open = false;
	c->w->srv->hooks.close(c->w->srv->hooks.ctx, c->svc_state);
	c->svc_state = NULL;
}

/* ---- accept ---------------------------------------------------------------------------------- */

struct accepted {
	struct listener *l;
	struct bufferevent *bev;
};

/*
 * Runs in the same loop iteration as the accept, after evhttp has made the connection of bev
 * (evhttp 2.1 has no hook with the new connection: its bufferevent callback argument is it).
 * bev is held by a reference, so a connection evhttp already dropped shows as callbacks cleared.
 */
static void on_accepted(evutil_socket_t fd, short what, void *arg)
{
	struct accepted *a = arg;
	void *cbarg = NULL;
	struct evhttp_connection *evcon;

	bufferevent_getcb(a->bev, NULL, NULL, NULL, &cbarg);
	evcon = cbarg;
	if (evcon != NULL && evhttp_connection_get_bufferevent(evcon) == a->bev) {
		struct conn *c = conn_admit(a->l->w, evcon, a->l->tls);
		if (c == NULL || (c->tls && m2mi_http_hs_start(c) != M2M_OK))
			evhttp_connection_free(evcon); /* over a cap: closed before any TLS work */
	}
	bufferevent_decref(a->bev);
	free(a);
}

/* Called by evhttp for every accepted socket, before it knows the socket: the connection is
 * admitted (or closed) by on_accepted right after. */
struct bufferevent *m2mi_http_bevcb(struct event_base *base, void *arg)
{
	struct listener *l = arg;
	struct bufferevent *bev;
	struct accepted *a;

	l->backoff_ms = 0; /* descriptors are available again */
	if (l->tls) {
		SSL *ssl = m2m_tls_ssl_new(l->w->srv->tls); /* the current context (SIGHUP reload) */
		if (ssl == NULL)
			return NULL;
		/* The association is cached per connection: the peer must not renegotiate another one. */
		SSL_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL)
			SSL_free(ssl);
	} else {
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (bev == NULL)
		return NULL;
	/* Without the deferred admission the first request admits it (conn_get). */
	if ((a = malloc(sizeof(*a))) != NULL) {
		a->l = l;
		a->bev = bev;
		bufferevent_incref(bev);
		if (event_base_once(base, -1, EV_TIMEOUT, on_accepted, a, NULL) != 0) {
			bufferevent_decref(bev);
			free(a);
		}
	}
	return bev;
}

static void on_backoff(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	if (l->bound != NULL && !l->w->draining)
		(void)evconnlistener_enable(evhttp_bound_socket_get_listener(l->bound));
}

/*
 * accept() failed. Out of descriptors (or kernel memory) the pending connection stays in the
 * backlog and the listening socket stays readable: retrying at once spins the loop (issue 6:
 * 150-185 % CPU and 694 MB of "Too many open files" in 15 s). Pause accepting instead, 50 ms
 * doubling to 1 s while the shortage lasts, and say so once per second at most.
 */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	struct worker *w = this_worker;
	struct listener *l = NULL;
	struct timeval tv;

	for (int k = 0; w != NULL && k < M2MI_NLISTENERS; k++)
		if (w->ls[k].http == arg)
			l = &w->ls[k];
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
		m2m_log_rl(&rl_accept, M2M_LOG_WARN, "accept: %s", strerror(err));
		return;
	}
	if (l == NULL || l->backoff_ev == NULL) {
		m2m_log_rl(&rl_accept, M2M_LOG_ERROR, "accept: %s", strerror(err));
		return;
	}
	l->backoff_ms = l->backoff_ms == 0 ? BACKOFF_MIN_MS
		      : l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
	m2m_log_rl(&rl_accept, M2M_LOG_ERROR, "accept: %s: not accepting for %d ms", strerror(err), l->backoff_ms);
	tv.tv_sec = l->backoff_ms / 1000;
	tv.tv_usec = (l->backoff_ms % 1000) * 1000;
	(void)evconnlistener_disable(lev);
	(void)evtimer_add(l->backoff_ev, &tv);
}

/* libevent's own warnings (it otherwise writes them to stderr, unthrottled). */
static void on_libevent_log(int severity, const char *msg)
{
	m2m_log_rl(&rl_libevent, severity >= EVENT_LOG_ERR ? M2M_LOG_ERROR : severity >= EVENT_LOG_WARN ? M2M_LOG_WARN
		   : M2M_LOG_DEBUG, "libevent: %s", msg);
}

struct event *m2mi_http_backoff_new(struct listener *l)
{
	return evtimer_new(l->w->base, on_backoff, l);
}

void m2mi_http_accept_errors(struct listener *l)
{
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(l->bound), on_accept_error);
}

void m2mi_http_worker_started(struct worker *w)
{
	this_worker = w;
}

/* ---- limits ------------------------------------------------------------------------------------ */

/* 10,000 idle connections need more descriptors than the usual soft limit of 1024. Returns the
 * soft limit in force. */
size_t m2mi_http_raise_nofile(void)
{
	struct rlimit rl;

	event_set_log_callback(on_libevent_log);
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			m2m_log(M2M_LOG_WARN, "cannot raise RLIMIT_NOFILE to %llu", (unsigned long long)want);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)(1 << 24) ? (size_t)1 << 24 : (size_t)rl.rlim_cur;
}

/*
 * The caps (docs/http-binding.md): by default every descriptor but a reserve (an eighth, at
 * least NOFILE_RESERVE_MIN, for the stores, the log and outgoing notifications) may be a
 * connection, at most DEFAULT_MAX_CONN; one address may hold a quarter of them, at most
 * DEFAULT_MAX_PER_ADDR. A configured cap above what the descriptors allow is lowered (accept
 * would fail with EMFILE instead, after the TLS-free refusal could have been cheap).
 */
m2m_err m2mi_http_make_limit(const m2m_http_server_config *cfg, size_t nofile, m2mi_conn_limit **out)
{
	size_t reserve = nofile / 8 > NOFILE_RESERVE_MIN ? nofile / 8 : NOFILE_RESERVE_MIN;
	size_t fit = nofile > reserve + 16 ? nofile - reserve : 16;
	size_t total = cfg->max_connections ? cfg->max_connections : fit < DEFAULT_MAX_CONN ? fit : DEFAULT_MAX_CONN;
	size_t per;

	if (total > fit) {
		m2m_log(M2M_LOG_WARN, "max-connections %zu is more than RLIMIT_NOFILE %zu allows; using %zu", total,
			nofile, fit);
		total = fit;
	}
	per = cfg->max_connections_per_address ? cfg->max_connections_per_address
		: total / 4 > DEFAULT_MAX_PER_ADDR ? DEFAULT_MAX_PER_ADDR : total / 4 ? total / 4 : 1;
	m2m_log(M2M_LOG_DEBUG, "connection caps: %zu in total, %zu per address (RLIMIT_NOFILE %zu)", total,
		per < total ? per : total, nofile);
	return m2mi_conn_limit_new(total, per, out);
}
