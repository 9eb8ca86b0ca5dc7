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

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_sink_and_levels)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
