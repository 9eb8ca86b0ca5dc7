/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the store threads of a CSE whose resource store is PostgreSQL
 * (docs/architecture.md "Resource store on PostgreSQL", docs/config.md store-threads): a small
 * pool of threads, each with its own m2m_cse_worker (its own PostgreSQL connection, ACP cache and
 * memo of parsed bodies), that runs the requests the event loops do not hand to the writer
 * thread: RETRIEVE and discovery, the <subscription> and <group>/fopt flows, ESPrim NOTIFYs. The
 * loop keeps the I/O: it moves the request into a pending request (the deferred answer of the
 * writer and of subscription verification), queues it here and goes on serving; a store thread
 * runs it through the CSE's one request path (cse.c handle) and posts the answer back to the
 * loop's done list, whose loop answers it (m2m_cse_worker_complete).
 *
 * Why: every statement is a network round trip to the database server; on the loop, one slow
 * query or a row lock held elsewhere delayed every other client of that loop (handshakes,
 * requests that need no store, requests whose own query is fast) for up to the store's
 * deadlines. With SQLite (a local file) requests stay on the loop: a thread hop costs more than
 * the read.
 *
 * Bounds: at most store-queue requests wait (beyond: 5000 at once); a request that waited more
 * than store-queue-ms is answered 5000 without being run (it never touched the store: nothing is
 * half-written); a running one is bounded by the store's own statement and lock deadlines.
 *
 * A request that has to wait for the network inside the request path (subscription
 * verification, a DAS consultation, an ESPrim key fetch, a write handed to the writer) does not
 * hold its store thread: the request path defers it on the thread's own worker exactly as on a
 * loop (sync = false); the thread's wake function wakes the thread, which completes it
 * (m2m_cse_worker_complete on its worker) and hands the answer to the loop's pending request.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "m2msec/log.h"
#include "services/cse/cse_int.h"

typedef struct m2mi_pool_thr {
	struct m2mi_pool *pool;
	m2m_cse_worker *w;      /* its own store connection and ACP cache */
	pthread_t thread;
	bool started;
	bool woken;             /* under pool->mu: answers on w's done list (the wake function) */
	int inner;              /* requests deferred on w, not yet completed (this thread only) */
	m2m_cse_pending *lost;  /* answered by m2m_cse_worker_free(w) at shutdown, to deliver
				 * (linked through their inner field) */
} pool_thr;

struct m2mi_pool {
	m2m_cse *cse;
	int n;
	pool_thr *thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	m2m_cse_pending **q; /* ring of cap, under mu */
	size_t cap, head, len;
	int64_t max_wait_ms;
	bool stop;
};

#define POOL_STOP_MS 15000 /* at stop, how long deferred requests on a store thread are waited for */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool submit(void *arg, m2m_cse_pending *p)
{
	m2mi_pool *pool = arg;
	bool ok;

	p->queued_ms = mono_ms();
	pthread_mutex_lock(&pool->mu);
	ok = !pool->stop && pool->len < pool->cap;
	if (ok) {
		pool->q[(pool->head + pool->len) % pool->cap] = p;
		pool->len++;
		pthread_cond_broadcast(&pool->cv);
	}
	pthread_mutex_unlock(&pool->mu);
	return ok;
}

bool m2mi_pool_takes(const m2m_cse_worker *w, const m2m_request *req)
{
	return w->cse->pool != NULL && w->wake != NULL && !w->pooled && !m2mi_fwd_elsewhere(w->cse, req->to);
}

m2m_cse_pending *m2mi_pool_take(m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req, m2m_response *rsp,
				 int64_t now)
{
	return m2mi_handoff(w, sa, req, rsp, now, submit, w->cse->pool, "the store's queue is full");
}

size_t m2mi_pool_queued(m2mi_pool *pool)
{
	size_t n;

	pthread_mutex_lock(&pool->mu);
	n = pool->len;
	pthread_mutex_unlock(&pool->mu);
	return n;
}

/* The wake function of a store thread's worker (under cse->pmu: only pool->mu is taken). */
static void thr_wake(void *arg)
{
	pool_thr *t = arg;

	pthread_mutex_lock(&t->pool->mu);
	t->woken = true;
	pthread_cond_broadcast(&t->pool->cv);
	pthread_mutex_unlock(&t->pool->mu);
}

/* The deferred part of p's request is done (on the store thread, m2m_cse_worker_complete), or
 * the store thread's worker goes (req and rsp NULL, under cse->pmu: no delivery here). */
static void inner_done(void *arg, const m2m_request *req, m2m_response *rsp)
{
	m2m_cse_pending *p = arg, *in = p->inner;
	pool_thr *t = p->pool_thr;

	(void)req;
	t->inner--;
	p->inner = NULL;
	p->pool_thr = NULL;
	if (rsp == NULL) {
		m2m_response_error(&p->rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "the CSE is stopping");
		p->inner = t->lost; /* not next: p is still on its loop's waiting list */
		t->lost = p;
		return;
	}
	m2m_request_clear(&p->req); /* empty: moved into in */
	p->req = in->req;
	m2m_request_init(&in->req);
	m2m_response_clear(&p->rsp);
	p->rsp = *rsp;
	m2m_response_init(rsp);
	m2mi_pending_deliver(p);
}

void m2mi_pool_relay(m2m_cse_pending *p, m2m_cse_pending *q)
{
	m2m_cse_pending *outer;

	if (p->done != inner_done)
		return;
	outer = p->done_arg;
	outer->inner = q; /* inner_done takes the request back from q */
}

static void run_one(pool_thr *t, m2m_cse_pending *p)
{
	m2m_cse_pending *in;

	if (mono_ms() - p->queued_ms > t->pool->max_wait_ms) {
		/* never run: it touched nothing */
		m2m_response_error(&p->rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "the store is overloaded (queued too long)");
		m2mi_pending_deliver(p);
		return;
	}
	in = m2mi_pool_handle(t->w, p);
	if (in == NULL) {
		m2mi_pending_deliver(p);
		return;
	}
	/* deferred on this thread's worker: its answer comes back through inner_done */
	p->inner = in;
	p->pool_thr = t;
	t->inner++;
	m2m_cse_pending_on_done(in, inner_done, p);
}

/* Under pool->mu: wait for work; false when the thread is to end (stopping, nothing queued, and
 * nothing deferred on its worker any more or POOL_STOP_MS spent waiting for it). */
static bool wait_work(pool_thr *t, int64_t *stop_at)
{
	m2mi_pool *pool = t->pool;
	struct timespec ts;

	for (;;) {
		if (t->woken || pool->len > 0)
			return true;
		if (!pool->stop) {
			pthread_cond_wait(&pool->cv, &pool->mu);
			continue;
		}
		if (t->inner == 0)
			return false;
		if (*stop_at == 0)
			*stop_at = mono_ms() + POOL_STOP_MS;
		if (mono_ms() >= *stop_at)
			return false;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&pool->cv, &pool->mu, &ts);
	}
}

static void *thr_main(void *arg)
{
	pool_thr *t = arg;
	m2mi_pool *pool = t->pool;
	m2m_cse_pending *p;
	int64_t stop_at = 0;
	bool woken;

	for (;;) {
		pthread_mutex_lock(&pool->mu);
		if (!wait_work(t, &stop_at)) {
			pthread_mutex_unlock(&pool->mu);
			return NULL;
		}
		woken = t->woken;
		t->woken = false;
		p = NULL;
		if (!woken) {
			p = pool->q[pool->head];
			pool->head = (pool->head + 1) % pool->cap;
			pool->len--;
		}
		pthread_mutex_unlock(&pool->mu);
		if (woken)
			m2m_cse_worker_complete(t->w, (int64_t)time(NULL));
		else
			run_one(t, p);
	}
}

static void pool_free(m2mi_pool *pool)
{
	m2m_cse_pending *p;

	for (int i = 0; i < pool->n; i++) {
		pool_thr *t = &pool->thr[i];

		m2m_cse_worker_free(t->w); /* what is still deferred on it answers inner_done (lost) */
		while ((p = t->lost) != NULL) {
			t->lost = p->inner;
			p->inner = NULL;
			m2mi_pending_deliver(p);
		}
	}
	free(pool->thr);
	free(pool->q);
	pthread_cond_destroy(&pool->cv);
	pthread_mutex_destroy(&pool->mu);
	free(pool);
}

void m2mi_pool_stop(m2mi_pool *pool)
{
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->mu);
	pool->stop = true; /* the queued requests are still run */
	pthread_cond_broadcast(&pool->cv);
	pthread_mutex_unlock(&pool->mu);
	for (int i = 0; i < pool->n; i++)
		if (pool->thr[i].started)
			pthread_join(pool->thr[i].thread, NULL);
	pool->cse->pool = NULL;
	pool_free(pool);
}

m2m_err m2mi_pool_start(m2m_cse *cse, int threads, int queue, int max_wait_ms)
{
	m2mi_pool *pool;
	m2m_err r = M2M_E_NOMEM;

	if (cse == NULL || cse->pool != NULL || threads < 1 || queue < 1 || max_wait_ms < 1)
		return M2M_E_INVAL;
	if ((pool = calloc(1, sizeof(*pool))) == NULL)
		return M2M_E_NOMEM;
	pool->cse = cse;
	pool->cap = (size_t)queue;
	pool->max_wait_ms = max_wait_ms;
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->cv, NULL);
	if ((pool->q = calloc(pool->cap, sizeof(*pool->q))) == NULL ||
	    (pool->thr = calloc((size_t)threads, sizeof(*pool->thr))) == NULL)
		goto fail;
	for (pool->n = 0; pool->n < threads; pool->n++) {
		pool_thr *t = &pool->thr[pool->n];

		t->pool = pool;
		if ((r = m2m_cse_worker_new(cse, &t->w)) != M2M_OK)
			goto fail;
		t->w->pooled = true;
		m2m_cse_worker_set_wake(t->w, thr_wake, t);
	}
	for (int i = 0; i < pool->n; i++) {
		if (pthread_create(&pool->thr[i].thread, NULL, thr_main, &pool->thr[i]) != 0) {
			r = M2M_E_NOMEM;
			goto fail;
		}
		pool->thr[i].started = true;
	}
	cse->pool = pool;
	return M2M_OK;
fail:
	pthread_mutex_lock(&pool->mu);
	pool->stop = true;
	pthread_cond_broadcast(&pool->cv);
	pthread_mutex_unlock(&pool->mu);
	for (int i = 0; i < pool->n; i++)
		if (pool->thr[i].started)
			pthread_join(pool->thr[i].thread, NULL);
	pool_free(pool);
	return r;
}
