/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/mef/console_view.c
 * (docs/procedures/console.md): the audit page escapes what clients chose, the CRL page is 404
 * without a CA (ca-dir) and lists issuer, next update and revoked serials with one, and the
 * chart counts enrolments per UTC day.
 */
#include "console_fixture.h"

#include "m2msec/ca.h"
#include "m2msec/est.h"

static void test_audit_escaped(void **state)
{
	cx *x = cx_new();

	(void)state;
	m2m_mef_console_audit(x->c, &(m2m_mef_audit){.procedure = "psk-lookup", .outcome = "unknown-client",
						       .client = "<img src=x onerror=alert(1)>@x", .rsc = 0});
	assert_int_equal(cx_req(x, "GET", "/console/audit", NULL, NULL, NULL), 200);
	assert_false(cx_has(x, "<img"));
	assert_true(cx_has(x, "&lt;img src=x onerror=alert(1)&gt;@x"));
	cx_free(x);
}

static void test_crl_without_ca(void **state)
{
	cx *x = cx_new();

	(void)state;
	assert_int_equal(cx_req(x, "GET", "/console/crl", NULL, NULL, NULL), 404);
	assert_true(cx_has(x, "ca-dir"));
	cx_free(x);
}

static void test_chart_counts(void **state)
{
	cx *x = cx_new();

	(void)state;
	assert_int_equal(cx_req(x, "GET", "/console/chart", NULL, NULL, NULL), 200);
	/* the fixture's enrolee was created now: one bar of today with 1, 30 bars, no script */
	assert_true(cx_has(x, "<svg id=\"chart\""));
	assert_true(cx_has(x, ": 1</title>"));
	assert_false(cx_has(x, "<script"));
	{
		size_t bars = 0;
		for (const char *p = x->body; (p = strstr(p, "class=\"bar\"")) != NULL; p++)
			bars++;
		assert_int_equal(bars, 30);
	}
	cx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_escaped),
		cmocka_unit_test(test_crl_without_ca),
		cmocka_unit_test(test_chart_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
