/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/writer.c (the store's writer thread) and
 * the batch side of cse.c: requests of one batch transaction are each all-or-nothing under
 * their own savepoint (a refused one leaves the others committed), a batch that is not
 * committed answers 5000 and writes nothing, writes handed over by m2m_cse_handle_async come
 * back answered through the wake / m2m_cse_worker_complete path while reads are answered at
 * once, and an <accessControlPolicy> UPDATE made by the writer is seen by the worker's cached
 * decision (cache keyed by ACP version); a full queue is answered 5000 at once, never waited for.
 */
#include "cse_fixture.h"

typedef struct answers {
	int n;
	int rsc[64];
	char rqi[64][32];
} answers;

static answers got;

static void on_done(void *arg, const m2m_request *req, m2m_response *rsp)
{
	int i = (int)(intptr_t)arg;

	assert_non_null(rsp);
	got.rsc[i] = rsp->rsc;
	snprintf(got.rqi[i], sizeof(got.rqi[i]), "%s", req && req->rqi ? req->rqi : "");
	got.n++;
}

/* Drive the worker's loop side until want answers came in. */
static void wait_answers(fx *f, waker *k, int want)
{
	wait_completed(f->w, f->now, k, &got.n, want);
}

/* A pending request built the way to_writer does, for a hand-driven batch. */
static m2m_cse_pending *pend(fx *f, m2m_op op, const char *to, int ty, const char *pc)
{
	m2m_cse_pending *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	fx_prepare(f, op, to, "CAdmin", ty, pc);
	p->cse = f->cse;
	p->w = f->w;
	p->now = f->now;
	p->via_writer = true;
	p->req = f->req;
	m2m_request_init(&f->req);
	m2m_response_init(&p->rsp);
	return p;
}

static int64_t cni(fx *f, const char *cnt)
{
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, cnt, "CAdmin", 0, NULL), M2M_RSC_OK);
	return json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni"));
}

/* One batch: the refused request in the middle is rolled back to its savepoint only. */
static void test_batch_savepoints(void **state)
{
	fx *f = *state;
	m2m_cse_pending *p[3];
	static m2mi_ctx c[3];
	int rsc[3];
	m2m_err e;

	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	p[0] = pend(f, M2M_OP_CREATE, "cse-in/c", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"a\"}}");
	p[1] = pend(f, M2M_OP_CREATE, "cse-in", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}"); /* exists */
	p[2] = pend(f, M2M_OP_CREATE, "cse-in/c", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"b\"}}");
	assert_int_equal(m2m_resstore_begin(f->w->store, true), M2M_OK);
	for (int i = 0; i < 3; i++)
		rsc[i] = m2mi_batch_run(f->w, p[i], &c[i]);
	assert_false(f->w->batch_broken);
	assert_true(f->w->batch_rolled);
	assert_int_equal((e = m2m_resstore_commit(f->w->store)), M2M_OK);
	for (int i = 0; i < 3; i++)
		assert_false(m2mi_batch_finish(&c[i], p[i], rsc[i], e));
	assert_int_equal(p[0]->rsp.rsc, M2M_RSC_CREATED);
	assert_int_equal(p[1]->rsp.rsc, M2M_RSC_CONFLICT);
	assert_int_equal(p[2]->rsp.rsc, M2M_RSC_CREATED);
	assert_int_equal(cni(f, "cse-in/c"), 2);
	for (int i = 0; i < 3; i++)
		m2mi_pending_free(p[i]);
}

/* A batch that is rolled back instead of committed: its successes answer 5000, nothing stays. */
static void test_batch_not_committed(void **state)
{
	fx *f = *state;
	m2m_cse_pending *p;
	static m2mi_ctx c;
	int rsc;

	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	p = pend(f, M2M_OP_CREATE, "cse-in/c", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"a\"}}");
	assert_int_equal(m2m_resstore_begin(f->w->store, true), M2M_OK);
	rsc = m2mi_batch_run(f->w, p, &c);
	assert_int_equal(rsc, 0);
	m2m_resstore_rollback(f->w->store);
	assert_false(m2mi_batch_finish(&c, p, rsc, M2M_E_RESSTORE));
	assert_int_equal(p->rsp.rsc, M2M_RSC_INTERNAL_SERVER_ERROR);
	assert_null(p->rsp.location);
	assert_int_equal(cni(f, "cse-in/c"), 0);
	m2mi_pending_free(p);
}

/* Through the thread: writes come back answered (rqi kept), reads are answered at once. */
static void test_thread(void **state)
{
	fx *f = *state;
	waker k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	m2m_cse_pending *p;
	char rqi[40][32];
	const int n = 40;

	memset(&got, 0, sizeof(got));
	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	assert_int_equal(m2m_cse_writer_start(f->cse), M2M_OK);
	assert_int_equal(m2m_cse_writer_start(f->cse), M2M_E_INVAL); /* one writer per CSE */
	m2m_cse_worker_set_wake(f->w, on_wake, &k);
	for (int i = 0; i < n; i++) {
		if (i == n - 1)
			fx_prepare(f, M2M_OP_DELETE, "cse-in/nothere", "CAdmin", 0, NULL);
		else
			fx_prepare(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"x\"}}");
		snprintf(rqi[i], sizeof(rqi[i]), "%s", f->req.rqi);
		m2m_response_clear(&f->rsp);
		p = m2m_cse_handle_async(f->w, &f->sa, &f->req, &f->rsp, f->now);
		assert_non_null(p);
		assert_null(f->req.rqi); /* moved to the writer */
		m2m_cse_pending_on_done(p, on_done, (void *)(intptr_t)i);
	}
	/* a read is not queued */
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/c", "CAdmin", 0, NULL);
	m2m_response_clear(&f->rsp);
	assert_null(m2m_cse_handle_async(f->w, &f->sa, &f->req, &f->rsp, f->now));
	assert_int_equal(f->rsp.rsc, M2M_RSC_OK);
	wait_answers(f, &k, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(got.rsc[i], i == n - 1 ? M2M_RSC_NOT_FOUND : M2M_RSC_CREATED);
		assert_string_equal(got.rqi[i], rqi[i]);
	}
	m2m_cse_worker_set_wake(f->w, NULL, NULL);
	assert_int_equal(cni(f, "cse-in/c"), n - 1);
}

/* The worker decided (and cached) an ACP; the writer's UPDATE of it is seen at once. */
static void test_acp_update_seen(void **state)
{
	fx *f = *state;
	waker k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	const char *acp;
	char pc[256];
	m2m_cse_pending *p;

	memset(&got, 0, sizeof(got));
	fx_plain(f);
	acp = fx_create(f, "cse-in", "CAdmin", M2M_TY_ACP,
			"{\"m2m:acp\":{\"rn\":\"a\",\"pv\":{\"acr\":[{\"acor\":[\"Creader\"],\"acop\":2}]},"
			"\"pvs\":{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63}]}}}");
	snprintf(pc, sizeof(pc), "{\"m2m:cnt\":{\"rn\":\"c\",\"acpi\":[\"%s\"]}}", acp);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, pc);
	fx_bound(f, "Creader");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "Creader", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "Creader", 0, NULL), M2M_RSC_OK); /* cached */
	assert_int_equal(m2m_cse_writer_start(f->cse), M2M_OK);
	m2m_cse_worker_set_wake(f->w, on_wake, &k);
	fx_plain(f);
	fx_prepare(f, M2M_OP_UPDATE, "cse-in/a", "CAdmin", 0,
		   "{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acor\":[\"Cnobody\"],\"acop\":2}]}}}");
	m2m_response_clear(&f->rsp);
	p = m2m_cse_handle_async(f->w, &f->sa, &f->req, &f->rsp, f->now);
	assert_non_null(p);
	m2m_cse_pending_on_done(p, on_done, (void *)(intptr_t)0);
	wait_answers(f, &k, 1);
	assert_int_equal(got.rsc[0], M2M_RSC_UPDATED);
	m2m_cse_worker_set_wake(f->w, NULL, NULL);
	fx_bound(f, "Creader");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "Creader", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
}

static int n_created, n_other;

static void count_done(void *arg, const m2m_request *req, m2m_response *rsp)
{
	(void)arg;
	(void)req;
	assert_non_null(rsp);
	if (rsp->rsc == M2M_RSC_CREATED)
		n_created++;
	else
		n_other++;
	got.n++;
}

/* Backpressure: with the writer stalled (another handle holds the write side), the loop is never
 * blocked: what does not fit in the queue is answered 5000 at once and writes nothing. */
static void test_queue_full(void **state)
{
	fx *f = *state;
	waker k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	const int total = M2MI_WRITER_QUEUE + M2MI_WRITER_BATCH + 8;
	m2m_resstore *hold = NULL;
	int accepted = 0, refused = 0;
	m2m_cse_pending *p;

	memset(&got, 0, sizeof(got));
	n_created = n_other = 0;
	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	assert_int_equal(m2m_resstore_open(f->db, &hold), M2M_OK);
	assert_int_equal(m2m_resstore_begin(hold, true), M2M_OK); /* the writer will wait for it */
	assert_int_equal(m2m_cse_writer_start(f->cse), M2M_OK);
	m2m_cse_worker_set_wake(f->w, on_wake, &k);
	for (int i = 0; i < total; i++) {
		fx_prepare(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"x\"}}");
		m2m_response_clear(&f->rsp);
		p = m2m_cse_handle_async(f->w, &f->sa, &f->req, &f->rsp, f->now);
		if (p != NULL) {
			m2m_cse_pending_on_done(p, count_done, NULL);
			accepted++;
		} else {
			assert_int_equal(f->rsp.rsc, M2M_RSC_INTERNAL_SERVER_ERROR);
			assert_null(f->rsp.location);
			refused++;
		}
	}
	assert_true(refused >= 8);
	assert_true(accepted >= M2MI_WRITER_QUEUE);
	m2m_resstore_rollback(hold);
	wait_answers(f, &k, accepted);
	assert_int_equal(n_created, accepted);
	assert_int_equal(n_other, 0);
	m2m_cse_worker_set_wake(f->w, NULL, NULL);
	assert_int_equal(cni(f, "cse-in/c"), accepted);
	m2m_resstore_free(hold);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batch_savepoints, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_batch_not_committed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_thread, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_acp_update_seen, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_queue_full, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
