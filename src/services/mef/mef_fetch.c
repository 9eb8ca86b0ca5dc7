/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements "Use of provisioned credentials" of TS-0003 clause 8.3.2.1: an
 * Enrolment Target RETRIEVEs fetchCredentials/<KeID>/<SUID> over its own authenticated
 * association; the MEF authorizes that target for that enrolee and SUID, derives the
 * usage-constrained key of clause 10.3.7 (Target-ID = public domain name of the target's
 * CSE-ID) and answers {status, credential, enroleeID, lifetime} (Table 8.3.2.1-5) or
 * {status: false, errorString} (Table 8.3.2.1-6). A target not provisioned for the enrolee gets
 * exactly the answer of an unknown KeID, so it learns nothing about other enrolees.
 * A MAF (clause 8.8.2.3 step 2, M2M_MEF_PEER_MAF) fetches SUID 21 only, for an enrolee whose
 * targets list its MAF-FQDN, and gets the Master Credential Km = HMAC-SHA-256(Ke, "oneM2M
 * Enrolment Key to Master Credential derivation" || MAF-FQDN) of clause 10.3.2 (MAF-ID = MAF-FQDN).
 * m2msec extension: the positive answer also carries "networkAuthorized" (boolean), the
 * enrolee's underlying-network authorization (m2m_mefstore_netauth_get; the 3GPP liaison on
 * TS-0001 clause 6.2.2 CMDH delivery handling, which oneM2M never mapped: docs/procedures/mef.md
 * "Underlying-network authorization"); a status the store cannot read is sent as false.
 */
#include <stdio.h>
#include <string.h>

#include "core/mef_codec.h"
#include "m2msec/mem.h"
#include "m2msec/rsc.h"
#include "services/mef/mef_int.h"

/* Failure body of Table 8.3.2.1-6 next to the usual m2m:dbg. */
static m2m_err fetch_fail(m2m_response *rsp, m2mi_proc_out *o, int rsc, const char *outcome, const char *msg)
{
	json_t *f;

	(void)m2mi_proc_fail(rsp, o, rsc, outcome, msg);
	f = json_pack("{s:b,s:s}", "status", 0, "errorString", msg);
	if (f != NULL && rsp->pc != NULL)
		json_object_set_new(rsp->pc, "sec:fetchCredRsp", f);
	else
		json_decref(f);
	return M2M_E_INVAL;
}

m2m_err m2mi_mef_fetch(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp,
		       int64_t now, m2mi_proc_out *o)
{
	char keid[M2MI_MEF_KEYID_MAX], tid[M2MI_MEF_ID_MAX], hex[2 * M2M_KEY_MAX + 1], ts[16];
	const char *targets[M2M_MEF_MAX_TARGETS];
	m2mi_mef_reg reg;
	m2m_key *ke = NULL, *k = NULL;
	int64_t exp;
	int suid = 0;
	bool net = false;
	json_t *body;
	m2m_err r;

	o->proc = "fetch-credentials";
	if (req->op != M2M_OP_RETRIEVE)
		return fetch_fail(rsp, o, M2M_RSC_OPERATION_NOT_ALLOWED, "operation-not-allowed", "only RETRIEVE");
	if (a->peer != M2M_MEF_PEER_TARGET && a->peer != M2M_MEF_PEER_MAF)
		return fetch_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not-authorized", "not an Enrolment Target");
	/* The originator field names the target (clause 8.3.2.1): it must be the authenticated one
	 * (a MAF: its MAF-FQDN, case-insensitive). */
	if (req->fr != NULL && a->peer == M2M_MEF_PEER_MAF) {
		if (!m2m_mef_fqdn_in_list(a->client_id, req->fr))
			return fetch_fail(rsp, o, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, "not-authorized",
					  "From is not the authenticated target");
	} else if (req->fr != NULL) {
		const char *self[1] = {a->client_id};
		if (!m2m_mef_target_listed(self, 1, req->fr, w->mef->sp_id))
			return fetch_fail(rsp, o, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, "not-authorized",
					  "From is not the authenticated target");
	}
	if (m2mi_mef_parse_fetch_path(req->to, keid, sizeof(keid), &suid) != M2M_OK || req->pc != NULL)
		return fetch_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "malformed fetchCredentials request");
	snprintf(o->key_id, sizeof(o->key_id), "%s", keid);
	o->suid = suid;
	if (!m2m_mef_peer_suid_allowed(a->peer, suid))
		return fetch_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "suid-not-allowed",
				  "SUID not allowed for this target");
	r = m2mi_mefstore_reg_get(w->st, NULL, keid, &reg, &ke);
	if (r == M2M_OK) {
		for (size_t i = 0; i < reg.ntargets; i++)
			targets[i] = reg.targets[i];
		if (a->peer == M2M_MEF_PEER_MAF ? !m2m_mef_maf_listed(targets, reg.ntargets, a->client_id)
						: !m2m_mef_target_listed(targets, reg.ntargets, a->client_id, w->mef->sp_id))
			r = M2M_E_NOT_FOUND; /* same answer as unknown: no oracle for other enrolees */
	}
	if (r == M2M_E_NOT_FOUND) {
		m2m_key_free(ke);
		return fetch_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "unknown KeID");
	}
	if (r != M2M_OK)
		return fetch_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
	snprintf(o->enrolee_id, sizeof(o->enrolee_id), "%s", reg.enrolee_id);
	/* Revocation deletes the registration; the enrolee record decides expiry and revocation
	 * again here so that nothing outlives the enrolment (clause 10.7). */
	{
		m2m_mef_enrolee *e = NULL;
		r = m2mi_mefstore_enrolee_check(w->st, reg.client_id, now, &e);
		m2m_mef_enrolee_free(e);
	}
	exp = m2m_mef_derived_expiry(reg.expiry, now, w->mef->cfg.credential_lifetime);
	if (r == M2M_OK && m2m_mefstore_netauth_get(w->st, reg.client_id, &net) != M2M_OK)
		net = false; /* indeterminate: not authorized (fail closed), the credential itself is fine */
	if (r == M2M_E_KEY_REVOKED || r == M2M_E_NOT_FOUND) {
		m2m_key_free(ke);
		return fetch_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "revoked", "enrolee revoked");
	}
	if (r == M2M_E_KEY_EXPIRED || exp == 0) {
		m2m_key_free(ke);
		return fetch_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "expired", "enrolment expired");
	}
	if (r == M2M_OK && a->peer == M2M_MEF_PEER_MAF)
		r = m2m_kdf_km(w->kdf, ke, a->client_id, &k); /* clause 10.3.2, MAF-ID = MAF-FQDN */
	else if (r == M2M_OK && (r = m2m_mef_target_kdf_id(a->client_id, w->mef->sp_id, tid, sizeof(tid))) == M2M_OK)
		r = m2m_kdf_ucsk(w->kdf, ke, suid, tid, &k);
	if (r != M2M_OK || m2m_key_export_hex(k, hex, sizeof(hex)) != M2M_OK ||
	    m2mi_mef_ts_format(exp, ts, sizeof(ts)) != M2M_OK) {
		m2m_key_free(ke);
		m2m_key_free(k);
		m2m_memzero(hex, sizeof(hex));
		return fetch_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "key derivation failed");
	}
	m2m_key_free(ke);
	m2m_key_free(k);
	body = json_pack("{s:{s:b,s:s,s:s,s:s,s:I,s:s,s:i,s:b}}", "sec:fetchCredRsp", "status", 1, "credential", hex,
			 "enroleeID", reg.enrolee_id, "keyID", keid, "lifetime", (json_int_t)(exp - now),
			 "expirationTime", ts, "SUID", suid, "networkAuthorized", net ? 1 : 0);
	m2m_memzero(hex, sizeof(hex));
	if (body == NULL)
		return fetch_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "out of memory");
	json_decref(rsp->pc);
	rsp->pc = body;
	rsp->rsc = M2M_RSC_OK;
	return M2M_OK;
}
