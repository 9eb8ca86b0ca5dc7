/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/content.c: Result Content (rcn) per
 * operation (TS-0001 Table 8.1.2-1) and the shape of each answer, including child listings
 * filtered by privilege and by level/offset/limit.
 */
#include "cse_fixture.h"

static int send_rcn(fx *f, m2m_op op, const char *to, int ty, const char *pc, int rcn)
{
	fx_prepare(f, op, to, "CAdmin", ty, pc);
	f->req.rcn = rcn;
	return fx_send(f);
}

static void tree(fx *f)
{
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"t\"}}");
	fx_create(f, "cse-in/t", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"i1\",\"con\":\"a\"}}");
	fx_create(f, "cse-in/t", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"sub\"}}");
	fx_create(f, "cse-in/t/sub", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"i2\",\"con\":\"b\"}}");
	fx_create(f, "cse-in/t", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"i3\",\"con\":\"c\"}}");
}

static void test_create_rcn(void **state)
{
	fx *f = *state;
	json_t *rce;

	fx_auth(f);
	assert_rsc(f, send_rcn(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"rn\":\"a\"}}", 0), M2M_RSC_CREATED);
	assert_null(f->rsp.pc);
	assert_non_null(f->rsp.location);
	assert_rsc(f, send_rcn(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"rn\":\"b\"}}", 2), M2M_RSC_CREATED);
	assert_string_equal(json_string_value(json_object_get(f->rsp.pc, "m2m:uri")), "cse-in/b");
	assert_rsc(f, send_rcn(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"rn\":\"c\"}}", 3), M2M_RSC_CREATED);
	rce = json_object_get(f->rsp.pc, "m2m:rce");
	assert_string_equal(json_string_value(json_object_get(rce, "uri")), "cse-in/c");
	assert_string_equal(json_string_value(json_object_get(json_object_get(rce, "m2m:cnt"), "rn")), "c");
	assert_rsc(f, send_rcn(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"rn\":\"d\",\"mni\":3}}", 9),
		   M2M_RSC_CREATED);
	assert_null(json_object_get(fx_attrs(f, "m2m:cnt"), "rn"));  /* as requested: not repeated */
	assert_null(json_object_get(fx_attrs(f, "m2m:cnt"), "mni"));
	assert_non_null(json_object_get(fx_attrs(f, "m2m:cnt"), "ri")); /* assigned by the CSE */
	for (int bad = 4; bad <= 8; bad++)
		assert_rsc(f, send_rcn(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{}}", bad), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, send_rcn(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{}}", 42), M2M_RSC_BAD_REQUEST);
}

static void test_update_delete_rcn(void **state)
{
	fx *f = *state;

	fx_auth(f);
	tree(f);
	assert_rsc(f, send_rcn(f, M2M_OP_UPDATE, "cse-in/t", 0, "{\"m2m:cnt\":{\"lbl\":[\"x\"]}}", 0), M2M_RSC_UPDATED);
	assert_null(f->rsp.pc);
	assert_rsc(f, send_rcn(f, M2M_OP_UPDATE, "cse-in/t", 0, "{\"m2m:cnt\":{\"lbl\":[\"y\"]}}", 9), M2M_RSC_UPDATED);
	assert_null(json_object_get(fx_attrs(f, "m2m:cnt"), "lbl"));
	assert_non_null(json_object_get(fx_attrs(f, "m2m:cnt"), "lt"));
	assert_rsc(f, send_rcn(f, M2M_OP_UPDATE, "cse-in/t", 0, "{\"m2m:cnt\":{\"lbl\":[\"z\"]}}", 2), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, send_rcn(f, M2M_OP_UPDATE, "cse-in/t", 0, "{\"m2m:cnt\":{\"lbl\":[\"z\"]}}", 4), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, send_rcn(f, M2M_OP_DELETE, "cse-in/t/i1", 0, NULL, 1), M2M_RSC_DELETED);
	assert_string_equal(fx_str(f, "m2m:cin", "con"), "a");
	assert_rsc(f, send_rcn(f, M2M_OP_DELETE, "cse-in/t/sub", 0, NULL, 6), M2M_RSC_DELETED);
	assert_int_equal(json_array_size(json_object_get(json_object_get(f->rsp.pc, "m2m:rrl"), "rrf")), 1);
	assert_rsc(f, send_rcn(f, M2M_OP_DELETE, "cse-in/t", 0, NULL, 2), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, send_rcn(f, M2M_OP_DELETE, "cse-in/t", 0, NULL, 9), M2M_RSC_BAD_REQUEST);
}

static void test_retrieve_rcn(void **state)
{
	fx *f = *state;
	json_t *a, *rrf;

	fx_auth(f);
	tree(f);
	for (int bad = 0; bad <= 3; bad++)
		if (bad != 1)
			assert_rsc(f, send_rcn(f, M2M_OP_RETRIEVE, "cse-in/t", 0, NULL, bad), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, send_rcn(f, M2M_OP_RETRIEVE, "cse-in/t", 0, NULL, 7), M2M_RSC_BAD_REQUEST);
	/* 4: attributes and nested children */
	assert_rsc(f, send_rcn(f, M2M_OP_RETRIEVE, "cse-in/t", 0, NULL, 4), M2M_RSC_OK);
	a = fx_attrs(f, "m2m:cnt");
	assert_string_equal(json_string_value(json_object_get(a, "rn")), "t");
	assert_int_equal(json_array_size(json_object_get(a, "m2m:cin")), 2);
	assert_int_equal(json_array_size(json_object_get(a, "m2m:cnt")), 1);
	assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(a, "m2m:cnt"), 0), "m2m:cin")), 1);
	/* 8: children only */
	assert_rsc(f, send_rcn(f, M2M_OP_RETRIEVE, "cse-in/t", 0, NULL, 8), M2M_RSC_OK);
	a = fx_attrs(f, "m2m:cnt");
	assert_null(json_object_get(a, "rn"));
	assert_int_equal(json_array_size(json_object_get(a, "m2m:cin")), 2);
	/* 6: references of all descendants in creation order */
	assert_rsc(f, send_rcn(f, M2M_OP_RETRIEVE, "cse-in/t", 0, NULL, 6), M2M_RSC_OK);
	rrf = json_object_get(json_object_get(f->rsp.pc, "m2m:rrl"), "rrf");
	assert_int_equal(json_array_size(rrf), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rrf, 0), "val")), "cse-in/t/i1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rrf, 0), "nm")), "i1");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rrf, 0), "typ")), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rrf, 2), "val")), "cse-in/t/sub/i2");
	/* 5: attributes and references; level 1 and limit */
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/t", "CAdmin", 0, NULL);
	f->req.rcn = 5;
	f->req.fc.lvl = 1;
	assert_rsc(f, fx_send(f), M2M_RSC_OK);
	assert_int_equal(json_array_size(json_object_get(fx_attrs(f, "m2m:cnt"), "ch")), 3);
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/t", "CAdmin", 0, NULL);
	f->req.rcn = 6;
	f->req.fc.lim = 2;
	f->req.fc.ofst = 2;
	assert_rsc(f, fx_send(f), M2M_RSC_OK);
	rrf = json_object_get(json_object_get(f->rsp.pc, "m2m:rrl"), "rrf");
	assert_int_equal(json_array_size(rrf), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rrf, 0), "val")), "cse-in/t/sub");
	/* conditional retrieval: rcn 6 with a type filter; rcn 1 whose target does not match */
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/t", "CAdmin", 0, NULL);
	f->req.rcn = 6;
	f->req.fc.fu = 2;
	f->req.fc.nty = 1;
	f->req.fc.ty[0] = M2M_TY_CNT;
	assert_rsc(f, fx_send(f), M2M_RSC_OK);
	assert_int_equal(json_array_size(json_object_get(json_object_get(f->rsp.pc, "m2m:rrl"), "rrf")), 1);
	f->req.rcn = -1;
	f->req.fc.ty[0] = M2M_TY_CIN;
	assert_rsc(f, fx_send(f), M2M_RSC_NOT_FOUND);
}

static void test_children_need_privilege(void **state)
{
	fx *f = *state;
	json_t *rrf;

	fx_auth(f);
	fx_ae(f, "Cown", "own");
	fx_ae(f, "Coth", "oth");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"mine\"}}");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_ACP,
		  "{\"m2m:acp\":{\"rn\":\"open\",\"pv\":{\"acr\":[{\"acor\":[\"Coth\"],\"acop\":2}]},"
		  "\"pvs\":{\"acr\":[{\"acor\":[\"Cown\"],\"acop\":63}]}}}");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"shared\",\"acpi\":[\"cse-in/own/open\"]}}");
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own", "Cown", 0, "{\"m2m:ae\":{\"acpi\":[\"cse-in/own/open\"]}}"),
		   M2M_RSC_UPDATED);
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/own", "Coth", 0, NULL);
	f->req.rcn = 6;
	assert_rsc(f, fx_send(f), M2M_RSC_OK);
	rrf = json_object_get(json_object_get(f->rsp.pc, "m2m:rrl"), "rrf");
	assert_int_equal(json_array_size(rrf), 1); /* "mine" (creator only) and the ACP (pvs) are left out */
	assert_string_equal(json_string_value(json_object_get(json_array_get(rrf, 0), "val")), "cse-in/own/shared");
}

/* A filtered rcn=4/8 listing: a child that does not match does not hide its matching
 * descendants (they are listed under the nearest listed ancestor). */
static void test_filtered_listing_keeps_grandchildren(void **state)
{
	fx *f = *state;
	json_t *cnts;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"p\"}}");
	fx_create(f, "cse-in/p", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"mid\"}}");
	fx_create(f, "cse-in/p/mid", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"deep\",\"lbl\":[\"z\"]}}");
	for (int rcn = 4; rcn <= 8; rcn += 4) {
		fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/p", "CAdmin", 0, NULL);
		f->req.rcn = rcn;
		f->req.fc.lbl[0] = strdup("z");
		f->req.fc.nlbl = 1;
		assert_rsc(f, fx_send(f), M2M_RSC_OK);
		cnts = json_object_get(fx_attrs(f, "m2m:cnt"), "m2m:cnt");
		assert_int_equal(json_array_size(cnts), 1);
		assert_string_equal(json_string_value(json_object_get(json_array_get(cnts, 0), "rn")), "deep");
	}
}

/* The rows one listing reads are bounded by discovery-scan-max; past it the answer is partial. */
static void test_listing_budget(void **state)
{
	fx *f = *state;
	json_t *rrf;
	char pc[64];

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"many\"}}");
	for (int i = 0; i < 10; i++) {
		snprintf(pc, sizeof(pc), "{\"m2m:cin\":{\"con\":\"%d\"}}", i);
		fx_create(f, "cse-in/many", "CAdmin", M2M_TY_CIN, pc);
	}
	f->cse->cfg.discovery_scan_max = 6;
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/many", "CAdmin", 0, NULL);
	f->req.rcn = 6;
	assert_rsc(f, fx_send(f), M2M_RSC_OK);
	rrf = json_object_get(json_object_get(f->rsp.pc, "m2m:rrl"), "rrf");
	assert_true(json_array_size(rrf) < 10);
	assert_int_equal(f->rsp.cnst, 1);
	assert_int_equal(f->rsp.cnot, (long)json_array_size(rrf) + 1);
	f->cse->cfg.discovery_scan_max = 100;
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/many", "CAdmin", 0, NULL);
	f->req.rcn = 6;
	assert_rsc(f, fx_send(f), M2M_RSC_OK);
	rrf = json_object_get(json_object_get(f->rsp.pc, "m2m:rrl"), "rrf");
	assert_int_equal(json_array_size(rrf), 10);
	assert_int_equal(f->rsp.cnst, 0);
}

/* disableRetrieval (TS-0001 Table 9.6.6-2: RETRIEVE of the child instances "rejected at all
 * times") holds for every result content that lists children, at any depth, for everybody
 * (issue 6: rcn=4/8 returned every con). */
static void test_children_honour_disable_retrieval(void **state)
{
	fx *f = *state;
	static const char *const targets[] = {"cse-in/dr", "cse-in/dr/in"};
	json_t *a, *rrf;
	char *txt;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"dr\"}}");
	fx_create(f, "cse-in/dr", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"in\",\"disr\":true}}");
	fx_create(f, "cse-in/dr/in", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"s1\",\"con\":\"SECRET1\"}}");
	fx_create(f, "cse-in/dr/in", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"s2\",\"con\":\"SECRET2\"}}");
	fx_create(f, "cse-in/dr/in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"open\"}}");
	fx_create(f, "cse-in/dr/in/open", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"p\",\"con\":\"PUBLIC\"}}");
	for (size_t t = 0; t < 2; t++)
		for (int rcn = 4; rcn <= 8; rcn++) {
			if (rcn == 7)
				continue;
			assert_rsc(f, send_rcn(f, M2M_OP_RETRIEVE, targets[t], 0, NULL, rcn), M2M_RSC_OK);
			txt = json_dumps(f->rsp.pc, JSON_COMPACT);
			assert_non_null(txt);
			/* names as JSON strings or path ends: a random ri never holds a quote */
			if (strstr(txt, "SECRET") != NULL || strstr(txt, "\"s1\"") != NULL || strstr(txt, "/s1\"") != NULL ||
			    strstr(txt, "\"s2\"") != NULL || strstr(txt, "/s2\"") != NULL)
				fail_msg("rcn %d on %s lists an instance of a disr container: %s", rcn, targets[t], txt);
			if (rcn != 5 && rcn != 6 && strstr(txt, "PUBLIC") == NULL) /* the grandchild is not disr */
				fail_msg("rcn %d on %s hides an instance of an ordinary container: %s", rcn, targets[t], txt);
			free(txt);
		}
	/* the references of the others are still there */
	assert_rsc(f, send_rcn(f, M2M_OP_RETRIEVE, "cse-in/dr", 0, NULL, 6), M2M_RSC_OK);
	rrf = json_object_get(json_object_get(f->rsp.pc, "m2m:rrl"), "rrf");
	assert_int_equal(json_array_size(rrf), 3); /* in, open, p */
	/* DELETE with rcn 4 does not reveal them either */
	assert_rsc(f, send_rcn(f, M2M_OP_DELETE, "cse-in/dr", 0, NULL, 4), M2M_RSC_DELETED);
	a = fx_attrs(f, "m2m:cnt");
	txt = json_dumps(a, JSON_COMPACT);
	assert_null(strstr(txt, "SECRET"));
	free(txt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_rcn, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_update_delete_rcn, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_retrieve_rcn, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_children_need_privilege, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_filtered_listing_keeps_grandchildren, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_listing_budget, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_children_honour_disable_retrieval, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
