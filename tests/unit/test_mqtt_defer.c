/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/mqtt_defer.c: the MQTT binding's held answers -
 * taken only inside the handler and once, published on the request's response topic when the
 * answer comes, nothing published on a release, bounded per originator and in all.
 */
#include "m2m_test.h"
#include "bindings/mqtt_defer.h"

#include <stdio.h>

struct pub {
	int n;
	char topic[4][128];
	int rsc[4];
};

static void rec(void *ctx, const char *topic, const m2m_request *req, m2m_response *rsp)
{
	struct pub *p = ctx;

	(void)req;
	assert_true(p->n < 4);
	snprintf(p->topic[p->n], sizeof(p->topic[0]), "%s", topic);
	p->rsc[p->n++] = rsp->rsc;
}

static m2m_mqtt_deferred *hold(m2mi_mqtt_defer *d, const char *topic, const char *orig)
{
	m2m_mqtt_deferred *e;

	m2mi_mqtt_defer_begin(d, topic, orig);
	e = m2mi_mqtt_defer_take(d);
	assert_true(m2mi_mqtt_defer_end(d) == (e != NULL));
	return e;
}

static void answer(m2m_mqtt_deferred *e, int rsc)
{
	m2m_request req;
	m2m_response rsp;

	m2m_request_init(&req);
	m2m_response_init(&rsp);
	rsp.rsc = rsc;
	m2m_mqtt_deferred_reply(e, &req, &rsp);
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
}

static void test_publish_later_on_its_topic(void **st)
{
	struct pub p = {0};
	m2mi_mqtt_defer *d;

	(void)st;
	assert_int_equal(m2mi_mqtt_defer_new(0, 0, rec, &p, &d), M2M_OK);
	assert_null(m2mi_mqtt_defer_take(d)); /* outside the handler */
	m2mi_mqtt_defer_begin(d, "/oneM2M/resp/CAE01/id-in/json", "CAE01");
	m2m_mqtt_deferred *e = m2mi_mqtt_defer_take(d);
	assert_non_null(e);
	assert_null(m2mi_mqtt_defer_take(d)); /* once */
	assert_true(m2mi_mqtt_defer_end(d));
	m2mi_mqtt_defer_begin(d, "/t", "CAE01");
	assert_false(m2mi_mqtt_defer_end(d)); /* not taken: answered now */
	assert_int_equal(p.n, 0);
	assert_int_equal(m2mi_mqtt_defer_count(d), 1);
	answer(e, 2001);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.topic[0], "/oneM2M/resp/CAE01/id-in/json");
	assert_int_equal(p.rsc[0], 2001);
	assert_int_equal(m2mi_mqtt_defer_count(d), 0);
	m2m_mqtt_deferred_reply(hold(d, "/t", "CAE01"), NULL, NULL); /* a release publishes nothing */
	assert_int_equal(p.n, 1);
	assert_int_equal(m2mi_mqtt_defer_count(d), 0);
	m2m_mqtt_deferred_reply(NULL, NULL, NULL);
	m2mi_mqtt_defer_free(d);
}

static void test_caps(void **st)
{
	struct pub p = {0};
	m2mi_mqtt_defer *d;
	m2m_mqtt_deferred *e[3];

	(void)st;
	assert_int_equal(m2mi_mqtt_defer_new(2, 3, rec, &p, &d), M2M_OK);
	assert_non_null(e[0] = hold(d, "/a", "CAE01"));
	assert_non_null(e[1] = hold(d, "/a", "CAE01"));
	assert_false(m2mi_mqtt_defer_room(d, "CAE01")); /* per originator */
	assert_null(hold(d, "/a", "CAE01"));
	assert_true(m2mi_mqtt_defer_room(d, "CAE02"));
	assert_non_null(e[2] = hold(d, "/b", "CAE02"));
	assert_false(m2mi_mqtt_defer_room(d, "CAE03")); /* in all */
	answer(e[0], 2001);
	assert_true(m2mi_mqtt_defer_room(d, "CAE03"));
	assert_true(m2mi_mqtt_defer_room(d, "CAE01"));
	m2mi_mqtt_defer_free(d); /* frees what is still held */
	assert_int_equal(p.n, 1);
	(void)e;
}

static void test_defaults_and_errors(void **st)
{
	m2mi_mqtt_defer *d = NULL;
	struct pub p = {0};

	(void)st;
	assert_int_equal(m2mi_mqtt_defer_new(0, 0, NULL, NULL, &d), M2M_E_INVAL);
	assert_null(d);
	assert_int_equal(m2mi_mqtt_defer_new(0, 0, rec, &p, NULL), M2M_E_INVAL);
	assert_int_equal(m2mi_mqtt_defer_new(0, 0, rec, &p, &d), M2M_OK);
	for (int i = 0; i < M2MI_MQTT_DEFER_ORIG; i++)
		assert_non_null(hold(d, "/a", "CAE01"));
	assert_null(hold(d, "/a", "CAE01"));
	assert_int_equal(m2mi_mqtt_defer_count(d), M2MI_MQTT_DEFER_ORIG);
	m2mi_mqtt_defer_free(d);
	m2mi_mqtt_defer_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_later_on_its_topic),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_defaults_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
