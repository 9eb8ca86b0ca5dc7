/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the end-to-end tests of the enrolee library and of `m2msec enrol` against
 * a real MEF (the procedure layer of src/services/mef over real TLS on loopback, enrol_server.h):
 * TS-0003 clause 8.3.2.1 PSK handshake, clause 10.3.1 Ke/KeID agreement, MEF Client
 * Registration and the Client Command flow (clause 8.3.4.6), the Enrolment Target key equal to
 * what fetchCredentials gives the target (clause 10.3.7), EST with a device-generated key
 * (clause 8.3.6, RFC 7030), the certificate flavour (clause 8.3.2.2), the refusals (wrong Kpm,
 * unknown KpmID, revoked enrolee, foreign claim, MEF CA mismatch), the CLI's files and exit codes,
 * and the documented example program (examples/enrol_example.c), compiled and run here.
 */
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "enrol_server.h"
#include "m2msec/enrol.h"

extern char **environ;

#define KPM_HEX "1111111111111111111111111111111111111111111111111111111111111111"
#define CERT_EID "//sp.example.com/cse-in/Cdev2"

typedef struct world {
	es s;
	char ca_dir[300];
	const char *mef_ca, *other_ca, *dev_cert, *dev_key, *kpm_file;
	m2m_key *kpm;
	char addr[64];
} world;

static world W;

static int setup(void **state)
{
	EVP_PKEY *cak = tt_key_p256(), *mk = tt_key_p256(), *ok = tt_key_p256(), *dk = tt_key_p256();
	struct tt_cert_opts cao = {.cn = "test root", .ca = true, .to = 86400};
	struct tt_cert_opts mo = {.cn = "mef.example.com", .san = "DNS:mef.example.com", .eku = "serverAuth", .to = 86400};
	struct tt_cert_opts dopt = {.cn = "dev2", .san = "URI:m2m://sp.example.com/cse-in/Cdev2", .eku = "clientAuth",
				    .to = 86400};
	X509 *ca = tt_cert(cak, NULL, NULL, &cao), *other = tt_cert(ok, NULL, NULL, &cao);
	X509 *mc = tt_cert(mk, ca, cak, &mo), *dc = tt_cert(dk, ca, cak, &dopt);
	char est[128];
	uint8_t kb[32];
	m2m_tls_config tc = {.sp_id = "//sp.example.com"};
	m2m_mef_enrolee ce = {.flavour = M2M_MEF_FLAVOUR_CERT, .client_id = CERT_EID, .enrolee_id = CERT_EID,
			      .targets = {FX_TARGET}, .ntargets = 1};

	(void)state;
	W.mef_ca = strdup(tt_write_cert("mefca.pem", ca));
	W.other_ca = strdup(tt_write_cert("otherca.pem", other));
	tc.cert_file = strdup(tt_write_cert("mef.pem", mc));
	tc.key_file = strdup(tt_write_key("mef.key", mk, 0600));
	tc.trust_anchors = W.mef_ca;
	W.dev_cert = strdup(tt_write_cert("dev.pem", dc));
	W.dev_key = strdup(tt_write_key("dev.key", dk, 0600));
	W.kpm_file = strdup(tt_write("kpm", KPM_HEX "\n", 0600));
	es_bind(&W.s);
	snprintf(W.addr, sizeof(W.addr), "127.0.0.1:%d", W.s.port);
	/* as the MEF announces it: by its FQDN (the device reaches it at the address it was given) */
	snprintf(est, sizeof(est), "https://mef.example.com:%d/.well-known/est", W.s.port);
	W.s.f = fx_new(est);
	ce.expiry = FX_NOW + 1000;
	assert_int_equal(m2m_mefstore_enrolee_add(m2m_mef_store(W.s.f->mef), &ce, NULL, FX_NOW - 10, NULL), M2M_OK);
	assert_int_equal(m2m_tls_new(&tc, &W.s.tls), M2M_OK);
	assert_int_equal(m2m_tls_add_psk_resolver(W.s.tls, m2m_mef_psk_resolve, W.s.f->mef), M2M_OK);
	snprintf(W.ca_dir, sizeof(W.ca_dir), "%s/estca", tt_dir());
	{
		const char *permit[] = {"sp.example.com"};
		assert_int_equal(m2m_ca_init(W.ca_dir, "est ca", permit, 1, 30), M2M_OK);
		assert_int_equal(m2m_ca_open(W.ca_dir, &W.s.ca), M2M_OK);
	}
	memset(kb, 0x11, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &W.kpm), M2M_OK);
	es_start(&W.s);
	free((char *)tc.cert_file);
	free((char *)tc.key_file);
	X509_free(ca);
	X509_free(other);
	X509_free(mc);
	X509_free(dc);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(mk);
	EVP_PKEY_free(ok);
	EVP_PKEY_free(dk);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	es_stop(&W.s);
	close(W.s.lfd);
	m2m_tls_free(W.s.tls);
	m2m_ca_free(W.s.ca);
	fx_free(W.s.f);
	m2m_key_free(W.kpm);
	return 0;
}

static m2m_enrolee *psk_enrolee(const char *kpm_id, const m2m_key *kpm)
{
	m2m_enrolee *e = NULL;

	assert_int_equal(m2m_enrolee_new(&e), M2M_OK);
	assert_int_equal(m2m_enrolee_set_mef(e, W.addr), M2M_OK);
	assert_int_equal(m2m_enrolee_set_mef_ca(e, W.mef_ca), M2M_OK);
	assert_int_equal(m2m_enrolee_set_psk(e, kpm_id, kpm), M2M_OK);
	assert_int_equal(m2m_enrolee_set_deadline(e, 20), M2M_OK);
	return e;
}

/* What the MEF gives the target for this KeID (fetchCredentials, run with the server stopped). */
static void fetched_key(const char *keid, char hex[65])
{
	m2m_mef_assoc *t;
	json_t *pc = NULL;
	char to[200];

	es_stop(&W.s);
	t = fx_target(W.s.f, FX_TARGET);
	snprintf(to, sizeof(to), "/fetchCredentials/%s/22", keid);
	assert_int_equal(fx_run(W.s.f, t, M2M_OP_RETRIEVE, to, NULL, &pc), 2000);
	snprintf(hex, 65, "%s", json_string_value(json_object_get(json_object_get(pc, "sec:fetchCredRsp"), "credential")));
	json_decref(pc);
	m2m_mef_assoc_free(t);
	es_start(&W.s);
}

static void test_psk_enrolment(void **state)
{
	m2m_enrolee *e = psk_enrolee(FX_KPMID, W.kpm);
	char mine[65], theirs[65], dir[300], text[400];
	struct stat st;
	FILE *fp;

	(void)state;
	assert_int_equal(m2m_enrolee_run(e), M2M_OK);
	assert_int_equal(strlen(m2m_enrolee_keid(e)), 32 + 1 + strlen("mef.example.com"));
	assert_string_equal(m2m_enrolee_keid(e) + 32, "@mef.example.com");
	assert_string_equal(m2m_key_id(m2m_enrolee_ke(e)), m2m_enrolee_keid(e));
	assert_string_equal(m2m_enrolee_id(e), FX_EID);
	assert_int_equal(m2m_enrolee_target_count(e), 1);
	assert_string_equal(m2m_enrolee_target_id(e, 0), "//sp.example.com/cse-in");
	assert_true(m2m_enrolee_expiry(e) > FX_NOW);
	assert_null(m2m_enrolee_cert_pem(e)); /* no certificate asked for */
	/* TS-0003 clause 10.3.7: the device's key is exactly what the target fetches */
	assert_int_equal(m2m_key_export_hex(m2m_enrolee_target_key(e, 0), mine, sizeof(mine)), M2M_OK);
	assert_string_equal(m2m_key_id(m2m_enrolee_target_key(e, 0)), m2m_enrolee_keid(e));
	fetched_key(m2m_enrolee_keid(e), theirs);
	assert_string_equal(mine, theirs);
	/* files: dir 0700, secrets 0600, keid text */
	snprintf(dir, sizeof(dir), "%s/out-lib", tt_dir());
	assert_int_equal(m2m_enrolee_write(e, dir), M2M_OK);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(text, sizeof(text), "%s/target.psk", dir);
	assert_int_equal(stat(text, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(fp = fopen(text, "r"));
	assert_non_null(fgets(text, sizeof(text), fp));
	fclose(fp);
	assert_int_equal(strncmp(text, mine, 64), 0);
	snprintf(text, sizeof(text), "%s/keid", dir);
	assert_non_null(fp = fopen(text, "r"));
	assert_non_null(fgets(text, sizeof(text), fp));
	fclose(fp);
	text[strcspn(text, "\n")] = '\0';
	assert_string_equal(text, m2m_enrolee_keid(e));
	m2m_enrolee_free(e);
}

static void test_psk_refusals(void **state)
{
	uint8_t kb[32];
	m2m_key *bad = NULL;
	m2m_enrolee *e;

	(void)state;
	memset(kb, 0x12, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &bad), M2M_OK);
	e = psk_enrolee(FX_KPMID, bad); /* wrong Kpm: the handshake fails */
	assert_int_equal(m2m_enrolee_run(e), M2M_E_AUTH);
	assert_null(m2m_enrolee_keid(e));
	assert_int_equal(m2m_enrolee_rsc(e), 0);
	m2m_enrolee_free(e);
	e = psk_enrolee("nobody@mef.example.com", W.kpm); /* unknown KpmID: the same */
	assert_int_equal(m2m_enrolee_run(e), M2M_E_AUTH);
	m2m_enrolee_free(e);
	e = psk_enrolee(FX_KPMID, W.kpm); /* a foreign Enrolee-ID claim: 4103 from the MEF */
	assert_int_equal(m2m_enrolee_set_claim(e, "Cother"), M2M_OK);
	assert_int_equal(m2m_enrolee_run(e), M2M_E_PROTO);
	assert_int_equal(m2m_enrolee_rsc(e), 4103);
	assert_true(strlen(m2m_enrolee_reason(e)) > 0);
	assert_null(m2m_enrolee_ke(e));
	m2m_enrolee_free(e);
	m2m_key_free(bad);
	/* nothing listens: M2M_E_IO */
	assert_int_equal(m2m_enrolee_new(&e), M2M_OK);
	assert_int_equal(m2m_enrolee_set_mef(e, "127.0.0.1:1"), M2M_OK);
	assert_int_equal(m2m_enrolee_set_mef_ca(e, W.mef_ca), M2M_OK);
	assert_int_equal(m2m_enrolee_set_psk(e, FX_KPMID, W.kpm), M2M_OK);
	assert_int_equal(m2m_enrolee_run(e), M2M_E_IO);
	m2m_enrolee_free(e);
	/* a missing setting */
	assert_int_equal(m2m_enrolee_new(&e), M2M_OK);
	assert_int_equal(m2m_enrolee_run(e), M2M_E_CONFIG);
	m2m_enrolee_free(e);
}

static void test_psk_est(void **state)
{
	m2m_enrolee *e = psk_enrolee(FX_KPMID, W.kpm);
	X509 *x;
	char dir[300], p[400];
	struct stat st;
	GENERAL_NAMES *g;
	int type;

	(void)state;
	m2m_enrolee_want_cert(e, true);
	W.s.enrolls = 0;
	assert_int_equal(m2m_enrolee_run(e), M2M_OK);
	assert_int_equal(W.s.enrolls, 1);
	/* TS-0003 clause 10.1.1.5: the AE-ID-Stem completed under the registrar target */
	assert_string_equal(W.s.csr_san, "URI:m2m://sp.example.com/cse-in/Cdev1");
	assert_non_null(m2m_enrolee_cert_pem(e));
	assert_non_null(x = es_pem_x509(m2m_enrolee_cert_pem(e)));
	g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_non_null(g);
	assert_non_null(GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(g, 0), &type));
	assert_int_equal(type, GEN_URI);
	GENERAL_NAMES_free(g);
	X509_free(x);
	snprintf(dir, sizeof(dir), "%s/out-est", tt_dir());
	assert_int_equal(m2m_enrolee_write(e, dir), M2M_OK);
	snprintf(p, sizeof(p), "%s/cert.key", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s/cert.pem", dir);
	assert_int_equal(stat(p, &st), 0);
	m2m_enrolee_free(e);
	/* the EST server refuses: the run fails with the step and the server's reason, no result */
	e = psk_enrolee(FX_KPMID, W.kpm);
	m2m_enrolee_want_cert(e, true);
	W.s.est_refuse = true;
	assert_int_equal(m2m_enrolee_run(e), M2M_E_CERT);
	W.s.est_refuse = false;
	assert_string_equal(m2m_enrolee_reason(e), "EST simpleenroll: HTTP 403: claim-refused");
	assert_null(m2m_enrolee_cert_pem(e));
	assert_null(m2m_enrolee_keid(e));
	m2m_enrolee_free(e);
}

static void test_cert_flavour(void **state)
{
	m2m_enrolee *e = NULL;

	(void)state;
	assert_int_equal(m2m_enrolee_new(&e), M2M_OK);
	assert_int_equal(m2m_enrolee_set_mef(e, W.addr), M2M_OK);
	assert_int_equal(m2m_enrolee_set_mef_ca(e, W.mef_ca), M2M_OK);
	assert_int_equal(m2m_enrolee_set_mef_fqdn(e, "mef.example.com"), M2M_OK);
	assert_int_equal(m2m_enrolee_set_cert(e, W.dev_cert, W.dev_key), M2M_OK);
	assert_int_equal(m2m_enrolee_run(e), M2M_OK);
	assert_string_equal(m2m_enrolee_id(e), CERT_EID);
	assert_string_equal(m2m_enrolee_keid(e) + 32, "@mef.example.com");
	/* re-provisioning (RFC 7030 clause 4.2.2): /simplereenroll over the certificate association */
	m2m_enrolee_want_cert(e, true);
	m2m_enrolee_est_reenrol(e, true);
	assert_int_equal(m2m_enrolee_run(e), M2M_OK);
	assert_string_equal(W.s.last_op, "simplereenroll");
	assert_string_equal(W.s.csr_san, "URI:m2m://sp.example.com/cse-in/Cdev2");
	assert_non_null(m2m_enrolee_cert_pem(e));
	m2m_enrolee_want_cert(e, false);
	m2m_enrolee_est_reenrol(e, false);
	/* the MEF's certificate from another CA: refused in the handshake */
	assert_int_equal(m2m_enrolee_set_mef_ca(e, W.other_ca), M2M_OK);
	assert_int_equal(m2m_enrolee_run(e), M2M_E_AUTH);
	/* the right CA but another name than the MEF's certificate carries */
	assert_int_equal(m2m_enrolee_set_mef_ca(e, W.mef_ca), M2M_OK);
	assert_int_equal(m2m_enrolee_set_mef_fqdn(e, "other.example.com"), M2M_OK);
	assert_int_equal(m2m_enrolee_run(e), M2M_E_AUTH);
	m2m_enrolee_free(e);
}

/* Run argv; returns the exit status; stdout into out (cap bytes). */
static int run(char *const argv[], char *out, size_t cap)
{
	posix_spawn_file_actions_t fa;
	char tmpl[300];
	int fd, status = -1;
	pid_t pid;
	ssize_t n;

	snprintf(tmpl, sizeof(tmpl), "%s/stdoutXXXXXX", tt_dir());
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	posix_spawn_file_actions_destroy(&fa);
	n = pread(fd, out, cap - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(tmpl);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_example_program(void **state)
{
	char out[1024];
	char *argv[] = {ENROL_EXAMPLE, W.addr, (char *)W.mef_ca, FX_KPMID, (char *)W.kpm_file, NULL};

	(void)state;
	assert_int_equal(run(argv, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "@mef.example.com"));
	assert_non_null(strstr(out, "//sp.example.com/cse-in"));
}

static void test_cli(void **state)
{
	char out[1024], dir[300], p[400], kid[128];
	char *ok[] = {M2MSEC_BIN, "enrol", "--mef", W.addr, "--mef-ca", (char *)W.mef_ca, "--kpm-id", FX_KPMID,
		      "--kpm-file", (char *)W.kpm_file, "--out", dir, NULL};
	char *unknown[] = {M2MSEC_BIN, "enrol", "--mef", W.addr, "--mef-ca", (char *)W.mef_ca, "--kpm-id",
			   "nobody@mef.example.com", "--kpm-file", (char *)W.kpm_file, "--out", dir, NULL};
	const char *badkpm = tt_write("kpm-bad", "1211111111111111111111111111111111111111111111111111111111111111", 0600);
	char *wrong[] = {M2MSEC_BIN, "enrol", "--mef", W.addr, "--mef-ca", (char *)W.mef_ca, "--kpm-id", FX_KPMID,
			 "--kpm-file", (char *)badkpm, "--out", dir, NULL};
	const char *loose = tt_write("kpm-loose", KPM_HEX, 0644);
	char *perms[] = {M2MSEC_BIN, "enrol", "--mef", "127.0.0.1:1", "--mef-ca", (char *)W.mef_ca, "--kpm-id", FX_KPMID,
			 "--kpm-file", (char *)loose, "--out", dir, NULL};
	char *cert_bad_ca[] = {M2MSEC_BIN, "enrol", "--mef", W.addr, "--mef-ca", (char *)W.other_ca, "--mef-fqdn",
			       "mef.example.com", "--client-cert", (char *)W.dev_cert, "--client-key", (char *)W.dev_key,
			       "--out", dir, NULL};
	char *usage[] = {M2MSEC_BIN, "enrol", "--mef", W.addr, "--out", dir, NULL};
	char *est[] = {M2MSEC_BIN, "enrol", "--mef", W.addr, "--mef-ca", (char *)W.mef_ca, "--kpm-id", FX_KPMID,
		       "--kpm-file", (char *)W.kpm_file, "--out", dir, "--cert", NULL};
	struct stat st;
	FILE *fp;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/out-cli", tt_dir());
	assert_int_equal(run(ok, out, sizeof(out)), 0);
	out[strcspn(out, "\n")] = '\0';
	assert_string_equal(out + 32, "@mef.example.com");
	snprintf(p, sizeof(p), "%s/keid", dir);
	assert_non_null(fp = fopen(p, "r"));
	assert_non_null(fgets(kid, sizeof(kid), fp));
	fclose(fp);
	kid[strcspn(kid, "\n")] = '\0';
	assert_string_equal(kid, out);
	snprintf(p, sizeof(p), "%s/ke", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* --cert: EST, the device key in cert.key 0600 next to cert.pem */
	assert_int_equal(run(est, out, sizeof(out)), 0);
	snprintf(p, sizeof(p), "%s/cert.key", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s/cert.pem", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(run(wrong, out, sizeof(out)), 1);
	assert_string_equal(out, ""); /* never a key, not even a KeID */
	assert_int_equal(run(unknown, out, sizeof(out)), 1);
	assert_int_equal(run(perms, out, sizeof(out)), 2); /* refused before any network I/O */
	assert_int_equal(run(cert_bad_ca, out, sizeof(out)), 1);
	assert_int_equal(run(usage, out, sizeof(out)), 2);
}

/* Last: a revoked enrolee fails the handshake (TS-0003 clause 8.3.2.1). */
static void test_revoked(void **state)
{
	m2m_enrolee *e = psk_enrolee(FX_KPMID, W.kpm);

	(void)state;
	es_stop(&W.s);
	assert_int_equal(m2m_mefstore_enrolee_revoke(m2m_mef_store(W.s.f->mef), FX_KPMID, FX_NOW), M2M_OK);
	es_start(&W.s);
	assert_int_equal(m2m_enrolee_run(e), M2M_E_AUTH);
	m2m_enrolee_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk_enrolment), cmocka_unit_test(test_psk_refusals),
		cmocka_unit_test(test_psk_est),       cmocka_unit_test(test_cert_flavour),
		cmocka_unit_test(test_example_program), cmocka_unit_test(test_cli),
		cmocka_unit_test(test_revoked),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
