/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the per-thread call queue of the HTTP server
 * (bindings/http_calls.c): other threads ask an event-loop thread to run a function on its
 * loop (m2m_http_server_post), e.g. to answer a request whose subscription verification ended.
 */
#ifndef M2MSEC_BINDINGS_HTTP_CALLS_H
#define M2MSEC_BINDINGS_HTTP_CALLS_H

#include "m2msec/err.h"

struct event_base;
typedef struct m2mi_http_calls m2mi_http_calls;

m2m_err m2mi_http_calls_new(struct event_base *base, m2mi_http_calls **out);
/* Queue fn(arg) (any thread; never blocks). */
m2m_err m2mi_http_calls_post(m2mi_http_calls *q, void (*fn)(void *), void *arg);
/* After the loop stopped: no queued call runs any more. */
void m2mi_http_calls_stop(m2mi_http_calls *q);
/* Free (queued calls are dropped); NULL is a no-op. */
void m2mi_http_calls_free(m2mi_http_calls *q);

#endif
