/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of strict standard base64 (RFC 4648 clause 4, with
 * '=' padding) used by the GBA B-TID (3GPP TS 33.220 clause 4.5.2: base64(RAND)@BSF) and the HTTP
 * Digest AKA nonce (RFC 3310 clause 3.2: base64(RAND || AUTN || server data)). Decoding accepts
 * only the canonical encoding: the alphabet, a length that is a multiple of 4, at most two '='
 * at the end, and zero unused bits, so one value has exactly one text. Also the character check of
 * the base64url alphabet (RFC 4648 clause 5) that the JOSE compact forms are made of (ESPrim,
 * ESData, m2m:seci); their decoding is cjose's / libjose's. Not part of the public API.
 */
#ifndef M2M_CORE_B64_INT_H
#define M2M_CORE_B64_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"

/* Length of the encoding of n bytes (without the NUL). */
#define M2MI_B64_LEN(n) ((((n) + 2) / 3) * 4)

/* Encode n bytes into out (M2MI_B64_LEN(n) + 1 bytes), NUL-terminated; M2M_E_RANGE if too small. */
m2m_err m2mi_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Decode exactly len characters of s into out; M2M_E_PROTO for a non-canonical or invalid text,
 * M2M_E_TOO_LARGE when the result exceeds cap. out is wiped on error. */
m2m_err m2mi_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outlen);

/* Whether every one of the n characters of s is in the base64url alphabet (A-Z a-z 0-9 - _). */
bool m2mi_b64url_chars(const char *s, size_t n);
#endif
