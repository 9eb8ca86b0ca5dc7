/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/esprim.c: the ESPrim Object of TS-0003 clause
 * 8.4.3.2 (JWE Compact, dir, A128/A192/A256GCM, protected header kid/ori/rri/cty/oro/rro with
 * exactly those names) round-trips, and every refusal maps to its Response Status Code of TS-0004
 * Table 7.6.2-1: unparsable 4000, unsupported option 4111, bad MAC 4115, other decryption error
 * 5210, encryption error 5211, impersonation 4116 (and 4112-4114 by the mapping function).
 */
#include <cjose/base64.h>
#include <cjose/util.h>
#include <jansson.h>

#include "core/esprim_int.h"
#include "esprim_fixture.h"
#include "m2msec/rsc.h"

static const char inner[] = "{\"m2m:rqp\":{\"op\":2,\"to\":\"/id-in/cnt1\",\"fr\":\"Cae1\",\"rqi\":\"r1\",\"rvi\":\"3\"}}";

static char *seal(const m2m_key *k, int aead, bool with_oro, const m2m_esprim_rand *rro, const m2m_esprim_rand *oro)
{
	m2m_esprim_hdr h = {.aead = aead, .kid = "13-pw1@mef.example.com", .ori = oro->id, .rri = rro->id,
			    .cty = "application/json", .oro = with_oro ? oro : NULL};
	char *out = NULL;

	assert_int_equal(m2m_esprim_seal(k, &h, (const uint8_t *)inner, sizeof(inner) - 1, &out), M2M_OK);
	return out;
}

static json_t *header_of(const char *compact)
{
	uint8_t *raw = NULL;
	size_t n = 0;
	cjose_err err;
	json_t *j;

	assert_true(cjose_base64url_decode(compact, strchr(compact, '.') - compact, &raw, &n, &err));
	j = json_loadb((const char *)raw, n, 0, NULL);
	cjose_get_dealloc()(raw);
	assert_non_null(j);
	return j;
}

static void test_round_trip(void **state)
{
	m2m_esprim_rand rro, oro;
	const int aeads[] = {10, 11, 12};
	const char *encs[] = {"A128GCM", "A192GCM", "A256GCM"};

	(void)state;
	fx_rands(&rro, &oro);
	for (size_t i = 0; i < 3; i++) {
		m2m_key *k = fx_session(&rro, &oro, aeads[i]);
		char *o = seal(k, aeads[i], true, &rro, &oro);
		json_t *h = header_of(o);
		m2m_esprim_obj *obj = NULL;
		const m2m_esprim_hdr *ph;
		uint8_t *pt = NULL;
		size_t ptlen = 0;

		/* TS-0003 Table 8.4.3.2-1/-2: empty encrypted key, the header names exactly */
		assert_non_null(strstr(o, ".."));
		assert_string_equal(json_string_value(json_object_get(h, "alg")), "dir");
		assert_string_equal(json_string_value(json_object_get(h, "enc")), encs[i]);
		assert_string_equal(json_string_value(json_object_get(h, "kid")), "13-pw1@mef.example.com");
		assert_string_equal(json_string_value(json_object_get(h, "ori")), oro.id);
		assert_string_equal(json_string_value(json_object_get(h, "rri")), rro.id);
		assert_string_equal(json_string_value(json_object_get(h, "cty")), "application/json");
		assert_int_equal(json_integer_value(json_object_get(json_object_get(h, "oro"), "esk")), 1);
		assert_null(json_object_get(h, "rro"));
		json_decref(h);
		assert_int_equal(m2m_esprim_parse(o, strlen(o), T0, &obj), M2M_OK);
		ph = m2m_esprim_obj_hdr(obj);
		assert_int_equal(ph->aead, aeads[i]);
		assert_string_equal(ph->ori, oro.id);
		assert_non_null(ph->oro);
		assert_memory_equal(ph->oro, &oro, sizeof(oro));
		assert_null(ph->rro);
		assert_int_equal(m2m_esprim_open(obj, k, &pt, &ptlen), M2M_OK);
		assert_int_equal(ptlen, sizeof(inner) - 1);
		assert_memory_equal(pt, inner, ptlen);
		m2m_freezero(pt, ptlen);
		m2m_esprim_obj_free(obj);
		free(o);
		m2m_key_free(k);
	}
}

/* The response carries "rro" (in-band refresh, Receiver only) and no "oro". */
static void test_rro(void **state)
{
	m2m_esprim_rand rro, oro;
	m2m_key *k;
	m2m_esprim_hdr h;
	m2m_esprim_obj *obj = NULL;
	char *o = NULL;

	(void)state;
	fx_rands(&rro, &oro);
	k = fx_session(&rro, &oro, 12);
	h = (m2m_esprim_hdr){.aead = 12, .kid = "k", .ori = oro.id, .rri = rro.id, .rro = &rro};
	assert_int_equal(m2m_esprim_seal(k, &h, (const uint8_t *)"{}", 2, &o), M2M_OK);
	assert_int_equal(m2m_esprim_parse(o, strlen(o), T0, &obj), M2M_OK);
	assert_non_null(m2m_esprim_obj_hdr(obj)->rro);
	assert_memory_equal(m2m_esprim_obj_hdr(obj)->rro, &rro, sizeof(rro));
	assert_null(m2m_esprim_obj_hdr(obj)->cty);
	m2m_esprim_obj_free(obj);
	free(o);
	m2m_key_free(k);
}

static char *replace_header(const char *o, const char *hdr_json)
{
	char *b = NULL, *out;
	size_t bl = 0, n;
	cjose_err err;
	const char *rest = strchr(o, '.');

	assert_true(cjose_base64url_encode((const uint8_t *)hdr_json, strlen(hdr_json), &b, &bl, &err));
	n = bl + strlen(rest) + 1;
	out = malloc(n);
	snprintf(out, n, "%.*s%s", (int)bl, b, rest);
	cjose_get_dealloc()(b);
	return out;
}

static m2m_err parse_rc(const char *o)
{
	m2m_esprim_obj *obj = (m2m_esprim_obj *)1;
	m2m_err r = m2m_esprim_parse(o, strlen(o), T0, &obj);

	if (r != M2M_OK)
		assert_null(obj);
	m2m_esprim_obj_free(obj);
	return r;
}

static void test_parse_refusals(void **state)
{
	m2m_esprim_rand rro, oro;
	m2m_key *k;
	char *o, *t;
	static const struct {
		const char *hdr;
		m2m_err want;
	} hdrs[] = {
		{"{\"alg\":\"A128KW\",\"enc\":\"A128GCM\",\"kid\":\"k\",\"ori\":\"n1\",\"rri\":\"s1\"}", M2M_E_ESP_UNSUPPORTED},
		{"{\"alg\":\"none\",\"enc\":\"A128GCM\",\"kid\":\"k\",\"ori\":\"n1\",\"rri\":\"s1\"}", M2M_E_ESP_UNSUPPORTED},
		{"{\"alg\":\"dir\",\"enc\":\"A128CBC-HS256\",\"kid\":\"k\",\"ori\":\"n1\",\"rri\":\"s1\"}", M2M_E_ESP_UNSUPPORTED},
		{"{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"k\",\"ori\":\"n1\",\"rri\":\"s1\",\"crit\":[\"x\"]}", M2M_E_ESP_UNSUPPORTED},
		{"{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"k\",\"ori\":\"n1\",\"rri\":\"s1\",\"zip\":\"DEF\"}", M2M_E_ESP_UNSUPPORTED},
		{"{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"ori\":\"n1\",\"rri\":\"s1\"}", M2M_E_ESP_FORMAT},
		{"{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"k\",\"rri\":\"s1\"}", M2M_E_ESP_FORMAT},
		{"{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"k\",\"ori\":\"n1\"}", M2M_E_ESP_FORMAT},
		{"{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"k\",\"ori\":\"1 bad\",\"rri\":\"s1\"}", M2M_E_ESP_FORMAT},
		{"{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":5,\"ori\":\"n1\",\"rri\":\"s1\"}", M2M_E_ESP_FORMAT},
		{"{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"k\",\"ori\":\"n1\",\"rri\":\"s1\",\"oro\":{\"esri\":1}}", M2M_E_ESP_FORMAT},
		{"{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"k\",\"ori\":\"n1\",\"rri\":\"s1\",\"rro\":\"x\"}", M2M_E_ESP_FORMAT},
		{"{\"alg\":\"dir\",\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"k\",\"ori\":\"n1\",\"rri\":\"s1\"}", M2M_E_ESP_FORMAT},
		{"{\"enc\":\"A128GCM\",\"kid\":\"k\",\"ori\":\"n1\",\"rri\":\"s1\"}", M2M_E_ESP_FORMAT},
		{"[]", M2M_E_ESP_FORMAT},
	};
	static const char *const shapes[] = {"", "a", "a.b.c", "a..c.d.e.f", "a....", "a..AAAAAAAAAAAAAAAA.d.",
					     "a.x.AAAAAAAAAAAAAAAA.d.AAAAAAAAAAAAAAAAAAAAAA"};

	(void)state;
	fx_rands(&rro, &oro);
	k = fx_session(&rro, &oro, 10);
	o = seal(k, 10, false, &rro, &oro);
	for (size_t i = 0; i < M2M_ARRAY_LEN(hdrs); i++) {
		t = replace_header(o, hdrs[i].hdr);
		assert_int_equal(parse_rc(t), hdrs[i].want);
		free(t);
	}
	for (size_t i = 0; i < M2M_ARRAY_LEN(shapes); i++)
		assert_int_equal(parse_rc(shapes[i]), M2M_E_ESP_FORMAT);
	/* truncated: the tag cut short, the last part dropped, one character of the IV gone */
	t = strdup(o);
	t[strlen(t) - 3] = '\0';
	assert_int_equal(parse_rc(t), M2M_E_ESP_FORMAT);
	*strrchr(t, '.') = '\0';
	assert_int_equal(parse_rc(t), M2M_E_ESP_FORMAT);
	free(t);
	free(o);
	m2m_key_free(k);
}

static m2m_err open_rc(const char *o, const m2m_key *k)
{
	m2m_esprim_obj *obj = NULL;
	uint8_t *pt = (uint8_t *)1;
	size_t ptlen = 0;
	m2m_err r;

	assert_int_equal(m2m_esprim_parse(o, strlen(o), T0, &obj), M2M_OK);
	r = m2m_esprim_open(obj, k, &pt, &ptlen);
	if (r != M2M_OK)
		assert_null(pt);
	m2m_freezero(pt, ptlen);
	m2m_esprim_obj_free(obj);
	return r;
}

static void test_open_refusals(void **state)
{
	m2m_esprim_rand rro, oro, oro2;
	m2m_key *k, *k_other, *k_long;
	char *o, *p;

	(void)state;
	fx_rands(&rro, &oro);
	oro2 = oro;
	oro2.value[3] ^= 1; /* another originator rand value: another session key */
	k = fx_session(&rro, &oro, 10);
	k_other = fx_session(&rro, &oro2, 10);
	k_long = fx_session(&rro, &oro, 12);
	o = seal(k, 10, false, &rro, &oro);
	assert_int_equal(open_rc(o, k), M2M_OK);
	assert_int_equal(open_rc(o, k_other), M2M_E_ESP_BAD_MAC);   /* wrong session key */
	assert_int_equal(open_rc(o, k_long), M2M_E_ESP_DECRYPT);    /* key of the wrong length */
	p = strrchr(o, '.') + 1;                                     /* tampered tag */
	p[0] = p[0] == 'A' ? 'B' : 'A';
	assert_int_equal(open_rc(o, k), M2M_E_ESP_BAD_MAC);
	free(o);
	o = seal(k, 10, false, &rro, &oro);
	p = strchr(strchr(strchr(o, '.') + 1, '.') + 1, '.') + 1;   /* tampered ciphertext */
	p[0] = p[0] == 'A' ? 'B' : 'A';
	assert_int_equal(open_rc(o, k), M2M_E_ESP_BAD_MAC);
	free(o);
	/* another valid protected header over the same IV, ciphertext and tag: the header is the
	 * AAD (RFC 7516 clause 5.1 step 14), so the tag fails */
	o = seal(k, 10, false, &rro, &oro);
	char *o2 = seal(k, 10, true, &rro, &oro), spliced[8192];
	snprintf(spliced, sizeof(spliced), "%.*s%s", (int)(strchr(o2, '.') - o2), o2, strchr(o, '.'));
	assert_int_equal(open_rc(spliced, k), M2M_E_ESP_BAD_MAC);
	free(o);
	free(o2);
	m2m_key_free(k);
	m2m_key_free(k_other);
	m2m_key_free(k_long);
}

/* cjose 0.6.2 frees its copy of the content-encryption key (for "dir" the session key) and of a
 * plaintext without clearing them: once the ESPrim code has run, cjose's deallocator is the one
 * that clears a block before freeing it. */
static void test_cjose_dealloc_clears(void **state)
{
	m2m_esprim_rand rro, oro;
	m2m_key *k;
	char *o = NULL;
	m2m_esprim_hdr h;

	(void)state;
	fx_rands(&rro, &oro);
	k = fx_session(&rro, &oro, 10);
	h = (m2m_esprim_hdr){.aead = 10, .kid = "k@x", .ori = oro.id, .rri = rro.id};
	assert_int_equal(m2m_esprim_seal(k, &h, (const uint8_t *)"{}", 2, &o), M2M_OK);
	assert_true(cjose_get_dealloc() != free);
	free(o);
	m2m_key_free(k);
}

/* The answer's header (no rand objects), as cjose encodes it: exactly the members of Table
 * 8.4.3.2-2, and a kid that needs escaping goes through the JSON encoder and parses back
 * unchanged. */
static void test_header_text(void **state)
{
	m2m_esprim_rand rro, oro;
	m2m_key *k;
	m2m_esprim_obj *obj = NULL;
	char *o = NULL, want[512];
	uint8_t *raw = NULL;
	size_t n = 0;
	cjose_err err;
	m2m_esprim_hdr h;

	(void)state;
	fx_rands(&rro, &oro);
	k = fx_session(&rro, &oro, 10);
	h = (m2m_esprim_hdr){.aead = 10, .kid = "13-pw1@mef.example.com", .ori = oro.id, .rri = rro.id,
			     .cty = "application/json"};
	assert_int_equal(m2m_esprim_seal(k, &h, (const uint8_t *)"{}", 2, &o), M2M_OK);
	*strchr(o, '.') = '\0';
	assert_true(cjose_base64url_decode(o, strlen(o), &raw, &n, &err));
	snprintf(want, sizeof(want),
		 "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"13-pw1@mef.example.com\",\"ori\":\"%s\","
		 "\"rri\":\"%s\",\"cty\":\"application/json\"}",
		 oro.id, rro.id);
	json_t *got = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL), *exp = json_loads(want, 0, NULL);
	assert_non_null(got);
	assert_true(json_equal(got, exp));
	json_decref(got);
	json_decref(exp);
	cjose_get_dealloc()(raw);
	free(o);
	h.kid = "k\"\\q@x";
	assert_int_equal(m2m_esprim_seal(k, &h, (const uint8_t *)"{}", 2, &o), M2M_OK);
	assert_int_equal(m2m_esprim_parse(o, strlen(o), T0, &obj), M2M_OK);
	assert_string_equal(m2m_esprim_obj_hdr(obj)->kid, "k\"\\q@x");
	m2m_esprim_obj_free(obj);
	free(o);
	m2m_key_free(k);
}

/* m2mi_esprim_parse_same_hdr: an object with the header of one parsed before takes that header
 * (exactly what its parse gives, outliving the first object); another header is NOT_FOUND; the
 * parts are checked alike; a header with a relative esrx is never reusable. */
static void test_same_hdr(void **state)
{
	m2m_esprim_rand rro, oro;
	m2m_key *k;
	m2m_esprim_obj *a = NULL, *b = NULL, *ref = NULL, *c = NULL;
	char *oa = NULL, *ob = NULL, *oc = NULL, *hj, *rel;
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	const m2m_esprim_hdr *hb, *hr;
	static const char relhdr[] = "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"k@x\",\"ori\":\"o1\",\"rri\":\"r1\","
				     "\"oro\":{\"esri\":\"o1\",\"esrv\":\"vab\",\"esrx\":60000,\"esk\":1,\"espa\":[10]}}";
	cjose_err err;

	(void)state;
	fx_rands(&rro, &oro);
	k = fx_session(&rro, &oro, 10);
	oa = seal(k, 10, true, &rro, &oro);
	ob = seal(k, 10, true, &rro, &oro); /* the same header, another IV and ciphertext */
	oc = seal(k, 10, false, &rro, &oro);
	assert_int_equal(m2m_esprim_parse(oa, strlen(oa), T0, &a), M2M_OK);
	assert_true(m2mi_esprim_hdr_reusable(a));
	assert_int_equal(m2mi_esprim_parse_same_hdr(ob, strlen(ob), a, &b), M2M_OK);
	assert_int_equal(m2mi_esprim_parse_same_hdr(oc, strlen(oc), a, &c), M2M_E_NOT_FOUND);
	assert_null(c);
	assert_int_equal(m2mi_esprim_parse_same_hdr("a.b.c", 5, a, &c), M2M_E_ESP_FORMAT);
	/* what a memo keeps of a (its header's check, no object) serves as like all the same */
	m2m_esprim_obj *memo = m2mi_esprim_hdr_memo(a), *d = NULL;
	assert_non_null(memo);
	assert_int_equal(m2mi_esprim_parse_same_hdr(ob, strlen(ob), memo, &d), M2M_OK);
	assert_string_equal(m2m_esprim_obj_hdr(d)->kid, m2m_esprim_obj_hdr(b)->kid);
	assert_string_equal(m2m_esprim_obj_hdr(d)->cty, "application/json");
	assert_memory_equal(m2m_esprim_obj_hdr(d)->oro, m2m_esprim_obj_hdr(b)->oro, sizeof(m2m_esprim_rand));
	assert_int_equal(m2mi_esprim_parse_same_hdr(oc, strlen(oc), memo, &c), M2M_E_NOT_FOUND);
	m2m_esprim_obj_free(d);
	m2m_esprim_obj_free(memo);
	m2m_esprim_obj_free(a); /* b keeps the header */
	assert_int_equal(m2m_esprim_parse(ob, strlen(ob), T0, &ref), M2M_OK);
	hb = m2m_esprim_obj_hdr(b);
	hr = m2m_esprim_obj_hdr(ref);
	assert_int_equal(hb->aead, hr->aead);
	assert_string_equal(hb->kid, hr->kid);
	assert_string_equal(hb->ori, hr->ori);
	assert_string_equal(hb->rri, hr->rri);
	assert_string_equal(hb->cty, hr->cty);
	assert_non_null(hb->oro);
	assert_ptr_not_equal(hb->oro, hr->oro);
	assert_memory_equal(hb->oro, hr->oro, sizeof(*hb->oro));
	assert_null(hb->rro);
	assert_int_equal(m2m_esprim_open(b, k, &pt, &ptlen), M2M_OK); /* b's own ciphertext */
	assert_int_equal(ptlen, sizeof(inner) - 1);
	assert_memory_equal(pt, inner, ptlen);
	m2m_freezero(pt, ptlen);
	m2m_esprim_obj_free(b);
	m2m_esprim_obj_free(ref);
	/* a relative esrx ("now" + 60 s): the header depends on the time of its parse */
	assert_true(cjose_base64url_encode((const uint8_t *)relhdr, strlen(relhdr), &hj, &ptlen, &err));
	rel = malloc(ptlen + 64);
	assert_non_null(rel);
	snprintf(rel, ptlen + 64, "%s..AAAAAAAAAAAAAAAA.Y3Q.AAAAAAAAAAAAAAAAAAAAAA", hj);
	cjose_get_dealloc()(hj);
	assert_int_equal(m2m_esprim_parse(rel, strlen(rel), T0, &a), M2M_OK);
	assert_int_equal(m2m_esprim_obj_hdr(a)->oro->expiry, T0 + 60);
	assert_false(m2mi_esprim_hdr_reusable(a));
	assert_null(m2mi_esprim_hdr_memo(a)); /* nothing of it is kept */
	assert_int_equal(m2mi_esprim_parse_same_hdr(rel, strlen(rel), a, &c), M2M_E_NOT_FOUND);
	m2m_esprim_obj_free(a);
	free(rel);
	free(oa);
	free(ob);
	free(oc);
	m2m_key_free(k);
}

static void test_seal_refusals(void **state)
{
	m2m_esprim_rand rro, oro;
	m2m_key *k;
	m2m_esprim_hdr h;
	char *o = (char *)"x";

	(void)state;
	fx_rands(&rro, &oro);
	k = fx_session(&rro, &oro, 10);
	h = (m2m_esprim_hdr){.aead = 12, .kid = "k", .ori = oro.id, .rri = rro.id}; /* key is 16 octets */
	assert_int_equal(m2m_esprim_seal(k, &h, (const uint8_t *)"a", 1, &o), M2M_E_INVAL);
	assert_null(o);
	h = (m2m_esprim_hdr){.aead = 10, .ori = oro.id, .rri = rro.id};
	assert_int_equal(m2m_esprim_seal(k, &h, (const uint8_t *)"a", 1, &o), M2M_E_INVAL);
	h = (m2m_esprim_hdr){.aead = 10, .kid = "k", .ori = "not an ncname", .rri = rro.id};
	assert_int_equal(m2m_esprim_seal(k, &h, (const uint8_t *)"a", 1, &o), M2M_E_INVAL);
	h = (m2m_esprim_hdr){.aead = 9, .kid = "k", .ori = oro.id, .rri = rro.id};
	assert_int_equal(m2m_esprim_seal(k, &h, (const uint8_t *)"a", 1, &o), M2M_E_INVAL);
	m2m_key_free(k);
}

static void test_impersonation_and_rsc(void **state)
{
	static const struct {
		m2m_err e;
		int rsc;
	} map[] = {
		{M2M_E_ESP_FORMAT, 4000},        {M2M_E_ESP_RAND_OBJ, 4000},   {M2M_E_ESP_UNSUPPORTED, 4111},
		{M2M_E_ESP_KEY_ID, 4112},        {M2M_E_ESP_ORIG_RAND, 4113},  {M2M_E_ESP_RECV_RAND, 4114},
		{M2M_E_ESP_BAD_MAC, 4115},       {M2M_E_ESP_IMPERSONATION, 4116}, {M2M_E_ESP_DECRYPT, 5210},
		{M2M_E_ESP_ENCRYPT, 5211},       {M2M_E_NOMEM, 5000},
	};

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(map); i++)
		assert_int_equal(m2m_esprim_err_rsc(map[i].e), map[i].rsc);
	assert_int_equal(m2m_esprim_check_from("Cae1", "Cae1"), M2M_OK);
	assert_int_equal(m2m_esprim_check_from("Cae2", "Cae1"), M2M_E_ESP_IMPERSONATION);
	assert_int_equal(m2m_esprim_check_from("", "Cae1"), M2M_E_ESP_IMPERSONATION);
	assert_int_equal(m2m_esprim_check_from(NULL, "Cae1"), M2M_E_ESP_IMPERSONATION);
	assert_int_equal(m2m_esprim_check_from("cae1", "Cae1"), M2M_E_ESP_IMPERSONATION);
}

/* Interop: an ESPrim Object made by an independent JOSE implementation (python3-jwcrypto, the
 * seed fuzz/corpus/esprim/object_A192GCM: dir, A192GCM, key 24 x 0x42, with "rro") opens here. */
static void test_jwcrypto_object(void **state)
{
	static const char obj[] =
		"eyJhbGciOiJkaXIiLCJjdHkiOiJhcHBsaWNhdGlvbi9qc29uIiwiZW5jIjoiQTE5MkdDTSIsImtpZCI6IjEzLXB3MU"
		"BtZWYuZXhhbXBsZS5jb20iLCJvcmkiOiJuYjIiLCJycmkiOiJzYTEiLCJycm8iOnsiZXNrcyI6WzFdLCJlc3BhIjpb"
		"MTAsMTEsMTJdLCJlc3JpIjoic2ExIiwiZXNydiI6InYwMTAyIiwiZXNyeCI6IjIwOTkxMjMxVDAwMDAwMCJ9fQ..gt"
		"A5K_5t3vD8foBt.qM4KRgdondJb-6uRFwwz2oOb3v4ylvPV3fhRO-3hJVSd87E529GpjVDzxACB2-i4r2TPZdfwHMN"
		"bloofZaDkFYiRC4GZ7JZH.yp-4tlIPFxgooaqZWnCJLw";
	uint8_t b[24];
	m2m_key *k = NULL;
	m2m_esprim_obj *o = NULL;
	const m2m_esprim_hdr *h;
	uint8_t *pt = NULL;
	size_t ptlen = 0;

	(void)state;
	memset(b, 0x42, sizeof(b));
	assert_int_equal(m2m_key_new(b, sizeof(b), &k), M2M_OK);
	assert_int_equal(m2m_esprim_parse(obj, strlen(obj), T0, &o), M2M_OK);
	h = m2m_esprim_obj_hdr(o);
	assert_int_equal(h->aead, M2M_ESPRIM_A192GCM);
	assert_string_equal(h->kid, "13-pw1@mef.example.com");
	assert_string_equal(h->ori, "nb2");
	assert_string_equal(h->rri, "sa1");
	assert_non_null(h->rro);
	assert_string_equal(h->rro->value, "v0102");
	assert_int_equal(m2m_esprim_open(o, k, &pt, &ptlen), M2M_OK);
	assert_int_equal(ptlen, sizeof(inner) - 1);
	assert_memory_equal(pt, inner, ptlen);
	m2m_freezero(pt, ptlen);
	m2m_esprim_obj_free(o);
	m2m_key_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),      cmocka_unit_test(test_rro),
		cmocka_unit_test(test_parse_refusals),  cmocka_unit_test(test_open_refusals),
		cmocka_unit_test(test_seal_refusals),   cmocka_unit_test(test_header_text), cmocka_unit_test(test_cjose_dealloc_clears),
		cmocka_unit_test(test_same_hdr),   cmocka_unit_test(test_impersonation_and_rsc),
		cmocka_unit_test(test_jwcrypto_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
