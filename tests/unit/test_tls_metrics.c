/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of tls/tls_metrics.c (m2msec_tls_handshakes_total,
 * docs/operations.md): a completed PSK handshake counts once as ok with the resolver's kind
 * (psk-file for a psk-file KpsaID, TS-0003 clause 8.2.2.1), a wrong key counts once as failed
 * psk-file and an unknown KpsaID once as failed psk, and nothing is counted while counting is off.
 */
#include <stdlib.h>

#include "tls_test.h"

#include "core/metrics.h"

#define K1 "00112233445566778899aabbccddeeff"
#define K2 "ffeeddccbbaa99887766554433221100"

static long long sample(const char *prefix)
{
	char *t = NULL, *p;
	size_t len = 0, n = strlen(prefix);
	long long v = -1;

	assert_int_equal(m2mi_metrics_render(&t, &len), M2M_OK);
	for (p = t; (p = strstr(p, prefix)) != NULL; p += n)
		if ((p == t || p[-1] == '\n') && p[n] == ' ') {
			v = strtoll(p + n + 1, NULL, 10);
			break;
		}
	free(t);
	return v;
}

static bool connect_psk(m2m_tls *tls, const char *identity, const char *hexkey, int ver)
{
	struct tt_psk p;
	SSL_CTX *c;
	bool ok;

	tt_psk_set(&p, identity, hexkey);
	c = tt_psk_client(&p, ver, "PSK-AES128-CBC-SHA256");
	ok = tt_try(m2m_tls_ctx(tls), c);
	SSL_CTX_free(c);
	return ok;
}

static void test_handshake_counts(void **state)
{
	m2m_tls_config cfg = {.sp_id = "//sp.example.com", .allow_tls13 = true};
	m2m_tls *tls = NULL;
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s", tt_write("m.psk", "kpsa1@sp.example.com " K1 " Cone\n", 0600));
	cfg.psk_file = path;
	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	m2mi_metrics_enable(false);
	m2mi_metrics_reset();
	assert_true(connect_psk(tls, "kpsa1@sp.example.com", K1, TLS1_2_VERSION));
	assert_int_equal(sample("m2msec_tls_handshakes_total{outcome=\"ok\",sa_kind=\"psk-file\"}"), 0);

	m2mi_metrics_enable(true);
	assert_true(connect_psk(tls, "kpsa1@sp.example.com", K1, TLS1_2_VERSION));
	assert_true(connect_psk(tls, "kpsa1@sp.example.com", K1, TLS1_3_VERSION));
	assert_false(connect_psk(tls, "kpsa1@sp.example.com", K2, TLS1_2_VERSION)); /* wrong key */
	assert_false(connect_psk(tls, "kpsa9@sp.example.com", K1, TLS1_2_VERSION)); /* unknown KpsaID */
	assert_int_equal(sample("m2msec_tls_handshakes_total{outcome=\"ok\",sa_kind=\"psk-file\"}"), 2);
	/* the wrong key was found in psk-file (its Finished failed), the unknown KpsaID by nobody */
	assert_int_equal(sample("m2msec_tls_handshakes_total{outcome=\"failed\",sa_kind=\"psk-file\"}"), 1);
	assert_int_equal(sample("m2msec_tls_handshakes_total{outcome=\"failed\",sa_kind=\"psk\"}"), 1);
	assert_int_equal(sample("m2msec_tls_handshakes_total{outcome=\"ok\",sa_kind=\"cert\"}"), 0);
	m2mi_metrics_enable(false);
	m2m_tls_free(tls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
