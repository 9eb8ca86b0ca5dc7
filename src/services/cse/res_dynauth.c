/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the resource types of dynamic authorization and roles (TS-0001 clauses
 * 9.6.38-9.6.40, TS-0004 clauses 7.4.36, 7.4.40, 7.4.41; short names of TS-0004 clause 8.2.3):
 *  - <role> (ty 31, m2m:rol): roleID rlid, issuer tkis, holder tkhd, notBefore tknb, notAfter
 *    tkna, roleName rlnm, tokenLink rltl. A <role> makes its holder's claimed Role-ID (rids)
 *    count in acor, so it is a grant of privileges: only the CSE administrator creates one,
 *    whatever the ACPs of the parent say (docs/resources.md).
 *  - <token> (ty 32, m2m:tk): tokenID tkid, tokenObject tkob and the claims (vr, tkis, tkhd,
 *    tknb, tkna, tknm, tkau, tkps, tkex). tkob must pass the security validation of the token
 *    module against das-trust (signature, issuer, algorithm); tkid must be its "jti"; only its
 *    holder or the administrator stores it; the claim attributes are written from the VERIFIED
 *    token, never from the request; its expirationTime never exceeds the token's notAfter.
 *    Deleting a <token> revokes the token (TS-0001 clause 9.6.39 / docs/procedures/das.md).
 *  - <dynamicAuthorizationConsultation> (ty 34, m2m:dac): dae, dap, dal. The consultation itself
 *    (direct dynamic authorization) is not implemented here: access.c has the hook.
 * <role> and <token> live under <CSEBase>; <dynamicAuthorizationConsultation> under <CSEBase>
 * and <AE>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/cse/cse_int.h"

static const int dyn_children[] = {M2M_TY_SUB, 0};

/* ---- <role> ---------------------------------------------------------------------------------- */

static const m2mi_attr rol_attrs[] = {
	{"rlid", M2MI_VT_STR, M2MI_M, M2MI_NP, true}, {"tkis", M2MI_VT_STR, M2MI_M, M2MI_NP, true},
	{"tkhd", M2MI_VT_STR, M2MI_M, M2MI_NP, true}, {"tknb", M2MI_VT_TIME, M2MI_M, M2MI_NP, true},
	{"tkna", M2MI_VT_TIME, M2MI_M, M2MI_NP, true}, {"rlnm", M2MI_VT_STR, M2MI_O, M2MI_NP, true},
	{"rltl", M2MI_VT_STR, M2MI_O, M2MI_O, true},
};

/* m2m:roleID as the ACP engine matches it in acor: "relative@fqdn", no '/', '*' or space. */
static bool role_id_ok(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL || strlen(s) > M2M_ACP_STR_MAX)
		return false;
	return strpbrk(s, "/* \t") == NULL;
}

static int rol_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	int64_t nb = 0, na = 0;
	m2m_origin_forms o;

	(void)parent;
	if (!c->admin)
		return m2mi_fail(c, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "only the CSE administrator creates a role");
	if (!role_id_ok(json_string_value(json_object_get(n->attr, "rlid"))))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute rlid must be a Role-ID relative@fqdn");
	if (m2m_originator_forms(&c->cse->octx, json_string_value(json_object_get(n->attr, "tkhd")), &o) != M2M_OK)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute tkhd must be an AE-ID or CSE-ID");
	if (!m2mi_time_parse(json_string_value(json_object_get(n->attr, "tknb")), &nb) ||
	    !m2mi_time_parse(json_string_value(json_object_get(n->attr, "tkna")), &na) || na < nb)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute tkna must not be before tknb");
	return 0;
}

static int no_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	(void)c;
	(void)n;
	(void)chg;
	return 0; /* the writable attributes (rltl, common ones) need no check of their own */
}

const m2mi_type m2mi_type_rol = {
	.ty = M2MI_TY_ROL, .wrapper = "m2m:rol", .prefix = "rol", .flags = M2MI_F_ACPI | M2MI_F_ET | M2MI_F_LBL | M2MI_F_CR,
	.attrs = rol_attrs, .nattrs = sizeof(rol_attrs) / sizeof(rol_attrs[0]), .children = dyn_children,
	.create = rol_create, .update = no_update,
};

/* The Originator holds roleID now: some live <role> under <CSEBase> names it as holder. */
bool m2mi_role_held(m2mi_ctx *c, const char *role_id)
{
	m2m_res *v = NULL;
	size_t n = 0;
	bool held = false;

	if (!c->has_orig || !c->rq_authn || !role_id_ok(role_id) ||
	    m2m_resstore_children(c->st, c->cfg->name, M2MI_TY_ROL, M2MI_ROLE_SCAN, &v, &n) != M2M_OK)
		return false;
	for (size_t i = 0; i < n && !held; i++) {
		json_t *a = m2mi_expired(c, &v[i]) ? NULL : json_loads(v[i].body ? v[i].body : "", 0, NULL);
		const char *id = json_string_value(json_object_get(a, "rlid"));
		int64_t nb, na;
		m2m_origin_forms o;

		held = id != NULL && strcmp(id, role_id) == 0 &&
		       m2m_originator_forms(&c->cse->octx, json_string_value(json_object_get(a, "tkhd")), &o) == M2M_OK &&
		       strcmp(o.absolute, c->orig.absolute) == 0 && /* public: identifiers */
		       m2mi_time_parse(json_string_value(json_object_get(a, "tknb")), &nb) &&
		       m2mi_time_parse(json_string_value(json_object_get(a, "tkna")), &na) && nb <= c->now && c->now <= na;
		json_decref(a);
	}
	m2m_res_free_list(v, n);
	return held && m2mi_ssp_role_allowed(c, role_id); /* allowedRole-IDs (res_ssp.c) */
}

/* ---- <token> --------------------------------------------------------------------------------- */

static const m2mi_attr tk_attrs[] = {
	{"tkid", M2MI_VT_STR, M2MI_M, M2MI_NP, true}, {"tkob", M2MI_VT_STR, M2MI_M, M2MI_NP, true},
	{"vr", M2MI_VT_STR, M2MI_O, M2MI_NP, true},   {"tkis", M2MI_VT_STR, M2MI_O, M2MI_NP, true},
	{"tkhd", M2MI_VT_STR, M2MI_O, M2MI_NP, true}, {"tknb", M2MI_VT_TIME, M2MI_O, M2MI_NP, true},
	{"tkna", M2MI_VT_TIME, M2MI_O, M2MI_NP, true}, {"tknm", M2MI_VT_STR, M2MI_O, M2MI_NP, true},
	{"tkau", M2MI_VT_STRLIST, M2MI_O, M2MI_NP, false}, {"tkps", M2MI_VT_OBJ, M2MI_O, M2MI_NP, true},
	{"tkex", M2MI_VT_STR, M2MI_O, M2MI_NP, true},
};

static json_t *str_list(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* m2m:tokenPermissions of the verified claims (TS-0004 Table 6.3.5.41-1). */
static json_t *perms_json(const m2m_token_claims *cl)
{
	json_t *pm = json_array();

	for (size_t i = 0; pm != NULL && i < cl->nperms; i++) {
		const m2m_token_perm *p = &cl->perms[i];
		json_t *e = json_object();
		if (p->nris > 0)
			json_object_set_new(e, "ris", str_list(p->ris, p->nris));
		if (p->pv_json != NULL)
			json_object_set_new(e, "pv", json_loads(p->pv_json, 0, NULL));
		if (p->nrids > 0)
			json_object_set_new(e, "rids", str_list(p->rids, p->nrids));
		json_array_append_new(pm, e);
	}
	return json_pack("{s:o*}", "pm", pm);
}

static void set_time(json_t *a, const char *sn, int64_t t)
{
	char s[M2M_RES_TIME_LEN];

	m2mi_time_fmt(t, s);
	json_object_set_new(a, sn, json_string(s));
}

static int tk_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	const char *tkob = json_string_value(json_object_get(n->attr, "tkob"));
	const char *tkid = json_string_value(json_object_get(n->attr, "tkid"));
	const m2m_token_claims *cl;
	m2m_token *tok = NULL;
	m2m_err r;
	int64_t et;
	int rsc = 0;

	(void)parent;
	if ((r = m2mi_tokens_parse(c, tkob, &tok)) != M2M_OK)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute tkob: %s", m2m_strerror(r));
	cl = m2m_token_claims_of(tok);
	if (strcmp(cl->token_id, tkid) != 0)
		rsc = m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute tkid is not the tokenID (jti) of tkob");
	else if (!c->admin && (!c->has_orig || !c->rq_authn || strcmp(cl->holder, c->orig.absolute) != 0))
		rsc = m2mi_fail(c, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "only the token's holder stores a token");
	if (rsc == 0) { /* the claims as verified, whatever the request said */
		json_object_set_new(n->attr, "vr", json_string(cl->version));
		json_object_set_new(n->attr, "tkis", json_string(cl->issuer));
		json_object_set_new(n->attr, "tkhd", json_string(cl->holder));
		set_time(n->attr, "tknb", cl->not_before);
		set_time(n->attr, "tkna", cl->not_after);
		json_object_del(n->attr, "tknm");
		json_object_del(n->attr, "tkau");
		json_object_del(n->attr, "tkps");
		json_object_del(n->attr, "tkex");
		if (cl->name != NULL)
			json_object_set_new(n->attr, "tknm", json_string(cl->name));
		if (cl->naudience > 0)
			json_object_set_new(n->attr, "tkau", str_list(cl->audience, cl->naudience));
		if (cl->has_perms)
			json_object_set_new(n->attr, "tkps", perms_json(cl));
		if (cl->extension != NULL)
			json_object_set_new(n->attr, "tkex", json_string(cl->extension));
		if (!m2mi_time_parse(json_string_value(json_object_get(n->attr, "et")), &et) || et > cl->not_after)
			set_time(n->attr, "et", cl->not_after); /* the resource does not outlive the token */
	}
	m2m_token_unref(tok);
	return rsc;
}

static int tk_remove(m2mi_ctx *c, m2mi_node *n)
{
	int64_t na = INT64_MAX;

	if (m2mi_node_attrs(c, n) != 0)
		return M2M_RSC_INTERNAL_SERVER_ERROR;
	if (!m2mi_time_parse(json_string_value(json_object_get(n->attr, "tkna")), &na))
		na = INT64_MAX;
	/* fail closed: a revocation that cannot be remembered keeps the <token> */
	if (m2mi_tokens_revoke(c, json_string_value(json_object_get(n->attr, "tkid")), na) != M2M_OK)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "the token cannot be revoked now");
	return 0;
}

const m2mi_type m2mi_type_tk = {
	.ty = M2MI_TY_TK, .wrapper = "m2m:tk", .prefix = "tk", .flags = M2MI_F_ACPI | M2MI_F_ET | M2MI_F_LBL | M2MI_F_CR,
	.attrs = tk_attrs, .nattrs = sizeof(tk_attrs) / sizeof(tk_attrs[0]), .children = dyn_children,
	.create = tk_create, .update = no_update, .remove = tk_remove,
};

/* The tokenObject of the live <token> with tokenID tid (a copy), or NULL. */
char *m2mi_token_by_id(m2mi_ctx *c, const char *tid)
{
	m2m_res *v = NULL;
	size_t n = 0;
	char *tkob = NULL;

	if (m2m_resstore_children(c->st, c->cfg->name, M2MI_TY_TK, M2MI_ROLE_SCAN, &v, &n) != M2M_OK)
		return NULL;
	for (size_t i = 0; i < n && tkob == NULL; i++) {
		json_t *a = m2mi_expired(c, &v[i]) ? NULL : json_loads(v[i].body ? v[i].body : "", 0, NULL);
		const char *id = json_string_value(json_object_get(a, "tkid"));
		const char *ob = json_string_value(json_object_get(a, "tkob"));
		if (id != NULL && ob != NULL && strcmp(id, tid) == 0)
			tkob = strdup(ob);
		json_decref(a);
	}
	m2m_res_free_list(v, n);
	return tkob;
}

/* ---- <dynamicAuthorizationConsultation> ------------------------------------------------------ */

static const m2mi_attr dac_attrs[] = {
	{"dae", M2MI_VT_BOOL, M2MI_M, M2MI_O, true},
	{"dap", M2MI_VT_STRLIST, M2MI_M, M2MI_O, true},
	{"dal", M2MI_VT_TIME, M2MI_O, M2MI_O, true},
};

/* m2m:poaList: 1..n URIs, no space or control character. */
static int dap_check(m2mi_ctx *c, json_t *dap)
{
	size_t i;
	json_t *e;

	if (dap == NULL)
		return 0;
	if (json_array_size(dap) == 0 || json_array_size(dap) > M2MI_NU_MAX)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute dap must list 1..%d URIs", M2MI_NU_MAX);
	json_array_foreach(dap, i, e) {
		const char *s = json_string_value(e);
		if (s == NULL || s[0] == '\0' || strlen(s) > 1024 || strpbrk(s, " \t\r\n") != NULL)
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute dap entries must be URIs");
	}
	return 0;
}

static int dac_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	(void)parent;
	return dap_check(c, json_object_get(n->attr, "dap"));
}

static int dac_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	(void)n;
	return dap_check(c, json_object_get(chg, "dap"));
}

const m2mi_type m2mi_type_dac = {
	.ty = M2MI_TY_DAC, .wrapper = "m2m:dac", .prefix = "dac", .flags = M2MI_F_ACPI | M2MI_F_ET | M2MI_F_LBL,
	.attrs = dac_attrs, .nattrs = sizeof(dac_attrs) / sizeof(dac_attrs[0]), .children = dyn_children,
	.create = dac_create, .update = dac_update,
};

int m2mi_daci_check(m2mi_ctx *c, json_t *daci)
{
	char rel[1024], et[M2M_RES_TIME_LEN];
	int ty = 0;
	int64_t ver;
	size_t i;
	json_t *e;

	if (daci == NULL || json_is_null(daci))
		return 0;
	if (json_array_size(daci) > M2MI_ACPI_MAX)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute daci has more than %d entries", M2MI_ACPI_MAX);
	json_array_foreach(daci, i, e) {
		const char *id = json_string_value(e);
		if (id == NULL || !m2mi_cse_relative(c, id, rel, sizeof(rel)) ||
		    m2m_resstore_ident(c->st, rel, strchr(rel, '/') != NULL, &ty, &ver, NULL, 0, et) != M2M_OK ||
		    ty != M2MI_TY_DAC || (et[0] != '\0' && strcmp(et, c->now_s) <= 0))
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "daci entry %.64s is not a dynamicAuthorizationConsultation",
					 id ? id : "");
	}
	return 0;
}
