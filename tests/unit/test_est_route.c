/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/mef/est_route.c: the MEF's EST endpoints
 * (RFC 7030 section 3.2.2 /.well-known/est/...; TS-0003 clause 8.3.6.2) and GET /crl served as
 * raw routes of an in-process m2m_http_server on loopback plain HTTP: cacerts and csrattrs
 * answer, enrolment without a TLS association is 401, unknown operations 404, wrong methods
 * 405, and /crl is the CA's DER CRL; oneM2M paths still reach the oneM2M handler. Over a real
 * TLS-PSK connection (the MEF Handshake, psk_identity = KpmID) a device-made CSR for its own
 * AE-ID is issued and one for a foreign AE-ID refused with 403.
 */
#include "tls_test.h"
#include "mef_fixture.h"

#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "m2msec/est.h"
#include "raw_http.h"

static void on_m2m(void *ctx, int ti, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	(void)ctx;
	(void)ti;
	(void)sa;
	(void)req;
	rsp->rsc = 2000;
}

static void test_est_http(void **state)
{
	(void)state;
	static const char *const permit[] = {"sp.example.com"};
	fx *f = fx_new("https://mef.example.com/.well-known/est");
	m2m_http_server_config cfg = {.http_listen = "127.0.0.1:0", .threads = 1};
	struct rh_server srv = {0};
	m2m_est_http *h = NULL;
	m2m_est *est = NULL;
	struct rh_resp r;
	char cadir[160], cmd[300];
	int port;

	snprintf(cadir, sizeof(cadir), "%s/ca", f->dir);
	assert_int_equal(m2m_ca_init(cadir, "MEF CA", permit, 1, 0), M2M_OK);
	assert_int_equal(m2m_est_new(cadir, 0, &est), M2M_OK);
	assert_int_equal(m2m_est_http_new(est, f->mef, &f->w, 1, 0, &h), M2M_OK);
	assert_int_equal(m2m_http_server_new(&cfg, on_m2m, NULL, &srv.srv), M2M_OK);
	assert_int_equal(m2m_mef_est_route(srv.srv, h), M2M_OK);
	port = m2m_http_server_port(srv.srv, false);
	rh_start(&srv);

	rh_req(port, "GET", "/.well-known/est/cacerts", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.raw, "Content-Type: application/pkcs7-mime; smime-type=certs-only"));
	rh_req(port, "GET", "/.well-known/est/csrattrs", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.raw, "Content-Type: application/csrattrs"));
	rh_req(port, "POST", "/.well-known/est/simpleenroll", "application/pkcs10", "MIIB", &r);
	assert_int_equal(r.status, 401);
	rh_req(port, "GET", "/.well-known/est/simpleenroll", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	rh_req(port, "POST", "/.well-known/est/cacerts", "text/plain", "x", &r);
	assert_int_equal(r.status, 405);
	rh_req(port, "GET", "/.well-known/est/serverkeygen", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	rh_req(port, "GET", "/crl", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.raw, "Content-Type: application/pkix-crl"));
	const unsigned char *p = (const unsigned char *)r.body;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)r.blen);
	assert_non_null(crl);
	assert_true(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) <= 0); /* none revoked yet */
	X509_CRL_free(crl);
	rh_req(port, "POST", "/crl", "text/plain", "x", &r);
	assert_int_equal(r.status, 405);

	rh_stop(&srv);
	m2m_est_http_free(h);
	m2m_est_free(est);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cadir);
	/* the server left SIGCHLD ignored: system() cannot report the status, the rm still runs */
	if (system(cmd) != 0 && access(cadir, F_OK) == 0)
		fail_msg("could not remove %s", cadir);
	fx_free(f);
}

/* A base64 DER CSR for a fresh P-256 key with one URI SAN. */
static char *csr_b64(const char *uri)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	char san[256];
	unsigned char *der = NULL;
	char *b64;
	int len;

	snprintf(san, sizeof(san), "URI:%s", uri);
	X509_REQ_set_pubkey(req, k);
	sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san));
	X509_REQ_add_extensions(req, exts);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	len = i2d_X509_REQ(req, &der);
	b64 = calloc(1, (size_t)len * 2 + 4);
	EVP_EncodeBlock((unsigned char *)b64, der, len);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return b64;
}

/* POST body to path over a fresh TLS-PSK connection as the fixture's enrolee; the status. */
static int psk_post(int port, const char *path, const char *body, char *out, size_t cap)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {10, 0};
	struct tt_psk p;
	SSL_CTX *c;
	SSL *ssl;
	char req[8192];
	size_t len = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), n, status = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	tt_psk_set(&p, FX_KPMID, "1111111111111111111111111111111111111111111111111111111111111111");
	c = tt_psk_client(&p, TLS1_2_VERSION, "PSK-AES128-CCM8:PSK-AES128-GCM-SHA256");
	ssl = SSL_new(c);
	SSL_set_fd(ssl, fd);
	assert_int_equal(SSL_connect(ssl), 1);
	n = snprintf(req, sizeof(req),
		     "POST %s HTTP/1.1\r\nHost: mef.example.com\r\nContent-Type: application/pkcs10\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", path, strlen(body), body);
	assert_int_equal(SSL_write(ssl, req, n), n);
	while (len < cap - 1 && (n = SSL_read(ssl, out + len, (int)(cap - 1 - len))) > 0)
		len += (size_t)n;
	out[len] = '\0';
	assert_true(sscanf(out, "HTTP/1.1 %d", &status) == 1);
	SSL_free(ssl);
	SSL_CTX_free(c);
	close(fd);
	return status;
}

static m2m_tls *mef_tls(fx *f)
{
	m2m_tls_config cfg = {.sp_id = "//sp.example.com"};
	m2m_tls *tls = NULL;

	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_OK);
	assert_int_equal(m2m_tls_add_psk_resolver(tls, m2m_mef_psk_resolve, f->mef), M2M_OK);
	return tls;
}

static char last_audit[128];

static void on_audit(void *ctx, const m2m_mef_audit *ev)
{
	(void)ctx;
	if (strncmp(ev->procedure, "est-", 4) == 0)
		snprintf(last_audit, sizeof(last_audit), "%s %s %d %s", ev->procedure, ev->outcome, ev->rsc,
			 ev->client ? ev->client : "-");
}

static void test_est_over_psk(void **state)
{
	(void)state;
	static const char *const permit[] = {"sp.example.com"};
	fx *f = fx_new_audit("https://mef.example.com/.well-known/est", on_audit, NULL);
	m2m_tls *tls = mef_tls(f);
	m2m_http_server_config cfg = {.https_listen = "127.0.0.1:0", .tls = tls, .threads = 1};
	struct rh_server srv = {0};
	m2m_est_http *h = NULL;
	m2m_est *est = NULL;
	static char out[65536];
	char cadir[160], cmd[300], *c;
	int port;

	snprintf(cadir, sizeof(cadir), "%s/ca", f->dir);
	assert_int_equal(m2m_ca_init(cadir, "MEF CA", permit, 1, 0), M2M_OK);
	assert_int_equal(m2m_est_new(cadir, 0, &est), M2M_OK);
	assert_int_equal(m2m_est_http_new(est, f->mef, &f->w, 1, 0, &h), M2M_OK);
	assert_int_equal(m2m_http_server_new(&cfg, on_m2m, NULL, &srv.srv), M2M_OK);
	assert_int_equal(m2m_mef_est_route(srv.srv, h), M2M_OK);
	port = m2m_http_server_port(srv.srv, true);
	rh_start(&srv);

	c = csr_b64("m2m://sp.example.com/cse-in/Cother");
	assert_int_equal(psk_post(port, "/.well-known/est/simpleenroll", c, out, sizeof(out)), 403);
	assert_string_equal(last_audit, "est-simpleenroll claim-refused 403 " FX_KPMID);
	free(c);
	c = csr_b64("m2m://sp.example.com/cse-in/Cdev1");
	assert_int_equal(psk_post(port, "/.well-known/est/simpleenroll", c, out, sizeof(out)), 200);
	assert_non_null(strstr(out, "application/pkcs7-mime; smime-type=certs-only"));
	assert_string_equal(last_audit, "est-simpleenroll ok 200 " FX_KPMID);
	free(c);

	rh_stop(&srv);
	m2m_est_http_free(h);
	m2m_est_free(est);
	m2m_tls_free(tls);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cadir);
	if (system(cmd) != 0 && access(cadir, F_OK) == 0)
		fail_msg("could not remove %s", cadir);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_est_http),
		cmocka_unit_test(test_est_over_psk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
