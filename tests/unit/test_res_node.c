/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/res_node.c: <node> attributes of TS-0004
 * clause 7.4.18 validated per data type (4000), its children, and the nodeLink (nl) of <AE> and
 * <CSEBase> naming an existing <node> the Originator may retrieve.
 */
#include "cse_fixture.h"

static void test_node_crud(void **state)
{
	fx *f = *state;
	static const char *const bad[] = {
		"{\"m2m:nod\":{\"hcl\":\"/id-in\"}}",                          /* ni mandatory */
		"{\"m2m:nod\":{\"ni\":\"\"}}",
		"{\"m2m:nod\":{\"ni\":\"has space\"}}",
		"{\"m2m:nod\":{\"ni\":7}}",
		"{\"m2m:nod\":{\"ni\":\"n1\",\"hcl\":\"Cae\"}}",               /* not a CSE-ID */
		"{\"m2m:nod\":{\"ni\":\"n1\",\"hael\":[]}}",
		"{\"m2m:nod\":{\"ni\":\"n1\",\"hael\":[\"/id-mn\"]}}",          /* a CSE, not an AE */
		"{\"m2m:nod\":{\"ni\":\"n1\",\"hsl\":[\"\"]}}",
		"{\"m2m:nod\":{\"ni\":\"n1\",\"mgca\":\"\"}}",
		"{\"m2m:nod\":{\"ni\":\"n1\",\"rms\":true}}",                   /* set by the network only */
		"{\"m2m:nod\":{\"ni\":\"n1\",\"nid\":\"x\"}}",
		"{\"m2m:nod\":{\"ni\":\"n1\",\"at\":[\"/id-mn\"]}}",            /* announcement: not implemented */
		"{\"m2m:nod\":{\"ni\":\"n1\",\"xyz\":1}}",
	};
	json_t *a;
	char ri[64];

	fx_auth(f);
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++)
		assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2MI_TY_NOD, bad[i]), M2M_RSC_BAD_REQUEST);
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_NOD,
		  "{\"m2m:nod\":{\"rn\":\"dev1\",\"ni\":\"urn:gsma:imei:90420156-025763-0\",\"hcl\":\"/id-asn1\","
		  "\"hael\":[\"Cdev1\",\"/id-in/Cdev2\"],\"hsl\":[\"cse-in/fc\"],\"mgca\":\"coap://[2001:db8::1]\"}}");
	a = fx_attrs(f, "m2m:nod");
	assert_int_equal(json_integer_value(json_object_get(a, "ty")), 14);
	assert_string_equal(json_string_value(json_object_get(a, "ni")), "urn:gsma:imei:90420156-025763-0");
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/dev1", "CAdmin", 0, "{\"m2m:nod\":{\"ni\":\"urn:uuid:2\"}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/dev1", "CAdmin", 0, "{\"m2m:nod\":{\"ni\":null}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/dev1", "CAdmin", 0, "{\"m2m:nod\":{\"hcl\":\"x y\"}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/dev1", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_string_equal(fx_str(f, "m2m:nod", "ni"), "urn:uuid:2");
	assert_string_equal(fx_str(f, "m2m:nod", "hcl"), "/id-asn1");
	snprintf(ri, sizeof(ri), "%s", fx_str(f, "m2m:nod", "ri"));
	/* children: mgmtObj and subscription only */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/dev1", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{}}"),
		   M2M_RSC_INVALID_CHILD_RESOURCE_TYPE);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/dev1", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	assert_int_equal(fx_rows(f, ri), 0);
}

static void test_node_link(void **state)
{
	fx *f = *state;
	char pc[256];

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_NOD, "{\"m2m:nod\":{\"rn\":\"n1\",\"ni\":\"urn:uuid:1\"}}");
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"c\"}}");
	/* the AE cannot see n1 (no acpi: only its creator): like a missing node */
	snprintf(pc, sizeof(pc), "{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"],\"nl\":\"cse-in/n1\"}}");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cdev", M2M_TY_AE, pc), M2M_RSC_BAD_REQUEST);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_ACP,
		  "{\"m2m:acp\":{\"rn\":\"see\",\"pv\":{\"acr\":[{\"acor\":[\"all\"],\"acop\":2}]},"
		  "\"pvs\":{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63}]}}}");
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/n1", "CAdmin", 0, "{\"m2m:nod\":{\"acpi\":[\"cse-in/see\"]}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cdev", M2M_TY_AE, pc), M2M_RSC_CREATED);
	assert_string_equal(fx_str(f, "m2m:ae", "nl"), "cse-in/n1");
	/* a container, a missing resource and a wrong type are refused on UPDATE too */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/Cdev", "Cdev", 0, "{\"m2m:ae\":{\"nl\":\"cse-in/c\"}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/Cdev", "Cdev", 0, "{\"m2m:ae\":{\"nl\":\"cse-in/none\"}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/Cdev", "Cdev", 0, "{\"m2m:ae\":{\"nl\":null}}"), M2M_RSC_UPDATED);
	assert_null(json_object_get(fx_attrs(f, "m2m:ae"), "nl"));
	/* by resource ID and SP-relative ID */
	fx_req(f, M2M_OP_RETRIEVE, "cse-in/n1", "CAdmin", 0, NULL);
	snprintf(pc, sizeof(pc), "{\"m2m:ae\":{\"nl\":\"/id-in/%s\"}}", fx_str(f, "m2m:nod", "ri"));
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/Cdev", "Cdev", 0, pc), M2M_RSC_UPDATED);
	/* the CSEBase's nl as well */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in", "CAdmin", 0, "{\"m2m:cb\":{\"nl\":\"cse-in/c\"}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in", "CAdmin", 0, "{\"m2m:cb\":{\"nl\":\"cse-in/n1\"}}"),
		   M2M_RSC_UPDATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_node_crud, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_node_link, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
