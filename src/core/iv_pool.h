/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the per-thread pool of random AEAD initialisation vectors
 * (core/iv_pool.c) for the AES-GCM IV of every ESPrim object (TS-0003 clause 8.4.3.2).
 */
#ifndef M2M_CORE_IV_POOL_H
#define M2M_CORE_IV_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fill iv with n (<= 16) fresh bytes of OpenSSL's CSPRNG; false when it failed. */
bool m2mi_iv_random(uint8_t *iv, size_t n);

#endif
