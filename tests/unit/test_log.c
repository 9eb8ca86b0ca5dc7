/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/log.c (the sink indirection, style.md #7). */
#include <stdio.h>
#include "m2m_test.h"
#include "m2msec/log.h"

static int calls;
static char last[256];

static void sink(void *ctx, const m2m_log_event *ev)
{
	calls++;
	snprintf(last, sizeof(last), "%s|%s", ev->func, ev->msg ? ev->msg : "");
}

static void test_sink_and_levels(void **state)
{
	m2m_log(M2M_LOG_ERROR, "dropped %d", 1); /* no sink: nothing happens */
	assert_int_equal(calls, 0);
	m2m_log_set_sink(sink, NULL, M2M_LOG_INFO);
	m2m_log(M2M_LOG_DEBUG, "below level");
	assert_int_equal(calls, 0);
	m2m_log(M2M_LOG_WARN, "peer %s", "Cabc");
	assert_int_equal(calls, 1);
	assert_string_equal(last, "test_sink_and_levels|peer Cabc");
	m2m_log_event ev = {.level = M2M_LOG_INFO, .func = "f", .msg = "req", .rsc = 2000};
	m2m_log_event_emit(&ev);
	assert_int_equal(calls, 2);
	m2m_log_set_sink(NULL, NULL, M2M_LOG_DEBUG);
	m2m_log(M2M_LOG_ERROR, "gone");
	assert_int_equal(calls, 2);
}

/* A repeated condition: the first line of each interval is written, the rest counted and
 * reported with the next written line. */
static void test_rate_limited(void **state)
{
	static m2m_log_limiter rl = M2M_LOG_LIMITER_INIT(3600 * 1000);
	static m2m_log_limiter now = M2M_LOG_LIMITER_INIT(0);

	calls = 0;
	m2m_log_set_sink(sink, NULL, M2M_LOG_INFO);
	for (int i = 0; i < 1000; i++)
		m2m_log_rl(&rl, M2M_LOG_WARN, "accept: Too many open files");
	assert_int_equal(calls, 1);
	assert_string_equal(last, "test_rate_limited|accept: Too many open files");
	assert_int_equal(rl.suppressed, 999);
	/* interval over: the next line carries the count */
	rl.next_ms = 0;
	m2m_log_rl(&rl, M2M_LOG_WARN, "accept: %s", "Too many open files");
	assert_int_equal(calls, 2);
	assert_string_equal(last, "test_rate_limited|accept: Too many open files (999 similar suppressed)");
	assert_int_equal(rl.suppressed, 0);
	/* below the level: neither written nor counted */
	m2m_log_rl(&now, M2M_LOG_DEBUG, "debug");
	assert_int_equal(calls, 2);
	assert_int_equal(now.suppressed, 0);
	m2m_log_set_sink(NULL, NULL, M2M_LOG_DEBUG);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_sink_and_levels), cmocka_unit_test(test_rate_limited)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
