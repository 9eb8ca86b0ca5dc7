/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the helpers shared by the TLS unit tests (test_tls_ctx.c, test_psk.c,
 * test_psk_file.c, test_peer.c): in-process handshakes over a memory BIO pair, a PSK client,
 * and run-time generation of P-256/RSA keys and X.509 certificates with the OpenSSL API (no key
 * material is ever committed), written to a private temporary directory.
 */
#ifndef M2M_TLS_TEST_H
#define M2M_TLS_TEST_H

#include "m2m_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "m2msec/hex.h"
#include "m2msec/tls.h"

static char tt_dir_path[64];

/* Remove the scratch directory and the (generated) keys in it at exit. */
static inline void tt_dir_cleanup(void)
{
	m2m_test_rmdir(tt_dir_path);
}

/* A private scratch directory (mode 0700), created once per process, removed at exit. */
static inline const char *tt_dir(void)
{
	if (tt_dir_path[0] == '\0') {
		snprintf(tt_dir_path, sizeof(tt_dir_path), "/tmp/m2m-tls-test-XXXXXX");
		assert_non_null(mkdtemp(tt_dir_path));
		atexit(tt_dir_cleanup);
	}
	return tt_dir_path;
}

/* Write text to <tt_dir>/name with mode; returns the path (static buffer, copy if kept). */
static inline const char *tt_write(const char *name, const char *text, mode_t mode)
{
	static char path[4][256];
	static int slot;
	char *p = path[slot++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", tt_dir(), name);
	unlink(p);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

/* ---- PSK client ------------------------------------------------------------------------- */

struct tt_psk {
	const char *identity;
	uint8_t key[64];
	size_t len;
};

static inline unsigned int tt_psk_client_cb(SSL *ssl, const char *hint, char *identity,
					    unsigned int max_identity_len, unsigned char *psk,
					    unsigned int max_psk_len)
{
	const struct tt_psk *p = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));

	(void)hint;
	if (p == NULL || strlen(p->identity) + 1 > max_identity_len || p->len > max_psk_len)
		return 0;
	memcpy(identity, p->identity, strlen(p->identity) + 1);
	memcpy(psk, p->key, p->len);
	return (unsigned int)p->len;
}

/* A client SSL_CTX offering the given TLS 1.2 ciphers (or TLS 1.3 suites when ver is 1.3). */
static inline SSL_CTX *tt_client_ctx(int minver, int maxver, const char *ciphers, const char *suites)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	assert_non_null(c);
	assert_int_equal(SSL_CTX_set_min_proto_version(c, minver), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(c, maxver), 1);
	if (ciphers != NULL)
		assert_int_equal(SSL_CTX_set_cipher_list(c, ciphers), 1);
	if (suites != NULL)
		assert_int_equal(SSL_CTX_set_ciphersuites(c, suites), 1);
	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	return c;
}

static inline SSL_CTX *tt_psk_client(struct tt_psk *p, int maxver, const char *ciphers)
{
	SSL_CTX *c = tt_client_ctx(TLS1_2_VERSION, maxver, ciphers,
				   maxver == TLS1_3_VERSION ? "TLS_AES_128_GCM_SHA256" : NULL);

	SSL_CTX_set_app_data(c, p);
	SSL_CTX_set_psk_client_callback(c, tt_psk_client_cb);
	return c;
}

static inline void tt_psk_set(struct tt_psk *p, const char *identity, const char *hexkey)
{
	p->identity = identity;
	assert_int_equal(m2m_hex_decode(hexkey, strlen(hexkey), p->key, sizeof(p->key), &p->len), M2M_OK);
}

/* ---- handshakes ------------------------------------------------------------------------- */

struct tt_conn {
	SSL *c, *s;
};

/* Run the handshake of both ends over a memory BIO pair; true when both completed. */
static inline bool tt_handshake(SSL_CTX *server, SSL_CTX *client, const char *sni, struct tt_conn *conn)
{
	BIO *bc = NULL, *bs = NULL;
	bool cdone = false, sdone = false, ok = true;

	conn->c = SSL_new(client);
	conn->s = SSL_new(server);
	assert_non_null(conn->c);
	assert_non_null(conn->s);
	assert_int_equal(BIO_new_bio_pair(&bc, 0, &bs, 0), 1);
	SSL_set_bio(conn->c, bc, bc);
	SSL_set_bio(conn->s, bs, bs);
	SSL_set_connect_state(conn->c);
	SSL_set_accept_state(conn->s);
	if (sni != NULL)
		assert_int_equal(SSL_set_tlsext_host_name(conn->c, sni), 1);
	for (int i = 0; i < 64 && ok && !(cdone && sdone); i++) {
		SSL *e[2] = {conn->c, conn->s};
		bool *d[2] = {&cdone, &sdone};
		for (int k = 0; k < 2 && ok; k++) {
			int r;
			if (*d[k])
				continue;
			r = SSL_do_handshake(e[k]);
			if (r == 1) {
				*d[k] = true;
			} else {
				int err = SSL_get_error(e[k], r);
				ok = err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
			}
		}
	}
	/* TLS 1.3: the server verifies the client's last flight; make the client see the result. */
	if (ok && cdone && sdone) {
		char b = 'x';
		ok = SSL_write(conn->c, &b, 1) == 1 && SSL_read(conn->s, &b, 1) == 1 &&
		     SSL_write(conn->s, &b, 1) == 1 && SSL_read(conn->c, &b, 1) == 1;
	}
	ERR_clear_error();
	return ok && cdone && sdone;
}

static inline void tt_conn_free(struct tt_conn *conn)
{
	SSL_free(conn->c);
	SSL_free(conn->s);
	conn->c = conn->s = NULL;
}

/* One handshake, connection freed; true on success. */
static inline bool tt_try(SSL_CTX *server, SSL_CTX *client)
{
	struct tt_conn conn;
	bool ok = tt_handshake(server, client, NULL, &conn);

	tt_conn_free(&conn);
	return ok;
}

/* ---- keys and certificates -------------------------------------------------------------- */

static inline EVP_PKEY *tt_key_p256(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static inline EVP_PKEY *tt_key_rsa(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);

	assert_non_null(k);
	return k;
}

struct tt_cert_opts {
	const char *cn;
	const char *san;  /* OpenSSL syntax "URI:m2m://...,DNS:..." or NULL */
	bool ca;
	const char *ku;   /* keyUsage, NULL = leaf default "critical,digitalSignature" */
	const char *eku;  /* extendedKeyUsage or NULL (absent) */
	long from, to;    /* validity relative to now, seconds */
};

static inline void tt_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for key, signed by issuer_key (issuer NULL = self-signed). */
static inline X509 *tt_cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const struct tt_cert_opts *o)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), o->from));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), o->to));
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)o->cn, -1, -1, 0),
			 1);
	assert_int_equal(X509_set_subject_name(x, n), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n), 1);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	tt_ext(x, issuer != NULL ? issuer : x, NID_basic_constraints, o->ca ? "critical,CA:TRUE" : "CA:FALSE");
	tt_ext(x, issuer != NULL ? issuer : x, NID_key_usage,
	       o->ku != NULL ? o->ku : (o->ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"));
	tt_ext(x, issuer != NULL ? issuer : x, NID_subject_key_identifier, "hash");
	if (issuer != NULL)
		tt_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	if (o->eku != NULL)
		tt_ext(x, issuer != NULL ? issuer : x, NID_ext_key_usage, o->eku);
	if (o->san != NULL)
		tt_ext(x, issuer != NULL ? issuer : x, NID_subject_alt_name, o->san);
	assert_true(X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

static inline const char *tt_write_cert(const char *name, X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *text;
	long n;
	const char *p;

	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &data);
	text = calloc(1, (size_t)n + 1);
	memcpy(text, data, (size_t)n);
	p = tt_write(name, text, 0644);
	free(text);
	BIO_free(b);
	return p;
}

static inline const char *tt_write_key(const char *name, EVP_PKEY *k, mode_t mode)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *text;
	long n;
	const char *p;

	assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(b, &data);
	text = calloc(1, (size_t)n + 1);
	memcpy(text, data, (size_t)n);
	p = tt_write(name, text, mode);
	OPENSSL_cleanse(text, (size_t)n);
	free(text);
	BIO_free(b);
	return p;
}

/* A P-256 leaf for san signed by issuer / ik (client and server use), written as <name>.crt and
 * <name>.key (0600) in the test directory; the paths into crt / key (cap bytes each). */
static inline void tt_write_leaf(EVP_PKEY *ik, X509 *issuer, const char *san, const char *name, char *crt,
				 char *key, size_t cap)
{
	struct tt_cert_opts o = {.cn = name, .san = san, .eku = "serverAuth,clientAuth", .from = -60, .to = 3600};
	EVP_PKEY *k = tt_key_p256();
	X509 *x = tt_cert(k, issuer, ik, &o);
	char n[64];

	snprintf(n, sizeof(n), "%s.crt", name);
	snprintf(crt, cap, "%s", tt_write_cert(n, x));
	snprintf(n, sizeof(n), "%s.key", name);
	snprintf(key, cap, "%s", tt_write_key(n, k, 0600));
	X509_free(x);
	EVP_PKEY_free(k);
}

#endif
