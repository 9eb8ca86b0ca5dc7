/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements hexadecimal encoding used for key output (CLI) and hexBinary identifier
 * parts (TS-0003 clause 10.3.4, KeID). Decoding accepts both cases; encoding case is chosen by
 * the caller (keys print lowercase, hexBinary identifiers print uppercase: see docs/keys.md).
 */
#ifndef M2MSEC_HEX_H
#define M2MSEC_HEX_H

#include "m2msec/err.h"

/* Encode len bytes into out (needs 2*len+1 bytes), NUL-terminated. upper selects A-F over a-f. */
M2M_API m2m_err m2m_hex_encode(const uint8_t *in, size_t len, bool upper, char *out, size_t outcap);
/* Decode exactly hexlen hex digits into out; *outlen receives hexlen/2. Odd length or a non-hex
 * digit gives M2M_E_ID_BAD_HEX and leaves out wiped. */
M2M_API M2M_WUR m2m_err m2m_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outcap,
				       size_t *outlen);

#endif
