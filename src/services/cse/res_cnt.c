/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the <container> resource (TS-0004 clause 7.4.6, TS-0001 clause 9.6.6,
 * short name m2m:cnt): maxNrOfInstances (mni), maxByteSize (mbs), maxInstanceAge (mia), the
 * counters currentNrOfInstances (cni) and currentByteSize (cbs) kept by the CSE, stateTag (st),
 * and the limit enforcement of TS-0004 clause 7.4.7.2.1: when a new <contentInstance> (or a
 * lowered limit) would exceed mni or mbs, the oldest instances are deleted in the same
 * transaction, without notifications. No limit is set by default.
 */
#include <string.h>

#include "services/cse/cse_int.h"

static const m2mi_attr cnt_attrs[] = {
	{"mni", M2MI_VT_UINT, M2MI_O, M2MI_O, false},
	{"mbs", M2MI_VT_UINT, M2MI_O, M2MI_O, false},
	{"mia", M2MI_VT_UINT, M2MI_O, M2MI_O, false},
	{"cni", M2MI_VT_UINT, M2MI_NP, M2MI_NP, true},
	{"cbs", M2MI_VT_UINT, M2MI_NP, M2MI_NP, true},
	{"li", M2MI_VT_STR, M2MI_NP, M2MI_NP, false},
	{"or", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"disr", M2MI_VT_BOOL, M2MI_O, M2MI_O, false},
};

static const int cnt_children[] = {M2M_TY_CIN, M2M_TY_SUB, M2M_TY_CNT, 0};

static json_int_t get_int(json_t *a, const char *k, json_int_t dflt)
{
	json_t *v = json_object_get(a, k);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static int set_counters(m2mi_ctx *c, json_t *a, json_int_t cni, json_int_t cbs)
{
	if (json_object_set_new(a, "cni", json_integer(cni < 0 ? 0 : cni)) != 0 ||
	    json_object_set_new(a, "cbs", json_integer(cbs < 0 ? 0 : cbs)) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	return 0;
}

int m2mi_cnt_enforce(m2mi_ctx *c, m2mi_node *cnt, int64_t add_n, int64_t add_bytes)
{
	json_int_t mni, mbs, cni, cbs;
	int rsc;

	if ((rsc = m2mi_node_attrs(c, cnt)) != 0)
		return rsc;
	mni = get_int(cnt->attr, "mni", -1);
	mbs = get_int(cnt->attr, "mbs", -1);
	cni = get_int(cnt->attr, "cni", 0);
	cbs = get_int(cnt->attr, "cbs", 0);
	while (cni > 0 && ((mni >= 0 && m2mi_sat_add(cni, add_n) > mni) ||
			   (mbs >= 0 && m2mi_sat_add(cbs, add_bytes) > mbs))) {
		m2m_res old = {0};
		m2m_err e = m2m_resstore_edge(c->st, cnt->row.ri, M2M_TY_CIN, false, &old);
		if (e == M2M_OK && (rsc = m2mi_grp_prune(c, old.path)) != 0) { /* it leaves its groups */
			m2m_res_clear(&old);
			return rsc;
		}
		if (e == M2M_OK)
			e = m2m_resstore_delete(c->st, old.path, NULL);
		if (e == M2M_E_NOT_FOUND) { /* counters out of step with the rows: resynchronise */
			cni = cbs = 0;
			m2m_res_clear(&old);
			break;
		}
		if (e != M2M_OK) {
			m2m_res_clear(&old);
			return m2mi_store_fail(c, e);
		}
		cni--;
		cbs -= old.size;
		m2m_res_clear(&old);
	}
	return set_counters(c, cnt->attr, cni, cbs);
}

int m2mi_cnt_forget(m2mi_ctx *c, const m2m_res *cin)
{
	m2mi_node cnt = {0};
	m2m_err e;
	int rsc;

	if (cin->pi == NULL || (e = m2m_resstore_get(c->st, cin->pi, &cnt.row)) == M2M_E_NOT_FOUND)
		return 0;
	if (e != M2M_OK) {
		rsc = m2mi_store_fail(c, e);
		goto out;
	}
	if ((rsc = m2mi_node_attrs(c, &cnt)) != 0 ||
	    (rsc = set_counters(c, cnt.attr, get_int(cnt.attr, "cni", 0) - 1, get_int(cnt.attr, "cbs", 0) - cin->size)) ||
	    (rsc = m2mi_node_sync(c, &cnt)) != 0)
		goto out;
	if ((e = m2m_resstore_update(c->st, &cnt.row)) != M2M_OK)
		rsc = m2mi_store_fail(c, e);
out:
	m2mi_node_clear(&cnt);
	return rsc;
}

static int cnt_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	(void)parent;
	return set_counters(c, n->attr, 0, 0);
}

/* TS-0001 Table 9.6.6-2: when disableRetrieval goes from TRUE to FALSE "all existing
 * <contentInstance> are deleted immediately", so what was never retrievable never becomes so. */
static int drop_instances(m2mi_ctx *c, m2mi_node *cnt)
{
	for (;;) {
		m2m_res old = {0};
		m2m_err e = m2m_resstore_edge(c->st, cnt->row.ri, M2M_TY_CIN, false, &old);
		int rsc = e == M2M_OK ? m2mi_grp_prune(c, old.path) : 0; /* it leaves its groups */

		if (rsc != 0) {
			m2m_res_clear(&old);
			return rsc;
		}
		if (e == M2M_OK)
			e = m2m_resstore_delete(c->st, old.path, NULL);
		m2m_res_clear(&old);
		if (e == M2M_E_NOT_FOUND)
			return set_counters(c, cnt->attr, 0, 0);
		if (e != M2M_OK)
			return m2mi_store_fail(c, e);
	}
}

static int cnt_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	/* n->row still holds the stored (old) body: was retrieval disabled before this UPDATE? */
	if (json_object_get(chg, "disr") != NULL && !json_is_true(json_object_get(n->attr, "disr")) &&
	    m2mi_cnt_disr(c, &n->row))
		return drop_instances(c, n);
	if (json_object_get(chg, "mni") == NULL && json_object_get(chg, "mbs") == NULL)
		return 0;
	return m2mi_cnt_enforce(c, n, 0, 0); /* a lowered limit drops the oldest instances */
}

const m2mi_type m2mi_type_cnt = {
	.ty = M2M_TY_CNT, .wrapper = "m2m:cnt", .prefix = "cnt",
	.flags = M2MI_F_ACPI | M2MI_F_CR | M2MI_F_ST | M2MI_F_ET | M2MI_F_LBL,
	.attrs = cnt_attrs, .nattrs = sizeof(cnt_attrs) / sizeof(cnt_attrs[0]), .children = cnt_children,
	.create = cnt_create, .update = cnt_update,
};
