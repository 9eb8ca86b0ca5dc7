/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/notify_verify.c and the deferred-answer
 * API of m2msec/cse.h: a <subscription> CREATE (and an nu UPDATE) waits for its verification
 * requests (TS-0004 clause 7.5.1.2.3) as a pending request while the same worker answers other
 * requests; the answer comes from m2m_cse_worker_complete after the wake; refused targets give
 * 5204; a worker freed meanwhile releases its pending requests.
 */
#include "cse_fixture.h"

typedef struct answer {
	int calls, rsc;
	bool released;
	char rqi[32];
} answer;

static void on_done(void *arg, const m2m_request *req, m2m_response *rsp)
{
	answer *a = arg;

	a->calls++;
	if (rsp == NULL) {
		a->released = true;
		return;
	}
	a->rsc = rsp->rsc;
	snprintf(a->rqi, sizeof(a->rqi), "%s", req && req->rqi ? req->rqi : "");
}

static waker *async_setup(fx *f)
{
	waker *k = calloc(1, sizeof(*k));

	assert_non_null(k);
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	m2m_cse_worker_set_wake(f->w, on_wake, k);
	return k;
}

/* Detach the wake first (under the CSE's lock, m2m_cse_worker_set_wake): a verification still
 * in flight (a silent listener closed at the end of a test) completes later on the notifier
 * thread and must not wake a freed waker. */
static void async_free(fx *f, waker *k)
{
	if (f->w != NULL) /* test_worker_gone freed it: nothing can wake k then */
		m2m_cse_worker_set_wake(f->w, NULL, NULL);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

static m2m_cse_pending *sub_async(fx *f, const char *to, const char *nu, answer *a)
{
	char pc[256];
	m2m_cse_pending *p;

	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"rn\":\"s\",\"nu\":[\"%s\"]}}", nu);
	fx_prepare(f, M2M_OP_CREATE, to, "CAdmin", M2M_TY_SUB, pc);
	m2m_response_clear(&f->rsp);
	p = m2m_cse_handle_async(f->w, &f->sa, &f->req, &f->rsp, f->now);
	if (p != NULL)
		m2m_cse_pending_on_done(p, on_done, a);
	return p;
}

/* The CREATE is answered after the verification; the worker serves others meanwhile. */
static void test_deferred_create(void **state)
{
	fx *f = *state;
	waker *k = async_setup(f);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), port;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	char nu[64], rqi[32];
	answer a = {0};
	m2m_cse_pending *p;
	int fd;

	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	/* a receiver that accepts but answers only when the test says so */
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	snprintf(nu, sizeof(nu), "http://127.0.0.1:%d/v", port);
	p = sub_async(f, "cse-in/c", nu, &a);
	assert_non_null(p);
	snprintf(rqi, sizeof(rqi), "%s", "");
	assert_null(f->req.rqi); /* moved into the pending request */
	assert_int_equal(f->rsp.rsc, 0);
	/* the same worker answers another request while the verification is pending */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c/s", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	m2m_cse_worker_complete(f->w, f->now); /* nothing ready: nothing happens */
	assert_int_equal(a.calls, 0);
	/* the receiver answers OK */
	fd = accept(lfd, NULL, NULL);
	assert_true(fd >= 0);
	{
		char buf[4096];
		const char *ok = "HTTP/1.1 200 OK\r\nX-M2M-RSC: 2000\r\nContent-Length: 0\r\n\r\n";
		assert_true(recv(fd, buf, sizeof(buf), 0) > 0);
		assert_int_equal(send(fd, ok, strlen(ok), MSG_NOSIGNAL), (ssize_t)strlen(ok));
	}
	wait_wakes(k, 1);
	m2m_cse_worker_complete(f->w, f->now);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.rsc, M2M_RSC_CREATED);
	assert_string_not_equal(a.rqi, "");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c/s", "CAdmin", 0, NULL), M2M_RSC_OK);
	close(fd);
	close(lfd);
	async_free(f, k);
}

/* Refused targets: 5204 (TS-0004 7.4.8.2.1 Recv-6.4 a/b), nothing created. */
static void test_refused(void **state)
{
	fx *f = *state;
	waker *k = async_setup(f);
	char nu[64];
	answer a = {0}, b = {0};

	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	snprintf(nu, sizeof(nu), "http://127.0.0.1:%d/v", fx_closed_port());
	assert_non_null(sub_async(f, "cse-in/c", nu, &a));
	wait_wakes(k, 1);
	m2m_cse_worker_complete(f->w, f->now);
	assert_int_equal(a.rsc, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);
	/* a link-local address is outside the policy: refused without any connection */
	assert_non_null(sub_async(f, "cse-in/c", "http://169.254.169.254/latest", &b));
	wait_wakes(k, 2);
	m2m_cse_worker_complete(f->w, f->now);
	assert_int_equal(b.rsc, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c/s", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	/* malformed and unimplemented schemes: answered at once */
	assert_null(sub_async(f, "cse-in/c", "http://h/a b", &a));
	assert_int_equal(f->rsp.rsc, M2M_RSC_BAD_REQUEST);
	assert_null(sub_async(f, "cse-in/c", "https://10.0.0.1/x", &a));
	assert_int_equal(f->rsp.rsc, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);
	assert_null(sub_async(f, "cse-in/c", "Cnobody", &a));
	assert_int_equal(f->rsp.rsc, M2M_RSC_BAD_REQUEST);
	async_free(f, k);
}

/* A worker freed while a verification is in flight releases the request (done with NULL). */
static void test_worker_gone(void **state)
{
	fx *f = *state;
	waker *k = async_setup(f);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	char nu[64];
	answer a = {0};

	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0); /* silent */
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	snprintf(nu, sizeof(nu), "http://127.0.0.1:%d/v", ntohs(sa.sin_port));
	assert_non_null(sub_async(f, "cse-in/c", nu, &a));
	m2m_cse_worker_free(f->w);
	f->w = NULL;
	assert_int_equal(a.calls, 1);
	assert_true(a.released);
	m2m_cse_free(f->cse); /* the notifier stops: the orphan is freed (ASan/valgrind: no leak) */
	f->cse = NULL;
	assert_int_equal(a.calls, 1);
	close(lfd);
	async_free(f, k);
}

/* An UPDATE of nu verifies only the new targets (TS-0004 7.4.8.2.3). */
static void test_update_nu(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 2000, 8);
	char pc[256];

	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"rn\":\"s\",\"nu\":[\"http://127.0.0.1:%d/a\"]}}", h->port);
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_SUB, pc);
	assert_int_equal(fx_http_wait(h, 1), 1);
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"nu\":[\"http://127.0.0.1:%d/a\",\"http://127.0.0.1:%d/b\"]}}", h->port,
		 h->port);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c/s", "CAdmin", 0, pc), M2M_RSC_UPDATED);
	assert_int_equal(fx_http_wait(h, 2), 2);
	assert_non_null(strstr(h->heads[1], "POST /b HTTP/1.1")); /* only the new one */
	assert_non_null(strstr(h->bodies[1], "\"vrq\":true"));
	/* a new target that refuses: 5204 and nu unchanged */
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"nu\":[\"http://127.0.0.1:%d/c\"]}}", fx_closed_port());
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c/s", "CAdmin", 0, pc),
		   M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c/s", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(json_array_size(json_object_get(fx_attrs(f, "m2m:sub"), "nu")), 2);
	/* other attributes: no verification */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c/s", "CAdmin", 0, "{\"m2m:sub\":{\"nct\":3}}"), M2M_RSC_UPDATED);
	assert_true(m2mi_notifier_drain(f->cse->notifier, 10000));
	assert_int_equal(h->n, 2);
	fx_http_stop(h);
}

/* One Originator cannot hold all verification capacity (M2MI_WAIT_PER_ORIG waiting requests). */
static void test_per_originator_bound(void **state)
{
	fx *f = *state;
	waker *k = async_setup(f);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	char nu[64], pc[256];
	answer a[M2MI_WAIT_PER_ORIG + 2];
	fx_http *h = fx_http_start(200, 2000, 2);

	memset(a, 0, sizeof(a));
	fx_bound(f, "Cother"); /* an authenticated AE */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cother", M2M_TY_AE,
			     "{\"m2m:ae\":{\"rn\":\"other\",\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"]}}"),
		   M2M_RSC_CREATED);
	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT,
		  "{\"m2m:cnt\":{\"rn\":\"c\",\"acpi\":[\"cse-in/acpAdmin\"]}}");
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 64), 0); /* silent */
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	snprintf(nu, sizeof(nu), "http://127.0.0.1:%d/v", ntohs(sa.sin_port));
	for (int i = 0; i < M2MI_WAIT_PER_ORIG; i++)
		assert_non_null(sub_async(f, "cse-in/c", nu, &a[i]));
	assert_null(sub_async(f, "cse-in/c", nu, &a[M2MI_WAIT_PER_ORIG]));
	assert_int_equal(f->rsp.rsc, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);
	/* another Originator is not affected (its own subscription, on its own AE) */
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"nu\":[\"http://127.0.0.1:%d/o\"]}}", h->port);
	fx_bound(f, "Cother");
	fx_prepare(f, M2M_OP_CREATE, "cse-in/other", "Cother", M2M_TY_SUB, pc);
	m2m_response_clear(&f->rsp);
	{
		m2m_cse_pending *p = m2m_cse_handle_async(f->w, &f->sa, &f->req, &f->rsp, f->now);
		assert_non_null(p);
		m2m_cse_pending_on_done(p, on_done, &a[M2MI_WAIT_PER_ORIG + 1]);
	}
	wait_wakes(k, 1);
	m2m_cse_worker_complete(f->w, f->now);
	assert_int_equal(a[M2MI_WAIT_PER_ORIG + 1].rsc, M2M_RSC_CREATED);
	close(lfd);
	fx_http_stop(h);
	async_free(f, k);
}

static int teardown(void **state)
{
	fx *f = *state;

	if (f->w == NULL) { /* test_worker_gone freed them */
		m2m_request_clear(&f->req);
		m2m_response_clear(&f->rsp);
		fx_rmdir(f->dir);
		free(f);
		return 0;
	}
	return fx_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deferred_create, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_gone, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_nu, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_originator_bound, fx_setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
