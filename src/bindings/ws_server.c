/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the WebSocket transport of the HTTP server (TS-0020 V3.0.1,
 * docs/websocket-binding.md). A request on the wss-listen listener arrives after the TLS
 * handshake (any SAEF, TS-0020 clause 7) as an ordinary evhttp request; bindings/ws_handshake.c
 * decides on it. A refusal is answered over HTTP and the connection closed; an acceptance takes
 * the connection over from evhttp with the public libevent 2.1 API: the 101 head is written
 * straight into its bufferevent, whose callbacks become ours, and evhttp never sees it again
 * (the request stays unanswered; the evhttp_connection is only the owner of the socket and is
 * freed at the end, which runs the usual close path: caps, association, service state).
 * Each text message is one JSON request primitive (TS-0020 clause 5.2) mapped by the JSON
 * primitive mapping of bindings/json_prim.c (shared with MQTT) and handed to the server's handler with the
 * connection's security association, exactly as an HTTPS request.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "bindings/http_server_int.h"
#include "bindings/json_prim.h"
#include "bindings/ws_frame.h"
#include "bindings/ws_handshake.h"
#include "bindings/ws_server.h"
#include "core/metrics.h"
#include "bindings/ws_session.h"
#include "m2msec/log.h"
#include "m2msec/mqtt.h"
#include "m2msec/rsc.h"

#define WS_MAX_HEADERS 64
#define WS_READ_CHUNK 16384

struct m2mi_ws_conn {
	struct worker *w;
	struct conn *c;
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	m2mi_ws_session *s;
	size_t max_queued;   /* bytes waiting in the socket's output before we stop reading */
};

static void ws_close(struct m2mi_ws_conn *ws)
{
	evhttp_connection_free(ws->evcon); /* the close callback frees ws (m2mi_ws_conn_free) */
}

/* Move the session's output to the socket; true when ws was closed. */
static bool flush(struct m2mi_ws_conn *ws)
{
	struct evbuffer *out = bufferevent_get_output(ws->bev);
	size_t len;
	const uint8_t *p = m2mi_ws_session_output(ws->s, &len);

	if (p != NULL && len > 0) {
		if (evbuffer_add(out, p, len) != 0) {
			ws_close(ws);
			return true;
		}
		m2mi_ws_session_consumed(ws->s, len);
	}
	if (m2mi_ws_session_done(ws->s)) {
		bufferevent_disable(ws->bev, EV_READ);
		if (evbuffer_get_length(out) == 0) {
			ws_close(ws);
			return true;
		}
	} else if (evbuffer_get_length(out) > ws->max_queued) {
		bufferevent_disable(ws->bev, EV_READ); /* the peer does not read: neither do we */
	}
	return false;
}

/* Queue the answer to one message (or 1011 when it cannot be serialised) and log it. */
static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* t0: the message's arrival (CLOCK_MONOTONIC, microseconds), for the latency histogram. */
static void answer(struct m2mi_ws_conn *ws, const m2m_request *req, m2m_response *rsp, int64_t t0)
{
	char *out = NULL;
	size_t olen = 0;

	if (rsp->rsc == 0)
		m2m_response_error(rsp, 5000, "no response");
	if (m2m_mqtt_format_response(req, rsp, NULL, &out, &olen) != M2M_OK ||
	    m2mi_ws_session_send_text(ws->s, out, olen) != M2M_OK)
		m2mi_ws_session_close(ws->s, M2MI_WS_CLOSE_INTERNAL, "no response");
	m2mi_metrics_request(req != NULL ? req->op : 0, rsp->rsc, mono_us() - t0);
	if (m2m_log_enabled(M2M_LOG_INFO)) {
		m2m_log_event e = {
			.level = M2M_LOG_INFO, .func = __func__, .msg = "wss request",
			.rqi = req && req->rqi ? req->rqi : rsp->rqi, .originator = req ? req->fr : NULL,
			.op = req ? m2m_op_name(req->op) : NULL, .target = req ? req->to : NULL, .rsc = rsp->rsc,
			.conn = ws->c->id,
		};
		m2m_log_event_emit(&e);
	}
	free(out);
}

/*
 * One text message: the request primitive (TS-0020 clause 5.2), mapped by the JSON primitive
 * mapping the MQTT binding shares (bindings/json_prim.c) without any topic: the binding of From
 * to the authenticated identity is made by the CSE with the connection's association, as for
 * HTTPS (core/originator.c: 4000 / 4106 / 4107).
 */
static void on_text(void *arg, m2mi_ws_session *s, const uint8_t *data, size_t len)
{
	struct m2mi_ws_conn *ws = arg;
	struct worker *w = ws->w;
	m2m_http_server *srv = w->srv;
	m2m_request req;
	m2m_response rsp;
	int64_t t0 = mono_us();
	m2m_err rc;

	m2m_request_init(&req);
	m2m_response_init(&rsp);
	rc = m2mi_json_parse_request(data, len, srv->lim.max_body, &req, &rsp);
	if (rc == M2M_OK) {
		req.ip_family = ws->c->ip_family;
		memcpy(req.ip, ws->c->ip, sizeof(req.ip));
		w->cur_ws = ws; /* m2m_http_defer takes this message out of the synchronous path */
		w->cur_conn = ws->c->id;
		w->cur_t0 = t0;
		w->cur_state = ws->c->svc_state;
		srv->fn(srv->ctx, w->index, &ws->c->sa, &req, &rsp);
		w->cur_ws = NULL;
		w->cur_state = NULL;
		if (w->cur_deferred != NULL) { /* answered by m2mi_ws_deferred_reply */
			w->cur_deferred = NULL;
			m2m_request_clear(&req);
			m2m_response_clear(&rsp);
			return;
		}
	}
	answer(ws, rc == M2M_OK ? &req : NULL, &rsp, t0);
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	(void)s;
}

void m2mi_ws_deferred_reply(struct worker *w, uint64_t conn_id, int64_t t0, const m2m_request *req,
			    m2m_response *rsp)
{
	struct conn *c = w->conns;

	while (c != NULL && c->id != conn_id)
		c = c->next;
	if (rsp == NULL || c == NULL || c->ws == NULL || m2mi_ws_session_done(c->ws->s))
		return; /* shutdown, or the client went away meanwhile */
	answer(c->ws, req, rsp, t0);
	(void)flush(c->ws);
}

static void ws_read(struct bufferevent *bev, void *arg)
{
	struct m2mi_ws_conn *ws = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;

	while ((n = evbuffer_get_length(in)) > 0 && !m2mi_ws_session_done(ws->s)) {
		uint8_t *p;

		if (n > WS_READ_CHUNK)
			n = WS_READ_CHUNK;
		if ((p = evbuffer_pullup(in, (ev_ssize_t)n)) == NULL ||
		    m2mi_ws_session_input(ws->s, p, n) != M2M_OK) {
			ws_close(ws);
			return;
		}
		(void)evbuffer_drain(in, n);
		if (flush(ws))
			return;
	}
	(void)evbuffer_drain(in, evbuffer_get_length(in)); /* after the end: ignored */
	(void)flush(ws);
}

static void ws_write(struct bufferevent *bev, void *arg)
{
	struct m2mi_ws_conn *ws = arg;

	if (flush(ws))
		return;
	if (!m2mi_ws_session_done(ws->s))
		bufferevent_enable(bev, EV_READ); /* the output drained: read again */
}

static void ws_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		ws_close(arg);
}

static void refuse(struct evhttp_request *ev, int status, const char *why)
{
	struct evkeyvalq *oh = evhttp_request_get_output_headers(ev);

	(void)evhttp_add_header(oh, "Connection", "close");
	if (status == 426) /* RFC 6455 section 4.4: the versions we speak */
		(void)evhttp_add_header(oh, "Sec-WebSocket-Version", "13");
	(void)evhttp_add_header(oh, "Content-Type", "text/plain");
	(void)evbuffer_add_printf(evhttp_request_get_output_buffer(ev), "%s\n", why);
	evhttp_send_reply(ev, status, "", NULL);
}

void m2mi_ws_upgrade(struct worker *w, struct evhttp_request *ev, struct conn *c)
{
	m2m_http_server *srv = w->srv;
	struct evkeyvalq *ih = evhttp_request_get_input_headers(ev);
	m2m_http_header h[WS_MAX_HEADERS];
	struct m2mi_ws_conn *ws;
	struct evkeyval *kv;
	struct timeval idle = {srv->idle_s, 0};
	char head[256];
	/* the configured header limit, counted as the oneM2M mapping does (libevent's own is only a
	 * backstop): request line, every "Name: value\r\n", the final CRLF */
	size_t nh = 0, n, size = strlen(evhttp_request_get_uri(ev)) + 16;
	m2mi_ws_hs hs;

	TAILQ_FOREACH(kv, ih, next) {
		size += strlen(kv->key) + strlen(kv->value) + 4;
		if (nh == WS_MAX_HEADERS || size > srv->lim.max_header) {
			refuse(ev, 431, "request header fields too large");
			return;
		}
		h[nh++] = (m2m_http_header){kv->key, kv->value};
	}
	if (m2mi_ws_handshake_check(m2mi_http_method_name(evhttp_request_get_command(ev)), evhttp_request_get_uri(ev), h,
				    nh, &hs) != M2M_OK) {
		refuse(ev, 500, "internal error");
		return;
	}
	if (hs.status != 101) {
		refuse(ev, hs.status, hs.why);
		return;
	}
	if (w->draining || atomic_load(&srv->stopping)) {
		refuse(ev, 503, "stopping");
		return;
	}
	if ((n = m2mi_ws_handshake_response(&hs, head, sizeof(head))) == 0 || (ws = calloc(1, sizeof(*ws))) == NULL) {
		refuse(ev, 503, "no memory");
		return;
	}
	ws->w = w;
	ws->c = c;
	ws->evcon = evhttp_request_get_connection(ev);
	ws->bev = evhttp_connection_get_bufferevent(ws->evcon);
	ws->max_queued = 2 * srv->lim.max_body + 1024;
	if (ws->bev == NULL || (ws->s = m2mi_ws_session_new(srv->lim.max_body, 0, on_text, ws)) == NULL) {
		free(ws);
		refuse(ev, 503, "no memory");
		return;
	}
	c->ws = ws; /* from here the close callback owns ws */
	bufferevent_setcb(ws->bev, ws_read, ws_write, ws_event, ws);
	(void)bufferevent_set_timeouts(ws->bev, &idle, NULL);
	if (bufferevent_write(ws->bev, head, n) != 0) {
		ws_close(ws);
		return;
	}
	bufferevent_enable(ws->bev, EV_READ | EV_WRITE);
	if (m2m_log_enabled(M2M_LOG_INFO)) {
		m2m_log_event e = {.level = M2M_LOG_INFO, .func = __func__, .msg = "wss opened", .rsc = 101,
				   .conn = c->id};
		m2m_log_event_emit(&e);
	}
	if (evbuffer_get_length(bufferevent_get_input(ws->bev)) > 0)
		ws_read(ws->bev, ws); /* frames that came with the handshake */
}

void m2mi_ws_conn_stop(struct m2mi_ws_conn *ws)
{
	if (ws == NULL)
		return;
	const uint8_t *p;
	size_t len;

	m2mi_ws_session_close(ws->s, 1001, "server stopping");
	/* Only queue it: the caller walks the connection list, nothing may close here. */
	if ((p = m2mi_ws_session_output(ws->s, &len)) != NULL &&
	    evbuffer_add(bufferevent_get_output(ws->bev), p, len) == 0)
		m2mi_ws_session_consumed(ws->s, len);
}

void m2mi_ws_conn_free(struct m2mi_ws_conn *ws)
{
	if (ws == NULL)
		return;
	m2mi_ws_session_free(ws->s);
	free(ws);
}
