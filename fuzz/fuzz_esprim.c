/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the ESPrim parsers (TS-0003 clause 8.4.3.2,
 * TS-0004 clauses 6.3.5.48-51): core/esprim.c (the ESPrim Object, opened with a fixed session key
 * of each AEAD length so seeds made with it decrypt), core/esprim_rand.c (rand objects) and
 * core/seci_e2e.c (m2m:seci types 3-6). The first byte picks the parser. Invariants besides
 * memory safety: every refusal maps to a Response Status Code of TS-0004 Table 7.6.2-1 (never
 * 5000); a decrypted object re-seals under its own header and parses again; a decoded rand
 * object or seci re-encodes and decodes to the same value.
 */
#include <stdlib.h>
#include <string.h>

#include "m2msec/esprim.h"
#include "m2msec/mem.h"
#include "m2msec/seci_e2e.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW INT64_C(1764892800)

static m2m_key *g_keys[3];

static void object(const char *text, size_t len)
{
	m2m_esprim_obj *o = NULL, *o2 = NULL;
	m2m_err r = m2m_esprim_parse(text, len, NOW, &o);
	const m2m_esprim_hdr *h;
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	char *again = NULL;

	if (r != M2M_OK) {
		if (o != NULL || m2m_esprim_err_rsc(r) == 5000)
			abort();
		return;
	}
	h = m2m_esprim_obj_hdr(o);
	r = m2m_esprim_open(o, g_keys[h->aead - M2M_ESPRIM_A128GCM], &pt, &ptlen);
	if (r != M2M_OK && m2m_esprim_err_rsc(r) == 5000)
		abort();
	if (r == M2M_OK) {
		if (m2m_esprim_seal(g_keys[h->aead - M2M_ESPRIM_A128GCM], h, pt, ptlen, &again) != M2M_OK ||
		    m2m_esprim_parse(again, strlen(again), NOW, &o2) != M2M_OK)
			abort();
		m2m_esprim_obj_free(o2);
		free(again);
		m2m_freezero(pt, ptlen);
	}
	m2m_esprim_obj_free(o);
}

static void rand_obj(const char *text, size_t len, bool orig)
{
	m2m_esprim_rand r, back;
	char *s = NULL;

	if (m2m_esprim_rand_decode(text, len, orig, NOW, &r) != M2M_OK)
		return;
	/* the encoding is absolute seconds: decode(encode(r)) == r */
	if (m2m_esprim_rand_encode(&r, orig, &s) != M2M_OK ||
	    m2m_esprim_rand_decode(s, strlen(s), orig, NOW, &back) != M2M_OK ||
	    (r.expiry >= 0 && r.expiry < INT64_C(253402300800) && memcmp(&r, &back, sizeof(r)) != 0))
		abort();
	free(s);
}

static void seci(const char *text, size_t len)
{
	m2m_seci_e2e s, back;
	char *out = NULL;
	int sit;

	(void)m2m_seci_peek_type(text, len, &sit);
	if (m2m_seci_e2e_decode(text, len, NOW, &s) != M2M_OK)
		return;
	if (m2m_seci_e2e_encode(&s, &out) == M2M_OK) {
		if (m2m_seci_e2e_decode(out, strlen(out), NOW, &back) != M2M_OK || back.sit != s.sit ||
		    back.eckm_len != s.eckm_len)
			abort();
		m2m_seci_e2e_clear(&back);
		free(out);
	}
	m2m_seci_e2e_clear(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (g_keys[0] == NULL) {
		uint8_t b[32];

		memset(b, 0x42, sizeof(b));
		if (m2m_key_new(b, 16, &g_keys[0]) || m2m_key_new(b, 24, &g_keys[1]) || m2m_key_new(b, 32, &g_keys[2]))
			abort();
	}
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		object((const char *)data + 1, size - 1);
		break;
	case 1:
		rand_obj((const char *)data + 1, size - 1, false);
		break;
	case 2:
		rand_obj((const char *)data + 1, size - 1, true);
		break;
	default:
		seci((const char *)data + 1, size - 1);
		break;
	}
	return 0;
}
