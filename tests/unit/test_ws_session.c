/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/ws_session.c: text messages to the callback and
 * answers back (TS-0020 clause 5.2), Ping/Pong, the closing handshake in both directions (TS-0020
 * clause 6.3, RFC 6455 sections 5.5.1 and 7), failures with their close codes (1002, 1003, 1007,
 * 1008, 1009) and the bounded output queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include "m2m_test.h"
#include "bindings/ws_frame.h"
#include "bindings/ws_session.h"

static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};

struct seen {
	int calls;
	char last[64];
	size_t reply_len; /* 0: echo "re:" + message */
};

static void on_text(void *ctx, m2mi_ws_session *s, const uint8_t *data, size_t len)
{
	struct seen *sn = ctx;
	char buf[200];

	sn->calls++;
	memcpy(sn->last, data, len < sizeof(sn->last) - 1 ? len : sizeof(sn->last) - 1);
	sn->last[len < sizeof(sn->last) - 1 ? len : sizeof(sn->last) - 1] = '\0';
	if (sn->reply_len > 0) {
		memset(buf, 'x', sizeof(buf));
		assert_int_equal(m2mi_ws_session_send_text(s, buf, sn->reply_len), M2M_E_PROTO);
		return;
	}
	snprintf(buf, sizeof(buf), "re:%s", sn->last);
	assert_int_equal(m2mi_ws_session_send_text(s, buf, strlen(buf)), M2M_OK);
}

/* One masked client frame into s. */
static void client_frame(m2mi_ws_session *s, int opcode, const void *p, size_t n)
{
	uint8_t buf[M2MI_WS_HEADER_MAX + 256];
	size_t hl = m2mi_ws_header(buf, opcode, true, n, key);

	assert_true(hl > 0 && n <= 256);
	memcpy(buf + hl, p, n);
	m2mi_ws_mask(buf + hl, n, key, 0);
	assert_int_equal(m2mi_ws_session_input(s, buf, hl + n), M2M_OK);
}

/* The next unit of s's output, parsed as a client would (unmasked frames); consumes it. */
static m2mi_ws_msg next_out(m2mi_ws_session *s, m2mi_ws_rx *cli)
{
	size_t len, used;
	const uint8_t *out = m2mi_ws_session_output(s, &len);
	m2mi_ws_msg msg;

	assert_non_null(out);
	assert_int_equal(m2mi_ws_rx_feed(cli, out, len, &used, &msg), M2M_OK);
	assert_int_not_equal(msg.opcode, 0);
	m2mi_ws_session_consumed(s, used);
	return msg;
}

static void no_output(m2mi_ws_session *s)
{
	size_t len;
	assert_null(m2mi_ws_session_output(s, &len));
	assert_int_equal(len, 0);
}

static void test_text_ping_and_peer_close(void **state)
{
	struct seen sn = {0};
	m2mi_ws_session *s = m2mi_ws_session_new(0, 0, on_text, &sn);
	m2mi_ws_rx *cli = m2mi_ws_rx_new(false, 0);
	m2mi_ws_msg m;

	client_frame(s, M2MI_WS_OP_TEXT, "{\"op\":2}", 8);
	assert_int_equal(sn.calls, 1);
	assert_string_equal(sn.last, "{\"op\":2}");
	m = next_out(s, cli);
	assert_int_equal(m.opcode, M2MI_WS_OP_TEXT);
	assert_int_equal(m.len, 11);
	assert_memory_equal(m.data, "re:{\"op\":2}", 11);
	no_output(s);
	client_frame(s, M2MI_WS_OP_PING, "hb", 2);
	m = next_out(s, cli);
	assert_int_equal(m.opcode, M2MI_WS_OP_PONG);
	assert_memory_equal(m.data, "hb", 2);
	client_frame(s, M2MI_WS_OP_PONG, "x", 1); /* unsolicited Pong: ignored */
	no_output(s);
	assert_false(m2mi_ws_session_done(s));
	client_frame(s, M2MI_WS_OP_CLOSE, "\x03\xe8" "bye", 5);
	assert_true(m2mi_ws_session_done(s));
	m = next_out(s, cli);
	assert_int_equal(m.opcode, M2MI_WS_OP_CLOSE);
	assert_int_equal(m.close_code, 1000);
	assert_int_equal(m2mi_ws_session_sent_code(s), 1000);
	/* input after the Close is ignored; nothing may be sent */
	client_frame(s, M2MI_WS_OP_TEXT, "late", 4);
	assert_int_equal(sn.calls, 1);
	assert_int_equal(m2mi_ws_session_send_text(s, "x", 1), M2M_E_PROTO);
	no_output(s);
	m2mi_ws_rx_free(cli);
	m2mi_ws_session_free(s);
}

/* A Close without a body is answered by a Close without a body (1005 is never sent). */
static void test_empty_close(void **state)
{
	struct seen sn = {0};
	m2mi_ws_session *s = m2mi_ws_session_new(0, 0, on_text, &sn);
	size_t len;
	const uint8_t *out;

	client_frame(s, M2MI_WS_OP_CLOSE, "", 0);
	assert_true(m2mi_ws_session_done(s));
	out = m2mi_ws_session_output(s, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(out, "\x88\x00", 2);
	m2mi_ws_session_free(s);
}

/* Our Close first (e.g. 1001 at server stop): data is refused and discarded, the peer's Close
 * ends the session without a second Close. */
static void test_server_close(void **state)
{
	struct seen sn = {0};
	m2mi_ws_session *s = m2mi_ws_session_new(0, 0, on_text, &sn);
	m2mi_ws_rx *cli = m2mi_ws_rx_new(false, 0);
	m2mi_ws_msg m;

	m2mi_ws_session_close(s, M2MI_WS_CLOSE_GOING_AWAY, "stopping");
	m = next_out(s, cli);
	assert_int_equal(m.opcode, M2MI_WS_OP_CLOSE);
	assert_int_equal(m.close_code, 1001);
	assert_memory_equal(m.data, "stopping", 8);
	assert_false(m2mi_ws_session_done(s));
	assert_int_equal(m2mi_ws_session_send_text(s, "x", 1), M2M_E_PROTO);
	client_frame(s, M2MI_WS_OP_TEXT, "in flight", 9);
	client_frame(s, M2MI_WS_OP_PING, "p", 1);
	assert_int_equal(sn.calls, 0);
	no_output(s);
	client_frame(s, M2MI_WS_OP_CLOSE, "\x03\xe9", 2);
	assert_true(m2mi_ws_session_done(s));
	no_output(s);
	assert_int_equal(m2mi_ws_session_sent_code(s), 1001);
	m2mi_ws_rx_free(cli);
	m2mi_ws_session_free(s);
}

/* Each failure queues a Close with its code and ends the session; the callback never runs. */
static void expect_close(size_t max_msg, const uint8_t *in, size_t n, uint16_t code)
{
	struct seen sn = {0};
	m2mi_ws_session *s = m2mi_ws_session_new(max_msg, 0, on_text, &sn);
	m2mi_ws_rx *cli = m2mi_ws_rx_new(false, 0);
	m2mi_ws_msg m;

	assert_int_equal(m2mi_ws_session_input(s, in, n), M2M_OK);
	assert_true(m2mi_ws_session_done(s));
	assert_int_equal(sn.calls, 0);
	m = next_out(s, cli);
	assert_int_equal(m.opcode, M2MI_WS_OP_CLOSE);
	assert_int_equal(m.close_code, code);
	assert_int_equal(m2mi_ws_session_sent_code(s), code);
	no_output(s);
	m2mi_ws_rx_free(cli);
	m2mi_ws_session_free(s);
}

static void test_failures(void **state)
{
	/* masked binary "ab": oneM2M.cbor is not served (1003) */
	const uint8_t binary[] = {0x82, 0x82, 0x37, 0xfa, 0x21, 0x3d, 'a' ^ 0x37, 'b' ^ 0xfa};
	/* masked text 0xff: not UTF-8 (1007) */
	const uint8_t bad_utf8[] = {0x81, 0x81, 0x37, 0xfa, 0x21, 0x3d, 0xff ^ 0x37};
	/* masked text of 5 bytes over max_msg 4 (1009) */
	const uint8_t big[] = {0x81, 0x85, 0, 0, 0, 0, 'a', 'b', 'c', 'd', 'e'};

	expect_close(0, (const uint8_t *)"\x81\x01x", 3, 1002); /* unmasked client frame */
	expect_close(0, binary, sizeof(binary), 1003);
	expect_close(0, bad_utf8, sizeof(bad_utf8), 1007);
	expect_close(4, big, sizeof(big), 1009);
}

/* A peer that makes us queue more than max_out is failed with 1008, the Close still goes out. */
static void test_output_bound(void **state)
{
	struct seen sn = {.reply_len = 100};
	m2mi_ws_session *s = m2mi_ws_session_new(0, 64, on_text, &sn);
	m2mi_ws_rx *cli = m2mi_ws_rx_new(false, 0);
	m2mi_ws_msg m;
	size_t len;

	client_frame(s, M2MI_WS_OP_TEXT, "q", 1);
	assert_int_equal(sn.calls, 1);
	assert_true(m2mi_ws_session_done(s));
	m = next_out(s, cli);
	assert_int_equal(m.opcode, M2MI_WS_OP_CLOSE);
	assert_int_equal(m.close_code, 1008);
	/* partial writes: consumed() keeps the rest */
	m2mi_ws_rx_free(cli);
	m2mi_ws_session_free(s);

	sn = (struct seen){0};
	s = m2mi_ws_session_new(0, 0, on_text, &sn);
	client_frame(s, M2MI_WS_OP_TEXT, "abc", 3);
	assert_non_null(m2mi_ws_session_output(s, &len));
	assert_int_equal(len, 8); /* 2 + "re:abc" */
	m2mi_ws_session_consumed(s, 3);
	assert_memory_equal(m2mi_ws_session_output(s, &len), "e:abc", 5);
	assert_int_equal(len, 5);
	m2mi_ws_session_consumed(s, 99);
	no_output(s);
	m2mi_ws_session_free(s);
	assert_null(m2mi_ws_session_new(0, 0, NULL, NULL));
	assert_true(m2mi_ws_session_done(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_ping_and_peer_close),
		cmocka_unit_test(test_empty_close),
		cmocka_unit_test(test_server_close),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_output_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
