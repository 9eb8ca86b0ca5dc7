/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/esdata_shape.c: the key-free shape check a
 * Hosting CSE applies to content flagged with m2m:contentSecurity 1 / 2 (TS-0004 Table
 * 6.3.4.2.38-1, Table 6.3.3-1 m2m:e2eCompactJWE / JWS). Objects made by m2m_esdata_protect
 * pass; each malformation is refused with its own error.
 */
#include "esdata_fixture.h"

static char *make(const uint8_t *pt, size_t n, m2m_esdata_ser ser, bool sign, const m2m_key *k)
{
	m2m_esdata_cred c = {.alg = sign ? M2M_ESD_HS256 : M2M_ESD_A128KW, .key = k, .kid = "14-k1@mef.example.com"};
	m2m_esdata_protect_opts o = {.ser = ser, .enc = M2M_ESD_A128GCM};
	char *out = NULL;

	if (sign) {
		o.signers = &c;
		o.nsigners = 1;
	} else {
		o.rcpts = &c;
		o.nrcpts = 1;
	}
	assert_int_equal(m2m_esdata_protect(pt, n, &o, &out, NULL), M2M_OK);
	return out;
}

static m2m_err sh(const char *s, m2m_esdata_ser ser)
{
	return m2m_esdata_shape(s, strlen(s), ser);
}

static void test_made_objects_pass(void **state)
{
	m2m_key *k16 = fx_key(16, 1), *h = fx_key(32, 2);
	const uint8_t pt[] = "temperature 21.5";

	(void)state;
	for (int ser = M2M_ESD_COMPACT; ser <= M2M_ESD_JSON; ser++)
		for (int sign = 0; sign < 2; sign++) {
			char *o = make(pt, sizeof(pt) - 1, (m2m_esdata_ser)ser, sign, sign ? h : k16);
			assert_int_equal(sh(o, (m2m_esdata_ser)ser), M2M_OK);
			/* the other serialisation's flag does not fit */
			assert_int_equal(sh(o, ser == M2M_ESD_COMPACT ? M2M_ESD_JSON : M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);
			free(o);
		}
	m2m_key_free(k16);
	m2m_key_free(h);
}

/* {"alg":"A128KW","enc":"A128GCM"} / {"alg":"none"} / {"alg":"HS256","enc":"A128GCM"} / [1] */
#define H_JWE "eyJhbGciOiJBMTI4S1ciLCJlbmMiOiJBMTI4R0NNIn0"
#define H_NONE "eyJhbGciOiJub25lIn0"
#define H_JWS_ENC "eyJhbGciOiJIUzI1NiIsImVuYyI6IkExMjhHQ00ifQ"
#define H_ARRAY "WzFd"
#define H_JWS "eyJhbGciOiJIUzI1NiJ9"
#define H_NOENC "eyJhbGciOiJBMTI4S1cifQ"

static void test_compact_refusals(void **state)
{
	(void)state;
	assert_int_equal(sh(H_JWE ".AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA", M2M_ESD_COMPACT), M2M_OK);
	assert_int_equal(sh(H_JWS ".cGF5bG9hZA.AAAA", M2M_ESD_COMPACT), M2M_OK);
	assert_int_equal(sh(H_JWS "..AAAA", M2M_ESD_COMPACT), M2M_OK); /* [b] may be empty */
	assert_int_equal(sh("plain text reading 21.5", M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);
	assert_int_equal(sh("", M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);
	assert_int_equal(sh(H_JWS ".cGF5bG9hZA", M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);          /* 2 parts */
	assert_int_equal(sh(H_JWS ".a.b.c", M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);               /* 4 parts */
	assert_int_equal(sh(H_JWE ".A.B.C.D.E", M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);           /* 6 parts */
	assert_int_equal(sh(H_JWS ".cGF5bG9hZA.", M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);         /* empty [c] */
	assert_int_equal(sh(H_JWE "...AAAA.", M2M_ESD_COMPACT), M2M_OK);                        /* [b],[c],[e] empty */
	assert_int_equal(sh(H_JWE ".AAAA.AAAA..AAAA", M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);     /* empty [d] */
	assert_int_equal(sh(".cGF5bG9hZA.AAAA", M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);           /* empty [a] */
	assert_int_equal(sh(H_JWS ".cGF5+G9hZA.AAAA", M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);     /* base64, not url */
	assert_int_equal(sh(H_JWS ".cGF5bG9hZA==.AAAA", M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);   /* padding */
	assert_int_equal(sh(H_JWS ".A.AAAA", M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);              /* length 1 mod 4 */
	assert_int_equal(sh(H_JWS ".AB.AAAA", M2M_ESD_COMPACT), M2M_E_ESD_FORMAT);             /* unused bits */
	assert_int_equal(sh(H_NONE ".cGF5bG9hZA.AAAA", M2M_ESD_COMPACT), M2M_E_ESD_UNSECURED);
	assert_int_equal(sh(H_JWS_ENC ".cGF5bG9hZA.AAAA", M2M_ESD_COMPACT), M2M_E_ESD_HEADER);
	assert_int_equal(sh(H_NOENC ".AAAA.AAAA.AAAA.AAAA", M2M_ESD_COMPACT), M2M_E_ESD_HEADER);
	assert_int_equal(sh(H_ARRAY ".cGF5bG9hZA.AAAA", M2M_ESD_COMPACT), M2M_E_ESD_HEADER);
	assert_int_equal(sh("cGF5bG9hZA.cGF5bG9hZA.AAAA", M2M_ESD_COMPACT), M2M_E_ESD_HEADER); /* not JSON */
}

static void test_json_refusals(void **state)
{
	static const struct {
		const char *s;
		m2m_err want;
	} cases[] = {
		{"{\"payload\":\"cGF5bG9hZA\",\"signatures\":[{\"protected\":\"" H_JWS "\",\"signature\":\"AAAA\"}]}", M2M_OK},
		{"{\"payload\":\"cGF5bG9hZA\",\"protected\":\"" H_JWS "\",\"signature\":\"AAAA\"}", M2M_OK},
		{"{\"payload\":\"cGF5bG9hZA\",\"header\":{\"alg\":\"ES256\"},\"signature\":\"AAAA\",\"x\":1}", M2M_OK},
		{"{\"protected\":\"eyJlbmMiOiJBMTI4R0NNIn0\",\"recipients\":[{\"header\":{\"alg\":\"A128KW\"},"
		 "\"encrypted_key\":\"AAAA\"}],\"iv\":\"AAAA\",\"ciphertext\":\"AAAA\",\"tag\":\"AAAA\"}",
		 M2M_OK},
		{"{\"unprotected\":{\"alg\":\"dir\",\"enc\":\"A128GCM\"},\"iv\":\"AAAA\",\"ciphertext\":\"AAAA\"}", M2M_OK},
		{"[]", M2M_E_ESD_FORMAT},
		{"\"x\"", M2M_E_ESD_FORMAT},
		{"{not json", M2M_E_ESD_FORMAT},
		{"{\"temperature\":21.5}", M2M_E_ESD_FORMAT},
		{"{\"payload\":\"AAAA\",\"ciphertext\":\"AAAA\"}", M2M_E_ESD_FORMAT},
		{"{\"payload\":\"AAAA\",\"signatures\":[]}", M2M_E_ESD_FORMAT},
		{"{\"payload\":\"AAAA\",\"signatures\":[{\"signature\":\"AAAA\"}]}", M2M_E_ESD_HEADER}, /* no alg */
		{"{\"payload\":\"AAAA\",\"signatures\":[{\"header\":{\"alg\":\"none\"},\"signature\":\"AAAA\"}]}",
		 M2M_E_ESD_UNSECURED},
		{"{\"payload\":\"AAAA\",\"signatures\":[{\"header\":{\"alg\":\"HS256\"},\"signature\":\"\"}]}",
		 M2M_E_ESD_FORMAT},
		{"{\"payload\":\"AA+A\",\"header\":{\"alg\":\"HS256\"},\"signature\":\"AAAA\"}", M2M_E_ESD_FORMAT},
		{"{\"payload\":7,\"header\":{\"alg\":\"HS256\"},\"signature\":\"AAAA\"}", M2M_E_ESD_FORMAT},
		{"{\"payload\":\"AAAA\",\"header\":[1],\"signature\":\"AAAA\"}", M2M_E_ESD_FORMAT},
		{"{\"payload\":\"AAAA\",\"protected\":\"WzFd\",\"signature\":\"AAAA\"}", M2M_E_ESD_HEADER},
		{"{\"ciphertext\":\"\",\"unprotected\":{\"alg\":\"dir\"}}", M2M_E_ESD_FORMAT},
		{"{\"ciphertext\":\"AAAA\",\"tag\":\"A\",\"unprotected\":{\"alg\":\"dir\"}}", M2M_E_ESD_FORMAT},
		{"{\"ciphertext\":\"AAAA\"}", M2M_E_ESD_HEADER},
		{"{\"ciphertext\":\"AAAA\",\"recipients\":[{\"encrypted_key\":\"AAAA\"}]}", M2M_E_ESD_HEADER},
		{"{\"ciphertext\":\"AAAA\",\"recipients\":{}}", M2M_E_ESD_FORMAT},
		{"{\"ciphertext\":\"AAAA\",\"unprotected\":{\"alg\":\"dir\"},\"payload\":\"AAAA\"}", M2M_E_ESD_FORMAT},
		{"{\"payload\":\"AAAA\",\"header\":{\"alg\":\"HS256\"},\"signature\":\"AAAA\",\"x\":[[[[[[[[[[1]]]]]]]]]]}",
		 M2M_E_ESD_TOO_LARGE},
		{"{\"payload\":\"AAAA\",\"payload\":\"AAAA\"}", M2M_E_ESD_FORMAT}, /* duplicate member */
	};

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		m2m_err got = sh(cases[i].s, M2M_ESD_JSON);
		if (got != cases[i].want)
			fail_msg("case %zu: %s -> %s, want %s", i, cases[i].s, m2m_errname(got), m2m_errname(cases[i].want));
	}
	assert_int_equal(m2m_esdata_shape(NULL, 0, M2M_ESD_JSON), M2M_E_INVAL);
	assert_int_equal(m2m_esdata_shape("{}", 2, (m2m_esdata_ser)7), M2M_E_INVAL);
	assert_int_equal(m2m_esdata_shape("{}", M2M_ESD_MAX_LEN + 1, M2M_ESD_JSON), M2M_E_ESD_TOO_LARGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_made_objects_pass),
		cmocka_unit_test(test_compact_refusals),
		cmocka_unit_test(test_json_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
