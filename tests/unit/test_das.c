/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/das/das.c: one consultation (TS-0003 clause
 * 7.3.2.2 step 3, TS-0004 §7.5.1.2.10) and one token request (docs/procedures/das.md) decided
 * by the policy, the issued token verified by the CSE's verifier (token.h), each refusal with
 * its RSC, and one audit call per decision.
 */
#include "token_fixture.h"
#include "m2msec/das.h"
#include "m2msec/rsc.h"

#define VISITOR "//sp.example.com/id-in/Cvisitor"

struct dfx {
	struct tfx *t;
	m2m_das_policy *policy;
	m2m_das *das;
	m2m_das_audit last;
	int naudit;
	char last_outcome[32];
};

static m2m_err rnd(void *ctx, uint8_t out[16])
{
	(void)ctx;
	memset(out, 0xab, 16);
	return M2M_OK;
}

static void on_audit(void *ctx, const m2m_das_audit *ev)
{
	struct dfx *f = ctx;

	f->last = *ev;
	f->naudit++;
	snprintf(f->last_outcome, sizeof(f->last_outcome), "%s", ev->outcome);
}

static int setup(void **state)
{
	static const char pol[] = "grant " VISITOR " /id-in/cnt-* retrieve 1h\n"
				  "grant " HOLDER " /id-in/cnt-1 6 600\n";
	struct dfx *f = calloc(1, sizeof(*f));
	char err[128];
	m2m_das_config c = {.das_id = ISS, .sp_id = "//sp.example.com", .max_lifetime = 1800, .audit = on_audit,
			    .random = rnd};

	f->t = tfx_new();
	assert_int_equal(m2m_das_policy_parse(pol, strlen(pol), &f->policy, err, sizeof(err)), M2M_OK);
	c.policy = f->policy;
	c.signer = f->t->signer;
	c.audit_ctx = f;
	assert_int_equal(m2m_das_new(&c, &f->das), M2M_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct dfx *f = *state;

	m2m_das_free(f->das);
	m2m_das_policy_free(f->policy);
	tfx_free(f->t);
	free(f);
	return 0;
}

static m2m_sa cse_sa(const char *id)
{
	m2m_sa sa = {.kind = M2M_SA_CERT, .entity = M2M_ENTITY_CSE};

	snprintf(sa.bound_id, sizeof(sa.bound_id), "%s", id);
	return sa;
}

/* One NOTIFY to `to` from fr with content text; returns the RSC, *pc the answer's content. */
static int call(struct dfx *f, const m2m_sa *sa, const char *to, const char *fr, const char *text, json_t **pc)
{
	m2m_request req;
	m2m_response rsp;
	json_error_t e;
	int rsc;

	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = M2M_OP_NOTIFY;
	req.to = strdup(to);
	req.fr = strdup(fr);
	req.rqi = strdup("r1");
	req.pc = json_loads(text, 0, &e);
	m2m_das_handle(f->das, sa, &req, &rsp, NOW);
	rsc = rsp.rsc;
	if (pc != NULL)
		*pc = json_incref(rsp.pc);
	m2m_response_clear(&rsp);
	m2m_request_clear(&req);
	return rsc;
}

#define DREQ(or, op, trid) "{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"" or "\",\"op\":" #op ",\"trid\":\"" trid "\"}}}"

static void test_consultation(void **state)
{
	struct dfx *f = *state;
	m2m_sa sa = cse_sa(CSE);
	json_t *pc = NULL;
	m2m_das_dres a;
	m2m_token *tok = NULL;
	m2m_token_verify_opts o = tfx_opts();

	assert_int_equal(call(f, &sa, "/id-in/Cdas", CSE, DREQ(VISITOR, 2, "/id-in/cnt-9"), &pc), M2M_RSC_OK);
	assert_int_equal(m2m_das_dres_parse(pc, NOW, &a), M2M_OK);
	assert_true(a.has_dai);
	assert_int_equal(a.pl, NOW + 1800); /* the rule's 1 h capped by max_lifetime */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(a.gp, "acr"), 0), "acop")), 2);
	assert_int_equal(a.ntkns, 1);
	o.holder = VISITOR;
	assert_int_equal(m2m_token_verify(a.tkns[0], strlen(a.tkns[0]), f->t->trust, &o, &tok), M2M_OK);
	assert_string_equal(m2m_token_claims_of(tok)->token_id, "abababababababababababababababab@sp.example.com");
	assert_int_equal(m2m_token_claims_of(tok)->naudience, 1);
	assert_string_equal(m2m_token_claims_of(tok)->audience[0], CSE);
	assert_string_equal(m2m_token_claims_of(tok)->perms[0].ris[0], "/id-in/cnt-9");
	m2m_token_unref(tok);
	o.audience = "//sp.example.com/id-other"; /* audience = only the consulting CSE */
	assert_int_equal(m2m_token_verify(a.tkns[0], strlen(a.tkns[0]), f->t->trust, &o, &tok), M2M_E_TOKEN_AUDIENCE);
	m2m_das_dres_clear(&a);
	json_decref(pc);
	assert_int_equal(f->naudit, 1);
	assert_string_equal(f->last_outcome, "granted");
	assert_int_equal(f->last.rule_line, 1);
	/* SP-relative From, CSE-relative originator (an AE-ID-Stem under the consulting CSE) */
	assert_int_equal(call(f, &sa, "/id-in/Cdas", "/id-in", DREQ("Cvisitor", 2, "/id-in/cnt-1"), &pc), M2M_RSC_OK);
	assert_int_equal(m2m_das_dres_parse(pc, NOW, &a), M2M_OK);
	assert_int_equal(m2m_token_verify(a.tkns[0], strlen(a.tkns[0]), f->t->trust,
					  &(m2m_token_verify_opts){.audience = CSE, .holder = VISITOR, .now = NOW}, &tok),
			 M2M_OK);
	m2m_token_unref(tok);
	m2m_das_dres_clear(&a);
	json_decref(pc);
}

static void test_not_granted(void **state)
{
	struct dfx *f = *state;
	m2m_sa sa = cse_sa(CSE);
	json_t *pc = NULL;
	char *text;

	assert_int_equal(call(f, &sa, "/id-in/Cdas", CSE, DREQ(VISITOR, 3, "/id-in/cnt-1"), &pc), M2M_RSC_OK);
	text = json_dumps(pc, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"m2m:seci\":{\"dres\":{},\"sit\":2}}");
	free(text);
	json_decref(pc);
	assert_string_equal(f->last_outcome, "not-granted");
	assert_int_equal(f->last.rsc, M2M_RSC_OK);
}

static void test_refusals(void **state)
{
	struct dfx *f = *state;
	m2m_sa cse = cse_sa(CSE), ae = {.kind = M2M_SA_CERT, .entity = M2M_ENTITY_AE}, none = {0};
	m2m_sa psk_cse = cse_sa(CSE);
	m2m_request req;
	m2m_response rsp;

	snprintf(ae.bound_id, sizeof(ae.bound_id), "%s", HOLDER);
	psk_cse.kind = M2M_SA_PSK;
	assert_int_equal(call(f, &ae, "/id-in/Cdas", HOLDER, DREQ(VISITOR, 2, "/id-in/cnt-1"), NULL),
			 M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_int_equal(call(f, &none, "/id-in/Cdas", CSE, DREQ(VISITOR, 2, "/id-in/cnt-1"), NULL),
			 M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_int_equal(call(f, NULL, "/id-in/Cdas", CSE, DREQ(VISITOR, 2, "/id-in/cnt-1"), NULL),
			 M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_int_equal(call(f, &psk_cse, "/id-in/Cdas", CSE, DREQ(VISITOR, 2, "/id-in/cnt-1"), NULL),
			 M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE); /* certificates only */
	assert_int_equal(call(f, &cse, "/id-in/Cdas", "//sp.example.com/id-x", DREQ(VISITOR, 2, "/id-in/cnt-1"), NULL),
			 M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_int_equal(call(f, &cse, "/id-in/Cdas", CSE, "{\"m2m:seci\":{\"sit\":2}}", NULL), M2M_RSC_BAD_REQUEST);
	assert_int_equal(call(f, &cse, "/id-in/Cdas", CSE, "[1]", NULL), M2M_RSC_BAD_REQUEST);
	assert_int_equal(call(f, &cse, "/id-in/Cdas", CSE, DREQ("not an id", 2, "/id-in/cnt-1"), NULL),
			 M2M_RSC_BAD_REQUEST);
	assert_int_equal(call(f, &cse, "/id-in/Cdas", CSE, DREQ(VISITOR, 6, "/id-in/cnt-1"), NULL), M2M_RSC_BAD_REQUEST);
	assert_string_equal(f->last_outcome, "refused");
	assert_int_equal(f->naudit, 9);
	/* not a NOTIFY */
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = M2M_OP_RETRIEVE;
	m2m_das_handle(f->das, &cse, &req, &rsp, NOW);
	assert_int_equal(rsp.rsc, M2M_RSC_OPERATION_NOT_ALLOWED);
	m2m_response_clear(&rsp);
	m2m_request_clear(&req);
}

static void test_token_request(void **state)
{
	struct dfx *f = *state;
	m2m_sa ae = {.kind = M2M_SA_CERT, .entity = M2M_ENTITY_AE};
	json_t *pc = NULL;
	m2m_das_dres a;
	m2m_token *tok = NULL;
	m2m_token_verify_opts o = tfx_opts();

	snprintf(ae.bound_id, sizeof(ae.bound_id), "%s", HOLDER);
	assert_int_equal(call(f, &ae, "/id-in/Cdas/token", HOLDER, DREQ(HOLDER, 3, "/id-in/cnt-1"), &pc), M2M_RSC_OK);
	assert_int_equal(m2m_das_dres_parse(pc, NOW, &a), M2M_OK);
	assert_false(a.has_dai);
	assert_int_equal(a.ntkns, 1);
	assert_int_equal(m2m_token_verify(a.tkns[0], strlen(a.tkns[0]), f->t->trust, &o, &tok), M2M_OK);
	assert_int_equal(m2m_token_claims_of(tok)->not_after - m2m_token_claims_of(tok)->not_before, 600);
	m2m_token_unref(tok);
	m2m_das_dres_clear(&a);
	json_decref(pc);
	/* absolute trid: the audience is its CSE */
	assert_int_equal(call(f, &ae, "token", HOLDER, DREQ(HOLDER, 2, "//sp.example.com/id-in/cnt-1"), &pc),
			 M2M_RSC_OK);
	json_decref(pc);
	assert_string_equal(f->last_outcome, "granted");
	/* another holder, not granted, a CSE-relative trid, a From that is not the peer */
	assert_int_equal(call(f, &ae, "token", HOLDER, DREQ(VISITOR, 2, "/id-in/cnt-1"), NULL),
			 M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_int_equal(call(f, &ae, "token", HOLDER, DREQ(HOLDER, 4, "/id-in/cnt-1"), NULL),
			 M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_int_equal(call(f, &ae, "token", HOLDER, DREQ(HOLDER, 2, "cnt-1"), NULL), M2M_RSC_BAD_REQUEST);
	assert_int_equal(call(f, &ae, "token", VISITOR, DREQ(HOLDER, 2, "/id-in/cnt-1"), NULL),
			 M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
}

/* TS-0003 clause 7.3.2.3 step 5: a Hosting CSE asks for tokens by ID (dreq tids); the DAS
 * answers the tokens it issued for that CSE, and nothing for an unknown ID or another CSE. */
static void test_tokens_by_id(void **state)
{
	struct dfx *f = *state;
	m2m_sa ae = {.kind = M2M_SA_CERT, .entity = M2M_ENTITY_AE}, cse = cse_sa(CSE), other = cse_sa("//sp.example.com/id-other");
	json_t *pc = NULL;
	m2m_das_dres a, b;
	char *text;
#define TIDS(id) "{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"or\":\"" HOLDER "\",\"op\":2,\"trid\":\"/id-in/cnt-1\",\"tids\":[\"" id "\"]}}}"

	snprintf(ae.bound_id, sizeof(ae.bound_id), "%s", HOLDER);
	assert_int_equal(call(f, &ae, "token", HOLDER, DREQ(HOLDER, 3, "/id-in/cnt-1"), &pc), M2M_RSC_OK);
	assert_int_equal(m2m_das_dres_parse(pc, NOW, &a), M2M_OK);
	json_decref(pc);
	assert_int_equal(call(f, &cse, "/id-in/Cdas", CSE, TIDS("abababababababababababababababab@sp.example.com"), &pc),
			 M2M_RSC_OK);
	assert_int_equal(m2m_das_dres_parse(pc, NOW, &b), M2M_OK);
	json_decref(pc);
	assert_false(b.has_dai); /* tokens only: no policy grant for a request by ID */
	assert_int_equal(b.ntkns, 1);
	assert_string_equal(b.tkns[0], a.tkns[0]);
	assert_string_equal(f->last_outcome, "tokens-by-id");
	m2m_das_dres_clear(&b);
	m2m_das_dres_clear(&a);
	/* unknown ID, or a CSE that is not the token's audience: an empty dres */
	assert_int_equal(call(f, &cse, "/id-in/Cdas", CSE, TIDS("cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd@sp.example.com"), &pc),
			 M2M_RSC_OK);
	text = json_dumps(pc, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"m2m:seci\":{\"dres\":{},\"sit\":2}}");
	free(text);
	json_decref(pc);
	assert_string_equal(f->last_outcome, "not-granted");
	assert_int_equal(call(f, &other, "/id-in/Cdas", "//sp.example.com/id-other",
			      TIDS("abababababababababababababababab@sp.example.com"), &pc),
			 M2M_RSC_OK);
	text = json_dumps(pc, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"m2m:seci\":{\"dres\":{},\"sit\":2}}");
	free(text);
	json_decref(pc);
#undef TIDS
}

static void test_new_bad(void **state)
{
	m2m_das *d = (m2m_das *)1;
	m2m_das_config c = {.das_id = "Cdas", .sp_id = "//sp", .max_lifetime = 1, .random = rnd,
			    .signer = (const m2m_token_signer *)1};

	(void)state;
	assert_int_equal(m2m_das_new(&c, &d), M2M_E_CONFIG);
	assert_null(d);
	c.das_id = "//sp.example.com/id-in/Cdas";
	c.max_lifetime = 0;
	assert_int_equal(m2m_das_new(&c, &d), M2M_E_CONFIG);
	assert_int_equal(m2m_das_new(NULL, &d), M2M_E_CONFIG);
	assert_int_equal(m2m_das_new(&c, NULL), M2M_E_INVAL);
	m2m_das_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_consultation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_granted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens_by_id, setup, teardown),
		cmocka_unit_test(test_new_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
