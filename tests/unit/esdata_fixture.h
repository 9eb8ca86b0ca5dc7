/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the key fixtures shared by the ESData unit tests (TS-0003 clause 8.5):
 * symmetric keys of each size and freshly generated RSA-2048 / EC P-256/384/521 key pairs.
 */
#ifndef M2M_ESDATA_FIXTURE_H
#define M2M_ESDATA_FIXTURE_H

#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "m2m_test.h"
#include "m2msec/esdata.h"
#include "m2msec/mem.h"

static inline m2m_key *fx_key(size_t n, uint8_t fill)
{
	uint8_t b[64];
	m2m_key *k = NULL;

	memset(b, fill, sizeof(b));
	assert_int_equal(m2m_key_new(b, n, &k), M2M_OK);
	return k;
}

static inline EVP_PKEY *fx_ec(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	assert_non_null(k);
	return k;
}

static inline EVP_PKEY *fx_rsa(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	assert_non_null(k);
	return k;
}

/* The public half of k (what a certificate would give the other end). */
static inline EVP_PKEY *fx_pub(EVP_PKEY *k)
{
	unsigned char *der = NULL, *p;
	int n = i2d_PUBKEY(k, &der);
	const unsigned char *q;
	EVP_PKEY *pub;

	assert_true(n > 0);
	p = der;
	q = p;
	pub = d2i_PUBKEY(NULL, &q, n);
	OPENSSL_free(der);
	assert_non_null(pub);
	return pub;
}

#endif
