/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface shared by store/mefstore_*.c: the MEF store
 * handle and its statement helpers (TS-0003 clause 8.3 storage). Not for services: they use
 * store/mefstore_int.h.
 */
#ifndef M2M_STORE_MEFSTORE_SQL_H
#define M2M_STORE_MEFSTORE_SQL_H

#include <sqlite3.h>

#include "store/mefstore_int.h"

/* Statements kept prepared per connection: a MEF Client Registration runs about ten statements
 * (PSK lookup, classifier, enrolee check, replay check, deletes, insert); compiling each one per
 * request was the largest avoidable CPU cost of an enrolment. */
#define M2MI_MEFS_CACHE 32

struct m2m_mefstore {
	sqlite3 *db;
	bool in_tx;
	struct {
		const char *sql;   /* the statement's text (sqlite3_sql) */
		sqlite3_stmt *s;
		bool busy;         /* handed out and not yet given back */
	} cache[M2MI_MEFS_CACHE];
};

/* A prepared statement for sql, reset with no bindings: the connection's cached one when it is
 * free, else a new one. Give it back with m2mi_mefs_done (never sqlite3_finalize). */
m2m_err m2mi_mefs_prep(m2m_mefstore *st, const char *sql, sqlite3_stmt **s);
/* Give s back (NULL allowed): reset with its bindings cleared (no pointer to a caller's key bytes
 * stays behind) when it is cached, else finalized. */
void m2mi_mefs_done(m2m_mefstore *st, sqlite3_stmt *s);
/* DONE -> M2M_OK; a UNIQUE/PRIMARY KEY violation -> M2M_E_EXISTS; anything else an error. */
m2m_err m2mi_mefs_step_done(sqlite3_stmt *s);
/* Join t[] (or tp[] when not NULL) with newlines into out / split it back. */
m2m_err m2mi_mefs_join(char t[][M2MI_MEF_ID_MAX], char *const *tp, size_t n, char *out, size_t cap);
m2m_err m2mi_mefs_split(const unsigned char *txt, char t[][M2MI_MEF_ID_MAX], size_t *n);
void m2mi_mefs_cpy(char *dst, size_t cap, const unsigned char *src);
/* Run sql with ?1 = a and (if present) ?2 = n; no result rows. */
m2m_err m2mi_mefs_exec1(m2m_mefstore *st, const char *sql, const char *a, int64_t n);
/* A copy of text column col (NULL for SQL NULL or no memory). */
char *m2mi_mefs_dup_col(sqlite3_stmt *s, int col);
/* Canonical AE-ID or CSE-ID (only a CSE-ID when cse_only) of s into out. */
m2m_err m2mi_mefs_canon_id(const char *s, bool cse_only, char *out, size_t cap);
m2m_err m2mi_mefs_enrolee_row(m2m_mefstore *st, const char *client_id, m2m_mef_enrolee **e, m2m_key **kpm);
m2m_err m2mi_mefs_group_member(m2m_mefstore *st, const char *client_id, m2m_mef_enrolee **out, m2m_key **kpm);
m2m_err m2mi_mefs_insert_member(m2m_mefstore *st, const m2m_mef_enrolee *g, const char *state, int64_t now);

#endif
