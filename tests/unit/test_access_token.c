/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the token-aware access decision (access_token.c,
 * TS-0003 clauses 7.3.2.3 and 7.3.2.5): a CSE in-process (cse_fixture.h) that trusts the test
 * issuer of token_fixture.h through a das-trust file; each request's rsc is asserted.
 */
#include "token_cse_fixture.h"

static int get(afx *a, const char *fr, const char *tkns, bool tqi)
{
	fx_prepare(a->f, M2M_OP_RETRIEVE, "cse-in/own/data", fr, 0, NULL);
	if (tkns != NULL)
		a->f->req.tkns = strdup(tkns);
	a->f->req.tqi = tqi;
	return fx_send(a->f);
}

static void test_token_permits_after_acp_denial(void **state)
{
	afx *a = open_cse(true, NULL);
	char *t = tok(a, HOLDER, a->cnt, 2);

	(void)state;
	assert_rsc(a->f, get(a, "Cae1", NULL, false), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(a->f, get(a, "Cae1", t, false), M2M_RSC_OK);
	/* TS-0009 clause 6.4.18 form of ati: lti:tkid */
	assert_non_null(a->f->rsp.ati);
	assert_int_equal(strncmp(a->f->rsp.ati, "lti", 3), 0);
	assert_non_null(strstr(a->f->rsp.ati, ":" JTI));
	/* the structured path names the resource as well as its ri */
	free(t);
	t = tok(a, HOLDER, "cse-in/own/data", 2);
	assert_rsc(a->f, get(a, "Cae1", t, false), M2M_RSC_OK);
	free(t);
	close_cse(a);
}

static void test_token_grants_only_its_resource_op_and_holder(void **state)
{
	afx *a = open_cse(true, NULL);
	char *other = tok(a, HOLDER, a->other, 2), *upd = tok(a, HOLDER, a->cnt, 4),
	     *h3 = tok(a, "//sp.example.com/id-in/Cae3", a->cnt, 2);

	(void)state;
	assert_rsc(a->f, get(a, "Cae1", other, false), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(a->f, get(a, "Cae1", upd, false), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(a->f, get(a, "Cae1", h3, false), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE); /* holder */
	assert_rsc(a->f, get(a, "Cae3", h3, false), M2M_RSC_OK);
	/* over plain HTTP nobody is authenticated: no token counts */
	fx_plain(a->f);
	assert_rsc(a->f, get(a, "Cae3", h3, false), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	free(other);
	free(upd);
	free(h3);
	close_cse(a);
}

static void test_ltids_bound_to_the_originator(void **state)
{
	afx *a = open_cse(true, NULL);
	char *t = tok(a, HOLDER, a->cnt, 2), lti[64];

	(void)state;
	assert_rsc(a->f, get(a, "Cae1", t, false), M2M_RSC_OK);
	snprintf(lti, sizeof(lti), "%.*s", (int)strcspn(a->f->rsp.ati, ":"), a->f->rsp.ati);
	fx_prepare(a->f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cae1", 0, NULL);
	a->f->req.ltids = calloc(1, sizeof(char *));
	a->f->req.ltids[0] = strdup(lti);
	a->f->req.nltids = 1;
	assert_rsc(a->f, fx_send(a->f), M2M_RSC_OK);
	fx_prepare(a->f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cae3", 0, NULL);
	a->f->req.ltids = calloc(1, sizeof(char *));
	a->f->req.ltids[0] = strdup(lti);
	a->f->req.nltids = 1;
	assert_rsc(a->f, fx_send(a->f), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	free(t);
	close_cse(a);
}

static void test_refusals_and_fail_closed(void **state)
{
	afx *a = open_cse(true, NULL);
	char *t = tok(a, HOLDER, a->cnt, 2), both[20000];
	char *none = compact("{\"alg\":\"none\",\"typ\":\"JWT\"}", "{\"iss\":\"" ISS "\"}", "");

	(void)state;
	snprintf(both, sizeof(both), "%s+%s", t, none);
	assert_rsc(a->f, get(a, "Cae1", none, false), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(a->f, get(a, "Cae1", both, false), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	snprintf(both, sizeof(both), "%s+", t);
	assert_rsc(a->f, get(a, "Cae1", both, false), M2M_RSC_BAD_REQUEST);
	assert_rsc(a->f, get(a, "Cae1", "x.y", false), M2M_RSC_BAD_REQUEST);
	/* tids name no <token> known here */
	fx_prepare(a->f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cae1", 0, NULL);
	a->f->req.tids = calloc(1, sizeof(char *));
	a->f->req.tids[0] = strdup(JTI);
	a->f->req.ntids = 1;
	assert_rsc(a->f, fx_send(a->f), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	free(t);
	free(none);
	close_cse(a);
}

/* TS-0003 clause 7.3.2.6.3: an unsecured token (alg none) is refused by default and accepted only
 * when both token-algorithms and the issuer's das-trust line permit it. */
static void test_alg_none_only_when_configured(void **state)
{
	afx *a = open_cse(true, NULL);
	char extra[300], *c, *none;

	(void)state;
	snprintf(extra, sizeof(extra), "\"tkps\":{\"pm\":[{\"ris\":[\"%s\"],\"pv\":{\"acr\":[{\"acor\":[\"" HOLDER
		 "\"],\"acop\":2}]}}]}", a->cnt);
	c = claims(extra);
	none = compact("{\"alg\":\"none\",\"typ\":\"JWT\"}", c, "");
	assert_rsc(a->f, get(a, "Cae1", none, false), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	close_cse(a);
	a = open_cse(true, "ES256,none");
	snprintf(extra, sizeof(extra), "\"tkps\":{\"pm\":[{\"ris\":[\"%s\"],\"pv\":{\"acr\":[{\"acor\":[\"" HOLDER
		 "\"],\"acop\":2}]}}]}", a->cnt);
	free(c);
	free(none);
	c = claims(extra);
	none = compact("{\"alg\":\"none\",\"typ\":\"JWT\"}", c, "");
	assert_rsc(a->f, get(a, "Cae1", none, false), M2M_RSC_OK);
	free(c);
	free(none);
	close_cse(a);
}

static void test_no_das_trust_accepts_nothing(void **state)
{
	afx *a = open_cse(false, NULL);
	char *t = tok(a, HOLDER, a->cnt, 2);

	(void)state;
	assert_rsc(a->f, get(a, "Cae1", t, false), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	free(t);
	close_cse(a);
}

static void test_tqi_tqf(void **state)
{
	afx *a = open_cse(true, NULL);
	json_t *dasi;

	(void)state;
	assert_rsc(a->f, get(a, "Cae1", NULL, true), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_null(json_object_get(a->f->rsp.pc, "m2m:dbg")); /* TS-0009 clause 6.5 */
	dasi = json_array_get(json_object_get(json_object_get(a->f->rsp.pc, "m2m:tqf"), "dasi"), 0);
	assert_string_equal(json_string_value(json_object_get(dasi, "uri")), "https://das.sp.example.com/token");
	assert_string_equal(json_string_value(json_object_get(json_object_get(dasi, "dreq"), "or")), HOLDER);
	assert_rsc(a->f, get(a, "Cae1", NULL, false), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_null(json_object_get(a->f->rsp.pc, "m2m:tqf"));
	close_cse(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_permits_after_acp_denial),
		cmocka_unit_test(test_token_grants_only_its_resource_op_and_holder),
		cmocka_unit_test(test_ltids_bound_to_the_originator),
		cmocka_unit_test(test_refusals_and_fail_closed),
		cmocka_unit_test(test_no_das_trust_accepts_nothing),
		cmocka_unit_test(test_alg_none_only_when_configured),
		cmocka_unit_test(test_tqi_tqf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
