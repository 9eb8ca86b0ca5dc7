/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the <contentInstance> resource (TS-0004 clause 7.4.7, TS-0001 clause
 * 9.6.7, short name m2m:cin): content (con, mandatory, any JSON value), contentInfo (cnf),
 * contentSize (cs, computed: the UTF-8 byte length of a string con, else of its compact JSON
 * text), stateTag (st, the container's incremented stateTag). Per TS-0004 clause 7.4.7.2.1 an
 * instance larger than the container's maxByteSize is refused with NOT_ACCEPTABLE (5207); so is
 * any instance when maxNrOfInstances is 0 (it could never be kept). maxInstanceAge bounds the
 * expirationTime. Instances cannot be updated (OPERATION_NOT_ALLOWED); with disableRetrieval
 * set on the container they cannot be retrieved or deleted either, by any path: the target
 * itself, la/ol, and the child listings of result content (content.c asks m2mi_cnt_disr).
 */
#include <stdlib.h>
#include <string.h>

#include "services/cse/cse_int.h"

static const m2mi_attr cin_attrs[] = {
	{"cnf", M2MI_VT_CNF, M2MI_O, M2MI_NP, false},
	{"con", M2MI_VT_ANY, M2MI_M, M2MI_NP, true},
	{"cs", M2MI_VT_UINT, M2MI_NP, M2MI_NP, true},
	{"or", M2MI_VT_STR, M2MI_O, M2MI_NP, false},
};

static const int cin_children[] = {0};

static json_int_t get_int(json_t *a, const char *k, json_int_t dflt)
{
	json_t *v = json_object_get(a, k);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static int content_size(m2mi_ctx *c, json_t *con, int64_t *cs)
{
	char *s;

	if (json_is_string(con)) {
		*cs = (int64_t)json_string_length(con);
		return 0;
	}
	if ((s = json_dumps(con, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	*cs = (int64_t)strlen(s);
	free(s);
	return 0;
}

static int cin_create(m2mi_ctx *c, m2mi_node *cnt, m2mi_node *n)
{
	json_int_t mni, mbs, mia, st;
	int64_t cs = 0;
	int rsc;

	if ((rsc = m2mi_cin_security(c, n->attr)) != 0 || (rsc = m2mi_node_attrs(c, cnt)) != 0 ||
	    (rsc = content_size(c, json_object_get(n->attr, "con"), &cs)) != 0)
		return rsc;
	mni = get_int(cnt->attr, "mni", -1);
	mbs = get_int(cnt->attr, "mbs", -1);
	mia = get_int(cnt->attr, "mia", -1);
	if (mbs >= 0 && cs > mbs)
		return m2mi_fail(c, M2M_RSC_NOT_ACCEPTABLE, "content size %lld exceeds the container's mbs %lld",
				 (long long)cs, (long long)mbs);
	if (mni == 0)
		return m2mi_fail(c, M2M_RSC_NOT_ACCEPTABLE, "the container keeps no instances (mni is 0)");
	if (mia >= 0) { /* et <= ct + mia */
		char lim[M2M_RES_TIME_LEN];
		const char *et = json_string_value(json_object_get(n->attr, "et"));
		m2mi_time_fmt(m2mi_sat_add(c->now, mia), lim);
		if (et == NULL || strcmp(et, lim) > 0)
			json_object_set_new(n->attr, "et", json_string(lim));
	}
	if ((rsc = m2mi_cnt_enforce(c, cnt, 1, cs)) != 0)
		return rsc;
	st = get_int(cnt->attr, "st", 0) + 1;
	if (json_object_set_new(cnt->attr, "st", json_integer(st)) != 0 ||
	    json_object_set_new(n->attr, "st", json_integer(st)) != 0 ||
	    json_object_set_new(n->attr, "cs", json_integer(cs)) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	n->row.size = cs;
	return 0;
}

/* After the insert: the container's counters include the new instance. */
static int cin_created(m2mi_ctx *c, m2mi_node *cnt, m2mi_node *n)
{
	json_int_t cbs = m2mi_sat_add(get_int(cnt->attr, "cbs", 0), n->row.size);
	m2m_err e;
	int rsc;

	if (json_object_set_new(cnt->attr, "cni", json_integer(get_int(cnt->attr, "cni", 0) + 1)) != 0 ||
	    json_object_set_new(cnt->attr, "cbs", json_integer(cbs)) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	if ((rsc = m2mi_node_sync(c, cnt)) != 0)
		return rsc;
	if ((e = m2m_resstore_update(c->st, &cnt->row)) != M2M_OK)
		return m2mi_store_fail(c, e);
	return 0;
}

/* disableRetrieval of the container forbids RETRIEVE and DELETE of its instances. */
int m2mi_cin_accessible(m2mi_ctx *c)
{
	m2mi_node *cnt = m2mi_holder(c);
	int rsc;

	if (cnt == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "the container of the instance is missing");
	if (cnt->attr == NULL && cnt->row.body != NULL && strstr(cnt->row.body, "\"disr\"") == NULL)
		return 0; /* hot path: no disr key at all, no need to parse the container */
	if ((rsc = m2mi_node_attrs(c, cnt)) != 0)
		return rsc;
	if (json_is_true(json_object_get(cnt->attr, "disr")))
		return m2mi_fail(c, M2M_RSC_OPERATION_NOT_ALLOWED, "retrieval is disabled on this container");
	return 0;
}

bool m2mi_cnt_disr(m2mi_ctx *c, const m2m_res *cnt)
{
	m2mi_node n = {.row = *cnt};
	bool off;

	if (cnt->ty != M2M_TY_CNT)
		return false;
	if (cnt->body != NULL && strstr(cnt->body, "\"disr\"") == NULL)
		return false; /* hot path, as in m2mi_cin_accessible */
	/* borrowed row: parse only, never clear it */
	off = m2mi_node_attrs(c, &n) != 0 || json_is_true(json_object_get(n.attr, "disr"));
	json_decref(n.attr);
	return off; /* an unreadable container is treated as disabled (fail closed) */
}

static int cin_remove(m2mi_ctx *c, m2mi_node *n)
{
	(void)n;
	return m2mi_cin_accessible(c);
}

const m2mi_type m2mi_type_cin = {
	.ty = M2M_TY_CIN, .wrapper = "m2m:cin", .prefix = "cin",
	.flags = M2MI_F_CR | M2MI_F_ST | M2MI_F_ET | M2MI_F_LBL,
	.attrs = cin_attrs, .nattrs = sizeof(cin_attrs) / sizeof(cin_attrs[0]), .children = cin_children,
	.create = cin_create, .created = cin_created, .remove = cin_remove,
};
