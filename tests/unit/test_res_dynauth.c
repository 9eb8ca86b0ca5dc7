/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of <role>, <token> and <dynamicAuthorizationConsultation>
 * (res_dynauth.c; TS-0001 clauses 9.6.38-9.6.40, TS-0004 clauses 7.4.36, 7.4.40, 7.4.41) and of
 * the daci common attribute: validation with exact RSCs, who may create them, role verification
 * of rids and the revocation of a token by deleting its <token>.
 */
#include "token_cse_fixture.h"

static char *role_pc(const char *rlid, const char *holder, int64_t nb, int64_t na)
{
	char tnb[M2M_RES_TIME_LEN], tna[M2M_RES_TIME_LEN], *pc = malloc(512);

	m2mi_time_fmt(nb, tnb);
	m2mi_time_fmt(na, tna);
	snprintf(pc, 512, "{\"m2m:rol\":{\"rlid\":\"%s\",\"tkis\":\"CAdmin\",\"tkhd\":\"%s\",\"tknb\":\"%s\",\"tkna\":\"%s\"}}",
		 rlid, holder, tnb, tna);
	return pc;
}

static int get_rids(afx *a, const char *fr, const char *rid, const char *to)
{
	fx_prepare(a->f, M2M_OP_RETRIEVE, to, fr, 0, NULL);
	a->f->req.rids = calloc(1, sizeof(char *));
	a->f->req.rids[0] = strdup(rid);
	a->f->req.nrids = 1;
	return fx_send(a->f);
}

static void test_role_verification(void **state)
{
	afx *a = open_cse(true, NULL);
	fx *f = a->f;
	char *pc;

	(void)state;
	/* an ACP under Cown's AE granting the Role-ID reader@sp.example.com RETRIEVE on "ro" */
	const char *acp = fx_create(f, "cse-in/own", "Cown", M2M_TY_ACP,
				    "{\"m2m:acp\":{\"rn\":\"ra\",\"pv\":{\"acr\":[{\"acor\":[\"reader@sp.example.com\"],\"acop\":2}]},"
				    "\"pvs\":{\"acr\":[{\"acor\":[\"Cown\"],\"acop\":63}]}}}");
	char body[256];
	snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"rn\":\"ro\",\"acpi\":[\"%s\"]}}", acp);
	fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, body);
	/* a claimed Role-ID without <role> grants nothing */
	assert_rsc(f, get_rids(a, "Cae1", "reader@sp.example.com", "cse-in/own/ro"), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* only the administrator issues roles (4103 for anybody else) and validates them (4000) */
	pc = role_pc("reader@sp.example.com", "Cae1", NOW - 10, NOW + 600);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cae1", M2MI_TY_ROL, pc), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	free(pc);
	pc = role_pc("no-at-sign", "Cae1", NOW - 10, NOW + 600);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2MI_TY_ROL, pc), M2M_RSC_BAD_REQUEST);
	free(pc);
	pc = role_pc("reader@sp.example.com", "Cae1", NOW + 600, NOW - 10);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2MI_TY_ROL, pc), M2M_RSC_BAD_REQUEST);
	free(pc);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2MI_TY_ROL, "{\"m2m:rol\":{\"rlid\":\"r@x.org\"}}"),
		   M2M_RSC_BAD_REQUEST); /* tkis, tkhd, tknb, tkna are mandatory */
	/* the role of Cae1, an expired one of Cae3 */
	pc = role_pc("reader@sp.example.com", "Cae1", NOW - 10, NOW + 600);
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_ROL, pc);
	free(pc);
	pc = role_pc("reader@sp.example.com", "Cae3", NOW - 600, NOW - 10);
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_ROL, pc);
	free(pc);
	assert_rsc(f, get_rids(a, "Cae1", "reader@sp.example.com", "cse-in/own/ro"), M2M_RSC_OK);
	assert_rsc(f, get_rids(a, "Cae3", "reader@sp.example.com", "cse-in/own/ro"), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	fx_plain(f); /* not authenticated: no role is verified */
	assert_rsc(f, get_rids(a, "Cae1", "reader@sp.example.com", "cse-in/own/ro"), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	close_cse(a);
}

static void test_token_resource_and_revocation(void **state)
{
	afx *a = open_cse(true, NULL);
	fx *f = a->f;
	char *t = tok(a, HOLDER, a->cnt, 2), *pc = malloc(strlen(t) + 256);

	(void)state;
	/* tkid must be the token's jti */
	sprintf(pc, "{\"m2m:tk\":{\"tkid\":\"other@sp.example.com\",\"tkob\":\"%s\"}}", t);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2MI_TY_TK, pc), M2M_RSC_BAD_REQUEST);
	/* a tokenObject that does not verify */
	sprintf(pc, "{\"m2m:tk\":{\"tkid\":\"" JTI "\",\"tkob\":\"%s\"}}", "x.y.z");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2MI_TY_TK, pc), M2M_RSC_BAD_REQUEST);
	/* only its holder (or the administrator) stores it */
	sprintf(pc, "{\"m2m:tk\":{\"tkid\":\"" JTI "\",\"tkob\":\"%s\",\"tkhd\":\"Cae3\"}}", t);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cae3", M2MI_TY_TK, pc), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2MI_TY_TK, pc), M2M_RSC_CREATED);
	/* the claim attributes are the verified ones, not the request's */
	assert_string_equal(fx_str(f, "m2m:tk", "tkhd"), HOLDER);
	assert_string_equal(fx_str(f, "m2m:tk", "tkis"), ISS);
	char ri[64];
	snprintf(ri, sizeof(ri), "%s", f->rsp.location);
	/* tids names it */
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cae1", 0, NULL);
	f->req.tids = calloc(1, sizeof(char *));
	f->req.tids[0] = strdup(JTI);
	f->req.ntids = 1;
	assert_rsc(f, fx_send(f), M2M_RSC_OK);
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cae1", 0, NULL);
	f->req.tkns = strdup(t);
	assert_rsc(f, fx_send(f), M2M_RSC_OK); /* now cached */
	/* deleting the <token> revokes the token, cached or presented again */
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, ri, "CAdmin", 0, NULL), M2M_RSC_DELETED);
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cae1", 0, NULL);
	f->req.tkns = strdup(t);
	assert_rsc(f, fx_send(f), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	free(t);
	free(pc);
	close_cse(a);
}

static void test_dac_and_daci(void **state)
{
	afx *a = open_cse(true, NULL);
	fx *f = a->f;
	char pc[256];

	(void)state;
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2MI_TY_DAC, "{\"m2m:dac\":{\"dae\":true}}"),
		   M2M_RSC_BAD_REQUEST); /* dap is mandatory */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2MI_TY_DAC, "{\"m2m:dac\":{\"dae\":true,\"dap\":[]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2MI_TY_DAC,
			     "{\"m2m:dac\":{\"dae\":\"yes\",\"dap\":[\"https://das\"]}}"),
		   M2M_RSC_BAD_REQUEST);
	const char *dac = fx_create(f, "cse-in/own", "Cown", M2MI_TY_DAC,
				    "{\"m2m:dac\":{\"rn\":\"d\",\"dae\":true,\"dap\":[\"https://das.sp.example.com\"]}}");
	assert_true(json_is_true(json_object_get(json_object_get(f->rsp.pc, "m2m:dac"), "dae")));
	snprintf(pc, sizeof(pc), "{\"m2m:cnt\":{\"rn\":\"withdac\",\"daci\":[\"%s\"]}}", dac);
	fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, pc);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/own", "Cown", M2M_TY_CNT,
			     "{\"m2m:cnt\":{\"rn\":\"bad\",\"daci\":[\"" "cse-in/own/data" "\"]}}"),
		   M2M_RSC_BAD_REQUEST); /* daci must name a <dynamicAuthorizationConsultation> */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/withdac", "Cown", 0, "{\"m2m:cnt\":{\"daci\":[\"nope\"]}}"),
		   M2M_RSC_BAD_REQUEST);
	/* a contentInstance has no daci */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/own/data", "Cown", M2M_TY_CIN,
			     "{\"m2m:cin\":{\"con\":\"x\",\"daci\":[]}}"),
		   M2M_RSC_BAD_REQUEST);
	close_cse(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_verification),
		cmocka_unit_test(test_token_resource_and_revocation),
		cmocka_unit_test(test_dac_and_daci),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
