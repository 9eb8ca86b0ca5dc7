/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of UMTS AKA (3GPP TS 33.102 clause 6.3) as the
 * GBA-based RSPF (TS-0003 clause 8.3.2.3, Ub of 3GPP TS 33.220 clause 4.5.2) runs it: the HSS side
 * (authentication vector generation, AUTS verification and SQN recovery) and a software USIM (AUTN
 * check, SQN freshness, AUTS generation). Both sides are pure: the caller persists SQN (the HSS its
 * SQN_HE, the USIM its SQN_MS) and supplies the MILENAGE context (m2msec/milenage.h).
 *
 * Sequence numbers (TS 33.102 Annex C, "a documented simple scheme" of our own choosing): SQN is a
 * single 48-bit counter without an IND part. The HSS hands out SQN_HE + 1 for each vector and then
 * stores it. The USIM accepts SQN only when SQN_MS < SQN <= SQN_MS + M2M_AKA_SQN_DELTA (fresh and
 * not too far ahead, the limit Δ of Annex C.2.2), then stores SQN_MS = SQN. Anything else (a
 * replayed or older AUTN, a jump past Δ) is a synchronisation failure answered with AUTS; the HSS
 * recovers SQN_MS from AUTS and continues from there (TS 33.102 clause 6.3.5).
 */
#ifndef M2MSEC_AKA_H
#define M2MSEC_AKA_H

#include "m2msec/err.h"
#include "m2msec/key.h"
#include "m2msec/milenage.h"

#define M2M_AKA_AUTN_LEN 16 /* SQN xor AK || AMF || MAC-A */
#define M2M_AKA_AUTS_LEN 14 /* SQN_MS xor AK* || MAC-S */
#define M2M_AKA_SQN_MAX 0xffffffffffffULL
/* Δ of TS 33.102 Annex C.2.2: how far ahead of SQN_MS an accepted SQN may be (2^28). */
#define M2M_AKA_SQN_DELTA (1ULL << 28)

/* An authentication vector (TS 33.102 clause 6.3.2): public RAND/AUTN, secret XRES/CK/IK. */
typedef struct m2m_aka_av {
	uint8_t rand[M2M_MILENAGE_RAND_LEN];
	uint8_t autn[M2M_AKA_AUTN_LEN];
	uint8_t xres[M2M_MILENAGE_RES_LEN];
	m2m_key *ck; /* 16 bytes */
	m2m_key *ik; /* 16 bytes */
} m2m_aka_av;

/* What the USIM returns (TS 33.102 clause 6.3.3). */
typedef struct m2m_aka_result {
	uint8_t res[M2M_MILENAGE_RES_LEN]; /* on M2M_OK */
	m2m_key *ck, *ik;                  /* on M2M_OK */
	uint8_t auts[M2M_AKA_AUTS_LEN];    /* on M2M_E_AKA_SYNC */
} m2m_aka_result;

/* SQN as 6 big-endian bytes and back (sqn > M2M_AKA_SQN_MAX: M2M_E_RANGE). */
M2M_API M2M_WUR m2m_err m2m_aka_sqn_encode(uint64_t sqn, uint8_t out[M2M_MILENAGE_SQN_LEN]);
M2M_API uint64_t m2m_aka_sqn_decode(const uint8_t in[M2M_MILENAGE_SQN_LEN]);

/* The scheme above in one place: SQN_HE + 1 for the next vector (M2M_E_RANGE when SQN_HE is
 * M2M_AKA_SQN_MAX: the subscriber needs a new K), and the USIM's freshness test. */
M2M_API M2M_WUR m2m_err m2m_aka_sqn_next(uint64_t sqn_he, uint64_t *next);
M2M_API bool m2m_aka_sqn_fresh(uint64_t sqn_ms, uint64_t sqn);

/* ---- HSS side ---------------------------------------------------------------------------------- */

/*
 * A vector for SQN sqn (1..M2M_AKA_SQN_MAX, else M2M_E_RANGE) and AMF amf: RAND is fresh from the
 * OpenSSL DRBG when rand is NULL, else copied (tests). AUTN = SQN xor AK || AMF || MAC-A, XRES =
 * f2, CK = f3, IK = f4. On error *av is cleared.
 */
M2M_API M2M_WUR m2m_err m2m_aka_av_generate(m2m_milenage *m, const uint8_t *rand, uint64_t sqn,
					    const uint8_t amf[M2M_MILENAGE_AMF_LEN], m2m_aka_av *av);
/* Free CK and IK, wipe the rest; NULL is a no-op. */
M2M_API void m2m_aka_av_clear(m2m_aka_av *av);

/*
 * Verify AUTS for the RAND it answers (TS 33.102 clause 6.3.5): SQN_MS = (AUTS[0..5] xor f5*) and
 * MAC-S = f1*(SQN_MS, RAND, AMF = 0x0000) must equal AUTS[6..13] (constant-time). On M2M_OK
 * *sqn_ms is the USIM's SQN_MS; the HSS continues from it. M2M_E_AKA_MAC when MAC-S does not verify.
 */
M2M_API M2M_WUR m2m_err m2m_aka_auts_verify(m2m_milenage *m, const uint8_t rand[M2M_MILENAGE_RAND_LEN],
					    const uint8_t auts[M2M_AKA_AUTS_LEN], uint64_t *sqn_ms);

/* ---- USIM side --------------------------------------------------------------------------------- */

typedef struct m2m_usim m2m_usim;

/* A software USIM holding K, OPc (16 bytes each, copied) and SQN_MS (<= M2M_AKA_SQN_MAX). */
M2M_API M2M_WUR m2m_err m2m_usim_new(const m2m_key *k, const m2m_key *opc, uint64_t sqn_ms, m2m_usim **out);
/* Wipe and free; NULL is a no-op. */
M2M_API void m2m_usim_free(m2m_usim *u);
/* The current SQN_MS, for the caller to persist after every successful authentication. */
M2M_API uint64_t m2m_usim_sqn_ms(const m2m_usim *u);

/*
 * Run AUTHENTICATE on (RAND, AUTN) (TS 33.102 clause 6.3.3):
 *  - MAC-A of AUTN does not verify (wrong K/OPc, tampered RAND or AUTN): M2M_E_AKA_MAC, *out
 *    untouched except cleared; SQN_MS unchanged.
 *  - MAC-A verifies but SQN is not fresh (see the scheme above): M2M_E_AKA_SYNC, out->auts =
 *    SQN_MS xor AK* || MAC-S; SQN_MS unchanged.
 *  - otherwise M2M_OK: out->res, out->ck, out->ik set, SQN_MS = SQN.
 * Free the result with m2m_aka_result_clear.
 */
M2M_API M2M_WUR m2m_err m2m_usim_authenticate(m2m_usim *u, const uint8_t rand[M2M_MILENAGE_RAND_LEN],
					      const uint8_t autn[M2M_AKA_AUTN_LEN], m2m_aka_result *out);
/* Free CK and IK, wipe the rest; NULL is a no-op. */
M2M_API void m2m_aka_result_clear(m2m_aka_result *res);

#endif
