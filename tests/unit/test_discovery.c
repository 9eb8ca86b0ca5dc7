/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/discovery.c: filter criteria (ty any-of,
 * lbl any-of, rn, cra/crb, lvl, ofst, lim, arp), DISCOVERY-privilege filtering of the results,
 * and the bounded work of one request (scan budget, default limit, partial-content indication).
 */
#include "cse_fixture.h"

static json_t *discover(fx *f, const char *to, const char *fr, int want)
{
	f->req.fc.fu = 1;
	assert_rsc(f, fx_send(f), want);
	(void)to;
	(void)fr;
	return json_object_get(f->rsp.pc, "m2m:uril");
}

static m2m_request *disc(fx *f, const char *to, const char *fr)
{
	return fx_prepare(f, M2M_OP_RETRIEVE, to, fr, 0, NULL);
}

static bool has(json_t *uril, const char *path)
{
	size_t i;
	json_t *e;

	json_array_foreach(uril, i, e)
		if (strcmp(json_string_value(e), path) == 0)
			return true;
	return false;
}

static void tree(fx *f)
{
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"d\",\"lbl\":[\"a\",\"b\"]}}");
	fx_create(f, "cse-in/d", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"x\",\"lbl\":[\"a\"]}}");
	fx_create(f, "cse-in/d/x", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"i\",\"con\":\"1\",\"lbl\":[\"a\",\"b\"]}}");
	fx_create(f, "cse-in/d", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"y\",\"lbl\":[\"b\"]}}");
	fx_create(f, "cse-in/d", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"y2\"}}");
}

static void test_filters(void **state)
{
	fx *f = *state;
	json_t *u;
	char later[M2M_RES_TIME_LEN];

	fx_auth(f);
	tree(f);
	disc(f, "cse-in/d", "CAdmin");
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 4);
	assert_false(has(u, "cse-in/d")); /* the target itself is not listed */
	assert_string_equal(json_string_value(json_array_get(u, 0)), "cse-in/d/x");
	/* ty any-of */
	disc(f, "cse-in/d", "CAdmin");
	f->req.fc.nty = 1;
	f->req.fc.ty[0] = M2M_TY_CIN;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 1);
	assert_true(has(u, "cse-in/d/x/i"));
	/* lbl any-of (TS-0004 clause 7.3.3.17.5): a, b or both */
	disc(f, "cse-in", "CAdmin");
	f->req.fc.lbl[0] = strdup("a");
	f->req.fc.lbl[1] = strdup("b");
	f->req.fc.nlbl = 2;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 4);
	assert_true(has(u, "cse-in/d"));
	assert_true(has(u, "cse-in/d/x"));
	assert_true(has(u, "cse-in/d/y"));
	assert_true(has(u, "cse-in/d/x/i"));
	/* with ty, ANDed by default, ORed with fo=2 */
	disc(f, "cse-in", "CAdmin");
	f->req.fc.lbl[0] = strdup("b");
	f->req.fc.nlbl = 1;
	f->req.fc.ty[0] = M2M_TY_CIN;
	f->req.fc.nty = 1;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 1);
	assert_true(has(u, "cse-in/d/x/i"));
	disc(f, "cse-in", "CAdmin");
	f->req.fc.lbl[0] = strdup("b");
	f->req.fc.nlbl = 1;
	f->req.fc.ty[0] = M2M_TY_CIN;
	f->req.fc.nty = 1;
	f->req.fc.fo = 2;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 3);
	assert_true(has(u, "cse-in/d/y"));
	/* rn */
	disc(f, "cse-in", "CAdmin");
	f->req.fc.rn = strdup("y");
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 1);
	assert_true(has(u, "cse-in/d/y"));
	/* level 1 below cse-in/d */
	disc(f, "cse-in/d", "CAdmin");
	f->req.fc.lvl = 1;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 3);
	assert_false(has(u, "cse-in/d/x/i"));
	/* offset and limit */
	disc(f, "cse-in/d", "CAdmin");
	f->req.fc.ofst = 2;
	f->req.fc.lim = 2;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 2);
	assert_string_equal(json_string_value(json_array_get(u, 0)), "cse-in/d/x/i");
	/* createdBefore / createdAfter */
	m2mi_time_fmt(f->now + 10, later);
	disc(f, "cse-in/d", "CAdmin");
	f->req.fc.cra = strdup(later);
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 0);
	disc(f, "cse-in/d", "CAdmin");
	f->req.fc.crb = strdup(later);
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 4);
	/* rcn other than 6 is invalid for discovery; 6 is the default */
	disc(f, "cse-in/d", "CAdmin");
	f->req.rcn = 1;
	discover(f, NULL, NULL, M2M_RSC_BAD_REQUEST);
	disc(f, "cse-in/d", "CAdmin");
	f->req.rcn = 6;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 4);
	/* unknown target */
	disc(f, "cse-in/none", "CAdmin");
	discover(f, NULL, NULL, M2M_RSC_NOT_FOUND);
}

static void test_privilege_filtering(void **state)
{
	fx *f = *state;
	json_t *u;

	fx_auth(f);
	fx_ae(f, "Cown", "own");
	fx_ae(f, "Cseek", "seek");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_ACP,
		  "{\"m2m:acp\":{\"rn\":\"find\",\"pv\":{\"acr\":[{\"acor\":[\"Cseek\"],\"acop\":32},"
		  "{\"acor\":[\"Cown\"],\"acop\":63}]},\"pvs\":{\"acr\":[{\"acor\":[\"Cown\"],\"acop\":63}]}}}");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_ACP,
		  "{\"m2m:acp\":{\"rn\":\"read\",\"pv\":{\"acr\":[{\"acor\":[\"Cseek\"],\"acop\":2},"
		  "{\"acor\":[\"Cown\"],\"acop\":63}]},\"pvs\":{\"acr\":[{\"acor\":[\"Cown\"],\"acop\":63}]}}}");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"visible\",\"acpi\":[\"cse-in/own/find\"]}}");
	fx_create(f, "cse-in/own/visible", "Cown", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"v\",\"con\":\"1\"}}");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"readonly\",\"acpi\":[\"cse-in/own/read\"]}}");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"private\"}}");
	/* Cseek may discover (32) "visible" and its instance, but not RETRIEVE-only or private ones */
	disc(f, "cse-in/own", "Cseek");
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 2);
	assert_true(has(u, "cse-in/own/visible"));
	assert_true(has(u, "cse-in/own/visible/v"));
	/* DISCOVERY does not imply RETRIEVE */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/visible", "Cseek", 0, NULL),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* the owner discovers everything it created (creator policy and pv) */
	disc(f, "cse-in/own", "Cown");
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 6);
	assert_true(has(u, "cse-in/own/private"));
	assert_true(has(u, "cse-in/own/find")); /* an ACP is discovered through its pvs */
}

/* A scan budget of 5 rows: every answer examines at most 5 descendants and says where to go on
 * (Content Status partial, Content Offset), whatever the Originator may discover. */
static void test_scan_budget(void **state)
{
	fx *f = *state;
	json_t *u;
	char pc[96];

	fx_plain(f);
	fx_ae(f, "Cown", "own");
	fx_ae(f, "Cstranger", "stranger");
	for (int i = 0; i < 12; i++) {
		snprintf(pc, sizeof(pc), "{\"m2m:cnt\":{\"rn\":\"c%02d\"}}", i);
		fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, pc);
	}
	f->cse->cfg.discovery_scan_max = 5;
	/* a stranger without any privilege: nothing found, 5 rows examined, continue at 6 */
	disc(f, "cse-in", "Cstranger");
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 0);
	assert_int_equal(f->rsp.cnst, 1);
	assert_int_equal(f->rsp.cnot, 6);
	/* the owner walks its subtree in three answers of at most 5 rows */
	disc(f, "cse-in/own", "Cown");
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 5);
	assert_string_equal(json_string_value(json_array_get(u, 0)), "cse-in/own/c00");
	assert_int_equal(f->rsp.cnot, 6);
	disc(f, "cse-in/own", "Cown");
	f->req.fc.ofst = 6;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 5);
	assert_string_equal(json_string_value(json_array_get(u, 0)), "cse-in/own/c05");
	assert_int_equal(f->rsp.cnst, 1);
	assert_int_equal(f->rsp.cnot, 11);
	disc(f, "cse-in/own", "Cown");
	f->req.fc.ofst = 11;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 2);
	assert_string_equal(json_string_value(json_array_get(u, 1)), "cse-in/own/c11");
	assert_int_equal(f->rsp.cnst, 0); /* complete: no indication */
	assert_int_equal(f->rsp.cnot, 0);
	/* exactly the budget: complete */
	f->cse->cfg.discovery_scan_max = 12;
	disc(f, "cse-in/own", "Cown");
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 12);
	assert_int_equal(f->rsp.cnst, 0);
}

/* No lim: discovery-lim-default applies; a reached limit is partial and says where to go on. */
static void test_default_limit(void **state)
{
	fx *f = *state;
	json_t *u;

	fx_plain(f);
	tree(f);
	f->cse->cfg.discovery_lim_default = 2;
	disc(f, "cse-in/d", "CAdmin");
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 2);
	assert_int_equal(f->rsp.cnst, 1);
	assert_int_equal(f->rsp.cnot, 3);
	disc(f, "cse-in/d", "CAdmin");
	f->req.fc.ofst = 3;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 2);
	assert_string_equal(json_string_value(json_array_get(u, 0)), "cse-in/d/y");
	assert_int_equal(f->rsp.cnst, 0);
	/* an explicit lim wins */
	disc(f, "cse-in/d", "CAdmin");
	f->req.fc.lim = 4;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 4);
	assert_int_equal(f->rsp.cnst, 0);
}

/* applyRelativePath (TS-0004 clause 7.3.3.17.17): the resources at match/arp, once each. */
static void test_apply_relative_path(void **state)
{
	fx *f = *state;
	json_t *u;

	fx_plain(f);
	tree(f);
	disc(f, "cse-in/d", "CAdmin");
	f->req.fc.rn = strdup("x");
	f->req.fc.arp = strdup("../y");
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 1);
	assert_true(has(u, "cse-in/d/y"));
	disc(f, "cse-in/d", "CAdmin");
	f->req.fc.lvl = 1;
	f->req.fc.arp = strdup("..");
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 1); /* three matches, one parent */
	assert_true(has(u, "cse-in/d"));
	disc(f, "cse-in/d", "CAdmin");
	f->req.fc.arp = strdup("nothing/here");
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 0);
}

/* A condition on attribute values needs RETRIEVE as well: DISCOVERY alone must not answer
 * "is cr/cni of this resource X?" for an Originator that may not read it. */
static void test_attribute_conditions_need_retrieve(void **state)
{
	fx *f = *state;
	json_t *u;

	fx_plain(f);
	fx_ae(f, "Cown", "own");
	fx_ae(f, "Cseek", "seek");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_ACP,
		  "{\"m2m:acp\":{\"rn\":\"find\",\"pv\":{\"acr\":[{\"acor\":[\"Cseek\"],\"acop\":32},"
		  "{\"acor\":[\"Cown\"],\"acop\":63}]},\"pvs\":{\"acr\":[{\"acor\":[\"Cown\"],\"acop\":63}]}}}");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"v\",\"acpi\":[\"cse-in/own/find\"]}}");
	disc(f, "cse-in/own", "Cseek");
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 1);
	disc(f, "cse-in/own", "Cseek");
	f->req.fc.atr_n[0] = strdup("cni");
	f->req.fc.atr_v[0] = strdup("0");
	f->req.fc.natr = 1;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 0);
	disc(f, "cse-in/own", "Cown");
	f->req.fc.atr_n[0] = strdup("cni");
	f->req.fc.atr_v[0] = strdup("0");
	f->req.fc.natr = 1;
	u = discover(f, NULL, NULL, M2M_RSC_OK);
	assert_int_equal(json_array_size(u), 1);
	assert_true(has(u, "cse-in/own/v"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_filters, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_privilege_filtering, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_scan_budget, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_default_limit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_apply_relative_path, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_attribute_conditions_need_retrieve, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
