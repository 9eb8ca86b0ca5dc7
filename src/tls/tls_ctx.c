/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the server SSL_CTX of the secure CSE (TS-0003 clause 10.2; the CSE is
 * Entity B and always the (D)TLS server, clause 8.2.1): the cipher policy in one table (clause
 * 10.2.2 PSK and 10.2.3 ECDHE_ECDSA suites, TLS 1.2 minimum, TLS 1.3 optional), the hardening
 * options (no renegotiation, no compression, no resumption so every connection runs the
 * credential checks again), SNI (clause 10.2.1: accepted and recorded, never rejected), the
 * server certificate (clause 10.1.1 P-256 profile, key file 0600) and the per-connection slot
 * that holds the security association produced by psk.c or peer.c. docs/tls.md has the design.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "m2msec/file.h"
#include "m2msec/id.h"
#include "m2msec/log.h"
#include "m2msec/mem.h"
#include "tls/tls_int.h"

/*
 * THE cipher policy (TS-0003 clause 10.2). Server preference order: AEAD first, CCM_8 first
 * among PSK suites because constrained clients (and DTLS, clause 10.2.2) use it.
 */
static const struct tls_suite {
	const char *openssl; /* OpenSSL name */
	const char *iana;    /* RFC name */
	bool mandatory;      /* a "MUST implement" of clause 10.2.2 / 10.2.3 */
} tls12_suites[] = {
	{"PSK-AES128-CCM8", "TLS_PSK_WITH_AES_128_CCM_8", false},
	{"PSK-AES128-CCM", "TLS_PSK_WITH_AES_128_CCM", false},
	{"PSK-AES128-GCM-SHA256", "TLS_PSK_WITH_AES_128_GCM_SHA256", false},
	{"PSK-AES128-CBC-SHA256", "TLS_PSK_WITH_AES_128_CBC_SHA256", true},
	{"ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", false},
	{"ECDHE-ECDSA-AES128-CCM8", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", false},
	{"ECDHE-ECDSA-AES128-CCM", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", false},
	{"ECDHE-ECDSA-AES128-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", true},
};
/* TLS 1.3 (only with allow_tls13): M2MI_TLS13_SUITES (tls_int.h). */
#define TLS13_SUITES M2MI_TLS13_SUITES
/* ECDHE groups: P-256 first (RFC 8422 mandatory curve, the TS-0003 clause 10.1.1 curve). */
#define TLS_GROUPS M2MI_TLS_GROUPS
/* Signature algorithms a client certificate may use: ECDSA P-256 with SHA-256 (clause 10.1.1). */
#define TLS_CLIENT_SIGALGS M2MI_TLS_CERT_SIGALGS
/* Session id context: required by OpenSSL once client certificates are requested. */
#define TLS_SID_CTX "m2msec-cse"
/* Largest client certificate chain accepted (bytes); a P-256 chain of depth 3 is ~2 KiB. */
#define TLS_MAX_CERT_LIST (32 * 1024)

bool m2mi_tls_policy_suite(size_t i, const char **openssl, const char **iana)
{
	if (i >= sizeof(tls12_suites) / sizeof(tls12_suites[0]))
		return false;
	*openssl = tls12_suites[i].openssl;
	*iana = tls12_suites[i].iana;
	return true;
}

static pthread_once_t idx_once = PTHREAD_ONCE_INIT;
static int ctx_idx = -1; /* SSL_CTX ex_data: the owning m2m_tls */
static int sa_idx = -1;  /* SSL ex_data: the m2m_sa of the connection */

static void sa_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	m2m_freezero(ptr, sizeof(m2m_sa));
}

/* SSL_dup must not share the slot (double free); the copy starts without a binding. */
static int sa_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d, int idx, long argl,
		  void *argp)
{
	(void)to;
	(void)from;
	(void)idx;
	(void)argl;
	(void)argp;
	*from_d = NULL;
	return 1;
}

static void idx_init(void)
{
	ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	sa_idx = SSL_get_ex_new_index(0, NULL, NULL, sa_dup, sa_free);
}

static m2m_err tls_indices(void)
{
	if (pthread_once(&idx_once, idx_init) != 0 || ctx_idx < 0 || sa_idx < 0)
		return M2M_E_CRYPTO;
	return M2M_OK;
}

bool m2mi_tls_ok(const m2m_tls *tls)
{
	/* ctx_mu_init is set once the first context is in place (ctx itself changes on a reload) */
	return tls != NULL && tls->magic == M2MI_TLS_MAGIC && tls->ctx_mu_init;
}

SSL_CTX *m2mi_tls_ctx_get(m2m_tls *tls)
{
	SSL_CTX *c = NULL;

	if (!m2mi_tls_ok(tls) || pthread_rwlock_rdlock(&tls->ctx_mu) != 0)
		return NULL;
	if (SSL_CTX_up_ref(tls->ctx) == 1)
		c = tls->ctx;
	pthread_rwlock_unlock(&tls->ctx_mu);
	return c;
}

unsigned m2mi_tls_generation(m2m_tls *tls)
{
	return m2mi_tls_ok(tls) ? atomic_load(&tls->gen) : 0;
}

SSL *m2m_tls_ssl_new(m2m_tls *tls)
{
	SSL *ssl = NULL;

	/* SSL_new takes its own reference to the context: the connection keeps the context it was
	 * made with whatever a later reload publishes */
	if (!m2mi_tls_ok(tls) || pthread_rwlock_rdlock(&tls->ctx_mu) != 0)
		return NULL;
	ssl = SSL_new(tls->ctx);
	pthread_rwlock_unlock(&tls->ctx_mu);
	return ssl;
}

m2m_tls *m2mi_tls_of_ssl(const SSL *ssl)
{
	m2m_tls *tls;

	if (ssl == NULL || ctx_idx < 0)
		return NULL;
	tls = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_idx);
	return m2mi_tls_ok(tls) ? tls : NULL;
}

m2m_err m2mi_tls_set_sa(SSL *ssl, const m2m_sa *sa)
{
	m2m_sa *p;

	if (ssl == NULL || sa == NULL || sa_idx < 0)
		return M2M_E_INVAL;
	if ((p = SSL_get_ex_data(ssl, sa_idx)) == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return M2M_E_NOMEM;
		if (SSL_set_ex_data(ssl, sa_idx, p) != 1) {
			free(p);
			return M2M_E_CRYPTO;
		}
	}
	*p = *sa;
	return M2M_OK;
}

const m2m_sa *m2mi_tls_get_sa(const SSL *ssl)
{
	if (ssl == NULL || sa_idx < 0)
		return NULL;
	return SSL_get_ex_data(ssl, sa_idx);
}

m2m_err m2mi_tls_copy(char *dst, size_t cap, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (cap == 0)
		return M2M_E_RANGE;
	dst[0] = '\0';
	if (n >= cap)
		return M2M_E_RANGE;
	memcpy(dst, s != NULL ? s : "", n + 1);
	return M2M_OK;
}

static _Atomic int64_t refused_sec = -1;

void m2mi_tls_log_refused(const char *func, const char *what, const char *peer_text, m2m_err why)
{
	struct timespec ts;
	int64_t prev, now;
	char safe[65];
	size_t i = 0;

	if (!m2m_log_enabled(M2M_LOG_DEBUG) || clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return;
	now = (int64_t)ts.tv_sec;
	prev = atomic_load(&refused_sec);
	if (prev == now || !atomic_compare_exchange_strong(&refused_sec, &prev, now))
		return;
	/* Peer-controlled text: printable identifier characters only, truncated. */
	for (; peer_text != NULL && peer_text[i] != '\0' && i + 1 < sizeof(safe); i++) {
		unsigned char c = (unsigned char)peer_text[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '-' || c == '_' || c == '@' || c == '/' || c == ':' || c == ' ' ||
			  c == '(' || c == ')';
		safe[i] = ok ? (char)c : '?';
	}
	safe[i] = '\0';
	m2m_log_msg(M2M_LOG_DEBUG, func, "%s refused: \"%s\" (%s)", what, safe, m2m_strerror(why));
}

m2m_err m2mi_tls_read_secret_file(const char *path, char **out, size_t *len)
{
	return m2m_file_read(path, M2MI_TLS_FILE_MAX, M2M_FILE_SECRET, out, len);
}

bool m2mi_tls_key_is_p256(const EVP_PKEY *pk)
{
	char group[64];
	size_t glen = 0;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		return false;
	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen) != 1)
		return false;
	return strcmp(group, SN_X9_62_prime256v1) == 0; /* public: curve name */
}

/* SNI (TS-0003 clause 10.2.1): accept every name; returning OK makes OpenSSL acknowledge it and
 * keep it for SSL_get_servername(). An unknown name is not an error (docs/tls.md). */
static int sni_cb(SSL *ssl, int *al, void *arg)
{
	(void)ssl;
	(void)al;
	(void)arg;
	return SSL_TLSEXT_ERR_OK;
}

/* dtls: the same suites, groups and options on a DTLS 1.2 SSL_CTX (TS-0003 clause 10.2: UDP => DTLS 1.2). */
static m2m_err apply_policy(SSL_CTX *ctx, bool tls13, bool dtls)
{
	char list[512];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(tls12_suites) / sizeof(tls12_suites[0]); i++) {
		int w = snprintf(list + n, sizeof(list) - n, "%s%s", i > 0 ? ":" : "", tls12_suites[i].openssl);
		if (w < 0 || (size_t)w >= sizeof(list) - n)
			return M2M_E_INTERNAL;
		n += (size_t)w;
	}
	if (SSL_CTX_set_min_proto_version(ctx, dtls ? DTLS1_2_VERSION : TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, dtls ? DTLS1_2_VERSION : tls13 ? TLS1_3_VERSION : TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, list) != 1 || SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1 ||
	    SSL_CTX_set1_client_sigalgs_list(ctx, TLS_CLIENT_SIGALGS) != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 0) != 1 ||
	    /* needed with SSL_VERIFY_PEER: OpenSSL treats a TLS 1.3 external PSK as a resumption */
	    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)TLS_SID_CTX, sizeof(TLS_SID_CTX) - 1) != 1)
		return M2M_E_CRYPTO;
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_max_cert_list(ctx, TLS_MAX_CERT_LIST);
	SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
	SSL_CTX_set_info_callback(ctx, m2mi_tls_metrics_info); /* handshake counters */
	/* the security profile narrows each connection here, never the shared SSL_CTX */
	SSL_CTX_set_client_hello_cb(ctx, m2mi_tls_prof_hello_cb, NULL);
	return M2M_OK;
}

/* An encrypted key file is refused rather than prompting on a terminal. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

m2m_err m2mi_tls_load_cert_key(SSL_CTX *ctx, const char *cert_file, const char *key_file, bool strict_time,
				char *errmsg, size_t errcap)
{
	char *pem = NULL;
	size_t n = 0;
	BIO *bio = NULL;
	EVP_PKEY *pk = NULL;
	STACK_OF(X509) *chain = NULL; /* borrowed */
	m2m_err r;

	if ((r = m2mi_tls_read_secret_file(key_file, &pem, &n)) != M2M_OK) {
		snprintf(errmsg, errcap, "key file: %s", m2m_strerror(r));
		goto out;
	}
	r = M2M_E_CERT;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		snprintf(errmsg, errcap, "certificate file: no PEM certificate chain");
		goto out;
	}
	if (!m2mi_tls_key_is_p256(X509_get0_pubkey(SSL_CTX_get0_certificate(ctx)))) {
		snprintf(errmsg, errcap, "certificate file: key is not ECDSA P-256 (TS-0003 10.1.1)");
		goto out;
	}
	/* A reload must not replace a working certificate by one every client refuses. */
	if (strict_time && X509_cmp_current_time(X509_get0_notAfter(SSL_CTX_get0_certificate(ctx))) <= 0) {
		snprintf(errmsg, errcap, "certificate file: certificate expired (notAfter in the past)");
		goto out;
	}
	if (strict_time && X509_cmp_current_time(X509_get0_notBefore(SSL_CTX_get0_certificate(ctx))) >= 0) {
		snprintf(errmsg, errcap, "certificate file: certificate not yet valid (notBefore in the future)");
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)n)) == NULL ||
	    (pk = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL)) == NULL) {
		snprintf(errmsg, errcap, "key file: no unencrypted PEM private key");
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pk) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(errmsg, errcap, "key file: key does not match the certificate");
		goto out;
	}
	/* decoded extensions cached before the context is shared (see m2mi_peer_ctx) */
	(void)X509_check_purpose(SSL_CTX_get0_certificate(ctx), -1, 0);
	if (SSL_CTX_get0_chain_certs(ctx, &chain) == 1)
		for (int i = 0; i < sk_X509_num(chain); i++)
			(void)X509_check_purpose(sk_X509_value(chain, i), -1, 0);
	r = M2M_OK;
out:
	EVP_PKEY_free(pk);
	BIO_free(bio);
	m2m_freezero(pem, n + 1);
	return r;
}

static m2m_err set_sp(m2m_tls *tls, const char *sp_id, char *errmsg, size_t errcap)
{
	m2m_id *id = NULL;
	m2m_err r;

	if (sp_id == NULL)
		return M2M_OK;
	if ((r = m2m_id_parse(sp_id, strlen(sp_id), M2M_ID_SP_ID, &id)) != M2M_OK ||
	    (r = m2mi_tls_copy(tls->sp_fqdn, sizeof(tls->sp_fqdn), m2m_id_fqdn(id))) != M2M_OK) {
		snprintf(errmsg, errcap, "sp-id: %s", m2m_strerror(r));
		r = M2M_E_CONFIG;
	}
	m2m_id_free(id);
	return r;
}

m2m_err m2mi_tls_ctx_build(m2m_tls *tls, const m2m_tls_config *cfg, bool strict_time, SSL_CTX **out, char *errmsg,
			   size_t errcap)
{
	SSL_CTX *c = NULL;
	m2m_err r = M2M_E_CRYPTO;

	*out = NULL;
	if ((c = SSL_CTX_new(TLS_server_method())) == NULL || SSL_CTX_set_ex_data(c, ctx_idx, tls) != 1)
		goto out;
	if ((r = apply_policy(c, cfg->allow_tls13, false)) != M2M_OK)
		goto out;
	if (cfg->cert_file != NULL && (r = m2mi_tls_load_cert_key(c, cfg->cert_file, cfg->key_file, strict_time, errmsg, errcap)) != M2M_OK)
		goto out;
	if ((r = m2mi_peer_ctx(tls, c, cfg, errmsg, errcap)) != M2M_OK)
		goto out;
	m2mi_psk_install(c);
	r = M2M_E_CRYPTO;
	if (tls->psk_hint[0] != '\0' && SSL_CTX_use_psk_identity_hint(c, tls->psk_hint) != 1)
		goto out;
	*out = c;
	c = NULL;
	r = M2M_OK;
out:
	if (c != NULL)
		SSL_CTX_set_ex_data(c, ctx_idx, NULL);
	SSL_CTX_free(c);
	ERR_clear_error();
	return r;
}

/* Keep a copy of path in *dst (the reload re-reads it); NULL stays NULL. */
static m2m_err keep_path(char **dst, const char *path)
{
	if (path == NULL)
		return M2M_OK;
	return (*dst = strdup(path)) != NULL ? M2M_OK : M2M_E_NOMEM;
}

m2m_err m2m_tls_new_ex(const m2m_tls_config *cfg, m2m_tls **out, char *errmsg, size_t errcap)
{
	char scratch[8];
	m2m_tls *tls = NULL;
	m2m_err r;

	if (errmsg == NULL || errcap == 0) {
		errmsg = scratch;
		errcap = sizeof(scratch);
	}
	errmsg[0] = '\0';
	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (cfg == NULL)
		return M2M_E_INVAL;
	if ((cfg->cert_file == NULL) != (cfg->key_file == NULL) ||
	    (cfg->trust_anchors != NULL && cfg->cert_file == NULL)) {
		snprintf(errmsg, errcap, "a certificate needs its key; trust anchors need a certificate");
		return M2M_E_CONFIG;
	}
	if (cfg->server_auth_only &&
	    (cfg->cert_file == NULL || cfg->trust_anchors != NULL || cfg->psk_file != NULL || cfg->store != NULL)) {
		snprintf(errmsg, errcap, "server authentication only needs a certificate and no client credentials");
		return M2M_E_CONFIG;
	}
	if ((r = tls_indices()) != M2M_OK)
		return r;
	if ((tls = calloc(1, sizeof(*tls))) == NULL)
		return M2M_E_NOMEM;
	tls->magic = M2MI_TLS_MAGIC;
	tls->server_auth_only = cfg->server_auth_only;
	tls->allow_tls13 = cfg->allow_tls13;
	atomic_init(&tls->gen, 0);
	if (pthread_mutex_init(&tls->prof_mu, NULL) != 0) {
		r = M2M_E_INTERNAL;
		goto out;
	}
	tls->prof_mu_init = true;
	if (pthread_mutex_init(&tls->cfg_mu, NULL) != 0) {
		r = M2M_E_INTERNAL;
		goto out;
	}
	tls->cfg_mu_init = true;
	if ((r = set_sp(tls, cfg->sp_id, errmsg, errcap)) != M2M_OK)
		goto out;
	if ((r = keep_path(&tls->cert_file, cfg->cert_file)) != M2M_OK ||
	    (r = keep_path(&tls->key_file, cfg->key_file)) != M2M_OK ||
	    (r = keep_path(&tls->trust_anchors, cfg->trust_anchors)) != M2M_OK)
		goto out;
	if ((r = m2mi_peer_setup(tls, cfg, errmsg, errcap)) != M2M_OK)
		goto out;
	if ((r = m2mi_tls_ctx_build(tls, cfg, false, &tls->ctx, errmsg, errcap)) != M2M_OK)
		goto out;
	if (pthread_rwlock_init(&tls->ctx_mu, NULL) != 0) {
		r = M2M_E_INTERNAL;
		goto out;
	}
	tls->ctx_mu_init = true;
	if ((r = m2mi_psk_setup(tls, cfg, errmsg, errcap)) != M2M_OK)
		goto out;
	*out = tls;
	tls = NULL;
out:
	m2m_tls_free(tls);
	ERR_clear_error();
	return r;
}

m2m_err m2m_tls_new(const m2m_tls_config *cfg, m2m_tls **out)
{
	char msg[256];
	m2m_err r = m2m_tls_new_ex(cfg, out, msg, sizeof(msg));

	if (r != M2M_OK)
		m2m_log(M2M_LOG_ERROR, "TLS setup failed: %s%s%s", m2m_strerror(r), msg[0] ? ": " : "", msg);
	return r;
}

void m2m_tls_free(m2m_tls *tls)
{
	if (tls == NULL || tls->magic != M2MI_TLS_MAGIC)
		return;
	if (tls->ctx != NULL) {
		/* A connection outliving its m2m_tls finds no owner and fails closed. */
		SSL_CTX_set_ex_data(tls->ctx, ctx_idx, NULL);
		SSL_CTX_free(tls->ctx);
	}
	m2mi_psk_store_pool_free(tls);
	if (tls->ctx_mu_init)
		pthread_rwlock_destroy(&tls->ctx_mu);
	free(tls->cert_file);
	free(tls->key_file);
	free(tls->trust_anchors);
	m2mi_psk_table_free(tls->psk_table);
	free(tls->psk_file);
	if (tls->psk_mu_init)
		pthread_rwlock_destroy(&tls->psk_mu);
	m2mi_tls_crl_free(tls->crl);
	if (tls->store_lock_init)
		pthread_mutex_destroy(&tls->store_lock);
	m2mi_tls_prof_free(tls->prof);
	if (tls->prof_mu_init)
		pthread_mutex_destroy(&tls->prof_mu);
	if (tls->cfg_mu_init)
		pthread_mutex_destroy(&tls->cfg_mu);
	m2m_freezero(tls, sizeof(*tls));
}

/*
 * The DTLS 1.2 twin of tls->ctx for the CoAP binding (docs/coap-dtls.md): the same cipher policy
 * and options (apply_policy), the same server certificate chain, the same PSK callback and
 * resolver chain (psk.c) and the same client-certificate verification, trust store, CRL and
 * certificate -> m2m_sa mapping (peer.c), all owned by the same m2m_tls (its ex_data), so
 * m2m_tls_peer_sa() answers for a DTLS session exactly as for a TLS one. Never a second policy.
 */
m2m_err m2mi_tls_dtls_ctx_new(m2m_tls *tls, SSL_CTX **out)
{
	SSL_CTX *d = NULL, *cur = NULL;
	STACK_OF(X509) *chain = NULL;
	X509 *crt;
	EVP_PKEY *pk;
	m2m_err r = M2M_E_CRYPTO;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	/* the current server context, held: a reload may replace it meanwhile */
	if ((cur = m2mi_tls_ctx_get(tls)) == NULL)
		return M2M_E_INVAL;
	if ((d = SSL_CTX_new(DTLS_server_method())) == NULL || SSL_CTX_set_ex_data(d, ctx_idx, tls) != 1)
		goto out;
	if ((r = apply_policy(d, false, true)) != M2M_OK)
		goto out;
	r = M2M_E_CRYPTO;
	crt = SSL_CTX_get0_certificate(cur);
	pk = SSL_CTX_get0_privatekey(cur);
	if (crt != NULL && (SSL_CTX_use_certificate(d, crt) != 1 || pk == NULL || SSL_CTX_use_PrivateKey(d, pk) != 1 ||
			    SSL_CTX_get0_chain_certs(cur, &chain) != 1 ||
			    (chain != NULL && SSL_CTX_set1_chain(d, chain) != 1)))
		goto out;
	if ((r = m2mi_peer_copy(tls, cur, d)) != M2M_OK)
		goto out;
	m2mi_psk_install(d);
	if (tls->psk_hint[0] != '\0' && SSL_CTX_use_psk_identity_hint(d, tls->psk_hint) != 1)
		goto out; /* r is M2M_E_CRYPTO */
	*out = d;
	d = NULL;
	r = M2M_OK;
out:
	SSL_CTX_free(d);
	SSL_CTX_free(cur);
	ERR_clear_error();
	return r;
}

SSL_CTX *m2m_tls_ctx(m2m_tls *tls)
{
	SSL_CTX *c = NULL;

	if (!m2mi_tls_ok(tls) || pthread_rwlock_rdlock(&tls->ctx_mu) != 0)
		return NULL;
	c = tls->ctx;
	pthread_rwlock_unlock(&tls->ctx_mu);
	return c;
}

const char *m2m_tls_peer_servername(const SSL *ssl)
{
	return ssl != NULL ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : NULL;
}
