/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the benchmark of the TS-0003 clause 10.3 derivations (core/kdf.c): in one
 * run, about one second each, it measures raw HMAC-SHA-256 (EVP_MAC fetched once, context re-keyed
 * per operation, 32-byte key, the message length of a Km derivation), Km derivations, Kpsa
 * derivations with an ASCII identifier and with a non-ASCII one (NFKC through libunistring), and
 * prints the ratios Km/raw and Kpsa/raw (target >= 0.7: the derivation adds little beyond the MAC).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "m2msec/kdf.h"

#define SECONDS 1.0
#define BATCH 200
#define SLICE 0.02 /* seconds per interleaved slice */

static const char maf_id[] = "maf.example.com";
static const char ae_ascii[] = "//sp.example.com/cse-in/Cmeter-0001";
static const char ae_utf8[] = "//sp.example.com/cse-in/C\xc3\xa9tage-0001"; /* U+00E9 */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct raw {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	uint8_t key[32], msg[sizeof(M2M_KDF_LABEL_KM) - 1 + sizeof(maf_id) - 1];
};

static int raw_init(struct raw *rw)
{
	OSSL_PARAM params[2];

	memset(rw->key, 0x4b, sizeof(rw->key));
	memcpy(rw->msg, M2M_KDF_LABEL_KM, sizeof(M2M_KDF_LABEL_KM) - 1);
	memcpy(rw->msg + sizeof(M2M_KDF_LABEL_KM) - 1, maf_id, sizeof(maf_id) - 1);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((rw->mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL)) == NULL ||
	    (rw->ctx = EVP_MAC_CTX_new(rw->mac)) == NULL || EVP_MAC_CTX_set_params(rw->ctx, params) != 1)
		return -1;
	return 0;
}

/* BATCH raw HMACs: re-key (EVP_MAC_init), one update, final. */
static int raw_batch(struct raw *rw)
{
	uint8_t out[32];
	size_t n;

	for (int i = 0; i < BATCH; i++) {
		rw->key[0] = (uint8_t)i;
		if (EVP_MAC_init(rw->ctx, rw->key, sizeof(rw->key), NULL) != 1 ||
		    EVP_MAC_update(rw->ctx, rw->msg, sizeof(rw->msg)) != 1 || EVP_MAC_final(rw->ctx, out, &n, sizeof(out)) != 1)
			return -1;
	}
	return 0;
}

/* BATCH derivations; kind 0: Km(id), 1: Kpsa(id). The output key is freed each time. */
static int kdf_batch(m2m_kdf *kdf, const m2m_key *ke, int kind, const char *id)
{
	m2m_key *out = NULL;

	for (int i = 0; i < BATCH; i++) {
		m2m_err r = kind == 0 ? m2m_kdf_km(kdf, ke, id, &out) : m2m_kdf_kpsa(kdf, ke, id, &out);
		if (r != M2M_OK)
			return -1;
		m2m_key_free(out);
	}
	return 0;
}

enum { RAW, KM, KPSA, KPSA_U, NKIND };

static int run_batch(int kind, struct raw *rw, m2m_kdf *kdf, const m2m_key *ke)
{
	switch (kind) {
	case RAW:
		return raw_batch(rw);
	case KM:
		return kdf_batch(kdf, ke, 0, maf_id);
	case KPSA:
		return kdf_batch(kdf, ke, 1, ae_ascii);
	default:
		return kdf_batch(kdf, ke, 1, ae_utf8);
	}
}

int main(void)
{
	static const char *names[NKIND] = {"raw", "km", "kpsa", "kpsa-utf8"};
	double t[NKIND] = {0}, rate[NKIND];
	size_t ops[NKIND] = {0};
	struct raw rw = {0};
	uint8_t kb[32];
	m2m_kdf *kdf = NULL;
	m2m_key *ke = NULL;
	int rc = 1;

	memset(kb, 0x4b, sizeof(kb));
	if (raw_init(&rw) != 0 || m2m_kdf_new(&kdf) != M2M_OK || m2m_key_new(kb, sizeof(kb), &ke) != M2M_OK) {
		fputs("bench_kdf: setup failed\n", stderr);
		goto out;
	}
	/* Interleave short slices of every measurement so that load from other processes hits all
	 * of them alike; stop when each has run SECONDS in total. */
	while (t[RAW] < SECONDS || t[KM] < SECONDS || t[KPSA] < SECONDS || t[KPSA_U] < SECONDS) {
		for (int k = 0; k < NKIND; k++) {
			double t0 = now(), t1;
			do {
				if (run_batch(k, &rw, kdf, ke) != 0) {
					fprintf(stderr, "bench_kdf: %s failed\n", names[k]);
					goto out;
				}
				ops[k] += BATCH;
			} while ((t1 = now()) - t0 < SLICE);
			t[k] += t1 - t0;
		}
	}
	for (int k = 0; k < NKIND; k++)
		rate[k] = (double)ops[k] / t[k];
	printf("raw HMAC-SHA-256 (re-keyed ctx, %zu-byte msg): %10.0f ops/s\n", sizeof(rw.msg), rate[RAW]);
	printf("Km derivation (ASCII MAF-ID):                 %10.0f ops/s\n", rate[KM]);
	printf("Kpsa derivation (ASCII AE-ID):                %10.0f ops/s\n", rate[KPSA]);
	printf("Kpsa derivation (non-ASCII AE-ID, NFKC):      %10.0f ops/s\n", rate[KPSA_U]);
	printf("ratio Km/raw   = %.2f (target >= 0.70: %s)\n", rate[KM] / rate[RAW],
	       rate[KM] / rate[RAW] >= 0.7 ? "ok" : "BELOW");
	printf("ratio Kpsa/raw = %.2f (target >= 0.70: %s)\n", rate[KPSA] / rate[RAW],
	       rate[KPSA] / rate[RAW] >= 0.7 ? "ok" : "BELOW");
	printf("ratio Kpsa(non-ASCII)/raw = %.2f (informational: NFKC via libunistring)\n", rate[KPSA_U] / rate[RAW]);
	rc = 0;
out:
	m2m_key_free(ke);
	m2m_kdf_free(kdf);
	EVP_MAC_CTX_free(rw.ctx);
	EVP_MAC_free(rw.mac);
	return rc;
}
