/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/mef/console_pages.c
 * (docs/procedures/console.md): search by KpmID / Enrolee-ID / KeID prefix with paging, the
 * detail page (escaped, never a key), and the revoke and rotate actions through the store
 * procedures the CLI uses (TS-0003 §8.3.2.1) with their exact statuses.
 */
#include "console_fixture.h"

#define XSS "<script>alert(1)</script>"

static void add(cx *x, const char *kpm_id, const char *eid, const char *allow, uint8_t fill)
{
	uint8_t kb[32];
	m2m_key *k = NULL;
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = (char *)kpm_id, .enrolee_id = (char *)eid,
			     .targets = {FX_TARGET}, .ntargets = 1, .expiry = FX_NOW + 1000, .allowed = (char *)allow};

	memset(kb, fill, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &k), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_add(m2m_mef_store(x->f->mef), &e, k, FX_NOW - 10, NULL), M2M_OK);
	m2m_key_free(k);
}

static void test_search_and_paging(void **state)
{
	cx *x = cx_new();
	char id[64];

	(void)state;
	for (int i = 0; i < 60; i++) {
		snprintf(id, sizeof(id), "pg%02d@mef.example.com", i);
		add(x, id, "Cpage", NULL, 0x22);
	}
	assert_int_equal(cx_req(x, "GET", "/console", "q=pg", NULL, NULL), 200);
	assert_true(cx_has(x, "60 matching, page 0"));
	assert_true(cx_has(x, ">pg49@mef.example.com<") && !cx_has(x, ">pg50@mef.example.com<"));
	assert_true(cx_has(x, "id=\"next\"") && !cx_has(x, "id=\"prev\""));
	assert_int_equal(cx_req(x, "GET", "/console", "q=pg&page=1", NULL, NULL), 200);
	assert_true(cx_has(x, ">pg50@mef.example.com<") && !cx_has(x, ">pg49@mef.example.com<"));
	assert_true(cx_has(x, "id=\"prev\"") && !cx_has(x, "id=\"next\""));
	/* by Enrolee-ID prefix; everything; a malformed page is page 0 */
	assert_int_equal(cx_req(x, "GET", "/console", "q=" FX_EID, NULL, NULL), 200);
	assert_true(cx_has(x, "1 matching") && cx_has(x, ">" FX_KPMID "<"));
	assert_int_equal(cx_req(x, "GET", "/console", "page=x", NULL, NULL), 200);
	assert_true(cx_has(x, "61 matching, page 0"));
	/* the query is reflected escaped */
	assert_int_equal(cx_req(x, "GET", "/console", "q=%3Cscript%3E", NULL, NULL), 200);
	assert_true(cx_has(x, "value=\"&lt;script&gt;\"") && !cx_has(x, "<script>"));
	cx_free(x);
}

static void test_detail_escaped_no_key(void **state)
{
	cx *x = cx_new();

	(void)state;
	add(x, "xss@mef.example.com", "Cxss", XSS "*", 0x5a);
	assert_int_equal(cx_req(x, "GET", "/console/enrolee", "id=xss%40mef.example.com", NULL, NULL), 200);
	assert_false(cx_has(x, XSS));
	assert_true(cx_has(x, "&lt;script&gt;alert(1)&lt;/script&gt;*"));
	assert_false(cx_has(x, "5a5a5a5a") || cx_has(x, "5A5A5A5A")); /* never the Kpm */
	assert_true(cx_has(x, "name=\"csrf\" value=\"" CX_TOKEN "\""));
	assert_true(cx_has(x, "id=\"revoke\"") && cx_has(x, "id=\"rotate\""));
	assert_int_equal(cx_req(x, "GET", "/console/enrolee", "id=nobody%40mef.example.com", NULL, NULL), 404);
	assert_int_equal(cx_req(x, "GET", "/console/enrolee", NULL, NULL, NULL), 404);
	cx_free(x);
}

static void test_revoke_and_rotate(void **state)
{
	cx *x = cx_new();
	m2m_key *got = NULL;
	uint8_t kb[32];
	m2m_key *want = NULL;

	(void)state;
	/* rotation: 64 hex digits or 400, nothing changed */
	assert_int_equal(cx_req(x, "POST", "/console/rotate", NULL, CX_ORIGIN,
				"id=" FX_KPMID "&csrf=" CX_TOKEN "&kpm=abcd"), 400);
	assert_int_equal(cx_req(x, "POST", "/console/rotate", NULL, CX_ORIGIN,
				"id=" FX_KPMID "&csrf=" CX_TOKEN
				"&kpm=7777777777777777777777777777777777777777777777777777777777777777"), 200);
	assert_false(cx_has(x, "77777777"));
	memset(kb, 0x77, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &want), M2M_OK);
	assert_int_equal(m2m_mefstore_kpm_lookup(m2m_mef_store(x->f->mef), FX_KPMID, FX_NOW, &got, NULL), M2M_OK);
	assert_true(m2m_key_equal(want, got));
	m2m_key_free(got);
	m2m_key_free(want);
	/* revoke: unknown 404, no id 400, ok 200 (again: still 200), then rotate is 409 */
	assert_int_equal(cx_req(x, "POST", "/console/revoke", NULL, CX_ORIGIN,
				"id=nobody%40mef.example.com&csrf=" CX_TOKEN), 404);
	assert_int_equal(cx_req(x, "POST", "/console/revoke", NULL, CX_ORIGIN, "csrf=" CX_TOKEN), 400);
	assert_int_equal(cx_req(x, "POST", "/console/revoke", NULL, CX_ORIGIN, "id=" FX_KPMID "&csrf=" CX_TOKEN), 200);
	assert_true(cx_has(x, "Revoke done"));
	assert_string_equal(cx_state(x, FX_KPMID), "revoked");
	assert_int_equal(cx_req(x, "POST", "/console/revoke", NULL, CX_ORIGIN, "id=" FX_KPMID "&csrf=" CX_TOKEN), 200);
	assert_int_equal(cx_req(x, "POST", "/console/rotate", NULL, CX_ORIGIN,
				"id=" FX_KPMID "&csrf=" CX_TOKEN
				"&kpm=8888888888888888888888888888888888888888888888888888888888888888"), 409);
	/* the detail of a revoked enrolee offers no action */
	assert_int_equal(cx_req(x, "GET", "/console/enrolee", "id=" FX_KPMID, NULL, NULL), 200);
	assert_false(cx_has(x, "id=\"revoke\"") || cx_has(x, "id=\"rotate\""));
	/* every action is in the audit ring, with the admin identity as the client */
	assert_int_equal(cx_req(x, "GET", "/console/audit", NULL, NULL, NULL), 200);
	assert_true(cx_has(x, "console-revoke") && cx_has(x, "console-rotate") && cx_has(x, "admin.sp.example.com"));
	cx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_and_paging),
		cmocka_unit_test(test_detail_escaped_no_key),
		cmocka_unit_test(test_revoke_and_rotate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
