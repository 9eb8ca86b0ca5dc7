/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the WebSocket frame receiver (bindings/ws_frame.c,
 * RFC 6455 section 5, TS-0020 clause 5.1). Input: byte 0 picks the role (bit 0: we are the server,
 * frames must be masked) and the chunk sizes the stream is fed in; byte 1 picks max_msg; the rest
 * is the byte stream of one connection. Invariants (trap on violation): a feed consumes at most
 * what it was given, all of it when nothing completed; control payloads are at most 125 bytes;
 * messages are at most max_msg; a failure carries a close code of section 7.4.1 and sticks; every
 * message re-encoded by m2mi_ws_header (both roles) parses back to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "bindings/ws_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void roundtrip(const m2mi_ws_msg *msg)
{
	static const uint8_t key[4] = {0xde, 0xad, 0xbe, 0xef};

	for (int masked = 0; masked < 2; masked++) {
		uint8_t *buf = malloc(M2MI_WS_HEADER_MAX + msg->len + 1);
		m2mi_ws_rx *rx = m2mi_ws_rx_new(masked, msg->len + 1);
		m2mi_ws_msg back;
		size_t hl, used;

		if (buf == NULL || rx == NULL) {
			free(buf);
			m2mi_ws_rx_free(rx);
			return;
		}
		hl = m2mi_ws_header(buf, msg->opcode, true, msg->len, masked ? key : NULL);
		CHECK(hl >= 2);
		if (msg->len > 0)
			memcpy(buf + hl, msg->data, msg->len);
		if (masked)
			m2mi_ws_mask(buf + hl, msg->len, key, 0);
		CHECK(m2mi_ws_rx_feed(rx, buf, hl + msg->len, &used, &back) == M2M_OK);
		CHECK(used == hl + msg->len && back.opcode == msg->opcode && back.len == msg->len);
		CHECK(msg->len == 0 || memcmp(back.data, msg->data, msg->len) == 0);
		m2mi_ws_rx_free(rx);
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[4] = {16, 200, 70000, 0};
	m2mi_ws_rx *rx;
	size_t pos, max;
	uint8_t seed;
	m2m_err rc = M2M_OK;

	if (size < 2)
		return 0;
	seed = data[0];
	max = maxes[data[1] & 3] ? maxes[data[1] & 3] : M2MI_WS_DEFAULT_MAX_MSG;
	if ((rx = m2mi_ws_rx_new(seed & 1, maxes[data[1] & 3])) == NULL)
		return 0;
	pos = 2;
	while (pos < size) {
		size_t chunk = (size_t)((seed >> 1) % 17) + 1, used = 0;
		m2mi_ws_msg msg;

		if (chunk > size - pos)
			chunk = size - pos;
		seed = (uint8_t)(seed * 33 + 7);
		rc = m2mi_ws_rx_feed(rx, data + pos, chunk, &used, &msg);
		CHECK(used <= chunk);
		if (rc != M2M_OK) {
			uint16_t code = m2mi_ws_rx_fail_code(rx);
			CHECK(used == 0 || code != 0);
			CHECK(code == 0 || code == 1002 || code == 1007 || code == 1009 || code == 1011);
			CHECK(m2mi_ws_rx_feed(rx, data + pos, chunk, &used, &msg) == rc && used == 0);
			break;
		}
		CHECK(msg.opcode != 0 || used == chunk);
		if (msg.opcode == M2MI_WS_OP_TEXT || msg.opcode == M2MI_WS_OP_BINARY) {
			CHECK(msg.len <= max);
			roundtrip(&msg);
		} else if (msg.opcode != 0) {
			CHECK(msg.len <= M2MI_WS_CONTROL_MAX);
			if (msg.opcode == M2MI_WS_OP_CLOSE)
				CHECK(msg.close_code == 1005 || m2mi_ws_close_code_ok(msg.close_code));
			else
				roundtrip(&msg);
		}
		pos += used;
	}
	m2mi_ws_rx_free(rx);
	return 0;
}
