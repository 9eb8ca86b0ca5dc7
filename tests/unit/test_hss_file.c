/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF's test HSS (services/mef/hss_file.c,
 * m2msec/hss.h): subscribers added 0600, a vector built on TS 35.207 test set 1 (XRES = f2 and
 * CK = f3 as published for that RAND), SQN_HE persisted before the vector leaves, AUTS
 * resynchronisation (TS 33.102 clause 6.3.5), 0644 and malformed files refused, bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "m2m_test.h"
#include "m2msec/gba_ub.h"
#include "m2msec/hex.h"
#include "m2msec/hss.h"

/* TS 35.207 test set 1 */
#define K1 "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OPC1 "cd63cb71954a9f4e48a5994e37a02baf"
#define RAND1 "23553cbe9637a89d218ae64dae47bf35"
#define F2 "a54211d5e3ba50bf"
#define F3 "b40ba9a3c58b2a05bbf0d987b21bf8cb"
#define IMPI "u1@ims.example.org"

struct t {
	char dir[64], path[128];
};

static void t_new(struct t *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/m2mhssXXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/hss.txt", t->dir);
}

static void t_rm(struct t *t)
{
	char p[200];

	unlink(t->path);
	snprintf(p, sizeof(p), "%s.lock", t->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s.tmp", t->path);
	assert_int_not_equal(access(p, F_OK), 0); /* never left behind */
	rmdir(t->dir);
}

static m2m_key *key_hex(const char *h)
{
	uint8_t b[16];
	size_t n = 0;
	m2m_key *k = NULL;

	assert_int_equal(m2m_hex_decode(h, 32, b, sizeof(b), &n), M2M_OK);
	assert_int_equal(m2m_key_new(b, 16, &k), M2M_OK);
	return k;
}

static void add(struct t *t, const char *impi)
{
	m2m_key *k = key_hex(K1), *opc = key_hex(OPC1);

	assert_int_equal(m2m_hss_add(t->path, impi, k, opc), M2M_OK);
	m2m_key_free(k);
	m2m_key_free(opc);
}

static void test_add_vector_published_and_persisted(void **state)
{
	struct t t;
	struct stat sb;
	uint8_t rand[16], f2[8], f3[16];
	m2m_aka_av av;
	uint64_t sqn = 99;
	size_t n = 0, kl = 0;
	unsigned line = 7;

	(void)state;
	t_new(&t);
	add(&t, IMPI);
	add(&t, "u2@ims.example.org");
	assert_int_equal(stat(t.path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(m2m_hss_check_file(t.path, &line), M2M_OK);
	assert_int_equal(m2m_hss_sqn(t.path, IMPI, &sqn), M2M_OK);
	assert_int_equal(sqn, 0);
	assert_int_equal(m2m_hex_decode(RAND1, 32, rand, 16, &n), M2M_OK);
	assert_int_equal(m2m_hss_vector(t.path, IMPI, rand, &av), M2M_OK);
	assert_int_equal(m2m_hex_decode(F2, 16, f2, 8, &n), M2M_OK);
	assert_int_equal(m2m_hex_decode(F3, 32, f3, 16, &n), M2M_OK);
	assert_memory_equal(av.xres, f2, 8);
	assert_memory_equal(m2m_key_bytes(av.ck, &kl), f3, 16);
	m2m_aka_av_clear(&av);
	assert_int_equal(m2m_hss_sqn(t.path, IMPI, &sqn), M2M_OK);
	assert_int_equal(sqn, 1);
	assert_int_equal(m2m_hss_vector(t.path, IMPI, NULL, &av), M2M_OK);
	m2m_aka_av_clear(&av);
	assert_int_equal(m2m_hss_sqn(t.path, IMPI, &sqn), M2M_OK);
	assert_int_equal(sqn, 2);
	assert_int_equal(m2m_hss_sqn(t.path, "u2@ims.example.org", &sqn), M2M_OK);
	assert_int_equal(sqn, 0); /* the other line untouched */
	assert_int_equal(stat(t.path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	t_rm(&t);
}

static void test_auts_resynchronises(void **state)
{
	struct t t;
	m2m_key *k = key_hex(K1), *opc = key_hex(OPC1);
	m2m_usim *u = NULL;
	m2m_aka_av av;
	m2m_digest ch, cred;
	m2m_gba_answer a;
	char nonce[M2M_DIGEST_NONCE_MAX + 1], hdr[M2M_DIGEST_HDR_MAX];
	uint64_t sqn = 0;

	(void)state;
	t_new(&t);
	add(&t, IMPI);
	assert_int_equal(m2m_usim_new(k, opc, 500, &u), M2M_OK);
	assert_int_equal(m2m_hss_vector(t.path, IMPI, NULL, &av), M2M_OK);
	assert_int_equal(m2m_digest_aka_nonce(av.rand, av.autn, NULL, 0, nonce, sizeof(nonce)), M2M_OK);
	assert_int_equal(m2m_digest_format_challenge("bsf.example.com", nonce, NULL, false, hdr, sizeof(hdr)), M2M_OK);
	assert_int_equal(m2m_digest_parse(hdr, strlen(hdr), M2M_DIGEST_CHALLENGE, &ch), M2M_OK);
	assert_int_equal(m2m_gba_ue_answer(u, &ch, IMPI, "GET", "/bsf", "c1", 1, &a), M2M_E_AKA_SYNC);
	assert_int_equal(m2m_digest_format_credentials(&a.cred, hdr, sizeof(hdr)), M2M_OK);
	assert_int_equal(m2m_digest_parse(hdr, strlen(hdr), M2M_DIGEST_CREDENTIALS, &cred), M2M_OK);
	/* the wrong method: the response does not verify, SQN unchanged */
	assert_int_equal(m2m_hss_check(t.path, IMPI, &av, &cred, "POST"), M2M_E_AUTH);
	assert_int_equal(m2m_hss_sqn(t.path, IMPI, &sqn), M2M_OK);
	assert_int_equal(sqn, 1);
	assert_int_equal(m2m_hss_check(t.path, IMPI, &av, &cred, "GET"), M2M_E_AKA_SYNC);
	assert_int_equal(m2m_hss_sqn(t.path, IMPI, &sqn), M2M_OK);
	assert_int_equal(sqn, 500);
	m2m_gba_answer_clear(&a);
	m2m_aka_av_clear(&av);
	/* the next vector is fresh for the USIM */
	assert_int_equal(m2m_hss_vector(t.path, IMPI, NULL, &av), M2M_OK);
	assert_int_equal(m2m_digest_aka_nonce(av.rand, av.autn, NULL, 0, nonce, sizeof(nonce)), M2M_OK);
	assert_int_equal(m2m_digest_format_challenge("bsf.example.com", nonce, NULL, false, hdr, sizeof(hdr)), M2M_OK);
	assert_int_equal(m2m_digest_parse(hdr, strlen(hdr), M2M_DIGEST_CHALLENGE, &ch), M2M_OK);
	assert_int_equal(m2m_gba_ue_answer(u, &ch, IMPI, "GET", "/bsf", "c2", 2, &a), M2M_OK);
	assert_int_equal(m2m_digest_format_credentials(&a.cred, hdr, sizeof(hdr)), M2M_OK);
	assert_int_equal(m2m_digest_parse(hdr, strlen(hdr), M2M_DIGEST_CREDENTIALS, &cred), M2M_OK);
	assert_int_equal(m2m_hss_check(t.path, IMPI, &av, &cred, "GET"), M2M_OK);
	assert_int_equal(m2m_usim_sqn_ms(u), 501);
	/* an unknown subscriber's answer is refused */
	assert_int_equal(m2m_hss_check(t.path, "nobody@x.org", &av, &cred, "GET"), M2M_E_AUTH);
	m2m_gba_answer_clear(&a);
	m2m_aka_av_clear(&av);
	m2m_usim_free(u);
	m2m_key_free(k);
	m2m_key_free(opc);
	t_rm(&t);
}

static void test_refusals(void **state)
{
	struct t t;
	m2m_key *k = key_hex(K1), *opc = key_hex(OPC1), *k32 = NULL;
	uint8_t b32[32] = {0};
	m2m_aka_av av;
	unsigned line = 0;
	FILE *f;

	(void)state;
	t_new(&t);
	assert_int_equal(m2m_hss_check_file(t.path, &line), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_hss_vector(t.path, IMPI, NULL, &av), M2M_E_NOT_FOUND);
	add(&t, IMPI);
	assert_int_equal(m2m_hss_add(t.path, IMPI, k, opc), M2M_E_EXISTS);
	assert_int_equal(m2m_hss_add(t.path, "has space", k, opc), M2M_E_INVAL);
	assert_int_equal(m2m_hss_add(t.path, "", k, opc), M2M_E_INVAL);
	assert_int_equal(m2m_key_new(b32, 32, &k32), M2M_OK);
	assert_int_equal(m2m_hss_add(t.path, "u3@x.org", k32, opc), M2M_E_KEY_LEN);
	assert_int_equal(m2m_hss_vector(t.path, "nobody@x.org", NULL, &av), M2M_E_NOT_FOUND);
	/* 0644: refused for every operation (TS-0003 clause 6.3: credential files 0600) */
	assert_int_equal(chmod(t.path, 0644), 0);
	assert_int_equal(m2m_hss_check_file(t.path, &line), M2M_E_KEY_PERMS);
	assert_int_equal(m2m_hss_vector(t.path, IMPI, NULL, &av), M2M_E_KEY_PERMS);
	assert_int_equal(m2m_hss_add(t.path, "u4@x.org", k, opc), M2M_E_KEY_PERMS);
	assert_int_equal(chmod(t.path, 0600), 0);
	/* a malformed line is named by its number */
	assert_non_null(f = fopen(t.path, "a"));
	fputs("# comment\n\nbad@x.org 00 11 22 33\n", f);
	fclose(f);
	assert_int_equal(m2m_hss_check_file(t.path, &line), M2M_E_CONFIG);
	assert_int_equal(line, 4);
	assert_int_equal(m2m_hss_vector(t.path, IMPI, NULL, &av), M2M_E_CONFIG);
	assert_int_equal(m2m_hss_vector(t.path, IMPI, NULL, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_hss_vector(NULL, IMPI, NULL, &av), M2M_E_INVAL);
	m2m_key_free(k32);
	m2m_key_free(k);
	m2m_key_free(opc);
	t_rm(&t);
}

/* The optional sixth field netauth=yes|no (docs/procedures/gba.md "Underlying-network
 * authorization"): absent = yes; set rewrites only that field (SQN, K, OPc kept, vectors go on);
 * an unknown IMPI is refused; another sixth field is a malformed line. */
static void test_network_authorization(void **state)
{
	struct t t;
	m2m_aka_av av;
	uint64_t sqn = 0;
	unsigned line = 0;
	char *text;
	bool yes = false;
	FILE *f;
	long n;

	(void)state;
	t_new(&t);
	add(&t, IMPI);
	add(&t, "u2@ims.example.org");
	assert_int_equal(m2m_hss_net_authorized(t.path, IMPI, &yes), M2M_OK);
	assert_true(yes);
	assert_int_equal(m2m_hss_vector(t.path, IMPI, NULL, &av), M2M_OK); /* SQN 1 */
	m2m_aka_av_clear(&av);
	assert_int_equal(m2m_hss_set_net_authorized(t.path, IMPI, false), M2M_OK);
	assert_int_equal(m2m_hss_net_authorized(t.path, IMPI, &yes), M2M_OK);
	assert_false(yes);
	assert_int_equal(m2m_hss_net_authorized(t.path, "u2@ims.example.org", &yes), M2M_OK);
	assert_true(yes); /* the other line is untouched */
	assert_int_equal(m2m_hss_check_file(t.path, &line), M2M_OK);
	/* the line keeps its five fields byte for byte and vectors go on from SQN_HE */
	assert_non_null(f = fopen(t.path, "r"));
	text = calloc(1, 4096);
	n = (long)fread(text, 1, 4095, f);
	fclose(f);
	assert_true(n > 0);
	assert_non_null(strstr(text, IMPI " " K1 " " OPC1 " 000000000001 8000 netauth=no\n"));
	assert_non_null(strstr(text, "u2@ims.example.org " K1 " " OPC1 " 000000000000 8000\n"));
	free(text);
	assert_int_equal(m2m_hss_vector(t.path, IMPI, NULL, &av), M2M_OK);
	m2m_aka_av_clear(&av);
	assert_int_equal(m2m_hss_sqn(t.path, IMPI, &sqn), M2M_OK);
	assert_int_equal(sqn, 2);
	assert_int_equal(m2m_hss_net_authorized(t.path, IMPI, &yes), M2M_OK);
	assert_false(yes); /* the SQN write-back keeps the field */
	assert_int_equal(m2m_hss_set_net_authorized(t.path, IMPI, true), M2M_OK);
	assert_int_equal(m2m_hss_net_authorized(t.path, IMPI, &yes), M2M_OK);
	assert_true(yes);
	/* refusals */
	assert_int_equal(m2m_hss_set_net_authorized(t.path, "nobody@x.org", false), M2M_E_NOT_FOUND);
	yes = true;
	assert_int_equal(m2m_hss_net_authorized(t.path, "nobody@x.org", &yes), M2M_E_NOT_FOUND);
	assert_false(yes);
	assert_int_equal(m2m_hss_net_authorized(t.path, IMPI, NULL), M2M_E_INVAL);
	assert_non_null(f = fopen(t.path, "a"));
	fputs("u5@x.org " K1 " " OPC1 " 000000000000 8000 netauth=maybe\n", f);
	fclose(f);
	assert_int_equal(m2m_hss_check_file(t.path, &line), M2M_E_CONFIG);
	assert_int_equal(line, 3);
	assert_int_equal(m2m_hss_net_authorized(t.path, IMPI, &yes), M2M_E_CONFIG);
	assert_false(yes);
	t_rm(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_vector_published_and_persisted),
		cmocka_unit_test(test_auts_resynchronises),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_network_authorization),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
