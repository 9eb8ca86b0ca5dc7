/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the Zn request codec (core/gba_zn.c, m2msec/gba_zn.h):
 * kind names, the path with the URL-safe B-TID (RFC 4648 clause 5) and the lowercase NAF FQDN,
 * its strict parser (round trip, and 14 malformed requests refused).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "m2msec/gba_zn.h"

/* RAND 0xfb 0xef 0xff ... : base64 with '+' and '/' */
#define BTID "++//AAECAwQFBgcICQoLDA==@mef.example.com"

static void test_kinds(void **state)
{
	m2m_gba_naf_kind k = M2M_GBA_KS_NAF;

	(void)state;
	assert_string_equal(m2m_gba_naf_kind_name(M2M_GBA_KS_NAF), "ks-naf");
	assert_string_equal(m2m_gba_naf_kind_name(M2M_GBA_KS_EXT_NAF), "ks-ext-naf");
	assert_string_equal(m2m_gba_naf_kind_name(M2M_GBA_KS_INT_NAF), "ks-int-naf");
	assert_null(m2m_gba_naf_kind_name((m2m_gba_naf_kind)3));
	assert_int_equal(m2m_gba_naf_kind_parse("ks-int-naf", &k), M2M_OK);
	assert_int_equal(k, M2M_GBA_KS_INT_NAF);
	assert_int_equal(m2m_gba_naf_kind_parse("KS-NAF", &k), M2M_E_INVAL);
	assert_int_equal(m2m_gba_naf_kind_parse(NULL, &k), M2M_E_INVAL);
}

static void test_path_round_trip(void **state)
{
	char p[M2M_GBA_ZN_PATH_MAX], bt[M2M_GBA_BTID_MAX], naf[254];
	m2m_gba_naf_kind k = M2M_GBA_KS_NAF;

	(void)state;
	assert_int_equal(m2m_gba_zn_path(BTID, "CSE-in.SP.example.com", M2M_GBA_KS_EXT_NAF, p, sizeof(p)), M2M_OK);
	assert_string_equal(p, "/gbaNafKey/--__AAECAwQFBgcICQoLDA==@mef.example.com/cse-in.sp.example.com/ks-ext-naf");
	assert_int_equal(m2m_gba_zn_path_parse(p, bt, naf, sizeof(naf), &k), M2M_OK);
	assert_string_equal(bt, BTID);
	assert_string_equal(naf, "cse-in.sp.example.com");
	assert_int_equal(k, M2M_GBA_KS_EXT_NAF);
	assert_int_equal(m2m_gba_zn_path_parse(p + 1, bt, naf, sizeof(naf), &k), M2M_OK);
	/* does not fit: refused, not cut */
	assert_int_equal(m2m_gba_zn_path(BTID, "cse-in.sp.example.com", M2M_GBA_KS_NAF, p, 40), M2M_E_RANGE);
	assert_int_equal(m2m_gba_zn_path("x@mef.example.com", "a.example.com", M2M_GBA_KS_NAF, p, sizeof(p)),
			 M2M_E_INVAL);
	assert_int_equal(m2m_gba_zn_path(BTID, "not fqdn", M2M_GBA_KS_NAF, p, sizeof(p)), M2M_E_INVAL);
	assert_int_equal(m2m_gba_zn_path(BTID, "a.example.com", (m2m_gba_naf_kind)7, p, sizeof(p)), M2M_E_INVAL);
}

static void test_parse_refusals(void **state)
{
	static const char *const bad[] = {
		"gbaNafKey",
		"gbaNafKey/",
		"gbaNafKey/--__AAECAwQFBgcICQoLDA==@mef.example.com",
		"gbaNafKey/--__AAECAwQFBgcICQoLDA==@mef.example.com/a.example.com",
		"gbaNafKey/--__AAECAwQFBgcICQoLDA==@mef.example.com/a.example.com/ks-naf/",
		"gbaNafKey/--__AAECAwQFBgcICQoLDA==@mef.example.com/a.example.com/ks-naf/x",
		"gbaNafKey/--__AAECAwQFBgcICQoLDA==@mef.example.com//ks-naf",
		"gbaNafKey/++__AAECAwQFBgcICQoLDA==@mef.example.com/a.example.com/ks-naf",
		"gbaNafKey/--__AAECAwQFBgcICQoLDA@mef.example.com/a.example.com/ks-naf",
		"gbaNafKey/--__AAECAwQFBgcICQoLDA==@MEF.example.com/a.example.com/ks-naf",
		"gbaNafKey/--__AAECAwQFBgcICQoLDA==@mef.example.com/A.example.com/ks-naf",
		"gbaNafKey/--__AAECAwQFBgcICQoLDA==@mef.example.com/a.example.com./ks-naf",
		"gbaNafKey/--__AAECAwQFBgcICQoLDA==@mef.example.com/a_b.example.com/ks-naf",
		"gbaNafKey/--__AAECAwQFBgcICQoLDA==@mef.example.com/a.example.com/ks-nafx",
	};
	char bt[M2M_GBA_BTID_MAX], naf[254];
	m2m_gba_naf_kind k = M2M_GBA_KS_NAF;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(m2m_gba_zn_path_parse(bad[i], bt, naf, sizeof(naf), &k), M2M_E_PROTO);
	assert_int_equal(m2m_gba_zn_path_parse("fetchCredentials/x/22", bt, naf, sizeof(naf), &k), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_gba_zn_path_parse("gbaNafKeys/x", bt, naf, sizeof(naf), &k), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_gba_zn_path_parse(NULL, bt, naf, sizeof(naf), &k), M2M_E_PROTO);
	/* a NAF FQDN longer than the caller's buffer */
	assert_int_equal(m2m_gba_zn_path_parse("gbaNafKey/--__AAECAwQFBgcICQoLDA==@mef.example.com/a.example.com/ks-naf",
					       bt, naf, 5, &k),
			 M2M_E_PROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_path_round_trip),
		cmocka_unit_test(test_parse_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
