/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements m2m_id, the parsed oneM2M identifier, and the identifiers of the form
 * "<relative>@<FQDN>": KeID (TS-0003 clause 10.3.4), the MAF/MEF key identifier hexBinary(KcID)
 * (clause 10.3.5), KpsaID (clause 10.5), KmID (clause 10.6, case-insensitive), Role-ID and
 * Token-ID (TS-0004 clause 6.3.3). It also holds the checks every kind shares (length, UTF-8,
 * ASCII, no wildcard) and the inference of M2M_ID_ANY. Credential-ID/SUID live in credid.c,
 * CSE-ID/AE-ID/SP-ID in entityid.c, host names in fqdn.c; docs/identifiers.md has the grammar.
 * Pure: no I/O.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/id_int.h"
#include "m2msec/hex.h"

static const char *const kind_names[] = {
	[M2M_ID_ANY] = "any",
	[M2M_ID_KEID] = "keid",
	[M2M_ID_KCID] = "kcid",
	[M2M_ID_KPSAID] = "kpsaid",
	[M2M_ID_KMID] = "kmid",
	[M2M_ID_CREDENTIAL_ID] = "credential-id",
	[M2M_ID_SUID] = "suid",
	[M2M_ID_CSE_ID] = "cse-id",
	[M2M_ID_AE_ID] = "ae-id",
	[M2M_ID_SP_ID] = "sp-id",
	[M2M_ID_FQDN] = "fqdn",
	[M2M_ID_ROLE_ID] = "role-id",
	[M2M_ID_TOKEN_ID] = "token-id",
};
#define KIND_COUNT (sizeof(kind_names) / sizeof(kind_names[0]))

/* ---- shared helpers (id_int.h) ---------------------------------------------------------------- */

bool m2mi_id_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool alnum(unsigned char c)
{
	return m2mi_id_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool m2mi_id_unreserved(unsigned char c)
{
	return alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool m2mi_id_ok(const m2m_id *id)
{
	return id != NULL && id->magic == M2MI_ID_MAGIC && id->canonical != NULL;
}

void m2mi_id_put(m2mi_idbuf *b, const char *s, size_t len, m2mi_case c)
{
	if (b->over || len > sizeof(b->b) - 1 - b->n) {
		b->over = true;
		return;
	}
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (c == M2MI_CASE_LOWER && ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		else if (c == M2MI_CASE_UPPER && ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		b->b[b->n++] = ch;
	}
	b->b[b->n] = '\0';
}

m2m_err m2mi_id_dup(char **dst, const char *s, size_t len)
{
	char *p;

	if ((p = malloc(len + 1)) == NULL)
		return M2M_E_NOMEM;
	memcpy(p, s, len);
	p[len] = '\0';
	free(*dst);
	*dst = p;
	return M2M_OK;
}

m2m_err m2mi_id_set_canonical(m2m_id *id, const m2mi_idbuf *b)
{
	if (b->over || b->n == 0 || b->n > M2M_ID_MAX)
		return M2M_E_INTERNAL; /* canonical text is never longer than the accepted input */
	return m2mi_id_dup(&id->canonical, b->b, b->n);
}

/* UTF-8 validity where NUL bytes only split the text: a NUL is a character error, not an
 * encoding error, and is reported as BAD_CHAR by the caller. */
static bool utf8_ok(const char *s, size_t len)
{
	size_t i = 0;

	if (m2m_utf8_valid(s, len))
		return true;
	while (i < len) {
		const char *nul = memchr(s + i, '\0', len - i);
		size_t seg = nul != NULL ? (size_t)(nul - (s + i)) : len - i;
		if (seg > 0 && !m2m_utf8_valid(s + i, seg))
			return false;
		i += seg + 1;
	}
	return true;
}

m2m_err m2mi_id_precheck(const char *s, size_t len, size_t max)
{
	if (len == 0)
		return M2M_E_ID_EMPTY;
	if (s == NULL)
		return M2M_E_INVAL;
	if (len > max)
		return M2M_E_ID_TOO_LONG;
	if (!utf8_ok(s, len))
		return M2M_E_ID_BAD_UTF8;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\0')
			return M2M_E_ID_BAD_CHAR; /* every grammar here is ASCII; NFKC is the KDF's job */
	if (memchr(s, '*', len) != NULL)
		return M2M_E_ID_WILDCARD;
	return M2M_OK;
}

/* ---- "<relative>@<fqdn>" identifiers ------------------------------------------------------- */

static bool is_hex(unsigned char c)
{
	return m2mi_id_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool rel_char(unsigned char c) /* sec:relKeyID, TS-0003 clause 12.2 */
{
	return alnum(c) || c == '.' || c == '_' || c == '-';
}

static m2m_err parse_at_id(const char *s, size_t len, m2m_id *id)
{
	const char *at = memchr(s, '@', len);
	bool hex = id->kind == M2M_ID_KEID || id->kind == M2M_ID_KCID;
	size_t rlen, flen, n = 0;
	m2mi_idbuf b = {0};
	m2m_err r;

	if (at == NULL)
		return M2M_E_ID_NO_AT;
	rlen = (size_t)(at - s);
	flen = len - rlen - 1;
	if (memchr(at + 1, '@', flen) != NULL)
		return M2M_E_ID_BAD_FORM;
	if (rlen == 0)
		return M2M_E_ID_BAD_FORM;
	for (size_t i = 0; i < rlen; i++) {
		if (hex && !is_hex((unsigned char)s[i]))
			return M2M_E_ID_BAD_HEX;
		if (!hex && !rel_char((unsigned char)s[i]))
			return M2M_E_ID_BAD_CHAR;
	}
	if (hex && rlen != 2 * M2M_REL_KEY_ID_LEN)
		return M2M_E_ID_BAD_LEN;
	if (hex) {
		if ((r = m2m_hex_decode(s, rlen, id->rel_bytes, sizeof(id->rel_bytes), &n)) != M2M_OK)
			return r;
		id->has_bytes = true;
	}
	/* hexBinary canonical form is uppercase (XML Schema 1.1 part 2, 3.3.15); KmID is
	 * case-insensitive (TS-0003 clause 10.6); other relative parts are case-sensitive. */
	m2mi_id_put(&b, s, rlen, hex ? M2MI_CASE_UPPER : id->kind == M2M_ID_KMID ? M2MI_CASE_LOWER
										: M2MI_CASE_KEEP);
	if ((r = m2mi_id_dup(&id->relative, b.b, b.n)) != M2M_OK)
		return r;
	m2mi_id_put(&b, "@", 1, M2MI_CASE_KEEP);
	n = b.n;
	if ((r = m2mi_fqdn_canon(at + 1, flen, &b)) != M2M_OK)
		return r;
	if ((r = m2mi_id_dup(&id->fqdn, b.b + n, b.n - n)) != M2M_OK)
		return r;
	return m2mi_id_set_canonical(id, &b);
}

static m2m_err parse_fqdn(const char *s, size_t len, m2m_id *id)
{
	m2mi_idbuf b = {0};
	m2m_err r;

	if ((r = m2mi_fqdn_canon(s, len, &b)) != M2M_OK)
		return r;
	if ((r = m2mi_id_dup(&id->fqdn, b.b, b.n)) != M2M_OK)
		return r;
	return m2mi_id_set_canonical(id, &b);
}

/* ---- M2M_ID_ANY ------------------------------------------------------------------------------ */

static m2m_id_kind classify(const char *s, size_t len)
{
	const char *at;
	size_t i = 0;

	if (s[0] == '/')
		return m2mi_entityid_classify(s, len);
	while (i < len && m2mi_id_digit((unsigned char)s[i]))
		i++;
	if (i > 0 && i < len && s[i] == '-')
		return M2M_ID_CREDENTIAL_ID;
	if ((at = memchr(s, '@', len)) != NULL) {
		size_t rlen = (size_t)(at - s);
		for (i = 0; i < rlen && is_hex((unsigned char)s[i]); i++)
			;
		return rlen == 2 * M2M_REL_KEY_ID_LEN && i == rlen ? M2M_ID_KEID : M2M_ID_KPSAID;
	}
	if (s[0] == 'C' || s[0] == 'S')
		return M2M_ID_AE_ID;
	return M2M_ID_FQDN;
}

/* ---- public API ------------------------------------------------------------------------------ */

bool m2m_suid_valid(int suid)
{
	return (suid >= 10 && suid <= 15) || (suid >= 21 && suid <= 25) || (suid >= 32 && suid <= 35) ||
	       (suid >= 40 && suid <= 45);
}

m2m_err m2m_id_parse(const char *s, size_t len, m2m_id_kind expect, m2m_id **out)
{
	m2m_id *id = NULL;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if ((unsigned)expect >= KIND_COUNT)
		return M2M_E_INVAL;
	if ((r = m2mi_id_precheck(s, len, M2M_ID_MAX)) != M2M_OK)
		return r;
	if (expect == M2M_ID_ANY)
		expect = classify(s, len);
	if ((id = calloc(1, sizeof(*id))) == NULL)
		return M2M_E_NOMEM;
	id->magic = M2MI_ID_MAGIC;
	id->kind = expect;
	switch (expect) {
	case M2M_ID_KEID:
	case M2M_ID_KCID:
	case M2M_ID_KPSAID:
	case M2M_ID_KMID:
	case M2M_ID_ROLE_ID:
	case M2M_ID_TOKEN_ID:
		r = parse_at_id(s, len, id);
		break;
	case M2M_ID_CREDENTIAL_ID:
		r = m2mi_credid_parse(s, len, id);
		break;
	case M2M_ID_SUID:
		r = m2mi_credid_parse_suid(s, len, id);
		break;
	case M2M_ID_CSE_ID:
	case M2M_ID_AE_ID:
	case M2M_ID_SP_ID:
		r = m2mi_entityid_parse(s, len, expect, id);
		break;
	case M2M_ID_FQDN:
		r = parse_fqdn(s, len, id);
		break;
	default:
		r = M2M_E_INTERNAL;
		break;
	}
	if (r == M2M_OK && id->canonical == NULL)
		r = M2M_E_INTERNAL;
	if (r != M2M_OK)
		goto out;
	*out = id;
	id = NULL;
out:
	m2m_id_free(id);
	return r;
}

void m2m_id_free(m2m_id *id)
{
	if (id == NULL || id->magic != M2MI_ID_MAGIC)
		return;
	free(id->canonical);
	free(id->relative);
	free(id->fqdn);
	free(id->cse);
	free(id->stem);
	memset(id, 0, sizeof(*id)); /* drops the magic: a second free is a no-op */
	free(id);
}

m2m_id_kind m2m_id_kind_of(const m2m_id *id)
{
	return m2mi_id_ok(id) ? id->kind : M2M_ID_ANY;
}

const char *m2m_id_kind_name(m2m_id_kind kind)
{
	return (unsigned)kind < KIND_COUNT ? kind_names[kind] : "unknown";
}

m2m_err m2m_id_kind_from_name(const char *name, m2m_id_kind *out)
{
	if (out == NULL)
		return M2M_E_INVAL;
	*out = M2M_ID_ANY;
	if (name == NULL)
		return M2M_E_INVAL;
	for (size_t i = 0; i < KIND_COUNT; i++) {
		if (strcasecmp(name, kind_names[i]) == 0) { /* public: kind names are not secret */
			*out = (m2m_id_kind)i;
			return M2M_OK;
		}
	}
	return M2M_E_ID_BAD_TYPE;
}

const char *m2m_id_canonical(const m2m_id *id)
{
	return m2mi_id_ok(id) ? id->canonical : NULL;
}

const char *m2m_id_relative(const m2m_id *id)
{
	return m2mi_id_ok(id) ? id->relative : NULL;
}

const uint8_t *m2m_id_relative_bytes(const m2m_id *id)
{
	return m2mi_id_ok(id) && id->has_bytes ? id->rel_bytes : NULL;
}

const char *m2m_id_fqdn(const m2m_id *id)
{
	return m2mi_id_ok(id) ? id->fqdn : NULL;
}

m2m_id_form m2m_id_form_of(const m2m_id *id)
{
	return m2mi_id_ok(id) ? id->form : M2M_ID_FORM_NONE;
}

const char *m2m_id_cse(const m2m_id *id)
{
	return m2mi_id_ok(id) ? id->cse : NULL;
}

const char *m2m_id_stem(const m2m_id *id)
{
	return m2mi_id_ok(id) ? id->stem : NULL;
}

int m2m_id_number(const m2m_id *id)
{
	return m2mi_id_ok(id) ? id->number : 0;
}

m2m_err m2m_id_format_key_id(const uint8_t rel[M2M_REL_KEY_ID_LEN], const char *fqdn, char *out,
			     size_t outcap)
{
	char hex[2 * M2M_REL_KEY_ID_LEN + 1];
	m2mi_idbuf b = {0};
	m2m_err r;

	if (out == NULL || outcap == 0)
		return M2M_E_INVAL;
	out[0] = '\0';
	if (rel == NULL || fqdn == NULL)
		return M2M_E_INVAL;
	if ((r = m2m_id_check_fqdn(fqdn, strlen(fqdn))) != M2M_OK)
		return r;
	if ((r = m2m_hex_encode(rel, M2M_REL_KEY_ID_LEN, true, hex, sizeof(hex))) != M2M_OK)
		return r;
	m2mi_id_put(&b, hex, 2 * M2M_REL_KEY_ID_LEN, M2MI_CASE_KEEP);
	m2mi_id_put(&b, "@", 1, M2MI_CASE_KEEP);
	if ((r = m2mi_fqdn_canon(fqdn, strlen(fqdn), &b)) != M2M_OK)
		return r;
	if (b.over)
		return M2M_E_ID_TOO_LONG;
	if (b.n + 1 > outcap)
		return M2M_E_RANGE;
	memcpy(out, b.b, b.n + 1);
	return M2M_OK;
}
