/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the m2msec certificate authority itself: a self-signed P-256 CA kept in a
 * directory (ca.key 0600, ca.crt) whose certificate carries the critical nameConstraints that
 * TS-0003 clause 8.1.2.2 requires of CA certificates and meets the clause 10.1.1.1/10.1.1.3
 * profile (P-256, uncompressed point, ECDSA with SHA-256). m2m_ca_init creates the directory,
 * m2m_ca_open loads it (refusing a ca.key that is not 0600), and the helpers shared with leaf
 * issuance (pki/ca_issue.c) live here. Names and profile checks are pki/cert_profile.c, file
 * handling pki/pem_file.c; docs/pki.md has the design.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "m2msec/ca.h"
#include "m2msec/mem.h"
#include "pki/ca_int.h"
#include "pki/cert_facts.h"
#include "pki/cert_profile.h"
#include "pki/pem_file.h"

static m2m_err ca_path(const char *dir, const char *file, char *out, size_t cap)
{
	size_t d = strlen(dir), f = strlen(file);

	if (d == 0 || d + 1 + f + 1 > cap)
		return M2M_E_RANGE;
	memcpy(out, dir, d);
	out[d] = '/';
	memcpy(out + d + 1, file, f + 1);
	return M2M_OK;
}

m2m_err m2mi_ca_check_days(int days, int def, int *out)
{
	if (days == 0)
		days = def;
	if (days < 1 || days > M2M_CA_DAYS_MAX)
		return M2M_E_RANGE;
	*out = days;
	return M2M_OK;
}

/* Copy a memory BIO's contents into a NUL-terminated malloc'd string. */
static m2m_err bio_to_string(BIO *bio, char **out)
{
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);

	*out = NULL;
	if (n <= 0 || data == NULL)
		return M2M_E_CRYPTO;
	if ((*out = malloc((size_t)n + 1)) == NULL)
		return M2M_E_NOMEM;
	memcpy(*out, data, (size_t)n);
	(*out)[n] = '\0';
	return M2M_OK;
}

m2m_err m2mi_ca_cert_to_pem(X509 *x, char **out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	m2m_err r = M2M_E_CRYPTO;

	*out = NULL;
	if (bio != NULL && PEM_write_bio_X509(bio, x))
		r = bio_to_string(bio, out);
	BIO_free(bio);
	return r;
}

/* PKCS#8 PEM through a secure-heap BIO, which is wiped when freed. */
m2m_err m2mi_ca_key_to_pem(EVP_PKEY *key, char **out)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	m2m_err r = M2M_E_CRYPTO;

	*out = NULL;
	if (bio != NULL && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
		r = bio_to_string(bio, out);
	BIO_free(bio);
	return r;
}

static m2m_err set_validity(X509 *x, int64_t nb, int64_t na)
{
	if (ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) == NULL)
		return M2M_E_CRYPTO;
	return M2M_OK;
}

static m2m_err set_cn(X509_NAME *name, const char *cn)
{
	if (!X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn, -1,
					-1, 0))
		return M2M_E_INVAL;
	return M2M_OK;
}

m2m_err m2mi_ca_new_cert(X509_NAME *issuer, const char *cn, int64_t nb, int64_t na, EVP_PKEY *pub,
			 X509 **out)
{
	X509 *x = X509_new();
	m2m_err r = M2M_E_NOMEM;

	*out = NULL;
	if (x == NULL)
		return M2M_E_NOMEM;
	if (!X509_set_version(x, X509_VERSION_3) || (r = m2mi_cert_profile_serial(x)) != M2M_OK)
		goto out;
	if (cn != NULL && (r = set_cn(X509_get_subject_name(x), cn)) != M2M_OK)
		goto out;
	r = M2M_E_CRYPTO;
	if (!X509_set_issuer_name(x, issuer != NULL ? issuer : X509_get_subject_name(x)) ||
	    !X509_set_pubkey(x, pub))
		goto out;
	if ((r = set_validity(x, nb, na)) != M2M_OK)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return r;
}

/* One permitted subtree of type (GEN_DNS or GEN_URI) with value prefix+dom. */
static m2m_err push_subtree(STACK_OF(GENERAL_SUBTREE) *sk, int type, const char *prefix, const char *dom)
{
	GENERAL_SUBTREE *st = GENERAL_SUBTREE_new();
	ASN1_IA5STRING *v = ASN1_IA5STRING_new();
	unsigned char buf[258];
	size_t pl = strlen(prefix), dl = strlen(dom);
	m2m_err r = M2M_E_NOMEM;

	if (pl + dl > sizeof(buf)) {
		r = M2M_E_RANGE;
		goto out;
	}
	memcpy(buf, prefix, pl);
	memcpy(buf + pl, dom, dl);
	if (st == NULL || v == NULL || !ASN1_STRING_set(v, buf, (int)(pl + dl)))
		goto out;
	if (st->base == NULL && (st->base = GENERAL_NAME_new()) == NULL)
		goto out;
	GENERAL_NAME_set0_value(st->base, type, v);
	v = NULL;
	if (sk_GENERAL_SUBTREE_push(sk, st) <= 0)
		goto out;
	st = NULL;
	r = M2M_OK;
out:
	ASN1_IA5STRING_free(v);
	GENERAL_SUBTREE_free(st);
	return r;
}

/* critical nameConstraints permitting DNS:d, URI:d and URI:.d for every domain d. OpenSSL
 * matches a DNS constraint against the name and its subdomains, a URI constraint against the
 * URI's host exactly, or as a suffix when the constraint starts with '.'. */
static m2m_err add_name_constraints(X509 *x, char doms[][256], size_t n)
{
	NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();
	m2m_err r = M2M_E_NOMEM;

	if (nc == NULL || (nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null()) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((r = push_subtree(nc->permittedSubtrees, GEN_DNS, "", doms[i])) != M2M_OK ||
		    (r = push_subtree(nc->permittedSubtrees, GEN_URI, "", doms[i])) != M2M_OK ||
		    (r = push_subtree(nc->permittedSubtrees, GEN_URI, ".", doms[i])) != M2M_OK)
			goto out;
	r = X509_add1_ext_i2d(x, NID_name_constraints, nc, 1, X509V3_ADD_DEFAULT) == 1 ? M2M_OK : M2M_E_CRYPTO;
out:
	NAME_CONSTRAINTS_free(nc);
	return r;
}

/* Build, sign and profile-check the self-signed CA certificate. */
static m2m_err make_ca_cert(EVP_PKEY *key, const char *name, char doms[][256], size_t n, int days,
			    X509 **out)
{
	int64_t now = (int64_t)time(NULL);
	X509 *x = NULL;
	m2m_err r;

	*out = NULL;
	if ((r = m2mi_ca_new_cert(NULL, name, now - M2MI_CA_BACKDATE, now + (int64_t)days * M2MI_CA_DAY, key,
				  &x)) != M2M_OK)
		goto out;
	if ((r = m2mi_cert_profile_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")) ||
	    (r = m2mi_cert_profile_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature")) ||
	    (r = m2mi_cert_profile_ext(x, x, NID_subject_key_identifier, "hash")) ||
	    (r = m2mi_cert_profile_ext(x, x, NID_authority_key_identifier, "keyid:always")))
		goto out;
	if (n > 0 && (r = add_name_constraints(x, doms, n)) != M2M_OK)
		goto out;
	if (X509_sign(x, key, EVP_sha256()) <= 0) {
		r = M2M_E_CRYPTO;
		goto out;
	}
	if ((r = m2mi_cert_profile_check(x)) != M2M_OK)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	return r;
}

/* An existing directory is reused only when it is ours and holds no CA; it is tightened to 0700. */
static m2m_err prepare_dir(const char *dir, const char *key_path, const char *crt_path, bool *created)
{
	struct stat st;

	*created = false;
	if (mkdir(dir, 0700) == 0) {
		*created = true;
		return M2M_OK;
	}
	if (errno != EEXIST)
		return errno == ENOENT ? M2M_E_NOT_FOUND : M2M_E_IO;
	if (lstat(key_path, &st) == 0 || lstat(crt_path, &st) == 0)
		return M2M_E_EXISTS;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return M2M_E_EXISTS;
	if (st.st_uid != geteuid())
		return M2M_E_KEY_PERMS;
	return chmod(dir, 0700) == 0 ? M2M_OK : M2M_E_IO;
}

m2m_err m2m_ca_init(const char *dir, const char *name, const char *const *permits, size_t n, int days)
{
	char key_path[PATH_MAX], crt_path[PATH_MAX];
	char doms[M2M_CA_MAX_PERMITS][256];
	char *key_pem = NULL, *crt_pem = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	bool created = false;
	m2m_err r;

	if (dir == NULL || name == NULL || (n > 0 && permits == NULL))
		return M2M_E_INVAL;
	if (n > M2M_CA_MAX_PERMITS)
		return M2M_E_RANGE;
	if ((r = m2mi_cert_profile_cn(name)) != M2M_OK ||
	    (r = m2mi_ca_check_days(days, M2M_CA_DAYS_DEFAULT, &days)) != M2M_OK)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = m2mi_cert_profile_domain(permits[i], doms[i], sizeof(doms[i]))) != M2M_OK)
			return r;
	if ((r = ca_path(dir, "ca.key", key_path, sizeof(key_path))) != M2M_OK ||
	    (r = ca_path(dir, "ca.crt", crt_path, sizeof(crt_path))) != M2M_OK)
		return r;
	if ((r = prepare_dir(dir, key_path, crt_path, &created)) != M2M_OK)
		return r;
	if ((r = m2mi_cert_profile_keygen(&key)) != M2M_OK ||
	    (r = make_ca_cert(key, name, doms, n, days, &x)) != M2M_OK ||
	    (r = m2mi_ca_key_to_pem(key, &key_pem)) != M2M_OK ||
	    (r = m2mi_ca_cert_to_pem(x, &crt_pem)) != M2M_OK)
		goto out;
	{
		const struct m2mi_pem_out files[] = {
			{key_path, key_pem, strlen(key_pem), 0600},
			{crt_path, crt_pem, strlen(crt_pem), 0644},
		};
		r = m2mi_pem_file_write(files, 2);
	}
out:
	if (r != M2M_OK && created)
		(void)rmdir(dir);
	if (key_pem != NULL)
		m2m_freezero(key_pem, strlen(key_pem) + 1);
	free(crt_pem);
	EVP_PKEY_free(key);
	X509_free(x);
	return r;
}

int m2mi_ca_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static m2m_err load_key(const char *path, EVP_PKEY **out)
{
	char *pem = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	m2m_err r;

	*out = NULL;
	if ((r = m2mi_pem_file_read(path, true, &pem, &len)) != M2M_OK)
		return r;
	r = M2M_E_CERT;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) != NULL &&
	    (*out = PEM_read_bio_PrivateKey(bio, NULL, m2mi_ca_no_passphrase, NULL)) != NULL)
		r = M2M_OK;
	BIO_free(bio);
	m2m_freezero(pem, len + 1);
	return r;
}

m2m_err m2mi_ca_parse_cert(const char *buf, size_t len, X509 **out)
{
	const unsigned char *p = (const unsigned char *)buf;
	BIO *bio;

	*out = NULL;
	if (buf == NULL || len == 0 || len > INT_MAX)
		return M2M_E_CERT;
	if (len > 10 && memcmp(buf, "-----BEGIN", 10) == 0) { /* public: format sniffing */
		if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
			return M2M_E_NOMEM;
		*out = PEM_read_bio_X509(bio, NULL, m2mi_ca_no_passphrase, NULL);
		BIO_free(bio);
	} else if ((*out = d2i_X509(NULL, &p, (long)len)) != NULL && p != (const unsigned char *)buf + len) {
		X509_free(*out);
		*out = NULL;
	}
	return *out != NULL ? M2M_OK : M2M_E_CERT;
}

static m2m_err add_constraint(m2m_ca *ca, GENERAL_NAME *gn, bool permitted)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char **cons = NULL;
	bool *perm = NULL;
	char *s = NULL;
	m2m_err r = M2M_E_NOMEM;

	if (bio == NULL || GENERAL_NAME_print(bio, gn) <= 0 || (r = bio_to_string(bio, &s)) != M2M_OK)
		goto out;
	r = M2M_E_NOMEM;
	if ((cons = realloc(ca->cons, (ca->n_cons + 1) * sizeof(*cons))) == NULL)
		goto out;
	ca->cons = cons;
	if ((perm = realloc(ca->cons_permitted, (ca->n_cons + 1) * sizeof(*perm))) == NULL)
		goto out;
	ca->cons_permitted = perm;
	ca->cons[ca->n_cons] = s;
	ca->cons_permitted[ca->n_cons++] = permitted;
	s = NULL;
	r = M2M_OK;
out:
	free(s);
	BIO_free(bio);
	return r;
}

/* Fill the descriptive fields of a loaded CA (subject, serial, fingerprint, validity, subtrees). */
static m2m_err describe(m2m_ca *ca)
{
	NAME_CONSTRAINTS *nc = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	m2m_err r = M2M_E_NOMEM;

	if (bio == NULL || X509_NAME_print_ex(bio, X509_get_subject_name(ca->cert), 0, XN_FLAG_RFC2253) <= 0 ||
	    (r = bio_to_string(bio, &ca->subject)) != M2M_OK)
		goto out;
	r = M2M_E_CRYPTO;
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(ca->cert), NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL || (ca->serial = strdup(hex)) == NULL)
		goto out;
	if ((r = m2mi_cert_fingerprint(ca->cert, false, ca->fingerprint, sizeof(ca->fingerprint))) != M2M_OK)
		goto out;
	if ((r = m2mi_cert_time(X509_get0_notBefore(ca->cert), &ca->not_before)) != M2M_OK ||
	    (r = m2mi_cert_time(X509_get0_notAfter(ca->cert), &ca->not_after)) != M2M_OK)
		goto out;
	if ((nc = X509_get_ext_d2i(ca->cert, NID_name_constraints, NULL, NULL)) != NULL) {
		for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees) && r == M2M_OK; i++)
			r = add_constraint(ca, sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)->base, true);
		for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees) && r == M2M_OK; i++)
			r = add_constraint(ca, sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, i)->base, false);
	}
out:
	NAME_CONSTRAINTS_free(nc);
	OPENSSL_free(hex);
	BN_free(bn);
	BIO_free(bio);
	return r;
}

m2m_err m2m_ca_open(const char *dir, m2m_ca **out)
{
	char key_path[PATH_MAX], crt_path[PATH_MAX];
	char *crt = NULL;
	size_t crt_len = 0;
	EVP_PKEY *pub = NULL;
	m2m_ca *ca = NULL;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (dir == NULL)
		return M2M_E_INVAL;
	if ((r = ca_path(dir, "ca.key", key_path, sizeof(key_path))) != M2M_OK ||
	    (r = ca_path(dir, "ca.crt", crt_path, sizeof(crt_path))) != M2M_OK)
		return r;
	if ((ca = calloc(1, sizeof(*ca))) == NULL)
		return M2M_E_NOMEM;
	if ((r = load_key(key_path, &ca->key)) != M2M_OK ||
	    (r = m2mi_pem_file_read(crt_path, false, &crt, &crt_len)) != M2M_OK ||
	    (r = m2mi_ca_parse_cert(crt, crt_len, &ca->cert)) != M2M_OK)
		goto out;
	/* The pair must be a P-256 CA whose certificate matches the key and meets 10.1.1.3. */
	r = M2M_E_CERT;
	if (m2mi_cert_profile_pubkey(ca->key, &pub) != M2M_OK || X509_check_ca(ca->cert) < 1 ||
	    X509_check_private_key(ca->cert, ca->key) != 1 || m2mi_cert_profile_check(ca->cert) != M2M_OK)
		goto out;
	if ((r = m2mi_ca_cert_to_pem(ca->cert, &ca->cert_pem)) != M2M_OK || (r = describe(ca)) != M2M_OK)
		goto out;
	*out = ca;
	ca = NULL;
out:
	EVP_PKEY_free(pub);
	free(crt);
	m2m_ca_free(ca);
	return r;
}

void m2m_ca_free(m2m_ca *ca)
{
	if (ca == NULL)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca->cert_pem);
	free(ca->subject);
	free(ca->serial);
	for (size_t i = 0; i < ca->n_cons; i++)
		free(ca->cons[i]);
	free(ca->cons);
	free(ca->cons_permitted);
	m2m_freezero(ca, sizeof(*ca));
}

const char *m2m_ca_cert_pem(const m2m_ca *ca)
{
	return ca != NULL ? ca->cert_pem : NULL;
}

const char *m2m_ca_subject(const m2m_ca *ca)
{
	return ca != NULL ? ca->subject : NULL;
}

const char *m2m_ca_serial(const m2m_ca *ca)
{
	return ca != NULL ? ca->serial : NULL;
}

const char *m2m_ca_fingerprint(const m2m_ca *ca)
{
	return ca != NULL ? ca->fingerprint : NULL;
}

void m2m_ca_validity(const m2m_ca *ca, int64_t *not_before, int64_t *not_after)
{
	if (not_before != NULL)
		*not_before = ca != NULL ? ca->not_before : 0;
	if (not_after != NULL)
		*not_after = ca != NULL ? ca->not_after : 0;
}

size_t m2m_ca_constraint_count(const m2m_ca *ca)
{
	return ca != NULL ? ca->n_cons : 0;
}

const char *m2m_ca_constraint(const m2m_ca *ca, size_t i, bool *permitted)
{
	if (ca == NULL || i >= ca->n_cons)
		return NULL;
	if (permitted != NULL)
		*permitted = ca->cons_permitted[i];
	return ca->cons[i];
}
