/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of pki/token_trust_file.c (TS-0003 clause 7.3.2.6.3): the
 * das-trust file and the certificates it names read from disk, and the errors naming the file
 * and the line.
 */
#include <unistd.h>

#include "token_fixture.h"

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_load(void **state)
{
	struct tfx *f = tfx_new();
	char dir[] = "/tmp/m2m_trust_XXXXXX", cert[128], trust[128], text[512], err[512];
	m2m_token_trust *t = NULL;
	m2m_token_verify_opts o = tfx_opts();
	char *tok = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/das.pem", dir);
	snprintf(trust, sizeof(trust), "%s/das-trust", dir);
	write_file(cert, f->cert_pem);
	snprintf(text, sizeof(text), "# issuers\n" ISS " %s\n", cert);
	write_file(trust, text);
	assert_int_equal(m2m_token_trust_load(trust, &t, err, sizeof(err)), M2M_OK);
	assert_int_equal(m2m_token_trust_count(t), 1);
	{
		static const char *const aud[] = {CSE};
		m2m_token_claims c = {.version = "1", .token_id = JTI, .issuer = ISS, .holder = HOLDER,
				      .not_before = NOW, .not_after = NOW + 1, .audience = aud, .naudience = 1};
		m2m_token *v = NULL;
		assert_int_equal(m2m_token_sign(&c, f->signer, &tok), M2M_OK);
		assert_int_equal(m2m_token_verify(tok, strlen(tok), t, &o, &v), M2M_OK);
		m2m_token_unref(v);
	}
	m2m_token_trust_free(t);
	/* a missing certificate names the line and the path */
	snprintf(text, sizeof(text), ISS " %s\n//sp.example.com/id-in/C2 %s/none.pem\n", cert, dir);
	write_file(trust, text);
	assert_int_equal(m2m_token_trust_load(trust, &t, err, sizeof(err)), M2M_E_TOKEN_TRUST);
	assert_null(t);
	assert_non_null(strstr(err, "line 2: certificate "));
	assert_non_null(strstr(err, "none.pem: not found"));
	/* the file itself */
	assert_int_equal(m2m_token_trust_load("/nonexistent/das-trust", &t, err, sizeof(err)), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_token_trust_load("/dev/null", &t, err, sizeof(err)), M2M_E_IO);
	unlink(cert);
	unlink(trust);
	rmdir(dir);
	free(tok);
	tfx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
