/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the ESData part of bench/e2e (TS-0003 clause 8.5, core/esdata*.c): in one
 * run it measures m2m_esdata_protect and m2m_esdata_open of the same payload for the
 * Encryption-only class (dir, A256KW and ECDH-ES+A128KW, each with A128GCM, compact), the
 * Signature-only class (ES256, compact) and Nested Sign-then-Encrypt (ES256 inside A256KW +
 * A128GCM), next to the raw OpenSSL baselines (EVP AES-128-GCM encrypt / decrypt with a fresh
 * random IV, EVP_DigestSign / EVP_DigestVerify ECDSA P-256 SHA-256) of that payload, and prints
 * each ESData rate with its ratio to the baseline that does the same cryptographic work (the
 * Nested baseline is one raw sign plus one raw encryption; ECDH-ES is also set against raw
 * P-256 key agreement plus AES-GCM). Short interleaved slices of every
 * measurement share whatever load the machine has. Usage: bench_esdata [SECONDS] [PAYLOAD_BYTES]
 * (default 1 second per measurement, 256 bytes: a typical <contentInstance> content).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bench_common.h"
#include "m2msec/esdata.h"
#include "m2msec/mem.h"

#define BATCH 10
#define SLICE 0.02 /* seconds per interleaved slice */

enum {
	RAW_GCM_ENC, RAW_GCM_DEC, RAW_SIGN, RAW_VERIFY, RAW_ECDH_GEN, RAW_ECDH,
	DIR_P, DIR_O, KW_P, KW_O, ECDH_P, ECDH_O, ES_P, ES_O, NEST_P, NEST_O,
	NKIND
};

static const char *const names[NKIND] = {
	"raw AES-128-GCM encrypt", "raw AES-128-GCM decrypt", "raw ECDSA P-256 sign", "raw ECDSA P-256 verify",
	"raw ECDH P-256 ephemeral+derive", "raw ECDH P-256 derive",
	"protect dir+A128GCM", "open dir+A128GCM", "protect A256KW+A128GCM", "open A256KW+A128GCM",
	"protect ECDH-ES+A128KW+A128GCM", "open ECDH-ES+A128KW+A128GCM", "protect ES256 (sign)",
	"open ES256 (verify)", "protect nested ES256+A256KW", "open nested ES256+A256KW",
};

struct ctx {
	uint8_t *pt;
	size_t ptlen;
	uint8_t key16[16], iv[12], tag[16], *ct, sig[128];
	size_t siglen;
	EVP_CIPHER_CTX *cctx;
	EVP_PKEY *ec;      /* ES256 signer / ECDH recipient */
	EVP_PKEY *eph;     /* a stored ephemeral key for the recipient-side ECDH baseline */
	m2m_key *k16, *k32;
	uint64_t uses;
	char *obj[NKIND];  /* one protected object per ESData kind, for its open measurement */
	m2m_esdata_cred cred[NKIND];
};

static int gcm_enc(struct ctx *c)
{
	int n = 0, f = 0;

	return RAND_bytes(c->iv, sizeof(c->iv)) == 1 &&
			       EVP_EncryptInit_ex(c->cctx, EVP_aes_128_gcm(), NULL, c->key16, c->iv) == 1 &&
			       EVP_EncryptUpdate(c->cctx, c->ct, &n, c->pt, (int)c->ptlen) == 1 &&
			       EVP_EncryptFinal_ex(c->cctx, c->ct + n, &f) == 1 &&
			       EVP_CIPHER_CTX_ctrl(c->cctx, EVP_CTRL_GCM_GET_TAG, 16, c->tag) == 1
		       ? 0
		       : -1;
}

static int gcm_dec(struct ctx *c)
{
	int n = 0, f = 0;

	return EVP_DecryptInit_ex(c->cctx, EVP_aes_128_gcm(), NULL, c->key16, c->iv) == 1 &&
			       EVP_DecryptUpdate(c->cctx, c->pt, &n, c->ct, (int)c->ptlen) == 1 &&
			       EVP_CIPHER_CTX_ctrl(c->cctx, EVP_CTRL_GCM_SET_TAG, 16, c->tag) == 1 &&
			       EVP_DecryptFinal_ex(c->cctx, c->pt + n, &f) == 1
		       ? 0
		       : -1;
}

static int ec_sign(struct ctx *c)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	c->siglen = sizeof(c->sig);
	ok = m != NULL && EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, c->ec) == 1 &&
	     EVP_DigestSign(m, c->sig, &c->siglen, c->pt, c->ptlen) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

static int ec_verify(struct ctx *c)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	ok = m != NULL && EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, c->ec) == 1 &&
	     EVP_DigestVerify(m, c->sig, c->siglen, c->pt, c->ptlen) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

/* Raw ECDH-ES key agreement on P-256 (RFC 7518 §4.6): with gen, the sender's side (a fresh
 * ephemeral key, then the shared secret); without, the recipient's (the shared secret with the
 * stored ephemeral public key). */
static int ecdh(struct ctx *c, bool gen)
{
	EVP_PKEY *eph = gen ? EVP_EC_gen("P-256") : NULL;
	EVP_PKEY_CTX *d = EVP_PKEY_CTX_new(gen ? eph : c->ec, NULL);
	uint8_t z[32];
	size_t zl = sizeof(z);
	int ok = d != NULL && EVP_PKEY_derive_init(d) == 1 && EVP_PKEY_derive_set_peer(d, gen ? c->ec : c->eph) == 1 &&
		 EVP_PKEY_derive(d, z, &zl) == 1;

	EVP_PKEY_CTX_free(d);
	EVP_PKEY_free(eph);
	return ok ? 0 : -1;
}

/* The options of ESData kind k (a protect kind). */
static m2m_esdata_protect_opts popts(struct ctx *c, int k)
{
	m2m_esdata_protect_opts o = {.ser = M2M_ESD_COMPACT, .enc = M2M_ESD_A128GCM};

	switch (k) {
	case DIR_P:
		c->cred[k] = (m2m_esdata_cred){.alg = M2M_ESD_DIR, .key = c->k16, .kid = "14-k@mef.example.com"};
		o.direct_uses = &c->uses;
		break;
	case KW_P:
		c->cred[k] = (m2m_esdata_cred){.alg = M2M_ESD_A256KW, .key = c->k32, .kid = "14-k@mef.example.com"};
		break;
	case ECDH_P:
		c->cred[k] = (m2m_esdata_cred){.alg = M2M_ESD_ECDH_ES_A128KW, .pkey = c->ec};
		break;
	case ES_P:
		c->cred[k] = (m2m_esdata_cred){.alg = M2M_ESD_ES256, .pkey = c->ec};
		o.signers = &c->cred[k];
		o.nsigners = 1;
		return o;
	default: /* NEST_P: sign with the EC key, encrypt with A256KW */
		c->cred[k] = (m2m_esdata_cred){.alg = M2M_ESD_ES256, .pkey = c->ec};
		c->cred[k + 1] = (m2m_esdata_cred){.alg = M2M_ESD_A256KW, .key = c->k32};
		o.signers = &c->cred[k];
		o.nsigners = 1;
		o.rcpts = &c->cred[k + 1];
		o.nrcpts = 1;
		return o;
	}
	o.rcpts = &c->cred[k];
	o.nrcpts = 1;
	return o;
}

static int esd_protect(struct ctx *c, int k, char **out)
{
	m2m_esdata_protect_opts o = popts(c, k);

	if (k == DIR_P && c->uses > M2M_ESD_DIRECT_LIMIT / 2)
		c->uses = 0; /* a benchmark key, never used for real data */
	return m2m_esdata_protect(c->pt, c->ptlen, &o, out, NULL) == M2M_OK ? 0 : -1;
}

static int esd_open(struct ctx *c, int k)
{
	int p = k - 1;
	m2m_esdata_open_opts o = {.algs = M2M_ESD_ALGS_SPEC};
	uint8_t *pt = NULL;
	size_t n = 0;
	m2m_err r;

	if (p == ES_P) {
		o.verifiers = &c->cred[p];
		o.nverifiers = 1;
	} else if (p == NEST_P) {
		o.verifiers = &c->cred[p];
		o.nverifiers = 1;
		o.keys = &c->cred[p + 1];
		o.nkeys = 1;
	} else {
		o.keys = &c->cred[p];
		o.nkeys = 1;
	}
	r = m2m_esdata_open(c->obj[p], strlen(c->obj[p]), &o, &pt, &n, NULL);
	m2m_freezero(pt, n);
	return r == M2M_OK && n == c->ptlen ? 0 : -1;
}

static int run_batch(struct ctx *c, int k)
{
	for (int i = 0; i < BATCH; i++) {
		char *out = NULL;
		int r;

		switch (k) {
		case RAW_GCM_ENC: r = gcm_enc(c); break;
		case RAW_GCM_DEC: r = gcm_dec(c); break;
		case RAW_SIGN: r = ec_sign(c); break;
		case RAW_VERIFY: r = ec_verify(c); break;
		case RAW_ECDH_GEN: r = ecdh(c, true); break;
		case RAW_ECDH: r = ecdh(c, false); break;
		case DIR_P: case KW_P: case ECDH_P: case ES_P: case NEST_P:
			r = esd_protect(c, k, &out);
			free(out);
			break;
		default: r = esd_open(c, k); break;
		}
		if (r != 0)
			return -1;
	}
	return 0;
}

static int setup(struct ctx *c, size_t ptlen)
{
	uint8_t b[32];

	c->ptlen = ptlen;
	if ((c->pt = malloc(ptlen + 1)) == NULL || (c->ct = malloc(ptlen + 16)) == NULL)
		return -1;
	for (size_t i = 0; i < ptlen; i++)
		c->pt[i] = (uint8_t)('a' + i % 26);
	if (RAND_bytes(c->key16, sizeof(c->key16)) != 1 || RAND_bytes(b, sizeof(b)) != 1 ||
	    (c->cctx = EVP_CIPHER_CTX_new()) == NULL || (c->ec = EVP_EC_gen("P-256")) == NULL ||
	    (c->eph = EVP_EC_gen("P-256")) == NULL ||
	    m2m_key_new(c->key16, 16, &c->k16) != M2M_OK || m2m_key_new(b, 32, &c->k32) != M2M_OK)
		return -1;
	/* one object per kind for the open measurements, and the baselines' ciphertext / signature */
	for (int k = DIR_P; k < NKIND; k += 2)
		if (esd_protect(c, k, &c->obj[k]) != 0)
			return -1;
	return gcm_enc(c) == 0 && ec_sign(c) == 0 ? 0 : -1;
}

static void teardown(struct ctx *c)
{
	for (int k = 0; k < NKIND; k++)
		free(c->obj[k]);
	m2m_key_free(c->k16);
	m2m_key_free(c->k32);
	EVP_PKEY_free(c->ec);
	EVP_PKEY_free(c->eph);
	EVP_CIPHER_CTX_free(c->cctx);
	free(c->pt);
	free(c->ct);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 1.0, t[NKIND] = {0}, rate[NKIND];
	long plen = argc > 2 ? strtol(argv[2], NULL, 10) : 256;
	size_t ops[NKIND] = {0};
	struct ctx c = {0};
	bool more = true;
	int rc = 1;

	if (seconds <= 0 || seconds > 600 || plen < 1 || plen > (long)M2M_ESD_MAX_PLAINTEXT) {
		fputs("usage: bench_esdata [SECONDS (0..600]] [PAYLOAD_BYTES (1..524288)]\n", stderr);
		return 2;
	}
	if (setup(&c, (size_t)plen) != 0) {
		bench_ssl_errors("bench_esdata", "setup", "failed");
		goto out;
	}
	while (more) {
		more = false;
		for (int k = 0; k < NKIND; k++) {
			double t0 = bench_now(), t1;
			if (t[k] >= seconds)
				continue;
			do {
				if (run_batch(&c, k) != 0) {
					fprintf(stderr, "bench_esdata: %s failed\n", names[k]);
					goto out;
				}
				ops[k] += BATCH;
			} while ((t1 = bench_now()) - t0 < SLICE);
			t[k] += t1 - t0;
			more = more || t[k] < seconds;
		}
	}
	for (int k = 0; k < NKIND; k++)
		rate[k] = (double)ops[k] / t[k];
	printf("payload_bytes=%ld seconds_each=%.2f\n", plen, seconds);
	for (int k = 0; k < NKIND; k++)
		printf("%-34s %10.0f ops/s\n", names[k], rate[k]);
	{
		/* the same cryptographic work done raw: encryption -> AES-GCM, signature -> ECDSA, nested
		 * -> one sign plus one encryption (rates add as times) */
		static const int base[NKIND] = {[DIR_P] = RAW_GCM_ENC, [DIR_O] = RAW_GCM_DEC, [KW_P] = RAW_GCM_ENC,
						[KW_O] = RAW_GCM_DEC, [ECDH_P] = RAW_GCM_ENC, [ECDH_O] = RAW_GCM_DEC,
						[ES_P] = RAW_SIGN, [ES_O] = RAW_VERIFY};
		double nest_p = 1.0 / (1.0 / rate[RAW_SIGN] + 1.0 / rate[RAW_GCM_ENC]);
		double nest_o = 1.0 / (1.0 / rate[RAW_VERIFY] + 1.0 / rate[RAW_GCM_DEC]);
		double ecdh_p = 1.0 / (1.0 / rate[RAW_ECDH_GEN] + 1.0 / rate[RAW_GCM_ENC]);
		double ecdh_o = 1.0 / (1.0 / rate[RAW_ECDH] + 1.0 / rate[RAW_GCM_DEC]);
		for (int k = DIR_P; k < NKIND; k++) {
			double b = k == NEST_P ? nest_p : k == NEST_O ? nest_o : rate[base[k]];
			printf("ratio %-34s / %-32s = %.3f\n", names[k],
			       k == NEST_P ? "raw sign + raw encrypt" : k == NEST_O ? "raw verify + raw decrypt" : names[base[k]],
			       rate[k] / b);
			if (k == ECDH_P || k == ECDH_O) /* the key agreement is most of that work */
				printf("ratio %-34s / %-32s = %.3f\n", names[k],
				       k == ECDH_P ? "raw ECDH (ephemeral) + encrypt" : "raw ECDH + raw decrypt",
				       rate[k] / (k == ECDH_P ? ecdh_p : ecdh_o));
		}
	}
	rc = 0;
out:
	teardown(&c);
	return rc;
}
