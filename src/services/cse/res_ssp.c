/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the M2M Service Subscription resources of an IN-CSE and the check of an
 * AE registration against them:
 *  - <m2mServiceSubscriptionProfile> (ty 11, m2m:mssp; TS-0001 clause 9.6.19, TS-0004 clause
 *    7.4.19) under the <CSEBase>, no resource-specific attributes;
 *  - <serviceSubscribedNode> (ty 20, m2m:svsn; TS-0001 clause 9.6.20, TS-0004 clause 7.4.20)
 *    under a profile: ni (nodeID, M), csi (CSE-ID), di (deviceIdentifier), rlk (ruleLinks,
 *    only with csi: 4000 otherwise, TS-0004 7.4.20.2.1; every entry must name an existing
 *    <serviceSubscribedAppRule>), nrq (niddRequired);
 *  - <serviceSubscribedAppRule> (ty 19, m2m:asar; TS-0001 clause 9.6.29, TS-0004 clause
 *    7.4.29) under the <CSEBase>: apci (applicableCredIDs), aai (allowedApp-IDs, each starting
 *    with '*', 'R' or 'N', TS-0004 7.4.29.2.1), aae (allowedAEs), ari (allowedRole-IDs).
 * These are the provider's contract with its customers: only the admin originator may create,
 * update or delete them (4103 for anybody else, whatever an ACP says: fail closed).
 * With `service-subscription = enforce` an AE registration (TS-0004 clause 7.3.2.7, TS-0001
 * clause 10.2.2.2 step 003) needs a <serviceSubscribedNode> whose csi is this CSE (else
 * SERVICE_SUBSCRIPTION_NOT_ESTABLISHED), at least one rule linked from it (else
 * APP_RULE_VALIDATION_FAILED), among them a rule for the Credential-ID of the association (else
 * SERVICE_SUBSCRIPTION_NOT_ESTABLISHED: the rules map Credential-IDs to subscriptions, TS-0001
 * 9.6.29, and no subscription here covers this credential) that allows the App-ID with the
 * AE-ID-Stem (else APP_RULE_VALIDATION_FAILED); the decision itself is m2m_app_rule_check
 * (core/app_rule.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/app_rule.h"
#include "m2msec/log.h"
#include "services/cse/cse_int.h"

#define SSP_RULES_MAX 64  /* linked rules considered for one registration; more: refuse */
#define SSP_PAT_MAX 64    /* patterns of one list of one rule; more: refuse */

static int admin_only(m2mi_ctx *c)
{
	return c->admin ? 0 : m2mi_fail(c, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
					"service subscription resources are administered by the provider only");
}

/* Every entry of the list attribute sn (if present) is a non-empty string; lists of IDs hold at
 * least one member (m2m:listOfM2MID, TS-0004 Table 6.3.2-1) unless empty_ok. */
static int check_list(m2mi_ctx *c, json_t *a, const char *sn, bool empty_ok)
{
	json_t *l = json_object_get(a, sn), *e;
	size_t i;

	if (l == NULL)
		return 0;
	if (json_array_size(l) == 0 && !empty_ok)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute %s must not be empty", sn);
	if (json_array_size(l) > SSP_PAT_MAX)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute %s has more than %d entries", sn, SSP_PAT_MAX);
	json_array_foreach(l, i, e)
		if (json_string_length(e) == 0)
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute %s has an empty entry", sn);
	return 0;
}

/* ---- <m2mServiceSubscriptionProfile> ----------------------------------------------------- */

static const int mssp_children[] = {M2M_TY_SUB, M2MI_TY_SVSN, 0};

static int mssp_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	(void)parent;
	(void)n;
	return admin_only(c);
}

static int ssp_update(m2mi_ctx *c, m2mi_node *n, json_t *chg);
static int ssp_remove(m2mi_ctx *c, m2mi_node *n);

const m2mi_type m2mi_type_mssp = {
	.ty = M2MI_TY_MSSP, .wrapper = "m2m:mssp", .prefix = "mssp", .flags = M2MI_F_ACPI | M2MI_F_ET | M2MI_F_LBL,
	.attrs = NULL, .nattrs = 0, .children = mssp_children,
	.create = mssp_create, .update = ssp_update, .remove = ssp_remove,
};

/* ---- <serviceSubscribedNode> -------------------------------------------------------------- */

static const m2mi_attr svsn_attrs[] = {
	{"ni", M2MI_VT_STR, M2MI_M, M2MI_NP, true},
	{"csi", M2MI_VT_STR, M2MI_O, M2MI_NP, false},
	{"di", M2MI_VT_STRLIST, M2MI_O, M2MI_NP, false},
	{"rlk", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
	{"nrq", M2MI_VT_BOOL, M2MI_O, M2MI_O, false},
};

static const int leaf_children[] = {M2M_TY_SUB, 0};

static int svsn_check(m2mi_ctx *c, json_t *a)
{
	const char *csi = json_string_value(json_object_get(a, "csi"));
	json_t *rlk = json_object_get(a, "rlk"), *e;
	m2m_origin_forms f;
	size_t i;
	int rsc;

	if (json_string_length(json_object_get(a, "ni")) == 0)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute ni must not be empty");
	if (csi != NULL && (m2m_originator_forms(&c->cse->octx, csi, &f) != M2M_OK || !f.is_cse))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute csi is not a CSE-ID");
	if (rlk != NULL && csi == NULL) /* TS-0004 7.4.20.2.1, TS-0001 Table 9.6.20-2 */
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute rlk needs the csi attribute");
	if ((rsc = check_list(c, a, "di", false)) != 0 || (rsc = check_list(c, a, "rlk", true)) != 0)
		return rsc;
	json_array_foreach(rlk, i, e) {
		m2m_res r = {0};
		m2m_err err = m2mi_lookup(c, json_string_value(e), &r);
		int ty = r.ty;

		m2m_res_clear(&r);
		if (err != M2M_OK && err != M2M_E_NOT_FOUND)
			return m2mi_store_fail(c, err);
		if (err == M2M_E_NOT_FOUND || ty != M2MI_TY_ASAR)
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "rlk entry %.64s is not a serviceSubscribedAppRule",
					 json_string_value(e));
	}
	return 0;
}

static int svsn_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	int rsc;

	(void)parent;
	return (rsc = admin_only(c)) != 0 ? rsc : svsn_check(c, n->attr);
}

static int svsn_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	int rsc;

	(void)chg;
	return (rsc = admin_only(c)) != 0 ? rsc : svsn_check(c, n->attr);
}

const m2mi_type m2mi_type_svsn = {
	.ty = M2MI_TY_SVSN, .wrapper = "m2m:svsn", .prefix = "svsn", .flags = M2MI_F_ACPI | M2MI_F_ET | M2MI_F_LBL,
	.attrs = svsn_attrs, .nattrs = sizeof(svsn_attrs) / sizeof(svsn_attrs[0]), .children = leaf_children,
	.create = svsn_create, .update = svsn_update, .remove = ssp_remove,
};

/* ---- <serviceSubscribedAppRule> ----------------------------------------------------------- */

static const m2mi_attr asar_attrs[] = {
	{"apci", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
	{"aai", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
	{"aae", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
	{"ari", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
};

static int asar_check(m2mi_ctx *c, json_t *a)
{
	json_t *e;
	size_t i;
	int rsc;

	if ((rsc = check_list(c, a, "apci", false)) != 0 || (rsc = check_list(c, a, "aai", false)) != 0 ||
	    (rsc = check_list(c, a, "aae", false)) != 0 || (rsc = check_list(c, a, "ari", false)) != 0)
		return rsc;
	json_array_foreach(json_object_get(a, "aai"), i, e)
		if (!m2m_app_rule_app_pattern_ok(json_string_value(e))) /* TS-0004 7.4.29.2.1 */
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "aai entry %.64s must start with '*', 'R' or 'N'",
					 json_string_value(e));
	return 0;
}

static int asar_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	int rsc;

	(void)parent;
	return (rsc = admin_only(c)) != 0 ? rsc : asar_check(c, n->attr);
}

static int asar_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	int rsc;

	(void)chg;
	return (rsc = admin_only(c)) != 0 ? rsc : asar_check(c, n->attr);
}

const m2mi_type m2mi_type_asar = {
	.ty = M2MI_TY_ASAR, .wrapper = "m2m:asar", .prefix = "asar", .flags = M2MI_F_ACPI | M2MI_F_ET | M2MI_F_LBL,
	.attrs = asar_attrs, .nattrs = sizeof(asar_attrs) / sizeof(asar_attrs[0]), .children = leaf_children,
	.create = asar_create, .update = asar_update, .remove = ssp_remove,
};

static int ssp_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	(void)n;
	(void)chg;
	return admin_only(c);
}

static int ssp_remove(m2mi_ctx *c, m2mi_node *n)
{
	(void)n;
	return admin_only(c);
}

/* ---- the registration check ---------------------------------------------------------------- */

typedef struct ssp_rules {
	m2m_app_rule r[SSP_RULES_MAX];
	json_t *body[SSP_RULES_MAX];
	const char *pat[SSP_RULES_MAX][3][SSP_PAT_MAX];
	size_t n;
	bool nodes;       /* a <serviceSubscribedNode> of this CSE exists */
	bool overflow;
} ssp_rules;

static void rules_free(ssp_rules *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_decref(s->body[i]);
	free(s);
}

/* The pattern list sn of a rule body into out (borrowed strings); false if unusable. */
static bool load_list(json_t *body, const char *sn, const char **out, const char *const **list, size_t *n)
{
	json_t *l = json_object_get(body, sn), *e;
	size_t i;

	*list = out;
	*n = 0;
	if (l == NULL)
		return true;
	if (!json_is_array(l) || json_array_size(l) > SSP_PAT_MAX)
		return false;
	json_array_foreach(l, i, e) {
		if (!json_is_string(e))
			return false;
		out[(*n)++] = json_string_value(e);
	}
	return true;
}

/* Add the rule a ruleLinks entry names (dangling or expired links are skipped). */
static int add_rule(m2mi_ctx *c, ssp_rules *s, const char *link)
{
	m2m_res r = {0};
	m2m_err e = m2mi_lookup(c, link, &r);
	json_t *body = NULL;
	m2m_app_rule *ar;
	size_t k = s->n;

	if (e == M2M_E_NOT_FOUND || (e == M2M_OK && r.ty != M2MI_TY_ASAR)) {
		m2m_res_clear(&r);
		return 0;
	}
	if (e != M2M_OK) {
		m2m_res_clear(&r);
		return m2mi_store_fail(c, e);
	}
	for (size_t i = 0; i < s->n; i++) /* the same rule linked twice counts once */
		if (strcmp(json_string_value(json_object_get(s->body[i], "ri")), r.ri) == 0) {
			m2m_res_clear(&r);
			return 0;
		}
	body = r.body ? json_loads(r.body, 0, NULL) : NULL;
	m2m_res_clear(&r);
	if (k >= SSP_RULES_MAX) {
		json_decref(body);
		s->overflow = true;
		return 0;
	}
	if (body == NULL || !json_is_object(body) || !json_is_string(json_object_get(body, "ri"))) {
		json_decref(body);
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "stored resource is corrupt");
	}
	ar = &s->r[k];
	s->body[k] = body;
	s->n++;
	ar->has_apci = json_object_get(body, "apci") != NULL;
	if (!load_list(body, "apci", s->pat[k][0], &ar->apci, &ar->n_apci) ||
	    !load_list(body, "aai", s->pat[k][1], &ar->aai, &ar->n_aai) ||
	    !load_list(body, "aae", s->pat[k][2], &ar->aae, &ar->n_aae))
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "stored resource is corrupt");
	return 0;
}

/* The rules linked from every live <serviceSubscribedNode> of this CSE (TS-0001 10.2.2.2 003). */
static int collect(m2mi_ctx *c, ssp_rules *s)
{
	m2m_res *prof = NULL, *nodes = NULL;
	size_t np = 0, nn = 0;
	m2m_origin_forms own, f;
	m2m_err e;
	int rsc = 0;

	if (m2m_originator_forms(&c->cse->octx, c->cfg->cse_id, &own) != M2M_OK)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "the CSE-ID is not valid");
	if ((e = m2m_resstore_children(c->st, c->cfg->name, M2MI_TY_MSSP, M2MI_CHILD_MAX, &prof, &np)) != M2M_OK)
		return m2mi_store_fail(c, e);
	for (size_t i = 0; rsc == 0 && i < np; i++) {
		if (m2mi_expired(c, &prof[i]))
			continue;
		if ((e = m2m_resstore_children(c->st, prof[i].ri, M2MI_TY_SVSN, M2MI_CHILD_MAX, &nodes, &nn)) != M2M_OK) {
			rsc = m2mi_store_fail(c, e);
			break;
		}
		for (size_t j = 0; rsc == 0 && j < nn; j++) {
			json_t *b = nodes[j].body ? json_loads(nodes[j].body, 0, NULL) : NULL;
			const char *csi = json_string_value(json_object_get(b, "csi"));
			json_t *rlk = json_object_get(b, "rlk"), *l;
			size_t k;

			if (!m2mi_expired(c, &nodes[j]) && csi != NULL &&
			    m2m_originator_forms(&c->cse->octx, csi, &f) == M2M_OK && f.is_cse &&
			    strcmp(f.absolute, own.absolute) == 0) { /* public: identifiers */
				s->nodes = true;
				json_array_foreach(rlk, k, l)
					if (rsc == 0 && json_is_string(l))
						rsc = add_rule(c, s, json_string_value(l));
			}
			json_decref(b);
		}
		m2m_res_free_list(nodes, nn);
		nodes = NULL;
	}
	m2m_res_free_list(prof, np);
	return rsc;
}

int m2mi_ssp_check_registration(m2mi_ctx *c, const char *stem)
{
	json_t *ae = json_object_get(c->req->pc, "m2m:ae");
	const char *api = json_string_value(json_object_get(ae, "api"));
	const char *cred = (c->sa == NULL || c->sa->kind == M2M_SA_NONE) ? NULL : c->sa->credential_id;
	ssp_rules *s;
	int rsc;

	if (!c->cfg->service_subscription)
		return 0;
	if (api == NULL)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute api is mandatory");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	if ((rsc = collect(c, s)) != 0)
		goto out;
	if (!s->nodes) {
		rsc = m2mi_fail(c, M2M_RSC_SERVICE_SUBSCRIPTION_NOT_ESTABLISHED,
				"no service subscription names this CSE (TS-0004 7.3.2.7)");
	} else if (s->n == 0) { /* TS-0004 7.3.2.7: "no linked rule is found" */
		rsc = m2mi_fail(c, M2M_RSC_APP_RULE_VALIDATION_FAILED, "no serviceSubscribedAppRule is linked to this CSE");
	} else if (s->overflow) { /* a partial rule set could deny wrongly or allow wrongly: refuse */
		m2m_log(M2M_LOG_WARN, "more than %d serviceSubscribedAppRules link to this CSE", SSP_RULES_MAX);
		rsc = m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "too many serviceSubscribedAppRules");
	} else {
		switch (m2m_app_rule_check(s->r, s->n, cred, api, stem)) {
		case M2M_APP_RULE_ALLOW: rsc = 0; break;
		case M2M_APP_RULE_NO_SUBSCRIPTION:
			rsc = m2mi_fail(c, M2M_RSC_SERVICE_SUBSCRIPTION_NOT_ESTABLISHED,
					"no service subscription rule applies to this credential");
			break;
		default:
			rsc = m2mi_fail(c, M2M_RSC_APP_RULE_VALIDATION_FAILED,
					"App-ID and AE-ID are not allowed by the service subscription");
		}
	}
out:
	rules_free(s);
	return rsc;
}

static bool any_match(const char *const *pat, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (m2m_app_rule_match(pat[i], value))
			return true;
	return false;
}

/* TS-0001 clauses 7.1.14 and 11.3.4: with service-subscription = enforce, a Role-ID counts only
 * when a rule that applies to the Originator (its credential, and its AE-ID-Stem in allowedAEs, as
 * for its registration) lists it in allowedRole-IDs (ari, '*' patterns). Off: no restriction. */
bool m2mi_ssp_role_allowed(m2mi_ctx *c, const char *role_id)
{
	const char *cred = (c->sa == NULL || c->sa->kind == M2M_SA_NONE) ? NULL : c->sa->credential_id;
	ssp_rules *s;
	bool ok = false;

	if (!c->cfg->service_subscription)
		return true;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return false;
	if (collect(c, s) == 0 && !s->overflow) {
		for (size_t i = 0; i < s->n && !ok; i++) {
			const m2m_app_rule *r = &s->r[i];
			json_t *ari = json_object_get(s->body[i], "ari"), *e;
			size_t k;
			bool applies = r->has_apci ? cred != NULL && cred[0] != '\0' && any_match(r->apci, r->n_apci, cred)
						   : cred == NULL;

			if (!applies || !any_match(r->aae, r->n_aae, c->orig.cse_relative))
				continue;
			json_array_foreach(ari, k, e)
				if (json_is_string(e) && m2m_app_rule_match(json_string_value(e), role_id))
					ok = true;
		}
	}
	rules_free(s);
	return ok;
}
