/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the check of the WebSocket opening handshake of the WebSocket binding
 * (TS-0020 V3.0.1 clause 6.2.2, RFC 6455 section 4.2.1) and the server handshake we answer
 * (TS-0020 clause 6.2.3, RFC 6455 section 4.2.2). The TLS handshake (any SAEF, TS-0020 clause 7)
 * is complete before these bytes are read; this code only decides on the HTTP upgrade. Anything
 * missing, repeated where one is required or malformed is a refusal.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "bindings/ws_handshake.h"

/* RFC 6455 section 1.3: the GUID appended to the key. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether the comma-separated list v holds tok (OWS around elements ignored, RFC 9110 clause
 * 5.6.1); ci: compare case-insensitively (Upgrade, Connection tokens) or exactly (subprotocol
 * names, RFC 6455 section 11.3.4). */
static bool list_has(const char *v, const char *tok, bool ci)
{
	size_t tl = strlen(tok);

	while (*v != '\0') {
		const char *e;
		size_t n;

		while (ows(*v) || *v == ',')
			v++;
		e = v;
		while (*e != '\0' && *e != ',')
			e++;
		n = (size_t)(e - v);
		while (n > 0 && ows(v[n - 1]))
			n--;
		if (n == tl && (ci ? strncasecmp(v, tok, tl) == 0 : memcmp(v, tok, tl) == 0)) /* public: names */
			return true;
		v = e;
	}
	return false;
}

/* Any header named name whose list holds tok. */
static bool any_has(const m2m_http_header *h, size_t nh, const char *name, const char *tok, bool ci)
{
	for (size_t i = 0; i < nh; i++)
		if (h[i].name != NULL && h[i].value != NULL && strcasecmp(h[i].name, name) == 0 &&
		    list_has(h[i].value, tok, ci))
			return true;
	return false;
}

/* The one header named name: NULL when absent, *many when repeated. */
static const char *one(const m2m_http_header *h, size_t nh, const char *name, bool *many)
{
	const char *v = NULL;

	*many = false;
	for (size_t i = 0; i < nh; i++) {
		if (h[i].name == NULL || h[i].value == NULL || strcasecmp(h[i].name, name) != 0)
			continue;
		if (v != NULL)
			*many = true;
		v = h[i].value;
	}
	return v;
}

/* v without leading and trailing OWS: *start, *len. */
static void trim(const char *v, const char **start, size_t *len)
{
	size_t n;

	while (ows(*v))
		v++;
	n = strlen(v);
	while (n > 0 && ows(v[n - 1]))
		n--;
	*start = v;
	*len = n;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Base64 of exactly 16 bytes (RFC 6455 section 4.1 item 7): 22 symbols and "==". */
static bool key_ok(const char *k, size_t n)
{
	if (n != 24 || k[22] != '=' || k[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++)
		if (!b64_char(k[i]))
			return false;
	return true;
}

m2m_err m2mi_ws_accept(const char *key, size_t key_len, char out[M2MI_WS_ACCEPT_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	bool ok;

	if (key == NULL || out == NULL)
		return M2M_E_INVAL;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return M2M_E_NOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(ctx, key, key_len) == 1 &&
	     EVP_DigestUpdate(ctx, ws_guid, sizeof(ws_guid) - 1) == 1 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
	     mdlen == 20;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return M2M_E_CRYPTO;
	if (EVP_EncodeBlock((unsigned char *)out, md, 20) != M2MI_WS_ACCEPT_LEN)
		return M2M_E_CRYPTO;
	out[M2MI_WS_ACCEPT_LEN] = '\0';
	return M2M_OK;
}

static m2m_err refuse(m2mi_ws_hs *out, int status, const char *why)
{
	out->status = status;
	out->why = why;
	return M2M_OK;
}

m2m_err m2mi_ws_handshake_check(const char *method, const char *target, const m2m_http_header *h, size_t nh,
				m2mi_ws_hs *out)
{
	const char *key, *ver, *k;
	size_t klen, vlen;
	bool many = false;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = (m2mi_ws_hs){0};
	if (method == NULL || target == NULL || (h == NULL && nh > 0))
		return M2M_E_INVAL;
	if (strcmp(method, "GET") != 0) /* public: method token (RFC 6455 section 4.1 item 2) */
		return refuse(out, 405, "the opening handshake is a GET");
	if (strcmp(target, "/") != 0) /* public: TS-0020 clause 6.2.2.1 "GET / HTTP/1.1" */
		return refuse(out, 404, "the WebSocket resource is /");
	if (one(h, nh, "Host", &many) == NULL || many)
		return refuse(out, 400, "one Host header is required");
	if (!any_has(h, nh, "Upgrade", "websocket", true))
		return refuse(out, 400, "Upgrade: websocket is required");
	if (!any_has(h, nh, "Connection", "Upgrade", true))
		return refuse(out, 400, "Connection: Upgrade is required");
	ver = one(h, nh, "Sec-WebSocket-Version", &many);
	if (ver != NULL && !many)
		trim(ver, &ver, &vlen);
	if (ver == NULL || many || vlen != 2 || memcmp(ver, "13", 2) != 0) /* public: version */
		return refuse(out, 426, "Sec-WebSocket-Version 13 is required");
	key = one(h, nh, "Sec-WebSocket-Key", &many);
	if (key == NULL || many)
		return refuse(out, 400, "one Sec-WebSocket-Key is required");
	trim(key, &k, &klen);
	if (!key_ok(k, klen))
		return refuse(out, 400, "Sec-WebSocket-Key is not base64 of 16 bytes");
	if (!any_has(h, nh, "Sec-WebSocket-Protocol", M2MI_WS_SUBPROTOCOL, false))
		return refuse(out, 400, "the oneM2M.json subprotocol is required");
	if (m2mi_ws_accept(k, klen, out->accept) != M2M_OK) {
		*out = (m2mi_ws_hs){0};
		return M2M_E_CRYPTO;
	}
	out->status = 101;
	out->why = "accepted";
	return M2M_OK;
}

size_t m2mi_ws_handshake_response(const m2mi_ws_hs *hs, char *out, size_t cap)
{
	int n;

	if (hs == NULL || out == NULL || hs->status != 101 || strlen(hs->accept) != M2MI_WS_ACCEPT_LEN)
		return 0;
	n = snprintf(out, cap,
		     "HTTP/1.1 101 Switching Protocols\r\n"
		     "Upgrade: websocket\r\n"
		     "Connection: Upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n"
		     "Sec-WebSocket-Protocol: " M2MI_WS_SUBPROTOCOL "\r\n"
		     "\r\n",
		     hs->accept);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
