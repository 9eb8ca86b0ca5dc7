/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements hex encoding/decoding (XML Schema hexBinary, used by KeID and the MAF key
 * identifier, TS-0003 clauses 10.3.4 and 10.3.5). Decoding is branch-free per digit so that a key
 * read from a file does not leak its value through timing.
 */
#include "m2msec/hex.h"
#include "m2msec/mem.h"

m2m_err m2m_hex_encode(const uint8_t *in, size_t len, bool upper, char *out, size_t outcap)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	if ((in == NULL && len > 0) || out == NULL)
		return M2M_E_INVAL;
	if (len > (SIZE_MAX - 1) / 2 || outcap < 2 * len + 1)
		return M2M_E_RANGE;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return M2M_OK;
}

/* Returns the nibble value, or -1 for a non-hex character, without data-dependent branches. */
static int hex_nibble(unsigned char c)
{
	int d = c - '0', u = (c | 0x20) - 'a' + 10;
	int is_d = ((d >= 0) & (d <= 9));
	int is_u = ((u >= 10) & (u <= 15));
	return (is_d * d) | (is_u * u) | (((is_d | is_u) - 1) & -1);
}

m2m_err m2m_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outcap, size_t *outlen)
{
	int bad = 0;

	if (outlen != NULL)
		*outlen = 0;
	if (hex == NULL || out == NULL || outlen == NULL)
		return M2M_E_INVAL;
	if (hexlen % 2 != 0)
		return M2M_E_ID_BAD_HEX;
	if (hexlen / 2 > outcap)
		return M2M_E_RANGE;
	for (size_t i = 0; i < hexlen / 2; i++) {
		int hi = hex_nibble((unsigned char)hex[2 * i]);
		int lo = hex_nibble((unsigned char)hex[2 * i + 1]);
		bad |= (hi | lo) < 0;
		out[i] = (uint8_t)(((unsigned)hi << 4) | ((unsigned)lo & 0x0f));
	}
	if (bad) {
		m2m_memzero(out, hexlen / 2);
		return M2M_E_ID_BAD_HEX;
	}
	*outlen = hexlen / 2;
	return M2M_OK;
}
