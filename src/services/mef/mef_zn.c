/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements Zn on the MEF in its BSF role (3GPP TS 33.220 clause 4.5.3, TS-0003 clause
 * 8.3.2.3 "Integration to the Association Security Handshake"): an Enrolment Target acting as NAF
 * RETRIEVEs /gbaNafKey/<B-TID>/<NAF FQDN>/<kind> (m2msec/gba_zn.h) over its own mutually
 * authenticated association with the MEF (a CSE's certificate: NAF FQDN = the public domain name of
 * its CSE-ID; a MAF's certificate: its MAF-FQDN) and receives the NAF key of that bootstrap, its
 * lifetime (never beyond the bootstrap's), the subscriber's IMPI and Enrolee-ID. The BSF hands a
 * key only (TS 33.220 clause 4.5.3, TS-0003 "Bootstrap Instruction Configuration"):
 *  - to the NAF the association authenticates: the NAF FQDN asked for must be its own, so a NAF
 *    can never obtain another NAF's key;
 *  - for a B-TID it issued that has not expired;
 *  - when the subscriber's record (m2msec/bsfstore.h, `m2msec mef subscriber`) lists that NAF;
 *  - Ks_int_NAF / Ks_ext_NAF only for a GBA_U aware UICC (the GUSS); Ks_NAF (GBA_ME) always.
 * Refusals (docs/procedures/gba.md "Zn"): malformed 4000, unknown B-TID 4004, expired bootstrap,
 * NAF not authorised, GBA_U not available or another NAF's FQDN 4103, no NAF association 4103.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/mef_codec.h"
#include "m2msec/bsfstore.h"
#include "m2msec/gba_zn.h"
#include "m2msec/hss.h"
#include "m2msec/mem.h"
#include "m2msec/rsc.h"
#include "services/mef/mef_int.h"

/* The refusal: {status: false, errorString} as fetchCredentials answers (TS-0003 Table 8.3.2.1-6). */
static m2m_err zn_fail(m2m_response *rsp, m2mi_proc_out *o, int rsc, const char *outcome, const char *msg)
{
	json_t *f;

	(void)m2mi_proc_fail(rsp, o, rsc, outcome, msg);
	f = json_pack("{s:b,s:s}", "status", 0, "errorString", msg);
	if (f != NULL && rsp->pc != NULL)
		json_object_set_new(rsp->pc, M2M_GBA_ZN_RSP, f);
	else
		json_decref(f);
	return M2M_E_INVAL;
}

/* The NAF FQDN of the authenticated association (TS-0003 clause 8.3.2.3). */
static m2m_err naf_fqdn(m2m_mef_worker *w, const m2m_mef_assoc *a, char *out, size_t cap)
{
	if (a->peer == M2M_MEF_PEER_MAF) {
		if (strlen(a->client_id) >= cap)
			return M2M_E_RANGE;
		memcpy(out, a->client_id, strlen(a->client_id) + 1);
		return M2M_OK;
	}
	return m2m_mef_target_kdf_id(a->client_id, w->mef->sp_id, out, cap);
}

m2m_err m2mi_mef_zn(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp,
		    int64_t now, m2mi_proc_out *o)
{
	char btid[M2M_GBA_BTID_MAX], naf[254], mine[256], impi[256], hex[65], ts[16];
	uint8_t rand[M2M_KDF_GBA_RAND_LEN], naf_id[M2M_GBA_NAF_ID_MAX];
	m2m_gba_naf_kind kind = M2M_GBA_KS_NAF;
	m2m_gba_subscriber sub;
	m2m_key *ks = NULL, *k = NULL;
	size_t idl = 0;
	int64_t exp = 0;
	bool net = false;
	json_t *body;
	m2m_err r;

	o->proc = "gba-naf-key";
	if (req->op != M2M_OP_RETRIEVE)
		return zn_fail(rsp, o, M2M_RSC_OPERATION_NOT_ALLOWED, "operation-not-allowed", "only RETRIEVE");
	if (a->peer != M2M_MEF_PEER_TARGET && a->peer != M2M_MEF_PEER_MAF)
		return zn_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not-authorized", "not a NAF");
	if (m2m_gba_zn_path_parse(req->to, btid, naf, sizeof(naf), &kind) != M2M_OK || req->pc != NULL)
		return zn_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "malformed gbaNafKey request");
	snprintf(o->key_id, sizeof(o->key_id), "%s", btid);
	/* a NAF asks for its own NAF_Id only: another NAF's key would let it impersonate that NAF */
	if (naf_fqdn(w, a, mine, sizeof(mine)) != M2M_OK || strcasecmp(mine, naf) != 0)
		return zn_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not-authorized",
			       "NAF FQDN is not the authenticated NAF's");
	r = m2m_mefstore_bootstrap_get(w->st, btid, now, impi, sizeof(impi), rand, &ks, &exp);
	if (r == M2M_E_NOT_FOUND)
		return zn_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "unknown B-TID");
	if (r == M2M_E_KEY_EXPIRED)
		return zn_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "expired", "bootstrap expired");
	if (r != M2M_OK)
		return zn_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
	r = m2m_mefstore_gba_subscriber_get(w->st, impi, &sub);
	if (r == M2M_OK)
		snprintf(o->enrolee_id, sizeof(o->enrolee_id), "%s", sub.enrolee_id);
	if (r == M2M_E_NOT_FOUND || (r == M2M_OK && !m2m_gba_subscriber_naf_listed(&sub, naf))) {
		m2m_key_free(ks);
		return zn_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "naf-not-authorized",
			       "NAF not authorised for this subscriber");
	}
	if (r != M2M_OK) {
		m2m_key_free(ks);
		return zn_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "store failure");
	}
	if (kind != M2M_GBA_KS_NAF && !sub.gba_u) { /* TS-0003 clause 8.1.3: GBA_U only with a GBA aware UICC */
		m2m_key_free(ks);
		return zn_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "gba-u-unavailable",
			       "GBA_U not available for this subscriber");
	}
	if ((r = m2m_gba_naf_id(naf, (const uint8_t *)M2M_GBA_UA_ONEM2M_PSK, naf_id, sizeof(naf_id), &idl)) == M2M_OK)
		r = m2m_gba_naf_key(w->kdf, ks, kind, rand, impi, naf_id, idl, &k);
	m2m_key_free(ks);
	if (r != M2M_OK || m2m_key_export_hex(k, hex, sizeof(hex)) != M2M_OK ||
	    m2mi_mef_ts_format(exp, ts, sizeof(ts)) != M2M_OK) {
		m2m_key_free(k);
		m2m_memzero(hex, sizeof(hex));
		return zn_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "key derivation failed");
	}
	m2m_key_free(k);
	/* the subscriber's network-access status from the HSS (docs/procedures/mef.md "Underlying-network
	 * authorization"), as fetchCredentials hands it; indeterminate: not authorized (fail closed) */
	if (w->mef->hss_file == NULL || m2m_hss_net_authorized(w->mef->hss_file, impi, &net) != M2M_OK)
		net = false;
	/* the NAF key lives as long as the bootstrap (TS 33.220 clause 4.5.3), never longer */
	body = json_pack("{s:{s:b,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:b}}", M2M_GBA_ZN_RSP, "status", 1, "btid", btid, "key",
			 hex, "keyKind", m2m_gba_naf_kind_name(kind), "impi", impi, "enroleeID", sub.enrolee_id, "lifetime",
			 (json_int_t)(exp - now), "expirationTime", ts, "networkAuthorized", net ? 1 : 0);
	m2m_memzero(hex, sizeof(hex));
	m2m_memzero(rand, sizeof(rand));
	if (body == NULL)
		return zn_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "internal", "out of memory");
	json_decref(rsp->pc);
	rsp->pc = body;
	rsp->rsc = M2M_RSC_OK;
	return M2M_OK;
}
