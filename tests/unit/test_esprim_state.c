/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/esprim_state.c, the ESPrim Receiver's
 * memory: the shared rand object (stable, renewed at half its lifetime, the previous one still
 * found), non-shared objects bound to their Originator and bounded per Originator, originator
 * objects remembered per kid, and the bounded replay window (replay refused; an object older
 * than what the window forgot refused).
 */
#include <stdio.h>

#include "esprim_fixture.h"
#include "services/cse/esprim_rx.h"

static m2mi_esprim *mk(void)
{
	m2m_cse_config cfg;
	m2mi_esprim *e = NULL;

	m2m_cse_config_defaults(&cfg);
	cfg.esprim_rand_seconds = 100;
	assert_int_equal(m2mi_esprim_new(&cfg, &e), M2M_OK);
	return e;
}

static void test_shared(void **state)
{
	m2mi_esprim *e = mk();
	m2m_esprim_rand a, b, c, f;

	(void)state;
	assert_int_equal(m2mi_esprim_shared(e, T0, &a), M2M_OK);
	assert_true(m2m_esprim_rand_id_shared(a.id));
	assert_int_equal(a.expiry, T0 + 100);
	assert_int_equal(m2mi_esprim_shared(e, T0 + 40, &b), M2M_OK);
	assert_string_equal(a.id, b.id); /* stable while more than half is left */
	assert_int_equal(m2mi_esprim_shared(e, T0 + 51, &c), M2M_OK);
	assert_string_not_equal(a.id, c.id); /* renewed */
	assert_int_equal(m2mi_esprim_find_rro(e, a.id, "//x/id-in/CAE1", &f), M2M_OK); /* previous still found */
	assert_int_equal(m2mi_esprim_find_rro(e, c.id, "//x/id-in/CAE1", &f), M2M_OK);
	assert_int_equal(m2mi_esprim_find_rro(e, "snope", "//x/id-in/CAE1", &f), M2M_E_ESP_RECV_RAND);
	m2mi_esprim_free(e);
}

static void test_non_shared(void **state)
{
	m2mi_esprim *e = mk();
	m2m_esprim_rand first, r, f;

	(void)state;
	assert_int_equal(m2mi_esprim_issue(e, "A", T0, &first), M2M_OK);
	assert_false(m2m_esprim_rand_id_shared(first.id));
	assert_int_equal(m2mi_esprim_find_rro(e, first.id, "A", &f), M2M_OK);
	assert_int_equal(m2mi_esprim_find_rro(e, first.id, "B", &f), M2M_E_ESP_RECV_RAND); /* not B's */
	for (int i = 0; i < M2MI_ESP_NS_PER_ORIG; i++)
		assert_int_equal(m2mi_esprim_issue(e, "A", T0, &r), M2M_OK);
	/* A's oldest made room for its newest; nobody else lost anything */
	assert_int_equal(m2mi_esprim_find_rro(e, first.id, "A", &f), M2M_E_ESP_RECV_RAND);
	assert_int_equal(m2mi_esprim_find_rro(e, r.id, "A", &f), M2M_OK);
	m2mi_esprim_free(e);
}

static void test_oro_and_replay(void **state)
{
	m2mi_esprim *e = mk();
	m2m_esprim_rand rro, oro, f;

	(void)state;
	fx_rands(&rro, &oro);
	assert_int_equal(m2mi_esprim_find_oro(e, "k", oro.id, NULL, &f), M2M_E_ESP_ORIG_RAND);
	assert_int_equal(m2mi_esprim_find_oro(e, "k", "other", &oro, &f), M2M_E_ESP_ORIG_RAND);
	assert_int_equal(m2mi_esprim_find_oro(e, "k", oro.id, &oro, &f), M2M_OK);
	m2mi_esprim_keep_oro(e, "k", &oro);
	assert_int_equal(m2mi_esprim_find_oro(e, "k", oro.id, NULL, &f), M2M_OK);
	assert_int_equal(m2mi_esprim_find_oro(e, "k2", oro.id, NULL, &f), M2M_E_ESP_ORIG_RAND); /* per kid */
	assert_int_equal(m2mi_esprim_replay(e, "k", &oro, "rq1", T0), M2M_OK);
	assert_int_equal(m2mi_esprim_replay(e, "k", &oro, "rq1", T0), M2M_E_EXISTS);
	assert_int_equal(m2mi_esprim_replay(e, "k", &oro, "rq2", T0), M2M_OK);
	assert_int_equal(m2mi_esprim_replay(e, "k2", &oro, "rq1", T0), M2M_OK);
	/* fill the window with later objects: the earliest entries are forgotten and an object
	 * expiring no later than them is refused from then on */
	for (int i = 0; i < M2MI_ESP_REPLAY_MAX; i++) {
		m2m_esprim_rand later = oro;
		char rqi[16];
		later.expiry = oro.expiry + 10;
		snprintf(rqi, sizeof(rqi), "x%d", i);
		assert_int_equal(m2mi_esprim_replay(e, "k", &later, rqi, T0), M2M_OK);
	}
	assert_int_equal(m2mi_esprim_replay(e, "k", &oro, "rq9", T0), M2M_E_ESP_ORIG_RAND);
	m2mi_esprim_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_shared), cmocka_unit_test(test_non_shared),
					   cmocka_unit_test(test_oro_and_replay)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
