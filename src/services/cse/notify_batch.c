/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements batchNotify for the notifier (TS-0001 clause 9.6.8 batchNotify and
 * 10.2.10.7, TS-0004 Table 6.3.5.6-1): per subscription and target, up to num notifications are
 * collected and sent as one {"m2m:agn": {"m2m:sgn": [...]}} when full or dur after the first;
 * with latestNotify only the latest is kept and sent at the end of dur. The batch's first job
 * carries it into the target's queue (notify_q.c). Bounded by NQ_TARGETS_MAX batches at once.
 * Notifier thread only.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "services/cse/notify_q_int.h"

typedef struct nq_batch {
	struct nq_batch *next;
	m2mi_notifier *n;
	nq_job *proto;     /* url, vrq, sur of the batch */
	json_t *sgns;      /* the collected m2m:sgn objects */
	int num;
	bool latest;
	struct event *timer;
} nq_batch;

static void batch_flush(nq_batch *b)
{
	m2mi_notifier *n = b->n;
	nq_batch **p;
	nq_job *j = b->proto;
	json_t *agn = json_pack("{s:{s:O}}", "m2m:agn", "m2m:sgn", b->sgns);
	char *body = agn ? json_dumps(agn, JSON_COMPACT) : NULL;

	for (p = &n->batches; *p != NULL; p = &(*p)->next)
		if (*p == b) {
			*p = b->next;
			n->nbatches--;
			break;
		}
	json_decref(agn);
	json_decref(b->sgns);
	event_free(b->timer);
	free(b);
	if (body == NULL) {
		m2mi_nq_job_done(n, j, -1);
		return;
	}
	free(j->body);
	j->body = body;
	j->batch_num = 0;
	j->latest = false;
	m2mi_nq_sort_in(n, j); /* the proto job carries the batch from here */
}

static void on_batch_due(evutil_socket_t fd, short what, void *arg)
{
	m2mi_notifier *n = ((nq_batch *)arg)->n;

	(void)fd;
	(void)what;
	batch_flush(arg);
	m2mi_nq_pump(n);
}

void m2mi_nq_batch_add(m2mi_notifier *n, nq_job *j)
{
	nq_batch *b;
	json_t *doc = json_loads(j->body, 0, NULL), *sgn = json_object_get(doc, "m2m:sgn");

	for (b = n->batches; b != NULL; b = b->next)
		if (strcmp(b->proto->url, j->url) == 0 && j->sur && strcmp(b->proto->sur, j->sur) == 0)
			break;
	if (sgn == NULL || j->sur == NULL) {
		json_decref(doc);
		m2mi_nq_job_done(n, j, -1);
		return;
	}
	if (b == NULL) {
		struct timeval tv = {(time_t)(j->batch_ms / 1000), (suseconds_t)(j->batch_ms % 1000) * 1000};
		if (n->nbatches >= NQ_TARGETS_MAX || (b = calloc(1, sizeof(*b))) == NULL ||
		    (b->sgns = json_array()) == NULL || (b->timer = evtimer_new(n->base, on_batch_due, b)) == NULL ||
		    evtimer_add(b->timer, &tv) != 0) {
			if (b) {
				json_decref(b->sgns);
				if (b->timer)
					event_free(b->timer);
				free(b);
			}
			json_decref(doc);
			m2mi_nq_job_done(n, j, -1);
			return;
		}
		b->n = n;
		b->proto = j;
		b->num = j->batch_num;
		b->latest = j->latest;
		b->next = n->batches;
		n->batches = b;
		n->nbatches++;
		j = NULL;
	}
	if (b->latest) /* latestNotify with batchNotify: only the latest is sent (TS-0001 9.6.8) */
		json_array_clear(b->sgns);
	json_array_append(b->sgns, sgn);
	json_decref(doc);
	if (j != NULL)
		m2mi_nq_job_done(n, j, 3); /* merged into the batch's own job */
	if ((int)json_array_size(b->sgns) >= b->num && !b->latest)
		batch_flush(b);
}

void m2mi_nq_batches_free(m2mi_notifier *n)
{
	while (n->batches != NULL) {
		struct nq_batch *b = n->batches;
		n->batches = b->next;
		m2mi_nq_job_free(b->proto);
		json_decref(b->sgns);
		event_free(b->timer);
		free(b);
	}
	n->nbatches = 0;
}
