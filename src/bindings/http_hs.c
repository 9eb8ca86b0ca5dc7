/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the TLS handshake driver of the HTTPS server for asynchronous PSK
 * lookups (docs/tls.md, "Asynchronous PSK lookup"; TS-0003 clause 8.2.2.1 with MEF-provisioned
 * KeIDs, clause 8.2.2.3 MAF Kc identifiers). libevent 2.1's bufferevent_openssl cannot carry a
 * handshake paused in an OpenSSL ASYNC job (SSL_ERROR_WANT_ASYNC closes the connection), and
 * evhttp cannot adopt a connection opened elsewhere. So, when the TLS layer has an asynchronous
 * resolver, the connection's bufferevent_openssl is disabled right after the accept (before it
 * read a byte), this driver runs SSL_do_handshake on the same SSL and socket with its own
 * events (read, write, peer close, the lookup deadline, the wake-up of an answered lookup), and
 * on success re-enables the bufferevent: its next SSL_do_handshake returns 1 at once, it
 * switches to its data path and evhttp reads the request as usual. Nothing changes after the
 * handshake (measured in docs/tls.md). The header deadline of http_conn.c still covers it all.
 * Runs on the connection's event-loop thread only.
 */
#include <stdlib.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bindings/http_server_int.h"
#include "m2msec/log.h"

static m2m_log_limiter rl_lookup = M2M_LOG_LIMITER_INIT(1000);

struct m2mi_hs {
	struct conn *c;
	SSL *ssl;
	struct bufferevent *bev;
	short enabled;               /* what evhttp had enabled on bev */
	struct event *rd, *wr;       /* the socket, as the handshake asks */
	struct event *gone;          /* EV_CLOSED while a lookup is pending: the client left */
	struct event *resume;        /* activated by the TLS layer when a lookup was answered */
	struct event *timer;         /* the lookup deadline */
	m2m_tls_async_host host;
};

/* Calls of the TLS layer (m2m_psk_wait_done_post) from other threads, through the call queue. */
static m2m_err host_post(void *arg, void (*fn)(void *), void *fnarg)
{
	struct worker *w = arg;

	return m2mi_http_calls_post(w->calls, fn, fnarg);
}

static void host_wake(void *arg)
{
	struct m2mi_hs *hs = arg;

	event_active(hs->resume, EV_TIMEOUT, 0); /* never re-enter the handshake from the answer */
}

static void hs_release(struct m2mi_hs *hs)
{
	struct event *evs[] = {hs->rd, hs->wr, hs->gone, hs->resume, hs->timer};

	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	m2m_tls_async_detach(hs->ssl);
	hs->c->hs = NULL;
	free(hs);
}

static void fail(struct conn *c, const char *why)
{
	m2m_log_rl(&rl_lookup, M2M_LOG_INFO, "conn %llu: TLS handshake failed (%s), closing",
		   (unsigned long long)c->id, why);
	evhttp_connection_free(c->evcon); /* on_conn_close -> m2mi_http_hs_free(c) */
}

/* One step of the handshake; false when it failed (the caller closes the connection). */
static bool step(struct m2mi_hs *hs)
{
	int r, e;

	event_del(hs->rd);
	event_del(hs->wr);
	ERR_clear_error();
	r = SSL_do_handshake(hs->ssl);
	if (r == 1) {
		struct bufferevent *bev = hs->bev;
		short en = hs->enabled;
		hs_release(hs);
		/* bufferevent_openssl's next SSL_do_handshake returns 1 at once: data path from here. */
		(void)bufferevent_enable(bev, en | EV_READ);
		return true;
	}
	e = SSL_get_error(hs->ssl, r);
	ERR_clear_error();
	if (e == SSL_ERROR_WANT_READ)
		return event_add(hs->rd, NULL) == 0;
	if (e == SSL_ERROR_WANT_WRITE)
		return event_add(hs->wr, NULL) == 0;
	if (e == SSL_ERROR_WANT_ASYNC && m2m_tls_async_waiting(hs->ssl)) {
		struct timeval tv = {hs->c->w->srv->psk_lookup_ms / 1000, (hs->c->w->srv->psk_lookup_ms % 1000) * 1000};
		(void)event_add(hs->gone, NULL);
		return evtimer_add(hs->timer, &tv) == 0;
	}
	return false;
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct m2mi_hs *hs = arg;

	if (!step(hs))
		fail(hs->c, "handshake");
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct m2mi_hs *hs = arg;

	event_del(hs->gone);
	evtimer_del(hs->timer);
	if (!step(hs))
		fail(hs->c, "PSK lookup refused");
}

/* Deadline or disconnect: stop waiting; the resumed handshake fails with an alert. */
static void on_give_up(evutil_socket_t fd, short what, void *arg)
{
	struct m2mi_hs *hs = arg;
	struct conn *c = hs->c; /* step() may free hs (an answer raced the deadline) */

	event_del(hs->gone);
	evtimer_del(hs->timer);
	m2m_tls_async_cancel(hs->ssl);
	(void)step(hs);
	fail(c, (what & EV_TIMEOUT) ? "PSK lookup deadline" : "client left during PSK lookup");
}

m2m_err m2mi_http_hs_start(struct conn *c)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
	SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
	evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;
	struct event_base *base = c->w->base;
	struct m2mi_hs *hs;

	if (!m2m_tls_has_async(c->w->srv->tls))
		return M2M_OK; /* bufferevent_openssl drives it, as without lookups */
	if (ssl == NULL || fd < 0 || (hs = calloc(1, sizeof(*hs))) == NULL)
		return M2M_E_INTERNAL;
	hs->c = c;
	hs->ssl = ssl;
	hs->bev = bev;
	c->hs = hs;
	hs->enabled = bufferevent_get_enabled(bev);
	hs->host = (m2m_tls_async_host){.wake = host_wake, .wake_arg = hs, .post = host_post, .post_arg = c->w,
					.inflight = &c->w->psk_inflight, .max_inflight = c->w->srv->psk_lookups_max};
	hs->rd = event_new(base, fd, EV_READ, on_io, hs);
	hs->wr = event_new(base, fd, EV_WRITE, on_io, hs);
	hs->gone = event_new(base, fd, EV_CLOSED, on_give_up, hs);
	hs->resume = event_new(base, -1, 0, on_resume, hs);
	hs->timer = evtimer_new(base, on_give_up, hs);
	if (hs->rd == NULL || hs->wr == NULL || hs->gone == NULL || hs->resume == NULL || hs->timer == NULL ||
	    bufferevent_disable(bev, EV_READ | EV_WRITE) != 0 || m2m_tls_async_attach(ssl, &hs->host) != M2M_OK) {
		hs_release(hs);
		return M2M_E_NOMEM;
	}
	/* Nothing has arrived yet (right after the accept): wait for the ClientHello. */
	return event_add(hs->rd, NULL) == 0 ? M2M_OK : M2M_E_INTERNAL;
}

void m2mi_http_hs_free(struct conn *c)
{
	struct m2mi_hs *hs = c->hs;

	if (hs == NULL)
		return;
	if (m2m_tls_async_waiting(hs->ssl)) {
		/* Unwind the paused ASYNC job (else it leaks): the handshake fails and returns. */
		m2m_tls_async_cancel(hs->ssl);
		ERR_clear_error();
		(void)SSL_do_handshake(hs->ssl);
		ERR_clear_error();
	}
	hs_release(hs);
}
