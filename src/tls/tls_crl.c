/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements certificate status checking of client certificates with a CRL (TS-0003
 * clause 8.1.2.2 "certificate status verification"; RFC 5280 sections 5 and 6.3): the CRL file
 * configured as crl-file (PEM, one or more CRLs, e.g. `m2msec ca crl` of the MEF CA) is loaded
 * at start and re-read every crl-refresh-seconds; each certificate handshake verifies the leaf
 * with X509_V_FLAG_CRL_CHECK against the CRLs held now. Fail closed: a file that is missing or
 * does not parse at a refresh leaves no CRL, so every certificate client is refused until a good
 * file is back; a CRL past its nextUpdate or with a bad signature refuses them too (OpenSSL's
 * X509_V_ERR_CRL_HAS_EXPIRED / CRL_SIGNATURE_FAILURE); a leaf whose issuer has no CRL in the file
 * is refused (X509_V_ERR_UNABLE_TO_GET_CRL). The re-read is a local file of bounded size under a
 * try-lock: one handshake pays for it, the others keep the previous CRLs meanwhile.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "m2msec/file.h"
#include "tls/tls_int.h"

#define CRL_FILE_MAX (8u * 1024u * 1024u)

struct m2mi_tls_crl {
	pthread_mutex_t mu;
	char *path;
	int64_t refresh_s;
	int64_t next_load;
	STACK_OF(X509_CRL) *crls; /* NULL = none usable: every certificate client is refused */
};

/* The CRLs of the PEM file at path, or NULL. */
static STACK_OF(X509_CRL) *load(const char *path)
{
	STACK_OF(X509_CRL) *sk = NULL;
	STACK_OF(X509_INFO) *infos = NULL;
	char *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;

	if (m2m_file_read(path, CRL_FILE_MAX, 0, &buf, &len) != M2M_OK || len > INT_MAX ||
	    (bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		goto out;
	if ((infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL)) == NULL || (sk = sk_X509_CRL_new_null()) == NULL)
		goto out;
	for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *in = sk_X509_INFO_value(infos, i);
		if (in->crl != NULL && sk_X509_CRL_push(sk, in->crl) > 0)
			in->crl = NULL;
	}
	if (sk_X509_CRL_num(sk) == 0) {
		sk_X509_CRL_free(sk);
		sk = NULL;
	}
out:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	free(buf);
	ERR_clear_error();
	return sk;
}

m2m_err m2mi_tls_crl_new(const char *path, int refresh_s, m2mi_tls_crl **out)
{
	m2mi_tls_crl *c;

	*out = NULL;
	if (path == NULL || refresh_s < 0)
		return M2M_E_CONFIG;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		return M2M_E_NOMEM;
	}
	pthread_mutex_init(&c->mu, NULL);
	c->refresh_s = refresh_s > 0 ? refresh_s : M2MI_TLS_CRL_REFRESH_DEFAULT;
	c->next_load = (int64_t)time(NULL) + c->refresh_s;
	if ((c->crls = load(path)) == NULL) {
		m2mi_tls_crl_free(c);
		return M2M_E_CONFIG; /* configured but unusable at start: refuse to start */
	}
	*out = c;
	return M2M_OK;
}

void m2mi_tls_crl_expire(m2mi_tls_crl *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->next_load = 0; /* the next certificate handshake re-reads the file */
	pthread_mutex_unlock(&c->mu);
}

void m2mi_tls_crl_free(m2mi_tls_crl *c)
{
	if (c == NULL)
		return;
	sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
	pthread_mutex_destroy(&c->mu);
	free(c->path);
	free(c);
}

static STACK_OF(X509_CRL) *copy_stack(STACK_OF(X509_CRL) *in)
{
	STACK_OF(X509_CRL) *sk = sk_X509_CRL_new_null();

	for (int i = 0; sk != NULL && in != NULL && i < sk_X509_CRL_num(in); i++) {
		X509_CRL *x = sk_X509_CRL_value(in, i);
		if (X509_CRL_up_ref(x) != 1 || sk_X509_CRL_push(sk, x) <= 0) {
			X509_CRL_free(x);
			sk_X509_CRL_pop_free(sk, X509_CRL_free);
			return NULL;
		}
	}
	return sk;
}

STACK_OF(X509_CRL) *m2mi_tls_crl_current(m2mi_tls_crl *c, int64_t now)
{
	STACK_OF(X509_CRL) *sk, *fresh;

	pthread_mutex_lock(&c->mu);
	if (now >= c->next_load) {
		c->next_load = now + c->refresh_s;
		pthread_mutex_unlock(&c->mu);
		fresh = load(c->path); /* outside the lock: other handshakes use the old CRLs */
		pthread_mutex_lock(&c->mu);
		sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
		c->crls = fresh; /* NULL when missing or bad: fail closed */
	}
	sk = copy_stack(c->crls);
	pthread_mutex_unlock(&c->mu);
	return sk;
}

void m2mi_tls_crl_attach(m2mi_tls_crl *c, X509_STORE_CTX *xs, STACK_OF(X509_CRL) **held)
{
	*held = NULL;
	if (c == NULL)
		return;
	/* An empty stack still checks: no CRL for the issuer = X509_V_ERR_UNABLE_TO_GET_CRL. */
	*held = m2mi_tls_crl_current(c, (int64_t)time(NULL));
	X509_STORE_CTX_set0_crls(xs, *held);
	X509_STORE_CTX_set_flags(xs, X509_V_FLAG_CRL_CHECK);
}
