/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/primitive.c (TS-0004 clause 7.2.1). */
#include <stdlib.h>
#include "m2m_test.h"
#include "m2msec/primitive.h"

static void test_acop_bits(void **state)
{
	m2m_request r;
	m2m_request_init(&r);
	const struct { m2m_op op; int fu; unsigned bit; } rows[] = {
		{M2M_OP_CREATE, 0, 1}, {M2M_OP_RETRIEVE, 0, 2}, {M2M_OP_RETRIEVE, 1, 32},
		{M2M_OP_RETRIEVE, 2, 2}, {M2M_OP_UPDATE, 0, 4}, {M2M_OP_DELETE, 0, 8},
		{M2M_OP_NOTIFY, 0, 16}, {M2M_OP_NONE, 0, 0},
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(rows); i++) {
		r.op = rows[i].op;
		r.fc.fu = rows[i].fu;
		assert_int_equal(m2m_op_acop_bit(&r), rows[i].bit);
	}
	assert_string_equal(m2m_op_name(M2M_OP_DELETE), "DELETE");
	assert_string_equal(m2m_op_name((m2m_op)42), "NONE");
}

static void test_clear_and_error(void **state)
{
	m2m_request r;
	m2m_response rsp;

	m2m_request_init(&r);
	r.to = strdup("cse-in");
	r.fr = strdup("Cabc");
	r.pc = json_pack("{s:{s:s}}", "m2m:ae", "rn", "x");
	r.fc.lbl[r.fc.nlbl++] = strdup("a");
	r.rids = calloc(1, sizeof(char *));
	r.rids[r.nrids++] = strdup("r1@sp.example.com");
	m2m_request_clear(&r);
	assert_null(r.to);
	assert_int_equal(r.rcn, -1);
	m2m_request_clear(NULL);

	m2m_response_init(&rsp);
	m2m_response_error(&rsp, 4103, "no privilege for %s", "Cabc");
	assert_int_equal(rsp.rsc, 4103);
	assert_string_equal(json_string_value(json_object_get(rsp.pc, "m2m:dbg")), "no privilege for Cabc");
	m2m_response_clear(&rsp);
	assert_null(rsp.pc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acop_bits),
		cmocka_unit_test(test_clear_and_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
