/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the Credential-ID (TS-0003 clause 10.4, type sec:credentialID of clause
 * 12.2): "<credIDTypeID>-<value>" where credIDTypeID is a value of sec:credIDTypeID (TS-0003
 * Table 12.3.2.1-1: 10..16, 30..34, 41..45, 51..55) and the value uses "the Roman alphabet,
 * numerals, '.', '_', '-', and '@'"; and the security usage identifier m2m:suid (TS-0004 Table
 * 6.3.4.2.39-1: 10..15, 21..25, 32..35, 40..45) written as a decimal string. Numbers are accepted
 * only in their canonical decimal spelling (no sign, no leading zero), so the canonical form of
 * both kinds is the input itself.
 */
#include <string.h>

#include "core/id_int.h"

static bool cred_type_valid(int t)
{
	return (t >= 10 && t <= 16) || (t >= 30 && t <= 34) || (t >= 41 && t <= 45) || (t >= 51 && t <= 55);
}

/* The value of a canonical decimal number of at most two digits in s[0..len), or -1. */
static int small_decimal(const char *s, size_t len)
{
	int v = 0;

	if (len == 0 || len > 2 || s[0] == '0')
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!m2mi_id_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool value_char(unsigned char c)
{
	return m2mi_id_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
	       c == '_' || c == '-' || c == '@';
}

m2m_err m2mi_credid_parse(const char *s, size_t len, m2m_id *id)
{
	const char *dash = memchr(s, '-', len);
	size_t tlen, vlen;
	m2mi_idbuf b = {0};
	m2m_err r;
	int type;

	if (dash == NULL || dash == s)
		return M2M_E_ID_BAD_FORM; /* no "<type>-" prefix */
	tlen = (size_t)(dash - s);
	vlen = len - tlen - 1;
	type = small_decimal(s, tlen);
	if (type < 0 || !cred_type_valid(type))
		return M2M_E_ID_BAD_TYPE;
	if (vlen == 0)
		return M2M_E_ID_BAD_FORM;
	for (size_t i = 0; i < vlen; i++)
		if (!value_char((unsigned char)dash[1 + i]))
			return M2M_E_ID_BAD_CHAR;
	id->number = type;
	if ((r = m2mi_id_dup(&id->relative, dash + 1, vlen)) != M2M_OK)
		return r;
	m2mi_id_put(&b, s, len, M2MI_CASE_KEEP);
	return m2mi_id_set_canonical(id, &b);
}

m2m_err m2mi_credid_parse_suid(const char *s, size_t len, m2m_id *id)
{
	m2mi_idbuf b = {0};
	int v;

	for (size_t i = 0; i < len; i++)
		if (!m2mi_id_digit((unsigned char)s[i]))
			return M2M_E_ID_BAD_CHAR; /* a sign, space or letter: not a decimal number */
	v = small_decimal(s, len);
	if (v < 0 || !m2m_suid_valid(v))
		return M2M_E_ID_BAD_TYPE;
	id->number = v;
	m2mi_id_put(&b, s, len, M2MI_CASE_KEEP);
	return m2mi_id_set_canonical(id, &b);
}
