/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the entity identifiers of TS-0001 clause 7.2, Table 7.2-1:
 *  - M2M-SP-ID        "//" FQDN
 *  - CSE-ID           SP-relative "/" cse, absolute "//" FQDN "/" cse
 *  - AE-ID            AE-ID-Stem ("C..." or "S..."), SP-relative "/" cse "/C..." or "/S...",
 *                     absolute "//" FQDN followed by the SP-relative form
 * where cse and the stem are non-empty runs of RFC 3986 unreserved characters. An S-stem is
 * unique in the SP domain and is never under a CSE; a C-stem is assigned by the registrar CSE and
 * is always under it. The bare stems "C" and "S" are the From values an AE sends to ask for an
 * assigned stem (TS-0001 clause 10.2.2.2, items iii and iv): they are accepted as AE-ID-Stem only,
 * never inside an SP-relative or absolute AE-ID, which names a registered AE. The dot segments
 * "." and ".." are refused because RFC 3986 clause 5.2.4 would rewrite them.
 */
#include <string.h>

#include "core/id_int.h"

struct path {
	bool abs;
	size_t nseg;
	const char *seg[2];
	size_t seglen[2];
	m2mi_idbuf fqdn; /* canonical SP FQDN of an absolute identifier */
};

/* Splits s (it starts with '/') into the SP FQDN and at most two stored segments, checking
 * left to right: FQDN, then each segment's characters. nseg counts all segments. */
static m2m_err split(const char *s, size_t len, struct path *p)
{
	const char *end = s + len, *q = s;
	m2m_err r;

	if (s[0] != '/')
		return M2M_E_ID_BAD_FORM;
	if (len >= 2 && s[1] == '/') {
		const char *fq = s + 2;
		p->abs = true;
		if ((q = memchr(fq, '/', (size_t)(end - fq))) == NULL)
			q = end;
		if ((r = m2mi_fqdn_canon(fq, (size_t)(q - fq), &p->fqdn)) != M2M_OK)
			return r;
	}
	while (q < end) {
		const char *st = q + 1, *e = memchr(st, '/', (size_t)(end - st));
		size_t n;
		if (e == NULL)
			e = end;
		n = (size_t)(e - st);
		if (n == 0)
			return M2M_E_ID_BAD_FORM; /* "//", a leading "//" after the FQDN or a trailing '/' */
		for (size_t i = 0; i < n; i++)
			if (!m2mi_id_unreserved((unsigned char)st[i]))
				return M2M_E_ID_BAD_CHAR;
		if ((n == 1 && st[0] == '.') || (n == 2 && st[0] == '.' && st[1] == '.'))
			return M2M_E_ID_BAD_FORM;
		if (p->nseg < 2) {
			p->seg[p->nseg] = st;
			p->seglen[p->nseg] = n;
		}
		p->nseg++;
		q = e;
	}
	return M2M_OK;
}

/* 'C' or 'S' for an assigned AE-ID-Stem (at least one character after the letter), else 0. */
static char stem_type(const char *s, size_t len)
{
	return len >= 2 && (s[0] == 'C' || s[0] == 'S') ? s[0] : 0;
}

static m2m_err parse_stem(const char *s, size_t len, m2m_id *id)
{
	m2mi_idbuf b = {0};
	m2m_err r;

	if (s[0] != 'C' && s[0] != 'S')
		return M2M_E_ID_BAD_FORM; /* other first characters are reserved */
	for (size_t i = 1; i < len; i++)
		if (!m2mi_id_unreserved((unsigned char)s[i]))
			return M2M_E_ID_BAD_CHAR;
	id->form = M2M_ID_FORM_CSE_RELATIVE;
	if ((r = m2mi_id_dup(&id->stem, s, len)) != M2M_OK)
		return r;
	m2mi_id_put(&b, s, len, M2MI_CASE_KEEP);
	return m2mi_id_set_canonical(id, &b);
}

m2m_err m2mi_entityid_parse(const char *s, size_t len, m2m_id_kind kind, m2m_id *id)
{
	struct path p = {0};
	const char *cse = NULL, *stem = NULL;
	size_t cselen = 0, stemlen = 0;
	m2mi_idbuf b = {0};
	m2m_err r;

	if (kind == M2M_ID_AE_ID && s[0] != '/')
		return parse_stem(s, len, id);
	if ((r = split(s, len, &p)) != M2M_OK)
		return r;
	if (kind == M2M_ID_SP_ID) {
		if (!p.abs || p.nseg != 0)
			return M2M_E_ID_BAD_FORM;
	} else if (kind == M2M_ID_CSE_ID) {
		if (p.nseg != 1)
			return M2M_E_ID_BAD_FORM;
		cse = p.seg[0];
		cselen = p.seglen[0];
	} else if (kind == M2M_ID_AE_ID && p.nseg == 1) {
		stem = p.seg[0];
		stemlen = p.seglen[0];
		if (stem_type(stem, stemlen) != 'S')
			return M2M_E_ID_BAD_FORM; /* a C-stem needs its registrar CSE */
	} else if (kind == M2M_ID_AE_ID && p.nseg == 2) {
		cse = p.seg[0];
		cselen = p.seglen[0];
		stem = p.seg[1];
		stemlen = p.seglen[1];
		if (stem_type(stem, stemlen) != 'C')
			return M2M_E_ID_BAD_FORM; /* an S-stem is never under a CSE */
	} else {
		return kind == M2M_ID_AE_ID ? M2M_E_ID_BAD_FORM : M2M_E_INTERNAL;
	}
	id->form = p.abs ? M2M_ID_FORM_ABSOLUTE : M2M_ID_FORM_SP_RELATIVE;
	if (p.abs) {
		m2mi_id_put(&b, "//", 2, M2MI_CASE_KEEP);
		m2mi_id_put(&b, p.fqdn.b, p.fqdn.n, M2MI_CASE_KEEP);
		if ((r = m2mi_id_dup(&id->fqdn, p.fqdn.b, p.fqdn.n)) != M2M_OK)
			return r;
	}
	if (cse != NULL) {
		m2mi_id_put(&b, "/", 1, M2MI_CASE_KEEP);
		m2mi_id_put(&b, cse, cselen, M2MI_CASE_KEEP);
		if ((r = m2mi_id_dup(&id->cse, cse, cselen)) != M2M_OK)
			return r;
	}
	if (stem != NULL) {
		m2mi_id_put(&b, "/", 1, M2MI_CASE_KEEP);
		m2mi_id_put(&b, stem, stemlen, M2MI_CASE_KEEP);
		if ((r = m2mi_id_dup(&id->stem, stem, stemlen)) != M2M_OK)
			return r;
	}
	return m2mi_id_set_canonical(id, &b);
}

m2m_id_kind m2mi_entityid_classify(const char *s, size_t len)
{
	const char *end = s + len, *q = s, *first = NULL;
	size_t nseg = 0, firstlen = 0;

	if (len >= 2 && s[1] == '/' && (q = memchr(s + 2, '/', len - 2)) == NULL)
		return M2M_ID_SP_ID;
	while (q < end) {
		const char *st = q + 1, *e = memchr(st, '/', (size_t)(end - st));
		if (e == NULL)
			e = end;
		if (nseg++ == 0) {
			first = st;
			firstlen = (size_t)(e - st);
		}
		q = e;
	}
	if (nseg == 1)
		return stem_type(first, firstlen) == 'S' ? M2M_ID_AE_ID : M2M_ID_CSE_ID;
	return nseg == 0 ? M2M_ID_CSE_ID : M2M_ID_AE_ID;
}
