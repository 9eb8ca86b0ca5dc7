/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MAF configuration of the remote-key resolver
 * (remote/maf_key_rsp.c): the CSE as Entity B of MAF-based SAEF (TS-0003 §8.2.2.3) retrieving Kc
 * with RETRIEVE /mafKeyReg/<relKeyID> (§8.8.2.8, docs/procedures/maf.md "The CSE side").
 * Parser: the good answer (psk = Kc[0..15] by the key-split rule of §8.8.1, the binding to
 * sourceID, Credential-ID 12-<Key Identifier>, SUID 32, expiry = expirationTime) and every
 * malformed or foreign answer refused; the resolver over a fake transport and an injected clock:
 * miss -> one fetch, hit from the cache, the cache bound min(expiry, maf-cache-seconds),
 * refusals 4004/4103 kept 5 s, anything else not kept; a key whose targetIDs do not name this
 * CSE refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/mef_codec.h"
#include "remote/remote_key.h"
#include "remote_fake.h"

#define REL "00112233445566778899AABBCCDDEEFF"
#define KID REL "@maf.example.com"
/* Kc: the first half 0x11.., the second 0x22.. (the split must take the first) */
#define KC "1111111111111111111111111111111122222222222222222222222222222222"
#define EXP "20270101T000000"

static int64_t exp_t;

static const char *body(const char *rel, const char *kid, int suid, const char *exp, const char *sid,
			const char *kv, const char *extra)
{
	static char b[1024];
	char k[128] = "", s[160] = "", v[160] = "";

	if (kid)
		snprintf(k, sizeof(k), "\"keyID\":\"%s\",", kid);
	if (sid)
		snprintf(s, sizeof(s), "\"sourceID\":\"%s\",", sid);
	if (kv)
		snprintf(v, sizeof(v), "\"keyValue\":\"%s\",", kv);
	snprintf(b, sizeof(b),
		 "{\"sec:mafKeyReg\":{\"relKeyID\":\"%s\",%s\"expirationTime\":\"%s\",%s\"adminFQDN\":\"a.example.com\","
		 "%s\"targetIDs\":[\"//sp.example.com/cse-in\"],\"SUID\":%d}%s}",
		 rel, k, exp, s, v, suid, extra ? extra : "");
	return b;
}

static m2m_err parse(const char *b, int64_t now, m2m_key **k, m2m_sa *sa)
{
	return m2mi_maf_parse_key_rsp(2000, b, strlen(b), KID, 32, now, k, sa);
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(m2mi_mef_ts_parse(EXP, &exp_t), M2M_OK);
	return 0;
}

static void test_good_answer(void **state)
{
	m2m_key *k = NULL;
	m2m_sa sa;
	size_t len = 0;
	const uint8_t *p;
	int64_t nb, na;

	(void)state;
	assert_int_equal(parse(body(REL, KID, 32, EXP, "//sp.example.com/cse-in/Cdev1", KC, NULL), exp_t - 100, &k, &sa),
			 M2M_OK);
	p = m2m_key_bytes(k, &len);
	assert_int_equal(len, 16); /* (D)TLS-PSK needs one key: the first half of Kc */
	for (size_t i = 0; i < len; i++)
		assert_int_equal(p[i], 0x11);
	assert_string_equal(m2m_key_id(k), KID);
	assert_int_equal(m2m_key_suid(k), 32);
	m2m_key_validity(k, &nb, &na);
	assert_int_equal(na, exp_t);
	assert_int_equal(sa.kind, M2M_SA_PSK);
	assert_int_equal(sa.entity, M2M_ENTITY_AE);
	assert_string_equal(sa.bound_id, "//sp.example.com/cse-in/Cdev1");
	assert_string_equal(sa.credential_id, "12-" KID);
	assert_int_equal(sa.suid, 32);
	assert_int_equal(sa.expiry, exp_t);
	m2m_key_free(k);
	/* a CSE as Entity A; keyID absent and relKeyID in lowercase are fine (hexBinary) */
	assert_int_equal(parse(body("00112233445566778899aabbccddeeff", NULL, 32, EXP, "/cse-mn", KC, NULL), exp_t - 1,
			       &k, &sa),
			 M2M_OK);
	assert_int_equal(sa.entity, M2M_ENTITY_CSE);
	assert_string_equal(sa.bound_id, "/cse-mn");
	m2m_key_free(k);
	/* SUID 33 (ESPrim): Kc itself is the pairwiseESPrimKey, not its first half (docs/keys.md 8) */
	{
		const char *b = body(REL, KID, 33, EXP, "//sp.example.com/cse-in/Cdev1", KC, NULL);
		assert_int_equal(m2mi_maf_parse_key_rsp(2000, b, strlen(b), KID, 33, exp_t - 100, &k, &sa), M2M_OK);
		p = m2m_key_bytes(k, &len);
		assert_int_equal(len, 32);
		assert_int_equal(m2m_key_suid(k), 33);
		assert_int_equal(sa.suid, 33);
		m2m_key_free(k);
		k = NULL;
		/* the answer's SUID must be the one asked, both ways */
		assert_int_equal(m2mi_maf_parse_key_rsp(2000, b, strlen(b), KID, 32, exp_t - 100, &k, &sa), M2M_E_PROTO);
		assert_null(k);
	}
	assert_int_equal(m2mi_maf_parse_key_rsp(2000, body(REL, KID, 32, EXP, "/cse-mn", KC, NULL),
						strlen(body(REL, KID, 32, EXP, "/cse-mn", KC, NULL)), KID, 33, exp_t - 1,
						&k, &sa),
			 M2M_E_PROTO);
}

static void test_malformed(void **state)
{
	const char *other = "FF112233445566778899AABBCCDDEEFF";
	struct {
		const char *what, *b;
	} bad[] = {
		{"wrong relKeyID", NULL},
		{"wrong keyID", NULL},
		{"keyID of another MAF", NULL},
		{"SUID 22", NULL},
		{"expired", NULL},
		{"short key", NULL},
		{"long key", NULL},
		{"non-hex key", NULL},
		{"missing keyValue (the source's view)", NULL},
		{"missing sourceID", NULL},
		{"invalid sourceID", NULL},
		{"a KpsaID as sourceID", NULL},
		{"extra wrapper", NULL},
		{"unreadable expirationTime", NULL},
		{"SUID a string", NULL},
		{"keyID not a string", NULL},
	};
	char bufs[16][1024];
	int i = 0;
	m2m_key *k = (m2m_key *)1;
	m2m_sa sa;

	(void)state;
#define B(...) snprintf(bufs[i], sizeof(bufs[0]), "%s", body(__VA_ARGS__)), bad[i].b = bufs[i], i++
	B(other, NULL, 32, EXP, "Cdev1", KC, NULL);
	B(REL, other, 32, EXP, "Cdev1", KC, NULL);
	B(REL, REL "@maf2.example.com", 32, EXP, "Cdev1", KC, NULL);
	B(REL, KID, 22, EXP, "Cdev1", KC, NULL);
	B(REL, KID, 32, "20260101T000000", "Cdev1", KC, NULL);
	B(REL, KID, 32, EXP, "Cdev1", "11111111111111111111111111111111222222222222222222222222222222", NULL);
	B(REL, KID, 32, EXP, "Cdev1", KC "00", NULL);
	B(REL, KID, 32, EXP, "Cdev1", "1111111111111111111111111111111122222222222222222222222222222zz2", NULL);
	B(REL, KID, 32, EXP, "Cdev1", NULL, NULL);
	B(REL, KID, 32, EXP, NULL, KC, NULL);
	B(REL, KID, 32, EXP, "not an id!", KC, NULL);
	B(REL, KID, 32, EXP, "kpsa1@sp.example.com", KC, NULL);
	B(REL, KID, 32, EXP, "Cdev1", KC, ",\"m2m:dbg\":\"x\"");
	B(REL, KID, 32, "2027-01-01", "Cdev1", KC, NULL);
#undef B
	snprintf(bufs[i], sizeof(bufs[0]),
		 "{\"sec:mafKeyReg\":{\"relKeyID\":\"%s\",\"expirationTime\":\"%s\",\"sourceID\":\"Cdev1\","
		 "\"keyValue\":\"%s\",\"SUID\":\"32\"}}",
		 REL, EXP, KC);
	bad[i].b = bufs[i];
	i++;
	snprintf(bufs[i], sizeof(bufs[0]),
		 "{\"sec:mafKeyReg\":{\"relKeyID\":\"%s\",\"keyID\":7,\"expirationTime\":\"%s\",\"sourceID\":\"Cdev1\","
		 "\"keyValue\":\"%s\",\"SUID\":32}}",
		 REL, EXP, KC);
	bad[i].b = bufs[i];
	i++;
	assert_int_equal(i, (int)(sizeof(bad) / sizeof(bad[0])));
	for (int j = 0; j < i; j++) {
		k = (m2m_key *)1;
		if (parse(bad[j].b, exp_t - 10, &k, &sa) != M2M_E_PROTO || k != NULL || sa.bound_id[0] != '\0')
			fail_msg("accepted: %s", bad[j].what);
	}
	/* at exactly expirationTime the key is expired */
	assert_int_equal(parse(body(REL, KID, 32, EXP, "Cdev1", KC, NULL), exp_t, &k, &sa), M2M_E_PROTO);
	/* not JSON, not an object, duplicate members, the wrong wrapper, no body */
	assert_int_equal(parse("{", 0, &k, &sa), M2M_E_PROTO);
	assert_int_equal(parse("[]", 0, &k, &sa), M2M_E_PROTO);
	assert_int_equal(parse("{\"sec:mafKeyReg\":{},\"sec:mafKeyReg\":{}}", 0, &k, &sa), M2M_E_PROTO);
	assert_int_equal(parse("{\"sec:fetchCredRsp\":{}}", 0, &k, &sa), M2M_E_PROTO);
	assert_int_equal(m2mi_maf_parse_key_rsp(2000, NULL, 0, KID, 32, 0, &k, &sa), M2M_E_PROTO);
	assert_null(k);
}

static void test_rsc(void **state)
{
	const char *b = body(REL, KID, 32, EXP, "Cdev1", KC, NULL);
	m2m_key *k = NULL;
	m2m_sa sa;

	(void)state;
	assert_int_equal(m2mi_maf_parse_key_rsp(4004, "{}", 2, KID, 32, 0, &k, &sa), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_maf_parse_key_rsp(4103, "{}", 2, KID, 32, 0, &k, &sa), M2M_E_AUTH);
	/* a good body under any other RSC is no key */
	assert_int_equal(m2mi_maf_parse_key_rsp(2001, b, strlen(b), KID, 32, 0, &k, &sa), M2M_E_PROTO);
	assert_int_equal(m2mi_maf_parse_key_rsp(4000, b, strlen(b), KID, 32, 0, &k, &sa), M2M_E_PROTO);
	assert_int_equal(m2mi_maf_parse_key_rsp(5000, b, strlen(b), KID, 32, 0, &k, &sa), M2M_E_PROTO);
	assert_null(k);
}

/* ---- the resolver in its MAF configuration, over a fake transport ------------------------- */

static struct {
	int n;
	m2m_err err[8];
	size_t klen[8];
	m2m_sa sa[8];
} dn;

static m2m_err fake_done(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *sa)
{
	(void)w;
	assert_true(dn.n < 8);
	dn.err[dn.n] = err;
	dn.klen[dn.n] = key ? m2m_key_len(key) : 0;
	if (sa)
		dn.sa[dn.n] = *sa;
	m2m_key_free(key);
	dn.n++;
	return M2M_OK;
}

static m2mi_remote_key *mk(int cache_s)
{
	m2mi_remote_key_cfg cfg = {.lim = {64, 8, cache_s, 5}, .fetch = fake_fetch, .done = fake_done, .clock = clk};
	m2mi_remote_key *rk = NULL;

	m2mi_remote_key_cfg_maf(&cfg, "MAF.example.com");
	memset(&tr, 0, sizeof(tr));
	memset(&dn, 0, sizeof(dn));
	now_s = exp_t - 1000;
	assert_int_equal(m2mi_remote_key_new(&cfg, &rk), M2M_OK);
	return rk;
}

static m2m_err start(m2mi_remote_key *rk, const char *identity, bool *got, m2m_sa *sa)
{
	static int w;
	m2m_key *key = NULL;
	m2m_err r = m2mi_remote_key_start(rk, identity, now_s, (m2m_psk_wait *)&w, &key, sa);

	*got = key != NULL;
	if (key)
		assert_int_equal(m2m_key_len(key), 16);
	m2m_key_free(key);
	return r;
}

static void answer(int i, int rsc, const char *b)
{
	tr.done[i](tr.arg[i], 0, rsc == 2000 ? 200 : 404, rsc, b, b ? strlen(b) : 0);
}

static void test_resolver_hit_miss_cap(void **state)
{
	m2mi_remote_key *rk = mk(60);
	bool k;
	m2m_sa sa;

	(void)state;
	assert_int_equal(m2mi_remote_key_suid(rk), 32);
	/* not ours: a KeID-shaped identity of another FQDN, a KpsaID */
	assert_int_equal(start(rk, REL "@mef.example.com", &k, &sa), M2M_E_NOT_FOUND);
	assert_int_equal(start(rk, "kpsa1@maf.example.com", &k, &sa), M2M_E_NOT_FOUND);
	assert_int_equal(tr.n, 0);
	/* miss: one RETRIEVE /mafKeyReg/<relKeyID>, the handshake waits */
	assert_int_equal(start(rk, "00112233445566778899aabbccddeeff@maf.EXAMPLE.com", &k, &sa), M2M_OK);
	assert_false(k);
	assert_int_equal(tr.n, 1);
	assert_string_equal(tr.path[0], "/mafKeyReg/" REL);
	answer(0, 2000, body(REL, KID, 32, EXP, "Cdev1", KC, NULL));
	assert_int_equal(dn.n, 1);
	assert_int_equal(dn.err[0], M2M_OK);
	assert_int_equal(dn.klen[0], 16);
	assert_string_equal(dn.sa[0].bound_id, "Cdev1");
	assert_string_equal(dn.sa[0].credential_id, "12-" KID);
	/* hit: from the cache, no fetch */
	assert_int_equal(start(rk, KID, &k, &sa), M2M_OK);
	assert_true(k);
	assert_string_equal(sa.bound_id, "Cdev1");
	assert_int_equal(tr.n, 1);
	/* maf-cache-seconds (60) bounds the cache: the MAF is asked again */
	now_s += 60;
	assert_int_equal(start(rk, KID, &k, &sa), M2M_OK);
	assert_false(k);
	assert_int_equal(tr.n, 2);
	/* the key's own expiry bounds it too: 30 s left < 60 s */
	now_s = exp_t - 30;
	answer(1, 2000, body(REL, KID, 32, EXP, "Cdev1", KC, NULL));
	assert_int_equal(dn.err[1], M2M_OK);
	now_s = exp_t - 1;
	assert_int_equal(start(rk, KID, &k, &sa), M2M_OK);
	assert_true(k);
	now_s = exp_t;
	assert_int_equal(start(rk, KID, &k, &sa), M2M_OK);
	assert_false(k); /* expired in the cache: fetched again */
	assert_int_equal(tr.n, 3);
	/* and the MAF now says 4103 (expired): refused */
	answer(2, 4103, "{\"m2m:dbg\":\"expired\"}");
	assert_int_equal(dn.err[2], M2M_E_AUTH);
	assert_int_equal(dn.klen[2], 0);
	m2mi_remote_key_free(rk);
}

static void test_resolver_negative(void **state)
{
	m2mi_remote_key *rk = mk(60);
	bool k;
	m2m_sa sa;

	(void)state;
	/* 4004 (unknown, de-registered, not a target): kept 5 s */
	assert_int_equal(start(rk, KID, &k, &sa), M2M_OK);
	answer(0, 4004, "{}");
	assert_int_equal(dn.err[0], M2M_E_NOT_FOUND);
	assert_int_equal(start(rk, KID, &k, &sa), M2M_E_NOT_FOUND);
	now_s += 4;
	assert_int_equal(start(rk, KID, &k, &sa), M2M_E_NOT_FOUND);
	assert_int_equal(tr.n, 1);
	now_s += 1;
	assert_int_equal(start(rk, KID, &k, &sa), M2M_OK); /* asked again */
	assert_int_equal(tr.n, 2);
	/* 4103: kept 5 s as well */
	answer(1, 4103, "{}");
	assert_int_equal(start(rk, KID, &k, &sa), M2M_E_AUTH);
	assert_int_equal(tr.n, 2);
	now_s += 5;
	/* anything else (5000, a malformed 2000, the MAF down): refused, not kept */
	assert_int_equal(start(rk, KID, &k, &sa), M2M_OK);
	answer(2, 5000, "{}");
	assert_int_equal(dn.err[2], M2M_E_PROTO);
	assert_int_equal(start(rk, KID, &k, &sa), M2M_OK);
	assert_int_equal(tr.n, 4);
	answer(3, 2000, body(REL, KID, 22, EXP, "Cdev1", KC, NULL));
	assert_int_equal(dn.err[3], M2M_E_PROTO);
	assert_int_equal(start(rk, KID, &k, &sa), M2M_OK);
	assert_int_equal(tr.n, 5);
	tr.done[4](tr.arg[4], -1, 0, 0, NULL, 0);
	assert_int_equal(dn.err[4], M2M_E_IO);
	assert_int_equal(start(rk, KID, &k, &sa), M2M_OK);
	assert_int_equal(tr.n, 6);
	tr.done[5](tr.arg[5], -1, 0, 0, NULL, 0);
	m2mi_remote_key_free(rk);
}

/* The key must be for this CSE (TS-0003 §8.8.2.8): an answer whose targetIDs do not name the
 * CSE (absolute or SP-relative form) binds nothing, however well-formed (not cached either). */
#define REL_ONLY "{\"sec:mafKeyReg\":{\"targetIDs\":[\"/cse-in\"]}}"

static void test_resolver_key_for_another_cse(void **state)
{
	m2mi_remote_key_cfg cfg = {.lim = {64, 8, 60, 5}, .fetch = fake_fetch, .done = fake_done, .clock = clk};
	const char *selves[][2] = {{"//sp.example.com/cse-in", "/cse-in"}, {"//sp.example.com/cse-x", "/cse-x"}};
	m2mi_remote_key *rk = NULL;
	bool k;
	m2m_sa sa;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		m2mi_remote_key_cfg_maf(&cfg, "maf.example.com");
		cfg.self_abs = selves[i][0];
		cfg.self_rel = selves[i][1];
		memset(&tr, 0, sizeof(tr));
		memset(&dn, 0, sizeof(dn));
		now_s = exp_t - 1000;
		assert_int_equal(m2mi_remote_key_new(&cfg, &rk), M2M_OK);
		assert_int_equal(start(rk, KID, &k, &sa), M2M_OK);
		answer(0, 2000, body(REL, KID, 32, EXP, "Cdev1", KC, NULL)); /* targetIDs: //sp.example.com/cse-in */
		assert_int_equal(dn.n, 1);
		assert_int_equal(dn.err[0], i == 0 ? M2M_OK : M2M_E_PROTO);
		assert_int_equal(dn.klen[0], i == 0 ? 16 : 0);
		m2mi_remote_key_free(rk);
		rk = NULL;
	}
	/* the SP-relative form the MAF keeps without an sp-id */
	assert_true(m2mi_maf_rsp_names(REL_ONLY, strlen(REL_ONLY), NULL, "/cse-in"));
	assert_false(m2mi_maf_rsp_names(REL_ONLY, strlen(REL_ONLY), "//sp.example.com/cse-x", "/cse-x"));
	assert_false(m2mi_maf_rsp_names("{}", 2, "//sp.example.com/cse-in", "/cse-in"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_answer),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_rsc),
		cmocka_unit_test(test_resolver_hit_miss_cap),
		cmocka_unit_test(test_resolver_negative),
		cmocka_unit_test(test_resolver_key_for_another_cse),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
