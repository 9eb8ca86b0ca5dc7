/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of core/mqtt_id.c: the topic form of an entity identifier (TS-0010 clause 6.4.2). */
#include <string.h>
#include "m2m_test.h"
#include "m2msec/mqtt.h"

/* TS-0010 clause 6.4.2: leading '/' omitted, "//" -> ':', other '/' -> ':'. */
static void test_id_encode(void **state)
{
	char out[M2M_MQTT_SEG_MAX + 1];
	static const struct { const char *in, *out; } rows[] = {
		{"CAE01", "CAE01"}, {"/cse-in/CAE01", "cse-in:CAE01"}, {"/cse-in", "cse-in"},
		{"//sp.org/cse-in", ":sp.org:cse-in"}, {"//sp.org/cse-in/Cx", ":sp.org:cse-in:Cx"},
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++) {
		assert_int_equal(m2m_mqtt_id_encode(rows[i].in, out), M2M_OK);
		assert_string_equal(out, rows[i].out);
	}
	assert_int_equal(m2m_mqtt_id_encode("a:b", out), M2M_E_ID_BAD_CHAR);
	assert_int_equal(m2m_mqtt_id_encode("a+b", out), M2M_E_ID_BAD_CHAR);
	assert_int_equal(m2m_mqtt_id_encode("a#", out), M2M_E_ID_BAD_CHAR);
	assert_int_equal(m2m_mqtt_id_encode("a\nb", out), M2M_E_ID_BAD_CHAR);
	assert_int_equal(m2m_mqtt_id_encode("/", out), M2M_E_ID_EMPTY);
	assert_int_equal(m2m_mqtt_id_encode("//", out), M2M_E_ID_EMPTY);
	char longid[M2M_MQTT_SEG_MAX + 2];
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(m2m_mqtt_id_encode(longid, out), M2M_E_ID_TOO_LONG);

}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_encode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
