/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the DAS service core (m2msec/das.h, docs/procedures/das.md): one
 * consultation of a Hosting CSE (direct dynamic authorization: NOTIFY seci sit 1 dreq answered
 * sit 2 dres with dynamicACPInfo and an ES256 token, TS-0003 clause 7.3.2.2 step 3, TS-0004
 * §7.5.1.2.10) or one token request of an originator (indirect dynamic authorization, TS-0003
 * clause 7.3.2.3 step 3, whose protocol oneM2M leaves out of scope: m2msec uses the same NOTIFY
 * with a dreq sent to ".../token"), each decided by the grant policy and audited once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "m2msec/das.h"
#include "m2msec/id.h"
#include "m2msec/log.h"
#include "m2msec/rsc.h"

#define ID_MAX 1100
#define ISSUED_MAX 1024 /* tokens remembered by ID for a Hosting CSE's tids (oldest replaced first) */

/* A token this DAS issued, remembered so that a Hosting CSE holding only its ID (tids) can ask
 * for it (TS-0003 clause 7.3.2.3 step 5). In memory: a restart forgets them (the CSE then
 * answers 4103 and the originator presents the token itself, tkns). */
struct issued {
	char jti[320];
	char *aud;  /* the token's audience: the only CSE it is given to */
	char *text;
	int64_t exp;
};

struct issued_tab {
	pthread_mutex_t mu;
	struct issued v[ISSUED_MAX];
	size_t next; /* ring: the next slot to (re)use */
};

struct m2m_das {
	m2m_das_config cfg;
	char *das_id, *sp_id, fqdn[256];
	struct issued_tab *issued;
};

static void remember(const m2m_das *d, const char *jti, const char *aud, const char *text, int64_t exp)
{
	struct issued_tab *t = d->issued;
	struct issued *e;
	char *a = strdup(aud), *x = strdup(text);

	if (a == NULL || x == NULL) { /* not remembered: its tids are then unknown (4103), never wrong */
		free(a);
		free(x);
		return;
	}
	pthread_mutex_lock(&t->mu);
	e = &t->v[t->next];
	t->next = (t->next + 1) % ISSUED_MAX;
	free(e->aud);
	free(e->text);
	snprintf(e->jti, sizeof(e->jti), "%s", jti);
	e->aud = a;
	e->text = x;
	e->exp = exp;
	pthread_mutex_unlock(&t->mu);
}

/* The unexpired token of ID jti issued for audience aud (a copy), or NULL. */
static char *recall(const m2m_das *d, const char *jti, const char *aud, int64_t now)
{
	struct issued_tab *t = d->issued;
	char *out = NULL;

	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < ISSUED_MAX && out == NULL; i++) {
		const struct issued *e = &t->v[i];
		if (e->text != NULL && e->exp >= now && strcmp(e->jti, jti) == 0 && strcmp(e->aud, aud) == 0)
			out = strdup(e->text);
	}
	pthread_mutex_unlock(&t->mu);
	return out;
}

m2m_err m2m_das_new(const m2m_das_config *cfg, m2m_das **out)
{
	m2m_das *d;
	const char *slash;
	size_t n;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (cfg == NULL || cfg->das_id == NULL || strncmp(cfg->das_id, "//", 2) != 0 || cfg->sp_id == NULL ||
	    strncmp(cfg->sp_id, "//", 2) != 0 || cfg->signer == NULL || cfg->random == NULL || cfg->max_lifetime <= 0)
		return M2M_E_CONFIG;
	slash = strchr(cfg->das_id + 2, '/');
	n = slash != NULL ? (size_t)(slash - cfg->das_id - 2) : 0;
	if (n == 0 || n >= 256)
		return M2M_E_CONFIG;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return M2M_E_NOMEM;
	if ((d->issued = calloc(1, sizeof(*d->issued))) == NULL) {
		free(d);
		return M2M_E_NOMEM;
	}
	pthread_mutex_init(&d->issued->mu, NULL);
	d->cfg = *cfg;
	for (size_t i = 0; i < n; i++) { /* m2m:tokenID's issuer FQDN, lower case */
		char c = cfg->das_id[2 + i];
		d->fqdn[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	d->das_id = strdup(cfg->das_id);
	d->sp_id = strdup(cfg->sp_id);
	if (d->das_id == NULL || d->sp_id == NULL) {
		m2m_das_free(d);
		return M2M_E_NOMEM;
	}
	d->cfg.das_id = d->das_id;
	d->cfg.sp_id = d->sp_id;
	*out = d;
	return M2M_OK;
}

void m2m_das_free(m2m_das *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < ISSUED_MAX; i++) {
		free(d->issued->v[i].aud);
		free(d->issued->v[i].text);
	}
	pthread_mutex_destroy(&d->issued->mu);
	free(d->issued);
	free(d->das_id);
	free(d->sp_id);
	free(d);
}

static void audit(const m2m_das *d, const m2m_das_audit *ev)
{
	if (d->cfg.audit != NULL) {
		d->cfg.audit(d->cfg.audit_ctx, ev);
		return;
	}
	m2m_log(M2M_LOG_INFO, "das audit kind=%s outcome=%s rsc=%d client=%s originator=%s resource=%s op=%d "
			      "acop=%u lifetime=%lld line=%u reason=%s",
		ev->kind, ev->outcome, ev->rsc, ev->client ? ev->client : "", ev->originator ? ev->originator : "",
		ev->resource ? ev->resource : "", ev->op, ev->acop, (long long)ev->lifetime, ev->rule_line,
		ev->reason ? ev->reason : "");
}

/* The Absolute, canonical form of an AE-ID or CSE-ID (base: the CSE an AE-ID-Stem is relative
 * to, NULL = a stem is refused). The token's holder is compared byte for byte by the CSE. */
static bool absolute_id(const m2m_das *d, const char *s, const char *base, char *out, size_t cap)
{
	char buf[ID_MAX];
	m2m_id *id = NULL;
	bool ok;
	int n;

	if (s == NULL || s[0] == '\0' || strlen(s) >= M2M_DAS_STR_MAX)
		return false;
	if (strncmp(s, "//", 2) == 0)
		n = snprintf(buf, sizeof(buf), "%s", s);
	else if (s[0] == '/')
		n = snprintf(buf, sizeof(buf), "%s%s", d->sp_id, s);
	else if (base != NULL)
		n = snprintf(buf, sizeof(buf), "%s/%s", base, s);
	else
		return false;
	if (n < 0 || (size_t)n >= sizeof(buf))
		return false;
	ok = m2m_id_parse(buf, strlen(buf), M2M_ID_AE_ID, &id) == M2M_OK ||
	     (m2m_id_free(id), id = NULL, m2m_id_parse(buf, strlen(buf), M2M_ID_CSE_ID, &id) == M2M_OK);
	ok = ok && snprintf(out, cap, "%s", m2m_id_canonical(id)) < (int)cap;
	m2m_id_free(id);
	return ok;
}

/* The Absolute CSE-ID of the CSE hosting trid ("//fqdn/cse/..." or "/cse/..."): the audience of
 * an indirect token. */
static bool audience_of(const m2m_das *d, const char *trid, char *out, size_t cap)
{
	const char *p;
	char cse[ID_MAX];
	size_t n;

	if (strncmp(trid, "//", 2) == 0) {
		p = strchr(trid + 2, '/');
		if (p == NULL)
			return false;
		n = strcspn(p + 1, "/");
		if (n == 0 || (size_t)(p + 1 + n - trid) >= sizeof(cse))
			return false;
		memcpy(cse, trid, (size_t)(p + 1 + n - trid));
		cse[p + 1 + n - trid] = '\0';
	} else if (trid[0] == '/') {
		n = strcspn(trid + 1, "/");
		if (n == 0 || n + 1 >= sizeof(cse))
			return false;
		memcpy(cse, trid, n + 1);
		cse[n + 1] = '\0';
	} else {
		return false; /* CSE-relative: which CSE is not known */
	}
	return absolute_id(d, cse, NULL, out, cap);
}

/* The policy names resources of the DAS's own SP SP-relative ("/id-in/cnt-1"): an absolute
 * trid of that SP is matched in that form (the SP FQDN is case-insensitive). */
static const char *sp_relative(const m2m_das *d, const char *trid)
{
	size_t n = strlen(d->sp_id);

	if (strncasecmp(trid, d->sp_id, n) == 0 && trid[n] == '/')
		return trid + n;
	return trid;
}

static unsigned op_bit(int op)
{
	static const unsigned bits[] = {0, 1, 2, 4, 8, 16}; /* TS-0004 Table 6.3.4.2.26-1 */

	return op >= 1 && op <= 5 ? bits[op] : 0;
}

static bool is_token_target(const char *to)
{
	const char *last;

	if (to == NULL)
		return false;
	last = strrchr(to, '/');
	return strcmp(last != NULL ? last + 1 : to, "token") == 0;
}

/* The grant as an m2m:setOfAcrs for holder. */
static json_t *grant_acrs(const char *holder, unsigned acop)
{
	return json_pack("{s:[{s:[s],s:i}]}", "acr", "acor", holder, "acop", (json_int_t)acop);
}

/* Sign one token: holder, audience, permission pv on trid for [now, now + lifetime]. */
static m2m_err issue(const m2m_das *d, const char *holder, const char *aud, const char *trid, const json_t *gp,
		     int64_t now, int64_t lifetime, char *jti, size_t jticap, char **tok)
{
	uint8_t rnd[16];
	char *pv = NULL;
	const char *ris[1] = {trid}, *auds[1] = {aud};
	m2m_token_perm perm = {0};
	m2m_token_claims c = {0};
	m2m_err r;

	if ((r = d->cfg.random(d->cfg.random_ctx, rnd)) != M2M_OK ||
	    (r = m2m_token_format_id(rnd, d->fqdn, jti, jticap)) != M2M_OK)
		return r;
	if ((pv = json_dumps(gp, JSON_COMPACT)) == NULL)
		return M2M_E_NOMEM;
	perm.ris = ris;
	perm.nris = 1;
	perm.pv_json = pv;
	c.version = M2M_TOKEN_VERSION;
	c.token_id = jti;
	c.issuer = d->das_id;
	c.holder = holder;
	c.not_before = now;
	c.not_after = now + lifetime;
	c.audience = auds;
	c.naudience = 1;
	c.perms = &perm;
	c.nperms = 1;
	c.has_perms = true;
	r = m2m_token_sign(&c, d->cfg.signer, tok);
	free(pv);
	return r;
}

static void refuse(const m2m_das *d, m2m_das_audit *ev, m2m_response *rsp, int rsc, const char *why)
{
	ev->outcome = "refused";
	ev->rsc = rsc;
	ev->reason = why;
	audit(d, ev);
	m2m_response_error(rsp, rsc, "%s", why);
}

void m2m_das_handle(const m2m_das *d, const m2m_sa *sa, const m2m_request *req, m2m_response *rsp, int64_t now)
{
	bool token_req = is_token_target(req->to);
	char client[ID_MAX] = "", holder[ID_MAX], aud[ID_MAX], from[ID_MAX], jti[320] = "";
	m2m_das_audit ev = {.kind = token_req ? "token-request" : "consultation", .client = client,
			    .rqi = req->rqi};
	m2m_das_dreq q;
	m2m_das_dres a;
	const m2m_das_rule *rule;
	char *tok = NULL;
	json_t *gp = NULL, *pc = NULL;
	int64_t lt;
	m2m_err r;

	m2m_das_dreq_init(&q);
	m2m_das_dres_init(&a);
	if (sa != NULL && sa->bound_id[0] != '\0' && (sa->kind == M2M_SA_CERT || sa->kind == M2M_SA_PSK) &&
	    !absolute_id(d, sa->bound_id, NULL, client, sizeof(client)))
		client[0] = '\0';
	if (req->op != M2M_OP_NOTIFY) {
		refuse(d, &ev, rsp, M2M_RSC_OPERATION_NOT_ALLOWED, "the DAS answers NOTIFY only");
		return;
	}
	/* Direct DA: only a Hosting CSE, authenticated by its certificate, consults (TS-0003 clause
	 * 7.3.2.2 step 2.3, "From = the HCSE-ID"); indirect: any authenticated originator, for itself. */
	if (client[0] == '\0' || (!token_req && (sa->kind != M2M_SA_CERT || sa->entity != M2M_ENTITY_CSE))) {
		refuse(d, &ev, rsp, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
		       token_req ? "an authenticated originator is required"
				 : "only a CSE authenticated by its certificate may consult the DAS");
		return;
	}
	if (!absolute_id(d, req->fr, token_req ? NULL : client, from, sizeof(from)) || strcmp(from, client) != 0) {
		refuse(d, &ev, rsp, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "From is not the authenticated peer");
		return;
	}
	if (req->pc == NULL || m2m_das_dreq_parse(req->pc, now, &q) != M2M_OK) {
		refuse(d, &ev, rsp, M2M_RSC_BAD_REQUEST, "content is not a seci with sit 1 and a valid dreq");
		return;
	}
	ev.originator = q.originator;
	ev.resource = q.trid;
	ev.op = q.op;
	if (!absolute_id(d, q.originator, token_req ? NULL : client, holder, sizeof(holder)) || op_bit(q.op) == 0) {
		refuse(d, &ev, rsp, M2M_RSC_BAD_REQUEST, "dreq or is not an AE-ID or CSE-ID, or op not 1..5");
		goto out;
	}
	if (token_req && strcmp(holder, client) != 0) {
		refuse(d, &ev, rsp, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "a token may be requested only for oneself");
		goto out;
	}
	if (token_req ? !audience_of(d, q.trid, aud, sizeof(aud)) : snprintf(aud, sizeof(aud), "%s", client) < 0) {
		refuse(d, &ev, rsp, M2M_RSC_BAD_REQUEST, "trid must be SP-relative or absolute (names the CSE)");
		goto out;
	}
	ev.originator = holder;
	if (!token_req && q.ntids > 0) {
		/* TS-0003 clause 7.3.2.3 step 5: a Hosting CSE asks for tokens by ID. Only tokens this DAS
		 * issued for that CSE (their audience) and not expired; the CSE verifies each (holder =
		 * its originator). Unknown IDs are left out: an empty dres grants nothing (4103). */
		char *found[M2M_DAS_MAX_LIST];
		size_t nf = 0;
		for (size_t i = 0; i < q.ntids; i++)
			if ((found[nf] = recall(d, q.tids[i], aud, now)) != NULL)
				nf++;
		a.tkns = found;
		a.ntkns = nf;
		r = m2m_das_dres_to_json(&a, &pc);
		a.tkns = NULL;
		a.ntkns = 0;
		for (size_t i = 0; i < nf; i++)
			free(found[i]);
		ev.outcome = nf > 0 ? "tokens-by-id" : "not-granted";
		ev.reason = nf == q.ntids ? NULL : "a tokenID is unknown, expired or not for this CSE";
		goto answer;
	}
	rule = m2m_das_policy_match(d->cfg.policy, holder, sp_relative(d, q.trid), op_bit(q.op),
				    (const char *const *)q.orid, q.norid);
	if (rule == NULL) {
		ev.reason = "no policy rule grants it";
		if (token_req) {
			refuse(d, &ev, rsp, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "no policy rule grants it");
			goto out;
		}
		/* A consultation the policy does not grant: sit 2 with an empty dres (TS-0004 §7.5.1.2.10:
		 * neither dynamicACPInfo nor tokens, so the Hosting CSE grants nothing and answers 4103). */
		r = m2m_das_dres_to_json(&a, &pc);
		ev.outcome = "not-granted";
		goto answer;
	}
	lt = rule->lifetime;
	if (q.ppl > 0 && q.ppl < lt)
		lt = q.ppl;
	if (d->cfg.max_lifetime < lt)
		lt = d->cfg.max_lifetime;
	if ((gp = grant_acrs(holder, rule->acop)) == NULL) {
		refuse(d, &ev, rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "internal error");
		goto out;
	}
	if ((r = issue(d, holder, aud, q.trid, gp, now, lt, jti, sizeof(jti), &tok)) != M2M_OK) {
		refuse(d, &ev, rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "token issuing failed");
		goto out;
	}
	remember(d, jti, aud, tok, now + lt);
	if (!token_req) { /* dynamicACPInfo: the child <accessControlPolicy> of the Hosting CSE */
		a.has_dai = true;
		a.gp = json_incref(gp);
		a.pl = now + lt;
	}
	a.tkns = &tok;
	a.ntkns = 1;
	r = m2m_das_dres_to_json(&a, &pc);
	a.tkns = NULL;
	a.ntkns = 0;
	ev.outcome = "granted";
	ev.acop = rule->acop;
	ev.lifetime = lt;
	ev.rule_line = rule->line;
	ev.token_id = jti;
answer:
	if (r != M2M_OK) {
		refuse(d, &ev, rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "internal error");
		goto out;
	}
	ev.rsc = M2M_RSC_OK;
	audit(d, &ev);
	rsp->rsc = M2M_RSC_OK;
	json_decref(rsp->pc);
	rsp->pc = pc;
	pc = NULL;
out:
	json_decref(pc);
	json_decref(gp);
	free(tok);
	m2m_das_dres_clear(&a);
	m2m_das_dreq_clear(&q);
}
