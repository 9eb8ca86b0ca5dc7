/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of enrolee/enrolee_km.c (m2m_enrolee_dir_km, TS-0003
 * clause 10.3.2 / 8.8.2.3 step 2): Km from an enrolment directory equals HMAC-SHA-256 computed
 * here directly with OpenSSL (not our KDF) over the label and the lowercase MAF-FQDN; it carries
 * the KeID; a group/other-readable ke, a missing or malformed ke and a MAF-ID that is not an
 * FQDN are refused with nothing returned.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "m2m_test.h"
#include "m2msec/enrol.h"

#define KEID "00112233445566778899AABBCCDDEEFF@mef.example.com"

static void put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
}

static void test_dir_km(void **state)
{
	char dir[] = "/tmp/m2mkmXXXXXX", hex[65], p[256];
	static const char label[] = "oneM2M Enrolment Key to Master Credential derivation";
	uint8_t ke[32], msg[128], want[32];
	unsigned int wl = 0;
	size_t n, kl = 0;
	m2m_key *km = NULL;
	const uint8_t *got;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 32; i++) {
		ke[i] = (uint8_t)(0xa0 + i);
		snprintf(hex + 2 * i, 3, "%02x", ke[i]);
	}
	/* independent: OpenSSL HMAC over label || "maf.sp.example.com" */
	n = strlen(label);
	memcpy(msg, label, n);
	memcpy(msg + n, "maf.sp.example.com", 18);
	assert_non_null(HMAC(EVP_sha256(), ke, 32, msg, n + 18, want, &wl));
	put(dir, "ke", hex, 0600);
	put(dir, "keid", KEID "\n", 0644);
	assert_int_equal(m2m_enrolee_dir_km(dir, "MAF.sp.example.com", &km), M2M_OK);
	got = m2m_key_bytes(km, &kl);
	assert_int_equal(kl, 32);
	assert_memory_equal(got, want, 32);
	assert_string_equal(m2m_key_id(km), KEID);
	m2m_key_free(km);
	/* refusals: nothing returned */
	km = (m2m_key *)1;
	assert_int_equal(m2m_enrolee_dir_km(dir, "maf", &km), M2M_E_ID_BAD_FORM);
	assert_null(km);
	assert_int_equal(m2m_enrolee_dir_km(dir, "/cse-in", &km), M2M_E_ID_BAD_FORM);
	assert_int_equal(m2m_enrolee_dir_km(NULL, "maf.sp.example.com", &km), M2M_E_INVAL);
	put(dir, "ke", hex, 0644); /* a secret readable by others */
	assert_int_equal(m2m_enrolee_dir_km(dir, "maf.sp.example.com", &km), M2M_E_KEY_PERMS);
	assert_null(km);
	put(dir, "ke", "abcd\n", 0600);
	assert_int_equal(m2m_enrolee_dir_km(dir, "maf.sp.example.com", &km), M2M_E_KEY_LEN);
	hex[0] = 'z';
	put(dir, "ke", hex, 0600);
	assert_int_equal(m2m_enrolee_dir_km(dir, "maf.sp.example.com", &km), M2M_E_ID_BAD_HEX);
	assert_null(km);
	snprintf(p, sizeof(p), "%s/ke", dir);
	unlink(p);
	assert_int_equal(m2m_enrolee_dir_km(dir, "maf.sp.example.com", &km), M2M_E_NOT_FOUND);
	snprintf(p, sizeof(p), "%s/keid", dir);
	unlink(p);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir_km),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
