/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of store/mefstore_sqlite.c used by the MEF
 * procedures (services/mef/): the registration of a MEF client with its Ke (TS-0003 clause
 * 10.3.1) and MEF Client Command state (clause 8.3.4.6), and MEF key registrations (clause
 * 8.3.5). These functions run inside the one transaction of a request: the service brackets
 * them with m2mi_mefstore_begin() / m2mi_mefstore_end().
 */
#ifndef M2M_STORE_MEFSTORE_INT_H
#define M2M_STORE_MEFSTORE_INT_H

#include "core/mef_codec.h"
#include "m2msec/mefstore.h"

#define M2MI_MEF_ID_MAX 256

/* One MEF Client Registration (value type). */
typedef struct m2mi_mef_reg {
	char keid[M2MI_MEF_KEYID_MAX];    /* KeID of the registration's Ke */
	char reg_id[40];                  /* MEFClientRegID: hexBinary(RelativeKeID) */
	char client_id[M2MI_MEF_ID_MAX];  /* KpmID or certificate identity */
	char enrolee_id[M2MI_MEF_ID_MAX]; /* the Enrolee-ID granted */
	char targets[M2M_MEF_MAX_TARGETS][M2MI_MEF_ID_MAX];
	size_t ntargets;
	int64_t expiry;                   /* Enrolment Expiry = Ke expiry (clause 10.7) */
	int64_t reg_et;                   /* registration expirationTime (<= expiry) */
	char labels[M2MI_MEF_LABELS_TEXT]; /* JSON array text, "" none */
	char admin_fqdn[M2MI_MEF_ID_MAX];
	bool cert_req;                    /* asked for certificate enrolment */
	int64_t cmd_id;                   /* current MEF Client Command */
	int cmd_class;                    /* its cmdClassID */
	int cmd_status;                   /* its cmdStatusCode */
	int cmd_step;                     /* position in the command plan (service-defined) */
} m2mi_mef_reg;

/* One MEF Key Registration (value type; the key bytes travel as m2m_key). */
typedef struct m2mi_mef_keyreg {
	char rel_key_id[40];              /* RelativeKeyID, 32 uppercase hex */
	char client_id[M2MI_MEF_ID_MAX];  /* Source MEF Client */
	char source_id[M2MI_MEF_ID_MAX];  /* Source MEF Client ID (its Enrolee-ID) */
	int suid;
	char targets[M2M_MEF_MAX_TARGETS][M2MI_MEF_ID_MAX];
	size_t ntargets;
	int64_t expiry;
	char labels[M2MI_MEF_LABELS_TEXT];
	char admin_fqdn[M2MI_MEF_ID_MAX];
} m2mi_mef_keyreg;

m2m_err m2mi_mefstore_begin(m2m_mefstore *st);
/* A read transaction (BEGIN DEFERRED): concurrent readers under WAL, for read-only procedures. */
m2m_err m2mi_mefstore_begin_read(m2m_mefstore *st);
/* COMMIT when r is M2M_OK, else ROLLBACK; returns the final status. */
m2m_err m2mi_mefstore_end(m2m_mefstore *st, m2m_err r);

/* The canonical client_id of in (a KpmID's FQDN part lowercased; anything else as given). */
m2m_err m2mi_mefstore_client_canon(const char *in, char *out, size_t cap);
/* Enrolee check inside a transaction: M2M_OK (active, *e filled), M2M_E_NOT_FOUND,
 * M2M_E_KEY_REVOKED, M2M_E_KEY_EXPIRED. Group members without a row resolve through the group. */
m2m_err m2mi_mefstore_enrolee_check(m2m_mefstore *st, const char *client_id, int64_t now, m2m_mef_enrolee **e);

/* Store reg with ke, replacing the client's previous registration and its key registrations
 * (re-enrolment: the old KeID stops working); a group member gets its row. M2M_E_EXISTS when
 * this KeID is already registered (replay in the same session). */
m2m_err m2mi_mefstore_reg_put(m2m_mefstore *st, const m2mi_mef_reg *reg, const m2m_key *ke, int64_t now);
/* By MEFClientRegID or by KeID (exactly one non-NULL); ke may be NULL. M2M_E_NOT_FOUND. */
m2m_err m2mi_mefstore_reg_get(m2m_mefstore *st, const char *reg_id, const char *keid, m2mi_mef_reg *reg,
			      m2m_key **ke);
/* Rewrite the mutable fields (reg_et, labels, cmd_*) of reg->reg_id. */
m2m_err m2mi_mefstore_reg_update(m2m_mefstore *st, const m2mi_mef_reg *reg);
/* Delete the registration, its Ke and its key registrations. */
m2m_err m2mi_mefstore_reg_delete(m2m_mefstore *st, const char *reg_id);

m2m_err m2mi_mefstore_keyreg_put(m2m_mefstore *st, const m2mi_mef_keyreg *kr, const m2m_key *key, int64_t now);
m2m_err m2mi_mefstore_keyreg_get(m2m_mefstore *st, const char *rel_key_id, m2mi_mef_keyreg *kr, m2m_key **key);
m2m_err m2mi_mefstore_keyreg_update(m2m_mefstore *st, const m2mi_mef_keyreg *kr);
m2m_err m2mi_mefstore_keyreg_delete(m2m_mefstore *st, const char *rel_key_id);

#endif
