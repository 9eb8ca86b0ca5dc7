/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/metrics.c (docs/operations.md): counting is off
 * until enabled; counters from several threads are summed exactly by the scrape; the latency
 * histogram is cumulative, ends in +Inf equal to _count; label values are escaped as the
 * Prometheus text format 0.0.4 requires (backslash, double quote, line feed).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "m2m_test.h"
#include "core/metrics.h"
#include "m2msec/primitive.h"

/* The value of the sample line that starts with prefix (a full "name{labels}" text); -1 if none. */
static long long sample(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	while ((p = strstr(p, prefix)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

static char *scrape(void)
{
	char *t = NULL;
	size_t len = 0;

	assert_int_equal(m2mi_metrics_render(&t, &len), M2M_OK);
	assert_int_equal(strlen(t), len);
	return t;
}

static void test_off_until_enabled(void **state)
{
	char *t;

	(void)state;
	m2mi_metrics_enable(false);
	m2mi_metrics_reset();
	m2mi_metrics_request(M2M_OP_RETRIEVE, 2000, 10);
	m2mi_metrics_enrolment(true);
	t = scrape();
	assert_int_equal(sample(t, "m2msec_requests_total{op=\"retrieve\",rsc=\"2000\"}"), -1);
	assert_int_equal(sample(t, "m2msec_enrolments_total{outcome=\"ok\"}"), 0);
	free(t);
}

#define PER_THREAD 10000

static void *counter(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++) {
		m2mi_metrics_request(M2M_OP_CREATE, 2001, 700);
		m2mi_metrics_cache(M2MI_CACHE_ACP, (i & 1) != 0);
	}
	return NULL;
}

static void test_threads_sum(void **state)
{
	pthread_t t[4];
	char *text;

	(void)state;
	m2mi_metrics_enable(true);
	m2mi_metrics_reset();
	for (size_t i = 0; i < M2M_ARRAY_LEN(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, counter, NULL), 0);
	for (size_t i = 0; i < M2M_ARRAY_LEN(t); i++)
		pthread_join(t[i], NULL);
	/* a thread that ended handed its shard back: the next one reuses it, the sums stay */
	assert_int_equal(pthread_create(&t[0], NULL, counter, NULL), 0);
	pthread_join(t[0], NULL);
	text = scrape();
	assert_int_equal(sample(text, "m2msec_requests_total{op=\"create\",rsc=\"2001\"}"), 5 * PER_THREAD);
	assert_int_equal(sample(text, "m2msec_cache_lookups_total{cache=\"acp\",result=\"hit\"}"), 5 * PER_THREAD / 2);
	assert_int_equal(sample(text, "m2msec_cache_lookups_total{cache=\"acp\",result=\"miss\"}"), 5 * PER_THREAD / 2);
	/* 700 us is above 0.0005 and within 0.001 */
	assert_int_equal(sample(text, "m2msec_request_duration_seconds_bucket{op=\"create\",le=\"0.0005\"}"), 0);
	assert_int_equal(sample(text, "m2msec_request_duration_seconds_bucket{op=\"create\",le=\"0.001\"}"),
			 5 * PER_THREAD);
	assert_int_equal(sample(text, "m2msec_request_duration_seconds_count{op=\"create\"}"), 5 * PER_THREAD);
	free(text);
}

static void test_histogram_and_families(void **state)
{
	static const int64_t lat[] = {0, 400, 1000, 3000000, 20000000};
	char *t, line[128];
	long long prev = 0, v;

	(void)state;
	m2mi_metrics_enable(true);
	m2mi_metrics_reset();
	for (size_t i = 0; i < M2M_ARRAY_LEN(lat); i++)
		m2mi_metrics_request(M2M_OP_RETRIEVE, 2000, lat[i]);
	m2mi_metrics_request(M2M_OP_DELETE, 4103, 5);
	m2mi_metrics_request(M2M_OP_NONE, 4000, 5);
	m2mi_metrics_request(42, 1234, -7); /* out of range: op none, rsc other, latency 0 */
	m2mi_metrics_handshake(M2MI_HS_OK, M2MI_HS_PSK_FILE);
	m2mi_metrics_handshake(M2MI_HS_FAILED, M2MI_HS_PSK);
	m2mi_metrics_handshake((enum m2mi_hs_outcome)7, M2MI_HS_PSK); /* ignored */
	m2mi_metrics_fetch(M2MI_LINK_MEF, false);
	m2mi_metrics_store_error(M2MI_STORE_FULL);
	t = scrape();
	assert_non_null(strstr(t, "# TYPE m2msec_request_duration_seconds histogram\n"));
	assert_non_null(strstr(t, "# TYPE m2msec_requests_total counter\n"));
	for (size_t k = 0; k < m2mi_metrics_nbuckets; k++) {
		snprintf(line, sizeof(line), "m2msec_request_duration_seconds_bucket{op=\"retrieve\",le=\"%g\"}",
			 m2mi_metrics_buckets[k]);
		v = sample(t, line);
		assert_true(v >= prev); /* cumulative */
		prev = v;
	}
	assert_int_equal(sample(t, "m2msec_request_duration_seconds_bucket{op=\"retrieve\",le=\"0.0005\"}"), 2);
	assert_int_equal(sample(t, "m2msec_request_duration_seconds_bucket{op=\"retrieve\",le=\"0.001\"}"), 3);
	assert_int_equal(sample(t, "m2msec_request_duration_seconds_bucket{op=\"retrieve\",le=\"5\"}"), 4);
	assert_int_equal(prev, 4); /* le="10": the 20 s one is only in +Inf */
	assert_int_equal(sample(t, "m2msec_request_duration_seconds_bucket{op=\"retrieve\",le=\"+Inf\"}"), 5);
	assert_int_equal(sample(t, "m2msec_request_duration_seconds_count{op=\"retrieve\"}"), 5);
	assert_non_null(strstr(t, "m2msec_request_duration_seconds_sum{op=\"retrieve\"} 23.001400\n"));
	assert_int_equal(sample(t, "m2msec_requests_total{op=\"delete\",rsc=\"4103\"}"), 1);
	assert_int_equal(sample(t, "m2msec_requests_total{op=\"none\",rsc=\"4000\"}"), 1);
	assert_int_equal(sample(t, "m2msec_requests_total{op=\"none\",rsc=\"other\"}"), 1);
	assert_int_equal(sample(t, "m2msec_tls_handshakes_total{outcome=\"ok\",sa_kind=\"psk-file\"}"), 1);
	assert_int_equal(sample(t, "m2msec_tls_handshakes_total{outcome=\"failed\",sa_kind=\"psk\"}"), 1);
	assert_int_equal(sample(t, "m2msec_tls_handshakes_total{outcome=\"ok\",sa_kind=\"cert\"}"), 0);
	assert_int_equal(sample(t, "m2msec_link_fetches_total{link=\"mef\",outcome=\"failed\"}"), 1);
	assert_int_equal(sample(t, "m2msec_store_errors_total{condition=\"full\"}"), 1);
	assert_int_equal(sample(t, "m2msec_enrolments_total{outcome=\"refused\"}"), 0);
	/* every line is a comment or a sample ending in a number */
	for (const char *p = t; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		if (*p != '#') {
			const char *sp = nl;
			while (sp > p && sp[-1] != ' ')
				sp--;
			assert_true(sp > p && sp < nl);
			assert_true((*sp >= '0' && *sp <= '9'));
		}
		p = nl + 1;
	}
	free(t);
	m2mi_metrics_enable(false);
}

static void test_escape(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(m2mi_metrics_escape("plain-1.0", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "plain-1.0");
	assert_int_equal(m2mi_metrics_escape("a\\b\"c\nd", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "a\\\\b\\\"c\\nd");
	assert_int_equal(m2mi_metrics_escape("", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "");
	/* exactly fits (2 + NUL) vs one byte short */
	assert_int_equal(m2mi_metrics_escape("\"", out, 3), M2M_OK);
	assert_string_equal(out, "\\\"");
	assert_int_equal(m2mi_metrics_escape("\"", out, 2), M2M_E_RANGE);
	assert_string_equal(out, "");
	assert_int_equal(m2mi_metrics_escape("abc", out, 3), M2M_E_RANGE);
	assert_int_equal(m2mi_metrics_escape(NULL, out, sizeof(out)), M2M_E_INVAL);
	assert_int_equal(m2mi_metrics_escape("x", NULL, 4), M2M_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_until_enabled),
		cmocka_unit_test(test_threads_sum),
		cmocka_unit_test(test_histogram_and_families),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
