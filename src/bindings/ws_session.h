/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of one WebSocket session of the WebSocket binding
 * (TS-0020 V3.0.1 clauses 5.2 and 6.3, RFC 6455 sections 5.5 and 7): bytes in, bytes out. It owns
 * the frame receiver, answers Pings, runs the closing handshake and fails the connection with
 * the right close code; each complete text message (one serialized primitive, TS-0020 Table
 * 6.2.2.9-1 "oneM2M.json") goes to a callback, and answers are queued as text frames. Pure
 * computation: the transport only moves bytes between the socket and this object.
 */
#ifndef M2M_BINDINGS_WS_SESSION_H
#define M2M_BINDINGS_WS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"

typedef struct m2mi_ws_session m2mi_ws_session;

/* One complete text message (valid UTF-8, at most max_msg bytes, not NUL-terminated). It may
 * call m2mi_ws_session_send_text / _close on s. */
typedef void (*m2mi_ws_text_fn)(void *ctx, m2mi_ws_session *s, const uint8_t *data, size_t len);

/*
 * A server-side session: client frames must be masked. max_msg: the largest message received
 * (0 = M2MI_WS_DEFAULT_MAX_MSG); max_out: the largest queued output before the session fails
 * with 1008 (0 = 4 x max_msg + 1024): a peer that does not read its answers cannot make us
 * buffer without bound. NULL: no memory or fn NULL.
 */
m2mi_ws_session *m2mi_ws_session_new(size_t max_msg, size_t max_out, m2mi_ws_text_fn fn, void *ctx);
void m2mi_ws_session_free(m2mi_ws_session *s);

/*
 * Process received bytes (all of them, any chunking). Text messages go to fn; a Ping is answered
 * by a Pong with its payload; a Pong is ignored; a binary message fails the session with 1003
 * (only oneM2M.json is served); a Close is answered with a Close of the same code (none when it
 * had none) unless we sent ours first; a framing error queues a Close with its code (1002, 1007,
 * 1009). Data after our Close is discarded (RFC 6455 section 5.5.1). Returns M2M_OK, or
 * M2M_E_NOMEM (the session is then done). Bytes given to a done session are ignored.
 */
M2M_WUR m2m_err m2mi_ws_session_input(m2mi_ws_session *s, const uint8_t *buf, size_t len);

/* Queue one text message (unmasked, server role). M2M_E_PROTO once a Close was sent (no data
 * may follow it), M2M_E_NOMEM, M2M_E_INVAL. */
M2M_WUR m2m_err m2mi_ws_session_send_text(m2mi_ws_session *s, const char *data, size_t len);
/* Start the closing handshake (e.g. 1001 at server stop); no-op when a Close was already sent.
 * The session is done when the peer's Close arrives. */
void m2mi_ws_session_close(m2mi_ws_session *s, uint16_t code, const char *reason);

/* Queued output: write *len bytes from the returned pointer, then report what was written. */
const uint8_t *m2mi_ws_session_output(const m2mi_ws_session *s, size_t *len);
void m2mi_ws_session_consumed(m2mi_ws_session *s, size_t n);
/* No more input is wanted: close the socket once the output is written. */
bool m2mi_ws_session_done(const m2mi_ws_session *s);
/* The close code we sent (0 none yet). */
uint16_t m2mi_ws_session_sent_code(const m2mi_ws_session *s);

#endif
