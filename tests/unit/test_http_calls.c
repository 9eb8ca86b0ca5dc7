/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of bindings/http_calls.c: calls posted from another
 * thread run on the loop in posting order; after stop none runs; free drops the rest. */
#include <pthread.h>

#include <event2/event.h>

#include "m2m_test.h"
#include "bindings/http_calls.h"

static int order[8], nrun;

static void call(void *arg)
{
	order[nrun++] = (int)(intptr_t)arg;
}

static void *poster(void *arg)
{
	for (int i = 1; i <= 3; i++)
		assert_int_equal(m2mi_http_calls_post(arg, call, (void *)(intptr_t)i), M2M_OK);
	return NULL;
}

static void test_post(void **state)
{
	struct event_base *base = event_base_new();
	m2mi_http_calls *q = NULL;
	pthread_t th;

	(void)state;
	assert_int_equal(m2mi_http_calls_new(base, &q), M2M_OK);
	assert_int_equal(m2mi_http_calls_post(q, NULL, NULL), M2M_E_INVAL);
	assert_int_equal(m2mi_http_calls_post(NULL, call, NULL), M2M_E_INVAL);
	assert_int_equal(pthread_create(&th, NULL, poster, q), 0);
	pthread_join(th, NULL);
	assert_int_equal(nrun, 0); /* only the loop runs them */
	while (nrun < 3)
		assert_true(event_base_loop(base, EVLOOP_ONCE) >= 0);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 3);
	m2mi_http_calls_stop(q);
	assert_int_equal(m2mi_http_calls_post(q, call, (void *)(intptr_t)4), M2M_OK);
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 1); /* nothing left to watch */
	assert_int_equal(nrun, 3);
	m2mi_http_calls_free(q); /* drops the queued call */
	m2mi_http_calls_free(NULL);
	event_base_free(base);
	assert_int_equal(nrun, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
