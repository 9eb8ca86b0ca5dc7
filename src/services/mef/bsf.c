/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the BSF role of the MEF (m2msec/bsf.h): GBA bootstrapping on Ub (3GPP TS
 * 33.220 clause 4.5.2; HTTP Digest AKA, RFC 3310; the HTTP mapping of TS 24.109 clause 5.2) for
 * the GBA-based RSPF of TS-0003 clause 8.3.2.3. Vectors come from the test HSS (m2msec/hss.h),
 * the decisions from m2m_gba_bsf_check (through m2m_hss_check), the bootstrap is kept in the MEF
 * store (m2msec/bsfstore.h). A challenge is answered at most once: whatever the answer, its
 * vector is dropped, so a replayed answer finds nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/ratelimit.h"
#include "m2msec/bsf.h"
#include "m2msec/bsfstore.h"
#include "m2msec/gba.h"
#include "m2msec/hss.h"
#include "m2msec/log.h"
#include "m2msec/mem.h"
#include "services/mef/mef_int.h"

#define PENDING_DEFAULT 1024
#define TTL_DEFAULT 60

struct pending {
	bool used;
	int64_t expiry;
	char impi[M2M_HSS_IMPI_MAX + 1];
	m2m_aka_av av;
};

struct m2m_bsf {
	char *fqdn, *hss;
	int64_t lifetime_s;
	int ttl_s;
	size_t npending;
	struct pending *p;
	m2mi_ratelimit *rl;
	m2m_mef_worker *w;
	void (*audit)(void *ctx, const m2m_mef_audit *ev);
	void *audit_ctx;
	pthread_mutex_t mu;
};

m2m_err m2m_bsf_new(const m2m_bsf_config *cfg, m2m_mef *mef, m2m_bsf **out)
{
	m2m_bsf *b;
	m2m_err r = M2M_E_NOMEM;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (cfg == NULL || mef == NULL || cfg->bsf_fqdn == NULL || cfg->bsf_fqdn[0] == '\0' || cfg->hss_file == NULL ||
	    cfg->hss_file[0] == '\0' || cfg->lifetime_s < 1 || cfg->challenge_ttl_s < 0)
		return M2M_E_INVAL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return M2M_E_NOMEM;
	b->npending = cfg->max_pending > 0 ? cfg->max_pending : PENDING_DEFAULT;
	b->ttl_s = cfg->challenge_ttl_s > 0 ? cfg->challenge_ttl_s : TTL_DEFAULT;
	b->lifetime_s = cfg->lifetime_s;
	b->audit = cfg->audit;
	b->audit_ctx = cfg->audit_ctx;
	if ((b->fqdn = strdup(cfg->bsf_fqdn)) == NULL || (b->hss = strdup(cfg->hss_file)) == NULL ||
	    (b->p = calloc(b->npending, sizeof(*b->p))) == NULL ||
	    (cfg->rate_per_minute > 0 && m2mi_ratelimit_new(cfg->rate_per_minute, 4096, &b->rl) != M2M_OK) ||
	    (r = m2m_mef_worker_new(mef, &b->w)) != M2M_OK || pthread_mutex_init(&b->mu, NULL) != 0) {
		m2m_mef_worker_free(b->w);
		m2mi_ratelimit_free(b->rl);
		free(b->p);
		free(b->hss);
		free(b->fqdn);
		free(b);
		return r == M2M_OK ? M2M_E_NOMEM : r;
	}
	*out = b;
	return M2M_OK;
}

void m2m_bsf_free(m2m_bsf *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->npending; i++)
		m2m_aka_av_clear(&b->p[i].av);
	free(b->p);
	m2m_mef_worker_free(b->w);
	m2mi_ratelimit_free(b->rl);
	pthread_mutex_destroy(&b->mu);
	free(b->hss);
	free(b->fqdn);
	free(b);
}

static void drop(struct pending *p)
{
	m2m_aka_av_clear(&p->av);
	memset(p, 0, sizeof(*p));
}

static void audit(m2m_bsf *b, const char *impi, const char *outcome, int status)
{
	m2m_mef_audit ev = {.procedure = "gba-bootstrap", .outcome = outcome, .rsc = status, .client = impi};

	if (b->audit != NULL)
		b->audit(b->audit_ctx, &ev);
	else
		m2m_log(M2M_LOG_INFO, "mef audit procedure=gba-bootstrap outcome=%s rsc=%d", outcome, status);
}

static void text(m2m_http_raw_response *rsp, int status, const char *msg)
{
	rsp->status = status;
	rsp->content_type = "text/plain";
	if ((rsp->body = strdup(msg)) != NULL)
		rsp->body_len = strlen(msg);
}

static const char *header(const m2m_http_raw_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0) /* public: header name */
			return req->headers[i].value;
	return NULL;
}

/* A free slot (expired ones are reclaimed), NULL when every slot holds a live challenge. */
static struct pending *slot(m2m_bsf *b, int64_t now)
{
	struct pending *free_one = NULL;

	for (size_t i = 0; i < b->npending; i++) {
		if (b->p[i].used && b->p[i].expiry <= now)
			drop(&b->p[i]);
		if (!b->p[i].used && free_one == NULL)
			free_one = &b->p[i];
	}
	return free_one;
}

/* The pending challenge whose RAND the nonce carries (RAND is public; the vector proves the rest). */
static struct pending *lookup(m2m_bsf *b, const char *nonce, int64_t now)
{
	uint8_t rand[M2M_MILENAGE_RAND_LEN], autn[M2M_AKA_AUTN_LEN];
	size_t sd = 0;

	if (m2m_digest_aka_nonce_split(nonce, rand, autn, NULL, 0, &sd) != M2M_OK)
		return NULL;
	for (size_t i = 0; i < b->npending; i++) {
		struct pending *p = &b->p[i];
		if (!p->used)
			continue;
		if (p->expiry <= now) {
			drop(p);
			continue;
		}
		if (memcmp(p->av.rand, rand, sizeof(rand)) == 0) /* public: RAND is sent in clear */
			return p;
	}
	return NULL;
}

/* A new vector for impi and the 401 carrying it (TS 33.220 clause 4.5.2 step 3). */
static void challenge(m2m_bsf *b, const char *impi, int64_t now, bool stale, m2m_http_raw_response *rsp)
{
	char nonce[M2M_DIGEST_NONCE_MAX + 1], hdr[M2M_DIGEST_HDR_MAX];
	struct pending *p;
	m2m_err r;

	if ((p = slot(b, now)) == NULL) {
		rsp->retry_after = b->ttl_s;
		text(rsp, 503, "too many pending challenges");
		audit(b, impi, "busy", 503);
		return;
	}
	if ((r = m2m_hss_vector(b->hss, impi, NULL, &p->av)) != M2M_OK) {
		bool known = r != M2M_E_NOT_FOUND && r != M2M_E_RANGE;
		drop(p);
		text(rsp, known ? 500 : 403, known ? "HSS unavailable" : "not authorized");
		audit(b, impi, known ? "store-error" : "unknown-client", known ? 500 : 403);
		return;
	}
	if (m2m_digest_aka_nonce(p->av.rand, p->av.autn, NULL, 0, nonce, sizeof(nonce)) != M2M_OK ||
	    m2m_digest_format_challenge(b->fqdn, nonce, NULL, stale, hdr, sizeof(hdr)) != M2M_OK ||
	    (rsp->www_authenticate = strdup(hdr)) == NULL) {
		drop(p);
		text(rsp, 500, "internal error");
		return;
	}
	p->used = true;
	p->expiry = now + b->ttl_s;
	snprintf(p->impi, sizeof(p->impi), "%s", impi);
	text(rsp, 401, "authentication required");
	audit(b, impi, "challenge", 401);
}

/* TS 24.109 clause 6.3: the 200 body naming the B-TID and the key lifetime (UTC). */
static void success(m2m_bsf *b, struct pending *p, int64_t now, m2m_http_raw_response *rsp)
{
	char btid[M2M_GBA_BTID_MAX], when[32], body[512];
	time_t exp = (time_t)(now + b->lifetime_s);
	struct tm tm;
	m2m_key *ks = NULL;
	m2m_err r;

	if (m2m_gba_btid_format(p->av.rand, b->fqdn, btid, sizeof(btid)) != M2M_OK ||
	    m2m_gba_ks(p->av.ck, p->av.ik, &ks) != M2M_OK || gmtime_r(&exp, &tm) == NULL) {
		m2m_key_free(ks);
		text(rsp, 500, "internal error");
		audit(b, p->impi, "internal", 500);
		return;
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	r = m2m_mefstore_bootstrap_put(b->w->st, btid, p->impi, ks, now + b->lifetime_s, now);
	m2m_key_free(ks);
	if (r != M2M_OK) {
		text(rsp, 500, "store error");
		audit(b, p->impi, "store-error", 500);
		return;
	}
	snprintf(body, sizeof(body),
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<BootstrappingInfo xmlns=\"uri:3gpp-gba\">\n<btid>%s</btid>\n<lifetime>%s</lifetime>\n"
		 "</BootstrappingInfo>\n",
		 btid, when);
	rsp->status = 200;
	rsp->content_type = M2M_BSF_CONTENT_TYPE;
	if ((rsp->body = strdup(body)) != NULL)
		rsp->body_len = strlen(body);
	audit(b, p->impi, "ok", 200);
}

/* The UE's answer to a pending challenge (TS 33.220 clause 4.5.2 steps 5-7). */
static void answer(m2m_bsf *b, const m2m_digest *cred, const char *method, int64_t now, m2m_http_raw_response *rsp)
{
	struct pending *p = lookup(b, cred->nonce, now);
	m2m_err r;

	if (p == NULL || strcmp(p->impi, cred->username) != 0 || /* public: identifier */
	    strcasecmp(cred->realm, b->fqdn) != 0) {         /* public: realm */
		text(rsp, 403, "unknown or expired challenge");
		audit(b, cred->username, "stale-challenge", 403);
		return;
	}
	r = m2m_hss_check(b->hss, p->impi, &p->av, cred, method);
	if (r == M2M_OK) {
		success(b, p, now, rsp);
	} else if (r == M2M_E_AKA_SYNC) {
		char impi[M2M_HSS_IMPI_MAX + 1];
		/* RFC 3310 clause 3.5 / TS 33.102 clause 6.3.5: SQN_HE resynchronised, challenge again */
		snprintf(impi, sizeof(impi), "%s", p->impi);
		drop(p);
		audit(b, impi, "resynchronised", 401);
		challenge(b, impi, now, false, rsp);
		return;
	} else if (r == M2M_E_AUTH || r == M2M_E_AKA_MAC) {
		text(rsp, 403, "authentication failed");
		audit(b, p->impi, "auth-failed", 403);
	} else {
		text(rsp, 500, "HSS unavailable");
		audit(b, p->impi, "store-error", 500);
	}
	drop(p); /* one answer per challenge */
}

static void handle_locked(m2m_bsf *b, const m2m_http_raw_request *req, int64_t now, m2m_http_raw_response *rsp)
{
	const char *v = header(req, "Authorization");
	m2m_digest d;
	int retry = 0;
	bool initial;

	if (strcmp(req->method, "GET") != 0) { /* public: method token */
		text(rsp, 405, "method not allowed");
		return;
	}
	if (v == NULL) {
		text(rsp, 400, "Authorization with the IMPI required (TS 24.109 clause 5.2.1)");
		return;
	}
	if (m2m_digest_parse(v, strlen(v), M2M_DIGEST_CREDENTIALS, &d) == M2M_OK)
		initial = false;
	else if (m2m_digest_parse(v, strlen(v), M2M_DIGEST_INITIAL, &d) == M2M_OK)
		initial = true;
	else {
		text(rsp, 400, "malformed Digest AKA Authorization");
		audit(b, NULL, "malformed", 400);
		return;
	}
	if (b->rl != NULL &&
	    !m2mi_ratelimit_take(b->rl, d.username, strlen(d.username), now * 1000, &retry)) {
		rsp->retry_after = retry > 0 ? retry : 1;
		text(rsp, 429, "rate limit");
		audit(b, d.username, "rate-limited", 429);
		return;
	}
	if (initial)
		challenge(b, d.username, now, false, rsp);
	else
		answer(b, &d, req->method, now, rsp);
	m2m_memzero(&d, sizeof(d));
}

void m2m_bsf_handle(m2m_bsf *b, const m2m_http_raw_request *req, int64_t now, m2m_http_raw_response *rsp)
{
	if (b == NULL || req == NULL || rsp == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	handle_locked(b, req, now, rsp);
	pthread_mutex_unlock(&b->mu);
}

static void on_raw(void *ctx, int ti, const m2m_http_raw_request *req, m2m_http_raw_response *rsp)
{
	(void)ti;
	m2m_bsf_handle(ctx, req, (int64_t)time(NULL), rsp);
}

m2m_err m2m_bsf_route(m2m_http_server *srv, m2m_bsf *b)
{
	if (srv == NULL || b == NULL)
		return M2M_E_INVAL;
	return m2m_http_server_route(srv, M2M_BSF_PATH, on_raw, b);
}
