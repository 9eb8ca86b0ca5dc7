/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the bootstrap records the MEF keeps in its store
 * in its BSF role (TS-0003 clause 8.3.2.3; 3GPP TS 33.220 clause 4.5.2: "the BSF shall store
 * the key Ks with the B-TID"): per B-TID, the IMPI, RAND, Ks and the key lifetime. A NAF's
 * request over Zn (clause 4.5.3) reads it back. One row per bootstrap in the MEF store
 * (m2m_mefstore), table created on first use.
 */
#ifndef M2MSEC_BSFSTORE_H
#define M2MSEC_BSFSTORE_H

#include "m2msec/gba.h"
#include "m2msec/mefstore.h"

/* Store a bootstrap (one transaction): btid as m2m_gba_btid_format gives it, impi 1..255 bytes,
 * ks 32 bytes (M2M_E_KEY_LEN), expiry > now. M2M_E_EXISTS when the B-TID is already taken (a RAND
 * repeated). Expired rows are removed in the same transaction. */
M2M_API M2M_WUR m2m_err m2m_mefstore_bootstrap_put(m2m_mefstore *st, const char *btid, const char *impi,
						   const m2m_key *ks, int64_t expiry, int64_t now);

/* Read the bootstrap of btid: impi (cap bytes), RAND, Ks (a new key, id = btid, validity up to
 * expiry) and expiry; each output may be NULL. M2M_E_NOT_FOUND when unknown, M2M_E_KEY_EXPIRED
 * when its lifetime is over (nothing returned). */
M2M_API M2M_WUR m2m_err m2m_mefstore_bootstrap_get(m2m_mefstore *st, const char *btid, int64_t now, char *impi,
						   size_t cap, uint8_t rand[M2M_KDF_GBA_RAND_LEN], m2m_key **ks,
						   int64_t *expiry);

/*
 * The MEF's configuration of a GBA subscriber (TS-0003 clause 8.3.2.3 "Bootstrap Instruction
 * Configuration": the MEF is configured with the Enrolee-ID and the Enrolment Target Identity, and
 * the GUSS says whether the BSF may hand a NAF key to that Enrolment Target and whether the UICC is
 * GBA_U aware): table gba_subscriber of the MEF store, keyed by IMPI. nafs is the comma list of
 * the NAF FQDNs (a CSE's public domain name, a MAF-FQDN) authorised for the subscriber, at most
 * M2M_GBA_SUB_NAFS_MAX bytes; gba_u marks a GBA_U aware UICC. set replaces the record.
 */
#define M2M_GBA_SUB_NAFS_MAX 1024
typedef struct m2m_gba_subscriber {
	char enrolee_id[256];            /* the Enrolee-ID handed to the NAF (an AE-ID or a CSE-ID) */
	char nafs[M2M_GBA_SUB_NAFS_MAX]; /* authorised NAF FQDNs, lowercase, comma-separated */
	bool gba_u;                      /* GUSS: UICC GBA_U aware (Ks_int_NAF / Ks_ext_NAF may be served) */
} m2m_gba_subscriber;

/* M2M_E_INVAL: impi empty or > 255 bytes, an empty or too long enrolee_id, a NAF list that is not
 * comma-separated FQDNs (written lowercase). */
M2M_API M2M_WUR m2m_err m2m_mefstore_gba_subscriber_set(m2m_mefstore *st, const char *impi,
							const m2m_gba_subscriber *sub);
/* M2M_E_NOT_FOUND when the IMPI has no record (no NAF is authorised for it). */
M2M_API M2M_WUR m2m_err m2m_mefstore_gba_subscriber_get(m2m_mefstore *st, const char *impi, m2m_gba_subscriber *sub);
/* Is naf (any case) in sub's list? */
M2M_API bool m2m_gba_subscriber_naf_listed(const m2m_gba_subscriber *sub, const char *naf);

#endif
