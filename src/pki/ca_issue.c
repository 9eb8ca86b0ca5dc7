/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements leaf certificate issuance by the m2msec CA to the TS-0003 clause 10.1.1
 * profiles (10.1.1.3 chained certificates; 10.1.1.5 AE-ID, 10.1.1.6 FQDN and 10.1.1.7 CSE-ID
 * certificates), from a fresh P-256 key pair or from a PKCS#10 request, and the verification of a
 * leaf against the CA. Every leaf is path-validated (RFC 5280 section 6.1, TS-0003 clause 8.1.2.2:
 * X509_verify_cert with the CA as the only trust anchor, nameConstraints included) before it
 * leaves this file, so a name outside the CA's constraints is never issued. Writing the leaf
 * files all or nothing is pki/pem_file.c's job; docs/pki.md has the design.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "m2msec/ca.h"
#include "pki/ca_int.h"
#include "pki/cert_profile.h"
#include "pki/pem_file.h"

static m2m_err map_verify_error(int err)
{
	switch (err) {
	case X509_V_ERR_PERMITTED_VIOLATION:
	case X509_V_ERR_EXCLUDED_VIOLATION:
	case X509_V_ERR_SUBTREE_MINMAX:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
	case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
		return M2M_E_CERT_NAME;
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return M2M_E_CERT_EXPIRED;
	default:
		return M2M_E_CERT_UNTRUSTED;
	}
}

/* RFC 5280 section 6.1 path validation with the CA as the only trust anchor. */
static m2m_err verify_x509(const m2m_ca *ca, X509 *x, int64_t now)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;
	m2m_err r = M2M_E_NOMEM;

	if (store == NULL || ctx == NULL || !X509_STORE_add_cert(store, ca->cert) ||
	    !X509_STORE_CTX_init(ctx, store, x, NULL))
		goto out;
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
	X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_ANY);
	if (now != 0)
		X509_VERIFY_PARAM_set_time(param, (time_t)now);
	if (X509_verify_cert(ctx) == 1)
		r = M2M_OK;
	else
		r = map_verify_error(X509_STORE_CTX_get_error(ctx));
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

m2m_err m2m_ca_verify(const m2m_ca *ca, const char *cert, size_t len, int64_t now)
{
	X509 *x = NULL;
	m2m_err r;

	if (ca == NULL || cert == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_ca_parse_cert(cert, len, &x)) != M2M_OK)
		return r;
	if ((r = verify_x509(ca, x, now)) == M2M_OK)
		r = m2mi_cert_profile_check(x);
	X509_free(x);
	return r;
}

/* Build, sign and verify a leaf for pub (TS-0003 clause 10.1.1.3 and 10.1.1.5-10.1.1.7). */
static m2m_err issue_leaf(const m2m_ca *ca, EVP_PKEY *pub, const char *const *sans, size_t n, int days,
			  const char *cn, char **cert_pem)
{
	int64_t now = (int64_t)time(NULL), na;
	char first[M2MI_SAN_MAX + 1];
	GENERAL_NAMES *gens = NULL;
	X509 *x = NULL;
	m2m_err r;

	if ((r = m2mi_ca_check_days(days, M2M_CA_LEAF_DAYS_DEFAULT, &days)) != M2M_OK)
		return r;
	if ((r = m2mi_cert_profile_sans(sans, n, &gens, first, sizeof(first))) != M2M_OK)
		return r;
	if (cn != NULL && (r = m2mi_cert_profile_cn(cn)) != M2M_OK)
		goto out;
	if (cn == NULL && first[0] != '\0' && strlen(first) <= M2M_CA_CN_MAX)
		cn = first;
	/* The leaf never outlives its CA. */
	na = now + (int64_t)days * M2MI_CA_DAY;
	if (na > ca->not_after)
		na = ca->not_after;
	if (na <= now) {
		r = M2M_E_CERT_EXPIRED;
		goto out;
	}
	if ((r = m2mi_ca_new_cert(X509_get_subject_name(ca->cert), cn, now - M2MI_CA_BACKDATE, na, pub,
				  &x)) != M2M_OK)
		goto out;
	if ((r = m2mi_cert_profile_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE")) ||
	    (r = m2mi_cert_profile_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature")) ||
	    (r = m2mi_cert_profile_ext(x, ca->cert, NID_ext_key_usage, "serverAuth,clientAuth")) ||
	    (r = m2mi_cert_profile_ext(x, ca->cert, NID_subject_key_identifier, "hash")) ||
	    (r = m2mi_cert_profile_ext(x, ca->cert, NID_authority_key_identifier, "keyid:always")))
		goto out;
	/* RFC 5280 section 4.2.1.6: with an empty subject the SAN is critical. */
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, cn == NULL, X509V3_ADD_DEFAULT) != 1) {
		r = M2M_E_CRYPTO;
		goto out;
	}
	if (X509_sign(x, ca->key, EVP_sha256()) <= 0) {
		r = M2M_E_CRYPTO;
		goto out;
	}
	if ((r = m2mi_cert_profile_check(x)) != M2M_OK || (r = verify_x509(ca, x, 0)) != M2M_OK)
		goto out;
	r = m2mi_ca_cert_to_pem(x, cert_pem);
out:
	GENERAL_NAMES_free(gens);
	X509_free(x);
	return r;
}

m2m_err m2m_ca_issue(const m2m_ca *ca, const char *const *sans, size_t n, int days, const char *cn,
		     char **cert_pem, char **key_pem)
{
	EVP_PKEY *key = NULL;
	char *crt = NULL;
	m2m_err r;

	if (cert_pem != NULL)
		*cert_pem = NULL;
	if (key_pem != NULL)
		*key_pem = NULL;
	if (ca == NULL || cert_pem == NULL || key_pem == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_cert_profile_keygen(&key)) != M2M_OK)
		return r;
	if ((r = issue_leaf(ca, key, sans, n, days, cn, &crt)) != M2M_OK ||
	    (r = m2mi_ca_key_to_pem(key, key_pem)) != M2M_OK)
		goto out;
	*cert_pem = crt;
	crt = NULL;
out:
	free(crt);
	EVP_PKEY_free(key);
	return r;
}

/* Parse a PKCS#10 request, PEM or exactly-sized DER, and check its self-signature. */
static m2m_err parse_csr(const char *buf, size_t len, X509_REQ **out)
{
	const unsigned char *p = (const unsigned char *)buf;
	X509_REQ *req = NULL;
	EVP_PKEY *pk;
	BIO *bio;

	*out = NULL;
	if (buf == NULL || len == 0 || len > INT_MAX)
		return M2M_E_CERT;
	if (len > 10 && memcmp(buf, "-----BEGIN", 10) == 0) { /* public: format sniffing */
		if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
			return M2M_E_NOMEM;
		req = PEM_read_bio_X509_REQ(bio, NULL, m2mi_ca_no_passphrase, NULL);
		BIO_free(bio);
	} else if ((req = d2i_X509_REQ(NULL, &p, (long)len)) != NULL && p != (const unsigned char *)buf + len) {
		X509_REQ_free(req);
		req = NULL;
	}
	if (req == NULL || (pk = X509_REQ_get0_pubkey(req)) == NULL || X509_REQ_verify(req, pk) != 1) {
		X509_REQ_free(req);
		return M2M_E_CERT;
	}
	*out = req;
	return M2M_OK;
}

m2m_err m2m_ca_issue_csr(const m2m_ca *ca, const char *csr, size_t len, const char *const *sans, size_t n,
			 int days, const char *cn, char **cert_pem)
{
	X509_REQ *req = NULL;
	EVP_PKEY *pub = NULL;
	m2m_err r;

	if (cert_pem != NULL)
		*cert_pem = NULL;
	if (ca == NULL || cert_pem == NULL || csr == NULL)
		return M2M_E_INVAL;
	if ((r = parse_csr(csr, len, &req)) != M2M_OK)
		return r;
	/* Only the key is taken from the request, re-encoded to the 10.1.1.1 form. */
	if ((r = m2mi_cert_profile_pubkey(X509_REQ_get0_pubkey(req), &pub)) == M2M_OK)
		r = issue_leaf(ca, pub, sans, n, days, cn, cert_pem);
	EVP_PKEY_free(pub);
	X509_REQ_free(req);
	return r;
}

m2m_err m2m_ca_write_leaf(const char *prefix, const char *cert_pem, const char *key_pem)
{
	char crt_path[PATH_MAX], key_path[PATH_MAX];
	size_t pl;

	if (prefix == NULL || cert_pem == NULL || (pl = strlen(prefix)) == 0)
		return M2M_E_INVAL;
	if (pl + 5 > sizeof(crt_path))
		return M2M_E_RANGE;
	memcpy(crt_path, prefix, pl);
	memcpy(crt_path + pl, ".crt", 5);
	memcpy(key_path, prefix, pl);
	memcpy(key_path + pl, ".key", 5);
	{
		const struct m2mi_pem_out files[] = {
			{crt_path, cert_pem, strlen(cert_pem), 0644},
			{key_path, key_pem, key_pem != NULL ? strlen(key_pem) : 0, 0600},
		};
		return m2mi_pem_file_write(files, key_pem != NULL ? 2 : 1);
	}
}
