/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the secret-hygiene primitives every module uses: one wipe (m2m_memzero),
 * one wipe-and-free (m2m_freezero) and one constant-time equality (m2m_ct_eq). TS-0003 clause 6.3
 * (sensitive data handling) asks that keys never linger; these are the only helpers to use.
 */
#ifndef M2MSEC_MEM_H
#define M2MSEC_MEM_H

#include "m2msec/common.h"

/* Overwrite len bytes at p with zeros in a way the compiler may not elide (OPENSSL_cleanse). */
M2M_API void m2m_memzero(void *p, size_t len);
/* Wipe then free a heap block obtained from malloc(); NULL is a no-op. */
M2M_API void m2m_freezero(void *p, size_t len);
/* Constant-time equality of two equal-length buffers (time depends on len only). Returns true
 * when equal. Use for every MAC, tag, key, PSK and token comparison. */
M2M_API M2M_WUR bool m2m_ct_eq(const void *a, const void *b, size_t len);

#endif
