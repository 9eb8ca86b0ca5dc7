/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the two decision steps of GBA bootstrapping on Ub
 * (3GPP TS 33.220 clause 4.5.2 with HTTP Digest AKA, RFC 3310), for the GBA-based RSPF of TS-0003
 * clause 8.3.2.3, built from m2msec/aka.h and m2msec/digest_aka.h so that the UE (enrolee) and the
 * BSF (MEF) apply the RFC 3310 rules in one place:
 *  - the UE answers a parsed challenge with its USIM (RES as the password, or AUTS with the empty
 *    password when SQN is out of range; nothing when the network does not authenticate);
 *  - the BSF checks parsed credentials against the vector it issued (nonce binding, response,
 *    AUTS resynchronisation).
 * Transport, timers, SQN persistence and the B-TID/lifetime answer stay with the caller. Pure.
 */
#ifndef M2MSEC_GBA_UB_H
#define M2MSEC_GBA_UB_H

#include "m2msec/aka.h"
#include "m2msec/digest_aka.h"
#include "m2msec/gba.h"

/* What the UE sends and keeps. */
typedef struct m2m_gba_answer {
	m2m_digest cred; /* credentials to send (m2m_digest_format_credentials) */
	uint8_t rand[M2M_MILENAGE_RAND_LEN]; /* on M2M_OK: RAND, for the B-TID check and Ks_NAF */
	m2m_key *ks;                         /* on M2M_OK: Ks = CK || IK */
} m2m_gba_answer;

/*
 * Answer challenge ch (parsed as M2M_DIGEST_CHALLENGE) for IMPI impi, request method and uri,
 * with cnonce (1..127 printable ASCII, fresh per request) and nc (1..0xffffffff):
 *  - M2M_OK: out->cred carries the response computed with RES; out->ks and out->rand are set;
 *  - M2M_E_AKA_SYNC: out->cred carries auts and the response with the empty password (RFC 3310
 *    clause 3.5); send it and expect a new challenge;
 *  - M2M_E_AKA_MAC: the network did not authenticate (wrong RAND/AUTN): send nothing;
 *  - M2M_E_PROTO: the nonce is not base64(RAND || AUTN || data).
 * SQN_MS of u advances only on M2M_OK. Free with m2m_gba_answer_clear.
 */
M2M_API M2M_WUR m2m_err m2m_gba_ue_answer(m2m_usim *u, const m2m_digest *ch, const char *impi, const char *method,
					  const char *uri, const char *cnonce, uint32_t nc, m2m_gba_answer *out);
/* Free Ks and wipe; NULL is a no-op. */
M2M_API void m2m_gba_answer_clear(m2m_gba_answer *a);

/*
 * The BSF's check of credentials cred (parsed as M2M_DIGEST_CREDENTIALS) for request method,
 * against the vector av it issued in the challenge (m is the subscriber's MILENAGE context):
 *  - the nonce must carry av's RAND and AUTN (else M2M_E_AUTH: an answer to another challenge);
 *  - without auts: the response must verify with XRES: M2M_OK, or M2M_E_AUTH (wrong RES);
 *  - with auts: the response must verify with the empty password (else M2M_E_AUTH) and AUTS with
 *    f1*: M2M_E_AKA_SYNC with *sqn_ms = SQN_MS (store SQN_HE = SQN_MS, challenge again), or
 *    M2M_E_AKA_MAC when MAC-S does not verify.
 * sqn_ms may be NULL when not wanted.
 */
M2M_API M2M_WUR m2m_err m2m_gba_bsf_check(m2m_milenage *m, const m2m_aka_av *av, const m2m_digest *cred,
					  const char *method, uint64_t *sqn_ms);

#endif
