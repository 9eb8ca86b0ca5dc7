/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the CSE's association with the MEF
 * (remote/remote_link.c, with the HTTPS side of httpc.c and the remote-key resolver remote_key.c)
 * against an in-process fake MEF: a TLS server thread that requires the CSE's client
 * certificate and answers fetchCredentials with canned answers (docs/procedures/mef.md,
 * TS-0003 §8.3.2.1). Checked: the RETRIEVE on the wire (path, X-M2M-Origin), the key and binding
 * reaching the waiting handshake, the MEF's certificate checked against its FQDN and the CA,
 * MEF down / silent / refusing the CSE's certificate -> failure (fail closed), the request cap,
 * and every request answered once at shutdown. No timed assertions: waits are on conditions.
 * SIGPIPE is ignored as in the service (a peer closing mid-write is an error, not a signal).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tls_test.h"

#include "remote/remote_link.h"

#define KEID "0123456789ABCDEF0123456789ABCDEF@mef.example.com"
#define CRED "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"

/* ---- the fake MEF ------------------------------------------------------------------------- */

enum { MEF_ANSWER, MEF_SILENT };

/* A MAF Key Retrieval (maf.md "The CSE side"): the same fake service answers /mafKeyReg/ with a
 * sec:mafKeyReg (its certificate names mef.example.com: that is the FQDN the MAF resolver uses). */
#define REL "00112233445566778899AABBCCDDEEFF"
#define KCID REL "@mef.example.com"

static struct {
	int lfd, port, mode;
	SSL_CTX *ctx;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char req[2048];   /* the last request head */
	int served, refused;
	bool stop;
} mef;

static void *mef_run(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(mef.lfd, NULL, NULL);
		SSL *ssl;
		char buf[2048];
		int n = 0, k;

		struct timeval tmo = {.tv_sec = 30}; /* a hang guard only: the client closes long before */

		if (fd < 0)
			return NULL;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
		pthread_mutex_lock(&mef.mu);
		if (mef.stop) {
			pthread_mutex_unlock(&mef.mu);
			close(fd);
			return NULL;
		}
		pthread_mutex_unlock(&mef.mu);
		ssl = SSL_new(mef.ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) != 1) {
			pthread_mutex_lock(&mef.mu);
			mef.refused++;
			pthread_cond_broadcast(&mef.cv);
			pthread_mutex_unlock(&mef.mu);
			SSL_free(ssl);
			close(fd);
			continue;
		}
		while (n < (int)sizeof(buf) - 1 && (k = SSL_read(ssl, buf + n, (int)sizeof(buf) - 1 - n)) > 0) {
			n += k;
			buf[n] = '\0';
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		pthread_mutex_lock(&mef.mu);
		snprintf(mef.req, sizeof(mef.req), "%s", buf);
		pthread_mutex_unlock(&mef.mu);
		if (mef.mode == MEF_SILENT) {
			/* hold the connection until the client gives up (its deadline) */
			while (SSL_read(ssl, buf, sizeof(buf)) > 0)
				;
		} else {
			char body[512], rsp[1024];
			int bl = strncmp(buf, "GET /mafKeyReg/", 15) == 0
					 ? snprintf(body, sizeof(body),
						    "{\"sec:mafKeyReg\":{\"relKeyID\":\"%s\",\"keyID\":\"%s\","
						    "\"expirationTime\":\"20990101T000000\",\"sourceID\":\"/cse-mn\","
						    "\"SUID\":32,\"keyValue\":\"%s\"}}",
						    REL, KCID, CRED)
					 : snprintf(body, sizeof(body),
						    "{\"sec:fetchCredRsp\":{\"status\":true,\"credential\":\"%s\","
						    "\"enroleeID\":\"Cdev1\",\"keyID\":\"%s\",\"SUID\":22,"
						    "\"lifetime\":3600,\"expirationTime\":\"20270101T000000\"}}",
						    CRED, KEID);
			int rl = snprintf(rsp, sizeof(rsp),
					  "HTTP/1.1 200 OK\r\nX-M2M-RSC: 2000\r\nX-M2M-RI: x\r\n"
					  "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
					  bl, body);
			(void)SSL_write(ssl, rsp, rl);
			SSL_shutdown(ssl);
		}
		pthread_mutex_lock(&mef.mu);
		mef.served++;
		pthread_cond_broadcast(&mef.cv);
		pthread_mutex_unlock(&mef.mu);
		SSL_free(ssl);
		close(fd);
	}
}

static X509 *ca_x, *other_ca_x;
static EVP_PKEY *ca_k, *other_ca_k;
static char ca_path[256], cse_cert[256], cse_key[256], other_cert[256], other_key[256];

/* The CA, the MEF's FQDN certificate and the CSE's CSE-ID certificate (docs/pki.md). */
static void make_pki(void)
{
	struct tt_cert_opts co = {.cn = "test CA", .ca = true, .from = -60, .to = 3600};
	struct tt_cert_opts mo = {.cn = "mef.example.com", .san = "DNS:mef.example.com", .from = -60, .to = 3600,
				  .eku = "serverAuth"};
	struct tt_cert_opts so = {.cn = "cse-in", .san = "URI:m2m://m2msec.example.com/id-in", .from = -60,
				  .to = 3600, .eku = "clientAuth"};
	EVP_PKEY *mk = tt_key_p256(), *sk = tt_key_p256(), *ok = tt_key_p256();
	X509 *mx, *sx, *ox;

	ca_k = tt_key_p256();
	ca_x = tt_cert(ca_k, NULL, NULL, &co);
	other_ca_k = tt_key_p256();
	other_ca_x = tt_cert(other_ca_k, NULL, NULL, &co);
	mx = tt_cert(mk, ca_x, ca_k, &mo);
	sx = tt_cert(sk, ca_x, ca_k, &so);
	ox = tt_cert(ok, other_ca_x, other_ca_k, &so); /* a CSE certificate the MEF does not trust */
	snprintf(ca_path, sizeof(ca_path), "%s", tt_write_cert("ca.pem", ca_x));
	snprintf(cse_cert, sizeof(cse_cert), "%s", tt_write_cert("cse.pem", sx));
	snprintf(cse_key, sizeof(cse_key), "%s", tt_write_key("cse.key", sk, 0600));
	snprintf(other_cert, sizeof(other_cert), "%s", tt_write_cert("other.pem", ox));
	snprintf(other_key, sizeof(other_key), "%s", tt_write_key("other.key", ok, 0600));

	mef.ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(mef.ctx);
	assert_int_equal(SSL_CTX_use_certificate(mef.ctx, mx), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(mef.ctx, mk), 1);
	assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(mef.ctx), ca_x), 1);
	SSL_CTX_set_verify(mef.ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	X509_free(mx);
	X509_free(sx);
	X509_free(ox);
	EVP_PKEY_free(mk);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(ok);
}

static int setup(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);

	(void)state;
	/* as the service shell does (svc_run): a peer closing mid-write is an error, not a signal */
	signal(SIGPIPE, SIG_IGN);
	make_pki();
	pthread_mutex_init(&mef.mu, NULL);
	pthread_cond_init(&mef.cv, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	mef.lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(mef.lfd >= 0);
	assert_int_equal(bind(mef.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(mef.lfd, 16), 0);
	assert_int_equal(getsockname(mef.lfd, (struct sockaddr *)&a, &al), 0);
	mef.port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&mef.th, NULL, mef_run, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pthread_mutex_lock(&mef.mu);
	mef.stop = true;
	pthread_mutex_unlock(&mef.mu);
	shutdown(mef.lfd, SHUT_RDWR);
	close(mef.lfd);
	pthread_join(mef.th, NULL);
	SSL_CTX_free(mef.ctx);
	X509_free(ca_x);
	X509_free(other_ca_x);
	EVP_PKEY_free(ca_k);
	EVP_PKEY_free(other_ca_k);
	return 0;
}

/* ---- the CSE side ------------------------------------------------------------------------- */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n;
	m2m_err err;
	bool key;
	m2m_sa sa;
} hs = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, M2M_OK, false, {0}};

/* Stands in for m2m_psk_wait_done_post: called on the link's thread. */
static m2m_err hs_done(m2m_psk_wait *w, m2m_err err, m2m_key *key, const m2m_sa *sa)
{
	(void)w;
	pthread_mutex_lock(&hs.mu);
	hs.n++;
	hs.err = err;
	hs.key = key != NULL;
	if (sa)
		hs.sa = *sa;
	pthread_cond_broadcast(&hs.cv);
	pthread_mutex_unlock(&hs.mu);
	m2m_key_free(key);
	return M2M_OK;
}

static void hs_wait(int n)
{
	pthread_mutex_lock(&hs.mu);
	while (hs.n < n)
		pthread_cond_wait(&hs.cv, &hs.mu);
	pthread_mutex_unlock(&hs.mu);
}

static m2mi_remote_link *link_new(int port, const char *name, const char *cert, const char *key, int timeout_ms,
			       size_t max_jobs)
{
	char url[64];
	m2mi_remote_link_cfg c = {url, ca_path, cert, key, name, "/id-in", timeout_ms, max_jobs, NULL, NULL, NULL};
	m2mi_remote_link *l = NULL;

	snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
	assert_int_equal(m2mi_remote_link_new(&c, &l), M2M_OK);
	return l;
}

static m2mi_remote_key *client_new(m2mi_remote_link *l)
{
	m2mi_remote_key_cfg c = {.lim = {64, 8, 60, 5}, .fetch = m2mi_remote_link_fetch, .fetch_ctx = l, .done = hs_done};
	m2mi_remote_key *mc = NULL;

	m2mi_remote_key_cfg_mef(&c, "mef.example.com", M2MI_MEF_SUID_SAEF);

	assert_int_equal(m2mi_remote_key_new(&c, &mc), M2M_OK);
	return mc;
}

static m2m_err handshake(m2mi_remote_key *mc, int *n)
{
	m2m_key *key = NULL;
	m2m_sa sa;
	m2m_err r = m2mi_remote_key_start(mc, KEID, (int64_t)time(NULL), (m2m_psk_wait *)&hs, &key, &sa);

	assert_int_equal(r, M2M_OK);
	assert_null(key); /* pending */
	hs_wait(++*n);
	return hs.err;
}

static int n_done;

static void test_fetch_over_mutual_tls(void **state)
{
	m2mi_remote_link *l = link_new(mef.port, "mef.example.com", cse_cert, cse_key, 5000, 4);
	m2mi_remote_key *mc = client_new(l);

	(void)state;
	mef.mode = MEF_ANSWER;
	assert_int_equal(handshake(mc, &n_done), M2M_OK);
	assert_true(hs.key);
	assert_string_equal(hs.sa.bound_id, "Cdev1");
	assert_string_equal(hs.sa.credential_id, "12-" KEID);
	assert_int_equal(hs.sa.suid, 22);
	pthread_mutex_lock(&mef.mu);
	assert_non_null(strstr(mef.req, "GET /fetchCredentials/" KEID "/22 HTTP/1.1\r\n"));
	assert_non_null(strstr(mef.req, "\r\nX-M2M-Origin: /id-in\r\n"));
	pthread_mutex_unlock(&mef.mu);
	m2mi_remote_link_free(l); /* the transport first (shutdown rule, docs/tls.md) */
	m2mi_remote_key_free(mc);
}

/* The MAF configuration of the same resolver over the same link: RETRIEVE /mafKeyReg/<relKeyID>
 * with X-M2M-Origin = the CSE-ID, psk = the first half of Kc, bound to the sourceID. */
static void test_maf_retrieval_over_mutual_tls(void **state)
{
	m2mi_remote_link *l = link_new(mef.port, "mef.example.com", cse_cert, cse_key, 5000, 4);
	m2mi_remote_key_cfg c = {.lim = {64, 8, 60, 5}, .fetch = m2mi_remote_link_fetch, .fetch_ctx = l, .done = hs_done};
	m2mi_remote_key *rk = NULL;
	m2m_key *key = NULL;
	m2m_sa sa;

	(void)state;
	m2mi_remote_key_cfg_maf(&c, "mef.example.com");
	assert_int_equal(m2mi_remote_key_new(&c, &rk), M2M_OK);
	mef.mode = MEF_ANSWER;
	/* a KeID-shaped identity of this FQDN is a KcID here: only the configuration tells */
	assert_int_equal(m2mi_remote_key_start(rk, KCID, (int64_t)time(NULL), (m2m_psk_wait *)&hs, &key, &sa), M2M_OK);
	assert_null(key);
	hs_wait(++n_done);
	assert_int_equal(hs.err, M2M_OK);
	assert_true(hs.key);
	assert_int_equal(hs.sa.entity, M2M_ENTITY_CSE);
	assert_string_equal(hs.sa.bound_id, "/cse-mn");
	assert_string_equal(hs.sa.credential_id, "12-" KCID);
	assert_int_equal(hs.sa.suid, 32);
	pthread_mutex_lock(&mef.mu);
	assert_non_null(strstr(mef.req, "GET /mafKeyReg/" REL " HTTP/1.1\r\n"));
	assert_non_null(strstr(mef.req, "\r\nX-M2M-Origin: /id-in\r\n"));
	pthread_mutex_unlock(&mef.mu);
	/* cached: the next handshake gets the 16-byte psk at once */
	assert_int_equal(m2mi_remote_key_start(rk, KCID, (int64_t)time(NULL), (m2m_psk_wait *)&hs, &key, &sa), M2M_OK);
	assert_non_null(key);
	assert_int_equal(m2m_key_len(key), 16);
	m2m_key_free(key);
	m2mi_remote_link_free(l);
	m2mi_remote_key_free(rk);
}

/* The MEF's certificate does not carry the expected FQDN: no key, the handshake fails. */
static void test_mef_name_mismatch(void **state)
{
	m2mi_remote_link *l = link_new(mef.port, "evil.example.com", cse_cert, cse_key, 5000, 4);
	m2mi_remote_key *mc = client_new(l);

	(void)state;
	assert_int_equal(handshake(mc, &n_done), M2M_E_IO);
	assert_false(hs.key);
	m2mi_remote_link_free(l);
	m2mi_remote_key_free(mc);
}

/* The MEF does not trust the CSE's certificate: it refuses the association. */
static void test_cse_cert_refused(void **state)
{
	m2mi_remote_link *l = link_new(mef.port, "mef.example.com", other_cert, other_key, 5000, 4);
	m2mi_remote_key *mc = client_new(l);

	(void)state;
	assert_int_equal(handshake(mc, &n_done), M2M_E_IO);
	assert_false(hs.key);
	m2mi_remote_link_free(l);
	m2mi_remote_key_free(mc);
}

/* MEF down (nothing listens) and MEF silent (the deadline ends the request): fail closed. */
static void test_mef_down_and_silent(void **state)
{
	int lfd = socket(AF_INET, SOCK_STREAM, 0), port;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	m2mi_remote_link *l;
	m2mi_remote_key *mc;

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	port = ntohs(a.sin_port);
	close(lfd); /* a port nobody listens on */
	l = link_new(port, "mef.example.com", cse_cert, cse_key, 5000, 4);
	mc = client_new(l);
	assert_int_equal(handshake(mc, &n_done), M2M_E_IO);
	m2mi_remote_link_free(l);
	m2mi_remote_key_free(mc);

	mef.mode = MEF_SILENT;
	l = link_new(mef.port, "mef.example.com", cse_cert, cse_key, 200, 4);
	mc = client_new(l);
	assert_int_equal(handshake(mc, &n_done), M2M_E_IO);
	m2mi_remote_link_free(l);
	m2mi_remote_key_free(mc);
	mef.mode = MEF_ANSWER;
}

static void on_rsp(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	int *r = arg;

	(void)status;
	(void)rsc;
	(void)body;
	(void)len;
	*r = result;
}

/* At most max_jobs requests queued or in flight; the rest is answered at shutdown. */
static void test_cap_and_shutdown(void **state)
{
	m2mi_remote_link *l;
	int r1 = 99, r2 = 99;

	(void)state;
	mef.mode = MEF_SILENT;
	l = link_new(mef.port, "mef.example.com", cse_cert, cse_key, 60000, 1);
	assert_int_equal(m2mi_remote_link_fetch(l, "/fetchCredentials/" KEID "/22", on_rsp, &r1), 0);
	assert_int_equal(m2mi_remote_link_fetch(l, "/fetchCredentials/" KEID "/22", on_rsp, &r2), -1);
	assert_int_equal(m2mi_remote_link_fetch(l, "no-slash", on_rsp, &r2), -1);
	m2mi_remote_link_free(l);
	assert_int_equal(r1, -1); /* answered once, as a failure */
	assert_int_equal(r2, 99); /* never queued: never called */
	mef.mode = MEF_ANSWER;
}

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n, result, rsc;
} pr = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

static void on_pol(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	(void)arg;
	(void)status;
	(void)body;
	(void)len;
	pthread_mutex_lock(&pr.mu);
	pr.n++;
	pr.result = result;
	pr.rsc = rsc;
	pthread_cond_broadcast(&pr.cv);
	pthread_mutex_unlock(&pr.mu);
}

static int pol_request(const char *allow)
{
	m2mi_addr_policy pol;
	char why[128], url[80];
	m2mi_remote_link_cfg c = {"https://ae.invalid", ca_path, cse_cert, cse_key, NULL, "/id-in", 5000, 4, NULL, NULL,
				  &pol};
	m2mi_remote_link *l = NULL;
	int n;

	assert_int_equal(m2mi_addr_policy_init(&pol, allow, "", why, sizeof(why)), M2M_OK);
	assert_int_equal(m2mi_remote_link_new(&c, &l), M2M_OK);
	memset(&pol, 0, sizeof(pol)); /* the link holds its own copy */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/ae", mef.port);
	pthread_mutex_lock(&pr.mu);
	n = pr.n;
	pthread_mutex_unlock(&pr.mu);
	assert_int_equal(m2mi_remote_link_request(l, url, "mef.example.com", 5, 0, "/id-in/Cae", "rq1", NULL, "{}",
						  on_pol, NULL),
			 0);
	pthread_mutex_lock(&pr.mu);
	while (pr.n == n)
		pthread_cond_wait(&pr.cv, &pr.mu);
	pthread_mutex_unlock(&pr.mu);
	m2mi_remote_link_free(l);
	return pr.result;
}

/* A link with a destination policy (an <AE>'s poa, services/cse/forward.c): a refused address
 * is answered -2 before any connection (the server sees nothing); an allowed one is asked. */
static void test_destination_policy(void **state)
{
	int served, refused;

	(void)state;
	pthread_mutex_lock(&mef.mu);
	served = mef.served;
	refused = mef.refused;
	pthread_mutex_unlock(&mef.mu);
	assert_int_equal(pol_request(""), -2); /* loopback: built-in deny */
	pthread_mutex_lock(&mef.mu);
	assert_int_equal(mef.served, served);
	assert_int_equal(mef.refused, refused);
	pthread_mutex_unlock(&mef.mu);
	assert_int_equal(pol_request("127.0.0.1/32"), 0);
	assert_int_equal(pr.rsc, 2000);
}

static void test_bad_config(void **state)
{
	m2mi_remote_link_cfg c = {"http://127.0.0.1:1", ca_path, cse_cert, cse_key, NULL, "/id-in", 100, 1, NULL, NULL, NULL};
	m2mi_remote_link *l = NULL;
	const char *loose = tt_write("loose.key", "x", 0644);

	(void)state;
	assert_int_equal(m2mi_remote_link_new(&c, &l), M2M_E_INVAL); /* never plain HTTP to the MEF */
	c.url = "https://127.0.0.1:1";
	c.key_file = loose;
	assert_int_equal(m2mi_remote_link_new(&c, &l), M2M_E_KEY_PERMS);
	c.key_file = other_key; /* does not match cse_cert */
	assert_int_equal(m2mi_remote_link_new(&c, &l), M2M_E_CONFIG);
	assert_null(l);	/* TLS-PSK (registrar-psk-*): the key file must be owner-only hex; cert/key then unused */
	c.cert_file = c.key_file = NULL;
	c.psk_identity = "kpsa-mn@sp.example.com";
	c.psk_file = tt_write("loose.psk", "00112233445566778899aabbccddeeff\n", 0644);
	assert_int_not_equal(m2mi_remote_link_new(&c, &l), M2M_OK);
	c.psk_file = tt_write("bad.psk", "not hex\n", 0600);
	assert_int_not_equal(m2mi_remote_link_new(&c, &l), M2M_OK);
	assert_null(l);
	c.psk_file = tt_write("good.psk", "00112233445566778899aabbccddeeff\n", 0600);
	assert_int_equal(m2mi_remote_link_new(&c, &l), M2M_OK);
	m2mi_remote_link_free(l);
	l = NULL;
	c.psk_identity = "";
	assert_int_equal(m2mi_remote_link_new(&c, &l), M2M_E_INVAL); /* neither certificate nor PSK */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_over_mutual_tls),
		cmocka_unit_test(test_maf_retrieval_over_mutual_tls),
		cmocka_unit_test(test_mef_name_mismatch),
		cmocka_unit_test(test_cse_cert_refused),
		cmocka_unit_test(test_mef_down_and_silent),
		cmocka_unit_test(test_cap_and_shutdown),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_destination_policy),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
