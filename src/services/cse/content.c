/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the Result Content parameter (rcn) of TS-0001 clause 8.1.2 / Table
 * 8.1.2-1 and TS-0004 Table 6.3.4.2.7-1: which rcn values each operation accepts, and the
 * content of the response for them:
 *   0 nothing; 1 attributes {"m2m:cnt": {...}}; 2 hierarchical address {"m2m:uri": path};
 *   3 both {"m2m:rce": {"m2m:cnt": {...}, "uri": path}}; 9 modified attributes;
 *   4 attributes + child resources (nested, grouped by wrapper: "m2m:cin": [...]);
 *   5 attributes + child resource references ("ch": [{"nm","typ","val"}]);
 *   6 child resource references {"m2m:rrl": {"rrf": [...]}}; 8 child resources only.
 * Children are listed in creation order, limited by the filter criteria level/offset/limit,
 * and each is included only if the Originator may RETRIEVE it; virtual la/ol are never listed,
 * nor (by reference or representation) any instance of a container whose disableRetrieval is set.
 * The rows read by one listing are bounded by discovery-scan-max (the same class of work as a
 * discovery); past it the answer is partial (Content Status / Content Offset).
 */
#include <stdio.h>
#include <string.h>

#include "services/cse/cse_int.h"
#include "services/cse/esprim_rx.h"

/* Valid rcn values per operation (TS-0001 Table 8.1.2-1); discovery is checked there. */
int m2mi_rcn_select(m2mi_ctx *c)
{
	int rcn = c->req->rcn;
	static const int cre[] = {0, 1, 2, 3, 9, -1}, ret[] = {1, 4, 5, 6, 8, -1}, upd[] = {0, 1, 9, -1},
			 del[] = {0, 1, 4, 5, 6, 8, -1};
	const int *ok;

	switch (c->req->op) {
	case M2M_OP_CREATE: ok = cre; break;
	case M2M_OP_RETRIEVE:
		if (c->req->fc.fu == 1) {
			if (rcn != -1 && rcn != 6)
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "rcn %d is not valid for discovery", rcn);
			c->rcn = 6;
			return 0;
		}
		ok = ret;
		break;
	case M2M_OP_UPDATE: ok = upd; break;
	case M2M_OP_DELETE: ok = del; break;
	default: c->rcn = 0; return 0;
	}
	if (rcn == -1) {
		c->rcn = c->req->op == M2M_OP_DELETE ? 0 : 1;
		return 0;
	}
	for (; *ok != -1; ok++)
		if (*ok == rcn) {
			c->rcn = rcn;
			return 0;
		}
	return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "rcn %d is not valid for %s", rcn, m2m_op_name(c->req->op));
}

static int oom(m2mi_ctx *c)
{
	return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
}

static int set_pc(m2mi_ctx *c, json_t *pc)
{
	if (pc == NULL)
		return oom(c);
	json_decref(c->rsp->pc);
	c->rsp->pc = pc;
	return 0;
}

static const char *wrapper_of(const m2m_res *r)
{
	const m2mi_type *t = m2mi_type_of_row(r);
	return t ? t->wrapper : "m2m:rsc";
}

/* Walk state of one listing. */
typedef struct walk {
	m2mi_ctx *c;
	size_t count;   /* resources emitted so far */
	long skip;      /* offset - 1 still to skip */
	size_t limit;
	int lvl;        /* -1 unlimited */
	bool filter;    /* apply the filter-criteria conditions */
	size_t budget;  /* rows still allowed to be read (discovery-scan-max); bounds the work */
	bool cut;       /* the budget ended the walk: partial content */
} walk;

static bool walk_take(walk *w, const m2m_res *r)
{
	if (w->count >= w->limit || m2mi_expired(w->c, r))
		return false;
	if (w->filter && !m2mi_filter_match(&w->c->req->fc, r))
		return false;
	if (w->skip > 0) {
		w->skip--;
		return false;
	}
	return true;
}

/* Children of parent (nested objects or references) appended to obj/arr. refs: references
 * into the flat array arr; else objects grouped by wrapper inside obj. */
static int walk_children(walk *w, const m2m_res *parent, unsigned level, json_t *obj, json_t *arr)
{
	m2mi_ctx *c = w->c;
	m2m_res *kids = NULL;
	size_t n = 0;
	int rsc = 0;
	bool disr;
	m2m_err e;

	if ((w->lvl >= 0 && (int)level > w->lvl) || w->cut)
		return 0;
	if (w->budget == 0) { /* each query and each row read costs one unit */
		w->cut = true;
		return 0;
	}
	w->budget--;
	if ((e = m2m_resstore_children(c->st, parent->ri, 0, w->budget < M2MI_CHILD_MAX ? w->budget + 1 : M2MI_CHILD_MAX,
				       &kids, &n)) != M2M_OK)
		return m2mi_store_fail(c, e);
	disr = m2mi_cnt_disr(c, parent);
	for (size_t i = 0; i < n && rsc == 0 && w->count < w->limit && !w->cut; i++) {
		if (w->budget == 0) {
			w->cut = true;
			break;
		}
		w->budget--;
		m2mi_node k = {.row = kids[i]};
		const m2m_res *holder = kids[i].ty == M2M_TY_CIN ? parent : &kids[i];
		bool take;

		/* Each child on its own: RETRIEVE privilege for this Originator, and no instance of a
		 * container with disableRetrieval (TS-0001 9.6.6, at any depth). */
		if (m2mi_expired(c, &kids[i]) || (disr && kids[i].ty == M2M_TY_CIN) ||
		    !m2mi_access(c, &kids[i], holder, M2M_ACP_OP_RETRIEVE, 0))
			continue;
		take = walk_take(w, &kids[i]);
		if (take)
			w->count++;
		if (arr != NULL) {
			if (take && json_array_append_new(arr, json_pack("{s:s,s:i,s:s}", "nm", kids[i].rn, "typ",
									 kids[i].ty, "val", kids[i].path)) != 0)
				rsc = oom(c);
			if (rsc == 0)
				rsc = walk_children(w, &kids[i], level + 1, NULL, arr);
			continue;
		}
		if (!take) { /* a child that does not match must not hide its matching descendants */
			if (w->filter && !m2mi_filter_match(&c->req->fc, &kids[i]))
				rsc = walk_children(w, &kids[i], level + 1, obj, NULL);
			continue;
		}
		if ((rsc = m2mi_node_attrs(c, &k)) == 0) {
			const char *wr = wrapper_of(&kids[i]);
			json_t *list = json_object_get(obj, wr);
			if (list == NULL && (json_object_set_new(obj, wr, list = json_array()) != 0 || list == NULL))
				rsc = oom(c);
			else if (json_array_append(list, k.attr) != 0)
				rsc = oom(c);
			if (rsc == 0)
				rsc = walk_children(w, &kids[i], level + 1, k.attr, NULL);
		}
		json_decref(k.attr);
	}
	m2m_res_free_list(kids, n);
	return rsc;
}

static int children_content(m2mi_ctx *c, m2mi_node *n, json_t *obj, json_t *arr)
{
	const m2m_filter *fc = &c->req->fc;
	walk w = {.c = c, .limit = M2MI_CHILD_MAX, .lvl = fc->lvl,
		  .skip = fc->ofst > 1 ? fc->ofst - 1 : 0};

	int rsc;

	w.filter = fc->fu != 1 && m2mi_filter_any(fc);
	if (fc->lim >= 0 && (size_t)fc->lim < w.limit)
		w.limit = (size_t)fc->lim;
	w.budget = c->cfg->discovery_scan_max > 0 ? (size_t)c->cfg->discovery_scan_max : 1;
	if ((rsc = walk_children(&w, &n->row, 1, obj, arr)) == 0 && w.cut) {
		/* TS-0001 clause 8.1.3: partial content, continue after what was listed (ofst here counts
		 * the listed resources, so a sparse match may need a larger discovery-scan-max) */
		c->rsp->cnst = 1;
		c->rsp->cnot = (long)((fc->ofst > 1 ? (size_t)fc->ofst - 1 : 0) + w.count + 1);
	}
	return rsc;
}

/* rcn 9: the attributes whose value differs from (or is absent in) the request content. */
static json_t *modified(m2mi_ctx *c, json_t *attr)
{
	json_t *inner = json_object_iter_value(json_object_iter(c->req->pc)), *out = json_object(), *v;
	const char *k;

	if (out == NULL)
		return NULL;
	json_object_foreach(attr, k, v) {
		json_t *rq = json_object_get(inner, k);
		if ((rq == NULL || !json_equal(rq, v)) && json_object_set(out, k, v) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

int m2mi_content(m2mi_ctx *c, m2mi_node *n, m2m_op op)
{
	const char *wr = wrapper_of(&n->row);
	json_t *body;
	int rsc;

	(void)op;
	if (c->rcn == 0)
		return 0;
	if (c->rcn == 2)
		return set_pc(c, json_pack("{s:s}", "m2m:uri", n->row.path));
	if ((rsc = m2mi_node_attrs(c, n)) != 0 || (rsc = m2mi_esi_publish(c, n)) != 0)
		return rsc;
	switch (c->rcn) {
	case 1:
		return set_pc(c, json_pack("{s:O}", wr, n->attr));
	case 3:
		return set_pc(c, json_pack("{s:{s:O,s:s}}", "m2m:rce", wr, n->attr, "uri", n->row.path));
	case 9:
		if ((body = modified(c, n->attr)) == NULL)
			return oom(c);
		return set_pc(c, json_pack("{s:o}", wr, body));
	case 4:
	case 8:
		if ((body = c->rcn == 4 ? json_deep_copy(n->attr) : json_object()) == NULL)
			return oom(c);
		if ((rsc = children_content(c, n, body, NULL)) != 0) {
			json_decref(body);
			return rsc;
		}
		return set_pc(c, json_pack("{s:o}", wr, body));
	case 5:
	case 6: {
		json_t *refs = json_array();
		if (refs == NULL)
			return oom(c);
		if ((rsc = children_content(c, n, NULL, refs)) != 0) {
			json_decref(refs);
			return rsc;
		}
		if (c->rcn == 6)
			return set_pc(c, json_pack("{s:{s:o}}", "m2m:rrl", "rrf", refs));
		if ((body = json_deep_copy(n->attr)) == NULL || json_object_set_new(body, "ch", refs) != 0) {
			json_decref(body);
			return oom(c);
		}
		return set_pc(c, json_pack("{s:o}", wr, body));
	}
	default:
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "rcn %d is not supported", c->rcn);
	}
}
