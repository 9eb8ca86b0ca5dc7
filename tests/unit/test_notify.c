/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/notify.c: which events notify which
 * subscriptions (enc.net, enc.chty), the notification content per nct, delivery to an <AE>'s
 * pointOfAccess, asynchronous delivery after COMMIT only, and the notifier statistics.
 */
#include "cse_fixture.h"

static json_t *body(fx_http *h, int i)
{
	json_t *b = json_loads(h->bodies[i], 0, NULL);

	if (b == NULL)
		fail_msg("notification %d is no JSON: %s", i, h->bodies[i]);
	return b;
}

static json_t *nev(json_t *b)
{
	return json_object_get(json_object_get(b, "m2m:sgn"), "nev");
}

static void subscribe(fx *f, const char *to, fx_http *h, const char *rn, const char *extra)
{
	char pc[512];

	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"rn\":\"%s\",\"nu\":[\"http://127.0.0.1:%d/ntf\"]%s}}", rn, h->port,
		 extra);
	fx_create(f, to, "CAdmin", M2M_TY_SUB, pc);
}

static void test_events(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 2000, 16);
	uint64_t sent = 0, failed = 0, dropped = 0;
	char kids[64];
	json_t *b;
	int n;

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	subscribe(f, "cse-in/c", h, "upd", "");                                    /* default: net 1 */
	subscribe(f, "cse-in/c", h, "kids", ",\"enc\":{\"net\":[3,4],\"chty\":[4]},\"nct\":3");
	snprintf(kids, sizeof(kids), "%s", f->rsp.location);
	assert_int_equal(fx_http_wait(h, 2), 2); /* two verification requests */
	/* a child contentInstance: only "kids" (resource ID content) */
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"i\",\"con\":\"22\"}}");
	assert_int_equal(fx_http_wait(h, 3), 3);
	b = body(h, 2);
	assert_int_equal(json_integer_value(json_object_get(nev(b), "net")), 3);
	assert_string_equal(json_string_value(json_object_get(nev(b), "rep")), "cse-in/c/i");
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "m2m:sgn"), "sur")), kids);
	json_decref(b);
	/* a child container is filtered out by chty; an update of c reaches "upd" (all attributes) */
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"k\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c", "CAdmin", 0, "{\"m2m:cnt\":{\"lbl\":[\"new\"]}}"),
		   M2M_RSC_UPDATED);
	assert_int_equal(fx_http_wait(h, 4), 4);
	b = body(h, 3);
	assert_int_equal(json_integer_value(json_object_get(nev(b), "net")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(json_object_get(nev(b), "rep"),
											  "m2m:cnt"), "lbl"), 0)),
			    "new");
	json_decref(b);
	/* deleting the instance: net 4 to "kids" */
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/c/i", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	assert_int_equal(fx_http_wait(h, 5), 5);
	b = body(h, 4);
	assert_int_equal(json_integer_value(json_object_get(nev(b), "net")), 4);
	json_decref(b);
	/* a failed request notifies nobody */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"x\",\"bad\":1}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_true(m2mi_notifier_drain(f->cse->notifier, 5000));
	m2mi_notifier_stats(f->cse->notifier, &sent, &failed, &dropped);
	assert_int_equal(sent, 3);
	assert_int_equal(failed, 0);
	assert_int_equal(dropped, 0);
	n = fx_http_wait(h, 5);
	assert_int_equal(n, 5);
	fx_http_stop(h);
}

static void test_modified_attributes_and_poa(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 0, 8);
	char poa[128];
	json_t *b, *rep;

	fx_auth(f);
	/* an AE with an http pointOfAccess receives notifications addressed to its AE-ID */
	snprintf(poa, sizeof(poa),
		 "{\"m2m:ae\":{\"rn\":\"rx\",\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"],\"poa\":[\"http://127.0.0.1:%d/p\"]}}",
		 h->port);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Crx", M2M_TY_AE, poa), M2M_RSC_CREATED);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\",\"lbl\":[\"a\"]}}");
	/* TS-0004 7.4.8.2.1: an AE-ID target that is not the Originator consents first: its poa
	 * gets the verification request */
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_SUB, "{\"m2m:sub\":{\"nu\":[\"Crx\"],\"nct\":2}}");
	assert_int_equal(fx_http_wait(h, 1), 1);
	b = body(h, 0);
	assert_true(json_is_true(json_object_get(json_object_get(b, "m2m:sgn"), "vrq")));
	json_decref(b);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c", "CAdmin", 0, "{\"m2m:cnt\":{\"mni\":4}}"), M2M_RSC_UPDATED);
	assert_int_equal(fx_http_wait(h, 2), 2);
	b = body(h, 1);
	rep = json_object_get(json_object_get(nev(b), "rep"), "m2m:cnt");
	assert_int_equal(json_integer_value(json_object_get(rep, "mni")), 4);
	assert_non_null(json_object_get(rep, "lt"));
	assert_null(json_object_get(rep, "lbl")); /* unchanged attributes are not sent */
	json_decref(b);
	assert_non_null(strstr(h->heads[1], "POST /p HTTP/1.1"));
	/* deleting the subscribed-to resource: Delete_of_Resource to subscribers asking for it */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"gone\"}}");
	fx_create(f, "cse-in/gone", "CAdmin", M2M_TY_SUB, "{\"m2m:sub\":{\"nu\":[\"Crx\"],\"enc\":{\"net\":[2]}}}");
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/gone", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	assert_int_equal(fx_http_wait(h, 4), 4);
	b = body(h, 3);
	assert_int_equal(json_integer_value(json_object_get(nev(b), "net")), 2);
	json_decref(b);
	fx_http_stop(h);
}

static void test_undeliverable_counts(void **state)
{
	fx *f = *state;
	uint64_t sent = 0, failed = 0, dropped = 0;
	char pc[256];
	int port = fx_closed_port();

	fx_auth(f); /* registering the AE-ID of choice Cdead needs an authenticated association (issue 6) */
	/* a verified target (an AE's poa) that cannot be reached any more */
	fx_http *h = fx_http_start(200, 2000, 1);
	snprintf(pc, sizeof(pc),
		 "{\"m2m:ae\":{\"rn\":\"dead\",\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"],\"poa\":[\"http://127.0.0.1:%d/\"]}}",
		 h->port);
	(void)port;
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cdead", M2M_TY_AE, pc), M2M_RSC_CREATED);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_SUB, "{\"m2m:sub\":{\"nu\":[\"Cdead\"],\"enc\":{\"net\":[3]}}}");
	assert_int_equal(fx_http_wait(h, 1), 1);
	fx_http_stop(h); /* the port closes */
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"1\"}}"); /* not blocked */
	assert_true(m2mi_notifier_drain(f->cse->notifier, 10000));
	m2mi_notifier_stats(f->cse->notifier, &sent, &failed, &dropped);
	assert_int_equal(sent, 0);
	assert_int_equal(failed, 1);
	assert_int_equal(dropped, 0);
}

/* A subscriber only hears about resources it may retrieve. */
static void test_subscriber_privilege(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 2000, 8);
	uint64_t sent = 0, failed = 0, dropped = 0;
	char pc[512];
	json_t *b;

	fx_auth(f);
	fx_ae(f, "Cown", "own");
	fx_ae(f, "Coth", "oth");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_ACP,
		  "{\"m2m:acp\":{\"rn\":\"a\",\"pv\":{\"acr\":[{\"acor\":[\"Coth\"],\"acop\":3},{\"acor\":[\"Cown\"],"
		  "\"acop\":63}]},\"pvs\":{\"acr\":[{\"acor\":[\"Cown\"],\"acop\":63}]}}}");
	fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"data\",\"acpi\":[\"cse-in/own/a\"]}}");
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"nu\":[\"http://127.0.0.1:%d/n\"],\"enc\":{\"net\":[3]}}}", h->port);
	fx_create(f, "cse-in/own/data", "Coth", M2M_TY_SUB, pc);
	assert_int_equal(fx_http_wait(h, 1), 1); /* verification */
	/* a child container only its creator may read: not reported */
	fx_create(f, "cse-in/own/data", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"private\"}}");
	/* an instance (the container's policies): reported */
	fx_create(f, "cse-in/own/data", "Cown", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"public\"}}");
	assert_true(m2mi_notifier_drain(f->cse->notifier, 10000));
	m2mi_notifier_stats(f->cse->notifier, &sent, &failed, &dropped);
	assert_int_equal(sent + failed + dropped, 1); /* exactly one notification */
	assert_int_equal(fx_http_wait(h, 2), 2);
	b = body(h, 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(nev(b), "rep"), "m2m:cin"),
								"con")),
			    "public");
	json_decref(b);
	fx_http_stop(h);
}

static json_t *sgn(fx_http *h, int i)
{
	json_t *b = body(h, i), *s = json_incref(json_object_get(b, "m2m:sgn"));

	json_decref(b);
	return s;
}

/* TS-0004 7.5.1.2.4: deleting a subscription, or its parent, notifies su (sud, sur). */
static void test_deletion_notification(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 2000, 8);
	char pc[512], ri[64];
	json_t *s;

	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"rn\":\"s\",\"nu\":[\"http://127.0.0.1:%d/n\"],\"su\":\"http://127.0.0.1:%d/su\"}}",
		 h->port, h->port);
	snprintf(ri, sizeof(ri), "%s", fx_create(f, "cse-in/c", "CAdmin", M2M_TY_SUB, pc));
	assert_int_equal(fx_http_wait(h, 2), 2); /* nu and su are both verified */
	assert_non_null(strstr(h->heads[1], "POST /su HTTP/1.1"));
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/c/s", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	assert_int_equal(fx_http_wait(h, 3), 3);
	assert_non_null(strstr(h->heads[2], "POST /su HTTP/1.1"));
	s = sgn(h, 2);
	assert_true(json_is_true(json_object_get(s, "sud")));
	assert_string_equal(json_string_value(json_object_get(s, "sur")), ri);
	json_decref(s);
	/* a subscription two levels below a deleted container */
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"k\"}}");
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"rn\":\"t\",\"nu\":[\"http://127.0.0.1:%d/n\"],\"su\":\"http://127.0.0.1:%d/su\"}}",
		 h->port, h->port);
	snprintf(ri, sizeof(ri), "%s", fx_create(f, "cse-in/c/k", "CAdmin", M2M_TY_SUB, pc));
	assert_int_equal(fx_http_wait(h, 5), 5);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/c", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	assert_int_equal(fx_http_wait(h, 6), 6);
	s = sgn(h, 5);
	assert_true(json_is_true(json_object_get(s, "sud")));
	assert_string_equal(json_string_value(json_object_get(s, "sur")), ri);
	json_decref(s);
	fx_http_stop(h);
}

/* expirationCounter: after exc notifications the subscription is gone (with sud to su). */
static void test_expiration_counter(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 2000, 8);
	char pc[512];
	json_t *s;

	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	snprintf(pc, sizeof(pc),
		 "{\"m2m:sub\":{\"rn\":\"s\",\"nu\":[\"http://127.0.0.1:%d/n\"],\"su\":\"http://127.0.0.1:%d/n\","
		 "\"exc\":2,\"enc\":{\"net\":[3]}}}",
		 h->port, h->port);
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_SUB, pc);
	assert_int_equal(fx_http_wait(h, 1), 1); /* one verification: su is the same URL */
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"1\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c/s", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:sub"), "exc")), 1);
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"2\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/c/s", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"3\"}}");
	assert_true(m2mi_notifier_drain(f->cse->notifier, 10000));
	assert_int_equal(h->n, 4); /* verification, two notifications, the deletion notification */
	s = sgn(h, 3);
	assert_true(json_is_true(json_object_get(s, "sud")));
	json_decref(s);
	fx_http_stop(h);
}

/* enc.atr, the creator in notifications, ?ct=json, disableRetrieval. */
static void test_atr_cr_ct_disr(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 2000, 8);
	char pc[512];
	json_t *s, *rep;

	fx_plain(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	snprintf(pc, sizeof(pc),
		 "{\"m2m:sub\":{\"rn\":\"s\",\"nu\":[\"http://127.0.0.1:%d/n?ct=json\"],\"enc\":{\"atr\":[\"mni\"]}}}",
		 h->port);
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_SUB, pc);
	assert_string_equal(fx_str(f, "m2m:sub", "cr"), "CAdmin"); /* Recv-6.5: nu is not the Originator */
	assert_int_equal(fx_http_wait(h, 1), 1);
	assert_non_null(strstr(h->heads[0], "POST /n HTTP/1.1")); /* ?ct=json removed */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c", "CAdmin", 0, "{\"m2m:cnt\":{\"lbl\":[\"x\"]}}"), M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c", "CAdmin", 0, "{\"m2m:cnt\":{\"mni\":5}}"), M2M_RSC_UPDATED);
	assert_true(m2mi_notifier_drain(f->cse->notifier, 10000));
	assert_int_equal(h->n, 2); /* only the mni update */
	s = sgn(h, 1);
	assert_string_equal(json_string_value(json_object_get(s, "cr")), "CAdmin");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(json_object_get(s, "nev"),
									      "rep"), "m2m:cnt"), "mni")), 5);
	json_decref(s);
	/* ct other than json: nothing can be sent (5204) */
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"nu\":[\"http://127.0.0.1:%d/n?ct=cbor\"]}}", h->port);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_SUB, pc),
		   M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);
	/* disableRetrieval: an instance's content does not leave through a notification */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"d\",\"disr\":true}}");
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"nu\":[\"http://127.0.0.1:%d/d\"],\"enc\":{\"net\":[3]}}}", h->port);
	fx_create(f, "cse-in/d", "CAdmin", M2M_TY_SUB, pc);
	fx_create(f, "cse-in/d", "CAdmin", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"secret\"}}");
	assert_int_equal(fx_http_wait(h, 4), 4);
	s = sgn(h, 3);
	rep = json_object_get(json_object_get(json_object_get(s, "nev"), "rep"), "m2m:cin");
	assert_non_null(rep);
	assert_null(json_object_get(rep, "con"));
	assert_null(strstr(h->bodies[3], "secret"));
	json_decref(s);
	fx_http_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_events, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_modified_attributes_and_poa, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_undeliverable_counts, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_subscriber_privilege, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_deletion_notification, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_expiration_counter, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_atr_cr_ct_disr, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
