/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/rsc.c (TS-0004 6.6.3, TS-0009 Table 6.3.2-1). */
#include "m2m_test.h"
#include "m2msec/rsc.h"

static void test_security_codes_map_to_403(void **state)
{
	const int codes[] = {4101, 4103, 4106, 4107, 4111, 4112, 4113, 4114, 4115, 4116, 4117, 5105, 5205};
	for (size_t i = 0; i < M2M_ARRAY_LEN(codes); i++) {
		assert_int_equal(m2m_rsc_http_status(codes[i]), 403);
		assert_int_equal(m2m_rsc_coap_code(codes[i]), 403);
	}
}

static void test_mapping(void **state)
{
	assert_int_equal(m2m_rsc_http_status(M2M_RSC_OK), 200);
	assert_int_equal(m2m_rsc_http_status(M2M_RSC_CREATED), 201);
	assert_int_equal(m2m_rsc_http_status(M2M_RSC_DELETED), 200);
	assert_int_equal(m2m_rsc_http_status(M2M_RSC_BAD_REQUEST), 400);
	assert_int_equal(m2m_rsc_http_status(M2M_RSC_NOT_FOUND), 404);
	assert_int_equal(m2m_rsc_http_status(M2M_RSC_CONFLICT), 409);
	assert_int_equal(m2m_rsc_http_status(M2M_RSC_UNSUPPORTED_MEDIA_TYPE), 415);
	assert_int_equal(m2m_rsc_http_status(M2M_RSC_ESPRIM_DECRYPTION_ERROR), 500);
	assert_int_equal(m2m_rsc_http_status(M2M_RSC_RELEASE_VERSION_NOT_SUPPORTED), 501);
	assert_string_equal(m2m_rsc_name(4107), "SECURITY_ASSOCIATION_REQUIRED");
	assert_true(m2m_rsc_is_success(2004));
	assert_false(m2m_rsc_is_success(4000));
}

static void test_unknown_fails_safe(void **state)
{
	assert_int_equal(m2m_rsc_http_status(1234), 500);
	assert_int_equal(m2m_rsc_coap_code(9999), 500);
	assert_string_equal(m2m_rsc_name(7), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_security_codes_map_to_403),
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_unknown_fails_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
