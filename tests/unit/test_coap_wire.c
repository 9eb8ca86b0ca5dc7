/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/coap_wire.c: the RFC 7252 clause 3 message
 * format (TS-0008 clause 5.2.1) decoded and encoded, and every message format error.
 */
#include "m2m_test.h"
#include "bindings/coap_wire.h"

static m2m_err dec(const uint8_t *b, size_t n, m2mi_coap_msg *m, m2mi_coap_opt *o, size_t max)
{
	return m2mi_coap_decode(b, n, o, max, m);
}

/* RFC 7252 Appendix A, Figure 16: GET, MID 0x7d34, Uri-Path "temperature". */
static void test_rfc_example(void **state)
{
	static const uint8_t b[] = {0x40, 0x01, 0x7d, 0x34, 0xbb, 't', 'e', 'm', 'p', 'e', 'r', 'a', 't', 'u', 'r', 'e'};
	m2mi_coap_opt o[4];
	m2mi_coap_msg m;
	uint8_t out[64];
	size_t n;

	assert_int_equal(dec(b, sizeof(b), &m, o, 4), M2M_OK);
	assert_int_equal(m.type, 0);
	assert_int_equal(m.code, 1);
	assert_int_equal(m.mid, 0x7d34);
	assert_int_equal(m.token_len, 0);
	assert_int_equal(m.nopts, 1);
	assert_int_equal(m.opts[0].num, 11);
	assert_int_equal(m.opts[0].len, 11);
	assert_memory_equal(m.opts[0].val, "temperature", 11);
	assert_null(m.payload);
	assert_int_equal(m2mi_coap_encode(&m, out, sizeof(out), &n), M2M_OK);
	assert_int_equal(n, sizeof(b));
	assert_memory_equal(out, b, n);
}

/* Extended deltas and lengths (13: +1 byte, 14: +2 bytes), token, payload: round trip. */
static void test_round_trip(void **state)
{
	static uint8_t big[600];
	const m2mi_coap_opt in[] = {
		{11, (const uint8_t *)"cse", 3}, {11, (const uint8_t *)"", 0}, {12, (const uint8_t *)"\x32", 1},
		{283, (const uint8_t *)"r1", 2}, {335, big, 300}, {339, big, 12}, {2000, big, 600},
	};
	m2mi_coap_msg m = {M2MI_COAP_NON, 2, 0xbeef, (const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08", 8,
			   in, 7, (const uint8_t *)"{}", 2};
	m2mi_coap_opt o[8];
	m2mi_coap_msg d;
	uint8_t buf[2048];
	size_t n;

	memset(big, 'x', sizeof(big));
	assert_int_equal(m2mi_coap_encode(&m, buf, sizeof(buf), &n), M2M_OK);
	assert_int_equal(dec(buf, n, &d, o, 8), M2M_OK);
	assert_int_equal(d.type, M2MI_COAP_NON);
	assert_int_equal(d.code, 2);
	assert_int_equal(d.mid, 0xbeef);
	assert_int_equal(d.token_len, 8);
	assert_memory_equal(d.token, m.token, 8);
	assert_int_equal(d.nopts, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(d.opts[i].num, in[i].num);
		assert_int_equal(d.opts[i].len, in[i].len);
		if (in[i].len)
			assert_memory_equal(d.opts[i].val, in[i].val, in[i].len);
	}
	assert_int_equal(d.payload_len, 2);
	assert_memory_equal(d.payload, "{}", 2);
	/* more options than the caller's array */
	assert_int_equal(dec(buf, n, &d, o, 6), M2M_E_RANGE);
	/* encode errors: buffer too small, options out of order, token too long */
	assert_int_equal(m2mi_coap_encode(&m, buf, n - 1, &n), M2M_E_RANGE);
	assert_int_equal(m2mi_coap_encode(&m, buf, 10, &n), M2M_E_RANGE);
	m.opts = in + 3;
	m.nopts = 1;
	m.token_len = 9;
	assert_int_equal(m2mi_coap_encode(&m, buf, sizeof(buf), &n), M2M_E_INVAL);
	m.token_len = 0;
	const m2mi_coap_opt rev[] = {{283, NULL, 0}, {11, NULL, 0}};
	m.opts = rev;
	m.nopts = 2;
	assert_int_equal(m2mi_coap_encode(&m, buf, sizeof(buf), &n), M2M_E_INVAL);
	assert_int_equal(m2mi_coap_encode(NULL, buf, sizeof(buf), &n), M2M_E_INVAL);
}

/* Message format errors (RFC 7252 clauses 3, 3.1, 4.1). */
static void test_format_errors(void **state)
{
	static const struct {
		uint8_t b[12];
		size_t n;
	} bad[] = {
		{{0x40, 0x01, 0, 0}, 3},                        /* shorter than the header */
		{{0x80, 0x01, 0, 0}, 4},                        /* version 2 */
		{{0x00, 0x01, 0, 0}, 4},                        /* version 0 */
		{{0x49, 0x01, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}, 12}, /* token length 9 */
		{{0x42, 0x01, 0, 0, 1}, 5},                     /* token past the end */
		{{0x40, 0x01, 0, 0, 0xf1, 'a'}, 6},             /* delta nibble 15 */
		{{0x40, 0x01, 0, 0, 0x1f, 'a'}, 6},             /* length nibble 15 */
		{{0x40, 0x01, 0, 0, 0xd1}, 5},                  /* extended delta byte missing */
		{{0x40, 0x01, 0, 0, 0xe1, 0x00}, 6},            /* extended delta needs 2 bytes */
		{{0x40, 0x01, 0, 0, 0x1d}, 5},                  /* extended length byte missing */
		{{0x40, 0x01, 0, 0, 0xb3, 'a', 'b'}, 7},        /* value past the end */
		{{0x40, 0x01, 0, 0, 0xff}, 5},                  /* payload marker, no payload */
		{{0x40, 0x00, 0, 0, 0xff, 'x'}, 6},             /* Empty message with bytes after */
		{{0x41, 0x00, 0, 0, 0x01}, 5},                  /* Empty message with a token */
		{{0x40, 0x01, 0, 0, 0xe0, 0xff, 0xff, 0xe0, 0xff, 0xff}, 10}, /* number over 65535 */
	};
	m2mi_coap_opt o[4];
	m2mi_coap_msg m;

	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++)
		assert_int_equal(dec(bad[i].b, bad[i].n, &m, o, 4), M2M_E_PROTO);
	assert_int_equal(dec((const uint8_t *)"\x60\x00\x12\x34", 4, &m, o, 4), M2M_OK); /* Empty ACK */
	assert_int_equal(m.type, M2MI_COAP_ACK);
	assert_int_equal(dec((const uint8_t *)"\x40\x01\x00\x00\x10", 5, &m, NULL, 0), M2M_E_RANGE);
	assert_int_equal(dec(NULL, 4, &m, o, 4), M2M_E_INVAL);
	assert_int_equal(m2mi_coap_decode((const uint8_t *)"\x40\x01\x00\x00", 4, o, 4, NULL), M2M_E_INVAL);
}

/* A request encoded, decoded and mapped: POST /cse-in, TY 2, JSON (TS-0008 clauses 6.2.1,
 * 6.2.2.4): the two halves fit together. */
static void test_decode_then_map(void **state)
{
	uint8_t buf[128];
	m2mi_coap_opt in[] = {
		{11, (const uint8_t *)"cse-in", 6}, {12, (const uint8_t *)"\x32", 1}, {267, (const uint8_t *)"\x02", 1},
		{271, (const uint8_t *)"3", 1}, {279, (const uint8_t *)"CAE1", 4}, {283, (const uint8_t *)"q1", 2},
	};
	m2mi_coap_msg m = {M2MI_COAP_CON, M2MI_COAP_POST, 0x1234, (const uint8_t *)"\x01\x02", 2, in, 6,
			   (const uint8_t *)"{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":false}}", 0};
	m2mi_coap_opt o[8];
	m2mi_coap_msg d;
	m2mi_coap_reqinfo info;
	m2m_request req;
	m2m_response rsp;
	size_t n;

	m.payload_len = strlen((const char *)m.payload);
	assert_int_equal(m2mi_coap_encode(&m, buf, sizeof(buf), &n), M2M_OK);
	/* the fixed part is what RFC 7252 clause 3 prescribes */
	assert_memory_equal(buf, "\x42\x02\x12\x34\x01\x02\xb6" "cse-in" "\x11\x32", 15);
	assert_int_equal(m2mi_coap_decode(buf, n, o, 8, &d), M2M_OK);
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	assert_int_equal(m2mi_coap_to_request(&d, NULL, &req, &rsp, &info), M2M_OK);
	assert_int_equal(req.op, M2M_OP_CREATE);
	assert_int_equal(req.ty, 2);
	assert_string_equal(req.to, "cse-in");
	assert_string_equal(req.fr, "CAE1");
	assert_string_equal(req.rqi, "q1");
	assert_non_null(json_object_get(req.pc, "m2m:ae"));
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
}

/* What libcoap's coap-client sent for `coap-client -m post -O 267,0x02 -O 271,3 -O 279,CAE1
 * -O 283,q1 -t 50 -e '{"m2m:ae":...}' coap://127.0.0.1:PORT/cse-in?rcn=1` (captured once):
 * Uri-Port, Uri-Path, Content-Format, Uri-Query, then the oneM2M options, payload. */
static void test_libcoap_datagram(void **state)
{
	static const uint8_t b[] = {
		0x41, 0x02, 0x79, 0xe0, 0x01, 0x72, 0xe3, 0x90, 0x46, 0x63, 0x73, 0x65, 0x2d, 0x69, 0x6e, 0x11,
		0x32, 0x35, 0x72, 0x63, 0x6e, 0x3d, 0x31, 0xd1, 0xef, 0x02, 0x41, 0x33, 0x84, 0x43, 0x41, 0x45,
		0x31, 0x42, 0x71, 0x31, 0xff, 0x7b, 0x22, 0x6d, 0x32, 0x6d, 0x3a, 0x61, 0x65, 0x22, 0x3a, 0x7b,
		0x22, 0x61, 0x70, 0x69, 0x22, 0x3a, 0x22, 0x4e, 0x78, 0x22, 0x2c, 0x22, 0x72, 0x72, 0x22, 0x3a,
		0x66, 0x61, 0x6c, 0x73, 0x65, 0x7d, 0x7d
	};
	m2mi_coap_opt o[16];
	m2mi_coap_msg d;
	m2mi_coap_reqinfo info;
	m2m_request req;
	m2m_response rsp;

	assert_int_equal(m2mi_coap_decode(b, sizeof(b), o, 16, &d), M2M_OK);
	assert_int_equal(d.nopts, 8);
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	assert_int_equal(m2mi_coap_to_request(&d, NULL, &req, &rsp, &info), M2M_OK);
	assert_int_equal(req.op, M2M_OP_CREATE);
	assert_int_equal(req.ty, 2);
	assert_int_equal(req.rcn, 1);
	assert_string_equal(req.to, "cse-in");
	assert_string_equal(req.fr, "CAE1");
	assert_string_equal(req.rqi, "q1");
	assert_string_equal(req.rvi, "3");
	assert_non_null(json_object_get(req.pc, "m2m:ae"));
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_example),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_decode_then_map),
		cmocka_unit_test(test_libcoap_datagram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
