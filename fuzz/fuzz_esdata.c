/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the ESData opener (core/esdata_open.c, TS-0003
 * clause 8.5): untrusted compact or JSON JWE/JWS objects as a Target End-Point receives them.
 * Credentials for every symmetric algorithm (fixed keys, so seeds made with them decrypt) and a
 * P-256 key pair are offered, with the whole allow-list including ECDH-ES. The first byte picks
 * the mode: even = the rest is the object; odd = the rest is a payload protected (A128KW, then
 * Nested ES256) and opened again, which must give it back. Invariants besides memory safety: a
 * success never returns more plaintext than the input could carry, and never a class other
 * than the one reported.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "m2msec/esdata.h"
#include "m2msec/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static m2m_key *g_k16, *g_k24, *g_k32, *g_h64;
static EVP_PKEY *g_ec;
static m2m_esdata_cred g_creds[16];
static size_t g_n;

static void add(unsigned alg, const m2m_key *k, EVP_PKEY *p)
{
	g_creds[g_n++] = (m2m_esdata_cred){.alg = alg, .key = k, .pkey = p};
}

static void init(void)
{
	uint8_t b[64];

	memset(b, 0x42, sizeof(b));
	if (m2m_key_new(b, 16, &g_k16) || m2m_key_new(b, 24, &g_k24) || m2m_key_new(b, 32, &g_k32) ||
	    m2m_key_new(b, 64, &g_h64) || (g_ec = EVP_EC_gen("P-256")) == NULL)
		abort();
	add(M2M_ESD_DIR, g_k16, NULL);
	add(M2M_ESD_DIR, g_k24, NULL);
	add(M2M_ESD_DIR, g_k32, NULL);
	add(M2M_ESD_A128KW, g_k16, NULL);
	add(M2M_ESD_A192KW, g_k24, NULL);
	add(M2M_ESD_A256KW, g_k32, NULL);
	add(M2M_ESD_HS256, g_h64, NULL);
	add(M2M_ESD_HS384, g_h64, NULL);
	add(M2M_ESD_HS512, g_h64, NULL);
	add(M2M_ESD_ECDH_ES, NULL, g_ec);
	add(M2M_ESD_ECDH_ES_A128KW, NULL, g_ec);
	add(M2M_ESD_ES256, NULL, g_ec);
}

static void roundtrip(const uint8_t *pt, size_t n)
{
	m2m_esdata_cred kw = {.alg = M2M_ESD_A128KW, .key = g_k16}, es = {.alg = M2M_ESD_ES256, .pkey = g_ec};
	m2m_esdata_protect_opts po = {.ser = n % 2 ? M2M_ESD_JSON : M2M_ESD_COMPACT, .enc = M2M_ESD_A128GCM,
				      .rcpts = &kw, .nrcpts = 1, .signers = &es, .nsigners = n % 3 == 0};
	m2m_esdata_open_opts oo = {.keys = g_creds, .nkeys = g_n, .verifiers = g_creds, .nverifiers = g_n};
	char *out = NULL;
	uint8_t *back = NULL;
	size_t bl = 0;

	if (m2m_esdata_protect(pt, n, &po, &out, NULL) != M2M_OK)
		return;
	if (m2m_esdata_open(out, strlen(out), &oo, &back, &bl, NULL) != M2M_OK || bl != n ||
	    (n && memcmp(back, pt, n) != 0))
		abort();
	m2m_freezero(back, bl);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	m2m_esdata_open_opts oo;
	m2m_esdata_info info;
	uint8_t *pt = NULL;
	size_t ptlen = 0;

	if (g_n == 0)
		init();
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		roundtrip(data + 1, size - 1);
		return 0;
	}
	oo = (m2m_esdata_open_opts){.algs = M2M_ESD_ALGS_SPEC | M2M_ESD_ECDH_ES, .keys = g_creds, .nkeys = g_n,
				    .verifiers = g_creds, .nverifiers = g_n};
	if (m2m_esdata_open((const char *)data + 1, size - 1, &oo, &pt, &ptlen, &info) == M2M_OK) {
		if (ptlen > size || info.cls == 0 || (info.cls != M2M_ESD_CLASS_SIG && info.enc == 0))
			abort();
		m2m_freezero(pt, ptlen);
	} else if (pt != NULL) {
		abort();
	}
	return 0;
}
