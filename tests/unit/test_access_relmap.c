/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the authorization relationship mapping (access_relmap.c,
 * TS-0003 clauses 7.3.2.2 steps 5-8 and 7.3.2.7.1): the AuthorSign format and signature check,
 * the bounded AuthorRelMapRecord table, and the in-process CSE (token_cse_fixture.h): a token
 * issued to Cae1 is used by the re-registered AE Cae3 only with an AuthorSign of Cae1's key.
 */
#include <openssl/ecdsa.h>
#include <openssl/sha.h>

#include "services/cse/relmap.h"
#include "token_cse_fixture.h"

#define AE3 "//sp.example.com/id-in/Cae3"
#define AE4 "//sp.example.com/id-in/Cae4"

typedef struct author {
	EVP_PKEY *k;
	X509 *x;
} author;

static author author_new(const char *group)
{
	author a;

	a.k = EVP_EC_gen(group);
	assert_non_null(a.k);
	a.x = self_cert(a.k, NOW - 86400, NOW + 86400);
	return a;
}

static void author_free(author *a)
{
	X509_free(a->x);
	EVP_PKEY_free(a->k);
}

/* An AuthorSign of a on the token text for originator (relmap.h format); `extra` trailing bytes. */
static char *sign(const author *a, const char *token, const char *originator, const char *aud, size_t extra)
{
	uint8_t dig[32], msg[2048], raw[4096 + 2 + 64 + 8] = {0}, *der = NULL, *sig = NULL;
	size_t dl = sizeof(M2MI_AUS_DOMAIN), ol = strlen(originator) + 1, al = strlen(aud), n, sl = 0;
	const uint8_t *sp;
	int cl = i2d_X509(a->x, &der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *es;
	char *out;
	size_t outl;
	cjose_err err;

	SHA256((const uint8_t *)token, strlen(token), dig);
	memcpy(msg, M2MI_AUS_DOMAIN, dl);
	memcpy(msg + dl, dig, 32);
	memcpy(msg + dl + 32, originator, ol);
	memcpy(msg + dl + 32 + ol, aud, al);
	n = dl + 32 + ol + al;
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, a->k), 1);
	assert_int_equal(EVP_DigestSign(md, NULL, &sl, msg, n), 1);
	sig = malloc(sl);
	assert_int_equal(EVP_DigestSign(md, sig, &sl, msg, n), 1);
	sp = sig;
	es = d2i_ECDSA_SIG(NULL, &sp, (long)sl);
	assert_non_null(es);
	raw[0] = (uint8_t)(cl >> 8);
	raw[1] = (uint8_t)cl;
	memcpy(raw + 2, der, (size_t)cl);
	BN_bn2binpad(ECDSA_SIG_get0_r(es), raw + 2 + cl, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 2 + cl + 32, 32);
	assert_true(cjose_base64url_encode(raw, 2 + (size_t)cl + 64 + extra, &out, &outl, &err));
	ECDSA_SIG_free(es);
	free(sig);
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	return out;
}

static void test_author_sign_check(void **state)
{
	author a = author_new("P-256"), b = author_new("P-384");
	const char *tk = "aaa.bbb.ccc";
	uint8_t dig[32], k1[32], k2[32];
	char *s = sign(&a, tk, HOLDER, CSE, 0), *s384 = sign(&b, tk, HOLDER, CSE, 0), *tail = sign(&a, tk, HOLDER, CSE, 1);
	char list[20000];

	(void)state;
	SHA256((const uint8_t *)tk, strlen(tk), dig);
	assert_int_equal(m2mi_author_sign_check(s, strlen(s), dig, HOLDER, CSE, k1), M2M_OK);
	/* the signed string names the originator and this CSE: any other is a bad signature */
	assert_int_equal(m2mi_author_sign_check(s, strlen(s), dig, AE3, CSE, k2), M2M_E_TOKEN_SIGNATURE);
	assert_int_equal(m2mi_author_sign_check(s, strlen(s), dig, HOLDER, "//sp.example.com/id-mn", k2),
			 M2M_E_TOKEN_SIGNATURE);
	dig[0] ^= 1;
	assert_int_equal(m2mi_author_sign_check(s, strlen(s), dig, HOLDER, CSE, k2), M2M_E_TOKEN_SIGNATURE);
	dig[0] ^= 1;
	assert_int_equal(m2mi_author_sign_check(s384, strlen(s384), dig, HOLDER, CSE, k2), M2M_E_TOKEN_KEY);
	assert_int_equal(m2mi_author_sign_check(tail, strlen(tail), dig, HOLDER, CSE, k2), M2M_E_TOKEN_FORMAT);
	assert_int_equal(m2mi_author_sign_check("AAAA", 4, dig, HOLDER, CSE, k2), M2M_E_TOKEN_FORMAT);
	assert_int_equal(m2mi_author_sign_check("a.b", 3, dig, HOLDER, CSE, k2), M2M_E_TOKEN_FORMAT);
	assert_int_equal(m2mi_author_sign_check(s, 0, dig, HOLDER, CSE, k2), M2M_E_TOKEN_FORMAT);
	/* lists: the matching entry is found among others; a malformed entry spoils the list */
	snprintf(list, sizeof(list), "%s+%s", s384, s);
	assert_int_equal(m2mi_author_signs_find(list, dig, HOLDER, CSE, NULL, k2), M2M_OK);
	assert_memory_equal(k1, k2, 32);
	assert_int_equal(m2mi_author_signs_find(list, dig, HOLDER, CSE, k1, k2), M2M_OK);
	k1[0] ^= 1; /* another author's key wanted */
	assert_int_equal(m2mi_author_signs_find(list, dig, HOLDER, CSE, k1, k2), M2M_E_TOKEN_SIGNATURE);
	snprintf(list, sizeof(list), "%s+", s);
	assert_int_equal(m2mi_author_signs_find(list, dig, HOLDER, CSE, NULL, k2), M2M_E_TOKEN_FORMAT);
	assert_int_equal(m2mi_author_signs_find("", dig, HOLDER, CSE, NULL, k2), M2M_E_TOKEN_FORMAT);
	free(s);
	free(s384);
	free(tail);
	author_free(&a);
	author_free(&b);
}

static void test_relmap_table(void **state)
{
	m2mi_relmap *m;
	m2mi_relmap_rec r = {.until = NOW + 10}, got;
	uint8_t other[32] = {9};

	(void)state;
	assert_int_equal(m2mi_relmap_new(1, &m), M2M_OK);
	memset(r.tdig, 1, 32);
	memset(r.spki, 2, 32);
	snprintf(r.subject, sizeof(r.subject), "%s", HOLDER);
	assert_false(m2mi_relmap_get(m, r.tdig, NOW, &got));
	assert_int_equal(m2mi_relmap_put(m, &r, NOW), M2M_OK);
	assert_int_equal(m2mi_relmap_put(m, &r, NOW), M2M_OK); /* the same author again: kept */
	memcpy(got.spki, r.spki, 32);
	got.spki[0] = 7;
	{ /* never taken over by another author */
		m2mi_relmap_rec o = r;
		o.spki[0] = 7;
		assert_int_equal(m2mi_relmap_put(m, &o, NOW), M2M_E_TOKEN_SIGNATURE);
		memset(o.tdig, 3, 32); /* bounded: a second token does not fit, none is evicted */
		assert_int_equal(m2mi_relmap_put(m, &o, NOW), M2M_E_STORAGE_FULL);
		assert_int_equal(m2mi_relmap_map(m, r.tdig, other, AE3, NOW), M2M_E_TOKEN_SIGNATURE);
		assert_int_equal(m2mi_relmap_map(m, o.tdig, r.spki, AE3, NOW), M2M_E_NOT_FOUND);
		assert_int_equal(m2mi_relmap_map(m, r.tdig, r.spki, AE3, NOW), M2M_OK);
		assert_true(m2mi_relmap_get(m, r.tdig, NOW, &got));
		assert_string_equal(got.mapped, AE3);
		assert_string_equal(got.subject, HOLDER);
		/* expiring with the token: then the slot is free again */
		assert_int_equal(m2mi_relmap_count(m, NOW + 10), 1);
		assert_int_equal(m2mi_relmap_count(m, NOW + 11), 0);
		assert_false(m2mi_relmap_get(m, r.tdig, NOW + 11, &got));
		assert_int_equal(m2mi_relmap_put(m, &o, NOW + 11), M2M_OK);
	}
	m2mi_relmap_free(m);
}

static int get(afx *a, const char *fr, const char *tkns, int asi, const char *aus)
{
	fx_prepare(a->f, M2M_OP_RETRIEVE, "cse-in/own/data", fr, 0, NULL);
	a->f->req.tkns = strdup(tkns);
	a->f->req.asi = asi;
	if (aus != NULL)
		a->f->req.aus = strdup(aus);
	return fx_send(a->f);
}

/* TS-0003 clause 7.3.2.2 steps 5-8 (record) and 7.3.2.7.1 (map), every refusal with its RSC. */
static void test_cse_relationship_mapping(void **state)
{
	afx *a = open_cse(true, NULL);
	author me = author_new("P-256"), thief = author_new("P-256");
	char *t = tok(a, HOLDER, a->cnt, 2);
	char *rec = sign(&me, t, HOLDER, CSE, 0), *map = sign(&me, t, AE3, CSE, 0), *bad = sign(&thief, t, AE3, CSE, 0),
	     *bad1 = sign(&thief, t, HOLDER, CSE, 0), *map4 = sign(&me, t, AE4, CSE, 0), *thief4 = sign(&thief, t, AE4, CSE, 0);

	(void)state;
	fx_ae(a->f, "Cae4", "ae4");
	/* no record yet: the new AE-ID is simply not the holder (no asri: nothing to sign for) */
	assert_rsc(a->f, get(a, "Cae3", t, 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_false(a->f->rsp.asri);
	assert_rsc(a->f, get(a, "Cae3", t, 0, map), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* the holder with asi: permitted, and asked to sign (step 5) */
	assert_rsc(a->f, get(a, "Cae1", t, 2, NULL), M2M_RSC_OK);
	assert_true(a->f->rsp.asri);
	assert_rsc(a->f, get(a, "Cae1", t, 0, NULL), M2M_RSC_OK);
	assert_false(a->f->rsp.asri);
	/* a malformed AuthorSign is a bad request; a signature naming another AE-ID asks again */
	assert_rsc(a->f, get(a, "Cae1", t, 2, "not.base64url"), M2M_RSC_BAD_REQUEST);
	assert_rsc(a->f, get(a, "Cae1", t, 2, map), M2M_RSC_OK);
	assert_true(a->f->rsp.asri);
	/* steps 6-8: the AuthorSign of the holder makes the record */
	assert_rsc(a->f, get(a, "Cae1", t, 2, rec), M2M_RSC_OK);
	assert_false(a->f->rsp.asri);
	/* the record is never taken over by another author */
	assert_rsc(a->f, get(a, "Cae1", t, 2, bad1), M2M_RSC_OK);
	assert_true(a->f->rsp.asri);
	/* clause 7.3.2.7.1: the re-registered AE without AuthorSign: 4103 with asri */
	assert_rsc(a->f, get(a, "Cae3", t, 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_true(a->f->rsp.asri);
	/* another key, or the record's signature replayed for the old AE-ID: 4103 */
	assert_rsc(a->f, get(a, "Cae3", t, 0, bad), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(a->f, get(a, "Cae3", t, 0, rec), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* the same author: mapped old -> new, and the token's privileges apply */
	assert_rsc(a->f, get(a, "Cae3", t, 0, map), M2M_RSC_OK);
	assert_rsc(a->f, get(a, "Cae3", t, 0, NULL), M2M_RSC_OK);
	{ /* the Local-Token-ID assigned to the new AE-ID works through the mapping too */
		char lti[64];
		assert_non_null(a->f->rsp.ati);
		snprintf(lti, sizeof(lti), "%.*s", (int)strcspn(a->f->rsp.ati, ":"), a->f->rsp.ati);
		fx_prepare(a->f, M2M_OP_RETRIEVE, "cse-in/own/data", "Cae3", 0, NULL);
		a->f->req.ltids = calloc(1, sizeof(char *));
		a->f->req.ltids[0] = strdup(lti);
		a->f->req.nltids = 1;
		assert_rsc(a->f, fx_send(a->f), M2M_RSC_OK);
	}
	/* the holder moved: the old AE-ID, another AE without the key: 4103 */
	assert_rsc(a->f, get(a, "Cae1", t, 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(a->f, get(a, "Cae4", t, 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_true(a->f->rsp.asri);
	assert_rsc(a->f, get(a, "Cae4", t, 0, thief4), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* the mapping gives only the token's own privileges: no UPDATE (acop 2 = RETRIEVE) */
	fx_prepare(a->f, M2M_OP_UPDATE, "cse-in/own/data", "Cae3", 0, "{\"m2m:cnt\":{\"lbl\":[\"x\"]}}");
	a->f->req.tkns = strdup(t);
	assert_rsc(a->f, fx_send(a->f), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* a further re-registration by the same author moves it again */
	assert_rsc(a->f, get(a, "Cae4", t, 0, map4), M2M_RSC_OK);
	assert_rsc(a->f, get(a, "Cae3", t, 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* and the record expires with the token */
	a->f->now = NOW + 7200 + M2M_TOKEN_DEFAULT_SKEW + 1;
	assert_rsc(a->f, get(a, "Cae4", t, 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	free(t);
	free(rec);
	free(map);
	free(bad);
	free(bad1);
	free(map4);
	free(thief4);
	author_free(&me);
	author_free(&thief);
	close_cse(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_author_sign_check),
		cmocka_unit_test(test_relmap_table),
		cmocka_unit_test(test_cse_relationship_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
