/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/resource.c: common attributes and the
 * validation of CREATE/UPDATE representations (TS-0004 clauses 7.3.3.3-7.3.3.7) — unknown,
 * read-only, wrongly typed and missing attributes, the wrapper, et, cr, rn rules, timestamps;
 * the per-worker memo of parsed stored bodies.
 */
#include "cse_fixture.h"

static void test_time_and_names(void **state)
{
	char buf[M2M_RES_TIME_LEN];
	int64_t t = 0;

	(void)state;
	m2mi_time_fmt(0, buf);
	assert_string_equal(buf, "19700101T000000");
	m2mi_time_fmt(1700000000, buf);
	assert_string_equal(buf, "20231114T221320");
	assert_true(m2mi_time_parse("20231114T221320", &t));
	assert_int_equal(t, 1700000000);
	assert_true(m2mi_time_parse("20240229T000000", &t));
	assert_false(m2mi_time_parse("20230229T000000", &t));
	assert_false(m2mi_time_parse("20231114 221320", &t));
	assert_false(m2mi_time_parse("20231314T000000", &t));
	assert_false(m2mi_time_parse("2023111T221320", &t));
	assert_false(m2mi_time_parse("20231114T246000", &t));
	assert_false(m2mi_time_parse(NULL, &t));
	assert_true(m2mi_rn_ok("cnt-1_a.b~c"));
	assert_false(m2mi_rn_ok(""));
	assert_false(m2mi_rn_ok("a/b"));
	assert_false(m2mi_rn_ok(".."));
	assert_false(m2mi_rn_ok("a b"));
	assert_false(m2mi_rn_ok("0123456789012345678901234567890123456789012345678901234567890123456789"));
}

static void expect_400(fx *f, m2m_op op, const char *to, int ty, const char *pc, const char *msg)
{
	int rsc = fx_req(f, op, to, "CAdmin", ty, pc);

	if (rsc != M2M_RSC_BAD_REQUEST)
		fail_msg("%s: rsc %d (%s)", pc, rsc, fx_dbg(f));
	if (strstr(fx_dbg(f), msg) == NULL)
		fail_msg("%s: message '%s' lacks '%s'", pc, fx_dbg(f), msg);
}

static void test_create_validation(void **state)
{
	fx *f = *state;

	fx_auth(f);
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"foo\":1}}", "unknown attribute foo");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"ri\":\"x\"}}", "attribute ri is read-only");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"ct\":\"20200101T000000\"}}", "ct is read-only");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"cni\":1}}", "cni is read-only");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"st\":1}}", "st is read-only");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"ty\":3}}", "ty is read-only");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"mni\":\"x\"}}",
		   "attribute mni must be a non-negative integer");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"mni\":-1}}", "mni must be");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"lbl\":\"x\"}}", "lbl must be a list of strings");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"lbl\":[1]}}", "lbl must be a list of strings");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"disr\":1}}", "disr must be a boolean");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"et\":\"tomorrow\"}}", "et must be a timestamp");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"et\":\"20000101T000000\"}}", "et is in the past");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"cr\":\"Cme\"}}", "cr must be null");
	expect_400(f, M2M_OP_CREATE, "cse-in", 2, "{\"m2m:ae\":{\"rr\":true,\"srv\":[\"3\"]}}", "api is mandatory");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:ae\":{}}", "content must be {\"m2m:cnt\"");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{},\"m2m:cin\":{}}", "content must be");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":5}", "content must be");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, NULL, "content must be");
	/* a wrapper that disagrees with ty is refused before the child-type check */
	expect_400(f, M2M_OP_CREATE, "cse-in", 4, "{\"m2m:cnt\":{}}", "content must be {\"m2m:cin\"");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"rn\":\"a b\"}}", "not a valid resource name");
	expect_400(f, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"acpi\":[\"acpNone\"]}}",
		   "is not an accessControlPolicy");
	expect_400(f, M2M_OP_CREATE, "cse-in", 1, "{\"m2m:acp\":{\"acpi\":[]}}", "unknown attribute acpi");
}

static void test_create_common_attributes(void **state)
{
	fx *f = *state;
	char et[M2M_RES_TIME_LEN], now[M2M_RES_TIME_LEN];
	const char *ri;
	json_t *a;

	fx_auth(f);
	ri = fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"lbl\":[\"a\",\"b\"],\"cr\":null}}");
	a = fx_attrs(f, "m2m:cnt");
	assert_string_equal(json_string_value(json_object_get(a, "ri")), ri);
	assert_string_equal(json_string_value(json_object_get(a, "rn")), ri); /* generated name = ri */
	assert_string_equal(json_string_value(json_object_get(a, "pi")), "cse-in");
	assert_int_equal(json_integer_value(json_object_get(a, "ty")), 3);
	assert_string_equal(json_string_value(json_object_get(a, "cr")), "CAdmin");
	assert_int_equal(json_integer_value(json_object_get(a, "st")), 0);
	assert_int_equal(strncmp(ri, "cnt", 3), 0);
	assert_int_equal(strlen(ri), 19);
	m2mi_time_fmt(f->now, now);
	m2mi_time_fmt(f->now + M2MI_DEFAULT_ET, et);
	assert_string_equal(json_string_value(json_object_get(a, "ct")), now);
	assert_string_equal(json_string_value(json_object_get(a, "lt")), now);
	assert_string_equal(json_string_value(json_object_get(a, "et")), et);
	/* without cr: null no creator attribute is shown */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"named\"}}");
	assert_null(json_object_get(fx_attrs(f, "m2m:cnt"), "cr"));
	/* names are unique among siblings */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", 3, "{\"m2m:cnt\":{\"rn\":\"named\"}}"),
		   M2M_RSC_CONFLICT);
	/* la/ol are reserved inside a container; a child et is capped by the parent's */
	expect_400(f, M2M_OP_CREATE, "cse-in/named", 3, "{\"m2m:cnt\":{\"rn\":\"la\"}}", "reserved");
	fx_req(f, M2M_OP_UPDATE, "cse-in/named", "CAdmin", 0, "{\"m2m:cnt\":{\"et\":\"20990101T000000\"}}");
	fx_create(f, "cse-in/named", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"et\":\"21000101T000000\"}}");
	assert_string_equal(fx_str(f, "m2m:cnt", "et"), "20990101T000000");
}

static void test_update_validation(void **state)
{
	fx *f = *state;
	int64_t t0 = f->now;
	char day[M2M_RES_TIME_LEN], pc[128];
	json_t *a;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"u\",\"lbl\":[\"x\"],\"mni\":5}}");
	expect_400(f, M2M_OP_UPDATE, "cse-in/u", 0, "{\"m2m:cnt\":{\"rn\":\"v\"}}", "attribute rn is read-only");
	expect_400(f, M2M_OP_UPDATE, "cse-in/u", 0, "{\"m2m:cnt\":{\"cbs\":0}}", "cbs is read-only");
	expect_400(f, M2M_OP_UPDATE, "cse-in/u", 0, "{\"m2m:cnt\":{\"cr\":null}}", "cr is read-only");
	expect_400(f, M2M_OP_UPDATE, "cse-in/u", 0, "{\"m2m:cnt\":{\"bogus\":true}}", "unknown attribute bogus");
	expect_400(f, M2M_OP_UPDATE, "cse-in/u", 0, "{\"m2m:cnt\":{\"et\":null}}", "et cannot be deleted");
	expect_400(f, M2M_OP_UPDATE, "cse-in/u", 0, "{\"m2m:cin\":{\"con\":\"x\"}}", "content must be {\"m2m:cnt\"");
	expect_400(f, M2M_OP_UPDATE, "cse-in/u", 0, "{\"m2m:cnt\":{}}", "names no attribute");
	expect_400(f, M2M_OP_UPDATE, "cse-in/u", 0, "{\"m2m:cnt\":{\"acpi\":[],\"lbl\":[]}}",
		   "acpi must be the only attribute");
	/* a valid update: lt moves, st increments, null deletes an optional attribute */
	f->now = t0 + 61;
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/u", "CAdmin", 0, "{\"m2m:cnt\":{\"lbl\":null,\"mni\":7}}"),
		   M2M_RSC_UPDATED);
	a = fx_attrs(f, "m2m:cnt");
	assert_null(json_object_get(a, "lbl"));
	assert_int_equal(json_integer_value(json_object_get(a, "mni")), 7);
	assert_int_equal(json_integer_value(json_object_get(a, "st")), 1);
	assert_string_not_equal(json_string_value(json_object_get(a, "lt")), json_string_value(json_object_get(a, "ct")));
	/* the change is stored */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/u", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "mni")), 7);
	/* et earlier than a child's is refused */
	fx_create(f, "cse-in/u", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"kid\"}}");
	m2mi_time_fmt(f->now + 86400, day);
	snprintf(pc, sizeof(pc), "{\"m2m:cnt\":{\"et\":\"%s\"}}", day);
	expect_400(f, M2M_OP_UPDATE, "cse-in/u", 0, pc, "expires after");
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/u/kid", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/u", "CAdmin", 0, pc), M2M_RSC_UPDATED);
	assert_string_equal(fx_str(f, "m2m:cnt", "et"), day);
	f->now = t0;
}

static void test_expired_is_gone(void **state)
{
	fx *f = *state;
	int64_t t0 = f->now;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"old\",\"et\":\"20990101T000000\"}}");
	f->now = 4102444800LL; /* 2100 */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/old", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	/* the name is free again: the stale sibling is replaced */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"old\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/old", "CAdmin", 0, NULL), M2M_RSC_OK);
	f->now = t0;
}

/* The per-worker memo of parsed bodies: never stale across workers, never shared with a caller. */
static void test_parsed_memo(void **state)
{
	fx *f = *state;
	m2m_cse_worker *w1 = f->w, *w2 = NULL;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"memo\",\"lbl\":[\"a\"]}}");
	fx_create(f, "cse-in/memo", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"i1\",\"con\":\"hello\"}}");
	assert_int_equal(m2m_cse_worker_new(f->cse, &w2), M2M_OK);
	f->w = w2; /* prime worker 2's memo with the container and the instance */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/memo", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni")), 1);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/memo/i1", "CAdmin", 0, NULL), M2M_RSC_OK);
	/* a caller modifying its response does not modify the next one */
	assert_int_equal(json_object_set_new(fx_attrs(f, "m2m:cin"), "con", json_string("changed")), 0);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/memo/i1", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_string_equal(fx_str(f, "m2m:cin", "con"), "hello");
	/* worker 1 changes the container (UPDATE, and counters through a new instance) */
	f->w = w1;
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/memo", "CAdmin", 0, "{\"m2m:cnt\":{\"lbl\":[\"b\"]}}"),
		   M2M_RSC_UPDATED);
	fx_create(f, "cse-in/memo", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"x\"}}");
	/* worker 2's next request sees both */
	f->w = w2;
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/memo", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_string_equal(json_string_value(json_array_get(json_object_get(fx_attrs(f, "m2m:cnt"), "lbl"), 0)), "b");
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni")), 2);
	f->w = w1;
	m2m_cse_worker_free(w2);
}

/* UPDATE keeps a child's et within its parent's: TS-0004 7.3.3.4 (a value not accepted) /
 * 7.3.3.7 -> 4000, nothing changed (issue 6: an UPDATE could outlive the parent). */
static void test_update_et_within_parent(void **state)
{
	fx *f = *state;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"par\",\"et\":\"20900101T000000\"}}");
	fx_create(f, "cse-in/par", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"kid\",\"et\":\"20800101T000000\"}}");
	expect_400(f, M2M_OP_UPDATE, "cse-in/par/kid", 0, "{\"m2m:cnt\":{\"et\":\"20950101T000000\"}}", "parent");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/par/kid", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_string_equal(fx_str(f, "m2m:cnt", "et"), "20800101T000000");
	/* equal to the parent's, or earlier: accepted */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/par/kid", "CAdmin", 0, "{\"m2m:cnt\":{\"et\":\"20900101T000000\"}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/par/kid", "CAdmin", 0, "{\"m2m:cnt\":{\"et\":\"20850101T000000\"}}"),
		   M2M_RSC_UPDATED);
	/* the CSEBase has no et: a top-level resource may go anywhere in the future */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/par", "CAdmin", 0, "{\"m2m:cnt\":{\"et\":\"21000101T000000\"}}"),
		   M2M_RSC_UPDATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_and_names),
		cmocka_unit_test_setup_teardown(test_create_validation, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_common_attributes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_update_validation, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_expired_is_gone, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_parsed_memo, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_update_et_within_parent, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
