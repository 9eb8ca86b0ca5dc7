/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the fixture shared by the CA unit tests (test_ca.c, test_ca_issue.c): a
 * constrained CA ("Test CA", --permit sp.example.com) in a fresh mkdtemp directory, and checks of
 * the TS-0003 clause 10.1.1.1 key and signature profile with OpenSSL directly.
 */
#ifndef M2M_CA_FIXTURE_H
#define M2M_CA_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "m2m_test.h"
#include "m2msec/ca.h"
#include "m2msec/mem.h"

struct fx {
	char base[64];
	char dir[128];
	m2m_ca *ca;
};

static inline void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[512];

	if (d == NULL) {
		(void)unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		size_t pl = strlen(path), nl = strlen(e->d_name);
		if (pl + 1 + nl >= sizeof(sub))
			continue;
		memcpy(sub, path, pl);
		sub[pl] = '/';
		memcpy(sub + pl + 1, e->d_name, nl + 1);
		rm_rf(sub);
	}
	closedir(d);
	(void)rmdir(path);
}

static inline int setup(void **state)
{
	static const char *const permit[] = {"sp.example.com"};
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->base, sizeof(f->base), "/tmp/m2m_ca_XXXXXX");
	assert_non_null(mkdtemp(f->base));
	snprintf(f->dir, sizeof(f->dir), "%s/ca", f->base);
	assert_int_equal(m2m_ca_init(f->dir, "Test CA", permit, 1, 0), M2M_OK);
	assert_int_equal(m2m_ca_open(f->dir, &f->ca), M2M_OK);
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;

	m2m_ca_free(f->ca);
	rm_rf(f->base);
	free(f);
	return 0;
}

static inline X509 *pem_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(x);
	return x;
}

static inline X509 *file_cert(const char *path)
{
	FILE *fp = fopen(path, "r");
	X509 *x;

	assert_non_null(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	return x;
}

static inline int ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);
	assert_true(i >= 0);
	return X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static inline void assert_p256_uncompressed(X509 *x)
{
	const unsigned char *pk;
	int pklen;
	ASN1_OBJECT *alg;
	X509_ALGOR *pa;
	const void *pval;
	int ptype;
	char group[32];

	assert_true(X509_PUBKEY_get0_param(&alg, &pk, &pklen, &pa, X509_get_X509_PUBKEY(x)));
	X509_ALGOR_get0(NULL, &ptype, &pval, pa);
	assert_int_equal(OBJ_obj2nid(alg), NID_X9_62_id_ecPublicKey);
	assert_int_equal(ptype, V_ASN1_OBJECT);
	assert_int_equal(OBJ_obj2nid(pval), NID_X9_62_prime256v1);
	assert_int_equal(pklen, 65);
	assert_int_equal(pk[0], 0x04);
	assert_true(EVP_PKEY_get_utf8_string_param(X509_get0_pubkey(x), OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), NULL));
	assert_string_equal(group, "prime256v1");
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
}

#endif
