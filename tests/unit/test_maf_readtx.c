/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MAF's read-only requests (services/maf/maf.c begin,
 * m2m_credstore_begin_read / m2m_credstore_lookup_read): a Key Retrieval (TS-0003 clause
 * 8.8.2.8) and a Configuration Retrieval (clause 8.8.2.5) succeed while another connection to
 * the store file holds the write lock (BEGIN IMMEDIATE left open), and write nothing (the Kc's
 * last use stays unrecorded, the WAL does not grow); inside a read transaction every write of
 * the credential store is refused with M2M_E_INVAL and leaves the store as it was.
 */
#include <sqlite3.h>
#include <sys/stat.h>

#include "maf_fixture.h"

/* Another connection holding the store's write lock until lock_release. */
static sqlite3 *lock_take(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void lock_release(sqlite3 *db)
{
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static long long wal_size(const char *path)
{
	char wal[160];
	struct stat sb;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	return stat(wal, &sb) == 0 ? (long long)sb.st_size : -1;
}

static int64_t last_used(const char *path, const char *id)
{
	m2m_credstore *st = NULL;
	m2m_cred_info *info = NULL;
	int64_t v;

	assert_int_equal(m2m_credstore_open(path, &st), M2M_OK);
	assert_int_equal(m2m_credstore_get_info(st, id, &info), M2M_OK);
	v = info->last_used;
	m2m_credstore_info_free(info);
	m2m_credstore_close(st);
	return v;
}

static void test_retrievals_beside_a_writer(void **state)
{
	mx *f = mx_new();
	m2m_maf_assoc *a = mx_km(f, MX_KMID_A, 0x42), *t = mx_cert(f, MX_CSE_ABS, M2M_ENTITY_CSE);
	char regpath[96], keypath[96];
	json_t *pc = NULL;
	long long wal;
	sqlite3 *lock;

	(void)state;
	snprintf(regpath, sizeof(regpath), "mafClientReg/%s", mx_register(f, a));
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", MX_KR("32", "[\"/cse-in\"]", ""), &pc), 2001);
	snprintf(keypath, sizeof(keypath), "mafKeyReg/%s", mx_str(pc, "sec:mafKeyReg", "relKeyID"));
	json_decref(pc);
	pc = NULL;

	lock = lock_take(f->path);
	wal = wal_size(f->path);
	assert_true(wal >= 0);
	/* Key Retrieval by the listed target: before, BEGIN IMMEDIATE waited for the lock (5000) */
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, keypath, NULL, &pc), 2000);
	assert_string_equal(f->last_proc, "key-retrieval");
	assert_string_equal(f->last_outcome, "ok");
	assert_non_null(mx_str(pc, "sec:mafKeyReg", "keyValue"));
	json_decref(pc);
	pc = NULL;
	/* the source's retrieval and its Configuration Retrieval, and refusals, all read only */
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, keypath, NULL, NULL), 2000);
	assert_int_equal(mx_run(f, a, M2M_OP_RETRIEVE, regpath, NULL, &pc), 2000);
	assert_string_equal(f->last_proc, "client-config-retrieval");
	assert_non_null(json_object_get(pc, "sec:mafClientReg"));
	json_decref(pc);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, "mafKeyReg/00000000000000000000000000000000", NULL, NULL), 4004);
	assert_int_equal(mx_run_at(f, t, M2M_OP_RETRIEVE, keypath, NULL, NULL, MX_NOW + 86401), 4103);
	assert_int_equal(mx_run(f, t, M2M_OP_RETRIEVE, "mafKeyReg", NULL, NULL), 4005);
	/* nothing was written: the WAL did not grow */
	assert_int_equal(wal_size(f->path), wal);
	lock_release(lock);
	/* and the Kc's last use is not recorded by a retrieval (docs/credstore.md) */
	{
		char kid[160];

		snprintf(kid, sizeof(kid), "%s@%s", keypath + strlen("mafKeyReg/"), MX_FQDN);
		assert_int_equal(last_used(f->path, kid), 0);
	}
	/* writes still take the write lock and work once it is free */
	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg",
				MX_KR("34", "[\"/cse-in\"]", ",\"keyValue\":\"" MX_KEYVAL "\""), NULL), 2001);
	m2m_maf_assoc_free(a);
	m2m_maf_assoc_free(t);
	mx_free(f);
}

static void test_credstore_read_tx(void **state)
{
	mx *f = mx_new();
	m2m_credstore *st = NULL;
	m2m_cred_info *info = NULL, ci = {.kind = M2M_CRED_KIND_KM, .id = "new@maf.example.com", .owner = "Cnew"};
	m2m_key *k = NULL, *nk = NULL;
	uint8_t kb[32] = {7};
	sqlite3 *lock;

	(void)state;
	assert_int_equal(m2m_credstore_open(f->path, &st), M2M_OK);
	assert_int_equal(m2m_key_new(kb, sizeof(kb), &nk), M2M_OK);
	lock = lock_take(f->path);
	assert_int_equal(m2m_credstore_begin_read(st), M2M_OK);
	assert_int_equal(m2m_credstore_begin_read(st), M2M_E_INVAL); /* no nesting */
	assert_int_equal(m2m_credstore_lookup_read(st, MX_KMID_A, M2M_CRED_KIND_KM, MX_NOW, &k, &info), M2M_OK);
	assert_string_equal(m2m_key_id(k), MX_KMID_A);
	assert_int_equal(info->last_used, 0);
	m2m_key_free(k);
	m2m_credstore_info_free(info);
	/* every write is refused inside the read transaction, a recording lookup included */
	assert_int_equal(m2m_credstore_lookup_key(st, MX_KMID_A, M2M_CRED_KIND_KM, MX_NOW, &k), M2M_E_INVAL);
	assert_null(k);
	assert_int_equal(m2m_credstore_add(st, &ci, nk, NULL, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_revoke(st, MX_KMID_B, MX_NOW), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_delete(st, MX_KMID_B), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_update(st, MX_KMID_B, M2M_CRED_SET_ATTRS, &ci), M2M_E_INVAL);
	assert_int_equal(m2m_credstore_end(st, M2M_OK), M2M_OK);
	lock_release(lock);
	/* the store is as it was */
	assert_int_equal(m2m_credstore_get_info(st, "new@maf.example.com", &info), M2M_E_NOT_FOUND);
	assert_int_equal(m2m_credstore_get_info(st, MX_KMID_B, &info), M2M_OK);
	assert_int_equal(info->state, M2M_CRED_STATE_ACTIVE);
	assert_int_equal(info->last_used, 0);
	m2m_credstore_info_free(info);
	/* after end, writes work again, and the recording lookup records */
	assert_int_equal(m2m_credstore_lookup_key(st, MX_KMID_A, M2M_CRED_KIND_KM, MX_NOW, &k), M2M_OK);
	m2m_key_free(k);
	assert_int_equal(last_used(f->path, MX_KMID_A), MX_NOW);
	m2m_key_free(nk);
	m2m_credstore_close(st);
	mx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retrievals_beside_a_writer),
		cmocka_unit_test(test_credstore_read_tx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
