/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the request codec of Zn as m2msec maps it (m2msec/gba_zn.h, 3GPP TS 33.220
 * clause 4.5.3): the RETRIEVE path a NAF sends to the BSF (the MEF) for the NAF key of a B-TID,
 * and its strict parser on the MEF side. The B-TID travels in the URL-safe base64 alphabet
 * (RFC 4648 clause 5) because a path segment cannot carry '/'; everything else is checked by the
 * one B-TID parser (m2m_gba_btid_parse) after mapping back, so there is one definition of a valid
 * B-TID.
 */
#include <stdio.h>
#include <string.h>

#include "m2msec/gba_zn.h"
#include "m2msec/id.h"

static const char *const kind_names[] = {"ks-naf", "ks-ext-naf", "ks-int-naf"};

const char *m2m_gba_naf_kind_name(m2m_gba_naf_kind kind)
{
	return (unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind] : NULL;
}

m2m_err m2m_gba_naf_kind_parse(const char *s, m2m_gba_naf_kind *kind)
{
	for (size_t i = 0; s != NULL && i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*kind = (m2m_gba_naf_kind)i;
			return M2M_OK;
		}
	return M2M_E_INVAL;
}

/* Map the base64 part (before '@') between the standard and the URL-safe alphabet; to_url says
 * which way. A character of the other alphabet is refused (false): each form has one spelling. */
static bool map_b64(char *s, bool to_url)
{
	for (; *s != '\0' && *s != '@'; s++) {
		char from1 = to_url ? '+' : '-', from2 = to_url ? '/' : '_';
		char bad1 = to_url ? '-' : '+', bad2 = to_url ? '_' : '/';
		if (*s == bad1 || *s == bad2)
			return false;
		if (*s == from1)
			*s = to_url ? '-' : '+';
		else if (*s == from2)
			*s = to_url ? '_' : '/';
	}
	return true;
}

m2m_err m2m_gba_zn_path(const char *btid, const char *naf_fqdn, m2m_gba_naf_kind kind, char *out, size_t cap)
{
	uint8_t rand[M2M_KDF_GBA_RAND_LEN];
	char b[M2M_GBA_BTID_MAX], naf[254];
	const char *kn = m2m_gba_naf_kind_name(kind);
	size_t nl;
	int n;

	if (btid == NULL || naf_fqdn == NULL || out == NULL || kn == NULL || strlen(btid) >= sizeof(b))
		return M2M_E_INVAL;
	nl = strlen(naf_fqdn);
	if (nl >= sizeof(naf) || m2m_id_check_fqdn(naf_fqdn, nl) != M2M_OK ||
	    m2m_gba_btid_parse(btid, rand, NULL, 0) != M2M_OK)
		return M2M_E_INVAL;
	for (size_t i = 0; i <= nl; i++)
		naf[i] = (char)(naf_fqdn[i] >= 'A' && naf_fqdn[i] <= 'Z' ? naf_fqdn[i] + 32 : naf_fqdn[i]);
	if (nl > 0 && naf[nl - 1] == '.')
		naf[nl - 1] = '\0'; /* the same bytes the NAF_Id is derived from (m2m_gba_naf_id) */
	memcpy(b, btid, strlen(btid) + 1);
	(void)map_b64(b, true); /* a parsed B-TID holds no URL-safe character */
	n = snprintf(out, cap, "/%s/%s/%s/%s", M2M_GBA_ZN_RESOURCE, b, naf, kn);
	return n > 0 && (size_t)n < cap ? M2M_OK : M2M_E_RANGE;
}

m2m_err m2m_gba_zn_path_parse(const char *to, char *btid, char *naf, size_t ncap, m2m_gba_naf_kind *kind)
{
	static const char pfx[] = M2M_GBA_ZN_RESOURCE "/";
	uint8_t rand[M2M_KDF_GBA_RAND_LEN];
	char seg[3][M2M_GBA_BTID_MAX], canon[M2M_GBA_BTID_MAX];
	const char *p;
	size_t n = 0;

	if (to == NULL || btid == NULL || naf == NULL || kind == NULL)
		return M2M_E_PROTO;
	btid[0] = '\0';
	if (ncap > 0)
		naf[0] = '\0';
	if (to[0] == '/')
		to++;
	if (strncmp(to, pfx, sizeof(pfx) - 1) != 0)
		return strcmp(to, M2M_GBA_ZN_RESOURCE) == 0 ? M2M_E_PROTO : M2M_E_NOT_FOUND;
	p = to + sizeof(pfx) - 1;
	for (;;) { /* exactly three non-empty segments */
		const char *slash = strchr(p, '/');
		size_t l = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 3 || l == 0 || l >= sizeof(seg[0]))
			return M2M_E_PROTO;
		memcpy(seg[n], p, l);
		seg[n++][l] = '\0';
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	if (n != 3 || !map_b64(seg[0], false) || m2m_gba_btid_parse(seg[0], rand, NULL, 0) != M2M_OK)
		return M2M_E_PROTO;
	{ /* the standard form exactly (lowercase FQDN): one spelling per bootstrap */
		char fq[254];
		const char *at = strchr(seg[0], '@');
		if (at == NULL || m2m_gba_btid_parse(seg[0], rand, fq, sizeof(fq)) != M2M_OK ||
		    m2m_gba_btid_format(rand, fq, canon, sizeof(canon)) != M2M_OK || strcmp(canon, seg[0]) != 0)
			return M2M_E_PROTO;
	}
	if (m2m_id_check_fqdn(seg[1], strlen(seg[1])) != M2M_OK || strlen(seg[1]) >= ncap ||
	    seg[1][strlen(seg[1]) - 1] == '.' || m2m_gba_naf_kind_parse(seg[2], kind) != M2M_OK)
		return M2M_E_PROTO;
	for (const char *c = seg[1]; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			return M2M_E_PROTO; /* the NAF writes it lowercase (m2m_gba_zn_path) */
	memcpy(btid, canon, strlen(canon) + 1);
	memcpy(naf, seg[1], strlen(seg[1]) + 1);
	return M2M_OK;
}
