/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the MEF service core (services/mef/): the
 * shared and per-worker state, the security association of a connection, and the procedure
 * handlers of TS-0003 clause 8.3.5 / 8.3.4.6 / 8.3.2.1 that m2m_mef_handle() dispatches to.
 */
#ifndef M2M_SERVICES_MEF_INT_H
#define M2M_SERVICES_MEF_INT_H

#include <pthread.h>

#include "m2msec/kdf.h"
#include "m2msec/mef.h"
#include "services/proc/proc.h"
#include "store/mefstore_int.h"

struct m2m_mef {
	m2m_mef_config cfg;    /* strings point into the copies below */
	char *mef_fqdn, *sp_id, *store, *est_uri, *maf_fqdns, *hss_file;
	m2m_mefstore *st;      /* the resolver's / classifier's connection, under mu */
	pthread_mutex_t mu;
};

struct m2m_mef_worker {
	m2m_mef *mef;
	m2m_mefstore *st;
	m2m_kdf *kdf;
};

struct m2m_mef_assoc {
	m2m_mef_peer peer;
	m2m_sa sa;
	char client_id[M2MI_MEF_ID_MAX]; /* enrolee: KpmID / certificate identity; target: CSE-ID;
					   MAF: its MAF-FQDN (lowercase) */
	m2m_key *ke;                      /* enrolee: Ke with KeID */
	m2m_key *kc;                      /* enrolee: Kc with KcID (key registration), may be NULL */
};

/* Procedures (mef_reg.c): To "mefClientReg[/<id>[/mefClientCmd]]". M2M_OK = commit. */
m2m_err m2mi_mef_client(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp,
			int64_t now, m2mi_proc_out *o);
/* MEF Key procedures (mef_keyreg.c): To "mefKeyReg[/<RelativeKeyID>]". */
m2m_err m2mi_mef_key_proc(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp,
			int64_t now, m2mi_proc_out *o);
/* fetchCredentials (mef_fetch.c). */
m2m_err m2mi_mef_fetch(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp,
		       int64_t now, m2mi_proc_out *o);
/* Zn, the BSF role towards a NAF (mef_zn.c): To "gbaNafKey/<B-TID>/<NAF FQDN>/<kind>". */
m2m_err m2mi_mef_zn(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp,
		    int64_t now, m2mi_proc_out *o);
/* The security profile of the calling target (mef_profile.c): To "securityProfile/<cse>". */
m2m_err m2mi_mef_profile(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp,
			 int64_t now, m2mi_proc_out *o);

#endif
