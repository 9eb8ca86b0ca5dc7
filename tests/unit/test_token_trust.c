/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/token_trust.c (TS-0003 clause 7.3.2.6.3): the
 * das-trust parser with its exact line-numbered errors, the per-issuer algorithm sets and the
 * algorithm list syntax.
 */
#include "token_fixture.h"

static struct tfx *g_f, *g_f384;

/* The reader: "ec.pem" -> the P-256 certificate, "ec384.pem" the P-384 one, "junk.pem" not a
 * certificate, anything else missing. */
static m2m_err reader(void *ctx, const char *path, char **pem, size_t *len)
{
	const char *src = NULL;

	(void)ctx;
	if (strcmp(path, "ec.pem") == 0)
		src = g_f->cert_pem;
	else if (strcmp(path, "ec384.pem") == 0)
		src = g_f384->cert_pem;
	else if (strcmp(path, "junk.pem") == 0)
		src = "not a certificate";
	if (src == NULL)
		return M2M_E_NOT_FOUND;
	*pem = strdup(src);
	*len = strlen(src);
	return M2M_OK;
}

static m2m_err parse(const char *text, char *err, size_t cap, m2m_token_trust **out)
{
	m2m_token_trust *t = NULL;
	m2m_err r;

	assert_int_equal(m2m_token_trust_new(&t), M2M_OK);
	r = m2m_token_trust_parse(t, text, strlen(text), reader, NULL, err, cap);
	if (out != NULL && r == M2M_OK)
		*out = t;
	else
		m2m_token_trust_free(t);
	return r;
}

static void test_good(void **state)
{
	char err[256];
	m2m_token_trust *t = NULL;

	(void)state;
	assert_int_equal(parse("# trusted DAS\n\n  //sp.example.com/id-in/Cdas ec.pem\r\n"
			       "//sp.example.com/id-in/Cdas2\tec384.pem ES384\n"
			       "//sp.example.com/id-in/Cdev - none\n",
			       err, sizeof(err), &t),
			 M2M_OK);
	assert_int_equal(m2m_token_trust_count(t), 3);
	m2m_token_trust_free(t);
}

static void expect(const char *text, const char *msg)
{
	char err[512] = "";

	assert_int_equal(parse(text, err, sizeof(err), NULL), M2M_E_TOKEN_TRUST);
	if (strstr(err, msg) == NULL)
		fail_msg("'%s' does not contain '%s'", err, msg);
}

static void test_errors(void **state)
{
	(void)state;
	expect("", "no trusted issuer");
	expect("# only a comment\n", "no trusted issuer");
	expect("//a/b/Cx ec.pem\n//a/b/Cy\n", "line 2: expected 'ISSUER-ID PATH-TO-CERTIFICATE-PEM [ALGS]'");
	expect("\n\n//a/b/Cx ec.pem HS256\n", "line 3: unknown algorithm list 'HS256'");
	expect("//a/b/Cx ec.pem ES256,\n", "line 1: unknown algorithm list");
	expect("//a/b/Cx ec.pem\n//a/b/Cx ec.pem\n", "line 2: issuer //a/b/Cx is listed twice");
	expect("//a/b/Cx - ES256\n", "line 1: '-' (no certificate) is only allowed with the algorithm list 'none'");
	expect("//a/b/Cx missing.pem\n", "line 1: certificate missing.pem: not found");
	expect("//a/b/Cx junk.pem\n", "line 1: certificate junk.pem: not a PEM X.509 certificate");
	expect("//a/b/Cx ec.pem ES384\n", "line 1: algorithm list 'ES384' does not fit the key of ec.pem");
	expect("//a/b/Cx ec.pem ES256 extra\n", "line 1: unexpected fourth field");
	expect("//a/b/Cx ec.pem\x01\n", "line 1: control character");
}

static void test_algs(void **state)
{
	unsigned a = 0;

	(void)state;
	assert_int_equal(m2m_token_algs_parse("ES256,none", &a), M2M_OK);
	assert_int_equal(a, M2M_TOKEN_ALG_ES256 | M2M_TOKEN_ALG_NONE);
	assert_int_equal(m2m_token_algs_parse("ES512", &a), M2M_OK);
	assert_int_equal(a, M2M_TOKEN_ALG_ES512);
	assert_int_equal(m2m_token_algs_parse("", &a), M2M_E_TOKEN_ALG);
	assert_int_equal(m2m_token_algs_parse("es256", &a), M2M_E_TOKEN_ALG);
	assert_int_equal(m2m_token_algs_parse("ES256,,none", &a), M2M_E_TOKEN_ALG);
	assert_int_equal(a, 0);
	assert_string_equal(m2m_token_alg_name(M2M_TOKEN_ALG_ES384), "ES384");
	assert_null(m2m_token_alg_name(3));
	/* add: duplicate, non-"none" without a certificate */
	assert_int_equal(m2m_token_trust_add(g_f->trust, ISS, g_f->cert_pem, g_f->cert_len, 0), M2M_E_EXISTS);
	assert_int_equal(m2m_token_trust_add(g_f->trust, "//x/y/Cz", NULL, 0, M2M_TOKEN_ALG_ES256), M2M_E_TOKEN_KEY);
	assert_int_equal(m2m_token_trust_add(g_f->trust, "//x/y/Cz", g_f->cert_pem, g_f->cert_len, 1u << 9),
			 M2M_E_TOKEN_ALG);
}

static int setup(void **state)
{
	(void)state;
	g_f = tfx_new();
	g_f384 = tfx_new_curve("P-384", CJOSE_JWK_EC_P_384, 48);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tfx_free(g_f);
	tfx_free(g_f384);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_algs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
