/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements UTF-8 validation and NFKC normalisation (Unicode UAX #15) of identifiers
 * that feed a key derivation: TS-0003 clauses 10.3.2 (MAF-ID), 10.3.3 (Enrolee-B-ID) and 10.3.7
 * (Enrolment-Target-ID) all say "encoded as UTF-8 after NFKC normalisation". libunistring does
 * the normalisation; it is pure computation, no I/O.
 */
#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include <uninorm.h>

#include "m2msec/utf8.h"

bool m2m_utf8_is_ascii(const char *in, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)in[i] >= 0x80 || in[i] == '\0')
			return false;
	return true;
}

bool m2m_utf8_valid(const char *in, size_t len)
{
	if (in == NULL)
		return false;
	if (memchr(in, '\0', len) != NULL)
		return false;
	return u8_check((const uint8_t *)in, len) == NULL;
}

m2m_err m2m_utf8_nfkc(const char *in, size_t len, char **out, size_t *outlen)
{
	uint8_t *norm = NULL;
	size_t nlen = 0;
	char *s;

	if (out == NULL || outlen == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	*outlen = 0;
	if (in == NULL || len == 0)
		return M2M_E_ID_EMPTY;
	if (len > M2M_ID_MAX)
		return M2M_E_ID_TOO_LONG;
	if (m2m_utf8_is_ascii(in, len)) {
		if ((s = malloc(len + 1)) == NULL)
			return M2M_E_NOMEM;
		memcpy(s, in, len);
		s[len] = '\0';
		*out = s;
		*outlen = len;
		return M2M_OK;
	}
	if (!m2m_utf8_valid(in, len))
		return M2M_E_ID_BAD_UTF8;
	norm = u8_normalize(UNINORM_NFKC, (const uint8_t *)in, len, NULL, &nlen);
	if (norm == NULL)
		return M2M_E_NOMEM;
	if (nlen == 0 || nlen > M2M_ID_MAX || memchr(norm, '\0', nlen) != NULL) {
		free(norm);
		return nlen == 0 ? M2M_E_ID_EMPTY : nlen > M2M_ID_MAX ? M2M_E_ID_TOO_LONG : M2M_E_ID_BAD_UTF8;
	}
	if ((s = malloc(nlen + 1)) == NULL) {
		free(norm);
		return M2M_E_NOMEM;
	}
	memcpy(s, norm, nlen);
	s[nlen] = '\0';
	free(norm);
	*out = s;
	*outlen = nlen;
	return M2M_OK;
}
