/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/notify_q.c, the notifier: per-target
 * queues (a black-hole receiver delays and drops only its own notifications), the per-target
 * bound, the destination policy at delivery, and the one-time verification of a
 * pointOfAccess-derived target before its first notification.
 */
#include "cse_fixture.h"

static m2mi_notifier *open_notifier(const char *allow)
{
	m2m_cse_config cfg;
	m2mi_notifier *n = NULL;

	m2m_cse_config_defaults(&cfg);
	snprintf(cfg.notify_allow, sizeof(cfg.notify_allow), "%s", allow);
	assert_int_equal(m2mi_notifier_new(&cfg, &n), M2M_OK);
	return n;
}

static int silent_listener(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 128), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return lfd;
}

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
	m2mi_notifier *n = open_notifier("127.0.0.0/8");
	fx_http *h = fx_http_start(200, 2000, 4);
	char hole[64], live[64];
	uint64_t sent, failed, dropped;
	int port, lfd = silent_listener(&port);

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
	m2mi_notifier *n = open_notifier("");
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

/* A pointOfAccess-derived target answers a verification request once before notifications. */
static void test_poa_verified_once(void **state)
{
	m2mi_notifier *n = open_notifier("127.0.0.0/8");
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
	m2mi_notifier *n = open_notifier("127.0.0.0/8");
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

/* batchNotify: num notifications of one subscription in one m2m:agn; the rest after dur. */
static void test_batch(void **state)
{
	m2mi_notifier *n = open_notifier("127.0.0.0/8");
	fx_http *h = fx_http_start(200, 2000, 8);
	const m2mi_send_opts o = {.sur = "sub1", .batch_num = 2, .batch_ms = 200};
	char url[64];
	json_t *b;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/b", h->port);
	m2mi_notifier_send(n, url, "{\"m2m:sgn\":{\"sur\":\"sub1\",\"i\":1}}", &o);
	m2mi_notifier_send(n, url, "{\"m2m:sgn\":{\"sur\":\"sub1\",\"i\":2}}", &o);
	m2mi_notifier_send(n, url, "{\"m2m:sgn\":{\"sur\":\"sub1\",\"i\":3}}", &o);
	assert_true(m2mi_notifier_drain(n, 10000)); /* the third goes when its duration ends */
	assert_int_equal(fx_http_wait(h, 2), 2);
	b = json_loads(h->bodies[0], 0, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(b, "m2m:agn"), "m2m:sgn")), 2);
	json_decref(b);
	b = json_loads(h->bodies[1], 0, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(b, "m2m:agn"), "m2m:sgn")), 1);
	json_decref(b);
	m2mi_notifier_free(n);
	fx_http_stop(h);
}

/* latestNotify: a waiting notification of the same subscription is replaced by the newer one. */
static void test_latest(void **state)
{
	m2mi_notifier *n = open_notifier("127.0.0.0/8");
	fx_http *h = fx_http_start(200, 2000, 8);
	const m2mi_send_opts o = {.sur = "sub1", .latest = true};
	int port, lfd = silent_listener(&port);
	char url[64];
	uint64_t sent, failed, dropped;

	(void)state;
	close(lfd); /* nothing listens: the first exchange fails fast */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/l", h->port);
	for (int i = 0; i < 5; i++) {
		char body[32];
		snprintf(body, sizeof(body), "{\"i\":%d}", i);
		m2mi_notifier_send(n, url, body, &o);
	}
	assert_true(m2mi_notifier_drain(n, 10000));
	m2mi_notifier_stats(n, &sent, &failed, &dropped);
	assert_int_equal(dropped, 0);
	assert_true(sent >= 1 && sent <= 2); /* the first may already be on its way */
	assert_int_equal(fx_http_wait(h, (int)sent), (int)sent);
	assert_string_equal(h->bodies[sent - 1], "{\"i\":4}"); /* the latest always arrives */
	assert_non_null(strstr(h->heads[sent - 1], "\r\nX-M2M-EC: 4\r\n")); /* Event Category "latest" */
	m2mi_notifier_free(n);
	fx_http_stop(h);
	(void)port;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_black_hole_isolated),
		cmocka_unit_test(test_policy_at_delivery),
		cmocka_unit_test(test_poa_verified_once),
		cmocka_unit_test(test_consent_per_subscription),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_latest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
