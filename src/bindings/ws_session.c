/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements one WebSocket session of the WebSocket binding (TS-0020 V3.0.1 clause 6.3
 * "Closing WebSocket connection", RFC 6455 sections 5.5 and 7): the receiver's units become
 * callbacks (text), Pongs (Ping) and the closing handshake; every frame we send is queued in one
 * bounded output buffer the transport drains.
 */
#include <stdlib.h>
#include <string.h>

#include "bindings/ws_frame.h"
#include "bindings/ws_session.h"

struct m2mi_ws_session {
	m2mi_ws_rx *rx;
	m2mi_ws_text_fn fn;
	void *ctx;
	uint8_t *out;
	size_t olen, ocap, max_out;
	uint16_t sent_code;   /* the code of the Close we sent, 0 none */
	bool sent_close;
	bool done;
};

m2mi_ws_session *m2mi_ws_session_new(size_t max_msg, size_t max_out, m2mi_ws_text_fn fn, void *ctx)
{
	m2mi_ws_session *s;

	if (fn == NULL || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->rx = m2mi_ws_rx_new(true, max_msg)) == NULL) {
		free(s);
		return NULL;
	}
	s->fn = fn;
	s->ctx = ctx;
	s->max_out = max_out ? max_out : 4 * (max_msg ? max_msg : M2MI_WS_DEFAULT_MAX_MSG) + 1024;
	return s;
}

void m2mi_ws_session_free(m2mi_ws_session *s)
{
	if (s == NULL)
		return;
	m2mi_ws_rx_free(s->rx);
	free(s->out);
	free(s);
}

/* Append one unmasked frame; force: a Close that must go out even over max_out. */
static m2m_err queue(m2mi_ws_session *s, int opcode, const uint8_t *p, size_t n, bool force)
{
	uint8_t h[M2MI_WS_HEADER_MAX];
	size_t hl = m2mi_ws_header(h, opcode, true, n, NULL), want;

	if (hl == 0)
		return M2M_E_INVAL;
	want = s->olen + hl + n;
	if (!force && want > s->max_out)
		return M2M_E_TOO_LARGE;
	if (want > s->ocap) {
		size_t cap = s->ocap ? s->ocap : 512;
		uint8_t *q;

		while (cap < want)
			cap *= 2;
		if ((q = realloc(s->out, cap)) == NULL)
			return M2M_E_NOMEM;
		s->out = q;
		s->ocap = cap;
	}
	memcpy(s->out + s->olen, h, hl);
	if (n > 0)
		memcpy(s->out + s->olen + hl, p, n);
	s->olen = want;
	return M2M_OK;
}

/* Send our Close (once). code 1005 (the peer's Close had none) is answered with an empty body. */
static m2m_err send_close(m2mi_ws_session *s, uint16_t code, const char *reason)
{
	uint8_t body[M2MI_WS_CONTROL_MAX];
	size_t n = code == M2MI_WS_CLOSE_NO_STATUS ? 0 : m2mi_ws_close_body(body, code, reason);

	if (s->sent_close)
		return M2M_OK;
	s->sent_close = true;
	s->sent_code = code;
	return queue(s, M2MI_WS_OP_CLOSE, body, n, true);
}

/* Fail the WebSocket connection (RFC 6455 section 7.1.7): our Close with code, then done. */
static m2m_err fail(m2mi_ws_session *s, uint16_t code, const char *reason)
{
	m2m_err rc = send_close(s, code, reason);

	s->done = true;
	return rc == M2M_E_NOMEM ? rc : M2M_OK;
}

m2m_err m2mi_ws_session_input(m2mi_ws_session *s, const uint8_t *buf, size_t len)
{
	size_t pos = 0;

	if (s == NULL || (buf == NULL && len > 0))
		return M2M_E_INVAL;
	while (pos < len && !s->done) {
		m2mi_ws_msg msg;
		size_t used = 0;
		m2m_err rc = m2mi_ws_rx_feed(s->rx, buf + pos, len - pos, &used, &msg);

		pos += used;
		if (rc != M2M_OK) {
			uint16_t code = m2mi_ws_rx_fail_code(s->rx);
			return fail(s, code ? code : M2MI_WS_CLOSE_PROTOCOL, "protocol error");
		}
		switch (msg.opcode) {
		case 0:
			break;
		case M2MI_WS_OP_TEXT:
			if (!s->sent_close) /* after our Close, data is discarded */
				s->fn(s->ctx, s, msg.data, msg.len);
			break;
		case M2MI_WS_OP_BINARY: /* oneM2M.cbor is not served: TS-0020 Table 6.2.2.9-1 */
			if (!s->sent_close)
				return fail(s, M2MI_WS_CLOSE_UNSUPPORTED, "only oneM2M.json text messages");
			break;
		case M2MI_WS_OP_PING:
			if (!s->sent_close) {
				rc = queue(s, M2MI_WS_OP_PONG, msg.data, msg.len, false);
				if (rc == M2M_E_TOO_LARGE)
					return fail(s, M2MI_WS_CLOSE_POLICY, "output queue full");
				if (rc != M2M_OK) {
					(void)fail(s, M2MI_WS_CLOSE_INTERNAL, NULL);
					return rc;
				}
			}
			break;
		case M2MI_WS_OP_CLOSE: /* echo the code (section 5.5.1), or end our own handshake */
			rc = send_close(s, msg.close_code, NULL);
			s->done = true;
			return rc;
		default: /* Pong: unsolicited ones are allowed and ignored (section 5.5.3) */
			break;
		}
	}
	return M2M_OK;
}

m2m_err m2mi_ws_session_send_text(m2mi_ws_session *s, const char *data, size_t len)
{
	m2m_err rc;

	if (s == NULL || (data == NULL && len > 0))
		return M2M_E_INVAL;
	if (s->sent_close || s->done)
		return M2M_E_PROTO;
	rc = queue(s, M2MI_WS_OP_TEXT, (const uint8_t *)data, len, false);
	if (rc == M2M_E_TOO_LARGE) {
		(void)fail(s, M2MI_WS_CLOSE_POLICY, "output queue full");
		return M2M_E_PROTO;
	}
	return rc;
}

void m2mi_ws_session_close(m2mi_ws_session *s, uint16_t code, const char *reason)
{
	if (s != NULL && !s->done)
		(void)send_close(s, code, reason);
}

const uint8_t *m2mi_ws_session_output(const m2mi_ws_session *s, size_t *len)
{
	*len = s != NULL ? s->olen : 0;
	return s != NULL && s->olen > 0 ? s->out : NULL;
}

void m2mi_ws_session_consumed(m2mi_ws_session *s, size_t n)
{
	if (s == NULL || n == 0)
		return;
	if (n >= s->olen) {
		s->olen = 0;
		return;
	}
	memmove(s->out, s->out + n, s->olen - n);
	s->olen -= n;
}

bool m2mi_ws_session_done(const m2mi_ws_session *s)
{
	return s == NULL || s->done;
}

uint16_t m2mi_ws_session_sent_code(const m2mi_ws_session *s)
{
	return s != NULL ? s->sent_code : 0;
}
