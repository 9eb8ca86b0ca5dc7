/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the 3GPP MILENAGE authentication and key
 * generation functions (3GPP TS 35.205 / TS 35.206) that the GBA-based Remote Security
 * Provisioning Framework (TS-0003 clause 8.3.2.3) needs on both ends of UMTS AKA: the software
 * USIM of the enrolee (UE) and the test HSS of the MEF (BSF). The kernel is AES-128 through
 * OpenSSL EVP (never a hand-rolled block cipher); r1..r5 and c1..c5 are the TS 35.206 clause
 * 4.1 defaults. K, OPc, CK and IK are secrets and travel as m2m_key; the short outputs (MAC-A,
 * MAC-S, RES, AK, AK*) are returned in caller buffers which the caller wipes.
 *
 * A context holds K, OPc and one AES key schedule. It is NOT thread-safe; it is pure (no I/O).
 */
#ifndef M2MSEC_MILENAGE_H
#define M2MSEC_MILENAGE_H

#include "m2msec/err.h"
#include "m2msec/key.h"

#define M2M_MILENAGE_K_LEN 16   /* K, OP, OPc (128 bits) */
#define M2M_MILENAGE_RAND_LEN 16
#define M2M_MILENAGE_SQN_LEN 6  /* 48 bits */
#define M2M_MILENAGE_AMF_LEN 2
#define M2M_MILENAGE_MAC_LEN 8  /* MAC-A = f1, MAC-S = f1* */
#define M2M_MILENAGE_RES_LEN 8  /* RES = f2 (64 bits in MILENAGE) */
#define M2M_MILENAGE_CK_LEN 16  /* CK = f3, IK = f4 */
#define M2M_MILENAGE_AK_LEN 6   /* AK = f5, AK* = f5* */

typedef struct m2m_milenage m2m_milenage;

/*
 * OPc = OP xor E_K(OP) (TS 35.206 clause 4.1). k must be 16 bytes (M2M_E_KEY_LEN). The result is
 * a new 16-byte key. *opc is NULL unless M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_milenage_opc(const m2m_key *k, const uint8_t op[M2M_MILENAGE_K_LEN], m2m_key **opc);

/* A context for subscriber key k and its OPc (both 16 bytes, else M2M_E_KEY_LEN); the key bytes
 * are copied. *out is NULL unless M2M_OK. */
M2M_API M2M_WUR m2m_err m2m_milenage_new(const m2m_key *k, const m2m_key *opc, m2m_milenage **out);
/* Wipe and free; NULL is a no-op. */
M2M_API void m2m_milenage_free(m2m_milenage *m);

/*
 * f1 and f1*: MAC-A (network authentication) and MAC-S (resynchronisation) over RAND, SQN, AMF.
 * Either output may be NULL when not wanted. Both are computed from the same OUT1 block.
 */
M2M_API M2M_WUR m2m_err m2m_milenage_f1(m2m_milenage *m, const uint8_t rand[M2M_MILENAGE_RAND_LEN],
					const uint8_t sqn[M2M_MILENAGE_SQN_LEN],
					const uint8_t amf[M2M_MILENAGE_AMF_LEN], uint8_t mac_a[M2M_MILENAGE_MAC_LEN],
					uint8_t mac_s[M2M_MILENAGE_MAC_LEN]);

/*
 * f2, f3, f4, f5 over RAND: RES, CK, IK, AK. Any output may be NULL when not wanted. *ck and *ik
 * are new 16-byte keys; on error every requested output is NULL / wiped.
 */
M2M_API M2M_WUR m2m_err m2m_milenage_f2345(m2m_milenage *m, const uint8_t rand[M2M_MILENAGE_RAND_LEN],
					   uint8_t res[M2M_MILENAGE_RES_LEN], m2m_key **ck, m2m_key **ik,
					   uint8_t ak[M2M_MILENAGE_AK_LEN]);

/* f5*: AK* (the anonymity key that conceals SQN_MS in AUTS). */
M2M_API M2M_WUR m2m_err m2m_milenage_f5star(m2m_milenage *m, const uint8_t rand[M2M_MILENAGE_RAND_LEN],
					    uint8_t ak_star[M2M_MILENAGE_AK_LEN]);

#endif
