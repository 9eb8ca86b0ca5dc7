/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/mef/console.c (docs/procedures/console.md):
 * configuration refusals, the bounded audit ring, and the request rules: GET never changes state
 * (405), a POST needs the console's own origin and the session's CSRF token (else 403, nothing
 * changed), other methods 405, unknown pages 404.
 */
#include "console_fixture.h"

static void test_new_refuses(void **state)
{
	m2m_mef_console *c = NULL;
	m2m_mef_console_config cc = {.store = "/nonexistent/dir/mef.db", .admin_identity = "a"};

	(void)state;
	assert_int_equal(m2m_mef_console_new(&cc, &c), M2M_E_NOT_FOUND); /* never creates it */
	cc.admin_identity = "";
	assert_int_equal(m2m_mef_console_new(&cc, &c), M2M_E_CONFIG);
	assert_int_equal(m2m_mef_console_new(NULL, &c), M2M_E_CONFIG);
	assert_null(c);
	assert_int_equal(m2m_mef_console_route(NULL, NULL), M2M_E_INVAL);
}

static void test_audit_ring_bounded(void **state)
{
	cx *x = cx_new();
	char client[32];

	(void)state;
	for (int i = 0; i < M2M_MEF_CONSOLE_AUDIT_MAX + 44; i++) {
		snprintf(client, sizeof(client), "client-%d", i);
		m2m_mef_console_audit(x->c, &(m2m_mef_audit){.procedure = "psk-lookup", .outcome = "ok", .client = client});
	}
	assert_int_equal(x->c->ring_n, M2M_MEF_CONSOLE_AUDIT_MAX);
	assert_int_equal(cx_req(x, "GET", "/console/audit", NULL, NULL, NULL), 200);
	assert_true(cx_has(x, "client-299"));
	assert_true(cx_has(x, "client-44<"));
	assert_false(cx_has(x, "client-43<")); /* the oldest fell out */
	assert_true(strstr(x->body, "client-299") < strstr(x->body, "client-298")); /* newest first */
	cx_free(x);
}

static void test_post_rules(void **state)
{
	cx *x = cx_new();
	const char *form = "id=" FX_KPMID "&csrf=" CX_TOKEN;

	(void)state;
	/* a GET never changes state, whatever it carries */
	assert_int_equal(cx_req(x, "GET", "/console/revoke", form, CX_ORIGIN, NULL), 405);
	assert_int_equal(cx_req(x, "DELETE", "/console", NULL, NULL, NULL), 405);
	assert_int_equal(cx_req(x, "POST", "/console", NULL, CX_ORIGIN, form), 405);
	/* no token, a wrong token, another origin, no origin: 403 */
	assert_int_equal(cx_req(x, "POST", "/console/revoke", NULL, CX_ORIGIN, "id=" FX_KPMID), 403);
	assert_int_equal(cx_req(x, "POST", "/console/revoke", NULL, CX_ORIGIN,
				"id=" FX_KPMID "&csrf=00112233445566778899aabbccddeeff00112233445566778899aabbccddeefe"),
			 403);
	assert_int_equal(cx_req(x, "POST", "/console/revoke", NULL, CX_ORIGIN, "id=" FX_KPMID "&csrf=" CX_TOKEN "0"), 403);
	assert_int_equal(cx_req(x, "POST", "/console/revoke", NULL, "https://evil.example", form), 403);
	assert_int_equal(cx_req(x, "POST", "/console/revoke", NULL, "http://" CX_HOST, form), 403);
	assert_int_equal(cx_req(x, "POST", "/console/revoke", NULL, "null", form), 403);
	assert_int_equal(cx_req(x, "POST", "/console/revoke", NULL, NULL, form), 403);
	assert_string_equal(cx_state(x, FX_KPMID), "active");
	assert_int_equal(cx_req(x, "GET", "/console/other", NULL, NULL, NULL), 404);
	/* the same-origin POST with the token acts */
	assert_int_equal(cx_req(x, "POST", "/console/revoke", NULL, CX_ORIGIN, form), 200);
	assert_string_equal(cx_state(x, FX_KPMID), "revoked");
	cx_free(x);
}

static void test_fetch_site_without_origin(void **state)
{
	cx *x = cx_new();
	m2mi_console_req r = {.method = "POST", .path = "/console/revoke", .host = CX_HOST, .fetch_site = "cross-site",
			      .body = "id=" FX_KPMID "&csrf=" CX_TOKEN, .csrf = CX_TOKEN, .now = FX_NOW};
	char *body = NULL;
	size_t len;

	(void)state;
	r.body_len = strlen(r.body);
	assert_int_equal(m2mi_console_serve(x->c, &r, &body, &len), 403);
	free(body);
	r.fetch_site = "same-origin";
	assert_int_equal(m2mi_console_serve(x->c, &r, &body, &len), 200);
	free(body);
	assert_string_equal(cx_state(x, FX_KPMID), "revoked");
	cx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_refuses),
		cmocka_unit_test(test_audit_ring_bounded),
		cmocka_unit_test(test_post_rules),
		cmocka_unit_test(test_fetch_site_without_origin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
