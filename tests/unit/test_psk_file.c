/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of tls/psk_file.c: the psk-file of pre-provisioned Kpsa
 * (TS-0003 clause 8.2.2.1) - valid files, every malformed-line cause with its line number and
 * without key text in the message, duplicates, file permissions (0600 or stricter, regular
 * file, owner), and lookup of the parsed table.
 */
#include <sys/types.h>

#include "tls_test.h"
#include "m2msec/key.h"
#include "tls/tls_int.h"

#define K1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K2 "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
#define SECRETISH "5ec2e75ec2e75ec2e75ec2e75ec2e75e"

static m2m_err parse(const char *text, m2mi_psk_table **t, char *msg, size_t cap)
{
	return m2mi_psk_file_parse(text, strlen(text), t, msg, cap);
}

static void test_valid_file(void **state)
{
	const char *text = "# pre-provisioned Kpsa\n"
			   "\n"
			   "kpsa1@sp.example.com " K1 " Cabc\n"
			   "  kpsa2@SP.example.com\t" K2 "\t/id-mn   # an MN-CSE\r\n"
			   "k.3_x-y@sp.example.com " K1 K1 " //sp.example.com/cse-in/Cxyz\n"
			   "kpsa4@sp.example.com " K2 " /Sapp";
	m2mi_psk_table *t = NULL;
	m2m_key *k = NULL;
	m2m_sa sa;
	char msg[128];

	if (parse(text, &t, msg, sizeof(msg)) != M2M_OK)
		fail_msg("%s", msg);
	assert_string_equal(msg, "");
	assert_int_equal(m2mi_psk_table_count(t), 4);

	/* the export accessor (m2msec mqtt-acl): KpsaID order, canonical IDs, then the end */
	const char *eid, *ebound;
	const m2m_key *ek;
	assert_int_equal(m2mi_psk_table_entry(t, 1, &eid, &ebound, &ek), M2M_OK);
	assert_string_equal(eid, "kpsa1@sp.example.com");
	assert_string_equal(ebound, "Cabc");
	assert_int_equal(m2m_key_len(ek), 32);
	assert_int_equal(m2mi_psk_table_entry(t, 4, &eid, &ebound, &ek), M2M_E_NOT_FOUND);

	assert_int_equal(m2mi_psk_file_resolve(t, "kpsa1@sp.example.com", 0, &k, &sa), M2M_OK);
	assert_int_equal(m2m_key_len(k), 32);
	assert_int_equal(sa.kind, M2M_SA_PSK);
	assert_int_equal(sa.entity, M2M_ENTITY_AE);
	assert_string_equal(sa.bound_id, "Cabc");
	assert_string_equal(sa.credential_id, "12-kpsa1@sp.example.com");
	m2m_key_free(k);

	/* FQDN compared case-insensitively (canonical lowercase) */
	assert_int_equal(m2mi_psk_file_resolve(t, "kpsa2@sp.EXAMPLE.com", 0, &k, &sa), M2M_OK);
	assert_int_equal(m2m_key_len(k), 16);
	assert_int_equal(sa.entity, M2M_ENTITY_CSE);
	assert_string_equal(sa.bound_id, "/id-mn");
	assert_string_equal(sa.credential_id, "12-kpsa2@sp.example.com");
	m2m_key_free(k);

	assert_int_equal(m2mi_psk_file_resolve(t, "k.3_x-y@sp.example.com", 0, &k, &sa), M2M_OK);
	assert_int_equal(m2m_key_len(k), 64);
	assert_int_equal(sa.entity, M2M_ENTITY_AE);
	assert_string_equal(sa.bound_id, "//sp.example.com/cse-in/Cxyz");
	m2m_key_free(k);

	/* the relative part is case-sensitive; unknown ids are "not found" for the next resolver */
	assert_int_equal(m2mi_psk_file_resolve(t, "KPSA1@sp.example.com", 0, &k, &sa), M2M_E_NOT_FOUND);
	assert_null(k);
	assert_int_equal(m2mi_psk_file_resolve(t, "nobody@sp.example.com", 0, &k, &sa), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_psk_file_resolve(t, "not an id", 0, &k, &sa), M2M_E_NOT_FOUND);
	m2mi_psk_table_free(t);
	m2mi_psk_table_free(NULL);
}

static void test_empty_file(void **state)
{
	m2mi_psk_table *t = NULL;
	m2m_key *k = NULL;
	m2m_sa sa;

	assert_int_equal(m2mi_psk_file_parse("", 0, &t, NULL, 0), M2M_OK);
	assert_int_equal(m2mi_psk_table_count(t), 0);
	assert_int_equal(m2mi_psk_file_resolve(t, "kpsa1@sp.example.com", 0, &k, &sa), M2M_E_NOT_FOUND);
	m2mi_psk_table_free(t);
	assert_int_equal(m2mi_psk_file_parse(NULL, 1, &t, NULL, 0), M2M_E_INVAL);
	assert_int_equal(m2mi_psk_file_parse("# only\n\n", 8, NULL, NULL, 0), M2M_E_INVAL);
}

/* Each malformed line: M2M_E_CONFIG, the line number and reason, never the text of any field. */
static void test_malformed_lines(void **state)
{
	static const struct {
		const char *line;
		const char *reason;
	} cases[] = {
		{"kpsa9@sp.example.com " SECRETISH "zz Cabc", "hex"},                /* bad hex digit */
		{"kpsa9@sp.example.com " SECRETISH "0 Cabc", "16..64"},              /* odd length */
		{"kpsa9@sp.example.com 5ec2e75ec2e75ec2e75ec2e75ec2e7 Cabc", "16..64"}, /* 15 bytes */
		{"kpsa9@sp.example.com " SECRETISH SECRETISH SECRETISH SECRETISH "5e Cabc", "16..64"},
		{"kpsa9 " SECRETISH " Cabc", "KpsaID"},                              /* no @ */
		{"kpsa9@*.example.com " SECRETISH " Cabc", "KpsaID"},                /* wildcard */
		{"kp$a9@sp.example.com " SECRETISH " Cabc", "KpsaID"},               /* bad char */
		{"kpsa9@sp.example.com " SECRETISH " hello", "AE-ID or CSE-ID"},
		{"kpsa9@sp.example.com " SECRETISH " other@sp.example.com", "AE-ID or CSE-ID"},
		{"kpsa9@sp.example.com " SECRETISH " //sp.example.com", "AE-ID or CSE-ID"}, /* SP-ID */
		{"kpsa9@sp.example.com " SECRETISH, "three fields"},
		{SECRETISH " kpsa9@sp.example.com Cabc", "KpsaID"},                  /* fields swapped */
		{"kpsa9@sp.example.com " SECRETISH " Cabc extra", "three fields"},
		{"kpsa9@sp.example.com Cabc " SECRETISH, "16..64"},
	};
	char text[1024], msg[256];
	m2mi_psk_table *t = (m2mi_psk_table *)0x1;

	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		snprintf(text, sizeof(text), "# header\nkpsa1@sp.example.com " K1 " Cabc\n\n%s\n", cases[i].line);
		assert_int_equal(parse(text, &t, msg, sizeof(msg)), M2M_E_CONFIG);
		assert_null(t);
		if (strncmp(msg, "line 4: ", 8) != 0 || strstr(msg, cases[i].reason) == NULL)
			fail_msg("case %zu: unexpected message \"%s\"", i, msg);
		assert_null(strstr(msg, "5ec2e7"));  /* no key text */
		assert_null(strstr(msg, "kpsa9"));   /* no field text at all */
		assert_null(strstr(msg, K1));
	}
}

static void test_nul_and_long_lines(void **state)
{
	char text[8192], msg[128];
	m2mi_psk_table *t = NULL;
	static const char nul[] = "kpsa1@sp.example.com " K1 " Cabc\nab\0cd\n";

	assert_int_equal(m2mi_psk_file_parse(nul, sizeof(nul) - 1, &t, msg, sizeof(msg)), M2M_E_CONFIG);
	assert_string_equal(msg, "line 2: NUL byte");
	memset(text, ' ', sizeof(text));
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(parse(text, &t, msg, sizeof(msg)), M2M_E_CONFIG);
	assert_string_equal(msg, "line 1: line too long");
}

static void test_duplicates(void **state)
{
	char msg[128];
	m2mi_psk_table *t = NULL;

	assert_int_equal(parse("a@sp.example.com " K1 " Cabc\n"
			       "kpsa1@sp.example.com " K1 " Cabc\n"
			       "b@sp.example.com " K1 " Cabc\n"
			       "# comment\n"
			       "kpsa1@SP.EXAMPLE.COM. " K2 " Cdef\n",
			       &t, msg, sizeof(msg)),
			 M2M_E_CONFIG);
	assert_null(t);
	assert_string_equal(msg, "line 5: duplicate KpsaID (first on line 2)");
}

static void test_file_permissions(void **state)
{
	char path[256], msg[128];
	m2mi_psk_table *t = (m2mi_psk_table *)0x1;

	snprintf(path, sizeof(path), "%s", tt_write("perm.psk", "kpsa1@sp.example.com " K1 " Cabc\n", 0644));
	assert_int_equal(m2mi_psk_file_load(path, &t, msg, sizeof(msg)), M2M_E_KEY_PERMS);
	assert_null(t);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(m2mi_psk_file_load(path, &t, msg, sizeof(msg)), M2M_E_KEY_PERMS);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(m2mi_psk_file_load(path, &t, msg, sizeof(msg)), M2M_E_KEY_PERMS);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(m2mi_psk_file_load(path, &t, msg, sizeof(msg)), M2M_OK);
	assert_int_equal(m2mi_psk_table_count(t), 1);
	m2mi_psk_table_free(t);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(m2mi_psk_file_load(path, &t, msg, sizeof(msg)), M2M_OK);
	m2mi_psk_table_free(t);
	if (geteuid() == 0) { /* owned by someone else */
		assert_int_equal(chown(path, 1, (gid_t)-1), 0);
		assert_int_equal(m2mi_psk_file_load(path, &t, msg, sizeof(msg)), M2M_E_KEY_PERMS);
	}
	/* not a regular file */
	assert_int_equal(m2mi_psk_file_load(tt_dir(), &t, msg, sizeof(msg)), M2M_E_KEY_PERMS);
	snprintf(path, sizeof(path), "%s/fifo.psk", tt_dir());
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(m2mi_psk_file_load(path, &t, msg, sizeof(msg)), M2M_E_KEY_PERMS);
	assert_int_equal(m2mi_psk_file_load("/nonexistent/psk", &t, msg, sizeof(msg)), M2M_E_NOT_FOUND);
	assert_null(t);
}

/* Through m2m_tls_new: fail closed, and the message names the line but not the key. */
static void test_tls_new_reports_line(void **state)
{
	m2m_tls_config cfg = {0};
	m2m_tls *tls = (m2m_tls *)0x1;
	char path[256], msg[256];

	snprintf(path, sizeof(path), "%s",
		 tt_write("bad.psk", "kpsa1@sp.example.com " K1 " Cabc\nkpsa2@sp.example.com " SECRETISH "zz Cabc\n",
			  0600));
	cfg.psk_file = path;
	assert_int_equal(m2m_tls_new_ex(&cfg, &tls, msg, sizeof(msg)), M2M_E_CONFIG);
	assert_null(tls);
	assert_string_equal(msg, "psk file: line 2: key is not valid hex");
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(m2m_tls_new(&cfg, &tls), M2M_E_KEY_PERMS);
	assert_null(tls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_file),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_nul_and_long_lines),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_file_permissions),
		cmocka_unit_test(test_tls_new_reports_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
