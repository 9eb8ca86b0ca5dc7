/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the flow tests of the MAF client (include/m2msec/mafclient.h, Entity A of
 * TS-0003 clause 8.2.2.3) against a scripted MAF on loopback: a TLS 1.2 PSK server in a thread
 * that answers the Mmaf primitives of docs/procedures/maf.md. It checks the 4103 -> MAF Client
 * Registration -> retry path, that Kc/KcID equal the MAF's own "EXPORTER-oneM2M-Connection"
 * export (clause 10.3.1), that a relKeyID of another key is refused and nothing is written,
 * remote provisioning from an enrolment (Km of clause 10.3.2 with psk_identity = KeID, then the
 * assigned KmID), a wrong Km, de-registration, and the output files (0600, all or nothing).
 */
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <jansson.h>

#include "tls_test.h"
#include "m2msec/exporter.h"
#include "m2msec/kdf.h"
#include "m2msec/mafclient.h"
#include "m2msec/mem.h"

#define FQDN "maf.example.com"
#define KMID "dev1@" FQDN
#define KEID "0123456789ABCDEF0123456789ABCDEF@mef.example.com"
#define ASSIGNED "fedcba9876543210fedcba9876543210@" FQDN
#define TGT "//sp.example.com/cse-in"

typedef struct fm {
	int lfd, port;
	pthread_t th;
	SSL_CTX *ctx;
	uint8_t km[32], ke_km[32]; /* Km of KMID; Km derived from the enrolment's Ke */
	bool registered, tamper, assigned_known;
	int key_posts, reg_posts, deletes;
	char ids[8][128]; /* psk identities seen, in order */
	int nids;
	char last_path[128];
} fm;

static fm *g_fm;

static unsigned int psk_srv(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max)
{
	fm *s = g_fm;
	const uint8_t *k = NULL;

	(void)ssl;
	if (s->nids < 8)
		snprintf(s->ids[s->nids++], sizeof(s->ids[0]), "%s", identity);
	if (strcmp(identity, KMID) == 0)
		k = s->km;
	else if (strcmp(identity, KEID) == 0 || (s->assigned_known && strcmp(identity, ASSIGNED) == 0))
		k = s->ke_km;
	if (k == NULL || max < 32)
		return 0;
	memcpy(psk, k, 32);
	return 32;
}

static void respond(SSL *ssl, int rsc, const char *body)
{
	char head[256];
	int st = rsc / 1000 == 2 ? (rsc == 2001 ? 201 : 200) : rsc == 4103 ? 403 : rsc == 4004 ? 404 : 400;
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nX-M2M-RSC: %d\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n", st, rsc, strlen(body));

	assert_int_equal(SSL_write(ssl, head, n), n);
	if (body[0] != '\0')
		assert_int_equal(SSL_write(ssl, body, (int)strlen(body)), (int)strlen(body));
}

static void answer(fm *s, SSL *ssl, const char *method, const char *path, const char *body)
{
	uint8_t mat[48];
	char rel[40], out[1024];
	json_t *j = json_loads(body, 0, NULL), *cfg;

	snprintf(s->last_path, sizeof(s->last_path), "%s", path);
	if (strcmp(method, "POST") == 0 && strcmp(path, "/mafClientReg") == 0) {
		const char *id = SSL_get_psk_identity(ssl);
		cfg = json_object_get(j, "sec:clientRegCfg");
		assert_string_equal(json_string_value(json_object_get(cfg, "fqdn")), FQDN);
		assert_non_null(json_string_value(json_object_get(cfg, "expirationTime")));
		s->reg_posts++;
		s->registered = true;
		if (strcmp(id, KEID) == 0) { /* remote provisioning: the MAF assigns the KmID */
			s->assigned_known = true;
			respond(ssl, 2001, "{\"sec:mafClientReg\":{\"mafClientRegID\":\"AB\",\"mafClientID\":\"Cdev1\","
					   "\"assignedSymmKeyID\":\"" ASSIGNED "\"}}");
		} else {
			respond(ssl, 2001, "{\"sec:mafClientReg\":{\"mafClientRegID\":\"AB\",\"mafClientID\":\"Cdev1\"}}");
		}
	} else if (strcmp(method, "POST") == 0 && strcmp(path, "/mafKeyReg") == 0) {
		s->key_posts++;
		if (!s->registered || strcmp(SSL_get_psk_identity(ssl), KEID) == 0) {
			respond(ssl, 4103, "{\"m2m:dbg\":\"MAF Client Registration required first\"}");
		} else {
			cfg = json_object_get(j, "sec:keyRegCfg");
			assert_int_equal(json_integer_value(json_object_get(cfg, "SUID")), 32);
			assert_string_equal(json_string_value(json_array_get(json_object_get(cfg, "targetIDs"), 0)), TGT);
			assert_null(json_object_get(cfg, "keyValue"));
			assert_int_equal(SSL_export_keying_material(ssl, mat, sizeof(mat), M2M_EXPORTER_CONNECTION,
								    strlen(M2M_EXPORTER_CONNECTION), NULL, 0, 0), 1);
			assert_int_equal(m2m_hex_encode(mat, 16, true, rel, sizeof(rel)), M2M_OK);
			if (s->tamper)
				rel[31] = rel[31] == '0' ? '1' : '0';
			snprintf(out, sizeof(out), "{\"sec:mafKeyReg\":{\"relKeyID\":\"%s\",\"keyID\":\"%s@" FQDN "\","
				 "\"expirationTime\":\"%s\",\"sourceID\":\"Cdev1\",\"adminFQDN\":\"" FQDN "\","
				 "\"SUID\":32,\"targetIDs\":[\"" TGT "\"]}}", rel, rel,
				 json_string_value(json_object_get(cfg, "expirationTime")));
			respond(ssl, 2001, out);
		}
	} else if (strcmp(method, "DELETE") == 0) {
		s->deletes++;
		if (strcmp(path, "/mafKeyReg/00112233445566778899AABBCCDDEEFF") == 0)
			respond(ssl, 2002, "");
		else
			respond(ssl, 4004, "{\"m2m:dbg\":\"no such key registration\"}");
	} else {
		respond(ssl, 4004, "{\"m2m:dbg\":\"not found\"}");
	}
	json_decref(j);
}

/* Serve requests on one connection until the client closes it. */
static void serve(fm *s, SSL *ssl)
{
	char buf[8192];
	size_t got = 0;

	for (;;) {
		char *end, method[16], path[128], *cl;
		size_t head, blen = 0;
		int n = SSL_read(ssl, buf + got, (int)(sizeof(buf) - 1 - got));

		if (n <= 0)
			return;
		got += (size_t)n;
		buf[got] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		head = (size_t)(end - buf) + 4;
		if ((cl = strstr(buf, "Content-Length:")) != NULL && cl < end)
			blen = strtoul(cl + 15, NULL, 10);
		if (got < head + blen)
			continue;
		assert_int_equal(sscanf(buf, "%15s %127s", method, path), 2);
		buf[head + blen] = '\0';
		answer(s, ssl, method, path, buf + head);
		memmove(buf, buf + head + blen, got - head - blen);
		got -= head + blen;
	}
}

static void *fm_main(void *arg)
{
	fm *s = arg;

	for (;;) {
		int fd = accept(s->lfd, NULL, NULL);
		SSL *ssl;

		if (fd < 0)
			return NULL;
		ssl = SSL_new(s->ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1)
			serve(s, ssl);
		SSL_shutdown(ssl);
		SSL_free(ssl);
		close(fd);
		ERR_clear_error();
	}
}

static const char *ca_file(void)
{
	static char path[256];
	struct tt_cert_opts o = {.cn = "MAF CA", .ca = true, .ku = "critical,keyCertSign", .from = 0, .to = 3600};

	if (path[0] == '\0') {
		EVP_PKEY *k = tt_key_p256();
		X509 *x = tt_cert(k, NULL, NULL, &o);
		snprintf(path, sizeof(path), "%s", tt_write_cert("maf-ca.pem", x));
		X509_free(x);
		EVP_PKEY_free(k);
	}
	return path;
}

static int setup(void **state)
{
	fm *s = calloc(1, sizeof(*s));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	m2m_kdf *kdf = NULL;
	m2m_key *ke = NULL, *km = NULL;
	uint8_t keb[32];
	const uint8_t *p;
	size_t n;

	for (int i = 0; i < 32; i++) {
		s->km[i] = (uint8_t)(0x40 + i);
		keb[i] = (uint8_t)(0x90 + i);
	}
	/* The MAF's Km for the enrolment: clause 10.3.2, MAF-ID = MAF-FQDN (as the MEF gives it). */
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	assert_int_equal(m2m_key_new(keb, 32, &ke), M2M_OK);
	assert_int_equal(m2m_kdf_km(kdf, ke, FQDN, &km), M2M_OK);
	p = m2m_key_bytes(km, &n);
	memcpy(s->ke_km, p, 32);
	m2m_key_free(km);
	m2m_key_free(ke);
	m2m_kdf_free(kdf);
	s->ctx = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_set_max_proto_version(s->ctx, TLS1_2_VERSION), 1);
	assert_int_equal(SSL_CTX_set_cipher_list(s->ctx, "PSK-AES128-GCM-SHA256:PSK-AES128-CCM"), 1);
	SSL_CTX_set_psk_server_callback(s->ctx, psk_srv);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	g_fm = s;
	assert_int_equal(pthread_create(&s->th, NULL, fm_main, s), 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	fm *s = *state;

	shutdown(s->lfd, SHUT_RDWR);
	close(s->lfd);
	pthread_join(s->th, NULL);
	SSL_CTX_free(s->ctx);
	free(s);
	return 0;
}

static m2m_maf_client *client(fm *s, const uint8_t *km)
{
	char hp[32];
	m2m_maf_client *m = NULL;
	m2m_key *k = NULL;

	snprintf(hp, sizeof(hp), "127.0.0.1:%d", s->port);
	assert_int_equal(m2m_maf_client_new(&m), M2M_OK);
	assert_int_equal(m2m_maf_client_set_maf(m, hp), M2M_OK);
	assert_int_equal(m2m_maf_client_set_maf_ca(m, ca_file()), M2M_OK);
	assert_int_equal(m2m_maf_client_set_deadline(m, 20), M2M_OK);
	if (km != NULL) {
		assert_int_equal(m2m_key_new(km, 32, &k), M2M_OK);
		assert_int_equal(m2m_maf_client_set_km(m, KMID, k), M2M_OK);
		m2m_key_free(k);
	}
	return m;
}

static void read_text(const char *dir, const char *name, char *out, size_t cap, mode_t *mode)
{
	char p[512];
	struct stat st;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(stat(p, &st), 0);
	*mode = st.st_mode & 0777;
	assert_non_null(f = fopen(p, "r"));
	out[0] = '\0';
	assert_non_null(fgets(out, (int)cap, f));
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

/* 4103 -> registration -> retry; Kc/KcID are the MAF's export; the three files. */
static void test_key_with_registration(void **state)
{
	fm *s = *state;
	m2m_maf_client *m = client(s, s->km);
	char dir[300], text[200], hex[80];
	mode_t mode;
	m2m_key *psk = NULL;

	s->registered = false;
	s->key_posts = s->reg_posts = 0;
	assert_int_equal(m2m_maf_client_register_key(m, TGT, 600), M2M_OK);
	assert_int_equal(s->key_posts, 2);
	assert_int_equal(s->reg_posts, 1);
	assert_non_null(m2m_maf_client_key_id(m));
	assert_non_null(strstr(m2m_maf_client_key_id(m), "@" FQDN));
	assert_string_equal(m2m_key_id(m2m_maf_client_kc(m)), m2m_maf_client_key_id(m));
	assert_true(m2m_maf_client_expiry(m) > 0);
	assert_null(m2m_maf_client_assigned_km_id(m));
	snprintf(dir, sizeof(dir), "%s/out1", tt_dir());
	assert_int_equal(m2m_maf_client_write(m, dir), M2M_OK);
	read_text(dir, "kcid", text, sizeof(text), &mode);
	assert_string_equal(text, m2m_maf_client_key_id(m));
	read_text(dir, "kc", text, sizeof(text), &mode);
	assert_int_equal(mode, 0600);
	assert_int_equal(m2m_key_export_hex(m2m_maf_client_kc(m), hex, sizeof(hex)), M2M_OK);
	assert_string_equal(text, hex);
	read_text(dir, "target.psk", text, sizeof(text), &mode);
	assert_int_equal(mode, 0600);
	assert_int_equal(m2m_key_split(m2m_maf_client_kc(m), 1, 0, &psk), M2M_OK);
	assert_int_equal(m2m_key_export_hex(psk, hex, sizeof(hex)), M2M_OK);
	assert_int_equal(strlen(hex), 32); /* 16 bytes: the first half of Kc */
	assert_string_equal(text, hex);
	m2m_key_free(psk);
	/* registered now: one POST, no registration */
	s->key_posts = s->reg_posts = 0;
	assert_int_equal(m2m_maf_client_register_key(m, TGT, 600), M2M_OK);
	assert_int_equal(s->key_posts, 1);
	assert_int_equal(s->reg_posts, 0);
	m2m_maf_client_free(m);
}

/* A relKeyID that is not this session's KcID: refused, no result, nothing written. */
static void test_relkeyid_mismatch(void **state)
{
	fm *s = *state;
	m2m_maf_client *m = client(s, s->km);
	char dir[300], p[400];
	struct stat st;

	s->registered = true;
	s->tamper = true;
	assert_int_equal(m2m_maf_client_register_key(m, TGT, 600), M2M_E_PROTO);
	s->tamper = false;
	assert_int_equal(m2m_maf_client_rsc(m), 0);
	assert_non_null(strstr(m2m_maf_client_reason(m), "relKeyID"));
	assert_null(m2m_maf_client_key_id(m));
	assert_null(m2m_maf_client_kc(m));
	snprintf(dir, sizeof(dir), "%s/out2", tt_dir());
	assert_int_equal(m2m_maf_client_write(m, dir), M2M_E_INVAL);
	snprintf(p, sizeof(p), "%s/kcid", dir);
	assert_int_not_equal(stat(p, &st), 0);
	m2m_maf_client_free(m);
}

/* A wrong Km: the handshake fails (M2M_E_AUTH), no procedure runs. */
static void test_wrong_km(void **state)
{
	fm *s = *state;
	uint8_t bad[32];
	m2m_maf_client *m;

	memcpy(bad, s->km, 32);
	bad[0] ^= 1;
	m = client(s, bad);
	s->key_posts = 0;
	assert_int_equal(m2m_maf_client_register_key(m, TGT, 600), M2M_E_AUTH);
	assert_int_equal(s->key_posts, 0);
	assert_null(m2m_maf_client_key_id(m));
	m2m_maf_client_free(m);
}

/* Remote provisioning: KeID/Km -> registration -> assignedSymmKeyID; then KmID/Km. */
static void test_enrolment(void **state)
{
	fm *s = *state;
	m2m_maf_client *m = client(s, NULL);
	char dir[300], keb[65];
	uint8_t raw[32];

	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)(0x90 + i);
	assert_int_equal(m2m_hex_encode(raw, 32, false, keb, sizeof(keb)), M2M_OK);
	snprintf(dir, sizeof(dir), "%s/enr", tt_dir());
	assert_int_equal(mkdir(dir, 0700), 0);
	tt_write("enr/keid", KEID "\n", 0644);
	tt_write("enr/ke", keb, 0644);
	assert_int_equal(m2m_maf_client_set_enrolment(m, dir), M2M_E_KEY_PERMS); /* ke must be 0600 */
	tt_write("enr/ke", keb, 0600);
	assert_int_equal(m2m_maf_client_set_enrolment(m, dir), M2M_OK);
	/* MAF-FQDN: the --maf host is an address, the KeID names the MEF: it must be given */
	assert_int_equal(m2m_maf_client_register_key(m, TGT, 600), M2M_E_CONFIG);
	assert_int_equal(m2m_maf_client_set_maf_fqdn(m, FQDN), M2M_OK);
	s->nids = 0;
	s->registered = false;
	s->assigned_known = false;
	assert_int_equal(m2m_maf_client_register_key(m, TGT, 600), M2M_OK);
	assert_int_equal(s->nids, 2);
	assert_string_equal(s->ids[0], KEID);
	assert_string_equal(s->ids[1], ASSIGNED);
	assert_string_equal(m2m_maf_client_assigned_km_id(m), ASSIGNED);
	assert_non_null(m2m_maf_client_key_id(m));
	m2m_maf_client_free(m);
}

static void test_deregister(void **state)
{
	fm *s = *state;
	m2m_maf_client *m = client(s, s->km);

	s->deletes = 0;
	assert_int_equal(m2m_maf_client_deregister_key(m, "00112233445566778899aabbccddeeff@" FQDN), M2M_OK);
	assert_string_equal(s->last_path, "/mafKeyReg/00112233445566778899AABBCCDDEEFF");
	assert_int_equal(m2m_maf_client_deregister_key(m, "00112233445566778899AABBCCDDEEFE"), M2M_E_PROTO);
	assert_int_equal(m2m_maf_client_rsc(m), 4004);
	assert_string_equal(m2m_maf_client_reason(m), "no such key registration");
	assert_int_equal(s->deletes, 2);
	m2m_maf_client_free(m);
}

/* All or nothing: something in the way of one file replaces none of the old files. */
static void test_write_all_or_nothing(void **state)
{
	fm *s = *state;
	m2m_maf_client *m = client(s, s->km);
	char dir[300], p[400], text[200];
	mode_t mode;

	s->registered = true;
	assert_int_equal(m2m_maf_client_register_key(m, TGT, 600), M2M_OK);
	snprintf(dir, sizeof(dir), "%s/out3", tt_dir());
	assert_int_equal(mkdir(dir, 0700), 0);
	tt_write("out3/kc", "old\n", 0600);
	tt_write("out3/target.psk", "old\n", 0600);
	snprintf(p, sizeof(p), "%s/kcid", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(m2m_maf_client_write(m, dir), M2M_E_IO);
	read_text(dir, "kc", text, sizeof(text), &mode);
	assert_string_equal(text, "old");
	read_text(dir, "target.psk", text, sizeof(text), &mode);
	assert_string_equal(text, "old");
	assert_int_equal(rmdir(p), 0);
	/* a group-writable output directory is refused */
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(m2m_maf_client_write(m, dir), M2M_E_KEY_PERMS);
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(m2m_maf_client_write(m, dir), M2M_OK);
	read_text(dir, "kcid", text, sizeof(text), &mode);
	assert_string_equal(text, m2m_maf_client_key_id(m));
	m2m_maf_client_free(m);
}

/* The documented example program (examples/maf_client_example.c) against the same MAF. */
static void test_example_program(void **state)
{
	fm *s = *state;
	char cmd[1024], line[256] = "", hex[65];
	FILE *p;

	assert_int_equal(m2m_hex_encode(s->km, 32, false, hex, sizeof(hex)), M2M_OK);
	s->registered = true;
	snprintf(cmd, sizeof(cmd), "'%s' 127.0.0.1:%d '%s' " KMID " '%s' " TGT, MAF_CLIENT_EXAMPLE, s->port, ca_file(),
		 tt_write("km-example", hex, 0600));
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	assert_true(strncmp(line, "Kc Key Identifier ", 18) == 0);
	assert_non_null(strstr(line, "@" FQDN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_with_registration), cmocka_unit_test(test_relkeyid_mismatch),
		cmocka_unit_test(test_wrong_km),              cmocka_unit_test(test_enrolment),
		cmocka_unit_test(test_deregister),            cmocka_unit_test(test_write_all_or_nothing),
		cmocka_unit_test(test_example_program),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
