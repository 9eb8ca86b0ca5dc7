/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the HTTP exposure of the MEF's EST server (RFC 7030 section 3.2.2
 * /.well-known/est/{cacerts,csrattrs,simpleenroll,simplereenroll}; TS-0003 clause 8.3.6.2) and of
 * its CRL (GET /crl, RFC 5280 section 5, DER as application/pkix-crl per RFC 2585) as raw routes
 * of the HTTP server (m2m_http_server_route): these are plain HTTP requests, not oneM2M
 * primitives. The enrolee is who the TLS association says (certificate-less TLS mutual
 * authentication with the Kpm, RFC 7030 section 3.3.3, or its certificate); HTTP-based client
 * authentication is not used (TS-0003 clause 8.3.6.2.1).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "m2msec/est.h"
#include "m2msec/http.h"
#include "m2msec/log.h"
#include "services/mef/mef_int.h"

struct m2m_est_http {
	m2m_est *est;
	m2m_mef *mef;
	m2m_mef_worker **workers;
	int nworkers;
	int64_t crl_validity_s;
};

m2m_err m2m_est_http_new(m2m_est *est, m2m_mef *mef, m2m_mef_worker *const *workers, int nworkers,
			 int64_t crl_validity_s, m2m_est_http **out)
{
	m2m_est_http *h;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (est == NULL || mef == NULL || workers == NULL || nworkers < 1 || crl_validity_s < 0)
		return M2M_E_INVAL;
	if ((h = calloc(1, sizeof(*h))) == NULL || (h->workers = calloc((size_t)nworkers, sizeof(*h->workers))) == NULL) {
		free(h);
		return M2M_E_NOMEM;
	}
	memcpy(h->workers, workers, (size_t)nworkers * sizeof(*workers));
	h->est = est;
	h->mef = mef;
	h->nworkers = nworkers;
	h->crl_validity_s = crl_validity_s;
	*out = h;
	return M2M_OK;
}

void m2m_est_http_free(m2m_est_http *h)
{
	if (h == NULL)
		return;
	free(h->workers);
	free(h);
}

static void text(m2m_http_raw_response *rsp, int status, const char *msg)
{
	rsp->status = status;
	rsp->content_type = "text/plain";
	if ((rsp->body = strdup(msg)) != NULL)
		rsp->body_len = strlen(msg);
}

static void from_reply(m2m_http_raw_response *rsp, m2m_est_reply *r)
{
	rsp->status = r->status;
	rsp->content_type = r->content_type;
	rsp->body = r->body;
	rsp->body_len = r->body_len;
	r->body = NULL;
	/* RFC 7030 section 4.2.3: the base64 body is sent with Content-Transfer-Encoding; HTTP has
	 * no such header field, and EST clients accept the body as is. */
}

/* One audit event per enrolment (m2m_mef_config.audit, else the log), never a key. */
static void audit_est(m2m_mef *mef, bool re, const m2m_mef_assoc *a, const m2m_est_reply *r)
{
	m2m_mef_audit ev = {
		.procedure = re ? "est-simplereenroll" : "est-simpleenroll",
		.outcome = r->outcome != NULL ? r->outcome : "internal",
		.rsc = r->status,
		.client = a != NULL ? m2m_mef_assoc_client(a) : NULL,
	};

	if (mef->cfg.audit != NULL) {
		mef->cfg.audit(mef->cfg.audit_ctx, &ev);
		return;
	}
	m2m_log(M2M_LOG_INFO, "mef audit procedure=%s outcome=%s rsc=%d client=%s", ev.procedure, ev.outcome, ev.rsc,
		ev.client != NULL ? ev.client : "-");
}

/* The path after the prefix, without the query. */
static size_t op_of(const char *target, size_t skip, const char **op)
{
	*op = target + skip;
	return strcspn(*op, "?");
}

static void on_est(m2m_est_http *h, int ti, const m2m_http_raw_request *req, m2m_http_raw_response *rsp)
{
	const char *op;
	size_t n = op_of(req->target, strlen(M2M_EST_PATH_PREFIX), &op);
	bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
	bool re = n == 15 && strncmp(op, "/simplereenroll", 15) == 0;
	m2m_est_reply r = {0};
	m2m_mef_assoc *a = NULL;
	m2m_err e;

	if ((n == 8 && strncmp(op, "/cacerts", 8) == 0) || (n == 9 && strncmp(op, "/csrattrs", 9) == 0)) {
		if (!get) {
			text(rsp, 405, "method not allowed");
			return;
		}
		e = op[1] == 'c' && op[2] == 'a' ? m2m_est_cacerts(h->est, &r) : m2m_est_csrattrs(h->est, &r);
		if (e != M2M_OK)
			text(rsp, 500, "internal error");
		else
			from_reply(rsp, &r);
		m2m_est_reply_clear(&r);
		return;
	}
	if (!re && !(n == 13 && strncmp(op, "/simpleenroll", 13) == 0)) {
		text(rsp, 404, "unknown EST operation");
		return;
	}
	if (!post) {
		text(rsp, 405, "method not allowed");
		return;
	}
	if (ti < 0 || ti >= h->nworkers) {
		text(rsp, 500, "internal error");
		return;
	}
	if (req->ssl != NULL && req->sa->kind != M2M_SA_NONE &&
	    m2m_mef_assoc_new_from_ssl(h->mef, req->ssl, req->sa, &a) != M2M_OK)
		a = NULL;
	e = m2m_est_enroll(h->est, h->workers[ti], a, req->ssl != NULL ? SSL_get0_peer_certificate(req->ssl) : NULL, re,
			   req->body, req->body_len, (int64_t)time(NULL), &r);
	if (e == M2M_OK)
		audit_est(h->mef, re, a, &r);
	m2m_mef_assoc_free(a);
	if (e != M2M_OK)
		text(rsp, 500, "internal error");
	else
		from_reply(rsp, &r);
	m2m_est_reply_clear(&r);
}

static void on_raw(void *ctx, int ti, const m2m_http_raw_request *req, m2m_http_raw_response *rsp)
{
	m2m_est_http *h = ctx;
	char *pem = NULL;
	BIO *bio = NULL;
	X509_CRL *crl = NULL;
	unsigned char *der = NULL;
	int len;

	if (strncmp(req->target, M2M_EST_PATH_PREFIX, strlen(M2M_EST_PATH_PREFIX)) == 0) {
		on_est(h, ti, req, rsp);
		return;
	}
	/* GET /crl: the MEF CA's current CRL, derived from the store now. */
	if (strcmp(req->method, "GET") != 0) {
		text(rsp, 405, "method not allowed");
		return;
	}
	if (ti < 0 || ti >= h->nworkers ||
	    m2m_est_crl(h->est, h->workers[ti]->st, (int64_t)time(NULL), h->crl_validity_s, &pem) != M2M_OK ||
	    (bio = BIO_new_mem_buf(pem, -1)) == NULL || (crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) == NULL ||
	    (len = i2d_X509_CRL(crl, &der)) <= 0 || (rsp->body = malloc((size_t)len)) == NULL) {
		text(rsp, 500, "CRL unavailable");
	} else {
		memcpy(rsp->body, der, (size_t)len);
		rsp->body_len = (size_t)len;
		rsp->status = 200;
		rsp->content_type = "application/pkix-crl";
	}
	OPENSSL_free(der);
	X509_CRL_free(crl);
	BIO_free(bio);
	free(pem);
}

m2m_err m2m_mef_est_route(m2m_http_server *srv, m2m_est_http *h)
{
	m2m_err r;

	if (srv == NULL || h == NULL)
		return M2M_E_INVAL;
	if (m2m_http_server_threads(srv) > h->nworkers)
		return M2M_E_INVAL; /* a thread without its MEF worker */
	if ((r = m2m_http_server_route(srv, M2M_EST_PATH_PREFIX, on_raw, h)) != M2M_OK)
		return r;
	return m2m_http_server_route(srv, M2M_EST_CRL_PATH, on_raw, h);
}
