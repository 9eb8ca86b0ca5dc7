/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the Hosting CSE's side of DIRECT dynamic authorization (TS-0003 clause
 * 7.3.2.2, TS-0004 §7.5.1.2.10, TS-0001 §11.5.2; docs/procedures/das.md "Direct dynamic
 * authorization at the CSE"). When the ACPs, the request's tokens and every earlier dynamic grant
 * deny, and the target (or, per this CSE's system policy, its parent) links an enabled
 * <dynamicAuthorizationConsultation> through daci, the CSE NOTIFYs the DAS of its first https://
 * dap entry with seci sit 1 dreq over the mutually authenticated association (das-ca/das-cert/
 * das-key: a remote/ outbound loop of its own, bounded, each exchange with the das-timeout
 * deadline). The request waits as an m2m_cse_pending (notify_verify.c) without blocking its
 * loop. When the answer (or the failure) is in, the request is dispatched again with it: a
 * verified sit 2 answer creates the child <accessControlPolicy> (pv = grantedPrivileges, et =
 * privilegesLifetime, pvs only this CSE, marked as a dynamic grant) and the decision runs again.
 * Anything else — no answer in time, garbage, sit other than 2, a token that does not verify for
 * THIS originator and THIS CSE, a grant naming someone else or another resource — denies (4103).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "m2msec/das.h"
#include "m2msec/log.h"
#include "remote/remote_link.h"
#include "services/cse/cse_int.h"

#define DAS_JOBS 64          /* consultations queued or in flight at once (beyond: deny at once) */
#define DYN_LABEL "m2msec:dynAuth" /* the label of a child ACP made from a DAS answer */
#define DYN_SCAN 32          /* child ACPs of a target examined per decision */
#define DAS_MAX_GRANT (366LL * 86400) /* a privilegesLifetime further away is refused */

struct m2mi_das {
	m2mi_remote_link *link;
	char origin[2 * M2M_CFG_STR]; /* this CSE's Absolute CSE-ID: From of the consultation */
};

m2m_err m2mi_das_new(const m2m_cse_config *cfg, m2mi_das **out)
{
	m2mi_das *d;
	m2m_err r;

	*out = NULL;
	if (cfg->das_ca[0] == '\0')
		return M2M_OK; /* no association: direct DA is off */
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return M2M_E_NOMEM;
	snprintf(d->origin, sizeof(d->origin), "%s%s", cfg->sp_id, cfg->cse_id);
	{
		/* url: the link's base is unused (every consultation names its own dap URL) */
		m2mi_remote_link_cfg lc = {"https://das.invalid", cfg->das_ca, cfg->das_cert, cfg->das_key, NULL,
					   d->origin, cfg->das_timeout_ms, DAS_JOBS, NULL, NULL, NULL};
		if ((r = m2mi_remote_link_new(&lc, &d->link)) != M2M_OK) {
			m2m_log(M2M_LOG_ERROR, "das-ca/das-cert/das-key: the DAS association cannot start: %s",
				m2m_strerror(r));
			free(d);
			return r;
		}
	}
	*out = d;
	return M2M_OK;
}

void m2mi_das_free(m2mi_das *d)
{
	if (d == NULL)
		return;
	m2mi_remote_link_free(d->link); /* answers what it holds (as failures) */
	free(d);
}

/* ---- the dynamic grants: child ACPs a DAS answer created ------------------------------------ */

static bool is_dynamic(const m2mi_ctx *c, const m2m_res *a)
{
	return a->ty == M2M_TY_ACP && a->cr != NULL && strcmp(a->cr, c->cse->das->origin) == 0 && a->lbl != NULL &&
	       strstr(a->lbl, "\"" DYN_LABEL "\"") != NULL;
}

bool m2mi_das_permit(m2mi_ctx *c, const m2m_res *r, unsigned op, int child_ty)
{
	m2m_res *v = NULL;
	size_t n = 0, k = 0;
	const m2m_res *acps[DYN_SCAN];
	bool ok;

	if (c->cse->das == NULL || c->as_subscriber || !c->has_orig)
		return false;
	if (m2m_resstore_children(c->st, r->ri, M2M_TY_ACP, DYN_SCAN, &v, &n) != M2M_OK)
		return false;
	for (size_t i = 0; i < n; i++)
		if (is_dynamic(c, &v[i]) && !m2mi_expired(c, &v[i]))
			acps[k++] = &v[i];
	ok = k > 0 && m2mi_access_with(c, acps, k, r, op, child_ty);
	m2m_res_free_list(v, n);
	return ok;
}

/* ---- the consultation ----------------------------------------------------------------------- */

/* The first enabled <dynamicAuthorizationConsultation> of the daci array: its first https dap
 * entry in url, its dal (0 = none) in *dal. */
static bool dac_of(m2mi_ctx *c, json_t *daci, char *url, size_t cap, int64_t *dal)
{
	size_t i, j;
	json_t *e, *u;

	json_array_foreach(daci, i, e) {
		m2mi_node d = {0};
		bool found = false;
		if (json_string_value(e) == NULL || m2mi_lookup(c, json_string_value(e), &d.row) != M2M_OK ||
		    d.row.ty != M2MI_TY_DAC || m2mi_node_attrs(c, &d) != 0 || !json_is_true(json_object_get(d.attr, "dae"))) {
			m2mi_node_clear(&d);
			continue; /* TS-0004 7.5.1.2.10: dae false or unusable: not this one */
		}
		json_array_foreach(json_object_get(d.attr, "dap"), j, u) {
			const char *s = json_string_value(u);
			if (s != NULL && strncmp(s, "https://", 8) == 0 && snprintf(url, cap, "%s", s) < (int)cap) {
				found = true;
				break;
			}
		}
		*dal = 0;
		if (found && json_string_value(json_object_get(d.attr, "dal")) != NULL)
			(void)m2mi_time_parse(json_string_value(json_object_get(d.attr, "dal")), dal);
		m2mi_node_clear(&d);
		if (found)
			return true;
	}
	return false;
}

/* The consultation for r: its own daci, else (m2msec's system policy, TS-0004 7.5.1.2.10) the
 * daci of its parent. */
static bool find_dac(m2mi_ctx *c, const m2m_res *r, char *url, size_t cap, int64_t *dal)
{
	m2mi_node n = {0}, p = {0};
	bool found = false;

	if (m2m_resstore_get(c->st, r->ri, &n.row) == M2M_OK && m2mi_node_attrs(c, &n) == 0 &&
	    json_array_size(json_object_get(n.attr, "daci")) > 0)
		found = dac_of(c, json_object_get(n.attr, "daci"), url, cap, dal);
	else if (r->pi != NULL && r->pi[0] != '\0' && m2m_resstore_get(c->st, r->pi, &p.row) == M2M_OK &&
		 m2mi_node_attrs(c, &p) == 0)
		found = dac_of(c, json_object_get(p.attr, "daci"), url, cap, dal);
	m2mi_node_clear(&n);
	m2mi_node_clear(&p);
	return found;
}

/* The DAS's answer (link thread, or m2mi_das_free's thread at shutdown). */
static void on_answer(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	m2m_cse_pending *p = arg;

	(void)status;
	m2mi_metrics_fetch(M2MI_LINK_DAS, result == 0 && rsc == M2M_RSC_OK);
	/* TS-0004 7.5.1.2.10: the NOTIFY response; anything but a 2000 with a body grants nothing */
	if (result == 0 && rsc == M2M_RSC_OK && body != NULL && len > 0 && (p->da_body = malloc(len + 1)) != NULL) {
		memcpy(p->da_body, body, len);
		p->da_body[len] = '\0';
	}
	m2mi_pending_result(p, true, false);
}

static const char *sp_relative_trid(m2mi_ctx *c, const m2m_res *r, char *out, size_t cap)
{
	/* the structured SP-relative ID "/<cse-id>/<path>": what the DAS policy names and what the
	 * token's ris must name (access_token.c) */
	return snprintf(out, cap, "%s/%s", c->cfg->cse_id, r->path ? r->path : r->ri) < (int)cap ? out : NULL;
}

int m2mi_das_consult(m2mi_ctx *c, const m2m_res *r, unsigned op)
{
	static const int ops[] = {[M2M_ACP_OP_CREATE] = 1, [M2M_ACP_OP_RETRIEVE] = 2, [M2M_ACP_OP_UPDATE] = 3,
				  [M2M_ACP_OP_DELETE] = 4, [M2M_ACP_OP_NOTIFY] = 5, [M2M_ACP_OP_DISCOVERY] = 2};
	char url[1100], trid[1100], rqi[64];
	m2m_das_dreq q;
	json_t *pc = NULL;
	char *body = NULL;
	int64_t dal = 0;
	m2m_cse_pending *p;

	/* Not for a subscriber's view, a <subscription> verification or a fan-out (each has its own
	 * deferral: a second one inside would nest two waits), and once per request. */
	if (c->cse->das == NULL || c->da_done || c->as_subscriber || !c->has_orig || c->sub_phase != 0 ||
	    c->w->fopt_depth != 0 || op >= sizeof(ops) / sizeof(ops[0]) || ops[op] == 0)
		return 0;
	if (!find_dac(c, r, url, sizeof(url), &dal) || sp_relative_trid(c, r, trid, sizeof(trid)) == NULL)
		return 0;
	m2m_das_dreq_init(&q);
	q.originator = c->orig.absolute;
	q.op = ops[op];
	q.trt = r->ty;
	q.trid = trid;
	q.ppl = dal > c->now ? dal - c->now : 0;
	{
		/* tids this CSE does not hold: the DAS is asked for them (TS-0003 7.3.2.3 step 5); its
		 * answer's tokens are verified as the request's own (access_token.c from_das) */
		const char *const *unknown;
		q.ntids = m2mi_tokens_unknown(c, &unknown);
		q.tids = (char **)(uintptr_t)unknown;
	}
	if (m2m_das_dreq_to_json(&q, &pc) != M2M_OK || (body = json_dumps(pc, JSON_COMPACT)) == NULL) {
		json_decref(pc);
		return 0;
	}
	q.tids = NULL; /* borrowed: not m2m_das_dreq_clear's */
	q.ntids = 0;
	json_decref(pc);
	if (c->batched) {
		/* Inside the writer's batch: never wait there. The request is answered 4103 for now
		 * (its savepoint rolls back: nothing written) and m2mi_das_defer sends this after the
		 * batch; the answer brings the request back to the writer for its second pass. */
		free(c->da_url);
		free(c->da_req);
		c->da_url = strdup(url);
		c->da_req = body;
		snprintf(c->da_trid, sizeof(c->da_trid), "%s", trid);
		return 0;
	}
	if ((p = m2mi_pending_new(c, 2)) == NULL) {
		free(body);
		return 0;
	}
	p->da = true;
	snprintf(p->da_trid, sizeof(p->da_trid), "%s", trid);
	snprintf(rqi, sizeof(rqi), "das-%s", r->ri);
	if (m2mi_remote_link_notify(c->cse->das->link, url, rqi, body, on_answer, p) != 0) {
		m2mi_metrics_fetch(M2MI_LINK_DAS, false);
		m2mi_pending_result(p, true, false); /* queue full or stopping: no answer, deny */
	}
	free(body);
	m2m_log(M2M_LOG_DEBUG, "direct dynamic authorization: consulting %s for %s", url, c->orig.absolute);
	c->pending = p;
	m2mi_pending_result(p, true, false); /* the starting reference (notify_verify.c) */
	return M2MI_PENDING;
}

bool m2mi_das_defer(m2mi_ctx *c, m2m_cse_pending *p, const char *url, const char *body)
{
	char rqi[64];

	if (!c->has_orig || c->cse->das == NULL)
		return false;
	snprintf(p->orig, sizeof(p->orig), "%s", c->orig.absolute);
	if (!m2mi_wait_take(c->cse, p->orig))
		return false; /* the same per-Originator cap as on the loop: deny at once */
	p->da_counted = true;
	p->da = true;
	p->outstanding = 1; /* the answer's: on_answer hands p to its loop, which resubmits it */
	free(p->da_body);
	p->da_body = NULL;
	snprintf(p->da_trid, sizeof(p->da_trid), "%s", c->da_trid);
	snprintf(rqi, sizeof(rqi), "das-%s", c->req->rqi != NULL ? c->req->rqi : "w");
	m2m_log(M2M_LOG_DEBUG, "direct dynamic authorization: consulting %s for a write of %s", url,
		c->orig.absolute);
	if (m2mi_remote_link_notify(c->cse->das->link, url, rqi, body, on_answer, p) == 0)
		return true;
	/* queue full or stopping: answered as it is (4103) */
	p->da = false;
	p->da_counted = false;
	m2mi_wait_give(c->cse, p->orig);
	return false;
}

/* ---- the answer ----------------------------------------------------------------------------- */

/* Every acr of gp names exactly the Originator (an answer for another request names someone
 * else: refused), and the set compiles. */
static bool gp_for(m2mi_ctx *c, const json_t *gp)
{
	m2m_acp_rules *rules = NULL;
	char err[160];
	size_t i, j;
	json_t *acr, *o;

	if (gp == NULL || json_array_size(json_object_get(gp, "acr")) == 0 ||
	    m2m_acp_rules_from_json(gp, &rules, err, sizeof(err)) != M2M_OK)
		return false;
	m2m_acp_rules_unref(rules);
	json_array_foreach(json_object_get(gp, "acr"), i, acr) {
		json_t *acor = json_object_get(acr, "acor");
		if (json_array_size(acor) == 0)
			return false;
		json_array_foreach(acor, j, o)
			if (json_string_value(o) == NULL || strcmp(json_string_value(o), c->orig.absolute) != 0)
				return false;
	}
	return true;
}

/* Tokens of the answer: each verified (das-trust issuer and signature, holder = the Originator,
 * audience = ONLY this CSE, window; TS-0003 7.3.2.2 step 4.1.1.2) and naming the target. */
static bool tokens_ok(m2mi_ctx *c, const m2m_das_dres *a, const char *trid)
{
	for (size_t i = 0; i < a->ntkns; i++) {
		m2m_token *t = NULL;
		const m2m_token_claims *cl;
		bool ok;
		m2m_err e = m2mi_tokens_verify(c, a->tkns[i], &t);

		if (e != M2M_OK) {
			m2m_log(M2M_LOG_WARN, "direct dynamic authorization: a DAS token is refused: %s", m2m_errname(e));
			return false;
		}
		cl = m2m_token_claims_of(t);
		ok = cl->naudience == 1 && strcmp(cl->audience[0], c->cse->das->origin) == 0;
		for (size_t k = 0; ok && k < cl->nperms; k++)
			for (size_t j = 0; j < cl->perms[k].nris; j++)
				ok = ok && strcmp(cl->perms[k].ris[j], trid) == 0;
		m2m_token_unref(t);
		if (!ok) {
			m2m_log(M2M_LOG_WARN, "direct dynamic authorization: a DAS token is not for this CSE and target");
			return false;
		}
	}
	return true;
}

/* The child <accessControlPolicy> of the grant (TS-0004 7.5.1.2.10): pv = gp, et = pl, pvs = this
 * CSE only (Update/Retrieve/Delete), creator = this CSE, label DYN_LABEL. In the request's (write)
 * transaction: kept only if the request then succeeds. */
static int create_acp(m2mi_ctx *c, const m2m_res *r, const m2m_das_dres *a)
{
	m2mi_node n = {0};
	char ri[M2MI_RI_MAX], path[1100], et[M2M_RES_TIME_LEN];
	int rsc;
	m2m_err e;

	if ((rsc = m2mi_new_ri(c, "acp", ri, sizeof(ri))) != 0)
		return rsc;
	m2mi_time_fmt(a->pl, et);
	if (snprintf(path, sizeof(path), "%s/%s", r->path, ri) >= (int)sizeof(path))
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "the resource tree is too deep");
	n.attr = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:{s:[{s:[s],s:i}]},s:[s]}", "ty", M2M_TY_ACP, "ri", ri,
			   "rn", ri, "pi", r->ri, "ct", c->now_s, "lt", c->now_s, "et", et, "pv", a->gp, "pvs", "acr",
			   "acor", c->cse->das->origin, "acop", 2 | 4 | 8, "lbl", DYN_LABEL);
	n.row.ty = M2M_TY_ACP;
	n.row.ver = 1;
	snprintf(n.row.ct, sizeof(n.row.ct), "%s", c->now_s);
	n.row.ri = strdup(ri);
	n.row.pi = strdup(r->ri);
	n.row.rn = strdup(ri);
	n.row.path = strdup(path);
	n.row.cr = strdup(c->cse->das->origin);
	if (n.attr == NULL || n.row.ri == NULL || n.row.pi == NULL || n.row.rn == NULL || n.row.path == NULL ||
	    n.row.cr == NULL) {
		m2mi_node_clear(&n);
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	}
	if ((rsc = m2mi_node_sync(c, &n)) == 0 && (e = m2m_resstore_insert(c->st, &n.row)) != M2M_OK)
		rsc = m2mi_store_fail(c, e);
	if (rsc == 0)
		m2m_log(M2M_LOG_INFO, "direct dynamic authorization: %s granted on %s until %s (acp %s)", c->orig.absolute,
			r->ri, et, ri);
	m2mi_node_clear(&n);
	return rsc;
}

/* A dres with tokens but no dynamicACPInfo: the verified tokens' privileges (pv, each limited to
 * the target by tokens_ok) decide this request, as the request's own tokens would (TS-0004
 * 7.5.1.2.10 NOTE 2, TS-0003 7.3.2.5); nothing is stored but the verified-token cache. */
static bool tokens_permit(m2mi_ctx *c, const m2m_das_dres *a, const m2m_res *r, unsigned op, int child_ty)
{
	const m2m_acp_rules *sets[M2M_DAS_MAX_LIST];
	m2m_token *held[M2M_DAS_MAX_LIST];
	size_t n = 0, nt = 0;
	bool ok;

	for (size_t i = 0; i < a->ntkns && nt < M2M_DAS_MAX_LIST; i++) {
		const m2m_token_claims *cl;
		if (m2mi_tokens_verify(c, a->tkns[i], &held[nt]) != M2M_OK)
			break; /* verified a moment ago (tokens_ok): only a revocation in between */
		cl = m2m_token_claims_of(held[nt++]);
		for (size_t k = 0; k < cl->nperms && n < M2M_DAS_MAX_LIST; k++)
			if (cl->perms[k].pv != NULL)
				sets[n++] = cl->perms[k].pv;
	}
	ok = nt == a->ntkns && m2mi_access_sets(c, sets, n, r, op, child_ty);
	for (size_t i = 0; i < nt; i++)
		m2m_token_unref(held[i]);
	return ok;
}

bool m2mi_das_apply(m2mi_ctx *c, const m2m_res *r, unsigned op, int child_ty)
{
	char trid[1100];
	json_error_t je;
	json_t *pc;
	m2m_das_dres a;
	bool ok = false;

	if (!c->da_done || c->da_body == NULL || sp_relative_trid(c, r, trid, sizeof(trid)) == NULL ||
	    strcmp(trid, c->da_trid) != 0)
		return false; /* no answer (down, slow, refused) or for another target: deny */
	pc = json_loads(c->da_body, JSON_REJECT_DUPLICATES, &je);
	if (pc == NULL || m2m_das_dres_parse(pc, c->now, &a) != M2M_OK) {
		json_decref(pc);
		m2m_log(M2M_LOG_WARN, "direct dynamic authorization: the DAS answer is not a seci with sit 2");
		return false;
	}
	json_decref(pc);
	/* a grant must be complete and ours: dai with gp for this Originator and a future pl within
	 * bounds, every token verified for this Originator and this CSE (fail closed on any doubt) */
	if (a.has_dai && gp_for(c, a.gp) && a.pl > c->now && a.pl - c->now <= DAS_MAX_GRANT && tokens_ok(c, &a, trid) &&
	    create_acp(c, r, &a) == 0)
		ok = m2mi_das_permit(c, r, op, child_ty);
	else if (!a.has_dai && a.ntkns > 0 && tokens_ok(c, &a, trid))
		ok = tokens_permit(c, &a, r, op, child_ty);
	else if (a.has_dai || a.ntkns > 0)
		m2m_log(M2M_LOG_WARN, "direct dynamic authorization: the DAS answer for %s is refused",
			c->orig.absolute);
	m2m_das_dres_clear(&a);
	return ok;
}
