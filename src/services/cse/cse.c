/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the request dispatch of the secure CSE (m2msec/cse.h), following the
 * Hosting CSE procedure of TS-0004 clauses 7.3.2-7.3.3 with the security steps of TS-0003
 * clause 7.1:
 *   1. the originator rules of TS-0004 clause 7.3.2.1 (m2m_originator_check: 4000/4106/4107,
 *      rq_authn); the primitive checks (ty, filter criteria, rcn);
 *   2. outside any security association, a From naming no registered AE is 4106; an <AE>
 *      CREATE applies the registration rules (res_ae.c);
 *   3. the To parameter is resolved (resolve.c), 4004 if absent;
 *   4. the access decision (access.c): the admin originator has full access only when the
 *      association is bound to it (or, with dev-admin-over-plain-http, on the plain-HTTP
 *      listener), otherwise ACP evaluation, 4103 on deny;
 *   5. the resource procedure validates and applies everything in one store transaction,
 *      committed only on success; notifications are queued after the commit.
 * A <subscription> CREATE runs the pipeline twice: a dry run (read-only, rolled back) that
 * performs every check and yields the notification URIs, the verification requests outside
 * any transaction, then the real CREATE — so no store lock is held while a receiver answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "m2msec/log.h"
#include "services/cse/cse_int.h"

/* The resource store's open options from the configuration (store-sync). */
static const m2m_resstore_opts *store_opts(const m2m_cse_config *cfg)
{
	static const m2m_resstore_opts normal = {.sync = M2M_RESSTORE_SYNC_NORMAL};
	static const m2m_resstore_opts full = {.sync = M2M_RESSTORE_SYNC_FULL};

	return cfg->store_sync_full ? &full : &normal;
}

/* The durability the operator asked for must be the one in effect, or the CSE does not start. */
static m2m_err store_sync_check(const m2m_cse_config *cfg, m2m_resstore *st)
{
	m2m_resstore_sync got;
	m2m_err r = m2m_resstore_sync_in_effect(st, &got);

	if (r == M2M_OK && got != store_opts(cfg)->sync)
		r = M2M_E_RESSTORE;
	if (r == M2M_OK)
		m2m_log(M2M_LOG_INFO, "resource store: store-sync = %s (in effect)",
			got == M2M_RESSTORE_SYNC_FULL ? "full" : "normal");
	return r;
}

m2m_err m2m_cse_new(const m2m_cse_config *cfg, m2m_cse **out)
{
	m2m_resstore *st = NULL;
	m2m_cse *cse = NULL;
	m2m_err r = M2M_E_INVAL;

	if (out != NULL)
		*out = NULL;
	if (cfg == NULL || out == NULL)
		goto out;
	r = M2M_E_NOMEM;
	if ((cse = calloc(1, sizeof(*cse))) == NULL)
		goto out;
	cse->cfg = *cfg;
	cse->octx.cse_id = cse->cfg.cse_id;
	cse->octx.sp_id = cse->cfg.sp_id;
	r = M2M_E_CONFIG;
	if (!m2mi_rn_ok(cse->cfg.name) || cse->cfg.cse_id[0] != '/' ||
	    m2m_originator_forms(&cse->octx, cse->cfg.admin_originator, &cse->admin) != M2M_OK ||
	    cse->admin.is_cse || cse->admin.cse_relative[0] == '\0')
		goto out;
	if ((r = m2m_resstore_open_opts(cse->cfg.store, store_opts(&cse->cfg), &st)) != M2M_OK ||
	    (r = store_sync_check(&cse->cfg, st)) != M2M_OK ||
	    (r = m2mi_csebase_bootstrap(cse, st, (int64_t)time(NULL))) != M2M_OK ||
	    (r = m2mi_notifier_new(&cse->cfg, &cse->notifier)) != M2M_OK)
		goto out;
	*out = cse;
	cse = NULL;
out:
	m2m_resstore_free(st);
	m2m_cse_free(cse);
	return r;
}

void m2m_cse_free(m2m_cse *cse)
{
	if (cse == NULL)
		return;
	m2mi_notifier_free(cse->notifier);
	free(cse);
}

m2m_err m2m_cse_worker_new(m2m_cse *cse, m2m_cse_worker **out)
{
	m2m_cse_worker *w = NULL;
	m2m_err r = M2M_E_INVAL;

	if (out != NULL)
		*out = NULL;
	if (cse == NULL || out == NULL)
		goto out;
	r = M2M_E_NOMEM;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		goto out;
	w->cse = cse;
	if ((r = m2m_resstore_open_opts(cse->cfg.store, store_opts(&cse->cfg), &w->store)) != M2M_OK ||
	    (r = m2m_acp_cache_new(M2MI_ACP_CACHE, &w->acps)) != M2M_OK)
		goto out;
	*out = w;
	w = NULL;
out:
	m2m_cse_worker_free(w);
	return r;
}

void m2m_cse_worker_free(m2m_cse_worker *w)
{
	if (w == NULL)
		return;
	m2m_resstore_free(w->store);
	m2m_acp_cache_free(w->acps);
	m2mi_parsed_clear(w);
	free(w);
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static bool is_admin(const m2mi_ctx *c)
{
	m2m_origin_forms b;

	if (!c->has_orig || strcmp(c->orig.absolute, c->cse->admin.absolute) != 0) /* public: IDs */
		return false;
	if (c->sa == NULL || c->sa->kind == M2M_SA_NONE)
		return c->cfg->admin_plain_http;
	return m2m_originator_forms(&c->cse->octx, c->sa->bound_id, &b) == M2M_OK &&
	       strcmp(b.absolute, c->cse->admin.absolute) == 0; /* public: IDs */
}

static bool ae_create(const m2m_request *req)
{
	return req->op == M2M_OP_CREATE && req->ty == M2M_TY_AE;
}

/* TS-0004 7.3.2.1: outside an association, an AE-ID From must be a registered AE. */
static int check_registered(m2mi_ctx *c)
{
	m2m_res r = {0};
	m2m_err e;

	if ((c->sa != NULL && c->sa->kind != M2M_SA_NONE) || c->admin || !c->has_orig || c->orig.is_cse ||
	    ae_create(c->req))
		return 0;
	e = c->orig.cse_relative[0] ? m2m_resstore_get(c->st, c->orig.cse_relative, &r) : M2M_E_NOT_FOUND;
	if (e == M2M_OK && (r.ty != M2M_TY_AE || m2mi_expired(c, &r)))
		e = M2M_E_NOT_FOUND;
	m2m_res_clear(&r);
	if (e == M2M_E_NOT_FOUND)
		return m2mi_fail(c, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, "From names no registered AE");
	return e == M2M_OK ? 0 : m2mi_store_fail(c, e);
}

static int do_create(m2mi_ctx *c)
{
	const m2mi_type *t = m2mi_type_find(c->req->ty);
	int rsc;

	if (t == NULL)
		return m2mi_fail(c, M2M_RSC_NOT_IMPLEMENTED, "resource type %d is not supported", c->req->ty);
	if (c->virt)
		return m2mi_fail(c, M2M_RSC_OPERATION_NOT_ALLOWED, "la and ol cannot have children");
	if (t->ty == M2M_TY_AE && (rsc = m2mi_ae_register(c)) != 0)
		return rsc;
	if ((rsc = m2mi_access_target(c, M2M_ACP_OP_CREATE, t->ty)) != 0)
		return rsc;
	if (t->ty == M2M_TY_SUB && (rsc = m2mi_access_target(c, M2M_ACP_OP_RETRIEVE, 0)) != 0)
		return rsc; /* TS-0004 7.4.8.2.1: RETRIEVE privilege on the subscribed-to resource */
	return m2mi_res_create(c, t);
}

static int do_retrieve(m2mi_ctx *c)
{
	int rsc;

	if (c->req->fc.fu == 1)
		return m2mi_discover(c);
	if ((rsc = m2mi_access_target(c, M2M_ACP_OP_RETRIEVE, 0)) != 0)
		return rsc;
	if (c->tgt.row.ty == M2M_TY_CIN && (rsc = m2mi_cin_accessible(c)) != 0)
		return rsc;
	if (c->req->fc.fu == 2 && c->rcn == 1 && !m2mi_filter_match(&c->req->fc, &c->tgt.row))
		return m2mi_fail(c, M2M_RSC_NOT_FOUND, "the target does not match the filter criteria");
	if ((rsc = m2mi_content(c, &c->tgt, M2M_OP_RETRIEVE)) != 0)
		return rsc;
	c->rsp->rsc = M2M_RSC_OK;
	return 0;
}

static bool acpi_only(const m2m_request *req)
{
	json_t *inner = json_object_iter_value(json_object_iter(req->pc));
	return json_is_object(inner) && json_object_size(inner) == 1 && json_object_get(inner, "acpi") != NULL;
}

static int do_update(m2mi_ctx *c)
{
	const m2mi_type *t = m2mi_type_find(c->tgt.row.ty);
	int rsc;

	if (c->virt || c->tgt.row.ty == M2M_TY_CIN)
		return m2mi_fail(c, M2M_RSC_OPERATION_NOT_ALLOWED, "a contentInstance cannot be updated");
	if (t != NULL && (t->flags & M2MI_F_ACPI) && acpi_only(c->req))
		rsc = m2mi_access_acpi_update(c);
	else
		rsc = m2mi_access_target(c, M2M_ACP_OP_UPDATE, 0);
	return rsc != 0 ? rsc : m2mi_res_update(c);
}

static int process(m2mi_ctx *c)
{
	int rsc;

	if ((rsc = check_registered(c)) != 0 || (rsc = m2mi_resolve_target(c)) != 0)
		return rsc;
	switch (c->req->op) {
	case M2M_OP_CREATE: return do_create(c);
	case M2M_OP_RETRIEVE: return do_retrieve(c);
	case M2M_OP_UPDATE: return do_update(c);
	default:
		if ((rsc = m2mi_access_target(c, M2M_ACP_OP_DELETE, 0)) != 0)
			return rsc;
		return m2mi_res_delete(c);
	}
}

static void reset_target(m2mi_ctx *c)
{
	m2mi_node_clear(&c->tgt);
	m2mi_node_clear(&c->holder);
	c->holder_loaded = false;
	c->virt = 0;
	json_decref(c->notes);
	c->notes = NULL;
}

/* One transaction around process(); the dry run of a subscription always rolls back. */
static int transact(m2mi_ctx *c)
{
	m2m_err e = m2m_resstore_begin(c->st, c->req->op != M2M_OP_RETRIEVE && c->sub_phase != 1);
	int rsc;

	if (e != M2M_OK)
		return m2mi_store_fail(c, e);
	rsc = process(c);
	if (rsc == 0 && c->sub_phase != 1) {
		if ((e = m2m_resstore_commit(c->st)) != M2M_OK)
			rsc = m2mi_store_fail(c, e);
		else
			m2mi_notify_flush(c);
	} else {
		m2m_resstore_rollback(c->st);
	}
	return rsc;
}

/* The primitive checks of TS-0004 clause 7.3.2.1 that need no store. */
static int check_primitive(m2mi_ctx *c)
{
	const m2m_request *req = c->req;
	const m2m_filter *fc = &req->fc;
	const m2mi_type *t;
	bool any_fc = fc->fu || fc->nty || fc->nlbl || fc->rn || fc->cra || fc->crb || fc->lim >= 0 ||
		      fc->lvl >= 0 || fc->ofst >= 0;
	json_t *inner;

	if (req->op == M2M_OP_NOTIFY)
		return m2mi_fail(c, M2M_RSC_NOT_IMPLEMENTED, "NOTIFY to the CSE is not supported");
	if (req->op < M2M_OP_CREATE || req->op > M2M_OP_DELETE)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "unknown operation");
	if (req->op == M2M_OP_CREATE && req->ty <= 0)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "a CREATE needs a resource type");
	if (req->op == M2M_OP_CREATE && any_fc)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "filter criteria are not allowed in a CREATE");
	if (req->op == M2M_OP_CREATE && (t = m2mi_type_find(req->ty)) != NULL &&
	    (!json_is_object(req->pc) || json_object_size(req->pc) != 1 ||
	     !json_is_object(json_object_get(req->pc, t->wrapper))))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "content must be {\"%s\": {...}} for resource type %d",
				 t->wrapper, t->ty); /* Content and Resource Type disagree: a malformed primitive */
	if (fc->fu < 0 || fc->fu > 2 || (fc->fu == 1 && req->op != M2M_OP_RETRIEVE))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "invalid filterUsage");
	if (req->op == M2M_OP_UPDATE && (inner = json_object_iter_value(json_object_iter(req->pc))) != NULL &&
	    json_is_object(inner) && json_object_get(inner, "acpi") != NULL && json_object_size(inner) > 1)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "acpi must be the only attribute of its UPDATE");
	return m2mi_rcn_select(c);
}

static int dispatch(m2mi_ctx *c)
{
	int rsc;

	if ((rsc = m2m_originator_check(&c->cse->octx, c->sa, c->req, &c->rq_authn, &c->orig, c->msg,
					sizeof(c->msg))) != 0)
		return rsc;
	if (c->orig.absolute[0] != '\0') {
		c->has_orig = true;
		snprintf(c->from, sizeof(c->from), "%s", c->req->fr);
	}
	c->admin = is_admin(c);
	if ((rsc = check_primitive(c)) != 0)
		return rsc;
	if (!(c->req->op == M2M_OP_CREATE && c->req->ty == M2M_TY_SUB))
		return transact(c);
	/* <subscription>: dry run, verification outside any transaction, then the CREATE. */
	if ((rsc = m2mi_new_ri(c, m2mi_type_sub.prefix, c->pre_ri, sizeof(c->pre_ri))) != 0)
		return rsc;
	c->sub_phase = 1;
	if ((rsc = transact(c)) != 0)
		return rsc;
	reset_target(c);
	if ((rsc = m2mi_notify_verify(c, c->verify_nu, c->pre_ri)) != 0)
		return rsc;
	c->sub_phase = 2;
	return transact(c);
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

void m2m_cse_handle(m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req, m2m_response *rsp, int64_t now)
{
	m2mi_ctx c;
	int rsc;

	if (rsp == NULL)
		return;
	json_decref(rsp->pc);
	rsp->pc = NULL;
	free(rsp->location);
	rsp->location = NULL;
	rsp->rsc = 0;
	if (w == NULL || req == NULL) {
		m2m_response_error(rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "no request");
		return;
	}
	free(rsp->rqi);
	free(rsp->rvi);
	rsp->rqi = dup_or_null(req->rqi);
	rsp->rvi = dup_or_null(req->rvi);
	memset(&c, 0, sizeof(c));
	c.cse = w->cse;
	c.cfg = &w->cse->cfg;
	c.w = w;
	c.st = w->store;
	c.sa = sa;
	c.req = req;
	c.rsp = rsp;
	c.now = now;
	if (now != w->clock || w->clock_s[0] == '\0') {
		m2mi_time_fmt(now, w->clock_s);
		w->clock = now;
	}
	memcpy(c.now_s, w->clock_s, sizeof(c.now_s));
	rsc = dispatch(&c);
	if (rsc != 0 || rsp->rsc == 0)
		m2m_response_error(rsp, rsc ? rsc : M2M_RSC_INTERNAL_SERVER_ERROR, "%s",
				   c.msg[0] ? c.msg : m2m_rsc_name(rsc ? rsc : M2M_RSC_INTERNAL_SERVER_ERROR));
	reset_target(&c);
	json_decref(c.verify_nu);
}
