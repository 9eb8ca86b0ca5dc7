/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the WebSocket framing of the WebSocket binding (TS-0020 V3.0.1 clause 5.1:
 * primitives travel in the Payload Data of RFC 6455 section 5.2 frames): the incremental
 * receiver of one connection and the frame encoder. Every violation of RFC 6455 fails the
 * connection with the close code section 7.4.1 names (1002 framing, 1007 bad UTF-8, 1009 too
 * big); nothing of a broken message is ever returned. Pure computation, fuzzed by
 * fuzz/fuzz_ws_frame.c.
 */
#include <stdlib.h>
#include <string.h>

#include "bindings/ws_frame.h"
#include "m2msec/utf8.h"

struct m2mi_ws_rx {
	bool from_client;
	size_t max_msg;
	/* the frame being read */
	uint8_t hdr[M2MI_WS_HEADER_MAX];
	size_t hlen, hneed;
	bool in_payload, fin, masked;
	int opcode;
	uint64_t plen, pgot;
	uint8_t key[4];
	/* the data message being reassembled (section 5.4) and the last control frame */
	int msg_op;              /* 0 none, TEXT or BINARY while fragments arrive */
	uint8_t *msg;
	size_t mlen, mcap;
	bool msg_returned;       /* msg was handed out: forget it at the next feed */
	uint8_t ctl[M2MI_WS_CONTROL_MAX];
	/* terminal states */
	m2m_err err;
	uint16_t fail;
	bool closed;
};

m2mi_ws_rx *m2mi_ws_rx_new(bool from_client, size_t max_msg)
{
	m2mi_ws_rx *rx = calloc(1, sizeof(*rx));

	if (rx == NULL)
		return NULL;
	rx->from_client = from_client;
	rx->max_msg = max_msg ? max_msg : M2MI_WS_DEFAULT_MAX_MSG;
	rx->hneed = 2;
	return rx;
}

void m2mi_ws_rx_free(m2mi_ws_rx *rx)
{
	if (rx == NULL)
		return;
	free(rx->msg);
	free(rx);
}

uint16_t m2mi_ws_rx_fail_code(const m2mi_ws_rx *rx)
{
	return rx != NULL ? rx->fail : 0;
}

static m2m_err fail(m2mi_ws_rx *rx, m2m_err err, uint16_t code)
{
	rx->err = err;
	rx->fail = code;
	free(rx->msg); /* nothing of a broken message survives */
	rx->msg = NULL;
	rx->mlen = rx->mcap = 0;
	return err;
}

bool m2mi_ws_close_code_ok(uint16_t code)
{
	/* Section 7.4.1 defines 1000-1003 and 1007-1011 (1004 reserved; 1005, 1006 and 1015 must
	 * never be on the wire); 1012-1014 were registered since (IANA "WebSocket Close Code
	 * Number Registry"); 3000-4999 belong to libraries and applications (section 7.4.2). */
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/* Text must be UTF-8 (section 8.1). U+0000 is valid UTF-8 but m2m_utf8_valid refuses it (it
 * guards identifiers), so check the runs between NUL bytes: a NUL is never part of a
 * multi-byte sequence. */
static bool text_ok(const uint8_t *p, size_t n)
{
	while (n > 0) {
		const uint8_t *z = memchr(p, 0, n);
		size_t seg = z != NULL ? (size_t)(z - p) : n;

		if (seg > 0 && !m2m_utf8_valid((const char *)p, seg))
			return false;
		if (z == NULL)
			break;
		p = z + 1;
		n -= seg + 1;
	}
	return true;
}

static bool op_known(int op)
{
	return op == M2MI_WS_OP_CONT || op == M2MI_WS_OP_TEXT || op == M2MI_WS_OP_BINARY || op == M2MI_WS_OP_CLOSE ||
	       op == M2MI_WS_OP_PING || op == M2MI_WS_OP_PONG;
}

/* The header is complete in rx->hdr: check it against sections 5.1, 5.2, 5.4 and 5.5. */
static m2m_err header_done(m2mi_ws_rx *rx)
{
	const uint8_t *h = rx->hdr;
	uint8_t n7 = h[1] & 0x7f;
	size_t at = 2;

	rx->fin = (h[0] & 0x80) != 0;
	rx->opcode = h[0] & 0x0f;
	rx->masked = (h[1] & 0x80) != 0;
	if ((h[0] & 0x70) != 0) /* RSV1-3 without a negotiated extension (section 5.2) */
		return fail(rx, M2M_E_PROTO, M2MI_WS_CLOSE_PROTOCOL);
	if (!op_known(rx->opcode))
		return fail(rx, M2M_E_PROTO, M2MI_WS_CLOSE_PROTOCOL);
	if (rx->masked != rx->from_client) /* section 5.1: client frames masked, server frames not */
		return fail(rx, M2M_E_PROTO, M2MI_WS_CLOSE_PROTOCOL);
	if (n7 == 126) {
		rx->plen = ((uint64_t)h[2] << 8) | h[3];
		at = 4;
		if (rx->plen < 126) /* section 5.2: "the minimal number of bytes MUST be used" */
			return fail(rx, M2M_E_PROTO, M2MI_WS_CLOSE_PROTOCOL);
	} else if (n7 == 127) {
		rx->plen = 0;
		for (int i = 0; i < 8; i++)
			rx->plen = (rx->plen << 8) | h[2 + i];
		at = 10;
		if ((rx->plen >> 63) != 0 || rx->plen <= 0xffff) /* MSB must be 0; minimal encoding */
			return fail(rx, M2M_E_PROTO, M2MI_WS_CLOSE_PROTOCOL);
	} else {
		rx->plen = n7;
	}
	if (rx->masked)
		memcpy(rx->key, h + at, 4);
	if (rx->opcode & 0x8) {
		/* Control frames: not fragmented, at most 125 bytes (section 5.5); they may come
		 * between the fragments of a message (section 5.4). */
		if (!rx->fin || rx->plen > M2MI_WS_CONTROL_MAX)
			return fail(rx, M2M_E_PROTO, M2MI_WS_CLOSE_PROTOCOL);
	} else if (rx->opcode == M2MI_WS_OP_CONT) {
		if (rx->msg_op == 0) /* a continuation with no message started */
			return fail(rx, M2M_E_PROTO, M2MI_WS_CLOSE_PROTOCOL);
	} else {
		if (rx->msg_op != 0) /* a new message before the last one's FIN */
			return fail(rx, M2M_E_PROTO, M2MI_WS_CLOSE_PROTOCOL);
		rx->msg_op = rx->opcode;
		rx->mlen = 0;
	}
	if (!(rx->opcode & 0x8) && rx->plen > rx->max_msg - rx->mlen)
		return fail(rx, M2M_E_TOO_LARGE, M2MI_WS_CLOSE_TOO_BIG);
	rx->in_payload = true;
	rx->pgot = 0;
	return M2M_OK;
}

/* Room for n more message bytes (n fits under max_msg: header_done checked it). */
static m2m_err msg_room(m2mi_ws_rx *rx, size_t n)
{
	size_t want = rx->mlen + n, cap;
	uint8_t *p;

	if (want <= rx->mcap)
		return M2M_OK;
	cap = rx->mcap ? rx->mcap : 256;
	while (cap < want)
		cap = cap > rx->max_msg / 2 ? rx->max_msg : cap * 2;
	if ((p = realloc(rx->msg, cap)) == NULL)
		return fail(rx, M2M_E_NOMEM, M2MI_WS_CLOSE_INTERNAL);
	rx->msg = p;
	rx->mcap = cap;
	return M2M_OK;
}

/* The frame's payload is complete: a unit for the caller, or 0 (a non-final fragment). */
static m2m_err frame_done(m2mi_ws_rx *rx, m2mi_ws_msg *msg)
{
	rx->in_payload = false;
	rx->hlen = 0;
	rx->hneed = 2;
	if (rx->opcode == M2MI_WS_OP_CLOSE) {
		msg->close_code = M2MI_WS_CLOSE_NO_STATUS;
		if (rx->plen == 1) /* a body is a 2-byte code and an optional reason (section 5.5.1) */
			return fail(rx, M2M_E_PROTO, M2MI_WS_CLOSE_PROTOCOL);
		if (rx->plen >= 2) {
			msg->close_code = (uint16_t)((rx->ctl[0] << 8) | rx->ctl[1]);
			if (!m2mi_ws_close_code_ok(msg->close_code))
				return fail(rx, M2M_E_PROTO, M2MI_WS_CLOSE_PROTOCOL);
			if (!text_ok(rx->ctl + 2, (size_t)rx->plen - 2))
				return fail(rx, M2M_E_PROTO, M2MI_WS_CLOSE_BAD_DATA);
			msg->data = rx->ctl + 2;
			msg->len = (size_t)rx->plen - 2;
		}
		msg->opcode = M2MI_WS_OP_CLOSE;
		rx->closed = true;
		return M2M_OK;
	}
	if (rx->opcode & 0x8) {
		msg->opcode = rx->opcode;
		msg->data = rx->ctl;
		msg->len = (size_t)rx->plen;
		return M2M_OK;
	}
	if (!rx->fin)
		return M2M_OK;
	if (rx->msg_op == M2MI_WS_OP_TEXT && !text_ok(rx->msg, rx->mlen))
		return fail(rx, M2M_E_PROTO, M2MI_WS_CLOSE_BAD_DATA);
	msg->opcode = rx->msg_op;
	msg->data = rx->msg;
	msg->len = rx->mlen;
	rx->msg_returned = true;
	return M2M_OK;
}

m2m_err m2mi_ws_rx_feed(m2mi_ws_rx *rx, const uint8_t *buf, size_t len, size_t *used, m2mi_ws_msg *msg)
{
	size_t pos = 0;
	m2m_err rc;

	if (used != NULL)
		*used = 0;
	if (rx == NULL || used == NULL || msg == NULL || (buf == NULL && len > 0))
		return M2M_E_INVAL;
	if (buf == NULL) /* len 0: no arithmetic on a null pointer below (C17 6.5.6) */
		buf = (const uint8_t *)"";
	*msg = (m2mi_ws_msg){0};
	if (rx->err != M2M_OK)
		return rx->err;
	if (rx->closed) /* nothing may follow a Close frame (section 5.5.1) */
		return M2M_E_PROTO;
	if (rx->msg_returned) {
		rx->msg_returned = false;
		rx->msg_op = 0;
		rx->mlen = 0;
	}
	for (;;) {
		if (!rx->in_payload) {
			size_t take = rx->hneed - rx->hlen;

			if (take > len - pos)
				take = len - pos;
			memcpy(rx->hdr + rx->hlen, buf + pos, take);
			rx->hlen += take;
			pos += take;
			if (rx->hlen < rx->hneed)
				break;
			if (rx->hneed == 2) {
				uint8_t n7 = rx->hdr[1] & 0x7f;
				rx->hneed = 2 + (n7 == 126 ? 2 : n7 == 127 ? 8 : 0) + ((rx->hdr[1] & 0x80) ? 4 : 0);
				if (rx->hneed > 2)
					continue;
			}
			if ((rc = header_done(rx)) != M2M_OK)
				return rc;
		}
		{
			uint64_t left = rx->plen - rx->pgot;
			size_t take = left < (uint64_t)(len - pos) ? (size_t)left : len - pos;
			uint8_t *dst;

			if (take > 0) {
				if (rx->opcode & 0x8) {
					dst = rx->ctl + rx->pgot;
				} else {
					if ((rc = msg_room(rx, take)) != M2M_OK)
						return rc;
					dst = rx->msg + rx->mlen;
				}
				memcpy(dst, buf + pos, take);
				if (rx->masked)
					m2mi_ws_mask(dst, take, rx->key, rx->pgot);
			}
			if (!(rx->opcode & 0x8))
				rx->mlen += take;
			rx->pgot += take;
			pos += take;
			if (rx->pgot < rx->plen)
				break;
			if ((rc = frame_done(rx, msg)) != M2M_OK)
				return rc;
			if (msg->opcode != 0)
				break;
		}
	}
	*used = pos;
	return M2M_OK;
}

void m2mi_ws_mask(uint8_t *p, size_t n, const uint8_t key[4], uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= key[(off + i) & 3];
}

size_t m2mi_ws_header(uint8_t out[M2MI_WS_HEADER_MAX], int opcode, bool fin, uint64_t len, const uint8_t *mask)
{
	uint8_t m = mask != NULL ? 0x80 : 0;
	size_t n;

	if (!op_known(opcode) || (len >> 63) != 0)
		return 0;
	if ((opcode & 0x8) && (!fin || len > M2MI_WS_CONTROL_MAX))
		return 0;
	out[0] = (uint8_t)((fin ? 0x80 : 0) | opcode);
	if (len < 126) {
		out[1] = (uint8_t)(m | len);
		n = 2;
	} else if (len <= 0xffff) {
		out[1] = m | 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		n = 4;
	} else {
		out[1] = m | 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		n = 10;
	}
	if (mask != NULL) {
		memcpy(out + n, mask, 4);
		n += 4;
	}
	return n;
}

size_t m2mi_ws_close_body(uint8_t out[M2MI_WS_CONTROL_MAX], uint16_t code, const char *reason)
{
	size_t rl = reason != NULL ? strlen(reason) : 0;

	if (!m2mi_ws_close_code_ok(code))
		return 0;
	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	if (rl > M2MI_WS_CONTROL_MAX - 2) {
		rl = M2MI_WS_CONTROL_MAX - 2;
		while (rl > 0 && ((unsigned char)reason[rl] & 0xc0) == 0x80) /* not inside a character */
			rl--;
	}
	if (rl > 0)
		memcpy(out + 2, reason, rl);
	return 2 + rl;
}
