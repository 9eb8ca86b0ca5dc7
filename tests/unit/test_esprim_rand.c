/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/esprim_rand.c: rand-object generation (clause
 * 8.4.2 B: 128-bit value, shared / non-shared identifier), the JSON codec with the short names of
 * TS-0004 clause 8.2.5 (absolute and relative esrx, every malformed element refused), the
 * Receiver's checks of TS-0003 clause 8.4.2 C.6b-C.6c with their exact errors, and the
 * sessionESPrimKey of clause 10.3.8.2 checked against a one-shot HMAC-SHA256 (then truncated per
 * AEAD, docs/procedures/e2e.md).
 */
#include <openssl/hmac.h>

#include "esprim_fixture.h"

static void test_init_and_codec(void **state)
{
	m2m_esprim_rand rro, oro, back;
	char *s = NULL;

	(void)state;
	fx_rands(&rro, &oro);
	assert_string_equal(rro.value, "v0102030405060708090a0b0c0d0e0f10");
	assert_true(m2m_esprim_rand_id_shared(rro.id));
	assert_false(m2m_esprim_rand_id_shared(oro.id));
	assert_int_equal(m2m_esprim_rand_encode(&rro, false, &s), M2M_OK);
	assert_string_equal(s, "{\"esri\":\"sa102030405060708\",\"esrv\":\"v0102030405060708090a0b0c0d0e0f10\","
			       "\"esrx\":\"20251205T010000\",\"esks\":[1],\"espa\":[10,11,12]}");
	assert_int_equal(m2m_esprim_rand_decode(s, strlen(s), false, 0, &back), M2M_OK);
	assert_memory_equal(&back, &rro, sizeof(rro));
	free(s);
	assert_int_equal(m2m_esprim_rand_encode(&oro, true, &s), M2M_OK);
	assert_non_null(strstr(s, "\"esk\":1"));
	assert_int_equal(m2m_esprim_rand_decode(s, strlen(s), true, 0, &back), M2M_OK);
	assert_memory_equal(&back, &oro, sizeof(oro));
	/* the originator form is not a receiver object */
	assert_int_equal(m2m_esprim_rand_decode(s, strlen(s), false, 0, &back), M2M_E_ESP_RAND_OBJ);
	free(s);
	/* relative esrx: milliseconds from now, as number or string */
	s = (char *)"{\"esri\":\"n1\",\"esrv\":\"vab\",\"esrx\":3600000,\"esks\":[1],\"espa\":[10]}";
	assert_int_equal(m2m_esprim_rand_decode(s, strlen(s), false, T0, &back), M2M_OK);
	assert_int_equal(back.expiry, T0 + 3600);
	s = (char *)"{\"esri\":\"n1\",\"esrv\":\"vab\",\"esrx\":\"60000\",\"esks\":[1],\"espa\":[10]}";
	assert_int_equal(m2m_esprim_rand_decode(s, strlen(s), false, T0, &back), M2M_OK);
	assert_int_equal(back.expiry, T0 + 60);
}

static void test_decode_refusals(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{}", "not json",
		"{\"esrv\":\"v\",\"esrx\":\"20251205T010000\",\"esks\":[1],\"espa\":[10]}",            /* no esri */
		"{\"esri\":\"1x\",\"esrv\":\"v\",\"esrx\":\"20251205T010000\",\"esks\":[1],\"espa\":[10]}", /* NCName */
		"{\"esri\":\"a b\",\"esrv\":\"v\",\"esrx\":\"20251205T010000\",\"esks\":[1],\"espa\":[10]}",
		"{\"esri\":\"n\",\"esrv\":7,\"esrx\":\"20251205T010000\",\"esks\":[1],\"espa\":[10]}",
		"{\"esri\":\"n\",\"esrv\":\"v\",\"esrx\":\"2025-12-05\",\"esks\":[1],\"espa\":[10]}",
		"{\"esri\":\"n\",\"esrv\":\"v\",\"esrx\":\"20251305T010000\",\"esks\":[1],\"espa\":[10]}",
		"{\"esri\":\"n\",\"esrv\":\"v\",\"esrx\":-5,\"esks\":[1],\"espa\":[10]}",
		"{\"esri\":\"n\",\"esrv\":\"v\",\"esrx\":\"09291230T000000\",\"esks\":[1],\"espa\":[10]}",
		"{\"esri\":\"n\",\"esrv\":\"v\",\"esrx\":\"20251205T010000\",\"esks\":[],\"espa\":[10]}",
		"{\"esri\":\"n\",\"esrv\":\"v\",\"esrx\":\"20251205T010000\",\"esks\":1,\"espa\":[10]}",
		"{\"esri\":\"n\",\"esrv\":\"v\",\"esrx\":\"20251205T010000\",\"esks\":[1]}",
		"{\"esri\":\"n\",\"esrv\":\"v\",\"esrx\":\"20251205T010000\",\"esks\":[1],\"espa\":[\"10\"]}",
		"{\"esri\":\"n\",\"esrv\":\"v\",\"esrx\":\"20251205T010000\",\"esks\":[1],\"espa\":[1,2,3,4,5,6,7,8,9]}",
		"{\"esri\":\"n\",\"esri\":\"m\",\"esrv\":\"v\",\"esrx\":\"20251205T010000\",\"esks\":[1],\"espa\":[10]}",
		"{\"esri\":\"n\",\"esrv\":\"v\",\"esrx\":\"20251205T010000\",\"esks\":[1],\"esk\":1,\"espa\":[10]}",
	};
	m2m_esprim_rand r;

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++)
		assert_int_equal(m2m_esprim_rand_decode(bad[i], strlen(bad[i]), false, T0, &r), M2M_E_ESP_RAND_OBJ);
}

static void test_init_refusals(void **state)
{
	uint8_t z[16] = {0};
	int kg2[] = {1, 1}, a[] = {10};
	m2m_esprim_rand r;

	(void)state;
	assert_int_equal(m2m_esprim_rand_init(&r, true, false, z, z, T0, kg2, 2, a, 1), M2M_E_INVAL);
	assert_int_equal(m2m_esprim_rand_init(&r, true, true, z, z, T0, kg2, 1, a, 1), M2M_E_INVAL);
	assert_int_equal(m2m_esprim_rand_init(&r, false, false, z, z, T0, kg2, 0, a, 1), M2M_E_INVAL);
	assert_int_equal(m2m_esprim_rand_init(&r, false, false, z, z, T0, kg2, 1, a, 0), M2M_E_INVAL);
}

static void test_checks(void **state)
{
	m2m_esprim_rand rro, oro, o2;

	(void)state;
	fx_rands(&rro, &oro);
	assert_int_equal(m2m_esprim_check_rands(&rro, &oro, 11, T0), M2M_OK);
	/* 4114: the receiver object expired */
	assert_int_equal(m2m_esprim_check_rands(&rro, &oro, 11, T0 + 3600), M2M_E_ESP_RECV_RAND);
	/* 4113: the originator object expired, or outlives the receiver's */
	assert_int_equal(m2m_esprim_check_rands(&rro, &oro, 11, T0 + 1800), M2M_E_ESP_ORIG_RAND);
	o2 = oro;
	o2.expiry = rro.expiry + 1;
	assert_int_equal(m2m_esprim_check_rands(&rro, &o2, 11, T0), M2M_E_ESP_ORIG_RAND);
	/* 4111: key generation algorithm not offered / not ours, AEAD not a subset / not used */
	o2 = oro;
	o2.keygen[0] = 2;
	assert_int_equal(m2m_esprim_check_rands(&rro, &o2, 11, T0), M2M_E_ESP_UNSUPPORTED);
	o2 = oro;
	o2.aead[2] = 13;
	assert_int_equal(m2m_esprim_check_rands(&rro, &o2, 11, T0), M2M_E_ESP_UNSUPPORTED);
	o2 = oro;
	o2.naead = 1; /* only A128GCM */
	assert_int_equal(m2m_esprim_check_rands(&rro, &o2, 12, T0), M2M_E_ESP_UNSUPPORTED);
	assert_int_equal(m2m_esprim_check_rands(&rro, &oro, 9, T0), M2M_E_ESP_UNSUPPORTED);
}

static void test_session_key(void **state)
{
	m2m_esprim_rand rro, oro;
	uint8_t pw[32], msg[256], mac[32];
	unsigned maclen = 0;
	size_t n = 0, kl;
	const int aeads[] = {10, 11, 12};
	const size_t lens[] = {16, 24, 32};

	(void)state;
	fx_rands(&rro, &oro);
	memset(pw, 0x5a, sizeof(pw));
	memcpy(msg, rro.value, strlen(rro.value));
	n += strlen(rro.value);
	memcpy(msg + n, oro.value, strlen(oro.value));
	n += strlen(oro.value);
	memcpy(msg + n, "oneM2M HMAC-SHA256 sessionESPrimKey derivation algorithm", 56);
	n += 56;
	HMAC(EVP_sha256(), pw, sizeof(pw), msg, n, mac, &maclen);
	for (size_t i = 0; i < 3; i++) {
		m2m_key *s = fx_session(&rro, &oro, aeads[i]);
		const uint8_t *b = m2m_key_bytes(s, &kl);

		assert_int_equal(kl, lens[i]);
		assert_memory_equal(b, mac, lens[i]);
		m2m_key_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_and_codec), cmocka_unit_test(test_decode_refusals),
		cmocka_unit_test(test_init_refusals),  cmocka_unit_test(test_checks),
		cmocka_unit_test(test_session_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
