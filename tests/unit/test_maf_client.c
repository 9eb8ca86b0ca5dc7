/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MAF client (include/m2msec/mafclient.h, Entity A of
 * TS-0003 clause 8.2.2.3): every malformed MAF Key Registration / Client Registration answer is
 * refused (Tables 8.8.2.7-2, 8.8.2.3-2), a relKeyID that is not this session's KcID is refused
 * (clause 10.3.1), the target and key identifier arguments and the settings. The flows against
 * a MAF on loopback are in test_maf_client_e2e.c.
 */

#include "tls_test.h"
#include "core/mef_codec.h"
#include "enrolee/maf_client_int.h"
#include "m2msec/kdf.h"

#define KID "00112233445566778899AABBCCDDEEFF@maf.example.com"
#define TGT "//sp.example.com/cse-in"

static json_t *good_reg(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:[s]}", "relKeyID", "00112233445566778899AABBCCDDEEFF",
			 "keyID", KID, "expirationTime", "20300101T000000", "sourceID", "Cdev1", "adminFQDN",
			 "maf.example.com", "SUID", 32, "targetIDs", TGT);
}

static void test_key_reg_answer(void **state)
{
	int64_t now = 1700000000, req = 1900000000, exp = -1, want;
	char why[256];
	json_t *r = good_reg();
	static const struct {
		const char *member;
		const char *json; /* the member's new value; NULL removes it */
	} bad[] = {
		{"relKeyID", NULL},
		{"relKeyID", "\"00112233445566778899AABBCCDDEEF\""},   /* 31 digits */
		{"relKeyID", "\"00112233445566778899AABBCCDDEEFG\""},  /* not hex */
		{"relKeyID", "\"00112233445566778899AABBCCDDEEFE\""},  /* another KcID */
		{"relKeyID", "7"},
		{"keyID", NULL},
		{"keyID", "\"00112233445566778899AABBCCDDEEFF@other.example.com\""},
		{"SUID", NULL},
		{"SUID", "33"},
		{"SUID", "\"32\""},
		{"targetIDs", NULL},
		{"targetIDs", "\"" TGT "\""},
		{"targetIDs", "[]"},
		{"targetIDs", "[\"//sp.example.com/cse-other\"]"},
		{"targetIDs", "[\"" TGT "\", \"//sp.example.com/cse-2\"]"},
		{"targetIDs", "[1]"},
		{"sourceID", NULL},
		{"sourceID", "\"\""},
		{"expirationTime", NULL},
		{"expirationTime", "\"2030-01-01\""},
		{"expirationTime", "\"20200101T000000\""}, /* already passed */
		{"expirationTime", "\"20990101T000000\""}, /* later than requested */
	};

	(void)state;
	assert_int_equal(m2mi_mef_ts_parse("20300101T000000", &want), M2M_OK);
	assert_int_equal(m2mi_mafc_check_key_reg(r, KID, TGT, 32, now, req, &exp, why, sizeof(why)), M2M_OK);
	assert_int_equal(exp, want);
	/* the identifier's case is not significant (uppercase hex, lowercase FQDN by convention) */
	assert_int_equal(m2mi_mafc_check_key_reg(r, "00112233445566778899aabbccddeeff@MAF.example.com", TGT, 32, now, req,
						 &exp, why, sizeof(why)), M2M_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *c = json_deep_copy(r);
		if (bad[i].json == NULL)
			json_object_del(c, bad[i].member);
		else
			json_object_set_new(c, bad[i].member, json_loads(bad[i].json, JSON_DECODE_ANY, NULL));
		why[0] = '\0';
		exp = -1;
		assert_int_equal(m2mi_mafc_check_key_reg(c, KID, TGT, 32, now, req, &exp, why, sizeof(why)), M2M_E_PROTO);
		assert_int_equal(exp, 0);
		assert_true(strncmp(why, "MAF answer: ", 12) == 0);
		json_decref(c);
	}
	assert_int_equal(m2mi_mafc_check_key_reg(NULL, KID, TGT, 32, now, req, &exp, why, sizeof(why)), M2M_E_PROTO);
	assert_int_equal(m2mi_mafc_check_key_reg(r, NULL, TGT, 32, now, req, &exp, why, sizeof(why)), M2M_E_PROTO);
	/* the SUID answered must be the one asked: a Kc for ESPrim (33) is no SAEF key and back */
	assert_int_equal(m2mi_mafc_check_key_reg(r, KID, TGT, 33, now, req, &exp, why, sizeof(why)), M2M_E_PROTO);
	json_object_set_new(r, "SUID", json_integer(33));
	assert_int_equal(m2mi_mafc_check_key_reg(r, KID, TGT, 33, now, req, &exp, why, sizeof(why)), M2M_OK);
	assert_int_equal(m2mi_mafc_check_key_reg(r, KID, TGT, 32, now, req, &exp, why, sizeof(why)), M2M_E_PROTO);
	{
		m2m_maf_client *m = NULL;
		assert_int_equal(m2m_maf_client_new(&m), M2M_OK);
		assert_int_equal(m2m_maf_client_set_suid(m, 33), M2M_OK);
		assert_int_equal(m2m_maf_client_set_suid(m, 32), M2M_OK);
		assert_int_equal(m2m_maf_client_set_suid(m, 22), M2M_E_INVAL);
		assert_int_equal(m2m_maf_client_set_suid(NULL, 33), M2M_E_INVAL);
		m2m_maf_client_free(m);
	}
	json_decref(r);
}

static void test_client_reg_answer(void **state)
{
	char kmid[300], why[256];
	json_t *r = json_pack("{s:s, s:s, s:s}", "mafClientRegID", "ABCDEF", "mafClientID", "Cdev1", "assignedSymmKeyID",
			      "0123456789abcdef0123456789abcdef@maf.example.com");
	static const char *const bad_kmid[] = {"", "no-at", "x@", "a b@maf.example.com", "abc@other.example.com"};

	(void)state;
	assert_int_equal(m2mi_mafc_check_client_reg(r, "maf.example.com", NULL, 0, why, sizeof(why)), M2M_OK);
	assert_int_equal(m2mi_mafc_check_client_reg(r, "MAF.example.com", kmid, sizeof(kmid), why, sizeof(why)), M2M_OK);
	assert_string_equal(kmid, "0123456789abcdef0123456789abcdef@maf.example.com");
	assert_int_equal(m2mi_mafc_check_client_reg(r, "maf.example.com", kmid, 10, why, sizeof(why)), M2M_E_PROTO);
	for (size_t i = 0; i < sizeof(bad_kmid) / sizeof(bad_kmid[0]); i++) {
		json_object_set_new(r, "assignedSymmKeyID", json_string(bad_kmid[i]));
		assert_int_equal(m2mi_mafc_check_client_reg(r, "maf.example.com", kmid, sizeof(kmid), why, sizeof(why)),
				 M2M_E_PROTO);
	}
	json_object_del(r, "assignedSymmKeyID");
	assert_int_equal(m2mi_mafc_check_client_reg(r, "maf.example.com", kmid, sizeof(kmid), why, sizeof(why)),
			 M2M_E_PROTO);
	assert_int_equal(m2mi_mafc_check_client_reg(r, "maf.example.com", NULL, 0, why, sizeof(why)), M2M_OK);
	json_object_del(r, "mafClientRegID");
	assert_int_equal(m2mi_mafc_check_client_reg(r, "maf.example.com", NULL, 0, why, sizeof(why)), M2M_E_PROTO);
	assert_int_equal(m2mi_mafc_check_client_reg(NULL, "maf.example.com", NULL, 0, why, sizeof(why)), M2M_E_PROTO);
	json_decref(r);
}

static void test_arguments(void **state)
{
	char rel[33], why[128];
	m2m_maf_client *m = NULL;
	uint8_t kb[32] = {1};
	m2m_key *k = NULL;

	(void)state;
	assert_int_equal(m2mi_mafc_rel_of(KID, rel), M2M_OK);
	assert_string_equal(rel, "00112233445566778899AABBCCDDEEFF");
	assert_int_equal(m2mi_mafc_rel_of("00112233445566778899aabbccddeeff", rel), M2M_OK);
	assert_string_equal(rel, "00112233445566778899AABBCCDDEEFF");
	assert_int_equal(m2mi_mafc_rel_of("00112233445566778899AABBCCDDEEF", rel), M2M_E_INVAL);
	assert_int_equal(m2mi_mafc_rel_of("00112233445566778899AABBCCDDEEFF@", rel), M2M_E_INVAL);
	assert_int_equal(m2mi_mafc_rel_of("../../mafClientReg@maf.example.com", rel), M2M_E_INVAL);
	assert_int_equal(m2mi_mafc_rel_of("00112233445566778899AABBCCDDEEFZ", rel), M2M_E_INVAL);
	assert_int_equal(m2mi_mafc_check_target(TGT, why, sizeof(why)), M2M_OK);
	assert_int_equal(m2mi_mafc_check_target("/cse-in", why, sizeof(why)), M2M_E_INVAL); /* SP-relative */
	assert_non_null(strstr(why, "absolute"));
	assert_int_equal(m2mi_mafc_check_target("Cdev1", why, sizeof(why)), M2M_E_INVAL);
	assert_int_equal(m2mi_mafc_check_target("", why, sizeof(why)), M2M_E_INVAL);
	/* settings: a KmID is name@fqdn, deadlines 1..3600 */
	assert_int_equal(m2m_maf_client_new(&m), M2M_OK);
	assert_int_equal(m2m_key_new(kb, sizeof(kb), &k), M2M_OK);
	assert_int_not_equal(m2m_maf_client_set_km(m, "no-fqdn", k), M2M_OK);
	assert_int_equal(m2m_maf_client_set_km(m, "dev1@maf.example.com", k), M2M_OK);
	/* a B-TID (TS 33.222 form) with its NAF key: the MAF as NAF (gba.md); a broken one is refused */
	assert_int_equal(m2m_maf_client_set_km(m, "AAECAwQFBgcICQoLDA0ODw==@mef.example.com", k), M2M_OK);
	assert_int_not_equal(m2m_maf_client_set_km(m, "AAECAwQFBgcICQoLDA0OD===@mef.example.com", k), M2M_OK);
	assert_int_not_equal(m2m_maf_client_set_km(m, "AAECAwQFBgcICQoLDA0ODw==@", k), M2M_OK);
	assert_int_equal(m2m_maf_client_set_maf(m, "maf.example.com"), M2M_E_INVAL);
	assert_int_equal(m2m_maf_client_set_deadline(m, 0), M2M_E_INVAL);
	assert_int_equal(m2m_maf_client_set_maf_fqdn(m, "bad fqdn"), M2M_E_INVAL);
	/* nothing configured: refused before any I/O */
	assert_int_equal(m2m_maf_client_register_key(m, TGT, 3600), M2M_E_CONFIG);
	assert_int_equal(m2m_maf_client_set_maf(m, "127.0.0.1:9"), M2M_OK);
	assert_int_equal(m2m_maf_client_register_key(m, "/cse-in", 3600), M2M_E_INVAL);
	assert_int_equal(m2m_maf_client_register_key(m, TGT, 0), M2M_E_RANGE);
	assert_int_equal(m2m_maf_client_deregister_key(m, "nonsense"), M2M_E_INVAL);
	assert_null(m2m_maf_client_key_id(m));
	assert_int_equal(m2m_maf_client_write(m, tt_dir()), M2M_E_INVAL); /* no result: nothing written */
	m2m_key_free(k);
	m2m_maf_client_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_reg_answer),
		cmocka_unit_test(test_client_reg_answer),
		cmocka_unit_test(test_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
