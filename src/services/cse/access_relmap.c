/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the authorization relationship mapping of the Hosting CSE (TS-0003
 * clauses 7.3.2.2 steps 5-8 and 7.3.2.7.1; TS-0004 Table 6.4.1-1 asi, aus, auri and the response
 * parameter asri): an AE whose AE-ID-Stem the Registrar assigns gets a new AE-ID when it
 * registers again, and the tokens issued to its old AE-ID would stop working (holder check,
 * clause 7.3.2.3 step 7.1.3). The AE proves it is the same author with an AuthorSign:
 *
 *   1. record (clause 7.3.2.2 steps 5-8): the token's holder, authenticated, presents it with
 *      asi=true; without aus the answer carries asri=true (sign, please); with an AuthorSign that
 *      verifies, an AuthorRelMapRecord {SubjectID = the holder, Token (digest), the author's key,
 *      ResourceID} is kept here, bounded and expiring with the token;
 *   2. map (clause 7.3.2.7.1): the re-registered AE (new AE-ID, authenticated) presents the old
 *      token; with no AuthorSign the CSE refuses 4103 with asri=true, with one by the record's key
 *      over a string naming the NEW AE-ID the record maps the holder old -> new (the shared cached
 *      token is never changed), and the token's privileges are evaluated for the holder named in
 *      the token. Another key, another AE without the key: 4103. After the mapping the old AE-ID
 *      no longer uses the token (the holder moved, step 6).
 *
 * Gaps filled (the specification leaves them open, documented in docs/procedures/das.md): the
 * AuthorSign is an ES256 signature with the key of the AE's certificate over a defined byte
 * string (relmap.h), carried with the certificate in one base64url entry; the record lives in the
 * Hosting CSE, not the DAS (steps 7-8 forward it to a DAS whose answer the CSE would compare by
 * equality, which an ECDSA signature does not support; the signed string here names the new
 * AE-ID so a signature seen on the wire is of no use to another AE).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/base64.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "m2msec/mem.h"
#include "services/cse/relmap.h"

struct m2mi_relmap {
	pthread_mutex_t mu;
	m2mi_relmap_rec *v;
	bool *used;
	size_t cap;
};

/* r||s (64 bytes) as the DER ECDSA-Sig-Value OpenSSL verifies. */
static unsigned char *der_sig(const uint8_t rs[64], int *len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, 32, NULL), *ss = BN_bin2bn(rs + 32, 32, NULL);
	unsigned char *der = NULL;

	*len = 0;
	if (s == NULL || r == NULL || ss == NULL || ECDSA_SIG_set0(s, r, ss) != 1) {
		BN_free(r);
		BN_free(ss);
		ECDSA_SIG_free(s);
		return NULL;
	}
	*len = i2d_ECDSA_SIG(s, &der);
	ECDSA_SIG_free(s);
	return *len > 0 ? der : NULL;
}

static bool p256(EVP_PKEY *k)
{
	char g[64];
	size_t gl = 0;

	return k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	       EVP_PKEY_get_group_name(k, g, sizeof(g), &gl) == 1 && strcmp(g, "prime256v1") == 0;
}

static m2m_err verify_sig(EVP_PKEY *k, const uint8_t rs[64], const uint8_t tdig[32], const char *originator,
			  const char *audience)
{
	size_t dl = sizeof(M2MI_AUS_DOMAIN), ol = strlen(originator) + 1, al = strlen(audience);
	size_t n = dl + 32 + ol + al;
	uint8_t *msg = malloc(n);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der;
	int derlen = 0;
	m2m_err r = M2M_E_NOMEM;

	der = der_sig(rs, &derlen);
	if (msg != NULL && md != NULL && der != NULL) {
		memcpy(msg, M2MI_AUS_DOMAIN, dl); /* with its NUL */
		memcpy(msg + dl, tdig, 32);
		memcpy(msg + dl + 32, originator, ol); /* with its NUL: no ambiguity with the audience */
		memcpy(msg + dl + 32 + ol, audience, al);
		r = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
				    EVP_DigestVerify(md, der, (size_t)derlen, msg, n) == 1
			    ? M2M_OK
			    : M2M_E_TOKEN_SIGNATURE;
	}
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	free(msg);
	return r;
}

m2m_err m2mi_author_sign_check(const char *entry, size_t len, const uint8_t tdig[32], const char *originator,
			       const char *audience, uint8_t spki[32])
{
	uint8_t *raw = NULL, *pk = NULL;
	const unsigned char *p;
	size_t rn = 0, cl;
	cjose_err cerr;
	X509 *cert = NULL;
	EVP_PKEY *key;
	int pkl;
	m2m_err r = M2M_E_TOKEN_FORMAT;

	if (len == 0 || len > M2MI_AUS_ENTRY_MAX || originator == NULL || audience == NULL)
		return M2M_E_TOKEN_FORMAT;
	for (size_t i = 0; i < len; i++) /* base64url alphabet only (no padding, no '.') */
		if (!((entry[i] >= 'A' && entry[i] <= 'Z') || (entry[i] >= 'a' && entry[i] <= 'z') ||
		      (entry[i] >= '0' && entry[i] <= '9') || entry[i] == '-' || entry[i] == '_'))
			return M2M_E_TOKEN_FORMAT;
	if (!cjose_base64url_decode(entry, len, &raw, &rn, &cerr))
		return M2M_E_TOKEN_FORMAT;
	if (rn < 2 + 64)
		goto out;
	cl = ((size_t)raw[0] << 8) | raw[1];
	if (cl == 0 || cl > M2MI_AUS_CERT_MAX || rn != 2 + cl + 64)
		goto out;
	p = raw + 2;
	if ((cert = d2i_X509(NULL, &p, (long)cl)) == NULL || p != raw + 2 + cl)
		goto out; /* not exactly one certificate */
	key = X509_get0_pubkey(cert);
	if (!p256(key)) {
		r = M2M_E_TOKEN_KEY;
		goto out;
	}
	if ((r = verify_sig(key, raw + 2 + cl, tdig, originator, audience)) != M2M_OK)
		goto out;
	if (spki != NULL) {
		if ((pkl = i2d_PUBKEY(key, &pk)) <= 0 || SHA256(pk, (size_t)pkl, spki) == NULL)
			r = M2M_E_NOMEM;
	}
out:
	OPENSSL_free(pk);
	X509_free(cert);
	free(raw);
	return r;
}

m2m_err m2mi_author_signs_find(const char *aus, const uint8_t tdig[32], const char *originator, const char *audience,
			       const uint8_t *want, uint8_t spki[32])
{
	const char *p = aus;
	size_t count = 0;
	m2m_err best = M2M_E_TOKEN_SIGNATURE;

	if (aus == NULL || *aus == '\0')
		return M2M_E_TOKEN_FORMAT;
	/* the list as a whole first: no empty entry ("a+", "a++b"), at most M2MI_AUS_MAX */
	for (const char *q = aus;; q++) {
		if (*q == '+' || *q == '\0') {
			if (q == aus || q[-1] == '+' || ++count > M2MI_AUS_MAX)
				return M2M_E_TOKEN_FORMAT;
			if (*q == '\0')
				break;
		}
	}
	for (;;) {
		size_t n = strcspn(p, "+");
		uint8_t k[32];
		m2m_err r;

		r = m2mi_author_sign_check(p, n, tdig, originator, audience, k);
		if (r == M2M_E_TOKEN_FORMAT || r == M2M_E_NOMEM)
			return r;
		if (r == M2M_OK && (want == NULL || m2m_ct_eq(k, want, 32))) {
			memcpy(spki, k, 32);
			return M2M_OK;
		}
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	return best;
}

/* ---- the record table ---------------------------------------------------------------------- */

m2m_err m2mi_relmap_new(size_t cap, m2mi_relmap **out)
{
	m2mi_relmap *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (cap == 0)
		cap = 1;
	if (m == NULL || (m->v = calloc(cap, sizeof(*m->v))) == NULL || (m->used = calloc(cap, sizeof(bool))) == NULL) {
		m2mi_relmap_free(m);
		return M2M_E_NOMEM;
	}
	m->cap = cap;
	pthread_mutex_init(&m->mu, NULL);
	*out = m;
	return M2M_OK;
}

void m2mi_relmap_free(m2mi_relmap *m)
{
	if (m == NULL)
		return;
	if (m->used != NULL)
		pthread_mutex_destroy(&m->mu);
	free(m->v);
	free(m->used);
	free(m);
}

static bool live(const m2mi_relmap *m, size_t i, int64_t now)
{
	return m->used[i] && m->v[i].until >= now;
}

/* The index of tdig's live record, or cap. Caller holds mu. */
static size_t find(const m2mi_relmap *m, const uint8_t tdig[32], int64_t now)
{
	for (size_t i = 0; i < m->cap; i++)
		if (live(m, i, now) && memcmp(m->v[i].tdig, tdig, 32) == 0) /* public: token digests */
			return i;
	return m->cap;
}

bool m2mi_relmap_get(m2mi_relmap *m, const uint8_t tdig[32], int64_t now, m2mi_relmap_rec *out)
{
	size_t i;

	pthread_mutex_lock(&m->mu);
	i = find(m, tdig, now);
	if (i < m->cap)
		*out = m->v[i];
	pthread_mutex_unlock(&m->mu);
	return i < m->cap;
}

m2m_err m2mi_relmap_put(m2mi_relmap *m, const m2mi_relmap_rec *rec, int64_t now)
{
	m2m_err r = M2M_OK;
	size_t i;

	pthread_mutex_lock(&m->mu);
	i = find(m, rec->tdig, now);
	if (i < m->cap) { /* one record per token, never taken over by another author */
		if (!m2m_ct_eq(m->v[i].spki, rec->spki, 32) || strcmp(m->v[i].subject, rec->subject) != 0)
			r = M2M_E_TOKEN_SIGNATURE;
	} else {
		for (i = 0; i < m->cap && live(m, i, now); i++)
			;
		if (i == m->cap) {
			r = M2M_E_STORAGE_FULL;
		} else {
			m->v[i] = *rec;
			m->v[i].mapped[0] = '\0';
			m->used[i] = true;
		}
	}
	pthread_mutex_unlock(&m->mu);
	return r;
}

m2m_err m2mi_relmap_map(m2mi_relmap *m, const uint8_t tdig[32], const uint8_t spki[32], const char *new_id,
			int64_t now)
{
	m2m_err r = M2M_OK;
	size_t i;

	if (strlen(new_id) >= M2M_ORIG_MAX)
		return M2M_E_INVAL;
	pthread_mutex_lock(&m->mu);
	i = find(m, tdig, now);
	if (i == m->cap)
		r = M2M_E_NOT_FOUND;
	else if (!m2m_ct_eq(m->v[i].spki, spki, 32))
		r = M2M_E_TOKEN_SIGNATURE;
	else
		memcpy(m->v[i].mapped, new_id, strlen(new_id) + 1);
	pthread_mutex_unlock(&m->mu);
	return r;
}

size_t m2mi_relmap_count(m2mi_relmap *m, int64_t now)
{
	size_t n = 0;

	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < m->cap; i++)
		n += live(m, i, now);
	pthread_mutex_unlock(&m->mu);
	return n;
}
