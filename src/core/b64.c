/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements strict standard base64 (RFC 4648 clause 4) for the GBA B-TID (3GPP TS
 * 33.220 clause 4.5.2) and the HTTP Digest AKA nonce (RFC 3310 clause 3.2) on top of OpenSSL's
 * EVP_EncodeBlock / EVP_DecodeBlock. OpenSSL's decoder is lenient (white space, padding counted
 * into the length), so the text is validated here first and only the canonical form is accepted:
 * a B-TID or nonce has exactly one spelling, which makes tampering detectable as a mismatch.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/b64_int.h"
#include "m2msec/mem.h"

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

m2m_err m2mi_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	if ((in == NULL && n > 0) || out == NULL || n > (size_t)INT32_MAX / 2)
		return M2M_E_INVAL;
	if (cap < M2MI_B64_LEN(n) + 1)
		return M2M_E_RANGE;
	if (n == 0) {
		out[0] = '\0';
		return M2M_OK;
	}
	/* EVP_EncodeBlock writes the NUL too and inserts no line breaks. */
	return EVP_EncodeBlock((unsigned char *)out, in, (int)n) == (int)M2MI_B64_LEN(n) ? M2M_OK : M2M_E_CRYPTO;
}

m2m_err m2mi_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t pad = 0, n;
	uint8_t *tmp;
	int v, got;

	if (outlen != NULL)
		*outlen = 0;
	if (s == NULL || out == NULL || outlen == NULL)
		return M2M_E_INVAL;
	if (len == 0 || len % 4 != 0 || len > (size_t)INT32_MAX / 2)
		return M2M_E_PROTO;
	if (s[len - 1] == '=')
		pad = s[len - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < len - pad; i++)
		if (b64_val(s[i]) < 0)
			return M2M_E_PROTO;
	/* canonical: the unused low bits of the last character are zero */
	v = b64_val(s[len - pad - 1]);
	if ((pad == 1 && (v & 0x3) != 0) || (pad == 2 && (v & 0xf) != 0))
		return M2M_E_PROTO;
	n = len / 4 * 3 - pad;
	if (n > cap)
		return M2M_E_TOO_LARGE;
	if ((tmp = malloc(len / 4 * 3)) == NULL)
		return M2M_E_NOMEM;
	got = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len);
	if (got != (int)(len / 4 * 3)) {
		m2m_freezero(tmp, len / 4 * 3);
		m2m_memzero(out, cap);
		return M2M_E_PROTO;
	}
	memcpy(out, tmp, n);
	m2m_freezero(tmp, len / 4 * 3);
	*outlen = n;
	return M2M_OK;
}

/* the base64url alphabet (RFC 4648 clause 5), for the character check only (no decoding here) */
static const bool url_char[256] = {
	['A'] = true, ['B'] = true, ['C'] = true, ['D'] = true, ['E'] = true, ['F'] = true, ['G'] = true,
	['H'] = true, ['I'] = true, ['J'] = true, ['K'] = true, ['L'] = true, ['M'] = true, ['N'] = true,
	['O'] = true, ['P'] = true, ['Q'] = true, ['R'] = true, ['S'] = true, ['T'] = true, ['U'] = true,
	['V'] = true, ['W'] = true, ['X'] = true, ['Y'] = true, ['Z'] = true, ['a'] = true, ['b'] = true,
	['c'] = true, ['d'] = true, ['e'] = true, ['f'] = true, ['g'] = true, ['h'] = true, ['i'] = true,
	['j'] = true, ['k'] = true, ['l'] = true, ['m'] = true, ['n'] = true, ['o'] = true, ['p'] = true,
	['q'] = true, ['r'] = true, ['s'] = true, ['t'] = true, ['u'] = true, ['v'] = true, ['w'] = true,
	['x'] = true, ['y'] = true, ['z'] = true, ['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true,
	['4'] = true, ['5'] = true, ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true, ['-'] = true,
	['_'] = true,
};

bool m2mi_b64url_chars(const char *s, size_t n)
{
	/* one table look-up per character: it runs over whole ESPrim objects on every request */
	for (size_t i = 0; i < n; i++)
		if (!url_char[(unsigned char)s[i]])
			return false;
	return true;
}
