/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the <group> resource (TS-0004 clause 7.4.13, TS-0001 clause 9.6.13,
 * short name m2m:grp): memberType (mt), memberIDs (mid), maxNrOfMembers (mnm),
 * currentNrOfMembers (cnm), memberTypeValidated (mtv), consistencyStrategy (csy), groupName
 * (gn), membersAccessControlPolicyIDs (macp). Request optionality of TS-0004 Table
 * 7.4.13.1-3: mt optional (default 0, MIXED), mnm and mid mandatory in a CREATE. Duplicate
 * member IDs are dropped; more members than mnm (or than this CSE's cap) is
 * MAX_NUMBER_OF_MEMBER_EXCEEDED (TS-0004 clause 7.4.13.2.1/7.4.13.2.3). Members hosted here
 * are type-checked against mt per csy (1 ABANDON_MEMBER, the default: drop the member;
 * 2 ABANDON_GROUP: 4110; 3 SET_MIXED: mt becomes 0). The <fanOutPoint> is fanout.c.
 * Members on other CSEs or not found cannot be type-checked here: they are kept and
 * memberTypeValidated is false; a sub-group's fanOutPoint stands for the sub-group's memberType,
 * which the Originator must be allowed to retrieve (5105 otherwise, TS-0004 7.4.13.2.1).
 * The group is also the membership oracle for group IDs in accessControlOriginators
 * (TS-0003 clause 7.1.3): the Originator is a member when a mid entry names it (in any ID form)
 * or names the <AE> resource it is registered as.
 * Members hosted here are also written to the store's group member index (mid entry -> the
 * member's resourceID, whatever ID form the entry uses), so that deleting a member removes it
 * from memberIDs in the DELETE's own transaction (m2mi_grp_prune), not at the next fan-out.
 */
#include <stdlib.h>
#include <string.h>

#include "services/cse/cse_int.h"

static const m2mi_attr grp_attrs[] = {
	{"mt", M2MI_VT_UINT, M2MI_O, M2MI_NP, true},
	{"mid", M2MI_VT_STRLIST, M2MI_M, M2MI_O, true},
	{"mnm", M2MI_VT_POSINT, M2MI_M, M2MI_O, true},
	{"cnm", M2MI_VT_UINT, M2MI_NP, M2MI_NP, true},
	{"mtv", M2MI_VT_BOOL, M2MI_NP, M2MI_NP, true},
	{"csy", M2MI_VT_UINT, M2MI_O, M2MI_NP, false},
	{"gn", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"macp", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
};

static const int grp_children[] = {M2M_TY_SUB, 0};

static int oom(m2mi_ctx *c)
{
	return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
}

/*
 * The resource type a member stands for (TS-0004 7.4.13.2.1): a local resource's ty; for a
 * sub-group's fanOutPoint ("<group>/fopt") the sub-group's memberType, which the Originator must
 * be allowed to retrieve (else RECEIVER_HAS_NO_PRIVILEGE). *ty = -1 when it cannot be known here
 * (another CSE, not found): the member is kept and mtv becomes false. 0 or an RSC.
 */
static int member_type(m2mi_ctx *c, const char *id, json_int_t *ty)
{
	size_t n = strlen(id);
	m2mi_node r = {0};
	char sub[1024];
	int rsc = 0;

	*ty = -1;
	if (n > 5 && n < sizeof(sub) && strcmp(id + n - 5, "/fopt") == 0) {
		memcpy(sub, id, n - 5);
		sub[n - 5] = '\0';
		if (m2mi_lookup(c, sub, &r.row) == M2M_OK && r.row.ty == M2M_TY_GRP) {
			if (!m2mi_access(c, &r.row, &r.row, M2M_ACP_OP_RETRIEVE, 0))
				rsc = m2mi_fail(c, M2M_RSC_RECEIVER_HAS_NO_PRIVILEGE,
						"no privilege to retrieve the memberType of %.64s", sub);
			else if ((rsc = m2mi_node_attrs(c, &r)) == 0)
				*ty = json_integer_value(json_object_get(r.attr, "mt"));
		}
	} else if (m2mi_lookup(c, id, &r.row) == M2M_OK) {
		*ty = r.row.ty;
	}
	m2mi_node_clear(&r);
	return rsc;
}

/* Deduplicate and type-check mid, then set cnm and mtv. */
static int check_members(m2mi_ctx *c, json_t *a)
{
	json_t *mid = json_object_get(a, "mid"), *out, *e;
	json_int_t mt = json_integer_value(json_object_get(a, "mt")); /* absent: 0, MIXED */
	json_int_t csy = json_is_integer(json_object_get(a, "csy")) ? json_integer_value(json_object_get(a, "csy")) : 1;
	json_t *mnm = json_object_get(a, "mnm");
	bool validated = true;
	size_t i;
	int rsc = 0;

	/* deduplication is quadratic: a list far beyond the cap is refused before it */
	if (json_array_size(mid) > 4 * M2MI_GRP_MAX_MEMBERS)
		return m2mi_fail(c, M2M_RSC_MAX_NUMBER_OF_MEMBER_EXCEEDED, "the group has too many members");
	if ((out = json_array()) == NULL)
		return oom(c);
	json_array_foreach(mid, i, e) {
		const char *id = json_string_value(e);
		json_int_t ty = -1;
		bool dup = false, drop = false;
		size_t j;
		json_t *o;

		json_array_foreach(out, j, o)
			dup = dup || strcmp(json_string_value(o), id) == 0;
		if (dup)
			continue;
		if (mt != 0 && (rsc = member_type(c, id, &ty)) != 0)
			break;
		if (mt != 0 && ty < 0)
			validated = false; /* another CSE, or not found: not validated (TS-0004 7.4.13.2.1) */
		else if (mt != 0 && ty != mt) {
			if (csy == 2)
				rsc = m2mi_fail(c, M2M_RSC_GROUP_MEMBER_TYPE_INCONSISTENT,
						"member %.64s is not of type %lld", id, (long long)mt);
			else if (csy == 3)
				mt = 0;
			else
				drop = true; /* ABANDON_MEMBER, the default */
		}
		if (rsc != 0)
			break;
		if (!drop && json_array_append(out, e) != 0)
			rsc = oom(c);
		if (rsc == 0 && json_array_size(out) > M2MI_GRP_MAX_MEMBERS)
			break;
	}
	if (rsc == 0 && (json_array_size(out) > M2MI_GRP_MAX_MEMBERS ||
			 (json_is_integer(mnm) && json_array_size(out) > (size_t)json_integer_value(mnm))))
		rsc = m2mi_fail(c, M2M_RSC_MAX_NUMBER_OF_MEMBER_EXCEEDED, "the group has too many members");
	if (rsc == 0 && (json_object_set_new(a, "cnm", json_integer((json_int_t)json_array_size(out))) != 0 ||
			 json_object_set_new(a, "mt", json_integer(mt)) != 0 ||
			 json_object_set_new(a, "mtv", json_boolean(mt == 0 || validated)) != 0 ||
			 json_object_set(a, "mid", out) != 0))
		rsc = oom(c);
	json_decref(out);
	return rsc;
}

/* Rewrite the member index rows of group n from its (checked) mid: each entry resolved to the
 * resourceID of the resource hosted here that it names; others (remote, virtual, absent) are
 * not indexed. */
static int index_members(m2mi_ctx *c, m2mi_node *n)
{
	json_t *mid = json_object_get(n->attr, "mid"), *e;
	size_t k = json_array_size(mid), i;
	const char **ids = calloc(k ? k : 1, sizeof(*ids));
	char **ris = calloc(k ? k : 1, sizeof(*ris));
	m2m_err err = M2M_OK;
	int rsc = 0;

	if (ids == NULL || ris == NULL) {
		rsc = oom(c);
		goto out;
	}
	json_array_foreach(mid, i, e) {
		m2m_res r = {0};

		ids[i] = json_string_value(e);
		if (ids[i] != NULL && m2mi_lookup(c, ids[i], &r) == M2M_OK) {
			ris[i] = r.ri; /* taken over */
			r.ri = NULL;
		}
		m2m_res_clear(&r);
	}
	if ((err = m2m_resstore_grp_members_set(c->st, n->row.ri, ids, (const char *const *)ris, k)) != M2M_OK)
		rsc = m2mi_store_fail(c, err);
out:
	for (i = 0; ris != NULL && i < k; i++)
		free(ris[i]);
	free(ris);
	free(ids);
	return rsc;
}

static int grp_created(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	(void)parent;
	return index_members(c, n);
}

static int grp_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	json_t *csy = json_object_get(n->attr, "csy"), *macp = json_object_get(n->attr, "macp");
	int rsc;

	(void)parent;
	if (csy != NULL && (json_integer_value(csy) < 1 || json_integer_value(csy) > 3))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute csy must be 1, 2 or 3");
	if (macp != NULL && (rsc = m2mi_access_check_acpi(c, macp)) != 0)
		return rsc;
	return check_members(c, n->attr);
}

static int grp_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	json_t *macp = json_object_get(chg, "macp");
	int rsc;

	if (macp != NULL && !json_is_null(macp) && (rsc = m2mi_access_check_acpi(c, macp)) != 0)
		return rsc;
	if (json_object_get(chg, "mid") == NULL && json_object_get(chg, "mnm") == NULL)
		return 0;
	if ((rsc = check_members(c, n->attr)) != 0)
		return rsc;
	return index_members(c, n);
}

const m2mi_type m2mi_type_grp = {
	.ty = M2M_TY_GRP, .wrapper = "m2m:grp", .prefix = "grp",
	.flags = M2MI_F_ACPI | M2MI_F_CR | M2MI_F_ET | M2MI_F_LBL,
	.attrs = grp_attrs, .nattrs = sizeof(grp_attrs) / sizeof(grp_attrs[0]), .children = grp_children,
	.create = grp_create, .created = grp_created, .update = grp_update,
};

/* Remove from group g's mid the entries of refs[from..to) (all of group g), with cnm (the number
 * of mid entries, TS-0004 clause 7.4.13), lt (TS-0001 clause 9.6.1.3: updated whenever the
 * resource is) and a new version; subscribers of the group are told of the update. TS-0004
 * 7.4.14 asks this of members deleted through the fanOutPoint; a member deleted any other way
 * would otherwise stay listed (and answer 4004 to every fan-out). */
static int prune_one(m2mi_ctx *c, const m2m_grp_ref *refs, size_t from, size_t to)
{
	m2mi_node g = {0};
	json_t *mid, *keep = json_array(), *e;
	m2m_err err;
	size_t i;
	int rsc = 0;

	if (keep == NULL)
		return oom(c);
	if ((err = m2m_resstore_get(c->st, refs[from].grp_ri, &g.row)) != M2M_OK || g.row.ty != M2M_TY_GRP) {
		rsc = err == M2M_OK ? 0 : m2mi_store_fail(c, err); /* the index names only groups */
		goto out;
	}
	if ((rsc = m2mi_node_attrs(c, &g)) != 0)
		goto out;
	mid = json_object_get(g.attr, "mid");
	json_array_foreach(mid, i, e) {
		const char *id = json_string_value(e);
		bool gone = false;

		for (size_t j = from; j < to && id != NULL && !gone; j++)
			gone = strcmp(id, refs[j].mid) == 0;
		if (!gone && json_array_append(keep, e) != 0) {
			rsc = oom(c);
			goto out;
		}
	}
	if (json_array_size(keep) == json_array_size(mid))
		goto out;
	if (json_object_set(g.attr, "mid", keep) != 0 ||
	    json_object_set_new(g.attr, "cnm", json_integer((json_int_t)json_array_size(keep))) != 0 ||
	    json_object_set_new(g.attr, "lt", json_string(c->now_s)) != 0) {
		rsc = oom(c);
		goto out;
	}
	g.row.ver++;
	if ((rsc = m2mi_node_sync(c, &g)) != 0)
		goto out;
	if ((err = m2m_resstore_update(c->st, &g.row)) != M2M_OK)
		rsc = m2mi_store_fail(c, err);
	else
		rsc = m2mi_notify_event(c, g.row.ri, 1, &g);
out:
	m2mi_node_clear(&g);
	json_decref(keep);
	return rsc;
}

int m2mi_grp_prune(m2mi_ctx *c, const char *path)
{
	m2m_grp_ref *refs = NULL;
	size_t n = 0, from = 0;
	m2m_err err;
	int rsc = 0;

	if ((err = m2m_resstore_grp_refs(c->st, path, &refs, &n)) != M2M_OK)
		return m2mi_store_fail(c, err);
	for (size_t i = 1; rsc == 0 && i <= n; i++)
		if (i == n || strcmp(refs[i].grp_ri, refs[from].grp_ri) != 0) { /* ordered by grp_ri */
			rsc = prune_one(c, refs, from, i);
			from = i;
		}
	m2m_grp_refs_free(refs, n);
	return rsc;
}

bool m2mi_grp_has_member(m2mi_ctx *c, const m2mi_node *grp)
{
	json_t *body, *mid, *e;
	bool yes = false;
	size_t i;

	if (!c->has_orig || grp->row.body == NULL || (body = json_loads(grp->row.body, 0, NULL)) == NULL)
		return false;
	mid = json_object_get(body, "mid");
	json_array_foreach(mid, i, e) {
		const char *id = json_string_value(e);
		m2m_origin_forms f;
		m2m_res r = {0};

		if (id == NULL)
			continue;
		if (m2m_originator_forms(&c->cse->octx, id, &f) == M2M_OK &&
		    strcmp(f.absolute, c->orig.absolute) == 0) /* public: identifiers */
			yes = true;
		else if (m2mi_lookup(c, id, &r) == M2M_OK && r.ty == M2M_TY_AE)
			yes = strcmp(r.ri, c->orig.cse_relative) == 0; /* the AE's ri is its AE-ID */
		m2m_res_clear(&r);
		if (yes)
			break;
	}
	json_decref(body);
	return yes;
}
