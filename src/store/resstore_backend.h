/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal contract between the backend-independent resource store
 * (store/resstore.c: argument checks, the choice of backend by the `store` URI, the helpers on
 * m2m_res values) and one storage backend of the oneM2M resource tree (TS-0001 clause 9.6,
 * TS-0004 clause 7.4): store/resstore_sqlite.c (a file) and store/resstore_pg.c (PostgreSQL).
 * resstore.c has checked every pointer argument before a backend sees it, zeroed the outputs and
 * clamped listing sizes to M2M_RESSTORE_LIST_MAX. Every backend gives the guarantees the public
 * header documents: one transaction per request, all or nothing (TS-0004 clause 7.3.3.5),
 * M2M_E_EXISTS for a taken ri, path or (pi, rn), a failing statement leaving nothing written
 * once the caller rolls back.
 */
#ifndef M2M_STORE_RESSTORE_BACKEND_H
#define M2M_STORE_RESSTORE_BACKEND_H

#include "m2msec/resstore.h"

typedef struct m2mi_resstore_ops {
	const char *name;
	m2m_err (*open)(const char *location, const m2m_resstore_opts *opts, void **be);
	void (*close)(void *be);
	m2m_err (*sync_in_effect)(void *be, m2m_resstore_sync *out);
	m2m_err (*begin)(void *be, bool write);
	m2m_err (*commit)(void *be);
	void (*rollback)(void *be);
	m2m_err (*savepoint)(void *be);
	m2m_err (*savepoint_release)(void *be);
	m2m_err (*savepoint_rollback)(void *be);
	m2m_err (*get)(void *be, const char *key, bool by_path, m2m_res *out);
	m2m_err (*ident)(void *be, const char *id, bool by_path, int *ty, int64_t *ver, char *ri, size_t cap,
			 char et[M2M_RES_TIME_LEN]);
	m2m_err (*edge)(void *be, const char *pi, int ty, bool newest, m2m_res *out);
	m2m_err (*insert)(void *be, m2m_res *r);
	m2m_err (*update)(void *be, const m2m_res *r);
	m2m_err (*remove)(void *be, const char *path, size_t *n);
	m2m_err (*grp_members_set)(void *be, const char *grp_ri, const char *const *mid,
				   const char *const *member_ri, size_t n);
	m2m_err (*grp_refs)(void *be, const char *path, m2m_grp_ref **out, size_t *n);
	m2m_err (*children)(void *be, const char *pi, int ty, size_t max, m2m_res **out, size_t *n);
	m2m_err (*descendants)(void *be, const char *path, size_t max, m2m_res **out, size_t *n);
	m2m_err (*child_expires_after)(void *be, const char *pi, const char *et, bool *found);
	m2m_err (*scan)(void *be, const char *path, size_t skip, size_t max, bool with_body, m2m_resstore_scan_cb cb,
			void *ctx, size_t *visited);
} m2mi_resstore_ops;

extern const m2mi_resstore_ops m2mi_resstore_sqlite_ops;
extern const m2mi_resstore_ops m2mi_resstore_pg_ops;

#endif
