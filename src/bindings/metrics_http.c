/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the metrics listener (bindings/metrics_http.h, docs/operations.md): the
 * exposition half of the metrics, on a thread and event loop of its own so that a scrape (the
 * registry's sum over the workers' shards, core/metrics.c) never runs on or blocks a request
 * worker. /metrics carries no authentication, so the listener binds loopback addresses only and
 * refuses any other before binding; it answers GET /metrics (text format 0.0.4), 405 for another
 * method on /metrics and 404 for every other path.
 */
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "bindings/listen_sock.h"
#include "bindings/metrics_http.h"
#include "core/metrics.h"
#include "m2msec/config.h"

#define METRICS_BACKLOG 16
#define METRICS_TIMEOUT_S 10

struct m2mi_metrics_http {
	struct event_base *base;
	struct evhttp *http;
	struct event *stop_ev;
	int stop_rd, stop_wr;
	int port;
	pthread_t tid;
	bool started;
};

/* A short text answer (evhttp_send_error would drop our Allow header). */
static void answer(struct evhttp_request *ev, int code, const char *reason)
{
	(void)evhttp_add_header(evhttp_request_get_output_headers(ev), "Content-Type", "text/plain; charset=utf-8");
	(void)evbuffer_add_printf(evhttp_request_get_output_buffer(ev), "%d %s\n", code, reason);
	evhttp_send_reply(ev, code, reason, NULL);
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	const char *uri = evhttp_request_get_uri(ev);
	struct evkeyvalq *oh = evhttp_request_get_output_headers(ev);
	size_t n = uri != NULL ? strcspn(uri, "?") : 0;
	char *text = NULL;
	size_t len = 0;

	(void)arg;
	if (uri == NULL || n != strlen("/metrics") || strncmp(uri, "/metrics", n) != 0) {
		answer(ev, 404, "Not Found");
		return;
	}
	if (evhttp_request_get_command(ev) != EVHTTP_REQ_GET) {
		(void)evhttp_add_header(oh, "Allow", "GET");
		answer(ev, 405, "Method Not Allowed");
		return;
	}
	if (m2mi_metrics_render(&text, &len) != M2M_OK) {
		answer(ev, 500, "Internal Server Error");
		return;
	}
	(void)evhttp_add_header(oh, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	(void)evbuffer_add(evhttp_request_get_output_buffer(ev), text, len);
	free(text);
	evhttp_send_reply(ev, 200, "OK", NULL);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct m2mi_metrics_http *m = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(m->base);
}

static void *run(void *arg)
{
	struct m2mi_metrics_http *m = arg;

	event_base_dispatch(m->base);
	return NULL;
}

m2m_err m2mi_metrics_http_start(const char *listen_spec, m2mi_metrics_http **out)
{
	struct m2mi_metrics_http *m;
	int fd = -1, p[2];
	m2m_err rc;

	if (out == NULL || listen_spec == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return M2M_E_NOMEM;
	m->stop_rd = m->stop_wr = -1;
	/* no authentication on /metrics: this host only */
	if ((rc = m2mi_listen_socket(listen_spec, -1, true, METRICS_BACKLOG, &fd, &m->port)) != M2M_OK)
		goto fail;
	rc = M2M_E_INTERNAL;
	if (pipe(p) != 0) {
		close(fd);
		goto fail;
	}
	m->stop_rd = p[0];
	m->stop_wr = p[1];
	for (int i = 0; i < 2; i++)
		if (fcntl(p[i], F_SETFL, O_NONBLOCK) != 0 || fcntl(p[i], F_SETFD, FD_CLOEXEC) != 0) {
			close(fd);
			goto fail;
		}
	if ((m->base = event_base_new()) == NULL || (m->http = evhttp_new(m->base)) == NULL ||
	    (m->stop_ev = event_new(m->base, m->stop_rd, EV_READ, on_stop, m)) == NULL ||
	    event_add(m->stop_ev, NULL) != 0) {
		close(fd);
		goto fail;
	}
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
						    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(m->http, 8192);
	evhttp_set_max_body_size(m->http, 4096);
	evhttp_set_timeout(m->http, METRICS_TIMEOUT_S);
	evhttp_set_gencb(m->http, on_request, m);
	if (evhttp_accept_socket_with_handle(m->http, fd) == NULL) {
		close(fd);
		goto fail;
	}
	if (pthread_create(&m->tid, NULL, run, m) != 0)
		goto fail;
	m->started = true;
	m2mi_metrics_enable(true);
	*out = m;
	return M2M_OK;
fail:
	m2mi_metrics_http_stop(m);
	return rc;
}

int m2mi_metrics_http_port(const m2mi_metrics_http *m)
{
	return m != NULL ? m->port : -1;
}

void m2mi_metrics_http_stop(m2mi_metrics_http *m)
{
	if (m == NULL)
		return;
	if (m->started) {
		ssize_t r = write(m->stop_wr, "s", 1);
		(void)r;
		pthread_join(m->tid, NULL);
	}
	if (m->http != NULL)
		evhttp_free(m->http);
	if (m->stop_ev != NULL)
		event_free(m->stop_ev);
	if (m->base != NULL)
		event_base_free(m->base);
	if (m->stop_rd >= 0)
		close(m->stop_rd);
	if (m->stop_wr >= 0)
		close(m->stop_wr);
	free(m);
}
