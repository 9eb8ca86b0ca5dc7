/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF store's backend-neutral statement API (store/mefstore_sql.h):
 * the per-connection statement cache (by SQL text) and, for each call, SQLite directly or the
 * PostgreSQL backend (store/mefstore_pg.c). Every MEF store procedure (TS-0003 clause 8.3
 * storage) is written once against these calls, so both backends run the same logic.
 */
#include <stdlib.h>
#include <string.h>

#include "store/mefstore_sql.h"
#include "store/sqlite_common.h"

static m2m_err sq(int rc)
{
	m2m_err r = m2mi_sqlite_err(rc, M2M_E_STORE);

	return r != M2M_OK ? r : M2M_E_STORE;
}

static void stmt_free(m2mi_mefs_stmt *s)
{
	if (s == NULL)
		return;
	if (s->q != NULL)
		sqlite3_finalize(s->q);
	else
		m2mi_mefs_pg_free(s);
	free(s);
}

/* A new statement of sql (cached: kept for the connection's life). */
static m2m_err stmt_new(m2m_mefstore *st, const char *sql, bool cached, m2mi_mefs_stmt **out)
{
	m2mi_mefs_stmt *s;
	m2m_err r;

	*out = NULL;
	if (st->pg != NULL)
		return m2mi_mefs_pg_prep(st, sql, cached, out);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return M2M_E_NOMEM;
	s->st = st;
	r = m2mi_sqlite_err(sqlite3_prepare_v3(st->db, sql, -1, cached ? SQLITE_PREPARE_PERSISTENT : 0, &s->q, NULL),
			    M2M_E_STORE);
	if (r == M2M_OK && s->q == NULL)
		r = M2M_E_STORE; /* empty text */
	if (r != M2M_OK) {
		free(s);
		return r;
	}
	*out = s;
	return M2M_OK;
}

/* The statement's own copy of its text (lives as long as s): the cache key. */
static const char *stmt_sql(const m2mi_mefs_stmt *s)
{
	return s->q != NULL ? sqlite3_sql(s->q) : m2mi_mefs_pg_sql(s);
}

m2m_err m2mi_mefs_prep(m2m_mefstore *st, const char *sql, m2mi_mefs_stmt **s)
{
	size_t i, slot = M2MI_MEFS_CACHE;
	m2m_err r;

	*s = NULL;
	/* by content, not by address: a caller may build its SQL in a buffer */
	for (i = 0; i < M2MI_MEFS_CACHE && st->cache[i].s != NULL; i++) {
		if (strcmp(st->cache[i].sql, sql) != 0)
			continue;
		if (st->cache[i].busy)
			break; /* in use further up the stack (nested use of one statement): a fresh one */
		st->cache[i].busy = true;
		*s = st->cache[i].s;
		return M2M_OK;
	}
	if (i < M2MI_MEFS_CACHE && st->cache[i].s == NULL)
		slot = i;
	if ((r = stmt_new(st, sql, slot < M2MI_MEFS_CACHE, s)) != M2M_OK)
		return r;
	if (slot < M2MI_MEFS_CACHE && stmt_sql(*s) != NULL) {
		st->cache[slot].sql = stmt_sql(*s);
		st->cache[slot].s = *s;
		st->cache[slot].busy = true;
	}
	return M2M_OK;
}

void m2mi_mefs_done(m2m_mefstore *st, m2mi_mefs_stmt *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < M2MI_MEFS_CACHE && st->cache[i].s != NULL; i++) {
		if (st->cache[i].s == s) {
			if (s->q != NULL) {
				(void)sqlite3_reset(s->q); /* its error was reported by the step that failed */
				(void)sqlite3_clear_bindings(s->q);
			} else {
				m2mi_mefs_pg_reset(s);
			}
			st->cache[i].busy = false;
			return;
		}
	}
	stmt_free(s);
}

/* Every cached statement of st freed (closing, or the PostgreSQL session was replaced). */
void m2mi_mefs_cache_clear(m2m_mefstore *st)
{
	for (size_t i = 0; i < M2MI_MEFS_CACHE; i++) {
		stmt_free(st->cache[i].s);
		st->cache[i].s = NULL;
		st->cache[i].sql = NULL;
		st->cache[i].busy = false;
	}
}

void m2mi_mefs_bind_text(m2mi_mefs_stmt *s, int i, const char *v)
{
	if (s->q != NULL)
		sqlite3_bind_text(s->q, i, v, -1, SQLITE_STATIC);
	else if (v != NULL)
		m2mi_mefs_pg_bind(s, i, v, strlen(v), false);
}

void m2mi_mefs_bind_int64(m2mi_mefs_stmt *s, int i, int64_t v)
{
	if (s->q != NULL)
		sqlite3_bind_int64(s->q, i, v);
	else
		m2mi_mefs_pg_bind_int64(s, i, v);
}

void m2mi_mefs_bind_blob(m2mi_mefs_stmt *s, int i, const void *v, size_t n)
{
	if (s->q != NULL)
		sqlite3_bind_blob(s->q, i, v, (int)n, SQLITE_STATIC);
	else if (v != NULL)
		m2mi_mefs_pg_bind(s, i, v, n, true);
}

int m2mi_mefs_step(m2mi_mefs_stmt *s)
{
	int rc;

	if (s->q == NULL)
		return m2mi_mefs_pg_step(s);
	rc = sqlite3_step(s->q);
	if (rc == SQLITE_DONE) {
		s->st->changes = sqlite3_changes(s->st->db);
		return M2MI_MEFS_DONE;
	}
	if (rc == SQLITE_ROW)
		return M2MI_MEFS_ROW;
	m2mi_sqlite_note(s->st->db, rc);
	return rc; /* an SQLite error code: never ROW (100) or DONE (101) */
}

const unsigned char *m2mi_mefs_col_text(m2mi_mefs_stmt *s, int col)
{
	return s->q != NULL ? sqlite3_column_text(s->q, col) : m2mi_mefs_pg_text(s, col);
}

int64_t m2mi_mefs_col_int64(m2mi_mefs_stmt *s, int col)
{
	return s->q != NULL ? sqlite3_column_int64(s->q, col) : m2mi_mefs_pg_int64(s, col);
}

const void *m2mi_mefs_col_blob(m2mi_mefs_stmt *s, int col)
{
	return s->q != NULL ? sqlite3_column_blob(s->q, col) : (const void *)m2mi_mefs_pg_text(s, col);
}

size_t m2mi_mefs_col_bytes(m2mi_mefs_stmt *s, int col)
{
	return s->q != NULL ? (size_t)sqlite3_column_bytes(s->q, col) : m2mi_mefs_pg_bytes(s, col);
}

bool m2mi_mefs_col_null(m2mi_mefs_stmt *s, int col)
{
	return s->q != NULL ? sqlite3_column_type(s->q, col) == SQLITE_NULL : m2mi_mefs_pg_null(s, col);
}

int64_t m2mi_mefs_changes(m2m_mefstore *st)
{
	return st->changes;
}

m2m_err m2mi_mefs_ensure(m2m_mefstore *st, const char *sqlite_ddl)
{
	return st->db != NULL ? m2mi_sqlite_exec(st->db, sqlite_ddl, M2M_E_STORE) : M2M_OK;
}

bool m2mi_mefs_no_table(m2m_mefstore *st)
{
	return st->db != NULL && strstr(sqlite3_errmsg(st->db), "no such table") != NULL;
}

m2m_err m2mi_mefs_step_done(m2mi_mefs_stmt *s)
{
	int rc = m2mi_mefs_step(s);

	if (rc == M2MI_MEFS_DONE)
		return M2M_OK;
	if (rc == M2MI_MEFS_ROW)
		return M2M_E_STORE;
	if (s->q == NULL)
		return (m2m_err)rc; /* the PostgreSQL backend's step gives the m2m_err */
	return rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE ? M2M_E_EXISTS : sq(rc);
}

char *m2mi_mefs_dup_col(m2mi_mefs_stmt *s, int col)
{
	const unsigned char *t = m2mi_mefs_col_text(s, col);

	return t != NULL ? strdup((const char *)t) : NULL;
}

m2m_err m2mi_mefs_exec1(m2m_mefstore *st, const char *sql, const char *a, int64_t n)
{
	m2mi_mefs_stmt *s = NULL;
	m2m_err r = m2mi_mefs_prep(st, sql, &s);

	if (r != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, a);
	if (strstr(sql, "?2") != NULL)
		m2mi_mefs_bind_int64(s, 2, n);
	r = m2mi_mefs_step_done(s);
	m2mi_mefs_done(st, s);
	return r;
}
