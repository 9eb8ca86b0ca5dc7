/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the oneM2M procedure-service envelope shared by the MEF and the MAF
 * (services/proc/proc.h): the answer skeleton of a request primitive, POST-to-collection as
 * CREATE, the 4107 refusal without a security association, one store transaction per request
 * with a failed commit reported as a 5000, the fallback audit line, and the configuration and
 * PSK-binding helpers of both services.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/id.h"
#include "m2msec/log.h"
#include "m2msec/rsc.h"
#include "services/proc/proc.h"

m2m_err m2mi_proc_fail(m2m_response *rsp, m2mi_proc_out *o, int rsc, const char *outcome, const char *msg)
{
	m2m_response_error(rsp, rsc, "%s", msg);
	o->outcome = outcome;
	return M2M_E_INVAL;
}

void m2mi_proc_set_body(m2m_response *rsp, int rsc, json_t *pc)
{
	json_decref(rsp->pc);
	rsp->pc = pc;
	rsp->rsc = pc != NULL ? rsc : M2M_RSC_INTERNAL_SERVER_ERROR;
}

bool m2mi_proc_starts(const char *to, const char *seg)
{
	size_t n = strlen(seg);

	return strncmp(to, seg, n) == 0 && (to[n] == '\0' || to[n] == '/');
}

static bool is_collection(const m2mi_proc_ops *ops, const char *to)
{
	for (const char *const *c = ops->collections; c != NULL && *c != NULL; c++)
		if (strcmp(to, *c) == 0)
			return true;
	return false;
}

const char *m2mi_proc_nz(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

static void route(const m2mi_proc_ops *ops, void *w, const void *a, bool associated, const char *to,
		  m2m_request *req, m2m_response *rsp, int64_t now, m2mi_proc_out *o)
{
	char msg[96];
	m2m_err r;

	if (!associated) {
		snprintf(msg, sizeof(msg), "an authenticated association with the %s is required", ops->name);
		(void)m2mi_proc_fail(rsp, o, M2M_RSC_SECURITY_ASSOCIATION_REQUIRED, "no-association", msg);
		return;
	}
	/* TS-0009 maps a POST without ty to NOTIFY; a procedure is identified by To and the content
	 * wrapper, so a POST to a collection is its CREATE (ty is optional and ignored). */
	if (req->op == M2M_OP_NOTIFY && is_collection(ops, to))
		req->op = M2M_OP_CREATE;
	if (ops->begin(w, to, req->op) != M2M_OK) {
		(void)m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store unavailable");
		return;
	}
	r = ops->dispatch(w, a, to, req, rsp, now, o);
	if (ops->end(w, r) != r && r == M2M_OK) {
		/* the commit failed: nothing was written, so nothing may be claimed */
		(void)m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store commit failed");
		o->enrolee_id[0] = '\0';
	}
}

bool m2mi_proc_handle(const m2mi_proc_ops *ops, void *w, const void *a, bool associated, const char *client,
		      m2m_request *req, m2m_response *rsp, int64_t now, m2mi_proc_out *o)
{
	const char *to, *proc;

	if (w == NULL || req == NULL || rsp == NULL) {
		if (rsp != NULL)
			m2m_response_error(rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "no request");
		return false;
	}
	m2m_response_clear(rsp);
	m2m_response_init(rsp);
	rsp->rqi = req->rqi != NULL ? strdup(req->rqi) : NULL;
	rsp->rvi = req->rvi != NULL ? strdup(req->rvi) : NULL;
	to = req->to != NULL ? req->to : "";
	if (to[0] == '/' && to[1] != '/')
		to++; /* "/mafKeyReg", "/fetchCredentials/..." as a client (and the spec) may write it */
	if (ops->procedure != NULL && (proc = ops->procedure(to)) != NULL)
		o->proc = proc;
	route(ops, w, a, associated, to, req, rsp, now, o);
	o->rsc = rsp->rsc;
	o->client = client;
	o->rqi = req->rqi;
	return true;
}

void m2mi_proc_audit_log(const char *svc, const char *procedure, const char *outcome, int rsc, const char *client,
			 bool has_enrolee, const char *enrolee, const char *key_id, int suid, const char *rqi)
{
	m2m_log(M2M_LOG_INFO, "%s audit procedure=%s outcome=%s rsc=%d client=%s%s%s keyid=%s suid=%d rqi=%s", svc,
		procedure, outcome, rsc, client ? client : "-", has_enrolee ? " enrolee=" : "",
		has_enrolee ? (enrolee ? enrolee : "-") : "", key_id ? key_id : "-", suid, rqi ? rqi : "-");
}

char *m2mi_proc_dup(const char *s, bool *ok)
{
	char *d = s != NULL ? strdup(s) : NULL;

	if (s != NULL && d == NULL)
		*ok = false;
	return d;
}

bool m2mi_proc_fqdn_ok(const char *fqdn)
{
	return fqdn != NULL && m2m_id_check_fqdn(fqdn, strlen(fqdn)) == M2M_OK;
}

bool m2mi_proc_sp_id_ok(const char *sp_id)
{
	return sp_id == NULL || (strncmp(sp_id, "//", 2) == 0 && m2mi_proc_fqdn_ok(sp_id + 2));
}

m2m_err m2mi_proc_psk_binding(m2m_sa *b, m2m_entity_kind entity, int64_t expiry, const char *bound_id,
			      const char *cred_prefix, const char *cred_id)
{
	memset(b, 0, sizeof(*b));
	b->kind = M2M_SA_PSK;
	b->entity = entity;
	b->expiry = expiry;
	if (snprintf(b->bound_id, sizeof(b->bound_id), "%s", bound_id) >= (int)sizeof(b->bound_id) ||
	    snprintf(b->credential_id, sizeof(b->credential_id), "%s%s", cred_prefix, cred_id) >=
		    (int)sizeof(b->credential_id))
		return M2M_E_RANGE;
	return M2M_OK;
}
