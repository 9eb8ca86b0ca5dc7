/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the backend-independent half of the credential store: validation and
 * canonicalisation of every identifier (TS-0003 clauses 10.3.4-10.6 key identifiers, TS-0001
 * clause 7.2 owner and target IDs, through core/id.c), certificate records (TS-0003 clause
 * 10.1, parsed by store/credstore_cert.c: fingerprint identifier, window), the resolution of a
 * presented identifier to a record, and the ONE decision whether a credential may be used
 * (revoked / not yet valid / expired at the caller's "now"). Storage is delegated to a backend
 * vtable (store/credstore_backend.h). Design: docs/credstore.md.
 */
#include <stdlib.h>
#include <string.h>

#include "m2msec/credstore.h"
#include "m2msec/hex.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"
#include "store/credstore_backend.h"
#include "store/pg_common.h"
#include "store/credstore_cert.h"

#define STORE_MAGIC 0x6d32637du /* "m2c}" */
#define ID_TEXT_MAX 4096        /* longer input is rejected before parsing */

struct m2m_credstore {
	uint32_t magic;
	const m2mi_credstore_ops *ops;
	void *be;
};

static const struct {
	m2m_cred_kind kind;
	const char *name;
	m2m_id_kind idkind; /* grammar of the identifier (M2M_ID_ANY: certificate fingerprint) */
} kinds_tab[] = {
	/* KpmID has no format in TS-0003 (clause 8.3.2.1); we require the KpsaID grammar
	 * rel@FQDN, as in the Credential-ID example "10-thiskey@mymef.com" (clause 12.2). */
	{M2M_CRED_KIND_KPM, "kpm", M2M_ID_KPSAID},
	{M2M_CRED_KIND_KE, "ke", M2M_ID_KEID},
	{M2M_CRED_KIND_KM, "km", M2M_ID_KMID},
	{M2M_CRED_KIND_KPSA, "kpsa", M2M_ID_KPSAID},
	{M2M_CRED_KIND_KC, "kc", M2M_ID_KCID},
	{M2M_CRED_KIND_CERT, "cert", M2M_ID_ANY},
};
#define NKINDS (sizeof(kinds_tab) / sizeof(kinds_tab[0]))

static bool store_ok(const m2m_credstore *s)
{
	return s != NULL && s->magic == STORE_MAGIC && s->ops != NULL;
}

bool m2mi_credstore_is_remote(const m2m_credstore *store)
{
	return store_ok(store) && store->ops == &m2mi_credstore_pg_ops;
}

static bool one_kind(unsigned k)
{
	return k != 0 && (k & (k - 1)) == 0 && (k & ~(unsigned)M2M_CRED_KINDS_ALL) == 0;
}

const char *m2m_credstore_kind_name(m2m_cred_kind kind)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (kinds_tab[i].kind == kind)
			return kinds_tab[i].name;
	return "?";
}

m2m_err m2m_credstore_kind_from_name(const char *name, m2m_cred_kind *out)
{
	if (name == NULL || out == NULL)
		return M2M_E_INVAL;
	for (size_t i = 0; i < NKINDS; i++) {
		if (strcmp(name, kinds_tab[i].name) == 0) { /* public: kind names */
			*out = kinds_tab[i].kind;
			return M2M_OK;
		}
	}
	return M2M_E_INVAL;
}

const char *m2m_credstore_state_name(m2m_cred_state state)
{
	switch (state) {
	case M2M_CRED_STATE_ACTIVE: return "active";
	case M2M_CRED_STATE_REVOKED: return "revoked";
	case M2M_CRED_STATE_EXPIRED: return "expired";
	case M2M_CRED_STATE_NOT_YET_VALID: return "not-yet-valid";
	}
	return "?";
}

/* The single validity decision of m2msec for stored credentials. */
m2m_cred_state m2m_credstore_state_at(const m2m_cred_info *info, int64_t now)
{
	if (info == NULL || info->state != M2M_CRED_STATE_ACTIVE)
		return M2M_CRED_STATE_REVOKED; /* unknown stored state fails closed */
	if (info->not_before != 0 && now < info->not_before)
		return M2M_CRED_STATE_NOT_YET_VALID;
	if (info->not_after != 0 && now >= info->not_after)
		return M2M_CRED_STATE_EXPIRED;
	return M2M_CRED_STATE_ACTIVE;
}

m2m_err m2m_credstore_check(const m2m_cred_info *info, int64_t now)
{
	switch (m2m_credstore_state_at(info, now)) {
	case M2M_CRED_STATE_ACTIVE: return M2M_OK;
	case M2M_CRED_STATE_NOT_YET_VALID: return M2M_E_KEY_NOT_YET_VALID;
	case M2M_CRED_STATE_EXPIRED: return M2M_E_KEY_EXPIRED;
	case M2M_CRED_STATE_REVOKED: break;
	}
	return M2M_E_KEY_REVOKED;
}

void m2m_credstore_info_free(m2m_cred_info *info)
{
	if (info == NULL)
		return;
	free(info->id);
	free(info->owner);
	for (size_t i = 0; i < info->ntargets && info->targets != NULL; i++)
		free(info->targets[i]);
	free(info->targets);
	free(info->attrs);
	free(info);
}

/* ---- identifiers ------------------------------------------------------------------------ */

static m2m_err text_len(const char *s, size_t *len)
{
	if (s == NULL)
		return M2M_E_INVAL;
	*len = strnlen(s, ID_TEXT_MAX + 1);
	if (*len == 0)
		return M2M_E_ID_EMPTY;
	return *len > ID_TEXT_MAX ? M2M_E_ID_TOO_LONG : M2M_OK;
}

/* Certificate identifier: exactly 64 hex digits, canonical uppercase. */
static m2m_err canon_cert_id(const char *s, size_t len, char **out)
{
	uint8_t fp[32];
	size_t n = 0;
	m2m_err r;

	if (len != M2M_CRED_CERT_ID_LEN)
		return M2M_E_ID_BAD_LEN;
	if ((r = m2m_hex_decode(s, len, fp, sizeof(fp), &n)) != M2M_OK)
		return r;
	if ((*out = malloc(M2M_CRED_CERT_ID_LEN + 1)) == NULL)
		return M2M_E_NOMEM;
	return m2m_hex_encode(fp, n, true, *out, M2M_CRED_CERT_ID_LEN + 1);
}

/* Canonical identifier of s read as the identifier of a record of kind `kind`. */
static m2m_err canon_id(m2m_cred_kind kind, const char *s, char **out)
{
	m2m_id *id = NULL;
	size_t len;
	m2m_err r;

	*out = NULL;
	if ((r = text_len(s, &len)) != M2M_OK)
		return r;
	for (size_t i = 0; i < NKINDS; i++) {
		if (kinds_tab[i].kind != kind)
			continue;
		if (kind == M2M_CRED_KIND_CERT)
			return canon_cert_id(s, len, out);
		if ((r = m2m_id_parse(s, len, kinds_tab[i].idkind, &id)) != M2M_OK)
			return r;
		*out = strdup(m2m_id_canonical(id));
		m2m_id_free(id);
		return *out != NULL ? M2M_OK : M2M_E_NOMEM;
	}
	return M2M_E_INVAL;
}

/* Owner (Enrolee-ID, AE-ID, CSE-ID, an FQDN for MAF/MEF, or a Credential-ID) or target
 * (CSE-ID, AE-ID, or the FQDN of a MAF/MEF enrolment target). */
static m2m_err canon_party(const char *s, bool owner, char **out)
{
	m2m_id *id = NULL;
	m2m_id_kind k;
	size_t len;
	m2m_err r;

	*out = NULL;
	if ((r = text_len(s, &len)) != M2M_OK)
		return r;
	if ((r = m2m_id_parse(s, len, M2M_ID_ANY, &id)) != M2M_OK)
		return r;
	k = m2m_id_kind_of(id);
	if (k == M2M_ID_CSE_ID || k == M2M_ID_AE_ID || k == M2M_ID_FQDN ||
	    (owner && k == M2M_ID_CREDENTIAL_ID))
		*out = strdup(m2m_id_canonical(id));
	else
		r = M2M_E_ID_BAD_TYPE;
	m2m_id_free(id);
	if (r == M2M_OK && *out == NULL)
		r = M2M_E_NOMEM;
	return r;
}

/* The store-wide unique key: ASCII lowercase of the canonical id (identifiers are ASCII). */
static char *fold_id(const char *canon)
{
	char *f = strdup(canon);

	for (char *p = f; p != NULL && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return f;
}

/* ---- open / close ----------------------------------------------------------------------- */

static m2m_err store_open(const char *uri, bool create, m2m_credstore **out)
{
	const m2mi_credstore_ops *ops = &m2mi_credstore_sqlite_ops;
	const char *loc = uri;
	m2m_credstore *s;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (uri == NULL)
		return M2M_E_INVAL;
	if (strncmp(uri, "sqlite:", 7) == 0) /* public: URI scheme */
		loc = uri + 7;
	else if (m2mi_pg_is_uri(uri))
		ops = &m2mi_credstore_pg_ops; /* store/credstore_pg.c: the whole URI is the location */
	else if (strncmp(uri, "postgresql:", 11) == 0 || strncmp(uri, "postgres:", 9) == 0)
		return M2M_E_INVAL; /* not a postgresql:// URI */
	if (*loc == '\0')
		return M2M_E_INVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return M2M_E_NOMEM;
	if ((r = ops->open(loc, create, &s->be)) != M2M_OK) {
		free(s);
		return r;
	}
	s->magic = STORE_MAGIC;
	s->ops = ops;
	*out = s;
	return M2M_OK;
}

m2m_err m2m_credstore_open(const char *uri_or_path, m2m_credstore **out)
{
	return store_open(uri_or_path, false, out);
}

m2m_err m2m_credstore_create(const char *uri_or_path, m2m_credstore **out)
{
	return store_open(uri_or_path, true, out);
}

void m2m_credstore_close(m2m_credstore *store)
{
	if (!store_ok(store))
		return;
	store->ops->close(store->be);
	m2m_memzero(store, sizeof(*store));
	free(store);
}

/* ---- add -------------------------------------------------------------------------------- */

/* attrs is opaque text of bounded size (NULL = none). */
static bool attrs_ok(const char *a)
{
	return a == NULL || strnlen(a, M2M_CRED_ATTRS_MAX + 1) <= M2M_CRED_ATTRS_MAX;
}

static m2m_err check_window(int64_t nb, int64_t na)
{
	if (nb < 0 || na < 0 || (nb != 0 && na != 0 && na <= nb))
		return M2M_E_RANGE;
	return M2M_OK;
}

/* Ke and Kc are always the 32 least significant bytes of a 48-byte TLS export (clause 10.3.1);
 * Kpm, Km and Kpsa may be pre-provisioned with any m2m_key length. */
static m2m_err check_key(m2m_cred_kind kind, const m2m_key *key, const char *cert_pem)
{
	if (kind == M2M_CRED_KIND_CERT)
		return key == NULL && cert_pem != NULL ? M2M_OK : M2M_E_INVAL;
	if (key == NULL || cert_pem != NULL || m2m_key_len(key) == 0)
		return M2M_E_INVAL;
	if ((kind == M2M_CRED_KIND_KE || kind == M2M_CRED_KIND_KC) && m2m_key_len(key) != M2M_KEY_LEN)
		return M2M_E_KEY_LEN;
	return M2M_OK;
}

static m2m_err canon_targets(const m2m_cred_info *in, m2m_cred_info *c)
{
	m2m_err r;

	if (in->ntargets == 0)
		return M2M_OK;
	if (in->targets == NULL)
		return M2M_E_INVAL;
	if (in->ntargets > M2M_CRED_MAX_TARGETS)
		return M2M_E_TOO_LARGE;
	if ((c->targets = calloc(in->ntargets, sizeof(char *))) == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < in->ntargets; i++) {
		if ((r = canon_party(in->targets[i], false, &c->targets[c->ntargets])) != M2M_OK)
			return r;
		c->ntargets++;
		for (size_t j = 0; j + 1 < c->ntargets; j++)
			if (strcmp(c->targets[j], c->targets[c->ntargets - 1]) == 0) /* public: ids */
				return M2M_E_INVAL; /* the same target twice */
	}
	return M2M_OK;
}

m2m_err m2m_credstore_add(m2m_credstore *store, const m2m_cred_info *info, const m2m_key *key,
			  const char *cert_pem, char **id_out)
{
	m2m_cred_info *c = NULL;
	m2mi_cred_row row = {0};
	char *fold = NULL, *fp = NULL, *norm = NULL;
	int64_t cnb = 0, cna = 0;
	m2m_err r;

	if (id_out != NULL)
		*id_out = NULL;
	if (!store_ok(store) || info == NULL || !one_kind((unsigned)info->kind))
		return M2M_E_INVAL;
	if ((r = check_key(info->kind, key, cert_pem)) != M2M_OK)
		return r;
	if ((r = check_window(info->not_before, info->not_after)) != M2M_OK)
		return r;
	if (info->created_at < 0)
		return M2M_E_RANGE;
	if (info->suid != 0 && !m2m_suid_valid(info->suid))
		return M2M_E_ID_BAD_TYPE;
	if (!attrs_ok(info->attrs))
		return M2M_E_RANGE;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return M2M_E_NOMEM;
	c->attrs = info->attrs; /* read only; reset before the free below */
	c->kind = info->kind;
	c->suid = info->suid;
	c->not_before = info->not_before;
	c->not_after = info->not_after;
	c->state = M2M_CRED_STATE_ACTIVE;
	c->created_at = info->created_at;
	if (info->kind == M2M_CRED_KIND_CERT) {
		if ((r = m2mi_credstore_cert_parse(cert_pem, &fp, &cnb, &cna, &norm)) != M2M_OK)
			goto out;
		/* the window is the intersection of the caller's and the certificate's */
		if (cnb > c->not_before)
			c->not_before = cnb;
		if (c->not_after == 0 || cna < c->not_after)
			c->not_after = cna;
		if ((r = check_window(c->not_before, c->not_after)) != M2M_OK)
			goto out;
	}
	if (info->id == NULL && fp != NULL) {
		c->id = fp;
		fp = NULL;
	} else if ((r = canon_id(info->kind, info->id, &c->id)) != M2M_OK) {
		goto out;
	} else if (fp != NULL && strcmp(c->id, fp) != 0) { /* public: fingerprints */
		r = M2M_E_INVAL; /* --id given for a certificate must be its fingerprint */
		goto out;
	}
	if (info->owner != NULL && (r = canon_party(info->owner, true, &c->owner)) != M2M_OK)
		goto out;
	if ((r = canon_targets(info, c)) != M2M_OK)
		goto out;
	if ((fold = fold_id(c->id)) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	row.info = c;
	row.fold = fold;
	row.key = key != NULL ? m2m_key_bytes(key, &row.keylen) : NULL;
	row.cert_pem = norm;
	if ((r = store->ops->insert(store->be, &row)) != M2M_OK)
		goto out;
	if (id_out != NULL && (*id_out = strdup(c->id)) == NULL)
		r = M2M_E_NOMEM; /* stored; only the echo failed */
out:
	free(fold);
	free(fp);
	free(norm);
	c->attrs = NULL;
	m2m_credstore_info_free(c);
	return r;
}

/* ---- resolution and the checks before use ----------------------------------------------- */

/*
 * Find the record that the presented text names, trying each kind in kinds: the text is
 * canonicalised with that kind's grammar and must equal the stored canonical id of a record of
 * that kind. *info always, *key / *pem when asked. An identifier that parses under none of the
 * kinds gives the parser's error.
 */
static m2m_err resolve(m2m_credstore *s, const char *text, unsigned kinds, m2m_cred_info **info,
		       m2m_key **key, char **pem)
{
	m2m_cred_info *fi = NULL;
	m2m_key *fk = NULL;
	char *fpem = NULL, *canon = NULL, *fold = NULL, *last_fold = NULL;
	m2m_err r, parse_err = M2M_OK, found = M2M_E_NOT_FOUND;
	bool parsed = false;

	*info = NULL;
	for (size_t i = 0; i < NKINDS && found == M2M_E_NOT_FOUND; i++) {
		if ((kinds & (unsigned)kinds_tab[i].kind) == 0)
			continue;
		if ((r = canon_id(kinds_tab[i].kind, text, &canon)) != M2M_OK) {
			if (r == M2M_E_NOMEM || r == M2M_E_INVAL) {
				found = r;
				break;
			}
			if (parse_err == M2M_OK)
				parse_err = r;
			continue;
		}
		parsed = true;
		if ((fold = fold_id(canon)) == NULL) {
			found = M2M_E_NOMEM;
			break;
		}
		/* one fetch per distinct fold: ids that differ only in case share a record */
		if (last_fold == NULL || strcmp(fold, last_fold) != 0) { /* public: ids */
			m2m_credstore_info_free(fi);
			m2m_key_free(fk);
			free(fpem);
			fi = NULL, fk = NULL, fpem = NULL;
			r = s->ops->fetch(s->be, fold, &fi, key != NULL ? &fk : NULL, pem != NULL ? &fpem : NULL);
			if (r != M2M_OK && r != M2M_E_NOT_FOUND) {
				found = r;
				break;
			}
			free(last_fold);
			last_fold = fold;
			fold = NULL;
		}
		if (fi != NULL && fi->kind == kinds_tab[i].kind && strcmp(fi->id, canon) == 0) /* public */
			found = M2M_OK;
		free(fold);
		free(canon);
		fold = canon = NULL;
	}
	if (found == M2M_E_NOT_FOUND && !parsed && parse_err != M2M_OK)
		found = parse_err;
	if (found == M2M_OK) {
		*info = fi;
		fi = NULL;
		if (key != NULL) {
			*key = fk;
			fk = NULL;
		}
		if (pem != NULL) {
			*pem = fpem;
			fpem = NULL;
		}
	}
	free(canon);
	free(fold);
	free(last_fold);
	free(fpem);
	m2m_key_free(fk);
	m2m_credstore_info_free(fi);
	return found;
}

m2m_err m2m_credstore_get_info(m2m_credstore *store, const char *id, m2m_cred_info **out)
{
	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (!store_ok(store) || id == NULL)
		return M2M_E_INVAL;
	return resolve(store, id, M2M_CRED_KINDS_ALL, out, NULL, NULL);
}

m2m_err m2m_credstore_revoke(m2m_credstore *store, const char *id, int64_t now)
{
	m2m_cred_info *info = NULL;
	m2m_err r;

	if (!store_ok(store) || id == NULL || now < 0)
		return M2M_E_INVAL;
	if ((r = resolve(store, id, M2M_CRED_KINDS_ALL, &info, NULL, NULL)) == M2M_OK)
		r = store->ops->revoke(store->be, info->id, now);
	m2m_credstore_info_free(info);
	return r;
}

m2m_err m2m_credstore_delete(m2m_credstore *store, const char *id)
{
	m2m_cred_info *info = NULL;
	m2m_err r;

	if (!store_ok(store) || id == NULL)
		return M2M_E_INVAL;
	if ((r = resolve(store, id, M2M_CRED_KINDS_ALL, &info, NULL, NULL)) == M2M_OK)
		r = store->ops->remove(store->be, info->id);
	m2m_credstore_info_free(info);
	return r;
}

/* THE check before use; touch: record now as the last use (a write). */
static m2m_err lookup(m2m_credstore *store, const char *id, unsigned kinds, int64_t now, bool touch,
		      m2m_key **key_out, m2m_cred_info **info_out)
{
	m2m_cred_info *info = NULL;
	m2m_key *k = NULL;
	m2m_err r;

	if (info_out != NULL)
		*info_out = NULL;
	if (key_out == NULL)
		return M2M_E_INVAL;
	*key_out = NULL;
	if (!store_ok(store) || id == NULL || (kinds & ~(unsigned)M2M_CRED_KINDS_SYMMETRIC) != 0 ||
	    kinds == 0)
		return M2M_E_INVAL;
	if ((r = resolve(store, id, kinds, &info, &k, NULL)) != M2M_OK)
		goto out;
	if (k == NULL) {
		r = M2M_E_STORE;
		goto out;
	}
	if ((r = m2m_credstore_check(info, now)) != M2M_OK)
		goto out;
	if ((r = m2m_key_set_id(k, info->id)) != M2M_OK)
		goto out;
	m2m_key_set_suid(k, info->suid);
	m2m_key_set_validity(k, info->not_before, info->not_after);
	/* last_used has one-second resolution: a use in a second already recorded writes nothing
	 * (docs/credstore.md "last_used"); the backends apply the same rule to concurrent uses. */
	if (touch && now > info->last_used) {
		if ((r = store->ops->touch(store->be, info->id, now)) != M2M_OK)
			goto out;
		info->last_used = now;
	}
	*key_out = k;
	k = NULL;
	if (info_out != NULL) {
		*info_out = info;
		info = NULL;
	}
out:
	m2m_key_free(k);
	m2m_credstore_info_free(info);
	return r;
}

m2m_err m2m_credstore_lookup(m2m_credstore *store, const char *id, unsigned kinds, int64_t now,
			     m2m_key **key_out, m2m_cred_info **info_out)
{
	return lookup(store, id, kinds, now, true, key_out, info_out);
}

m2m_err m2m_credstore_lookup_read(m2m_credstore *store, const char *id, unsigned kinds, int64_t now,
				  m2m_key **key_out, m2m_cred_info **info_out)
{
	return lookup(store, id, kinds, now, false, key_out, info_out);
}

m2m_err m2m_credstore_lookup_key(m2m_credstore *store, const char *id, unsigned kinds, int64_t now,
				 m2m_key **out)
{
	return m2m_credstore_lookup(store, id, kinds, now, out, NULL);
}

m2m_err m2m_credstore_lookup_cert(m2m_credstore *store, const char *id, int64_t now, char **pem_out)
{
	m2m_cred_info *info = NULL;
	char *pem = NULL;
	m2m_err r;

	if (pem_out == NULL)
		return M2M_E_INVAL;
	*pem_out = NULL;
	if (!store_ok(store) || id == NULL)
		return M2M_E_INVAL;
	if ((r = resolve(store, id, M2M_CRED_KIND_CERT, &info, NULL, &pem)) != M2M_OK)
		goto out;
	if (pem == NULL) {
		r = M2M_E_STORE;
		goto out;
	}
	if ((r = m2m_credstore_check(info, now)) != M2M_OK)
		goto out;
	if (now > info->last_used && (r = store->ops->touch(store->be, info->id, now)) != M2M_OK)
		goto out;
	*pem_out = pem;
	pem = NULL;
out:
	free(pem);
	m2m_credstore_info_free(info);
	return r;
}

m2m_err m2m_credstore_list(m2m_credstore *store, unsigned kinds, m2m_credstore_list_fn fn, void *arg)
{
	if (!store_ok(store) || fn == NULL || (kinds & ~(unsigned)M2M_CRED_KINDS_ALL) != 0)
		return M2M_E_INVAL;
	return store->ops->list(store->be, kinds == 0 ? (unsigned)M2M_CRED_KINDS_ALL : kinds, fn, arg);
}

m2m_err m2m_credstore_update(m2m_credstore *store, const char *id, unsigned what, const m2m_cred_info *v)
{
	m2m_cred_info *info = NULL, *c = NULL;
	m2m_err r;

	if (!store_ok(store) || id == NULL || v == NULL || what == 0 ||
	    (what & ~(M2M_CRED_SET_NOT_AFTER | M2M_CRED_SET_TARGETS | M2M_CRED_SET_ATTRS)) != 0)
		return M2M_E_INVAL;
	if ((what & M2M_CRED_SET_ATTRS) != 0 && !attrs_ok(v->attrs))
		return M2M_E_RANGE;
	if ((r = resolve(store, id, M2M_CRED_KINDS_ALL, &info, NULL, NULL)) != M2M_OK)
		return r;
	if ((what & M2M_CRED_SET_NOT_AFTER) != 0 && (r = check_window(info->not_before, v->not_after)) != M2M_OK)
		goto out;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	c->not_after = v->not_after;
	c->attrs = v->attrs; /* read only; reset before the free below */
	if ((what & M2M_CRED_SET_TARGETS) != 0 && (r = canon_targets(v, c)) != M2M_OK)
		goto out;
	r = store->ops->update(store->be, info->id, what, c);
out:
	if (c != NULL)
		c->attrs = NULL;
	m2m_credstore_info_free(c);
	m2m_credstore_info_free(info);
	return r;
}

m2m_err m2m_credstore_count_owner(m2m_credstore *store, m2m_cred_kind kind, const char *owner, int64_t now,
				  size_t *active, size_t *all)
{
	char *canon = NULL;
	m2m_err r;

	if (active != NULL)
		*active = 0;
	if (all != NULL)
		*all = 0;
	if (!store_ok(store) || owner == NULL || active == NULL || all == NULL ||
	    strcmp(m2m_credstore_kind_name(kind), "?") == 0) /* exactly one known kind */
		return M2M_E_INVAL;
	if ((r = canon_party(owner, true, &canon)) != M2M_OK)
		return r;
	r = store->ops->count_owner(store->be, kind, canon, now, active, all);
	free(canon);
	return r;
}

m2m_err m2m_credstore_begin(m2m_credstore *store)
{
	if (!store_ok(store))
		return M2M_E_INVAL;
	return store->ops->begin(store->be);
}

m2m_err m2m_credstore_begin_read(m2m_credstore *store)
{
	if (!store_ok(store))
		return M2M_E_INVAL;
	return store->ops->begin_read(store->be);
}

m2m_err m2m_credstore_end(m2m_credstore *store, m2m_err r)
{
	if (!store_ok(store))
		return r != M2M_OK ? r : M2M_E_INVAL;
	return store->ops->end(store->be, r);
}

int m2mi_credstore_mutex_init(pthread_mutex_t *mu)
{
	pthread_mutexattr_t at;
	int rc;

	if ((rc = pthread_mutexattr_init(&at)) != 0)
		return rc;
	rc = pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
	if (rc == 0)
		rc = pthread_mutex_init(mu, &at);
	pthread_mutexattr_destroy(&at);
	return rc;
}
