/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the ESCertKE message path (TS-0003 clause 8.7,
 * tls/escertke.c and core/seci_e2e.c sit 6): what a Terminating End-Point (the CSE) feeds to
 * OpenSSL from an untrusted NOTIFY, and what the Initiating End-Point (m2msec escertke) feeds it
 * from an untrusted answer. The first byte picks the path: 0 the input as message 1; 1 the input as
 * message 3 after a genuine message 1 of a real initiator; 2 the input as message 2 to a real
 * initiator; 3 the input as a securityInfo text whose sit 6 message goes to a fresh terminator.
 * Credentials (a CA and two P-256 leaves) are made at start-up in a private directory.
 * Invariants besides memory safety: a refusal is one of the documented errors and yields no
 * message; an accepted step yields a non-empty message within M2M_ESCERTKE_MSG_MAX and the
 * procedure is not done before its last message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "m2msec/escertke.h"
#include "m2msec/seci_e2e.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static m2m_escertke_ctx *g_term, *g_ini;
static char g_dir[64];

static void ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL || X509_add_ext(x, e, -1) != 1)
		abort();
	X509_EXTENSION_free(e);
}

static X509 *cert(EVP_PKEY *k, X509 *issuer, EVP_PKEY *ik, const char *san)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), san != NULL ? (long)strlen(san) : 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)(san ? "leaf" : "ca"), -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, k);
	ext(x, issuer ? issuer : x, NID_basic_constraints, san ? "CA:FALSE" : "critical,CA:TRUE");
	ext(x, issuer ? issuer : x, NID_key_usage, san ? "critical,digitalSignature" : "critical,keyCertSign");
	if (san != NULL) {
		ext(x, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
		ext(x, issuer, NID_subject_alt_name, san);
	}
	if (X509_sign(x, ik, EVP_sha256()) <= 0)
		abort();
	X509_NAME_free(n);
	return x;
}

static void write_pem(const char *name, X509 *x, EVP_PKEY *k, char *path, size_t cap)
{
	FILE *f;

	snprintf(path, cap, "%s/%s", g_dir, name);
	if ((f = fopen(path, "w")) == NULL || chmod(path, 0600) != 0)
		abort();
	if ((x != NULL && PEM_write_X509(f, x) != 1) ||
	    (k != NULL && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1))
		abort();
	fclose(f);
}

static m2m_escertke_ctx *ctx_for(EVP_PKEY *ck, X509 *ca, const char *san, const char *name, const char *anchors,
				 bool ini)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = cert(k, ca, ck, san);
	char c[128], kp[128], n[32];
	m2m_escertke_config cfg = {.trust_anchors = anchors, .sp_id = "//sp.example.com", .cse_id = "/id-in"};
	m2m_escertke_ctx *out = NULL;

	snprintf(n, sizeof(n), "%s.crt", name);
	write_pem(n, x, NULL, c, sizeof(c));
	snprintf(n, sizeof(n), "%s.key", name);
	write_pem(n, NULL, k, kp, sizeof(kp));
	cfg.cert_file = c;
	cfg.key_file = kp;
	if (m2m_escertke_ctx_new(&cfg, ini, &out, NULL, 0) != M2M_OK)
		abort();
	X509_free(x);
	EVP_PKEY_free(k);
	return out;
}

/* The private directory goes at exit (libFuzzer ends with exit()). */
static void cleanup(void)
{
	static const char *const names[] = {"ca.pem", "cse.crt", "cse.key", "ae.crt", "ae.key"};
	char p[128];

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		snprintf(p, sizeof(p), "%s/%s", g_dir, names[k]);
		unlink(p);
	}
	rmdir(g_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY *ck = EVP_EC_gen("P-256");
	X509 *ca;
	char anchors[128];

	(void)argc;
	(void)argv;
	snprintf(g_dir, sizeof(g_dir), "/tmp/m2m-fuzz-eck-XXXXXX");
	if (ck == NULL || mkdtemp(g_dir) == NULL)
		abort();
	atexit(cleanup);
	ca = cert(ck, NULL, ck, NULL);
	write_pem("ca.pem", ca, NULL, anchors, sizeof(anchors));
	g_term = ctx_for(ck, ca, "DNS:id-in.sp.example.com", "cse", anchors, false);
	g_ini = ctx_for(ck, ca, "URI:m2m://sp.example.com/id-in/Cae1", "ae", anchors, true);
	X509_free(ca);
	EVP_PKEY_free(ck);
	return 0;
}

static void check(m2m_err r, const m2m_escertke *e, const uint8_t *out, size_t n, bool may_finish)
{
	if (r != M2M_OK) {
		if (out != NULL || n != 0 || m2m_escertke_done(e) ||
		    (r != M2M_E_PROTO && r != M2M_E_TOO_LARGE && r != M2M_E_CERT_UNTRUSTED && r != M2M_E_CERT &&
		     r != M2M_E_CERT_NAME && r != M2M_E_AUTH && r != M2M_E_NOMEM))
			abort();
		return;
	}
	if (m2m_escertke_done(e) ? !may_finish : (out == NULL || n == 0 || n > M2M_ESCERTKE_MSG_MAX))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	m2m_escertke *t = NULL, *i = NULL;
	uint8_t *m1 = NULL, *m2 = NULL, *out = NULL;
	size_t n1 = 0, n2 = 0, n = 0;
	m2m_seci_e2e s;
	m2m_err r;

	if (size < 1 || size > M2M_ESCERTKE_MSG_MAX + 1)
		return 0;
	if (m2m_escertke_new(g_term, "Cae1", &t) != M2M_OK || m2m_escertke_new(g_ini, "//sp.example.com/id-in", &i) != M2M_OK)
		abort();
	switch (data[0] & 3) {
	case 0:
		r = m2m_escertke_step(t, data + 1, size - 1, &out, &n);
		check(r, t, out, n, false);
		break;
	case 1:
		if (m2m_escertke_step(i, NULL, 0, &m1, &n1) != M2M_OK || m2m_escertke_step(t, m1, n1, &m2, &n2) != M2M_OK)
			abort();
		r = m2m_escertke_step(t, data + 1, size - 1, &out, &n);
		check(r, t, out, n, true);
		break;
	case 2:
		if (m2m_escertke_step(i, NULL, 0, &m1, &n1) != M2M_OK)
			abort();
		r = m2m_escertke_step(i, data + 1, size - 1, &out, &n);
		check(r, i, out, n, false);
		break;
	default:
		if (m2m_seci_e2e_decode((const char *)data + 1, size - 1, 0, &s) == M2M_OK && s.sit == M2M_SECI_ESCERTKE) {
			r = m2m_escertke_step(t, s.eckm, s.eckm_len, &out, &n);
			check(r, t, out, n, false);
		}
		m2m_seci_e2e_clear(&s); /* decode zeroes s first, so it is always clearable */
		break;
	}
	free(out);
	free(m1);
	free(m2);
	m2m_escertke_free(t);
	m2m_escertke_free(i);
	return 0;
}
