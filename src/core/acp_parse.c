/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the parsing, strict validation and compilation of an m2m:setOfAcrs value
 * (the privileges / selfPrivileges attributes of <accessControlPolicy>, TS-0003 clause 7.1.3,
 * TS-0004 Tables 6.3.5.26-1, 6.3.5.27-1, 6.3.5.28-1, short names of TS-0004 clause 8.2.5) into
 * the compiled form of core/acp_int.h (reference counting of that form: core/acp_cache.c).
 *
 * Fail closed: unknown members, wrong JSON types, duplicate keys, empty lists whose meaning is
 * ambiguous (actw, ipv4, ipv6, accc, chty, acor), bad cron/CIDR/IDs, a wildcard in a Role-ID and
 * ty 13/28 without spty are all rejected with a message naming the member path; the CSE answers
 * 4000 BAD_REQUEST. Every compiled block lives in one arena freed with the last reference.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/acp_int.h"

#define ACP_MSG_MAX 256
#define ACP_PATH_MAX 96
#define ACP_CHUNK 8192

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	_Alignas(max_align_t) unsigned char data[];
};

struct pctx {
	struct arena_chunk *arena;
	char msg[ACP_MSG_MAX];
};

__attribute__((format(printf, 4, 5))) static m2m_err perr(struct pctx *pc, m2m_err code,
							   const char *path, const char *fmt, ...)
{
	char tail[ACP_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);
	if (snprintf(pc->msg, sizeof(pc->msg), "%s%s%s", path, *path ? ": " : "", tail) < 0)
		pc->msg[0] = '\0';
	return code;
}

/* A member path "acr[2].acco[0].actw[1]" into p[ACP_PATH_MAX], truncated if ever too long. */
__attribute__((format(printf, 2, 3))) static void pathf(char *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, ACP_PATH_MAX, fmt, ap);
	va_end(ap);
}

static void arena_free(struct arena_chunk *c)
{
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
}

/* Zeroed, max_align_t-aligned n bytes that live as long as the arena; NULL on OOM. */
static void *arena_alloc(struct pctx *pc, size_t n)
{
	struct arena_chunk *c = pc->arena;
	size_t a = _Alignof(max_align_t);

	n = (n + a - 1) & ~(a - 1);
	if (!c || c->cap - c->used < n) {
		size_t cap = n > ACP_CHUNK ? n : ACP_CHUNK;
		c = calloc(1, sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->next = pc->arena;
		pc->arena = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

static const char *jtype(const json_t *v)
{
	static const char *const names[] = {"an object", "an array", "a string", "an integer",
					    "a real number", "a boolean", "a boolean", "null"};
	unsigned t = (unsigned)json_typeof(v);
	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "an unknown JSON type";
}

/* v must be an object whose members are all in mem[0..n) (fail closed on unknown members). */
static m2m_err check_object(struct pctx *pc, const char *path, const json_t *v,
			    const char *const *mem, size_t n)
{
	char list[64] = "", q[36];
	const char *key;
	json_t *val;

	if (!json_is_object(v))
		return perr(pc, M2M_E_ACP_PARSE, path, "must be an object, not %s", jtype(v));
	json_object_foreach((json_t *)v, key, val) {
		size_t i = 0;
		while (i < n && strcmp(key, mem[i]) != 0) /* public: JSON member names */
			i++;
		if (i < n)
			continue;
		for (i = 0; i < n; i++)
			if (snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				     i ? ", " : "", mem[i]) < 0)
				break;
		return perr(pc, M2M_E_ACP_PARSE, path, "unknown member \"%s\" (allowed: %s)",
			    (m2mi_acp_quote(key, strlen(key), q), q), list);
	}
	return M2M_OK;
}

/* A non-empty array of at most M2M_ACP_MAX_LIST elements. */
static m2m_err get_list(struct pctx *pc, const char *path, const json_t *v, size_t *n)
{
	if (!json_is_array(v))
		return perr(pc, M2M_E_ACP_PARSE, path, "must be an array, not %s", jtype(v));
	*n = json_array_size(v);
	if (*n == 0)
		return perr(pc, M2M_E_ACP_VALUE, path, "must not be an empty list");
	if (*n > M2M_ACP_MAX_LIST)
		return perr(pc, M2M_E_ACP_LIMIT, path, "more than %d entries", M2M_ACP_MAX_LIST);
	return M2M_OK;
}

static m2m_err get_int(struct pctx *pc, const char *path, const json_t *v, long lo, long hi,
		       long *out)
{
	if (!json_is_integer(v))
		return perr(pc, M2M_E_ACP_VALUE, path, "must be an integer %ld..%ld, not %s", lo, hi,
			    jtype(v));
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return perr(pc, M2M_E_ACP_VALUE, path, "must be an integer %ld..%ld (got %lld)", lo,
			    hi, (long long)json_integer_value(v));
	*out = (long)json_integer_value(v);
	return M2M_OK;
}

/* A string of 1..M2M_ACP_STR_MAX bytes without blanks or control characters. */
static m2m_err get_token(struct pctx *pc, const char *path, const json_t *v, const char **s,
			 size_t *n)
{
	if (!json_is_string(v))
		return perr(pc, M2M_E_ACP_VALUE, path, "must be a string, not %s", jtype(v));
	*s = json_string_value(v);
	*n = json_string_length(v);
	if (*n == 0)
		return perr(pc, M2M_E_ACP_VALUE, path, "must not be an empty string");
	if (*n > M2M_ACP_STR_MAX)
		return perr(pc, M2M_E_ACP_LIMIT, path, "longer than %d bytes", M2M_ACP_STR_MAX);
	for (size_t i = 0; i < *n; i++)
		if ((unsigned char)(*s)[i] <= 0x20 || (*s)[i] == 0x7f)
			return perr(pc, M2M_E_ACP_VALUE, path, "contains a blank or control character");
	return M2M_OK;
}

static char *arena_strdup(struct pctx *pc, const char *s, size_t n)
{
	char *d = arena_alloc(pc, n + 1);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* Classify (core/acp.c) and pre-split one accessControlOriginators entry. */
static m2m_err parse_orig(struct pctx *pc, const char *path, const json_t *v, void *out)
{
	struct m2mi_acp_orig *o = out;
	const char *s;
	char *d;
	size_t n;
	uint16_t *seg;
	m2m_err r = get_token(pc, path, v, &s, &n);

	if (r != M2M_OK)
		return r;
	if ((r = m2mi_acp_orig_classify(s, n, o, pc->msg, sizeof(pc->msg))) != M2M_OK)
		return perr(pc, r, path, "%s", pc->msg);
	if (!(o->s = d = arena_strdup(pc, s, n)))
		return M2M_E_NOMEM;
	/* the SP domain is an FQDN: compiled lower-case, as in canonical IDs (RFC 4343) */
	for (size_t i = 2; (o->cls == M2MI_ACP_ORIG_ABS || o->cls == M2MI_ACP_ORIG_DOMAIN) &&
			   i < n && d[i] != '/'; i++)
		d[i] = (char)(d[i] >= 'A' && d[i] <= 'Z' ? d[i] - 'A' + 'a' : d[i]);
	if (!o->star || o->cls == M2MI_ACP_ORIG_DOMAIN)
		return M2M_OK;
	if (!(seg = arena_alloc(pc, (o->nseg + 1u) * sizeof(*seg))))
		return M2M_E_NOMEM;
	seg[0] = 0;
	for (size_t i = 0, k = 1; i < n; i++)
		if (s[i] == '/')
			seg[k++] = (uint16_t)(i + 1);
	seg[o->nseg] = (uint16_t)(n + 1);
	o->seg = seg;
	return M2M_OK;
}

typedef m2m_err (*text_fn)(const char *s, size_t n, void *out, char *msg, size_t msgcap);

static m2m_err text_cron(const char *s, size_t n, void *out, char *msg, size_t msgcap)
{
	return m2mi_acp_cron_parse(s, n, out, msg, msgcap);
}

static m2m_err text_ip4(const char *s, size_t n, void *out, char *msg, size_t msgcap)
{
	return m2mi_acp_ip_parse4(s, n, out, msg, msgcap);
}

static m2m_err text_ip6(const char *s, size_t n, void *out, char *msg, size_t msgcap)
{
	return m2mi_acp_ip_parse6(s, n, out, msg, msgcap);
}

static m2m_err text_cc(const char *s, size_t n, void *out, char *msg, size_t msgcap)
{
	if (n != 2 || !M2MI_ACP_ALPHA(s[0]) || !M2MI_ACP_ALPHA(s[1])) {
		snprintf(msg, msgcap, "must be a 2-letter ISO 3166-1 country code");
		return M2M_E_ACP_VALUE;
	}
	*(uint16_t *)out = (uint16_t)(M2MI_ACP_UPPER(s[0]) << 8 | M2MI_ACP_UPPER(s[1]));
	return M2M_OK;
}

/* path.name = v: a non-empty list of strings, each compiled by fn into an elem-byte slot. */
static m2m_err text_list(struct pctx *pc, const char *path, const char *name, const json_t *v,
			 size_t elem, text_fn fn, m2m_err code, void **arr, uint32_t *count)
{
	char p[ACP_PATH_MAX];
	unsigned char *a;
	size_t n;
	m2m_err r;

	*arr = NULL, *count = 0; /* defined on every path (GCC 12 -O2 maybe-uninitialized in callers) */
	pathf(p, "%s.%s", path, name);
	if ((r = get_list(pc, p, v, &n)) != M2M_OK)
		return r;
	if (!(a = arena_alloc(pc, n * elem)))
		return M2M_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		pathf(p, "%s.%s[%zu]", path, name, i);
		if (!json_is_string(e))
			return perr(pc, code, p, "must be a string, not %s", jtype(e));
		if ((r = fn(json_string_value(e), json_string_length(e), a + i * elem, pc->msg,
			    sizeof(pc->msg))) != M2M_OK)
			return perr(pc, r, p, "%s", pc->msg);
	}
	*arr = a;
	*count = (uint32_t)n;
	return M2M_OK;
}

typedef m2m_err (*obj_fn)(struct pctx *pc, const char *path, const json_t *v, void *out);

/* path.name = v: a possibly empty list of objects, each compiled by fn into an elem-byte slot
 * (an empty list compiles to NULL/0: "no constraint"). */
static m2m_err obj_list(struct pctx *pc, const char *path, const char *name, const json_t *v,
			size_t elem, obj_fn fn, void **arr, uint32_t *count)
{
	char p[ACP_PATH_MAX];
	unsigned char *a = NULL;
	size_t n;
	m2m_err r;

	pathf(p, "%s.%s", path, name);
	if (!json_is_array(v))
		return perr(pc, M2M_E_ACP_PARSE, p, "must be an array, not %s", jtype(v));
	if ((n = json_array_size(v)) > M2M_ACP_MAX_LIST)
		return perr(pc, M2M_E_ACP_LIMIT, p, "more than %d entries", M2M_ACP_MAX_LIST);
	if (n && !(a = arena_alloc(pc, n * elem)))
		return M2M_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		pathf(p, "%s.%s[%zu]", path, name, i);
		if ((r = fn(pc, p, json_array_get(v, i), a + i * elem)) != M2M_OK)
			return r;
	}
	*arr = a;
	*count = (uint32_t)n;
	return M2M_OK;
}

static m2m_err parse_acip(struct pctx *pc, const char *path, const json_t *v,
			  struct m2mi_acp_ctx *c)
{
	static const char *const mem[] = {"ipv4", "ipv6"};
	const json_t *l4, *l6;
	void *a;
	m2m_err r;

	if ((r = check_object(pc, path, v, mem, 2)) != M2M_OK)
		return r;
	l4 = json_object_get(v, "ipv4");
	l6 = json_object_get(v, "ipv6");
	if (!l4 && !l6)
		return perr(pc, M2M_E_ACP_PARSE, path, "needs ipv4 or ipv6");
	c->has_ip = true;
	if (l4) {
		if ((r = text_list(pc, path, "ipv4", l4, sizeof(*c->v4), text_ip4, M2M_E_ACP_IP, &a,
				   &c->nv4)) != M2M_OK)
			return r;
		c->v4 = a;
	}
	if (l6) {
		if ((r = text_list(pc, path, "ipv6", l6, sizeof(*c->v6), text_ip6, M2M_E_ACP_IP, &a,
				   &c->nv6)) != M2M_OK)
			return r;
		c->v6 = a;
	}
	return M2M_OK;
}

static m2m_err parse_aclr(struct pctx *pc, const char *path, const json_t *v,
			  struct m2mi_acp_ctx *c)
{
	static const char *const mem[] = {"accc", "accr"};
	char p[ACP_PATH_MAX];
	const json_t *cc, *cr;
	m2m_err r;

	if ((r = check_object(pc, path, v, mem, 2)) != M2M_OK)
		return r;
	cc = json_object_get(v, "accc");
	cr = json_object_get(v, "accr");
	if (!cc == !cr)
		return perr(pc, M2M_E_ACP_PARSE, path, "needs exactly one of accc and accr");
	if (cc) {
		void *a;
		if ((r = text_list(pc, path, "accc", cc, sizeof(*c->cc), text_cc, M2M_E_ACP_VALUE, &a,
				   &c->ncc)) != M2M_OK)
			return r;
		c->lr = M2MI_ACP_LR_COUNTRY;
		c->cc = a;
		return M2M_OK;
	}
	pathf(p, "%s.accr", path);
	if (!json_is_array(cr) || json_array_size(cr) != 3 || !json_is_number(json_array_get(cr, 0)) ||
	    !json_is_number(json_array_get(cr, 1)) || !json_is_number(json_array_get(cr, 2)))
		return perr(pc, M2M_E_ACP_VALUE, p, "must be [latitude, longitude, radius_m]");
	{
		double lat = json_number_value(json_array_get(cr, 0));
		double lon = json_number_value(json_array_get(cr, 1));
		double rad = json_number_value(json_array_get(cr, 2));
		if (!(lat >= -90.0 && lat <= 90.0) || !(lon >= -180.0 && lon <= 180.0) ||
		    !(rad >= 0.0 && rad <= 1e12))
			return perr(pc, M2M_E_ACP_VALUE, p,
				    "latitude -90..90, longitude -180..180, radius 0..1e12 m");
		m2mi_acp_circle_init(c, lat, lon, rad);
	}
	return M2M_OK;
}

static m2m_err parse_ctx(struct pctx *pc, const char *path, const json_t *v, void *out)
{
	static const char *const mem[] = {"actw", "acip", "aclr"};
	struct m2mi_acp_ctx *c = out;
	char p[ACP_PATH_MAX];
	const json_t *e;
	void *a;
	m2m_err r;

	if ((r = check_object(pc, path, v, mem, 3)) != M2M_OK)
		return r;
	if ((e = json_object_get(v, "actw"))) {
		if ((r = text_list(pc, path, "actw", e, sizeof(*c->tw), text_cron, M2M_E_ACP_CRON, &a,
				   &c->ntw)) != M2M_OK)
			return r;
		c->has_tw = true;
		c->tw = a;
	}
	pathf(p, "%s.acip", path);
	if ((e = json_object_get(v, "acip")) && (r = parse_acip(pc, p, e, c)) != M2M_OK)
		return r;
	pathf(p, "%s.aclr", path);
	if ((e = json_object_get(v, "aclr")) && (r = parse_aclr(pc, p, e, c)) != M2M_OK)
		return r;
	return M2M_OK;
}

static m2m_err parse_objd(struct pctx *pc, const char *path, const json_t *v, void *out)
{
	static const char *const mem[] = {"ty", "spty", "chty"};
	struct m2mi_acp_objd *d = out;
	char p[ACP_PATH_MAX];
	const json_t *ty, *sp, *ch;
	uint16_t *types;
	size_t n;
	long x;
	m2m_err r;

	if ((r = check_object(pc, path, v, mem, 3)) != M2M_OK)
		return r;
	d->ty = -1;
	if ((ty = json_object_get(v, "ty"))) {
		pathf(p, "%s.ty", path);
		if ((r = get_int(pc, p, ty, 1, 65535, &x)) != M2M_OK)
			return r;
		d->ty = (int32_t)x;
	}
	if ((sp = json_object_get(v, "spty"))) {
		char num[24];
		const char *s;
		pathf(p, "%s.spty", path);
		if (json_is_integer(sp)) { /* mgmtDefinition: kept as its decimal text */
			if ((r = get_int(pc, p, sp, 0, INT32_MAX, &x)) != M2M_OK)
				return r;
			snprintf(num, sizeof(num), "%ld", x);
			s = num;
			n = strlen(num);
		} else if ((r = get_token(pc, p, sp, &s, &n)) != M2M_OK) {
			return r;
		}
		if (!(d->spty = arena_strdup(pc, s, n)))
			return M2M_E_NOMEM;
	}
	if ((d->ty == 13 || d->ty == 28) && !d->spty)
		return perr(pc, M2M_E_ACP_VALUE, path, "ty %d requires spty (TS-0003 clause 7.1.5)",
			    (int)d->ty);
	pathf(p, "%s.chty", path);
	if (!(ch = json_object_get(v, "chty")))
		return perr(pc, M2M_E_ACP_PARSE, path, "missing mandatory member \"chty\"");
	if ((r = get_list(pc, p, ch, &n)) != M2M_OK)
		return r;
	if (!(types = arena_alloc(pc, n * sizeof(*types))))
		return M2M_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		pathf(p, "%s.chty[%zu]", path, i);
		if ((r = get_int(pc, p, json_array_get(ch, i), 1, 65535, &x)) != M2M_OK)
			return r;
		types[i] = (uint16_t)x;
	}
	d->chty = types;
	d->nchty = (uint32_t)n;
	return M2M_OK;
}

static m2m_err parse_rule(struct pctx *pc, const char *path, const json_t *v,
			  struct m2mi_acp_rule *rule)
{
	static const char *const mem[] = {"acor", "acop", "acco", "acaf", "acod"};
	char p[ACP_PATH_MAX];
	const json_t *e;
	void *a;
	long x;
	m2m_err r;

	if ((r = check_object(pc, path, v, mem, 5)) != M2M_OK)
		return r;
	if (!(e = json_object_get(v, "acor")))
		return perr(pc, M2M_E_ACP_PARSE, path, "missing mandatory member \"acor\"");
	pathf(p, "%s.acor", path);
	if (json_is_array(e) && json_array_size(e) == 0)
		return perr(pc, M2M_E_ACP_VALUE, p, "must not be an empty list");
	if ((r = obj_list(pc, path, "acor", e, sizeof(*rule->orig), parse_orig, &a,
			  &rule->norig)) != M2M_OK)
		return r;
	rule->orig = a;
	for (uint32_t i = 0; i < rule->norig; i++) {
		const struct m2mi_acp_orig *o = &rule->orig[i];
		rule->all |= o->cls == M2MI_ACP_ORIG_ALL;
		rule->has_group |= !o->star && o->cls >= M2MI_ACP_ORIG_ABS && o->cls <= M2MI_ACP_ORIG_REL;
	}
	if (!(e = json_object_get(v, "acop")))
		return perr(pc, M2M_E_ACP_PARSE, path, "missing mandatory member \"acop\"");
	pathf(p, "%s.acop", path);
	if ((r = get_int(pc, p, e, 1, M2M_ACP_OP_ALL, &x)) != M2M_OK)
		return r;
	rule->acop = (uint8_t)x;
	if ((e = json_object_get(v, "acaf"))) {
		if (!json_is_boolean(e))
			return perr(pc, M2M_E_ACP_VALUE, path, "acaf must be a boolean, not %s",
				    jtype(e));
		rule->acaf = json_is_true(e);
	}
	if ((e = json_object_get(v, "acco"))) {
		if ((r = obj_list(pc, path, "acco", e, sizeof(*rule->ctx), parse_ctx, &a,
				  &rule->nctx)) != M2M_OK)
			return r;
		rule->ctx = a;
	}
	if ((e = json_object_get(v, "acod"))) {
		if ((r = obj_list(pc, path, "acod", e, sizeof(*rule->objd), parse_objd, &a,
				  &rule->nobjd)) != M2M_OK)
			return r;
		rule->objd = a;
	}
	return M2M_OK;
}

static void copy_msg(char *errmsg, size_t errcap, const char *msg)
{
	if (errmsg && errcap)
		snprintf(errmsg, errcap, "%s", msg);
}

m2m_err m2m_acp_rules_from_json(const struct json_t *value, m2m_acp_rules **out, char *errmsg,
				size_t errcap)
{
	static const char *const mem[] = {"acr"};
	struct pctx pc;
	struct m2mi_acp_rule *rules = NULL;
	m2m_acp_rules *set = NULL;
	const json_t *acr;
	size_t n = 0;
	m2m_err r;

	memset(&pc, 0, sizeof(pc));
	if (out)
		*out = NULL;
	if (!value || !out) {
		r = perr(&pc, M2M_E_INVAL, "", "no value or no output");
		goto out;
	}
	if ((r = check_object(&pc, "m2m:setOfAcrs", value, mem, 1)) != M2M_OK)
		goto out;
	if ((acr = json_object_get(value, "acr"))) {
		if (!json_is_array(acr)) {
			r = perr(&pc, M2M_E_ACP_PARSE, "acr", "must be an array, not %s", jtype(acr));
			goto out;
		}
		if ((n = json_array_size(acr)) > M2M_ACP_MAX_RULES) {
			r = perr(&pc, M2M_E_ACP_LIMIT, "acr", "more than %d rules", M2M_ACP_MAX_RULES);
			goto out;
		}
	}
	r = M2M_E_NOMEM;
	if (!(set = calloc(1, sizeof(*set))) ||
	    (n && !(rules = arena_alloc(&pc, n * sizeof(*rules)))))
		goto out;
	for (size_t i = 0; i < n; i++) {
		char p[ACP_PATH_MAX];
		pathf(p, "acr[%zu]", i);
		if ((r = parse_rule(&pc, p, json_array_get(acr, i), &rules[i])) != M2M_OK)
			goto out;
	}
	set->magic = M2MI_ACP_MAGIC;
	set->refs = 1;
	set->nrules = n;
	set->rules = rules;
	set->arena = pc.arena;
	pc.arena = NULL;
	*out = set;
	set = NULL;
	pc.msg[0] = '\0';
	r = M2M_OK;
out:
	if (r == M2M_E_NOMEM && !pc.msg[0])
		perr(&pc, r, "", "out of memory");
	copy_msg(errmsg, errcap, pc.msg);
	arena_free(pc.arena);
	free(set);
	return r;
}

m2m_err m2m_acp_rules_parse(const char *json, size_t len, m2m_acp_rules **out, char *errmsg,
			    size_t errcap)
{
	json_error_t jerr;
	json_t *root = NULL;
	char msg[ACP_MSG_MAX];
	m2m_err r;

	if (out)
		*out = NULL;
	if (!json || !out) {
		copy_msg(errmsg, errcap, "no input or no output");
		return M2M_E_INVAL;
	}
	if (len > M2M_ACP_JSON_MAX) {
		copy_msg(errmsg, errcap, "rule set larger than M2M_ACP_JSON_MAX (1 MiB)");
		return M2M_E_ACP_LIMIT;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(msg, sizeof(msg), "invalid JSON at line %d column %d: %.120s", jerr.line,
			 jerr.column, jerr.text);
		copy_msg(errmsg, errcap, msg);
		return M2M_E_ACP_PARSE;
	}
	r = m2m_acp_rules_from_json(root, out, errmsg, errcap);
	json_decref(root);
	return r;
}

void m2mi_acp_rules_destroy(m2m_acp_rules *rules)
{
	arena_free(rules->arena);
	rules->magic = 0;
	free(rules);
}
