/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements wiping and constant-time comparison for key material (TS-0003 clause 6.3,
 * sensitive data handling). Both delegate to OpenSSL, whose implementations resist compiler
 * elision (OPENSSL_cleanse) and early exit (CRYPTO_memcmp).
 */
#include <stdlib.h>
#include <openssl/crypto.h>

#include "m2msec/mem.h"

void m2m_memzero(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

void m2m_freezero(void *p, size_t len)
{
	if (p == NULL)
		return;
	m2m_memzero(p, len);
	free(p);
}

bool m2m_ct_eq(const void *a, const void *b, size_t len)
{
	if (len == 0)
		return true;
	if (a == NULL || b == NULL)
		return false;
	return CRYPTO_memcmp(a, b, len) == 0;
}
