/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/b64.c (strict RFC 4648 base64 for the B-TID of
 * 3GPP TS 33.220 clause 4.5.2 and the RFC 3310 nonce): the RFC 4648 clause 10 test vectors, and
 * the refusal of every non-canonical or malformed text.
 */
#include "m2m_test.h"
#include "core/b64_int.h"

static void test_rfc4648_vectors(void **state)
{
	/* RFC 4648 clause 10 */
	static const char *const in[] = {"f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const out[] = {"Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	char enc[16];
	uint8_t dec[16];
	size_t n;

	for (size_t i = 0; i < M2M_ARRAY_LEN(in); i++) {
		assert_int_equal(m2mi_b64_encode((const uint8_t *)in[i], strlen(in[i]), enc, sizeof(enc)), M2M_OK);
		assert_string_equal(enc, out[i]);
		assert_int_equal(m2mi_b64_decode(out[i], strlen(out[i]), dec, sizeof(dec), &n), M2M_OK);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(dec, in[i], n);
	}
	assert_int_equal(m2mi_b64_encode((const uint8_t *)"", 0, enc, sizeof(enc)), M2M_OK);
	assert_string_equal(enc, "");
	assert_int_equal(m2mi_b64_decode("//79", 4, dec, sizeof(dec), &n), M2M_OK);
	assert_int_equal(n, 3);
	assert_int_equal(dec[0], 0xff);
}

static void test_refusals(void **state)
{
	static const char *const bad[] = {
		"",         /* empty */
		"Zg=",      /* not a multiple of 4 */
		"Zg",       /* no padding */
		"Zh==",     /* non-zero unused bits */
		"Zm9=",     /* non-zero unused bits (one pad) */
		"Z===",     /* three pads */
		"Zg=a",     /* '=' inside */
		"Z g=",     /* white space */
		"Zm9v\n",   /* line break */
		"Zm-v",     /* base64url alphabet */
		"Zm_v",
		"=Zg=",
	};
	uint8_t dec[16];
	size_t n = 99;
	char enc[4];

	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++)
		assert_int_equal(m2mi_b64_decode(bad[i], strlen(bad[i]), dec, sizeof(dec), &n), M2M_E_PROTO);
	assert_int_equal(n, 0);
	assert_int_equal(m2mi_b64_decode("Zm9vYmFy", 8, dec, 5, &n), M2M_E_TOO_LARGE);
	assert_int_equal(m2mi_b64_decode("Zm9v", 4, NULL, 5, &n), M2M_E_INVAL);
	assert_int_equal(m2mi_b64_encode((const uint8_t *)"foo", 3, enc, sizeof(enc)), M2M_E_RANGE);
	assert_int_equal(m2mi_b64_encode(NULL, 3, enc, sizeof(enc)), M2M_E_INVAL);
}

/* The base64url alphabet of RFC 4648 clause 5 (the JOSE compact forms): every other byte refused,
 * '=' padding, the standard alphabet's '+' and '/', '.', NUL and bytes above 127 included. */
static void test_b64url_chars(void **state)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char one[1];
	size_t allowed = 0;

	(void)state;
	assert_true(m2mi_b64url_chars(ok, sizeof(ok) - 1));
	assert_true(m2mi_b64url_chars("", 0));
	for (int c = 0; c < 256; c++) {
		one[0] = (char)c;
		allowed += m2mi_b64url_chars(one, 1);
		assert_int_equal(m2mi_b64url_chars(one, 1), c != 0 && strchr(ok, c) != NULL);
	}
	assert_int_equal(allowed, 64);
	assert_false(m2mi_b64url_chars("abc=", 4));
	assert_false(m2mi_b64url_chars("a+b", 3));
	assert_false(m2mi_b64url_chars("a/b", 3));
	assert_false(m2mi_b64url_chars("a.b", 3));
	assert_true(m2mi_b64url_chars("a.b", 1)); /* only the n characters given */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_b64url_chars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
