/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the access-control decision of TS-0003 clause 7.1.4/7.1.5 over compiled
 * m2m:setOfAcrs (core/acp_int.h): Permit-overrides across every rule of every applicable set,
 *   res_acr(k) = res_authn AND res_origs AND res_ops AND res_ctxts AND res_objd,
 * where an indeterminate parameter (unknown rq_ip with acip present, no rq_loc with aclr
 * present, rq_time outside 2000..9999 with actw present) makes that term FALSE. A rule that does
 * not permit abstains (M2M_ACP_NOT_APPLICABLE); if none permits the answer is DENY (house style
 * #13). Pure: no clock, no I/O, no allocation; the caller supplies every parameter in
 * m2m_acp_request. Matching of accessControlOriginators follows TS-0003 clause 7.1.3 and TS-0004
 * clause 7.3.3.15 (Table 7.3.3.15-1); their classification (m2mi_acp_orig_classify, used by the
 * parser) lives here next to the matching so both agree. docs/acp.md has the exact rules.
 */
#include <stdio.h>
#include <string.h>

#include "core/acp_int.h"

/* Per-call scratch: request values normalised once, time/location computed lazily. */
struct eval {
	const m2m_acp_request *req;
	const char *form[3]; /* absolute, SP-relative, CSE-relative */
	size_t form_len[3];
	const char *dom;     /* SP domain of the absolute form (between "//" and the next '/') */
	size_t dom_len;
	uint8_t ipfam;       /* 0, 4 or 6 after IPv4-mapped normalisation */
	uint32_t ip4;
	uint64_t ip6hi, ip6lo;
	uint16_t cc;         /* packed upper-case country code, 0 when none */
	bool pt_ok;          /* a usable lat/lon */
	double lat, lon, coslat;
	int tm_state;        /* 0 not computed, 1 ok, -1 outside 2000..9999 */
	struct m2mi_acp_tm tm;
};

/* sin on [-pi/2, pi/2] by its Taylor series (remainder < 1e-20); no libm in libm2msec. */
static double sin_core(double x)
{
	double x2 = x * x, t = 0.0;
	for (int n = 23; n >= 3; n -= 2)
		t = (1.0 - x2 * t) / ((double)n * (double)(n - 1));
	return x * (1.0 - x2 * t);
}

double m2mi_acp_sin(double x)
{
	const double twopi = 2.0 * M2MI_ACP_PI;

	if (!(x > -1e6 && x < 1e6))
		return 0.0; /* NaN or absurd: callers validate ranges first */
	x -= twopi * (double)(long)(x / twopi);
	if (x > M2MI_ACP_PI)
		x -= twopi;
	else if (x < -M2MI_ACP_PI)
		x += twopi;
	if (x > M2MI_ACP_PI / 2)
		x = M2MI_ACP_PI - x;
	else if (x < -M2MI_ACP_PI / 2)
		x = -M2MI_ACP_PI - x;
	return sin_core(x);
}

double m2mi_acp_cos(double x)
{
	return m2mi_acp_sin(x + M2MI_ACP_PI / 2);
}

/* Glob p[0..pn) against t[0..tn), neither containing '/': '*' matches any run of characters. */
static bool glob_seg(const char *p, size_t pn, const char *t, size_t tn)
{
	size_t pi = 0, ti = 0, star = SIZE_MAX, mark = 0;

	while (ti < tn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = ti;
		} else if (pi < pn && p[pi] == t[ti]) {
			pi++;
			ti++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			ti = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

/* A wildcard entry against an ID: same number of '/'-segments, each segment globbed, so a '*'
 * never spans a '/' (TS-0003 clause 7.1.3). */
static bool glob_id(const struct m2mi_acp_orig *o, const char *t, size_t tn)
{
	size_t ts = 0;

	for (unsigned i = 0; i < o->nseg; i++) {
		const char *slash;
		size_t te;

		if (ts > tn)
			return false;
		slash = memchr(t + ts, '/', tn - ts);
		te = slash ? (size_t)(slash - t) : tn;
		if (!glob_seg(o->s + o->seg[i], (size_t)(o->seg[i + 1] - 1 - o->seg[i]), t + ts,
			      te - ts))
			return false;
		ts = te + 1;
	}
	return ts == tn + 1;
}

static bool role_eq(const struct m2mi_acp_orig *o, const char *r)
{
	size_t n = strlen(r);

	if (n != o->len || r[o->at] != '@' || memcmp(r, o->s, o->at) != 0) /* public: Role-ID */
		return false;
	for (size_t i = o->at + 1; i < n; i++) /* issuer FQDN: ASCII case-insensitive */
		if (M2MI_ACP_UPPER(r[i]) != M2MI_ACP_UPPER(o->s[i]))
			return false;
	return true;
}

/* res_origs for one entry, without consulting the group oracle. */
static bool orig_match(const struct eval *ev, const struct m2mi_acp_orig *o)
{
	const char *t;
	size_t tn;

	switch (o->cls) {
	case M2MI_ACP_ORIG_ALL:
		return true;
	case M2MI_ACP_ORIG_DOMAIN:
		if (!ev->dom)
			return false;
		if (o->star)
			return glob_seg(o->s + 2, o->len - 2, ev->dom, ev->dom_len);
		return o->len - 2 == ev->dom_len && memcmp(o->s + 2, ev->dom, ev->dom_len) == 0;
	case M2MI_ACP_ORIG_ROLE:
		for (size_t i = 0; ev->req->role_ids && i < ev->req->nrole_ids; i++)
			if (ev->req->role_ids[i] && role_eq(o, ev->req->role_ids[i]))
				return true;
		return false;
	default:
		t = ev->form[o->cls - M2MI_ACP_ORIG_ABS];
		tn = ev->form_len[o->cls - M2MI_ACP_ORIG_ABS];
		if (!t)
			return false;
		if (o->star)
			return glob_id(o, t, tn);
		return o->len == tn && memcmp(o->s, t, tn) == 0; /* public: identifiers */
	}
}

void m2mi_acp_quote(const char *s, size_t n, char out[36])
{
	size_t k = n > 32 ? 32 : n;
	for (size_t i = 0; i < k; i++)
		out[i] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
	memcpy(out + k, n > 32 ? "..." : "", n > 32 ? 4 : 1);
}

m2m_err m2mi_acp_orig_classify(const char *s, size_t n, struct m2mi_acp_orig *o, char *msg,
			       size_t msgcap)
{
	const char *at = memchr(s, '@', n);
	size_t body = 0, nseg = 1;
	char q[36];

	memset(o, 0, sizeof(*o));
	o->len = (uint32_t)n;
	o->star = memchr(s, '*', n) != NULL;
	if (n == 3 && memcmp(s, "all", 3) == 0) { /* public: keyword */
		o->cls = M2MI_ACP_ORIG_ALL;
		o->star = false;
		return M2M_OK;
	}
	if (at) {
		m2mi_acp_quote(s, n, q);
		if (o->star || memchr(s, '/', n) || at == s || at == s + n - 1 ||
		    memchr(at + 1, '@', (size_t)(s + n - at - 1))) {
			snprintf(msg, msgcap, "'%s': a Role-ID is relative@fqdn without '/' or '*'", q);
			return M2M_E_ACP_ORIG;
		}
		o->cls = M2MI_ACP_ORIG_ROLE;
		o->at = (uint32_t)(at - s);
		return M2M_OK;
	}
	if (n >= 2 && s[0] == '/' && s[1] == '/') {
		o->cls = memchr(s + 2, '/', n - 2) ? M2MI_ACP_ORIG_ABS : M2MI_ACP_ORIG_DOMAIN;
		body = 2;
	} else {
		o->cls = s[0] == '/' ? M2MI_ACP_ORIG_SP : M2MI_ACP_ORIG_REL;
		body = s[0] == '/';
	}
	/* an ID has no empty '/'-segment after its leading slashes ("//", "/a//b", "/a/") */
	for (size_t i = body; i < n; i++)
		if (s[i] == '/' && (++nseg, s[i - 1] == '/'))
			body = n; /* "//" inside */
	if (body == n || s[body] == '/' || s[n - 1] == '/') {
		m2mi_acp_quote(s, n, q);
		snprintf(msg, msgcap, "'%s' has an empty '/'-separated segment", q);
		return M2M_E_ACP_ORIG;
	}
	o->nseg = (uint16_t)(nseg + body);
	return M2M_OK;
}

static bool time_ok(struct eval *ev)
{
	if (ev->tm_state == 0)
		ev->tm_state = m2mi_acp_cron_split(ev->req->time, &ev->tm) ? 1 : -1;
	return ev->tm_state > 0;
}

static bool ip_match(const struct eval *ev, const struct m2mi_acp_ctx *c)
{
	if (ev->ipfam == 4) {
		for (uint32_t i = 0; i < c->nv4; i++)
			if (m2mi_acp_ip_match4(&c->v4[i], ev->ip4))
				return true;
	} else if (ev->ipfam == 6) {
		for (uint32_t i = 0; i < c->nv6; i++)
			if (m2mi_acp_ip_match6(&c->v6[i], ev->ip6hi, ev->ip6lo))
				return true;
	}
	return false; /* unknown rq_ip: indeterminate */
}

void m2mi_acp_circle_init(struct m2mi_acp_ctx *c, double lat, double lon, double radius)
{
	double half = radius / (2.0 * M2MI_ACP_EARTH_R), sh = m2mi_acp_sin(half);

	c->lr = M2MI_ACP_LR_CIRCLE;
	c->c_lat = lat * M2MI_ACP_DEG;
	c->c_lon = lon * M2MI_ACP_DEG;
	c->c_coslat = m2mi_acp_cos(c->c_lat);
	c->c_thr = half >= M2MI_ACP_PI / 2 ? 2.0 : sh * sh; /* 2.0: the circle covers the globe */
}

static bool loc_match(const struct eval *ev, const struct m2mi_acp_ctx *c)
{
	if (c->lr == M2MI_ACP_LR_COUNTRY) {
		for (uint32_t i = 0; ev->cc && i < c->ncc; i++)
			if (c->cc[i] == ev->cc)
				return true;
		return false;
	}
	if (!ev->pt_ok)
		return false;
	{ /* haversine: d <= r  <=>  hav(d/R) <= sin^2(r/2R) */
		double sl = m2mi_acp_sin((ev->lat - c->c_lat) / 2);
		double so = m2mi_acp_sin((ev->lon - c->c_lon) / 2);
		double a = sl * sl + c->c_coslat * ev->coslat * so * so;
		return a <= c->c_thr;
	}
}

/* res_ctxts: absent or empty acco is TRUE; else OR over contexts of AND over present members. */
static bool ctxts_match(struct eval *ev, const struct m2mi_acp_rule *r)
{
	for (uint32_t m = 0; m < r->nctx; m++) {
		const struct m2mi_acp_ctx *c = &r->ctx[m];
		bool ok = true;

		if (c->has_ip && !ip_match(ev, c))
			continue;
		if (c->lr && !loc_match(ev, c))
			continue;
		if (c->has_tw) {
			ok = false;
			if (time_ok(ev))
				for (uint32_t i = 0; !ok && i < c->ntw; i++)
					ok = m2mi_acp_cron_match(&c->tw[i], &ev->tm);
		}
		if (ok)
			return true;
	}
	return r->nctx == 0;
}

/* res_objd: CREATE only (TS-0003 clause 7.1.5); absent or empty acod is TRUE. */
static bool objd_match(const struct eval *ev, const struct m2mi_acp_rule *r)
{
	const m2m_acp_request *q = ev->req;

	if (q->op != M2M_ACP_OP_CREATE || r->nobjd == 0)
		return true;
	for (uint32_t m = 0; m < r->nobjd; m++) {
		const struct m2mi_acp_objd *d = &r->objd[m];
		if (d->ty >= 0 && d->ty != q->target_ty)
			continue;
		if (d->spty && (!q->child_spty || strcmp(d->spty, q->child_spty) != 0)) /* public */
			continue;
		for (uint32_t j = 0; j < d->nchty; j++)
			if (d->chty[j] == q->child_ty)
				return true;
	}
	return false;
}

static m2m_acp_decision rule_eval(struct eval *ev, const struct m2mi_acp_rule *r)
{
	const m2m_acp_request *q = ev->req;
	bool orig = r->all;

	if (!(r->acop & q->op) || (r->acaf && !q->rq_authn) || !objd_match(ev, r))
		return M2M_ACP_NOT_APPLICABLE;
	for (uint32_t i = 0; !orig && i < r->norig; i++)
		orig = orig_match(ev, &r->orig[i]);
	if (!orig && !(r->has_group && q->is_member))
		return M2M_ACP_NOT_APPLICABLE;
	if (!ctxts_match(ev, r))
		return M2M_ACP_NOT_APPLICABLE;
	/* last and most expensive: group membership of the Originator */
	for (uint32_t i = 0; !orig && i < r->norig; i++) {
		const struct m2mi_acp_orig *o = &r->orig[i];
		if (!o->star && o->cls >= M2MI_ACP_ORIG_ABS && o->cls <= M2MI_ACP_ORIG_REL)
			orig = q->is_member(q->member_ctx, o->s, q);
	}
	return orig ? M2M_ACP_PERMIT : M2M_ACP_NOT_APPLICABLE;
}

static uint64_t be64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void eval_init(struct eval *ev, const m2m_acp_request *q)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(ev, 0, sizeof(*ev));
	ev->req = q;
	ev->form[0] = q->orig_abs;
	ev->form[1] = q->orig_sp;
	ev->form[2] = q->orig_cse;
	for (int i = 0; i < 3; i++)
		ev->form_len[i] = ev->form[i] ? strlen(ev->form[i]) : 0;
	if (q->orig_abs && q->orig_abs[0] == '/' && q->orig_abs[1] == '/') {
		const char *slash = strchr(q->orig_abs + 2, '/');
		if (slash) {
			ev->dom = q->orig_abs + 2;
			ev->dom_len = (size_t)(slash - ev->dom);
		}
	}
	if (q->ip_family == 4 || (q->ip_family == 6 && memcmp(q->ip, mapped, 12) == 0)) {
		const uint8_t *a = q->ip_family == 4 ? q->ip : q->ip + 12;
		ev->ipfam = 4;
		ev->ip4 = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	} else if (q->ip_family == 6) {
		ev->ipfam = 6;
		ev->ip6hi = be64(q->ip);
		ev->ip6lo = be64(q->ip + 8);
	}
	if (q->loc_kind == M2M_ACP_LOC_COUNTRY && M2MI_ACP_ALPHA(q->country[0]) &&
	    M2MI_ACP_ALPHA(q->country[1]) && q->country[2] == '\0')
		ev->cc = (uint16_t)(M2MI_ACP_UPPER(q->country[0]) << 8 | M2MI_ACP_UPPER(q->country[1]));
	if (q->loc_kind == M2M_ACP_LOC_POINT && q->lat >= -90.0 && q->lat <= 90.0 &&
	    q->lon >= -180.0 && q->lon <= 180.0) {
		ev->pt_ok = true;
		ev->lat = q->lat * M2MI_ACP_DEG;
		ev->lon = q->lon * M2MI_ACP_DEG;
		ev->coslat = m2mi_acp_cos(ev->lat);
	}
}

m2m_acp_decision m2m_acp_decide(const m2m_acp_rules *const *sets, size_t nsets,
				const m2m_acp_request *req)
{
	struct eval ev;
	unsigned op;

	if (!req || !sets)
		return M2M_ACP_DENY;
	op = req->op;
	if (op == 0 || op > M2M_ACP_OP_DISCOVERY || (op & (op - 1)) != 0)
		return M2M_ACP_DENY;
	eval_init(&ev, req);
	for (size_t s = 0; s < nsets; s++) {
		const m2m_acp_rules *set = sets[s];
		if (!set || set->magic != M2MI_ACP_MAGIC)
			continue;
		for (size_t k = 0; k < set->nrules; k++)
			if (rule_eval(&ev, &set->rules[k]) == M2M_ACP_PERMIT)
				return M2M_ACP_PERMIT;
	}
	return M2M_ACP_DENY;
}
