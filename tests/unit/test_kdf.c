/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/kdf.c (TS-0003 clause 10.3): every known-answer
 * vector of tests/vectors/kdf_vectors.txt (generated independently in Python) for all the
 * derivations, plus the error cases and the properties of the output keys.
 */
#include <stdio.h>
#include <stdlib.h>

#include "m2m_test.h"
#include "m2msec/hex.h"
#include "m2msec/kdf.h"
#include "m2msec/utf8.h"

#define VECTORS M2M_SOURCE_DIR "/tests/vectors/kdf_vectors.txt"
#define MAXF 12

struct counts {
	int km, kpsa, ucsk, session, e2e, gba, split;
};

/* Split line in place at spaces; returns the number of fields. */
static int fields(char *line, char **f)
{
	int n = 0;
	char *p = line;

	while (*p != '\0' && n < MAXF) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		f[n++] = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p == ' ')
			*p++ = '\0';
	}
	return n;
}

/* Decode hex into a fresh heap buffer (at least 1 byte allocated). */
static uint8_t *unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	uint8_t *b = malloc(n / 2 + 1);

	assert_non_null(b);
	assert_int_equal(m2m_hex_decode(hex, n, b, n / 2 + 1, len), M2M_OK);
	return b;
}

/* Decode hex into a NUL-terminated string (an identifier given as UTF-8 hex). */
static char *unhex_str(const char *hex)
{
	size_t n;
	uint8_t *b = unhex(hex, &n);

	b[n] = '\0';
	return (char *)b;
}

static m2m_key *key_from_hex(const char *hex)
{
	size_t n;
	uint8_t *b = unhex(hex, &n);
	m2m_key *k = NULL;

	assert_int_equal(m2m_key_new(b, n, &k), M2M_OK);
	free(b);
	return k;
}

static void assert_key_hex(const m2m_key *k, const char *expect)
{
	char hex[2 * M2M_KEY_MAX + 1];

	assert_non_null(k);
	assert_int_equal(m2m_key_len(k), M2M_KDF_OUT_LEN);
	assert_int_equal(m2m_key_export_hex(k, hex, sizeof(hex)), M2M_OK);
	assert_string_equal(hex, expect);
}

static void check_line(m2m_kdf *kdf, char **f, int n, struct counts *c)
{
	m2m_key *in = NULL, *out = NULL;

	if (strcmp(f[0], "km") == 0 || strcmp(f[0], "kpsa") == 0) {
		char *id = unhex_str(f[2]);
		bool km = strcmp(f[0], "km") == 0;
		assert_int_equal(n, 4);
		in = key_from_hex(f[1]);
		assert_int_equal(km ? m2m_kdf_km(kdf, in, id, &out) : m2m_kdf_kpsa(kdf, in, id, &out), M2M_OK);
		assert_key_hex(out, f[3]);
		assert_null(m2m_key_id(out));
		if (km)
			c->km++;
		else
			c->kpsa++;
		free(id);
	} else if (strcmp(f[0], "ucsk") == 0) {
		char *id = unhex_str(f[3]);
		int suid = (int)strtol(f[2], NULL, 10);
		assert_int_equal(n, 5);
		in = key_from_hex(f[1]);
		assert_int_equal(m2m_kdf_ucsk(kdf, in, suid, id, &out), M2M_OK);
		assert_key_hex(out, f[4]);
		assert_int_equal(m2m_key_suid(out), suid);
		c->ucsk++;
		free(id);
	} else if (strcmp(f[0], "session-esprim") == 0) {
		size_t rl, ol;
		uint8_t *r = unhex(f[2], &rl), *o = unhex(f[3], &ol);
		assert_int_equal(n, 5);
		in = key_from_hex(f[1]);
		assert_int_equal(m2m_kdf_session_esprim(kdf, in, r, rl, o, ol, &out), M2M_OK);
		assert_key_hex(out, f[4]);
		c->session++;
		free(r);
		free(o);
	} else if (strcmp(f[0], "e2e") == 0) {
		m2m_kdf_e2e_keys keys;
		size_t sl = 0;
		uint8_t *salt = strcmp(f[2], "-") == 0 ? NULL : unhex(f[2], &sl);
		assert_int_equal(n, 8);
		in = key_from_hex(f[1]);
		assert_int_equal(m2m_kdf_e2e_master(kdf, in, salt, sl, &out), M2M_OK);
		assert_key_hex(out, f[3]);
		assert_int_equal(m2m_kdf_e2e(kdf, in, salt, sl, &keys), M2M_OK);
		assert_key_hex(keys.msg_auth, f[4]);
		assert_key_hex(keys.msg_conf, f[5]);
		assert_key_hex(keys.att_auth, f[6]);
		assert_key_hex(keys.att_conf, f[7]);
		m2m_kdf_e2e_keys_clear(&keys);
		assert_int_equal(m2m_kdf_e2e_expand(kdf, out, &keys), M2M_OK);
		assert_key_hex(keys.att_conf, f[7]);
		m2m_kdf_e2e_keys_clear(&keys);
		assert_null(keys.msg_auth);
		c->e2e++;
		free(salt);
	} else if (strcmp(f[0], "gba-naf") == 0) {
		size_t rl, nl;
		uint8_t *rnd = unhex(f[3], &rl), *naf = unhex(f[5], &nl);
		char *impi = unhex_str(f[4]);
		assert_int_equal(n, 7);
		assert_int_equal(rl, M2M_KDF_GBA_RAND_LEN);
		in = key_from_hex(f[1]);
		assert_int_equal(m2m_kdf_gba_naf(kdf, in, strcmp(f[2], "u") == 0, rnd, impi, naf, nl, &out), M2M_OK);
		assert_key_hex(out, f[6]);
		c->gba++;
		free(rnd);
		free(naf);
		free(impi);
	} else if (strcmp(f[0], "split") == 0) {
		char id[512];
		size_t ml;
		uint8_t *m = unhex(f[1], &ml);
		assert_int_equal(n, 5);
		assert_int_equal(ml, M2M_EXPORTER_LEN);
		assert_int_equal(m2m_kdf_exporter_split(m, f[2], &out, id, sizeof(id)), M2M_OK);
		assert_key_hex(out, f[3]);
		assert_string_equal(id, f[4]);
		assert_string_equal(m2m_key_id(out), f[4]);
		c->split++;
		free(m);
	} else {
		fail_msg("unknown vector kind '%s'", f[0]);
	}
	m2m_key_free(in);
	m2m_key_free(out);
}

static void test_vectors(void **state)
{
	struct counts c = {0};
	FILE *fp = fopen(VECTORS, "r");
	m2m_kdf *kdf = NULL;
	char *line = NULL, *f[MAXF];
	size_t cap = 0;
	ssize_t got;

	assert_non_null(fp);
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	while ((got = getline(&line, &cap, fp)) > 0) {
		int n;
		if (line[got - 1] == '\n')
			line[got - 1] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		n = fields(line, f);
		assert_true(n >= 4);
		check_line(kdf, f, n, &c);
	}
	free(line);
	fclose(fp);
	m2m_kdf_free(kdf);
	/* The file holds every kind; a truncated file must not pass silently. */
	assert_true(c.km >= 14 && c.kpsa >= 14 && c.ucsk >= 20 && c.session >= 5 && c.e2e >= 6 && c.gba >= 6 &&
		    c.split >= 4);
}

static m2m_key *key_fill(uint8_t v, size_t len)
{
	uint8_t b[M2M_KEY_MAX];
	m2m_key *k = NULL;

	memset(b, v, sizeof(b));
	assert_int_equal(m2m_key_new(b, len, &k), M2M_OK);
	return k;
}

static void test_nfkc_forms_agree(void **state)
{
	static const char *same[][2] = {
		{"\xef\xbc\xad\xef\xbc\xa1\xef\xbc\xa6\xef\xbc\x91.example.com", "MAF1.example.com"}, /* full-width */
		{"\xef\xac\x81rmware.example.com", "firmware.example.com"},                            /* ligature fi */
		{"cafe\xcc\x81.example.com", "caf\xc3\xa9.example.com"}, /* e + U+0301 vs U+00E9 */
	};
	m2m_kdf *kdf = NULL;
	m2m_key *ke = key_fill(0x11, 32), *a = NULL, *b = NULL;

	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	for (size_t i = 0; i < M2M_ARRAY_LEN(same); i++) {
		assert_int_equal(m2m_kdf_km(kdf, ke, same[i][0], &a), M2M_OK);
		assert_int_equal(m2m_kdf_km(kdf, ke, same[i][1], &b), M2M_OK);
		assert_true(m2m_key_equal(a, b));
		m2m_key_free(a);
		m2m_key_free(b);
		assert_int_equal(m2m_kdf_kpsa(kdf, ke, same[i][0], &a), M2M_OK);
		assert_int_equal(m2m_kdf_kpsa(kdf, ke, same[i][1], &b), M2M_OK);
		assert_true(m2m_key_equal(a, b));
		m2m_key_free(a);
		m2m_key_free(b);
		assert_int_equal(m2m_kdf_ucsk(kdf, ke, 22, same[i][0], &a), M2M_OK);
		assert_int_equal(m2m_kdf_ucsk(kdf, ke, 22, same[i][1], &b), M2M_OK);
		assert_true(m2m_key_equal(a, b));
		m2m_key_free(a);
		m2m_key_free(b);
	}
	/* Different labels separate the derivations; case is significant (no case folding). */
	assert_int_equal(m2m_kdf_km(kdf, ke, "maf.example.com", &a), M2M_OK);
	assert_int_equal(m2m_kdf_kpsa(kdf, ke, "maf.example.com", &b), M2M_OK);
	assert_false(m2m_key_equal(a, b));
	m2m_key_free(b);
	assert_int_equal(m2m_kdf_km(kdf, ke, "MAF.example.com", &b), M2M_OK);
	assert_false(m2m_key_equal(a, b));
	m2m_key_free(a);
	m2m_key_free(b);
	assert_int_equal(m2m_kdf_ucsk(kdf, ke, 22, "t.example.com", &a), M2M_OK);
	assert_int_equal(m2m_kdf_ucsk(kdf, ke, 23, "t.example.com", &b), M2M_OK);
	assert_false(m2m_key_equal(a, b));
	assert_int_equal(m2m_key_suid(a), 22);
	assert_int_equal(m2m_key_suid(b), 23);
	m2m_key_free(a);
	m2m_key_free(b);
	m2m_key_free(ke);
	m2m_kdf_free(kdf);
}

static void test_errors(void **state)
{
	char long_id[M2M_ID_MAX + 2];
	m2m_kdf *kdf = NULL;
	m2m_key *ke = key_fill(0x22, 32), *k16 = key_fill(0x22, 16), *k64 = key_fill(0x22, 64);
	m2m_key *out = (m2m_key *)0x1;

	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	/* Ke must be exactly 32 bytes */
	assert_int_equal(m2m_kdf_km(kdf, k16, "maf.example.com", &out), M2M_E_KEY_LEN);
	assert_null(out);
	assert_int_equal(m2m_kdf_kpsa(kdf, k64, "Cae1", &out), M2M_E_KEY_LEN);
	assert_int_equal(m2m_kdf_ucsk(kdf, k16, 22, "t.example.com", &out), M2M_E_KEY_LEN);
	assert_int_equal(m2m_kdf_km(kdf, NULL, "maf.example.com", &out), M2M_E_INVAL);
	/* identifiers: empty, not UTF-8, too long (before normalisation) */
	assert_int_equal(m2m_kdf_km(kdf, ke, "", &out), M2M_E_ID_EMPTY);
	assert_int_equal(m2m_kdf_km(kdf, ke, NULL, &out), M2M_E_ID_EMPTY);
	assert_int_equal(m2m_kdf_kpsa(kdf, ke, "caf\xc3", &out), M2M_E_ID_BAD_UTF8);
	assert_int_equal(m2m_kdf_kpsa(kdf, ke, "\xc0\xaf", &out), M2M_E_ID_BAD_UTF8); /* overlong */
	assert_int_equal(m2m_kdf_km(kdf, ke, "\xed\xa0\x80", &out), M2M_E_ID_BAD_UTF8); /* surrogate */
	assert_int_equal(m2m_kdf_km(kdf, ke, long_id, &out), M2M_E_ID_TOO_LONG);
	long_id[M2M_ID_MAX] = '\0'; /* exactly the maximum is fine */
	assert_int_equal(m2m_kdf_km(kdf, ke, long_id, &out), M2M_OK);
	m2m_key_free(out);
	/* SUID must be an m2m:suid value */
	assert_int_equal(m2m_kdf_ucsk(kdf, ke, 0, "t.example.com", &out), M2M_E_ID_BAD_TYPE);
	assert_int_equal(m2m_kdf_ucsk(kdf, ke, 31, "t.example.com", &out), M2M_E_ID_BAD_TYPE);
	assert_int_equal(m2m_kdf_ucsk(kdf, ke, -22, "t.example.com", &out), M2M_E_ID_BAD_TYPE);
	assert_int_equal(m2m_kdf_ucsk(kdf, ke, 22, "", &out), M2M_E_ID_EMPTY);
	assert_null(out);
	/* bad handles */
	assert_int_equal(m2m_kdf_km(NULL, ke, "maf.example.com", &out), M2M_E_INVAL);
	assert_int_equal(m2m_kdf_km(kdf, ke, "maf.example.com", NULL), M2M_E_INVAL);
	assert_int_equal(m2m_kdf_new(NULL), M2M_E_INVAL);
	m2m_kdf_free(NULL);
	m2m_key_free(ke);
	m2m_key_free(k16);
	m2m_key_free(k64);
	m2m_kdf_free(kdf);
}

static void test_split(void **state)
{
	uint8_t m[M2M_EXPORTER_LEN];
	char id[80], small[40];
	m2m_key *k = (m2m_key *)0x1;
	const uint8_t *b;
	size_t n;

	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)i;
	assert_int_equal(m2m_kdf_exporter_split(m, "MEF.example.com.", &k, id, sizeof(id)), M2M_OK);
	assert_string_equal(id, "000102030405060708090A0B0C0D0E0F@mef.example.com");
	assert_string_equal(m2m_key_id(k), id);
	b = m2m_key_bytes(k, &n);
	assert_int_equal(n, 32);
	assert_memory_equal(b, m + 16, 32);
	m2m_key_free(k);
	/* key_id is optional */
	assert_int_equal(m2m_kdf_exporter_split(m, "mef.example.com", &k, NULL, 0), M2M_OK);
	assert_string_equal(m2m_key_id(k), "000102030405060708090A0B0C0D0E0F@mef.example.com");
	m2m_key_free(k);
	/* too small an id buffer, bad FQDNs */
	assert_int_equal(m2m_kdf_exporter_split(m, "mef.example.com", &k, small, sizeof(small)), M2M_E_RANGE);
	assert_null(k);
	assert_string_equal(small, "");
	assert_int_equal(m2m_kdf_exporter_split(m, "", &k, id, sizeof(id)), M2M_E_ID_BAD_FQDN);
	assert_int_equal(m2m_kdf_exporter_split(m, NULL, &k, id, sizeof(id)), M2M_E_ID_BAD_FQDN);
	assert_int_not_equal(m2m_kdf_exporter_split(m, "*.example.com", &k, id, sizeof(id)), M2M_OK);
	assert_int_not_equal(m2m_kdf_exporter_split(m, "bad_host.example.com", &k, id, sizeof(id)), M2M_OK);
	assert_null(k);
	assert_int_equal(m2m_kdf_exporter_split(NULL, "mef.example.com", &k, id, sizeof(id)), M2M_E_INVAL);
	assert_int_equal(m2m_kdf_exporter_split(m, "mef.example.com", NULL, id, sizeof(id)), M2M_E_INVAL);
}

static void test_context_reuse(void **state)
{
	/* One context, many derivations with different keys: re-keying must not leak state. */
	m2m_kdf *kdf = NULL, *kdf2 = NULL;
	m2m_key *a = key_fill(0x01, 32), *b = key_fill(0x02, 32), *x = NULL, *y = NULL;

	assert_int_equal(m2m_kdf_new(&kdf), M2M_OK);
	assert_int_equal(m2m_kdf_new(&kdf2), M2M_OK);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(m2m_kdf_km(kdf, (i & 1) ? a : b, "maf.example.com", &x), M2M_OK);
		m2m_key_free(x);
		x = NULL;
	}
	/* a failed derivation in the middle leaves the context usable */
	assert_int_equal(m2m_kdf_km(kdf, a, "\xff", &x), M2M_E_ID_BAD_UTF8);
	assert_int_equal(m2m_kdf_km(kdf, a, "maf.example.com", &x), M2M_OK);
	assert_int_equal(m2m_kdf_km(kdf2, a, "maf.example.com", &y), M2M_OK);
	assert_true(m2m_key_equal(x, y));
	m2m_key_free(x);
	m2m_key_free(y);
	m2m_key_free(a);
	m2m_key_free(b);
	m2m_kdf_free(kdf);
	m2m_kdf_free(kdf2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_nfkc_forms_agree),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_context_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
