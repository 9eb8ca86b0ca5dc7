/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/mefstore_est.c: the EST issuance records of the
 * MEF store (TS-0003 clause 8.3.6; RFC 5280 section 5 revocation list derivation): a record is
 * stored once, an operator revocation lists it, an unknown serial is M2M_E_NOT_FOUND, and the
 * certificates of a revoked enrolee are listed with reason cessationOfOperation.
 */
#include "mef_fixture.h"

#include "m2msec/est.h"
#include "store/mefstore_est.h"
#include "store/mefstore_int.h"

struct seen {
	size_t n;
	int reason;
};

static void on_rv(void *arg, const m2m_ca_revoked *rv)
{
	struct seen *s = arg;

	s->n++;
	s->reason = rv->reason;
}

static void test_records(void **state)
{
	(void)state;
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef);
	m2m_est_record rec = {.serial = "0ABC", .client_id = FX_KPMID, .enrolee_id = FX_EID,
			      .san = "m2m://sp.example.com/cse-in/Cdev1", .not_after = FX_NOW + 1000,
			      .issued_at = FX_NOW};
	m2m_est_record got;
	struct seen s = {0};

	assert_int_equal(m2mi_mefstore_est_ensure(st), M2M_OK);
	assert_int_equal(m2mi_mefstore_begin(st), M2M_OK);
	assert_int_equal(m2mi_mefstore_est_put(st, &rec), M2M_OK);
	assert_int_equal(m2mi_mefstore_est_put(st, &rec), M2M_E_EXISTS);
	assert_int_equal(m2mi_mefstore_est_get(st, "0ABC", &got), M2M_OK);
	assert_string_equal(got.san, rec.san);
	assert_int_equal(m2mi_mefstore_est_get(st, "0ABD", &got), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_mefstore_end(st, M2M_OK), M2M_OK);
	assert_int_equal(m2m_mefstore_est_revoked(st, FX_NOW, on_rv, &s), M2M_OK);
	assert_int_equal(s.n, 0);
	assert_int_equal(m2m_mefstore_est_revoke(st, "0ABD", FX_NOW), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_mefstore_est_revoke(st, "0ABC", FX_NOW), M2M_OK);
	assert_int_equal(m2m_mefstore_est_revoke(st, "0ABC", FX_NOW), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_mefstore_est_revoked(st, FX_NOW, on_rv, &s), M2M_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.reason, 0);
	/* long expired: dropped from the list */
	s.n = 0;
	assert_int_equal(m2m_mefstore_est_revoked(st, FX_NOW + 1000 + 86400, on_rv, &s), M2M_OK);
	assert_int_equal(s.n, 0);
	fx_free(f);
}

static void test_enrolee_revocation(void **state)
{
	(void)state;
	fx *f = fx_new(NULL);
	m2m_mefstore *st = m2m_mef_store(f->mef);
	m2m_est_record rec = {.serial = "01", .client_id = FX_KPMID, .enrolee_id = FX_EID, .san = "x",
			      .not_after = FX_NOW + 1000, .issued_at = FX_NOW};
	struct seen s = {0};

	assert_int_equal(m2mi_mefstore_est_ensure(st), M2M_OK);
	assert_int_equal(m2mi_mefstore_begin(st), M2M_OK);
	assert_int_equal(m2mi_mefstore_est_put(st, &rec), M2M_OK);
	assert_int_equal(m2mi_mefstore_end(st, M2M_OK), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_revoke(st, FX_KPMID, FX_NOW + 5), M2M_OK);
	assert_int_equal(m2m_mefstore_est_revoked(st, FX_NOW, on_rv, &s), M2M_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.reason, M2M_CA_REASON_CESSATION);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_enrolee_revocation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
