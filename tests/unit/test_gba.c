/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/gba.c (3GPP TS 33.220 for the GBA RSPF of TS-0003
 * clause 8.3.2.3): Ks = CK || IK from the published f3/f4 of TS 35.207 test set 1; the NAF key
 * kinds of Annex B.3 (Ks_ext_NAF takes "gba-me" and equals Ks_NAF, Ks_int_NAF takes "gba-u")
 * against S built byte by byte here and a one-shot HMAC; NAF_Id; and the B-TID of clause 4.5.2
 * (the base64 of RAND computed with Python's base64 module) with every malformed form refused.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "m2m_test.h"
#include "m2msec/gba.h"
#include "m2msec/hex.h"

/* TS 35.207 test set 1: RAND, f3 (CK), f4 (IK) */
#define RAND1 "23553cbe9637a89d218ae64dae47bf35"
#define CK1 "b40ba9a3c58b2a05bbf0d987b21bf8cb"
#define IK1 "f769bcd751044604127672711c6d3441"
/* base64(RAND1), from Python's base64.b64encode */
#define RAND1_B64 "I1U8vpY3qJ0hiuZNrke/NQ=="

static void unhex(const char *h, uint8_t *out, size_t want)
{
	size_t n = 0;

	assert_int_equal(m2m_hex_decode(h, strlen(h), out, want, &n), M2M_OK);
	assert_int_equal(n, want);
}

static m2m_key *key_hex(const char *h)
{
	uint8_t b[16];
	m2m_key *k = NULL;

	unhex(h, b, 16);
	assert_int_equal(m2m_key_new(b, 16, &k), M2M_OK);
	return k;
}

static void test_ks_is_ck_ik(void **state)
{
	uint8_t want[32];
	m2m_key *ck = key_hex(CK1), *ik = key_hex(IK1), *ks = NULL, *k32 = NULL;

	unhex(CK1 IK1, want, 32);
	assert_int_equal(m2m_gba_ks(ck, ik, &ks), M2M_OK);
	assert_int_equal(m2m_key_len(ks), 32);
	assert_memory_equal(m2m_key_bytes(ks, NULL), want, 32);
	assert_int_equal(m2m_key_new(want, 32, &k32), M2M_OK);
	m2m_key_free(ks);
	ks = (m2m_key *)0x1;
	assert_int_equal(m2m_gba_ks(k32, ik, &ks), M2M_E_KEY_LEN);
	assert_null(ks);
	assert_int_equal(m2m_gba_ks(NULL, ik, &ks), M2M_E_INVAL);
	m2m_key_free(k32);
	m2m_key_free(ck);
	m2m_key_free(ik);
}

/* HMAC-SHA-256(ks, 0x01 || p0 || L0 || RAND || L1 || IMPI || L2 || NAF_Id || L3) */
static void ref_kdf(const uint8_t *ks, const char *p0, const uint8_t *rand, const char *impi,
		    const uint8_t *naf, size_t nl, uint8_t out[32])
{
	uint8_t s[512];
	size_t n = 0, pl = strlen(p0), il = strlen(impi);
	unsigned int ol = 0;

	s[n++] = 0x01;
	memcpy(s + n, p0, pl), n += pl, s[n++] = 0, s[n++] = (uint8_t)pl;
	memcpy(s + n, rand, 16), n += 16, s[n++] = 0, s[n++] = 16;
	memcpy(s + n, impi, il), n += il, s[n++] = 0, s[n++] = (uint8_t)il;
	memcpy(s + n, naf, nl), n += nl, s[n++] = (uint8_t)(nl >> 8), s[n++] = (uint8_t)nl;
	assert_non_null(HMAC(EVP_sha256(), ks, 32, s, n, out, &ol));
}

static void test_naf_key_kinds(void **state)
{
	static const char impi[] = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org";
	uint8_t ksb[32], rand[16], naf[M2M_GBA_NAF_ID_MAX], ref[32];
	size_t nl = 0;
	m2m_kdf *kdf = NULL;
	m2m_key *ks = NULL, *me = NULL, *ext = NULL, *in = NULL, *bad = (m2m_key *)0x1;

	unhex(CK1 IK1, ksb, 32);
	unhex(RAND1, rand, 16);
	assert_int_equal(m2m_key_new(ksb, 32, &ks), M2M_OK);
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	assert_int_equal(m2m_gba_naf_id("MAF.Example.com", (const uint8_t *)M2M_GBA_UA_ONEM2M_PSK, naf, sizeof(naf),
					&nl), M2M_OK);
	assert_int_equal(nl, 15 + 5);
	assert_memory_equal(naf, "maf.example.com\xff\x00\x00\x00\x01", 20);
	assert_int_equal(m2m_gba_naf_key(kdf, ks, M2M_GBA_KS_NAF, rand, impi, naf, nl, &me), M2M_OK);
	assert_int_equal(m2m_gba_naf_key(kdf, ks, M2M_GBA_KS_EXT_NAF, rand, impi, naf, nl, &ext), M2M_OK);
	assert_int_equal(m2m_gba_naf_key(kdf, ks, M2M_GBA_KS_INT_NAF, rand, impi, naf, nl, &in), M2M_OK);
	ref_kdf(ksb, "gba-me", rand, impi, naf, nl, ref);
	assert_memory_equal(m2m_key_bytes(me, NULL), ref, 32);
	assert_memory_equal(m2m_key_bytes(ext, NULL), ref, 32);
	ref_kdf(ksb, "gba-u", rand, impi, naf, nl, ref);
	assert_memory_equal(m2m_key_bytes(in, NULL), ref, 32);
	assert_int_equal(m2m_gba_naf_key(kdf, ks, (m2m_gba_naf_kind)7, rand, impi, naf, nl, &bad), M2M_E_INVAL);
	assert_null(bad);
	m2m_key_free(me);
	m2m_key_free(ext);
	m2m_key_free(in);
	m2m_key_free(ks);
	m2m_kdf_free(kdf);
}

static void test_naf_id_errors(void **state)
{
	uint8_t out[32];
	size_t n = 9;
	const uint8_t *ua = (const uint8_t *)M2M_GBA_UA_ONEM2M_PSK;

	assert_int_equal(m2m_gba_naf_id("maf.example.com.", ua, out, sizeof(out), &n), M2M_E_ID_BAD_FQDN);
	assert_int_equal(n, 0);
	assert_int_equal(m2m_gba_naf_id("bad_host.example.com", ua, out, sizeof(out), &n), M2M_E_ID_BAD_FQDN);
	assert_int_equal(m2m_gba_naf_id("", ua, out, sizeof(out), &n), M2M_E_ID_EMPTY);
	assert_int_equal(m2m_gba_naf_id("maf.example.com", ua, out, 19, &n), M2M_E_RANGE);
	assert_int_equal(m2m_gba_naf_id("maf.example.com", NULL, out, sizeof(out), &n), M2M_E_INVAL);
}

static void test_btid_format_and_parse(void **state)
{
	uint8_t rand[16], got[16];
	char btid[M2M_GBA_BTID_MAX], fqdn[254];

	unhex(RAND1, rand, 16);
	assert_int_equal(m2m_gba_btid_format(rand, "BSF.Operator.example", btid, sizeof(btid)), M2M_OK);
	assert_string_equal(btid, RAND1_B64 "@bsf.operator.example");
	assert_int_equal(m2m_gba_btid_parse(btid, got, fqdn, sizeof(fqdn)), M2M_OK);
	assert_memory_equal(got, rand, 16);
	assert_string_equal(fqdn, "bsf.operator.example");
	/* the FQDN part is case-insensitive and comes back lowercase; fqdn output optional */
	assert_int_equal(m2m_gba_btid_parse(RAND1_B64 "@BSF.operator.EXAMPLE", got, fqdn, sizeof(fqdn)), M2M_OK);
	assert_string_equal(fqdn, "bsf.operator.example");
	assert_int_equal(m2m_gba_btid_parse(btid, got, NULL, 0), M2M_OK);
	/* buffers too small */
	assert_int_equal(m2m_gba_btid_format(rand, "bsf.operator.example", btid, 45), M2M_E_RANGE);
	assert_int_equal(m2m_gba_btid_parse(RAND1_B64 "@bsf.operator.example", got, fqdn, 20), M2M_E_RANGE);
	assert_int_equal(m2m_gba_btid_format(rand, "bsf", btid, sizeof(btid)), M2M_E_ID_BAD_FQDN);
}

static void test_btid_tampered_or_malformed(void **state)
{
	static const struct {
		const char *btid;
		m2m_err want;
	} bad[] = {
		{"", M2M_E_ID_EMPTY},
		{RAND1_B64 "bsf.example.com", M2M_E_ID_NO_AT},
		{"I1U8vpY3qJ0hiuZNrke/NQ=@bsf.example.com", M2M_E_ID_BAD_FORM},   /* 23 chars */
		{"I1U8vpY3qJ0hiuZNrke/NQ===@bsf.example.com", M2M_E_ID_BAD_FORM}, /* 25 chars */
		{"I1U8vpY3qJ0hiuZNrke/NR==@bsf.example.com", M2M_E_ID_BAD_FORM},  /* unused bits set */
		{"I1U8vpY3qJ0hiuZNrke_NQ==@bsf.example.com", M2M_E_ID_BAD_FORM},  /* base64url */
		{"I1U8vpY3qJ0hiuZNrke/NQAA@bsf.example.com", M2M_E_ID_BAD_FORM},  /* 18 bytes */
		{"I1U8vpY3qJ0hiuZN rke/NQ=@bsf.example.com", M2M_E_ID_BAD_FORM},  /* white space */
		{"@" RAND1_B64 "bsf.example.com", M2M_E_ID_BAD_FORM},
		{RAND1_B64 "@", M2M_E_ID_BAD_FQDN},
		{RAND1_B64 "@bsf.example.com.", M2M_E_ID_BAD_FQDN},
		{RAND1_B64 "@bsf@example.com", M2M_E_ID_BAD_FQDN},
		{RAND1_B64 "@*.example.com", M2M_E_ID_WILDCARD},
		{RAND1_B64 "@bsf", M2M_E_ID_BAD_FQDN},
	};
	uint8_t got[16];
	char fqdn[64], longer[400];

	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		memset(got, 0xaa, sizeof(got));
		assert_int_equal(m2m_gba_btid_parse(bad[i].btid, got, fqdn, sizeof(fqdn)), bad[i].want);
		assert_string_equal(fqdn, "");
	}
	assert_int_equal(m2m_gba_btid_parse(NULL, got, NULL, 0), M2M_E_ID_EMPTY);
	assert_int_equal(m2m_gba_btid_parse(RAND1_B64 "@bsf.example.com", NULL, NULL, 0), M2M_E_INVAL);
	memset(longer, 'a', sizeof(longer));
	memcpy(longer, RAND1_B64 "@", 25);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(m2m_gba_btid_parse(longer, got, NULL, 0), M2M_E_ID_TOO_LONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ks_is_ck_ik),
		cmocka_unit_test(test_naf_key_kinds),
		cmocka_unit_test(test_naf_id_errors),
		cmocka_unit_test(test_btid_format_and_parse),
		cmocka_unit_test(test_btid_tampered_or_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
