/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of tls/exporter.c (TS-0003 clause 10.3.1): an in-process
 * TLS 1.2 PSK handshake over a memory BIO pair with the mandatory TS-0003 clause 10.2.2 suite
 * PSK-AES128-CBC-SHA256; both ends export with the Bootstrap label and must agree, and the result
 * must equal the split of SSL_export_keying_material called here directly.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "m2m_test.h"
#include "m2msec/exporter.h"

#define PSK_ID "kpsa-test@mef.example.com"
#define FQDN "mef.example.com"

static uint8_t test_psk[32];

static unsigned int client_psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_id,
				  unsigned char *psk, unsigned int max_psk)
{
	if (max_id < sizeof(PSK_ID) || max_psk < sizeof(test_psk))
		return 0;
	memcpy(identity, PSK_ID, sizeof(PSK_ID));
	memcpy(psk, test_psk, sizeof(test_psk));
	return sizeof(test_psk);
}

static unsigned int server_psk_cb(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk)
{
	if (identity == NULL || strcmp(identity, PSK_ID) != 0 || max_psk < sizeof(test_psk))
		return 0;
	memcpy(psk, test_psk, sizeof(test_psk));
	return sizeof(test_psk);
}

struct pair {
	SSL_CTX *cctx, *sctx;
	SSL *c, *s;
};

static SSL_CTX *psk_ctx(bool server)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION), 1);
	assert_int_equal(SSL_CTX_set_cipher_list(ctx, "PSK-AES128-CBC-SHA256"), 1);
	if (server)
		SSL_CTX_set_psk_server_callback(ctx, server_psk_cb);
	else
		SSL_CTX_set_psk_client_callback(ctx, client_psk_cb);
	return ctx;
}

/* Build both ends over a BIO pair and run the handshake to completion. */
static void handshake(struct pair *p)
{
	BIO *bc = NULL, *bs = NULL;
	int cdone = 0, sdone = 0;

	for (size_t i = 0; i < sizeof(test_psk); i++)
		test_psk[i] = (uint8_t)(0x30 + i);
	p->cctx = psk_ctx(false);
	p->sctx = psk_ctx(true);
	p->c = SSL_new(p->cctx);
	p->s = SSL_new(p->sctx);
	assert_non_null(p->c);
	assert_non_null(p->s);
	assert_int_equal(BIO_new_bio_pair(&bc, 0, &bs, 0), 1);
	SSL_set_bio(p->c, bc, bc);
	SSL_set_bio(p->s, bs, bs);
	SSL_set_connect_state(p->c);
	SSL_set_accept_state(p->s);
	for (int round = 0; round < 100 && !(cdone && sdone); round++) {
		if (!cdone) {
			int r = SSL_do_handshake(p->c);
			cdone = r == 1;
			assert_true(cdone || SSL_get_error(p->c, r) == SSL_ERROR_WANT_READ);
		}
		if (!sdone) {
			int r = SSL_do_handshake(p->s);
			sdone = r == 1;
			assert_true(sdone || SSL_get_error(p->s, r) == SSL_ERROR_WANT_READ);
		}
	}
	assert_true(cdone && sdone);
	assert_string_equal(SSL_get_cipher_name(p->c), "PSK-AES128-CBC-SHA256");
	assert_int_equal(SSL_version(p->c), TLS1_2_VERSION);
}

static void pair_free(struct pair *p)
{
	SSL_free(p->c);
	SSL_free(p->s);
	SSL_CTX_free(p->cctx);
	SSL_CTX_free(p->sctx);
}

static void test_both_ends_agree(void **state)
{
	struct pair p = {0};
	char cid[128], sid[128], expect_id[128];
	uint8_t raw[M2M_EXPORTER_LEN];
	m2m_key *ck = NULL, *sk = NULL, *ref = NULL;

	handshake(&p);
	assert_int_equal(m2m_tls_export_key(p.c, M2M_EXPORTER_BOOTSTRAP, FQDN, &ck, cid, sizeof(cid)), M2M_OK);
	assert_int_equal(m2m_tls_export_key(p.s, M2M_EXPORTER_BOOTSTRAP, FQDN, &sk, sid, sizeof(sid)), M2M_OK);
	assert_true(m2m_key_equal(ck, sk));
	assert_string_equal(cid, sid);
	assert_string_equal(m2m_key_id(ck), cid);
	assert_int_equal(m2m_key_len(ck), 32);
	/* reference: the exporter called directly (no context), then the pure split */
	assert_int_equal(SSL_export_keying_material(p.c, raw, sizeof(raw), M2M_EXPORTER_BOOTSTRAP,
						    strlen(M2M_EXPORTER_BOOTSTRAP), NULL, 0, 0),
			 1);
	assert_memory_equal(m2m_key_bytes(ck, NULL), raw + 16, 32);
	assert_int_equal(m2m_kdf_exporter_split(raw, FQDN, &ref, expect_id, sizeof(expect_id)), M2M_OK);
	assert_true(m2m_key_equal(ck, ref));
	assert_string_equal(cid, expect_id);
	assert_int_equal(strlen(cid), 32 + 1 + strlen(FQDN));
	assert_string_equal(cid + 33, FQDN);
	m2m_key_free(ref);
	m2m_key_free(ck);
	m2m_key_free(sk);
	ck = sk = NULL;

	/* another label gives another key (and id) from the same session */
	assert_int_equal(m2m_tls_export_key(p.c, M2M_EXPORTER_CONNECTION, FQDN, &ck, cid, sizeof(cid)), M2M_OK);
	assert_int_equal(m2m_tls_export_key(p.s, M2M_EXPORTER_CONNECTION, FQDN, &sk, NULL, 0), M2M_OK);
	assert_true(m2m_key_equal(ck, sk));
	assert_string_equal(m2m_key_id(sk), cid);
	assert_string_not_equal(cid, expect_id);
	m2m_key_free(ck);
	m2m_key_free(sk);
	pair_free(&p);
}

static void test_errors(void **state)
{
	struct pair p = {0};
	char id[128], small[8];
	m2m_key *k = (m2m_key *)0x1;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *fresh = SSL_new(ctx);

	/* no handshake yet */
	assert_int_equal(m2m_tls_export_key(fresh, M2M_EXPORTER_BOOTSTRAP, FQDN, &k, id, sizeof(id)), M2M_E_CRYPTO);
	assert_null(k);
	assert_string_equal(id, "");
	assert_int_equal(m2m_tls_export_key(NULL, M2M_EXPORTER_BOOTSTRAP, FQDN, &k, id, sizeof(id)), M2M_E_INVAL);
	SSL_free(fresh);
	SSL_CTX_free(ctx);

	handshake(&p);
	assert_int_equal(m2m_tls_export_key(p.c, "", FQDN, &k, id, sizeof(id)), M2M_E_INVAL);
	assert_int_equal(m2m_tls_export_key(p.c, NULL, FQDN, &k, id, sizeof(id)), M2M_E_INVAL);
	assert_int_equal(m2m_tls_export_key(p.c, M2M_EXPORTER_BOOTSTRAP, FQDN, NULL, id, sizeof(id)), M2M_E_INVAL);
	assert_true(m2m_tls_export_key(p.c, M2M_EXPORTER_BOOTSTRAP, "*.example.com", &k, id, sizeof(id)) < 0);
	assert_null(k);
	assert_int_equal(m2m_tls_export_key(p.c, M2M_EXPORTER_BOOTSTRAP, FQDN, &k, small, sizeof(small)), M2M_E_RANGE);
	assert_null(k);
	pair_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_ends_agree),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
