/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/mefstore_keys.c (docs/procedures/console.md): an
 * enrolee's Ke (TS-0003 §10.3.1) and MEF Key Registrations (§8.3.5) are listed with identifier,
 * SUID and dates, the Ke first, nothing of another enrolee; a revocation empties the list.
 */
#include "mef_fixture.h"
#include "store/mefstore_int.h"
#include "store/mefstore_keys.h"

struct seen {
	int n;
	char ids[4][64];
	int suid[4];
	bool ke[4];
};

static m2m_err collect(const m2mi_mef_key_info *k, void *arg)
{
	struct seen *s = arg;

	if (s->n == 4)
		return M2M_E_RANGE;
	snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", k->id);
	s->suid[s->n] = k->suid;
	s->ke[s->n++] = k->is_ke;
	return M2M_OK;
}

static void put_keyreg(m2m_mefstore *st, const char *rel, const char *client, int suid)
{
	m2mi_mef_keyreg kr;
	uint8_t kb[32];
	m2m_key *k = NULL;

	memset(&kr, 0, sizeof(kr));
	memset(kb, 0x66, sizeof(kb));
	snprintf(kr.rel_key_id, sizeof(kr.rel_key_id), "%s", rel);
	snprintf(kr.client_id, sizeof(kr.client_id), "%s", client);
	snprintf(kr.source_id, sizeof(kr.source_id), FX_EID);
	kr.suid = suid;
	kr.expiry = FX_NOW + 500;
	assert_int_equal(m2m_key_new(kb, 32, &k), M2M_OK);
	assert_int_equal(m2mi_mefstore_keyreg_put(st, &kr, k, FX_NOW), M2M_OK);
	m2m_key_free(k);
}

static void test_keys(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef);
	m2mi_mef_reg reg;
	uint8_t kb[32];
	m2m_key *ke = NULL;
	struct seen s = {0};

	(void)state;
	assert_int_equal(m2mi_mefstore_keys_list(st, FX_KPMID, collect, &s), M2M_OK);
	assert_int_equal(s.n, 0);
	memset(&reg, 0, sizeof(reg));
	memset(kb, 0x44, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &ke), M2M_OK);
	snprintf(reg.keid, sizeof(reg.keid), "44444444444444444444444444444444@mef.example.com");
	snprintf(reg.reg_id, sizeof(reg.reg_id), "44444444444444444444444444444444");
	snprintf(reg.client_id, sizeof(reg.client_id), FX_KPMID);
	snprintf(reg.enrolee_id, sizeof(reg.enrolee_id), FX_EID);
	snprintf(reg.targets[0], sizeof(reg.targets[0]), FX_TARGET);
	reg.ntargets = 1;
	reg.expiry = reg.reg_et = FX_NOW + 1000;
	assert_int_equal(m2mi_mefstore_begin(st), M2M_OK);
	assert_int_equal(m2mi_mefstore_reg_put(st, &reg, ke, FX_NOW), M2M_OK);
	put_keyreg(st, "55555555555555555555555555555555", FX_KPMID, 24);
	put_keyreg(st, "77777777777777777777777777777777", "other@mef.example.com", 24);
	assert_int_equal(m2mi_mefstore_end(st, M2M_OK), M2M_OK);
	m2m_key_free(ke);
	assert_int_equal(m2mi_mefstore_keys_list(st, FX_KPMID, collect, &s), M2M_OK);
	assert_int_equal(s.n, 2);
	assert_true(s.ke[0] && !s.ke[1]);
	assert_string_equal(s.ids[0], "44444444444444444444444444444444@mef.example.com");
	assert_string_equal(s.ids[1], "55555555555555555555555555555555");
	assert_int_equal(s.suid[1], 24);
	/* the revocation deletes every key derived from Ke */
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, FX_KPMID, FX_NOW), M2M_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(m2mi_mefstore_keys_list(st, FX_KPMID, collect, &s), M2M_OK);
	assert_int_equal(s.n, 0);
	assert_int_equal(m2mi_mefstore_keys_list(st, NULL, collect, &s), M2M_E_INVAL);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
