/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the MEF's operator console
 * (docs/procedures/console.md): the HTML buffer with escaping and the form decoder
 * (console_html.c), the console state, request dispatch and authentication (console.c) and the
 * pages (console_pages.c enrolees, console_view.c audit / CRL / chart).
 */
#ifndef M2M_SERVICES_MEF_CONSOLE_INT_H
#define M2M_SERVICES_MEF_CONSOLE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "m2msec/key.h"
#include "m2msec/mef_console.h"
#include "m2msec/mefstore.h"

/* A growing HTML document; after a failed allocation every append is a no-op and oom is set. */
typedef struct m2mi_html {
	char *p;
	size_t len, cap;
	bool oom;
} m2mi_html;

void m2mi_html_raw(m2mi_html *h, const char *s);
/* s with & < > " ' as character references: safe in element content and quoted attributes. */
void m2mi_html_esc(m2mi_html *h, const char *s);
/* s percent-encoded for a query value (unreserved characters kept). */
void m2mi_html_url(m2mi_html *h, const char *s);
void m2mi_html_fmt(m2mi_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void m2mi_html_free(m2mi_html *h);

/*
 * The value of field name in an application/x-www-form-urlencoded string (a query or a POST
 * body) of len bytes, decoded ('+' is a space, %XX) into out (cap bytes, NUL-terminated).
 * M2M_E_NOT_FOUND (absent), M2M_E_RANGE (longer than cap - 1), M2M_E_PROTO (bad %-escape, a NUL
 * or a control character decoded; a field twice), M2M_E_INVAL.
 */
m2m_err m2mi_form_get(const char *form, size_t len, const char *name, char *out, size_t cap);

/* One kept audit entry (copies, bounded). */
typedef struct m2mi_console_ev {
	int64_t at;
	char procedure[32], outcome[32], client[160], enrolee[160], key_id[160];
	int rsc, suid;
} m2mi_console_ev;

struct m2m_mef_console {
	char *store_path, *admin_identity;
	m2m_mefstore *st;    /* the console's own connection (the admin listener's one thread) */
	m2m_est *est;        /* NULL = no CRL page */
	m2m_mef_audit_fn audit;
	void *audit_ctx;
	m2m_key *csrf_key;   /* per process: the CSRF token is HMAC(csrf_key, admin certificate) */
	pthread_mutex_t mu;  /* the audit ring, written by every MEF thread */
	m2mi_console_ev ring[M2M_MEF_CONSOLE_AUDIT_MAX];
	size_t ring_next, ring_n;
	void *route;         /* the raw route's state (console.c), freed with the console */
};

/* One authenticated console request (the TLS layer and the identity check passed). */
typedef struct m2mi_console_req {
	const char *method, *path, *query; /* path without the query; query NULL when none */
	const char *origin, *host, *fetch_site;
	const char *body;
	size_t body_len;
	const char *csrf; /* the session's token (hex) */
	int64_t now;
} m2mi_console_req;

/* The page for r: status and a malloc'd HTML body in *body. */
int m2mi_console_serve(m2m_mef_console *c, const m2mi_console_req *r, char **body, size_t *len);

/* Pages (console_pages.c, console_view.c): append the page's content to h; return the status. */
int m2mi_console_list(m2m_mef_console *c, const m2mi_console_req *r, m2mi_html *h);
int m2mi_console_detail(m2m_mef_console *c, const m2mi_console_req *r, m2mi_html *h);
int m2mi_console_action(m2m_mef_console *c, const m2mi_console_req *r, bool rotate, m2mi_html *h);
int m2mi_console_audit_page(m2m_mef_console *c, const m2mi_console_req *r, m2mi_html *h);
int m2mi_console_crl_page(m2m_mef_console *c, const m2mi_console_req *r, m2mi_html *h);
int m2mi_console_chart_page(m2m_mef_console *c, const m2mi_console_req *r, m2mi_html *h);
/* The hidden CSRF field of a POST form. */
void m2mi_console_csrf_field(m2mi_html *h, const m2mi_console_req *r);

#endif
