/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF Client procedures of TS-0003 clause 8.3.5 (Registration,
 * Configuration Retrieval, Registration Update, De-Registration) with Enrolment Key Generation
 * (clause 10.3.1: the Ke/KeID exported from the enrolee's session is stored with the Enrolment
 * Expiry, replacing any previous Ke of that enrolee) and the MEF Client Command flow of clause
 * 8.3.4.6 (CERT_PROV when certificate enrolment was asked for, MO_NODE [authenticationProfile]
 * when configured, then NO_MORE_COMMANDS). Mapping: docs/procedures/mef.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mef_codec.h"
#include "m2msec/id.h"
#include "m2msec/rsc.h"
#include "services/mef/mef_int.h"

enum { STEP_CERT = 0, STEP_MO = 1, STEP_DONE = 2 };

/* Advance reg to the next command of the plan starting at step. */
static void next_cmd(const m2m_mef *mef, m2mi_mef_reg *reg, int step)
{
	if (step <= STEP_CERT && reg->cert_req && mef->est_uri != NULL) {
		reg->cmd_step = STEP_CERT;
		reg->cmd_class = 1; /* CERT_PROV */
	} else if (step <= STEP_MO && mef->cfg.auth_profile_suid != 0) {
		reg->cmd_step = STEP_MO;
		reg->cmd_class = 3; /* MO_NODE */
	} else {
		reg->cmd_step = STEP_DONE;
		reg->cmd_class = 0; /* NO_MORE_COMMANDS */
	}
	reg->cmd_id++;
	reg->cmd_status = 10; /* MEF_CLIENT_CMD_ISSUED */
}

static json_t *cmd_json(const m2m_mef *mef, const m2mi_mef_reg *reg)
{
	json_t *args;
	m2m_id *id = NULL;
	bool ae = true;

	/* certSubjectType (TS-0003 Table 12.3.2.6-1): 2 CSE-ID, 3 AE-ID */
	if (m2m_id_parse(reg->enrolee_id, strlen(reg->enrolee_id), M2M_ID_ANY, &id) == M2M_OK)
		ae = m2m_id_kind_of(id) != M2M_ID_CSE_ID;
	m2m_id_free(id);

	if (reg->cmd_class == 1)
		args = json_pack("{s:{s:i,s:s,s:i,s:s}}", "certProvCmdArgs", "certProvProtocolID", 1, "URI", mef->est_uri,
				 "certSubjectType", ae ? 3 : 2, "certSubjectID", reg->enrolee_id);
	else if (reg->cmd_class == 3)
		args = json_pack("{s:{s:s,s:i,s:{s:i}}}", "MONodeCmdArgs", "objectPath", "./authenticationProfile",
				 "objectTypeID", 1, "objectTypeSpecifcArgs", "SUID", mef->cfg.auth_profile_suid);
	else {
		char d[32];
		snprintf(d, sizeof(d), "PT%lldS", (long long)mef->cfg.retry_duration); /* xs:duration */
		args = json_pack("{s:{s:s}}", "noMoreCmdArgs", "retryDuration", d);
	}
	return json_pack("{s:{s:I,s:{s:i,s:o,s:s},s:i}}", "sec:mefClientCmd", "cmdID", (json_int_t)reg->cmd_id,
			 "cmdDescription", "cmdClassID", reg->cmd_class, "cmdArgs", args, "targetID", reg->enrolee_id,
			 "cmdStatusCode", reg->cmd_status);
}

/* The <mefClientReg> representation; targetIDs (m2msec extension) are absolute CSE-IDs so that
 * the enrolee can compute each Enrolment-Target-ID of its usage-constrained keys. */
static json_t *reg_json(const m2m_mef *mef, const m2mi_mef_reg *reg)
{
	/* abs: an SP-ID and an SP-relative target, each up to M2MI_MEF_ID_MAX - 1 bytes */
	char ts[16] = "", ee[16] = "", child[80], abs[2 * M2MI_MEF_ID_MAX];
	json_t *o, *in, *tg = json_array(), *maf = NULL,
		      *lbl = reg->labels[0] != '\0' ? json_loads(reg->labels, 0, NULL) : NULL;

	(void)m2mi_mef_ts_format(reg->reg_et, ts, sizeof(ts));
	(void)m2mi_mef_ts_format(reg->expiry, ee, sizeof(ee));
	snprintf(child, sizeof(child), "mefClientReg/%s/mefClientCmd", reg->reg_id);
	for (size_t i = 0; tg != NULL && i < reg->ntargets; i++) {
		if (reg->targets[i][0] != '/') {
			/* A MAF-FQDN target (clause 8.8.2.3) has no usage-constrained key of its own:
			 * listed apart (mafIDs) so that targetIDs stays CSE-IDs only. */
			if (maf == NULL)
				maf = json_array();
			json_array_append_new(maf, json_string(reg->targets[i]));
			continue;
		}
		if (reg->targets[i][0] == '/' && reg->targets[i][1] != '/' && mef->sp_id != NULL)
			snprintf(abs, sizeof(abs), "%s%s", mef->sp_id, reg->targets[i]);
		else
			snprintf(abs, sizeof(abs), "%s", reg->targets[i]);
		json_array_append_new(tg, json_string(abs));
	}
	o = json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}}", "sec:mefClientReg", "mefClientRegID", reg->reg_id,
		      "mefClientID", reg->enrolee_id, "keyID", reg->keid, "expirationTime", ts, "enrolmentExpiry", ee,
		      "adminFQDN", reg->admin_fqdn, "childResource", child, "targetIDs", tg);
	in = json_object_get(o, "sec:mefClientReg");
	if (in != NULL && lbl != NULL)
		json_object_set(in, "labels", lbl);
	if (in != NULL && maf != NULL)
		json_object_set(in, "mafIDs", maf);
	json_decref(lbl);
	json_decref(maf);
	return o;
}

static m2m_err do_register(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp,
			   int64_t now, m2mi_proc_out *o)
{
	m2mi_mef_client_reg in;
	m2m_mef_enrolee *e = NULL;
	m2mi_mef_reg reg;
	const char *rel;
	m2m_err r;

	o->proc = "client-registration";
	if (m2mi_mef_parse_client_reg(req->pc, false, &in) != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "malformed sec:clientRegCfg");
	if (strcasecmp(in.fqdn, w->mef->mef_fqdn) != 0) /* host names compare case-insensitively */
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "fqdn is not this MEF");
	if ((r = m2mi_mefstore_enrolee_check(w->st, a->client_id, now, &e)) != M2M_OK)
		return m2mi_proc_fail(rsp, o, r == M2M_E_KEY_EXPIRED || r == M2M_E_KEY_REVOKED
						     ? M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE : M2M_RSC_INTERNAL_SERVER_ERROR,
				     r == M2M_E_KEY_EXPIRED ? "expired" : r == M2M_E_KEY_REVOKED ? "revoked" : "store-error",
				     "enrolment not usable");
	memset(&reg, 0, sizeof(reg));
	/* Authorization before issuance: the Enrolee-ID claimed must be allowed for it. */
	if (!m2m_mef_claim_allowed(e->enrolee_id, e->allowed, in.enrolee_id) ||
	    (a->sa.kind == M2M_SA_CERT && in.enrolee_id[0] != '\0' && strcmp(in.enrolee_id, a->sa.bound_id) != 0 &&
	     strcmp(in.enrolee_id, e->enrolee_id) != 0)) {
		m2m_mef_enrolee_free(e);
		return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "claim-refused",
				     "Enrolee-ID not allowed for this client");
	}
	snprintf(reg.enrolee_id, sizeof(reg.enrolee_id), "%s", in.enrolee_id[0] != '\0' ? in.enrolee_id : e->enrolee_id);
	for (size_t i = 0; i < e->ntargets; i++)
		snprintf(reg.targets[i], sizeof(reg.targets[i]), "%s", e->targets[i]);
	reg.ntargets = e->ntargets;
	reg.expiry = e->expiry;
	m2m_mef_enrolee_free(e);
	if (in.et != 0 && in.et <= now)
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "expirationTime in the past");
	/* Clause 10.7: nothing derived from Ke outlives the Enrolment Expiry. */
	reg.reg_et = in.et != 0 && in.et < reg.expiry ? in.et : reg.expiry;
	snprintf(reg.keid, sizeof(reg.keid), "%s", m2m_key_id(a->ke));
	rel = reg.keid;
	snprintf(reg.reg_id, sizeof(reg.reg_id), "%.32s", rel);
	snprintf(reg.client_id, sizeof(reg.client_id), "%s", a->client_id);
	snprintf(reg.admin_fqdn, sizeof(reg.admin_fqdn), "%s", in.admin_fqdn);
	if (m2mi_mef_labels_text(&in.lbl, reg.labels, sizeof(reg.labels)) != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "labels not stored");
	reg.cert_req = in.cert_enrol;
	next_cmd(w->mef, &reg, STEP_CERT);
	snprintf(o->key_id, sizeof(o->key_id), "%s", reg.keid);
	snprintf(o->enrolee_id, sizeof(o->enrolee_id), "%s", reg.enrolee_id);
	r = m2mi_mefstore_reg_put(w->st, &reg, a->ke, now);
	if (r == M2M_E_EXISTS)
		return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_ALREADY_REGISTERED, "already-registered",
				     "this session's KeID is already registered");
	if (r != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
	m2mi_proc_set_body(rsp, M2M_RSC_CREATED, reg_json(w->mef, &reg));
	return rsp->rsc == M2M_RSC_CREATED ? M2M_OK : M2M_E_NOMEM;
}

static m2m_err do_cmd(m2m_mef_worker *w, const m2m_request *req, m2m_response *rsp, m2mi_mef_reg *reg, m2mi_proc_out *o)
{
	int64_t id;
	int status;

	if (req->op == M2M_OP_RETRIEVE) {
		o->proc = "client-command-retrieve";
		if (req->pc != NULL)
			return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "RETRIEVE carries no content");
		m2mi_proc_set_body(rsp, M2M_RSC_OK, cmd_json(w->mef, reg));
		return rsp->rsc == M2M_RSC_OK ? M2M_OK : M2M_E_NOMEM;
	}
	o->proc = "client-command-update";
	if (req->op != M2M_OP_UPDATE)
		return m2mi_proc_fail(rsp, o, M2M_RSC_OPERATION_NOT_ALLOWED, "operation-not-allowed", "RETRIEVE or UPDATE");
	if (m2mi_mef_parse_cmd_update(req->pc, &id, &status) != M2M_OK || !m2mi_mef_client_status_ok(status))
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "malformed sec:mefClientCmd");
	if (id != reg->cmd_id || reg->cmd_status != 10)
		return m2mi_proc_fail(rsp, o, M2M_RSC_CONFLICT, "stale-command", "not the command issued");
	if (reg->cmd_class == 0) {
		reg->cmd_status = status; /* NO_MORE_COMMANDS acknowledged: the plan is over */
	} else {
		next_cmd(w->mef, reg, reg->cmd_step + 1);
	}
	if (m2mi_mefstore_reg_update(w->st, reg) != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
	m2mi_proc_set_body(rsp, M2M_RSC_UPDATED, cmd_json(w->mef, reg));
	return rsp->rsc == M2M_RSC_UPDATED ? M2M_OK : M2M_E_NOMEM;
}

m2m_err m2mi_mef_client(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp,
			int64_t now, m2mi_proc_out *o)
{
	char id[40];
	const char *to = req->to[0] == '/' ? req->to + 1 : req->to, *p, *rest;
	m2mi_mef_reg reg;
	m2mi_mef_client_reg in;
	size_t n;

	o->proc = "client-registration";
	if (a->peer != M2M_MEF_PEER_ENROLEE)
		return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not-authorized", "not a MEF client");
	p = to + strlen("mefClientReg");
	if (*p == '\0')
		return req->op == M2M_OP_CREATE ? do_register(w, a, req, rsp, now, o)
						: m2mi_proc_fail(rsp, o, M2M_RSC_OPERATION_NOT_ALLOWED, "operation-not-allowed", "CREATE only");
	n = strcspn(++p, "/");
	rest = p + n;
	if (n == 0 || n >= sizeof(id) || (*rest != '\0' && strcmp(rest, "/mefClientCmd") != 0))
		return m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no such registration");
	memcpy(id, p, n);
	id[n] = '\0';
	/* Only the registration of this session's client: another one is "not found". */
	if (m2mi_mefstore_reg_get(w->st, id, NULL, &reg, NULL) != M2M_OK || strcmp(reg.client_id, a->client_id) != 0)
		return m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no such registration");
	snprintf(o->enrolee_id, sizeof(o->enrolee_id), "%s", reg.enrolee_id);
	snprintf(o->key_id, sizeof(o->key_id), "%s", reg.keid);
	if (*rest != '\0')
		return do_cmd(w, req, rsp, &reg, o);
	switch (req->op) {
	case M2M_OP_RETRIEVE:
		o->proc = "client-config-retrieval";
		m2mi_proc_set_body(rsp, M2M_RSC_OK, reg_json(w->mef, &reg));
		return rsp->rsc == M2M_RSC_OK ? M2M_OK : M2M_E_NOMEM;
	case M2M_OP_UPDATE:
		o->proc = "client-registration-update";
		if (m2mi_mef_parse_client_reg(req->pc, true, &in) != M2M_OK || (in.et != 0 && in.et <= now))
			return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "malformed sec:clientRegCfg");
		if (in.et != 0)
			reg.reg_et = in.et < reg.expiry ? in.et : reg.expiry;
		if (in.lbl.present && m2mi_mef_labels_text(&in.lbl, reg.labels, sizeof(reg.labels)) != M2M_OK)
			return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "labels not stored");
		if (m2mi_mefstore_reg_update(w->st, &reg) != M2M_OK)
			return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
		m2mi_proc_set_body(rsp, M2M_RSC_UPDATED, reg_json(w->mef, &reg));
		return rsp->rsc == M2M_RSC_UPDATED ? M2M_OK : M2M_E_NOMEM;
	case M2M_OP_DELETE:
		o->proc = "client-deregistration";
		if (m2mi_mefstore_reg_delete(w->st, id) != M2M_OK)
			return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
		rsp->rsc = M2M_RSC_DELETED;
		return M2M_OK;
	default:
		return m2mi_proc_fail(rsp, o, M2M_RSC_OPERATION_NOT_ALLOWED, "operation-not-allowed", "not allowed here");
	}
}
