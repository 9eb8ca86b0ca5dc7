/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of tls/tls_reload.c (m2m_tls_reload, the SIGHUP reload of
 * docs/operations.md): a Kpsa added to the psk-file (TS-0003 clause 8.2.2.1) is accepted by the
 * next handshake after the reload, a removed one is refused, a connection established before the
 * reload keeps its association, and a file that no longer loads leaves the loaded table in force
 * with a message that names no key.
 */
#include "tls_test.h"

#include "m2msec/sa.h"

#define K1 "00112233445566778899aabbccddeeff"
#define K2 "ffeeddccbbaa99887766554433221100"

static bool connect_psk(m2m_tls *tls, const char *identity, const char *hexkey)
{
	struct tt_psk p;
	SSL_CTX *c;
	bool ok;

	tt_psk_set(&p, identity, hexkey);
	c = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CBC-SHA256");
	ok = tt_try(m2m_tls_ctx(tls), c);
	SSL_CTX_free(c);
	return ok;
}

static void test_reload_adds_and_removes(void **state)
{
	char path[256], err[256];
	m2m_tls_config cfg = {.sp_id = "//sp.example.com"};
	m2m_tls *tls = NULL;
	struct tt_psk p;
	struct tt_conn conn;
	SSL_CTX *c;
	m2m_sa sa;

	(void)state;
	snprintf(path, sizeof(path), "%s", tt_write("reload.psk", "kpsa1@sp.example.com " K1 " Cone\n", 0600));
	cfg.psk_file = path;
	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	assert_true(connect_psk(tls, "kpsa1@sp.example.com", K1));
	assert_false(connect_psk(tls, "kpsa2@sp.example.com", K2));

	/* an association established before the reload */
	tt_psk_set(&p, "kpsa1@sp.example.com", K1);
	c = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CBC-SHA256");
	assert_true(tt_handshake(m2m_tls_ctx(tls), c, NULL, &conn));

	tt_write("reload.psk", "kpsa2@sp.example.com " K2 " Ctwo\n", 0600);
	assert_int_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_string_equal(err, "");
	assert_true(connect_psk(tls, "kpsa2@sp.example.com", K2));
	assert_false(connect_psk(tls, "kpsa1@sp.example.com", K1)); /* removed: refused for a new one */
	assert_int_equal(m2m_tls_peer_sa(tls, conn.s, &sa), M2M_OK); /* the old one keeps its binding */
	assert_string_equal(sa.bound_id, "Cone");
	tt_conn_free(&conn);
	SSL_CTX_free(c);

	/* a broken file: the loaded table stays, the message names the line, not the key */
	tt_write("reload.psk", "kpsa3@sp.example.com 0011 Cthree\n", 0600);
	assert_int_not_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_non_null(strstr(err, "psk file: "));
	assert_null(strstr(err, "0011"));
	assert_true(connect_psk(tls, "kpsa2@sp.example.com", K2));
	/* a file readable by others is refused the same way */
	tt_write("reload.psk", "kpsa1@sp.example.com " K1 " Cone\n", 0644);
	assert_int_not_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_true(connect_psk(tls, "kpsa2@sp.example.com", K2));
	m2m_tls_free(tls);
}

static void test_reload_nothing(void **state)
{
	m2m_tls_config cfg = {.sp_id = "//sp.example.com", .psk_file = NULL};
	m2m_tls *tls = NULL;
	char path[256], err[64];

	(void)state;
	assert_int_equal(m2m_tls_reload(NULL, err, sizeof(err)), M2M_E_INVAL);
	/* an unchanged file reloads to the same table */
	snprintf(path, sizeof(path), "%s", tt_write("same.psk", "kpsa1@sp.example.com " K1 " Cone\n", 0600));
	cfg.psk_file = path;
	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	assert_int_equal(m2m_tls_reload(tls, err, sizeof(err)), M2M_OK);
	assert_true(connect_psk(tls, "kpsa1@sp.example.com", K1));
	m2m_tls_free(tls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_adds_and_removes),
		cmocka_unit_test(test_reload_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
