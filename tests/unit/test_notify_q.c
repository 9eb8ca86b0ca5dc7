/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/notify_q.c, the notifier: per-target
 * queues (a black-hole receiver delays and drops only its own notifications), the per-target
 * bound and the destination policy at delivery.
 */
#include "cse_fixture.h"

/* Wait until the notifier counted `want` deliveries (its callback runs after the receiver's
 * answer); a condition, not a time bound: 10 s only stops a hung test. */
static void wait_sent(m2mi_notifier *n, uint64_t want)
{
	uint64_t sent = 0, failed, dropped;

	for (int i = 0; i < 1000 && sent < want; i++) {
		m2mi_notifier_stats(n, &sent, &failed, &dropped);
		if (sent < want)
			usleep(10000);
	}
	assert_true(sent >= want);
}

/* A black hole with a full queue does not hold back, or cost a drop to, another target. */
static void test_black_hole_isolated(void **state)
{
	m2mi_notifier *n = fx_notifier_open("127.0.0.0/8");
	fx_http *h = fx_http_start(200, 2000, 4);
	char hole[64], live[64];
	uint64_t sent, failed, dropped;
	int port, lfd = fx_silent_listener(&port);

	(void)state;
	snprintf(hole, sizeof(hole), "http://127.0.0.1:%d/dead", port);
	snprintf(live, sizeof(live), "http://127.0.0.1:%d/live", h->port);
	for (int i = 0; i < 64 + 10; i++) /* the per-target bound: 64 waiting (+ 1 in flight) */
		m2mi_notifier_send(n, hole, "{\"n\":1}", NULL);
	m2mi_notifier_send(n, live, "{\"n\":2}", NULL);
	assert_int_equal(fx_http_wait(h, 1), 1); /* delivered while the black hole holds its queue */
	assert_string_equal(h->bodies[0], "{\"n\":2}");
	wait_sent(n, 1);
	m2mi_notifier_stats(n, &sent, &failed, &dropped);
	assert_int_equal(sent, 1);
	assert_int_equal(failed, 0);  /* the black-hole exchange is still pending */
	/* only the black hole's own excess: 74 - 64 waiting (- 1 in flight if the notifier started
	 * one before the rest arrived) */
	assert_true(dropped == 9 || dropped == 10);
	m2mi_notifier_free(n); /* drops the rest without waiting for the deadlines */
	close(lfd);
	fx_http_stop(h);
}

/* The destination policy is applied at delivery: loopback by default is refused. */
static void test_policy_at_delivery(void **state)
{
	m2mi_notifier *n = fx_notifier_open("");
	fx_http *h = fx_http_start(200, 2000, 4);
	char url[64];
	uint64_t sent, failed, dropped;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", h->port);
	m2mi_notifier_send(n, url, "{}", NULL);
	m2mi_notifier_send(n, "http://[::1]:9/x", "{}", NULL);
	m2mi_notifier_send(n, "http://bad url/", "{}", NULL);
	assert_true(m2mi_notifier_drain(n, 10000));
	m2mi_notifier_stats(n, &sent, &failed, &dropped);
	assert_int_equal(sent, 0);
	assert_int_equal(failed, 3);
	assert_int_equal(h->n, 0);
	m2mi_notifier_free(n);
	fx_http_stop(h);
}





int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_black_hole_isolated),
		cmocka_unit_test(test_policy_at_delivery),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
