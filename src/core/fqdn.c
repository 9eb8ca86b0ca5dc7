/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the host name rules shared by every identifier that names an issuer or a
 * service provider: MEF-FQDN/MAF-FQDN/Issuer-FQDN (TS-0003 clauses 10.3.4, 10.3.5, 10.5, 10.6),
 * the issuerID of Role-ID/Token-ID (TS-0004 clause 6.3.3) and the {FQDN} of an M2M-SP-ID
 * (TS-0001 Table 7.2-1, "FQDN format defined in IETF RFC 1035"). Rules (RFC 1035 clause 2.3.1 as
 * relaxed by RFC 1123 clause 2.1): at least two labels, each 1..63 of [A-Za-z0-9-] not starting
 * or ending with '-', at most 253 characters, one optional trailing dot; the last label is not
 * all digits (RFC 3696 clause 2), so an IPv4 literal is never taken for an FQDN; '*' is never a
 * label (TS-0003 clause 10.1.1: no wildcards). Canonical form: lowercase, no trailing dot.
 */
#include "core/id_int.h"

#define FQDN_MAX 253
#define LABEL_MAX 63

static bool ldh(unsigned char c)
{
	return m2mi_id_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

m2m_err m2mi_fqdn_canon(const char *s, size_t len, m2mi_idbuf *out)
{
	size_t labels = 0, start = 0;
	bool digits = true;

	if (len > 0 && s[len - 1] == '.')
		len--; /* the root label: "example.com." and "example.com" are the same name */
	if (len == 0 || len > FQDN_MAX)
		return M2M_E_ID_BAD_FQDN;
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : '.';
		if (c == '.') {
			size_t n = i - start;
			if (n == 0 || n > LABEL_MAX || s[start] == '-' || s[i - 1] == '-')
				return M2M_E_ID_BAD_FQDN;
			labels++;
			if (i == len && digits)
				return M2M_E_ID_BAD_FQDN; /* numeric top-level label: an address, not a name */
			start = i + 1;
			digits = true;
			continue;
		}
		if (c == '*')
			return M2M_E_ID_WILDCARD;
		if (!ldh(c))
			return M2M_E_ID_BAD_FQDN;
		if (!m2mi_id_digit(c))
			digits = false;
	}
	if (labels < 2)
		return M2M_E_ID_BAD_FQDN;
	if (out != NULL)
		m2mi_id_put(out, s, len, M2MI_CASE_LOWER);
	return M2M_OK;
}

m2m_err m2m_id_check_fqdn(const char *s, size_t len)
{
	m2m_err r;

	if (s == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_id_precheck(s, len, M2M_ID_MAX)) != M2M_OK)
		return r;
	return m2mi_fqdn_canon(s, len, NULL);
}
