/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the raw routes of the HTTP server (docs/http-binding.md "Raw routes"):
 * a few path prefixes whose requests are plain HTTP rather than oneM2M primitives (TS-0009
 * clause 6 does not apply to them), such as the MEF's EST endpoints under /.well-known/est (RFC
 * 7030 section 3.2.2, TS-0003 clause 8.3.6.2). The message was framed and size-checked by the
 * same code as every oneM2M request before it gets here; the handler sees method, target,
 * headers, body, the connection's association and its SSL object, and returns status, media
 * type and body.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "bindings/http_server_int.h"
#include "m2msec/http.h"
#include "m2msec/log.h"

m2m_err m2m_http_server_route(m2m_http_server *srv, const char *prefix, m2m_http_raw_fn fn, void *ctx)
{
	size_t len;

	if (srv == NULL || prefix == NULL || fn == NULL || prefix[0] != '/' || srv->ran)
		return M2M_E_INVAL;
	len = strlen(prefix);
	if (len > 1 && prefix[len - 1] == '/')
		len--; /* "/x/" and "/x" are the same route */
	if (len < 2)
		return M2M_E_INVAL; /* "/" would take every oneM2M request */
	for (size_t i = 0; i < srv->nroutes; i++)
		if (srv->routes[i].len == len && memcmp(srv->routes[i].prefix, prefix, len) == 0) /* public: paths */
			return M2M_E_EXISTS;
	if (srv->nroutes >= M2M_HTTP_MAX_ROUTES)
		return M2M_E_RANGE;
	if ((srv->routes[srv->nroutes].prefix = strndup(prefix, len)) == NULL)
		return M2M_E_NOMEM;
	srv->routes[srv->nroutes].len = len;
	srv->routes[srv->nroutes].fn = fn;
	srv->routes[srv->nroutes].ctx = ctx;
	srv->nroutes++;
	return M2M_OK;
}

void m2mi_http_routes_free(m2m_http_server *srv)
{
	for (size_t i = 0; i < srv->nroutes; i++)
		free(srv->routes[i].prefix);
	srv->nroutes = 0;
}

static const struct m2mi_http_route *route_of(const m2m_http_server *srv, const char *target)
{
	for (size_t i = 0; target != NULL && i < srv->nroutes; i++) {
		const struct m2mi_http_route *r = &srv->routes[i];
		char next = target[r->len < strlen(target) ? r->len : strlen(target)];
		if (strncmp(target, r->prefix, r->len) == 0 && (next == '\0' || next == '/' || next == '?'))
			return r;
	}
	return NULL;
}

bool m2m_http_server_has_route(const m2m_http_server *srv, const char *path)
{
	return srv != NULL && path != NULL && route_of(srv, path) != NULL;
}

bool m2mi_http_raw_dispatch(struct worker *w, struct evhttp_request *ev, struct conn *c, bool tls,
			    const m2m_http_header *hdrs, size_t nh, const uint8_t *body, size_t blen, m2m_err rc)
{
	m2m_http_server *srv = w->srv;
	const struct m2mi_http_route *r;
	const char *target = evhttp_request_get_uri(ev);
	struct evkeyvalq *oh = evhttp_request_get_output_headers(ev);
	struct bufferevent *bev;
	m2m_http_raw_response rsp = {0};
	m2m_http_raw_request req;
	bool head = evhttp_request_get_command(ev) == EVHTTP_REQ_HEAD;
	char num[24];

	/* Framing and size refusals are answered (and the connection closed) by the caller. */
	if (srv->nroutes == 0 || rc == M2M_E_HTTP_FRAMING || rc == M2M_E_TOO_LARGE || rc == M2M_E_NOMEM ||
	    (r = route_of(srv, target)) == NULL)
		return false;
	bev = evhttp_connection_get_bufferevent(evhttp_request_get_connection(ev));
	req = (m2m_http_raw_request){
		.method = m2mi_http_method_name(evhttp_request_get_command(ev)), .target = target, .headers = hdrs,
		.nheaders = nh, .body = blen ? body : NULL, .body_len = blen, .sa = &c->sa,
		.ssl = tls && bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL,
	};
	r->fn(r->ctx, w->index, &req, &rsp);
	if (rsp.status < 100 || rsp.status > 599) {
		free(rsp.body);
		free(rsp.www_authenticate);
		rsp = (m2m_http_raw_response){.status = 500};
	}
	if (rsp.www_authenticate != NULL)
		(void)evhttp_add_header(oh, "WWW-Authenticate", rsp.www_authenticate);
	if (rsp.content_type != NULL && rsp.body != NULL)
		(void)evhttp_add_header(oh, "Content-Type", rsp.content_type);
	for (size_t i = 0; rsp.headers != NULL && i < rsp.nheaders && i < M2M_HTTP_OUT_MAX_HEADERS; i++)
		(void)evhttp_add_header(oh, rsp.headers[i].name, rsp.headers[i].value);
	if (rsp.retry_after > 0) {
		snprintf(num, sizeof(num), "%d", rsp.retry_after);
		(void)evhttp_add_header(oh, "Retry-After", num);
	}
	if (head || w->draining || atomic_load(&srv->stopping))
		(void)evhttp_add_header(oh, "Connection", "close");
	if (rsp.body != NULL && rsp.body_len > 0 && !head)
		(void)evbuffer_add(evhttp_request_get_output_buffer(ev), rsp.body, rsp.body_len);
	evhttp_send_reply(ev, rsp.status, "", NULL);
	if (m2m_log_enabled(M2M_LOG_INFO)) {
		m2m_log_event e = {.level = M2M_LOG_INFO, .func = __func__, .msg = tls ? "https raw request" : "http raw request",
				   .op = req.method, .target = r->prefix, .rsc = rsp.status};
		m2m_log_event_emit(&e);
	}
	free(rsp.body);
	free(rsp.www_authenticate);
	return true;
}
