/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of bindings/conn_limit.c (connection caps, issue 6 §3). */
#include <pthread.h>
#include "m2m_test.h"
#include "bindings/conn_limit.h"

static const uint8_t a4[4] = {192, 0, 2, 1}, b4[4] = {192, 0, 2, 2};

static void test_caps(void **state)
{
	m2mi_conn_limit *l = NULL;

	assert_int_equal(m2mi_conn_limit_new(0, 1, &l), M2M_E_INVAL);
	assert_int_equal(m2mi_conn_limit_new(5, 3, &l), M2M_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(m2mi_conn_limit_acquire(l, 4, a4), M2MI_CONN_ADMIT);
	/* the address is full, another one still gets in */
	assert_int_equal(m2mi_conn_limit_acquire(l, 4, a4), M2MI_CONN_OVER_ADDRESS);
	assert_int_equal(m2mi_conn_limit_acquire(l, 4, b4), M2MI_CONN_ADMIT);
	assert_int_equal(m2mi_conn_limit_acquire(l, 0, NULL), M2MI_CONN_ADMIT);
	/* the process is full */
	assert_int_equal(m2mi_conn_limit_acquire(l, 4, b4), M2MI_CONN_OVER_TOTAL);
	assert_int_equal(m2mi_conn_limit_total(l), 5);
	assert_int_equal(m2mi_conn_limit_of(l, 4, a4), 3);
	/* a close makes room again, for that address too */
	m2mi_conn_limit_release(l, 4, a4);
	assert_int_equal(m2mi_conn_limit_acquire(l, 4, a4), M2MI_CONN_ADMIT);
	for (int i = 0; i < 3; i++)
		m2mi_conn_limit_release(l, 4, a4);
	m2mi_conn_limit_release(l, 4, b4);
	m2mi_conn_limit_release(l, 0, NULL);
	assert_int_equal(m2mi_conn_limit_total(l), 0);
	assert_int_equal(m2mi_conn_limit_of(l, 4, a4), 0);
	m2mi_conn_limit_free(l);
	(void)state;
}

/* IPv6 counts per /64: the host half of the address does not give a peer more connections. */
static void test_ipv6_prefix(void **state)
{
	m2mi_conn_limit *l = NULL;
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1};

	assert_int_equal(m2mi_conn_limit_new(100, 2, &l), M2M_OK);
	for (int i = 0; i < 2; i++) {
		v6[15] = (uint8_t)i;
		assert_int_equal(m2mi_conn_limit_acquire(l, 6, v6), M2MI_CONN_ADMIT);
	}
	v6[15] = 99;
	assert_int_equal(m2mi_conn_limit_acquire(l, 6, v6), M2MI_CONN_OVER_ADDRESS);
	v6[7] = 2; /* another /64 */
	assert_int_equal(m2mi_conn_limit_acquire(l, 6, v6), M2MI_CONN_ADMIT);
	/* max_per_address above max_total is clamped */
	m2mi_conn_limit_free(l);
	assert_int_equal(m2mi_conn_limit_new(2, 50, &l), M2M_OK);
	assert_int_equal(m2mi_conn_limit_acquire(l, 4, a4), M2MI_CONN_ADMIT);
	assert_int_equal(m2mi_conn_limit_acquire(l, 4, a4), M2MI_CONN_ADMIT);
	assert_int_equal(m2mi_conn_limit_acquire(l, 4, a4), M2MI_CONN_OVER_TOTAL);
	m2mi_conn_limit_free(l);
	(void)state;
}

/* Shared by every event-loop thread: the count stays exact under concurrent accept/close. */
static m2mi_conn_limit *shared;

static void *churn(void *arg)
{
	uint8_t ip[4] = {10, 0, 0, (uint8_t)(uintptr_t)arg};

	for (int i = 0; i < 20000; i++)
		if (m2mi_conn_limit_acquire(shared, 4, ip) == M2MI_CONN_ADMIT)
			m2mi_conn_limit_release(shared, 4, ip);
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[4];

	assert_int_equal(m2mi_conn_limit_new(3, 1, &shared), M2M_OK);
	for (uintptr_t i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, (void *)(i % 2)), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(m2mi_conn_limit_total(shared), 0);
	m2mi_conn_limit_free(shared);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_caps), cmocka_unit_test(test_ipv6_prefix),
					   cmocka_unit_test(test_threads)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
