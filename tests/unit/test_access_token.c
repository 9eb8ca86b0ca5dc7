/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the token-aware access decision (access_token.c,
 * TS-0003 clauses 7.3.2.3 and 7.3.2.5): a CSE in-process (cse_fixture.h) that trusts the test
 * issuer of token_fixture.h through a das-trust file; each request's rsc is asserted.
 */
#include "cse_fixture.h"
#include "token_fixture.h"

typedef struct afx {
	fx *f;
	struct tfx *t;
	char cnt[64], other[64];
} afx;

/* A CSE whose das-trust names ISS (token_fixture.h); trust = false: no das-trust at all. */
static afx *open_cse(bool trust, const char *algs)
{
	afx *a = calloc(1, sizeof(*a));
	fx *f = calloc(1, sizeof(*f));
	char path[160], line[400];
	FILE *fp;

	a->f = f;
	a->t = tfx_new();
	snprintf(f->dir, sizeof(f->dir), "/tmp/m2mtok.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/cse.db", f->dir);
	m2m_cse_config_defaults(&f->cfg);
	snprintf(f->cfg.store, sizeof(f->cfg.store), "%s", f->db);
	snprintf(f->cfg.sp_id, sizeof(f->cfg.sp_id), "//sp.example.com");
	snprintf(f->cfg.http_listen, sizeof(f->cfg.http_listen), "127.0.0.1:8080");
	snprintf(f->cfg.das_token_uri, sizeof(f->cfg.das_token_uri), "https://das.sp.example.com/token");
	if (algs != NULL)
		snprintf(f->cfg.token_algorithms, sizeof(f->cfg.token_algorithms), "%s", algs);
	snprintf(path, sizeof(path), "%s/issuer.crt", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite(a->t->cert_pem, 1, a->t->cert_len, fp);
	fclose(fp);
	if (trust) {
		snprintf(path, sizeof(path), "%s/das-trust", f->dir);
		fp = fopen(path, "w");
		assert_non_null(fp);
		snprintf(line, sizeof(line), "%s %s/issuer.crt\n", ISS, f->dir);
		fputs(line, fp);
		fclose(fp);
		snprintf(f->cfg.das_trust, sizeof(f->cfg.das_trust), "%s", path);
	}
	assert_int_equal(m2m_cse_new(&f->cfg, &f->cse), M2M_OK);
	assert_int_equal(m2m_cse_worker_new(f->cse, &f->w), M2M_OK);
	f->now = NOW;
	f->authed = true;
	m2m_request_init(&f->req);
	m2m_response_init(&f->rsp);
	fx_ae(f, "Cown", "own");
	fx_ae(f, "Cae1", "ae1");
	fx_ae(f, "Cae3", "ae3");
	/* no acpi: only the creator Cown has access (TS-0001 Table 9.6.1.3.2-1) */
	snprintf(a->cnt, sizeof(a->cnt), "%s", fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"data\"}}"));
	snprintf(a->other, sizeof(a->other), "%s",
		 fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"other\"}}"));
	return a;
}

static void close_cse(afx *a)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/issuer.crt", a->f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/das-trust", a->f->dir);
	unlink(path);
	fx_close(a->f);
	tfx_free(a->t);
	free(a);
}

/* A token for holder with one permission: ris = [ri], pv = acop for the holder. */
static char *tok(const afx *a, const char *holder, const char *ri, int acop)
{
	char extra[600], *c, *t, hdr[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";

	snprintf(extra, sizeof(extra), "\"tkps\":{\"pm\":[{\"ris\":[\"%s\"],\"pv\":{\"acr\":[{\"acor\":[\"%s\"],\"acop\":%d}]}}]}",
		 ri, holder, acop);
	c = claims(extra);
	if (strcmp(holder, HOLDER) != 0) { /* azp of the claim set follows the holder */
		char *p = strstr(c, HOLDER);
		char *n = malloc(strlen(c) + strlen(holder) + 1);
		memcpy(n, c, (size_t)(p - c));
		strcpy(n + (p - c), holder);
		strcat(n, p + strlen(HOLDER));
		free(c);
		c = n;
	}
	t = forge(a->t, hdr, c);
	free(c);
	return t;
}

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
		cmocka_unit_test(test_tqi_tqf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
