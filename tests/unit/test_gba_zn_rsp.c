/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the NAF configuration of the remote-key resolver
 * (remote/gba_zn_rsp.c; TS 33.222 clause 5.4.0.1 B-TID identities, Zn of m2msec/gba_zn.h): which
 * identities are the BSF's (its FQDN, the standard spelling only), the Zn path started for one,
 * the answer's parser (exact B-TID, key, Enrolee-ID, lifetime) and its refusals, and that a B-TID
 * becomes the association's Credential-ID with the bootstrap's expiry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "remote_fake.h"

#define BTID "AAECAwQFBgcICQoLDA0ODw==@mef.example.com"
#define KEY "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"

static int ndone;
static m2m_err last_err;
static m2m_sa last_sa;

static m2m_err done(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *sa)
{
	(void)w;
	ndone++;
	last_err = err;
	if (sa != NULL)
		last_sa = *sa;
	m2m_key_free(key);
	return M2M_OK;
}

static const char *rsp_body(const char *btid, const char *eid, long lifetime, char *buf, size_t cap)
{
	snprintf(buf, cap,
		 "{\"sec:gbaNafKeyRsp\":{\"status\":true,\"btid\":\"%s\",\"key\":\"" KEY "\",\"keyKind\":\"ks-naf\","
		 "\"impi\":\"u1@ims.example.org\",\"enroleeID\":\"%s\",\"lifetime\":%ld}}",
		 btid, eid, lifetime);
	return buf;
}

static void test_match_path_and_answer(void **state)
{
	static const m2mi_gba_naf naf = {"cse-in.sp.example.com", M2M_GBA_KS_INT_NAF};
	m2mi_remote_key_cfg c = {.lim = {16, 4, 3600, 5}, .fetch = fake_fetch, .done = done, .clock = clk};
	m2mi_remote_key *rk = NULL;
	m2m_key *key = NULL;
	m2m_sa sa;
	char b[512];
	int w = 0;

	(void)state;
	m2mi_remote_key_cfg_gba(&c, "MEF.example.com", &naf);
	assert_int_equal(m2mi_remote_key_new(&c, &rk), M2M_OK);
	/* not this BSF's: another resolver's identities, another FQDN, another spelling */
	static const char *const other[] = {
		"0123456789ABCDEF0123456789ABCDEF@mef.example.com", "AAECAwQFBgcICQoLDA0ODw==@bsf.example.com",
		"AAECAwQFBgcICQoLDA0ODw==@MEF.example.com", "AAECAwQFBgcICQoLDA0ODw@mef.example.com", "3GPP-bootstrapping"};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_int_equal(m2mi_remote_key_start(rk, other[i], now_s, (m2m_psk_wait *)&w, &key, &sa),
				 M2M_E_NOT_FOUND);
	assert_int_equal(tr.n, 0);
	/* a B-TID of this BSF: a Zn fetch for this NAF and key kind, the handshake waits */
	assert_int_equal(m2mi_remote_key_start(rk, BTID, now_s, (m2m_psk_wait *)&w, &key, &sa), M2M_OK);
	assert_null(key);
	assert_int_equal(tr.n, 1);
	assert_string_equal(tr.path[0], "/gbaNafKey/AAECAwQFBgcICQoLDA0ODw==@mef.example.com/cse-in.sp.example.com/"
					"ks-int-naf");
	rsp_body(BTID, "Cgba1", 30, b, sizeof(b));
	tr.done[0](tr.arg[0], 0, 200, 2000, b, strlen(b));
	assert_int_equal(ndone, 1);
	assert_int_equal(last_err, M2M_OK);
	assert_string_equal(last_sa.bound_id, "Cgba1");
	assert_string_equal(last_sa.credential_id, "12-" BTID);
	assert_int_equal(last_sa.expiry, now_s + 30);
	/* cached: answered at once */
	assert_int_equal(m2mi_remote_key_start(rk, BTID, now_s, (m2m_psk_wait *)&w, &key, &sa), M2M_OK);
	assert_non_null(key);
	m2m_key_free(key);
	key = NULL;
	/* past the bootstrap's lifetime the cached key is not used: a new fetch, refused 4103 */
	now_s += 31;
	assert_int_equal(m2mi_remote_key_start(rk, BTID, now_s, (m2m_psk_wait *)&w, &key, &sa), M2M_OK);
	assert_null(key);
	assert_int_equal(tr.n, 2);
	tr.done[1](tr.arg[1], 0, 403, 4103, "{}", 2);
	assert_int_equal(last_err, M2M_E_AUTH);
	assert_int_equal(m2mi_remote_key_start(rk, BTID, now_s, (m2m_psk_wait *)&w, &key, &sa), M2M_E_AUTH);
	m2mi_remote_key_free(rk);
	tr.n = 0;
}

static void test_parser(void **state)
{
	m2m_key *key = NULL;
	m2m_sa sa;
	char b[512];

	(void)state;
	rsp_body(BTID, "Cgba1", 60, b, sizeof(b));
	assert_int_equal(m2mi_gba_parse_zn_rsp(2000, b, strlen(b), BTID, 22, 100, &key, &sa), M2M_OK);
	assert_int_equal(sa.entity, M2M_ENTITY_AE);
	assert_int_equal(sa.expiry, 160);
	assert_string_equal(m2m_key_id(key), BTID);
	m2m_key_free(key);
	rsp_body(BTID, "//sp.example.com/mn1", 60, b, sizeof(b));
	assert_int_equal(m2mi_gba_parse_zn_rsp(2000, b, strlen(b), BTID, 22, 100, &key, &sa), M2M_OK);
	assert_int_equal(sa.entity, M2M_ENTITY_CSE);
	m2m_key_free(key);
	/* refusals of the BSF */
	assert_int_equal(m2mi_gba_parse_zn_rsp(4004, "{}", 2, BTID, 22, 100, &key, &sa), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_gba_parse_zn_rsp(4103, "{}", 2, BTID, 22, 100, &key, &sa), M2M_E_AUTH);
	assert_int_equal(m2mi_gba_parse_zn_rsp(5000, "{}", 2, BTID, 22, 100, &key, &sa), M2M_E_PROTO);
	/* anything not exactly for what was asked */
	rsp_body("BAECAwQFBgcICQoLDA0ODw==@mef.example.com", "Cgba1", 60, b, sizeof(b));
	assert_int_equal(m2mi_gba_parse_zn_rsp(2000, b, strlen(b), BTID, 22, 100, &key, &sa), M2M_E_PROTO);
	rsp_body(BTID, "not an id", 60, b, sizeof(b));
	assert_int_equal(m2mi_gba_parse_zn_rsp(2000, b, strlen(b), BTID, 22, 100, &key, &sa), M2M_E_PROTO);
	rsp_body(BTID, "Cgba1", 0, b, sizeof(b));
	assert_int_equal(m2mi_gba_parse_zn_rsp(2000, b, strlen(b), BTID, 22, 100, &key, &sa), M2M_E_PROTO);
	assert_int_equal(m2mi_gba_parse_zn_rsp(2000, "not json", 8, BTID, 22, 100, &key, &sa), M2M_E_PROTO);
	assert_int_equal(m2mi_gba_parse_zn_rsp(2000, "{\"sec:gbaNafKeyRsp\":{}}", 23, BTID, 22, 100, &key, &sa),
			 M2M_E_PROTO);
	assert_null(key);
	assert_string_equal(sa.bound_id, "");
}

/* The GBA subscriber's network-access status on Zn (docs/procedures/mef.md "Underlying-network
 * authorization"): the one parser of "networkAuthorized" shared with fetchCredentials. */
static void test_network_authorized(void **state)
{
	static const char *const vals[] = {"true", "false", "\"no\"", "0", "null"};
	static const m2m_err want[] = {M2M_OK, M2M_OK, M2M_E_PROTO, M2M_E_PROTO, M2M_E_PROTO};
	m2m_key *key = NULL;
	m2m_sa sa;
	char b[600], base[512];

	(void)state;
	rsp_body(BTID, "Cgba1", 60, base, sizeof(base));
	assert_int_equal(m2mi_gba_parse_zn_rsp(2000, base, strlen(base), BTID, 22, 100, &key, &sa), M2M_OK);
	assert_false(sa.net_unauthorized); /* absent: no statement */
	m2m_key_free(key);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		/* the member inside the object: replace the two closing braces */
		snprintf(b, sizeof(b), "%.*s,\"networkAuthorized\":%s}}", (int)(strlen(base) - 2), base, vals[i]);
		key = NULL;
		assert_int_equal(m2mi_gba_parse_zn_rsp(2000, b, strlen(b), BTID, 22, 100, &key, &sa), want[i]);
		if (want[i] == M2M_OK)
			assert_int_equal(sa.net_unauthorized, i == 1);
		else
			assert_null(key);
		m2m_key_free(key);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_path_and_answer),
		cmocka_unit_test(test_parser),
		cmocka_unit_test(test_network_authorized),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
