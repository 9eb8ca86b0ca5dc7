/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/id.c: the table-driven corpus of valid identifiers
 * of every kind (canonical form and fields), the corpus of malformed identifiers (each with its
 * specific M2M_E_ID_* code), canonical equality, the handle rules and the kind names.
 * TS-0003 clauses 10.3.4-10.6, 10.4, 12.2; TS-0001 Table 7.2-1; TS-0004 clause 6.3.3.
 */
#include <stdio.h>
#include <stdlib.h>

#include "m2m_test.h"
#include "m2msec/id.h"
#include "core/id_int.h"

#define HEX32 "0123456789abcdef0123456789ABCDEF"
#define HEX32U "0123456789ABCDEF0123456789ABCDEF"

struct valid_case {
	m2m_id_kind ask;
	const char *in;
	m2m_id_kind kind;
	const char *canonical, *relative, *fqdn;
	m2m_id_form form;
	const char *cse, *stem;
	int number;
};

static const struct valid_case valid[] = {
	/* KeID / KcID: hexBinary, canonical uppercase; FQDN lowercase without trailing dot */
	{M2M_ID_ANY, HEX32 "@MEF.Example.com.", M2M_ID_KEID, HEX32U "@mef.example.com", HEX32U,
	 "mef.example.com", 0, NULL, NULL, 0},
	{M2M_ID_KEID, HEX32U "@mef.example.com", M2M_ID_KEID, HEX32U "@mef.example.com", HEX32U,
	 "mef.example.com", 0, NULL, NULL, 0},
	{M2M_ID_KCID, "00112233445566778899aabbccddeeff@maf.example.com", M2M_ID_KCID,
	 "00112233445566778899AABBCCDDEEFF@maf.example.com", "00112233445566778899AABBCCDDEEFF",
	 "maf.example.com", 0, NULL, NULL, 0},
	/* KpsaID: relative part case-sensitive */
	{M2M_ID_KPSAID, "kpsa_1.A-b@Issuer.example.com", M2M_ID_KPSAID, "kpsa_1.A-b@issuer.example.com",
	 "kpsa_1.A-b", "issuer.example.com", 0, NULL, NULL, 0},
	{M2M_ID_ANY, "my-key@sp.example.com", M2M_ID_KPSAID, "my-key@sp.example.com", "my-key",
	 "sp.example.com", 0, NULL, NULL, 0},
	{M2M_ID_ANY, "0123@sp.example.com", M2M_ID_KPSAID, "0123@sp.example.com", "0123", "sp.example.com",
	 0, NULL, NULL, 0},
	{M2M_ID_KPSAID, HEX32 "@sp.example.com", M2M_ID_KPSAID, HEX32 "@sp.example.com", HEX32,
	 "sp.example.com", 0, NULL, NULL, 0},
	/* KmID: case-insensitive, canonical lowercase */
	{M2M_ID_KMID, "MyKm.01_X@MAF.example.COM", M2M_ID_KMID, "mykm.01_x@maf.example.com", "mykm.01_x",
	 "maf.example.com", 0, NULL, NULL, 0},
	/* Role-ID / Token-ID (TS-0004 examples) */
	{M2M_ID_ROLE_ID, "1234abcd@role-issuer.com", M2M_ID_ROLE_ID, "1234abcd@role-issuer.com", "1234abcd",
	 "role-issuer.com", 0, NULL, NULL, 0},
	{M2M_ID_TOKEN_ID, "Tok-1@Token-Issuer.com", M2M_ID_TOKEN_ID, "Tok-1@token-issuer.com", "Tok-1",
	 "token-issuer.com", 0, NULL, NULL, 0},
	/* Credential-ID (TS-0003 clause 12.2 example) */
	{M2M_ID_ANY, "10-thiskey@mymef.com", M2M_ID_CREDENTIAL_ID, "10-thiskey@mymef.com",
	 "thiskey@mymef.com", NULL, 0, NULL, NULL, 10},
	{M2M_ID_CREDENTIAL_ID, "12-kpsa-1@sp.example.com", M2M_ID_CREDENTIAL_ID, "12-kpsa-1@sp.example.com",
	 "kpsa-1@sp.example.com", NULL, 0, NULL, NULL, 12},
	{M2M_ID_CREDENTIAL_ID, "55-a.b_c-D", M2M_ID_CREDENTIAL_ID, "55-a.b_c-D", "a.b_c-D", NULL, 0, NULL,
	 NULL, 55},
	{M2M_ID_CREDENTIAL_ID, "30--", M2M_ID_CREDENTIAL_ID, "30--", "-", NULL, 0, NULL, NULL, 30},
	/* SUID */
	{M2M_ID_SUID, "12", M2M_ID_SUID, "12", NULL, NULL, 0, NULL, NULL, 12},
	{M2M_ID_SUID, "45", M2M_ID_SUID, "45", NULL, NULL, 0, NULL, NULL, 45},
	{M2M_ID_SUID, "10", M2M_ID_SUID, "10", NULL, NULL, 0, NULL, NULL, 10},
	/* CSE-ID (TS-0001 Table 7.2-1 examples) */
	{M2M_ID_ANY, "/CSE090112", M2M_ID_CSE_ID, "/CSE090112", NULL, NULL, M2M_ID_FORM_SP_RELATIVE,
	 "CSE090112", NULL, 0},
	{M2M_ID_ANY, "/3ace4fd3", M2M_ID_CSE_ID, "/3ace4fd3", NULL, NULL, M2M_ID_FORM_SP_RELATIVE, "3ace4fd3",
	 NULL, 0},
	{M2M_ID_ANY, "//www.m2mprovider.com/C3219", M2M_ID_CSE_ID, "//www.m2mprovider.com/C3219", NULL,
	 "www.m2mprovider.com", M2M_ID_FORM_ABSOLUTE, "C3219", NULL, 0},
	{M2M_ID_ANY, "//M2M.Things.com./ab3f124a", M2M_ID_CSE_ID, "//m2m.things.com/ab3f124a", NULL,
	 "m2m.things.com", M2M_ID_FORM_ABSOLUTE, "ab3f124a", NULL, 0},
	{M2M_ID_CSE_ID, "/S190", M2M_ID_CSE_ID, "/S190", NULL, NULL, M2M_ID_FORM_SP_RELATIVE, "S190", NULL, 0},
	{M2M_ID_CSE_ID, "/a-b.c_d~e", M2M_ID_CSE_ID, "/a-b.c_d~e", NULL, NULL, M2M_ID_FORM_SP_RELATIVE,
	 "a-b.c_d~e", NULL, 0},
	/* AE-ID */
	{M2M_ID_ANY, "C190XX7T", M2M_ID_AE_ID, "C190XX7T", NULL, NULL, M2M_ID_FORM_CSE_RELATIVE, NULL,
	 "C190XX7T", 0},
	{M2M_ID_ANY, "Sa3e3f3ab", M2M_ID_AE_ID, "Sa3e3f3ab", NULL, NULL, M2M_ID_FORM_CSE_RELATIVE, NULL,
	 "Sa3e3f3ab", 0},
	{M2M_ID_AE_ID, "C", M2M_ID_AE_ID, "C", NULL, NULL, M2M_ID_FORM_CSE_RELATIVE, NULL, "C", 0},
	{M2M_ID_ANY, "S", M2M_ID_AE_ID, "S", NULL, NULL, M2M_ID_FORM_CSE_RELATIVE, NULL, "S", 0},
	{M2M_ID_AE_ID, "C~a_b.c-d", M2M_ID_AE_ID, "C~a_b.c-d", NULL, NULL, M2M_ID_FORM_CSE_RELATIVE, NULL,
	 "C~a_b.c-d", 0},
	{M2M_ID_ANY, "/CSE090112/C190XX7T", M2M_ID_AE_ID, "/CSE090112/C190XX7T", NULL, NULL,
	 M2M_ID_FORM_SP_RELATIVE, "CSE090112", "C190XX7T", 0},
	{M2M_ID_ANY, "/S190XX7T", M2M_ID_AE_ID, "/S190XX7T", NULL, NULL, M2M_ID_FORM_SP_RELATIVE, NULL,
	 "S190XX7T", 0},
	{M2M_ID_AE_ID, "/S1/C2", M2M_ID_AE_ID, "/S1/C2", NULL, NULL, M2M_ID_FORM_SP_RELATIVE, "S1", "C2", 0},
	{M2M_ID_ANY, "//m2m.prov.com/CSE3219/C9886", M2M_ID_AE_ID, "//m2m.prov.com/CSE3219/C9886", NULL,
	 "m2m.prov.com", M2M_ID_FORM_ABSOLUTE, "CSE3219", "C9886", 0},
	{M2M_ID_ANY, "//M2M.things.com/S98821", M2M_ID_AE_ID, "//m2m.things.com/S98821", NULL,
	 "m2m.things.com", M2M_ID_FORM_ABSOLUTE, NULL, "S98821", 0},
	/* M2M-SP-ID */
	{M2M_ID_ANY, "//www.m2mprovider.com", M2M_ID_SP_ID, "//www.m2mprovider.com", NULL,
	 "www.m2mprovider.com", M2M_ID_FORM_ABSOLUTE, NULL, NULL, 0},
	{M2M_ID_SP_ID, "//Building-Management.m2m.Telematics-Service-Company.com.", M2M_ID_SP_ID,
	 "//building-management.m2m.telematics-service-company.com", NULL,
	 "building-management.m2m.telematics-service-company.com", M2M_ID_FORM_ABSOLUTE, NULL, NULL, 0},
	/* FQDN */
	{M2M_ID_ANY, "mef.example.com", M2M_ID_FQDN, "mef.example.com", NULL, "mef.example.com", 0, NULL,
	 NULL, 0},
	{M2M_ID_FQDN, "Example.COM.", M2M_ID_FQDN, "example.com", NULL, "example.com", 0, NULL, NULL, 0},
	{M2M_ID_FQDN, "xn--bcher-kva.example", M2M_ID_FQDN, "xn--bcher-kva.example", NULL,
	 "xn--bcher-kva.example", 0, NULL, NULL, 0},
	{M2M_ID_FQDN, "1.2.3.example4", M2M_ID_FQDN, "1.2.3.example4", NULL, "1.2.3.example4", 0, NULL, NULL,
	 0},
	{M2M_ID_FQDN, "Cisco.example.com", M2M_ID_FQDN, "cisco.example.com", NULL, "cisco.example.com", 0,
	 NULL, NULL, 0},
};

static void check_str(const char *got, const char *want, const char *in)
{
	if (want == NULL) {
		if (got != NULL)
			fail_msg("%s: expected NULL, got '%s'", in, got);
		return;
	}
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: expected '%s', got '%s'", in, want, got == NULL ? "(null)" : got);
}

static void test_valid_corpus(void **state)
{
	for (size_t i = 0; i < M2M_ARRAY_LEN(valid); i++) {
		const struct valid_case *c = &valid[i];
		m2m_id *id = NULL, *again = NULL;
		m2m_err r = m2m_id_parse(c->in, strlen(c->in), c->ask, &id);

		if (r != M2M_OK)
			fail_msg("%s: %s", c->in, m2m_errname(r));
		assert_int_equal(m2m_id_kind_of(id), c->kind);
		check_str(m2m_id_canonical(id), c->canonical, c->in);
		check_str(m2m_id_relative(id), c->relative, c->in);
		check_str(m2m_id_fqdn(id), c->fqdn, c->in);
		check_str(m2m_id_cse(id), c->cse, c->in);
		check_str(m2m_id_stem(id), c->stem, c->in);
		assert_int_equal(m2m_id_form_of(id), c->form);
		assert_int_equal(m2m_id_number(id), c->number);
		/* the canonical form is a fixed point */
		assert_int_equal(m2m_id_parse(c->canonical, strlen(c->canonical), c->kind, &again), M2M_OK);
		assert_string_equal(m2m_id_canonical(again), c->canonical);
		m2m_id_free(again);
		m2m_id_free(id);
	}
}

struct bad_case {
	m2m_id_kind ask;
	const char *in;
	size_t len; /* 0: strlen(in) */
	m2m_err err;
};

static const struct bad_case bad[] = {
	{M2M_ID_ANY, "", 0, M2M_E_ID_EMPTY},
	{M2M_ID_KEID, "", 0, M2M_E_ID_EMPTY},
	{M2M_ID_SUID, "", 0, M2M_E_ID_EMPTY},
	/* hexBinary */
	{M2M_ID_KEID, "0123456789abcdef0123456789abcdeg@mef.example.com", 0, M2M_E_ID_BAD_HEX},
	{M2M_ID_KCID, "0123456789abcdef0123456789abcde-@maf.example.com", 0, M2M_E_ID_BAD_HEX},
	{M2M_ID_KEID, "my-key@mef.example.com", 0, M2M_E_ID_BAD_HEX},
	{M2M_ID_KEID, "0123456789abcdef0123456789abcde@mef.example.com", 0, M2M_E_ID_BAD_LEN},
	{M2M_ID_KEID, "0123456789abcdef0123456789abcdef0@mef.example.com", 0, M2M_E_ID_BAD_LEN},
	{M2M_ID_KEID, "0123456789abcdef0123456789abcd@mef.example.com", 0, M2M_E_ID_BAD_LEN},
	{M2M_ID_KCID, "0123456789abcdef0123456789abcdef0123@maf.example.com", 0, M2M_E_ID_BAD_LEN},
	/* '@' */
	{M2M_ID_KEID, HEX32, 0, M2M_E_ID_NO_AT},
	{M2M_ID_KPSAID, "kpsa1", 0, M2M_E_ID_NO_AT},
	{M2M_ID_KMID, "km.maf.example.com", 0, M2M_E_ID_NO_AT},
	{M2M_ID_ROLE_ID, "role1", 0, M2M_E_ID_NO_AT},
	{M2M_ID_TOKEN_ID, "tok1", 0, M2M_E_ID_NO_AT},
	{M2M_ID_KPSAID, "a@b@sp.example.com", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_KEID, HEX32 "@@mef.example.com", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_ANY, "a@b@sp.example.com", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_KPSAID, "@sp.example.com", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_KEID, "@mef.example.com", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_KMID, "@maf.example.com", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_KPSAID, "kpsa1@", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_KPSAID, "a/b@sp.example.com", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_KPSAID, "a b@sp.example.com", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_KPSAID, "a~b@sp.example.com", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_ROLE_ID, "r:1@role-issuer.com", 0, M2M_E_ID_BAD_CHAR},
	/* FQDN */
	{M2M_ID_FQDN, "localhost", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_ANY, "localhost", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_KPSAID, "a@localhost", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_FQDN, "a234567890123456789012345678901234567890123456789012345678901234.example.com", 0,
	 M2M_E_ID_BAD_FQDN},
	{M2M_ID_FQDN, "-a.example.com", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_FQDN, "a-.example.com", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_FQDN, "ex_ample.com", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_KEID, HEX32 "@mef_1.example.com", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_FQDN, "a..b", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_FQDN, ".example.com", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_FQDN, "example.com..", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_FQDN, ".", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_FQDN, "com.", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_FQDN, "10.0.0.1", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_FQDN, "exa mple.com", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_FQDN, "example.com/x", 0, M2M_E_ID_BAD_FQDN},
	/* wildcards: refused in every kind */
	{M2M_ID_FQDN, "*.example.com", 0, M2M_E_ID_WILDCARD},
	{M2M_ID_KPSAID, "kpsa1@*.example.com", 0, M2M_E_ID_WILDCARD},
	{M2M_ID_KMID, "*@maf.example.com", 0, M2M_E_ID_WILDCARD},
	{M2M_ID_AE_ID, "/cse-in/C*", 0, M2M_E_ID_WILDCARD},
	{M2M_ID_AE_ID, "C*", 0, M2M_E_ID_WILDCARD},
	{M2M_ID_ANY, "//sp.example.com/*/C1", 0, M2M_E_ID_WILDCARD},
	{M2M_ID_CSE_ID, "/*", 0, M2M_E_ID_WILDCARD},
	{M2M_ID_SP_ID, "//*.example.com", 0, M2M_E_ID_WILDCARD},
	{M2M_ID_CREDENTIAL_ID, "10-*", 0, M2M_E_ID_WILDCARD},
	{M2M_ID_SUID, "*", 0, M2M_E_ID_WILDCARD},
	/* encoding: UTF-8 is checked before the character rules */
	{M2M_ID_ANY, "\xff", 0, M2M_E_ID_BAD_UTF8},
	{M2M_ID_KPSAID, "a\xff@sp.example.com", 0, M2M_E_ID_BAD_UTF8},
	{M2M_ID_FQDN, "\xc0\xaf.example.com", 0, M2M_E_ID_BAD_UTF8},
	{M2M_ID_AE_ID, "Cabc\xed\xa0\x80", 0, M2M_E_ID_BAD_UTF8},
	{M2M_ID_KMID, "km\xe2\x82@maf.example.com", 0, M2M_E_ID_BAD_UTF8},
	{M2M_ID_KPSAID, "a\0\xff@sp.example.com", sizeof("a\0\xff@sp.example.com") - 1, M2M_E_ID_BAD_UTF8},
	{M2M_ID_KPSAID, "a\0b@sp.example.com", sizeof("a\0b@sp.example.com") - 1, M2M_E_ID_BAD_CHAR},
	{M2M_ID_KPSAID, "\xef\xbd\x8b\xef\xbd\x90\xef\xbd\x93\xef\xbd\x81@sp.example.com", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_FQDN, "\xef\xbd\x85xample.com", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_AE_ID, "\xef\xbc\xa3" "abc", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_FQDN, "b\xc3\xbc" "cher.example", 0, M2M_E_ID_BAD_CHAR},
	/* Credential-ID */
	{M2M_ID_CREDENTIAL_ID, "99-x", 0, M2M_E_ID_BAD_TYPE},
	{M2M_ID_ANY, "99-x", 0, M2M_E_ID_BAD_TYPE},
	{M2M_ID_CREDENTIAL_ID, "17-x", 0, M2M_E_ID_BAD_TYPE},
	{M2M_ID_CREDENTIAL_ID, "010-x", 0, M2M_E_ID_BAD_TYPE},
	{M2M_ID_CREDENTIAL_ID, "100-x", 0, M2M_E_ID_BAD_TYPE},
	{M2M_ID_CREDENTIAL_ID, "ab-x", 0, M2M_E_ID_BAD_TYPE},
	{M2M_ID_CREDENTIAL_ID, "-x", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_CREDENTIAL_ID, "10", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_CREDENTIAL_ID, "10-", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_CREDENTIAL_ID, "10-a/b", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_CREDENTIAL_ID, "10-a b", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_CREDENTIAL_ID, "32-//sp.example.com/cse", 0, M2M_E_ID_BAD_CHAR},
	/* SUID */
	{M2M_ID_SUID, "31", 0, M2M_E_ID_BAD_TYPE},
	{M2M_ID_SUID, "0", 0, M2M_E_ID_BAD_TYPE},
	{M2M_ID_SUID, "16", 0, M2M_E_ID_BAD_TYPE},
	{M2M_ID_SUID, "012", 0, M2M_E_ID_BAD_TYPE},
	{M2M_ID_SUID, "99999999999999999999", 0, M2M_E_ID_BAD_TYPE},
	{M2M_ID_SUID, "abc", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_SUID, "-12", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_SUID, " 12", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_SUID, "12 ", 0, M2M_E_ID_BAD_CHAR},
	/* CSE-ID */
	{M2M_ID_CSE_ID, "cse-in", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_CSE_ID, "/", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_CSE_ID, "/a/b", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_CSE_ID, "/S1/C2", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_CSE_ID, "/cse/", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_CSE_ID, "/.", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_CSE_ID, "/..", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_CSE_ID, "//sp.example.com", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_CSE_ID, "//sp.example.com/", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_CSE_ID, "/a b", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_CSE_ID, "/a%20", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_CSE_ID, "/a@b", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_CSE_ID, "///cse", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_CSE_ID, "//bad_host.example.com/cse", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_ANY, "//localhost/cse", 0, M2M_E_ID_BAD_FQDN},
	/* AE-ID */
	{M2M_ID_AE_ID, "Xabc", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_AE_ID, "cabc", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_AE_ID, "/cse-in/Xabc", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_AE_ID, "/cse-in/S1", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_AE_ID, "/C1", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_AE_ID, "/S", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_AE_ID, "/cse-in/C", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_AE_ID, "/a/b/C1", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_ANY, "/S1/C2/C3", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_AE_ID, "/cse-in//C1", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_AE_ID, "/cse-in/C1/", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_AE_ID, "//sp.example.com", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_AE_ID, "//sp.example.com/C1", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_ANY, "//sp.example.com/cse-in/S1", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_AE_ID, "C1/x", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_AE_ID, "C@x", 0, M2M_E_ID_BAD_CHAR},
	{M2M_ID_AE_ID, "/cse in/C1", 0, M2M_E_ID_BAD_CHAR},
	/* M2M-SP-ID */
	{M2M_ID_SP_ID, "sp.example.com", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_SP_ID, "/sp.example.com", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_SP_ID, "//sp.example.com/", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_SP_ID, "//sp.example.com/cse", 0, M2M_E_ID_BAD_FORM},
	{M2M_ID_SP_ID, "//localhost", 0, M2M_E_ID_BAD_FQDN},
	{M2M_ID_SP_ID, "//", 0, M2M_E_ID_BAD_FQDN},
};

static void test_malformed_corpus(void **state)
{
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		const struct bad_case *c = &bad[i];
		m2m_id *id = (m2m_id *)0x1;
		size_t len = c->len != 0 ? c->len : strlen(c->in);
		m2m_err r = m2m_id_parse(c->in, len, c->ask, &id);

		if (r != c->err)
			fail_msg("case %zu (%s, kind %s): expected %s, got %s", i, c->in, m2m_id_kind_name(c->ask),
				 m2m_errname(c->err), m2m_errname(r));
		assert_null(id);
	}
}

static void test_length_limit(void **state)
{
	char buf[M2M_ID_MAX + 2];
	const char *at = "@example.com";
	size_t atlen = strlen(at);
	m2m_id *id = NULL;

	memset(buf, 'a', sizeof(buf));
	for (m2m_id_kind k = M2M_ID_ANY; k <= M2M_ID_TOKEN_ID; k++) {
		assert_int_equal(m2m_id_parse(buf, M2M_ID_MAX + 1, k, &id), M2M_E_ID_TOO_LONG);
		assert_null(id);
	}
	/* exactly M2M_ID_MAX bytes is accepted */
	memcpy(buf + M2M_ID_MAX - atlen, at, atlen);
	assert_int_equal(m2m_id_parse(buf, M2M_ID_MAX, M2M_ID_KPSAID, &id), M2M_OK);
	assert_int_equal(strlen(m2m_id_canonical(id)), M2M_ID_MAX);
	m2m_id_free(id);
	/* the length limit comes before the encoding check */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(m2m_id_parse(buf, M2M_ID_MAX + 1, M2M_ID_ANY, &id), M2M_E_ID_TOO_LONG);
}

/* Parses a and b as kind and reports whether their canonical forms are equal. */
static bool same(const char *a, const char *b, m2m_id_kind kind)
{
	m2m_id *x = NULL, *y = NULL;
	bool eq;

	assert_int_equal(m2m_id_parse(a, strlen(a), kind, &x), M2M_OK);
	assert_int_equal(m2m_id_parse(b, strlen(b), kind, &y), M2M_OK);
	eq = strcmp(m2m_id_canonical(x), m2m_id_canonical(y)) == 0;
	m2m_id_free(x);
	m2m_id_free(y);
	return eq;
}

static void test_canonical_equality(void **state)
{
	assert_true(same("abcdef0123456789abcdef0123456789@mef.example.com",
			 "ABCDEF0123456789ABCDEF0123456789@MEF.EXAMPLE.COM.", M2M_ID_KEID));
	assert_true(same("aBcDeF0123456789abcdef0123456789@maf.example.com",
			 "ABCDEF0123456789ABCDEF0123456789@maf.example.com", M2M_ID_KCID));
	assert_false(same("abcdef0123456789abcdef0123456789@mef.example.com",
			  "abcdef0123456789abcdef0123456788@mef.example.com", M2M_ID_KEID));
	assert_true(same("MyKm-1@MAF.example.com", "mykm-1@maf.example.com.", M2M_ID_KMID));
	assert_false(same("MyKpsa@sp.example.com", "mykpsa@sp.example.com", M2M_ID_KPSAID));
	assert_true(same("Kpsa@SP.Example.COM.", "Kpsa@sp.example.com", M2M_ID_KPSAID));
	assert_true(same("Example.COM.", "example.com", M2M_ID_FQDN));
	assert_true(same("//SP.example.com./cse-in/Cabc", "//sp.example.com/cse-in/Cabc", M2M_ID_AE_ID));
	assert_false(same("/cse-in/Cabc", "/CSE-IN/Cabc", M2M_ID_AE_ID));
	assert_false(same("Cabc", "CABC", M2M_ID_AE_ID));
}

static void test_relative_bytes(void **state)
{
	static const uint8_t want[M2M_REL_KEY_ID_LEN] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
							 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
	m2m_id *id = NULL;
	const char *keid = HEX32 "@mef.example.com", *kpsaid = HEX32 "@sp.example.com";

	assert_int_equal(m2m_id_parse(keid, strlen(keid), M2M_ID_KEID, &id), M2M_OK);
	assert_non_null(m2m_id_relative_bytes(id));
	assert_memory_equal(m2m_id_relative_bytes(id), want, sizeof(want));
	m2m_id_free(id);
	assert_int_equal(m2m_id_parse(kpsaid, strlen(kpsaid), M2M_ID_KPSAID, &id), M2M_OK);
	assert_null(m2m_id_relative_bytes(id)); /* only KeID and KcID carry bytes */
	m2m_id_free(id);
}

static void test_format_key_id(void **state)
{
	static const uint8_t rel[M2M_REL_KEY_ID_LEN] = {0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3,
							4, 5, 6, 7, 8, 9, 0x0a, 0xff};
	const char *want = "DEADBEEF000102030405060708090AFF@mef.example.com";
	char out[128];
	m2m_id *id = NULL;

	assert_int_equal(m2m_id_format_key_id(rel, "MEF.Example.com.", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, want);
	assert_int_equal(m2m_id_parse(out, strlen(out), M2M_ID_KEID, &id), M2M_OK);
	assert_memory_equal(m2m_id_relative_bytes(id), rel, sizeof(rel));
	assert_string_equal(m2m_id_canonical(id), want);
	m2m_id_free(id);
	/* exactly enough room, then one byte short */
	assert_int_equal(m2m_id_format_key_id(rel, "mef.example.com", out, strlen(want) + 1), M2M_OK);
	assert_int_equal(m2m_id_format_key_id(rel, "mef.example.com", out, strlen(want)), M2M_E_RANGE);
	assert_string_equal(out, "");
	assert_int_equal(m2m_id_format_key_id(rel, "localhost", out, sizeof(out)), M2M_E_ID_BAD_FQDN);
	assert_int_equal(m2m_id_format_key_id(rel, "*.example.com", out, sizeof(out)), M2M_E_ID_WILDCARD);
	assert_int_equal(m2m_id_format_key_id(rel, "", out, sizeof(out)), M2M_E_ID_EMPTY);
	assert_int_equal(m2m_id_format_key_id(rel, NULL, out, sizeof(out)), M2M_E_INVAL);
	assert_int_equal(m2m_id_format_key_id(NULL, "mef.example.com", out, sizeof(out)), M2M_E_INVAL);
	assert_int_equal(m2m_id_format_key_id(rel, "mef.example.com", NULL, 10), M2M_E_INVAL);
}

static void test_handle_rules(void **state)
{
	struct m2m_id fake;
	m2m_id *id = (m2m_id *)0x1;

	m2m_id_free(NULL);
	assert_int_equal(m2m_id_parse("a.b", 3, M2M_ID_FQDN, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_id_parse(NULL, 3, M2M_ID_FQDN, &id), M2M_E_INVAL);
	assert_null(id);
	assert_int_equal(m2m_id_parse(NULL, 0, M2M_ID_FQDN, &id), M2M_E_ID_EMPTY);
	assert_int_equal(m2m_id_parse("a.b", 3, (m2m_id_kind)99, &id), M2M_E_INVAL);
	assert_int_equal(m2m_id_parse("a.b", 3, (m2m_id_kind)-1, &id), M2M_E_INVAL);
	assert_null(id);
	/* every accessor is NULL-safe and rejects a foreign pointer */
	memset(&fake, 0, sizeof(fake));
	for (int i = 0; i < 2; i++) {
		const m2m_id *p = i == 0 ? NULL : &fake;
		assert_null(m2m_id_canonical(p));
		assert_null(m2m_id_relative(p));
		assert_null(m2m_id_relative_bytes(p));
		assert_null(m2m_id_fqdn(p));
		assert_null(m2m_id_cse(p));
		assert_null(m2m_id_stem(p));
		assert_int_equal(m2m_id_kind_of(p), M2M_ID_ANY);
		assert_int_equal(m2m_id_form_of(p), M2M_ID_FORM_NONE);
		assert_int_equal(m2m_id_number(p), 0);
	}
	m2m_id_free(&fake); /* wrong magic: ignored, not freed */
}

static void test_kind_names(void **state)
{
	static const char *const names[] = {"keid", "kcid", "kpsaid", "kmid", "credential-id", "suid",
					    "cse-id", "ae-id", "sp-id", "fqdn", "role-id", "token-id"};
	m2m_id_kind k;

	for (size_t i = 0; i < M2M_ARRAY_LEN(names); i++) {
		assert_string_equal(m2m_id_kind_name((m2m_id_kind)(i + 1)), names[i]);
		assert_int_equal(m2m_id_kind_from_name(names[i], &k), M2M_OK);
		assert_int_equal(k, (m2m_id_kind)(i + 1));
	}
	assert_int_equal(m2m_id_kind_from_name("any", &k), M2M_OK);
	assert_int_equal(k, M2M_ID_ANY);
	assert_int_equal(m2m_id_kind_from_name("KeID", &k), M2M_OK);
	assert_int_equal(k, M2M_ID_KEID);
	assert_int_equal(m2m_id_kind_from_name("kpsa", &k), M2M_E_ID_BAD_TYPE);
	assert_int_equal(k, M2M_ID_ANY);
	assert_int_equal(m2m_id_kind_from_name("", &k), M2M_E_ID_BAD_TYPE);
	assert_int_equal(m2m_id_kind_from_name(NULL, &k), M2M_E_INVAL);
	assert_int_equal(m2m_id_kind_from_name("keid", NULL), M2M_E_INVAL);
	assert_string_equal(m2m_id_kind_name((m2m_id_kind)42), "unknown");
}

static void test_any_inference(void **state)
{
	static const struct {
		const char *in;
		m2m_id_kind kind;
	} cases[] = {
		{HEX32 "@mef.example.com", M2M_ID_KEID},
		{"kpsa@sp.example.com", M2M_ID_KPSAID},
		{"11-km@maf.example.com", M2M_ID_CREDENTIAL_ID},
		{"//sp.example.com", M2M_ID_SP_ID},
		{"//sp.example.com/cse", M2M_ID_CSE_ID},
		{"//sp.example.com/Scse", M2M_ID_AE_ID},
		{"//sp.example.com/cse/Cae", M2M_ID_AE_ID},
		{"/cse", M2M_ID_CSE_ID},
		{"/Ccse", M2M_ID_CSE_ID},
		{"/Sae", M2M_ID_AE_ID},
		{"/cse/Cae", M2M_ID_AE_ID},
		{"Cae", M2M_ID_AE_ID},
		{"Sensor.example.com", M2M_ID_AE_ID},
		{"sensor.example.com", M2M_ID_FQDN},
	};
	m2m_id *id = NULL;

	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		assert_int_equal(m2m_id_parse(cases[i].in, strlen(cases[i].in), M2M_ID_ANY, &id), M2M_OK);
		assert_int_equal(m2m_id_kind_of(id), cases[i].kind);
		m2m_id_free(id);
	}
	/* SUIDs are never inferred: "12" is not a host name */
	assert_int_equal(m2m_id_parse("12", 2, M2M_ID_ANY, &id), M2M_E_ID_BAD_FQDN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_corpus),
		cmocka_unit_test(test_malformed_corpus),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_canonical_equality),
		cmocka_unit_test(test_relative_bytes),
		cmocka_unit_test(test_format_key_id),
		cmocka_unit_test(test_handle_rules),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_any_inference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
