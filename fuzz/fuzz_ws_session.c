/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the WebSocket session (bindings/ws_session.c,
 * TS-0020 clause 6.3, RFC 6455 sections 5.5 and 7). Input: byte 0 picks the chunk sizes, byte 1
 * max_msg and max_out; the rest is what a client sends. Each text message is answered (echoed).
 * Invariants (trap on violation): everything we send parses as valid unmasked server frames;
 * at most one Close is sent and nothing after it; a done session ignores input; a sent Close
 * carries a code that may be on the wire (or no body, echoing a Close without one).
 */
#include <stdlib.h>
#include <string.h>

#include "bindings/ws_frame.h"
#include "bindings/ws_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void on_text(void *ctx, m2mi_ws_session *s, const uint8_t *p, size_t n)
{
	m2m_err rc = m2mi_ws_session_send_text(s, (const char *)p, n);

	CHECK(rc == M2M_OK || rc == M2M_E_PROTO || rc == M2M_E_NOMEM);
	(*(int *)ctx)++;
}

/* Parse and drop all output; count the Closes. */
static void drain(m2mi_ws_session *s, m2mi_ws_rx *cli, int *closes)
{
	size_t len, used;
	const uint8_t *out = m2mi_ws_session_output(s, &len);
	size_t pos = 0;

	while (pos < len) {
		m2mi_ws_msg msg;

		CHECK(*closes == 0); /* nothing after a Close */
		CHECK(m2mi_ws_rx_feed(cli, out + pos, len - pos, &used, &msg) == M2M_OK);
		CHECK(msg.opcode != 0); /* whole frames only */
		if (msg.opcode == M2MI_WS_OP_CLOSE) {
			CHECK(msg.close_code == 1005 || m2mi_ws_close_code_ok(msg.close_code));
			(*closes)++;
		}
		pos += used;
	}
	m2mi_ws_session_consumed(s, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[4] = {8, 300, 70000, 0};
	m2mi_ws_session *s;
	m2mi_ws_rx *cli;
	int calls = 0, closes = 0;
	uint8_t seed;
	size_t pos = 2;

	if (size < 2)
		return 0;
	seed = data[0];
	s = m2mi_ws_session_new(maxes[data[1] & 3], (data[1] & 4) ? 64 : 0, on_text, &calls);
	cli = m2mi_ws_rx_new(false, 0);
	if (s == NULL || cli == NULL)
		goto out;
	if (data[1] & 8)
		m2mi_ws_session_close(s, 1001, "stopping");
	while (pos < size) {
		size_t chunk = (size_t)((seed >> 1) % 23) + 1;
		bool was_done = m2mi_ws_session_done(s);
		int before = calls;

		if (chunk > size - pos)
			chunk = size - pos;
		seed = (uint8_t)(seed * 33 + 7);
		if (m2mi_ws_session_input(s, data + pos, chunk) != M2M_OK)
			break;
		CHECK(!was_done || calls == before);
		pos += chunk;
		drain(s, cli, &closes);
	}
	drain(s, cli, &closes);
	CHECK(closes <= 1);
	CHECK(!m2mi_ws_session_done(s) || m2mi_ws_session_sent_code(s) != 0 || closes == 1);
out:
	m2mi_ws_rx_free(cli);
	m2mi_ws_session_free(s);
	return 0;
}
