/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/ws_handshake.c: the RFC 6455 section 1.3
 * Sec-WebSocket-Key / Sec-WebSocket-Accept pair, the TS-0020 clause 6.2.2 client handshake and
 * every refusal with its HTTP status.
 */
#include <stdlib.h>
#include "m2m_test.h"
#include "bindings/ws_handshake.h"

#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/* The TS-0020 Annex A.1 client handshake (its key; the accept is computed, see test_accept). */
static m2m_http_header good[] = {
	{"Host", "mncse1234.net:9000"},
	{"Upgrade", "WebSocket"},
	{"Connection", "Upgrade"},
	{"Sec-WebSocket-Key", RFC_KEY},
	{"Sec-WebSocket-Protocol", "oneM2M.json, oneM2M.xml"},
	{"Sec-WebSocket-Version", "13"},
};

static int check(const char *method, const char *target, const m2m_http_header *h, size_t nh, m2mi_ws_hs *hs)
{
	assert_int_equal(m2mi_ws_handshake_check(method, target, h, nh, hs), M2M_OK);
	return hs->status;
}

/* good with header i replaced by (name, value); value NULL drops it. */
static int with(size_t i, const char *name, const char *value)
{
	m2m_http_header h[M2M_ARRAY_LEN(good)];
	m2mi_ws_hs hs;
	size_t n = 0;

	for (size_t j = 0; j < M2M_ARRAY_LEN(good); j++) {
		if (j == i && value == NULL)
			continue;
		h[n++] = j == i ? (m2m_http_header){name, value} : good[j];
	}
	return check("GET", "/", h, n, &hs);
}

/* good plus one more header. */
static int plus(const char *name, const char *value)
{
	m2m_http_header h[M2M_ARRAY_LEN(good) + 1];
	m2mi_ws_hs hs;

	memcpy(h, good, sizeof(good));
	h[M2M_ARRAY_LEN(good)] = (m2m_http_header){name, value};
	return check("GET", "/", h, M2M_ARRAY_LEN(h), &hs);
}

static void test_accept(void **state)
{
	char out[M2MI_WS_ACCEPT_LEN + 1];

	/* RFC 6455 section 1.3 */
	assert_int_equal(m2mi_ws_accept(RFC_KEY, strlen(RFC_KEY), out), M2M_OK);
	assert_string_equal(out, RFC_ACCEPT);
	/* TS-0020 clause 5.2 and Annex A.1 print "FuSSKANnI7C/6/FrPMt70mfBY8E=" as the accept of
	 * "ud63env87LQLd4uIV20/oQ==": that pair is inconsistent with RFC 6455 section 4.2.2 (which
	 * TS-0020 clause 6.2.3.4 normatively cites); SHA-1 gives this value. */
	assert_int_equal(m2mi_ws_accept("ud63env87LQLd4uIV20/oQ==", 24, out), M2M_OK);
	assert_string_equal(out, "5thN0mVgdTFTgHSjknHQ8H0EtnM=");
	assert_int_equal(m2mi_ws_accept(NULL, 0, out), M2M_E_INVAL);
}

static void test_accepted(void **state)
{
	m2mi_ws_hs hs;
	char rsp[256];
	size_t n;
	/* several Sec-WebSocket-Protocol headers, token lists, case-insensitive tokens and OWS */
	m2m_http_header h[] = {
		{"host", "cse.example.net"},
		{"upgrade", "websocket"},
		{"connection", "keep-alive, upgrade"},
		{"sec-websocket-key", " " RFC_KEY " "},
		{"Sec-WebSocket-Protocol", "oneM2M.xml"},
		{"Sec-WebSocket-Protocol", "oneM2M.cbor ,oneM2M.json"},
		{"Sec-WebSocket-Extensions", "permessage-deflate"},
		{"sec-websocket-version", "13"},
	};

	assert_int_equal(check("GET", "/", good, M2M_ARRAY_LEN(good), &hs), 101);
	assert_string_equal(hs.accept, RFC_ACCEPT);
	assert_int_equal(check("GET", "/", h, M2M_ARRAY_LEN(h), &hs), 101);
	assert_string_equal(hs.accept, RFC_ACCEPT);
	n = m2mi_ws_handshake_response(&hs, rsp, sizeof(rsp));
	assert_true(n > 0);
	assert_int_equal(n, strlen(rsp));
	/* TS-0020 clause 6.2.3: no Sec-WebSocket-Extensions (no compression accepted) */
	assert_string_equal(rsp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
				 "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\nSec-WebSocket-Protocol: oneM2M.json\r\n\r\n");
	assert_int_equal(m2mi_ws_handshake_response(&hs, rsp, 20), 0);
}

static void test_refused(void **state)
{
	m2mi_ws_hs hs;
	char rsp[256];

	/* RFC 6455 section 4.1 item 2 and TS-0020 clause 6.2.2.1: GET / */
	assert_int_equal(check("POST", "/", good, M2M_ARRAY_LEN(good), &hs), 405);
	assert_int_equal(m2mi_ws_handshake_response(&hs, rsp, sizeof(rsp)), 0);
	assert_int_equal(check("GET", "/cse", good, M2M_ARRAY_LEN(good), &hs), 404);
	assert_int_equal(check("GET", "/?x=1", good, M2M_ARRAY_LEN(good), &hs), 404);
	/* Host: absent, repeated */
	assert_int_equal(with(0, "Host", NULL), 400);
	assert_int_equal(plus("Host", "other"), 400);
	/* Upgrade and Connection */
	assert_int_equal(with(1, "Upgrade", NULL), 400);
	assert_int_equal(with(1, "Upgrade", "h2c"), 400);
	assert_int_equal(with(1, "Upgrade", "websockets"), 400);
	assert_int_equal(with(2, "Connection", "keep-alive"), 400);
	assert_int_equal(with(2, "Connection", NULL), 400);
	/* Sec-WebSocket-Key: absent, repeated, not 16 bytes, not base64 */
	assert_int_equal(with(3, "Sec-WebSocket-Key", NULL), 400);
	assert_int_equal(plus("Sec-WebSocket-Key", RFC_KEY), 400);
	assert_int_equal(with(3, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ="), 400);
	assert_int_equal(with(3, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZXg="), 400); /* 17 bytes */
	assert_int_equal(with(3, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25j*Q=="), 400);
	assert_int_equal(with(3, "Sec-WebSocket-Key", ""), 400);
	/* RFC 6455 section 4.4: another version is 426 */
	assert_int_equal(with(5, "Sec-WebSocket-Version", "8"), 426);
	assert_int_equal(with(5, "Sec-WebSocket-Version", "13, 8"), 426);
	assert_int_equal(with(5, "Sec-WebSocket-Version", NULL), 426);
	assert_int_equal(plus("Sec-WebSocket-Version", "13"), 426);
	/* TS-0020 clause 6.2.2.7: oneM2M.json must be offered (names are case-sensitive) */
	assert_int_equal(with(4, "Sec-WebSocket-Protocol", NULL), 400);
	assert_int_equal(with(4, "Sec-WebSocket-Protocol", "oneM2M.xml, oneM2M.cbor"), 400);
	assert_int_equal(with(4, "Sec-WebSocket-Protocol", "onem2m.json"), 400);
	assert_int_equal(with(4, "Sec-WebSocket-Protocol", "oneM2M.json2"), 400);
	assert_string_equal(hs.why, "the WebSocket resource is /");
	assert_int_equal(m2mi_ws_handshake_check("GET", "/", good, M2M_ARRAY_LEN(good), NULL), M2M_E_INVAL);
	assert_int_equal(m2mi_ws_handshake_check(NULL, "/", good, M2M_ARRAY_LEN(good), &hs), M2M_E_INVAL);
	assert_int_equal(m2mi_ws_handshake_check("GET", "/", NULL, 1, &hs), M2M_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
