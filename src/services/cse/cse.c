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
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "m2msec/log.h"
#include "services/cse/cse_int.h"
#include "services/cse/esprim_rx.h"
#include "services/cse/sec_profile.h"

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
	pthread_mutex_init(&cse->pmu, NULL);
	pthread_cond_init(&cse->pcv, NULL);
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
	    (r = m2mi_notify_om_scan(cse, st)) != M2M_OK ||
	    (r = m2mi_notifier_new(&cse->cfg, &cse->notifier)) != M2M_OK ||
	    (r = m2mi_tokens_new(&cse->cfg, &cse->tokens)) != M2M_OK ||
	    (r = m2mi_das_new(&cse->cfg, &cse->das)) != M2M_OK || (r = m2mi_eck_new(&cse->cfg, &cse->eck)) != M2M_OK ||
	    (r = m2mi_fwd_new(&cse->cfg, &cse->fwd)) != M2M_OK ||
	    (cse->cfg.esprim && (r = m2mi_esprim_new(&cse->cfg, &cse->esprim)) != M2M_OK))
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
	m2mi_pool_stop(cse->pool);     /* first: its requests may wait for the writer, DAS, notifier */
	m2mi_writer_stop(cse->writer); /* before the notifier its batches send to */
	m2mi_das_free(cse->das);       /* answers its consultations in flight as failures */
	m2mi_eck_free(cse->eck);
	m2mi_fwd_free(cse->fwd);       /* the same for the forwarded requests */
	m2mi_notifier_free(cse->notifier);
	m2mi_secprof_slot_free(cse->secprof);
	m2mi_netauth_free(cse->netauth);
	m2mi_tokens_free(cse->tokens);
	m2mi_esprim_free(cse->esprim);
	pthread_cond_destroy(&cse->pcv);
	pthread_mutex_destroy(&cse->pmu);
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
	m2m_cse_pending *p, *waiting, *done;

	if (w == NULL)
		return;
	/* Unfinished deferred requests: their owners release them; a verification still in flight
	 * frees its orphan when its last result comes in (notify_verify.c). */
	pthread_mutex_lock(&w->cse->pmu);
	waiting = w->waiting;
	done = w->done;
	w->waiting = w->done = NULL;
	w->wake = NULL;
	for (p = waiting; p != NULL; p = p->next) { /* under pmu: an orphan may go at unlock */
		p->orphan = true;
		if (p->done)
			p->done(p->done_arg, NULL, NULL);
		p->done = NULL;
	}
	pthread_mutex_unlock(&w->cse->pmu);
	while ((p = done) != NULL) {
		done = p->next;
		if (p->done)
			p->done(p->done_arg, NULL, NULL);
		m2mi_pending_free(p);
	}
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
	const m2mi_type *t = m2mi_type_of_request(c->req);
	int rsc;

	if (t == NULL)
		return m2mi_fail(c, M2M_RSC_NOT_IMPLEMENTED, "resource type %d is not supported", c->req->ty);
	if (c->virt)
		return m2mi_fail(c, M2M_RSC_OPERATION_NOT_ALLOWED, "la and ol cannot have children");
	if (t->ty == M2M_TY_AE && (rsc = m2mi_ae_register(c)) != 0)
		return rsc;
	if (t->ty == M2M_TY_CSR) /* authorized by the CSE credential (res_csr.c), no ACP */
		return (rsc = m2mi_csr_register(c)) != 0 ? rsc : m2mi_res_create(c, t);
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
	/* a Registree CSE speaks for its AEs only while registered here (res_csr.c) */
	if (c->orig.via_registree && (rsc = m2mi_csr_vouches(c)) != 0)
		return rsc;
	if (c->virt == 'f') /* <group>/fopt: access and members here, the fan-out after COMMIT */
		return m2mi_fopt_prepare(c);
	m2mi_notify_om(c); /* enc.om: whatever the outcome (notify_om.c) */
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
	json_decref(c->fopt_mid);
	c->fopt_mid = NULL;
	json_decref(c->om_notes);
	c->om_notes = NULL;
}

/* A request of the writer's batch: its own savepoint in the batch transaction, so it is
 * all-or-nothing while the others go on; its notifications wait for the batch COMMIT
 * (m2mi_batch_finish). A savepoint SQLite refuses breaks the whole batch (writer.c). */
static int transact_batched(m2mi_ctx *c)
{
	m2m_err e = m2m_resstore_savepoint(c->st);
	int rsc;

	if (e != M2M_OK) {
		c->w->batch_broken = true;
		return m2mi_store_fail(c, e);
	}
	rsc = process(c);
	e = rsc == 0 ? m2m_resstore_savepoint_release(c->st) : m2m_resstore_savepoint_rollback(c->st);
	if (e != M2M_OK) {
		c->w->batch_broken = true;
		if (rsc == 0)
			rsc = m2mi_store_fail(c, e);
	}
	if (rsc != 0)
		c->w->batch_rolled = true;
	m2mi_notify_om_flush(c);
	return rsc;
}

/* One transaction around process(); the dry run of a subscription always rolls back. */
static int transact(m2mi_ctx *c)
{
	m2m_err e;
	int rsc;

	if (c->batched)
		return transact_batched(c);
	/* the second pass of a direct DA consultation may create the grant's ACP (access_das.c) */
	e = m2m_resstore_begin(c->st, (c->req->op != M2M_OP_RETRIEVE && c->sub_phase != 1) || c->da_body != NULL);
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
	m2mi_notify_om_flush(c);
	return rsc;
}

/* A resourceType value defined by TS-0004 Table 6.3.4.2.1-1 (33 and 10033 are "void"). An
 * undefined value is an invalid Resource Type (4000, TS-0004 7.3.2.1); a defined one this CSE
 * does not implement is NOT_IMPLEMENTED (5001, TS-0004 7.3.3.3). */
static bool ty_defined(int ty)
{
	static const int annc[] = {10001, 10002, 10003, 10004, 10005, 10009, 10010, 10013, 10014, 10016, 10018,
				   10024, 10028, 10029, 10030, 10038, 10039, 10040, 10041, 10042, 10046};

	if (ty >= 1 && ty <= 51)
		return ty != 33;
	for (size_t i = 0; i < sizeof(annc) / sizeof(annc[0]); i++)
		if (annc[i] == ty)
			return true;
	return false;
}

/* The primitive checks of TS-0004 clause 7.3.2.1 that need no store. */
static int check_primitive(m2mi_ctx *c)
{
	const m2m_request *req = c->req;
	const m2m_filter *fc = &req->fc;
	const m2mi_type *t;
	bool any_fc = fc->fu || m2mi_filter_any(fc) || fc->lim >= 0 || fc->lvl >= 0 || fc->ofst >= 0 || fc->fo ||
		      fc->arp;
	json_t *inner;

	/* TS-0004 Table 7.2.1.1-1: Resource Type is M in CREATE and NP (not present) in every other
	 * operation; a primitive that carries it elsewhere is malformed (4000), whatever the binding
	 * it came over (the bindings only map it: HTTP Content-Type ty, CoAP oneM2M-TY, JSON "ty"). */
	if (req->op != M2M_OP_CREATE && req->ty != 0)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "Resource Type is present in CREATE requests only");
	if (req->op == M2M_OP_NOTIFY)
		return m2mi_fail(c, M2M_RSC_NOT_IMPLEMENTED, "NOTIFY to the CSE is not supported");
	if (req->op < M2M_OP_CREATE || req->op > M2M_OP_DELETE)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "unknown operation");
	if (req->op == M2M_OP_CREATE && req->ty <= 0)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "a CREATE needs a resource type");
	if (req->op == M2M_OP_CREATE && !ty_defined(req->ty))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "resource type %d is not defined", req->ty);
	if (req->op == M2M_OP_CREATE && any_fc)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "filter criteria are not allowed in a CREATE");
	if (req->op == M2M_OP_CREATE && (t = m2mi_type_of_request(req)) != NULL &&
	    (!json_is_object(req->pc) || json_object_size(req->pc) != 1 ||
	     !json_is_object(json_object_get(req->pc, t->wrapper))))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "content must be {\"%s\": {...}} for resource type %d",
				 t->wrapper, t->ty); /* Content and Resource Type disagree: a malformed primitive */
	if (req->drt < 0 || req->drt > 2) /* TS-0004 Table 6.3.4.2.8-1 */
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "desiredIdentifierResultType must be 1 or 2");
	if (fc->fu < 0 || fc->fu > 2 || (fc->fu == 1 && req->op != M2M_OP_RETRIEVE))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "invalid filterUsage");
	if (req->op == M2M_OP_UPDATE && (inner = json_object_iter_value(json_object_iter(req->pc))) != NULL &&
	    json_is_object(inner) && json_object_get(inner, "acpi") != NULL && json_object_size(inner) > 1)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "acpi must be the only attribute of its UPDATE");
	return m2mi_rcn_select(c);
}

/* A <subscription> CREATE, or an UPDATE that sets nu (TS-0004 7.4.8.2.3: new targets are
 * verified like at CREATE). */
static bool sub_flow(const m2m_request *req)
{
	json_t *inner;

	if (req->op == M2M_OP_CREATE)
		return req->ty == M2M_TY_SUB;
	if (req->op != M2M_OP_UPDATE || (inner = json_object_get(req->pc, "m2m:sub")) == NULL)
		return false;
	return json_object_get(inner, "nu") != NULL;
}

static int dispatch(m2mi_ctx *c)
{
	int rsc;

	/* TS-0004 7.4.4.2.1: CSE registration checks the credential (4107) and From (4005) first. */
	if (m2mi_csr_create_request(c->req) && (rsc = m2mi_csr_precheck(c)) != 0)
		return rsc;
	if ((rsc = m2m_originator_check(&c->cse->octx, c->sa, c->req, &c->rq_authn, &c->orig, c->msg,
					sizeof(c->msg))) != 0)
		return rsc;
	if (c->orig.absolute[0] != '\0') {
		c->has_orig = true;
		snprintf(c->from, sizeof(c->from), "%s", c->req->fr);
	}
	c->admin = is_admin(c);
	/* TS-0004 Recv-6.1 / 7.3.2.8: a transit CSE forwards (forward.c) — ESPrim and ESCertKE NOTIFYs
	 * included, opaque to it; the host checks the rest */
	if ((rsc = m2mi_forward(c)) != 0)
		return rsc;
	/* an outer ESPrim NOTIFY (TS-0004 7.6.2) or an ESCertKE message (7.5.1.2.12): esprim_rx.c */
	if (m2mi_seci_request(c->req))
		return m2mi_seci_dispatch(c);
	if ((rsc = check_primitive(c)) != 0)
		return rsc;
	if (!sub_flow(c->req))
		return (rsc = transact(c)) != 0 || c->fopt_mid == NULL ? rsc : m2mi_fopt_run(c);
	/* <subscription> CREATE or nu UPDATE: a dry run (read-only, rolled back) that performs
	 * every check and yields the targets to verify, the verification requests (asynchronous:
	 * notify_verify.c), then the real operation in its own transaction (sub_phase 2, also
	 * entered directly when the results are in) — no store lock is held while a receiver
	 * answers, and every check runs again on the state of that moment. */
	if (c->sub_phase == 0) {
		if (c->req->op == M2M_OP_CREATE &&
		    (rsc = m2mi_new_ri(c, m2mi_type_sub.prefix, c->pre_ri, sizeof(c->pre_ri))) != 0)
			return rsc;
		c->sub_phase = 1;
		if ((rsc = transact(c)) != 0 && rsc != M2MI_DRY_RUN_DONE)
			return rsc;
		reset_target(c);
		if ((rsc = m2mi_verify_start(c, c->pre_ri)) != 0)
			return rsc;
		if (c->req->op != M2M_OP_CREATE)
			c->pre_ri[0] = '\0';
	}
	c->sub_phase = 2;
	return transact(c);
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void ctx_init(m2mi_ctx *c, m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req, m2m_response *rsp,
		     int64_t now)
{
	memset(c, 0, sizeof(*c));
	c->cse = w->cse;
	c->cfg = &w->cse->cfg;
	c->w = w;
	c->st = w->store;
	c->sa = sa;
	c->req = req;
	c->rsp = rsp;
	c->now = now;
	if (now != w->clock || w->clock_s[0] == '\0') {
		m2mi_time_fmt(now, w->clock_s);
		w->clock = now;
	}
	memcpy(c->now_s, w->clock_s, sizeof(c->now_s));
}

static void ctx_finish(m2mi_ctx *c, int rsc)
{
	m2m_response *rsp = c->rsp;

	if (rsc != M2MI_PENDING && (rsc != 0 || rsp->rsc == 0))
		m2m_response_error(rsp, rsc ? rsc : M2M_RSC_INTERNAL_SERVER_ERROR, "%s",
				   c->msg[0] ? c->msg : m2m_rsc_name(rsc ? rsc : M2M_RSC_INTERNAL_SERVER_ERROR));
	if (rsc == M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE && c->tqf != NULL) {
		/* TS-0009 clause 6.5: the Token Request Information replaces any debugging information */
		json_decref(rsp->pc);
		rsp->pc = c->tqf;
		c->tqf = NULL;
	}
	json_decref(c->tqf);
	c->tqf = NULL;
	free(c->da_body);
	c->da_body = NULL;
	free(c->da_url);
	free(c->da_req);
	c->da_url = c->da_req = NULL;
	m2mi_tokens_release(c);
	reset_target(c);
	json_decref(c->verify_nu);
	c->verify_nu = NULL;
}

/* Reset rsp and copy rqi/rvi; false (rsp answered) without a worker or request. */
static bool rsp_start(m2m_cse_worker *w, m2m_request *req, m2m_response *rsp)
{
	json_decref(rsp->pc);
	rsp->pc = NULL;
	free(rsp->location);
	rsp->location = NULL;
	free(rsp->location_s);
	rsp->location_s = NULL;
	rsp->rsc = 0;
	if (w == NULL || req == NULL) {
		m2m_response_error(rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "no request");
		return false;
	}
	free(rsp->rqi);
	free(rsp->rvi);
	rsp->rqi = dup_or_null(req->rqi);
	rsp->rvi = dup_or_null(req->rvi);
	return true;
}

/* The second half of a verified request: the results of p are in. NULL with rsp answered, or
 * the pending request of an ESPrim inner request that the second pass of an outer NOTIFY (after
 * its key fetch) deferred: req and rsp are then still the caller's (the outer NOTIFY). */
static m2m_cse_pending *finish_pending(m2m_cse_worker *w, m2m_cse_pending *p, const m2m_sa *sa, m2m_request *req,
				       m2m_response *rsp, int64_t now)
{
	m2mi_ctx c;
	int rsc;

	if (p->fwd) { /* forwarded: the next hop's answer, relayed (forward.c) */
		m2mi_fwd_answer(p, rsp);
		return NULL;
	}
	ctx_init(&c, w, sa, req, rsp, now);
	c.sync_wait = p->sync; /* waited for in place: its second pass too */
	if (p->da) { /* direct DA answered (or failed): decide again with it, once (access_das.c) */
		c.da_done = true;
		c.da_body = p->da_body;
		p->da_body = NULL;
		snprintf(c.da_trid, sizeof(c.da_trid), "%s", p->da_trid);
		rsc = dispatch(&c);
	} else if (p->failed) {
		rsc = m2mi_fail(&c, M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
				p->denied ? "a notification target is refused by the destination policy"
					  : "the verification of a notification target failed");
	} else {
		c.sub_phase = 2; /* TS-0004 7.5.1.2.3 done: the real CREATE/UPDATE */
		if (req->op == M2M_OP_CREATE)
			snprintf(c.pre_ri, sizeof(c.pre_ri), "%s", p->sur);
		rsc = dispatch(&c);
	}
	ctx_finish(&c, rsc);
	return rsc == M2MI_PENDING && c.pending != NULL && c.pending->esp != NULL ? c.pending : NULL;
}

/* The outer NOTIFY of p (its req and rsp) now waits in q, the pending inner request its second
 * pass deferred: q answers it to p's owner; p goes (loop thread, p on no list). */
static void pending_relay(m2m_cse_pending *p, m2m_cse_pending *q)
{
	m2mi_esp_defer_adopt(q->esp, &p->req, &p->rsp);
	m2mi_pool_relay(p, q); /* a store thread's request follows q (store_pool.c) */
	pthread_mutex_lock(&p->cse->pmu);
	q->done = p->done;
	q->done_arg = p->done_arg;
	p->done = NULL;
	pthread_mutex_unlock(&p->cse->pmu);
	m2mi_pending_free(p);
}

/* CREATE/UPDATE/DELETE go to the writer thread once it runs, except the <subscription> flow
 * (its verification is its own deferral) and <group>/fopt (member requests in their own
 * transactions): both stay on the loop and take the writer gate as before. */
static bool writer_takes(const m2m_cse_worker *w, const m2m_request *req)
{
	return w->cse->writer != NULL && w->wake != NULL &&
	       (req->op == M2M_OP_CREATE || req->op == M2M_OP_UPDATE || req->op == M2M_OP_DELETE) &&
	       !sub_flow(req) && (req->to == NULL || strstr(req->to, "fopt") == NULL) &&
	       !m2mi_fwd_elsewhere(w->cse, req->to); /* forwarded from the loop (forward.c) */
}

int m2mi_batch_run(m2m_cse_worker *w, m2m_cse_pending *p, m2mi_ctx *c)
{
	ctx_init(c, w, p->has_sa ? &p->sa : NULL, &p->req, &p->rsp, p->now);
	c->batched = true;
	if (p->da) { /* the second pass after a DAS consultation (access_das.c): its answer, once */
		p->da = false;
		c->da_done = true;
		c->da_body = p->da_body;
		p->da_body = NULL;
		snprintf(c->da_trid, sizeof(c->da_trid), "%s", p->da_trid);
	}
	return dispatch(c);
}

bool m2mi_batch_finish(m2mi_ctx *c, m2m_cse_pending *p, int rsc, m2m_err commit)
{
	bool deferred;
	char *url, *body;

	if (rsc == 0 && commit != M2M_OK) { /* its changes were rolled back with the batch */
		(void)rsp_start(c->w, c->req, c->rsp);
		rsc = m2mi_store_fail(c, commit);
	}
	if (rsc == 0)
		m2mi_notify_flush(c);
	/* denied with a consultation noted: nothing was written (its savepoint rolled back); the
	 * DAS is asked now, outside the batch, and the request runs again with the answer */
	url = c->da_url;
	body = c->da_req;
	c->da_url = c->da_req = NULL;
	ctx_finish(c, rsc); /* p->rsp is final before the answer can hand p to its loop */
	deferred = rsc == M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE && url != NULL && body != NULL && p != NULL &&
		   m2mi_das_defer(c, p, url, body);
	free(url);
	free(body);
	return deferred;
}

static m2m_cse_pending *handle(m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req, m2m_response *rsp,
			       int64_t now, bool sync)
{
	m2m_cse_pending *p;
	m2mi_ctx c;
	int rsc;

	if (rsp == NULL || !rsp_start(w, req, rsp))
		return NULL;
	if (!sync && writer_takes(w, req))
		return m2mi_writer_take(w, sa, req, rsp, now);
	if (!sync && m2mi_pool_takes(w, req)) /* PostgreSQL: the store threads (store_pool.c) */
		return m2mi_pool_take(w, sa, req, rsp, now);
	ctx_init(&c, w, sa, req, rsp, now);
	c.sync_wait = sync;
	rsc = dispatch(&c);
	ctx_finish(&c, rsc);
	if (rsc != M2MI_PENDING)
		return NULL;
	p = c.pending;
	if (sync) {
		m2mi_verify_wait(w->cse, p);
		(void)finish_pending(w, p, sa, req, rsp, now); /* p->sync: never deferred again */
		m2mi_pending_free(p);
		return NULL;
	}
	/* Asynchronous: p owns the request from here (the association too: the connection may
	 * close before the answer). An ESPrim inner request went pending: p holds the inner
	 * request, the outer NOTIFY waits in p->esp (esprim_rx.c). */
	if (p->esp != NULL) {
		m2mi_esp_defer_adopt(p->esp, req, rsp);
		return p;
	}
	if (sa != NULL) {
		p->sa = *sa;
		p->has_sa = true;
	}
	p->req = *req;
	m2m_request_init(req);
	p->rsp = *rsp;
	m2m_response_init(rsp);
	return p;
}

m2m_cse_pending *m2mi_pool_handle(m2m_cse_worker *w, m2m_cse_pending *p)
{
	return handle(w, p->has_sa ? &p->sa : NULL, &p->req, &p->rsp, p->now, w->wake == NULL);
}

m2m_cse_pending *m2mi_cse_inner(m2mi_ctx *outer, const m2m_sa *sa, m2m_request *req, m2m_response *rsp,
				bool may_defer)
{
	/* deferred like any request of this loop (verification, DAS, writer, forwarding): the
	 * loop never waits for a notification target on behalf of an ESPrim Originator */
	return handle(outer->w, sa, req, rsp, outer->now, outer->sync_wait || !may_defer);
}

void m2m_cse_set_esprim_keys(m2m_cse *cse, m2m_cse_key_fn fn, void *ctx)
{
	cse->esp_keys = fn;
	cse->esp_keys_ctx = ctx;
}

void m2m_cse_handle(m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req, m2m_response *rsp, int64_t now)
{
	(void)handle(w, sa, req, rsp, now, true);
}

m2m_cse_pending *m2m_cse_handle_async(m2m_cse_worker *w, const m2m_sa *sa, m2m_request *req, m2m_response *rsp,
				      int64_t now)
{
	return handle(w, sa, req, rsp, now, w == NULL || w->wake == NULL);
}

void m2m_cse_worker_set_wake(m2m_cse_worker *w, m2m_cse_wake_fn wake, void *arg)
{
	pthread_mutex_lock(&w->cse->pmu);
	w->wake = wake;
	w->wake_arg = arg;
	pthread_mutex_unlock(&w->cse->pmu);
}

void m2m_cse_pending_on_done(m2m_cse_pending *p, m2m_cse_done_fn done, void *arg)
{
	pthread_mutex_lock(&p->cse->pmu);
	p->done = done;
	p->done_arg = arg;
	pthread_mutex_unlock(&p->cse->pmu);
}

void m2m_cse_worker_complete(m2m_cse_worker *w, int64_t now)
{
	m2m_cse_pending *p, *q, *list;

	pthread_mutex_lock(&w->cse->pmu);
	list = w->done;
	w->done = NULL;
	w->wake_pending = false;
	pthread_mutex_unlock(&w->cse->pmu);
	while ((p = list) != NULL) {
		list = p->next;
		p->next = NULL;
		if (p->via_writer && p->da && !p->answered && rsp_start(w, &p->req, &p->rsp)) {
			/* a write's DAS answer is in: its second pass on the writer (access_das.c) */
			if (p->da_counted)
				m2mi_wait_give(w->cse, p->orig);
			p->da_counted = false;
			if (m2mi_writer_resubmit(w, p))
				continue;
			free(p->da_body);
			p->da_body = NULL;
			m2m_response_error(&p->rsp, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
					   "the originator has no privilege (the store's write queue is full)");
			p->answered = true;
		}
		if (!p->answered && rsp_start(w, &p->req, &p->rsp) &&
		    (q = finish_pending(w, p, p->has_sa ? &p->sa : NULL, &p->req, &p->rsp, now)) != NULL) {
			pending_relay(p, q); /* answered when q is */
			continue;
		}
		if (p->esp != NULL) /* an ESPrim inner answer: sealed into its outer NOTIFY's */
			m2mi_esp_defer_finish(p);
		if (p->done)
			p->done(p->done_arg, &p->req, &p->rsp);
		m2mi_pending_free(p);
	}
}
