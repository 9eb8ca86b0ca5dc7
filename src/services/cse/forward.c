/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the transit CSE (TS-0004 clauses 7.3.2.8 "Check Hosting CSE of the
 * targeted resource" and 7.3.2.6 "Forwarding", TS-0001 clause 10.2; docs/procedures/transit.md):
 *  - To names another CSE when it is SP-relative ("/<cse-id>/...") or absolute
 *    ("//<sp>/<cse-id>/...") with a CSE-ID other than this CSE's, or absolute with another SP;
 *  - an AE or CSE registration addressed through a transit CSE is BAD_REQUEST (7.3.2.8);
 *  - next hop: the live <remoteCSE> whose CSE-ID (csi, which is its resourceID here, res_csr.c)
 *    is the target CSE, at its first https:// pointOfAccess over the forward-* association; no
 *    match and a Registrar configured: the Registrar (registrar-* association); no match on the
 *    IN-CSE, or a request that came from the Registrar, or another SP: NOT_FOUND (7.3.2.6);
 *  - loops: a request is never sent back to the CSE whose association it arrived on (4004), a
 *    request from the Registrar never goes up again, and a request goes down only to a direct
 *    Registree: in the Registrar tree a request climbs, then descends, and never revisits a CSE;
 *  - From keeps the Originator: the SP-relative form of the one the originator rules accepted
 *    here (7.3.2.6: a CSE-relative From is made SP-relative), the Request Identifier is kept;
 *    the Hosting CSE applies its own originator rules (a CSE speaks only for the AEs registered
 *    with it, core/originator.c + res_csr.c) and its own access control;
 *  - the next hop is asked on an outbound loop (remote_link.c: bounded queue, the
 *    forward-timeout deadline); the request waits as an m2m_cse_pending, never blocking its
 *    loop; the answer's RSC and Content are relayed unchanged. No answer (refused, TLS failure,
 *    deadline, queue full) is TARGET_NOT_REACHABLE (5103), the RSC TS-0004 uses for a target a
 *    CSE cannot reach (7.3.3.9.1: a NOTIFY that cannot be forwarded); an answer without an RSC
 *    is 5000 (7.3.2.6 defines no other);
 *  - the Content is forwarded as the binding parsed it, serialized compactly in its original
 *    member order: the transit CSE never looks inside it (a NOTIFY's e2e-protected Content);
 *  - the Hosting CSE relays an ESPrim / ESCertKE NOTIFY to the <AE> that is its Target (TS-0004
 *    7.6.2, esprim_rx.c) the same way, at the AE's first https:// poa over a third association
 *    (the forward-* files, the notification destination policy on every address, the server
 *    certificate checked for the poa's host): m2mi_fwd_to_ae.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/log.h"
#include "remote/remote_link.h"
#include "services/cse/cse_int.h"

#define FWD_JOBS 64 /* forwarded requests queued or in flight per association */

struct m2mi_fwd {
	m2mi_remote_link *up;   /* to the Registrar, NULL = none */
	m2mi_remote_link *down; /* to the Registrees' points of access, NULL = none */
	m2mi_remote_link *ae;   /* to hosted <AE>s' points of access (m2mi_fwd_to_ae), NULL = none */
	char up_name[2 * M2M_CFG_STR]; /* the Registrar's certificate name: <id>.<sp-fqdn> */
};

static m2m_err link_new(const char *url, const char *ca, const char *cert, const char *key, const char *name,
			const m2m_cse_config *cfg, const char *psk_id, const char *psk_file, const m2mi_addr_policy *pol,
			m2mi_remote_link **out)
{
	m2mi_remote_link_cfg lc = {url, ca, cert, key, name, cfg->cse_id, cfg->forward_timeout_ms, FWD_JOBS, psk_id,
				   psk_file, pol};

	return m2mi_remote_link_new(&lc, out);
}

m2m_err m2mi_fwd_new(const m2m_cse_config *cfg, m2mi_fwd **out)
{
	m2mi_fwd *f;
	m2m_err r = M2M_OK;

	*out = NULL;
	if (cfg->registrar[0] == '\0' && cfg->forward_ca[0] == '\0')
		return M2M_OK;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return M2M_E_NOMEM;
	if (cfg->registrar[0] != '\0') {
		snprintf(f->up_name, sizeof(f->up_name), "%s.%s", cfg->registrar_cse_id + 1, cfg->sp_id + 2);
		r = link_new(cfg->registrar, cfg->registrar_ca, cfg->registrar_cert, cfg->registrar_key, f->up_name,
			     cfg, cfg->registrar_psk_identity, cfg->registrar_psk_file, NULL, &f->up);
	}
	if (r == M2M_OK && cfg->forward_ca[0] != '\0') /* every request names its own poa and name */
		r = link_new("https://registree.invalid", cfg->forward_ca, cfg->forward_cert, cfg->forward_key, NULL,
			     cfg, NULL, NULL, NULL, &f->down);
	/* An <AE>'s poa is a URL the AE chose: the same destination policy as a notification's
	 * (notify-allow / notify-deny, docs/config.md "Notification destinations"), checked on every
	 * resolved address before any connection; its certificate is checked for the poa's host. */
	if (r == M2M_OK && cfg->forward_ca[0] != '\0') {
		m2mi_addr_policy pol;
		char why[160];
		r = m2mi_addr_policy_init(&pol, cfg->notify_allow, cfg->notify_deny, why, sizeof(why)) != M2M_OK
			    ? M2M_E_CONFIG
			    : link_new("https://ae.invalid", cfg->forward_ca, cfg->forward_cert, cfg->forward_key, NULL,
				       cfg, NULL, NULL, &pol, &f->ae);
	}
	if (r != M2M_OK) {
		m2m_log(M2M_LOG_ERROR, "forwarding: an association cannot start: %s", m2m_strerror(r));
		m2mi_fwd_free(f);
		return r;
	}
	*out = f;
	return M2M_OK;
}

void m2mi_fwd_free(m2mi_fwd *f)
{
	if (f == NULL)
		return;
	m2mi_remote_link_free(f->up);
	m2mi_remote_link_free(f->down);
	m2mi_remote_link_free(f->ae);
	free(f);
}

/* ---- where To points ------------------------------------------------------------------------ */

int m2mi_fwd_classify(const char *sp_id, const char *cse_id, const char *to, char *cse_out, size_t cap)
{
	const char *p, *end;
	size_t n;

	if (to == NULL || to[0] != '/')
		return M2MI_FWD_HERE; /* CSE-relative (or absent: resolution refuses it) */
	if (to[1] == '/') { /* absolute: //<sp-fqdn>/<cse-id>/... */
		n = strlen(sp_id);
		p = strchr(to + 2, '/');
		if (p == NULL)
			return M2MI_FWD_HERE;
		if ((size_t)(p - to) != n || strncmp(to, sp_id, n) != 0) /* public: identifiers */
			return M2MI_FWD_SP;
		to = p;
	}
	/* SP-relative: /<cse-id>[/...] */
	end = strchr(to + 1, '/');
	n = end != NULL ? (size_t)(end - to) : strlen(to);
	if (n < 2 || (strlen(cse_id) == n && strncmp(to, cse_id, n) == 0)) /* public: identifiers */
		return M2MI_FWD_HERE;
	if (n >= cap)
		return M2MI_FWD_HERE; /* too long to be a CSE-ID: resolution refuses it */
	memcpy(cse_out, to, n);
	cse_out[n] = '\0';
	return M2MI_FWD_CSE;
}

bool m2mi_fwd_elsewhere(const m2m_cse *cse, const char *to)
{
	char id[M2M_CFG_STR];

	return m2mi_fwd_classify(cse->cfg.sp_id, cse->cfg.cse_id, to, id, sizeof(id)) != M2MI_FWD_HERE;
}

/* ---- the next hop --------------------------------------------------------------------------- */

bool m2mi_fwd_https_poa(json_t *attr, char *url, size_t cap)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(attr, "poa"), i, v) {
		const char *s = json_string_value(v);
		size_t k;
		if (s == NULL || strncmp(s, "https://", 8) != 0 || (k = strlen(s)) >= cap) /* public: a URL */
			continue;
		memcpy(url, s, k + 1);
		if (k > 8 && url[k - 1] == '/')
			url[k - 1] = '\0';
		return true;
	}
	return false;
}

/* The live <remoteCSE> of cse_id ("/id-x"): its first https:// poa into url (trailing '/' cut).
 * 1 found with a poa, 0 no such <remoteCSE>, -1 found without a usable poa, -2 store error. */
static int registree_poa(m2mi_ctx *c, const char *cse_id, char *url, size_t cap)
{
	m2mi_node n = {0};
	m2m_err e = m2m_resstore_get(c->st, cse_id + 1, &n.row);
	int found;

	if (e == M2M_E_NOT_FOUND || (e == M2M_OK && (n.row.ty != M2M_TY_CSR || m2mi_expired(c, &n.row)))) {
		m2mi_node_clear(&n);
		return 0;
	}
	if (e != M2M_OK || m2mi_node_attrs(c, &n) != 0) {
		m2mi_node_clear(&n);
		return -2;
	}
	found = m2mi_fwd_https_poa(n.attr, url, cap) ? 1 : -1;
	m2mi_node_clear(&n);
	return found;
}

/* The next hop's answer (link thread, or m2mi_fwd_free's at shutdown). */
static void on_answer(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	m2m_cse_pending *p = arg;

	(void)status;
	p->fwd_rsc = result == 0 ? (rsc > 0 ? rsc : M2M_RSC_INTERNAL_SERVER_ERROR) : 0;
	p->fwd_denied = result == -2;
	if (result == 0 && body != NULL && len > 0 && (p->fwd_body = malloc(len)) != NULL) {
		memcpy(p->fwd_body, body, len);
		p->fwd_len = len;
	}
	m2mi_pending_result(p, true, false);
}

void m2mi_fwd_answer(m2m_cse_pending *p, m2m_response *rsp)
{
	json_t *pc = NULL;

	if (p->fwd_rsc == 0 && p->fwd_denied) { /* no RSC of its own: a NOTIFY that cannot be sent */
		m2m_response_error(rsp, M2M_RSC_TARGET_NOT_REACHABLE,
				   "the point of access is refused by the notification destination policy");
		return;
	}
	if (p->fwd_rsc == 0) {
		m2m_response_error(rsp, M2M_RSC_TARGET_NOT_REACHABLE, "the next hop towards %.64s did not answer",
				   p->req.to != NULL ? p->req.to : "");
		return;
	}
	if (p->fwd_body != NULL && (pc = json_loadb(p->fwd_body, p->fwd_len, JSON_DECODE_ANY, NULL)) == NULL) {
		m2m_response_error(rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "the next hop answered a Content that is no JSON");
		return;
	}
	json_decref(rsp->pc);
	rsp->pc = pc;
	rsp->rsc = p->fwd_rsc;
}

/* The request path on the next hop (TS-0009 6.2.2: "/~" + SP-relative, "/_" + absolute) and the
 * Result Content (the one query parameter forwarded; docs/procedures/transit.md). */
static bool next_path(const m2m_request *req, char *out, size_t cap)
{
	char q[32] = "";

	if (strpbrk(req->to, " ?#\r\n\t") != NULL)
		return false;
	if (req->rcn >= 0)
		snprintf(q, sizeof(q), "?rcn=%d", req->rcn);
	return snprintf(out, cap, "%s%s%s", req->to[1] == '/' ? "/_" : "/~", req->to + (req->to[1] == '/' ? 1 : 0),
			q) < (int)cap;
}

/* Only an Originator this CSE authenticated over a security association is vouched for to the
 * next hop (TS-0003 7.1.2; fail closed on the loopback plain-HTTP listener, where From is
 * whatever the client wrote), and a Registree speaks for its AEs only while registered here. */
static int vouched(m2mi_ctx *c)
{
	if (!c->has_orig)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "a forwarded request needs From");
	if (c->sa == NULL || c->sa->kind == M2M_SA_NONE)
		return m2mi_fail(c, M2M_RSC_SECURITY_ASSOCIATION_REQUIRED,
				 "a request is forwarded only when it arrived over a security association");
	return c->orig.via_registree ? m2mi_csr_vouches(c) : 0; /* res_csr.c */
}

/* Send c->req to url over link (server certificate name: name, NULL = the URL's host) and wait
 * for the answer as an m2m_cse_pending: M2MI_PENDING or the RSC of the refusal. */
static int relay(m2mi_ctx *c, m2mi_remote_link *link, const char *url, const char *name, const char *target)
{
	const m2m_request *req = c->req;
	m2m_cse_pending *p;
	char *body = NULL;

	if (req->rqi == NULL || req->rqi[0] == '\0' || strpbrk(req->rqi, "\r\n") != NULL)
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "the request cannot be forwarded as it is");
	if (req->pc != NULL && (body = json_dumps(req->pc, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "out of memory");
	/* A worker that answers in place (no wake function: the CoAP and MQTT loops, tools) or a
	 * <fanOutPoint> member request would wait for the next hop on its loop: never (5103). */
	if (c->sync_wait || c->w->fopt_depth != 0) {
		free(body);
		return m2mi_fail(c, M2M_RSC_TARGET_NOT_REACHABLE, "this binding does not forward to %.64s", target);
	}
	if ((p = m2mi_pending_new(c, 2)) == NULL) {
		free(body);
		return m2mi_fail(c, M2M_RSC_TARGET_NOT_REACHABLE, "too many requests of this originator in transit");
	}
	p->fwd = true;
	/* From in SP-relative form (7.3.2.6), absolute for an Originator of another SP */
	if (m2mi_remote_link_request(link, url, name, req->op, req->op == M2M_OP_CREATE ? req->ty : 0,
				     c->orig.sp_relative[0] ? c->orig.sp_relative : c->orig.absolute, req->rqi, req->rvi,
				     body, on_answer, p) != 0)
		m2mi_pending_result(p, true, false); /* queue full or stopping: no answer (5103) */
	free(body);
	m2m_log(M2M_LOG_DEBUG, "forwarding %s %.128s from %.64s to %.64s", m2m_op_name(req->op), req->to,
		c->orig.absolute, target);
	c->pending = p;
	m2mi_pending_result(p, true, false); /* the starting reference (notify_verify.c) */
	return M2MI_PENDING;
}

int m2mi_forward(m2mi_ctx *c)
{
	const m2m_request *req = c->req;
	char target[M2M_CFG_STR], url[1600], path[1200], name[2 * M2M_CFG_STR];
	m2m_origin_forms b = {0};
	m2mi_remote_link *link;
	int k, rsc;

	k = m2mi_fwd_classify(c->cfg->sp_id, c->cfg->cse_id, req->to, target, sizeof(target));
	if (k == M2MI_FWD_HERE)
		return 0;
	if (req->op == M2M_OP_CREATE && (req->ty == M2M_TY_AE || req->ty == M2M_TY_CSR))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "a registration cannot go through a transit CSE");
	if (k == M2MI_FWD_SP) /* no association with another SP */
		return m2mi_fail(c, M2M_RSC_NOT_FOUND, "the target is in another M2M Service Provider's domain");
	if ((rsc = vouched(c)) != 0) /* the next hop trusts this CSE for the Originator */
		return rsc;
	if (c->sa != NULL && c->sa->kind != M2M_SA_NONE && c->sa->entity == M2M_ENTITY_CSE &&
	    m2m_originator_forms(&c->cse->octx, c->sa->bound_id, &b) != M2M_OK)
		b.sp_relative[0] = '\0';
	/* the Registrar's own <remoteCSE> here (m2m_cse_add_registrar) is reached over the
	 * registrar-* association, like every CSE above it */
	if (c->cfg->registrar[0] != '\0' && strcmp(target, c->cfg->registrar_cse_id) == 0) /* public: IDs */
		k = 0;
	else if ((k = registree_poa(c, target, url, sizeof(url) - sizeof(path))) == -2)
		return m2mi_fail(c, M2M_RSC_INTERNAL_SERVER_ERROR, "the store cannot be read");
	if (k != 0 && strcmp(b.sp_relative, target) == 0) /* public: identifiers */
		return m2mi_fail(c, M2M_RSC_NOT_FOUND, "not forwarded back to the CSE it came from");
	if (k == -1 || (k == 1 && (c->cse->fwd == NULL || c->cse->fwd->down == NULL)))
		return m2mi_fail(c, M2M_RSC_TARGET_NOT_REACHABLE, "no point of access of %.64s is reachable", target);
	/* TS-0001 6.2.2 CMDH: no delivery to a node the underlying network does not authorize
	 * (netauth.c); the attempt is counted like a skipped notification */
	if (k == 1 && !m2mi_cse_node_reachable(c->cse, target)) {
		(void)m2mi_cse_note_undelivered(c->cse);
		return m2mi_fail(c, M2M_RSC_TARGET_NOT_REACHABLE, "%.64s is not authorized by the underlying network",
				 target);
	}
	if (k == 1) {
		link = c->cse->fwd->down;
		snprintf(name, sizeof(name), "%s.%s", target + 1, c->cfg->sp_id + 2);
	} else {
		/* 7.3.2.6: no match; only a CSE with a Registrar forwards further, never what came
		 * from the Registrar (that would send it back) */
		if (c->cfg->registrar[0] == '\0' || c->cse->fwd == NULL || c->cse->fwd->up == NULL)
			return m2mi_fail(c, M2M_RSC_NOT_FOUND, "%.64s is not registered with this CSE", target);
		if (strcmp(b.sp_relative, c->cfg->registrar_cse_id) == 0) /* public: identifiers */
			return m2mi_fail(c, M2M_RSC_NOT_FOUND, "%.64s is not registered with this CSE", target);
		link = c->cse->fwd->up;
		snprintf(url, sizeof(url) - sizeof(path), "%s", m2mi_remote_link_base(link));
		snprintf(name, sizeof(name), "%s", c->cse->fwd->up_name);
	}
	if (!next_path(req, path, sizeof(path)))
		return m2mi_fail(c, M2M_RSC_BAD_REQUEST, "the request cannot be forwarded as it is");
	memcpy(url + strlen(url), path, strlen(path) + 1); /* room reserved above */
	return relay(c, link, url, name, target);
}

int m2mi_fwd_to_ae(m2mi_ctx *c, const char *url, const char *aei)
{
	int rsc;

	if ((rsc = vouched(c)) != 0)
		return rsc;
	if (c->cse->fwd == NULL || c->cse->fwd->ae == NULL)
		return m2mi_fail(c, M2M_RSC_TARGET_NOT_REACHABLE,
				 "no association to an AE's point of access is configured (forward-ca)");
	/* TS-0001 6.2.2 CMDH, as for a <remoteCSE> and a notification: the AE's node */
	if (aei != NULL && aei[0] != '\0' && !m2mi_cse_node_reachable(c->cse, aei)) {
		(void)m2mi_cse_note_undelivered(c->cse);
		return m2mi_fail(c, M2M_RSC_TARGET_NOT_REACHABLE, "%.64s is not authorized by the underlying network",
				 aei);
	}
	/* the poa as the AE gave it (a notification's target too); the name is the poa's host */
	return relay(c, c->cse->fwd->ae, url, NULL, aei != NULL ? aei : "the AE");
}
