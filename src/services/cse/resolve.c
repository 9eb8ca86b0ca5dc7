/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the resolution of the To parameter and of other resource identifiers
 * on the Hosting CSE (TS-0004 clauses 7.3.2.8 and 7.3.3.1, TS-0001 clause 9.3.1): the
 * CSE-relative structured ("cse-in/ae1/cnt1") and unstructured ("cnt5x...") forms, the
 * SP-relative ("/id-in/...") and absolute ("//sp.example.com/id-in/...") forms of the same, the
 * "-" shorthand for the <CSEBase> name, and the virtual children <latest> ("la") and <oldest>
 * ("ol") of a <container> (TS-0004 clauses 7.4.27/7.4.28), and the <fanOutPoint> ("fopt") of
 * a <group> (TS-0004 clause 7.4.14, handed to fanout.c). A resource whose expirationTime has
 * passed no longer exists (NOT_FOUND). Identifiers of other CSEs or SPs are not forwarded: this
 * is an IN-CSE, so they are NOT_FOUND (TS-0004 clause 7.3.2.6).
 */
#include <stdio.h>
#include <string.h>

#include "services/cse/cse_int.h"

bool m2mi_expired(const m2mi_ctx *c, const m2m_res *r)
{
	return r->et[0] != '\0' && strcmp(r->et, c->now_s) <= 0;
}

bool m2mi_cse_relative(const m2mi_ctx *c, const char *id, char *buf, size_t cap)
{
	const char *p = id;
	size_t n;

	if (p[0] == '/' && p[1] == '/') { /* absolute: our SP-ID, then SP-relative */
		n = strlen(c->cfg->sp_id);
		if (strncmp(p, c->cfg->sp_id, n) != 0 || p[n] != '/') /* public: identifiers */
			return false;
		p += n;
	}
	if (p[0] == '/') { /* SP-relative: our CSE-ID, then CSE-relative */
		n = strlen(c->cfg->cse_id);
		if (strncmp(p, c->cfg->cse_id, n) != 0 || (p[n] != '/' && p[n] != '\0')) /* public */
			return false;
		p += n;
		if (*p == '\0') /* "/id-in" is the <CSEBase> */
			p = c->cfg->name;
		else
			p++;
	}
	if (p[0] == '-' && (p[1] == '/' || p[1] == '\0')) { /* "-/ae1": the CSEBase name */
		int k = snprintf(buf, cap, "%s%s", c->cfg->name, p + 1);
		return k > 0 && (size_t)k < cap;
	}
	n = strlen(p);
	if (n == 0 || n >= cap || p[n - 1] == '/')
		return false;
	memcpy(buf, p, n + 1);
	return true;
}

m2m_err m2mi_lookup(m2mi_ctx *c, const char *id, m2m_res *out)
{
	char rel[1024];
	m2m_err e;

	memset(out, 0, sizeof(*out));
	if (id == NULL || !m2mi_cse_relative(c, id, rel, sizeof(rel)))
		return M2M_E_NOT_FOUND;
	if (strchr(rel, '/') != NULL) {
		e = m2m_resstore_get_path(c->st, rel, out);
	} else {
		e = m2m_resstore_get(c->st, rel, out);
		/* The <CSEBase> by its name: the only path without a '/' (its ri is that name too, so
		 * this second query runs only for a store whose CSEBase ri differs) */
		if (e == M2M_E_NOT_FOUND && strcmp(rel, c->cfg->name) == 0) {
			m2m_res_clear(out);
			e = m2m_resstore_get_path(c->st, rel, out);
		}
	}
	if (e == M2M_OK && m2mi_expired(c, out))
		e = M2M_E_NOT_FOUND;
	if (e != M2M_OK)
		m2m_res_clear(out);
	return e;
}

/* la / ol under a container: the newest / oldest contentInstance. */
static int resolve_virtual(m2mi_ctx *c, const char *to, char which)
{
	char parent[1024];
	size_t n = strlen(to) - 3;
	m2m_err e;

	if (n >= sizeof(parent))
		return m2mi_fail(c, M2M_RSC_NOT_FOUND, "target resource does not exist");
	memcpy(parent, to, n);
	parent[n] = '\0';
	e = m2mi_lookup(c, parent, &c->holder.row);
	if (e != M2M_OK || c->holder.row.ty != M2M_TY_CNT) {
		m2mi_node_clear(&c->holder);
		return e == M2M_OK || e == M2M_E_NOT_FOUND ? m2mi_fail(c, M2M_RSC_NOT_FOUND, "target resource does not exist")
							    : m2mi_store_fail(c, e);
	}
	c->holder_loaded = true;
	e = m2m_resstore_edge(c->st, c->holder.row.ri, M2M_TY_CIN, which == 'l', &c->tgt.row);
	if (e == M2M_OK && m2mi_expired(c, &c->tgt.row))
		e = M2M_E_NOT_FOUND;
	if (e != M2M_OK) {
		m2m_res_clear(&c->tgt.row);
		return e == M2M_E_NOT_FOUND ? m2mi_fail(c, M2M_RSC_NOT_FOUND, "the container has no content instance")
					    : m2mi_store_fail(c, e);
	}
	c->virt = which;
	return 0;
}

int m2mi_resolve_target(m2mi_ctx *c)
{
	const char *to = c->req->to;
	size_t n;
	m2m_err e;
	int rsc;

	if (to == NULL || to[0] == '\0')
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "the To parameter is required");
	if (strstr(to, "/fopt") != NULL && (rsc = m2mi_fopt_resolve(c, to)) >= 0)
		return rsc; /* "<group>/fopt[/...]": the group's fanOutPoint (fanout.c) */
	e = m2mi_lookup(c, to, &c->tgt.row);
	if (e == M2M_OK)
		return 0;
	if (e != M2M_E_NOT_FOUND)
		return m2mi_store_fail(c, e);
	n = strlen(to);
	if (n > 3 && to[n - 3] == '/' && (strcmp(to + n - 2, "la") == 0 || strcmp(to + n - 2, "ol") == 0))
		return resolve_virtual(c, to, to[n - 2]);
	return m2mi_fail(c, M2M_RSC_NOT_FOUND, "target resource does not exist");
}

m2mi_node *m2mi_holder(m2mi_ctx *c)
{
	m2m_err e;

	if (c->holder_loaded)
		return &c->holder;
	if (c->tgt.row.pi == NULL)
		return NULL;
	if ((e = m2m_resstore_get(c->st, c->tgt.row.pi, &c->holder.row)) != M2M_OK) {
		m2m_res_clear(&c->holder.row);
		return NULL;
	}
	c->holder_loaded = true;
	return &c->holder;
}
