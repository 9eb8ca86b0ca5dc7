/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements resource discovery (TS-0001 clause 10.2.6, TS-0004 clause 7.3.3.13 and
 * the filter criteria of clause 7.3.3.17): a RETRIEVE with filterUsage = 1 returns
 * {"m2m:uril": [...]} — the structured CSE-relative paths ("cse-in/ae1/cnt1") of the
 * descendants of the target that match every given condition (resourceType any-of, labels
 * all-of, resourceName, createdAfter/createdBefore, level) and on which the Originator has the
 * DISCOVERY privilege (TS-0003 clause 7.1.3); resources without it are silently left out.
 * offset and limit apply to the matching, permitted resources in creation order.
 */
#include <string.h>

#include "services/cse/cse_int.h"

static bool labels_match(const m2m_filter *fc, const char *lbl_json)
{
	json_t *have;
	bool ok = true;

	if (fc->nlbl == 0)
		return true;
	if (lbl_json == NULL || (have = json_loads(lbl_json, 0, NULL)) == NULL)
		return false;
	for (size_t i = 0; ok && i < fc->nlbl; i++) {
		size_t j;
		json_t *e;
		ok = false;
		json_array_foreach(have, j, e)
			if (json_is_string(e) && strcmp(json_string_value(e), fc->lbl[i]) == 0) {
				ok = true;
				break;
			}
	}
	json_decref(have);
	return ok;
}

bool m2mi_filter_match(const m2m_filter *fc, const m2m_res *r)
{
	if (fc->nty > 0) {
		bool any = false;
		for (size_t i = 0; i < fc->nty && i < M2M_FC_MAX; i++)
			any = any || fc->ty[i] == r->ty;
		if (!any)
			return false;
	}
	if (fc->rn != NULL && (r->rn == NULL || strcmp(fc->rn, r->rn) != 0))
		return false;
	if (fc->cra != NULL && strcmp(r->ct, fc->cra) <= 0)
		return false;
	if (fc->crb != NULL && strcmp(r->ct, fc->crb) >= 0)
		return false;
	return labels_match(fc, r->lbl);
}

static unsigned depth(const char *path)
{
	unsigned d = 0;

	for (; *path; path++)
		d += *path == '/';
	return d;
}

int m2mi_discover(m2mi_ctx *c)
{
	const m2m_filter *fc = &c->req->fc;
	unsigned base = depth(c->tgt.row.path);
	size_t n = 0, limit = fc->lim >= 0 ? (size_t)fc->lim : M2M_RESSTORE_LIST_MAX;
	long skip = fc->ofst > 1 ? fc->ofst - 1 : 0;
	m2m_res *rows = NULL, parent = {0};
	json_t *uril = json_array();
	int rsc = 0;
	m2m_err e;

	if (uril == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	if ((e = m2m_resstore_descendants(c->st, c->tgt.row.path, M2M_RESSTORE_LIST_MAX, &rows, &n)) != M2M_OK) {
		json_decref(uril);
		return m2mi_store_fail(c, e);
	}
	for (size_t i = 0; i < n && json_array_size(uril) < limit; i++) {
		const m2m_res *r = &rows[i], *holder = r;

		if (m2mi_expired(c, r) || (fc->lvl >= 0 && depth(r->path) - base > (unsigned)fc->lvl) ||
		    !m2mi_filter_match(fc, r))
			continue;
		if (r->ty == M2M_TY_CIN) { /* policies of the container */
			if (parent.ri == NULL || strcmp(parent.ri, r->pi) != 0) {
				m2m_res_clear(&parent);
				if (m2m_resstore_get(c->st, r->pi, &parent) != M2M_OK) {
					m2m_res_clear(&parent);
					continue;
				}
			}
			holder = &parent;
		}
		if (!m2mi_access(c, r, holder, M2M_ACP_OP_DISCOVERY, 0))
			continue;
		if (skip > 0) {
			skip--;
			continue;
		}
		if (json_array_append_new(uril, json_string(r->path)) != 0) {
			rsc = m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
			break;
		}
	}
	m2m_res_clear(&parent);
	m2m_res_free_list(rows, n);
	if (rsc != 0) {
		json_decref(uril);
		return rsc;
	}
	json_decref(c->rsp->pc);
	if ((c->rsp->pc = json_pack("{s:o}", "m2m:uril", uril)) == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	c->rsp->rsc = M2M_RSC_OK;
	return 0;
}
