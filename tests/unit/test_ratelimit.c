/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/ratelimit.c (MEF rate limits, issue 7) with an
 * injected clock: burst, refill, Retry-After, per-key independence, bounded table. */
#include <stdio.h>
#include "m2m_test.h"
#include "core/ratelimit.h"

static void test_burst_and_retry_after(void **state)
{
	m2mi_ratelimit *rl = NULL;
	int retry = 0;

	assert_int_equal(m2mi_ratelimit_new(0, 4, &rl), M2M_E_INVAL);
	assert_int_equal(m2mi_ratelimit_new(6, 0, &rl), M2M_E_INVAL);
	assert_int_equal(m2mi_ratelimit_new(6, 4, &rl), M2M_OK); /* one token per 10 s, burst 6 */
	for (int i = 0; i < 6; i++)
		assert_true(m2mi_ratelimit_take(rl, "a", 1, 1000, &retry));
	assert_false(m2mi_ratelimit_take(rl, "a", 1, 1000, &retry));
	assert_int_equal(retry, 10); /* the next token is 10 s away */
	/* 4.5 s later: 5.5 s to go, rounded up */
	assert_false(m2mi_ratelimit_take(rl, "a", 1, 5500, &retry));
	assert_int_equal(retry, 6);
	/* refilled one token after 10 s, exactly */
	assert_true(m2mi_ratelimit_take(rl, "a", 1, 11000, &retry));
	assert_false(m2mi_ratelimit_take(rl, "a", 1, 11000, &retry));
	/* another key is independent */
	assert_true(m2mi_ratelimit_take(rl, "b", 1, 11000, &retry));
	/* a long pause refills to the burst, never beyond */
	for (int i = 0; i < 6; i++)
		assert_true(m2mi_ratelimit_take(rl, "a", 1, 10000000, &retry));
	assert_false(m2mi_ratelimit_take(rl, "a", 1, 10000000, &retry));
	/* a clock going backwards refills nothing */
	assert_false(m2mi_ratelimit_take(rl, "a", 1, 0, &retry));
	m2mi_ratelimit_free(rl);
	(void)state;
}

static void test_bad_keys(void **state)
{
	m2mi_ratelimit *rl = NULL;
	char big[M2MI_RATELIMIT_KEY_MAX + 1];
	int retry = 0;

	memset(big, 'x', sizeof(big));
	assert_int_equal(m2mi_ratelimit_new(60, 4, &rl), M2M_OK);
	assert_false(m2mi_ratelimit_take(rl, "", 0, 0, &retry)); /* fail closed */
	assert_false(m2mi_ratelimit_take(rl, big, sizeof(big), 0, &retry));
	assert_true(m2mi_ratelimit_take(rl, big, sizeof(big) - 1, 0, &retry));
	assert_false(m2mi_ratelimit_take(NULL, "a", 1, 0, &retry));
	m2mi_ratelimit_free(rl);
	(void)state;
}

/* Many keys (an attacker with many addresses): the table never grows beyond its capacity, the
 * least recently used key is the one forgotten, and a recently used one keeps its state. */
static void test_bounded_lru(void **state)
{
	m2mi_ratelimit *rl = NULL;
	char k[32];
	int retry = 0;

	assert_int_equal(m2mi_ratelimit_new(1, 8, &rl), M2M_OK);
	assert_true(m2mi_ratelimit_take(rl, "victim", 6, 0, &retry));
	for (int i = 0; i < 10000; i++) {
		int n = snprintf(k, sizeof(k), "addr-%d", i);
		assert_true(m2mi_ratelimit_take(rl, k, (size_t)n, 0, &retry));
		assert_true(m2mi_ratelimit_size(rl) <= 8);
		if (i % 4 == 0) /* the victim stays recent: still limited */
			assert_false(m2mi_ratelimit_take(rl, "victim", 6, 0, &retry));
	}
	assert_int_equal(m2mi_ratelimit_size(rl), 8);
	/* the recent keys are still there: the last one is limited (its one token is spent) */
	assert_false(m2mi_ratelimit_take(rl, "addr-9999", 9, 0, &retry));
	assert_int_equal(retry, 60);
	/* an old key was forgotten and starts again with a full bucket */
	assert_true(m2mi_ratelimit_take(rl, "addr-0", 6, 0, &retry));
	m2mi_ratelimit_free(rl);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_retry_after),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_bounded_lru),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
