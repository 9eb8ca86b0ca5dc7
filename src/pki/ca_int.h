/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements (internal to pki/) what the CA's two halves share: the m2m_ca handle
 * (pki/ca.c: the CA directory, TS-0003 clause 8.1.2.2 CA certificate) and the helpers that
 * pki/ca_issue.c (TS-0003 clause 10.1.1 leaf issuance and verification) builds upon.
 */
#ifndef M2M_PKI_CA_INT_H
#define M2M_PKI_CA_INT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "m2msec/ca.h"

/* notBefore is backdated this much so that peers with a slightly slow clock accept the cert. */
#define M2MI_CA_BACKDATE 300
#define M2MI_CA_DAY 86400

struct m2m_ca {
	X509 *cert;
	EVP_PKEY *key;
	char *cert_pem;
	char *subject;
	char *serial;
	char fingerprint[65];
	int64_t not_before, not_after;
	char **cons;
	bool *cons_permitted;
	size_t n_cons;
};

/* days 0 = def; else 1..M2M_CA_DAYS_MAX (M2M_E_RANGE). */
m2m_err m2mi_ca_check_days(int days, int def, int *out);
/* PEM of a certificate (free()) / of a private key in PKCS#8 (m2m_freezero(p, strlen(p) + 1)). */
m2m_err m2mi_ca_cert_to_pem(X509 *x, char **out);
m2m_err m2mi_ca_key_to_pem(EVP_PKEY *key, char **out);
/* A v3 certificate with a random serial, subject CN=cn (none when NULL), issuer (the subject when
 * NULL), validity [nb, na] and public key pub; extensions and signature are the caller's. */
m2m_err m2mi_ca_new_cert(X509_NAME *issuer, const char *cn, int64_t nb, int64_t na, EVP_PKEY *pub,
			 X509 **out);
/* A certificate from PEM ("-----BEGIN") or exactly-sized DER; M2M_E_CERT otherwise. */
m2m_err m2mi_ca_parse_cert(const char *buf, size_t len, X509 **out);
/* A PEM passphrase callback that never prompts (the library must not touch the terminal). */
int m2mi_ca_no_passphrase(char *buf, int size, int rwflag, void *u);

#endif
