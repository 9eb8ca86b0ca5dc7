/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/res_mgo.c: the [firmware] (mgd 1001) and
 * [deviceInfo] (mgd 1007) <mgmtObj> specialisations of TS-0004 Annex D.2 / D.8 under a <node>:
 * CRUD with the right wrapper in every answer (also nested in rcn=4), each attribute validated
 * per data type and per CREATE/UPDATE optionality (4000), other specialisations 5001.
 */
#include "cse_fixture.h"

#define FWR "{\"m2m:fwr\":{\"rn\":\"fw\",\"mgd\":1001,\"vr\":\"1.2.3\",\"fwn\":\"base\",\"url\":\"https://fw.example.com/1.2.3\",\"ud\":false"
#define DVI "{\"m2m:dvi\":{\"rn\":\"di\",\"mgd\":1007,\"dlb\":\"urn:dev:ops:0001-x-42\",\"man\":\"ACME\",\"mod\":\"M1\",\"dty\":\"sensor\""

static void node(fx *f)
{
	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2MI_TY_NOD, "{\"m2m:nod\":{\"rn\":\"n\",\"ni\":\"urn:uuid:1\"}}");
}

static int create(fx *f, const char *head, const char *extra)
{
	char pc[512];

	snprintf(pc, sizeof(pc), "%s%s}}", head, extra);
	return fx_req(f, M2M_OP_CREATE, "cse-in/n", "CAdmin", M2MI_TY_MGO, pc);
}

static void test_firmware(void **state)
{
	fx *f = *state;
	static const char *const bad[] = {
		",\"mgd\":1007",                 /* duplicate key: jansson keeps the last, wrong value */
		",\"uds\":{\"sus\":1}",          /* NP on CREATE */
		",\"ud\":\"yes\"",
		",\"url\":\"not a uri\"",
		",\"obis\":[\"\"]",
		",\"mgs\":\"x\"",                /* mgmtSchema only for mgd 0 */
		",\"dlb\":\"x\"",                /* a deviceInfo attribute */
	};

	node(f);
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++)
		assert_rsc(f, create(f, FWR, bad[i]), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/n", "CAdmin", M2MI_TY_MGO,
			     "{\"m2m:fwr\":{\"mgd\":1001,\"vr\":\"1\",\"fwn\":\"x\",\"url\":\"http://a\"}}"),
		   M2M_RSC_BAD_REQUEST); /* ud mandatory */
	assert_rsc(f, create(f, FWR, ",\"dc\":\"base firmware\",\"obps\":[\"/fw/1\"]"), M2M_RSC_CREATED);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:fwr"), "ty")), 13);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:fwr"), "mgd")), 1001);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/n/fw", "CAdmin", 0,
			     "{\"m2m:fwr\":{\"vr\":\"1.2.4\",\"ud\":true,\"uds\":{\"acn\":\"ud\",\"sus\":3}}}"),
		   M2M_RSC_UPDATED);
	assert_string_equal(fx_str(f, "m2m:fwr", "vr"), "1.2.4");
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/n/fw", "CAdmin", 0, "{\"m2m:fwr\":{\"uds\":{\"sus\":4}}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/n/fw", "CAdmin", 0, "{\"m2m:fwr\":{\"uds\":{\"x\":1}}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/n/fw", "CAdmin", 0, "{\"m2m:fwr\":{\"mgd\":1001}}"),
		   M2M_RSC_BAD_REQUEST); /* NP on UPDATE */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/n/fw", "CAdmin", 0, "{\"m2m:dvi\":{\"dlb\":\"x\"}}"),
		   M2M_RSC_BAD_REQUEST); /* the wrapper of the stored specialisation */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/n/fw", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(fx_attrs(f, "m2m:fwr"), "uds"), "sus")), 3);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/n/fw", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/n/fw", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
}

static void test_device_info(void **state)
{
	fx *f = *state;
	static const char *const bad[] = {
		",\"mgd\":1001",
		",\"mfd\":\"2020-01-01\"",
		",\"syst\":12",
		",\"spur\":\"\"",
		",\"ptl\":[\"json\"]",
		",\"ptl\":\"application/json\"",
		",\"vr\":\"1\"",                 /* a firmware attribute */
	};

	node(f);
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++)
		assert_rsc(f, create(f, DVI, bad[i]), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/n", "CAdmin", M2MI_TY_MGO,
			     "{\"m2m:dvi\":{\"mgd\":1007,\"dlb\":\"x\",\"man\":\"ACME\",\"mod\":\"M1\"}}"),
		   M2M_RSC_BAD_REQUEST); /* dty mandatory */
	assert_rsc(f, create(f, DVI, ",\"mfd\":\"20200101T000000\",\"fwv\":\"1.2.3\",\"ptl\":[\"application/json\"],"
				     "\"spur\":\"https://acme.example.com/support\",\"hwv\":\"A\",\"cnty\":\"DE\""),
		   M2M_RSC_CREATED);
	assert_string_equal(fx_str(f, "m2m:dvi", "man"), "ACME");
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/n/di", "CAdmin", 0, "{\"m2m:dvi\":{\"fwv\":\"1.2.4\",\"loc\":\"lab\"}}"),
		   M2M_RSC_UPDATED);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/n/di", "CAdmin", 0, "{\"m2m:dvi\":{\"man\":\"Other\"}}"),
		   M2M_RSC_BAD_REQUEST); /* manufacturer is NP on UPDATE */
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in/n/di", "CAdmin", 0, "{\"m2m:dvi\":{\"dlb\":null}}"),
		   M2M_RSC_BAD_REQUEST);
	/* both specialisations listed under their own wrappers in the node's children */
	assert_rsc(f, create(f, FWR, ""), M2M_RSC_CREATED);
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in/n", "CAdmin", 0, NULL);
	f->req.rcn = 4;
	assert_rsc(f, fx_send(f), M2M_RSC_OK);
	assert_int_equal(json_array_size(json_object_get(fx_attrs(f, "m2m:nod"), "m2m:dvi")), 1);
	assert_int_equal(json_array_size(json_object_get(fx_attrs(f, "m2m:nod"), "m2m:fwr")), 1);
	/* other places: not a child of the CSEBase; another specialisation is not implemented */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2MI_TY_MGO,
			     "{\"m2m:dvi\":{\"mgd\":1007,\"dlb\":\"x\",\"man\":\"m\",\"mod\":\"m\",\"dty\":\"t\"}}"),
		   M2M_RSC_INVALID_CHILD_RESOURCE_TYPE);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in/n", "CAdmin", M2MI_TY_MGO, "{\"m2m:bat\":{\"mgd\":1006}}"),
		   M2M_RSC_NOT_IMPLEMENTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_firmware, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_device_info, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
