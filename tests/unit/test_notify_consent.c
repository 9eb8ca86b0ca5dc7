/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/notify_consent.c through the notifier: a
 * pointOfAccess-derived target answers a verification request once per subscription before
 * its first notification, and a refusal stops that subscription's notifications to it.
 */
#include "cse_fixture.h"

/* A pointOfAccess-derived target answers a verification request once before notifications. */
static void test_poa_verified_once(void **state)
{
	m2mi_notifier *n = fx_notifier_open("127.0.0.0/8");
	fx_http *ok = fx_http_start(200, 2000, 8), *no = fx_http_start(403, 4103, 8);
	char a[64], b[64];
	uint64_t sent, failed, dropped;
	const m2mi_send_opts vrq = {.vrq = "{\"vrq\":1}"};

	(void)state;
	snprintf(a, sizeof(a), "http://127.0.0.1:%d/poa", ok->port);
	snprintf(b, sizeof(b), "http://127.0.0.1:%d/poa", no->port);
	m2mi_notifier_send(n, a, "{\"n\":1}", &vrq);
	m2mi_notifier_send(n, a, "{\"n\":2}", &vrq);
	m2mi_notifier_send(n, b, "{\"n\":3}", &vrq);
	m2mi_notifier_send(n, b, "{\"n\":4}", &vrq);
	assert_true(m2mi_notifier_drain(n, 10000));
	assert_int_equal(fx_http_wait(ok, 3), 3);
	assert_string_equal(ok->bodies[0], "{\"vrq\":1}");
	assert_string_equal(ok->bodies[1], "{\"n\":1}");
	assert_string_equal(ok->bodies[2], "{\"n\":2}");
	/* refused consent: no notification follows, only verification requests */
	assert_true(fx_http_wait(no, 1) >= 1);
	for (int i = 0; i < no->n && i < 8; i++)
		assert_string_equal(no->bodies[i], "{\"vrq\":1}");
	m2mi_notifier_stats(n, &sent, &failed, &dropped);
	assert_int_equal(sent, 2);
	assert_int_equal(failed, 2);
	m2mi_notifier_free(n);
	fx_http_stop(ok);
	fx_http_stop(no);
}
/* Consent is per subscription: another subscription's notifications to a verified URL ask first. */
static void test_consent_per_subscription(void **state)
{
	m2mi_notifier *n = fx_notifier_open("127.0.0.0/8");
	fx_http *h = fx_http_start(200, 2000, 8);
	const m2mi_send_opts a = {.vrq = "{\"vrq\":\"a\"}", .sur = "subA"}, b = {.vrq = "{\"vrq\":\"b\"}", .sur = "subB"};
	char url[64];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/poa", h->port);
	m2mi_notifier_send(n, url, "{\"n\":1}", &a);
	assert_true(m2mi_notifier_drain(n, 10000));
	m2mi_notifier_send(n, url, "{\"n\":2}", &a);
	m2mi_notifier_send(n, url, "{\"n\":3}", &b);
	assert_true(m2mi_notifier_drain(n, 10000));
	assert_int_equal(fx_http_wait(h, 5), 5);
	assert_string_equal(h->bodies[0], "{\"vrq\":\"a\"}");
	assert_string_equal(h->bodies[1], "{\"n\":1}");
	assert_string_equal(h->bodies[2], "{\"n\":2}");      /* subA: already consented */
	assert_string_equal(h->bodies[3], "{\"vrq\":\"b\"}"); /* subB: asks first */
	assert_string_equal(h->bodies[4], "{\"n\":3}");
	m2mi_notifier_free(n);
	fx_http_stop(h);
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poa_verified_once),
		cmocka_unit_test(test_consent_per_subscription),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
