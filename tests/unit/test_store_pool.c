/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/store_pool.c (the store threads of a
 * PostgreSQL store, docs/architecture.md). The pool is backend-agnostic, so these run it on the
 * fixture's SQLite store: reads and writes handed over by m2m_cse_handle_async come back answered
 * (rqi kept) through the wake / m2m_cse_worker_complete path; a <subscription> CREATE whose
 * verification waits for the network is deferred on the store thread's own worker (the thread
 * is not held) and still answered; the queue bound refuses at once with 5000; a request queued
 * past the deadline is answered 5000 without being run (nothing written); a forwarded request, a
 * worker without a wake function and a store thread's own worker are not handed over.
 */
#include "cse_fixture.h"

typedef struct answers {
	int n;
	int rsc[16];
	char rqi[16][32];
	char msg[16][128];
} answers;

static answers got;
static char sent_rqi[16][32];

static void on_done(void *arg, const m2m_request *req, m2m_response *rsp)
{
	int i = (int)(intptr_t)arg;
	char *dbg;

	assert_non_null(rsp);
	got.rsc[i] = rsp->rsc;
	snprintf(got.rqi[i], sizeof(got.rqi[i]), "%s", req && req->rqi ? req->rqi : "");
	dbg = rsp->pc ? json_dumps(rsp->pc, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	snprintf(got.msg[i], sizeof(got.msg[i]), "%s", dbg ? dbg : "");
	free(dbg);
	got.n++;
}

static void wait_answers(fx *f, waker *k, int want)
{
	wait_completed(f->w, f->now, k, &got.n, want);
}

/* Hand one request over; the pending request, or NULL when answered at once (f->rsp). */
static m2m_cse_pending *async(fx *f, int i, m2m_op op, const char *to, int ty, const char *pc)
{
	m2m_cse_pending *p;

	fx_prepare(f, op, to, "CAdmin", ty, pc);
	snprintf(sent_rqi[i], sizeof(sent_rqi[i]), "%s", f->req.rqi);
	m2m_response_clear(&f->rsp);
	p = m2m_cse_handle_async(f->w, &f->sa, &f->req, &f->rsp, f->now);
	if (p != NULL) {
		assert_null(f->req.rqi); /* moved to the pool */
		m2m_cse_pending_on_done(p, on_done, (void *)(intptr_t)i);
	}
	return p;
}

static void test_answered_through_pool(void **state)
{
	fx *f = *state;
	waker k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	fx_http *h = fx_http_start(200, 2000, 1);
	char pc[160];
	const int n = 8;

	memset(&got, 0, sizeof(got));
	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	assert_int_equal(m2mi_pool_start(f->cse, 2, 64, 60000), M2M_OK);
	assert_int_equal(m2mi_pool_start(f->cse, 2, 64, 60000), M2M_E_INVAL); /* one pool per CSE */
	assert_null(async(f, 0, M2M_OP_RETRIEVE, "cse-in/c", 0, NULL)); /* no wake function: in place */
	assert_int_equal(f->rsp.rsc, M2M_RSC_OK);
	m2m_cse_worker_set_wake(f->w, on_wake, &k);
	for (int i = 0; i < n - 1; i++)
		assert_non_null(i % 2 ? async(f, i, M2M_OP_CREATE, "cse-in/c", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"x\"}}")
				      : async(f, i, M2M_OP_RETRIEVE, "cse-in/c", 0, NULL));
	/* verified over the network: deferred on the store thread's worker, then answered */
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"rn\":\"s\",\"nu\":[\"http://127.0.0.1:%d/a\"]}}", h->port);
	assert_non_null(async(f, n - 1, M2M_OP_CREATE, "cse-in/c", M2M_TY_SUB, pc));
	wait_answers(f, &k, n);
	for (int i = 0; i < n - 1; i++) {
		assert_int_equal(got.rsc[i], i % 2 ? M2M_RSC_CREATED : M2M_RSC_OK);
		assert_string_equal(got.rqi[i], sent_rqi[i]);
	}
	assert_int_equal(got.rsc[n - 1], M2M_RSC_CREATED);
	assert_int_equal(fx_http_wait(h, 1), 1);
	/* not handed over: forwarded to another CSE, and a store thread's own worker */
	assert_false(m2mi_pool_takes(f->w, &(m2m_request){.to = "/id-other/x"}));
	assert_true(m2mi_pool_takes(f->w, &(m2m_request){.to = "cse-in/c"}));
	f->w->pooled = true;
	assert_false(m2mi_pool_takes(f->w, &(m2m_request){.to = "cse-in/c"}));
	f->w->pooled = false;
	m2m_cse_worker_set_wake(f->w, NULL, NULL);
	fx_http_stop(h);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni")), 3);
}

/* One store thread held by a write waiting for the store, a queue of one, a deadline of 50 ms. */
static void test_bound_and_deadline(void **state)
{
	fx *f = *state;
	waker k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	m2m_resstore *hold = NULL;

	memset(&got, 0, sizeof(got));
	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	assert_int_equal(m2m_resstore_open(f->db, &hold), M2M_OK);
	assert_int_equal(m2m_resstore_begin(hold, true), M2M_OK); /* the store thread will wait for it */
	assert_int_equal(m2mi_pool_start(f->cse, 1, 1, 50), M2M_OK);
	m2m_cse_worker_set_wake(f->w, on_wake, &k);
	assert_non_null(async(f, 0, M2M_OP_CREATE, "cse-in/c", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"a\"}}"));
	while (m2mi_pool_queued(f->cse->pool) != 0) /* the thread took it: it waits for the store */
		usleep(1000);
	assert_non_null(async(f, 1, M2M_OP_CREATE, "cse-in/c", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"b\"}}"));
	/* the queue is full: refused at once, never waited for */
	assert_null(async(f, 2, M2M_OP_RETRIEVE, "cse-in/c", 0, NULL));
	assert_int_equal(f->rsp.rsc, M2M_RSC_INTERNAL_SERVER_ERROR);
	assert_non_null(strstr(fx_dbg(f), "queue is full"));
	usleep(120 * 1000); /* the queued one is past its deadline (50 ms) when the thread is free */
	m2m_resstore_rollback(hold);
	m2m_resstore_free(hold);
	wait_answers(f, &k, 2);
	assert_int_equal(got.rsc[0], M2M_RSC_CREATED);
	assert_int_equal(got.rsc[1], M2M_RSC_INTERNAL_SERVER_ERROR);
	assert_non_null(strstr(got.msg[1], "queued too long"));
	m2m_cse_worker_set_wake(f->w, NULL, NULL);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni")), 1); /* b unwritten */
}

/* Stopping with a request queued: it is still run and answered. */
static void test_stop_runs_queued(void **state)
{
	fx *f = *state;
	waker k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

	memset(&got, 0, sizeof(got));
	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	assert_int_equal(m2mi_pool_start(f->cse, 1, 8, 60000), M2M_OK);
	m2m_cse_worker_set_wake(f->w, on_wake, &k);
	for (int i = 0; i < 4; i++)
		assert_non_null(async(f, i, M2M_OP_RETRIEVE, "cse-in/c", 0, NULL));
	m2mi_pool_stop(f->cse->pool);
	assert_null(f->cse->pool);
	m2m_cse_worker_complete(f->w, f->now);
	assert_int_equal(got.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(got.rsc[i], M2M_RSC_OK);
	m2m_cse_worker_set_wake(f->w, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answered_through_pool, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bound_and_deadline, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stop_runs_queued, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
