/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the resource store of the CSE: the oneM2M resource tree
 * (TS-0001 clause 9.6, TS-0004 clause 7.4) kept in one SQLite file. Each resource is one row
 * with the columns the CSE needs to find and authorise it without parsing JSON (resourceID,
 * parentID, resourceType, resourceName, structured CSE-relative path, creator, acpi, labels,
 * creation/last-modified/expiration time, a version and a size) plus the full attribute set as
 * JSON text. One m2m_resstore is one read connection of its own plus a share of the one write
 * connection of the process to the file (used only inside a write transaction, under the file's
 * writer gate): not thread-safe, one per worker thread. Every request runs in one transaction
 * (m2m_resstore_begin .. commit/rollback), so a failing request leaves nothing half-written
 * (TS-0004 clause 7.3.3.5). The file is created with mode 0600 and refused when
 * group/other-accessible (docs/style.md #12).
 */
#ifndef M2MSEC_RESSTORE_H
#define M2MSEC_RESSTORE_H

#include "m2msec/err.h"

typedef struct m2m_resstore m2m_resstore;

/* oneM2M timestamp "YYYYMMDDTHHMMSS" plus NUL. */
#define M2M_RES_TIME_LEN 16
/* Upper bound of rows returned by one listing call. */
#define M2M_RESSTORE_LIST_MAX 100000

/*
 * One stored resource: a documented value type. Strings are heap-allocated and released by
 * m2m_res_clear(). pi is NULL for the <CSEBase>; acpi and lbl are JSON array text or NULL;
 * cr is the creator in absolute form ("//sp/id-in/Cabc") or NULL; body is the JSON object
 * of all attributes (NULL in listings made without bodies).
 */
typedef struct m2m_res {
	char *ri, *pi, *rn, *path, *cr, *acpi, *lbl, *body;
	int ty;
	char ct[M2M_RES_TIME_LEN], lt[M2M_RES_TIME_LEN], et[M2M_RES_TIME_LEN]; /* et "" = none */
	int64_t seq;  /* insertion order, assigned by m2m_resstore_insert */
	int64_t ver;  /* version, bumped by the CSE on every update */
	int64_t size; /* contentSize of a <contentInstance>, else 0 */
} m2m_res;

/* Release the strings of r and zero it; NULL is a no-op. */
M2M_API void m2m_res_clear(m2m_res *r);
/* Release n rows and the array; NULL is a no-op. */
M2M_API void m2m_res_free_list(m2m_res *v, size_t n);

/* Open (creating with mode 0600 if absent) the store at path and prepare its statements.
 * M2M_E_KEY_PERMS for a group/other-accessible or foreign-owned file, M2M_E_RESSTORE_SCHEMA
 * for an unknown schema version. */
M2M_API M2M_WUR m2m_err m2m_resstore_open(const char *path, m2m_resstore **out);

/* Durability of acknowledged writes (config key store-sync, docs/config.md). NORMAL: a commit
 * survives a crash of the process, but an OS crash or power loss may drop the last commits
 * (the database stays consistent); FULL: the WAL is synced on every commit. */
typedef enum m2m_resstore_sync {
	M2M_RESSTORE_SYNC_NORMAL = 0,
	M2M_RESSTORE_SYNC_FULL,
} m2m_resstore_sync;

/* Open options; a zeroed struct (or NULL) gives the defaults of m2m_resstore_open. */
typedef struct m2m_resstore_opts {
	m2m_resstore_sync sync;
} m2m_resstore_opts;

/* m2m_resstore_open with options (opts may be NULL); M2M_E_INVAL for an unknown sync value or one
 * that differs from the other open handles of the process to the same file (they share the
 * write connection). */
M2M_API M2M_WUR m2m_err m2m_resstore_open_opts(const char *path, const m2m_resstore_opts *opts,
						m2m_resstore **out);
M2M_API void m2m_resstore_free(m2m_resstore *s);
/* The durability in effect for writes through s, read back from the write connection (PRAGMA
 * synchronous; waits for the writer gate); M2M_E_RESSTORE when it is neither NORMAL nor FULL,
 * M2M_E_INVAL inside a write transaction. */
M2M_API M2M_WUR m2m_err m2m_resstore_sync_in_effect(m2m_resstore *s, m2m_resstore_sync *out);

/* Start a transaction: write = BEGIN IMMEDIATE, else a read snapshot. A write transaction first
 * waits (first come, first served) for the writer gate that all connections of this process to
 * the file share, and holds it until commit/rollback: do no network I/O inside one. M2M_E_RESSTORE
 * when a transaction is already open on s. */
M2M_API M2M_WUR m2m_err m2m_resstore_begin(m2m_resstore *s, bool write);
M2M_API M2M_WUR m2m_err m2m_resstore_commit(m2m_resstore *s);
/* Roll back the open transaction, if any. */
M2M_API void m2m_resstore_rollback(m2m_resstore *s);
/* Inside an open write transaction (group commit: several requests in one transaction, each
 * all-or-nothing): mark a savepoint, then either release it (keep its changes) or roll back to
 * it (undo them; the transaction stays open). M2M_E_RESSTORE when there is no write
 * transaction or SQLite refuses (then the caller must roll the whole transaction back). */
M2M_API M2M_WUR m2m_err m2m_resstore_savepoint(m2m_resstore *s);
M2M_API M2M_WUR m2m_err m2m_resstore_savepoint_release(m2m_resstore *s);
M2M_API M2M_WUR m2m_err m2m_resstore_savepoint_rollback(m2m_resstore *s);

/* Look a resource up by resourceID / by structured path; M2M_E_NOT_FOUND if absent. *out is
 * overwritten (call m2m_res_clear on it afterwards in every case). */
M2M_API M2M_WUR m2m_err m2m_resstore_get(m2m_resstore *s, const char *ri, m2m_res *out);
M2M_API M2M_WUR m2m_err m2m_resstore_get_path(m2m_resstore *s, const char *path, m2m_res *out);
/* Only the type and version of ri (the ACP cache check); M2M_E_NOT_FOUND if absent. */
M2M_API M2M_WUR m2m_err m2m_resstore_version(m2m_resstore *s, const char *ri, int *ty, int64_t *ver);
/* The same for a resourceID (by_path false) or structured path (true); ri (may be NULL)
 * receives the resourceID (M2M_E_RANGE if it does not fit in cap bytes), et (may be NULL) the
 * expirationTime. */
M2M_API M2M_WUR m2m_err m2m_resstore_ident(m2m_resstore *s, const char *id, bool by_path, int *ty, int64_t *ver,
					    char *ri, size_t cap, char et[M2M_RES_TIME_LEN]);
/* The oldest (newest = false) or newest child of parent pi with type ty. */
M2M_API M2M_WUR m2m_err m2m_resstore_edge(m2m_resstore *s, const char *pi, int ty, bool newest, m2m_res *out);

/* Insert r (r->seq is assigned). M2M_E_EXISTS when the ri, the path or (pi, rn) is taken. */
M2M_API M2M_WUR m2m_err m2m_resstore_insert(m2m_resstore *s, m2m_res *r);
/* Rewrite the mutable columns (acpi, lbl, lt, et, ver, size, body) of r->ri. */
M2M_API M2M_WUR m2m_err m2m_resstore_update(m2m_resstore *s, const m2m_res *r);
/* Delete the resource at path and its whole subtree; *n (may be NULL) = rows deleted. */
M2M_API M2M_WUR m2m_err m2m_resstore_delete(m2m_resstore *s, const char *path, size_t *n);

/*
 * The group member index (TS-0004 clause 7.4.13: a deleted member leaves memberIDs). Replace the
 * index rows of the <group> grp_ri by n (mid entry, resourceID of the local resource it names)
 * pairs; a NULL member_ri[i] (a member not hosted here) is skipped. m2m_resstore_delete drops
 * the rows of every group and member it deletes.
 */
M2M_API M2M_WUR m2m_err m2m_resstore_grp_members_set(m2m_resstore *s, const char *grp_ri, const char *const *mid,
						      const char *const *member_ri, size_t n);
/* One index row: group grp_ri lists a resource as its memberIDs entry mid. */
typedef struct m2m_grp_ref {
	char *grp_ri, *mid;
} m2m_grp_ref;
/* The groups outside the subtree at path (the resource and its descendants) listing a resource
 * inside it, ordered by grp_ri (one query for the whole subtree). *out is NULL when none. */
M2M_API M2M_WUR m2m_err m2m_resstore_grp_refs(m2m_resstore *s, const char *path, m2m_grp_ref **out, size_t *n);
/* Release n refs and the array; NULL is a no-op. */
M2M_API void m2m_grp_refs_free(m2m_grp_ref *v, size_t n);

/* Children of pi (of type ty, 0 = any) in insertion order, with bodies; at most max rows.
 * *out is NULL when there are none. Free with m2m_res_free_list. */
M2M_API M2M_WUR m2m_err m2m_resstore_children(m2m_resstore *s, const char *pi, int ty, size_t max,
					       m2m_res **out, size_t *n);
/* All descendants of the resource at path (not itself) in insertion order, without bodies;
 * at most max rows. */
M2M_API M2M_WUR m2m_err m2m_resstore_descendants(m2m_resstore *s, const char *path, size_t max,
						  m2m_res **out, size_t *n);
/* *found = some child of pi has an expirationTime later than et. */
M2M_API M2M_WUR m2m_err m2m_resstore_child_expires_after(m2m_resstore *s, const char *pi, const char *et,
							  bool *found);

/* A scan callback: r is borrowed (its strings are valid only during the call; never clear it).
 * Return nonzero to stop the scan. The callback may use the store's other functions. */
typedef int (*m2m_resstore_scan_cb)(void *ctx, const m2m_res *r);
/* Visit the descendants of the resource at path (not itself) in path order (a parent before
 * its descendants), skipping the first skip of them, at most max rows, with bodies when
 * with_body. The work is bounded by skip + max index steps (discovery's scan budget).
 * *visited (may be NULL) = rows passed to cb. */
M2M_API M2M_WUR m2m_err m2m_resstore_scan(m2m_resstore *s, const char *path, size_t skip, size_t max,
					   bool with_body, m2m_resstore_scan_cb cb, void *ctx, size_t *visited);

#endif
