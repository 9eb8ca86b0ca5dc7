/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the WebSocket framing (RFC 6455 section 5) used
 * by the WebSocket binding (TS-0020 V3.0.1, docs/websocket-binding.md): an incremental receiver
 * that turns the bytes of one connection into complete messages and control frames, enforcing
 * every rule of RFC 6455 sections 5 and 8.1 with the close code section 7.4.1 requires, and the
 * encoder of the frames we send. Pure computation: no I/O, no libevent types; unit-tested
 * (tests/unit/test_ws_frame.c) and fuzzed (fuzz/fuzz_ws_frame.c) on its own.
 */
#ifndef M2M_BINDINGS_WS_FRAME_H
#define M2M_BINDINGS_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"

/* Opcodes (RFC 6455 section 5.2). */
enum {
	M2MI_WS_OP_CONT = 0x0,
	M2MI_WS_OP_TEXT = 0x1,
	M2MI_WS_OP_BINARY = 0x2,
	M2MI_WS_OP_CLOSE = 0x8,
	M2MI_WS_OP_PING = 0x9,
	M2MI_WS_OP_PONG = 0xA,
};

/* Close codes (RFC 6455 section 7.4.1). 1005 and 1006 are never sent on the wire. */
enum {
	M2MI_WS_CLOSE_NORMAL = 1000,
	M2MI_WS_CLOSE_GOING_AWAY = 1001,
	M2MI_WS_CLOSE_PROTOCOL = 1002,
	M2MI_WS_CLOSE_UNSUPPORTED = 1003,
	M2MI_WS_CLOSE_NO_STATUS = 1005,
	M2MI_WS_CLOSE_ABNORMAL = 1006,
	M2MI_WS_CLOSE_BAD_DATA = 1007,
	M2MI_WS_CLOSE_POLICY = 1008,
	M2MI_WS_CLOSE_TOO_BIG = 1009,
	M2MI_WS_CLOSE_INTERNAL = 1011,
};

#define M2MI_WS_CONTROL_MAX 125u       /* payload of a control frame (RFC 6455 section 5.5) */
#define M2MI_WS_HEADER_MAX 14u         /* 2 + 8 (64-bit length) + 4 (masking key) */
#define M2MI_WS_DEFAULT_MAX_MSG 1048576u /* = M2M_HTTP_DEFAULT_MAX_BODY: same cap as HTTPS */

typedef struct m2mi_ws_rx m2mi_ws_rx;

/* One complete unit out of the receiver. data is borrowed: valid until the next feed or free. */
typedef struct m2mi_ws_msg {
	int opcode;          /* 0: nothing complete yet; TEXT or BINARY (a whole, reassembled message),
			      * CLOSE, PING or PONG (one control frame) */
	const uint8_t *data; /* payload (unmasked); for CLOSE the reason text after the code */
	size_t len;
	uint16_t close_code; /* CLOSE only: the received code, 1005 when the frame had no body */
} m2mi_ws_msg;

/*
 * A receiver of one connection. from_client: frames must be masked (we are the server, RFC 6455
 * section 5.1); false: they must not be (a client's receiver, used by the tests). max_msg: the
 * largest reassembled message (0 = M2MI_WS_DEFAULT_MAX_MSG). NULL: no memory.
 */
m2mi_ws_rx *m2mi_ws_rx_new(bool from_client, size_t max_msg);
void m2mi_ws_rx_free(m2mi_ws_rx *rx);

/*
 * Consume bytes of buf until one message or control frame is complete, or buf ends. *used says
 * how many bytes were consumed (feed the rest again after handling msg). Returns:
 *   M2M_OK          msg->opcode is 0 (need more bytes; all of buf was used) or a complete unit;
 *   M2M_E_PROTO     the peer broke RFC 6455: fail the connection, sending a Close frame with
 *                   m2mi_ws_rx_fail_code() (1002 framing, 1007 bad UTF-8 text or close reason);
 *   M2M_E_TOO_LARGE a message over max_msg (close code 1009);
 *   M2M_E_NOMEM     (close code 1011).
 * After an error every later feed returns the same error and consumes nothing; after a Close
 * frame was returned, M2M_E_PROTO with fail code 0 (nothing may follow a Close, section 5.5.1;
 * the closing handshake is already under way).
 */
M2M_WUR m2m_err m2mi_ws_rx_feed(m2mi_ws_rx *rx, const uint8_t *buf, size_t len, size_t *used, m2mi_ws_msg *msg);
/* The close code to send after a feed error (0 when none happened). */
uint16_t m2mi_ws_rx_fail_code(const m2mi_ws_rx *rx);

/*
 * The header of one frame into out (M2MI_WS_HEADER_MAX bytes): FIN, opcode, the minimal length
 * encoding (section 5.2) and, when mask is not NULL, the mask bit and key (the payload must
 * then be masked with m2mi_ws_mask). Returns the header length, 0 on a bad opcode or a control
 * frame that is fragmented or longer than 125 bytes.
 */
size_t m2mi_ws_header(uint8_t out[M2MI_WS_HEADER_MAX], int opcode, bool fin, uint64_t len, const uint8_t *mask);
/* XOR p with key as from payload offset off (section 5.3). */
void m2mi_ws_mask(uint8_t *p, size_t n, const uint8_t key[4], uint64_t off);
/*
 * The body of a Close frame (section 5.5.1): the code in network order and the reason cut to
 * fit 125 bytes at a UTF-8 character boundary. Returns its length (0 for code 0 or one that may
 * not be sent: 1005, 1006, 1015, or outside 1000-4999).
 */
size_t m2mi_ws_close_body(uint8_t out[M2MI_WS_CONTROL_MAX], uint16_t code, const char *reason);
/* Whether a received close code is allowed on the wire (section 7.4). */
bool m2mi_ws_close_code_ok(uint16_t code);

#endif
