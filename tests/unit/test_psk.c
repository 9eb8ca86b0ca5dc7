/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of tls/psk.c: the Provisioned Symmetric Key SAEF handshake
 * of TS-0003 clause 8.2.2.1 in-process - the binding (bound identity, entity, Credential-ID of
 * clause 10.4), wrong/unknown/malformed identities, the credential-store resolver (revoked,
 * expired, not yet valid), the order of the resolver chain, the byte/bit-flip and truncation
 * mutations of a valid PSK (style.md #18) and the "no key in any log line" rule (style.md #7).
 */
#include <stdlib.h>
#include <time.h>

#include "tls_test.h"
#include "m2msec/credstore.h"
#include "m2msec/key.h"
#include "m2msec/log.h"

#define K1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K2 "f0e1d2c3b4a5968778695a4b3c2d1e0f"
static const int vers[] = {TLS1_2_VERSION, TLS1_3_VERSION};

#define KS "5ec2e75ec2e75ec2e75ec2e75ec2e75e5ec2e75ec2e75ec2e75ec2e75ec2e75e"

static m2m_tls *server_with(m2m_credstore *store, bool tls13)
{
	char path[256];
	m2m_tls_config cfg = {.sp_id = "//sp.example.com", .store = store, .allow_tls13 = tls13};
	m2m_tls *tls = NULL;

	snprintf(path, sizeof(path), "%s",
		 tt_write("psk.psk",
			  "kpsa1@sp.example.com " K1 " Cabc\n"
			  "kpsa-mn@sp.example.com " K2 " /id-mn\n"
			  "kpsa-abs@sp.example.com " K1 " //sp.example.com/cse-in/Cxyz\n"
			  "shadow@sp.example.com " K1 " Cfile\n",
			  0600));
	cfg.psk_file = path;
	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	return tls;
}

/* Handshake as identity with hexkey; on success the binding is returned in sa. */
static bool connect_psk(m2m_tls *tls, const char *identity, const char *hexkey, int ver, m2m_sa *sa)
{
	struct tt_psk p;
	struct tt_conn conn;
	SSL_CTX *c;
	bool ok;

	tt_psk_set(&p, identity, hexkey);
	c = tt_psk_client(&p, ver, "PSK-AES128-CCM8:PSK-AES128-CBC-SHA256");
	ok = tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn);
	if (ok)
		assert_int_equal(m2m_tls_peer_sa(tls, conn.s, sa), M2M_OK);
	else
		assert_int_equal(m2m_tls_peer_sa(tls, conn.s, sa), M2M_E_AUTH);
	tt_conn_free(&conn);
	SSL_CTX_free(c);
	return ok;
}

static void test_binding(void **state)
{
	m2m_tls *tls = server_with(NULL, true);
	m2m_sa sa;

	for (size_t i = 0; i < M2M_ARRAY_LEN(vers); i++) {
		int v = vers[i];

		assert_true(connect_psk(tls, "kpsa1@sp.example.com", K1, v, &sa));
		assert_int_equal(sa.kind, M2M_SA_PSK);
		assert_int_equal(sa.entity, M2M_ENTITY_AE);
		assert_string_equal(sa.bound_id, "Cabc");
		assert_string_equal(sa.credential_id, "12-kpsa1@sp.example.com");
		assert_int_equal(sa.suid, 0);
		assert_int_equal(sa.expiry, 0);
	}
	assert_true(connect_psk(tls, "kpsa-mn@SP.example.com", K2, TLS1_2_VERSION, &sa));
	assert_int_equal(sa.entity, M2M_ENTITY_CSE);
	assert_string_equal(sa.bound_id, "/id-mn");
	assert_string_equal(sa.credential_id, "12-kpsa-mn@sp.example.com");
	assert_true(connect_psk(tls, "kpsa-abs@sp.example.com", K1, TLS1_2_VERSION, &sa));
	assert_int_equal(sa.entity, M2M_ENTITY_AE);
	assert_string_equal(sa.bound_id, "//sp.example.com/cse-in/Cxyz");
	m2m_tls_free(tls);
}

static void test_refusals(void **state)
{
	m2m_tls *tls = server_with(NULL, true);
	m2m_sa sa;
	char longid[400];

	memset(longid, 'a', sizeof(longid));
	memcpy(longid + 300, "@sp.example.com", 16);
	for (size_t i = 0; i < M2M_ARRAY_LEN(vers); i++) {
		int v = vers[i];

		assert_false(connect_psk(tls, "kpsa1@sp.example.com", K2 K2, v, &sa)); /* wrong key */
		assert_int_equal(sa.kind, M2M_SA_NONE);
		assert_string_equal(sa.bound_id, "");
		assert_false(connect_psk(tls, "kpsa1@sp.example.com", K2, v, &sa));    /* wrong length */
		assert_false(connect_psk(tls, "nobody@sp.example.com", K1, v, &sa));   /* unknown */
		assert_false(connect_psk(tls, "Cabc", K1, v, &sa));                     /* not a key id */
		assert_false(connect_psk(tls, "kpsa1", K1, v, &sa));
		assert_false(connect_psk(tls, "kpsa1@sp.example.com/x", K1, v, &sa));
	}
	assert_false(connect_psk(tls, longid, K1, TLS1_2_VERSION, &sa));
	m2m_tls_free(tls);
}

static void test_peer_sa_misuse(void **state)
{
	m2m_tls *a = server_with(NULL, false), *b = server_with(NULL, false);
	struct tt_psk p;
	struct tt_conn conn;
	SSL_CTX *c;
	SSL *fresh;
	m2m_sa sa;

	tt_psk_set(&p, "kpsa1@sp.example.com", K1);
	c = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CCM8");
	assert_true(tt_handshake(m2m_tls_ctx(a), c, NULL, &conn));
	assert_int_equal(m2m_tls_peer_sa(a, conn.s, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_tls_peer_sa(NULL, conn.s, &sa), M2M_E_INVAL);
	assert_int_equal(m2m_tls_peer_sa(b, conn.s, &sa), M2M_E_INVAL); /* another listener's SSL */
	assert_int_equal(m2m_tls_peer_sa(a, NULL, &sa), M2M_E_INVAL);
	assert_int_equal(m2m_tls_peer_sa(a, conn.c, &sa), M2M_E_INVAL);  /* the client end */
	assert_int_equal(m2m_tls_peer_sa(a, conn.s, &sa), M2M_OK);
	fresh = SSL_new(m2m_tls_ctx(a));
	assert_int_equal(m2m_tls_peer_sa(a, fresh, &sa), M2M_E_AUTH);   /* no handshake yet */
	assert_int_equal(sa.kind, M2M_SA_NONE);
	SSL_free(fresh);
	tt_conn_free(&conn);
	SSL_CTX_free(c);
	m2m_tls_free(a);
	m2m_tls_free(b);
}

/* style.md #18: every 1-bit flip, every byte flip and every truncation of the PSK fails. */
static void test_psk_mutations(void **state)
{
	m2m_tls *tls = server_with(NULL, false);
	struct tt_psk p, good;
	SSL_CTX *c;

	tt_psk_set(&good, "kpsa1@sp.example.com", K1);
	p = good;
	c = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CCM8");
	assert_true(tt_try(m2m_tls_ctx(tls), c)); /* the control succeeds */
	for (size_t i = 0; i < good.len; i++) {
		p = good;
		p.key[i] ^= 0xff;
		assert_false(tt_try(m2m_tls_ctx(tls), c));
		for (int bit = 0; bit < 8; bit++) {
			p = good;
			p.key[i] ^= (uint8_t)(1u << bit);
			assert_false(tt_try(m2m_tls_ctx(tls), c));
		}
	}
	for (size_t n = 1; n < good.len; n++) {
		p = good;
		p.len = n;
		assert_false(tt_try(m2m_tls_ctx(tls), c));
	}
	p = good;
	p.key[p.len++] = 0; /* one byte longer */
	assert_false(tt_try(m2m_tls_ctx(tls), c));
	p = good;
	assert_true(tt_try(m2m_tls_ctx(tls), c));
	SSL_CTX_free(c);
	m2m_tls_free(tls);
}

/* ---- custom resolvers ------------------------------------------------------------------- */

struct res {
	int calls;
	const char *id;      /* identity it knows */
	const char *hexkey;
	const char *bound;
	m2m_err ret;         /* forced answer for its identity */
	int64_t not_after;
	char seen[300];
};

static m2m_err res_fn(void *ctx, const char *identity, int64_t now, m2m_key **key, m2m_sa *binding)
{
	struct res *r = ctx;
	uint8_t b[64];
	size_t n = 0;

	r->calls++;
	snprintf(r->seen, sizeof(r->seen), "%s", identity);
	assert_true(now > 0);
	if (r->id == NULL || strcmp(identity, r->id) != 0)
		return M2M_E_NOT_FOUND;
	if (r->ret != M2M_OK)
		return r->ret;
	assert_int_equal(m2m_hex_decode(r->hexkey, strlen(r->hexkey), b, sizeof(b), &n), M2M_OK);
	assert_int_equal(m2m_key_new(b, n, key), M2M_OK);
	m2m_key_set_validity(*key, 0, r->not_after);
	if (r->bound != NULL)
		snprintf(binding->bound_id, sizeof(binding->bound_id), "%s", r->bound);
	return M2M_OK;
}

/* ---- credential store resolver ---------------------------------------------------------- */

static void store_add(m2m_credstore *st, const char *id, const char *owner, const char *hexkey, int64_t nb,
		      int64_t na)
{
	uint8_t b[64];
	size_t n = 0;
	m2m_key *k = NULL;
	m2m_cred_info info = {.kind = M2M_CRED_KIND_KPSA, .id = (char *)(uintptr_t)id,
			      .owner = (char *)(uintptr_t)owner, .suid = 12, .not_before = nb, .not_after = na,
			      .created_at = (int64_t)time(NULL)};

	assert_int_equal(m2m_hex_decode(hexkey, strlen(hexkey), b, sizeof(b), &n), M2M_OK);
	assert_int_equal(m2m_key_new(b, n, &k), M2M_OK);
	assert_int_equal(m2m_credstore_add(st, &info, k, NULL, NULL), M2M_OK);
	m2m_key_free(k);
}

static void test_credstore_resolver(void **state)
{
	struct res after_store = {.id = "00112233445566778899AABBCCDDEEFF@mef.example.com", .hexkey = K2,
				  .bound = "Cenrolee"};
	char path[256];
	int64_t now = (int64_t)time(NULL);
	m2m_credstore *st = NULL;
	m2m_tls *tls;
	m2m_sa sa;

	snprintf(path, sizeof(path), "%s/creds.db", tt_dir());
	unlink(path);
	assert_int_equal(m2m_credstore_create(path, &st), M2M_OK);
	store_add(st, "kpsa-st@sp.example.com", "//sp.example.com/cse-in/Cstore", K1, 0, now + 3600);
	store_add(st, "kpsa-cse@sp.example.com", "/id-mn7", K2, 0, 0);
	store_add(st, "kpsa-noowner@sp.example.com", NULL, K1, 0, 0);
	store_add(st, "kpsa-rev@sp.example.com", "Crev", K1, 0, 0);
	store_add(st, "kpsa-old@sp.example.com", "Cold", K1, 1000, 2000);
	store_add(st, "kpsa-new@sp.example.com", "Cnew", K1, now + 3600, 0);
	store_add(st, "shadow@sp.example.com", "Cstorecopy", K2, 0, 0);
	assert_int_equal(m2m_credstore_revoke(st, "kpsa-rev@sp.example.com", now), M2M_OK);
	tls = server_with(st, true);

	assert_true(connect_psk(tls, "kpsa-st@sp.example.com", K1, TLS1_2_VERSION, &sa));
	assert_int_equal(sa.kind, M2M_SA_PSK);
	assert_int_equal(sa.entity, M2M_ENTITY_AE);
	assert_string_equal(sa.bound_id, "//sp.example.com/cse-in/Cstore");
	assert_string_equal(sa.credential_id, "12-kpsa-st@sp.example.com");
	assert_int_equal(sa.suid, 12);
	assert_int_equal(sa.expiry, now + 3600);
	assert_true(connect_psk(tls, "kpsa-st@sp.example.com", K1, TLS1_3_VERSION, &sa));
	assert_false(connect_psk(tls, "kpsa-st@sp.example.com", K2 K2, TLS1_2_VERSION, &sa));

	assert_true(connect_psk(tls, "kpsa-cse@sp.example.com", K2, TLS1_2_VERSION, &sa));
	assert_int_equal(sa.entity, M2M_ENTITY_CSE);
	assert_string_equal(sa.bound_id, "/id-mn7");
	/* no owner: only the Credential-ID is known (TS-0003 8.2.1 resolution pending) */
	assert_true(connect_psk(tls, "kpsa-noowner@sp.example.com", K1, TLS1_2_VERSION, &sa));
	assert_int_equal(sa.entity, M2M_ENTITY_UNKNOWN);
	assert_string_equal(sa.bound_id, "");
	assert_string_equal(sa.credential_id, "12-kpsa-noowner@sp.example.com");

	assert_false(connect_psk(tls, "kpsa-rev@sp.example.com", K1, TLS1_2_VERSION, &sa));  /* revoked */
	assert_false(connect_psk(tls, "kpsa-rev@sp.example.com", K1, TLS1_3_VERSION, &sa));
	assert_false(connect_psk(tls, "kpsa-old@sp.example.com", K1, TLS1_2_VERSION, &sa));  /* expired */
	assert_false(connect_psk(tls, "kpsa-new@sp.example.com", K1, TLS1_2_VERSION, &sa));  /* not yet */
	/* revocation takes effect on the next handshake: there is no resumption */
	assert_true(connect_psk(tls, "kpsa-cse@sp.example.com", K2, TLS1_2_VERSION, &sa));
	assert_int_equal(m2m_credstore_revoke(st, "kpsa-cse@sp.example.com", now), M2M_OK);
	assert_false(connect_psk(tls, "kpsa-cse@sp.example.com", K2, TLS1_2_VERSION, &sa));

	/* chain order: the psk-file answers before the store */
	assert_true(connect_psk(tls, "shadow@sp.example.com", K1, TLS1_2_VERSION, &sa));
	assert_string_equal(sa.bound_id, "Cfile");
	assert_false(connect_psk(tls, "shadow@sp.example.com", K2, TLS1_2_VERSION, &sa));
	/* an added resolver sits after the store: identities the store does not hold (a KeID
	 * here) pass through it untouched */
	assert_int_equal(m2m_tls_add_psk_resolver(tls, res_fn, &after_store), M2M_OK);
	assert_true(connect_psk(tls, "00112233445566778899AABBCCDDEEFF@mef.example.com", K2, TLS1_2_VERSION, &sa));
	assert_int_equal(after_store.calls, 1);
	assert_string_equal(sa.bound_id, "Cenrolee");
	assert_true(connect_psk(tls, "kpsa-st@sp.example.com", K1, TLS1_2_VERSION, &sa));
	assert_int_equal(after_store.calls, 1);
	/* a B-TID (TS 33.222 5.4.0.1, docs/procedures/gba.md): past the psk-file and the store to the
	 * NAF's resolver; Credential-ID 12-<B-TID>; a malformed one (another identity to the chain,
	 * or none at all) is refused */
	{
		struct res gba = {.id = "AAECAwQFBgcICQoLDA0ODw==@mef.example.com", .hexkey = K1, .bound = "Cgba1"};
		assert_int_equal(m2m_tls_add_psk_resolver(tls, res_fn, &gba), M2M_OK);
		assert_true(connect_psk(tls, "AAECAwQFBgcICQoLDA0ODw==@mef.example.com", K1, TLS1_2_VERSION, &sa));
		assert_true(gba.calls >= 1);
		assert_string_equal(sa.bound_id, "Cgba1");
		assert_string_equal(sa.credential_id, "12-AAECAwQFBgcICQoLDA0ODw==@mef.example.com");
		assert_false(connect_psk(tls, "AAECAwQFBgcICQoLDA0ODw@mef.example.com", K1, TLS1_2_VERSION, &sa));
		assert_false(connect_psk(tls, "AAECAwQFBgcICQoLDA0OD!=@mef.example.com", K1, TLS1_2_VERSION, &sa));
	}
	m2m_tls_free(tls);
	m2m_credstore_close(st);
}

/* A credential store on another server (PostgreSQL) makes the store's resolver asynchronous
 * (docs/tls.md "The credential store on PostgreSQL"); a SQLite file keeps the plain path. Without
 * an asynchronous transport (this in-memory handshake) the synchronous twin answers. The
 * PostgreSQL half runs when M2MSEC_TEST_PG_URI names a server (ctest unit.test_psk.pg). */
static void test_store_async_only_remote(void **state)
{
	const char *pg = getenv("M2MSEC_TEST_PG_URI");
	int64_t now = (int64_t)time(NULL);
	char path[256];
	m2m_credstore *st = NULL;
	m2m_tls *tls;
	m2m_sa sa;

	(void)state;
	m2m_tls_stop_lookups(NULL);
	snprintf(path, sizeof(path), "%s/creds-local.db", tt_dir());
	unlink(path);
	assert_int_equal(m2m_credstore_create(path, &st), M2M_OK);
	store_add(st, "kpsa-loc@sp.example.com", "Cloc", K1, 0, 0);
	tls = server_with(st, false);
	assert_false(m2m_tls_has_async(tls));
	m2m_tls_stop_lookups(tls); /* no worker: a no-op */
	assert_true(connect_psk(tls, "kpsa-loc@sp.example.com", K1, TLS1_2_VERSION, &sa));
	m2m_tls_free(tls);
	m2m_credstore_close(st);
	if (pg == NULL || pg[0] == '\0')
		return;
	st = NULL;
	if (m2m_credstore_create(pg, &st) != M2M_OK) /* a fresh database, else the schema is there */
		assert_int_equal(m2m_credstore_open(pg, &st), M2M_OK);
	{ /* a database left by an earlier run of this test */
		m2m_err d = m2m_credstore_delete(st, "kpsa-pgu@sp.example.com");
		assert_true(d == M2M_OK || d == M2M_E_NOT_FOUND);
	}
	store_add(st, "kpsa-pgu@sp.example.com", "Cpgu", K1, 0, 0);
	tls = server_with(st, false);
	assert_true(m2m_tls_has_async(tls));
	assert_true(connect_psk(tls, "kpsa-pgu@sp.example.com", K1, TLS1_2_VERSION, &sa));
	assert_string_equal(sa.bound_id, "Cpgu");
	assert_int_equal(m2m_credstore_revoke(st, "kpsa-pgu@sp.example.com", now), M2M_OK);
	assert_false(connect_psk(tls, "kpsa-pgu@sp.example.com", K1, TLS1_2_VERSION, &sa)); /* bound 0 */
	m2m_tls_stop_lookups(tls);
	m2m_tls_stop_lookups(tls); /* idempotent */
	assert_true(connect_psk(tls, "kpsa1@sp.example.com", K1, TLS1_2_VERSION, &sa)); /* psk-file */
	m2m_tls_free(tls);
	m2m_credstore_close(st);
}

/* An end-to-end key in the store (ESCertKE's SUID 43, an ESPrim key SUID 13 or 23) is never a
 * hop-by-hop TLS-PSK (TS-0004 Table 6.3.4.2.39-1 scopes), while a SAEF key (12) is. */
static void test_e2e_scoped_keys_refused(void **state)
{
	static const int suids[] = {13, 23, 33, 43, 14, 45};
	char path[256], id[64];
	m2m_credstore *st = NULL;
	m2m_tls *tls;
	m2m_sa sa;

	(void)state;
	snprintf(path, sizeof(path), "%s/e2e.db", tt_dir());
	unlink(path);
	assert_int_equal(m2m_credstore_create(path, &st), M2M_OK);
	for (size_t i = 0; i < M2M_ARRAY_LEN(suids); i++) {
		uint8_t b[32] = {(uint8_t)i};
		m2m_key *k = NULL;
		m2m_cred_info info = {.kind = M2M_CRED_KIND_KPSA, .id = id, .owner = (char *)(uintptr_t)"Ce2e",
				      .suid = suids[i], .created_at = (int64_t)time(NULL)};

		snprintf(id, sizeof(id), "e2e%d@sp.example.com", suids[i]);
		assert_int_equal(m2m_key_new(b, sizeof(b), &k), M2M_OK);
		assert_int_equal(m2m_credstore_add(st, &info, k, NULL, NULL), M2M_OK);
		m2m_key_free(k);
	}
	tls = server_with(st, false);
	for (size_t i = 0; i < M2M_ARRAY_LEN(suids); i++) {
		char hex[65] = "";
		uint8_t b[32] = {(uint8_t)i};

		snprintf(id, sizeof(id), "e2e%d@sp.example.com", suids[i]);
		assert_int_equal(m2m_hex_encode(b, sizeof(b), false, hex, sizeof(hex)), M2M_OK);
		assert_false(connect_psk(tls, id, hex, TLS1_2_VERSION, &sa));
	}
	m2m_tls_free(tls);
	m2m_credstore_close(st);
}

static void test_custom_resolvers(void **state)
{
	m2m_tls *tls = server_with(NULL, true);
	struct res r1 = {.id = "extra@sp.example.com", .hexkey = K2, .bound = "/id-mn2"};
	struct res r2 = {.id = "00112233445566778899aabbccddeeff@mef.example.com", .hexkey = K1};
	m2m_sa sa;

	assert_int_equal(m2m_tls_add_psk_resolver(NULL, res_fn, &r1), M2M_E_INVAL);
	assert_int_equal(m2m_tls_add_psk_resolver(tls, NULL, &r1), M2M_E_INVAL);
	assert_int_equal(m2m_tls_add_psk_resolver(tls, res_fn, &r1), M2M_OK);
	assert_int_equal(m2m_tls_add_psk_resolver(tls, res_fn, &r2), M2M_OK);

	/* answered by the psk-file: the custom resolvers are not asked */
	assert_true(connect_psk(tls, "kpsa1@sp.example.com", K1, TLS1_2_VERSION, &sa));
	assert_int_equal(r1.calls, 0);
	/* consulted after the built-ins, in order */
	assert_true(connect_psk(tls, "extra@sp.example.com", K2, TLS1_2_VERSION, &sa));
	assert_int_equal(r1.calls, 1);
	assert_int_equal(r2.calls, 0);
	assert_int_equal(sa.entity, M2M_ENTITY_CSE);
	assert_string_equal(sa.bound_id, "/id-mn2");
	assert_string_equal(sa.credential_id, "12-extra@sp.example.com");
	/* a KeID-shaped identity reaches the second, as presented; the Credential-ID uses the
	 * canonical form */
	assert_true(connect_psk(tls, "00112233445566778899aabbccddeeff@mef.example.com", K1, TLS1_3_VERSION, &sa));
	assert_int_equal(r1.calls, 2);
	assert_int_equal(r2.calls, 1);
	assert_string_equal(r2.seen, "00112233445566778899aabbccddeeff@mef.example.com");
	assert_int_equal(sa.entity, M2M_ENTITY_UNKNOWN);
	assert_string_equal(sa.credential_id, "12-00112233445566778899AABBCCDDEEFF@mef.example.com");
	/* an error other than "not found" ends the chain and the handshake */
	r1.ret = M2M_E_KEY_EXPIRED;
	assert_false(connect_psk(tls, "extra@sp.example.com", K2, TLS1_2_VERSION, &sa));
	assert_int_equal(r2.calls, 1); /* not asked: r1 ended the chain... */
	r1.ret = M2M_OK;
	/* ...and the chain rechecks validity and the bound identity itself */
	r1.not_after = 1000;
	assert_false(connect_psk(tls, "extra@sp.example.com", K2, TLS1_2_VERSION, &sa));
	r1.not_after = 0;
	r1.bound = "hello";
	assert_false(connect_psk(tls, "extra@sp.example.com", K2, TLS1_2_VERSION, &sa));
	r1.bound = "kpsa1@sp.example.com";
	assert_false(connect_psk(tls, "extra@sp.example.com", K2, TLS1_2_VERSION, &sa));
	/* malformed identities never reach a resolver */
	r1.calls = 0;
	assert_false(connect_psk(tls, "Cabc", K1, TLS1_2_VERSION, &sa));
	assert_false(connect_psk(tls, "//sp.example.com/cse-in", K1, TLS1_2_VERSION, &sa));
	assert_int_equal(r1.calls, 0);
	for (int i = 0; i < 4; i++) /* psk-file + 2 above + 4 = 7 of 8 */
		assert_int_equal(m2m_tls_add_psk_resolver(tls, res_fn, &r1), M2M_OK);
	assert_int_equal(m2m_tls_add_psk_resolver(tls, res_fn, &r1), M2M_OK);
	assert_int_equal(m2m_tls_add_psk_resolver(tls, res_fn, &r1), M2M_E_RANGE);
	m2m_tls_free(tls);
}

/* ---- no key in any log line (style.md #7) ----------------------------------------------- */

static char logbuf[8192];

static void sink(void *ctx, const m2m_log_event *ev)
{
	size_t n = strlen(logbuf);

	(void)ctx;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%d %s\n", (int)ev->level, ev->msg != NULL ? ev->msg : "");
}

static void test_no_key_in_logs(void **state)
{
	struct timespec pause = {1, 100000000};
	m2m_tls_config cfg = {0};
	m2m_tls *tls, *bad = NULL;
	char path[256];
	m2m_sa sa;

	m2m_log_set_sink(sink, NULL, M2M_LOG_DEBUG);
	tls = server_with(NULL, false);
	logbuf[0] = '\0';
	assert_false(connect_psk(tls, "nobody@sp.example.com", KS, TLS1_2_VERSION, &sa));
	assert_non_null(strstr(logbuf, "nobody@sp.example.com")); /* debug: who was refused */
	assert_non_null(strstr(logbuf, "0 PSK identity refused"));
	nanosleep(&pause, NULL);
	assert_false(connect_psk(tls, KS, KS, TLS1_2_VERSION, &sa)); /* key sent as identity */
	assert_non_null(strstr(logbuf, "(malformed)"));
	assert_false(connect_psk(tls, "kpsa1@sp.example.com", KS, TLS1_2_VERSION, &sa));
	snprintf(path, sizeof(path), "%s",
		 tt_write("log.psk", "k@sp.example.com " KS " Cabc\nk2@sp.example.com " KS "x Cabc\n", 0600));
	cfg.psk_file = path;
	assert_int_equal(m2m_tls_new(&cfg, &bad), M2M_E_CONFIG);
	assert_non_null(strstr(logbuf, "line 2"));
	assert_null(strstr(logbuf, "5ec2e7"));
	assert_null(strstr(logbuf, "5EC2E7"));
	assert_null(strstr(logbuf, "000102030405"));
	/* at info level a peer cannot make the server log anything */
	m2m_log_set_sink(sink, NULL, M2M_LOG_INFO);
	logbuf[0] = '\0';
	nanosleep(&pause, NULL);
	assert_false(connect_psk(tls, "nobody@sp.example.com", KS, TLS1_2_VERSION, &sa));
	assert_string_equal(logbuf, "");
	m2m_log_set_sink(NULL, NULL, M2M_LOG_INFO);
	m2m_tls_free(tls);
}

/* The identity hint of a NAF (TS 33.222 5.4.0.1): set once, printable, bounded. */
static void test_psk_hint(void **state)
{
	m2m_tls *tls = server_with(NULL, true);
	m2m_sa sa;

	(void)state;
	assert_int_equal(m2m_tls_set_psk_hint(NULL, "3GPP-bootstrapping"), M2M_E_INVAL);
	assert_int_equal(m2m_tls_set_psk_hint(tls, ""), M2M_E_INVAL);
	assert_int_equal(m2m_tls_set_psk_hint(tls, "with space"), M2M_E_INVAL);
	assert_int_equal(m2m_tls_set_psk_hint(tls, "0123456789012345678901234567890123456789012345678901234567890123"),
			 M2M_E_INVAL);
	assert_int_equal(m2m_tls_set_psk_hint(tls, "3GPP-bootstrapping"), M2M_OK);
	/* PSK clients that ignore the hint are served as before */
	assert_true(connect_psk(tls, "kpsa1@sp.example.com", K1, TLS1_2_VERSION, &sa));
	m2m_tls_free(tls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk_hint),
		cmocka_unit_test(test_binding),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_peer_sa_misuse),
		cmocka_unit_test(test_psk_mutations),
		cmocka_unit_test(test_credstore_resolver),
		cmocka_unit_test(test_store_async_only_remote),
		cmocka_unit_test(test_e2e_scoped_keys_refused),
		cmocka_unit_test(test_custom_resolvers),
		cmocka_unit_test(test_no_key_in_logs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
