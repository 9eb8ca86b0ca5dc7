/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/notify_om.c: operationMonitor
 * subscriptions (TS-0001 Table 9.6.8-3) are notified for matching operations and Originators
 * reaching the subscribed-to resource, also when the operation itself is refused, and carry
 * {"om": {"ops", "or"}} without a representation.
 */
#include "cse_fixture.h"

static json_t *om_of(fx_http *h, int i)
{
	json_t *b = json_loads(h->bodies[i], 0, NULL);
	json_t *om = json_incref(json_object_get(json_object_get(json_object_get(b, "m2m:sgn"), "nev"), "om"));

	json_decref(b);
	return om;
}

static void test_operation_monitor(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 2000, 8);
	char pc[512];
	json_t *om;

	fx_plain(f);
	fx_ae(f, "Cspy", "spy");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	/* nothing monitored yet: requests do not look (and nothing is sent) */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "CAdmin", 0, NULL), M2M_RSC_OK);
	snprintf(pc, sizeof(pc),
		 "{\"m2m:sub\":{\"rn\":\"s\",\"nu\":[\"http://127.0.0.1:%d/n\"],\"enc\":{\"om\":[{\"ops\":2},{\"or\":\"Cspy\"}]}}}",
		 h->port);
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_SUB, pc);
	assert_int_equal(fx_http_wait(h, 1), 1); /* verification */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(fx_http_wait(h, 2), 2);
	om = om_of(h, 1);
	assert_int_equal(json_integer_value(json_object_get(om, "ops")), M2M_OP_RETRIEVE);
	assert_string_equal(json_string_value(json_object_get(om, "or")), "CAdmin");
	assert_null(strstr(h->bodies[1], "\"rep\""));
	json_decref(om);
	/* an UPDATE by the admin matches neither entry */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c", "CAdmin", 0, "{\"m2m:cnt\":{\"lbl\":[\"x\"]}}"),
		   M2M_RSC_UPDATED);
	/* Cspy is refused, and still reported (regardless of whether the operation is performed) */
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/c", "Cspy", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_true(m2mi_notifier_drain(f->cse->notifier, 10000));
	assert_int_equal(h->n, 3);
	om = om_of(h, 2);
	assert_int_equal(json_integer_value(json_object_get(om, "ops")), M2M_OP_DELETE);
	assert_string_equal(json_string_value(json_object_get(om, "or")), "Cspy");
	json_decref(om);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "CAdmin", 0, NULL), M2M_RSC_OK); /* still there */
	fx_http_stop(h);
}

/* A CSE restarted on a store with a monitor finds it (the start-up scan). */
static void test_scan_at_start(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 2000, 8);
	char pc[512];

	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"nu\":[\"http://127.0.0.1:%d/n\"],\"enc\":{\"om\":{\"ops\":2}}}}", h->port);
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_SUB, pc);
	m2m_cse_worker_free(f->w);
	m2m_cse_free(f->cse);
	assert_int_equal(m2m_cse_new(&f->cfg, &f->cse), M2M_OK);
	assert_int_equal(m2m_cse_worker_new(f->cse, &f->w), M2M_OK);
	assert_true(atomic_load(&f->cse->om_any));
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(fx_http_wait(h, 2), 2);
	/* the exchange is over before the CSE goes (teardown), not only received by the target */
	assert_true(m2mi_notifier_drain(f->cse->notifier, 10000));
	fx_http_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_operation_monitor, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_scan_at_start, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
