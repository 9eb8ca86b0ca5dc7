/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the benchmark of token verification (TS-0003 clauses 7.3.2.5-7.3.2.6,
 * docs/procedures/das.md) on one core, each next to the baseline in the same run:
 *   0. baseline: one ACP decision (m2m_acp_decide) over a one-rule setOfAcrs,
 *   1. warm: the token found in the verified-token cache (SHA-256 of the text + lookup),
 *      content check (audience, holder, window) and the decision over the token's pv,
 *   2. cold: full verification (parse, ES256 signature via libcjose, claims) + check + decision.
 * Prints operations per second and the ratios warm/baseline and cold/baseline. The library-level
 * bound for the CSE figure of bench/das (token-verified RETRIEVE/s vs ACP-only RETRIEVE/s).
 * Usage: bench_token [iterations]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bench_common.h"
#include "m2msec/acp.h"
#include "m2msec/token.h"

#define HOLDER "//sp.example.com/id-in/Cae1"
#define CSE "//sp.example.com/id-in"

static char *pem(EVP_PKEY *pk, X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	if (x)
		PEM_write_bio_X509(b, x);
	else
		PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	out = malloc((size_t)n + 1);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	return out;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	char *kp, *cp, *tok = NULL;
	m2m_token_signer *s = NULL;
	m2m_token_trust *trust = NULL;
	m2m_token_cache *cache = NULL;
	m2m_token *t = NULL;
	m2m_acp_rules *rules = NULL;
	static const char *const aud[] = {CSE};
	static const char *const ris[] = {"/id-in/cnt-1"};
	const char *pv = "{\"acr\":[{\"acor\":[\"" HOLDER "\"],\"acop\":2}]}";
	m2m_token_perm perm = {.ris = ris, .nris = 1, .pv_json = pv};
	int64_t now = 1800000000;
	m2m_token_claims cl = {.version = "1", .token_id = "00ff@sp.example.com", .issuer = "//sp.example.com/id-in/Cdas",
			       .holder = HOLDER, .not_before = now - 10, .not_after = now + 3600, .audience = aud,
			       .naudience = 1, .perms = &perm, .nperms = 1, .has_perms = true};
	m2m_token_verify_opts o = {.audience = CSE, .holder = HOLDER, .now = now, .skew = 60};
	m2m_acp_request req = {.orig_abs = HOLDER, .rq_authn = true, .op = M2M_ACP_OP_RETRIEVE, .time = now};
	double t0, base, warm, cold;
	volatile unsigned sink = 0;
	long cold_iters = iters / 50 > 100 ? iters / 50 : 100;

	X509_set_version(x, 2);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(now - 86400));
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(now + 86400));
	X509_set_pubkey(x, pk);
	X509_sign(x, pk, EVP_sha256());
	kp = pem(pk, NULL);
	cp = pem(pk, x);
	if (m2m_token_signer_new(kp, strlen(kp), cp, strlen(cp), &s) != M2M_OK || m2m_token_sign(&cl, s, &tok) != M2M_OK ||
	    m2m_token_trust_new(&trust) != M2M_OK || m2m_token_trust_add(trust, cl.issuer, cp, strlen(cp), 0) != M2M_OK ||
	    m2m_token_cache_new(1024, &cache) != M2M_OK || m2m_acp_rules_parse(pv, strlen(pv), &rules, NULL, 0) != M2M_OK ||
	    m2m_token_verify(tok, strlen(tok), trust, &o, &t) != M2M_OK || m2m_token_cache_put(cache, t, now, 60) != M2M_OK) {
		fprintf(stderr, "bench_token: setup failed\n");
		return 1;
	}
	m2m_token_unref(t);

	t0 = bench_now();
	for (long i = 0; i < iters; i++) {
		const m2m_acp_rules *sets[] = {rules};
		sink += m2m_acp_decide(sets, 1, &req);
	}
	base = iters / (bench_now() - t0);

	t0 = bench_now();
	for (long i = 0; i < iters; i++) {
		m2m_token *h = NULL;
		if (m2m_token_cache_get(cache, tok, strlen(tok), now, 60, &h) == M2M_OK && m2m_token_check(h, &o) == M2M_OK) {
			const m2m_acp_rules *sets[] = {m2m_token_claims_of(h)->perms[0].pv};
			sink += m2m_acp_decide(sets, 1, &req);
		}
		m2m_token_unref(h);
	}
	warm = iters / (bench_now() - t0);

	t0 = bench_now();
	for (long i = 0; i < cold_iters; i++) {
		m2m_token *h = NULL;
		if (m2m_token_verify(tok, strlen(tok), trust, &o, &h) == M2M_OK) {
			const m2m_acp_rules *sets[] = {m2m_token_claims_of(h)->perms[0].pv};
			sink += m2m_acp_decide(sets, 1, &req);
		}
		m2m_token_unref(h);
	}
	cold = cold_iters / (bench_now() - t0);

	if (sink != (unsigned)(2 * iters + cold_iters)) {
		fprintf(stderr, "bench_token: a decision did not permit (%u)\n", sink);
		return 1;
	}
	printf("token (%zu bytes, ES256), one core:\n", strlen(tok));
	printf("  ACP decision only (baseline)        %12.0f /s\n", base);
	printf("  token warm: cache + check + decide  %12.0f /s   ratio %.3f\n", warm, warm / base);
	printf("  token cold: verify + check + decide %12.0f /s   ratio %.4f\n", cold, cold / base);
	m2m_acp_rules_unref(rules);
	m2m_token_cache_free(cache);
	m2m_token_trust_free(trust);
	m2m_token_signer_free(s);
	free(tok);
	free(kp);
	free(cp);
	X509_free(x);
	EVP_PKEY_free(pk);
	return 0;
}
