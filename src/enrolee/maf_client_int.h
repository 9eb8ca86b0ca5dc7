/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the MAF client (include/m2msec/mafclient.h):
 * the checks of the MAF's answers (docs/procedures/maf.md, TS-0003 clauses 8.8.2.3 and 8.8.2.7)
 * and the key identifier argument, pure functions shared with the unit tests. Hidden symbols.
 */
#ifndef M2M_MAF_CLIENT_INT_H
#define M2M_MAF_CLIENT_INT_H

#include <jansson.h>

#include "m2msec/mafclient.h"

/* The relative part of a Kc Key Identifier: "<32 hex>@fqdn" or "<32 hex>" into rel (33 bytes,
 * uppercase). M2M_E_INVAL for anything else (a malformed FQDN included). */
m2m_err m2mi_mafc_rel_of(const char *key_id, char rel[33]);

/* The sec:mafKeyReg object of a MAF Key Registration answer (Table 8.8.2.7-2) against what this
 * client sent and exported: relKeyID (32 hex) equal to rel, keyID equal to key_id
 * (case-insensitive), SUID 32, targetIDs exactly [target], sourceID a non-empty string and
 * expirationTime a timestamp after now and not after requested. *expiry gets it. M2M_E_PROTO
 * with a reason in why (whycap bytes) for anything else. */
m2m_err m2mi_mafc_check_key_reg(const json_t *reg, const char *key_id, const char *target, int suid, int64_t now,
				int64_t requested, int64_t *expiry, char *why, size_t whycap);

/* The sec:mafClientReg object of a MAF Client Registration answer (Table 8.8.2.3-2):
 * mafClientRegID a non-empty string; with kmid (kcap bytes), assignedSymmKeyID must be a KmID
 * of fqdn (case-insensitive) and is copied there. M2M_E_PROTO with a reason in why otherwise. */
m2m_err m2mi_mafc_check_client_reg(const json_t *reg, const char *fqdn, char *kmid, size_t kcap, char *why,
				   size_t whycap);

/* The absolute CSE-ID the client registers a Kc for: M2M_E_INVAL with a reason otherwise. */
m2m_err m2mi_mafc_check_target(const char *target, char *why, size_t whycap);

#endif
