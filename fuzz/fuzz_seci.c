/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the parsers the ESPrim Receiver and Originator
 * add around m2m:seci (TS-0004 clauses 6.3.5.48, 6.3.5.52, 7.6.2): the e2eSecInfo attribute check
 * of the CSE (services/cse/esprim_rx.c m2mi_esi_ok), the Originator's opening of an outer NOTIFY
 * response (core/esprim_orig.c), and the Receiver's rand-object memory fed with decoded seci
 * sit 4 objects (services/cse/esprim_state.c), and the HTTP binding's fast paths for an ESPrim
 * Object's exact text (core/seci_e2e.c, against jansson). The first byte picks the target. Invariants
 * besides memory safety: a refused response leaves no output; the response of another session
 * never opens; a rand object the Receiver did not issue is never found.
 */
#include <stdlib.h>
#include <string.h>

#include "core/esprim_int.h"
#include "m2msec/esprim_orig.h"
#include "m2msec/mem.h"
#include "m2msec/seci_e2e.h"
#include "services/cse/esprim_rx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW INT64_C(1764892800)

static m2m_esprim_orig *g_orig;
static m2mi_esprim *g_rx;

static void setup(void)
{
	static const uint8_t r1[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const uint8_t i1[8] = {0xa1, 2, 3, 4, 5, 6, 7, 8};
	static const int kg[] = {1}, aead[] = {10, 11, 12};
	uint8_t pw[32];
	m2m_esprim_rand rro;
	m2m_key *k = NULL;
	m2m_cse_config cfg;

	memset(pw, 0x5a, sizeof(pw));
	if (m2m_esprim_rand_init(&rro, false, true, r1, i1, NOW + 3600, kg, 1, aead, 3) != M2M_OK ||
	    m2m_key_new(pw, sizeof(pw), &k) != M2M_OK ||
	    m2m_esprim_orig_new(k, "k1@sp.example.com", &rro, M2M_ESPRIM_A256GCM, NOW, &g_orig) != M2M_OK)
		abort();
	m2m_key_free(k);
	m2m_cse_config_defaults(&cfg);
	if (m2mi_esprim_new(&cfg, &g_rx) != M2M_OK)
		abort();
}

static void esi(const char *text, size_t len)
{
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY, NULL);

	if (v != NULL)
		(void)m2mi_esi_ok(v);
	json_decref(v);
}

static void response(const char *text, size_t len)
{
	char *inner = NULL;
	size_t n = 0;
	m2m_err r = m2m_esprim_orig_open(g_orig, text, len, NOW, &inner, &n);

	if (r != M2M_OK) {
		if (inner != NULL)
			abort();
		return;
	}
	/* only this session's key opens: a forged answer cannot carry its random ori */
	abort();
}

static void receiver(const char *text, size_t len)
{
	m2m_seci_e2e s = {0};
	m2m_esprim_rand f;

	if (m2m_seci_e2e_decode(text, len, NOW, &s) != M2M_OK)
		return;
	if (s.sit == M2M_SECI_RAND_RSP) {
		/* never issued here: unknown whatever its id */
		if (m2mi_esprim_find_rro(g_rx, s.ero.id, "CAE1", &f) == M2M_OK)
			abort();
		(void)m2mi_esprim_find_oro(g_rx, "k", s.ero.id, &s.ero, &f);
		(void)m2mi_esprim_replay(g_rx, "k", &s.ero, s.ero.value, NOW);
	}
	m2m_seci_e2e_clear(&s);
}

/* The HTTP binding's fast paths for an ESPrim Object's exact text (seci_e2e.c): whatever they
 * accept must be what jansson gives, both ways (differential: jansson is the oracle). */
static void fast_text(const char *text, size_t len)
{
	json_t *fast = m2mi_seci_e2e_text_json(text, len), *ref;
	char *out, *dump;
	size_t n = 0;

	if (fast == NULL)
		return;
	if ((ref = json_loadb(text, len, 0, NULL)) == NULL || !json_equal(fast, ref))
		abort();
	if ((out = m2mi_seci_e2e_json_text(fast, &n)) != NULL) {
		if ((dump = json_dumps(ref, JSON_COMPACT)) == NULL || strlen(dump) != n || memcmp(dump, out, n) != 0)
			abort();
		free(dump);
		free(out);
	}
	json_decref(ref);
	json_decref(fast);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (g_orig == NULL)
		setup();
	if (size < 1 || size > 65536)
		return 0;
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0: esi(text, size - 1); break;
	case 1: response(text, size - 1); break;
	case 2: receiver(text, size - 1); break;
	default: fast_text(text, size - 1); break;
	}
	free(text);
	return 0;
}
