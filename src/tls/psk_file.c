/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the psk-file: the operator's table of pre-provisioned Provisioned Secure
 * Connection Keys for the Provisioned Symmetric Key SAEF (TS-0003 clause 8.2.2.1, Credential
 * Configuration by pre-provisioning). One "KpsaID hex-key bound-identity" per line (KpsaID of
 * clause 10.5; Kpsa of 16..64 bytes; the AE-ID or CSE-ID that Entity B binds to the association,
 * clause 8.2.1), '#' comments and blank lines. The parser is pure (fuzz/fuzz_pskfile.c drives
 * it), reports "line N: reason" and never echoes field text, so a key cannot leak into a log.
 * Entries are kept sorted by canonical KpsaID for O(log n) lookup; keys live only in m2m_key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/hex.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"
#include "tls/tls_int.h"

#define PSK_LINE_MAX 4096
#define PSK_ENTRIES_MAX (1u << 20)
#define PSK_FIELDS 3

struct psk_entry {
	char *kpsaid; /* canonical KpsaID */
	char *bound;  /* canonical AE-ID or CSE-ID */
	m2m_entity_kind entity;
	m2m_key *key;
	unsigned line;
};

struct m2mi_psk_table {
	struct psk_entry *e;
	size_t n, cap;
};

static void entry_wipe(struct psk_entry *e)
{
	free(e->kpsaid);
	free(e->bound);
	m2m_key_free(e->key);
	m2m_memzero(e, sizeof(*e));
}

void m2mi_psk_table_free(m2mi_psk_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		entry_wipe(&t->e[i]);
	m2m_freezero(t->e, t->cap * sizeof(*t->e));
	m2m_freezero(t, sizeof(*t));
}

size_t m2mi_psk_table_count(const m2mi_psk_table *t)
{
	return t != NULL ? t->n : 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct psk_entry *)a)->kpsaid, ((const struct psk_entry *)b)->kpsaid);
}

static m2m_err grow(m2mi_psk_table *t)
{
	struct psk_entry *ne;
	size_t ncap;

	if (t->n < t->cap)
		return M2M_OK;
	if (t->cap >= PSK_ENTRIES_MAX)
		return M2M_E_TOO_LARGE;
	ncap = t->cap == 0 ? 16 : t->cap * 2;
	if ((ne = calloc(ncap, sizeof(*ne))) == NULL)
		return M2M_E_NOMEM;
	if (t->n > 0)
		memcpy(ne, t->e, t->n * sizeof(*ne));
	m2m_freezero(t->e, t->cap * sizeof(*t->e));
	t->e = ne;
	t->cap = ncap;
	return M2M_OK;
}

/* Split line[0..len) at blanks into at most max fields; a field starting with '#' ends the line.
 * Returns the field count, or max + 1 when there are more. */
static size_t split(const char *line, size_t len, const char **f, size_t *fl, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len) {
		size_t s;

		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len || line[i] == '#')
			break;
		if (n == max)
			return max + 1;
		s = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		f[n] = line + s;
		fl[n] = i - s;
		n++;
	}
	return n;
}

/* Parse one non-comment line into e. why receives a reason that quotes no field. */
static m2m_err parse_fields(const char **f, const size_t *fl, struct psk_entry *e, const char **why)
{
	uint8_t kb[M2M_KEY_MAX];
	size_t kn = 0;
	m2m_id *kid = NULL, *bid = NULL;
	m2m_id_kind bk;
	m2m_err r;

	if ((r = m2m_id_parse(f[0], fl[0], M2M_ID_KPSAID, &kid)) != M2M_OK) {
		*why = "KpsaID is not Issuer_Relative_KpsaID@Issuer-FQDN (TS-0003 10.5)";
		goto out;
	}
	r = M2M_E_CONFIG;
	if (fl[1] % 2 != 0 || fl[1] < 2 * M2M_KEY_MIN || fl[1] > 2 * M2M_KEY_MAX) {
		*why = "key must be 16..64 bytes written as an even number of hex digits";
		goto out;
	}
	if (m2m_hex_decode(f[1], fl[1], kb, sizeof(kb), &kn) != M2M_OK) {
		*why = "key is not valid hex";
		goto out;
	}
	if (m2m_id_parse(f[2], fl[2], M2M_ID_ANY, &bid) != M2M_OK ||
	    ((bk = m2m_id_kind_of(bid)) != M2M_ID_AE_ID && bk != M2M_ID_CSE_ID)) {
		*why = "bound identity is not an AE-ID or CSE-ID";
		goto out;
	}
	if (strlen(m2m_id_canonical(kid)) + 3 >= M2M_SA_ID_MAX || strlen(m2m_id_canonical(bid)) >= M2M_SA_ID_MAX) {
		*why = "identifier too long";
		goto out;
	}
	e->entity = bk == M2M_ID_AE_ID ? M2M_ENTITY_AE : M2M_ENTITY_CSE;
	r = M2M_E_NOMEM;
	if ((e->kpsaid = strdup(m2m_id_canonical(kid))) == NULL ||
	    (e->bound = strdup(m2m_id_canonical(bid))) == NULL)
		goto out;
	if ((r = m2m_key_new(kb, kn, &e->key)) != M2M_OK || (r = m2m_key_set_id(e->key, e->kpsaid)) != M2M_OK)
		goto out;
	r = M2M_OK;
out:
	if (r != M2M_OK && r != M2M_E_NOMEM)
		r = M2M_E_CONFIG;
	m2m_memzero(kb, sizeof(kb));
	m2m_id_free(kid);
	m2m_id_free(bid);
	return r;
}

m2m_err m2mi_psk_file_parse(const char *text, size_t len, m2mi_psk_table **out, char *errmsg,
			    size_t errcap)
{
	m2mi_psk_table *t = NULL;
	const char *p = text, *end = text, *why = NULL;
	unsigned line = 0;
	m2m_err r = M2M_OK;

	if (errmsg != NULL && errcap > 0)
		errmsg[0] = '\0';
	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (text == NULL && len > 0)
		return M2M_E_INVAL;
	end = text != NULL ? text + len : text;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return M2M_E_NOMEM;
	while (len > 0 && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		const char *f[PSK_FIELDS];
		size_t fl[PSK_FIELDS], nf, ll = (size_t)(le - p);
		struct psk_entry e = {0};

		line++;
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (ll > PSK_LINE_MAX) {
			r = M2M_E_CONFIG;
			why = "line too long";
			goto out;
		}
		if (memchr(p, '\0', ll) != NULL) {
			r = M2M_E_CONFIG;
			why = "NUL byte";
			goto out;
		}
		nf = split(p, ll, f, fl, PSK_FIELDS);
		p = nl != NULL ? nl + 1 : end;
		if (nf == 0)
			continue;
		if (nf != PSK_FIELDS) {
			r = M2M_E_CONFIG;
			why = "expected three fields: KpsaID hex-key bound-identity";
			goto out;
		}
		if ((r = grow(t)) != M2M_OK || (r = parse_fields(f, fl, &e, &why)) != M2M_OK) {
			entry_wipe(&e);
			goto out;
		}
		e.line = line;
		t->e[t->n++] = e;
	}
	if (t->n > 1)
		qsort(t->e, t->n, sizeof(*t->e), entry_cmp);
	for (size_t i = 1; i < t->n; i++) {
		if (strcmp(t->e[i - 1].kpsaid, t->e[i].kpsaid) == 0) { /* public: identifiers */
			unsigned a = t->e[i - 1].line, b = t->e[i].line;

			line = a > b ? a : b;
			if (errmsg != NULL && errcap > 0)
				snprintf(errmsg, errcap, "line %u: duplicate KpsaID (first on line %u)", line,
					 a < b ? a : b);
			r = M2M_E_CONFIG;
			goto out;
		}
	}
	*out = t;
	t = NULL;
out:
	if (r != M2M_OK && why != NULL && errmsg != NULL && errcap > 0)
		snprintf(errmsg, errcap, "line %u: %s", line, why);
	else if (r != M2M_OK && errmsg != NULL && errcap > 0 && errmsg[0] == '\0')
		snprintf(errmsg, errcap, "line %u: %s", line, m2m_strerror(r));
	m2mi_psk_table_free(t);
	return r;
}

m2m_err m2mi_psk_file_load(const char *path, m2mi_psk_table **out, char *errmsg, size_t errcap)
{
	char *text = NULL;
	size_t len = 0;
	m2m_err r;

	if (errmsg != NULL && errcap > 0)
		errmsg[0] = '\0';
	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if ((r = m2mi_tls_read_secret_file(path, &text, &len)) != M2M_OK) {
		if (errmsg != NULL && errcap > 0)
			snprintf(errmsg, errcap, "%s", m2m_strerror(r));
		return r;
	}
	r = m2mi_psk_file_parse(text, len, out, errmsg, errcap);
	m2m_freezero(text, len + 1);
	return r;
}

m2m_err m2mi_psk_file_resolve(void *ctx, const char *identity, int64_t now, m2m_key **key,
			      m2m_sa *binding)
{
	m2mi_psk_table *t = ctx;
	struct psk_entry probe = {0}, *e;
	m2m_id *id = NULL;
	m2m_err r;

	(void)now; /* psk-file keys have no validity window */
	if (key == NULL)
		return M2M_E_INVAL;
	*key = NULL;
	if (t == NULL || identity == NULL || binding == NULL)
		return M2M_E_INVAL;
	if (m2m_id_parse(identity, strlen(identity), M2M_ID_KPSAID, &id) != M2M_OK)
		return M2M_E_NOT_FOUND;
	probe.kpsaid = (char *)(uintptr_t)m2m_id_canonical(id);
	e = t->n > 0 ? bsearch(&probe, t->e, t->n, sizeof(*t->e), entry_cmp) : NULL;
	if (e == NULL) {
		r = M2M_E_NOT_FOUND;
		goto out;
	}
	memset(binding, 0, sizeof(*binding));
	binding->kind = M2M_SA_PSK;
	binding->entity = e->entity;
	if ((r = m2mi_tls_copy(binding->bound_id, sizeof(binding->bound_id), e->bound)) != M2M_OK)
		goto out;
	if (snprintf(binding->credential_id, sizeof(binding->credential_id), "%d-%s", M2M_CRED_KPSAID_KCID,
		     e->kpsaid) >= (int)sizeof(binding->credential_id)) {
		r = M2M_E_RANGE;
		goto out;
	}
	r = m2m_key_dup(e->key, key);
out:
	m2m_id_free(id);
	return r;
}

/* The i-th entry in KpsaID order, for tools that export the table (m2msec mqtt-acl). */
m2m_err m2mi_psk_table_entry(const m2mi_psk_table *t, size_t i, const char **kpsaid, const char **bound,
			     const m2m_key **key)
{
	if (t == NULL || i >= t->n)
		return M2M_E_NOT_FOUND;
	*kpsaid = t->e[i].kpsaid;
	*bound = t->e[i].bound;
	*key = t->e[i].key;
	return M2M_OK;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

m2m_err m2mi_tls_read_hex_key(const char *path, m2m_key **out)
{
	uint8_t raw[64];
	char *text = NULL;
	size_t len = 0, n = 0, a, b;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (path == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_tls_read_secret_file(path, &text, &len)) != M2M_OK)
		return r;
	for (a = 0; a < len && blank(text[a]); a++)
		;
	for (b = len; b > a && blank(text[b - 1]); b--)
		;
	r = m2m_hex_decode(text + a, b - a, raw, sizeof(raw), &n);
	if (r != M2M_OK || n < 16)
		r = M2M_E_CONFIG;
	else
		r = m2m_key_new(raw, n, out);
	m2m_memzero(raw, sizeof(raw));
	m2m_freezero(text, len + 1);
	return r;
}
