/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/netauth.c (underlying-network
 * authorization, TS-0001 clause 6.2.2 CMDH; docs/procedures/mef.md): the table (default
 * authorized, set/unset, refused arguments, the bound), the notification path (a URI target of a
 * subscription whose creator is not authorized, an <AE> target that is not authorized: nothing
 * sent, the attempt counted; delivery resumes once authorized again; no verification request
 * to such a node: 5204) and
 * m2mi_cse_node_reachable, the one check the forwarding path answers 5103 with (no request of
 * this CSE forwards to another node yet: the function is tested here).
 */
#include "cse_fixture.h"

static void test_table(void **state)
{
	fx *f = *state;
	char id[32];
	m2m_err r = M2M_OK;
	int i;

	assert_true(m2mi_cse_node_reachable(f->cse, "Cdev1"));    /* no statement about anybody */
	assert_int_equal(m2m_cse_undelivered_unauthorized(f->cse), 0);
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "Cdev1", true), M2M_OK);
	assert_true(m2mi_cse_node_reachable(f->cse, "Cdev1"));
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "Cdev1", false), M2M_OK);
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "Cdev1", false), M2M_OK); /* idempotent */
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "/id-mn1", false), M2M_OK);
	assert_false(m2mi_cse_node_reachable(f->cse, "Cdev1"));
	assert_false(m2mi_cse_node_reachable(f->cse, "/id-mn1"));
	assert_true(m2mi_cse_node_reachable(f->cse, "Cdev2"));
	assert_true(m2mi_cse_node_reachable(f->cse, "Cdev"));     /* exact identities, no prefix */
	/* every form of the same identity is the same node */
	assert_false(m2mi_cse_node_reachable(f->cse, "//m2msec.example.com/id-in/Cdev1"));
	assert_false(m2mi_cse_node_reachable(f->cse, "/id-in/Cdev1"));
	assert_false(m2mi_cse_node_reachable(f->cse, "//m2msec.example.com/id-mn1"));
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "Cdev1", true), M2M_OK);
	assert_true(m2mi_cse_node_reachable(f->cse, "Cdev1"));
	assert_false(m2mi_cse_node_reachable(f->cse, "/id-mn1")); /* the other one stays */
	/* refused arguments */
	assert_int_equal(m2m_cse_set_node_authorized(NULL, "Cdev1", false), M2M_E_INVAL);
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, NULL, false), M2M_E_INVAL);
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "", false), M2M_E_INVAL);
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "not an id", false), M2M_E_INVAL);
	{
		char longid[M2M_SA_ID_MAX + 1];
		memset(longid, 'C', sizeof(longid) - 1);
		longid[sizeof(longid) - 1] = '\0';
		assert_int_equal(m2m_cse_set_node_authorized(f->cse, longid, false), M2M_E_INVAL);
	}
	assert_true(m2mi_cse_node_reachable(NULL, "Cdev1"));
	/* bounded: 4096 unauthorized nodes, the next one is refused and stays deliverable */
	for (i = 1; i < 4096 && r == M2M_OK; i++) {
		snprintf(id, sizeof(id), "Cn%d", i);
		r = m2m_cse_set_node_authorized(f->cse, id, false);
	}
	assert_int_equal(r, M2M_OK);
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "Cone-too-many", false), M2M_E_RANGE);
	assert_true(m2mi_cse_node_reachable(f->cse, "Cone-too-many"));
	/* a removal makes room again */
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "Cn7", true), M2M_OK);
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "Cone-too-many", false), M2M_OK);
	assert_false(m2mi_cse_node_reachable(f->cse, "Cone-too-many"));
	assert_false(m2mi_cse_node_reachable(f->cse, "Cn4095"));
}

static void test_notification_uri_of_unauthorized_creator(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 2000, 8);
	uint64_t sent = 0, failed = 0, dropped = 0, sent0 = 0, dropped0 = 0;
	char pc[256];

	fx_ae(f, "Csub", "sub");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\",\"acpi\":[]}}");
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"rn\":\"s\",\"nu\":[\"http://127.0.0.1:%d/n\"]}}", h->port);
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_SUB, pc);
	assert_int_equal(fx_http_wait(h, 1), 1); /* verification */
	assert_true(m2mi_notifier_drain(f->cse->notifier, 5000));
	m2mi_notifier_stats(f->cse->notifier, &sent0, &failed, &dropped0);
	/* the subscription's creator is not authorized: no notification, the attempt counted */
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "CAdmin", false), M2M_OK);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c", "CAdmin", 0, "{\"m2m:cnt\":{\"mni\":3}}"), M2M_RSC_UPDATED);
	assert_true(m2mi_notifier_drain(f->cse->notifier, 5000));
	m2mi_notifier_stats(f->cse->notifier, &sent, &failed, &dropped);
	assert_int_equal(sent, sent0);
	assert_int_equal(dropped, dropped0); /* never queued */
	assert_int_equal(m2m_cse_undelivered_unauthorized(f->cse), 1);
	/* another node's status changes nothing for it */
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "Csub", true), M2M_OK);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c", "CAdmin", 0, "{\"m2m:cnt\":{\"mni\":4}}"), M2M_RSC_UPDATED);
	assert_true(m2mi_notifier_drain(f->cse->notifier, 5000));
	assert_int_equal(m2m_cse_undelivered_unauthorized(f->cse), 2);
	/* authorized again: delivery resumes with the next event */
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "CAdmin", true), M2M_OK);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c", "CAdmin", 0, "{\"m2m:cnt\":{\"mni\":5}}"), M2M_RSC_UPDATED);
	assert_int_equal(fx_http_wait(h, 2), 2);
	assert_non_null(strstr(h->bodies[1], "\"mni\":5"));
	assert_int_equal(m2m_cse_undelivered_unauthorized(f->cse), 2);
	fx_http_stop(h);
}

static void test_ae_target_not_authorized(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 0, 8);
	char poa[160];

	fx_auth(f);
	snprintf(poa, sizeof(poa),
		 "{\"m2m:ae\":{\"rn\":\"rx\",\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"],\"poa\":[\"http://127.0.0.1:%d/p\"]}}",
		 h->port);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Crx", M2M_TY_AE, poa), M2M_RSC_CREATED);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_SUB, "{\"m2m:sub\":{\"nu\":[\"Crx\"]}}");
	assert_int_equal(fx_http_wait(h, 1), 1); /* the AE's consent */
	/* the target AE's node is not authorized (the creator is): nothing sent */
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "Crx", false), M2M_OK);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c", "CAdmin", 0, "{\"m2m:cnt\":{\"mni\":3}}"), M2M_RSC_UPDATED);
	assert_true(m2mi_notifier_drain(f->cse->notifier, 5000));
	assert_int_equal(m2m_cse_undelivered_unauthorized(f->cse), 1);
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "Crx", true), M2M_OK);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/c", "CAdmin", 0, "{\"m2m:cnt\":{\"mni\":4}}"), M2M_RSC_UPDATED);
	assert_int_equal(fx_http_wait(h, 2), 2);
	assert_non_null(strstr(h->bodies[1], "\"mni\":4"));
	fx_http_stop(h);
}

/* The verification request of a new target is a delivery too (TS-0004 7.5.1.2.3): a target AE
 * whose node is not authorized, and a URI while the Originator's node is not, are refused with
 * 5204 and nothing is sent; authorized again, the same CREATE succeeds. */
static void test_verification_not_sent(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 2000, 8);
	char poa[160], pc[200];

	fx_auth(f);
	snprintf(poa, sizeof(poa),
		 "{\"m2m:ae\":{\"rn\":\"rx\",\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"],\"poa\":[\"http://127.0.0.1:%d/p\"]}}",
		 h->port);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Crx", M2M_TY_AE, poa), M2M_RSC_CREATED);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "Crx", false), M2M_OK);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_SUB, "{\"m2m:sub\":{\"nu\":[\"Crx\"]}}"),
		   M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);
	assert_non_null(strstr(fx_dbg(f), "not authorized by the underlying network"));
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "CAdmin", false), M2M_OK);
	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"nu\":[\"http://127.0.0.1:%d/n\"]}}", h->port);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/c", "CAdmin", M2M_TY_SUB, pc),
		   M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);
	assert_true(m2mi_notifier_drain(f->cse->notifier, 5000));
	pthread_mutex_lock(&h->mu);
	assert_int_equal(h->n, 0); /* nothing was sent (no request after a drained notifier) */
	pthread_mutex_unlock(&h->mu);
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "Crx", true), M2M_OK);
	assert_int_equal(m2m_cse_set_node_authorized(f->cse, "CAdmin", true), M2M_OK);
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_SUB, "{\"m2m:sub\":{\"nu\":[\"Crx\"]}}");
	fx_create(f, "cse-in/c", "CAdmin", M2M_TY_SUB, pc);
	assert_int_equal(fx_http_wait(h, 2), 2);
	fx_http_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_notification_uri_of_unauthorized_creator, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ae_target_not_authorized, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_verification_not_sent, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
