/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the certificate flavour of the enrolee library's DTLS
 * 1.2 association (enrolee_dtls.c; TS-0003 clause 8.3.2.2 over TS-0008 clause 7): against an
 * independent OpenSSL DTLS server holding an FQDN certificate and demanding a client certificate,
 * the device's certificate is presented and the server is verified exactly as over TLS (chain to
 * the CA file, the MEF-FQDN in its certificate): the right name completes the handshake and one
 * CoAP exchange, another name or another CA is M2M_E_AUTH, no client certificate is refused by the
 * server.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "m2m_test.h"
#include "bindings/coap_wire.h"
#include "enrolee/enrolee_coap.h"
#include "enrolee/enrolee_int.h"

static char dir[] = "/tmp/enrdtlsXXXXXX";

static char *path(const char *name)
{
	static char p[8][128];
	static int i;
	char *r = p[i++ % 8];
	snprintf(r, 128, "%s/%s", dir, name);
	return r;
}

/* A certificate for key k named cn (with a DNS SAN when dns), signed by ik/issuer (self-signed
 * when issuer is NULL), written as PEM (and its key). */
static X509 *make_cert(EVP_PKEY *k, const char *cn, const char *dns, EVP_PKEY *ik, X509 *issuer, bool ca,
		       const char *crt, const char *key)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	char san[128];
	FILE *f;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(rand() & 0xffff) + 2);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (dns != NULL) {
		snprintf(san, sizeof(san), "DNS:%s", dns);
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, ik != NULL ? ik : k, EVP_sha256()) > 0);
	assert_non_null(f = fopen(crt, "w"));
	PEM_write_X509(f, x);
	fclose(f);
	if (key != NULL) {
		assert_non_null(f = fopen(key, "w"));
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
		fclose(f);
		chmod(key, 0600);
	}
	return x;
}

/* ---- an independent DTLS server (OpenSSL, one session) ---------------------------------------- */

struct server {
	int fd, port;
	SSL_CTX *ctx;
	pthread_t th;
	bool handshook, got_client_cert;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	uint8_t buf[2048], out[2048];
	struct pollfd p = {s->fd, POLLIN, 0};
	m2mi_coap_opt opts[32];
	m2mi_coap_msg m, a = {0};
	SSL *ssl;
	BIO *bio;
	size_t n;
	int r;

	if (poll(&p, 1, 20000) != 1 || recvfrom(s->fd, buf, sizeof(buf), MSG_PEEK, (struct sockaddr *)&peer, &plen) < 0 ||
	    connect(s->fd, (struct sockaddr *)&peer, plen) != 0)
		return NULL;
	bio = BIO_new_dgram(s->fd, BIO_NOCLOSE);
	(void)BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &peer);
	{
		struct timeval tv = {10, 0};
		(void)BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_RECV_TIMEOUT, 0, &tv);
	}
	ssl = SSL_new(s->ctx);
	SSL_set_bio(ssl, bio, bio);
	if (SSL_accept(ssl) == 1) {
		X509 *c = SSL_get1_peer_certificate(ssl);
		s->handshook = true;
		s->got_client_cert = c != NULL;
		X509_free(c);
		r = SSL_read(ssl, buf, sizeof(buf));
		if (r > 0 && m2mi_coap_decode(buf, (size_t)r, opts, 32, &m) == M2M_OK) {
			const m2mi_coap_opt o[] = {{M2MI_COAP_OPT_RSC, (const uint8_t *)"\x07\xd0", 2}};
			a.type = M2MI_COAP_ACK;
			a.code = M2MI_COAP_CODE(2, 5);
			a.mid = m.mid;
			a.token = m.token;
			a.token_len = m.token_len;
			a.opts = o;
			a.nopts = 1;
			if (m2mi_coap_encode(&a, out, sizeof(out), &n) == M2M_OK)
				(void)SSL_write(ssl, out, (int)n);
		}
		(void)SSL_shutdown(ssl);
	}
	ERR_clear_error();
	SSL_free(ssl);
	return NULL;
}

static void server_start(struct server *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);

	memset(s, 0, sizeof(*s));
	assert_non_null(s->ctx = SSL_CTX_new(DTLS_server_method()));
	assert_int_equal(SSL_CTX_set_min_proto_version(s->ctx, DTLS1_2_VERSION), 1);
	assert_int_equal(SSL_CTX_use_certificate_file(s->ctx, path("mef.crt"), SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(s->ctx, path("mef.key"), SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_load_verify_locations(s->ctx, path("ca.crt"), NULL), 1);
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	assert_true((s->fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	pthread_join(s->th, NULL);
	close(s->fd);
	SSL_CTX_free(s->ctx);
}

static m2m_err try_connect(const char *ca, const char *name, const char *who, struct server *s, bool exchange)
{
	SSL_CTX *ctx = NULL;
	m2mi_enr_conn c;
	char port[16], crt[32], key[32];
	m2m_err r;

	snprintf(crt, sizeof(crt), "%s.crt", who);
	snprintf(key, sizeof(key), "%s.key", who);
	assert_int_equal(m2mi_enr_dtls_ctx_new(ca, NULL, path(crt), path(key), &ctx), M2M_OK);
	server_start(s);
	snprintf(port, sizeof(port), "%d", s->port);
	r = m2mi_enr_connect(ctx, NULL, "127.0.0.1", port, name, m2mi_enr_now_ms() + 5000, &c);
	if (r == M2M_OK && exchange) {
		m2mi_enr_why why = {0};
		assert_non_null(c.coap);
		r = m2mi_enr_json(&c, "GET", "/mefClientReg", NULL, 2000, NULL, NULL, &why);
	}
	if (r == M2M_OK)
		m2mi_enr_close(&c);
	server_stop(s);
	SSL_CTX_free(ctx);
	return r;
}

static void test_certificate_flavour(void **state)
{
	EVP_PKEY *cak = EVP_EC_gen("P-256"), *ok = EVP_EC_gen("P-256"), *mk = EVP_EC_gen("P-256"),
		 *dk = EVP_EC_gen("P-256");
	X509 *ca, *other, *mef, *dev;
	struct server s;

	assert_non_null(mkdtemp(dir));
	ca = make_cert(cak, "ca", NULL, NULL, NULL, true, path("ca.crt"), path("ca.key"));
	other = make_cert(ok, "other-ca", NULL, NULL, NULL, true, path("other.crt"), path("other.key"));
	mef = make_cert(mk, "mef.example.com", "mef.example.com", cak, ca, false, path("mef.crt"), path("mef.key"));
	dev = make_cert(dk, "dev", NULL, cak, ca, false, path("dev.crt"), path("dev.key"));

	/* TS-0003 clause 8.3.2.2: the MEF-FQDN in a certificate of the CA; the device's presented */
	assert_int_equal(try_connect(path("ca.crt"), "mef.example.com", "dev", &s, true), M2M_OK);
	assert_true(s.handshook && s.got_client_cert);
	/* another name than the certificate's: refused by the client, as over TLS */
	assert_int_equal(try_connect(path("ca.crt"), "evil.example.com", "dev", &s, false), M2M_E_AUTH);
	assert_false(s.handshook);
	/* a certificate of another CA */
	assert_int_equal(try_connect(path("other.crt"), "mef.example.com", "dev", &s, false), M2M_E_AUTH);
	assert_false(s.handshook);
	/* a device certificate of another CA: the server refuses the handshake */
	assert_int_equal(try_connect(path("ca.crt"), "mef.example.com", "other", &s, true), M2M_E_AUTH);
	assert_false(s.handshook);
	X509_free(ca);
	X509_free(other);
	X509_free(mef);
	X509_free(dev);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(ok);
	EVP_PKEY_free(mk);
	EVP_PKEY_free(dk);
	for (const char *const *n = (const char *const[]){"ca.crt", "ca.key", "other.crt", "other.key", "mef.crt", "mef.key",
							   "dev.crt", "dev.key", NULL};
	     *n != NULL; n++)
		unlink(path(*n));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certificate_flavour),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
