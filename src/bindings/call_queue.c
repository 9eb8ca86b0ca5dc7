/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the cross-thread call queue of the transports (call_queue.h): a
 * mutex-protected list and a non-blocking wake-up pipe. Other threads only append to the list
 * and write one byte (a full pipe already holds a wake-up), so a loop that is not thread-safe
 * (a libevent base without locking, the CoAP poll loop) is never touched from outside; the loop
 * watches the pipe and runs the calls in posting order on its own thread.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "bindings/call_queue.h"

struct call {
	struct call *next;
	void (*fn)(void *);
	void *arg;
};

struct m2mi_call_queue {
	int rd, wr;
	pthread_mutex_t mu;
	struct call *head; /* newest first */
};

m2m_err m2mi_call_queue_new(m2mi_call_queue **out)
{
	m2mi_call_queue *q = calloc(1, sizeof(*q));
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
			m2mi_call_queue_free(q);
			return M2M_E_IO;
		}
	*out = q;
	return M2M_OK;
}

int m2mi_call_queue_fd(const m2mi_call_queue *q)
{
	return q != NULL ? q->rd : -1;
}

m2m_err m2mi_call_queue_post(m2mi_call_queue *q, void (*fn)(void *), void *arg)
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

void m2mi_call_queue_run(m2mi_call_queue *q)
{
	struct call *c, *fifo = NULL;
	char buf[64];

	if (q == NULL)
		return;
	/* drain first: a call posted after this read leaves a byte for the next wake-up */
	while (read(q->rd, buf, sizeof(buf)) > 0)
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

void m2mi_call_queue_free(m2mi_call_queue *q)
{
	if (q == NULL)
		return;
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
