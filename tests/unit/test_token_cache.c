/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/token_cache.c (TS-0003 clause 7.3.2.3 steps
 * 7.1.2-7.1.5): the verified-token cache keyed by the token digest, bounded by capacity (LRU)
 * and by notAfter, and revocation by token ID that outlives the cached copy.
 */
#include "token_fixture.h"

static char *issue_id(struct tfx *f, const char *jti, int64_t na)
{
	static const char *const aud[] = {CSE};
	m2m_token_claims c = {.version = "1", .token_id = jti, .issuer = ISS, .holder = HOLDER,
			      .not_before = NOW - 10, .not_after = na, .audience = aud, .naudience = 1};
	char *out = NULL;

	assert_int_equal(m2m_token_sign(&c, f->signer, &out), M2M_OK);
	return out;
}

static m2m_token *parsed(struct tfx *f, const char *t)
{
	m2m_token_verify_opts o = tfx_opts();
	m2m_token *tok = NULL;

	assert_int_equal(m2m_token_parse(t, strlen(t), f->trust, &o, &tok), M2M_OK);
	return tok;
}

static void test_get_put(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_cache *c = NULL;
	char *t = issue_id(f, "a1@sp.example.com", NOW + 100);
	m2m_token *tok = parsed(f, t), *hit = NULL;

	(void)state;
	assert_int_equal(m2m_token_cache_new(0, &c), M2M_E_RANGE);
	assert_int_equal(m2m_token_cache_new(2, &c), M2M_OK);
	assert_int_equal(m2m_token_cache_get(c, t, strlen(t), NOW, 0, &hit), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_token_cache_put(c, tok, NOW, 0), M2M_OK);
	assert_int_equal(m2m_token_cache_put(c, tok, NOW, 0), M2M_OK); /* same digest: one entry */
	assert_int_equal(m2m_token_cache_count(c), 1);
	assert_int_equal(m2m_token_cache_get(c, t, strlen(t), NOW, 0, &hit), M2M_OK);
	assert_ptr_equal(hit, tok);
	m2m_token_unref(hit);
	/* another text (one character less) is another key */
	assert_int_equal(m2m_token_cache_get(c, t, strlen(t) - 1, NOW, 0, &hit), M2M_E_NOT_FOUND);
	/* bounded by exp: a lookup after notAfter + skew drops it */
	assert_int_equal(m2m_token_cache_get(c, t, strlen(t), NOW + 100 + 5, 5, &hit), M2M_OK);
	m2m_token_unref(hit);
	assert_int_equal(m2m_token_cache_get(c, t, strlen(t), NOW + 106, 5, &hit), M2M_E_NOT_FOUND);
	assert_null(hit);
	assert_int_equal(m2m_token_cache_count(c), 0);
	assert_int_equal(m2m_token_cache_put(c, tok, NOW + 106, 5), M2M_E_TOKEN_EXPIRED);
	m2m_token_unref(tok);
	m2m_token_cache_free(c);
	free(t);
	tfx_free(f);
}

static void test_lru(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_cache *c = NULL;
	char *t[3];
	m2m_token *tok[3], *hit = NULL;

	(void)state;
	assert_int_equal(m2m_token_cache_new(2, &c), M2M_OK);
	for (int i = 0; i < 3; i++) {
		char id[64];
		snprintf(id, sizeof(id), "t%d@sp.example.com", i);
		t[i] = issue_id(f, id, NOW + 100);
		tok[i] = parsed(f, t[i]);
	}
	assert_int_equal(m2m_token_cache_put(c, tok[0], NOW, 0), M2M_OK);
	assert_int_equal(m2m_token_cache_put(c, tok[1], NOW, 0), M2M_OK);
	assert_int_equal(m2m_token_cache_get(c, t[0], strlen(t[0]), NOW, 0, &hit), M2M_OK); /* 0 is recent */
	m2m_token_unref(hit);
	assert_int_equal(m2m_token_cache_put(c, tok[2], NOW, 0), M2M_OK); /* evicts 1 */
	assert_int_equal(m2m_token_cache_count(c), 2);
	assert_int_equal(m2m_token_cache_get(c, t[1], strlen(t[1]), NOW, 0, &hit), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_token_cache_get(c, t[0], strlen(t[0]), NOW, 0, &hit), M2M_OK);
	m2m_token_unref(hit);
	m2m_token_cache_clear(c);
	assert_int_equal(m2m_token_cache_count(c), 0);
	assert_int_equal(m2m_token_cache_get(c, t[0], strlen(t[0]), NOW, 0, &hit), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_token_cache_put(c, tok[0], NOW, 0), M2M_OK);
	m2m_token_cache_free(c); /* the tokens outlive the cache */
	for (int i = 0; i < 3; i++) {
		assert_string_equal(m2m_token_claims_of(tok[i])->issuer, ISS);
		m2m_token_unref(tok[i]);
		free(t[i]);
	}
	tfx_free(f);
}

static void test_revoke(void **state)
{
	struct tfx *f = tfx_new();
	m2m_token_cache *c = NULL;
	char *a = issue_id(f, "rv@sp.example.com", NOW + 100), *b = issue_id(f, "rv@sp.example.com", NOW + 200);
	char *x = issue_id(f, "x1@sp.example.com", NOW + 100), *y = issue_id(f, "y1@sp.example.com", NOW + 100);
	m2m_token *ta = parsed(f, a), *tb = parsed(f, b), *tx = parsed(f, x), *ty = parsed(f, y), *hit = NULL;
	size_t n = 9;

	(void)state;
	assert_int_equal(m2m_token_cache_new(2, &c), M2M_OK);
	assert_int_equal(m2m_token_cache_put(c, ta, NOW, 0), M2M_OK);
	assert_int_equal(m2m_token_cache_put(c, tb, NOW, 0), M2M_OK);
	assert_int_equal(m2m_token_cache_revoke(c, "rv@sp.example.com", NOW + 200, NOW, &n), M2M_OK);
	assert_int_equal(n, 2);
	assert_int_equal(m2m_token_cache_get(c, a, strlen(a), NOW, 0, &hit), M2M_E_NOT_FOUND);
	/* presented again: refused, not re-cached */
	assert_int_equal(m2m_token_cache_put(c, ta, NOW, 0), M2M_E_TOKEN_REVOKED);
	/* the revocation is forgotten once the token has expired anyway */
	assert_int_equal(m2m_token_cache_put(c, tx, NOW + 201, 0), M2M_E_TOKEN_EXPIRED);
	/* revocations are bounded: capacity 2, a second one fits, a third does not (fail closed) */
	assert_int_equal(m2m_token_cache_revoke(c, "x1@sp.example.com", NOW + 100, NOW, NULL), M2M_OK);
	assert_int_equal(m2m_token_cache_put(c, ty, NOW, 0), M2M_OK);
	assert_int_equal(m2m_token_cache_revoke(c, "y1@sp.example.com", NOW + 100, NOW, &n), M2M_E_STORAGE_FULL);
	assert_int_equal(n, 1); /* ... but the cached copy is dropped all the same */
	assert_int_equal(m2m_token_cache_get(c, y, strlen(y), NOW, 0, &hit), M2M_E_NOT_FOUND);
	/* after the remembered ones expire there is room again */
	assert_int_equal(m2m_token_cache_revoke(c, "y1@sp.example.com", NOW + 300, NOW + 250, NULL), M2M_OK);
	assert_int_equal(m2m_token_cache_revoke(c, "", 0, NOW, NULL), M2M_E_INVAL);
	m2m_token_unref(ta);
	m2m_token_unref(tb);
	m2m_token_unref(tx);
	m2m_token_unref(ty);
	m2m_token_cache_free(c);
	free(a);
	free(b);
	free(x);
	free(y);
	tfx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_put),
		cmocka_unit_test(test_lru),
		cmocka_unit_test(test_revoke),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
