/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the UTF-8 checks and NFKC normalisation required of every identifier that
 * enters a TS-0003 key derivation ("encoded as UTF-8 after NFKC normalisation", TS-0003 clauses
 * 10.3.2, 10.3.3, 10.3.7).
 */
#ifndef M2MSEC_UTF8_H
#define M2MSEC_UTF8_H

#include "m2msec/err.h"

/* Identifiers longer than this (in bytes, before or after normalisation) are refused. */
#define M2M_ID_MAX 1024

/* True when in[0..len) is well-formed UTF-8 (no overlongs, surrogates or NUL bytes). */
M2M_API M2M_WUR bool m2m_utf8_valid(const char *in, size_t len);

/*
 * NFKC-normalise in[0..len) into a new NUL-terminated heap string (*out, free() it), length in
 * *outlen. ASCII input is returned as a copy without calling the normaliser (NFKC maps ASCII to
 * itself), which keeps KDFs over ordinary identifiers fast.
 * Errors: M2M_E_ID_EMPTY, M2M_E_ID_BAD_UTF8, M2M_E_ID_TOO_LONG, M2M_E_NOMEM.
 */
M2M_API M2M_WUR m2m_err m2m_utf8_nfkc(const char *in, size_t len, char **out, size_t *outlen);

/* True when every byte is < 0x80 (and none is NUL). */
M2M_API bool m2m_utf8_is_ascii(const char *in, size_t len);

#endif
