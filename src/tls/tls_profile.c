/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the TLS part of the security profile a CSE receives from its MEF
 * (docs/procedures/mef.md "Security profile", docs/tls.md "Security profile"): the accepted
 * cipher suites (IANA names, TS-0003 clause 10.2) and extra trust anchors for client
 * certificates. The listener's SSL_CTX is shared by every loop thread and is never modified
 * once they run; instead the profile becomes an immutable, refcounted snapshot (the OpenSSL
 * cipher strings and a verify X509_STORE built once) swapped under a small mutex, and applied
 * to each connection in the ClientHello callback, before OpenSSL chooses the version and the
 * suite: SSL_set_cipher_list / SSL_set_ciphersuites with the INTERSECTION of the cipher policy
 * (tls_ctx.c) and the profile (never wider), SSL_set1_verify_cert_store with the configured
 * trust anchors plus the profile's. An empty intersection refuses every handshake (fail
 * closed); a profile naming only suites OpenSSL does not know is malformed and changes nothing.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls/tls_int.h"

struct m2mi_tls_prof {
	atomic_int refs;
	bool refuse;        /* empty intersection: every handshake fails */
	bool restrict12;    /* cipher_list differs from the policy */
	bool no12;          /* no TLS 1.2 suite left: TLS 1.3 only */
	bool restrict13;    /* tls13 differs from the policy */
	bool no13;          /* no TLS 1.3 suite left: TLS 1.2 only */
	/* the fast path: the policy's suites that the profile does NOT allow, as TLS protocol ids; a
	 * ClientHello offering none of them cannot end on a suite outside the profile */
	uint16_t banned[32];
	size_t n_banned;
	char cipher_list[512];
	char tls13[256];
	X509_STORE *store;  /* configured + profile anchors; NULL = the SSL_CTX's own store */
	STACK_OF(X509) *extra; /* the profile's own anchors (a SIGHUP reload rebuilds store with them) */
};

static void prof_put(struct m2mi_tls_prof *p)
{
	if (p == NULL || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	X509_STORE_free(p->store);
	sk_X509_pop_free(p->extra, X509_free);
	free(p);
}

void m2mi_tls_prof_free(struct m2mi_tls_prof *p)
{
	prof_put(p);
}

static bool append(char *buf, size_t cap, const char *name)
{
	size_t n = strlen(buf);
	int w = snprintf(buf + n, cap - n, "%s%s", n > 0 ? ":" : "", name);

	return w >= 0 && (size_t)w < cap - n;
}

static bool listed(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* The cipher part of the snapshot: intersection of the policy and the profile's IANA names. */
static m2m_err build_suites(struct m2mi_tls_prof *p, SSL_CTX *ctx, const char *const *suites, size_t n,
			    bool tls13_on)
{
	size_t known = 0, all12 = 0, all13 = 0, got12 = 0, got13 = 0;
	const char *iana, *ossl;

	for (size_t i = 0; i < n; i++) {
		/* OpenSSL's own table of standard names, to tell a suite it knows (perhaps outside our
		 * policy: no match, refused) from a name nobody knows (malformed profile) */
		if (suites[i] == NULL || strcmp(OPENSSL_cipher_name(suites[i]), "(NONE)") == 0)
			continue;
		known++;
	}
	if (known == 0)
		return M2M_E_PROTO;
	for (size_t i = 0; m2mi_tls_policy_suite(i, &ossl, &iana); i++) {
		all12++;
		if (listed(suites, n, iana)) {
			if (!append(p->cipher_list, sizeof(p->cipher_list), ossl))
				return M2M_E_INTERNAL;
			got12++;
		}
	}
	if (tls13_on) {
		char pol[sizeof(M2MI_TLS13_SUITES)];
		char *save = NULL;
		memcpy(pol, M2MI_TLS13_SUITES, sizeof(pol));
		for (char *t = strtok_r(pol, ":", &save); t != NULL; t = strtok_r(NULL, ":", &save)) {
			all13++;
			if (listed(suites, n, t)) { /* TLS 1.3: the IANA name is the OpenSSL name */
				if (!append(p->tls13, sizeof(p->tls13), t))
					return M2M_E_INTERNAL;
				got13++;
			}
		}
	}
	/* every suite the shared SSL_CTX may choose (read only; fixed since m2m_tls_new) */
	{
		STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
		for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
			const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
			const char *std = SSL_CIPHER_standard_name(c);
			bool is13 = (SSL_CIPHER_get_protocol_id(c) >> 8) == 0x13; /* RFC 8446 B.4 */
			if ((std != NULL && listed(suites, n, std)) || (is13 && !tls13_on))
				continue; /* allowed, or never negotiated (TLS 1.3 off) */
			if (p->n_banned == sizeof(p->banned) / sizeof(p->banned[0]))
				return M2M_E_INTERNAL;
			p->banned[p->n_banned++] = SSL_CIPHER_get_protocol_id(c);
		}
	}
	p->refuse = got12 + got13 == 0;
	p->restrict12 = got12 != all12;
	p->no12 = got12 == 0;
	p->restrict13 = tls13_on && got13 != all13;
	p->no13 = tls13_on && got13 == 0;
	return M2M_OK;
}

/* p->store = the configured anchors (ctx's store, read once here under its own lock) plus p->extra. */
static m2m_err store_from(struct m2mi_tls_prof *p, SSL_CTX *ctx)
{
	STACK_OF(X509) *conf = NULL;
	m2m_err r = M2M_E_NOMEM;

	if ((p->store = X509_STORE_new()) == NULL || (conf = X509_STORE_get1_all_certs(SSL_CTX_get_cert_store(ctx))) == NULL)
		goto out;
	r = M2M_E_CRYPTO;
	for (int i = 0; i < sk_X509_num(conf); i++)
		if (X509_STORE_add_cert(p->store, sk_X509_value(conf, i)) != 1)
			goto out;
	for (int i = 0; i < sk_X509_num(p->extra); i++)
		if (X509_STORE_add_cert(p->store, sk_X509_value(p->extra, i)) != 1)
			goto out;
	r = M2M_OK;
out:
	sk_X509_pop_free(conf, X509_free);
	return r;
}

/* The verify store of the snapshot: the configured anchors plus the profile's CA certificates.
 * Built once per profile (and again by a reload that changes the configured ones). */
static m2m_err build_store(struct m2mi_tls_prof *p, SSL_CTX *ctx, const char *const *pems, size_t n)
{
	if ((p->extra = sk_X509_new_null()) == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		BIO *b;
		X509 *x = NULL;
		if (pems[i] == NULL || (b = BIO_new_mem_buf(pems[i], -1)) == NULL)
			return M2M_E_PROTO;
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
		/* a trust anchor is a CA certificate; anything else makes the profile malformed */
		if (x == NULL || X509_check_ca(x) <= 0 || sk_X509_push(p->extra, x) <= 0) {
			X509_free(x);
			return M2M_E_PROTO;
		}
	}
	return store_from(p, ctx);
}

m2m_err m2mi_tls_prof_rebase(m2m_tls *tls, SSL_CTX *fresh, struct m2mi_tls_prof **out)
{
	struct m2mi_tls_prof *p, *q = NULL;
	m2m_err r = M2M_OK;

	*out = NULL;
	pthread_mutex_lock(&tls->prof_mu);
	if ((p = tls->prof) != NULL)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&tls->prof_mu);
	if (p == NULL || p->store == NULL)
		goto out; /* no profile anchors: the new context's store is used as it is */
	r = M2M_E_NOMEM;
	if ((q = malloc(sizeof(*q))) == NULL)
		goto out;
	*q = *p; /* the suite restrictions stay */
	atomic_init(&q->refs, 1);
	q->store = NULL;
	if ((q->extra = X509_chain_up_ref(p->extra)) == NULL)
		goto out;
	if ((r = store_from(q, fresh)) != M2M_OK)
		goto out;
	*out = q;
	q = NULL;
out:
	prof_put(q); /* its extra is NULL or its own copy */
	prof_put(p);
	return r;
}

void m2mi_tls_prof_swap(m2m_tls *tls, struct m2mi_tls_prof *p)
{
	struct m2mi_tls_prof *old;

	if (p == NULL)
		return;
	pthread_mutex_lock(&tls->prof_mu);
	old = tls->prof;
	tls->prof = p;
	pthread_mutex_unlock(&tls->prof_mu);
	prof_put(old);
}

m2m_err m2m_tls_set_profile(m2m_tls *tls, const char *const *suites, size_t n_suites, const char *const *anchors,
			    size_t n_anchors)
{
	struct m2mi_tls_prof *p, *old;
	SSL_CTX *cur;
	m2m_err r;

	if (!m2mi_tls_ok(tls) || (n_suites > 0 && suites == NULL) || (n_anchors > 0 && anchors == NULL))
		return M2M_E_INVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return M2M_E_NOMEM;
	atomic_init(&p->refs, 1);
	/* one writer at a time: a reload between reading the context and the swap below would leave
	 * this profile on the anchors the reload replaced */
	pthread_mutex_lock(&tls->cfg_mu);
	r = (cur = m2mi_tls_ctx_get(tls)) != NULL ? M2M_OK : M2M_E_INTERNAL;
	if (r == M2M_OK && n_suites > 0)
		r = build_suites(p, cur, suites, n_suites, SSL_CTX_get_max_proto_version(cur) == TLS1_3_VERSION);
	if (r == M2M_OK && n_anchors > 0)
		r = build_store(p, cur, anchors, n_anchors);
	SSL_CTX_free(cur);
	ERR_clear_error();
	if (r != M2M_OK) {
		pthread_mutex_unlock(&tls->cfg_mu);
		prof_put(p); /* malformed: the last good snapshot stays */
		return r;
	}
	pthread_mutex_lock(&tls->prof_mu);
	old = tls->prof;
	tls->prof = p;
	pthread_mutex_unlock(&tls->prof_mu);
	pthread_mutex_unlock(&tls->cfg_mu);
	prof_put(old);
	return M2M_OK;
}

/* True when the client offers a policy suite the profile does not allow: only then must this
 * connection's list be narrowed (SSL_set_cipher_list costs a full cipher-string parse). */
static bool offers_banned(SSL *ssl, const struct m2mi_tls_prof *p)
{
	const unsigned char *ids = NULL;
	size_t len = SSL_client_hello_get0_ciphers(ssl, &ids);

	if (ids == NULL)
		return true; /* indeterminate: narrow */
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint16_t id = (uint16_t)((ids[i] << 8) | ids[i + 1]);
		for (size_t k = 0; k < p->n_banned; k++)
			if (p->banned[k] == id)
				return true;
	}
	return false;
}

/* Per connection, before the version and suite are chosen (OpenSSL runs this callback first). */
int m2mi_tls_prof_hello_cb(SSL *ssl, int *al, void *arg)
{
	m2m_tls *tls = m2mi_tls_of_ssl(ssl);
	struct m2mi_tls_prof *p;
	bool ok = true;

	(void)arg;
	if (tls == NULL) {
		*al = SSL_AD_INTERNAL_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	pthread_mutex_lock(&tls->prof_mu);
	if ((p = tls->prof) != NULL)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&tls->prof_mu);
	if (p == NULL)
		return SSL_CLIENT_HELLO_SUCCESS; /* no profile: the policy as configured */
	if (p->refuse) {
		ok = false;
	} else if (p->n_banned > 0 && offers_banned(ssl, p)) {
		if (p->no12)
			ok = SSL_set_min_proto_version(ssl, TLS1_3_VERSION) == 1;
		else if (p->restrict12)
			ok = SSL_set_cipher_list(ssl, p->cipher_list) == 1;
		if (ok && p->no13)
			ok = SSL_set_max_proto_version(ssl, TLS1_2_VERSION) == 1;
		else if (ok && p->restrict13)
			ok = SSL_set_ciphersuites(ssl, p->tls13) == 1;
	}
	if (ok && !p->refuse && p->store != NULL)
		ok = SSL_set1_verify_cert_store(ssl, p->store) == 1;
	prof_put(p);
	if (!ok) {
		m2mi_tls_log_refused(__func__, "handshake", "no cipher suite of the security profile", M2M_E_AUTH);
		*al = SSL_AD_HANDSHAKE_FAILURE;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}
