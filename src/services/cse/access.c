/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the glue between the CSE and the access-control decision engine
 * (m2msec/acp.h) for TS-0003 clause 7.1 and TS-0001 clause 9.6.2 / Table 9.6.1.3.2-1:
 *  - which policies apply: an <accessControlPolicy> target is decided on its own
 *    selfPrivileges (pvs); a <contentInstance> (no acpi) inherits its container's; any other
 *    resource uses the privileges (pv) of the ACPs in its accessControlPolicyIDs (acpi), and
 *    when acpi is absent or empty only the creator of the resource has access, and only when
 *    the request is authenticated (rq_authn);
 *  - only verified Role-IDs reach the engine (rids held per a live <role>, res_dynauth.c);
 *  - after the ACPs deny, the request's tokens (access_token.c) add rule sets and Role-IDs and
 *    the engine decides again (indirect dynamic authorization, TS-0003 clause 7.3.2.3);
 *  - an UPDATE of acpi alone is decided on the pvs of the currently referenced ACPs (the
 *    creator when there are none), per the acpi description of TS-0001 Table 9.6.1.3.2-1;
 *  - compiled rule sets are taken from the per-worker engine cache keyed by ACP resourceID
 *    (pv) or resourceID "#pvs" and the row version, which every UPDATE bumps;
 *  - the group-membership oracle for <group> resource IDs in accessControlOriginators.
 * The admin bypass (c->admin) is decided by the dispatcher (cse.c) from the association.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/log.h"
#include "services/cse/cse_int.h"

typedef struct rule_sets {
	m2m_acp_rules *v[M2MI_ACPI_MAX];
	size_t n;
} rule_sets;

static void sets_release(rule_sets *s)
{
	for (size_t i = 0; i < s->n; i++)
		m2m_acp_rules_unref(s->v[i]);
	s->n = 0;
}

/* Compiled pv (self = false) or pvs of the ACP ri at version ver; NULL if unusable. */
static m2m_acp_rules *rules_of(m2mi_ctx *c, const char *ri, int64_t ver, bool self)
{
	char key[M2MI_RI_MAX + 8];
	size_t n = strlen(ri);
	m2m_acp_rules *rules = NULL;
	m2mi_node acp = {0};
	char err[160];

	if (n >= M2MI_RI_MAX)
		return NULL;
	memcpy(key, ri, n);
	memcpy(key + n, "#pvs", self ? 5 : 1);
	if (m2m_acp_cache_get(c->w->acps, self ? key : ri, (uint64_t)ver, &rules) == M2M_OK)
		return rules;
	if (m2m_resstore_get(c->st, ri, &acp.row) == M2M_OK && !m2mi_expired(c, &acp.row) &&
	    m2mi_node_attrs(c, &acp) == 0 &&
	    m2m_acp_rules_from_json(json_object_get(acp.attr, self ? "pvs" : "pv"), &rules, err, sizeof(err)) ==
		    M2M_OK) {
		if (m2m_acp_cache_put(c->w->acps, self ? key : ri, (uint64_t)ver, rules) != M2M_OK)
			m2m_log(M2M_LOG_WARN, "cannot cache the rules of %s", ri);
	} else {
		m2m_log(M2M_LOG_WARN, "accessControlPolicy %s is unusable; it grants nothing", ri);
	}
	m2mi_node_clear(&acp);
	return rules;
}

/* The ACP an acpi entry names (any ID form): its resourceID and version, by one indexed query. */
static bool acpi_entry(m2mi_ctx *c, const char *id, char *ri, size_t cap, int64_t *ver)
{
	char rel[1024], et[M2M_RES_TIME_LEN];
	int ty = 0;

	if (id == NULL || !m2mi_cse_relative(c, id, rel, sizeof(rel)))
		return false;
	return m2m_resstore_ident(c->st, rel, strchr(rel, '/') != NULL, &ty, ver, ri, cap, et) == M2M_OK &&
	       ty == M2M_TY_ACP && (et[0] == '\0' || strcmp(et, c->now_s) > 0); /* not expired */
}

static void add_set(m2mi_ctx *c, const char *id, bool self, rule_sets *s)
{
	char ri[M2MI_RI_MAX];
	int64_t ver = 0;

	if (s->n < M2MI_ACPI_MAX && acpi_entry(c, id, ri, sizeof(ri), &ver) &&
	    (s->v[s->n] = rules_of(c, ri, ver, self)) != NULL)
		s->n++;
}

/* Rule sets of every ACP listed in the acpi JSON text of holder; *listed = acpi non-empty.
 * The text is the compact array this CSE wrote; without escapes it is split directly (the hot
 * path), otherwise parsed. */
static void sets_from_acpi(m2mi_ctx *c, const m2m_res *holder, bool self, rule_sets *s, bool *listed)
{
	const char *t = holder->acpi;
	json_t *a, *e;
	size_t i, n;

	*listed = false;
	if (t == NULL || t[0] != '[')
		return;
	if (strchr(t, '\\') == NULL) {
		char id[1024];
		const char *p = t + 1;
		while (*p == '"') {
			const char *q = strchr(p + 1, '"');
			if (q == NULL || (n = (size_t)(q - p - 1)) >= sizeof(id)) {
				*listed = true; /* unreadable acpi: indeterminate, so decide on what we have (deny) */
				break;
			}
			memcpy(id, p + 1, n);
			id[n] = '\0';
			*listed = true;
			add_set(c, id, self, s);
			p = q + 1 + (q[1] == ',');
		}
		return;
	}
	a = json_loads(t, 0, NULL);
	*listed = json_array_size(a) > 0;
	json_array_foreach(a, i, e)
		add_set(c, json_string_value(e), self, s);
	json_decref(a);
}

/* The creator rule (and with it every "self" right: an <AE> is its own creator) needs an
 * authenticated originator: a From that merely names the creator proves nothing (TS-0003
 * 7.1.2, rq_authn). */
static bool is_creator(const m2mi_ctx *c, const m2m_res *r)
{
	return c->has_orig && c->rq_authn && r->cr != NULL &&
	       strcmp(r->cr, c->orig.absolute) == 0; /* public: IDs */
}

/*
 * The Role-IDs the CSE has verified the Originator holds, out of those it claims (rids). A Role-ID
 * counts in acor only when verified: a live <role> under <CSEBase> names the authenticated
 * Originator as holder and now is within its validity (TS-0001 9.6.38, TS-0003 7.4.3;
 * res_dynauth.c). Claimed rids without such a <role> never grant anything.
 */
static size_t verified_roles(m2mi_ctx *c, const char *const **out)
{
	return m2mi_roles_verified(c, out);
}

/* id (any ID form) names an unexpired <group>. */
static bool group_exists(m2mi_ctx *c, const char *id)
{
	char rel[1024], et[M2M_RES_TIME_LEN];
	int ty = 0;
	int64_t ver;

	/* a name without '/' that is no ri can only be the <CSEBase> itself: no <group> */
	if (id == NULL || !m2mi_cse_relative(c, id, rel, sizeof(rel)) ||
	    m2m_resstore_ident(c->st, rel, strchr(rel, '/') != NULL, &ty, &ver, NULL, 0, et) != M2M_OK)
		return false;
	return ty == M2M_TY_GRP && (et[0] == '\0' || strcmp(et, c->now_s) > 0);
}

static bool member_cb(void *ctx, const char *group_ri, const m2m_acp_request *req)
{
	m2mi_ctx *c = ctx;
	m2mi_node g = {0};
	bool yes;

	(void)req;
	/* Most acor entries name no <group>: one indexed (ty, ver, ri, et) query tells, and only a
	 * live <group> is loaded with its members. */
	yes = group_exists(c, group_ri) && m2mi_lookup(c, group_ri, &g.row) == M2M_OK && g.row.ty == M2M_TY_GRP &&
	      m2mi_grp_has_member(c, &g);
	m2mi_node_clear(&g);
	return yes;
}

static bool decide_sets(m2mi_ctx *c, const m2m_acp_rules *const *sets, size_t n, const char *const *roles,
		       size_t nroles, unsigned op, int target_ty, int child_ty)
{
	m2m_acp_request q;

	memset(&q, 0, sizeof(q));
	if (c->has_orig) {
		q.orig_abs = c->orig.absolute[0] ? c->orig.absolute : NULL;
		q.orig_sp = c->orig.sp_relative[0] ? c->orig.sp_relative : NULL;
		q.orig_cse = c->orig.cse_relative[0] ? c->orig.cse_relative : NULL;
	}
	q.rq_authn = c->rq_authn;
	q.op = op;
	q.time = c->now;
	if (!c->as_subscriber && (c->req->ip_family == 4 || c->req->ip_family == 6)) {
		q.ip_family = (uint8_t)c->req->ip_family;
		memcpy(q.ip, c->req->ip, sizeof(q.ip));
	}
	q.target_ty = target_ty;
	q.child_ty = child_ty;
	if (!c->as_subscriber) {
		q.nrole_ids = verified_roles(c, &q.role_ids);
		if (roles != NULL) {
			q.role_ids = roles;
			q.nrole_ids = nroles;
		}
	}
	q.is_member = member_cb;
	q.member_ctx = c;
	return m2m_acp_decide(sets, n, &q) == M2M_ACP_PERMIT;
}

static bool decide(m2mi_ctx *c, rule_sets *s, unsigned op, int target_ty, int child_ty)
{
	return decide_sets(c, (const m2m_acp_rules *const *)s->v, s->n, NULL, 0, op, target_ty, child_ty);
}

/*
 * Tokens used through a relationship mapping (TS-0003 clause 7.3.2.7, access_token.c): their
 * privileges were granted to the holder they name, so only their own rule sets and Role-IDs are
 * evaluated, as that holder (never the static ACPs: the old AE-ID's other rights do not move).
 */
static bool decide_mapped(m2mi_ctx *c, const m2m_res *r, const m2m_res *holder, unsigned op, int child_ty)
{
	const m2m_acp_rules *sets[M2MI_TOKEN_SETS];
	const char *roles[M2MI_TOKEN_ROLES], *as;
	size_t nroles;
	int n;
	bool ok = false;

	for (size_t i = 0; !ok && (as = m2mi_tokens_mapped(c, i, r, holder, sets, M2MI_TOKEN_SETS, roles,
							     M2MI_TOKEN_ROLES, &nroles, &n)) != NULL; i++) {
		m2m_origin_forms me = c->orig, old;
		if ((n == 0 && nroles == 0) || m2m_originator_forms(&c->cse->octx, as, &old) != M2M_OK)
			continue;
		c->orig = old;
		ok = decide_sets(c, sets, (size_t)n, nroles ? roles : NULL, nroles, op, r->ty, child_ty);
		c->orig = me;
	}
	return ok;
}

/*
 * Indirect dynamic authorization (TS-0003 clause 7.3.2.3, docs/procedures/das.md): after the ACPs
 * denied, the request's verified tokens add their privileges (pv) as extra rule sets and their
 * Role-IDs as the Originator's roles, and the SAME engine decides again over the static sets plus
 * those: Permit-overrides, and a refused token grants nothing. Never for a subscriber's view.
 */
static bool decide_tokens(m2mi_ctx *c, rule_sets *s, const m2m_res *r, const m2m_res *holder, unsigned op,
			  int child_ty)
{
	const m2m_acp_rules *sets[M2MI_ACPI_MAX + M2MI_TOKEN_SETS];
	const char *roles[2 * M2MI_TOKEN_ROLES];
	const char *const *held = NULL;
	size_t nroles = 0, nheld, n;
	bool any;

	if (c->as_subscriber || !m2mi_tokens_present(c))
		return false;
	memcpy(sets, s->v, s->n * sizeof(sets[0]));
	n = s->n + (size_t)m2mi_tokens_grant(c, r, holder, sets + s->n, M2MI_TOKEN_SETS, roles, M2MI_TOKEN_ROLES,
					     &nroles);
	any = n > s->n || nroles > 0;
	nheld = verified_roles(c, &held); /* the <role>-verified rids count as well */
	for (size_t i = 0; i < nheld && nroles < sizeof(roles) / sizeof(roles[0]); i++)
		roles[nroles++] = held[i];
	if (any && decide_sets(c, sets, n, nroles ? roles : NULL, nroles, op, r->ty, child_ty))
		return true;
	return decide_mapped(c, r, holder, op, child_ty);
}

bool m2mi_access(m2mi_ctx *c, const m2m_res *r, const m2m_res *holder, unsigned op, int child_ty)
{
	rule_sets s = {.n = 0};
	bool listed = true, ok;

	if (c->admin)
		return true;
	if (r->ty == M2M_TY_ACP) {
		if ((s.v[0] = rules_of(c, r->ri, r->ver, true)) != NULL)
			s.n = 1;
	} else {
		sets_from_acpi(c, holder, false, &s, &listed);
	}
	/* acpi absent or empty: only the creator (TS-0001 Table 9.6.1.3.2-1) */
	ok = listed ? decide(c, &s, op, r->ty, child_ty) : is_creator(c, holder);
	if (!ok) /* TS-0001 clause 10.2.3.1: ACP, then indirect dynamic authorization */
		ok = decide_tokens(c, &s, r, holder, op, child_ty);
	sets_release(&s);
	return ok;
}

bool m2mi_access_sets(m2mi_ctx *c, const m2m_acp_rules *const *sets, size_t n, const m2m_res *r, unsigned op,
		      int child_ty)
{
	return n > 0 && decide_sets(c, sets, n, NULL, 0, op, r->ty, child_ty);
}

bool m2mi_access_with(m2mi_ctx *c, const m2m_res *const *acps, size_t n, const m2m_res *r, unsigned op,
		      int child_ty)
{
	rule_sets s = {.n = 0};
	bool ok;

	for (size_t i = 0; i < n && s.n < M2MI_ACPI_MAX; i++)
		if ((s.v[s.n] = rules_of(c, acps[i]->ri, acps[i]->ver, false)) != NULL)
			s.n++;
	ok = s.n > 0 && decide(c, &s, op, r->ty, child_ty);
	sets_release(&s);
	return ok;
}

static const char *op_word(unsigned op)
{
	switch (op) {
	case M2M_ACP_OP_CREATE: return "create a child of";
	case M2M_ACP_OP_RETRIEVE: return "retrieve";
	case M2M_ACP_OP_UPDATE: return "update";
	case M2M_ACP_OP_DELETE: return "delete";
	case M2M_ACP_OP_DISCOVERY: return "discover";
	default: return "access";
	}
}

int m2mi_access_target(m2mi_ctx *c, unsigned op, int child_ty)
{
	const m2m_res *holder = &c->tgt.row;
	int rsc;

	if (c->tgt.row.ty == M2M_TY_CIN) {
		m2mi_node *h = m2mi_holder(c);
		if (h == NULL)
			return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "the parent of the target is missing");
		holder = &h->row;
	}
	if (m2mi_access(c, &c->tgt.row, holder, op, child_ty))
		return 0;
	/* Direct dynamic authorization (access_das.c, TS-0003 clause 7.3.2.2), after indirect DA
	 * found nothing: an earlier grant, the answer of this request's consultation, or one now. */
	if (c->cse->das != NULL && !c->admin) {
		if (m2mi_das_permit(c, holder, op, child_ty) || m2mi_das_apply(c, holder, op, child_ty))
			return 0;
		if ((rsc = m2mi_das_consult(c, holder, op)) != 0)
			return rsc;
	}
	json_decref(c->tqf);
	c->tqf = m2mi_tokens_tqf(c, op);
	if ((rsc = m2mi_tokens_refusal(c)) != 0)
		return rsc;
	return m2mi_fail(c, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "the originator has no privilege to %s the target",
			 op_word(op));
}

int m2mi_access_acpi_update(m2mi_ctx *c)
{
	rule_sets s = {.n = 0};
	bool listed, ok;

	if (c->admin)
		return 0;
	sets_from_acpi(c, &c->tgt.row, true, &s, &listed);
	ok = listed ? decide(c, &s, M2M_ACP_OP_UPDATE, c->tgt.row.ty, 0) : is_creator(c, &c->tgt.row);
	sets_release(&s);
	if (ok)
		return 0;
	return m2mi_fail(c, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
			 "the originator has no privilege to update accessControlPolicyIDs");
}

void m2mi_access_forget(m2mi_ctx *c, const char *ri)
{
	char key[M2MI_RI_MAX + 8];

	m2m_acp_cache_invalidate(c->w->acps, ri);
	if (snprintf(key, sizeof(key), "%s#pvs", ri) < (int)sizeof(key))
		m2m_acp_cache_invalidate(c->w->acps, key);
}

int m2mi_access_check_acpi(m2mi_ctx *c, json_t *acpi)
{
	char ri[M2MI_RI_MAX];
	int64_t ver;
	size_t i;
	json_t *e;

	if (json_array_size(acpi) > M2MI_ACPI_MAX)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute acpi has more than %d entries", M2MI_ACPI_MAX);
	json_array_foreach(acpi, i, e)
		if (!acpi_entry(c, json_string_value(e), ri, sizeof(ri), &ver))
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "acpi entry %.64s is not an accessControlPolicy",
					 json_string_value(e));
	return 0;
}
