/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the m2m:securityInfo (short name "seci", TS-0004
 * clause 6.3.5.48, short names of clause 8.2.5) codec for the end-to-end securityInfoTypes
 * (TS-0004 Table 6.3.4.2.35-1):
 *   sit 3  receiverESPrimRandObject Request   (no other element)
 *   sit 4  receiverESPrimRandObject Response  "ero"  m2m:receiverESPrimRandObject
 *   sit 5  ESPrim Object                      "epo"  m2m:e2eCompactJWE
 *   sit 6  ESCertKE Message                   "eckm" xs:base64Binary
 * Types 1-2 and 7-8 (dynamic authorization) belong to the DAS codec: m2m_seci_peek_type tells a
 * caller which codec to use, and m2m_seci_e2e_decode answers M2M_E_UNSUPPORTED for them, so both
 * codecs live side by side on one Content. JSON serialisation, with or without the
 * {"m2m:seci": ...} wrapper. Pure.
 */
#ifndef M2MSEC_SECI_E2E_H
#define M2MSEC_SECI_E2E_H

#include "m2msec/esprim.h"

#define M2M_SECI_RAND_REQ 3
#define M2M_SECI_RAND_RSP 4
#define M2M_SECI_ESPRIM 5
#define M2M_SECI_ESCERTKE 6
#define M2M_SECI_MAX_LEN (2u * 1024u * 1024u) /* bytes of a seci text */
#define M2M_SECI_ECKM_MAX (64u * 1024u)       /* decoded bytes of one ESCertKE flight */

/* A decoded securityInfo of types 3-6 (a documented value type; clear it with
 * m2m_seci_e2e_clear). */
typedef struct m2m_seci_e2e {
	int sit;
	m2m_esprim_rand ero; /* sit 4 */
	char *epo;           /* sit 5: the compact JWE text (heap) */
	uint8_t *eckm;       /* sit 6: the decoded handshake flight (heap) */
	size_t eckm_len;
} m2m_seci_e2e;

/* The "sit" of a securityInfo text (1..8), whichever codec owns it. M2M_E_SECI_FORMAT when the
 * text is not a JSON object with an integer sit in 1..8. */
M2M_API M2M_WUR m2m_err m2m_seci_peek_type(const char *json, size_t len, int *sit);
/*
 * Decode types 3-6. M2M_E_UNSUPPORTED for a valid sit of another codec (1, 2, 7, 8);
 * M2M_E_SECI_FORMAT for anything malformed: the element of the sit missing or of the wrong type,
 * an element of another sit present (TS-0004 Table 6.3.5.48-1: "shall only be present if"),
 * eckm not base64 or over M2M_SECI_ECKM_MAX, epo not of the m2m:e2eCompactJWE form;
 * M2M_E_ESP_RAND_OBJ for a malformed ero. now resolves a relative esrx.
 */
M2M_API M2M_WUR m2m_err m2m_seci_e2e_decode(const char *json, size_t len, int64_t now, m2m_seci_e2e *out);
/* Encode s as {"m2m:seci":{"sit":N, ...}}. *out heap (free()). M2M_E_INVAL for a bad s. */
M2M_API M2M_WUR m2m_err m2m_seci_e2e_encode(const m2m_seci_e2e *s, char **out);
/* Free what s owns and zero it; NULL is a no-op. */
M2M_API void m2m_seci_e2e_clear(m2m_seci_e2e *s);

#endif
