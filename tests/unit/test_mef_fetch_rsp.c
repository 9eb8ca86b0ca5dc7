/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF configuration of the remote-key resolver
 * (remote/mef_fetch_rsp.c): the preset (KeIDs, the path /fetchCredentials/<KeID>/<SUID> of
 * TS-0003 §8.3.2.1, docs/procedures/mef.md) and the fetchCredentials answer for the MAF's SUID 21
 * (maf.md "Km from the MEF": the same parser, another SUID). The CSE's SUID 22 cases are in
 * test_remote_key.c. The m2msec member networkAuthorized: absent (no statement) and true leave
 * m2m_sa.net_unauthorized false, false sets it, anything but a boolean is a malformed answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "remote/remote_key.h"

#define KEID "0123456789ABCDEF0123456789ABCDEF@mef.example.com"
#define CRED "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5"

static void test_preset_and_path(void **state)
{
	m2mi_remote_key_cfg c;
	m2m_id *id = NULL;
	char p[128];

	(void)state;
	memset(&c, 0, sizeof(c));
	m2mi_remote_key_cfg_mef(&c, "mef.example.com", M2MI_MEF_SUID_MAF);
	assert_int_equal(c.kind, M2M_ID_KEID);
	assert_int_equal(c.suid, 21);
	assert_ptr_equal(c.path, m2mi_mef_fetch_path);
	assert_ptr_equal(c.parse, m2mi_mef_parse_fetch_rsp);
	assert_int_equal(m2m_id_parse("0123456789abcdef0123456789abcdef@MEF.example.com", 48, M2M_ID_KEID, &id),
			 M2M_OK);
	assert_int_equal(m2mi_mef_fetch_path(id, 21, p, sizeof(p)), 0);
	assert_string_equal(p, "/fetchCredentials/" KEID "/21");
	assert_int_equal(m2mi_mef_fetch_path(id, 21, p, 20), -1); /* does not fit: refused, not cut */
	m2m_id_free(id);
}

static void test_km_answer_suid_21(void **state)
{
	char b[512];
	m2m_key *k = NULL;
	m2m_sa sa;
	size_t len = 0;

	(void)state;
	snprintf(b, sizeof(b),
		 "{\"sec:fetchCredRsp\":{\"status\":true,\"credential\":\"%s\",\"enroleeID\":\"//sp.example.com/cse-in/Cdev\","
		 "\"keyID\":\"%s\",\"SUID\":21,\"lifetime\":600}}",
		 CRED, KEID);
	assert_int_equal(m2mi_mef_parse_fetch_rsp(2000, b, strlen(b), KEID, 21, 100, &k, &sa), M2M_OK);
	assert_int_equal(m2m_key_bytes(k, &len)[0], 0xa5);
	assert_int_equal(len, 32); /* Km is handed over whole: the MAF-side handshake uses all of it */
	assert_int_equal(sa.suid, 21);
	assert_int_equal(sa.expiry, 700);
	assert_int_equal(sa.entity, M2M_ENTITY_AE);
	m2m_key_free(k);
	/* the CSE's SUID asked, the MAF's answered: refused */
	assert_int_equal(m2mi_mef_parse_fetch_rsp(2000, b, strlen(b), KEID, 22, 100, &k, &sa), M2M_E_PROTO);
	assert_null(k);
	assert_int_equal(m2mi_mef_parse_fetch_rsp(4004, NULL, 0, KEID, 21, 100, &k, &sa), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_mef_parse_fetch_rsp(4103, NULL, 0, KEID, 21, 100, &k, &sa), M2M_E_AUTH);
	assert_int_equal(m2mi_mef_parse_fetch_rsp(5000, NULL, 0, KEID, 21, 100, &k, &sa), M2M_E_PROTO);
}

static void test_network_authorized(void **state)
{
	static const struct {
		const char *member; /* appended to the answer */
		m2m_err want;
		bool unauth;
	} cases[] = {
		{"", M2M_OK, false},
		{",\"networkAuthorized\":true", M2M_OK, false},
		{",\"networkAuthorized\":false", M2M_OK, true},
		{",\"networkAuthorized\":\"no\"", M2M_E_PROTO, false},
		{",\"networkAuthorized\":0", M2M_E_PROTO, false},
		{",\"networkAuthorized\":null", M2M_E_PROTO, false},
	};
	char b[600];
	m2m_key *k = NULL;
	m2m_sa sa;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(b, sizeof(b),
			 "{\"sec:fetchCredRsp\":{\"status\":true,\"credential\":\"%s\",\"enroleeID\":\"Cdev\","
			 "\"keyID\":\"%s\",\"SUID\":22,\"lifetime\":600%s}}",
			 CRED, KEID, cases[i].member);
		assert_int_equal(m2mi_mef_parse_fetch_rsp(2000, b, strlen(b), KEID, 22, 100, &k, &sa), cases[i].want);
		assert_int_equal(sa.net_unauthorized, cases[i].unauth);
		if (cases[i].want == M2M_OK) {
			assert_non_null(k);
			assert_string_equal(sa.bound_id, "Cdev");
		} else {
			assert_null(k);
		}
		m2m_key_free(k);
		k = NULL;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preset_and_path),
		cmocka_unit_test(test_km_answer_suid_21),
		cmocka_unit_test(test_network_authorized),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
