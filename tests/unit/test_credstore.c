/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of store/credstore.c: records, canonical identifiers, the
 * single validity decision and lookups (TS-0003 clause 10.3 keys, clause 10.1 certificates). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "m2m_test.h"
#include "m2msec/credstore.h"
#include "m2msec/id.h"
#include "pg_fixture.h"
#include "svc_fixture.h"

#define KEID "00112233445566778899aabbccddeeff@MEF.example.com"
#define KEID_CANON "00112233445566778899AABBCCDDEEFF@mef.example.com"
#define KCID "FFEEDDCCBBAA99887766554433221100@maf.example.com"
#define KPSAID "Kpsa-1@sp.example.com"
#define KMID "Km-1@MAF.example.com"

struct fx {
	char dir[64];
	char path[256]; /* the store file, or the PostgreSQL URI (pg_fixture.h) */
	bool pg;
	m2m_credstore *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-credstore-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/creds.db", f->dir);
	f->pg = pgf_cred_store(f->path, sizeof(f->path));
	assert_int_equal(m2m_credstore_create(f->path, &f->s), M2M_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[300];

	m2m_credstore_close(f->s);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static m2m_key *mkkey(size_t len, uint8_t fill)
{
	uint8_t b[M2M_KEY_MAX];
	m2m_key *k = NULL;

	memset(b, fill, sizeof(b));
	assert_int_equal(m2m_key_new(b, len, &k), M2M_OK);
	return k;
}

static m2m_err add(m2m_credstore *s, m2m_cred_kind kind, const char *id, size_t keylen, uint8_t fill,
		   int64_t nb, int64_t na)
{
	m2m_cred_info in = {.kind = kind, .id = (char *)id, .not_before = nb, .not_after = na,
			    .created_at = 100};
	m2m_key *k = mkkey(keylen, fill);
	m2m_err r = m2m_credstore_add(s, &in, k, NULL, NULL);

	m2m_key_free(k);
	return r;
}

static void test_names_and_free_null(void **state)
{
	m2m_cred_kind k;

	assert_string_equal(m2m_credstore_kind_name(M2M_CRED_KIND_KPSA), "kpsa");
	assert_string_equal(m2m_credstore_kind_name(M2M_CRED_KIND_CERT), "cert");
	assert_string_equal(m2m_credstore_kind_name(3), "?");
	assert_int_equal(m2m_credstore_kind_from_name("kc", &k), M2M_OK);
	assert_int_equal(k, M2M_CRED_KIND_KC);
	assert_int_equal(m2m_credstore_kind_from_name("KC", &k), M2M_E_INVAL);
	assert_string_equal(m2m_credstore_state_name(M2M_CRED_STATE_NOT_YET_VALID), "not-yet-valid");
	m2m_credstore_close(NULL);
	m2m_credstore_info_free(NULL);
}

/* The one decision: same boundaries as m2m_key_check_validity, revoked wins. */
static void test_state_at(void **state)
{
	m2m_cred_info c = {.state = M2M_CRED_STATE_ACTIVE, .not_before = 1000, .not_after = 2000};

	assert_int_equal(m2m_credstore_state_at(&c, 999), M2M_CRED_STATE_NOT_YET_VALID);
	assert_int_equal(m2m_credstore_check(&c, 999), M2M_E_KEY_NOT_YET_VALID);
	assert_int_equal(m2m_credstore_state_at(&c, 1000), M2M_CRED_STATE_ACTIVE);
	assert_int_equal(m2m_credstore_check(&c, 1999), M2M_OK);
	assert_int_equal(m2m_credstore_state_at(&c, 2000), M2M_CRED_STATE_EXPIRED);
	assert_int_equal(m2m_credstore_check(&c, 2000), M2M_E_KEY_EXPIRED);
	c.not_before = c.not_after = 0;
	assert_int_equal(m2m_credstore_check(&c, INT64_MAX), M2M_OK);
	c.state = M2M_CRED_STATE_REVOKED;
	assert_int_equal(m2m_credstore_check(&c, 1500), M2M_E_KEY_REVOKED);
	c.state = 0; /* unknown stored state fails closed */
	assert_int_equal(m2m_credstore_check(&c, 1500), M2M_E_KEY_REVOKED);
	assert_int_equal(m2m_credstore_check(NULL, 1500), M2M_E_KEY_REVOKED);
}

static void test_add_show_lookup_revoke(void **state)
{
	struct fx *f = *state;
	char *targets[] = {"//sp.example.com/cse-in", "Cae1"};
	m2m_cred_info in = {.kind = M2M_CRED_KIND_KPSA, .id = KPSAID, .owner = "/cse-mn1",
			    .targets = targets, .ntargets = 2, .suid = 12, .created_at = 100};
	m2m_cred_info *info = NULL;
	m2m_key *k = mkkey(32, 0x5a), *got = NULL;
	int64_t nb = -1, na = -1;
	char *id = NULL;

	assert_int_equal(m2m_credstore_add(f->s, &in, k, NULL, &id), M2M_OK);
	assert_string_equal(id, KPSAID);
	free(id);
	assert_int_equal(m2m_credstore_get_info(f->s, "Kpsa-1@SP.EXAMPLE.COM.", &info), M2M_OK);
	assert_string_equal(info->id, KPSAID);
	assert_int_equal(info->kind, M2M_CRED_KIND_KPSA);
	assert_string_equal(info->owner, "/cse-mn1");
	assert_int_equal(info->ntargets, 2);
	assert_string_equal(info->targets[0], "//sp.example.com/cse-in");
	assert_string_equal(info->targets[1], "Cae1");
	assert_int_equal(info->suid, 12);
	assert_int_equal(info->created_at, 100);
	assert_int_equal(info->last_used, 0);
	assert_int_equal(info->state, M2M_CRED_STATE_ACTIVE);
	m2m_credstore_info_free(info);

	/* what a TLS PSK callback does: one call, the set of kinds it accepts */
	assert_int_equal(m2m_credstore_lookup_key(f->s, KPSAID, M2M_CRED_KIND_KPSA | M2M_CRED_KIND_KE |
						  M2M_CRED_KIND_KC, 500, &got), M2M_OK);
	assert_true(m2m_key_equal(got, k));
	assert_string_equal(m2m_key_id(got), KPSAID);
	assert_int_equal(m2m_key_suid(got), 12);
	m2m_key_validity(got, &nb, &na);
	assert_int_equal(nb, 0);
	assert_int_equal(na, 0);
	m2m_key_free(got);
	assert_int_equal(m2m_credstore_get_info(f->s, KPSAID, &info), M2M_OK);
	assert_int_equal(info->last_used, 500);
	m2m_credstore_info_free(info);
	/* key and metadata from one read, as a PSK callback binding the association wants */
	assert_int_equal(m2m_credstore_lookup(f->s, KPSAID, M2M_CRED_KIND_KPSA, 550, &got, &info), M2M_OK);
	assert_true(m2m_key_equal(got, k));
	assert_string_equal(info->owner, "/cse-mn1");
	assert_int_equal(info->ntargets, 2);
	assert_int_equal(info->last_used, 550);
	m2m_credstore_info_free(info);
	m2m_key_free(got);
	got = NULL;
	info = (m2m_cred_info *)0x1;
	assert_int_equal(m2m_credstore_lookup(f->s, KPSAID, M2M_CRED_KIND_KPSA, 550, NULL, &info), M2M_E_INVAL);
	assert_null(info);
	/* KpsaID relative part is case-sensitive: another spelling is another (absent) key */
	assert_int_equal(m2m_credstore_lookup_key(f->s, "KPSA-1@sp.example.com", M2M_CRED_KIND_KPSA, 500, &got),
			 M2M_E_NOT_FOUND);
	/* the right id under the wrong kind is not found */
	assert_int_equal(m2m_credstore_lookup_key(f->s, KPSAID, M2M_CRED_KIND_KM, 500, &got), M2M_E_NOT_FOUND);
	assert_null(got);

	assert_int_equal(m2m_credstore_revoke(f->s, KPSAID, 600), M2M_OK);
	assert_int_equal(m2m_credstore_lookup_key(f->s, KPSAID, M2M_CRED_KIND_KPSA, 700, &got), M2M_E_KEY_REVOKED);
	assert_null(got);
	info = (m2m_cred_info *)0x1;
	assert_int_equal(m2m_credstore_lookup(f->s, KPSAID, M2M_CRED_KIND_KPSA, 700, &got, &info), M2M_E_KEY_REVOKED);
	assert_null(info);
	assert_int_equal(m2m_credstore_revoke(f->s, KPSAID, 800), M2M_OK); /* idempotent */
	assert_int_equal(m2m_credstore_get_info(f->s, KPSAID, &info), M2M_OK);
	assert_int_equal(info->state, M2M_CRED_STATE_REVOKED);
	assert_int_equal(info->revoked_at, 600);
	assert_int_equal(info->last_used, 550); /* failed lookups do not count as use */
	assert_int_equal(m2m_credstore_state_at(info, 700), M2M_CRED_STATE_REVOKED);
	m2m_credstore_info_free(info);
	assert_int_equal(m2m_credstore_revoke(f->s, "nope@sp.example.com", 1), M2M_E_NOT_FOUND);
	m2m_key_free(k);
}

static void test_psk_identity_forms(void **state)
{
	struct fx *f = *state;
	const unsigned psk = M2M_CRED_KIND_KPSA | M2M_CRED_KIND_KE | M2M_CRED_KIND_KC;
	m2m_key *got = NULL, *want = mkkey(32, 0x11);

	assert_int_equal(add(f->s, M2M_CRED_KIND_KE, KEID, 32, 0x11, 0, 0), M2M_OK);
	assert_int_equal(add(f->s, M2M_CRED_KIND_KC, KCID, 32, 0x22, 0, 0), M2M_OK);
	assert_int_equal(add(f->s, M2M_CRED_KIND_KM, KMID, 32, 0x33, 0, 0), M2M_OK);
	/* KeID: hex is compared canonically (either case), FQDN case-insensitively */
	assert_int_equal(m2m_credstore_lookup_key(f->s, KEID, psk, 1, &got), M2M_OK);
	assert_true(m2m_key_equal(got, want));
	assert_string_equal(m2m_key_id(got), KEID_CANON);
	m2m_key_free(got);
	assert_int_equal(m2m_credstore_lookup_key(f->s, "ffeeddccbbaa99887766554433221100@maf.example.com",
						  psk, 1, &got), M2M_OK);
	assert_string_equal(m2m_key_id(got), KCID);
	m2m_key_free(got);
	/* KmID is case-insensitive (TS-0003 clause 10.6); a MAF asks for KM only */
	assert_int_equal(m2m_credstore_lookup_key(f->s, "KM-1@maf.EXAMPLE.com", M2M_CRED_KIND_KM, 1, &got), M2M_OK);
	assert_string_equal(m2m_key_id(got), "km-1@maf.example.com");
	m2m_key_free(got);
	assert_int_equal(m2m_credstore_lookup_key(f->s, KMID, psk, 1, &got), M2M_E_NOT_FOUND);
	/* bad arguments */
	assert_int_equal(m2m_credstore_lookup_key(f->s, KMID, 0, 1, &got), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_lookup_key(f->s, KMID, M2M_CRED_KIND_CERT, 1, &got), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_lookup_key(NULL, KMID, psk, 1, &got), M2M_E_INVAL);
	m2m_key_free(want);
}

static void test_window_errors(void **state)
{
	struct fx *f = *state;
	m2m_cred_info *info = NULL;
	m2m_key *got = NULL;
	int64_t nb = 0, na = 0;

	assert_int_equal(add(f->s, M2M_CRED_KIND_KPSA, KPSAID, 32, 1, 1000, 2000), M2M_OK);
	assert_int_equal(m2m_credstore_lookup_key(f->s, KPSAID, M2M_CRED_KIND_KPSA, 999, &got),
			 M2M_E_KEY_NOT_YET_VALID);
	assert_int_equal(m2m_credstore_lookup_key(f->s, KPSAID, M2M_CRED_KIND_KPSA, 2000, &got),
			 M2M_E_KEY_EXPIRED);
	assert_null(got);
	assert_int_equal(m2m_credstore_get_info(f->s, KPSAID, &info), M2M_OK);
	assert_int_equal(info->last_used, 0);
	assert_int_equal(m2m_credstore_state_at(info, 2500), M2M_CRED_STATE_EXPIRED);
	m2m_credstore_info_free(info);
	assert_int_equal(m2m_credstore_lookup_key(f->s, KPSAID, M2M_CRED_KIND_KPSA, 1000, &got), M2M_OK);
	m2m_key_validity(got, &nb, &na);
	assert_int_equal(nb, 1000);
	assert_int_equal(na, 2000);
	assert_int_equal(m2m_key_check_validity(got, 1999), M2M_OK);
	m2m_key_free(got);
	/* an empty or negative window is refused */
	assert_int_equal(add(f->s, M2M_CRED_KIND_KPSA, "x@sp.example.com", 32, 1, 2000, 2000), M2M_E_RANGE);
	assert_int_equal(add(f->s, M2M_CRED_KIND_KPSA, "x@sp.example.com", 32, 1, -1, 0), M2M_E_RANGE);
}

static void test_duplicates(void **state)
{
	struct fx *f = *state;

	assert_int_equal(add(f->s, M2M_CRED_KIND_KPSA, KPSAID, 32, 1, 0, 0), M2M_OK);
	assert_int_equal(add(f->s, M2M_CRED_KIND_KPSA, KPSAID, 32, 2, 0, 0), M2M_E_EXISTS);
	/* identifiers are unique case-insensitively, across kinds */
	assert_int_equal(add(f->s, M2M_CRED_KIND_KPSA, "KPSA-1@SP.example.com", 32, 2, 0, 0), M2M_E_EXISTS);
	assert_int_equal(add(f->s, M2M_CRED_KIND_KM, "kpsa-1@sp.example.com", 32, 2, 0, 0), M2M_E_EXISTS);
	assert_int_equal(add(f->s, M2M_CRED_KIND_KE, KEID, 32, 1, 0, 0), M2M_OK);
	assert_int_equal(add(f->s, M2M_CRED_KIND_KC, KEID_CANON, 32, 1, 0, 0), M2M_E_EXISTS);
}

static void test_invalid_input(void **state)
{
	struct fx *f = *state;
	static const char *bad[] = {"no-at-sign", "a b@sp.example.com", "x@*.example.com", "", "@sp.example.com"};
	m2m_cred_info in = {.kind = M2M_CRED_KIND_KPSA, .id = KPSAID};
	m2m_key *k = mkkey(32, 1);
	m2m_id *id = NULL;

	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		/* the store returns exactly the parser's error */
		m2m_err want = m2m_id_parse(bad[i], strlen(bad[i]), M2M_ID_KPSAID, &id);
		assert_true(want <= M2M_E_ID_EMPTY && want >= M2M_E_ID_BAD_LEN);
		assert_int_equal(add(f->s, M2M_CRED_KIND_KPSA, bad[i], 32, 1, 0, 0), want);
	}
	assert_int_equal(add(f->s, M2M_CRED_KIND_KE, "0011@mef.example.com", 32, 1, 0, 0),
			 m2m_id_parse("0011@mef.example.com", 20, M2M_ID_KEID, &id));
	/* Ke and Kc are 32-byte TLS exports; other kinds take 16..64 */
	assert_int_equal(add(f->s, M2M_CRED_KIND_KE, KEID, 16, 1, 0, 0), M2M_E_KEY_LEN);
	assert_int_equal(add(f->s, M2M_CRED_KIND_KC, KCID, 64, 1, 0, 0), M2M_E_KEY_LEN);
	assert_int_equal(add(f->s, M2M_CRED_KIND_KPSA, KPSAID, 16, 1, 0, 0), M2M_OK);
	/* owner must be an entity, not a key id; SUID must be a known m2m:suid */
	in.id = "o@sp.example.com";
	in.owner = "k@sp.example.com";
	assert_int_equal(m2m_credstore_add(f->s, &in, k, NULL, NULL), M2M_E_ID_BAD_TYPE);
	in.owner = NULL;
	in.suid = 99;
	assert_int_equal(m2m_credstore_add(f->s, &in, k, NULL, NULL), M2M_E_ID_BAD_TYPE);
	in.suid = 0;
	/* key and certificate do not mix; kind is exactly one kind */
	assert_int_equal(m2m_credstore_add(f->s, &in, NULL, NULL, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_add(f->s, &in, k, "-----BEGIN", NULL), M2M_E_INVAL);
	in.kind = M2M_CRED_KIND_KPSA | M2M_CRED_KIND_KM;
	assert_int_equal(m2m_credstore_add(f->s, &in, k, NULL, NULL), M2M_E_INVAL);
	m2m_key_free(k);
}

/* An invalid target after a valid one: nothing of the record is stored. */
static void test_add_is_all_or_nothing(void **state)
{
	struct fx *f = *state;
	char *targets[] = {"//sp.example.com/cse-in", "not a target!"};
	char *dup_targets[] = {"/cse-in", "/cse-in"};
	m2m_cred_info in = {.kind = M2M_CRED_KIND_KPSA, .id = KPSAID, .targets = targets, .ntargets = 2};
	m2m_cred_info *info = NULL;
	m2m_key *k = mkkey(32, 1);
	m2m_err r;

	r = m2m_credstore_add(f->s, &in, k, NULL, NULL);
	assert_true(r <= M2M_E_ID_EMPTY && r >= M2M_E_ID_BAD_LEN);
	assert_int_equal(m2m_credstore_get_info(f->s, KPSAID, &info), M2M_E_NOT_FOUND);
	in.targets = dup_targets;
	assert_int_equal(m2m_credstore_add(f->s, &in, k, NULL, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_get_info(f->s, KPSAID, &info), M2M_E_NOT_FOUND);
	in.ntargets = M2M_CRED_MAX_TARGETS + 1;
	assert_int_equal(m2m_credstore_add(f->s, &in, k, NULL, NULL), M2M_E_TOO_LARGE);
	assert_null(info);
	m2m_key_free(k);
}

struct collect {
	size_t n;
	char ids[8][80];
	m2m_credstore *s;
	int stop_after;
};

static m2m_err collect_cb(const m2m_cred_info *c, void *arg)
{
	struct collect *col = arg;
	m2m_cred_info *again = NULL;

	/* re-entrant: the store can be used from inside the callback */
	assert_int_equal(m2m_credstore_get_info(col->s, c->id, &again), M2M_OK);
	m2m_credstore_info_free(again);
	snprintf(col->ids[col->n++], sizeof(col->ids[0]), "%s", c->id);
	return col->stop_after != 0 && (int)col->n == col->stop_after ? M2M_E_RANGE : M2M_OK;
}

static void test_list(void **state)
{
	struct fx *f = *state;
	struct collect col = {.s = f->s};

	assert_int_equal(add(f->s, M2M_CRED_KIND_KPSA, KPSAID, 32, 1, 0, 0), M2M_OK);
	assert_int_equal(add(f->s, M2M_CRED_KIND_KE, KEID, 32, 1, 0, 0), M2M_OK);
	assert_int_equal(add(f->s, M2M_CRED_KIND_KPSA, "a@sp.example.com", 32, 1, 0, 0), M2M_OK);
	assert_int_equal(m2m_credstore_list(f->s, 0, collect_cb, &col), M2M_OK);
	assert_int_equal(col.n, 3);
	assert_string_equal(col.ids[0], KEID_CANON); /* ordered by kind name, then id */
	assert_string_equal(col.ids[1], KPSAID);
	assert_string_equal(col.ids[2], "a@sp.example.com");
	memset(&col, 0, sizeof(col));
	col.s = f->s;
	assert_int_equal(m2m_credstore_list(f->s, M2M_CRED_KIND_KE, collect_cb, &col), M2M_OK);
	assert_int_equal(col.n, 1);
	memset(&col, 0, sizeof(col));
	col.s = f->s;
	col.stop_after = 2;
	assert_int_equal(m2m_credstore_list(f->s, 0, collect_cb, &col), M2M_E_RANGE);
	assert_int_equal(col.n, 2);
	assert_int_equal(m2m_credstore_list(f->s, 1u << 10, collect_cb, &col), M2M_E_INVAL);
}

static void test_delete_and_reopen(void **state)
{
	struct fx *f = *state;
	m2m_cred_info *info = NULL;
	m2m_key *got = NULL;

	assert_int_equal(add(f->s, M2M_CRED_KIND_KPSA, KPSAID, 32, 7, 0, 0), M2M_OK);
	assert_int_equal(add(f->s, M2M_CRED_KIND_KE, KEID, 32, 8, 0, 0), M2M_OK);
	assert_int_equal(m2m_credstore_revoke(f->s, KEID, 50), M2M_OK);
	assert_int_equal(m2m_credstore_delete(f->s, KPSAID), M2M_OK);
	assert_int_equal(m2m_credstore_delete(f->s, KPSAID), M2M_E_NOT_FOUND);
	m2m_credstore_close(f->s);
	f->s = NULL;
	assert_int_equal(m2m_credstore_create(f->path, &f->s), M2M_E_EXISTS);
	assert_int_equal(m2m_credstore_open(f->path, &f->s), M2M_OK);
	assert_int_equal(m2m_credstore_get_info(f->s, KPSAID, &info), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_credstore_get_info(f->s, KEID, &info), M2M_OK);
	assert_int_equal(info->state, M2M_CRED_STATE_REVOKED);
	m2m_credstore_info_free(info);
	assert_int_equal(m2m_credstore_lookup_key(f->s, KEID, M2M_CRED_KIND_KE, 60, &got), M2M_E_KEY_REVOKED);
	m2m_credstore_close(f->s);
	f->s = NULL;
	/* URI forms */
	if (!f->pg) {
		char uri[300];
		snprintf(uri, sizeof(uri), "sqlite:%s", f->path);
		assert_int_equal(m2m_credstore_open(uri, &f->s), M2M_OK);
	}
}

static void test_open_errors(void **state)
{
	struct fx *f = *state;
	m2m_credstore *s = (m2m_credstore *)0x1;
	char p[160];

	snprintf(p, sizeof(p), "%s/missing.db", f->dir);
	/* a server nobody listens on: the store's error, fast, nothing created */
	assert_int_equal(m2m_credstore_open("postgresql://m2msec@127.0.0.1:1/creds?connect_timeout=2", &s), M2M_E_STORE);
	assert_null(s);
	assert_int_equal(m2m_credstore_open("postgresql:creds", &s), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_open(p, &s), M2M_E_NOT_FOUND);
	assert_null(s);
	assert_int_equal(m2m_credstore_open("sqlite:", &s), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_open(NULL, &s), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_open(p, NULL), M2M_E_INVAL);
}

/* A self-signed P-256 certificate valid [nb, na), made at run time. */
static char *make_cert(int64_t nb, int64_t na)
{
	return sf_self_signed_pem("cse-in.sp.example.com", (time_t)nb, (time_t)na);
}

static void test_certificates(void **state)
{
	struct fx *f = *state;
	char *pem = make_cert(1000000, 2000000), *pem2 = make_cert(1000000, 2000000), *both, *id = NULL, *got = NULL;
	m2m_cred_info in = {.kind = M2M_CRED_KIND_CERT, .owner = "//sp.example.com/cse-in", .not_after = 1500000};
	m2m_cred_info *info = NULL;
	m2m_key *k = mkkey(32, 1), *kout = NULL;
	size_t n1 = strlen(pem), n2 = strlen(pem2);

	assert_int_equal(m2m_credstore_add(f->s, &in, k, pem, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_add(f->s, &in, NULL, "not a pem", NULL), M2M_E_CERT);
	both = malloc(n1 + n2 + 1);
	memcpy(both, pem, n1);
	memcpy(both + n1, pem2, n2 + 1);
	assert_int_equal(m2m_credstore_add(f->s, &in, NULL, both, NULL), M2M_E_CERT); /* one per record */
	in.id = "00";
	assert_int_equal(m2m_credstore_add(f->s, &in, NULL, pem, NULL), M2M_E_ID_BAD_LEN);
	in.id = NULL;
	assert_int_equal(m2m_credstore_add(f->s, &in, NULL, pem, &id), M2M_OK);
	assert_int_equal(strlen(id), M2M_CRED_CERT_ID_LEN);
	assert_int_equal(m2m_credstore_get_info(f->s, id, &info), M2M_OK);
	/* window = the certificate's narrowed by the caller's */
	assert_int_equal(info->not_before, 1000000);
	assert_int_equal(info->not_after, 1500000);
	m2m_credstore_info_free(info);
	assert_int_equal(m2m_credstore_lookup_cert(f->s, id, 999999, &got), M2M_E_KEY_NOT_YET_VALID);
	assert_int_equal(m2m_credstore_lookup_cert(f->s, id, 1500000, &got), M2M_E_KEY_EXPIRED);
	assert_int_equal(m2m_credstore_lookup_cert(f->s, id, 1200000, &got), M2M_OK);
	assert_string_equal(got, pem);
	free(got);
	/* lower-case fingerprint is the same identifier; a key lookup never returns a cert */
	for (char *p = id; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	assert_int_equal(m2m_credstore_get_info(f->s, id, &info), M2M_OK);
	m2m_credstore_info_free(info);
	assert_int_not_equal(m2m_credstore_lookup_key(f->s, id, M2M_CRED_KINDS_SYMMETRIC, 1200000, &kout), M2M_OK);
	assert_null(kout);
	/* --id must be the fingerprint */
	in.id = "AA00000000000000000000000000000000000000000000000000000000000000";
	assert_int_equal(m2m_credstore_add(f->s, &in, NULL, pem2, NULL), M2M_E_INVAL);
	in.id = id;
	assert_int_equal(m2m_credstore_add(f->s, &in, NULL, pem, NULL), M2M_E_EXISTS);
	free(id);
	free(both);
	free(pem);
	free(pem2);
	m2m_key_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_free_null),
		cmocka_unit_test(test_state_at),
		cmocka_unit_test_setup_teardown(test_add_show_lookup_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psk_identity_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_is_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certificates, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
