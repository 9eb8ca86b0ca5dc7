/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the MAF service core (services/maf/): the
 * shared and per-worker state, the security association of a connection (TS-0003 clause
 * 8.8.2.2 MAF Handshake), the registration attributes kept on credential-store records, and the
 * procedure handlers of clause 8.8.2 that m2m_maf_handle() dispatches to.
 */
#ifndef M2M_SERVICES_MAF_INT_H
#define M2M_SERVICES_MAF_INT_H

#include <jansson.h>
#include <pthread.h>

#include "core/mef_codec.h"
#include "m2msec/credstore.h"
#include "m2msec/gba.h"
#include "m2msec/maf.h"
#include "services/proc/proc.h"

#define M2MI_MAF_ID_MAX 256
#define M2MI_MAF_REGID_LEN 32 /* mafClientRegID: 16 random bytes, uppercase hex */
/* Default of the unexpired key registrations one client may hold (m2m_maf_config
 * max_keys_per_client; a bound on the store, maf.md "MAF Key Registration"); one more is 4000. */
#define M2MI_MAF_KEYS_PER_CLIENT 64
/* The largest max_key_lifetime / max_reg_lifetime m2m_maf_new takes (100 years): "now + cap"
 * stays far from overflowing an int64_t. */
#define M2MI_MAF_LIFETIME_MAX ((int64_t)100 * 366 * 86400)

struct m2m_maf {
	m2m_maf_config cfg; /* strings point into the copies below */
	char *maf_fqdn, *sp_id, *store, *mef_fqdn, *bsf_fqdn;
	m2m_credstore *st;  /* the PSK lookup's / classifier's connection, under mu */
	pthread_mutex_t mu;
};

struct m2m_maf_worker {
	m2m_maf *maf;
	m2m_credstore *st;
};

struct m2m_maf_assoc {
	m2m_maf_peer peer;
	m2m_sa sa;
	char client_id[M2MI_MAF_ID_MAX]; /* CLIENT: AE-ID / CSE-ID; REMOTE: the KeID; GBA: the B-TID */
	char cred_id[M2MI_MAF_ID_MAX];   /* CLIENT: the record holding the registration (KmID or
					    certificate fingerprint); "" for a certificate not yet
					    registered */
	char *cert_pem;                  /* CLIENT by certificate: its certificate, or NULL */
	m2m_key *kc;                     /* this session's Kc with its Key Identifier, or NULL */
	m2m_key *km;                     /* REMOTE / GBA: the Km from the MEF / the BSF (Zn) */
};

/* A peer whose Km came from elsewhere (REMOTE: the MEF, clause 8.8.2.3; GBA: the BSF over Zn,
 * clause 8.3.2.3): it may only register it (MAF Client Registration), under a MAF-assigned KmID. */
static inline bool m2mi_maf_registers_only(const m2m_maf_assoc *a)
{
	return a->peer == M2M_MAF_PEER_REMOTE || a->peer == M2M_MAF_PEER_GBA;
}

/*
 * The MAF Client Registration kept as the attrs of the client's credential-store record
 * (docs/credstore.md "attrs"): {"reg": {"id", "admin", "exp", "labels"?}, "keid"?, "checked"?}.
 * A key registration's attrs: {"admin", "labels"?, "src": <the source's record id>}.
 */
typedef struct m2mi_maf_reg {
	bool present;
	char id[M2MI_MAF_REGID_LEN + 1];
	char admin[M2MI_MAF_ID_MAX];
	int64_t exp;
	char labels[M2MI_MEF_LABELS_TEXT]; /* compact JSON array text, "" none */
	char keid[M2MI_MEF_KEYID_MAX]; /* remote Km: the KeID at the MEF or the B-TID at the BSF (shorter), "" none */
	int64_t checked;            /* remote Km: last check with the MEF */
} m2mi_maf_reg;

/* Parse / print the attrs text of a client record (NULL / "" = nothing). */
m2m_err m2mi_maf_reg_parse(const char *attrs, m2mi_maf_reg *out);
char *m2mi_maf_reg_text(const m2mi_maf_reg *reg);

/* The caller's record and its registration; M2M_E_NOT_FOUND when it has none. */
m2m_err m2mi_maf_caller_reg(m2m_maf_worker *w, const m2m_maf_assoc *a, m2m_cred_info **info, m2mi_maf_reg *reg);

/* Procedures (maf_reg.c): To "mafClientReg[/<mafClientRegID>]". M2M_OK = commit. */
m2m_err m2mi_maf_client(m2m_maf_worker *w, const m2m_maf_assoc *a, const m2m_request *req, m2m_response *rsp,
			int64_t now, m2mi_proc_out *o);
/* Key procedures (maf_keyreg.c): To "mafKeyReg[/<relKeyID>]". */
m2m_err m2mi_maf_key_proc(m2m_maf_worker *w, const m2m_maf_assoc *a, const m2m_request *req, m2m_response *rsp,
			  int64_t now, m2mi_proc_out *o);

#endif
