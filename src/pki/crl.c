/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the certificate revocation list of the m2msec CA (TS-0003 clause 8.1.2.2:
 * "certificate status verification"; RFC 5280 section 5): a v2 CRL signed by the CA key with
 * ECDSA-SHA256 (the clause 10.1.1.1 signature profile), carrying the authorityKeyIdentifier and a
 * cRLNumber, one entry per revoked serial with its revocation date and, when known, its
 * CRLReason (superseded for an EST re-enrolment, RFC 7030 section 4.2.2). docs/pki.md "CRL".
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "m2msec/ca.h"
#include "pki/ca_int.h"

static m2m_err set_time(ASN1_TIME **t, int64_t when)
{
	ASN1_TIME *a = ASN1_TIME_set(NULL, (time_t)when);

	if (a == NULL)
		return M2M_E_NOMEM;
	*t = a;
	return M2M_OK;
}

/* One CRL entry: serial (hex, 1..40 digits), date, reason (< 0 = none). */
static m2m_err add_entry(X509_CRL *crl, const m2m_ca_revoked *e)
{
	X509_REVOKED *rv = NULL;
	ASN1_INTEGER *sn = NULL;
	ASN1_TIME *t = NULL;
	ASN1_ENUMERATED *rs = NULL;
	BIGNUM *bn = NULL;
	size_t len = e->serial_hex != NULL ? strlen(e->serial_hex) : 0;
	m2m_err r = M2M_E_INVAL;

	if (len == 0 || len > 40 || strspn(e->serial_hex, "0123456789abcdefABCDEF") != len ||
	    e->revoked_at <= 0 || e->reason > 10)
		return M2M_E_INVAL;
	if (BN_hex2bn(&bn, e->serial_hex) != (int)len)
		goto out;
	r = M2M_E_NOMEM;
	if ((sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || (rv = X509_REVOKED_new()) == NULL ||
	    set_time(&t, e->revoked_at) != M2M_OK)
		goto out;
	if (!X509_REVOKED_set_serialNumber(rv, sn) || !X509_REVOKED_set_revocationDate(rv, t))
		goto out;
	if (e->reason >= 0) {
		if ((rs = ASN1_ENUMERATED_new()) == NULL || !ASN1_ENUMERATED_set(rs, e->reason) ||
		    X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, rs, 0, 0) != 1)
			goto out;
	}
	if (!X509_CRL_add0_revoked(crl, rv))
		goto out;
	rv = NULL;
	r = M2M_OK;
out:
	ASN1_ENUMERATED_free(rs);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(sn);
	X509_REVOKED_free(rv);
	BN_free(bn);
	return r;
}

static m2m_err add_crl_ext(X509_CRL *crl, const m2m_ca *ca, int64_t number)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	m2m_err r = M2M_E_CRYPTO;

	if (num == NULL)
		return M2M_E_NOMEM;
	/* cRLNumber (RFC 5280 section 5.2.3): monotonic, the issue time in seconds. */
	if (!ASN1_INTEGER_set_int64(num, number) || X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		goto out;
	X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always")) == NULL)
		goto out;
	if (X509_CRL_add_ext(crl, ext, -1) == 1)
		r = M2M_OK;
	X509_EXTENSION_free(ext);
out:
	ASN1_INTEGER_free(num);
	return r;
}

m2m_err m2m_ca_crl(const m2m_ca *ca, const m2m_ca_revoked *rev, size_t n, int64_t now, int64_t validity_s,
		   char **crl_pem)
{
	X509_CRL *crl = NULL;
	ASN1_TIME *last = NULL, *next = NULL;
	BIO *bio = NULL;
	BUF_MEM *mem;
	m2m_err r;

	if (crl_pem != NULL)
		*crl_pem = NULL;
	if (ca == NULL || crl_pem == NULL || (n > 0 && rev == NULL) || now <= 0)
		return M2M_E_INVAL;
	if (validity_s <= 0)
		validity_s = (int64_t)M2M_CA_CRL_DAYS_DEFAULT * M2MI_CA_DAY;
	if (validity_s > (int64_t)M2M_CA_DAYS_MAX * M2MI_CA_DAY)
		return M2M_E_RANGE;
	if ((crl = X509_CRL_new()) == NULL)
		return M2M_E_NOMEM;
	r = M2M_E_NOMEM;
	if (!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) ||
	    set_time(&last, now) != M2M_OK || set_time(&next, now + validity_s) != M2M_OK ||
	    !X509_CRL_set1_lastUpdate(crl, last) || !X509_CRL_set1_nextUpdate(crl, next))
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((r = add_entry(crl, &rev[i])) != M2M_OK)
			goto out;
	if ((r = add_crl_ext(crl, ca, now)) != M2M_OK)
		goto out;
	r = M2M_E_CRYPTO;
	X509_CRL_sort(crl);
	if (X509_CRL_sign(crl, ca->key, EVP_sha256()) <= 0)
		goto out;
	r = M2M_E_NOMEM;
	if ((bio = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509_CRL(bio, crl) != 1)
		goto out;
	BIO_get_mem_ptr(bio, &mem);
	if ((*crl_pem = malloc(mem->length + 1)) == NULL)
		goto out;
	memcpy(*crl_pem, mem->data, mem->length);
	(*crl_pem)[mem->length] = '\0';
	r = M2M_OK;
out:
	BIO_free(bio);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	return r;
}
