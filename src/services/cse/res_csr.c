/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the <remoteCSE> resource (TS-0004 clause 7.4.4, TS-0001 clause 9.6.4,
 * short name m2m:csr, ty 16) and the Registrar side of CSE registration (TS-0001 clause
 * 10.1.1.2.1, TS-0004 clause 7.4.4.2.1) as applied by this CSE:
 *  - Recv-6.3 is replaced by a credential check: the request must arrive over a security
 *    association bound to a CSE-ID (a certificate whose DNS SAN names the CSE, or a PSK bound to
 *    a CSE-ID: TS-0003 clause 8.2.1, "single Absolute CSE-ID + is CSE"). No association, or one
 *    bound to an AE, a Node or only a Credential-ID, is SECURITY_ASSOCIATION_REQUIRED (4107);
 *  - a From that is an AE-ID is OPERATION_NOT_ALLOWED (4005); a From naming a CSE other than
 *    the bound one is ORIGINATOR_NOT_AUTHENTICATED (4106, the originator rules of
 *    src/core/originator.c, which run after this check);
 *  - the association is bound to exactly the registering CSE-ID: the CSE-ID attribute (csi) is
 *    set from From; a csi in the request that differs is BAD_REQUEST (fail closed rather than
 *    silently overwrite);
 *  - a live <remoteCSE> with that CSE-ID under the CSEBase is ORIGINATOR_HAS_ALREADY_REGISTERED
 *    (4117); an expired one is removed first. The resourceID of the <remoteCSE> is the CSE-ID
 *    without its leading '/', which makes "one resource per CSE-ID" a store-level uniqueness;
 *  - authorization of the registration is the credential: the SP that issued a certificate or
 *    provisioned a PSK for a CSE-ID admitted that CSE (TS-0001 10.1.1.2.1 leaves the check to
 *    the Registrar); no <accessControlPolicy> of the CSEBase is consulted for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/cse/cse_int.h"

static const m2mi_attr csr_attrs[] = {
	{"cst", M2MI_VT_UINT, M2MI_O, M2MI_NP, false},
	{"poa", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
	{"cb", M2MI_VT_STR, M2MI_M, M2MI_NP, true},
	{"csi", M2MI_VT_STR, M2MI_O, M2MI_NP, true},
	{"rr", M2MI_VT_BOOL, M2MI_M, M2MI_O, true},
	{"nl", M2MI_VT_STR, M2MI_O, M2MI_O, false},
	{"csz", M2MI_VT_CSZ, M2MI_O, M2MI_O, false},
	{"dcse", M2MI_VT_STRLIST, M2MI_O, M2MI_O, false},
	{"srv", M2MI_VT_STRLIST, M2MI_M, M2MI_O, true},
	{"esi", M2MI_VT_ESI, M2MI_O, M2MI_O, false}, /* e2eSecInfo: the entity's own (ESPrim, TS-0004 6.3.5.52) */
};

/* TS-0004 Table 7.4.4.1-4, the subset of types this CSE implements. */
static const int csr_children[] = {M2M_TY_CNT, M2M_TY_GRP, M2M_TY_ACP, M2M_TY_SUB, M2MI_TY_DAC, 0};

static int csr_create(m2mi_ctx *c, m2mi_node *parent, m2mi_node *n)
{
	const char *csi = json_string_value(json_object_get(n->attr, "csi"));
	json_t *srv = json_object_get(n->attr, "srv");

	(void)parent;
	if (csi != NULL && strcmp(csi, c->orig.sp_relative) != 0) /* public: identifiers */
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute csi must be the registering CSE-ID (From)");
	if (srv != NULL && json_array_size(srv) == 0)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "attribute srv must not be empty");
	if (json_object_set_new(n->attr, "csi", json_string(c->orig.sp_relative)) != 0)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	return 0;
}

const m2mi_type m2mi_type_csr = {
	.ty = M2M_TY_CSR, .wrapper = "m2m:csr", .prefix = "csr", .flags = M2MI_F_ACPI | M2MI_F_ET | M2MI_F_LBL,
	.attrs = csr_attrs, .nattrs = sizeof(csr_attrs) / sizeof(csr_attrs[0]), .children = csr_children,
	.create = csr_create,
};

bool m2mi_csr_create_request(const m2m_request *req)
{
	return req->op == M2M_OP_CREATE && req->ty == M2M_TY_CSR;
}

int m2mi_csr_precheck(m2mi_ctx *c)
{
	const m2m_sa *sa = c->sa;
	m2m_origin_forms b, f;

	/* Replacement of Recv-6.3 (TS-0004 7.4.4.2.1): the credential must be a CSE's. */
	if (sa == NULL || sa->kind == M2M_SA_NONE || sa->entity != M2M_ENTITY_CSE || sa->bound_id[0] == '\0' ||
	    m2m_originator_forms(&c->cse->octx, sa->bound_id, &b) != M2M_OK || !b.is_cse)
		return m2mi_fail(c, M2M_RSC_SECURITY_ASSOCIATION_REQUIRED,
				 "CSE registration needs a security association bound to a CSE-ID");
	if (c->req->fr == NULL || c->req->fr[0] == '\0' ||
	    m2m_originator_forms(&c->cse->octx, c->req->fr, &f) != M2M_OK)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "From must be the registering CSE-ID");
	if (!f.is_cse)
		return m2mi_fail(c, M2M_RSC_OPERATION_NOT_ALLOWED, "an AE cannot originate a remoteCSE CREATE");
	if (f.sp_relative[0] == '\0')
		return m2mi_fail(c, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, "a CSE of another SP cannot register here");
	return 0;
}

int m2mi_csr_register(m2mi_ctx *c)
{
	m2mi_node old = {0};
	m2m_err e;
	int rsc = 0;

	if (c->tgt.row.ty != M2M_TY_CSEBASE)
		return m2mi_fail(c, M2M_RSC_INVALID_CHILD_RESOURCE_TYPE, "a CSE registers with the CSEBase only");
	/* The originator rules already bound From to the association; registration is only ever
	 * for the authenticated CSE itself. */
	if (!c->rq_authn || !c->orig.is_cse || c->orig.sp_relative[0] != '/')
		return m2mi_fail(c, M2M_RSC_SECURITY_ASSOCIATION_REQUIRED, "the registering CSE is not authenticated");
	if (snprintf(c->pre_ri, sizeof(c->pre_ri), "%s", c->orig.sp_relative + 1) >= (int)sizeof(c->pre_ri) ||
	    strchr(c->pre_ri, '/') != NULL) {
		c->pre_ri[0] = '\0';
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "the CSE-ID is not usable as a resourceID");
	}
	e = m2m_resstore_get(c->st, c->pre_ri, &old.row);
	if (e == M2M_OK && m2mi_expired(c, &old.row) && old.row.ty == M2M_TY_CSR)
		rsc = m2mi_res_remove(c, &old, false);
	else if (e == M2M_OK)
		rsc = m2mi_fail(c, M2M_RSC_ORIGINATOR_HAS_ALREADY_REGISTERED, "CSE %.64s is already registered",
				c->orig.sp_relative);
	else if (e != M2M_E_NOT_FOUND)
		rsc = m2mi_store_fail(c, e);
	m2mi_node_clear(&old);
	return rsc;
}

int m2mi_csr_vouches(m2mi_ctx *c)
{
	m2m_origin_forms b;
	m2m_res r = {0};
	m2m_err e = M2M_E_NOT_FOUND;

	if (c->sa != NULL && m2m_originator_forms(&c->cse->octx, c->sa->bound_id, &b) == M2M_OK && b.is_cse &&
	    b.sp_relative[0] == '/') {
		e = m2m_resstore_get(c->st, b.sp_relative + 1, &r);
	}
	if (e == M2M_OK && (r.ty != M2M_TY_CSR || m2mi_expired(c, &r)))
		e = M2M_E_NOT_FOUND;
	m2m_res_clear(&r);
	if (e == M2M_E_NOT_FOUND)
		return m2mi_fail(c, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED,
				 "a CSE may originate only for the AEs registered with it, and only once registered here");
	return e == M2M_OK ? 0 : m2mi_store_fail(c, e);
}

m2m_err m2m_cse_add_registrar(m2m_cse *cse, int64_t now)
{
	m2m_cse_worker *w = NULL;
	m2m_request req;
	m2m_response rsp;
	m2m_sa sa;
	json_t *pc;
	m2m_err e;
	int rsc;

	if (cse == NULL || cse->cfg.registrar[0] == '\0' || strlen(cse->cfg.registrar_cse_id) >= sizeof(sa.bound_id))
		return M2M_E_INVAL;
	/* TS-0004 7.4.4.2.1 step 004: the Registree creates the <remoteCSE> representing its
	 * Registrar under its own <CSEBase>, through its own CREATE procedure as if the Registrar's
	 * association had asked (the credential the registration itself authenticated, TS-0003
	 * 8.2.1): csi = registrar-cse-id, cb = that CSE-ID (the SP-relative address of the
	 * Registrar's <CSEBase>; TS-0001 lets the Registree RETRIEVE it later), poa = registrar. */
	pc = json_pack("{s:{s:s,s:b,s:[s],s:s,s:[s]}}", "m2m:csr", "cb", cse->cfg.registrar_cse_id, "rr", 1, "srv",
		       "3", "csi", cse->cfg.registrar_cse_id, "poa", cse->cfg.registrar); /* cst: not known here */
	if (pc == NULL)
		return M2M_E_NOMEM;
	if ((e = m2m_cse_worker_new(cse, &w)) != M2M_OK) {
		json_decref(pc);
		return e;
	}
	memset(&sa, 0, sizeof(sa));
	sa.kind = M2M_SA_CERT;
	sa.entity = M2M_ENTITY_CSE;
	memcpy(sa.bound_id, cse->cfg.registrar_cse_id, strlen(cse->cfg.registrar_cse_id) + 1); /* checked above */
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = M2M_OP_CREATE;
	req.ty = M2M_TY_CSR;
	req.pc = pc;
	req.to = strdup(cse->cfg.name);
	req.fr = strdup(cse->cfg.registrar_cse_id);
	req.rqi = strdup("csr-registrar");
	if (req.to == NULL || req.fr == NULL || req.rqi == NULL)
		rsc = 0;
	else {
		m2m_cse_handle(w, &sa, &req, &rsp, now);
		rsc = rsp.rsc;
	}
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	m2m_cse_worker_free(w);
	/* 4117: made by an earlier run (a restart) and kept */
	return rsc == M2M_RSC_CREATED || rsc == M2M_RSC_ORIGINATOR_HAS_ALREADY_REGISTERED ? M2M_OK
	       : rsc == 0 ? M2M_E_NOMEM : M2M_E_INTERNAL;
}
