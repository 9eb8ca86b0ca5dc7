/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the common attributes of oneM2M resources (TS-0004 clause 7.4.1,
 * TS-0001 Table 9.6.1.3.1-1: ty, ri, rn, pi, ct, lt, et, lbl, acpi, cr, st) and the validation
 * of a resource representation in CREATE and UPDATE requests (TS-0004 clauses 7.3.3.3 and
 * 7.3.3.4): the wrapper must name the resource type, every attribute must be known, writable in
 * that operation and of the right JSON type, and mandatory ones present; any violation is
 * BAD_REQUEST with a message naming the attribute. Identifiers, timestamps and the mapping
 * between parsed attributes and store rows live here too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>

#include "services/cse/cse_int.h"

static const m2mi_attr common_attrs[] = {
	{"ty", M2MI_VT_UINT, M2MI_NP, M2MI_NP, true},
	{"ri", M2MI_VT_STR, M2MI_NP, M2MI_NP, true},
	{"pi", M2MI_VT_STR, M2MI_NP, M2MI_NP, true},
	{"ct", M2MI_VT_TIME, M2MI_NP, M2MI_NP, true},
	{"lt", M2MI_VT_TIME, M2MI_NP, M2MI_NP, true},
	{"rn", M2MI_VT_STR, M2MI_O, M2MI_NP, true},
	{"et", M2MI_VT_TIME, M2MI_O, M2MI_O, true},
	{"lbl", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
	{"acpi", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
	{"cr", M2MI_VT_ANY, M2MI_O, M2MI_NP, false},
	{"st", M2MI_VT_UINT, M2MI_NP, M2MI_NP, true},
	/* dynamicAuthorizationConsultationIDs: on every type with acpi (TS-0004 clause 8.2.3) */
	{"daci", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
};

static const m2mi_type *const all_types[] = {
	&m2mi_type_acp, &m2mi_type_ae, &m2mi_type_cnt, &m2mi_type_cin, &m2mi_type_csebase,
	&m2mi_type_grp, &m2mi_type_sub,
	&m2mi_type_mssp, &m2mi_type_svsn, &m2mi_type_asar, &m2mi_type_nod,
	&m2mi_type_fwr, &m2mi_type_dvi, /* ty 13: m2mi_type_of_request / _of_row pick one */
	&m2mi_type_rol, &m2mi_type_tk, &m2mi_type_dac, /* res_dynauth.c */
	&m2mi_type_csr,
};

const m2mi_type *m2mi_type_find(int ty)
{
	for (size_t i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++)
		if (all_types[i]->ty == ty)
			return all_types[i];
	return NULL;
}

bool m2mi_type_allows_child(const m2mi_type *t, int child_ty)
{
	for (const int *p = t->children; p != NULL && *p != 0; p++)
		if (*p == child_ty)
			return true;
	return false;
}

int m2mi_fail(m2mi_ctx *c, int rsc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return rsc;
}

int m2mi_store_fail(m2mi_ctx *c, m2m_err e)
{
	if (e == M2M_E_NOMEM)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	/* distinguishable for the client, without the path (the log has it: sqlite_common.c) */
	if (e == M2M_E_STORAGE_FULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "resource store is full");
	if (e == M2M_E_STORAGE_READONLY)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "resource store is read-only");
	return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "resource store failure");
}

void m2mi_node_clear(m2mi_node *n)
{
	if (n == NULL)
		return;
	m2m_res_clear(&n->row);
	json_decref(n->attr);
	n->attr = NULL;
}

void m2mi_parsed_clear(m2m_cse_worker *w)
{
	for (size_t i = 0; w != NULL && i < M2MI_PARSED_SLOTS; i++) {
		free(w->parsed[i].text);
		json_decref(w->parsed[i].attr);
		memset(&w->parsed[i], 0, sizeof(w->parsed[i]));
	}
}

/*
 * A private copy of the parse of the stored text body. Parsing is most of the CPU of a RETRIEVE
 * (jansson allocates and hashes every member), copying a parsed object a fraction of it, so the
 * worker memoises text -> parse: an entry is used only when the text read in this transaction is
 * byte for byte the memoised one, and the caller always gets its own copy to modify.
 */
static json_t *parse_body(m2m_cse_worker *w, const char *body)
{
	size_t len = strlen(body);
	uint32_t h = 2166136261u; /* FNV-1a */
	m2mi_parsed *p;
	json_t *v;

	if (len > M2MI_PARSED_MAX)
		return json_loads(body, 0, NULL);
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)body[i]) * 16777619u;
	p = &w->parsed[h % M2MI_PARSED_SLOTS];
	if (p->attr != NULL && p->len == len && memcmp(p->text, body, len) == 0) /* public: stored JSON */
		return json_deep_copy(p->attr);
	if ((v = json_loads(body, 0, NULL)) == NULL || !json_is_object(v))
		return v;
	free(p->text);
	json_decref(p->attr);
	p->attr = NULL;
	p->len = len;
	if ((p->text = malloc(len + 1)) != NULL) {
		memcpy(p->text, body, len + 1);
		p->attr = json_deep_copy(v);
	}
	return v;
}

int m2mi_node_attrs(m2mi_ctx *c, m2mi_node *n)
{
	if (n->attr != NULL)
		return 0;
	if (n->row.body == NULL || (n->attr = parse_body(c->w, n->row.body)) == NULL || !json_is_object(n->attr)) {
		json_decref(n->attr);
		n->attr = NULL;
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "stored resource is corrupt");
	}
	return 0;
}

/* Replace *dst by the compact JSON of v (NULL when v is NULL/absent). */
static int dump_to(m2mi_ctx *c, json_t *v, char **dst)
{
	char *s = NULL;

	if (v != NULL && !json_is_null(v) && (s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	free(*dst);
	*dst = s;
	return 0;
}

int m2mi_node_sync(m2mi_ctx *c, m2mi_node *n)
{
	const char *lt = json_string_value(json_object_get(n->attr, "lt"));
	const char *et = json_string_value(json_object_get(n->attr, "et"));
	int rsc;

	if ((rsc = dump_to(c, n->attr, &n->row.body)) != 0 ||
	    (rsc = dump_to(c, json_object_get(n->attr, "acpi"), &n->row.acpi)) != 0 ||
	    (rsc = dump_to(c, json_object_get(n->attr, "lbl"), &n->row.lbl)) != 0)
		return rsc;
	snprintf(n->row.lt, sizeof(n->row.lt), "%s", lt ? lt : n->row.ct);
	snprintf(n->row.et, sizeof(n->row.et), "%s", et ? et : "");
	return 0;
}

/* ---- identifiers and time ------------------------------------------------------------------ */

void m2mi_time_fmt(int64_t t, char out[M2M_RES_TIME_LEN])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t < 0 || gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999) {
		snprintf(out, M2M_RES_TIME_LEN, "99991231T235959");
		return;
	}
	snprintf(out, M2M_RES_TIME_LEN, "%04u%02u%02uT%02u%02u%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool m2mi_time_parse(const char *s, int64_t *t)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, se;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (s == NULL || strlen(s) != 15 || s[8] != 'T')
		return false;
	y = digits(s, 4);
	mo = digits(s + 4, 2);
	d = digits(s + 6, 2);
	h = digits(s + 9, 2);
	mi = digits(s + 11, 2);
	se = digits(s + 13, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || se < 0 || se > 59)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*t = (int64_t)timegm(&tm);
	return tm.tm_mday == d; /* 29 Feb of a non-leap year normalises away */
}

int m2mi_new_ri(m2mi_ctx *c, const char *prefix, char *out, size_t cap)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[16];
	size_t pl = strlen(prefix);

	if (pl + sizeof(rnd) + 1 > cap || RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "cannot generate a resource identifier");
	memcpy(out, prefix, pl);
	for (size_t i = 0; i < sizeof(rnd); i++)
		out[pl + i] = alpha[rnd[i] % 36];
	out[pl + sizeof(rnd)] = '\0';
	return 0;
}

/* resourceName: 1..64 RFC 3986 unreserved characters (no '/', so paths stay unambiguous). */
bool m2mi_rn_ok(const char *rn)
{
	size_t n = strlen(rn);

	if (n == 0 || n > 64 || strcmp(rn, ".") == 0 || strcmp(rn, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = rn[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '.' || ch == '_' || ch == '~'))
			return false;
	}
	return true;
}

/* ---- validation -------------------------------------------------------------------------- */

static bool common_applies(const m2mi_type *t, const char *sn)
{
	if (strcmp(sn, "acpi") == 0 || strcmp(sn, "daci") == 0)
		return t->flags & M2MI_F_ACPI;
	if (strcmp(sn, "cr") == 0)
		return t->flags & M2MI_F_CR;
	if (strcmp(sn, "st") == 0)
		return t->flags & M2MI_F_ST;
	if (strcmp(sn, "et") == 0)
		return t->flags & M2MI_F_ET;
	if (strcmp(sn, "lbl") == 0)
		return t->flags & M2MI_F_LBL;
	return true;
}

static const m2mi_attr *attr_find(const m2mi_type *t, const char *sn)
{
	for (size_t i = 0; i < sizeof(common_attrs) / sizeof(common_attrs[0]); i++)
		if (strcmp(common_attrs[i].sn, sn) == 0)
			return common_applies(t, sn) ? &common_attrs[i] : NULL;
	for (size_t i = 0; i < t->nattrs; i++)
		if (strcmp(t->attrs[i].sn, sn) == 0)
			return &t->attrs[i];
	return NULL;
}

static const char *vt_name(m2mi_vt vt)
{
	switch (vt) {
	case M2MI_VT_STR: return "a string";
	case M2MI_VT_BOOL: return "a boolean";
	case M2MI_VT_UINT: return "a non-negative integer";
	case M2MI_VT_POSINT: return "a positive integer";
	case M2MI_VT_STRLIST: return "a list of strings";
	case M2MI_VT_OBJ: return "an object";
	case M2MI_VT_TIME: return "a timestamp YYYYMMDDTHHMMSS";
	case M2MI_VT_CSZ: return "a non-empty list of xml, json, cbor";
	case M2MI_VT_CNF: return "type/subtype:encodingType[:contentSecurity] (TS-0004 Table 6.3.3-1)";
	case M2MI_VT_ESI: return "an m2m:e2eSecInfo {esf, escert, esro} (TS-0004 6.3.5.52)";
	default: return "a value";
	}
}

static bool vt_ok(m2mi_vt vt, json_t *v)
{
	size_t i;
	json_t *e;
	int64_t t;

	switch (vt) {
	case M2MI_VT_STR: return json_is_string(v);
	case M2MI_VT_BOOL: return json_is_boolean(v);
	case M2MI_VT_UINT: return json_is_integer(v) && json_integer_value(v) >= 0;
	case M2MI_VT_POSINT: return json_is_integer(v) && json_integer_value(v) > 0;
	case M2MI_VT_OBJ: return json_is_object(v);
	case M2MI_VT_TIME: return json_is_string(v) && m2mi_time_parse(json_string_value(v), &t);
	case M2MI_VT_CSZ: return m2mi_csz_ok(v);
	case M2MI_VT_CNF: return m2mi_cnf_ok(json_string_value(v));
	case M2MI_VT_ESI: return m2mi_esi_ok(v);
	case M2MI_VT_STRLIST:
		if (!json_is_array(v))
			return false;
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return false;
		return true;
	default: return true;
	}
}

/* Check the wrapper {"m2m:xxx": {...}} of the content against type t; *inner on success. */
static int unwrap(m2mi_ctx *c, const m2mi_type *t, json_t **inner)
{
	json_t *pc = c->req->pc;

	*inner = NULL;
	if (pc == NULL)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "the request has no content");
	if (!json_is_object(pc) || json_object_size(pc) != 1 || (*inner = json_object_get(pc, t->wrapper)) == NULL ||
	    !json_is_object(*inner))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "content must be {\"%s\": {...}} for resource type %d",
				 t->wrapper, t->ty);
	return 0;
}

/* Validate the attributes of inner for op (CREATE or UPDATE) against type t. */
static int validate(m2mi_ctx *c, const m2mi_type *t, json_t *inner, m2m_op op)
{
	const char *sn;
	json_t *v;

	json_object_foreach(inner, sn, v) {
		const m2mi_attr *a = attr_find(t, sn);
		unsigned char p;

		if (a == NULL)
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "unknown attribute %.64s", sn);
		p = op == M2M_OP_CREATE ? a->c : a->u;
		if (p == M2MI_NP)
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute %s is read-only", sn);
		if (strcmp(sn, "cr") == 0) {
			if (!json_is_null(v))
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute cr must be null");
			continue;
		}
		if (json_is_null(v)) {
			if (op == M2M_OP_UPDATE && a->one)
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute %s cannot be deleted", sn);
			if (op == M2M_OP_CREATE && p == M2MI_M)
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute %s is mandatory", sn);
			continue;
		}
		if (!vt_ok(a->vt, v))
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute %s must be %s", sn, vt_name(a->vt));
	}
	if (op == M2M_OP_CREATE)
		for (size_t i = 0; i < t->nattrs; i++)
			if (t->attrs[i].c == M2MI_M && json_object_get(inner, t->attrs[i].sn) == NULL)
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute %s is mandatory", t->attrs[i].sn);
	if (op == M2M_OP_UPDATE && json_object_size(inner) == 0)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "the update names no attribute");
	return 0;
}

/* expirationTime of a new or updated resource: in the future, and not after the parent's. */
static int check_et(m2mi_ctx *c, json_t *attr, const char *parent_et, bool create)
{
	json_t *v = json_object_get(attr, "et");
	char buf[M2M_RES_TIME_LEN];

	if (v != NULL && !json_is_null(v)) {
		if (strcmp(json_string_value(v), c->now_s) <= 0)
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute et is in the past");
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	} else if (create) {
		m2mi_time_fmt(m2mi_sat_add(c->now, M2MI_DEFAULT_ET), buf);
	} else {
		return 0;
	}
	if (parent_et != NULL && parent_et[0] != '\0' && strcmp(buf, parent_et) > 0)
		snprintf(buf, sizeof(buf), "%s", parent_et); /* TS-0004 7.3.3.3: not after the parent */
	return json_object_set_new(attr, "et", json_string(buf)) == 0
		       ? 0 : m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
}

/* UPDATE of et: a child never outlives its parent. TS-0004 7.3.3.3 lets the Hosting CSE lower an
 * et only in a CREATE; for an UPDATE, 7.3.3.4 ("O attribute": a value not accepted for any other
 * reason) and 7.3.3.7 (only an accepted value is used) make it BAD_REQUEST. */
static int check_et_parent(m2mi_ctx *c, const m2mi_node *n, json_t *et)
{
	m2m_res parent = {0};
	m2m_err e;
	int rsc = 0;

	if (!json_is_string(et) || n->row.pi == NULL || n->row.pi[0] == '\0')
		return 0;
	if ((e = m2m_resstore_get(c->st, n->row.pi, &parent)) != M2M_OK)
		rsc = m2mi_store_fail(c, e); /* the parent of a live resource exists */
	else if (parent.et[0] != '\0' && strcmp(json_string_value(et), parent.et) > 0)
		rsc = m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute et is after the parent's et %s", parent.et);
	m2m_res_clear(&parent);
	return rsc;
}

/* ---- the generic procedures ---------------------------------------------------------------- */

static int set_str(m2mi_ctx *c, char **dst, const char *s)
{
	free(*dst);
	if ((*dst = s ? strdup(s) : NULL) == NULL && s != NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	return 0;
}

/* Common attributes of a new resource n under parent p. */
static int create_common(m2mi_ctx *c, const m2mi_type *t, m2mi_node *p, m2mi_node *n)
{
	json_t *a = n->attr, *rnv = json_object_get(a, "rn");
	char ri[M2MI_RI_MAX + M2M_ORIG_MAX], path[1024], rn[80];
	int rsc, len;

	if (t->ty == M2M_TY_AE)
		snprintf(ri, sizeof(ri), "%s", c->orig.cse_relative);
	else if (c->pre_ri[0] != '\0')
		snprintf(ri, sizeof(ri), "%s", c->pre_ri);
	else if ((rsc = m2mi_new_ri(c, t->prefix, ri, sizeof(ri))) != 0)
		return rsc;
	if (snprintf(rn, sizeof(rn), "%s", rnv ? json_string_value(rnv) : ri) >= (int)sizeof(rn) || !m2mi_rn_ok(rn))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute rn is not a valid resource name");
	if (p->row.ty == M2M_TY_CNT && (strcmp(rn, "la") == 0 || strcmp(rn, "ol") == 0))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "resource names la and ol are reserved in a container");
	if (p->row.ty == M2M_TY_GRP && strcmp(rn, "fopt") == 0) /* TS-0004 Table 7.4.13.1-4 */
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "resource name fopt is reserved in a group");
	len = snprintf(path, sizeof(path), "%s/%s", p->row.path, rn);
	if (len < 0 || (size_t)len >= sizeof(path))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "the resource tree is too deep");
	if ((rsc = check_et(c, a, (t->flags & M2MI_F_ET) ? p->row.et : NULL, true)) != 0)
		return rsc;
	if (!(t->flags & M2MI_F_ET))
		json_object_del(a, "et");
	if (json_object_get(a, "acpi") != NULL && (rsc = m2mi_access_check_acpi(c, json_object_get(a, "acpi"))) != 0)
		return rsc;
	if ((rsc = m2mi_daci_check(c, json_object_get(a, "daci"))) != 0)
		return rsc;
	if (json_object_get(a, "cr") != NULL && json_object_set_new(a, "cr", json_string(c->from)) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	if (json_object_set_new(a, "ty", json_integer(t->ty)) || json_object_set_new(a, "ri", json_string(ri)) ||
	    json_object_set_new(a, "rn", json_string(rn)) || json_object_set_new(a, "pi", json_string(p->row.ri)) ||
	    json_object_set_new(a, "ct", json_string(c->now_s)) || json_object_set_new(a, "lt", json_string(c->now_s)))
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	if ((t->flags & M2MI_F_ST) && json_object_set_new(a, "st", json_integer(0)) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	n->row.ty = t->ty;
	n->row.ver = 1;
	snprintf(n->row.ct, sizeof(n->row.ct), "%s", c->now_s);
	if ((rsc = set_str(c, &n->row.ri, ri)) || (rsc = set_str(c, &n->row.pi, p->row.ri)) ||
	    (rsc = set_str(c, &n->row.rn, rn)) || (rsc = set_str(c, &n->row.path, path)) ||
	    (rsc = set_str(c, &n->row.cr, c->has_orig && (c->rq_authn || c->admin) ? c->orig.absolute : NULL)))
		return rsc;
	return 0;
}

/* Insert n; a name conflict with an expired sibling removes that sibling first. */
static int insert(m2mi_ctx *c, m2mi_node *n)
{
	m2m_err e = m2m_resstore_insert(c->st, &n->row);
	m2mi_node old = {0};
	int rsc;

	if (e != M2M_E_EXISTS)
		return e == M2M_OK ? 0 : m2mi_store_fail(c, e);
	if ((e = m2m_resstore_get_path(c->st, n->row.path, &old.row)) != M2M_OK) {
		m2mi_node_clear(&old);
		return e == M2M_E_NOT_FOUND ? m2mi_fail(c, M2M_RSC_CONFLICT, "resource identifier clash, retry")
					    : m2mi_store_fail(c, e);
	}
	if (!m2mi_expired(c, &old.row)) {
		m2mi_node_clear(&old);
		return m2mi_fail(c, M2M_RSC_CONFLICT, "a resource named %.64s already exists here", n->row.rn);
	}
	rsc = m2mi_res_remove(c, &old, false);
	m2mi_node_clear(&old);
	if (rsc != 0)
		return rsc;
	e = m2m_resstore_insert(c->st, &n->row);
	return e == M2M_OK ? 0 : e == M2M_E_EXISTS ? m2mi_fail(c, M2M_RSC_CONFLICT, "resource name conflict")
						    : m2mi_store_fail(c, e);
}

int m2mi_res_create(m2mi_ctx *c, const m2mi_type *t)
{
	const m2mi_type *pt = m2mi_type_find(c->tgt.row.ty);
	m2mi_node n = {0};
	json_t *inner;
	int rsc;

	if (pt == NULL || !m2mi_type_allows_child(pt, t->ty))
		return t->ty == M2M_TY_SUB ? m2mi_fail(c, M2M_RSC_TARGET_NOT_SUBSCRIBABLE, "the target is not subscribable")
					   : m2mi_fail(c, M2M_RSC_INVALID_CHILD_RESOURCE_TYPE,
						       "resource type %d cannot be created here", t->ty);
	if ((rsc = unwrap(c, t, &inner)) != 0 || (rsc = validate(c, t, inner, M2M_OP_CREATE)) != 0)
		return rsc;
	if ((n.attr = json_deep_copy(inner)) == NULL) {
		rsc = m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		goto out;
	}
	{ /* NULL values in a CREATE mean "absent" (cr: null is the creator request, kept) */
		const char *sn;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(n.attr, tmp, sn, v)
			if (json_is_null(v) && strcmp(sn, "cr") != 0)
				json_object_del(n.attr, sn);
	}
	if ((rsc = create_common(c, t, &c->tgt, &n)) != 0 || (t->create && (rsc = t->create(c, &c->tgt, &n)) != 0))
		goto out;
	if (c->sub_phase == 1) /* dry run of a <subscription> CREATE: validated, nothing written */
		goto out;
	if ((rsc = m2mi_node_sync(c, &n)) != 0 || (rsc = insert(c, &n)) != 0 ||
	    (t->created && (rsc = t->created(c, &c->tgt, &n)) != 0))
		goto out;
	if ((rsc = m2mi_notify_event(c, c->tgt.row.ri, 3, &n)) != 0 || (rsc = m2mi_content(c, &n, M2M_OP_CREATE)) != 0)
		goto out;
	/* Content-Location: unstructured (ri) and structured (path); the binding picks per drt */
	if ((c->rsp->location = strdup(n.row.ri)) == NULL || (c->rsp->location_s = strdup(n.row.path)) == NULL) {
		rsc = m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		goto out;
	}
	c->rsp->rsc = M2M_RSC_CREATED;
out:
	m2mi_node_clear(&n);
	return rsc;
}

int m2mi_res_update(m2mi_ctx *c)
{
	const m2mi_type *t = m2mi_type_of_row(&c->tgt.row);
	m2mi_node *n = &c->tgt;
	json_t *inner, *v, *st;
	const char *sn, *old_et;
	bool later = false;
	int rsc;
	m2m_err e;

	if (t == NULL || t->update == NULL)
		return m2mi_fail(c, M2M_RSC_OPERATION_NOT_ALLOWED, "this resource cannot be updated");
	if ((rsc = unwrap(c, t, &inner)) != 0 || (rsc = validate(c, t, inner, M2M_OP_UPDATE)) != 0 ||
	    (rsc = m2mi_node_attrs(c, n)) != 0)
		return rsc;
	if ((rsc = check_et_parent(c, n, json_object_get(inner, "et"))) != 0)
		return rsc;
	old_et = n->row.et;
	if ((v = json_object_get(inner, "et")) != NULL && json_is_string(v) && old_et[0] != '\0' &&
	    strcmp(json_string_value(v), old_et) < 0) {
		if ((e = m2m_resstore_child_expires_after(c->st, n->row.ri, json_string_value(v), &later)) != M2M_OK)
			return m2mi_store_fail(c, e);
		if (later)
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "a child resource expires after the new et");
	}
	if ((v = json_object_get(inner, "acpi")) != NULL && !json_is_null(v) &&
	    (rsc = m2mi_access_check_acpi(c, v)) != 0)
		return rsc;
	if ((rsc = m2mi_daci_check(c, json_object_get(inner, "daci"))) != 0)
		return rsc;
	json_object_foreach(inner, sn, v) {
		if (json_is_null(v))
			json_object_del(n->attr, sn); /* an absent attribute stays absent */
		else if (json_object_set_new(n->attr, sn, json_deep_copy(v)) != 0)
			return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	}
	if ((rsc = check_et(c, n->attr, NULL, false)) != 0 || (rsc = t->update(c, n, inner)) != 0)
		return rsc;
	if (json_object_set_new(n->attr, "lt", json_string(c->now_s)) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	if ((t->flags & M2MI_F_ST) && (st = json_object_get(n->attr, "st")) != NULL)
		json_integer_set(st, json_integer_value(st) + 1);
	n->row.ver++;
	if ((rsc = m2mi_node_sync(c, n)) != 0)
		return rsc;
	if ((e = m2m_resstore_update(c->st, &n->row)) != M2M_OK)
		return m2mi_store_fail(c, e);
	if (n->row.ty == M2M_TY_ACP)
		m2mi_access_forget(c, n->row.ri);
	if ((rsc = m2mi_notify_event(c, n->row.ri, 1, n)) != 0 || (rsc = m2mi_content(c, n, M2M_OP_UPDATE)) != 0)
		return rsc;
	c->rsp->rsc = M2M_RSC_UPDATED;
	return 0;
}

int m2mi_res_remove(m2mi_ctx *c, m2mi_node *n, bool notify)
{
	m2m_err e;
	int rsc;

	if (n->row.ty == M2M_TY_CIN && (rsc = m2mi_cnt_forget(c, &n->row)) != 0)
		return rsc;
	if ((rsc = m2mi_notify_subtree_deleted(c, &n->row)) != 0) /* TS-0004 7.5.1.2.4 */
		return rsc;
	if (notify && n->row.pi != NULL) {
		if ((rsc = m2mi_notify_event(c, n->row.pi, 4, n)) != 0 || (rsc = m2mi_notify_event(c, n->row.ri, 2, n)) != 0)
			return rsc;
	}
	if ((rsc = m2mi_grp_prune(c, n->row.path)) != 0) /* members leave their groups now */
		return rsc;
	if ((e = m2m_resstore_delete(c->st, n->row.path, NULL)) != M2M_OK)
		return m2mi_store_fail(c, e);
	if (n->row.ty == M2M_TY_ACP)
		m2mi_access_forget(c, n->row.ri);
	return 0;
}

int m2mi_res_delete(m2mi_ctx *c)
{
	const m2mi_type *t = m2mi_type_find(c->tgt.row.ty);
	int rsc;

	if (t == NULL || (t->remove && (rsc = t->remove(c, &c->tgt)) != 0))
		return t == NULL ? m2mi_fail(c, M2M_RSC_OPERATION_NOT_ALLOWED, "this resource cannot be deleted") : rsc;
	if ((rsc = m2mi_content(c, &c->tgt, M2M_OP_DELETE)) != 0 || (rsc = m2mi_res_remove(c, &c->tgt, true)) != 0)
		return rsc;
	c->rsp->rsc = M2M_RSC_DELETED;
	return 0;
}
