/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/ws_frame.c: the RFC 6455 section 5.7 example
 * frames, fragmentation with interleaved control frames, every refusal with the close code
 * RFC 6455 section 7.4.1 requires, and encoder round trips (TS-0020 clause 5.1).
 */
#include <stdlib.h>
#include "m2m_test.h"
#include "bindings/ws_frame.h"

/* Feed all of buf once; returns the feed's result and fills msg. */
static m2m_err feed(m2mi_ws_rx *rx, const uint8_t *buf, size_t len, size_t *used, m2mi_ws_msg *msg)
{
	return m2mi_ws_rx_feed(rx, buf, len, used, msg);
}

/* Expect buf (given whole) to end in error rc with close code code. */
static void expect_fail(bool from_client, size_t max, const uint8_t *buf, size_t len, m2m_err rc, uint16_t code)
{
	m2mi_ws_rx *rx = m2mi_ws_rx_new(from_client, max);
	m2mi_ws_msg msg;
	size_t used, pos = 0;
	m2m_err got = M2M_OK;

	assert_non_null(rx);
	while (pos < len && (got = feed(rx, buf + pos, len - pos, &used, &msg)) == M2M_OK) {
		assert_true(used > 0);
		pos += used;
	}
	assert_int_equal(got, rc);
	assert_int_equal(m2mi_ws_rx_fail_code(rx), code);
	/* the receiver stays failed and consumes nothing more */
	assert_int_equal(feed(rx, buf, len, &used, &msg), rc);
	assert_int_equal(used, 0);
	assert_int_equal(msg.opcode, 0);
	m2mi_ws_rx_free(rx);
}

/* RFC 6455 section 5.7: a single-frame masked text message "Hello" (client to server). */
static const uint8_t masked_hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};

static void test_rfc_examples(void **state)
{
	m2mi_ws_rx *srv = m2mi_ws_rx_new(true, 0), *cli = m2mi_ws_rx_new(false, 0);
	const uint8_t unmasked_hello[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
	const uint8_t frag[] = {0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f};
	const uint8_t ping[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
	const uint8_t pong[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	m2mi_ws_msg msg;
	size_t used;

	assert_int_equal(feed(srv, masked_hello, sizeof(masked_hello), &used, &msg), M2M_OK);
	assert_int_equal(used, sizeof(masked_hello));
	assert_int_equal(msg.opcode, M2MI_WS_OP_TEXT);
	assert_int_equal(msg.len, 5);
	assert_memory_equal(msg.data, "Hello", 5);
	assert_int_equal(feed(srv, pong, sizeof(pong), &used, &msg), M2M_OK);
	assert_int_equal(msg.opcode, M2MI_WS_OP_PONG);
	assert_memory_equal(msg.data, "Hello", 5);

	assert_int_equal(feed(cli, unmasked_hello, sizeof(unmasked_hello), &used, &msg), M2M_OK);
	assert_int_equal(msg.opcode, M2MI_WS_OP_TEXT);
	assert_memory_equal(msg.data, "Hello", 5);
	/* a fragmented message: the first feed stops after nothing complete, then "Hello" */
	assert_int_equal(feed(cli, frag, 5, &used, &msg), M2M_OK);
	assert_int_equal(used, 5);
	assert_int_equal(msg.opcode, 0);
	assert_int_equal(feed(cli, frag + 5, 4, &used, &msg), M2M_OK);
	assert_int_equal(msg.opcode, M2MI_WS_OP_TEXT);
	assert_int_equal(msg.len, 5);
	assert_memory_equal(msg.data, "Hello", 5);
	assert_int_equal(feed(cli, ping, sizeof(ping), &used, &msg), M2M_OK);
	assert_int_equal(msg.opcode, M2MI_WS_OP_PING);
	assert_int_equal(msg.len, 5);
	m2mi_ws_rx_free(srv);
	m2mi_ws_rx_free(cli);
}

/* RFC 6455 section 5.7: 256 bytes and 64 KiB binary messages in one unmasked frame. */
static void test_rfc_lengths(void **state)
{
	size_t sizes[] = {256, 65536};

	for (size_t t = 0; t < M2M_ARRAY_LEN(sizes); t++) {
		size_t n = sizes[t], hl = t == 0 ? 4 : 10;
		uint8_t *buf = calloc(1, hl + n);
		m2mi_ws_rx *cli = m2mi_ws_rx_new(false, 0);
		m2mi_ws_msg msg;
		size_t used;

		assert_non_null(buf);
		buf[0] = 0x82;
		if (t == 0) {
			memcpy(buf + 1, "\x7e\x01\x00", 3);
		} else {
			memcpy(buf + 1, "\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 9);
		}
		memset(buf + hl, 0xa5, n);
		assert_int_equal(feed(cli, buf, hl + n, &used, &msg), M2M_OK);
		assert_int_equal(used, hl + n);
		assert_int_equal(msg.opcode, M2MI_WS_OP_BINARY);
		assert_int_equal(msg.len, n);
		assert_memory_equal(msg.data, buf + hl, n);
		m2mi_ws_rx_free(cli);
		free(buf);
	}
}

/* One byte at a time gives the same message; two frames in one buffer come out one by one. */
static void test_split_and_batched(void **state)
{
	m2mi_ws_rx *srv = m2mi_ws_rx_new(true, 0);
	uint8_t two[2 * sizeof(masked_hello)];
	m2mi_ws_msg msg;
	size_t used;

	for (size_t i = 0; i < sizeof(masked_hello); i++) {
		assert_int_equal(feed(srv, masked_hello + i, 1, &used, &msg), M2M_OK);
		assert_int_equal(used, 1);
		assert_int_equal(msg.opcode, i + 1 == sizeof(masked_hello) ? M2MI_WS_OP_TEXT : 0);
	}
	assert_memory_equal(msg.data, "Hello", 5);
	memcpy(two, masked_hello, sizeof(masked_hello));
	memcpy(two + sizeof(masked_hello), masked_hello, sizeof(masked_hello));
	assert_int_equal(feed(srv, two, sizeof(two), &used, &msg), M2M_OK);
	assert_int_equal(used, sizeof(masked_hello));
	assert_int_equal(msg.opcode, M2MI_WS_OP_TEXT);
	assert_int_equal(feed(srv, two + used, sizeof(two) - used, &used, &msg), M2M_OK);
	assert_int_equal(used, sizeof(masked_hello));
	assert_memory_equal(msg.data, "Hello", 5);
	m2mi_ws_rx_free(srv);
}

/* Section 5.4: a control frame between fragments; a UTF-8 character split over fragments is
 * valid (section 8.1 judges the whole message); U+0000 is valid UTF-8. */
static void test_fragments_interleaved(void **state)
{
	/* "a€" + NUL + "b": 61 e2 | 82 ac 00 62, ping "p" in between */
	const uint8_t in[] = {0x01, 0x02, 0x61, 0xe2, 0x89, 0x01, 0x70, 0x80, 0x04, 0x82, 0xac, 0x00, 0x62};
	m2mi_ws_rx *cli = m2mi_ws_rx_new(false, 0);
	m2mi_ws_msg msg;
	size_t used, pos = 0;

	assert_int_equal(feed(cli, in, sizeof(in), &used, &msg), M2M_OK);
	assert_int_equal(msg.opcode, M2MI_WS_OP_PING);
	assert_int_equal(msg.len, 1);
	assert_int_equal(msg.data[0], 'p');
	pos += used;
	assert_int_equal(feed(cli, in + pos, sizeof(in) - pos, &used, &msg), M2M_OK);
	assert_int_equal(pos + used, sizeof(in));
	assert_int_equal(msg.opcode, M2MI_WS_OP_TEXT);
	assert_int_equal(msg.len, 6);
	assert_memory_equal(msg.data, "a\xe2\x82\xac\0b", 6);
	m2mi_ws_rx_free(cli);
}

/* Every framing refusal and its close code (RFC 6455 sections 5.1-5.5, 7.4.1, 8.1). */
static void test_refusals(void **state)
{
	/* unmasked frame from a client, masked frame from a server (section 5.1) */
	expect_fail(true, 0, (const uint8_t *)"\x81\x01x", 3, M2M_E_PROTO, 1002);
	expect_fail(false, 0, masked_hello, sizeof(masked_hello), M2M_E_PROTO, 1002);
	/* RSV1 without an extension, reserved opcodes 3 and 0xB (section 5.2) */
	expect_fail(false, 0, (const uint8_t *)"\xc1\x01x", 3, M2M_E_PROTO, 1002);
	expect_fail(false, 0, (const uint8_t *)"\x83\x01x", 3, M2M_E_PROTO, 1002);
	expect_fail(false, 0, (const uint8_t *)"\x8b\x00", 2, M2M_E_PROTO, 1002);
	/* fragmented ping, ping of 126 bytes (section 5.5) */
	expect_fail(false, 0, (const uint8_t *)"\x09\x00", 2, M2M_E_PROTO, 1002);
	expect_fail(false, 0, (const uint8_t *)"\x89\x7e\x00\x7e", 4, M2M_E_PROTO, 1002);
	/* continuation with no message; a new message inside a fragmented one (section 5.4) */
	expect_fail(false, 0, (const uint8_t *)"\x80\x01x", 3, M2M_E_PROTO, 1002);
	expect_fail(false, 0, (const uint8_t *)"\x01\x01x\x81\x01y", 6, M2M_E_PROTO, 1002);
	/* non-minimal lengths; 64-bit length with the top bit set (section 5.2) */
	expect_fail(false, 0, (const uint8_t *)"\x82\x7e\x00\x05", 4, M2M_E_PROTO, 1002);
	expect_fail(false, 0, (const uint8_t *)"\x82\x7f\x00\x00\x00\x00\x00\x00\xff\xff", 10, M2M_E_PROTO, 1002);
	expect_fail(false, 0, (const uint8_t *)"\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10, M2M_E_PROTO, 1002);
	/* invalid UTF-8 text: a lone continuation byte, an overlong '/', a surrogate (section 8.1) */
	expect_fail(false, 0, (const uint8_t *)"\x81\x01\x80", 3, M2M_E_PROTO, 1007);
	expect_fail(false, 0, (const uint8_t *)"\x81\x02\xc0\xaf", 4, M2M_E_PROTO, 1007);
	expect_fail(false, 0, (const uint8_t *)"\x81\x03\xed\xa0\x80", 5, M2M_E_PROTO, 1007);
	/* a character cut at the end of the message */
	expect_fail(false, 0, (const uint8_t *)"\x01\x01\xe2\x80\x01\x82", 6, M2M_E_PROTO, 1007);
	/* over max_msg in one frame and over it across fragments (1009) */
	expect_fail(false, 4, (const uint8_t *)"\x82\x05", 2, M2M_E_TOO_LARGE, 1009);
	expect_fail(false, 4, (const uint8_t *)"\x02\x03" "abc\x80\x02" "de", 9, M2M_E_TOO_LARGE, 1009);
	/* Close bodies: one byte, codes that may not be sent, a reason that is not UTF-8 */
	expect_fail(false, 0, (const uint8_t *)"\x88\x01\x03", 3, M2M_E_PROTO, 1002);
	expect_fail(false, 0, (const uint8_t *)"\x88\x02\x03\xed", 4, M2M_E_PROTO, 1002);   /* 1005 */
	expect_fail(false, 0, (const uint8_t *)"\x88\x02\x03\xee", 4, M2M_E_PROTO, 1002);   /* 1006 */
	expect_fail(false, 0, (const uint8_t *)"\x88\x02\x03\xe7", 4, M2M_E_PROTO, 1002);   /* 999 */
	expect_fail(false, 0, (const uint8_t *)"\x88\x02\x13\x88", 4, M2M_E_PROTO, 1002);   /* 5000 */
	expect_fail(false, 0, (const uint8_t *)"\x88\x03\x03\xe8\xff", 5, M2M_E_PROTO, 1007);
}

/* Close frames (section 5.5.1): with and without a body; nothing may follow one. */
static void test_close(void **state)
{
	m2mi_ws_rx *cli = m2mi_ws_rx_new(false, 0);
	m2mi_ws_msg msg;
	size_t used;

	assert_int_equal(feed(cli, (const uint8_t *)"\x88\x05\x03\xe8" "bye", 7, &used, &msg), M2M_OK);
	assert_int_equal(msg.opcode, M2MI_WS_OP_CLOSE);
	assert_int_equal(msg.close_code, 1000);
	assert_int_equal(msg.len, 3);
	assert_memory_equal(msg.data, "bye", 3);
	assert_int_equal(feed(cli, masked_hello, sizeof(masked_hello), &used, &msg), M2M_E_PROTO);
	assert_int_equal(used, 0);
	assert_int_equal(m2mi_ws_rx_fail_code(cli), 0);
	m2mi_ws_rx_free(cli);

	cli = m2mi_ws_rx_new(false, 0);
	assert_int_equal(feed(cli, (const uint8_t *)"\x88\x00", 2, &used, &msg), M2M_OK);
	assert_int_equal(msg.opcode, M2MI_WS_OP_CLOSE);
	assert_int_equal(msg.close_code, 1005);
	assert_int_equal(msg.len, 0);
	m2mi_ws_rx_free(cli);
	assert_true(m2mi_ws_close_code_ok(1000));
	assert_true(m2mi_ws_close_code_ok(4999));
	assert_false(m2mi_ws_close_code_ok(1004));
	assert_false(m2mi_ws_close_code_ok(1015));
	assert_false(m2mi_ws_close_code_ok(2999));
}

/* Encoder: what we send parses back, masked (client role) and unmasked (server role). */
static void test_encode_roundtrip(void **state)
{
	const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
	size_t sizes[] = {0, 5, 125, 126, 65535, 65536};

	for (size_t t = 0; t < M2M_ARRAY_LEN(sizes); t++) {
		for (int masked = 0; masked < 2; masked++) {
			size_t n = sizes[t], hl;
			uint8_t *buf = malloc(M2MI_WS_HEADER_MAX + n + 1);
			m2mi_ws_rx *rx = m2mi_ws_rx_new(masked, 0);
			m2mi_ws_msg msg;
			size_t used;

			assert_non_null(buf);
			hl = m2mi_ws_header(buf, M2MI_WS_OP_BINARY, true, n, masked ? key : NULL);
			assert_int_equal(hl, (n < 126 ? 2 : n <= 0xffff ? 4 : 10) + (masked ? 4 : 0));
			for (size_t i = 0; i < n; i++)
				buf[hl + i] = (uint8_t)(i * 7);
			if (masked)
				m2mi_ws_mask(buf + hl, n, key, 0);
			assert_int_equal(feed(rx, buf, hl + n, &used, &msg), M2M_OK);
			assert_int_equal(used, hl + n);
			assert_int_equal(msg.opcode, M2MI_WS_OP_BINARY);
			assert_int_equal(msg.len, n);
			for (size_t i = 0; i < n; i++)
				assert_int_equal(msg.data[i], (uint8_t)(i * 7));
			m2mi_ws_rx_free(rx);
			free(buf);
		}
	}
	/* the RFC example header comes out byte for byte */
	{
		uint8_t h[M2MI_WS_HEADER_MAX];
		assert_int_equal(m2mi_ws_header(h, M2MI_WS_OP_TEXT, true, 5, key), 6);
		assert_memory_equal(h, masked_hello, 6);
		/* control frames: never fragmented, never over 125; unknown opcodes */
		assert_int_equal(m2mi_ws_header(h, M2MI_WS_OP_PING, true, 126, NULL), 0);
		assert_int_equal(m2mi_ws_header(h, M2MI_WS_OP_CLOSE, false, 2, NULL), 0);
		assert_int_equal(m2mi_ws_header(h, 3, true, 0, NULL), 0);
	}
}

/* Close bodies we send: code in network order, reason cut at a character boundary. */
static void test_close_body(void **state)
{
	uint8_t out[M2MI_WS_CONTROL_MAX];
	char reason[141];

	assert_int_equal(m2mi_ws_close_body(out, 1002, "bad frame"), 11);
	assert_memory_equal(out, "\x03\xea" "bad frame", 11);
	assert_int_equal(m2mi_ws_close_body(out, 1005, NULL), 0);
	assert_int_equal(m2mi_ws_close_body(out, 1006, NULL), 0);
	assert_int_equal(m2mi_ws_close_body(out, 0, NULL), 0);
	for (int i = 0; i < 70; i++)
		memcpy(reason + 2 * i, "\xc3\xa9", 2); /* 70 x U+00E9 = 140 bytes */
	reason[140] = '\0';
	assert_int_equal(m2mi_ws_close_body(out, 1000, reason), 2 + 122); /* 123 would split one */
}

static void test_args(void **state)
{
	m2mi_ws_rx *rx = m2mi_ws_rx_new(true, 0);
	m2mi_ws_msg msg;
	size_t used = 9;

	assert_int_equal(m2mi_ws_rx_feed(NULL, masked_hello, 1, &used, &msg), M2M_E_INVAL);
	assert_int_equal(used, 0);
	assert_int_equal(m2mi_ws_rx_feed(rx, NULL, 1, &used, &msg), M2M_E_INVAL);
	assert_int_equal(m2mi_ws_rx_feed(rx, NULL, 0, &used, &msg), M2M_OK);
	assert_int_equal(msg.opcode, 0);
	assert_int_equal(m2mi_ws_rx_fail_code(NULL), 0);
	m2mi_ws_rx_free(rx);
	m2mi_ws_rx_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_examples),
		cmocka_unit_test(test_rfc_lengths),
		cmocka_unit_test(test_split_and_batched),
		cmocka_unit_test(test_fragments_interleaved),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test(test_close_body),
		cmocka_unit_test(test_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
