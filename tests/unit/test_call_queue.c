/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of bindings/call_queue.c: calls posted from another
 * thread make the fd readable and run on the loop thread in posting order; free drops the rest. */
#include <poll.h>
#include <pthread.h>

#include "m2m_test.h"
#include "bindings/call_queue.h"

static int order[8], nrun;

static void call(void *arg)
{
	order[nrun++] = (int)(intptr_t)arg;
}

static void *poster(void *arg)
{
	for (int i = 1; i <= 3; i++)
		assert_int_equal(m2mi_call_queue_post(arg, call, (void *)(intptr_t)i), M2M_OK);
	return NULL;
}

static bool readable(m2mi_call_queue *q)
{
	struct pollfd p = {m2mi_call_queue_fd(q), POLLIN, 0};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void test_post_run(void **state)
{
	m2mi_call_queue *q = NULL;
	pthread_t th;

	(void)state;
	nrun = 0;
	assert_int_equal(m2mi_call_queue_new(&q), M2M_OK);
	assert_int_equal(m2mi_call_queue_fd(NULL), -1);
	assert_int_equal(m2mi_call_queue_post(q, NULL, NULL), M2M_E_INVAL);
	assert_int_equal(m2mi_call_queue_post(NULL, call, NULL), M2M_E_INVAL);
	assert_false(readable(q));
	assert_int_equal(pthread_create(&th, NULL, poster, q), 0);
	pthread_join(th, NULL);
	assert_int_equal(nrun, 0); /* only _run runs them */
	assert_true(readable(q));
	m2mi_call_queue_run(q);
	assert_int_equal(nrun, 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 3);
	assert_false(readable(q)); /* drained */
	m2mi_call_queue_run(q);    /* nothing queued: a no-op */
	m2mi_call_queue_run(NULL);
	assert_int_equal(nrun, 3);
	assert_int_equal(m2mi_call_queue_post(q, call, (void *)(intptr_t)4), M2M_OK);
	m2mi_call_queue_free(q); /* drops the queued call */
	m2mi_call_queue_free(NULL);
	assert_int_equal(nrun, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
