/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF's operator console (m2msec/mef_console.h,
 * docs/procedures/console.md): its state, the bounded audit ring, and the one raw route of the
 * admin listener. Every request is authenticated before anything is read: the TLS layer has
 * verified the client certificate against [mef] admin-ca (a handshake without one fails), and
 * the certificate must carry [mef] admin-identity, else 403 with no data. A state-changing
 * request is a POST from the console's own origin carrying the session's CSRF token
 * (HMAC-SHA-256 under a per-process key of the admin certificate's fingerprint); GET never
 * changes state. Responses carry a strict Content-Security-Policy (no script; the one style
 * element allowed by its hash) and are never cached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "m2msec/mem.h"
#include "services/mef/console_int.h"

/* The console's only style: inline, allowed by its hash in the CSP (no external asset). */
static const char style[] =
	"body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}"
	"td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left}nav a{margin-right:1em}"
	".revoked{color:#a00}.active{color:#070}.expired{color:#a60}form.inline{display:inline}";

static void copy(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s != NULL ? s : "");
}

m2m_err m2m_mef_console_new(const m2m_mef_console_config *cfg, m2m_mef_console **out)
{
	m2m_mef_console *c;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (cfg == NULL || cfg->store == NULL || cfg->admin_identity == NULL || cfg->admin_identity[0] == '\0')
		return M2M_E_CONFIG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return M2M_E_NOMEM;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return M2M_E_NOMEM;
	}
	c->est = cfg->est;
	c->audit = cfg->audit;
	c->audit_ctx = cfg->audit_ctx;
	if ((c->store_path = strdup(cfg->store)) == NULL || (c->admin_identity = strdup(cfg->admin_identity)) == NULL)
		r = M2M_E_NOMEM;
	else if ((r = m2m_key_generate(32, &c->csrf_key)) == M2M_OK)
		r = m2m_mefstore_open(c->store_path, false, &c->st); /* FULL sync: as the operator CLI */
	if (r != M2M_OK) {
		m2m_mef_console_free(c);
		return r;
	}
	*out = c;
	return M2M_OK;
}

void m2m_mef_console_free(m2m_mef_console *c)
{
	if (c == NULL)
		return;
	m2m_mefstore_close(c->st);
	free(c->route);
	m2m_key_free(c->csrf_key);
	pthread_mutex_destroy(&c->mu);
	free(c->store_path);
	free(c->admin_identity);
	free(c);
}

void m2m_mef_console_audit(m2m_mef_console *c, const m2m_mef_audit *ev)
{
	m2mi_console_ev *e;

	if (c == NULL || ev == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	e = &c->ring[c->ring_next];
	e->at = (int64_t)time(NULL);
	copy(e->procedure, sizeof(e->procedure), ev->procedure);
	copy(e->outcome, sizeof(e->outcome), ev->outcome);
	copy(e->client, sizeof(e->client), ev->client);
	copy(e->enrolee, sizeof(e->enrolee), ev->enrolee_id);
	copy(e->key_id, sizeof(e->key_id), ev->key_id);
	e->rsc = ev->rsc;
	e->suid = ev->suid;
	c->ring_next = (c->ring_next + 1) % M2M_MEF_CONSOLE_AUDIT_MAX;
	if (c->ring_n < M2M_MEF_CONSOLE_AUDIT_MAX)
		c->ring_n++;
	pthread_mutex_unlock(&c->mu);
}

void m2mi_console_csrf_field(m2mi_html *h, const m2mi_console_req *r)
{
	m2mi_html_raw(h, "<input type=\"hidden\" name=\"csrf\" value=\"");
	m2mi_html_esc(h, r->csrf);
	m2mi_html_raw(h, "\">");
}

/* A POST must come from the console's own origin (RFC 6454): Origin equal to https://<Host>,
 * or, from a browser that sends no Origin, Sec-Fetch-Site same-origin. Neither: refused. */
static bool same_origin(const m2mi_console_req *r)
{
	if (r->host == NULL || r->host[0] == '\0')
		return false;
	if (r->origin != NULL)
		return strncmp(r->origin, "https://", 8) == 0 && strcasecmp(r->origin + 8, r->host) == 0; /* public: origin */
	return r->fetch_site != NULL && strcmp(r->fetch_site, "same-origin") == 0;
}

static bool csrf_ok(const m2mi_console_req *r)
{
	char got[80];

	if (m2mi_form_get(r->body != NULL ? r->body : "", r->body_len, "csrf", got, sizeof(got)) != M2M_OK ||
	    strlen(got) != strlen(r->csrf))
		return false;
	return m2m_ct_eq(got, r->csrf, strlen(got));
}

static void page_head(m2mi_html *h, const char *title)
{
	m2mi_html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>MEF console: ");
	m2mi_html_esc(h, title);
	m2mi_html_raw(h, "</title><style>");
	m2mi_html_raw(h, style);
	m2mi_html_raw(h, "</style></head><body><nav><a href=\"/console\">Enrolees</a><a href=\"/console/audit\">Audit"
			 "</a><a href=\"/console/crl\">CRL</a><a href=\"/console/chart\">Enrolments</a></nav>\n");
}

static int message(m2mi_html *h, int status, const char *text)
{
	m2mi_html_raw(h, "<h1>");
	m2mi_html_esc(h, text);
	m2mi_html_raw(h, "</h1>");
	return status;
}

int m2mi_console_serve(m2m_mef_console *c, const m2mi_console_req *r, char **body, size_t *len)
{
	m2mi_html h = {0};
	const char *p = r->path;
	bool post = strcmp(r->method, "POST") == 0, get = strcmp(r->method, "GET") == 0;
	bool action = strcmp(p, "/console/revoke") == 0 || strcmp(p, "/console/rotate") == 0;
	int status;

	*body = NULL;
	*len = 0;
	page_head(&h, action ? "action" : p + 1);
	if (!get && !post)
		status = message(&h, 405, "method not allowed");
	else if (action && !post)
		status = message(&h, 405, "use the form (POST)"); /* a GET never changes state */
	else if (post && !action)
		status = message(&h, 405, "method not allowed");
	else if (post && (!same_origin(r) || !csrf_ok(r)))
		status = message(&h, 403, "forbidden: cross-site or stale form (reload the page)");
	else if (action)
		status = m2mi_console_action(c, r, strcmp(p, "/console/rotate") == 0, &h);
	else if (strcmp(p, "/console") == 0 || strcmp(p, "/console/") == 0)
		status = m2mi_console_list(c, r, &h);
	else if (strcmp(p, "/console/enrolee") == 0)
		status = m2mi_console_detail(c, r, &h);
	else if (strcmp(p, "/console/audit") == 0)
		status = m2mi_console_audit_page(c, r, &h);
	else if (strcmp(p, "/console/crl") == 0)
		status = m2mi_console_crl_page(c, r, &h);
	else if (strcmp(p, "/console/chart") == 0)
		status = m2mi_console_chart_page(c, r, &h);
	else
		status = message(&h, 404, "not found");
	m2mi_html_raw(&h, "\n</body></html>\n");
	if (h.oom) {
		m2mi_html_free(&h);
		return 500;
	}
	*body = h.p;
	*len = h.len;
	return status;
}

/* ---- the raw route: TLS identity, token, headers ------------------------------------------ */

struct console_route {
	m2m_mef_console *c;
	char csp[256];
	m2m_http_header hdrs[6];
};

static const char *header(const m2m_http_raw_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0) /* public: field names */
			return req->headers[i].value;
	return NULL;
}

/* The admin certificate: verified by the TLS layer against admin-ca; it must name admin-identity
 * in a DNS SAN (exact, no wildcard) or be bound by the TLS layer to that identity. */
static bool admin_ok(const m2m_mef_console *c, const m2m_http_raw_request *req, X509 **leaf)
{
	*leaf = req->ssl != NULL ? SSL_get0_peer_certificate(req->ssl) : NULL;
	if (*leaf == NULL || req->sa == NULL || req->sa->kind != M2M_SA_CERT ||
	    SSL_get_verify_result(req->ssl) != X509_V_OK)
		return false;
	if (strcmp(req->sa->bound_id, c->admin_identity) == 0)
		return true;
	return X509_check_host(*leaf, c->admin_identity, strlen(c->admin_identity), X509_CHECK_FLAG_NO_WILDCARDS |
			       X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1;
}

/* The session's CSRF token: HMAC-SHA-256(csrf_key, SHA-256 of the admin certificate), hex. */
static bool csrf_token(const m2m_mef_console *c, X509 *leaf, char out[65])
{
	unsigned char fp[EVP_MAX_MD_SIZE], mac[32];
	unsigned int fl = 0;
	size_t ml = 0, kl = 0;
	const uint8_t *k = m2m_key_bytes(c->csrf_key, &kl);

	if (X509_digest(leaf, EVP_sha256(), fp, &fl) != 1 ||
	    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k, kl, fp, fl, mac, sizeof(mac), &ml) == NULL || ml != 32)
		return false;
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	m2m_memzero(mac, sizeof(mac));
	return true;
}

static void console_raw(void *ctx, int thread_index, const m2m_http_raw_request *req, m2m_http_raw_response *rsp)
{
	struct console_route *cr = ctx;
	char path[256], token[65];
	const char *q;
	size_t pl;
	X509 *leaf;
	m2mi_console_req r;

	(void)thread_index;
	rsp->headers = cr->hdrs;
	rsp->nheaders = sizeof(cr->hdrs) / sizeof(cr->hdrs[0]);
	rsp->content_type = "text/html; charset=utf-8";
	if (!admin_ok(cr->c, req, &leaf) || !csrf_token(cr->c, leaf, token)) {
		rsp->status = 403; /* nothing else: not even whether the page exists */
		return;
	}
	q = strchr(req->target, '?');
	pl = q != NULL ? (size_t)(q - req->target) : strlen(req->target);
	if (pl >= sizeof(path)) {
		rsp->status = 414;
		return;
	}
	memcpy(path, req->target, pl);
	path[pl] = '\0';
	r = (m2mi_console_req){
		.method = req->method, .path = path, .query = q != NULL ? q + 1 : NULL, .origin = header(req, "Origin"),
		.host = header(req, "Host"), .fetch_site = header(req, "Sec-Fetch-Site"),
		.body = (const char *)req->body, .body_len = req->body_len, .csrf = token, .now = (int64_t)time(NULL),
	};
	rsp->status = m2mi_console_serve(cr->c, &r, &rsp->body, &rsp->body_len);
}

static void route_free(struct console_route *cr)
{
	free(cr);
}

m2m_err m2m_mef_console_route(m2m_http_server *srv, m2m_mef_console *c)
{
	struct console_route *cr;
	unsigned char md[32];
	unsigned char b64[48];
	m2m_err r;

	if (srv == NULL || c == NULL)
		return M2M_E_INVAL;
	if ((cr = calloc(1, sizeof(*cr))) == NULL)
		return M2M_E_NOMEM;
	cr->c = c;
	if (EVP_Digest(style, strlen(style), md, NULL, EVP_sha256(), NULL) != 1 ||
	    EVP_EncodeBlock(b64, md, (int)sizeof(md)) != 44) {
		route_free(cr);
		return M2M_E_INTERNAL;
	}
	snprintf(cr->csp, sizeof(cr->csp),
		 "default-src 'none'; style-src 'sha256-%s'; img-src 'self'; form-action 'self'; "
		 "frame-ancestors 'none'; base-uri 'none'",
		 (const char *)b64);
	cr->hdrs[0] = (m2m_http_header){"Content-Security-Policy", cr->csp};
	cr->hdrs[1] = (m2m_http_header){"X-Frame-Options", "DENY"};
	cr->hdrs[2] = (m2m_http_header){"X-Content-Type-Options", "nosniff"};
	cr->hdrs[3] = (m2m_http_header){"Referrer-Policy", "same-origin"};
	cr->hdrs[4] = (m2m_http_header){"Cache-Control", "no-store"};
	cr->hdrs[5] = (m2m_http_header){"Strict-Transport-Security", "max-age=31536000"};
	if ((r = m2m_http_server_route(srv, M2M_MEF_CONSOLE_PATH, console_raw, cr)) != M2M_OK) {
		route_free(cr);
		return r;
	}
	c->route = cr; /* freed with the console */
	return M2M_OK;
}
