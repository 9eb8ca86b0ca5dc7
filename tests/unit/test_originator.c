/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/originator.c (TS-0004 clause 7.3.2.1). */
#include <stdio.h>
#include "m2m_test.h"
#include "m2msec/originator.h"

static const m2m_origin_ctx ctx = {.cse_id = "/id-in", .sp_id = "//sp.example.com"};

static void test_forms(void **state)
{
	m2m_origin_forms f;
	assert_int_equal(m2m_originator_forms(&ctx, "Cabc", &f), M2M_OK);
	assert_string_equal(f.cse_relative, "Cabc");
	assert_string_equal(f.sp_relative, "/id-in/Cabc");
	assert_string_equal(f.absolute, "//sp.example.com/id-in/Cabc");
	assert_false(f.is_cse);
	assert_int_equal(m2m_originator_forms(&ctx, "Sxyz", &f), M2M_OK);
	assert_string_equal(f.sp_relative, "/Sxyz");
	assert_string_equal(f.absolute, "//sp.example.com/Sxyz");
	assert_int_equal(m2m_originator_forms(&ctx, "/id-mn", &f), M2M_OK);
	assert_true(f.is_cse);
	assert_string_equal(f.absolute, "//sp.example.com/id-mn");
	assert_string_equal(f.cse_relative, "");
	assert_int_equal(m2m_originator_forms(&ctx, "//sp.example.com/id-in/Cq", &f), M2M_OK);
	assert_string_equal(f.cse_relative, "Cq");
	assert_string_equal(f.sp_relative, "/id-in/Cq");
	assert_int_equal(m2m_originator_forms(&ctx, "//other.example.org/id-x/Cq", &f), M2M_OK);
	assert_string_equal(f.sp_relative, "");
	assert_string_equal(f.cse_relative, "");
	assert_int_equal(m2m_originator_forms(&ctx, "/id-mn/Cq", &f), M2M_OK);
	assert_string_equal(f.cse_relative, "");
	/* malformed */
	assert_int_equal(m2m_originator_forms(&ctx, "", &f), M2M_E_ID_EMPTY);
	assert_int_equal(m2m_originator_forms(&ctx, "Xabc", &f), M2M_E_ID_BAD_FORM);
	assert_int_equal(m2m_originator_forms(&ctx, "C a", &f), M2M_E_ID_BAD_CHAR);
	assert_int_equal(m2m_originator_forms(&ctx, "C*", &f), M2M_E_ID_WILDCARD);
	assert_int_equal(m2m_originator_forms(&ctx, "/id-in/Sabc", &f), M2M_E_ID_BAD_FORM);
	assert_int_equal(m2m_originator_forms(&ctx, "/a/Cb/c", &f), M2M_E_ID_BAD_FORM);
	assert_int_equal(m2m_originator_forms(&ctx, "//bad_host/x", &f), M2M_E_ID_BAD_FORM);
	assert_int_equal(m2m_originator_forms(&ctx, "//sp.example.com", &f), M2M_E_ID_BAD_FORM);
}

static int check(const m2m_sa *sa, m2m_op op, int ty, const char *fr, bool *authn)
{
	m2m_request r;
	char msg[128];
	m2m_request_init(&r);
	r.op = op;
	r.ty = ty;
	r.fr = (char *)fr;
	m2m_origin_forms f;
	int rsc = m2m_originator_check(&ctx, sa, &r, authn, &f, msg, sizeof(msg));
	if (rsc != 0)
		assert_true(strlen(msg) > 0);
	/* on success the forms of a present, valid From come back (computed once) */
	if (rsc == 0 && fr != NULL && fr[0] != '\0')
		assert_true(f.absolute[0] != '\0');
	if (fr == NULL)
		assert_string_equal(f.absolute, "");
	return rsc;
}

static m2m_sa mk_sa(m2m_sa_kind kind, m2m_entity_kind ent, const char *bound)
{
	m2m_sa sa;
	memset(&sa, 0, sizeof(sa));
	sa.kind = kind;
	sa.entity = ent;
	snprintf(sa.bound_id, sizeof(sa.bound_id), "%s", bound);
	return sa;
}

static void test_no_association(void **state)
{
	m2m_sa none = mk_sa(M2M_SA_NONE, M2M_ENTITY_UNKNOWN, "");
	bool a = true;
	assert_int_equal(check(&none, M2M_OP_RETRIEVE, 0, "Cabc", &a), 0);
	assert_false(a);
	/* TS-0004 7.3.2.1: CSE-ID outside any SA -> 4107, in every form. */
	assert_int_equal(check(&none, M2M_OP_RETRIEVE, 0, "/id-mn", &a), 4107);
	assert_int_equal(check(&none, M2M_OP_CREATE, 16, "//sp.example.com/id-mn", &a), 4107);
	assert_int_equal(check(&none, M2M_OP_RETRIEVE, 0, NULL, &a), 4000);
	assert_int_equal(check(&none, M2M_OP_RETRIEVE, 0, "not an id", &a), 4000);
	assert_int_equal(check(&none, M2M_OP_CREATE, M2M_TY_AE, NULL, &a), 0);
	assert_false(a);
	assert_int_equal(check(NULL, M2M_OP_RETRIEVE, 0, "/id-mn", &a), 4107);
}

static void test_ae_association(void **state)
{
	m2m_sa sa = mk_sa(M2M_SA_PSK, M2M_ENTITY_AE, "Cdev1");
	bool a = false;
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "Cdev1", &a), 0);
	assert_true(a);
	/* TS-0004 7.3.2.1: a Registree AE's From must be its AE-ID-Stem, any other format is 4000,
	 * even the bound AE in SP-relative or absolute form (issue 6: was served) */
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "/id-in/Cdev1", &a), 4000);
	assert_false(a);
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "//sp.example.com/id-in/Cdev1", &a), 4000);
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "/id-mn", &a), 4000);
	/* spoofed From -> 4106, rq_authn false */
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "Cdev2", &a), 4106);
	assert_false(a);
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "CAdmin", &a), 4106);
	/* bound in SP-relative form: the stem is still the identity */
	sa = mk_sa(M2M_SA_PSK, M2M_ENTITY_AE, "/id-in/Cdev1");
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "Cdev1", &a), 0);
	assert_true(a);
	sa = mk_sa(M2M_SA_PSK, M2M_ENTITY_AE, "Cdev1");
	assert_int_equal(check(&sa, M2M_OP_CREATE, M2M_TY_AE, "Cother", &a), 4106);
	assert_int_equal(check(&sa, M2M_OP_CREATE, M2M_TY_AE, "C", &a), 0);
	assert_true(a);
	/* bound to a C-type AE of another CSE (an ESPrim key of an AE behind a transit MN-CSE, TS-0003
	 * 7.1.2): it has no stem here; its SP-relative / absolute AE-ID is matched exactly */
	sa = mk_sa(M2M_SA_PSK, M2M_ENTITY_AE, "/id-mn/Cdev1");
	a = false;
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "/id-mn/Cdev1", &a), 0);
	assert_true(a);
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "//sp.example.com/id-mn/Cdev1", &a), 0);
	a = false;
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "/id-mn/Cdev2", &a), 4106);
	assert_false(a);
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "Cdev1", &a), 4106);     /* /id-in/Cdev1: another AE */
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "/id-in/Cdev1", &a), 4000); /* an AE of this CSE */
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "/id-mn", &a), 4106);
}

static void test_cse_association(void **state)
{
	m2m_sa sa = mk_sa(M2M_SA_CERT, M2M_ENTITY_CSE, "/id-mn");
	bool a = false;
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "/id-mn", &a), 0);
	assert_true(a);
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "/id-other", &a), 4106);
	/* A CSE speaks for AEs only when they are registered with it (TS-0004 7.3.2.1): the only
	 * AE-IDs naming it as Registrar are its C-type ones ("/id-mn/C..."), passed on marked
	 * via_registree with rq_authn false (the caller confirms the <remoteCSE>, res_csr.c).
	 * Every other AE-ID From is 4106 (issue 6: S-type AEs and transit were served): AEs
	 * registered here, S-type AEs, AEs of another CSE or SP, every ID form. */
	static const char *const mine[] = {"/id-mn/Cx", "//sp.example.com/id-mn/Cx"};
	for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
		m2m_request r;
		m2m_origin_forms f;
		char msg[128];
		m2m_request_init(&r);
		r.op = M2M_OP_RETRIEVE;
		r.fr = (char *)mine[i];
		a = true;
		assert_int_equal(m2m_originator_check(&ctx, &sa, &r, &a, &f, msg, sizeof(msg)), 0);
		assert_false(a);
		assert_true(f.via_registree);
		assert_string_equal(f.absolute, "//sp.example.com/id-mn/Cx");
	}
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "/id-in", &a), 4106);
	static const char *const aes[] = {"Cx", "/id-in/Cx", "//sp.example.com/id-in/Cx", "Sx", "/Sx",
					  "//sp.example.com/Sx", "/id-mn2/Cx", "//sp.example.com/id-mn2/Cx",
					  "//other.example.org/id-mn/Cx", "//other.example.org/Sx"};
	for (size_t i = 0; i < sizeof(aes) / sizeof(aes[0]); i++) {
		a = true;
		assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, aes[i], &a), 4106);
		assert_false(a);
		assert_int_equal(check(&sa, M2M_OP_CREATE, M2M_TY_CIN, aes[i], &a), 4106);
	}
}

/* A peer can never be this CSE: an association bound to our own CSE-ID (any form, any
 * credential kind, even claimed as an AE) is refused on every request (issue 6). */
static void test_bound_to_this_cse(void **state)
{
	static const char *const self[] = {"/id-in", "//sp.example.com/id-in"};
	static const m2m_sa_kind kinds[] = {M2M_SA_CERT, M2M_SA_PSK};
	static const m2m_entity_kind ents[] = {M2M_ENTITY_CSE, M2M_ENTITY_AE};
	bool a;

	for (size_t i = 0; i < 2; i++)
		for (size_t k = 0; k < 2; k++)
			for (size_t e = 0; e < 2; e++) {
				m2m_sa sa = mk_sa(kinds[k], ents[e], self[i]);
				a = true;
				assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "/id-in", &a), 4106);
				assert_false(a);
				assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, self[i], &a), 4106);
				assert_int_equal(check(&sa, M2M_OP_CREATE, M2M_TY_AE, NULL, &a), 4106);
				assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "Cx", &a), 4106);
			}
	/* another CSE of our SP is fine */
	m2m_sa mn = mk_sa(M2M_SA_CERT, M2M_ENTITY_CSE, "//sp.example.com/id-mn");
	assert_int_equal(check(&mn, M2M_OP_RETRIEVE, 0, "/id-mn", &a), 0);
	assert_true(a);
}

/* Outside an association a Registree AE (an AE-ID of this CSE) must use its stem (4000); AE-IDs
 * of other CSEs are left to the "registered here" check of the dispatcher (4106). */
static void test_plain_non_stem(void **state)
{
	m2m_sa none = mk_sa(M2M_SA_NONE, M2M_ENTITY_UNKNOWN, "");
	bool a = true;

	assert_int_equal(check(&none, M2M_OP_RETRIEVE, 0, "/id-in/Cabc", &a), 4000);
	assert_int_equal(check(&none, M2M_OP_RETRIEVE, 0, "//sp.example.com/id-in/Cabc", &a), 4000);
	assert_int_equal(check(&none, M2M_OP_RETRIEVE, 0, "/Sabc", &a), 4000);
	assert_int_equal(check(&none, M2M_OP_RETRIEVE, 0, "/id-mn/Cabc", &a), 0);
	assert_false(a);
}

static void test_credential_only(void **state)
{
	m2m_sa sa = mk_sa(M2M_SA_PSK, M2M_ENTITY_UNKNOWN, "");
	bool a = false;
	assert_int_equal(check(&sa, M2M_OP_RETRIEVE, 0, "Cabc", &a), 4106);
	assert_int_equal(check(&sa, M2M_OP_CREATE, M2M_TY_AE, "Cabc", &a), 0);
	assert_true(a);
}

/* the forms fill M2M_ORIG_MAX - 1 characters at most: the longest AE-ID whose absolute form fits
 * gives it whole, one character more is M2M_E_ID_TOO_LONG (the bound of originator.c's put) */
static void test_form_length_bound(void **state)
{
	char from[M2M_ORIG_MAX + 8];
	m2m_origin_forms f;
	size_t fit = M2M_ORIG_MAX - 1 - strlen("//sp.example.com/id-in/");

	(void)state;
	memset(from, 'a', sizeof(from));
	from[0] = 'C';
	from[fit] = '\0';
	assert_int_equal(m2m_originator_forms(&ctx, from, &f), M2M_OK);
	assert_int_equal(strlen(f.absolute), M2M_ORIG_MAX - 1);
	assert_int_equal(strncmp(f.absolute, "//sp.example.com/id-in/Caaa", 27), 0);
	assert_string_equal(f.absolute + strlen("//sp.example.com/id-in/"), from);
	assert_string_equal(f.cse_relative, from);
	from[fit] = 'a';
	from[fit + 1] = '\0';
	assert_int_equal(m2m_originator_forms(&ctx, from, &f), M2M_E_ID_TOO_LONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_no_association),
		cmocka_unit_test(test_ae_association),
		cmocka_unit_test(test_cse_association),
		cmocka_unit_test(test_credential_only),
		cmocka_unit_test(test_bound_to_this_cse),
		cmocka_unit_test(test_plain_non_stem),
		cmocka_unit_test(test_form_length_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
