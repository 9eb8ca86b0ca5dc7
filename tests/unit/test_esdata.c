/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/esdata.c: every algorithm of TS-0003 Tables
 * 8.5.3.2-3/-4 (JWE key management x content encryption) and 8.5.3.3-2 (JWS) round-trips in
 * the Compact and JSON Serializations, Nested Sign-then-Encrypt (clause 8.5.2.4), multiple
 * credentials (clause 8.5.2.1), and the protect-side refusals: compact with two credentials,
 * dir with two recipients, HMAC in Nested, a key of the wrong size or type, and the 2^32 limit
 * of direct AES-GCM (clause 8.5.2.2.1).
 */
#include "esdata_fixture.h"

static void round_trip(const m2m_esdata_cred *enc_c, const m2m_esdata_cred *dec_c, unsigned enc,
		       const m2m_esdata_cred *sig_c, const m2m_esdata_cred *ver_c, m2m_esdata_ser ser,
		       m2m_esdata_class cls)
{
	static const char msg[] = "{\"m2m:cin\":{\"con\":\"21.5\"}}";
	uint64_t uses = 0;
	m2m_esdata_protect_opts po = {.ser = ser, .enc = enc, .cty = "application/json",
				      .direct_uses = &uses};
	m2m_esdata_open_opts oo = {.algs = M2M_ESD_ALGS_SPEC | M2M_ESD_ECDH_ES, .expect = cls};
	m2m_esdata_info info;
	char *out = NULL;
	uint8_t *pt = NULL;
	size_t outlen = 0, ptlen = 0;

	if (enc_c) {
		po.rcpts = enc_c;
		po.nrcpts = 1;
		oo.keys = dec_c;
		oo.nkeys = 1;
	}
	if (sig_c) {
		po.signers = sig_c;
		po.nsigners = 1;
		oo.verifiers = ver_c;
		oo.nverifiers = 1;
	}
	assert_int_equal(m2m_esdata_protect((const uint8_t *)msg, sizeof(msg) - 1, &po, &out, &outlen), M2M_OK);
	assert_int_equal(strlen(out), outlen);
	if (ser == M2M_ESD_COMPACT)
		assert_true(out[0] != '{');
	else
		assert_true(out[0] == '{');
	assert_int_equal(m2m_esdata_open(out, outlen, &oo, &pt, &ptlen, &info), M2M_OK);
	assert_int_equal(ptlen, sizeof(msg) - 1);
	assert_memory_equal(pt, msg, ptlen);
	assert_int_equal(info.cls, cls);
	assert_int_equal(info.ser, ser);
	assert_string_equal(info.cty, "application/json");
	if (enc_c && enc_c->alg == M2M_ESD_DIR)
		assert_int_equal(uses, 1);
	m2m_freezero(pt, ptlen);
	free(out);
}

static const unsigned encs[] = {M2M_ESD_A128GCM, M2M_ESD_A192GCM, M2M_ESD_A256GCM};
static const m2m_esdata_ser sers[] = {M2M_ESD_COMPACT, M2M_ESD_JSON};

static void test_symmetric_km(void **state)
{
	(void)state;
	for (size_t s = 0; s < 2; s++) {
		for (size_t e = 0; e < 3; e++) {
			m2m_key *d = fx_key(16 + 8 * e, 0x11);
			m2m_esdata_cred dir = {.alg = M2M_ESD_DIR, .key = d, .kid = "14-dir@mef.example.com"};

			round_trip(&dir, &dir, encs[e], NULL, NULL, sers[s], M2M_ESD_CLASS_ENC);
			m2m_key_free(d);
			for (size_t w = 0; w < 3; w++) {
				m2m_key *kw = fx_key(16 + 8 * w, 0x22);
				m2m_esdata_cred c = {.alg = M2M_ESD_A128KW << w, .key = kw, .kid = "15-kw"};

				round_trip(&c, &c, encs[e], NULL, NULL, sers[s], M2M_ESD_CLASS_ENC);
				m2m_key_free(kw);
			}
		}
	}
}

static void test_asymmetric_km(void **state)
{
	EVP_PKEY *rsa = fx_rsa(), *rsa_pub = fx_pub(rsa);
	const char *curves[] = {"P-256", "P-384", "P-521"};

	(void)state;
	for (size_t s = 0; s < 2; s++) {
		for (size_t e = 0; e < 3; e++) {
			m2m_esdata_cred pc = {.alg = M2M_ESD_RSA_OAEP_256, .pkey = rsa_pub, .kid = "44-r"};
			m2m_esdata_cred dc = {.alg = M2M_ESD_RSA_OAEP_256, .pkey = rsa, .kid = "44-r"};

			round_trip(&pc, &dc, encs[e], NULL, NULL, sers[s], M2M_ESD_CLASS_ENC);
			for (size_t c = 0; c < 3; c++) {
				EVP_PKEY *ec = fx_ec(curves[c]), *ec_pub = fx_pub(ec);
				unsigned kms[] = {M2M_ESD_ECDH_ES, M2M_ESD_ECDH_ES_A128KW, M2M_ESD_ECDH_ES_A192KW,
						  M2M_ESD_ECDH_ES_A256KW};

				for (size_t k = 0; k < 4; k++) {
					m2m_esdata_cred p2 = {.alg = kms[k], .pkey = ec_pub};
					m2m_esdata_cred d2 = {.alg = kms[k], .pkey = ec};

					round_trip(&p2, &d2, encs[e], NULL, NULL, sers[s], M2M_ESD_CLASS_ENC);
				}
				EVP_PKEY_free(ec);
				EVP_PKEY_free(ec_pub);
			}
		}
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa_pub);
}

static void test_signatures(void **state)
{
	EVP_PKEY *rsa = fx_rsa(), *rsa_pub = fx_pub(rsa);
	const char *curves[] = {"P-256", "P-384", "P-521"};
	m2m_key *h = fx_key(64, 0x33);

	(void)state;
	for (size_t s = 0; s < 2; s++) {
		for (size_t i = 0; i < 3; i++) {
			m2m_esdata_cred hs = {.alg = M2M_ESD_HS256 << i, .key = h, .kid = "16-mic"};
			m2m_esdata_cred rs = {.alg = M2M_ESD_RS256 << i, .pkey = rsa};
			m2m_esdata_cred rv = {.alg = M2M_ESD_RS256 << i, .pkey = rsa_pub};
			EVP_PKEY *ec = fx_ec(curves[i]), *ec_pub = fx_pub(ec);
			m2m_esdata_cred es = {.alg = M2M_ESD_ES256 << i, .pkey = ec, .kid = "55-cert"};
			m2m_esdata_cred ev = {.alg = M2M_ESD_ES256 << i, .pkey = ec_pub, .kid = "55-cert"};

			round_trip(NULL, NULL, 0, &hs, &hs, sers[s], M2M_ESD_CLASS_SIG);
			round_trip(NULL, NULL, 0, &rs, &rv, sers[s], M2M_ESD_CLASS_SIG);
			round_trip(NULL, NULL, 0, &es, &ev, sers[s], M2M_ESD_CLASS_SIG);
			EVP_PKEY_free(ec);
			EVP_PKEY_free(ec_pub);
		}
	}
	m2m_key_free(h);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa_pub);
}

static void test_nested(void **state)
{
	EVP_PKEY *ec = fx_ec("P-256"), *ec_pub = fx_pub(ec), *rsa = fx_rsa(), *rsa_pub = fx_pub(rsa);
	m2m_key *kw = fx_key(32, 0x44);
	m2m_esdata_cred es = {.alg = M2M_ESD_ES256, .pkey = ec}, ev = {.alg = M2M_ESD_ES256, .pkey = ec_pub};
	m2m_esdata_cred a = {.alg = M2M_ESD_A256KW, .key = kw};
	m2m_esdata_cred rp = {.alg = M2M_ESD_RSA_OAEP_256, .pkey = rsa_pub},
			rd = {.alg = M2M_ESD_RSA_OAEP_256, .pkey = rsa};

	(void)state;
	for (size_t s = 0; s < 2; s++) {
		round_trip(&a, &a, M2M_ESD_A128GCM, &es, &ev, sers[s], M2M_ESD_CLASS_NESTED);
		round_trip(&rp, &rd, M2M_ESD_A256GCM, &es, &ev, sers[s], M2M_ESD_CLASS_NESTED);
	}
	m2m_key_free(kw);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec_pub);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(rsa_pub);
}

/* Clause 8.5.2.1: several credentials for one payload (JSON Serialization); each target opens. */
static void test_multiple_credentials(void **state)
{
	EVP_PKEY *ec = fx_ec("P-384"), *ec_pub = fx_pub(ec);
	m2m_key *k1 = fx_key(16, 1), *k2 = fx_key(32, 2), *h = fx_key(32, 3);
	m2m_esdata_cred r[3] = {{.alg = M2M_ESD_A128KW, .key = k1, .kid = "a"},
				{.alg = M2M_ESD_A256KW, .key = k2, .kid = "b"},
				{.alg = M2M_ESD_ECDH_ES_A256KW, .pkey = ec_pub, .kid = "c"}};
	m2m_esdata_cred d3 = {.alg = M2M_ESD_ECDH_ES_A256KW, .pkey = ec, .kid = "c"};
	m2m_esdata_cred s[2] = {{.alg = M2M_ESD_HS256, .key = h, .kid = "x"},
				{.alg = M2M_ESD_ES384, .pkey = ec, .kid = "y"}};
	m2m_esdata_cred v = {.alg = M2M_ESD_ES384, .pkey = ec_pub, .kid = "y"};
	m2m_esdata_protect_opts po = {.ser = M2M_ESD_JSON, .enc = M2M_ESD_A192GCM, .rcpts = r, .nrcpts = 3};
	m2m_esdata_open_opts oo = {0};
	char *out = NULL;
	uint8_t *pt = NULL;
	size_t ptlen;

	(void)state;
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"hi", 2, &po, &out, NULL), M2M_OK);
	assert_non_null(strstr(out, "\"recipients\""));
	for (size_t i = 0; i < 3; i++) {
		oo.keys = i == 2 ? &d3 : &r[i];
		oo.nkeys = 1;
		assert_int_equal(m2m_esdata_open(out, strlen(out), &oo, &pt, &ptlen, NULL), M2M_OK);
		assert_int_equal(ptlen, 2);
		m2m_freezero(pt, ptlen);
	}
	free(out);
	po = (m2m_esdata_protect_opts){.ser = M2M_ESD_JSON, .signers = s, .nsigners = 2};
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"hi", 2, &po, &out, NULL), M2M_OK);
	assert_non_null(strstr(out, "\"signatures\""));
	oo = (m2m_esdata_open_opts){.verifiers = &v, .nverifiers = 1};
	assert_int_equal(m2m_esdata_open(out, strlen(out), &oo, &pt, &ptlen, NULL), M2M_OK);
	m2m_freezero(pt, ptlen);
	free(out);
	m2m_key_free(k1);
	m2m_key_free(k2);
	m2m_key_free(h);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec_pub);
}

static void test_protect_refusals(void **state)
{
	EVP_PKEY *ec = fx_ec("P-256"), *ec_pub = fx_pub(ec), *rsa = fx_rsa();
	m2m_key *k16 = fx_key(16, 1), *k32 = fx_key(32, 1);
	uint64_t uses = 0;
	m2m_esdata_cred two[2] = {{.alg = M2M_ESD_A128KW, .key = k16}, {.alg = M2M_ESD_A128KW, .key = k16}};
	m2m_esdata_cred dir2[2] = {{.alg = M2M_ESD_DIR, .key = k16}, {.alg = M2M_ESD_A128KW, .key = k16}};
	m2m_esdata_cred dir = {.alg = M2M_ESD_DIR, .key = k16};
	m2m_esdata_cred hs = {.alg = M2M_ESD_HS256, .key = k32};
	m2m_esdata_cred bad;
	m2m_esdata_protect_opts po = {.ser = M2M_ESD_COMPACT, .enc = M2M_ESD_A128GCM, .rcpts = two, .nrcpts = 2};
	char *out = (char *)"x";

	(void)state;
	/* compact carries exactly one recipient / signature */
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", 1, &po, &out, NULL), M2M_E_ESD_FORMAT);
	assert_null(out);
	/* direct mode with two credentials (clause 8.5.2.2.1) */
	po = (m2m_esdata_protect_opts){.ser = M2M_ESD_JSON, .enc = M2M_ESD_A128GCM, .rcpts = dir2, .nrcpts = 2,
				       .direct_uses = &uses};
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", 1, &po, &out, NULL), M2M_E_ESD_CLASS);
	/* HMAC in Nested (clause 8.5.2.4: certificate signatures only) */
	po = (m2m_esdata_protect_opts){.ser = M2M_ESD_COMPACT, .enc = M2M_ESD_A128GCM, .rcpts = &dir, .nrcpts = 1,
				       .signers = &hs, .nsigners = 1, .direct_uses = &uses};
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", 1, &po, &out, NULL), M2M_E_ESD_CLASS);
	/* dir needs the caller's counter */
	po = (m2m_esdata_protect_opts){.ser = M2M_ESD_COMPACT, .enc = M2M_ESD_A128GCM, .rcpts = &dir, .nrcpts = 1};
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", 1, &po, &out, NULL), M2M_E_INVAL);
	/* dir key length must be the enc's */
	po.enc = M2M_ESD_A256GCM;
	po.direct_uses = &uses;
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", 1, &po, &out, NULL), M2M_E_ESD_KEY);
	/* wrong credential types */
	struct {
		m2m_esdata_cred c;
		bool sign;
	} cases[] = {
		{{.alg = M2M_ESD_A256KW, .key = k16}, false},          /* wrap key size */
		{{.alg = M2M_ESD_RSA_OAEP_256, .pkey = ec_pub}, false}, /* EC for RSA */
		{{.alg = M2M_ESD_ECDH_ES_A128KW, .pkey = rsa}, false},  /* RSA for ECDH */
		{{.alg = M2M_ESD_ECDH_ES_A128KW, .key = k16}, false},   /* symmetric for ECDH */
		{{.alg = M2M_ESD_HS512, .key = k32}, true},             /* HMAC key < hash length */
		{{.alg = M2M_ESD_HS256, .pkey = ec}, true},             /* public-key confusion */
		{{.alg = M2M_ESD_ES384, .pkey = ec}, true},             /* curve of another alg */
		{{.alg = M2M_ESD_ES256, .pkey = ec_pub}, true},         /* no private key to sign */
		{{.alg = M2M_ESD_RS256, .pkey = ec}, true},             /* EC for RSA */
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		bad = cases[i].c;
		po = (m2m_esdata_protect_opts){.ser = M2M_ESD_COMPACT, .enc = M2M_ESD_A128GCM};
		if (cases[i].sign)
			po.signers = &bad, po.nsigners = 1;
		else
			po.rcpts = &bad, po.nrcpts = 1;
		assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", 1, &po, &out, NULL), M2M_E_ESD_KEY);
	}
	/* an algorithm of the wrong kind: a JWS alg as key management, two bits, enc missing */
	bad = (m2m_esdata_cred){.alg = M2M_ESD_HS256, .key = k32};
	po = (m2m_esdata_protect_opts){.ser = M2M_ESD_COMPACT, .enc = M2M_ESD_A128GCM, .rcpts = &bad, .nrcpts = 1};
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", 1, &po, &out, NULL), M2M_E_ESD_ALG);
	bad = (m2m_esdata_cred){.alg = M2M_ESD_A128KW | M2M_ESD_A256KW, .key = k16};
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", 1, &po, &out, NULL), M2M_E_ESD_ALG);
	bad = (m2m_esdata_cred){.alg = M2M_ESD_A128KW, .key = k16};
	po.enc = 0;
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", 1, &po, &out, NULL), M2M_E_ESD_ALG);
	/* nothing to do, plaintext too large */
	po = (m2m_esdata_protect_opts){.ser = M2M_ESD_COMPACT};
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", 1, &po, &out, NULL), M2M_E_INVAL);
	po = (m2m_esdata_protect_opts){.ser = M2M_ESD_COMPACT, .enc = M2M_ESD_A128GCM, .rcpts = &bad, .nrcpts = 1};
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", M2M_ESD_MAX_PLAINTEXT + 1, &po, &out, NULL),
			 M2M_E_ESD_TOO_LARGE);
	m2m_key_free(k16);
	m2m_key_free(k32);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec_pub);
	EVP_PKEY_free(rsa);
}

/* Clause 8.5.2.2.1: at most 2^32 direct AES-GCM encryptions; the counter is the caller's. */
static void test_direct_limit(void **state)
{
	m2m_key *k = fx_key(16, 9);
	m2m_esdata_cred dir = {.alg = M2M_ESD_DIR, .key = k};
	uint64_t uses = M2M_ESD_DIRECT_LIMIT - 1;
	m2m_esdata_protect_opts po = {.ser = M2M_ESD_COMPACT, .enc = M2M_ESD_A128GCM, .rcpts = &dir, .nrcpts = 1,
				      .direct_uses = &uses};
	char *out = NULL;

	(void)state;
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", 1, &po, &out, NULL), M2M_OK);
	free(out);
	assert_int_equal(uses, M2M_ESD_DIRECT_LIMIT);
	assert_int_equal(m2m_esdata_protect((const uint8_t *)"a", 1, &po, &out, NULL), M2M_E_ESD_LIMIT);
	assert_null(out);
	assert_int_equal(uses, M2M_ESD_DIRECT_LIMIT);
	m2m_key_free(k);
}

static void test_names(void **state)
{
	(void)state;
	for (unsigned b = 1; b <= M2M_ESD_ES512; b <<= 1) {
		const char *n = m2m_esdata_alg_name(b);

		assert_non_null(n);
		assert_int_equal(m2m_esdata_alg_from_name(n), b);
	}
	assert_null(m2m_esdata_alg_name(0));
	assert_int_equal(m2m_esdata_alg_from_name("none"), 0);
	assert_int_equal(m2m_esdata_alg_from_name("RSA-OAEP"), 0);
	assert_int_equal(m2m_esdata_alg_from_name("a128kw"), 0);
	assert_int_equal(m2m_esdata_content_security(M2M_ESD_COMPACT), 1);
	assert_int_equal(m2m_esdata_content_security(M2M_ESD_JSON), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symmetric_km),     cmocka_unit_test(test_asymmetric_km),
		cmocka_unit_test(test_signatures),       cmocka_unit_test(test_nested),
		cmocka_unit_test(test_multiple_credentials), cmocka_unit_test(test_protect_refusals),
		cmocka_unit_test(test_direct_limit),     cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
