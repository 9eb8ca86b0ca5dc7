/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/fanout.c, the <fanOutPoint> of a
 * <group> (TS-0004 clause 7.4.14): the access decision per member for the Originator (never
 * the group creator's), membersAccessControlPolicyIDs, CREATE/RETRIEVE/UPDATE/DELETE fanned out
 * with the aggregated m2m:agr response, disableRetrieval, member pruning, NO_MEMBERS, nesting
 * and budget bounds.
 */
#include <sqlite3.h>

#include "cse_fixture.h"

/* Requests of AEs travel over an association bound to them (authenticated); CAdmin over the
 * plain listener with dev-admin-over-plain-http. */
static int as(fx *f, const char *who, m2m_op op, const char *to, int ty, const char *pc)
{
	if (strcmp(who, "CAdmin") == 0)
		fx_plain(f);
	else
		fx_bound(f, who);
	return fx_req(f, op, to, who, ty, pc);
}

/* The aggregated member response whose fr is id; fails when absent. */
static json_t *member(fx *f, const char *id)
{
	json_t *l = json_object_get(json_object_get(f->rsp.pc, "m2m:agr"), "m2m:rsp"), *e;
	size_t i;

	json_array_foreach(l, i, e)
		if (strcmp(json_string_value(json_object_get(e, "fr")), id) == 0)
			return e;
	fail_msg("no member response for %s", id);
	return NULL;
}

static int member_rsc(fx *f, const char *id)
{
	return (int)json_integer_value(json_object_get(member(f, id), "rsc"));
}

static size_t nmembers(fx *f)
{
	return json_array_size(json_object_get(json_object_get(f->rsp.pc, "m2m:agr"), "m2m:rsp"));
}

/* An ACP under parent (created by admin) granting acop to acor, pvs to CAdmin; its ri. */
static const char *acp(fx *f, const char *rn, const char *acor, int acop)
{
	char pc[512];

	snprintf(pc, sizeof(pc),
		 "{\"m2m:acp\":{\"rn\":\"%s\",\"pv\":{\"acr\":[{\"acor\":[%s],\"acop\":%d}]},"
		 "\"pvs\":{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63}]}}}",
		 rn, acor, acop);
	fx_plain(f);
	return fx_create(f, "cse-in", "CAdmin", M2M_TY_ACP, pc);
}

/* Victim Cv owns containers c1 (readable by Ca) and c2 (not); the admin's group g lists both
 * and lets Ca and Cv use it. */
static void world(fx *f)
{
	char pc[512], a1[64], ag[64];

	fx_ae(f, "Ca", "a");
	fx_ae(f, "Cv", "v");
	snprintf(a1, sizeof(a1), "%s", acp(f, "read1", "\"Ca\",\"Cv\"", 63));
	snprintf(ag, sizeof(ag), "%s", acp(f, "useg", "\"Ca\",\"Cv\"", 63));
	snprintf(pc, sizeof(pc), "{\"m2m:cnt\":{\"rn\":\"c1\",\"acpi\":[\"%s\"]}}", a1);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, pc);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c2\"}}"); /* creator only */
	assert_rsc(f, as(f, "CAdmin", M2M_OP_CREATE, "cse-in/c2", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"secret\"}}"),
		   M2M_RSC_CREATED);
	snprintf(pc, sizeof(pc),
		 "{\"m2m:grp\":{\"rn\":\"g\",\"mnm\":10,\"mid\":[\"cse-in/c1\",\"cse-in/c2\"],\"acpi\":[\"%s\"]}}", ag);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP, pc);
}

static void test_access_per_member(void **state)
{
	fx *f = *state;

	world(f);
	assert_rsc(f, as(f, "Ca", M2M_OP_RETRIEVE, "cse-in/g/fopt", 0, NULL), M2M_RSC_OK);
	assert_int_equal(nmembers(f), 2);
	assert_int_equal(member_rsc(f, "cse-in/c1"), M2M_RSC_OK);
	assert_non_null(json_object_get(json_object_get(member(f, "cse-in/c1"), "pc"), "m2m:cnt"));
	assert_string_equal(json_string_value(json_object_get(member(f, "cse-in/c1"), "to")), "Ca");
	assert_non_null(json_object_get(member(f, "cse-in/c1"), "rqi"));
	assert_int_equal(member_rsc(f, "cse-in/c2"), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_null(json_object_get(json_object_get(member(f, "cse-in/c2"), "pc"), "m2m:cnt"));
	/* the instances of c2 do not leak through a relative path either */
	assert_rsc(f, as(f, "Ca", M2M_OP_RETRIEVE, "cse-in/g/fopt/la", 0, NULL), M2M_RSC_OK);
	assert_int_equal(member_rsc(f, "cse-in/c2"), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_int_equal(member_rsc(f, "cse-in/c1"), M2M_RSC_NOT_FOUND); /* no instance yet */
	/* the unstructured form of the group works too */
	assert_rsc(f, as(f, "CAdmin", M2M_OP_RETRIEVE, "cse-in/g", 0, NULL), M2M_RSC_OK);
	{
		char to[96];
		snprintf(to, sizeof(to), "%s/fopt", fx_str(f, "m2m:grp", "ri"));
		assert_rsc(f, as(f, "Ca", M2M_OP_RETRIEVE, to, 0, NULL), M2M_RSC_OK);
		assert_int_equal(member_rsc(f, "cse-in/c2"), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	}
}

static void test_group_privilege(void **state)
{
	fx *f = *state;
	char pc[512], am[64];

	world(f);
	fx_ae(f, "Cz", "z");
	/* no privilege on the group: refused as a whole, no member touched */
	assert_rsc(f, as(f, "Cz", M2M_OP_RETRIEVE, "cse-in/g/fopt", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_null(json_object_get(f->rsp.pc, "m2m:agr"));
	/* a group whose acpi is empty: only its creator (the admin) */
	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"rn\":\"g0\",\"mnm\":3,\"mid\":[\"cse-in/c1\"]}}");
	assert_rsc(f, as(f, "Ca", M2M_OP_RETRIEVE, "cse-in/g0/fopt", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* membersAccessControlPolicyIDs decides instead of acpi (TS-0004 7.4.14.3.3) */
	snprintf(am, sizeof(am), "%s", acp(f, "members", "\"Cz\"", 2));
	snprintf(pc, sizeof(pc), "{\"m2m:grp\":{\"macp\":[\"%s\"]}}", am);
	assert_rsc(f, as(f, "CAdmin", M2M_OP_UPDATE, "cse-in/g", 0, pc), M2M_RSC_UPDATED);
	assert_rsc(f, as(f, "Ca", M2M_OP_RETRIEVE, "cse-in/g/fopt", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, as(f, "Cz", M2M_OP_RETRIEVE, "cse-in/g/fopt", 0, NULL), M2M_RSC_OK);
	assert_int_equal(member_rsc(f, "cse-in/c1"), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE); /* Cz may not read c1 */
	/* macp grants RETRIEVE only */
	assert_rsc(f, as(f, "Cz", M2M_OP_DELETE, "cse-in/g/fopt", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, as(f, "CAdmin", M2M_OP_RETRIEVE, "cse-in/c1", 0, NULL), M2M_RSC_OK);
}

static void test_create_and_disr(void **state)
{
	fx *f = *state;

	world(f);
	/* Cv may write c1 but not c2 */
	assert_rsc(f, as(f, "Cv", M2M_OP_CREATE, "cse-in/g/fopt", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"v1\"}}"),
		   M2M_RSC_OK);
	assert_int_equal(member_rsc(f, "cse-in/c1"), M2M_RSC_CREATED);
	assert_non_null(json_object_get(json_object_get(member(f, "cse-in/c1"), "pc"), "m2m:cin"));
	assert_int_equal(member_rsc(f, "cse-in/c2"), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, as(f, "CAdmin", M2M_OP_CREATE, "cse-in/g/fopt", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"x\"}}"),
		   M2M_RSC_OK);
	assert_int_equal(member_rsc(f, "cse-in/c1"), M2M_RSC_CREATED);
	assert_int_equal(member_rsc(f, "cse-in/c2"), M2M_RSC_CREATED);
	assert_rsc(f, as(f, "CAdmin", M2M_OP_RETRIEVE, "cse-in/c1", 0, NULL), M2M_RSC_OK);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni")), 2);
	assert_rsc(f, as(f, "Ca", M2M_OP_RETRIEVE, "cse-in/g/fopt/la", 0, NULL), M2M_RSC_OK);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(member(f, "cse-in/c1"), "pc"), "m2m:cin"), "con")),
			    "x");
	/* disableRetrieval on c1: its instances are not readable through the fanOutPoint */
	assert_rsc(f, as(f, "CAdmin", M2M_OP_UPDATE, "cse-in/c1", 0, "{\"m2m:cnt\":{\"disr\":true}}"), M2M_RSC_UPDATED);
	assert_rsc(f, as(f, "Ca", M2M_OP_RETRIEVE, "cse-in/g/fopt/la", 0, NULL), M2M_RSC_OK);
	assert_int_equal(member_rsc(f, "cse-in/c1"), M2M_RSC_OPERATION_NOT_ALLOWED);
	assert_null(json_object_get(json_object_get(member(f, "cse-in/c1"), "pc"), "m2m:cin"));
	assert_rsc(f, as(f, "Ca", M2M_OP_RETRIEVE, "cse-in/g/fopt/ol", 0, NULL), M2M_RSC_OK);
	assert_int_equal(member_rsc(f, "cse-in/c1"), M2M_RSC_OPERATION_NOT_ALLOWED);
	/* UPDATE fans out too */
	assert_rsc(f, as(f, "Cv", M2M_OP_UPDATE, "cse-in/g/fopt", 0, "{\"m2m:cnt\":{\"lbl\":[\"k\"]}}"), M2M_RSC_OK);
	assert_int_equal(member_rsc(f, "cse-in/c1"), M2M_RSC_UPDATED);
	assert_int_equal(member_rsc(f, "cse-in/c2"), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* subscriptions through a fanOutPoint are not implemented */
	assert_rsc(f, as(f, "CAdmin", M2M_OP_CREATE, "cse-in/g/fopt", M2M_TY_SUB,
			 "{\"m2m:sub\":{\"nu\":[\"http://127.0.0.1:9/x\"]}}"),
		   M2M_RSC_NOT_IMPLEMENTED);
}

static void test_prune(void **state)
{
	fx *f = *state;
	json_t *a;

	world(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c3\"}}");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP,
		  "{\"m2m:grp\":{\"rn\":\"h\",\"mnm\":9,\"mid\":[\"cse-in/c3\",\"cse-in/g/fopt\",\"/id-other/x\"]}}");
	/* a member the group member index does not know (an ID form a schema-1 store migrated
	 * without resolving: simulated by dropping its row) stays listed when deleted directly, and is
	 * dropped when a fan-out finds it gone (deletion-time pruning: test_res_grp.c) */
	{
		sqlite3 *db = NULL;

		assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "DELETE FROM grp_member WHERE mid = 'cse-in/c3'", NULL, NULL, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_changes(db), 1);
		sqlite3_close(db);
	}
	assert_rsc(f, as(f, "CAdmin", M2M_OP_DELETE, "cse-in/c3", 0, NULL), M2M_RSC_DELETED);
	assert_rsc(f, as(f, "CAdmin", M2M_OP_RETRIEVE, "cse-in/h/fopt", 0, NULL), M2M_RSC_OK);
	assert_int_equal(member_rsc(f, "cse-in/c3"), M2M_RSC_NOT_FOUND);
	/* another CSE: forwarded only for an Originator that came over a security association
	 * (forward.c); this fixture's requests have none */
	assert_int_equal(member_rsc(f, "/id-other/x"), M2M_RSC_SECURITY_ASSOCIATION_REQUIRED);
	/* the sub-group's fanOutPoint fans out to g's members, each answer nested */
	a = json_object_get(member(f, "cse-in/g/fopt"), "pc");
	assert_int_equal(json_array_size(json_object_get(json_object_get(a, "m2m:agr"), "m2m:rsp")), 2);
	assert_rsc(f, as(f, "CAdmin", M2M_OP_RETRIEVE, "cse-in/h", 0, NULL), M2M_RSC_OK);
	a = fx_attrs(f, "m2m:grp");
	assert_int_equal(json_array_size(json_object_get(a, "mid")), 2); /* the remote one stays: not ours */
	assert_int_equal(json_integer_value(json_object_get(a, "cnm")), 2);
	/* DELETE of the fanOutPoint removes the members that answered DELETED */
	assert_rsc(f, as(f, "Cv", M2M_OP_DELETE, "cse-in/g/fopt", 0, NULL), M2M_RSC_OK);
	assert_int_equal(member_rsc(f, "cse-in/c1"), M2M_RSC_DELETED);
	assert_int_equal(member_rsc(f, "cse-in/c2"), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, as(f, "CAdmin", M2M_OP_RETRIEVE, "cse-in/g", 0, NULL), M2M_RSC_OK);
	a = fx_attrs(f, "m2m:grp");
	assert_int_equal(json_array_size(json_object_get(a, "mid")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(a, "mid"), 0)), "cse-in/c2");
	assert_int_equal(json_integer_value(json_object_get(a, "cnm")), 1);
	assert_rsc(f, as(f, "CAdmin", M2M_OP_DELETE, "cse-in/g/fopt", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, as(f, "CAdmin", M2M_OP_RETRIEVE, "cse-in/g/fopt", 0, NULL), M2M_RSC_NO_MEMBERS);
}

static void test_bounds(void **state)
{
	fx *f = *state;

	world(f);
	/* a group that contains its own fanOutPoint: nesting stops at M2MI_FOPT_DEPTH */
	assert_rsc(f, as(f, "CAdmin", M2M_OP_UPDATE, "cse-in/g", 0,
			 "{\"m2m:grp\":{\"mid\":[\"cse-in/c1\",\"cse-in/g/fopt\"]}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, as(f, "Ca", M2M_OP_RETRIEVE, "cse-in/g/fopt", 0, NULL), M2M_RSC_OK);
	{
		json_t *e = member(f, "cse-in/g/fopt");
		int depth = 1;
		while (json_integer_value(json_object_get(e, "rsc")) == M2M_RSC_OK &&
		       json_object_get(json_object_get(e, "pc"), "m2m:agr") != NULL) {
			json_t *l = json_object_get(json_object_get(json_object_get(e, "pc"), "m2m:agr"), "m2m:rsp");
			e = json_array_get(l, 1);
			depth++;
		}
		assert_int_equal(depth, M2MI_FOPT_DEPTH);
		assert_int_equal(json_integer_value(json_object_get(e, "rsc")), M2M_RSC_BAD_REQUEST);
	}
	/* CREATE of a type the members cannot hold (mt = container) */
	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"rn\":\"k\",\"mt\":3,\"mnm\":3,\"mid\":[\"cse-in/c1\"]}}");
	assert_rsc(f, as(f, "CAdmin", M2M_OP_CREATE, "cse-in/k/fopt", M2M_TY_ACP,
			 "{\"m2m:acp\":{\"pv\":{\"acr\":[]},\"pvs\":{\"acr\":[]}}}"),
		   M2M_RSC_INVALID_CHILD_RESOURCE_TYPE);
	/* a name that is no group's fanOutPoint is an ordinary (missing) resource */
	assert_rsc(f, as(f, "CAdmin", M2M_OP_RETRIEVE, "cse-in/c1/fopt", 0, NULL), M2M_RSC_NOT_FOUND);
	assert_rsc(f, as(f, "CAdmin", M2M_OP_RETRIEVE, "cse-in/g/fopto", 0, NULL), M2M_RSC_NOT_FOUND);
	/* the fanOutPoint's name cannot be taken by a child of the group */
	assert_rsc(f, as(f, "CAdmin", M2M_OP_CREATE, "cse-in/g", M2M_TY_SUB,
			 "{\"m2m:sub\":{\"rn\":\"fopt\",\"nu\":[\"http://127.0.0.1:9/x\"]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_true(strstr(fx_dbg(f), "reserved") != NULL);
}

static void test_budgets(void **state)
{
	fx *f = *state;
	size_t cap = 64 + (size_t)M2MI_GRP_MAX_MEMBERS * 24;
	char *pc = malloc(cap), *p = pc;
	json_t *e;

	world(f);
	/* 999 members elsewhere, then a sub-group: its members are past the request's budget */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP, "{\"m2m:grp\":{\"rn\":\"h\",\"mnm\":2,\"mid\":[\"cse-in/c1\",\"cse-in/c2\"]}}");
	p += snprintf(p, cap, "{\"m2m:grp\":{\"rn\":\"big\",\"mnm\":%d,\"mid\":[", M2MI_GRP_MAX_MEMBERS);
	for (int i = 0; i < M2MI_FOPT_OPS - 1; i++)
		p += snprintf(p, cap - (size_t)(p - pc), "\"/id-other/x%d\",", i);
	snprintf(p, cap - (size_t)(p - pc), "\"cse-in/h/fopt\"]}}");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP, pc);
	assert_rsc(f, as(f, "CAdmin", M2M_OP_RETRIEVE, "cse-in/big/fopt", 0, NULL), M2M_RSC_OK);
	assert_int_equal(nmembers(f), M2MI_FOPT_OPS);
	assert_int_equal(member_rsc(f, "/id-other/x7"), M2M_RSC_SECURITY_ASSOCIATION_REQUIRED);
	e = json_object_get(json_object_get(member(f, "cse-in/h/fopt"), "pc"), "m2m:agr");
	assert_int_equal(json_array_size(json_object_get(e, "m2m:rsp")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(e, "m2m:rsp"), 0), "rsc")),
			 M2M_RSC_MAX_NUMBER_OF_MEMBER_EXCEEDED);
	assert_rsc(f, as(f, "CAdmin", M2M_OP_RETRIEVE, "cse-in/c1", 0, NULL), M2M_RSC_OK); /* untouched */
	/* member content beyond the aggregate's size budget is left out, the rsc kept */
	p = pc = realloc(pc, cap = M2MI_FOPT_BYTES * 2 / 3 + 64);
	p += snprintf(p, cap, "{\"m2m:cin\":{\"con\":\"");
	memset(p, 'z', M2MI_FOPT_BYTES * 2 / 3);
	snprintf(p + M2MI_FOPT_BYTES * 2 / 3, 8, "\"}}");
	assert_rsc(f, as(f, "CAdmin", M2M_OP_CREATE, "cse-in/c1", M2M_TY_CIN, pc), M2M_RSC_CREATED);
	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_GRP,
		  "{\"m2m:grp\":{\"rn\":\"s\",\"mnm\":2,\"mid\":[\"cse-in/c1/la\",\"/id-in/cse-in/c1/la\"]}}");
	assert_rsc(f, as(f, "CAdmin", M2M_OP_RETRIEVE, "cse-in/s/fopt", 0, NULL), M2M_RSC_OK);
	assert_int_equal(member_rsc(f, "cse-in/c1/la"), M2M_RSC_OK);
	assert_non_null(json_object_get(json_object_get(member(f, "cse-in/c1/la"), "pc"), "m2m:cin"));
	assert_int_equal(member_rsc(f, "/id-in/cse-in/c1/la"), M2M_RSC_OK);
	e = json_object_get(member(f, "/id-in/cse-in/c1/la"), "pc");
	assert_null(json_object_get(e, "m2m:cin"));
	assert_non_null(json_object_get(e, "m2m:dbg"));
	free(pc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_access_per_member, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_group_privilege, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_and_disr, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_prune, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bounds, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_budgets, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
