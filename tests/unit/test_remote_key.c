/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the remote-key resolver (remote/remote_key.c) in its
 * CSE MEF configuration (m2mi_remote_key_cfg_mef, SUID 22)
 * against a fake MEF transport and an injected clock: which identities it takes (KeIDs of the
 * configured MEF only), the fetchCredentials path (TS-0003 §8.3.2.1, docs/procedures/mef.md),
 * one fetch for concurrent handshakes of one KeID, the binding handed to the handshake
 * (Enrolee-ID, Credential-ID 12-<KeID>, SUID, expiry), the checks on the MEF's answer and the
 * fail-closed paths (MEF unreachable, refusals, no waiting possible).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "remote/remote_key.h"
#include "remote_fake.h"

#define KEID "0123456789ABCDEF0123456789ABCDEF@mef.example.com"
#define CRED "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"

/* The fake handshake completion. */
static struct {
	int n;
	m2m_psk_wait *w[8];
	m2m_err err[8];
	bool key[8];
	m2m_sa sa[8];
} dn;

static m2m_err fake_done(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *sa)
{
	assert_true(dn.n < 8);
	dn.w[dn.n] = w;
	dn.err[dn.n] = err;
	dn.key[dn.n] = key != NULL;
	if (sa)
		dn.sa[dn.n] = *sa;
	if (key) {
		size_t len = 0;
		assert_int_equal(m2m_key_bytes(key, &len)[0], 0x5a);
		assert_int_equal(len, 32);
	}
	m2m_key_free(key);
	dn.n++;
	return M2M_OK;
}

static m2mi_remote_key *mk(int cache_s)
{
	m2mi_remote_key_cfg cfg = {
		.lim = {64, 8, cache_s, 5},
		.fetch = fake_fetch,
		.done = fake_done,
		.clock = clk,
	};
	m2mi_remote_key *mc = NULL;

	m2mi_remote_key_cfg_mef(&cfg, "MEF.example.com", M2MI_MEF_SUID_SAEF);
	memset(&tr, 0, sizeof(tr));
	memset(&dn, 0, sizeof(dn));
	now_s = 1000;
	assert_int_equal(m2mi_remote_key_new(&cfg, &mc), M2M_OK);
	return mc;
}

static const char *ok_body(const char *keid, int suid, int lifetime, const char *eid)
{
	static char b[512];

	snprintf(b, sizeof(b),
		 "{\"sec:fetchCredRsp\":{\"status\":true,\"credential\":\"%s\",\"enroleeID\":\"%s\","
		 "\"keyID\":\"%s\",\"SUID\":%d,\"lifetime\":%d,\"expirationTime\":\"20270101T000000\"}}",
		 CRED, eid, keid, suid, lifetime);
	return b;
}

static m2m_err start(m2mi_remote_key *mc, const char *identity, void *w, bool *got_key, m2m_sa *sa)
{
	m2m_key *key = NULL;
	m2m_err r = m2mi_remote_key_start(mc, identity, now_s, (m2m_psk_wait *)w, &key, sa);

	*got_key = key != NULL;
	m2m_key_free(key);
	return r;
}

static void test_identities_taken(void **state)
{
	m2mi_remote_key *mc = mk(60);
	bool k;
	m2m_sa sa;
	int w;

	(void)state;
	assert_int_equal(start(mc, "kpsa1@sp.example.com", &w, &k, &sa), M2M_E_NOT_FOUND);
	assert_int_equal(start(mc, "0123456789ABCDEF0123456789ABCDEF@other.example.com", &w, &k, &sa),
			 M2M_E_NOT_FOUND);
	assert_int_equal(start(mc, "0123456789ABCDEF@mef.example.com", &w, &k, &sa), M2M_E_NOT_FOUND);
	assert_int_equal(tr.n, 0);
	/* no waiting possible (w NULL) and nothing cached: fail closed, no fetch */
	assert_int_equal(start(mc, KEID, NULL, &k, &sa), M2M_E_AUTH);
	assert_int_equal(tr.n, 0);
	/* lowercase hex / uppercase FQDN: the canonical KeID is what is fetched */
	assert_int_equal(start(mc, "0123456789abcdef0123456789abcdef@MEF.EXAMPLE.COM", &w, &k, &sa), M2M_OK);
	assert_false(k);
	assert_int_equal(tr.n, 1);
	assert_string_equal(tr.path[0], "/fetchCredentials/" KEID "/22");
	/* the security profile does not accept SUID 22: refused at once, no fetch */
	m2mi_remote_key_set_suid_refused(mc, true);
	assert_int_equal(start(mc, KEID, &w, &k, &sa), M2M_E_AUTH);
	assert_int_equal(tr.n, 1);
	m2mi_remote_key_set_suid_refused(mc, false);
	assert_int_equal(m2mi_remote_key_suid(mc), 22);
	/* shutdown order (docs/tls.md): the transport answers what it holds, then the client goes */
	tr.done[0](tr.arg[0], -1, 0, 0, NULL, 0);
	m2mi_remote_key_free(mc);
	assert_int_equal(dn.n, 1); /* exactly one done call */
	assert_int_equal(dn.err[0], M2M_E_IO);
}

static void test_fetch_bind_and_cache(void **state)
{
	m2mi_remote_key *mc = mk(60);
	bool k;
	m2m_sa sa;
	int w1, w2, w3;
	const char *b = ok_body(KEID, 22, 86400, "Cdev1");

	(void)state;
	assert_int_equal(start(mc, KEID, &w1, &k, &sa), M2M_OK);
	assert_int_equal(start(mc, KEID, &w2, &k, &sa), M2M_OK); /* coalesced */
	assert_false(k);
	assert_int_equal(tr.n, 1);
	now_s = 1001;
	tr.done[0](tr.arg[0], 0, 200, 2000, b, strlen(b));
	assert_int_equal(dn.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dn.err[i], M2M_OK);
		assert_true(dn.key[i]);
		assert_int_equal(dn.sa[i].kind, M2M_SA_PSK);
		assert_int_equal(dn.sa[i].entity, M2M_ENTITY_AE);
		assert_string_equal(dn.sa[i].bound_id, "Cdev1");
		assert_string_equal(dn.sa[i].credential_id, "12-" KEID);
		assert_int_equal(dn.sa[i].suid, 22);
		assert_int_equal(dn.sa[i].expiry, 1001 + 86400);
	}
	/* the next handshake is answered from the cache at once */
	assert_int_equal(start(mc, KEID, &w3, &k, &sa), M2M_OK);
	assert_true(k);
	assert_string_equal(sa.bound_id, "Cdev1");
	assert_int_equal(tr.n, 1);
	/* mef-cache-seconds later the MEF is asked again (a revocation shows within that bound) */
	now_s = 1001 + 60;
	assert_int_equal(start(mc, KEID, &w3, &k, &sa), M2M_OK);
	assert_false(k);
	assert_int_equal(tr.n, 2);
	/* now revoked at the MEF: 4103 refuses the waiting handshake and the next ones */
	tr.done[1](tr.arg[1], 0, 403, 4103, "{}", 2);
	assert_int_equal(dn.err[2], M2M_E_AUTH);
	assert_false(dn.key[2]);
	assert_int_equal(start(mc, KEID, &w3, &k, &sa), M2M_E_AUTH);
	assert_int_equal(tr.n, 2);
	m2mi_remote_key_free(mc);
}

static void test_mef_down_and_unknown(void **state)
{
	m2mi_remote_key *mc = mk(60);
	bool k;
	m2m_sa sa;
	int w;

	(void)state;
	assert_int_equal(start(mc, KEID, &w, &k, &sa), M2M_OK);
	tr.done[0](tr.arg[0], -1, 0, 0, NULL, 0); /* connect / TLS / deadline failure */
	assert_int_equal(dn.err[0], M2M_E_IO);
	/* not cached: the next handshake asks again */
	assert_int_equal(start(mc, KEID, &w, &k, &sa), M2M_OK);
	assert_int_equal(tr.n, 2);
	tr.done[1](tr.arg[1], 0, 404, 4004, "{}", 2);
	assert_int_equal(dn.err[1], M2M_E_NOT_FOUND);
	assert_int_equal(start(mc, KEID, &w, &k, &sa), M2M_E_NOT_FOUND); /* negative cache */
	assert_int_equal(tr.n, 2);
	now_s += 5;
	assert_int_equal(start(mc, KEID, &w, &k, &sa), M2M_OK); /* negative entry expired */
	assert_int_equal(tr.n, 3);
	tr.done[2](tr.arg[2], 0, 200, 2000, "not json", 8);
	assert_int_equal(dn.err[2], M2M_E_PROTO);
	/* the transport cannot start: the wait is answered with an error, nothing stays pending */
	tr.fail_start = 1;
	assert_int_equal(start(mc, KEID, &w, &k, &sa), M2M_OK);
	assert_int_equal(dn.n, 4);
	assert_int_equal(dn.err[3], M2M_E_IO);
	assert_int_equal(m2mi_remote_key_cached(mc), 0);
	m2mi_remote_key_free(mc);
}

/* The answer must be exactly what was asked for; anything else is refused (M2M_E_PROTO). */
static void test_parse_rsp(void **state)
{
	m2m_key *key = NULL;
	m2m_sa sa;
	const char *other = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF@mef.example.com";
	char b[600];

	(void)state;
	snprintf(b, sizeof(b), "%s", ok_body(KEID, 22, 100, "/cse-mn"));
	assert_int_equal(m2mi_mef_parse_fetch_rsp(2000, b, strlen(b), KEID, 22, 50, &key, &sa), M2M_OK);
	assert_int_equal(sa.entity, M2M_ENTITY_CSE);
	assert_int_equal(sa.expiry, 150);
	assert_int_equal(m2m_key_suid(key), 22);
	assert_int_equal(m2m_key_check_validity(key, 150), M2M_E_KEY_EXPIRED);
	assert_string_equal(m2m_key_id(key), KEID);
	m2m_key_free(key);

	const char *bad[] = {
		ok_body(other, 22, 100, "Cdev1"),           /* another KeID */
		NULL,
	};
	assert_int_equal(m2mi_mef_parse_fetch_rsp(2000, bad[0], strlen(bad[0]), KEID, 22, 50, &key, &sa), M2M_E_PROTO);
	assert_null(key);
	snprintf(b, sizeof(b), "%s", ok_body(KEID, 23, 100, "Cdev1")); /* another SUID */
	assert_int_equal(m2mi_mef_parse_fetch_rsp(2000, b, strlen(b), KEID, 22, 50, &key, &sa), M2M_E_PROTO);
	snprintf(b, sizeof(b), "%s", ok_body(KEID, 22, 0, "Cdev1")); /* no lifetime */
	assert_int_equal(m2mi_mef_parse_fetch_rsp(2000, b, strlen(b), KEID, 22, 50, &key, &sa), M2M_E_PROTO);
	snprintf(b, sizeof(b), "%s", ok_body(KEID, 22, 100, "not an id")); /* no Enrolee-ID */
	assert_int_equal(m2mi_mef_parse_fetch_rsp(2000, b, strlen(b), KEID, 22, 50, &key, &sa), M2M_E_PROTO);
	snprintf(b, sizeof(b), "%s", ok_body(KEID, 22, 100, "Cdev1"));
	memcpy(strstr(b, "true"), "null", 4); /* status not true */
	assert_int_equal(m2mi_mef_parse_fetch_rsp(2000, b, strlen(b), KEID, 22, 50, &key, &sa), M2M_E_PROTO);
	snprintf(b, sizeof(b), "%s", ok_body(KEID, 22, 100, "Cdev1"));
	b[strstr(b, CRED) - b + 3] = 'x'; /* bad hex */
	assert_int_equal(m2mi_mef_parse_fetch_rsp(2000, b, strlen(b), KEID, 22, 50, &key, &sa), M2M_E_PROTO);
	assert_int_equal(m2mi_mef_parse_fetch_rsp(2000, b, 10, KEID, 22, 50, &key, &sa), M2M_E_PROTO);
	assert_int_equal(m2mi_mef_parse_fetch_rsp(4004, NULL, 0, KEID, 22, 50, &key, &sa), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_mef_parse_fetch_rsp(4103, NULL, 0, KEID, 22, 50, &key, &sa), M2M_E_AUTH);
	assert_int_equal(m2mi_mef_parse_fetch_rsp(5000, NULL, 0, KEID, 22, 50, &key, &sa), M2M_E_PROTO);
	assert_null(key);
	assert_string_equal(sa.bound_id, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identities_taken),
		cmocka_unit_test(test_fetch_bind_and_cache),
		cmocka_unit_test(test_mef_down_and_unknown),
		cmocka_unit_test(test_parse_rsp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
