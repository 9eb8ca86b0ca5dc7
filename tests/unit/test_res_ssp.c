/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/res_ssp.c: the service subscription
 * resources (TS-0004 clauses 7.4.19, 7.4.20, 7.4.29) with their validation and admin-only
 * administration, and the AE registration check of TS-0004 clause 7.3.2.7 with
 * service-subscription = enforce (4128 / 4126 / success, per Credential-ID).
 */
#include "cse_fixture.h"

#define CRED "12-kpsa@sp.example.com"

static void enforce(fx *f)
{
	f->cse->cfg.service_subscription = true;
}

static int reg(fx *f, const char *from, const char *api)
{
	char pc[256];

	snprintf(pc, sizeof(pc), "{\"m2m:ae\":{\"api\":\"%s\",\"rr\":true,\"srv\":[\"3\"]}}", api);
	return fx_req(f, M2M_OP_CREATE, "cse-in", from, M2M_TY_AE, pc);
}

/* A profile with one node of this CSE linking the rule cse-in/rule. */
static void profile(fx *f, const char *rule_body)
{
	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_ASAR, rule_body);
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_MSSP, "{\"m2m:mssp\":{\"rn\":\"prof\"}}");
	fx_create(f, "cse-in/prof", "CAdmin", M2MI_TY_SVSN,
		  "{\"m2m:svsn\":{\"rn\":\"node\",\"ni\":\"urn:uuid:1\",\"csi\":\"/id-in\",\"rlk\":[\"cse-in/rule\"]}}");
}

static void test_validation(void **state)
{
	fx *f = *state;
	static const struct { int ty; const char *to, *pc; } bad[] = {
		{M2MI_TY_SVSN, "cse-in/p", "{\"m2m:svsn\":{\"csi\":\"/id-in\"}}"},                     /* ni mandatory */
		{M2MI_TY_SVSN, "cse-in/p", "{\"m2m:svsn\":{\"ni\":\"\"}}"},
		{M2MI_TY_SVSN, "cse-in/p", "{\"m2m:svsn\":{\"ni\":\"n\",\"rlk\":[\"cse-in/r\"]}}"},   /* rlk needs csi */
		{M2MI_TY_SVSN, "cse-in/p", "{\"m2m:svsn\":{\"ni\":\"n\",\"csi\":\"/id-in\",\"rlk\":[\"cse-in/p\"]}}"},
		{M2MI_TY_SVSN, "cse-in/p", "{\"m2m:svsn\":{\"ni\":\"n\",\"csi\":\"Cae\"}}"},          /* not a CSE-ID */
		{M2MI_TY_SVSN, "cse-in/p", "{\"m2m:svsn\":{\"ni\":\"n\",\"nrq\":\"yes\"}}"},
		{M2MI_TY_SVSN, "cse-in/p", "{\"m2m:svsn\":{\"ni\":\"n\",\"di\":[]}}"},
		{M2MI_TY_SVSN, "cse-in/p", "{\"m2m:svsn\":{\"ni\":\"n\",\"xyz\":1}}"},
		{M2MI_TY_ASAR, "cse-in", "{\"m2m:asar\":{\"aai\":[\"C1\"]}}"},                        /* TS-0004 7.4.29.2.1 */
		{M2MI_TY_ASAR, "cse-in", "{\"m2m:asar\":{\"apci\":[]}}"},
		{M2MI_TY_ASAR, "cse-in", "{\"m2m:asar\":{\"aae\":[\"\"]}}"},
		{M2MI_TY_ASAR, "cse-in", "{\"m2m:asar\":{\"aae\":\"C*\"}}"},
		{M2MI_TY_ASAR, "cse-in", "{\"m2m:asar\":{\"svr\":[\"x\"]}}"},
		{M2MI_TY_MSSP, "cse-in", "{\"m2m:mssp\":{\"ni\":\"x\"}}"},
		{M2MI_TY_SVSN, "cse-in", "{\"m2m:svsn\":{\"ni\":\"n\"}}"},                             /* wrong parent */
	};

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_MSSP, "{\"m2m:mssp\":{\"rn\":\"p\"}}");
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_ASAR, "{\"m2m:asar\":{\"rn\":\"r\",\"aai\":[\"*\",\"R1*\",\"N2\"]}}");
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		int want = i + 1 == M2M_ARRAY_LEN(bad) ? M2M_RSC_INVALID_CHILD_RESOURCE_TYPE : M2M_RSC_BAD_REQUEST;
		assert_rsc(f, fx_req(f, M2M_OP_CREATE, bad[i].to, "CAdmin", bad[i].ty, bad[i].pc), want);
	}
	fx_create(f, "cse-in/p", "CAdmin", M2MI_TY_SVSN,
		  "{\"m2m:svsn\":{\"rn\":\"n\",\"ni\":\"urn:uuid:1\",\"csi\":\"//sp.example.com/id-in\",\"rlk\":[\"cse-in/r\"],"
		  "\"nrq\":false,\"di\":[\"urn:imei:490154203237518\"]}}");
	assert_string_equal(fx_str(f, "m2m:svsn", "ni"), "urn:uuid:1");
	/* nodeID, CSE-ID and deviceIdentifier are write-once; ruleLinks may become empty (no apps) */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/p/n", "CAdmin", 0, "{\"m2m:svsn\":{\"csi\":\"/id-x\"}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/p/n", "CAdmin", 0, "{\"m2m:svsn\":{\"rlk\":[\"nope\"]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/p/n", "CAdmin", 0, "{\"m2m:svsn\":{\"rlk\":[]}}"), M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/r", "CAdmin", 0, "{\"m2m:asar\":{\"aai\":[\"x\"]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/r", "CAdmin", 0, "{\"m2m:asar\":{\"aae\":[\"C*\"]}}"),
		   M2M_RSC_UPDATED);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:asar"), "ty")), 19);
}

/* Only the admin administers profiles, even when an ACP would grant more (fail closed). */
static void test_admin_only(void **state)
{
	fx *f = *state;

	fx_auth(f);
	fx_ae(f, "Cuser", "user");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_ACP,
		  "{\"m2m:acp\":{\"rn\":\"open\",\"pv\":{\"acr\":[{\"acor\":[\"all\"],\"acop\":63}]},"
		  "\"pvs\":{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63}]}}}");
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_ASAR, "{\"m2m:asar\":{\"rn\":\"r\",\"acpi\":[\"cse-in/open\"]}}");
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_MSSP, "{\"m2m:mssp\":{\"rn\":\"p\",\"acpi\":[\"cse-in/open\"]}}");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cuser", M2MI_TY_MSSP, "{\"m2m:mssp\":{}}"),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cuser", M2MI_TY_ASAR, "{\"m2m:asar\":{\"aae\":[\"*\"]}}"),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/p", "Cuser", M2MI_TY_SVSN, "{\"m2m:svsn\":{\"ni\":\"n\"}}"),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/r", "Cuser", 0, "{\"m2m:asar\":{\"aae\":[\"*\"]}}"),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/p", "Cuser", 0, "{\"m2m:mssp\":{\"lbl\":[\"x\"]}}"),
		   M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/r", "Cuser", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/r", "Cuser", 0, NULL), M2M_RSC_OK); /* the ACP grants reading */
	assert_null(json_object_get(fx_attrs(f, "m2m:asar"), "apci"));
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/r", "CAdmin", 0, NULL), M2M_RSC_DELETED);
}

static void test_registration(void **state)
{
	fx *f = *state;

	/* off (the default): no profile needed */
	fx_auth(f);
	assert_rsc(f, reg(f, "Cfree", "Nexample"), M2M_RSC_CREATED);
	enforce(f);
	/* no <serviceSubscribedNode> for this CSE */
	assert_rsc(f, reg(f, "Cnone", "Nexample"), M2M_RSC_SERVICE_SUBSCRIPTION_NOT_ESTABLISHED);
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_MSSP, "{\"m2m:mssp\":{\"rn\":\"other\"}}");
	fx_create(f, "cse-in/other", "CAdmin", M2MI_TY_SVSN, "{\"m2m:svsn\":{\"ni\":\"n\",\"csi\":\"/id-mn\"}}");
	assert_rsc(f, reg(f, "Cnone", "Nexample"), M2M_RSC_SERVICE_SUBSCRIPTION_NOT_ESTABLISHED);
	profile(f, "{\"m2m:asar\":{\"rn\":\"rule\",\"apci\":[\"" CRED "\"],\"aai\":[\"Nexample*\"],\"aae\":[\"Cgood\",\"Cg*x\"]}}");
	/* plain: the rule is for a credential, so no subscription applies */
	fx_plain(f);
	assert_rsc(f, reg(f, "C", "Nexample"), M2M_RSC_SERVICE_SUBSCRIPTION_NOT_ESTABLISHED);
	/* over the credential: the allowed combination registers, others 4126 */
	fx_bound(f, "Cgood");
	assert_rsc(f, reg(f, "Cgood", "Rexample"), M2M_RSC_APP_RULE_VALIDATION_FAILED);
	assert_rsc(f, reg(f, "Cgood", "Nexample.app"), M2M_RSC_CREATED);
	fx_bound(f, "Cgo1x");
	assert_rsc(f, reg(f, "Cgo1x", "Nexample"), M2M_RSC_CREATED);
	fx_bound(f, "Cbad");
	assert_rsc(f, reg(f, "Cbad", "Nexample"), M2M_RSC_APP_RULE_VALIDATION_FAILED);
	assert_rsc(f, reg(f, NULL, "Nexample"), M2M_RSC_APP_RULE_VALIDATION_FAILED); /* assigned: the bound Cbad */
	assert_int_equal(fx_rows(f, "Cbad"), 0);
	/* another credential cannot use the rule, even for an allowed AE-ID */
	fx_bound(f, "Cgo2x");
	snprintf(f->sa.credential_id, sizeof(f->sa.credential_id), "12-kpsa-other@sp.example.com");
	assert_rsc(f, reg(f, "Cgo2x", "Nexample"), M2M_RSC_SERVICE_SUBSCRIPTION_NOT_ESTABLISHED);
	f->sa.credential_id[0] = '\0'; /* unknown credential: nothing applies */
	assert_rsc(f, reg(f, "Cgo2x", "Nexample"), M2M_RSC_SERVICE_SUBSCRIPTION_NOT_ESTABLISHED);
	assert_int_equal(fx_rows(f, "Cgo2x"), 0);
	/* a rule without applicableCredIDs is for registrations without association */
	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_ASAR, "{\"m2m:asar\":{\"rn\":\"plain\",\"aai\":[\"R*\"],\"aae\":[\"C*\"]}}");
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/prof/node", "CAdmin", 0,
			     "{\"m2m:svsn\":{\"rlk\":[\"cse-in/rule\",\"cse-in/plain\"]}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, reg(f, "C", "Rplain"), M2M_RSC_CREATED);
	assert_rsc(f, reg(f, "S", "Rplain"), M2M_RSC_APP_RULE_VALIDATION_FAILED);
	/* an empty ruleLinks allows no application (TS-0001 Table 9.6.20-2, TS-0004 7.3.2.7) */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/prof/node", "CAdmin", 0, "{\"m2m:svsn\":{\"rlk\":[]}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, reg(f, "C", "Rplain"), M2M_RSC_APP_RULE_VALIDATION_FAILED);
	/* a deleted rule no longer allows anything */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/prof/node", "CAdmin", 0, "{\"m2m:svsn\":{\"rlk\":[\"cse-in/plain\"]}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/plain", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	assert_rsc(f, reg(f, "C", "Rplain"), M2M_RSC_APP_RULE_VALIDATION_FAILED);
}

static int get_role(fx *f, const char *from, const char *rid)
{
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/rc", from, 0, NULL);
	f->req.rids = calloc(1, sizeof(char *));
	f->req.rids[0] = strdup(rid);
	f->req.nrids = 1;
	return fx_send(f);
}

/* TS-0001 clause 7.1.14: with service-subscription = enforce a Role-ID of a <role> counts only
 * when allowedRole-IDs (ari) of a rule that applies to the Originator lists it. */
static void test_allowed_role_ids(void **state)
{
	fx *f = *state;
	char pc[400], tnb[M2M_RES_TIME_LEN], tna[M2M_RES_TIME_LEN];
	const char *acp;

	m2mi_time_fmt(f->now - 60, tnb);
	m2mi_time_fmt(f->now + 600, tna);
	fx_auth(f);
	acp = fx_create(f, "cse-in", "CAdmin", M2M_TY_ACP,
			"{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acor\":[\"reader@sp.example.com\",\"writer@sp.example.com\"],"
			"\"acop\":2}]},\"pvs\":{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63}]}}}");
	snprintf(pc, sizeof(pc), "{\"m2m:cnt\":{\"rn\":\"rc\",\"acpi\":[\"%s\"]}}", acp);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, pc);
	for (int i = 0; i < 2; i++) {
		snprintf(pc, sizeof(pc),
			 "{\"m2m:rol\":{\"rlid\":\"%s@sp.example.com\",\"tkis\":\"CAdmin\",\"tkhd\":\"Cgood\",\"tknb\":\"%s\","
			 "\"tkna\":\"%s\"}}", i ? "writer" : "reader", tnb, tna);
		fx_create(f, "cse-in", "CAdmin", M2MI_TY_ROL, pc);
	}
	fx_bound(f, "Cgood");
	assert_rsc(f, reg(f, "Cgood", "Nexample"), M2M_RSC_CREATED);
	/* off: both <role>s count */
	assert_rsc(f, get_role(f, "Cgood", "writer@sp.example.com"), M2M_RSC_OK);
	enforce(f);
	profile(f, "{\"m2m:asar\":{\"rn\":\"rule\",\"apci\":[\"" CRED "\"],\"aai\":[\"N*\"],\"aae\":[\"Cgood\"],"
		   "\"ari\":[\"read*@sp.example.com\"]}}");
	fx_bound(f, "Cgood");
	assert_rsc(f, get_role(f, "Cgood", "reader@sp.example.com"), M2M_RSC_OK);
	assert_rsc(f, get_role(f, "Cgood", "writer@sp.example.com"), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* another credential: the rule does not apply, no role counts */
	snprintf(f->sa.credential_id, sizeof(f->sa.credential_id), "12-kpsa-other@sp.example.com");
	assert_rsc(f, get_role(f, "Cgood", "reader@sp.example.com"), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_validation, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_admin_only, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_registration, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_allowed_role_ids, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
