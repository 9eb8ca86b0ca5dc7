/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/mef/est_route.c: the MEF's EST endpoints
 * (RFC 7030 section 3.2.2 /.well-known/est/...; TS-0003 clause 8.3.6.2) and GET /crl served as
 * raw routes of an in-process m2m_http_server on loopback plain HTTP: cacerts and csrattrs
 * answer, enrolment without a TLS association is 401, unknown operations 404, wrong methods
 * 405, and /crl is the CA's DER CRL; oneM2M paths still reach the oneM2M handler.
 */
#include "mef_fixture.h"

#include <openssl/x509.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_est_http),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
