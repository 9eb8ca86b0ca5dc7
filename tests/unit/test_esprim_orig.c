/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/esprim_orig.c, the ESPrim Originator (TS-0003
 * clause 8.4.2 B.1b, C.1-C.4): the outer NOTIFY Content it seals opens at a Receiver that derives
 * the session key on its own (same pairwise key, rand objects from the header), the protected
 * response opens only for the session that sent the request, and the refusals.
 */
#include <stdio.h>

#include "esprim_fixture.h"
#include "m2msec/esprim_orig.h"
#include "m2msec/seci_e2e.h"

static m2m_key *pairwise(uint8_t fill)
{
	uint8_t b[32];
	m2m_key *k = NULL;

	memset(b, fill, sizeof(b));
	assert_int_equal(m2m_key_new(b, sizeof(b), &k), M2M_OK);
	return k;
}

/* The Receiver's side with the codec only: parse, key from the header's oro, open; then answer. */
static char *receiver_answer(const char *content, const m2m_esprim_rand *rro, const char *reply)
{
	m2m_seci_e2e s = {0}, out = {.sit = 5};
	m2m_esprim_obj *o = NULL;
	const m2m_esprim_hdr *h;
	m2m_key *p = pairwise(0x11), *sk = NULL;
	m2m_kdf *kdf = NULL;
	uint8_t *pt = NULL;
	size_t n = 0;
	char *text = NULL;

	assert_int_equal(m2m_seci_e2e_decode(content, strlen(content), T0, &s), M2M_OK);
	assert_int_equal(m2m_esprim_parse(s.epo, strlen(s.epo), T0, &o), M2M_OK);
	h = m2m_esprim_obj_hdr(o);
	assert_non_null(h->oro);
	assert_string_equal(h->rri, rro->id);
	assert_string_equal(h->ori, h->oro->id);
	assert_int_equal(m2m_esprim_check_rands(rro, h->oro, h->aead, T0), M2M_OK);
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	assert_int_equal(m2m_esprim_session_key(kdf, p, rro, h->oro, h->aead, &sk), M2M_OK);
	assert_int_equal(m2m_esprim_open(o, sk, &pt, &n), M2M_OK);
	assert_int_equal(n, strlen("{\"op\":2}"));
	assert_memory_equal(pt, "{\"op\":2}", n);
	m2m_esprim_hdr rh = {.aead = h->aead, .kid = h->kid, .ori = h->ori, .rri = h->rri};
	assert_int_equal(m2m_esprim_seal(sk, &rh, (const uint8_t *)reply, strlen(reply), &out.epo), M2M_OK);
	assert_int_equal(m2m_seci_e2e_encode(&out, &text), M2M_OK);
	m2m_seci_e2e_clear(&out);
	m2m_freezero(pt, n);
	m2m_key_free(sk);
	m2m_key_free(p);
	m2m_kdf_free(kdf);
	m2m_esprim_obj_free(o);
	m2m_seci_e2e_clear(&s);
	return text;
}

static void test_round_trip(void **state)
{
	m2m_esprim_rand rro, oro;
	m2m_esprim_orig *o = NULL, *other = NULL;
	m2m_key *p = pairwise(0x11);
	char *content = NULL, *answer, *inner = NULL;
	size_t n = 0;

	(void)state;
	fx_rands(&rro, &oro);
	assert_int_equal(m2m_esprim_orig_new(p, "k1@sp.example.com", &rro, M2M_ESPRIM_A256GCM, T0, &o), M2M_OK);
	assert_int_equal(m2m_esprim_orig_seal(o, "{\"op\":2}", 8, &content), M2M_OK);
	answer = receiver_answer(content, &rro, "{\"rsc\":2000}");
	assert_int_equal(m2m_esprim_orig_open(o, answer, strlen(answer), T0, &inner, &n), M2M_OK);
	assert_string_equal(inner, "{\"rsc\":2000}");
	m2m_freezero(inner, n);
	/* another session (fresh originator object) cannot take this answer */
	assert_int_equal(m2m_esprim_orig_new(p, "k1@sp.example.com", &rro, M2M_ESPRIM_A256GCM, T0, &other), M2M_OK);
	assert_int_equal(m2m_esprim_orig_open(other, answer, strlen(answer), T0, &inner, &n), M2M_E_ESP_ORIG_RAND);
	assert_null(inner);
	/* a non-seci or a sit 3 content */
	assert_int_equal(m2m_esprim_orig_open(o, "{\"m2m:seci\":{\"sit\":3}}", 23, T0, &inner, &n), M2M_E_SECI_FORMAT);
	free(answer);
	free(content);
	m2m_esprim_orig_free(o);
	m2m_esprim_orig_free(other);
	m2m_key_free(p);
}

static void test_refusals(void **state)
{
	m2m_esprim_rand rro, oro;
	m2m_esprim_orig *o = NULL;
	m2m_key *p = pairwise(0x22);
	static const int only128[] = {10};

	(void)state;
	fx_rands(&rro, &oro);
	assert_int_equal(m2m_esprim_orig_new(p, "k1@sp.example.com", &rro, M2M_ESPRIM_A256GCM, rro.expiry, &o),
			 M2M_E_ESP_RECV_RAND);
	assert_int_equal(m2m_esprim_orig_new(p, "", &rro, M2M_ESPRIM_A256GCM, T0, &o), M2M_E_INVAL);
	memcpy(rro.aead, only128, sizeof(only128));
	rro.naead = 1;
	assert_int_equal(m2m_esprim_orig_new(p, "k1@sp.example.com", &rro, M2M_ESPRIM_A256GCM, T0, &o),
			 M2M_E_ESP_UNSUPPORTED);
	rro.keygen[0] = 7;
	assert_int_equal(m2m_esprim_orig_new(p, "k1@sp.example.com", &rro, M2M_ESPRIM_A128GCM, T0, &o),
			 M2M_E_ESP_UNSUPPORTED);
	assert_null(o);
	m2m_key_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_round_trip), cmocka_unit_test(test_refusals)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
