/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the WebSocket opening handshake check of the
 * WebSocket binding (TS-0020 V3.0.1 clause 6.2, RFC 6455 section 4.2): a client handshake given
 * as method, request-target and header list (as the HTTP server already parsed and size-checked
 * it) is accepted with the oneM2M.json subprotocol or refused with the HTTP status to answer.
 * Pure computation (OpenSSL SHA-1 for Sec-WebSocket-Accept), fuzzed by fuzz/fuzz_ws_handshake.c.
 */
#ifndef M2M_BINDINGS_WS_HANDSHAKE_H
#define M2M_BINDINGS_WS_HANDSHAKE_H

#include <stddef.h>

#include "m2msec/err.h"
#include "m2msec/http.h"

#define M2MI_WS_SUBPROTOCOL "oneM2M.json" /* TS-0020 Table 6.2.2.9-1, the only one we serve */
#define M2MI_WS_ACCEPT_LEN 28             /* base64 of a SHA-1 digest */

typedef struct m2mi_ws_hs {
	int status;            /* 101 accepted; else the refusal: 400, 404, 405 or 426 */
	const char *why;       /* fixed text naming the refused rule (for logs and the body) */
	char accept[M2MI_WS_ACCEPT_LEN + 1]; /* Sec-WebSocket-Accept (status 101) */
} m2mi_ws_hs;

/*
 * Check a client opening handshake (RFC 6455 section 4.2.1, TS-0020 clause 6.2.2): method GET
 * (else 405), request-target "/" (TS-0020 clause 6.2.2.1; else 404), Host present, Upgrade
 * naming "websocket" and Connection naming "Upgrade" (case-insensitive tokens, any header
 * count), exactly one Sec-WebSocket-Key whose value is base64 of 16 bytes, exactly one
 * Sec-WebSocket-Version "13" (else 426, section 4.4), and "oneM2M.json" among the
 * Sec-WebSocket-Protocol names (one or more headers, TS-0020 clause 6.2.2.7; else 400).
 * Sec-WebSocket-Extensions is ignored: no compression is accepted (TS-0020 clause 6.2.3.6).
 * Returns M2M_OK when out was filled (accepted or refused), M2M_E_INVAL on a NULL argument,
 * M2M_E_CRYPTO when SHA-1 failed.
 */
M2M_WUR m2m_err m2mi_ws_handshake_check(const char *method, const char *target, const m2m_http_header *h,
					size_t nh, m2mi_ws_hs *out);

/* Sec-WebSocket-Accept of key (RFC 6455 section 4.2.2 step 5.4): base64(SHA-1(key || GUID)). */
M2M_WUR m2m_err m2mi_ws_accept(const char *key, size_t key_len, char out[M2MI_WS_ACCEPT_LEN + 1]);

/*
 * The server handshake of an accepted check (TS-0020 clause 6.2.3): status line 101 and the
 * Upgrade, Connection, Sec-WebSocket-Accept and Sec-WebSocket-Protocol fields, CRLF-terminated,
 * into out. Returns the length, 0 when out is too small (256 bytes always suffice) or hs was
 * not an acceptance.
 */
size_t m2mi_ws_handshake_response(const m2mi_ws_hs *hs, char *out, size_t cap);

#endif
