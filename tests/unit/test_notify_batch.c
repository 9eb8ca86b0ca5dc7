/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/notify_batch.c and latestNotify in the
 * notifier: batches of num notifications in one m2m:agn (the rest after dur), and a newer
 * notification of a subscription replacing a waiting one, sent with X-M2M-EC: 4.
 */
#include "cse_fixture.h"

/* batchNotify: num notifications of one subscription in one m2m:agn; the rest after dur. */
static void test_batch(void **state)
{
	m2mi_notifier *n = fx_notifier_open("127.0.0.0/8");
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
	m2mi_notifier *n = fx_notifier_open("127.0.0.0/8");
	fx_http *h = fx_http_start(200, 2000, 8);
	const m2mi_send_opts o = {.sur = "sub1", .latest = true};
	int port, lfd = fx_silent_listener(&port);
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
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_latest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
