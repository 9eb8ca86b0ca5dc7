/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the CSE's security profile from its MEF
 * (sec_profile.c; docs/procedures/mef.md "Security profile").
 */
#ifndef M2MSEC_SEC_PROFILE_H
#define M2MSEC_SEC_PROFILE_H

#include "m2msec/common.h"
#include "m2msec/err.h"

typedef struct m2mi_secprof m2mi_secprof;
struct m2mi_secprof_slot;
struct m2mi_ctx;

/* Parse a {"sec:secProfile": {...}} answer for cse_id (M2M_E_PROTO when malformed or for
 * another CSE). */
m2m_err m2mi_secprof_parse(const char *json, size_t len, const char *cse_id, int64_t now, m2mi_secprof **out);
void m2mi_secprof_free(m2mi_secprof *p);
/* SUID in the profile's accepted list (NULL profile: false). */
bool m2mi_secprof_suid_ok(const m2mi_secprof *p, int suid);
/* The cipherSuites (IANA names) and trustAnchors (PEM) members: count and array (0/NULL = absent);
 * applied by the TLS layer (m2m_tls_set_profile). */
size_t m2mi_secprof_suites(const m2mi_secprof *p, const char *const **out);
size_t m2mi_secprof_anchors(const m2mi_secprof *p, const char *const **out);
/* 0 = no lifetime given. */
int64_t m2mi_secprof_expiry(const m2mi_secprof *p);
/* The registration of AE-ID-Stem stem over an association with cred_id is allowed. */
bool m2mi_secprof_ae_allowed(const m2mi_secprof *p, const char *cred_id, const char *stem);
/* The AE registration check (res_ae.c): 0 or the RSC set by m2mi_fail (4103). */
int m2mi_secprof_check_registration(struct m2mi_ctx *c, const char *stem);
void m2mi_secprof_slot_free(struct m2mi_secprof_slot *s);

#endif
