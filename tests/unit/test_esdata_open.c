/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/esdata_open.c: every refusal of opening an ESData
 * object (TS-0003 clause 8.5.2.2 D-E, 8.5.2.3 C, 8.5.2.4), each with its exact error: tampered
 * tag / ciphertext / signature, the wrong key, a kid that names another credential, "none",
 * an algorithm outside the allow-list, crit / zip / b64, a header that is not JSON or has
 * duplicate members, truncated and extra compact parts, the class the caller did not expect,
 * the HMAC-with-a-public-key confusion, and the size limit.
 */
#include <jose/b64.h>

#include "esdata_fixture.h"

static char *protect1(const m2m_esdata_cred *rc, const m2m_esdata_cred *sc, m2m_esdata_ser ser)
{
	uint64_t uses = 0;
	m2m_esdata_protect_opts po = {.ser = ser, .enc = M2M_ESD_A128GCM, .direct_uses = &uses};
	char *out = NULL;

	if (rc)
		po.rcpts = rc, po.nrcpts = 1;
	if (sc)
		po.signers = sc, po.nsigners = 1;
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"secret payload", 14, &po, &out, NULL), M2M_OK);
	return out;
}

static m2m_err open_with(const char *in, const m2m_esdata_cred *k, const m2m_esdata_cred *v, unsigned algs,
			 m2m_esdata_class expect)
{
	m2m_esdata_open_opts oo = {.algs = algs, .expect = expect};
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	m2m_err r;

	if (k)
		oo.keys = k, oo.nkeys = 1;
	if (v)
		oo.verifiers = v, oo.nverifiers = 1;
	r = m2m_esdata_open(in, strlen(in), &oo, &pt, &ptlen, NULL);
	if (r != M2M_OK)
		assert_null(pt);
	m2m_freezero(pt, ptlen);
	return r;
}

/* Flip one character of the part-th '.'-separated part (from its start + off). */
static void flip(char *s, int part, size_t off)
{
	char *p = s;

	for (int i = 0; i < part; i++)
		p = strchr(p, '.') + 1;
	p[off] = p[off] == 'A' ? 'B' : 'A';
}

/* A compact object whose protected header is the given JSON text. */
static char *with_header(const char *compact_in, const char *hdr_json)
{
	json_t *b = jose_b64_enc(hdr_json, strlen(hdr_json));
	const char *rest = strchr(compact_in, '.');
	size_t n = json_string_length(b) + strlen(rest) + 1;
	char *out = malloc(n);

	snprintf(out, n, "%s%s", json_string_value(b), rest);
	json_decref(b);
	return out;
}

static void test_tamper(void **state)
{
	m2m_key *k = fx_key(16, 1), *k2 = fx_key(16, 2), *h = fx_key(32, 3);
	m2m_esdata_cred kw = {.alg = M2M_ESD_A128KW, .key = k}, kw2 = {.alg = M2M_ESD_A128KW, .key = k2};
	m2m_esdata_cred hs = {.alg = M2M_ESD_HS256, .key = h};
	EVP_PKEY *ec = fx_ec("P-256"), *ec_pub = fx_pub(ec), *other = fx_ec("P-256"), *other_pub = fx_pub(other);
	m2m_esdata_cred es = {.alg = M2M_ESD_ES256, .pkey = ec}, ev = {.alg = M2M_ESD_ES256, .pkey = ec_pub};
	m2m_esdata_cred ev_wrong = {.alg = M2M_ESD_ES256, .pkey = other_pub};
	char *o;

	(void)state;
	o = protect1(&kw, NULL, M2M_ESD_COMPACT);
	assert_int_equal(open_with(o, &kw, NULL, 0, 0), M2M_OK);
	assert_int_equal(open_with(o, &kw2, NULL, 0, 0), M2M_E_ESD_DECRYPT); /* wrong key */
	flip(o, 4, 2);                                                         /* tag */
	assert_int_equal(open_with(o, &kw, NULL, 0, 0), M2M_E_ESD_DECRYPT);
	free(o);
	o = protect1(&kw, NULL, M2M_ESD_COMPACT);
	flip(o, 3, 0); /* ciphertext */
	assert_int_equal(open_with(o, &kw, NULL, 0, 0), M2M_E_ESD_DECRYPT);
	free(o);
	o = protect1(&kw, NULL, M2M_ESD_COMPACT);
	flip(o, 2, 1); /* IV */
	assert_int_equal(open_with(o, &kw, NULL, 0, 0), M2M_E_ESD_DECRYPT);
	free(o);
	/* JWS: tampered signature, payload; signature by a wrong key */
	o = protect1(NULL, &es, M2M_ESD_COMPACT);
	assert_int_equal(open_with(o, NULL, &ev, 0, 0), M2M_OK);
	assert_int_equal(open_with(o, NULL, &ev_wrong, 0, 0), M2M_E_ESD_SIGNATURE);
	flip(o, 2, 3);
	assert_int_equal(open_with(o, NULL, &ev, 0, 0), M2M_E_ESD_SIGNATURE);
	free(o);
	o = protect1(NULL, &hs, M2M_ESD_COMPACT);
	flip(o, 1, 0);
	assert_int_equal(open_with(o, NULL, &hs, 0, 0), M2M_E_ESD_SIGNATURE);
	free(o);
	/* JSON: tampered tag */
	o = protect1(&kw, NULL, M2M_ESD_JSON);
	{
		char *t = strstr(o, "\"tag\":\"") + 7;

		*t = *t == 'A' ? 'B' : 'A';
	}
	assert_int_equal(open_with(o, &kw, NULL, 0, 0), M2M_E_ESD_DECRYPT);
	free(o);
	m2m_key_free(k);
	m2m_key_free(k2);
	m2m_key_free(h);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec_pub);
	EVP_PKEY_free(other);
	EVP_PKEY_free(other_pub);
}

static void test_headers(void **state)
{
	m2m_key *k = fx_key(16, 1), *h = fx_key(32, 3);
	m2m_esdata_cred kw = {.alg = M2M_ESD_A128KW, .key = k, .kid = "15-a"};
	m2m_esdata_cred kw_other = {.alg = M2M_ESD_A128KW, .key = k, .kid = "15-b"};
	m2m_esdata_cred hs = {.alg = M2M_ESD_HS256, .key = h};
	char *o = protect1(&kw, NULL, M2M_ESD_COMPACT), *t;
	static const struct {
		const char *hdr;
		m2m_err want;
	} cases[] = {
		{"{\"alg\":\"none\",\"enc\":\"A128GCM\"}", M2M_E_ESD_UNSECURED},
		{"{\"alg\":\"RSA1_5\",\"enc\":\"A128GCM\"}", M2M_E_ESD_ALG},
		{"{\"alg\":\"A128KW\",\"enc\":\"A128CBC-HS256\"}", M2M_E_ESD_ALG},
		{"{\"alg\":\"HS256\",\"enc\":\"A128GCM\"}", M2M_E_ESD_ALG}, /* JWS alg in a JWE */
		{"{\"alg\":\"A128KW\",\"enc\":\"A128GCM\",\"crit\":[\"exp\"],\"exp\":1}", M2M_E_ESD_HEADER},
		{"{\"alg\":\"A128KW\",\"enc\":\"A128GCM\",\"zip\":\"DEF\"}", M2M_E_ESD_HEADER},
		{"{\"alg\":\"A128KW\",\"enc\":\"A128GCM\",\"kid\":7}", M2M_E_ESD_HEADER},
		{"{\"alg\":\"A128KW\",\"alg\":\"A128KW\",\"enc\":\"A128GCM\"}", M2M_E_ESD_HEADER},
		{"{\"enc\":\"A128GCM\"}", M2M_E_ESD_HEADER},
		{"{\"alg\":\"A128KW\"}", M2M_E_ESD_HEADER},
		{"[1]", M2M_E_ESD_HEADER},
		{"not json", M2M_E_ESD_HEADER},
		{"{\"alg\":\"A128KW\",\"enc\":\"A128GCM\",\"x\":[[[[[[[[[[1]]]]]]]]]]}", M2M_E_ESD_HEADER},
	};

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		t = with_header(o, cases[i].hdr);
		assert_int_equal(open_with(t, &kw, NULL, 0, 0), cases[i].want);
		free(t);
	}
	/* kid names another credential: no credential fits */
	assert_int_equal(open_with(o, &kw_other, NULL, 0, 0), M2M_E_ESD_KEY);
	/* the algorithm is valid but not in the caller's allow-list */
	assert_int_equal(open_with(o, &kw, NULL, M2M_ESD_A256KW | M2M_ESD_A128GCM, 0), M2M_E_ESD_ALG);
	assert_int_equal(open_with(o, &kw, NULL, M2M_ESD_A128KW | M2M_ESD_A256GCM, 0), M2M_E_ESD_ALG);
	/* class the caller did not expect */
	assert_int_equal(open_with(o, &kw, NULL, 0, M2M_ESD_CLASS_SIG), M2M_E_ESD_CLASS);
	assert_int_equal(open_with(o, &kw, NULL, 0, M2M_ESD_CLASS_NESTED), M2M_E_ESD_CLASS);
	free(o);
	/* a JWS with alg none, and a JWS header with "enc" */
	o = protect1(NULL, &hs, M2M_ESD_COMPACT);
	assert_int_equal(open_with(o, NULL, &hs, 0, M2M_ESD_CLASS_ENC), M2M_E_ESD_CLASS);
	t = with_header(o, "{\"alg\":\"none\"}");
	assert_int_equal(open_with(t, NULL, &hs, 0, 0), M2M_E_ESD_UNSECURED);
	free(t);
	t = with_header(o, "{\"alg\":\"HS256\",\"enc\":\"A128GCM\"}");
	assert_int_equal(open_with(t, NULL, &hs, 0, 0), M2M_E_ESD_HEADER);
	free(t);
	free(o);
	m2m_key_free(k);
	m2m_key_free(h);
}

/* HS256 signed with the bytes of a public key must never verify against that public key. */
static void test_alg_confusion(void **state)
{
	EVP_PKEY *ec = fx_ec("P-256"), *ec_pub = fx_pub(ec);
	m2m_esdata_cred ev = {.alg = M2M_ESD_ES256, .pkey = ec_pub};
	m2m_esdata_cred hv = {.alg = M2M_ESD_HS256, .pkey = ec_pub}; /* misconfigured verifier */
	m2m_key *fake = fx_key(32, 7);
	m2m_esdata_cred hs = {.alg = M2M_ESD_HS256, .key = fake};
	char *o = protect1(NULL, &hs, M2M_ESD_COMPACT);

	(void)state;
	assert_int_equal(open_with(o, NULL, &ev, 0, 0), M2M_E_ESD_KEY);
	assert_int_equal(open_with(o, NULL, &hv, 0, 0), M2M_E_ESD_KEY);
	free(o);
	m2m_key_free(fake);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec_pub);
}

static void test_format(void **state)
{
	m2m_key *k = fx_key(16, 1);
	m2m_esdata_cred kw = {.alg = M2M_ESD_A128KW, .key = k};
	char *o = protect1(&kw, NULL, M2M_ESD_COMPACT);
	m2m_esdata_open_opts oo = {.keys = &kw, .nkeys = 1, .max_len = 10};
	uint8_t *pt;
	size_t ptlen;
	static const char *const bad[] = {
		"", "a", "a.b", "a.b.c.d", "a.b.c.d.e.f", "a..c", ".b.c", "a.b.c.d.", "a!.b.c",
		"{", "{\"payload\":1}", "{\"foo\":\"bar\"}", "[]", "{\"ciphertext\":\"AA\"}",
		"{\"payload\":\"AA\",\"signatures\":[]}",
	};

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++)
		assert_int_equal(open_with(bad[i], &kw, NULL, 0, 0), M2M_E_ESD_FORMAT);
	/* truncated: drop the tag part, or cut inside the ciphertext */
	*strrchr(o, '.') = '\0';
	assert_int_equal(open_with(o, &kw, NULL, 0, 0), M2M_E_ESD_FORMAT);
	free(o);
	o = protect1(&kw, NULL, M2M_ESD_COMPACT);
	assert_int_equal(m2m_esdata_open(o, strlen(o), &oo, &pt, &ptlen, NULL), M2M_E_ESD_TOO_LARGE);
	free(o);
	m2m_key_free(k);
}

/* Nested: an inner HMAC JWS (not a certificate signature) is refused; a nested object opened
 * as Encryption-only is refused. */
static void test_nested_rules(void **state)
{
	EVP_PKEY *ec = fx_ec("P-256"), *ec_pub = fx_pub(ec);
	m2m_key *k = fx_key(16, 1), *h = fx_key(32, 3);
	m2m_esdata_cred kw = {.alg = M2M_ESD_A128KW, .key = k}, hs = {.alg = M2M_ESD_HS256, .key = h};
	m2m_esdata_cred es = {.alg = M2M_ESD_ES256, .pkey = ec}, ev = {.alg = M2M_ESD_ES256, .pkey = ec_pub};
	m2m_esdata_protect_opts po = {.ser = M2M_ESD_COMPACT, .enc = M2M_ESD_A128GCM, .rcpts = &kw, .nrcpts = 1,
				      .cty = "JOSE"};
	char *inner = protect1(NULL, &hs, M2M_ESD_COMPACT), *o = NULL;

	(void)state;
	/* hand-nest an HMAC JWS (protect refuses to) by encrypting it with cty JOSE */
	assert_int_equal(m2m_esdata_protect((const uint8_t *)inner, strlen(inner), &po, &o, NULL), M2M_OK);
	assert_int_equal(open_with(o, &kw, &hs, 0, 0), M2M_E_ESD_ALG);
	free(o);
	free(inner);
	o = protect1(&kw, &es, M2M_ESD_COMPACT);
	assert_int_equal(open_with(o, &kw, &ev, 0, M2M_ESD_CLASS_NESTED), M2M_OK);
	assert_int_equal(open_with(o, &kw, &ev, 0, M2M_ESD_CLASS_ENC), M2M_E_ESD_CLASS);
	assert_int_equal(open_with(o, &kw, NULL, 0, 0), M2M_E_ESD_KEY); /* no verifier */
	free(o);
	m2m_key_free(k);
	m2m_key_free(h);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec_pub);
}

/* RFC 7516 §7.2.1: in a JSON object with several recipients (signatures), one of an algorithm
 * this target does not allow is skipped; the object is refused (M2M_E_ESD_ALG) only when no
 * entry is usable, and "none" anywhere refuses it. */
static void test_skip_disallowed_entries(void **state)
{
	m2m_key *k16 = fx_key(16, 1), *k32 = fx_key(32, 2), *h = fx_key(32, 3);
	EVP_PKEY *ec = fx_ec("P-256"), *ec_pub = fx_pub(ec);
	m2m_esdata_cred r[2] = {{.alg = M2M_ESD_A256KW, .key = k32}, {.alg = M2M_ESD_A128KW, .key = k16}};
	m2m_esdata_cred s[2] = {{.alg = M2M_ESD_HS256, .key = h}, {.alg = M2M_ESD_ES256, .pkey = ec}};
	m2m_esdata_cred ev = {.alg = M2M_ESD_ES256, .pkey = ec_pub};
	m2m_esdata_protect_opts po = {.ser = M2M_ESD_JSON, .enc = M2M_ESD_A128GCM, .rcpts = r, .nrcpts = 2};
	char *o = NULL;

	(void)state;
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"x", 1, &po, &o, NULL), M2M_OK);
	assert_int_equal(open_with(o, &r[1], NULL, M2M_ESD_A128KW | M2M_ESD_A128GCM, 0), M2M_OK);
	assert_int_equal(open_with(o, &r[1], NULL, M2M_ESD_A192KW | M2M_ESD_A128GCM, 0), M2M_E_ESD_ALG);
	free(o);
	po = (m2m_esdata_protect_opts){.ser = M2M_ESD_JSON, .signers = s, .nsigners = 2};
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"x", 1, &po, &o, NULL), M2M_OK);
	assert_int_equal(open_with(o, NULL, &ev, M2M_ESD_ES256, 0), M2M_OK);
	assert_int_equal(open_with(o, NULL, &ev, M2M_ESD_ES384, 0), M2M_E_ESD_ALG);
	free(o);
	m2m_key_free(k16);
	m2m_key_free(k32);
	m2m_key_free(h);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec_pub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tamper),        cmocka_unit_test(test_headers),
		cmocka_unit_test(test_alg_confusion), cmocka_unit_test(test_format),
		cmocka_unit_test(test_nested_rules),  cmocka_unit_test(test_skip_disallowed_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
