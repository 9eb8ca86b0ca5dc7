/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the <CSEBase> resource (TS-0004 clause 7.4.3, TS-0001 clause 9.6.3,
 * short name m2m:cb) and its creation at the first start of the CSE, together with the default
 * admin <accessControlPolicy> it points to (TS-0003 clause 7.1):
 *   pv:  [{acor:[<admin>], acop:63, acaf:true},          full access for the admin, only when
 *                                                        the request is authenticated
 *         {acor:["all"], acop:1, acod:[{chty:[2]}]}]     anybody may register an <AE>
 *   pvs: [{acor:[<admin>], acop:63, acaf:true}]
 * Both are created once, in one transaction; at later starts the stored <CSEBase> must match
 * the configured name and CSE-ID. The <CSEBase> cannot be created or deleted through requests;
 * only acpi, lbl, poa and nl can be updated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/cse/cse_int.h"

static const m2mi_attr cb_attrs[] = {
	{"csi", M2MI_VT_STR, M2MI_NP, M2MI_NP, true},
	{"cst", M2MI_VT_UINT, M2MI_NP, M2MI_NP, true},
	{"srt", M2MI_VT_ANY, M2MI_NP, M2MI_NP, true},
	{"srv", M2MI_VT_STRLIST, M2MI_NP, M2MI_NP, true},
	{"poa", M2MI_VT_STRLIST, M2MI_NP, M2MI_O, false},
	{"nl", M2MI_VT_STR, M2MI_NP, M2MI_O, false},
};

static const int cb_children[] = {M2M_TY_ACP, M2M_TY_AE, M2M_TY_CNT, M2M_TY_GRP, M2M_TY_SUB,
				  M2MI_TY_MSSP, M2MI_TY_ASAR, M2MI_TY_NOD, M2MI_TY_ROL, M2MI_TY_TK, M2MI_TY_DAC,
				  M2M_TY_CSR, 0}; /* TS-0004 Table 7.4.3.1-4 */

static int cb_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	return json_object_get(chg, "nl") != NULL ? m2mi_node_link_check(c, n->attr) : 0;
}

static int cb_remove(m2mi_ctx *c, m2mi_node *n)
{
	(void)n;
	return m2mi_fail(c, M2M_RSC_OPERATION_NOT_ALLOWED, "the CSEBase cannot be deleted");
}

const m2mi_type m2mi_type_csebase = {
	.ty = M2M_TY_CSEBASE, .wrapper = "m2m:cb", .prefix = "cb", .flags = M2MI_F_ACPI | M2MI_F_LBL,
	.attrs = cb_attrs, .nattrs = sizeof(cb_attrs) / sizeof(cb_attrs[0]), .children = cb_children,
	.update = cb_update, .remove = cb_remove,
};

/* ---- first start ------------------------------------------------------------------------- */

static json_t *poa_list(const m2m_cse_config *cfg)
{
	json_t *poa = json_array();

	if (strcmp(cfg->https_listen, "off") != 0 && cfg->https_listen[0] != '\0')
		json_array_append_new(poa, json_sprintf("https://%s", cfg->https_listen));
	if (strcmp(cfg->http_listen, "off") != 0 && cfg->http_listen[0] != '\0')
		json_array_append_new(poa, json_sprintf("http://%s", cfg->http_listen));
	return poa;
}

static m2m_err dump_row(json_t *body, m2m_res *r)
{
	json_t *acpi = json_object_get(body, "acpi");

	if ((r->body = json_dumps(body, JSON_COMPACT)) == NULL ||
	    (acpi != NULL && (r->acpi = json_dumps(acpi, JSON_COMPACT)) == NULL))
		return M2M_E_NOMEM;
	return M2M_OK;
}

/* The default admin ACP: check the policy compiles, then store it. */
static m2m_err insert_admin_acp(const m2m_cse_config *cfg, m2m_resstore *st, const char *now)
{
	m2m_res r = {0};
	json_t *pvs = json_pack("{s:[{s:[s],s:i,s:b}]}", "acr", "acor", cfg->admin_originator, "acop", 63, "acaf", 1);
	json_t *pv = json_pack("{s:[{s:[s],s:i,s:b},{s:[s],s:i,s:[{s:[i]}]}]}", "acr", "acor", cfg->admin_originator,
			       "acop", 63, "acaf", 1, "acor", "all", "acop", 1, "acod", "chty", M2M_TY_AE);
	json_t *body = NULL;
	m2m_acp_rules *rules = NULL;
	char path[M2M_CFG_STR + 32];
	m2m_err e = M2M_E_NOMEM;

	if (pv == NULL || pvs == NULL)
		goto out;
	if ((e = m2m_acp_rules_from_json(pv, &rules, NULL, 0)) != M2M_OK)
		goto out;
	m2m_acp_rules_unref(rules);
	if ((e = m2m_acp_rules_from_json(pvs, &rules, NULL, 0)) != M2M_OK)
		goto out;
	m2m_acp_rules_unref(rules);
	e = M2M_E_NOMEM;
	body = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:O,s:O}", "ty", M2M_TY_ACP, "ri", M2MI_ADMIN_ACP, "rn",
			 M2MI_ADMIN_ACP, "pi", cfg->name, "ct", now, "lt", now, "pv", pv, "pvs", pvs);
	snprintf(path, sizeof(path), "%s/%s", cfg->name, M2MI_ADMIN_ACP);
	r.ri = strdup(M2MI_ADMIN_ACP);
	r.rn = strdup(M2MI_ADMIN_ACP);
	r.pi = strdup(cfg->name);
	r.path = strdup(path);
	if (body == NULL || r.ri == NULL || r.rn == NULL || r.pi == NULL || r.path == NULL ||
	    (e = dump_row(body, &r)) != M2M_OK)
		goto out;
	r.ty = M2M_TY_ACP;
	r.ver = 1;
	snprintf(r.ct, sizeof(r.ct), "%s", now);
	snprintf(r.lt, sizeof(r.lt), "%s", now);
	e = m2m_resstore_insert(st, &r);
out:
	json_decref(pv);
	json_decref(pvs);
	json_decref(body);
	m2m_res_clear(&r);
	return e;
}

static m2m_err insert_csebase(const m2m_cse_config *cfg, m2m_resstore *st, const char *now)
{
	m2m_res r = {0};
	json_t *body = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:i,s:[iiiiiiiiiiii],s:o,s:[s],s:[s]}", "ty", M2M_TY_CSEBASE,
				 "ri", cfg->name, "rn", cfg->name, "ct", now, "lt", now, "csi", cfg->cse_id, "cst", 1,
				 "srt", M2M_TY_ACP, M2M_TY_AE, M2M_TY_CNT, M2M_TY_CIN, M2M_TY_CSEBASE, M2M_TY_GRP,
				 M2M_TY_SUB, M2MI_TY_MSSP, M2MI_TY_MGO, M2MI_TY_NOD, M2MI_TY_ASAR, M2MI_TY_SVSN,
				 "poa", poa_list(cfg), "srv", "3", "acpi", M2MI_ADMIN_ACP);
	m2m_err e = M2M_E_NOMEM;

	r.ri = strdup(cfg->name);
	r.rn = strdup(cfg->name);
	r.path = strdup(cfg->name);
	if (body == NULL || r.ri == NULL || r.rn == NULL || r.path == NULL || (e = dump_row(body, &r)) != M2M_OK)
		goto out;
	r.ty = M2M_TY_CSEBASE;
	r.ver = 1;
	snprintf(r.ct, sizeof(r.ct), "%s", now);
	snprintf(r.lt, sizeof(r.lt), "%s", now);
	e = m2m_resstore_insert(st, &r);
out:
	json_decref(body);
	m2m_res_clear(&r);
	return e;
}

/* An existing <CSEBase> must be the configured one. */
static m2m_err check_existing(const m2m_cse_config *cfg, const m2m_res *r)
{
	json_t *body = r->body ? json_loads(r->body, 0, NULL) : NULL;
	const char *csi = json_string_value(json_object_get(body, "csi"));
	m2m_err e = M2M_OK;

	if (r->ty != M2M_TY_CSEBASE || r->pi != NULL || csi == NULL || strcmp(csi, cfg->cse_id) != 0)
		e = M2M_E_CONFIG;
	json_decref(body);
	return e;
}

m2m_err m2mi_csebase_bootstrap(m2m_cse *cse, m2m_resstore *st, int64_t now)
{
	const m2m_cse_config *cfg = &cse->cfg;
	char ts[M2M_RES_TIME_LEN];
	m2m_res r = {0};
	m2m_err e;

	m2mi_time_fmt(now, ts);
	if ((e = m2m_resstore_begin(st, true)) != M2M_OK)
		return e;
	e = m2m_resstore_get(st, cfg->name, &r);
	if (e == M2M_OK)
		e = check_existing(cfg, &r);
	else if (e == M2M_E_NOT_FOUND && (e = insert_csebase(cfg, st, ts)) == M2M_OK)
		e = insert_admin_acp(cfg, st, ts);
	m2m_res_clear(&r);
	if (e == M2M_OK)
		return m2m_resstore_commit(st);
	m2m_resstore_rollback(st);
	return e;
}
