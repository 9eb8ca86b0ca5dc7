/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the <fanOutPoint> virtual resource of a <group> (TS-0004 clause 7.4.14,
 * TS-0001 clauses 9.6.14 and 10.2.7.6-10.2.7.9): a CREATE, RETRIEVE, UPDATE or DELETE sent to
 * "<group>/fopt" or "<group>/fopt/<relative path>" is executed on every member (the member ID,
 * then the relative path) and the member responses are aggregated into m2m:agr (TS-0004
 * clause 6.3.5.33), each an m2m:rsp with rsc, rqi, pc, fr (the member ID, clause 7.4.14.2.5)
 * and to (the Originator).
 *
 * Security (docs/resources.md, "Group fan-out"):
 *  - the Originator needs the operation's privilege on the group first: from the ACPs of
 *    membersAccessControlPolicyIDs, or when that is absent or empty from the group's own
 *    accessControlPolicyIDs (TS-0004 clauses 7.4.14.3.2-7.4.14.3.5, TS-0001 10.2.7.6);
 *  - then each member request is an ordinary request of the same Originator (TS-0004 clause
 *    7.4.14.2.4 a: "The primitive parameter From shall be used directly"): it goes through the
 *    normal dispatch (m2m_cse_handle) with its own transaction, its own access decision for the
 *    Originator (never the group creator's rights) and every check a direct request gets
 *    (disableRetrieval, la/ol, result content ...);
 *  - members on other CSEs are dispatched the same way: this IN-CSE has no <remoteCSE> to
 *    forward to, so they answer NOT_FOUND (TS-0004 clause 7.3.2.6);
 *  - the work is bounded: at most M2MI_FOPT_OPS member requests per incoming request (nesting
 *    included; members past it answer MAX_NUMBER_OF_MEMBER_EXCEEDED), M2MI_FOPT_DEPTH nested
 *    fanOutPoints (deeper is BAD_REQUEST), M2MI_FOPT_BYTES of member content in the aggregate
 *    (later member contents are replaced by an m2m:dbg note; their rsc is kept);
 *  - <subscription> CREATE through a fanOutPoint (notification aggregation, clause 7.4.14.2.3)
 *    is not implemented (NOT_IMPLEMENTED): it would verify every member's targets in turn.
 * Members that answer DELETED to a DELETE of the fanOutPoint itself are removed from memberIDs
 * (clause 7.4.14.3.5); so are members found deleted when a fan-out reaches them (a member
 * deleted directly), cnm following. Virtual member references (".../fopt", la, ol) stay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/log.h"
#include "services/cse/cse_int.h"

int m2mi_fopt_resolve(m2mi_ctx *c, const char *to)
{
	char prefix[1024];
	m2m_err e;

	for (const char *p = strstr(to, "/fopt"); p != NULL; p = strstr(p + 1, "/fopt")) {
		size_t n = (size_t)(p - to);

		if ((p[5] != '/' && p[5] != '\0') || n == 0 || n >= sizeof(prefix))
			continue;
		memcpy(prefix, to, n);
		prefix[n] = '\0';
		e = m2mi_lookup(c, prefix, &c->tgt.row);
		if (e == M2M_OK && c->tgt.row.ty == M2M_TY_GRP) {
			if (c->w->fopt_depth >= M2MI_FOPT_DEPTH) {
				m2mi_node_clear(&c->tgt);
				return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "fanOutPoints nested deeper than %d",
						 M2MI_FOPT_DEPTH);
			}
			c->virt = 'f';
			c->fopt_rel = p[5] == '/' ? p + 6 : "";
			return 0;
		}
		m2mi_node_clear(&c->tgt);
		if (e != M2M_OK && e != M2M_E_NOT_FOUND)
			return m2mi_store_fail(c, e);
	}
	return -1;
}

/* The privilege of the Originator on the <group> for the fan-out (see the file comment). */
static int check_group_access(m2mi_ctx *c, json_t *grp)
{
	json_t *macp = json_object_get(grp, "macp");
	unsigned op = m2m_op_acop_bit(c->req);
	m2m_res holder = c->tgt.row; /* shallow: only acpi is replaced */
	char *text = NULL;
	bool ok;

	if (json_array_size(macp) > 0) {
		if ((text = json_dumps(macp, JSON_COMPACT)) == NULL)
			return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		holder.acpi = text;
	}
	ok = m2mi_access(c, &c->tgt.row, &holder, op, c->req->op == M2M_OP_CREATE ? c->req->ty : 0);
	free(text);
	return ok ? 0 : m2mi_fail(c, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
				  "the originator has no privilege to use the fanOutPoint of this group");
}

int m2mi_fopt_prepare(m2mi_ctx *c)
{
	json_t *mid;
	json_int_t mt;
	const m2mi_type *t;
	int rsc;

	if ((rsc = m2mi_node_attrs(c, &c->tgt)) != 0 || (rsc = check_group_access(c, c->tgt.attr)) != 0)
		return rsc;
	if (c->req->op == M2M_OP_CREATE && c->req->ty == M2M_TY_SUB)
		return m2mi_fail(c, M2M_RSC_NOT_IMPLEMENTED, "subscriptions through a fanOutPoint are not supported");
	mid = json_object_get(c->tgt.attr, "mid");
	if (json_array_size(mid) == 0)
		return m2mi_fail(c, M2M_RSC_NO_MEMBERS, "the group has no members"); /* TS-0004 7.4.14.2.4 */
	mt = json_integer_value(json_object_get(c->tgt.attr, "mt"));
	if (c->req->op == M2M_OP_CREATE && c->fopt_rel[0] == '\0' && mt != 0 &&
	    ((t = m2mi_type_find((int)mt)) == NULL || !m2mi_type_allows_child(t, c->req->ty)))
		return m2mi_fail(c, M2M_RSC_INVALID_CHILD_RESOURCE_TYPE, /* TS-0004 7.4.14.2.1 */
				 "resource type %d cannot be a child of the group's members", c->req->ty);
	if ((c->fopt_mid = json_deep_copy(mid)) == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	return 0;
}

/* A member reference to a virtual resource (sub-group fanOutPoint, la, ol): never pruned. */
static bool virtual_ref(const char *id)
{
	const char *s = strrchr(id, '/');

	s = s != NULL ? s + 1 : id;
	return strcmp(s, "fopt") == 0 || strcmp(s, "la") == 0 || strcmp(s, "ol") == 0;
}

/* One member request: the Originator's request with To = member[/rel], dispatched normally. */
static json_t *run_member(m2mi_ctx *c, const char *id, size_t *bytes, json_t *prune)
{
	const char *rel = c->fopt_rel;
	json_t *e = json_object(), *pc = NULL;
	m2m_request sub;
	m2m_response r;
	size_t n = strlen(id) + strlen(rel) + 2;
	char *to = malloc(n);
	int rsc;

	if (e == NULL || to == NULL) {
		free(to);
		json_decref(e);
		return NULL;
	}
	snprintf(to, n, "%s%s%s", id, rel[0] ? "/" : "", rel);
	sub = *c->req; /* borrowed: the CSE never modifies a request; only To differs */
	sub.to = to;
	m2m_response_init(&r);
	m2m_cse_handle(c->w, c->sa, &sub, &r, c->now);
	rsc = r.rsc != 0 ? r.rsc : M2M_RSC_INTERNAL_SERVER_ERROR;
	if (r.pc != NULL) {
		char *s = json_dumps(r.pc, JSON_COMPACT);
		bool fits = s != NULL && *bytes + strlen(s) <= M2MI_FOPT_BYTES;
		size_t len = s != NULL ? strlen(s) : 0;

		free(s);
		if (fits) {
			*bytes += len;
			pc = json_incref(r.pc);
		} else {
			pc = json_pack("{s:s}", "m2m:dbg", "member content left out: aggregate size limit");
		}
	}
	if (!virtual_ref(id) && ((rsc == M2M_RSC_DELETED && rel[0] == '\0') || rsc == M2M_RSC_NOT_FOUND))
		json_array_append_new(prune, json_string(id)); /* verified gone in prune() */
	if (json_object_set_new(e, "rsc", json_integer(rsc)) != 0 ||
	    (c->req->rqi != NULL && json_object_set_new(e, "rqi", json_string(c->req->rqi)) != 0) ||
	    json_object_set_new(e, "fr", json_string(id)) != 0 ||
	    (c->req->fr != NULL && json_object_set_new(e, "to", json_string(c->req->fr)) != 0) ||
	    (pc != NULL && json_object_set(e, "pc", pc) != 0)) {
		json_decref(e);
		e = NULL;
	}
	json_decref(pc);
	m2m_response_clear(&r);
	free(to);
	return e;
}

/* Drop from the group's memberIDs every candidate that no longer exists on this CSE, in a
 * transaction of its own (the group may have changed since the fan-out started). */
static void prune(m2mi_ctx *c, json_t *cands)
{
	m2mi_node g = {0};
	json_t *mid, *keep = json_array(), *e;
	char rel[1024];
	size_t i, j;

	if (keep == NULL || m2m_resstore_begin(c->st, true) != M2M_OK) {
		json_decref(keep);
		return;
	}
	if (m2m_resstore_get(c->st, c->tgt.row.ri, &g.row) != M2M_OK || g.row.ty != M2M_TY_GRP ||
	    m2mi_node_attrs(c, &g) != 0)
		goto out;
	mid = json_object_get(g.attr, "mid");
	json_array_foreach(mid, i, e) {
		const char *id = json_string_value(e);
		bool gone = false;
		m2m_res r = {0};
		json_t *k;

		json_array_foreach(cands, j, k)
			if (id != NULL && strcmp(id, json_string_value(k)) == 0 && m2mi_cse_relative(c, id, rel, sizeof(rel)))
				gone = m2mi_lookup(c, id, &r) == M2M_E_NOT_FOUND; /* hosted here, and no more */
		m2m_res_clear(&r);
		if (!gone && json_array_append(keep, e) != 0)
			goto out;
	}
	if (json_array_size(keep) == json_array_size(mid))
		goto out;
	if (json_object_set(g.attr, "mid", keep) != 0 ||
	    json_object_set_new(g.attr, "cnm", json_integer((json_int_t)json_array_size(keep))) != 0 ||
	    json_object_set_new(g.attr, "lt", json_string(c->now_s)) != 0)
		goto out;
	g.row.ver++;
	if (m2mi_node_sync(c, &g) != 0 || m2m_resstore_update(c->st, &g.row) != M2M_OK)
		goto out;
	if (m2m_resstore_commit(c->st) != M2M_OK)
		m2m_log(M2M_LOG_WARN, "group %s: deleted members could not be removed", c->tgt.row.ri);
	m2mi_node_clear(&g);
	json_decref(keep);
	return;
out:
	m2m_resstore_rollback(c->st);
	m2mi_node_clear(&g);
	json_decref(keep);
}

int m2mi_fopt_run(m2mi_ctx *c)
{
	m2m_cse_worker *w = c->w;
	json_t *list = json_array(), *cands = json_array(), *e, *m;
	size_t i, bytes = 0;
	int rsc = 0;

	if (list == NULL || cands == NULL) {
		rsc = m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		goto out;
	}
	if (w->fopt_depth == 0)
		w->fopt_ops = 0; /* the budget is per request from the wire, nested fan-outs included */
	w->fopt_depth++;
	json_array_foreach(c->fopt_mid, i, m) {
		const char *id = json_string_value(m);

		if (id == NULL)
			continue;
		if (w->fopt_ops >= M2MI_FOPT_OPS) {
			e = json_pack("{s:i,s:s,s:{s:s}}", "rsc", M2M_RSC_MAX_NUMBER_OF_MEMBER_EXCEEDED, "fr", id,
				      "pc", "m2m:dbg", "fan-out budget of this request exhausted");
		} else {
			w->fopt_ops++;
			e = run_member(c, id, &bytes, cands);
		}
		if (e == NULL || json_array_append_new(list, e) != 0) {
			rsc = m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
			break;
		}
	}
	w->fopt_depth--;
	if (json_array_size(cands) > 0)
		prune(c, cands);
	if (rsc == 0) {
		json_decref(c->rsp->pc);
		c->rsp->pc = json_pack("{s:{s:O}}", "m2m:agr", "m2m:rsp", list);
		if (c->rsp->pc == NULL)
			rsc = m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
		else
			c->rsp->rsc = M2M_RSC_OK; /* whatever the members answered (TS-0004 7.4.14.2.5) */
	}
out:
	json_decref(list);
	json_decref(cands);
	return rsc;
}
