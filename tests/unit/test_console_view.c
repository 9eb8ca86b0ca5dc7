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
#include "store/mefstore_est.h"

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

/* With a CA: issuer, next update and the serial an operator revoked (TS-0003 §8.1.2.2). */
static void test_crl_with_ca(void **state)
{
	static const char *const permit[] = {"sp.example.com"};
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef);
	m2m_est_record rec = {.serial = "1234ABCD", .client_id = FX_KPMID, .enrolee_id = FX_EID,
			      .san = "dev1.sp.example.com", .not_after = FX_NOW + 86400, .issued_at = FX_NOW - 10};
	m2m_mef_console *c = NULL;
	m2m_mef_console_config cc = {.store = f->path, .admin_identity = "admin.sp.example.com"};
	m2m_est *est = NULL;
	m2mi_console_req r = {.method = "GET", .path = "/console/crl", .host = CX_HOST, .csrf = CX_TOKEN, .now = FX_NOW};
	char cadir[160], *body = NULL;
	size_t len = 0;

	(void)state;
	snprintf(cadir, sizeof(cadir), "%s/ca", f->dir);
	assert_int_equal(m2m_ca_init(cadir, "MEF CA", permit, 1, 0), M2M_OK);
	assert_int_equal(m2m_est_new(cadir, 0, &est), M2M_OK);
	assert_int_equal(m2mi_mefstore_est_ensure(st), M2M_OK);
	assert_int_equal(m2mi_mefstore_est_put(st, &rec), M2M_OK);
	assert_int_equal(m2m_mefstore_est_revoke(st, "1234ABCD", FX_NOW), M2M_OK);
	cc.est = est;
	assert_int_equal(m2m_mef_console_new(&cc, &c), M2M_OK);
	assert_int_equal(m2mi_console_serve(c, &r, &body, &len), 200);
	assert_non_null(strstr(body, "CN=MEF CA"));
	assert_non_null(strstr(body, "id=\"next-update\">"));
	assert_non_null(strstr(body, "Revoked serials (1)"));
	assert_non_null(strstr(body, "<td>1234ABCD</td>"));
	free(body);
	m2m_mef_console_free(c);
	m2m_est_free(est);
	fx_free(f);
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
		cmocka_unit_test(test_crl_with_ca),
		cmocka_unit_test(test_chart_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
