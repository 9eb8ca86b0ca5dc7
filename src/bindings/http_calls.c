/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the per-thread call queue of the HTTP server: the transports' call
 * queue (call_queue.c: a locked list and a wake-up pipe) watched by the thread's event loop.
 * The loop's event_base is created without locking (one thread per base), so other threads
 * never touch it. Calls run on the loop in posting order; after m2mi_http_calls_stop none runs.
 */
#include <stdlib.h>

#include <event2/event.h>

#include "bindings/call_queue.h"
#include "bindings/http_calls.h"

struct m2mi_http_calls {
	m2mi_call_queue *q; /* the queue itself (call_queue.c, shared with the CoAP thread) */
	struct event *ev;   /* its wake-up pipe on this loop */
};

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	m2mi_http_calls *hc = arg;

	(void)fd;
	(void)what;
	m2mi_call_queue_run(hc->q);
}

m2m_err m2mi_http_calls_new(struct event_base *base, m2mi_http_calls **out)
{
	m2mi_http_calls *hc = calloc(1, sizeof(*hc));
	m2m_err r;

	*out = NULL;
	if (hc == NULL)
		return M2M_E_NOMEM;
	if ((r = m2mi_call_queue_new(&hc->q)) != M2M_OK) {
		free(hc);
		return r;
	}
	hc->ev = event_new(base, m2mi_call_queue_fd(hc->q), EV_READ | EV_PERSIST, on_wake, hc);
	if (hc->ev == NULL || event_add(hc->ev, NULL) != 0) {
		m2mi_http_calls_free(hc);
		return M2M_E_NOMEM;
	}
	*out = hc;
	return M2M_OK;
}

m2m_err m2mi_http_calls_post(m2mi_http_calls *hc, void (*fn)(void *), void *arg)
{
	if (hc == NULL)
		return M2M_E_INVAL;
	return m2mi_call_queue_post(hc->q, fn, arg);
}

void m2mi_http_calls_stop(m2mi_http_calls *hc)
{
	if (hc != NULL && hc->ev != NULL)
		event_del(hc->ev);
}

void m2mi_http_calls_free(m2mi_http_calls *hc)
{
	if (hc == NULL)
		return;
	if (hc->ev != NULL)
		event_free(hc->ev);
	m2mi_call_queue_free(hc->q); /* drops what is still queued */
	free(hc);
}
