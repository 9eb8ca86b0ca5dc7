/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of tls/psk_keep.c: m2m_tls_keep_psk / m2m_tls_peer_psk,
 * the copy of the PSK a handshake used that the MAF needs for a remote-provisioned client
 * (TS-0003 clause 8.8.2.3, docs/procedures/maf.md): kept only on a context that asked, equal to
 * the key the client presented, absent after a failed handshake, and misuse refused.
 */
#include "tls_test.h"
#include "m2msec/key.h"

#define K1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static m2m_tls *server(void)
{
	char path[256];
	m2m_tls_config cfg = {.sp_id = "//sp.example.com", .allow_tls13 = true};
	m2m_tls *tls = NULL;

	snprintf(path, sizeof(path), "%s", tt_write("keep.psk", "kpsa1@sp.example.com " K1 " Cabc\n", 0600));
	cfg.psk_file = path;
	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	return tls;
}

/* One handshake as kpsa1 with hexkey; *kept = m2m_tls_peer_psk's answer (key in *k). */
static bool run(m2m_tls *tls, const char *hexkey, int ver, m2m_err *kept, m2m_key **k)
{
	struct tt_psk p;
	struct tt_conn conn;
	SSL_CTX *c;
	bool ok;

	tt_psk_set(&p, "kpsa1@sp.example.com", hexkey);
	c = tt_psk_client(&p, ver, "PSK-AES128-CCM8:PSK-AES128-CBC-SHA256");
	ok = tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn);
	*kept = m2m_tls_peer_psk(conn.s, k);
	if (*kept == M2M_OK) {
		/* taken, not copied: the connection holds the PSK no longer */
		m2m_key *again = (m2m_key *)1;
		assert_int_equal(m2m_tls_peer_psk(conn.s, &again), M2M_E_NOT_FOUND);
		assert_null(again);
	}
	tt_conn_free(&conn);
	SSL_CTX_free(c);
	return ok;
}

static void test_not_kept_by_default(void **state)
{
	m2m_tls *tls = server();
	m2m_key *k = (m2m_key *)1;
	m2m_err kept;

	(void)state;
	assert_true(run(tls, K1, TLS1_2_VERSION, &kept, &k));
	assert_int_equal(kept, M2M_E_NOT_FOUND);
	assert_null(k);
	m2m_tls_free(tls);
}

static void test_kept_equals_presented(void **state)
{
	const int vers[] = {TLS1_2_VERSION, TLS1_3_VERSION};
	m2m_tls *tls = server();
	m2m_key *want = NULL, *k = NULL;
	uint8_t raw[32];
	m2m_err kept;

	(void)state;
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)i;
	assert_int_equal(m2m_key_new(raw, sizeof(raw), &want), M2M_OK);
	assert_int_equal(m2m_tls_keep_psk(tls, true), M2M_OK);
	for (size_t i = 0; i < M2M_ARRAY_LEN(vers); i++) {
		assert_true(run(tls, K1, vers[i], &kept, &k));
		assert_int_equal(kept, M2M_OK);
		assert_non_null(k);
		assert_true(m2m_key_equal(k, want));
		assert_string_equal(m2m_key_id(k), "kpsa1@sp.example.com");
		m2m_key_free(k);
		k = NULL;
	}
	/* a wrong key: the handshake fails; whatever the server resolved is not an association */
	assert_false(run(tls, "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", TLS1_2_VERSION, &kept, &k));
	m2m_key_free(k);
	m2m_key_free(want);
	m2m_tls_free(tls);
}

static void test_misuse(void **state)
{
	m2m_key *k = (m2m_key *)1;

	(void)state;
	assert_int_equal(m2m_tls_keep_psk(NULL, true), M2M_E_INVAL);
	assert_int_equal(m2m_tls_peer_psk(NULL, &k), M2M_E_NOT_FOUND);
	assert_null(k);
	assert_int_equal(m2m_tls_peer_psk(NULL, NULL), M2M_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_kept_by_default),
		cmocka_unit_test(test_kept_equals_presented),
		cmocka_unit_test(test_misuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
