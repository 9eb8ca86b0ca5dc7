/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements (internal) the EST issuance records of the MEF store used by
 * services/mef/est.c (TS-0003 clause 8.3.6, RFC 7030 section 4.2): every certificate the MEF CA
 * issued, to whom, and whether it was superseded. Called inside one store transaction
 * (m2mi_mefstore_begin / m2mi_mefstore_end).
 */
#ifndef M2M_STORE_MEFSTORE_EST_H
#define M2M_STORE_MEFSTORE_EST_H

#include "m2msec/est.h"

/* Create the estcert table when missing (an additive table of mefstore schema 1). */
m2m_err m2mi_mefstore_est_ensure(m2m_mefstore *st);
/* Record rec (serial unique: M2M_E_EXISTS). */
m2m_err m2mi_mefstore_est_put(m2m_mefstore *st, const m2m_est_record *rec);
/* The record of serial (uppercase hex): M2M_OK / M2M_E_NOT_FOUND. */
m2m_err m2mi_mefstore_est_get(m2m_mefstore *st, const char *serial, m2m_est_record *rec);
/* Mark serial revoked at now with reason (M2M_E_NOT_FOUND when unknown or already revoked). */
m2m_err m2mi_mefstore_est_revoke(m2m_mefstore *st, const char *serial, int64_t now, int reason);

#endif
