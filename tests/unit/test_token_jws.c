/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/token_jws.c (TS-0003 clauses 7.3.2.5, 7.3.2.6.2,
 * 7.3.2.6.3; TS-0004 Table 6.3.3-1 m2m:e2eCompactJWS): issuing and verifying oneM2M JWTs, and
 * one test per refusal asserting its exact error code, with tokens whose signature is valid so
 * the refusal is the one under test. Every byte of a valid token mutated is refused (style #18).
 */
#include "token_fixture.h"

#define HDR "{\"alg\":\"ES256\",\"typ\":\"JWT\"}"

static m2m_err forged(struct tfx *f, const char *hdr, const char *extra, const m2m_token_verify_opts *o)
{
	char *c = claims(extra), *t = forge(f, hdr, c);
	m2m_err r = tfx_verify(f, t, o);

	free(c);
	free(t);
	return r;
}

static char *issue(struct tfx *f, int64_t nb, int64_t na)
{
	static const char *const aud[] = {CSE};
	static const char *const ris[] = {"/id-in/cnt1"};
	m2m_token_perm p = {.ris = ris, .nris = 1, .pv_json = "{\"acr\":[{\"acor\":[\"" HOLDER "\"],\"acop\":2}]}"};
	m2m_token_claims c = {.version = M2M_TOKEN_VERSION, .token_id = JTI, .issuer = ISS, .holder = HOLDER,
			      .not_before = nb, .not_after = na, .audience = aud, .naudience = 1, .perms = &p,
			      .nperms = 1, .has_perms = true};
	char *out = NULL;

	assert_int_equal(m2m_token_sign(&c, f->signer, &out), M2M_OK);
	return out;
}

static void test_issue_verify(void **state)
{
	struct tfx *f = tfx_new();
	char *t = issue(f, NOW - 10, NOW + 600);
	m2m_token_verify_opts o = tfx_opts();
	m2m_token *tok = NULL;
	const m2m_token_claims *c;

	(void)state;
	assert_int_equal(m2m_token_verify(t, strlen(t), f->trust, &o, &tok), M2M_OK);
	c = m2m_token_claims_of(tok);
	assert_string_equal(c->version, "1");
	assert_string_equal(c->token_id, JTI);
	assert_string_equal(c->issuer, ISS);
	assert_string_equal(c->holder, HOLDER);
	assert_int_equal(c->not_before, NOW - 10);
	assert_int_equal(c->not_after, NOW + 600);
	assert_int_equal(c->naudience, 1);
	assert_string_equal(c->audience[0], CSE);
	assert_int_equal(c->nperms, 1);
	assert_string_equal(c->perms[0].ris[0], "/id-in/cnt1");
	assert_non_null(c->perms[0].pv);
	assert_int_equal(m2m_acp_rules_count(c->perms[0].pv), 1);
	assert_int_equal(m2m_token_alg(tok), M2M_TOKEN_ALG_ES256);
	assert_non_null(m2m_token_digest(tok));
	m2m_token_unref(tok);
	free(t);
	tfx_free(f);
}

static void test_es384(void **state)
{
	struct tfx *f = tfx_new_curve("P-384", CJOSE_JWK_EC_P_384, 48);
	char *t = issue(f, NOW - 10, NOW + 600);
	m2m_token_verify_opts o = tfx_opts();

	(void)state;
	assert_int_equal(m2m_token_signer_alg(f->signer), M2M_TOKEN_ALG_ES384);
	/* not permitted by this CSE (default ES256 only) */
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_ALG);
	o.algs = M2M_TOKEN_ALG_ES256 | M2M_TOKEN_ALG_ES384;
	assert_int_equal(tfx_verify(f, t, &o), M2M_OK);
	free(t);
	tfx_free(f);
}

static void test_format(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_verify_opts o = tfx_opts();
	char *t = issue(f, NOW - 10, NOW + 600), *u;

	(void)state;
	assert_int_equal(tfx_verify(f, "", &o), M2M_E_TOKEN_FORMAT);
	assert_int_equal(tfx_verify(f, "abc", &o), M2M_E_TOKEN_FORMAT);
	assert_int_equal(tfx_verify(f, "abc.def", &o), M2M_E_TOKEN_FORMAT);
	assert_int_equal(tfx_verify(f, "a.b.c.d", &o), M2M_E_TOKEN_FORMAT);
	assert_int_equal(tfx_verify(f, ".eyJ9.abcd", &o), M2M_E_TOKEN_FORMAT);
	assert_int_equal(tfx_verify(f, "ey+J.eyJ9.abcd", &o), M2M_E_TOKEN_FORMAT);
	assert_int_equal(tfx_verify(f, "eyJ9=.eyJ9.abcd", &o), M2M_E_TOKEN_FORMAT);
	/* JWE compact (5 parts): encryption classes are refused as such (TS-0003 clause 7.3.2.6.3) */
	assert_int_equal(tfx_verify(f, "a.b.c.d.e", &o), M2M_E_TOKEN_CLASS);
	/* a non-canonical last character (unused bits set) */
	u = strdup(t);
	u[strlen(u) - 1] = (char)(u[strlen(u) - 1] == 'A' ? 'B' : u[strlen(u) - 1]);
	if (strcmp(u, t) != 0)
		assert_int_not_equal(tfx_verify(f, u, &o), M2M_OK);
	free(u);
	free(t);
	tfx_free(f);
}

static void test_limits(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_verify_opts o = tfx_opts();
	char *t = issue(f, NOW - 10, NOW + 600), deep[256] = "\"x\":";
	char big[9000];

	(void)state;
	o.max_len = strlen(t) - 1;
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_TOO_LARGE);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	o.max_len = 0;
	assert_int_equal(tfx_verify(f, big, &o), M2M_E_TOKEN_TOO_LARGE);
	for (int i = 0; i < M2M_TOKEN_MAX_DEPTH; i++)
		strcat(deep, "[");
	for (int i = 0; i < M2M_TOKEN_MAX_DEPTH; i++)
		strcat(deep, "]");
	assert_int_equal(forged(f, HDR, deep, &o), M2M_E_TOKEN_TOO_LARGE);
	free(t);
	tfx_free(f);
}

static void test_header(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_verify_opts o = tfx_opts();

	(void)state;
	assert_int_equal(forged(f, HDR, "", &o), M2M_OK);
	assert_int_equal(forged(f, "{\"alg\":\"ES256\"}", "", &o), M2M_E_TOKEN_HEADER);
	assert_int_equal(forged(f, "{\"alg\":\"ES256\",\"typ\":\"JOSE\"}", "", &o), M2M_E_TOKEN_HEADER);
	assert_int_equal(forged(f, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"cty\":\"JWT\"}", "", &o), M2M_E_TOKEN_HEADER);
	assert_int_equal(forged(f, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"crit\":[\"exp\"],\"exp\":1}", "", &o),
			 M2M_E_TOKEN_HEADER);
	assert_int_equal(forged(f, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"alg\":\"none\"}", "", &o), M2M_E_TOKEN_HEADER);
	assert_int_equal(forged(f, "[1]", "", &o), M2M_E_TOKEN_HEADER);
	assert_int_equal(forged(f, "not json", "", &o), M2M_E_TOKEN_HEADER);
	assert_int_equal(forged(f, "{\"typ\":\"JWT\"}", "", &o), M2M_E_TOKEN_HEADER);
	tfx_free(f);
}

static void test_unsecured(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_verify_opts o = tfx_opts();
	char *c = claims(""), *t = compact("{\"alg\":\"none\",\"typ\":\"JWT\"}", c, "");
	char *t2 = compact("{\"alg\":\"none\",\"typ\":\"JWT\"}", c, "AAAA");

	(void)state;
	/* not permitted by the CSE */
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_UNSECURED);
	/* permitted by the CSE, not for this issuer (its das-trust line has no "none") */
	o.algs = M2M_TOKEN_ALG_ES256 | M2M_TOKEN_ALG_NONE;
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_UNSECURED);
	/* permitted by both: accepted, with an empty signature only */
	m2m_token_trust_free(f->trust);
	assert_int_equal(m2m_token_trust_new(&f->trust), M2M_OK);
	assert_int_equal(m2m_token_trust_add(f->trust, ISS, NULL, 0, M2M_TOKEN_ALG_NONE), M2M_OK);
	assert_int_equal(tfx_verify(f, t, &o), M2M_OK);
	assert_int_equal(tfx_verify(f, t2, &o), M2M_E_TOKEN_FORMAT);
	/* the CSE withdraws its permission */
	o.algs = M2M_TOKEN_ALG_ES256;
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_UNSECURED);
	free(c);
	free(t);
	free(t2);
	tfx_free(f);
}

static void test_alg(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_verify_opts o = tfx_opts();

	(void)state;
	/* HMAC with the certificate's public key as the secret: the algorithm-confusion attack */
	assert_int_equal(forged(f, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "", &o), M2M_E_TOKEN_ALG);
	assert_int_equal(forged(f, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", "", &o), M2M_E_TOKEN_ALG);
	assert_int_equal(forged(f, "{\"alg\":\"es256\",\"typ\":\"JWT\"}", "", &o), M2M_E_TOKEN_ALG);
	/* ES384 permitted by the CSE but the issuer's key is P-256 */
	o.algs = M2M_TOKEN_ALG_ES256 | M2M_TOKEN_ALG_ES384;
	assert_int_equal(forged(f, "{\"alg\":\"ES384\",\"typ\":\"JWT\"}", "", &o), M2M_E_TOKEN_ALG);
	tfx_free(f);
}

static void test_issuer(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_verify_opts o = tfx_opts();
	char *c = claims(""), *t;

	(void)state;
	/* "iss" is a claim: replace ISS in the claim set */
	memcpy(strstr(c, "Cdas"), "Cdaz", 4);
	t = forge(f, HDR, c);
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_ISSUER);
	free(t);
	free(c);
	/* the issuer's certificate is outside its validity window */
	t = issue(f, NOW - 10, NOW + 600);
	o.now = NOW + 2 * 86400;
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_ISSUER);
	o.now = NOW - 2 * 86400;
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_ISSUER);
	free(t);
	tfx_free(f);
}

static void test_signature(void **state)
{
	struct tfx *f = tfx_new(), *g = tfx_new();
	m2m_token_verify_opts o = tfx_opts();
	char *t = issue(f, NOW - 10, NOW + 600), *u, *other, *d1, *d2;
	size_t n = strlen(t);

	(void)state;
	/* signed by another key */
	other = issue(g, NOW - 10, NOW + 600);
	assert_int_equal(tfx_verify(f, other, &o), M2M_E_TOKEN_SIGNATURE);
	/* a signature bit flipped (the first character: all 6 bits significant) */
	u = strdup(t);
	d2 = strrchr(u, '.');
	d2[1] = (char)(d2[1] == 'A' ? 'B' : 'A');
	assert_int_equal(tfx_verify(f, u, &o), M2M_E_TOKEN_SIGNATURE);
	/* truncated signature, stripped signature */
	strcpy(u, t);
	u[n - 4] = '\0';
	assert_int_not_equal(tfx_verify(f, u, &o), M2M_OK);
	/* a well-encoded signature of 63 bytes (84 'A'): the wrong length for ES256 */
	strcpy(u, t);
	memset(strrchr(u, '.') + 1, 'A', 84);
	strrchr(u, '.')[85] = '\0';
	assert_int_equal(tfx_verify(f, u, &o), M2M_E_TOKEN_SIGNATURE);
	strcpy(u, t);
	strrchr(u, '.')[1] = '\0';
	assert_int_equal(tfx_verify(f, u, &o), M2M_E_TOKEN_SIGNATURE);
	/* payload swapped for another valid one (another holder), signature kept */
	{
		char *c = claims(""), *v;
		memcpy(strstr(c, "Cae1"), "Cae2", 4);
		v = forge(g, HDR, c);
		d1 = strchr(v, '.');
		d2 = strrchr(v, '.');
		free(u);
		u = malloc(n + strlen(v));
		sprintf(u, "%.*s%.*s%s", (int)(strchr(t, '.') - t), t, (int)(d2 - d1), d1, strrchr(t, '.'));
		assert_int_equal(tfx_verify(f, u, &o), M2M_E_TOKEN_SIGNATURE);
		free(c);
		free(v);
	}
	free(u);
	free(other);
	free(t);
	tfx_free(f);
	tfx_free(g);
}

static void test_mutations(void **state)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	struct tfx *f = tfx_new();
	m2m_token_verify_opts o = tfx_opts();
	char *t = issue(f, NOW - 10, NOW + 600), *u = strdup(t);
	size_t n = strlen(t);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '.')
			continue;
		/* flip the most significant of the character's 6 bits: always a data bit */
		u[i] = b64[(strchr(b64, t[i]) - b64) ^ 0x20];
		assert_int_not_equal(tfx_verify(f, u, &o), M2M_OK);
		u[i] = t[i];
	}
	for (size_t k = 1; k < n; k++) {
		u[k] = '\0';
		assert_int_not_equal(tfx_verify(f, u, &o), M2M_OK);
		u[k] = t[k];
	}
	free(u);
	free(t);
	tfx_free(f);
}

static void test_claims(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_verify_opts o = tfx_opts();
	char *t;

	(void)state;
	assert_int_equal(forged(f, HDR, "\"tknm\":\"n\",\"tkex\":\"x\",\"iat\":1", &o), M2M_OK);
	assert_int_equal(forged(f, HDR, "\"jti\":\"dup\"", &o), M2M_E_TOKEN_CLAIMS); /* duplicate name */
	assert_int_equal(forged(f, HDR, "\"tknm\":5", &o), M2M_E_TOKEN_CLAIMS);
	assert_int_equal(forged(f, HDR, "\"tkex\":\"\"", &o), M2M_E_TOKEN_CLAIMS);
	/* required claims and their types, one by one */
	{
		static const char *const bad[][2] = {
			{"\"tkvr\":\"1\",", ""},
			{"\"jti\":\"" JTI "\"", "\"jti\":\"no-at-sign\""},
			{"\"jti\":\"" JTI "\"", "\"jti\":\"a b@sp.example.com\""},
			{"\"azp\":\"" HOLDER "\"", "\"azp\":\"//sp.example.com/id-in/Cae1\\u0000x\""},
			{"\"azp\":\"" HOLDER "\"", "\"azp\":7"},
			{"\"azp\":\"" HOLDER "\",", ""},
			{"\"nbf\":", "\"nbf\":\"1\",\"x\":"},
			{"\"exp\":", "\"exp\":-1,\"x\":"},
			{"\"aud\":[\"" CSE "\"]", "\"aud\":[]"},
			{"\"aud\":[\"" CSE "\"]", "\"aud\":[5]"},
			{"\"iss\":\"" ISS "\"", "\"iss\":5"},
		};
		for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
			char *c = claims(""), *p = strstr(c, bad[i][0]), buf[2048];
			assert_non_null(p);
			snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - c), c, bad[i][1], p + strlen(bad[i][0]));
			t = forge(f, HDR, buf);
			assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_CLAIMS);
			free(t);
			free(c);
		}
	}
	/* exp before nbf */
	{
		m2m_token_claims c = {.version = "1", .token_id = JTI, .issuer = ISS, .holder = HOLDER,
				      .not_before = NOW, .not_after = NOW - 1};
		char *out = NULL;
		assert_int_equal(m2m_token_sign(&c, f->signer, &out), M2M_E_TOKEN_CLAIMS);
		assert_null(out);
	}
	tfx_free(f);
}

static void test_permissions(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_verify_opts o = tfx_opts();

	(void)state;
	assert_int_equal(forged(f, HDR, "\"tkps\":{\"pm\":[{\"rids\":[\"r1@sp.example.com\"]}]}", &o), M2M_OK);
	assert_int_equal(forged(f, HDR, "\"tkps\":{}", &o), M2M_OK);
	/* pv without ris (TS-0003 clause 7.3.2.5 item 1) */
	assert_int_equal(forged(f, HDR, "\"tkps\":{\"pm\":[{\"pv\":{\"acr\":[{\"acor\":[\"all\"],\"acop\":2}]}}]}", &o),
			 M2M_E_TOKEN_PERMISSIONS);
	/* pv that the ACP engine refuses (acop out of range) */
	assert_int_equal(forged(f, HDR, "\"tkps\":{\"pm\":[{\"ris\":[\"x\"],\"pv\":{\"acr\":[{\"acor\":[\"all\"],\"acop\":99}]}}]}",
				&o),
			 M2M_E_TOKEN_PERMISSIONS);
	assert_int_equal(forged(f, HDR, "\"tkps\":{\"pm\":[{\"ris\":[\"x\"],\"zz\":1}]}", &o), M2M_E_TOKEN_PERMISSIONS);
	assert_int_equal(forged(f, HDR, "\"tkps\":{\"pm\":{}}", &o), M2M_E_TOKEN_PERMISSIONS);
	assert_int_equal(forged(f, HDR, "\"tkps\":{\"pm\":[],\"x\":1}", &o), M2M_E_TOKEN_PERMISSIONS);
	assert_int_equal(forged(f, HDR, "\"tkps\":{\"pm\":[{}]}", &o), M2M_E_TOKEN_PERMISSIONS);
	assert_int_equal(forged(f, HDR, "\"tkps\":{\"pm\":[{\"rids\":[\"r*@sp.example.com\"]}]}", &o),
			 M2M_E_TOKEN_PERMISSIONS);
	assert_int_equal(forged(f, HDR, "\"tkps\":[]", &o), M2M_E_TOKEN_PERMISSIONS);
	tfx_free(f);
}

static void test_audience(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_verify_opts o = tfx_opts();
	char *c = claims(""), *t, buf[2048];
	static const struct {
		const char *aud;
		m2m_err want;
	} cases[] = {
		{"\"//sp.example.com/id-in\"", M2M_OK},
		{"[\"//sp.example.com/id-mn\",\"//sp.example.com/id-in\"]", M2M_OK},
		{"[\"//*/id-in\"]", M2M_OK},
		{"[\"//sp.example.com/id-*\"]", M2M_OK},
		{"[\"//sp.example.com/*\"]", M2M_OK},
		{"[\"//*\"]", M2M_E_TOKEN_AUDIENCE},
		{"[\"//sp.example.com/id-mn\"]", M2M_E_TOKEN_AUDIENCE},
		{"[\"//other.example.com/id-in\"]", M2M_E_TOKEN_AUDIENCE},
		{"[\"/id-in\"]", M2M_E_TOKEN_AUDIENCE},
		{"[\"//sp.example.com/id-in/x\"]", M2M_E_TOKEN_AUDIENCE},
	};

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		char *p = strstr(c, "\"aud\":");
		snprintf(buf, sizeof(buf), "%.*s\"aud\":%s}", (int)(p - c), c, cases[i].aud);
		t = forge(f, HDR, buf);
		assert_int_equal(tfx_verify(f, t, &o), cases[i].want);
		free(t);
	}
	/* no aud: refused unless the CSE accepts audience-less tokens (TS-0003 clause 7.3.2.5) */
	snprintf(buf, sizeof(buf), "%.*s}", (int)(strstr(c, ",\"aud\":") - c), c);
	t = forge(f, HDR, buf);
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_AUDIENCE);
	o.audience_optional = true;
	assert_int_equal(tfx_verify(f, t, &o), M2M_OK);
	free(t);
	free(c);
	tfx_free(f);
}

static void test_holder_window(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_verify_opts o = tfx_opts();
	char *t = issue(f, NOW, NOW + 600);

	(void)state;
	o.holder = "//sp.example.com/id-in/Cae2";
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_HOLDER);
	o.holder = "/id-in/Cae1"; /* "exactly match" the Absolute ID */
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_HOLDER);
	o = tfx_opts();
	o.now = NOW + 600 + M2M_TOKEN_DEFAULT_SKEW;
	assert_int_equal(tfx_verify(f, t, &o), M2M_OK);
	o.now++;
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_EXPIRED);
	o.now = NOW - M2M_TOKEN_DEFAULT_SKEW;
	assert_int_equal(tfx_verify(f, t, &o), M2M_OK);
	o.now--;
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_NOT_YET_VALID);
	o.now = NOW + 601;
	o.skew = 0;
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_TOKEN_EXPIRED);
	o.skew = -1;
	assert_int_equal(tfx_verify(f, t, &o), M2M_E_INVAL);
	free(t);
	tfx_free(f);
}

static void test_signer(void **state)
{
	struct tfx *f = tfx_new(), *g = tfx_new();
	m2m_token_signer *s = NULL;
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	size_t kl, cl;
	X509 *x = self_cert(rsa, NOW, NOW + 1);
	char *k = pem_of(rsa, NULL, &kl), *c = pem_of(rsa, x, &cl);

	(void)state;
	assert_int_equal(m2m_token_signer_new(f->key_pem, f->key_len, g->cert_pem, g->cert_len, &s), M2M_E_TOKEN_KEY);
	assert_null(s);
	assert_int_equal(m2m_token_signer_new(k, kl, c, cl, &s), M2M_E_TOKEN_KEY);
	assert_int_equal(m2m_token_signer_new("junk", 4, f->cert_pem, f->cert_len, &s), M2M_E_TOKEN_KEY);
	assert_int_equal(m2m_token_signer_new(f->key_pem, f->key_len, "junk", 4, &s), M2M_E_CERT);
	assert_int_equal(m2m_token_trust_add(f->trust, "//x/y/Cz", c, cl, 0), M2M_E_TOKEN_KEY);
	X509_free(x);
	EVP_PKEY_free(rsa);
	free(k);
	free(c);
	tfx_free(f);
	tfx_free(g);
}

static void test_rsc(void **state)
{
	(void)state;
	assert_int_equal(m2m_token_err_rsc(M2M_E_TOKEN_FORMAT), 4000);
	assert_int_equal(m2m_token_err_rsc(M2M_E_TOKEN_PERMISSIONS), 4000);
	assert_int_equal(m2m_token_err_rsc(M2M_E_TOKEN_SIGNATURE), 4103);
	assert_int_equal(m2m_token_err_rsc(M2M_E_TOKEN_EXPIRED), 4103);
	assert_int_equal(m2m_token_err_rsc(M2M_E_TOKEN_REVOKED), 4103);
	assert_int_equal(m2m_token_err_rsc(M2M_E_NOMEM), 5000);
	assert_string_equal(m2m_errname(M2M_E_TOKEN_UNSECURED), "M2M_E_TOKEN_UNSECURED");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_verify), cmocka_unit_test(test_es384),     cmocka_unit_test(test_format),
		cmocka_unit_test(test_limits),       cmocka_unit_test(test_header),    cmocka_unit_test(test_unsecured),
		cmocka_unit_test(test_alg),          cmocka_unit_test(test_issuer),    cmocka_unit_test(test_signature),
		cmocka_unit_test(test_mutations),    cmocka_unit_test(test_claims),    cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_audience),     cmocka_unit_test(test_holder_window), cmocka_unit_test(test_signer),
		cmocka_unit_test(test_rsc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
