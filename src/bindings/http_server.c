/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the HTTPS/HTTP server of the secure CSE: the transport half of the oneM2M
 * HTTP binding (TS-0009 V3.9.1 clauses 6, 7.2) with the TLS security association of TS-0003
 * clause 8.2.1 bound to every connection.
 *
 * Concurrency (docs/http-binding.md): N threads, each with its own event_base and its own evhttp
 * objects listening on the same port(s) through SO_REUSEPORT sockets, so the kernel spreads new
 * connections over the threads and a connection lives on one thread. The request path takes no
 * lock. The life of a connection, from its admission at accept (connection caps, header
 * deadline) to its close, and its security association (asked from the TLS layer once, at the
 * first request) are bindings/http_conn.c. The plain-HTTP listener binds loopback addresses only
 * and gives every request an association of kind M2M_SA_NONE. Per request: bindings/http_parse.c
 * maps the request, the handler runs, the response is serialised, one log event is emitted.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <search.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bindings/http_server_int.h"
#include "bindings/http_calls.h"
#include "bindings/http_linger.h"
#include "bindings/listen_sock.h"
#include "bindings/ws_server.h"
#include "core/metrics.h"
#include "m2msec/config.h"
#include "m2msec/http.h"
#include "m2msec/log.h"
#include "m2msec/tls.h"

#define MAX_THREADS 256
#define LISTEN_BACKLOG 1024
#define STACK_HEADERS 48
#define DRAIN_TICK_US 20000
/* SIGTERM's drain bound (docs/operations.md, drain-seconds): in-flight requests, deferred ones
 * included (a notification, a remote target, a DAS consultation), have this long to be answered */
#define DRAIN_MAX_TICKS(s) ((s) * (1000000 / DRAIN_TICK_US))
#define ALL_METHODS (EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | \
		     EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | \
		     EVHTTP_REQ_PATCH)

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- one request ------------------------------------------------------------------------------ */

const char *m2mi_http_method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "UNKNOWN";
	}
}

static void reply(struct evhttp_request *ev, const m2m_request *req, m2m_response *rsp, bool close, bool head)
{
	m2m_http_out out;
	struct evkeyvalq *oh = evhttp_request_get_output_headers(ev);

	if (m2m_http_serialize_response(req, rsp, &out) != M2M_OK) {
		m2m_response_clear(rsp); /* no memory for the body: a bare 5000 */
		rsp->rsc = 5000;
		if (m2m_http_serialize_response(req, rsp, &out) != M2M_OK) {
			evhttp_send_error(ev, 500, NULL);
			return;
		}
	}
	for (size_t i = 0; i < out.nheaders; i++)
		(void)evhttp_add_header(oh, out.headers[i].name, out.headers[i].value);
	if (close)
		(void)evhttp_add_header(oh, "Connection", "close");
	if (out.body != NULL && !head)
		(void)evbuffer_add(evhttp_request_get_output_buffer(ev), out.body, out.body_len);
	evhttp_send_reply(ev, out.status, "", NULL); /* no Reason-Phrase (TS-0009 clause 6.3.3) */
	m2m_http_out_clear(&out);
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	struct listener *l = arg;
	struct worker *w = l->w;
	m2m_http_server *srv = w->srv;
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct evkeyvalq *ih = evhttp_request_get_input_headers(ev);
	struct evbuffer *in = evhttp_request_get_input_buffer(ev);
	m2m_http_header stack[STACK_HEADERS], *hdrs = stack;
	struct evkeyval *kv;
	m2m_request req;
	m2m_response rsp;
	size_t nh = 0, blen = evbuffer_get_length(in);
	int64_t t0 = now_us();
	bool head = evhttp_request_get_command(ev) == EVHTTP_REQ_HEAD;
	m2m_err rc;
	struct conn *c = m2mi_http_conn_get(w, ev, l->tls);

	uint64_t conn_id;

	if (c == NULL) {
		evhttp_connection_free(evcon); /* also frees ev; nothing was answered */
		return;
	}
	if (l == &w->ls[L_WSS]) { /* only the WebSocket opening handshake is served there */
		m2mi_ws_upgrade(w, ev, c);
		return;
	}
	conn_id = c->id; /* c is not touched after reply(): a closing connection may go away */
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	TAILQ_FOREACH(kv, ih, next)
		nh++;
	if (nh > STACK_HEADERS)
		hdrs = malloc(nh * sizeof(*hdrs));
	if (hdrs == NULL) {
		rc = M2M_E_NOMEM;
		rsp.rsc = 5000;
	} else {
		nh = 0;
		TAILQ_FOREACH(kv, ih, next)
			hdrs[nh++] = (m2m_http_header){kv->key, kv->value};
		rc = m2m_http_parse_request(m2mi_http_method_name(evhttp_request_get_command(ev)),
					    evhttp_request_get_uri(ev), hdrs, nh, blen ? evbuffer_pullup(in, -1) : NULL, blen, &srv->lim, &req,
					    &rsp);
	}
	if (hdrs != NULL && m2mi_http_raw_dispatch(w, ev, c, l->tls, hdrs, nh, blen ? evbuffer_pullup(in, -1) : NULL,
						  blen, rc)) {
		if (hdrs != stack)
			free(hdrs);
		m2m_request_clear(&req);
		m2m_response_clear(&rsp);
		return;
	}
	if (hdrs != stack)
		free(hdrs);
	if (rc == M2M_OK) {
		req.ip_family = c->ip_family;
		memcpy(req.ip, c->ip, sizeof(req.ip));
		w->cur_ev = ev;
		w->cur_tls = l->tls;
		w->cur_head = head;
		w->cur_conn = conn_id;
		w->cur_t0 = t0;
		w->cur_state = c->svc_state;
		srv->fn(srv->ctx, w->index, &c->sa, &req, &rsp);
		w->cur_ev = NULL;
		w->cur_state = NULL;
		if (w->cur_deferred != NULL) { /* answered later by m2m_http_deferred_reply */
			w->cur_deferred = NULL;
			m2m_request_clear(&req);
			m2m_response_clear(&rsp);
			return;
		}
		if (rsp.rsc == 0)
			m2m_response_error(&rsp, 5000, "no response");
	}
	/* After an ambiguous framing the rest of the stream may be a smuggled request: close. */
	reply(ev, rc == M2M_OK ? &req : NULL, &rsp, rc == M2M_E_TOO_LARGE || rc == M2M_E_NOMEM ||
	      rc == M2M_E_HTTP_FRAMING || head ||
	      w->draining || atomic_load(&srv->stopping), head);
	m2mi_metrics_request(req.op, rsp.rsc, now_us() - t0);
	if (m2m_log_enabled(M2M_LOG_INFO)) {
		m2m_log_event e = {
			.level = M2M_LOG_INFO, .func = __func__, .msg = l->tls ? "https request" : "http request",
			.rqi = req.rqi ? req.rqi : rsp.rqi, .originator = req.fr, .op = m2m_op_name(req.op),
			.target = req.to, .rsc = rsp.rsc, .latency_us = now_us() - t0, .conn = conn_id,
		};
		m2m_log_event_emit(&e);
	}
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
}

/* ---- deferred answers (m2m_http_defer) and posted calls (bindings/http_calls.c) ------------- */

struct m2m_http_deferred {
	struct worker *w;
	struct evhttp_request *ev; /* libevent keeps it until we answer, client gone or not */
	bool tls, head;
	bool ws;                   /* a WebSocket message: answered on the session of conn */
	uint64_t conn;
	int64_t t0;
};

m2m_http_deferred *m2m_http_defer(m2m_http_server *srv, int thread_index)
{
	struct worker *w;
	m2m_http_deferred *d;

	if (srv == NULL || thread_index < 0 || thread_index >= srv->nthreads)
		return NULL;
	w = &srv->w[thread_index];
	if ((w->cur_ev == NULL && w->cur_ws == NULL) || w->cur_deferred != NULL || (d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->w = w;
	d->ev = w->cur_ev;
	d->ws = w->cur_ws != NULL;
	d->tls = w->cur_tls;
	d->head = w->cur_head;
	d->conn = w->cur_conn;
	d->t0 = w->cur_t0;
	w->cur_deferred = d;
	w->ndeferred++;
	return d;
}

void m2m_http_deferred_reply(m2m_http_deferred *d, const m2m_request *req, m2m_response *rsp)
{
	struct worker *w;

	if (d == NULL)
		return;
	w = d->w;
	if (w->ndeferred > 0)
		w->ndeferred--;
	if (d->ws) { /* bindings/ws_server.c: the session may have closed meanwhile */
		m2mi_ws_deferred_reply(w, d->conn, d->t0, req, rsp);
		free(d);
		return;
	}
	if (rsp != NULL) {
		if (rsp->rsc == 0)
			m2m_response_error(rsp, 5000, "no response");
		reply(d->ev, req, rsp, d->head || w->draining || atomic_load(&w->srv->stopping), d->head);
		m2mi_metrics_request(req != NULL ? req->op : 0, rsp->rsc, now_us() - d->t0);
		if (m2m_log_enabled(M2M_LOG_INFO)) {
			m2m_log_event e = {
				.level = M2M_LOG_INFO, .func = __func__, .msg = d->tls ? "https request" : "http request",
				.rqi = req && req->rqi ? req->rqi : rsp->rqi, .originator = req ? req->fr : NULL,
				.op = req ? m2m_op_name(req->op) : NULL, .target = req ? req->to : NULL, .rsc = rsp->rsc,
				.latency_us = now_us() - d->t0, .conn = d->conn,
			};
			m2m_log_event_emit(&e);
		}
	}
	free(d);
}

m2m_err m2m_http_server_post(m2m_http_server *srv, int thread_index, void (*fn)(void *), void *arg)
{
	if (srv == NULL || thread_index < 0 || thread_index >= srv->nthreads)
		return M2M_E_INVAL;
	return m2mi_http_calls_post(srv->w[thread_index].calls, fn, arg);
}

/* ---- stop and drain ------------------------------------------------------------------------- */

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct timeval tick = {0, DRAIN_TICK_US};
	bool busy = false;

	for (struct conn *c = w->conns; c != NULL && !busy; c = c->next) {
		struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
		busy = bev != NULL && evbuffer_get_length(bufferevent_get_output(bev)) > 0;
	}
	busy = busy || w->ndeferred > 0; /* an answer still to come is written before we stop */
	/* loopbreak, not loopexit: a request that became readable in this very iteration must not
	 * be handled (its side effects applied) and then lose its answer when we close. */
	if (!busy || ++w->drain_ticks >= DRAIN_MAX_TICKS(w->srv->drain_s))
		event_base_loopbreak(w->base);
	else
		evtimer_add(w->drain_ev, &tick);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	w->draining = true; /* from now on every response says Connection: close */
	for (struct conn *c = w->conns; c != NULL; c = c->next)
		if (c->ws != NULL)
			m2mi_ws_conn_stop(c->ws); /* Close 1001, drained below like a response */
	for (int k = 0; k < M2MI_NLISTENERS; k++) {
		if (w->ls[k].bound != NULL) {
			evhttp_del_accept_socket(w->ls[k].http, w->ls[k].bound); /* closes the socket */
			w->ls[k].bound = NULL;
		}
	}
	on_drain(-1, 0, w);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	sigset_t set;

	/* A peer that resets its connection must not kill the process with SIGPIPE. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	m2mi_http_worker_started(w);
	event_base_dispatch(w->base);
	m2mi_http_calls_stop(w->calls); /* no posted call may answer a request freed below */
	/* Close every connection now, not at m2m_http_server_free(). */
	for (int k = 0; k < M2MI_NLISTENERS; k++) {
		if (w->ls[k].http != NULL)
			evhttp_free(w->ls[k].http);
		w->ls[k].http = NULL;
		w->ls[k].bound = NULL;
	}
	m2mi_http_linger_free_all(w); /* lingering closes end with the loop */
	event_base_loop(w->base, EVLOOP_NONBLOCK); /* run the bufferevent finalizers */
	/* A connection evhttp freed without its close callback still owes its service state. */
	for (struct conn *c = w->conns; c != NULL; c = c->next) {
		m2mi_http_conn_state_close(c);
		m2mi_ws_conn_free(c->ws);
		c->ws = NULL;
	}
	return NULL;
}

/* ---- setup ------------------------------------------------------------------------------------ */

static bool enabled(const char *listen)
{
	return listen != NULL && listen[0] != '\0' && strcmp(listen, "off") != 0;
}

static ev_ssize_t backstop(size_t limit, size_t factor)
{
	return limit > (size_t)EV_SSIZE_MAX / factor ? EV_SSIZE_MAX : (ev_ssize_t)(limit * factor);
}

static m2m_err listener_init(struct worker *w, int k, const char *spec)
{
	m2m_http_server *srv = w->srv;
	struct listener *l = &w->ls[k];
	evutil_socket_t fd;
	int port = -1;
	m2m_err rc;

	l->w = w;
	l->tls = k != L_HTTP;
	l->http = evhttp_new(w->base);
	if (l->http == NULL)
		return M2M_E_NOMEM;
	evhttp_set_allowed_methods(l->http, ALL_METHODS); /* others get 405/4005 from the mapping */
	evhttp_set_default_content_type(l->http, NULL);
	/* libevent's own limits are only the memory backstop: the configured limits are checked by
	 * the mapping, which answers 431/413 with X-M2M-RSC (docs/http-binding.md). */
	evhttp_set_max_headers_size(l->http, backstop(srv->lim.max_header, 4));
	evhttp_set_max_body_size(l->http, backstop(srv->lim.max_body, 2));
	evhttp_set_timeout(l->http, srv->idle_s);
	evhttp_set_gencb(l->http, on_request, l);
	evhttp_set_bevcb(l->http, m2mi_http_bevcb, l);
	if ((l->backoff_ev = m2mi_http_backoff_new(l)) == NULL)
		return M2M_E_NOMEM;
	rc = m2mi_listen_socket(spec, w->index == 0 ? -1 : srv->port[k], !l->tls, LISTEN_BACKLOG, &fd, &port);
	if (rc != M2M_OK)
		return rc;
	l->bound = evhttp_accept_socket_with_handle(l->http, fd);
	if (l->bound == NULL) {
		close(fd);
		return M2M_E_INTERNAL;
	}
	m2mi_http_accept_errors(l);
	if (w->index == 0)
		srv->port[k] = port;
	return M2M_OK;
}

static m2m_err worker_init(struct worker *w, const m2m_http_server_config *cfg)
{
	struct event_config *ec = event_config_new();
	int p[2];
	m2m_err rc;

	if (ec == NULL)
		return M2M_E_NOMEM;
	event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK); /* one thread per base */
	w->base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (w->base == NULL)
		return M2M_E_INTERNAL;
	if (pipe(p) != 0)
		return M2M_E_IO;
	w->stop_rd = p[0];
	w->stop_wr = p[1];
	for (int i = 0; i < 2; i++)
		if (fcntl(p[i], F_SETFL, O_NONBLOCK) != 0 || fcntl(p[i], F_SETFD, FD_CLOEXEC) != 0)
			return M2M_E_IO;
	w->stop_ev = event_new(w->base, w->stop_rd, EV_READ, on_stop, w);
	w->drain_ev = evtimer_new(w->base, on_drain, w);
	if (w->stop_ev == NULL || w->drain_ev == NULL || event_add(w->stop_ev, NULL) != 0)
		return M2M_E_NOMEM;
	if ((rc = m2mi_http_calls_new(w->base, &w->calls)) != M2M_OK)
		return rc;
	if (enabled(cfg->https_listen) && (rc = listener_init(w, L_HTTPS, cfg->https_listen)) != M2M_OK)
		return rc;
	if (enabled(cfg->http_listen) && (rc = listener_init(w, L_HTTP, cfg->http_listen)) != M2M_OK)
		return rc;
	if (enabled(cfg->wss_listen) && (rc = listener_init(w, L_WSS, cfg->wss_listen)) != M2M_OK)
		return rc;
	return M2M_OK;
}

static void worker_free(struct worker *w)
{
	for (int k = 0; k < M2MI_NLISTENERS; k++) {
		if (w->ls[k].http != NULL)
			evhttp_free(w->ls[k].http); /* closes its sockets and connections */
		if (w->ls[k].backoff_ev != NULL)
			event_free(w->ls[k].backoff_ev);
	}
	if (w->stop_ev != NULL)
		event_free(w->stop_ev);
	if (w->drain_ev != NULL)
		event_free(w->drain_ev);
	m2mi_http_calls_free(w->calls);
	m2mi_http_linger_free_all(w);
	if (w->base != NULL)
		event_base_free(w->base);
	if (w->stop_rd >= 0)
		close(w->stop_rd);
	if (w->stop_wr >= 0)
		close(w->stop_wr);
}

m2m_err m2m_http_server_new(const m2m_http_server_config *cfg, m2m_http_handler_fn fn, void *ctx,
			    m2m_http_server **out)
{
	m2m_http_server *s = NULL;
	size_t nofile;
	long ncpu;
	m2m_err rc = M2M_E_CONFIG;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (cfg == NULL || fn == NULL)
		return M2M_E_INVAL;
	if ((!enabled(cfg->https_listen) && !enabled(cfg->http_listen) && !enabled(cfg->wss_listen)) ||
	    (enabled(cfg->https_listen) && cfg->tls == NULL) || (enabled(cfg->wss_listen) && cfg->tls == NULL) ||
	    cfg->threads < 0 || cfg->threads > MAX_THREADS ||
	    cfg->idle_timeout_s < 0 || cfg->header_timeout_s < 0)
		return M2M_E_CONFIG;
	nofile = m2mi_http_raise_nofile();
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return M2M_E_NOMEM;
	if ((rc = m2mi_http_make_limit(cfg, nofile, &s->limit)) != M2M_OK)
		goto out;
	rc = M2M_E_CONFIG;
	s->fn = fn;
	s->ctx = ctx;
	s->tls = cfg->tls;
	s->lim.max_header = cfg->max_header ? cfg->max_header : M2M_HTTP_DEFAULT_MAX_HEADER;
	s->lim.max_body = cfg->max_body ? cfg->max_body : M2M_HTTP_DEFAULT_MAX_BODY;
	s->idle_s = cfg->idle_timeout_s ? cfg->idle_timeout_s : M2M_HTTP_DEFAULT_IDLE_TIMEOUT;
	s->header_s = cfg->header_timeout_s ? cfg->header_timeout_s : M2M_HTTP_DEFAULT_HEADER_TIMEOUT;
	s->drain_s = cfg->drain_seconds > 0 ? cfg->drain_seconds : M2M_HTTP_DRAIN_SECONDS;
	s->psk_lookup_ms = cfg->psk_lookup_timeout_ms > 0 ? cfg->psk_lookup_timeout_ms : M2M_HTTP_DEFAULT_PSK_LOOKUP_MS;
	s->psk_lookups_max = cfg->psk_lookups_max ? cfg->psk_lookups_max : M2M_HTTP_DEFAULT_PSK_LOOKUPS;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	s->nthreads = cfg->threads ? cfg->threads : ncpu < 1 ? 1 : ncpu > MAX_THREADS ? MAX_THREADS : (int)ncpu;
	s->port[L_HTTPS] = s->port[L_HTTP] = s->port[L_WSS] = -1;
	atomic_init(&s->next_conn, 0);
	atomic_init(&s->stopping, false);
	s->w = calloc((size_t)s->nthreads, sizeof(*s->w));
	if (s->w == NULL) {
		rc = M2M_E_NOMEM;
		goto out;
	}
	for (int i = 0; i < s->nthreads; i++) {
		s->w[i].srv = s;
		s->w[i].index = i;
		s->w[i].stop_rd = s->w[i].stop_wr = -1;
	}
	for (int i = 0; i < s->nthreads; i++)
		if ((rc = worker_init(&s->w[i], cfg)) != M2M_OK)
			goto out;
	*out = s;
	s = NULL;
	rc = M2M_OK;
out:
	m2m_http_server_free(s);
	return rc;
}

m2m_err m2m_http_server_run(m2m_http_server *srv)
{
	m2m_err rc = M2M_OK;

	if (srv == NULL || srv->ran)
		return M2M_E_INVAL;
	srv->ran = true;
	for (int i = 0; i < srv->nthreads; i++) {
		if (pthread_create(&srv->w[i].tid, NULL, worker_main, &srv->w[i]) != 0) {
			rc = M2M_E_INTERNAL;
			m2m_http_server_stop(srv);
			break;
		}
		srv->w[i].started = true;
	}
	for (int i = 0; i < srv->nthreads; i++)
		if (srv->w[i].started)
			pthread_join(srv->w[i].tid, NULL);
	return rc;
}

void m2m_http_server_stop(m2m_http_server *srv)
{
	int saved = errno; /* callable from a signal handler */

	if (srv == NULL)
		return;
	atomic_store(&srv->stopping, true); /* lock-free: async-signal-safe */
	for (int i = 0; i < srv->nthreads; i++) {
		if (srv->w[i].stop_wr >= 0) {
			ssize_t r = write(srv->w[i].stop_wr, "s", 1);
			(void)r;
		}
	}
	errno = saved;
}

void m2m_http_server_free(m2m_http_server *srv)
{
	if (srv == NULL)
		return;
	for (int i = 0; srv->w != NULL && i < srv->nthreads; i++)
		worker_free(&srv->w[i]);
	free(srv->w);
	m2mi_conn_limit_free(srv->limit);
	m2mi_http_routes_free(srv);
	free(srv);
}

int m2m_http_server_port(const m2m_http_server *srv, bool https)
{
	return srv == NULL ? -1 : srv->port[https ? L_HTTPS : L_HTTP];
}

void m2m_http_server_set_conn_hooks(m2m_http_server *srv, const m2m_http_conn_hooks *hooks)
{
	if (srv == NULL || srv->ran)
		return;
	if (hooks == NULL || hooks->open == NULL || hooks->close == NULL)
		memset(&srv->hooks, 0, sizeof(srv->hooks));
	else
		srv->hooks = *hooks;
}

void *m2m_http_conn_state(m2m_http_server *srv, int thread_index)
{
	if (srv == NULL || thread_index < 0 || thread_index >= srv->nthreads)
		return NULL;
	return srv->w[thread_index].cur_state;
}

int m2m_http_server_wss_port(const m2m_http_server *srv)
{
	return srv == NULL ? -1 : srv->port[L_WSS];
}

int m2m_http_server_threads(const m2m_http_server *srv)
{
	return srv == NULL ? 0 : srv->nthreads;
}
