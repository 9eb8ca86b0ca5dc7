/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the fixtures shared by the ESPrim unit tests (TS-0003 clause 8.4): a
 * receiver and an originator rand object valid at T0, and a session key for them.
 */
#ifndef M2M_ESPRIM_FIXTURE_H
#define M2M_ESPRIM_FIXTURE_H

#include <stdlib.h>

#include "m2m_test.h"
#include "m2msec/esprim.h"
#include "m2msec/mem.h"

#define T0 INT64_C(1764892800) /* 2025-12-05T00:00:00Z */

static inline void fx_rands(m2m_esprim_rand *rro, m2m_esprim_rand *oro)
{
	static const uint8_t r1[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const uint8_t r2[16] = {16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
	static const uint8_t i1[8] = {0xa1, 2, 3, 4, 5, 6, 7, 8}, i2[8] = {0xb2, 2, 3, 4, 5, 6, 7, 8};
	static const int kg[] = {1}, aead3[] = {10, 11, 12};

	assert_int_equal(m2m_esprim_rand_init(rro, false, true, r1, i1, T0 + 3600, kg, 1, aead3, 3), M2M_OK);
	assert_int_equal(m2m_esprim_rand_init(oro, true, false, r2, i2, T0 + 1800, kg, 1, aead3, 3), M2M_OK);
}

static inline m2m_key *fx_session(const m2m_esprim_rand *rro, const m2m_esprim_rand *oro, int aead)
{
	uint8_t pw[32];
	m2m_key *p = NULL, *s = NULL;
	m2m_kdf *kdf = NULL;

	memset(pw, 0x5a, sizeof(pw));
	assert_int_equal(m2m_key_new(pw, sizeof(pw), &p), M2M_OK);
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	assert_int_equal(m2m_esprim_session_key(kdf, p, rro, oro, aead, &s), M2M_OK);
	m2m_kdf_free(kdf);
	m2m_key_free(p);
	return s;
}

#endif
