/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements certificate records of the credential store (TS-0003 clause 10.1): a
 * PEM certificate is parsed with OpenSSL, identified by the uppercase hex SHA-256 fingerprint
 * of its DER encoding, and its notBefore/notAfter become the record's validity window. Only one
 * certificate per record; the stored text is OpenSSL's re-encoding, so comments or other
 * blocks around the PEM are not kept.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pki/cert_facts.h"
#include "store/credstore_cert.h"

/* Parse exactly one PEM certificate: fingerprint id, window, normalised PEM. */
m2m_err m2mi_credstore_cert_parse(const char *pem, char **fp_hex, int64_t *nb, int64_t *na, char **norm)
{
	X509 *x = NULL, *extra = NULL;
	BIO *in = NULL, *mem = NULL;
	char *data = NULL;
	long n;
	size_t len;
	m2m_err r = M2M_E_CERT;

	*fp_hex = *norm = NULL;
	if (pem == NULL)
		return M2M_E_INVAL;
	if ((len = strnlen(pem, M2MI_CERT_PEM_MAX + 1)) > M2MI_CERT_PEM_MAX)
		return M2M_E_TOO_LARGE;
	if ((in = BIO_new_mem_buf(pem, (int)len)) == NULL || (mem = BIO_new(BIO_s_mem())) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	if ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) == NULL)
		goto out;
	if ((extra = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL)
		goto out; /* one certificate per record */
	if (m2mi_cert_time(X509_get0_notBefore(x), nb) != M2M_OK ||
	    m2mi_cert_time(X509_get0_notAfter(x), na) != M2M_OK || *na <= 0 || *na <= *nb)
		goto out;
	if (*nb < 0)
		*nb = 0; /* before 1970: unbounded for us */
	if (PEM_write_bio_X509(mem, x) != 1 || (n = BIO_get_mem_data(mem, &data)) <= 0)
		goto out;
	if ((*norm = strndup(data, (size_t)n)) == NULL || (*fp_hex = malloc(M2MI_CERT_FINGERPRINT_HEX)) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	r = m2mi_cert_fingerprint(x, true, *fp_hex, M2MI_CERT_FINGERPRINT_HEX);
out:
	if (r != M2M_OK) {
		free(*norm);
		free(*fp_hex);
		*norm = *fp_hex = NULL;
	}
	ERR_clear_error();
	X509_free(x);
	X509_free(extra);
	BIO_free(in);
	BIO_free(mem);
	return r;
}
