/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/kdf_e2e.c: the end-to-end keys of TS-0003 clause
 * 10.3.6 checked against RFC 5869 (test case 1 PRK, and OpenSSL's own HKDF for T(1)), and the
 * sessionESPrimKey of clause 10.3.8.2 against a one-shot HMAC; plus error cases. The full
 * known-answer set is in test_kdf.c (tests/vectors/kdf_vectors.txt).
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "m2m_test.h"
#include "m2msec/kdf.h"

static m2m_key *key_of(const uint8_t *b, size_t n)
{
	m2m_key *k = NULL;

	assert_int_equal(m2m_key_new(b, n, &k), M2M_OK);
	return k;
}

/* OpenSSL HKDF (extract+expand or expand only) as an independent reference. */
static void ossl_hkdf(int mode, const uint8_t *key, size_t klen, const uint8_t *salt, size_t slen,
		      const char *info, uint8_t out[32])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[6], *q = p;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, klen);
	if (salt != NULL)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, slen);
	if (info != NULL)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
	*q = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_KDF_derive(ctx, out, 32, p), 1);
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
}

static void test_rfc5869(void **state)
{
	/* RFC 5869 A.1: IKM = 0x0b * 22, salt = 0x00..0x0c -> PRK */
	static const uint8_t prk[32] = {
		0x07, 0x77, 0x09, 0x36, 0x2c, 0x2e, 0x32, 0xdf, 0x0d, 0xdc, 0x3f, 0x0d, 0xc4, 0x7b, 0xba, 0x63,
		0x90, 0xb6, 0xc7, 0x3b, 0xb5, 0x0f, 0x9c, 0x31, 0x22, 0xec, 0x84, 0x4a, 0xd7, 0xc2, 0xb3, 0xe5,
	};
	uint8_t ikm[22], salt[13], ref[32];
	m2m_kdf *kdf = NULL;
	m2m_key *kpsa, *master = NULL;
	m2m_kdf_e2e_keys keys;
	const uint8_t *b;
	size_t n;

	memset(ikm, 0x0b, sizeof(ikm));
	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	kpsa = key_of(ikm, sizeof(ikm));
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	assert_int_equal(m2m_kdf_e2e_master(kdf, kpsa, salt, sizeof(salt), &master), M2M_OK);
	b = m2m_key_bytes(master, &n);
	assert_int_equal(n, 32);
	assert_memory_equal(b, prk, 32);
	/* T(1) is HKDF-Expand(PRK, "E2E Message Authentication Key", 32) */
	assert_int_equal(m2m_kdf_e2e_expand(kdf, master, &keys), M2M_OK);
	ossl_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, 32, NULL, 0, M2M_KDF_LABEL_E2E_MSG_AUTH, ref);
	assert_memory_equal(m2m_key_bytes(keys.msg_auth, NULL), ref, 32);
	/* T(2) uses another label than T(1), so it is not HKDF's second block */
	assert_memory_not_equal(m2m_key_bytes(keys.msg_conf, NULL), m2m_key_bytes(keys.msg_auth, NULL), 32);
	m2m_kdf_e2e_keys_clear(&keys);
	/* the no-salt case equals HKDF with salt omitted (RFC 5869: HashLen zeros) */
	m2m_key_free(master);
	assert_int_equal(m2m_kdf_e2e(kdf, kpsa, NULL, 0, &keys), M2M_OK);
	ossl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, ikm, sizeof(ikm), NULL, 0, M2M_KDF_LABEL_E2E_MSG_AUTH, ref);
	assert_memory_equal(m2m_key_bytes(keys.msg_auth, NULL), ref, 32);
	m2m_kdf_e2e_keys_clear(&keys);
	m2m_kdf_e2e_keys_clear(NULL);
	m2m_key_free(kpsa);
	m2m_kdf_free(kdf);
}

static void test_e2e_errors(void **state)
{
	uint8_t big[M2M_KDF_INPUT_MAX + 1] = {0}, k[32] = {1};
	m2m_kdf *kdf = NULL;
	m2m_key *kpsa = key_of(k, 32), *out = (m2m_key *)0x1;
	m2m_kdf_e2e_keys keys;

	memset(&keys, 0xa5, sizeof(keys));
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	assert_int_equal(m2m_kdf_e2e(kdf, kpsa, big, sizeof(big), &keys), M2M_E_TOO_LARGE);
	assert_null(keys.msg_auth);
	assert_null(keys.att_conf);
	assert_int_equal(m2m_kdf_e2e(kdf, NULL, NULL, 0, &keys), M2M_E_INVAL);
	assert_int_equal(m2m_kdf_e2e(NULL, kpsa, NULL, 0, &keys), M2M_E_INVAL);
	assert_int_equal(m2m_kdf_e2e(kdf, kpsa, NULL, 0, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_kdf_e2e_master(kdf, kpsa, big, sizeof(big), &out), M2M_E_TOO_LARGE);
	assert_null(out);
	assert_int_equal(m2m_kdf_e2e_expand(kdf, NULL, &keys), M2M_E_INVAL);
	/* salt of M2M_KDF_INPUT_MAX bytes is accepted */
	assert_int_equal(m2m_kdf_e2e(kdf, kpsa, big, M2M_KDF_INPUT_MAX, &keys), M2M_OK);
	assert_int_equal(m2m_key_len(keys.att_conf), 32);
	m2m_kdf_e2e_keys_clear(&keys);
	m2m_key_free(kpsa);
	m2m_kdf_free(kdf);
}

static void test_session_esprim(void **state)
{
	static const char label[] = M2M_KDF_LABEL_SESSION_ESPRIM;
	uint8_t pk[32], rcv[16], orig[16], msg[32 + sizeof(label)], ref[32], big[M2M_KDF_INPUT_MAX + 1] = {0};
	unsigned int rl = 0;
	m2m_kdf *kdf = NULL;
	m2m_key *key, *out = (m2m_key *)0x1, *swapped = NULL;

	for (size_t i = 0; i < 32; i++)
		pk[i] = (uint8_t)(0x80 + i);
	memset(rcv, 0x52, sizeof(rcv));
	memset(orig, 0x4f, sizeof(orig));
	memcpy(msg, rcv, 16);
	memcpy(msg + 16, orig, 16);
	memcpy(msg + 32, label, sizeof(label) - 1);
	assert_non_null(HMAC(EVP_sha256(), pk, 32, msg, sizeof(msg) - 1, ref, &rl));
	key = key_of(pk, 32);
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	assert_int_equal(m2m_kdf_session_esprim(kdf, key, rcv, 16, orig, 16, &out), M2M_OK);
	assert_memory_equal(m2m_key_bytes(out, NULL), ref, 32);
	/* order matters: receiver first */
	assert_int_equal(m2m_kdf_session_esprim(kdf, key, orig, 16, rcv, 16, &swapped), M2M_OK);
	assert_false(m2m_key_equal(out, swapped));
	m2m_key_free(out);
	m2m_key_free(swapped);
	assert_int_equal(m2m_kdf_session_esprim(kdf, key, rcv, 0, orig, 16, &out), M2M_E_INVAL);
	assert_null(out);
	assert_int_equal(m2m_kdf_session_esprim(kdf, key, NULL, 16, orig, 16, &out), M2M_E_INVAL);
	assert_int_equal(m2m_kdf_session_esprim(kdf, key, rcv, 16, big, sizeof(big), &out), M2M_E_TOO_LARGE);
	assert_int_equal(m2m_kdf_session_esprim(kdf, NULL, rcv, 16, orig, 16, &out), M2M_E_INVAL);
	assert_int_equal(m2m_kdf_session_esprim(kdf, key, rcv, 16, orig, 16, NULL), M2M_E_INVAL);
	m2m_key_free(key);
	m2m_kdf_free(kdf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5869),
		cmocka_unit_test(test_e2e_errors),
		cmocka_unit_test(test_session_esprim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
