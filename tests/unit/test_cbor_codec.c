/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/cbor_codec.c, the oneM2M CBOR serialisation
 * (TS-0004 V3.32.0 clause 8.5.1). Vectors are independent of the code under test: the examples
 * of RFC 8949 Appendix A (hex copied from the RFC), TS-0004 clause 8.5.2 Example 1, and the
 * output of python3-cbor2 5.4.6 (the command is in a comment next to each such vector).
 */
#include <stdlib.h>

#include "m2m_test.h"
#include "core/cbor_codec.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static m2m_err dec_hex(const char *hex, json_t **out, char *why, size_t whylen)
{
	static uint8_t buf[4096];
	size_t n = unhex(hex, buf, sizeof(buf));

	return m2mi_cbor_decode(buf, n, NULL, out, why, whylen);
}

/* hex decodes to exactly the JSON text json (compared as values). */
static void ok(const char *hex, const char *json)
{
	json_t *v = NULL, *want = json_loads(json, JSON_DECODE_ANY, NULL);
	char why[128];

	assert_non_null(want);
	if (dec_hex(hex, &v, why, sizeof(why)) != M2M_OK)
		fail_msg("%s: %s", hex, why);
	if (!json_equal(v, want)) {
		char *got = json_dumps(v, JSON_ENCODE_ANY);
		fail_msg("%s decoded to %s, want %s", hex, got, json);
	}
	/* integers stay integers and reals reals (json_equal already tells 1 from 1.0) */
	json_decref(v);
	json_decref(want);
}

static void bad(const char *hex, m2m_err want, const char *why_part)
{
	json_t *v = (json_t *)1;
	char why[128];
	m2m_err rc = dec_hex(hex, &v, why, sizeof(why));

	if (rc != want)
		fail_msg("%s: rc %d, want %d (%s)", hex, rc, want, why);
	assert_null(v);
	if (strstr(why, why_part) == NULL)
		fail_msg("%s: reason '%s' lacks '%s'", hex, why, why_part);
}

/* ---- RFC 8949 Appendix A, the items JSON can carry ----------------------------------------------- */

static void test_rfc8949_integers(void **state)
{
	ok("00", "0");
	ok("01", "1");
	ok("0a", "10");
	ok("17", "23");
	ok("1818", "24");
	ok("1864", "100");
	ok("1903e8", "1000");
	ok("1a000f4240", "1000000");
	ok("1b000000e8d4a51000", "1000000000000");
	ok("20", "-1");
	ok("29", "-10");
	ok("3863", "-100");
	ok("3903e7", "-1000");
	/* the int64 edges jansson holds exactly */
	ok("1b7fffffffffffffff", "9223372036854775807");
	ok("3b7fffffffffffffff", "-9223372036854775808");
	/* beyond them no exact JSON value here: refused, not rounded */
	bad("1b8000000000000000", M2M_E_PROTO, "2^63-1");
	bad("1bffffffffffffffff", M2M_E_PROTO, "2^63-1");             /* 18446744073709551615 */
	bad("3b8000000000000000", M2M_E_PROTO, "below -2^63");
	bad("3bffffffffffffffff", M2M_E_PROTO, "below -2^63");        /* -18446744073709551616 */
	bad("c249010000000000000000", M2M_E_PROTO, "a tag");           /* bignum 2^64 */
}

static void test_rfc8949_floats(void **state)
{
	ok("f90000", "0.0");
	ok("f98000", "-0.0");
	ok("f93c00", "1.0");
	ok("fb3ff199999999999a", "1.1");
	ok("f93e00", "1.5");
	ok("f97bff", "65504.0");
	ok("fa47c35000", "100000.0");
	ok("fa7f7fffff", "3.4028234663852886e+38");
	ok("fb7e37e43c8800759c", "1.0e+300");
	ok("f90001", "5.960464477539063e-8");
	ok("f90400", "0.00006103515625");
	ok("f9c400", "-4.0");
	ok("fbc010666666666666", "-4.1");
	bad("f97c00", M2M_E_PROTO, "infinity"); /* Infinity, NaN, -Infinity in all three widths */
	bad("f97e00", M2M_E_PROTO, "NaN");
	bad("f9fc00", M2M_E_PROTO, "infinity");
	bad("fa7f800000", M2M_E_PROTO, "infinity");
	bad("fa7fc00000", M2M_E_PROTO, "NaN");
	bad("faff800000", M2M_E_PROTO, "infinity");
	bad("fb7ff0000000000000", M2M_E_PROTO, "infinity");
	bad("fb7ff8000000000000", M2M_E_PROTO, "NaN");
	bad("fbfff0000000000000", M2M_E_PROTO, "infinity");
}

static void test_rfc8949_simple_and_tags(void **state)
{
	ok("f4", "false");
	ok("f5", "true");
	ok("f6", "null");
	bad("f7", M2M_E_PROTO, "undefined");
	bad("f0", M2M_E_PROTO, "malformed");   /* simple(16) */
	bad("f8ff", M2M_E_PROTO, "malformed"); /* simple(255) */
	bad("c074323031332d30332d32315432303a30343a30305a", M2M_E_PROTO, "a tag"); /* tag 0 date */
	bad("c11a514b67b0", M2M_E_PROTO, "a tag");
	bad("d74401020304", M2M_E_PROTO, "a tag");
	bad("d818456449455446", M2M_E_PROTO, "a tag");
	bad("d82076687474703a2f2f7777772e6578616d706c652e636f6d", M2M_E_PROTO, "a tag");
}

static void test_rfc8949_strings(void **state)
{
	ok("60", "\"\"");
	ok("6161", "\"a\"");
	ok("6449455446", "\"IETF\"");
	ok("62225c", "\"\\\"\\\\\"");
	ok("62c3bc", "\"\\u00fc\"");
	ok("63e6b0b4", "\"\\u6c34\"");
	ok("64f0908591", "\"\\ud800\\udd51\"");
	/* byte strings: JSON has none (TS-0004 clause 8.5.1 wants major type 3 for every string) */
	bad("40", M2M_E_PROTO, "a byte string");
	bad("4401020304", M2M_E_PROTO, "a byte string");
	bad("5f42010243030405ff", M2M_E_PROTO, "a byte string");
	/* indefinite-length text strings are refused (chunks would be UTF-8-checked one by one) */
	bad("7f657374726561646d696e67ff", M2M_E_PROTO, "indefinite-length text string");
	/* invalid UTF-8: a lone continuation, a cut sequence, an overlong '/', a surrogate; NUL */
	bad("6180", M2M_E_PROTO, "UTF-8");
	bad("62c328", M2M_E_PROTO, "UTF-8");
	bad("62c0af", M2M_E_PROTO, "UTF-8");
	bad("63eda080", M2M_E_PROTO, "UTF-8");
	bad("6100", M2M_E_PROTO, "NUL");
}

static void test_rfc8949_containers(void **state)
{
	ok("80", "[]");
	ok("83010203", "[1,2,3]");
	ok("8301820203820405", "[1,[2,3],[4,5]]");
	ok("98190102030405060708090a0b0c0d0e0f101112131415161718181819",
	   "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]");
	ok("a0", "{}");
	ok("a26161016162820203", "{\"a\":1,\"b\":[2,3]}");
	ok("826161a161626163", "[\"a\",{\"b\":\"c\"}]");
	ok("a56161614161626142616361436164614461656145", "{\"a\":\"A\",\"b\":\"B\",\"c\":\"C\",\"d\":\"D\",\"e\":\"E\"}");
	/* indefinite-length arrays and maps (RFC 8949 Appendix A) */
	ok("9fff", "[]");
	ok("9f018202039f0405ffff", "[1,[2,3],[4,5]]");
	ok("9f01820203820405ff", "[1,[2,3],[4,5]]");
	ok("83018202039f0405ff", "[1,[2,3],[4,5]]");
	ok("83019f0203ff820405", "[1,[2,3],[4,5]]");
	ok("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
	   "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]");
	ok("bf61610161629f0203ffff", "{\"a\":1,\"b\":[2,3]}");
	ok("826161bf61626163ff", "[\"a\",{\"b\":\"c\"}]");
	ok("bf6346756ef563416d7421ff", "{\"Fun\":true,\"Amt\":-2}");
	/* map keys must be text strings: RFC 8949 Appendix A {1: 2, 3: 4} */
	bad("a201020304", M2M_E_PROTO, "not a text string");
	bad("a1f56161", M2M_E_PROTO, "not a text string");
	bad("a1800102", M2M_E_PROTO, "not a text string");
}

static void test_ts0004_example(void **state)
{
	/* TS-0004 clause 8.5.2 EXAMPLE 1, re-encoded with text strings as clause 8.5.1 requires:
	 * /usr/bin/python3 -c 'import cbor2; t=lambda v: v.decode() if isinstance(v,bytes) else
	 *   {t(k):t(x) for k,x in v.items()} if isinstance(v,dict) else v;
	 *   print(cbor2.dumps(t(cbor2.loads(bytes.fromhex(EX1)))).hex())' */
	ok("a6627063a1666d326d3a6165a362726e74536d617274486f6d654170706c69636174696f6e63617069644e6135"
	   "366361706e67617070313233346274790262746f772f2f6578616d706c652e6e65742f6d6e63736531323334"
	   "6372636e07626f700163727169654131303030",
	   "{\"op\":1,\"to\":\"//example.net/mncse1234\",\"rqi\":\"A1000\",\"rcn\":7,\"pc\":{\"m2m:ae\":"
	   "{\"rn\":\"SmartHomeApplication\",\"api\":\"Na56\",\"apn\":\"app1234\"}},\"ty\":2}");
	/* The clause 8.5.2 hex itself encodes every string as a byte string (major type 2, 0x42 "pc")
	 * against clause 8.5.1's normative "major type 3": refused, not guessed at. */
	bad("a6427063a1466d326d3a6165a342726e54536d617274486f6d654170706c69636174696f6e43617069444e61"
	    "35364361706e47617070313233344274790242746f572f2f6578616d706c652e6e65742f6d6e637365313233"
	    "344372636e07426f700143727169454131303030",
	    M2M_E_PROTO, "a byte string");
}

static void test_malformed(void **state)
{
	bad("", M2M_E_PROTO, "empty");
	bad("1a000f", M2M_E_PROTO, "truncated");
	bad("62c3", M2M_E_PROTO, "truncated");
	bad("830102", M2M_E_PROTO, "truncated");
	bad("a16161", M2M_E_PROTO, "truncated");            /* a key without its value */
	bad("9f0102", M2M_E_PROTO, "truncated");            /* no break */
	bad("1c", M2M_E_PROTO, "malformed");                /* reserved additional information */
	bad("1f", M2M_E_PROTO, "malformed");                /* indefinite integer */
	bad("ff", M2M_E_PROTO, "break outside");
	bad("8201ff", M2M_E_PROTO, "break outside");        /* break in a definite array */
	bad("bf6161ff", M2M_E_PROTO, "break outside");      /* break between key and value */
	bad("0000", M2M_E_PROTO, "bytes after");            /* two data items */
	bad("a0a0", M2M_E_PROTO, "bytes after");
	/* duplicate keys, as jansson's JSON_REJECT_DUPLICATES for the JSON twin */
	bad("a2616101616102", M2M_E_PROTO, "duplicate");
	bad("bf616101616102ff", M2M_E_PROTO, "duplicate");
	/* a definite length larger than the input */
	bad("9bffffffffffffffff", M2M_E_PROTO, "truncated");
	bad("7bffffffffffffffff", M2M_E_PROTO, "truncated");
}

static void test_limits(void **state)
{
	uint8_t buf[512];
	json_t *v = NULL;
	char why[128];
	m2mi_cbor_limits lim = {0, 4};

	/* M2MI_CBOR_MAX_DEPTH nested arrays decode, one more is refused */
	memset(buf, 0x81, M2MI_CBOR_MAX_DEPTH);
	buf[M2MI_CBOR_MAX_DEPTH] = 0x00;
	assert_int_equal(m2mi_cbor_decode(buf, M2MI_CBOR_MAX_DEPTH + 1, NULL, &v, why, sizeof(why)), M2M_OK);
	json_decref(v);
	memset(buf, 0x81, M2MI_CBOR_MAX_DEPTH + 1);
	buf[M2MI_CBOR_MAX_DEPTH + 1] = 0x00;
	assert_int_equal(m2mi_cbor_decode(buf, M2MI_CBOR_MAX_DEPTH + 2, NULL, &v, why, sizeof(why)),
			 M2M_E_TOO_LARGE);
	assert_null(v);
	assert_non_null(strstr(why, "nested deeper"));
	memset(buf, 0x9f, 200); /* indefinite ones count the same */
	assert_int_equal(m2mi_cbor_decode(buf, 200, NULL, &v, why, sizeof(why)), M2M_E_TOO_LARGE);
	memset(buf, 0xbf, 1); /* and maps */
	memcpy(buf + 1, "\x61\x61", 2);
	for (size_t i = 0; i < 100; i++)
		memcpy(buf + 3 + 3 * i, "\xa1\x61\x61", 3);
	assert_int_equal(m2mi_cbor_decode(buf, 3 + 300, NULL, &v, why, sizeof(why)), M2M_E_TOO_LARGE);
	/* items: [1,2,3] is 4 items, [1,2,3,4] is 5 */
	assert_int_equal(m2mi_cbor_decode((const uint8_t *)"\x83\x01\x02\x03", 4, &lim, &v, why, sizeof(why)), M2M_OK);
	json_decref(v);
	assert_int_equal(m2mi_cbor_decode((const uint8_t *)"\x84\x01\x02\x03\x04", 5, &lim, &v, why, sizeof(why)),
			 M2M_E_TOO_LARGE);
	/* a caller's smaller depth */
	lim = (m2mi_cbor_limits){2, 0};
	assert_int_equal(m2mi_cbor_decode((const uint8_t *)"\x81\x81\x00", 3, &lim, &v, why, sizeof(why)), M2M_OK);
	json_decref(v);
	assert_int_equal(m2mi_cbor_decode((const uint8_t *)"\x81\x81\x81\x00", 4, &lim, &v, why, sizeof(why)),
			 M2M_E_TOO_LARGE);
	/* arguments */
	assert_int_equal(m2mi_cbor_decode(NULL, 1, NULL, &v, NULL, 0), M2M_E_INVAL);
	assert_int_equal(m2mi_cbor_decode(buf, 1, NULL, NULL, NULL, 0), M2M_E_INVAL);
}

/* ---- encoding --------------------------------------------------------------------------------- */

static void enc_is(const char *json, const char *hex)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	uint8_t want[512], *got = NULL;
	size_t n = unhex(hex, want, sizeof(want)), glen = 0;
	json_t *back = NULL;

	assert_non_null(v);
	assert_int_equal(m2mi_cbor_encode(v, &got, &glen), M2M_OK);
	if (glen != n || memcmp(got, want, n) != 0)
		fail_msg("%s encoded differently from %s", json, hex);
	/* and back to the same value */
	assert_int_equal(m2mi_cbor_decode(got, glen, NULL, &back, NULL, 0), M2M_OK);
	assert_true(json_equal(back, v));
	json_decref(back);
	json_decref(v);
	free(got);
}

static void test_encode(void **state)
{
	/* RFC 8949 Appendix A */
	enc_is("0", "00");
	enc_is("23", "17");
	enc_is("24", "1818");
	enc_is("1000000", "1a000f4240");
	enc_is("1000000000000", "1b000000e8d4a51000");
	enc_is("-1", "20");
	enc_is("-1000", "3903e7");
	enc_is("-9223372036854775808", "3b7fffffffffffffff");
	enc_is("9223372036854775807", "1b7fffffffffffffff");
	enc_is("1.1", "fb3ff199999999999a");
	enc_is("-4.1", "fbc010666666666666");
	enc_is("1.0e+300", "fb7e37e43c8800759c");
	enc_is("false", "f4");
	enc_is("true", "f5");
	enc_is("null", "f6");
	enc_is("\"\"", "60");
	enc_is("\"\\u00fc\"", "62c3bc");
	enc_is("\"\\ud800\\udd51\"", "64f0908591");
	enc_is("[]", "80");
	enc_is("[1,[2,3],[4,5]]", "8301820203820405");
	enc_is("{}", "a0");
	enc_is("{\"a\":1,\"b\":[2,3]}", "a26161016162820203");
	/* a contentInstance, keys in jansson's (insertion) order; the same dict in cbor2:
	 * /usr/bin/python3 -c 'import cbor2,json; print(cbor2.dumps(json.loads(J)).hex())' (floats
	 * are doubles in cbor2's default mode, as here) */
	enc_is("{\"m2m:cin\":{\"cnf\":\"text/plain:0\",\"con\":\"21.5\",\"lbl\":[\"a\",\"b\"],\"st\":0,\"cs\":-1000,"
	       "\"x\":1.5,\"y\":0.1,\"z\":null,\"t\":true}}",
	       "a1676d326d3a63696ea963636e666c746578742f706c61696e3a3063636f6e6432312e35636c626c82616161626273"
	       "74006263733903e76178fb3ff80000000000006179fb3fb999999999999a617af66174f5");
}

static void test_encode_limits(void **state)
{
	json_t *v = json_array(), *inner = v;
	uint8_t *out = (uint8_t *)1;
	size_t n = 1;

	for (size_t i = 0; i < M2MI_CBOR_ENC_MAX_DEPTH + 1; i++) {
		json_t *a = json_array();
		assert_int_equal(json_array_append_new(inner, a), 0);
		inner = a;
	}
	assert_int_equal(m2mi_cbor_encode(v, &out, &n), M2M_E_RANGE);
	assert_null(out);
	assert_int_equal(n, 0);
	json_decref(v);
	assert_int_equal(m2mi_cbor_encode(NULL, &out, &n), M2M_E_INVAL);
	/* a string with NUL goes out as it is (major type 3 carries it), length-exact */
	v = json_stringn("a\0b", 3);
	assert_int_equal(m2mi_cbor_encode(v, &out, &n), M2M_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\x63" "a\0b", 4);
	free(out);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8949_integers),   cmocka_unit_test(test_rfc8949_floats),
		cmocka_unit_test(test_rfc8949_simple_and_tags), cmocka_unit_test(test_rfc8949_strings),
		cmocka_unit_test(test_rfc8949_containers), cmocka_unit_test(test_ts0004_example),
		cmocka_unit_test(test_malformed),          cmocka_unit_test(test_limits),
		cmocka_unit_test(test_encode),             cmocka_unit_test(test_encode_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
