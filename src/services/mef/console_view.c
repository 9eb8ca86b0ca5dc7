/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the read-only views of the MEF's operator console
 * (docs/procedures/console.md): the recent audit entries (the bounded in-memory ring every MEF
 * outcome is also written to; the log stays the durable record), the CRL of the MEF CA when
 * ca-dir is set (issuer, this and next update, revoked serials; the same CRL the EST route
 * serves, TS-0003 §8.1.2.2), and enrolments per day as server-rendered SVG bars (no script).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "services/mef/console_int.h"

#define CHART_DAYS 30

enum when { W_SECOND, W_DAY, W_SHORT };

static void day(m2mi_html *h, int64_t t, enum when how)
{
	char b[32];
	time_t tt = (time_t)t;
	struct tm tm;
	size_t n = 0;

	if (gmtime_r(&tt, &tm) == NULL)
		return;
	if (how == W_SECOND)
		n = strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S", &tm);
	else if (how == W_DAY)
		n = strftime(b, sizeof(b), "%Y-%m-%d", &tm);
	else
		n = strftime(b, sizeof(b), "%m-%d", &tm);
	if (n > 0)
		m2mi_html_raw(h, b);
}

int m2mi_console_audit_page(m2m_mef_console *c, const m2mi_console_req *r, m2mi_html *h)
{
	m2mi_console_ev *v = malloc(sizeof(c->ring));
	size_t n, next;

	(void)r;
	if (v == NULL)
		return 500;
	pthread_mutex_lock(&c->mu);
	memcpy(v, c->ring, sizeof(c->ring));
	n = c->ring_n;
	next = c->ring_next;
	pthread_mutex_unlock(&c->mu);
	m2mi_html_fmt(h, "<h1>Audit</h1><p>The %zu most recent outcomes (at most %d, newest first; the log has all).</p>"
			 "<table id=\"audit\"><tr><th>Time (UTC)</th><th>Procedure</th><th>Outcome</th><th>RSC</th>"
			 "<th>Client</th><th>Enrolee</th><th>Key ID</th></tr>\n", n, M2M_MEF_CONSOLE_AUDIT_MAX);
	for (size_t i = 0; i < n; i++) {
		const m2mi_console_ev *e = &v[(next + M2M_MEF_CONSOLE_AUDIT_MAX - 1 - i) % M2M_MEF_CONSOLE_AUDIT_MAX];
		m2mi_html_raw(h, "<tr><td>");
		day(h, e->at, W_SECOND);
		m2mi_html_raw(h, "</td><td>");
		m2mi_html_esc(h, e->procedure);
		m2mi_html_raw(h, "</td><td>");
		m2mi_html_esc(h, e->outcome);
		m2mi_html_fmt(h, "</td><td>%d</td><td>", e->rsc);
		m2mi_html_esc(h, e->client);
		m2mi_html_raw(h, "</td><td>");
		m2mi_html_esc(h, e->enrolee);
		m2mi_html_raw(h, "</td><td>");
		m2mi_html_esc(h, e->key_id);
		m2mi_html_raw(h, "</td></tr>\n");
	}
	m2mi_html_raw(h, "</table>");
	free(v);
	return 200;
}

/* OpenSSL's text of a name or a time, escaped. */
static void bio_text(m2mi_html *h, BIO *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	char *s = n >= 0 && p != NULL ? strndup(p, (size_t)n) : NULL;

	m2mi_html_esc(h, s != NULL ? s : "-");
	free(s);
	(void)BIO_reset(b);
}

static int crl_render(m2mi_html *h, X509_CRL *crl)
{
	STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
	BIO *b = BIO_new(BIO_s_mem());
	int n = rev != NULL ? sk_X509_REVOKED_num(rev) : 0;

	if (b == NULL)
		return 500;
	m2mi_html_raw(h, "<h1>CRL</h1><table id=\"crl\"><tr><th>Issuer</th><td>");
	X509_NAME_print_ex(b, X509_CRL_get_issuer(crl), 0, XN_FLAG_RFC2253);
	bio_text(h, b);
	m2mi_html_raw(h, "</td></tr><tr><th>This update</th><td>");
	ASN1_TIME_print(b, X509_CRL_get0_lastUpdate(crl));
	bio_text(h, b);
	m2mi_html_raw(h, "</td></tr><tr><th>Next update</th><td id=\"next-update\">");
	if (X509_CRL_get0_nextUpdate(crl) != NULL)
		ASN1_TIME_print(b, X509_CRL_get0_nextUpdate(crl));
	bio_text(h, b);
	m2mi_html_fmt(h, "</td></tr></table>\n<h2>Revoked serials (%d)</h2><table id=\"revoked\"><tr><th>Serial</th>"
			 "<th>Revoked at</th></tr>\n", n);
	for (int i = 0; i < n; i++) {
		X509_REVOKED *x = sk_X509_REVOKED_value(rev, i);
		m2mi_html_raw(h, "<tr><td>");
		i2a_ASN1_INTEGER(b, X509_REVOKED_get0_serialNumber(x));
		bio_text(h, b);
		m2mi_html_raw(h, "</td><td>");
		ASN1_TIME_print(b, X509_REVOKED_get0_revocationDate(x));
		bio_text(h, b);
		m2mi_html_raw(h, "</td></tr>\n");
	}
	m2mi_html_raw(h, "</table>");
	BIO_free(b);
	return 200;
}

int m2mi_console_crl_page(m2m_mef_console *c, const m2mi_console_req *r, m2mi_html *h)
{
	char *pem = NULL;
	BIO *b;
	X509_CRL *crl = NULL;
	int status = 500;

	if (c->est == NULL) {
		m2mi_html_raw(h, "<h1>No CRL</h1><p>This MEF has no CA (ca-dir is not set).</p>");
		return 404;
	}
	if (m2m_est_crl(c->est, c->st, r->now, 0, &pem) == M2M_OK && (b = BIO_new_mem_buf(pem, -1)) != NULL) {
		crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if (crl != NULL)
		status = crl_render(h, crl);
	else
		m2mi_html_raw(h, "<h1>The CRL could not be made</h1>");
	X509_CRL_free(crl);
	free(pem);
	return status;
}

struct chart_walk {
	int64_t first; /* 00:00 UTC of the first day shown */
	unsigned count[CHART_DAYS];
};

static m2m_err chart_row(const m2m_mef_enrolee *e, void *arg)
{
	struct chart_walk *w = arg;

	if (e->created_at >= w->first && e->created_at < w->first + (int64_t)CHART_DAYS * 86400)
		w->count[(e->created_at - w->first) / 86400]++;
	return M2M_OK;
}

int m2mi_console_chart_page(m2m_mef_console *c, const m2mi_console_req *r, m2mi_html *h)
{
	struct chart_walk w = {.first = (r->now / 86400 - (CHART_DAYS - 1)) * 86400};
	unsigned max = 1;
	const int bw = 20, ph = 160;

	if (m2m_mefstore_enrolee_list(c->st, chart_row, &w) != M2M_OK) {
		m2mi_html_raw(h, "<h1>The store could not be read</h1>");
		return 500;
	}
	for (int i = 0; i < CHART_DAYS; i++)
		max = w.count[i] > max ? w.count[i] : max;
	m2mi_html_fmt(h, "<h1>Enrolments per day</h1><p>Records created per UTC day, the last %d days (highest: %u)."
			 "</p>\n<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
			 "role=\"img\" aria-label=\"enrolments per day\">", CHART_DAYS, max, CHART_DAYS * bw + 10, ph + 30);
	m2mi_html_fmt(h, "<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>", ph, CHART_DAYS * bw + 10, ph);
	for (int i = 0; i < CHART_DAYS; i++) {
		int bh = (int)((long)w.count[i] * (ph - 10) / (long)max);
		m2mi_html_fmt(h, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#36c\"><title>",
			      5 + i * bw, ph - bh, bw - 4, bh);
		day(h, w.first + (int64_t)i * 86400, W_DAY);
		m2mi_html_fmt(h, ": %u</title></rect>", w.count[i]);
		if ((CHART_DAYS - 1 - i) % 7 == 0) { /* today and every week before it */
			m2mi_html_fmt(h, "<text x=\"%d\" y=\"%d\" font-size=\"10\">", 5 + i * bw, ph + 15);
			day(h, w.first + (int64_t)i * 86400, W_SHORT);
			m2mi_html_raw(h, "</text>");
		}
	}
	m2mi_html_raw(h, "</svg>\n<table id=\"per-day\"><tr><th>Day (UTC)</th><th>Enrolments</th></tr>");
	for (int i = 0; i < CHART_DAYS; i++) {
		if (w.count[i] == 0)
			continue;
		m2mi_html_raw(h, "<tr><td>");
		day(h, w.first + (int64_t)i * 86400, W_DAY);
		m2mi_html_fmt(h, "</td><td>%u</td></tr>", w.count[i]);
	}
	m2mi_html_raw(h, "</table>");
	return 200;
}
