/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements resource discovery (TS-0001 clause 10.2.6, TS-0004 clause 7.3.3.14 with
 * the Filter Criteria of clause 7.3.3.17, matched in filter.c): a RETRIEVE with filterUsage = 1
 * returns {"m2m:uril": [...]}, the structured CSE-relative paths ("cse-in/ae1/cnt1") of the
 * descendants of the target that match the conditions and on which the Originator has the
 * DISCOVERY privilege (TS-0003 clause 7.1.3); resources without it are silently left out.
 *
 * The work of one request is bounded, whatever the tree and the Originator's privileges (an
 * unprivileged AE must not make the CSE walk 100k rows per request, issue 6):
 *  - descendants are visited in path order (parents before children) through the path index,
 *    a window of at most discovery-scan-max rows per request (m2m_resstore_scan);
 *  - the result holds at most lim entries (discovery-lim-default when the request gives none;
 *    TS-0001 Table 8.1.2-2 lets the Hosting CSE lower the limit);
 *  - when the budget or the limit ends the walk before the last descendant, the answer is
 *    partial: Content Status 1 (PARTIAL_CONTENT) and Content Offset = the ofst at which a
 *    follow-up request continues (TS-0001 clause 8.1.3, TS-0004 Table 6.3.4.2.44-1; X-M2M-CTS /
 *    X-M2M-CTO in HTTP, TS-0009 clauses 6.4.20-21). ofst counts descendants in this order,
 *    "the number of direct child and descendant resources ... to skip over" (TS-0004 clause
 *    7.3.3.17.15): ofst N starts at the N-th descendant;
 *  - the DISCOVERY decision is taken once per (resource type, accessControlPolicyIDs) pair and
 *    reused for every row with the same policies; the policies of a <contentInstance> are its
 *    container's, loaded once per container.
 * Conditions on attribute values (cty, name=value) also need the RETRIEVE privilege on the row:
 * a match answers a question about a value the Originator may not be allowed to read.
 * applyRelativePath (arp, clause 7.3.3.17.17) maps each match to the resource at match/arp,
 * which must exist and be discoverable too; duplicates are listed once.
 */
#include <stdlib.h>
#include <string.h>

#include "m2msec/log.h"
#include "services/cse/cse_int.h"

#define DECISIONS 64 /* distinct (ty, acpi) pairs remembered per request */

typedef struct decision {
	int ty;
	char *acpi;
	bool ok;
} decision;

typedef struct scan {
	m2mi_ctx *c;
	const m2m_filter *fc;
	unsigned base;          /* depth of the target */
	size_t budget, limit, scanned;
	bool more;              /* stopped before the last descendant */
	json_t *uril, *seen;    /* seen: the set of listed paths when arp is used */
	m2m_res parent;         /* the container of the last <contentInstance> row */
	bool parent_ok;
	decision dec[DECISIONS];
	size_t ndec;
	int rsc;
} scan;

static unsigned depth(const char *path)
{
	unsigned d = 0;

	for (; *path; path++)
		d += *path == '/';
	return d;
}

/* DISCOVERY on r (policies held by holder), remembered per (ty, acpi text) when the policies are
 * a non-empty acpi list: the decision depends on nothing else of the row (TS-0003 clause 7.1:
 * originator, operation, target type, time and address of the request). acpi-less resources
 * (creator rule) and <accessControlPolicy> resources (own pvs) are decided each time. */
static bool discoverable(scan *s, const m2m_res *r, const m2m_res *holder)
{
	const char *a = holder->acpi;
	decision *d;
	bool ok;

	/* only the plain text this CSE writes: with escapes, access.c parses it, and a text that
	 * does not parse falls back to the creator rule, which depends on the row */
	if (r->ty == M2M_TY_ACP || a == NULL || strncmp(a, "[\"", 2) != 0 || strchr(a, '\\') != NULL)
		return m2mi_access(s->c, r, holder, M2M_ACP_OP_DISCOVERY, 0);
	for (size_t i = 0; i < s->ndec; i++)
		if (s->dec[i].ty == r->ty && strcmp(s->dec[i].acpi, a) == 0)
			return s->dec[i].ok;
	ok = m2mi_access(s->c, r, holder, M2M_ACP_OP_DISCOVERY, 0);
	if (s->ndec < DECISIONS && (s->dec[s->ndec].acpi = strdup(a)) != NULL) {
		d = &s->dec[s->ndec++];
		d->ty = r->ty;
		d->ok = ok;
	}
	return ok;
}

/* The container holding the policies of a <contentInstance> row; NULL when it cannot be read. */
static const m2m_res *holder_of(scan *s, const m2m_res *r)
{
	if (r->ty != M2M_TY_CIN)
		return r;
	if (r->pi == NULL)
		return NULL;
	if (s->parent.ri == NULL || strcmp(s->parent.ri, r->pi) != 0) {
		m2m_res_clear(&s->parent);
		s->parent_ok = m2m_resstore_get(s->c->st, r->pi, &s->parent) == M2M_OK;
		if (!s->parent_ok)
			m2m_res_clear(&s->parent);
	}
	return s->parent_ok ? &s->parent : NULL;
}

/* base + "/" + rel with "." and ".." segments applied; false when it leaves the CSE. */
static bool join_relative(const char *base, const char *rel, char *out, size_t cap)
{
	size_t n = strlen(base);
	const char *p = rel;

	if (n >= cap)
		return false;
	memcpy(out, base, n + 1);
	while (*p != '\0') {
		size_t seg = strcspn(p, "/");
		if (seg == 2 && strncmp(p, "..", 2) == 0) {
			char *slash = strrchr(out, '/');
			if (slash == NULL)
				return false;
			*slash = '\0';
			n = (size_t)(slash - out);
		} else if (seg > 0 && !(seg == 1 && p[0] == '.')) {
			if (n + 1 + seg >= cap)
				return false;
			out[n++] = '/';
			memcpy(out + n, p, seg);
			out[n += seg] = '\0';
		}
		p += seg + (p[seg] == '/');
	}
	return out[0] != '\0';
}

/* The resource at r->path/arp when it exists, is live and discoverable: its path in out. */
static bool apply_relative(scan *s, const m2m_res *r, char *out, size_t cap)
{
	m2m_res t = {0};
	const m2m_res *h;
	bool ok = false;

	if (!join_relative(r->path, s->fc->arp, out, cap))
		return false;
	if (m2m_resstore_get_path(s->c->st, out, &t) == M2M_OK && !m2mi_expired(s->c, &t)) {
		m2m_res parent = {0};
		h = &t;
		if (t.ty == M2M_TY_CIN)
			h = t.pi != NULL && m2m_resstore_get(s->c->st, t.pi, &parent) == M2M_OK ? &parent : NULL;
		ok = h != NULL && m2mi_access(s->c, &t, h, M2M_ACP_OP_DISCOVERY, 0);
		m2m_res_clear(&parent);
	}
	m2m_res_clear(&t);
	return ok;
}

static int add_path(scan *s, const char *path)
{
	if (s->seen != NULL) {
		if (json_object_get(s->seen, path) != NULL)
			return 0;
		if (json_object_set_new(s->seen, path, json_true()) != 0)
			return -1;
	}
	return json_array_append_new(s->uril, json_string(path));
}

static int visit(void *ctx, const m2m_res *r)
{
	scan *s = ctx;
	const m2m_res *holder;
	char rel[1024];

	if (s->scanned >= s->budget || json_array_size(s->uril) >= s->limit) {
		s->more = true; /* this row is the first not examined */
		return 1;
	}
	s->scanned++;
	if (m2mi_expired(s->c, r) || (s->fc->lvl >= 0 && depth(r->path) - s->base > (unsigned)s->fc->lvl) ||
	    !m2mi_filter_match(s->fc, r))
		return 0;
	if ((holder = holder_of(s, r)) == NULL || !discoverable(s, r, holder))
		return 0;
	/* a condition on attribute values (cty, name=value) answers questions about them: only for
	 * an Originator that may read them, or discovery becomes an oracle on unreadable values */
	if (m2mi_filter_needs_body(s->fc) && !m2mi_access(s->c, r, holder, M2M_ACP_OP_RETRIEVE, 0))
		return 0;
	if (s->fc->arp != NULL && !apply_relative(s, r, rel, sizeof(rel)))
		return 0;
	if (add_path(s, s->fc->arp != NULL ? rel : r->path) != 0) {
		s->rsc = m2mi_fail(s->c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		return 1;
	}
	return 0;
}

int m2mi_discover(m2mi_ctx *c)
{
	const m2m_filter *fc = &c->req->fc;
	size_t skip = fc->ofst > 1 ? (size_t)fc->ofst - 1 : 0;
	scan s = {.c = c, .fc = fc, .base = depth(c->tgt.row.path)};
	m2m_err e;

	s.budget = c->cfg->discovery_scan_max > 0 ? (size_t)c->cfg->discovery_scan_max : 1;
	s.limit = fc->lim >= 0 ? (size_t)fc->lim : (size_t)(c->cfg->discovery_lim_default > 0 ?
							      c->cfg->discovery_lim_default : 1);
	if (s.limit > M2M_RESSTORE_LIST_MAX)
		s.limit = M2M_RESSTORE_LIST_MAX;
	s.uril = json_array();
	if (fc->arp != NULL)
		s.seen = json_object();
	if (s.uril == NULL || (fc->arp != NULL && s.seen == NULL)) {
		json_decref(s.uril);
		json_decref(s.seen);
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	}
	/* one row beyond the budget tells whether the answer is complete */
	e = m2m_resstore_scan(c->st, c->tgt.row.path, skip, s.budget + 1, m2mi_filter_needs_body(fc), visit, &s,
			      NULL);
	m2m_res_clear(&s.parent);
	for (size_t i = 0; i < s.ndec; i++)
		free(s.dec[i].acpi);
	json_decref(s.seen);
	m2m_log(M2M_LOG_DEBUG, "discovery from %s scanned %zu rows, %zu found%s", c->tgt.row.path, s.scanned,
		json_array_size(s.uril), s.more ? ", partial" : "");
	if (e != M2M_OK || s.rsc != 0) {
		json_decref(s.uril);
		return s.rsc != 0 ? s.rsc : m2mi_store_fail(c, e);
	}
	json_decref(c->rsp->pc);
	if ((c->rsp->pc = json_pack("{s:o}", "m2m:uril", s.uril)) == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	if (s.more) {
		c->rsp->cnst = 1; /* PARTIAL_CONTENT */
		c->rsp->cnot = (long)(skip + s.scanned + 1);
	}
	c->rsp->rsc = M2M_RSC_OK;
	return 0;
}
