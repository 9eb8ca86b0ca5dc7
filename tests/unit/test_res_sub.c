/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/res_sub.c and the <subscription> path of
 * the dispatcher: RETRIEVE privilege on the subscribed-to resource (4103), the verification
 * request (TS-0004 clause 7.5.1.2.3) and 5204 when it fails, validation of nu/enc/nct, and that
 * a refused subscription leaves no row.
 */
#include "cse_fixture.h"

static void world(fx *f, int acop)
{
	char pc[512];

	fx_ae(f, "Cown", "own");
	fx_ae(f, "Coth", "oth");
	snprintf(pc, sizeof(pc),
		 "{\"m2m:acp\":{\"rn\":\"a\",\"pv\":{\"acr\":[{\"acor\":[\"Coth\"],\"acop\":%d},{\"acor\":[\"Cown\"],\"acop\":63}]},"
		 "\"pvs\":{\"acr\":[{\"acor\":[\"Cown\"],\"acop\":63}]}}}",
		 acop);
	fx_create(f, "cse-in/own", "Cown", M2M_TY_ACP, pc);
	fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"data\",\"acpi\":[\"cse-in/own/a\"]}}");
}

static int sub(fx *f, const char *fr, const char *nu, const char *extra)
{
	char pc[512];

	snprintf(pc, sizeof(pc), "{\"m2m:sub\":{\"nu\":[\"%s\"]%s}}", nu, extra ? extra : "");
	return fx_req(f, M2M_OP_CREATE, "cse-in/own/data", fr, M2M_TY_SUB, pc);
}

static size_t subs_of(fx *f, const char *to)
{
	fx_prepare(f, M2M_OP_RETRIEVE, to, "CAdmin", 0, NULL);
	f->req.fc.fu = 1;
	f->req.fc.nty = 1;
	f->req.fc.ty[0] = M2M_TY_SUB;
	assert_rsc(f, fx_send(f), M2M_RSC_OK);
	return json_array_size(json_object_get(f->rsp.pc, "m2m:uril"));
}

static void test_needs_retrieve_privilege(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 2000, 4);
	char nu[64];

	snprintf(nu, sizeof(nu), "http://127.0.0.1:%d/n", h->port);
	fx_auth(f);
	world(f, 1); /* Coth: CREATE only */
	assert_rsc(f, sub(f, "Coth", nu, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_int_equal(h->n, 0); /* nothing was sent on behalf of an unauthorised originator */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/a", "Cown", 0,
			     "{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acor\":[\"Coth\"],\"acop\":3}]}}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, sub(f, "Coth", nu, NULL), M2M_RSC_CREATED);
	assert_int_equal(subs_of(f, "cse-in/own/data"), 1);
	fx_http_stop(h);
}

static void test_verification(void **state)
{
	fx *f = *state;
	fx_http *h = fx_http_start(200, 2000, 4);
	char nu[64], ri[64];
	json_t *b;

	snprintf(nu, sizeof(nu), "http://127.0.0.1:%d/notify?x=1", h->port);
	fx_auth(f);
	world(f, 63);
	assert_rsc(f, sub(f, "Coth", nu, ",\"rn\":\"s1\",\"cr\":null"), M2M_RSC_CREATED);
	snprintf(ri, sizeof(ri), "%s", f->rsp.location);
	assert_string_equal(fx_str(f, "m2m:sub", "cr"), "Coth");
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:sub"), "nct")), 1);
	assert_int_equal(fx_http_wait(h, 1), 1);
	b = json_loads(h->bodies[0], 0, NULL);
	assert_non_null(b);
	assert_true(json_is_true(json_object_get(json_object_get(b, "m2m:sgn"), "vrq")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "m2m:sgn"), "sur")), ri);
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "m2m:sgn"), "cr")), "Coth");
	json_decref(b);
	assert_non_null(strstr(h->heads[0], "POST /notify?x=1 HTTP/1.1"));
	assert_non_null(strstr(h->heads[0], "X-M2M-Origin: /id-in"));
	fx_http_stop(h);
}

static void test_verification_failures(void **state)
{
	fx *f = *state;
	char nu[64];
	fx_http *h;

	fx_auth(f);
	world(f, 63);
	/* an unreachable target: closed loopback port */
	snprintf(nu, sizeof(nu), "http://127.0.0.1:%d/n", fx_closed_port());
	assert_rsc(f, sub(f, "Coth", nu, NULL), M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);
	assert_int_equal(subs_of(f, "cse-in/own/data"), 0);
	/* a target refusing with an RSC, or an HTTP error */
	h = fx_http_start(200, 4103, 1);
	snprintf(nu, sizeof(nu), "http://127.0.0.1:%d/n", h->port);
	assert_rsc(f, sub(f, "Coth", nu, NULL), M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);
	fx_http_stop(h);
	h = fx_http_start(500, 0, 1);
	snprintf(nu, sizeof(nu), "http://127.0.0.1:%d/n", h->port);
	assert_rsc(f, sub(f, "Coth", nu, NULL), M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);
	fx_http_stop(h);
	/* https cannot be verified; a resource ID is not verified */
	assert_rsc(f, sub(f, "Coth", "https://127.0.0.1:1/n", NULL), M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);
	assert_int_equal(subs_of(f, "cse-in/own/data"), 0);
	assert_rsc(f, sub(f, "Coth", "Coth", NULL), M2M_RSC_CREATED);
	assert_int_equal(subs_of(f, "cse-in/own/data"), 1);
}

static void test_validation(void **state)
{
	fx *f = *state;

	fx_auth(f);
	world(f, 63);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/own/data", "Coth", M2M_TY_SUB, "{\"m2m:sub\":{\"nu\":[]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/own/data", "Coth", M2M_TY_SUB, "{\"m2m:sub\":{\"enc\":{}}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"net\":[9]}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"net\":[]}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"om\":[1]}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"nct\":5"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "", NULL), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"rn\":\"s\",\"enc\":{\"net\":[3,4],\"chty\":[4]},\"nct\":3,\"su\":\"Coth\""),
		   M2M_RSC_CREATED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/data/s", "Coth", 0, "{\"m2m:sub\":{\"nu\":[]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/data/s", "Coth", 0, "{\"m2m:sub\":{\"su\":\"x\"}}"),
		   M2M_RSC_BAD_REQUEST);
	/* TS-0001 Table 9.6.8-4: "modified attributes" only with Update_of_Resource */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/data/s", "Coth", 0, "{\"m2m:sub\":{\"nct\":2}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/own/data/s", "Coth", 0,
			     "{\"m2m:sub\":{\"nct\":2,\"enc\":{\"net\":[1]}}}"),
		   M2M_RSC_UPDATED);
	/* enc against the subscribed-to <container> (TS-0004 7.4.8.2.1 Recv-6.4, TS-0001 Table 9.6.8-3) */
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"chty\":[4]}"), M2M_RSC_BAD_REQUEST);      /* no net 3/4 */
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"net\":[3],\"chty\":[2]}"), M2M_RSC_BAD_REQUEST); /* AE */
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"net\":[3],\"atr\":[\"lbl\"]}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"net\":[1],\"om\":{\"ops\":2}}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"om\":{\"ops\":64}}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"om\":{\"x\":1}}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"net\":[6]}"), M2M_RSC_BAD_REQUEST); /* AE only */
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"net\":[8]}"), M2M_RSC_BAD_REQUEST); /* timeSeries */
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"net\":[7,1]}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"net\":[5]}"), M2M_RSC_NOT_IMPLEMENTED);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"enc\":{\"crb\":\"20300101T000000\"}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"exc\":0"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"ln\":1"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"bn\":{\"dur\":\"PT1S\"}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"bn\":{\"num\":2,\"dur\":\"P1Y\"}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"bn\":{\"num\":0}"), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"rn\":\"b\",\"bn\":{\"num\":2},\"ln\":true,\"exc\":3"),
		   M2M_RSC_CREATED);
	assert_string_equal(json_string_value(json_object_get(json_object_get(fx_attrs(f, "m2m:sub"), "bn"), "dur")),
			    M2MI_BATCH_DUR); /* Recv-6.5: the default duration */
	assert_null(json_object_get(fx_attrs(f, "m2m:sub"), "cr")); /* nu is the Originator itself */
	assert_rsc(f, sub(f, "Coth", "Coth", ",\"rn\":\"om\",\"enc\":{\"om\":[{\"ops\":2},{\"or\":\"Cown\"}]}"),
		   M2M_RSC_CREATED);
	/* a contentInstance is not subscribable */
	fx_create(f, "cse-in/own/data", "Cown", M2M_TY_CIN, "{\"m2m:cin\":{\"rn\":\"i\",\"con\":\"1\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/own/data/i", "Cown", M2M_TY_SUB, "{\"m2m:sub\":{\"nu\":[\"Cown\"]}}"),
		   M2M_RSC_TARGET_NOT_SUBSCRIBABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_needs_retrieve_privilege, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_verification, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_verification_failures, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_validation, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
