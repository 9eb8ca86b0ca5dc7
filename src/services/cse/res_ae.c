/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the <AE> resource (TS-0004 clause 7.4.5, TS-0001 clause 9.6.5, short
 * name m2m:ae) and the AE registration rules of TS-0001 clause 10.2.2.2 / TS-0004 clause
 * 7.4.5.2.1 as applied by this IN-CSE:
 *  - the AE-ID-Stem: From absent, "C" or "S" asks the CSE to assign one ("C"/"S" + 16 random
 *    characters); From "Cxyz"/"Sxyz" asks for that stem; any other From form is BAD_REQUEST;
 *  - over a security association bound to an AE identity, the registered AE-ID must be that
 *    identity (an assignment request receives it), else ORIGINATOR_NOT_AUTHENTICATED; an
 *    association bound to anything else cannot register an AE (4106);
 *  - without authentication (no security association: the loopback plain-HTTP listener) only a
 *    CSE-assigned AE-ID can be registered (From absent, "C" or "S"), else 4106: an AE-ID of
 *    choice could be one a credential is (or will be) bound to, and its holder would then find
 *    it taken (4117) or impersonated. Such a registration, like one over an association bound to
 *    no identity (credential-only), records no creator, and the holder of an association bound
 *    to the same AE-ID replaces it when it registers;
 *  - an AE-ID that is already registered is ORIGINATOR_HAS_ALREADY_REGISTERED (4117); the
 *    admin originator's AE-ID is reserved unless the request is the admin's own (4106);
 *  - the resourceID of the <AE> is its AE-ID-Stem, aei is set, the AE is its own creator.
 * App-ID (api) must start with 'R', 'r' or 'N'; api, rr and srv are mandatory.
 */
#include <stdio.h>
#include <string.h>

#include "services/cse/cse_int.h"
#include "services/cse/sec_profile.h"

static const m2mi_attr ae_attrs[] = {
	{"api", M2MI_VT_STR, M2MI_M, M2MI_NP, true},
	{"apn", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"aei", M2MI_VT_STR, M2MI_NP, M2MI_NP, true},
	{"poa", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
	{"or", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"nl", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"rr", M2MI_VT_BOOL, M2MI_M, M2MI_O, true},
	{"csz", M2MI_VT_CSZ, M2MI_O, M2MI_O, false},
	{"srv", M2MI_VT_STRLIST, M2MI_M, M2MI_O, true},
	{"esi", M2MI_VT_ESI, M2MI_O, M2MI_O, false}, /* e2eSecInfo: the entity's own (ESPrim, TS-0004 6.3.5.52) */
};

static const int ae_children[] = {M2M_TY_SUB, M2M_TY_CNT, M2M_TY_GRP, M2M_TY_ACP, M2MI_TY_DAC, 0};

static int check_srv(m2mi_ctx *c, json_t *a)
{
	json_t *srv = json_object_get(a, "srv");

	if (srv != NULL && json_array_size(srv) == 0)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute srv must not be empty");
	return 0;
}

static int ae_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	const char *api = json_string_value(json_object_get(n->attr, "api"));
	int rsc;

	(void)parent;
	if (api == NULL || (api[0] != 'R' && api[0] != 'r' && api[0] != 'N'))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute api must start with 'R', 'r' or 'N'");
	if (json_object_set_new(n->attr, "aei", json_string(c->orig.cse_relative)) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	if ((rsc = m2mi_node_link_check(c, n->attr)) != 0) /* nl names a <node> (res_node.c) */
		return rsc;
	return check_srv(c, n->attr);
}

static int ae_update(m2mi_ctx *c, m2mi_node *n, json_t *chg)
{
	int rsc;

	if (json_object_get(chg, "nl") != NULL && (rsc = m2mi_node_link_check(c, n->attr)) != 0)
		return rsc;
	return check_srv(c, n->attr);
}

const m2mi_type m2mi_type_ae = {
	.ty = M2M_TY_AE, .wrapper = "m2m:ae", .prefix = "C", .flags = M2MI_F_ACPI | M2MI_F_ET | M2MI_F_LBL,
	.attrs = ae_attrs, .nattrs = sizeof(ae_attrs) / sizeof(ae_attrs[0]), .children = ae_children,
	.create = ae_create, .update = ae_update,
};

/* The stem the association is bound to, or "" when unbound / not over an association. */
static int bound_stem(m2mi_ctx *c, char *stem, size_t cap)
{
	m2m_origin_forms b;

	stem[0] = '\0';
	if (c->sa == NULL || c->sa->kind == M2M_SA_NONE || c->sa->bound_id[0] == '\0')
		return 0;
	if (m2m_originator_forms(&c->cse->octx, c->sa->bound_id, &b) != M2M_OK || b.is_cse ||
	    b.cse_relative[0] == '\0' || c->sa->entity == M2M_ENTITY_CSE)
		return m2mi_fail(c, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED,
				 "the security association is not bound to an AE of this CSE");
	snprintf(stem, cap, "%s", b.cse_relative);
	return 0;
}

int m2mi_ae_register(m2mi_ctx *c)
{
	const char *fr = c->req->fr;
	char bound[M2M_ORIG_MAX], stem[M2M_ORIG_MAX];
	m2mi_node old = {0};
	m2m_err e;
	int rsc;

	if (c->tgt.row.ty != M2M_TY_CSEBASE)
		return m2mi_fail(c, M2M_RSC_INVALID_CHILD_RESOURCE_TYPE, "an AE registers with the CSEBase only");
	if ((rsc = bound_stem(c, bound, sizeof(bound))) != 0)
		return rsc;
	if (fr == NULL || fr[0] == '\0' || strcmp(fr, "C") == 0 || strcmp(fr, "S") == 0) {
		if (bound[0] != '\0') {
			if (fr != NULL && fr[0] != '\0' && fr[0] != bound[0])
				return m2mi_fail(c, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED,
						 "the requested AE-ID class does not match the authenticated identity");
			snprintf(stem, sizeof(stem), "%s", bound);
		} else if ((rsc = m2mi_new_ri(c, fr != NULL && fr[0] == 'S' ? "S" : "C", stem, sizeof(stem))) != 0) {
			return rsc;
		}
	} else {
		if (strchr(fr, '/') != NULL || (fr[0] != 'C' && fr[0] != 'S'))
			return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "From of an AE registration must be an AE-ID-Stem");
		if (!c->rq_authn && !c->admin) /* see the file comment: no AE-ID of choice unauthenticated */
			return m2mi_fail(c, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED,
					 "an AE-ID of choice needs an authenticated registration; without a security "
					 "association the CSE assigns one (From absent, C or S)");
		if (bound[0] != '\0' && strcmp(fr, bound) != 0) /* public: identifiers */
			return m2mi_fail(c, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED,
					 "From does not match the authenticated identity");
		snprintf(stem, sizeof(stem), "%s", fr);
	}
	/* An association bound to no identity (credential-only) authenticates a credential, not this
	 * AE-ID: the registration is no authenticated claim to it, so it records no creator and the
	 * holder of an association bound to the AE-ID replaces it (below) instead of getting 4117. */
	if (bound[0] == '\0')
		c->rq_authn = false;
	if (strlen(stem) >= M2MI_RI_MAX)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "the AE-ID-Stem is too long");
	if (strcmp(stem, c->cse->admin.cse_relative) == 0 && !c->admin) /* public: identifiers */
		return m2mi_fail(c, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, "this AE-ID is reserved");
	if ((rsc = m2mi_ssp_check_registration(c, stem)) != 0) /* TS-0001 10.2.2.2 step 003 */
		return rsc;
	if ((rsc = m2mi_secprof_check_registration(c, stem)) != 0) /* the MEF's allowedAEs: 4103 */
		return rsc;
	if (m2m_originator_forms(&c->cse->octx, stem, &c->orig) != M2M_OK)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "the AE-ID-Stem is not valid");
	c->has_orig = true;
	snprintf(c->from, sizeof(c->from), "%s", stem);
	e = m2m_resstore_get(c->st, stem, &old.row);
	/* An expired registration is cleaned up; so is one made without authentication (no creator
	 * recorded) when the authenticated holder of the AE-ID registers: it has the better claim. */
	if (e == M2M_OK && (m2mi_expired(c, &old.row) ||
			    (c->rq_authn && old.row.ty == M2M_TY_AE && old.row.cr == NULL)))
		rsc = m2mi_res_remove(c, &old, false);
	else if (e == M2M_OK)
		rsc = m2mi_fail(c, M2M_RSC_ORIGINATOR_HAS_ALREADY_REGISTERED, "AE-ID %.64s is already registered", stem);
	else if (e != M2M_E_NOT_FOUND)
		rsc = m2mi_store_fail(c, e);
	m2mi_node_clear(&old);
	return rsc;
}
