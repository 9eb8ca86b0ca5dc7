/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the <accessControlPolicy> resource (TS-0004 clause 7.4.2, TS-0001 clause
 * 9.6.2, short name m2m:acp): privileges (pv) and selfPrivileges (pvs), both m2m:setOfAcrs,
 * mandatory on CREATE. Each value is parsed and validated by the access-control engine
 * (m2m_acp_rules_from_json); an invalid one is BAD_REQUEST carrying the engine's message. pvs
 * must keep at least one rule on CREATE and UPDATE (TS-0001 clause 9.6.2.0), else nobody could
 * ever manage the policy. pv may be empty (it then grants nothing). Every UPDATE bumps the
 * version the per-worker rule caches are keyed on (resource.c), so no stale rule is used.
 */
#include <string.h>

#include "services/cse/cse_int.h"

static const m2mi_attr acp_attrs[] = {
	{"pv", M2MI_VT_OBJ, M2MI_M, M2MI_O, true},
	{"pvs", M2MI_VT_OBJ, M2MI_M, M2MI_O, true},
};

static const int acp_children[] = {M2M_TY_SUB, 0};

static int check_set(m2mi_ctx *c, json_t *attrs, const char *sn, bool need_rule)
{
	json_t *v = json_object_get(attrs, sn);
	m2m_acp_rules *rules = NULL;
	char err[200];
	size_t n;

	if (v == NULL)
		return 0;
	if (m2m_acp_rules_from_json(v, &rules, err, sizeof(err)) != M2M_OK)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute %s: %s", sn, err);
	n = m2m_acp_rules_count(rules);
	m2m_acp_rules_unref(rules);
	if (need_rule && n == 0)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute pvs must contain at least one rule");
	return 0;
}

static int acp_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	int rsc;

	(void)parent;
	if ((rsc = check_set(c, n->attr, "pv", false)) != 0)
		return rsc;
	return check_set(c, n->attr, "pvs", true);
}

static int acp_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	int rsc;

	(void)n;
	if ((rsc = check_set(c, chg, "pv", false)) != 0)
		return rsc;
	return check_set(c, chg, "pvs", true);
}

const m2mi_type m2mi_type_acp = {
	.ty = M2M_TY_ACP, .wrapper = "m2m:acp", .prefix = "acp", .flags = M2MI_F_ET | M2MI_F_LBL,
	.attrs = acp_attrs, .nattrs = sizeof(acp_attrs) / sizeof(acp_attrs[0]), .children = acp_children,
	.create = acp_create, .update = acp_update,
};
