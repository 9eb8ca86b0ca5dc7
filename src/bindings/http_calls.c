/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the per-thread call queue of the HTTP server: a mutex-protected list
 * and a non-blocking wake-up pipe watched by the thread's event loop. The loop's event_base is
 * created without locking (one thread per base), so other threads never touch it: they only
 * append to the list and write one byte (a full pipe already holds a wake-up). Calls run on
 * the loop in posting order; after m2mi_http_calls_stop none runs.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "bindings/http_calls.h"

struct call {
	struct call *next;
	void (*fn)(void *);
	void *arg;
};

struct m2mi_http_calls {
	int rd, wr;
	struct event *ev;
	pthread_mutex_t mu;
	struct call *head; /* newest first */
};

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	m2mi_http_calls *q = arg;
	struct call *c, *fifo = NULL;
	char buf[64];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&q->mu);
	c = q->head;
	q->head = NULL;
	pthread_mutex_unlock(&q->mu);
	while (c != NULL) { /* reverse into posting order */
		struct call *next = c->next;
		c->next = fifo;
		fifo = c;
		c = next;
	}
	while ((c = fifo) != NULL) {
		fifo = c->next;
		c->fn(c->arg);
		free(c);
	}
}

m2m_err m2mi_http_calls_new(struct event_base *base, m2mi_http_calls **out)
{
	m2mi_http_calls *q = calloc(1, sizeof(*q));
	int p[2];

	*out = NULL;
	if (q == NULL)
		return M2M_E_NOMEM;
	if (pipe(p) != 0) {
		free(q);
		return M2M_E_IO;
	}
	q->rd = p[0];
	q->wr = p[1];
	pthread_mutex_init(&q->mu, NULL);
	for (int i = 0; i < 2; i++)
		if (fcntl(p[i], F_SETFL, O_NONBLOCK) != 0 || fcntl(p[i], F_SETFD, FD_CLOEXEC) != 0) {
			m2mi_http_calls_free(q);
			return M2M_E_IO;
		}
	q->ev = event_new(base, q->rd, EV_READ | EV_PERSIST, on_wake, q);
	if (q->ev == NULL || event_add(q->ev, NULL) != 0) {
		m2mi_http_calls_free(q);
		return M2M_E_NOMEM;
	}
	*out = q;
	return M2M_OK;
}

m2m_err m2mi_http_calls_post(m2mi_http_calls *q, void (*fn)(void *), void *arg)
{
	struct call *c;

	if (q == NULL || fn == NULL)
		return M2M_E_INVAL;
	if ((c = malloc(sizeof(*c))) == NULL)
		return M2M_E_NOMEM;
	c->fn = fn;
	c->arg = arg;
	pthread_mutex_lock(&q->mu);
	c->next = q->head;
	q->head = c;
	pthread_mutex_unlock(&q->mu);
	(void)!write(q->wr, "c", 1);
	return M2M_OK;
}

void m2mi_http_calls_stop(m2mi_http_calls *q)
{
	if (q != NULL && q->ev != NULL)
		event_del(q->ev);
}

void m2mi_http_calls_free(m2mi_http_calls *q)
{
	if (q == NULL)
		return;
	if (q->ev != NULL)
		event_free(q->ev);
	while (q->head != NULL) {
		struct call *c = q->head;
		q->head = c->next;
		free(c);
	}
	pthread_mutex_destroy(&q->mu);
	close(q->rd);
	close(q->wr);
	free(q);
}
