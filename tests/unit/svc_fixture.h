/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the pieces shared by the service fixtures of the unit tests (the MEF's
 * mef_fixture.h, the MAF's maf_fixture.h, the credential-store tests): the tests' "now", a store
 * file in a fresh temporary directory and its removal with the SQLite side files, a request
 * primitive around one handler call, the key a TLS exporter would give (TS-0003 clause 10.3.1),
 * and a self-signed certificate made at run time.
 */
#ifndef M2M_TEST_SVC_FIXTURE_H
#define M2M_TEST_SVC_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "m2msec/kdf.h"
#include "m2msec/primitive.h"
#include "m2msec/sa.h"

/* "Now" of the tests: the real clock at the first use, because the association classifiers and
 * the TLS PSK callbacks read the real clock (a fixed date would turn into a time bomb). */
static inline int64_t sf_now(void)
{
	static int64_t t;

	if (t == 0)
		t = (int64_t)time(NULL);
	return t;
}

/* A fresh directory from tmpl ("/tmp/...XXXXXX") into dir and the path of file in it. */
static inline void sf_tmp_new(char *dir, size_t dcap, char *path, size_t pcap, const char *tmpl, const char *file)
{
	snprintf(dir, dcap, "%s", tmpl);
	assert_non_null(mkdtemp(dir));
	snprintf(path, pcap, "%s/%s", dir, file);
}

/* Remove the store at path with its SQLite side files, then its directory. */
static inline void sf_tmp_rm(const char *dir, const char *path)
{
	char p[320];
	const char *sfx[] = {"", "-wal", "-shm", "-journal"};

	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* A request op on to (rqi "rq1", body JSON text or NULL, From fr or NULL) and an empty response. */
static inline void sf_req_begin(m2m_request *req, m2m_response *rsp, m2m_op op, const char *to, const char *body,
				const char *fr)
{
	m2m_request_init(req);
	m2m_response_init(rsp);
	req->op = op;
	req->to = strdup(to);
	req->rqi = strdup("rq1");
	if (fr != NULL)
		req->fr = strdup(fr);
	if (body != NULL)
		assert_non_null(req->pc = json_loads(body, 0, NULL));
}

/* After the handler: the RSC; *pc_out (if not NULL) gets a reference to the content. */
static inline int sf_req_end(m2m_request *req, m2m_response *rsp, json_t **pc_out)
{
	int rsc = rsp->rsc;

	if (pc_out != NULL)
		*pc_out = json_incref(rsp->pc);
	m2m_request_clear(req);
	m2m_response_clear(rsp);
	return rsc;
}

/* The 32-byte key (with its Key Identifier at fqdn) of exporter output bytes all fill. */
static inline m2m_key *sf_exporter_key(uint8_t fill, const char *fqdn)
{
	uint8_t mat[48];
	m2m_key *k = NULL;

	memset(mat, fill, sizeof(mat));
	assert_int_equal(m2m_kdf_exporter_split(mat, fqdn, &k, NULL, 0), M2M_OK);
	return k;
}

/* A certificate association bound to id (entity AE or CSE), as the TLS layer reports one. */
static inline m2m_sa sf_cert_sa(const char *id, m2m_entity_kind ent)
{
	m2m_sa sa = {.kind = M2M_SA_CERT, .entity = ent};

	snprintf(sa.bound_id, sizeof(sa.bound_id), "%s", id);
	return sa;
}

/* A self-signed P-256 certificate (serial 7, CN cn, valid nb..na) as PEM (heap). */
static inline char *sf_self_signed_pem(const char *cn, time_t nb, time_t na)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *pem;
	long len;

	assert_non_null(pk);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, pk);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	len = BIO_get_mem_data(b, &data);
	pem = strndup(data, (size_t)len);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(pk);
	return pem;
}

#endif
