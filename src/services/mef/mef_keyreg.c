/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF Key procedures of TS-0003 clause 8.3.5 (Tables 8.3.5.2.7-1 ...
 * 8.3.5.2.10-1): a registered MEF client (the Source MEF Client) registers a symmetric key for
 * one or more targets (MEF Key Registration: its Key Value, or, when absent, the key exported
 * from its TLS session with "EXPORTER-oneM2M-Connection"), updates or de-registers it; a target
 * listed in targetIDs retrieves it (MEF Key Retrieval). Every key expires no later than the
 * source's Enrolment Expiry (clause 10.7) and goes when the source re-enrols or is revoked.
 * A caller that is neither the source nor a listed target gets "not found" (no oracle).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/rand.h>

#include "core/mef_codec.h"
#include "m2msec/hex.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"
#include "m2msec/rsc.h"
#include "services/mef/mef_int.h"

/* SUIDs a MEF-distributed key may carry (TS-0004 Table 6.3.4.2.39-1): SAEF / ESPrim keys have
 * exactly one target (clause 8.3.5.1), ESData keys one or more. */
static bool suid_ok(int suid, size_t ntargets)
{
	if (suid == 12 || suid == 13 || suid == 22 || suid == 23)
		return ntargets == 1;
	return (suid == 14 || suid == 15 || suid == 24 || suid == 25) && ntargets >= 1;
}

/* The <mefKeyReg> representation (Tables 8.3.5.2.7-2, 8.3.5.2.8-2) of kr. */
static json_t *keyreg_json(const m2m_mef *mef, const m2mi_mef_keyreg *kr, const m2m_key *key)
{
	char kid[M2MI_MEF_KEYID_MAX];
	const char *t[M2M_MEF_MAX_TARGETS];
	json_t *lbl = kr->labels[0] != '\0' ? json_loads(kr->labels, 0, NULL) : NULL, *o;
	m2mi_keyreg_view v = {.rel_key_id = kr->rel_key_id, .key_id = kid, .source_id = kr->source_id,
			      .admin_fqdn = kr->admin_fqdn, .expiry = kr->expiry, .suid = kr->suid, .targets = t,
			      .ntargets = kr->ntargets, .labels = lbl};

	snprintf(kid, sizeof(kid), "%s@%s", kr->rel_key_id, mef->mef_fqdn);
	for (size_t i = 0; i < kr->ntargets; i++)
		t[i] = kr->targets[i];
	o = m2mi_keyreg_json("sec:mefKeyReg", &v, key);
	json_decref(lbl);
	return o;
}

/* The authenticated identity of the caller as a key target: a target's CSE-ID, or the
 * Enrolee-ID of an enrolee's current registration. "" when none. */
static void caller_id(m2m_mef_worker *w, const m2m_mef_assoc *a, char *out, size_t cap)
{
	m2mi_mef_reg reg;

	out[0] = '\0';
	if (a->peer == M2M_MEF_PEER_TARGET)
		snprintf(out, cap, "%s", a->client_id);
	else if (a->ke != NULL && m2mi_mefstore_reg_get(w->st, NULL, m2m_key_id(a->ke), &reg, NULL) == M2M_OK)
		snprintf(out, cap, "%s", reg.enrolee_id);
}

static bool listed(const m2m_mef *mef, const m2mi_mef_keyreg *kr, const char *id)
{
	const char *t[M2M_MEF_MAX_TARGETS];

	if (id[0] == '\0')
		return false;
	for (size_t i = 0; i < kr->ntargets; i++) {
		t[i] = kr->targets[i];
		if (strcmp(kr->targets[i], id) == 0) /* AE-IDs: exact */
			return true;
	}
	return m2m_mef_target_listed(t, kr->ntargets, id, mef->sp_id);
}

static m2m_err do_create(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp,
			 int64_t now, m2mi_proc_out *o)
{
	m2mi_mef_key_reg in;
	m2mi_mef_keyreg kr;
	m2mi_mef_reg reg;
	m2m_key *key = NULL;
	uint8_t rel[M2M_REL_KEY_ID_LEN];
	m2m_id *kcid = NULL;
	m2m_err r;

	o->proc = "key-registration";
	if (req->op != M2M_OP_CREATE)
		return m2mi_proc_fail(rsp, o, M2M_RSC_OPERATION_NOT_ALLOWED, "operation-not-allowed", "CREATE only");
	if (a->peer != M2M_MEF_PEER_ENROLEE || a->ke == NULL ||
	    m2mi_mefstore_reg_get(w->st, NULL, m2m_key_id(a->ke), &reg, NULL) != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not-authorized",
				     "MEF Client Registration required first");
	snprintf(o->enrolee_id, sizeof(o->enrolee_id), "%s", reg.enrolee_id);
	if (m2mi_mef_parse_key_reg(req->pc, false, &in) != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "malformed sec:keyRegCfg");
	o->suid = in.suid;
	if (strcasecmp(in.fqdn, w->mef->mef_fqdn) != 0 || (in.et != 0 && in.et <= now) || !suid_ok(in.suid, in.ntargets)) {
		m2mi_mef_key_reg_wipe(&in);
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "fqdn, expirationTime, SUID or targetIDs");
	}
	memset(&kr, 0, sizeof(kr));
	if (in.key_len > 0) {
		r = m2m_key_new(in.key, in.key_len, &key);
		if (r == M2M_OK && RAND_bytes(rel, sizeof(rel)) != 1)
			r = M2M_E_CRYPTO;
	} else if (a->kc != NULL && (r = m2m_id_parse(m2m_key_id(a->kc), strlen(m2m_key_id(a->kc)), M2M_ID_KCID, &kcid)) == M2M_OK) {
		memcpy(rel, m2m_id_relative_bytes(kcid), sizeof(rel));
		r = m2m_key_dup(a->kc, &key);
	} else {
		r = M2M_E_INVAL;
	}
	m2m_id_free(kcid);
	m2mi_mef_key_reg_wipe(&in);
	if (r != M2M_OK) {
		m2m_key_free(key);
		return m2mi_proc_fail(rsp, o, r == M2M_E_KEY_LEN ? M2M_RSC_BAD_REQUEST : M2M_RSC_INTERNAL_SERVER_ERROR,
				     r == M2M_E_KEY_LEN ? "malformed" : "internal", "no key to register");
	}
	(void)m2m_hex_encode(rel, sizeof(rel), true, kr.rel_key_id, sizeof(kr.rel_key_id));
	snprintf(kr.client_id, sizeof(kr.client_id), "%s", a->client_id);
	snprintf(kr.source_id, sizeof(kr.source_id), "%s", reg.enrolee_id);
	kr.suid = in.suid;
	for (size_t i = 0; i < in.ntargets; i++)
		snprintf(kr.targets[i], sizeof(kr.targets[i]), "%s", in.targets[i]);
	kr.ntargets = in.ntargets;
	kr.expiry = in.et != 0 && in.et < reg.expiry ? in.et : reg.expiry; /* clause 10.7 */
	if (m2mi_mef_labels_text(&in.lbl, kr.labels, sizeof(kr.labels)) != M2M_OK) {
		m2m_key_free(key);
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "labels not stored");
	}
	snprintf(kr.admin_fqdn, sizeof(kr.admin_fqdn), "%s", in.admin_fqdn);
	snprintf(o->key_id, sizeof(o->key_id), "%s@%s", kr.rel_key_id, w->mef->mef_fqdn);
	r = m2mi_mefstore_keyreg_put(w->st, &kr, key, now);
	m2m_key_free(key);
	if (r == M2M_E_EXISTS)
		return m2mi_proc_fail(rsp, o, M2M_RSC_CONFLICT, "already-registered", "key already registered");
	if (r != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
	m2mi_proc_set_body(rsp, M2M_RSC_CREATED, keyreg_json(w->mef, &kr, NULL));
	return rsp->rsc == M2M_RSC_CREATED ? M2M_OK : M2M_E_NOMEM;
}

m2m_err m2mi_mef_key_proc(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp,
			int64_t now, m2mi_proc_out *o)
{
	const char *to = req->to[0] == '/' ? req->to + 1 : req->to, *p = to + strlen("mefKeyReg");
	char who[M2MI_MEF_ID_MAX];
	m2mi_mef_key_reg in;
	m2mi_mef_keyreg kr;
	m2m_key *key = NULL;
	bool source;
	m2m_err r;

	if (*p == '\0')
		return do_create(w, a, req, rsp, now, o);
	o->proc = req->op == M2M_OP_RETRIEVE ? "key-retrieval" : req->op == M2M_OP_UPDATE ? "key-registration-update"
										  : "key-deregistration";
	p++;
	if (strlen(p) != 32 || strspn(p, "0123456789ABCDEF") != 32 ||
	    m2mi_mefstore_keyreg_get(w->st, p, &kr, &key) != M2M_OK)
		return m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no such key registration");
	snprintf(o->key_id, sizeof(o->key_id), "%s@%s", kr.rel_key_id, w->mef->mef_fqdn);
	o->suid = kr.suid;
	source = a->peer == M2M_MEF_PEER_ENROLEE && strcmp(kr.client_id, a->client_id) == 0;
	caller_id(w, a, who, sizeof(who));
	r = M2M_OK;
	if (req->op == M2M_OP_RETRIEVE) {
		if (!source && !listed(w->mef, &kr, who))
			r = m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no such key registration");
		else if (kr.expiry <= now)
			r = m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "expired", "key expired");
		else
			m2mi_proc_set_body(rsp, M2M_RSC_OK, keyreg_json(w->mef, &kr, source ? NULL : key));
	} else if (!source) {
		r = m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no such key registration");
	} else if (req->op == M2M_OP_DELETE) {
		if (m2mi_mefstore_keyreg_delete(w->st, kr.rel_key_id) != M2M_OK)
			r = m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
		else
			rsp->rsc = M2M_RSC_DELETED;
	} else if (req->op == M2M_OP_UPDATE) {
		if (m2mi_mef_parse_key_reg(req->pc, true, &in) != M2M_OK || (in.et != 0 && in.et <= now) ||
		    (in.targets_present && !suid_ok(kr.suid, in.ntargets))) {
			r = m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "malformed sec:keyRegCfg");
		} else {
			if (in.et != 0 && in.et < kr.expiry)
				kr.expiry = in.et; /* never beyond what the Ke allowed at registration */
			if (in.lbl.present && m2mi_mef_labels_text(&in.lbl, kr.labels, sizeof(kr.labels)) != M2M_OK) {
				m2m_key_free(key);
				return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "labels not stored");
			}
			if (in.targets_present) {
				for (size_t i = 0; i < in.ntargets; i++)
					snprintf(kr.targets[i], sizeof(kr.targets[i]), "%s", in.targets[i]);
				kr.ntargets = in.ntargets;
			}
			if (m2mi_mefstore_keyreg_update(w->st, &kr) != M2M_OK)
				r = m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
			else
				m2mi_proc_set_body(rsp, M2M_RSC_UPDATED, keyreg_json(w->mef, &kr, NULL));
		}
	} else {
		r = m2mi_proc_fail(rsp, o, M2M_RSC_OPERATION_NOT_ALLOWED, "operation-not-allowed", "not allowed here");
	}
	m2m_key_free(key);
	if (r == M2M_OK && !m2m_rsc_is_success(rsp->rsc))
		r = M2M_E_NOMEM;
	return r;
}
