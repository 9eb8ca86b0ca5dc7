/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface shared by the TLS security-association files of
 * tls/ (TS-0003 clauses 8.2, 10.2): tls_ctx.c (the SSL_CTX, the one cipher policy, SNI, the
 * per-connection binding slot), psk_file.c (the operator's pre-provisioned Kpsa table),
 * psk.c (Provisioned Symmetric Key SAEF, clause 8.2.2.1: PSK callback and resolver chain) and
 * peer.c (Certificate-Based SAEF, clauses 8.2.2.2 and 8.1.2.5: client certificate -> bound
 * identity). Not installed; docs/tls.md holds the design.
 */
#ifndef M2M_TLS_INT_H
#define M2M_TLS_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "m2msec/tls.h"

#define M2MI_TLS_MAGIC 0x6d32746cu /* "m2tl": catches use of a freed or foreign pointer */
/* At most this many PSK resolvers (built-ins included). */
#define M2MI_TLS_RESOLVERS_MAX 8
/* Largest credential file read (psk-file, private key), bytes. */
#define M2MI_TLS_FILE_MAX (64u << 20)
/* Longest PSK identity considered (RFC 4279 allows 2^16-1; OpenSSL passes at most 256). */
#define M2MI_PSK_IDENTITY_MAX 256

typedef struct m2mi_psk_table m2mi_psk_table;

struct m2mi_psk_resolver {
	m2m_psk_resolve_fn fn;
	m2m_psk_start_fn afn; /* an asynchronous resolver (psk_async.c); with fn too, fn answers where
			       * no handshake can wait (the credential store on PostgreSQL, psk.c) */
	void *ctx;
	bool esprim_only;     /* asked by m2m_tls_esprim_lookup only, never by a handshake */
};

struct m2m_tls {
	uint32_t magic;
	SSL_CTX *ctx;
	m2mi_psk_table *psk_table;     /* psk-file entries, NULL = none */
	m2m_credstore *store;          /* borrowed, NULL = none */
	pthread_mutex_t store_lock;    /* the store handle is single-threaded (SQLite NOMUTEX) */
	bool store_lock_init;
	struct m2mi_psk_resolver resolvers[M2MI_TLS_RESOLVERS_MAX];
	size_t nresolvers;
	char sp_fqdn[256];             /* SP domain ("sp.example.com"), "" = none */
	bool has_async;                /* an asynchronous resolver is in the chain */
	struct m2mi_tls_crl *crl;      /* crl-file state (tls_crl.c), NULL = no CRL checking */
	pthread_mutex_t prof_mu;       /* guards prof (the pointer swap only) */
	bool prof_mu_init;
	struct m2mi_tls_prof *prof;    /* the security profile snapshot (tls_profile.c), NULL = none */
	bool keep_psk;                 /* keep a copy of each handshake's PSK (psk_keep.c) */
	bool server_auth_only;         /* m2m_tls_config.server_auth_only: every association NONE */
	char psk_hint[64];             /* m2m_tls_set_psk_hint, "" = none (also on the DTLS context) */
	char *psk_file;                /* the psk-file path, re-read by m2m_tls_reload; NULL = none */
	pthread_rwlock_t psk_mu;       /* guards psk_table: lookups read, a reload swaps */
	bool psk_mu_init;
	/* SIGHUP's certificate reload (tls_reload.c): ctx is swapped under ctx_mu (readers take an
	 * SSL_CTX reference or make their SSL under the read lock); gen counts the swaps so the DTLS
	 * twin (coap_server.c) rebuilds itself; the paths are the ones ctx was built from. */
	pthread_rwlock_t ctx_mu;
	bool ctx_mu_init;
	pthread_mutex_t cfg_mu; /* one writer at a time: m2m_tls_reload, m2m_tls_set_profile */
	bool cfg_mu_init;
	_Atomic unsigned gen;
	char *cert_file, *key_file, *trust_anchors; /* NULL = none */
	bool allow_tls13;
	struct m2mi_store_pool *store_pool; /* psk.c: a remote credential store's lookup worker, or NULL */
};

/* TLS 1.3 suites of the policy (only with allow_tls13): SHA-256 suites, so TLS 1.3 external
 * PSKs work through the same PSK callback (OpenSSL 3.0 maps it to a SHA-256 PSK). */
#define M2MI_TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_8_SHA256:TLS_AES_128_CCM_SHA256"

/* ECDHE groups of the policy: P-256 first (RFC 8422 mandatory curve, TS-0003 clause 10.1.1). */
#define M2MI_TLS_GROUPS "P-256:X25519:P-384"
/* Certificate signatures of the policy: ECDSA P-256 with SHA-256 (clause 10.1.1); also what the
 * ESCertKE end-points (escertke.c) sign and accept. */
#define M2MI_TLS_CERT_SIGALGS "ECDSA+SHA256"

/* tls_ctx.c */
bool m2mi_tls_ok(const m2m_tls *tls);
/* THE builder of a complete server SSL_CTX of tls from cfg (policy, server certificate, client
 * certificate verification, PSK callback and hint), used by m2m_tls_new and by the reload: never
 * a second copy. strict_time: refuse a certificate outside its validity period (the reload).
 * errmsg names the file and the reason, never key material. */
m2m_err m2mi_tls_ctx_build(m2m_tls *tls, const m2m_tls_config *cfg, bool strict_time, SSL_CTX **out, char *errmsg,
			   size_t errcap);
/* The current server SSL_CTX, up-referenced (SSL_CTX_free it), or NULL. */
SSL_CTX *m2mi_tls_ctx_get(m2m_tls *tls);
/* How many times the server SSL_CTX was replaced (m2m_tls_reload). */
unsigned m2mi_tls_generation(m2m_tls *tls);
/* The m2m_tls whose SSL_CTX created ssl, or NULL. */
m2m_tls *m2mi_tls_of_ssl(const SSL *ssl);
/* Store a copy of sa as the binding of ssl (replacing any earlier one). */
m2m_err m2mi_tls_set_sa(SSL *ssl, const m2m_sa *sa);
/* The binding of ssl, or NULL. */
const m2m_sa *m2mi_tls_get_sa(const SSL *ssl);
/* A debug line about a refused peer, at most one per second process-wide (style.md #7). */
void m2mi_tls_log_refused(const char *func, const char *what, const char *peer_text, m2m_err why);
/* The one loader of a certificate chain and its private key into ctx (tls_ctx.c): a P-256 chain,
 * an unencrypted PEM key of mode 0600 that matches it; with strict_time the certificate must be
 * valid now (a reload must not replace a working certificate). M2M_E_CERT, or the key file's
 * error (M2M_E_KEY_PERMS ...), with the reason in errmsg (never key material). */
m2m_err m2mi_tls_load_cert_key(SSL_CTX *ctx, const char *cert_file, const char *key_file, bool strict_time,
			       char *errmsg, size_t errcap);

/*
 * Read a credential file: it must be a regular file owned by the effective user with no
 * group/other permission bits (else M2M_E_KEY_PERMS). *out is NUL-terminated; release it with
 * m2m_freezero(*out, *len + 1). Errors: M2M_E_NOT_FOUND, M2M_E_IO, M2M_E_TOO_LARGE, M2M_E_NOMEM.
 */
m2m_err m2mi_tls_read_secret_file(const char *path, char **out, size_t *len);
/* True for an EC key on P-256 (TS-0003 clause 10.1.1: id-ecPublicKey, secp256r1). */
bool m2mi_tls_key_is_p256(const EVP_PKEY *pk);
/* The i-th TLS 1.2 suite of the cipher policy (OpenSSL and IANA names); false past the end. */
bool m2mi_tls_policy_suite(size_t i, const char **openssl, const char **iana);
/* Copy s into dst (cap bytes) or fail with M2M_E_RANGE; dst is "" on failure. */
m2m_err m2mi_tls_copy(char *dst, size_t cap, const char *s);

/* The DTLS 1.2 SSL_CTX of tls (the CoAP binding): the same policy, certificate, PSK chain and
 * client-certificate verification as tls->ctx; the caller frees it (before tls). */
m2m_err m2mi_tls_dtls_ctx_new(m2m_tls *tls, SSL_CTX **out);

/* psk_file.c: the psk-file format ("KpsaID hex-key bound-identity" lines, docs/tls.md). */
/* Parse text[0..len); errmsg (may be NULL) receives "line N: reason" and never any field text.
 * Errors: M2M_E_CONFIG (malformed or duplicate line), M2M_E_TOO_LARGE, M2M_E_NOMEM. */
m2m_err m2mi_psk_file_parse(const char *text, size_t len, m2mi_psk_table **out, char *errmsg,
			    size_t errcap);
/* Check permissions (m2mi_tls_read_secret_file), read and parse path. */
m2m_err m2mi_psk_file_load(const char *path, m2mi_psk_table **out, char *errmsg, size_t errcap);
/* Wipe and free; NULL is a no-op. */
void m2mi_psk_table_free(m2mi_psk_table *t);
size_t m2mi_psk_table_count(const m2mi_psk_table *t);
/* Entry i (< count) in KpsaID order: borrowed canonical KpsaID, bound identity and key. */
m2m_err m2mi_psk_table_entry(const m2mi_psk_table *t, size_t i, const char **kpsaid, const char **bound,
			     const m2m_key **key);
/* A key file: one key in hex (16..64 bytes, surrounding white space ignored), checked like every
 * credential file (m2mi_tls_read_secret_file); every copy but *out is wiped. M2M_E_CONFIG when the
 * content is no such key (no key text in any message). Used for mqtt-psk-file. */
m2m_err m2mi_tls_read_hex_key(const char *path, m2m_key **out);
/* The psk-file resolver (m2m_psk_resolve_fn, ctx = the table). */
m2m_err m2mi_psk_file_resolve(void *ctx, const char *identity, int64_t now, m2m_key **key,
			      m2m_sa *binding);

/* psk.c */
/* Install the PSK callback and the built-in resolvers (psk-file, credential store). */
m2m_err m2mi_psk_setup(m2m_tls *tls, const m2m_tls_config *cfg, char *errmsg, size_t errcap);
/* Run the resolver chain for a presented identity; on success *key and *binding are complete.
 * An identity without the shape of a key identifier gives M2M_E_ID_BAD_FORM, before any lookup. */
m2m_err m2mi_psk_resolve(m2m_tls *tls, const char *identity, int64_t now, m2m_key **key,
			 m2m_sa *binding);

/* Install the PSK server callback of the chain on an SSL_CTX of the m2m_tls. */
void m2mi_psk_install(SSL_CTX *ctx);

/* Stop the credential store's lookup worker (psk.c) before the store lock goes; loops stopped. */
void m2mi_psk_store_pool_free(m2m_tls *tls);

/* psk_keep.c: with m2m_tls_keep_psk on, keep a copy of key on ssl (else nothing). */
m2m_err m2mi_psk_keep(m2m_tls *tls, SSL *ssl, const m2m_key *key);

/* psk_async.c */
/* Ask asynchronous resolver r for identity; when ssl is attached (m2m_tls_async_attach) and runs
 * in an ASYNC job, a pending lookup pauses the job until its answer, a cancel or a deadline. */
m2m_err m2mi_psk_async_call(const struct m2mi_psk_resolver *r, SSL *ssl, const char *identity, int64_t now,
			    m2m_key **key, m2m_sa *binding);
/* A lookup outside any handshake that may wait (m2m_tls_psk_lookup): kick(arg) runs once the
 * resolver has its answer, on the resolver's thread. */
struct m2mi_psk_kick {
	void (*fn)(void *arg);
	void *arg;
};
/* Ask asynchronous resolver r with a wait that calls kick when answered (the answer itself is
 * dropped: the caller asks the chain again and the resolver's cache answers). M2M_OK with *key
 * NULL = waiting; anything else is the resolver's immediate answer. */
m2m_err m2mi_psk_async_kick(const struct m2mi_psk_resolver *r, const struct m2mi_psk_kick *kick,
			    const char *identity, int64_t now, m2m_key **key, m2m_sa *binding);
/* SSL ex_data slots of psk_async.c; M2M_OK once created. */
m2m_err m2mi_psk_async_indices(void);

/* peer.c */
/* Check the CRL settings of cfg and load crl-file (once, at m2m_tls_new). */
m2m_err m2mi_peer_setup(m2m_tls *tls, const m2m_tls_config *cfg, char *errmsg, size_t errcap);
/* Install client-certificate verification against cfg->trust_anchors on ctx (a context of tls
 * being built by m2mi_tls_ctx_build). */
m2m_err m2mi_peer_ctx(m2m_tls *tls, SSL_CTX *ctx, const m2m_tls_config *cfg, char *errmsg, size_t errcap);
/* Give `to` (another SSL_CTX of tls) the client-certificate verification of `from` (tls's
 * current server context): the same verify mode, callback (CRL, profile, SAN mapping) and trust store. */
m2m_err m2mi_peer_copy(m2m_tls *tls, SSL_CTX *from, SSL_CTX *to);
/* The binding of a chain-verified leaf certificate (key type, usage and SAN rules of TS-0003
 * clause 10.1.1 and 8.1.2.5). sp_fqdn "" disables the DNS SAN mapping. */
m2m_err m2mi_peer_binding(X509 *leaf, const char *sp_fqdn, m2m_sa *out);

/* tls_profile.c: the security profile's suites and trust anchors, applied per connection. */
struct m2mi_tls_prof;
/* The ClientHello callback installed on the SSL_CTX (SSL_CTX_set_client_hello_cb). */
int m2mi_tls_prof_hello_cb(SSL *ssl, int *al, void *arg);
/* Drop the m2m_tls's reference to a snapshot (m2m_tls_free). */
void m2mi_tls_prof_free(struct m2mi_tls_prof *p);
/* For a reload to context fresh: a copy of the current profile whose verify store holds fresh's
 * anchors plus the profile's own (*out NULL: no profile anchors, nothing to rebuild). */
m2m_err m2mi_tls_prof_rebase(m2m_tls *tls, SSL_CTX *fresh, struct m2mi_tls_prof **out);
/* Publish p as the profile (NULL: no-op). */
void m2mi_tls_prof_swap(m2m_tls *tls, struct m2mi_tls_prof *p);

/* tls_crl.c: client-certificate CRL checking (crl-file, crl-refresh-seconds). */
#define M2MI_TLS_CRL_REFRESH_DEFAULT 300
typedef struct m2mi_tls_crl m2mi_tls_crl;
/* Load path (M2M_E_CONFIG when it holds no CRL); refresh_s 0 = the default. */
m2m_err m2mi_tls_crl_new(const char *path, int refresh_s, m2mi_tls_crl **out);
void m2mi_tls_crl_free(m2mi_tls_crl *c);
/* Re-read the file at the next use (m2m_tls_reload); NULL is a no-op. */
void m2mi_tls_crl_expire(m2mi_tls_crl *c);
/* The CRLs held now (re-read when the refresh is due), up-referenced; never NULL but on OOM. */
STACK_OF(X509_CRL) *m2mi_tls_crl_current(m2mi_tls_crl *c, int64_t now);
/* Make xs check the leaf against the current CRLs; free *held (sk_X509_CRL_pop_free) after. */
void m2mi_tls_crl_attach(m2mi_tls_crl *c, X509_STORE_CTX *xs, STACK_OF(X509_CRL) **held);

/* tls_metrics.c: the handshake counters (docs/operations.md). The info callback of the server
 * contexts, and the kind (enum m2mi_hs_kind) of the association a PSK handshake uses. */
void m2mi_tls_metrics_info(const SSL *ssl, int where, int ret);
void m2mi_tls_metrics_mark(SSL *ssl, int kind);

#endif
