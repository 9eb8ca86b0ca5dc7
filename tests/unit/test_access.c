/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/access.c: ACP permit/deny for each
 * operation through accessControlPolicyIDs, inheritance by <contentInstance>, the default
 * creator-only policy, selfPrivileges for ACP targets and acpi updates, acaf with rq_authn,
 * request contexts, and invalidation of cached rule sets on ACP UPDATE (also across workers).
 */
#include "cse_fixture.h"

/* Owner Cown with container cse-in/own/data; Coth another registered AE. */
static void world(fx *f)
{
	fx_ae(f, "Cown", "own");
	fx_ae(f, "Coth", "oth");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"data\"}}");
	fx_create(f, "cse-in/own/data", "Cown", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"v\",\"con\":\"1\"}}");
}

/* An ACP under the owner's AE; returns its ri. */
static const char *acp(fx *f, const char *rn, const char *pv, const char *pvs)
{
	char pc[1024];

	snprintf(pc, sizeof(pc), "{\"m2m:acp\":{\"rn\":\"%s\",\"pv\":%s,\"pvs\":%s}}", rn, pv, pvs);
	return fx_create(f, "cse-in/own", "Cown", M2M_TY_ACP, pc);
}

static void set_acpi(fx *f, const char *to, const char *by, const char *ri, int want)
{
	char pc[256];

	snprintf(pc, sizeof(pc), "{\"m2m:cnt\":{\"acpi\":[\"%s\"]}}", ri);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, to, by, 0, pc), want);
}

#define PVS_OWN "{\"acr\":[{\"acor\":[\"Cown\"],\"acop\":63}]}"
#define CIN_PC "{\"m2m:cin\":{\"con\":\"x\"}}"
#define LBL_PC "{\"m2m:cnt\":{\"lbl\":[\"x\"]}}"

static void test_default_creator_policy(void **state)
{
	fx *f = *state;

	fx_auth(f);
	world(f);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cown", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data/v", "Cown", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Coth", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data/la", "Coth", 0, NULL),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/data", "Coth", 0, LBL_PC), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/own/data", "Coth", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/own/data", "Coth", M2M_TY_CIN, CIN_PC),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* only the creator may set acpi on a resource that has none */
	set_acpi(f, "cse-in/own/data", "Coth", M2MI_ADMIN_ACP, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* the 4103 leaks nothing of the target */
	assert_null(json_object_get(f->rsp.pc, "m2m:cnt"));
}

static void test_each_operation(void **state)
{
	fx *f = *state;
	const char *a;
	char ri[64], pv[256];
	static const struct {
		int acop;
		m2m_op op;
		int ty;
		const char *pc;
		int ok;
	} cases[] = {
		{2, M2M_OP_RETRIEVE, 0, NULL, M2M_RSC_OK},
		{1, M2M_OP_CREATE, M2M_TY_CIN, CIN_PC, M2M_RSC_CREATED},
		{4, M2M_OP_UPDATE, 0, LBL_PC, M2M_RSC_UPDATED},
		{8, M2M_OP_DELETE, 0, NULL, M2M_RSC_DELETED},
	};

	fx_auth(f);
	world(f);
	a = acp(f, "a1", "{\"acr\":[]}", PVS_OWN);
	snprintf(ri, sizeof(ri), "%s", a);
	set_acpi(f, "cse-in/own/data", "Cown", ri, M2M_RSC_UPDATED);
	/* pv grants nothing now, not even to the owner */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cown", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		/* each operation is denied while its bit is missing ... */
		snprintf(pv, sizeof(pv), "{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acor\":[\"Coth\"],\"acop\":%d}]}}}",
			 63 & ~cases[i].acop);
		assert_rsc(f, fx_req(f, M2M_OP_UPDATE, ri, "Cown", 0, pv), M2M_RSC_UPDATED);
		assert_rsc(f, fx_req(f, cases[i].op, "cse-in/own/data", "Coth", cases[i].ty, cases[i].pc),
			   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
		/* ... and permitted with exactly that bit (the cached rules follow the UPDATE) */
		snprintf(pv, sizeof(pv), "{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acor\":[\"Coth\"],\"acop\":%d}]}}}",
			 cases[i].acop);
		assert_rsc(f, fx_req(f, M2M_OP_UPDATE, ri, "Cown", 0, pv), M2M_RSC_UPDATED);
		assert_rsc(f, fx_req(f, cases[i].op, "cse-in/own/data", "Coth", cases[i].ty, cases[i].pc), cases[i].ok);
		/* and not for somebody else */
		if (cases[i].op != M2M_OP_DELETE)
			assert_rsc(f, fx_req(f, cases[i].op, "cse-in/own/data", "Cown", cases[i].ty, cases[i].pc),
				   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	}
}

static void test_inheritance_and_acp_target(void **state)
{
	fx *f = *state;
	char ri[64];

	fx_auth(f);
	world(f);
	snprintf(ri, sizeof(ri), "%s", acp(f, "a2", "{\"acr\":[{\"acor\":[\"Coth\",\"Cown\"],\"acop\":2}]}", PVS_OWN));
	set_acpi(f, "cse-in/own/data", "Cown", ri, M2M_RSC_UPDATED);
	/* a contentInstance is decided on its container's policies */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data/v", "Coth", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data/la", "Coth", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/own/data/v", "Coth", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* an ACP is decided on its own pvs */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, ri, "Coth", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, ri, "Cown", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, ri, "Coth", 0, "{\"m2m:acp\":{\"pvs\":{\"acr\":[{\"acor\":[\"Coth\"],\"acop\":63}]}}}"),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, ri, "Coth", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* deleting the ACP leaves a dangling acpi: nothing is granted (fail closed) */
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, ri, "Cown", 0, NULL), M2M_RSC_DELETED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Coth", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cown", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
}

static void test_acpi_update_uses_pvs(void **state)
{
	fx *f = *state;
	char a[64], b[64];

	fx_auth(f);
	world(f);
	/* pv lets Coth update, pvs only Cown */
	snprintf(a, sizeof(a), "%s", acp(f, "a3", "{\"acr\":[{\"acor\":[\"Coth\"],\"acop\":6}]}", PVS_OWN));
	snprintf(b, sizeof(b), "%s", acp(f, "a4", "{\"acr\":[{\"acor\":[\"Coth\"],\"acop\":63}]}", PVS_OWN));
	set_acpi(f, "cse-in/own/data", "Cown", a, M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/data", "Coth", 0, LBL_PC), M2M_RSC_UPDATED);
	set_acpi(f, "cse-in/own/data", "Coth", b, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* the owner is not in pv, but pvs lets it re-point acpi */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/data", "Cown", 0, LBL_PC), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	set_acpi(f, "cse-in/own/data", "Cown", b, M2M_RSC_UPDATED);
	assert_string_equal(json_string_value(json_array_get(json_object_get(fx_attrs(f, "m2m:cnt"), "acpi"), 0)), b);
	/* acpi may name the ACP in structured form too; dangling entries are refused */
	set_acpi(f, "cse-in/own/data", "Cown", "cse-in/own/a3", M2M_RSC_UPDATED);
	set_acpi(f, "cse-in/own/data", "Cown", "cse-in/own/nope", M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/data", "Coth", 0, LBL_PC), M2M_RSC_UPDATED);
	/* acpi: null restores the creator policy */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/data", "Cown", 0, "{\"m2m:cnt\":{\"acpi\":null}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Coth", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cown", 0, NULL), M2M_RSC_OK);
}

static void test_authn_and_context(void **state)
{
	fx *f = *state;
	char ri[64];

	fx_auth(f);
	world(f);
	snprintf(ri, sizeof(ri), "%s",
		 acp(f, "a5",
		     "{\"acr\":[{\"acor\":[\"Coth\"],\"acop\":2,\"acaf\":true},"
		     "{\"acor\":[\"all\"],\"acop\":2,\"acco\":[{\"acip\":{\"ipv4\":[\"192.0.2.0/24\"]}}]}]}",
		     PVS_OWN));
	set_acpi(f, "cse-in/own/data", "Cown", ri, M2M_RSC_UPDATED);
	/* acaf: Coth over plain HTTP is not authenticated */
	fx_plain(f);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Coth", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	fx_bound(f, "Coth");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Coth", 0, NULL), M2M_RSC_OK);
	/* the acip context: anybody from 192.0.2.0/24 */
	fx_plain(f);
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cown", 0, NULL);
	f->req.ip_family = 4;
	memcpy(f->req.ip, (const uint8_t[]){192, 0, 2, 7}, 4);
	assert_rsc(f, fx_send(f), M2M_RSC_OK);
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cown", 0, NULL);
	f->req.ip_family = 4;
	memcpy(f->req.ip, (const uint8_t[]){198, 51, 100, 7}, 4);
	assert_rsc(f, fx_send(f), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
}

/* A second worker with its own cache sees the UPDATE through the version. */
static void test_cache_across_workers(void **state)
{
	fx *f = *state;
	m2m_cse_worker *w1 = f->w, *w2 = NULL;
	char ri[64];

	fx_auth(f);
	world(f);
	snprintf(ri, sizeof(ri), "%s", acp(f, "a6", "{\"acr\":[{\"acor\":[\"Coth\"],\"acop\":2}]}", PVS_OWN));
	set_acpi(f, "cse-in/own/data", "Cown", ri, M2M_RSC_UPDATED);
	assert_int_equal(m2m_cse_worker_new(f->cse, &w2), M2M_OK);
	f->w = w2;
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Coth", 0, NULL), M2M_RSC_OK); /* cached in w2 */
	f->w = w1;
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, ri, "Cown", 0, "{\"m2m:acp\":{\"pv\":{\"acr\":[]}}}"), M2M_RSC_UPDATED);
	f->w = w2;
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Coth", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	f->w = w1;
	m2m_cse_worker_free(w2);
}

/* Role-IDs are claims: with no verification source (no <role> resources yet) a Role-ID in acor
 * never matches, whatever rids the request carries (issue 6: `?rids=operator@...` got in). */
static void test_unverified_role_ids_grant_nothing(void **state)
{
	fx *f = *state;
	char ri[64];

	fx_auth(f);
	world(f);
	snprintf(ri, sizeof(ri), "%s",
		 acp(f, "r1", "{\"acr\":[{\"acor\":[\"operator@m2m.example.org\"],\"acop\":63}]}", PVS_OWN));
	set_acpi(f, "cse-in/own/data", "Cown", ri, M2M_RSC_UPDATED);
	for (int plain = 0; plain < 2; plain++) {
		if (plain)
			fx_plain(f);
		else
			fx_auth(f);
		fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Coth", 0, NULL);
		f->req.rids = calloc(1, sizeof(char *));
		assert_non_null(f->req.rids);
		f->req.rids[0] = strdup("operator@m2m.example.org");
		f->req.nrids = 1;
		assert_rsc(f, fx_send(f), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
		fx_prepare(f, M2M_OP_CREATE, "cse-in/own/data", "Coth", M2M_TY_CIN, CIN_PC);
		f->req.rids = calloc(1, sizeof(char *));
		assert_non_null(f->req.rids);
		f->req.rids[0] = strdup("operator@M2M.example.org");
		f->req.nrids = 1;
		assert_rsc(f, fx_send(f), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	}
}

/* The creator rule needs an authenticated originator: over plain HTTP a From naming the creator
 * gets nothing from it (issue 6: plain-HTTP impersonation), and what an unauthenticated
 * originator creates has no creator. */
static void test_creator_rule_needs_authentication(void **state)
{
	fx *f = *state;
	char ri[64];

	fx_auth(f);
	world(f);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data/v", "Cown", 0, NULL), M2M_RSC_OK);
	fx_plain(f);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own", "Cown", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cown", 0, NULL),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/own/data/v", "Cown", 0, NULL),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/own/data", "Cown", M2M_TY_CIN, CIN_PC),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own", "Cown", 0, "{\"m2m:ae\":{\"poa\":[\"http://x\"]}}"),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/own/data", "Cown", 0, NULL),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* an ACP granting unauthenticated originators applies; what they create has no creator */
	fx_auth(f);
	snprintf(ri, sizeof(ri), "%s", acp(f, "c1", "{\"acr\":[{\"acor\":[\"Cown\"],\"acop\":1}]}", PVS_OWN));
	set_acpi(f, "cse-in/own/data", "Cown", ri, M2M_RSC_UPDATED);
	fx_plain(f);
	fx_create(f, "cse-in/own/data", "Cown", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"u\",\"con\":\"1\"}}");
	{
		m2m_resstore *st = NULL;
		m2m_res r = {0};
		assert_int_equal(m2m_resstore_open(f->db, &st), M2M_OK);
		assert_int_equal(m2m_resstore_get_path(st, "cse-in/own/data/u", &r), M2M_OK);
		assert_null(r.cr);
		m2m_res_clear(&r);
		assert_int_equal(m2m_resstore_get_path(st, "cse-in/own/data/v", &r), M2M_OK);
		assert_non_null(r.cr); /* created by the authenticated Cown */
		m2m_res_clear(&r);
		m2m_resstore_free(st);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default_creator_policy, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_each_operation, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inheritance_and_acp_target, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_acpi_update_uses_pvs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_authn_and_context, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cache_across_workers, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unverified_role_ids_grant_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_creator_rule_needs_authentication, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
