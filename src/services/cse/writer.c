/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the writer thread of the resource store (m2m_cse_writer_start,
 * docs/architecture.md "write path"): one thread per CSE owns the store's write side. The event
 * loops hand it their CREATE/UPDATE/DELETE requests (m2mi_writer_take) through a bounded queue
 * and go on serving; the writer takes whatever is queued (at most M2MI_WRITER_BATCH, never
 * waiting for more), opens one write transaction, runs every request under its own savepoint
 * (a failed request is rolled back to it, the others keep their changes: each request stays
 * all-or-nothing), commits once (one WAL sync per batch with store-sync = full), sends the
 * notifications of the committed requests, and posts every answer to its worker's done list,
 * waking that worker's loop (the deferred-answer path of subscription verification).
 *
 * Why: with the writer gate, the whole request procedure ran inside the write transaction and
 * the loops handed the gate to each other, a loop blocking while another wrote. Here no loop
 * ever waits for the write lock and BEGIN/COMMIT are paid once per batch.
 *
 * ACP caches: the loops' caches are keyed by ACP resourceID and version, and every UPDATE of an
 * <accessControlPolicy> writes a new version, so a loop never uses rules older than the commit
 * it reads. The writer's own cache may hold rules read inside its batch; when anything of a
 * batch is rolled back those could be of versions that never existed, so the cache is dropped.
 */
#include <pthread.h>
#include <stdlib.h>

#include "m2msec/log.h"
#include "services/cse/cse_int.h"
#include "store/pg_common.h"

struct m2mi_writer {
	m2m_cse *cse;
	m2m_cse_worker *w; /* the writer's own worker: store connection, ACP cache */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	m2m_cse_pending *q[M2MI_WRITER_QUEUE]; /* ring, under mu */
	size_t head, n;
	bool stop;
	m2m_cse_pending *batch[M2MI_WRITER_BATCH];
	m2mi_ctx ctx[M2MI_WRITER_BATCH];
	int rsc[M2MI_WRITER_BATCH];
};

static bool submit(void *arg, m2m_cse_pending *p)
{
	m2mi_writer *wr = arg;
	bool ok;

	pthread_mutex_lock(&wr->mu);
	ok = !wr->stop && wr->n < M2MI_WRITER_QUEUE;
	if (ok) {
		wr->q[(wr->head + wr->n) % M2MI_WRITER_QUEUE] = p;
		if (wr->n++ == 0)
			pthread_cond_signal(&wr->cv);
	}
	pthread_mutex_unlock(&wr->mu);
	return ok;
}

/* p owns the request, waits on the worker's waiting list like a verification, and comes back
 * answered on the done list. A full queue is answered 5000 at once (nothing written): the loop
 * never waits for the store. */
m2m_cse_pending *m2mi_handoff(m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req, m2m_response *rsp,
			      int64_t now, bool (*submit_fn)(void *q, m2m_cse_pending *p), void *q, const char *full)
{
	m2m_cse_pending *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		m2m_response_error(rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		return NULL;
	}
	p->cse = w->cse;
	p->w = w;
	p->now = now;
	p->via_writer = true;
	if (sa != NULL) {
		p->sa = *sa;
		p->has_sa = true;
	}
	p->req = *req;
	p->rsp = *rsp;
	pthread_mutex_lock(&w->cse->pmu);
	p->next = w->waiting;
	w->waiting = p;
	pthread_mutex_unlock(&w->cse->pmu);
	if (submit_fn(q, p)) {
		m2m_request_init(req);
		m2m_response_init(rsp);
		return p;
	}
	m2mi_pending_unlink(w, p);
	free(p); /* req and rsp stay the caller's */
	m2m_response_error(rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "%s", full);
	return NULL;
}

/* Hand the request to the writer (docs/architecture.md "write path"). */
m2m_cse_pending *m2mi_writer_take(m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req, m2m_response *rsp,
				   int64_t now)
{
	return m2mi_handoff(w, sa, req, rsp, now, submit, w->cse->writer, "the store's write queue is full");
}

/* The answer of p is final: to its worker's done list and wake its loop, or free it when the
 * worker is gone (m2m_cse_worker_free orphaned it and released its owner). */
void m2mi_pending_deliver(m2m_cse_pending *p)
{
	m2m_cse *cse = p->cse;
	m2m_cse_pending **pp;
	m2m_cse_worker *w;

	p->answered = true;
	pthread_mutex_lock(&cse->pmu);
	if (p->orphan) {
		pthread_mutex_unlock(&cse->pmu);
		m2mi_pending_free(p);
		return;
	}
	w = p->w;
	for (pp = &w->waiting; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	p->next = w->done;
	w->done = p;
	if (!w->wake_pending && w->wake != NULL) {
		w->wake_pending = true;
		w->wake(w->wake_arg); /* under pmu: m2m_cse_worker_free cannot run concurrently */
	}
	pthread_mutex_unlock(&cse->pmu);
}

bool m2mi_writer_resubmit(m2m_cse_worker *w, m2m_cse_pending *p)
{
	pthread_mutex_lock(&w->cse->pmu);
	p->next = w->waiting;
	w->waiting = p;
	pthread_mutex_unlock(&w->cse->pmu);
	if (w->cse->writer != NULL && submit(w->cse->writer, p))
		return true;
	m2mi_pending_unlink(w, p);
	return false;
}

static void drop_acp_cache(m2m_cse_worker *w)
{
	m2m_acp_cache_free(w->acps);
	w->acps = NULL; /* without a cache every decision compiles its rules: slower, still right */
	if (m2m_acp_cache_new(M2MI_ACP_CACHE, &w->acps) != M2M_OK)
		m2m_log(M2M_LOG_WARN, "writer: no memory for the ACP cache");
}

static void run_batch(m2mi_writer *wr, size_t n)
{
	m2m_cse_worker *w = wr->w;
	m2m_err e = m2m_resstore_begin(w->store, true);
	size_t i;

	w->batch_broken = e != M2M_OK;
	w->batch_rolled = false;
	for (i = 0; i < n; i++)
		wr->rsc[i] = m2mi_batch_run(w, wr->batch[i], &wr->ctx[i]);
	if (e == M2M_OK && !w->batch_broken) {
		e = m2m_resstore_commit(w->store);
	} else {
		m2m_resstore_rollback(w->store);
		if (e == M2M_OK)
			e = M2M_E_RESSTORE;
	}
	if (e != M2M_OK || w->batch_rolled)
		drop_acp_cache(w);
	for (i = 0; i < n; i++)
		if (!m2mi_batch_finish(&wr->ctx[i], wr->batch[i], wr->rsc[i], e))
			m2mi_pending_deliver(wr->batch[i]); /* else it waits for a DAS answer (access_das.c) */
}

static void *writer_main(void *arg)
{
	m2mi_writer *wr = arg;
	size_t n;
	bool stop;

	for (;;) {
		pthread_mutex_lock(&wr->mu);
		while (wr->n == 0 && !wr->stop)
			pthread_cond_wait(&wr->cv, &wr->mu);
		for (n = 0; n < M2MI_WRITER_BATCH && wr->n > 0; n++, wr->n--) {
			wr->batch[n] = wr->q[wr->head];
			wr->head = (wr->head + 1) % M2MI_WRITER_QUEUE;
		}
		stop = wr->stop;
		pthread_mutex_unlock(&wr->mu);
		if (n == 0 && stop)
			return NULL;
		run_batch(wr, n);
	}
}

static void writer_free(m2mi_writer *wr)
{
	m2m_cse_worker_free(wr->w);
	pthread_cond_destroy(&wr->cv);
	pthread_mutex_destroy(&wr->mu);
	free(wr);
}

m2m_err m2m_cse_writer_start(m2m_cse *cse)
{
	m2mi_writer *wr;
	m2m_err r;

	if (cse == NULL || cse->writer != NULL)
		return M2M_E_INVAL;
	if ((wr = calloc(1, sizeof(*wr))) == NULL)
		return M2M_E_NOMEM;
	wr->cse = cse;
	pthread_mutex_init(&wr->mu, NULL);
	pthread_cond_init(&wr->cv, NULL);
	if ((r = m2m_cse_worker_new(cse, &wr->w)) != M2M_OK) {
		writer_free(wr);
		return r;
	}
	if (pthread_create(&wr->thread, NULL, writer_main, wr) != 0) {
		writer_free(wr);
		return M2M_E_NOMEM;
	}
	cse->writer = wr;
	/* PostgreSQL: the other requests go to the store threads (store_pool.c); SQLite (a local
	 * file) keeps them on the loops */
	if (m2mi_pg_is_uri(cse->cfg.store) && cse->cfg.store_threads > 0 &&
	    (r = m2mi_pool_start(cse, cse->cfg.store_threads, cse->cfg.store_queue, cse->cfg.store_queue_ms)) != M2M_OK) {
		m2mi_writer_stop(wr);
		return r;
	}
	return M2M_OK;
}

void m2mi_writer_stop(m2mi_writer *wr)
{
	if (wr == NULL)
		return;
	pthread_mutex_lock(&wr->mu);
	wr->stop = true;
	pthread_cond_signal(&wr->cv);
	pthread_mutex_unlock(&wr->mu);
	pthread_join(wr->thread, NULL);
	wr->cse->writer = NULL;
	writer_free(wr);
}
