/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface shared by store/mefstore_*.c: the MEF store
 * handle and the backend-neutral statement API every MEF store procedure is written against
 * once (TS-0003 clause 8.3 storage). Two backends implement it: SQLite (store/mefstore_sqlite.c,
 * a file path) and PostgreSQL (store/mefstore_pg.c, a postgresql:// URI). SQL text uses ?N
 * placeholders and the dialect both engines share (ON CONFLICT ... DO NOTHING / DO UPDATE, no
 * INSERT OR, no engine-only functions). Not for services: they use store/mefstore_int.h.
 */
#ifndef M2M_STORE_MEFSTORE_SQL_H
#define M2M_STORE_MEFSTORE_SQL_H

#include <sqlite3.h>

#include "store/mefstore_int.h"

/* Statements kept prepared per connection: a MEF Client Registration runs about ten statements
 * (PSK lookup, classifier, enrolee check, replay check, deletes, insert); compiling each one per
 * request was the largest avoidable CPU cost of an enrolment. */
#define M2MI_MEFS_CACHE 32
/* The most ?N parameters of one statement (the registration insert has 16). */
#define M2MI_MEFS_PARAMS 20

typedef struct m2mi_mefs_pg m2mi_mefs_pg;   /* store/mefstore_pg.c */
typedef struct m2mi_mefs_pgq m2mi_mefs_pgq; /* store/mefstore_pg.c: a statement's PostgreSQL state */

/* One statement of either backend. */
typedef struct m2mi_mefs_stmt {
	m2m_mefstore *st;
	sqlite3_stmt *q;  /* SQLite */
	m2mi_mefs_pgq *p; /* PostgreSQL */
} m2mi_mefs_stmt;

struct m2m_mefstore {
	sqlite3 *db;      /* SQLite backend, else NULL */
	m2mi_mefs_pg *pg; /* PostgreSQL backend, else NULL */
	bool in_tx;
	int64_t changes;  /* rows changed by the last statement that finished */
	struct {
		const char *sql;     /* the statement's text */
		m2mi_mefs_stmt *s;
		bool busy;           /* handed out and not yet given back */
	} cache[M2MI_MEFS_CACHE];
};

/* What m2mi_mefs_step returns besides an error. */
#define M2MI_MEFS_ROW 100
#define M2MI_MEFS_DONE 101

/* A prepared statement for sql, with no bindings: the connection's cached one when it is free,
 * else a new one. Give it back with m2mi_mefs_done. */
m2m_err m2mi_mefs_prep(m2m_mefstore *st, const char *sql, m2mi_mefs_stmt **s);
/* Give s back (NULL allowed): reset with its bindings cleared (no pointer to a caller's key bytes
 * stays behind) when it is cached, else freed. */
void m2mi_mefs_done(m2m_mefstore *st, m2mi_mefs_stmt *s);
/* Bindings (i from 1). Text and blob bytes are not copied: they must live until the step. */
void m2mi_mefs_bind_text(m2mi_mefs_stmt *s, int i, const char *v);
void m2mi_mefs_bind_int64(m2mi_mefs_stmt *s, int i, int64_t v);
void m2mi_mefs_bind_blob(m2mi_mefs_stmt *s, int i, const void *v, size_t n);
/* The next row: M2MI_MEFS_ROW, M2MI_MEFS_DONE, or (an error) any other value. The first step
 * runs the statement. */
int m2mi_mefs_step(m2mi_mefs_stmt *s);
/* Columns of the current row (from 0): text is NULL for SQL NULL; int64 is 0 for NULL. */
const unsigned char *m2mi_mefs_col_text(m2mi_mefs_stmt *s, int col);
int64_t m2mi_mefs_col_int64(m2mi_mefs_stmt *s, int col);
const void *m2mi_mefs_col_blob(m2mi_mefs_stmt *s, int col);
size_t m2mi_mefs_col_bytes(m2mi_mefs_stmt *s, int col);
bool m2mi_mefs_col_null(m2mi_mefs_stmt *s, int col);
/* Every cached statement of st freed (closing, or a new PostgreSQL session). */
void m2mi_mefs_cache_clear(m2m_mefstore *st);
/* Rows changed by the last INSERT/UPDATE/DELETE of st. */
int64_t m2mi_mefs_changes(m2m_mefstore *st);
/* A table created on first use (CREATE TABLE IF NOT EXISTS, SQLite text): run on SQLite; on
 * PostgreSQL every table is in the versioned schema already, so nothing. */
m2m_err m2mi_mefs_ensure(m2m_mefstore *st, const char *sqlite_ddl);
/* The last prep failed because a table created on first use is not there yet (SQLite only). */
bool m2mi_mefs_no_table(m2m_mefstore *st);

/* DONE -> M2M_OK; a UNIQUE/PRIMARY KEY violation -> M2M_E_EXISTS; anything else an error. */
m2m_err m2mi_mefs_step_done(m2mi_mefs_stmt *s);
/* Join t[] (or tp[] when not NULL) with newlines into out / split it back. */
m2m_err m2mi_mefs_join(char t[][M2MI_MEF_ID_MAX], char *const *tp, size_t n, char *out, size_t cap);
m2m_err m2mi_mefs_split(const unsigned char *txt, char t[][M2MI_MEF_ID_MAX], size_t *n);
void m2mi_mefs_cpy(char *dst, size_t cap, const unsigned char *src);
/* Run sql with ?1 = a and (if the text has ?2) ?2 = n; no result rows. */
m2m_err m2mi_mefs_exec1(m2m_mefstore *st, const char *sql, const char *a, int64_t n);
/* A copy of text column col (NULL for SQL NULL or no memory). */
char *m2mi_mefs_dup_col(m2mi_mefs_stmt *s, int col);
/* Canonical AE-ID or CSE-ID (only a CSE-ID when cse_only) of s into out. */
m2m_err m2mi_mefs_canon_id(const char *s, bool cse_only, char *out, size_t cap);
m2m_err m2mi_mefs_enrolee_row(m2m_mefstore *st, const char *client_id, m2m_mef_enrolee **e, m2m_key **kpm);
m2m_err m2mi_mefs_group_member(m2m_mefstore *st, const char *client_id, m2m_mef_enrolee **out, m2m_key **kpm);
m2m_err m2mi_mefs_insert_member(m2m_mefstore *st, const m2m_mef_enrolee *g, const char *state, int64_t now);

/* ---- the PostgreSQL backend (store/mefstore_pg.c), called by the neutral functions --------- */
m2m_err m2mi_mefs_pg_open(const char *uri, bool create, bool sync_full, m2m_mefstore *st);
void m2mi_mefs_pg_close(m2m_mefstore *st);
/* The synchronous_commit in effect on the session: true "on", false "off"; else an error. */
m2m_err m2mi_mefs_pg_sync_full(m2m_mefstore *st, bool *full);
m2m_err m2mi_mefs_pg_tx(m2m_mefstore *st, int what); /* 0 BEGIN (write), 1 BEGIN read, 2 COMMIT, 3 ROLLBACK */
m2m_err m2mi_mefs_pg_prep(m2m_mefstore *st, const char *sql, bool cached, m2mi_mefs_stmt **s);
void m2mi_mefs_pg_free(m2mi_mefs_stmt *s);
const char *m2mi_mefs_pg_sql(const m2mi_mefs_stmt *s); /* the text as given to prep */
void m2mi_mefs_pg_reset(m2mi_mefs_stmt *s);
void m2mi_mefs_pg_bind(m2mi_mefs_stmt *s, int i, const void *v, size_t n, bool bin);
void m2mi_mefs_pg_bind_int64(m2mi_mefs_stmt *s, int i, int64_t v);
int m2mi_mefs_pg_step(m2mi_mefs_stmt *s);
const unsigned char *m2mi_mefs_pg_text(m2mi_mefs_stmt *s, int col);
int64_t m2mi_mefs_pg_int64(m2mi_mefs_stmt *s, int col);
size_t m2mi_mefs_pg_bytes(m2mi_mefs_stmt *s, int col);
bool m2mi_mefs_pg_null(m2mi_mefs_stmt *s, int col);

#endif
