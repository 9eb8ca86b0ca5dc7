/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the backend-independent half of the resource store (m2msec/resstore.h):
 * the choice of backend by the `store` location — a plain path or "sqlite:PATH" for
 * store/resstore_sqlite.c, "postgresql://..." / "postgres://..." for store/resstore_pg.c — the
 * argument checks every backend relies on (store/resstore_backend.h), and the helpers on m2m_res
 * values. The oneM2M resource tree (TS-0001 clause 9.6, TS-0004 clause 7.4) is stored by the
 * backend; nothing here touches storage.
 */
#include <stdlib.h>
#include <string.h>

#include "m2msec/resstore.h"
#include "store/resstore_backend.h"

#define STORE_MAGIC 0x6d327273u /* "m2rs" */

struct m2m_resstore {
	uint32_t magic;
	const m2mi_resstore_ops *ops;
	void *be;
};

static bool ok(const m2m_resstore *s)
{
	return s != NULL && s->magic == STORE_MAGIC && s->ops != NULL;
}

void m2m_res_clear(m2m_res *r)
{
	if (r == NULL)
		return;
	free(r->ri);
	free(r->pi);
	free(r->rn);
	free(r->path);
	free(r->cr);
	free(r->acpi);
	free(r->lbl);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

void m2m_res_free_list(m2m_res *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		m2m_res_clear(&v[i]);
	free(v);
}

void m2m_grp_refs_free(m2m_grp_ref *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].grp_ri);
		free(v[i].mid);
	}
	free(v);
}

m2m_err m2m_resstore_open(const char *path, m2m_resstore **out)
{
	return m2m_resstore_open_opts(path, NULL, out);
}

m2m_err m2m_resstore_open_opts(const char *path, const m2m_resstore_opts *opts, m2m_resstore **out)
{
	const m2mi_resstore_ops *ops = &m2mi_resstore_sqlite_ops;
	const char *loc = path;
	m2m_resstore *s;
	m2m_err r;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL)
		return M2M_E_INVAL;
	if (opts != NULL && opts->sync != M2M_RESSTORE_SYNC_NORMAL && opts->sync != M2M_RESSTORE_SYNC_FULL)
		return M2M_E_INVAL;
	if (strncmp(path, "sqlite:", 7) == 0)
		loc = path + 7;
	else if (strncmp(path, "postgresql://", 13) == 0 || strncmp(path, "postgres://", 11) == 0)
		ops = &m2mi_resstore_pg_ops; /* libpq takes the URI as it is */
	if (*loc == '\0')
		return M2M_E_INVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return M2M_E_NOMEM;
	if ((r = ops->open(loc, opts, &s->be)) != M2M_OK) {
		free(s);
		return r;
	}
	s->magic = STORE_MAGIC;
	s->ops = ops;
	*out = s;
	return M2M_OK;
}

void m2m_resstore_free(m2m_resstore *s)
{
	if (!ok(s))
		return;
	s->ops->close(s->be);
	s->magic = 0;
	free(s);
}

m2m_err m2m_resstore_sync_in_effect(m2m_resstore *s, m2m_resstore_sync *out)
{
	return ok(s) && out != NULL ? s->ops->sync_in_effect(s->be, out) : M2M_E_INVAL;
}

m2m_err m2m_resstore_begin(m2m_resstore *s, bool write)
{
	return ok(s) ? s->ops->begin(s->be, write) : M2M_E_INVAL;
}

m2m_err m2m_resstore_commit(m2m_resstore *s)
{
	return ok(s) ? s->ops->commit(s->be) : M2M_E_INVAL;
}

void m2m_resstore_rollback(m2m_resstore *s)
{
	if (ok(s))
		s->ops->rollback(s->be);
}

m2m_err m2m_resstore_savepoint(m2m_resstore *s)
{
	return ok(s) ? s->ops->savepoint(s->be) : M2M_E_RESSTORE;
}

m2m_err m2m_resstore_savepoint_release(m2m_resstore *s)
{
	return ok(s) ? s->ops->savepoint_release(s->be) : M2M_E_RESSTORE;
}

m2m_err m2m_resstore_savepoint_rollback(m2m_resstore *s)
{
	return ok(s) ? s->ops->savepoint_rollback(s->be) : M2M_E_RESSTORE;
}

static m2m_err get_by(m2m_resstore *s, const char *key, bool by_path, m2m_res *out)
{
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (!ok(s) || key == NULL || out == NULL)
		return M2M_E_INVAL;
	return s->ops->get(s->be, key, by_path, out);
}

m2m_err m2m_resstore_get(m2m_resstore *s, const char *ri, m2m_res *out)
{
	return get_by(s, ri, false, out);
}

m2m_err m2m_resstore_get_path(m2m_resstore *s, const char *path, m2m_res *out)
{
	return get_by(s, path, true, out);
}

m2m_err m2m_resstore_version(m2m_resstore *s, const char *ri, int *ty, int64_t *ver)
{
	return m2m_resstore_ident(s, ri, false, ty, ver, NULL, 0, NULL);
}

m2m_err m2m_resstore_ident(m2m_resstore *s, const char *id, bool by_path, int *ty, int64_t *ver, char *ri,
			   size_t cap, char et[M2M_RES_TIME_LEN])
{
	if (!ok(s) || id == NULL || ty == NULL || ver == NULL)
		return M2M_E_INVAL;
	return s->ops->ident(s->be, id, by_path, ty, ver, ri, cap, et);
}

m2m_err m2m_resstore_edge(m2m_resstore *s, const char *pi, int ty, bool newest, m2m_res *out)
{
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (!ok(s) || pi == NULL || out == NULL)
		return M2M_E_INVAL;
	return s->ops->edge(s->be, pi, ty, newest, out);
}

m2m_err m2m_resstore_insert(m2m_resstore *s, m2m_res *r)
{
	if (!ok(s) || r == NULL || r->ri == NULL || r->rn == NULL || r->path == NULL || r->body == NULL)
		return M2M_E_INVAL;
	return s->ops->insert(s->be, r);
}

m2m_err m2m_resstore_update(m2m_resstore *s, const m2m_res *r)
{
	if (!ok(s) || r == NULL || r->ri == NULL || r->body == NULL)
		return M2M_E_INVAL;
	return s->ops->update(s->be, r);
}

m2m_err m2m_resstore_delete(m2m_resstore *s, const char *path, size_t *n)
{
	if (n != NULL)
		*n = 0;
	if (!ok(s) || path == NULL)
		return M2M_E_INVAL;
	return s->ops->remove(s->be, path, n);
}

m2m_err m2m_resstore_grp_members_set(m2m_resstore *s, const char *grp_ri, const char *const *mid,
				     const char *const *member_ri, size_t n)
{
	if (!ok(s) || grp_ri == NULL || (n > 0 && (mid == NULL || member_ri == NULL)))
		return M2M_E_INVAL;
	return s->ops->grp_members_set(s->be, grp_ri, mid, member_ri, n);
}

m2m_err m2m_resstore_grp_refs(m2m_resstore *s, const char *path, m2m_grp_ref **out, size_t *n)
{
	if (out != NULL)
		*out = NULL;
	if (n != NULL)
		*n = 0;
	if (!ok(s) || path == NULL || out == NULL || n == NULL)
		return M2M_E_INVAL;
	return s->ops->grp_refs(s->be, path, out, n);
}

m2m_err m2m_resstore_children(m2m_resstore *s, const char *pi, int ty, size_t max, m2m_res **out, size_t *n)
{
	if (out != NULL)
		*out = NULL;
	if (n != NULL)
		*n = 0;
	if (!ok(s) || pi == NULL || out == NULL || n == NULL)
		return M2M_E_INVAL;
	return s->ops->children(s->be, pi, ty, max > M2M_RESSTORE_LIST_MAX ? M2M_RESSTORE_LIST_MAX : max, out, n);
}

m2m_err m2m_resstore_descendants(m2m_resstore *s, const char *path, size_t max, m2m_res **out, size_t *n)
{
	if (out != NULL)
		*out = NULL;
	if (n != NULL)
		*n = 0;
	if (!ok(s) || path == NULL || out == NULL || n == NULL)
		return M2M_E_INVAL;
	return s->ops->descendants(s->be, path, max > M2M_RESSTORE_LIST_MAX ? M2M_RESSTORE_LIST_MAX : max, out, n);
}

m2m_err m2m_resstore_child_expires_after(m2m_resstore *s, const char *pi, const char *et, bool *found)
{
	if (!ok(s) || pi == NULL || et == NULL || found == NULL)
		return M2M_E_INVAL;
	*found = false;
	return s->ops->child_expires_after(s->be, pi, et, found);
}

m2m_err m2m_resstore_scan(m2m_resstore *s, const char *path, size_t skip, size_t max, bool with_body,
			  m2m_resstore_scan_cb cb, void *ctx, size_t *visited)
{
	if (visited != NULL)
		*visited = 0;
	if (!ok(s) || path == NULL || cb == NULL || skip > INT64_MAX || max > INT64_MAX)
		return M2M_E_INVAL;
	return s->ops->scan(s->be, path, skip, max, with_body, cb, ctx, visited);
}
