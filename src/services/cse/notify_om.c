/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements operationMonitor subscriptions (TS-0001 Table 9.6.8-3 operationMonitor,
 * TS-0004 Table 6.3.5.57-1 and 6.3.5.13-1 notificationEvent/operationMonitor): a <subscription>
 * whose enc.om lists operations (ops, an accessControlOperations bit set) and/or an originator
 * (or) is notified when a request with a matching operation and Originator reaches the
 * subscribed-to resource, "regardless of whether the operation is performed": the
 * notifications are collected once the target is resolved and sent after the transaction
 * whatever its outcome. The notification carries {"nev": {"om": {"ops": <m2m:operation>,
 * "or": <Originator>}}, "sur": ...} and no representation; its subscriber must still be allowed
 * to RETRIEVE the resource. Requests only look for such subscriptions once one exists
 * (m2m_cse.om_any, set at start by a scan and by every CREATE with enc.om), so the hot path
 * pays nothing otherwise.
 */
#include <stdlib.h>
#include <string.h>

#include "services/cse/cse_int.h"

/* accessControlOperations bit of a request: C 1, R 2, U 4, D 8, N 16, Discovery 32. */
static unsigned op_bit(const m2m_request *req)
{
	switch (req->op) {
	case M2M_OP_CREATE: return 1;
	case M2M_OP_RETRIEVE: return req->fc.fu == 1 ? 32 : 2;
	case M2M_OP_UPDATE: return 4;
	case M2M_OP_DELETE: return 8;
	default: return 16;
	}
}

static bool or_match(m2mi_ctx *c, const char *or)
{
	m2m_origin_forms f;

	if (or == NULL)
		return true;
	if (!c->has_orig)
		return false;
	if (strcmp(or, c->from) == 0) /* public: IDs */
		return true;
	return m2m_originator_forms(&c->cse->octx, or, &f) == M2M_OK &&
	       strcmp(f.absolute, c->orig.absolute) == 0; /* public: IDs */
}

static bool om_match(m2mi_ctx *c, json_t *om)
{
	json_t *one;
	size_t i, n = json_is_array(om) ? json_array_size(om) : 1;

	for (i = 0; i < n; i++) {
		json_t *ops;
		one = json_is_array(om) ? json_array_get(om, i) : om;
		ops = json_object_get(one, "ops");
		if ((ops == NULL || (json_integer_value(ops) & op_bit(c->req)) != 0) &&
		    or_match(c, json_string_value(json_object_get(one, "or"))))
			return true;
	}
	return false;
}

void m2mi_notify_om(m2mi_ctx *c)
{
	m2m_res *subs = NULL;
	size_t n = 0;
	json_t *saved = c->notes;

	if (!atomic_load_explicit(&c->cse->om_any, memory_order_relaxed) || c->sub_phase == 1 || c->virt ||
	    c->tgt.row.ri == NULL ||
	    m2m_resstore_children(c->st, c->tgt.row.ri, M2M_TY_SUB, 256, &subs, &n) != M2M_OK)
		return;
	c->notes = c->om_notes;
	for (size_t i = 0; i < n; i++) {
		json_t *a, *om;
		char *body = NULL;

		if (m2mi_expired(c, &subs[i]) || subs[i].body == NULL || strstr(subs[i].body, "\"om\"") == NULL ||
		    (a = json_loads(subs[i].body, 0, NULL)) == NULL)
			continue;
		om = json_object_get(json_object_get(a, "enc"), "om");
		if (om != NULL && om_match(c, om) && m2mi_notify_may_see(c, &subs[i], &c->tgt)) {
			json_t *sgn = json_pack("{s:{s:{s:{s:i,s:s}},s:s}}", "m2m:sgn", "nev", "om", "ops", (int)c->req->op,
						"or", c->has_orig ? c->from : "", "sur", subs[i].ri);
			body = sgn ? json_dumps(sgn, JSON_COMPACT) : NULL;
			if (body != NULL)
				(void)m2mi_notify_targets(c, &subs[i], a, json_object_get(a, "nu"), body);
			json_decref(sgn);
			free(body);
		}
		json_decref(a);
	}
	c->om_notes = c->notes;
	c->notes = saved;
	m2m_res_free_list(subs, n);
}

void m2mi_notify_om_flush(m2mi_ctx *c)
{
	json_t *saved = c->notes;

	if (c->om_notes == NULL)
		return;
	c->notes = c->om_notes;
	c->om_notes = NULL;
	m2mi_notify_flush(c);
	c->notes = saved;
}

m2m_err m2mi_notify_om_scan(m2m_cse *cse, m2m_resstore *st)
{
	m2m_res *d = NULL;
	size_t n = 0;
	m2m_err e;

	if ((e = m2m_resstore_begin(st, false)) != M2M_OK)
		return e;
	e = m2m_resstore_descendants(st, cse->cfg.name, M2MI_SUBTREE_MAX, &d, &n);
	for (size_t i = 0; e == M2M_OK && i < n && !atomic_load(&cse->om_any); i++) {
		m2m_res s = {0};
		if (d[i].ty != M2M_TY_SUB)
			continue;
		if (m2m_resstore_get(st, d[i].ri, &s) == M2M_OK && s.body != NULL && strstr(s.body, "\"om\"") != NULL)
			atomic_store(&cse->om_any, true);
		m2m_res_clear(&s);
	}
	if (n >= M2MI_SUBTREE_MAX)
		atomic_store(&cse->om_any, true); /* not all seen: look at every request */
	m2m_res_free_list(d, n);
	m2m_resstore_rollback(st);
	return e;
}
