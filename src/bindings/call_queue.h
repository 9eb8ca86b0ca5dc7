/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the cross-thread call queue shared by the transports
 * (bindings/call_queue.c): other threads ask one loop thread to run a function there (the HTTP
 * loops through http_calls.c on libevent, the CoAP thread through its poll loop), e.g. to hand
 * an asynchronous PSK lookup's answer to a paused handshake (m2m_psk_wait_done_post).
 */
#ifndef M2MSEC_BINDINGS_CALL_QUEUE_H
#define M2MSEC_BINDINGS_CALL_QUEUE_H

#include "m2msec/err.h"

typedef struct m2mi_call_queue m2mi_call_queue;

m2m_err m2mi_call_queue_new(m2mi_call_queue **out);
/* Readable (POLLIN) while calls are queued: watch it in the loop, then call _run. */
int m2mi_call_queue_fd(const m2mi_call_queue *q);
/* Any thread: queue fn(arg). Errors: M2M_E_INVAL, M2M_E_NOMEM. */
m2m_err m2mi_call_queue_post(m2mi_call_queue *q, void (*fn)(void *), void *arg);
/* The loop thread: run every queued call in posting order (calls posted meanwhile included). */
void m2mi_call_queue_run(m2mi_call_queue *q);
/* Drop the queued calls without running them and free. NULL is a no-op. */
void m2mi_call_queue_free(m2mi_call_queue *q);

#endif
