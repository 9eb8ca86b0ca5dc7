/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the certificate facts shared by the CA (pki/), the credential store
 * (store/credstore_cert.c) and the TLS layer (tls/peer.c): the SHA-256 fingerprint that names a
 * certificate credential (Credential-ID value, TS-0003 clause 10.4) and validity times in Unix
 * seconds, so that every layer derives them the same way.
 */
#include <time.h>
#include <openssl/evp.h>

#include "m2msec/hex.h"
#include "pki/cert_facts.h"

m2m_err m2mi_cert_fingerprint(const X509 *x, bool upper, char *out, size_t cap)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (x == NULL || out == NULL)
		return M2M_E_INVAL;
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return M2M_E_CRYPTO;
	return m2m_hex_encode(md, mdlen, upper, out, cap);
}

m2m_err m2mi_cert_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || out == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return M2M_E_CERT;
	*out = (int64_t)timegm(&tm);
	return M2M_OK;
}
