/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the enrolee pages of the MEF's operator console
 * (docs/procedures/console.md): the list with search (prefix of KpmID, Enrolee-ID or KeID) and
 * paging, the detail of one enrolee (its credential, its current KeID with its state, the
 * Enrolment Expiry; never a key), and the revoke and rotate actions, which call the same store
 * procedures as `m2msec mef enrolee revoke|rotate` (TS-0003 §8.3.2.1 bootstrap credential
 * configuration). Every value shown is escaped: identifiers are chosen by whoever enrolled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "m2msec/hex.h"
#include "m2msec/mem.h"
#include "services/mef/console_int.h"
#include "store/mefstore_keys.h"

#define PAGE_ROWS 50
#define QMAX 256

static void when(m2mi_html *h, int64_t t)
{
	char b[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL || strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		m2mi_html_raw(h, "-");
		return;
	}
	m2mi_html_raw(h, b);
}

/* What the operator cannot fix by changing the input: 500, never blamed on the request. */
static bool server_fault(m2m_err e)
{
	return e == M2M_E_STORE || e == M2M_E_NOMEM || e == M2M_E_INTERNAL || e == M2M_E_IO;
}

static const char *state_of(const m2m_mef_enrolee *e, int64_t now)
{
	if (e->state == M2M_CRED_STATE_REVOKED)
		return "revoked";
	return e->expiry <= now ? "expired" : "active";
}

static bool starts(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A query parameter; absent or malformed is "" (a search for everything, page 0). */
static void param(const m2mi_console_req *r, const char *name, char *out, size_t cap)
{
	if (r->query == NULL || m2mi_form_get(r->query, strlen(r->query), name, out, cap) != M2M_OK)
		out[0] = '\0';
}

struct list_walk {
	m2mi_html *h;
	const char *q;
	int64_t now;
	size_t from, matched;
};

static m2m_err list_row(const m2m_mef_enrolee *e, void *arg)
{
	struct list_walk *w = arg;
	m2mi_html *h = w->h;
	const char *st;

	if (w->q[0] != '\0' && !starts(e->client_id, w->q) && !starts(e->enrolee_id, w->q) && !starts(e->keid, w->q))
		return M2M_OK;
	if (w->matched++ < w->from || w->matched > w->from + PAGE_ROWS)
		return M2M_OK; /* counted, not shown */
	st = state_of(e, w->now);
	m2mi_html_raw(h, "<tr><td><a href=\"/console/enrolee?id=");
	m2mi_html_url(h, e->client_id);
	m2mi_html_raw(h, "\">");
	m2mi_html_esc(h, e->client_id);
	m2mi_html_raw(h, "</a></td><td>");
	m2mi_html_esc(h, e->enrolee_id);
	m2mi_html_fmt(h, "</td><td class=\"%s\">%s</td><td>", st, st);
	when(h, e->expiry);
	m2mi_html_raw(h, "</td><td>");
	m2mi_html_esc(h, e->keid != NULL ? e->keid : "-");
	m2mi_html_raw(h, "</td></tr>\n");
	return M2M_OK;
}

int m2mi_console_list(m2m_mef_console *c, const m2mi_console_req *r, m2mi_html *h)
{
	char q[QMAX], pg[16];
	struct list_walk w = {.h = h, .q = q, .now = r->now};
	long page;
	char *end;
	m2m_err e;

	param(r, "q", q, sizeof(q));
	param(r, "page", pg, sizeof(pg));
	page = strtol(pg, &end, 10);
	if (pg[0] == '\0' || *end != '\0' || page < 0 || page > 1000000)
		page = 0;
	w.from = (size_t)page * PAGE_ROWS;
	m2mi_html_raw(h, "<h1>Enrolees</h1><form method=\"get\" action=\"/console\"><label>KpmID, Enrolee-ID or KeID "
			 "prefix <input type=\"search\" name=\"q\" id=\"q\" value=\"");
	m2mi_html_esc(h, q);
	m2mi_html_raw(h, "\"></label> <button type=\"submit\" id=\"search\">Search</button></form>\n<table id=\"enrolees\">"
			 "<tr><th>KpmID</th><th>Enrolee-ID</th><th>State</th><th>Enrolment Expiry</th><th>KeID</th></tr>\n");
	e = m2m_mefstore_enrolee_list(c->st, list_row, &w);
	m2mi_html_raw(h, "</table>\n");
	if (e != M2M_OK) {
		m2mi_html_raw(h, "<p>The store could not be read.</p>");
		return 500;
	}
	m2mi_html_fmt(h, "<p id=\"count\">%zu matching, page %ld</p>", w.matched, page);
	if (page > 0 || w.matched > w.from + PAGE_ROWS) {
		m2mi_html_raw(h, "<p>");
		if (page > 0) {
			m2mi_html_fmt(h, "<a id=\"prev\" href=\"/console?page=%ld&amp;q=", page - 1);
			m2mi_html_url(h, q);
			m2mi_html_raw(h, "\">previous</a> ");
		}
		if (w.matched > w.from + PAGE_ROWS) {
			m2mi_html_fmt(h, "<a id=\"next\" href=\"/console?page=%ld&amp;q=", page + 1);
			m2mi_html_url(h, q);
			m2mi_html_raw(h, "\">next</a>");
		}
		m2mi_html_raw(h, "</p>");
	}
	return 200;
}

static void row(m2mi_html *h, const char *name, const char *value)
{
	m2mi_html_raw(h, "<tr><th>");
	m2mi_html_raw(h, name);
	m2mi_html_raw(h, "</th><td>");
	m2mi_html_esc(h, value != NULL ? value : "-");
	m2mi_html_raw(h, "</td></tr>\n");
}

static void action_form(m2mi_html *h, const m2mi_console_req *r, const char *id, bool rotate)
{
	m2mi_html_fmt(h, "<form method=\"post\" action=\"/console/%s\">", rotate ? "rotate" : "revoke");
	m2mi_console_csrf_field(h, r);
	m2mi_html_raw(h, "<input type=\"hidden\" name=\"id\" value=\"");
	m2mi_html_esc(h, id);
	m2mi_html_raw(h, "\">");
	if (rotate)
		m2mi_html_raw(h, "<label>New Kpm (64 hex digits) <input type=\"password\" name=\"kpm\" id=\"kpm\" "
				 "autocomplete=\"off\" minlength=\"64\" maxlength=\"64\"></label> "
				 "<button type=\"submit\" id=\"rotate\">Rotate Kpm</button>");
	else
		m2mi_html_raw(h, "<button type=\"submit\" id=\"revoke\">Revoke</button>");
	m2mi_html_raw(h, "</form>\n");
}

struct key_walk {
	m2mi_html *h;
	int64_t now;
	size_t n;
};

/* One key: identifiers and dates only (the store never hands out its bytes here). */
static m2m_err key_row(const m2mi_mef_key_info *k, void *arg)
{
	struct key_walk *w = arg;
	m2mi_html *h = w->h;

	w->n++;
	m2mi_html_raw(h, k->is_ke ? "<tr><td>Ke (MEF Client Registration)</td><td>" : "<tr><td>Key Registration</td><td>");
	m2mi_html_esc(h, k->id);
	if (k->suid != 0)
		m2mi_html_fmt(h, "</td><td>%d</td><td>", k->suid);
	else
		m2mi_html_raw(h, "</td><td>-</td><td>");
	when(h, k->created_at);
	m2mi_html_raw(h, "</td><td>");
	when(h, k->expiry);
	m2mi_html_fmt(h, "</td><td>%s</td></tr>\n", k->expiry <= w->now ? "expired" : "active");
	return M2M_OK;
}

int m2mi_console_detail(m2m_mef_console *c, const m2mi_console_req *r, m2mi_html *h)
{
	char id[QMAX], targets[M2M_MEF_MAX_TARGETS * 130] = "";
	m2m_mef_enrolee *e = NULL;
	struct key_walk kw;
	const char *st;
	m2m_err er;

	param(r, "id", id, sizeof(id));
	er = id[0] == '\0' ? M2M_E_NOT_FOUND : m2m_mefstore_enrolee_get(c->st, id, &e);
	if (er != M2M_OK) {
		m2mi_html_raw(h, server_fault(er) ? "<h1>The store could not be read</h1>" : "<h1>No such enrolee</h1>");
		return server_fault(er) ? 500 : 404;
	}
	for (size_t i = 0; i < e->ntargets; i++) {
		size_t n = strlen(targets);
		snprintf(targets + n, sizeof(targets) - n, "%s%s", i ? ", " : "", e->targets[i]);
	}
	st = state_of(e, r->now);
	m2mi_html_raw(h, "<h1>Enrolee ");
	m2mi_html_esc(h, e->client_id);
	m2mi_html_raw(h, "</h1>\n<table id=\"detail\">");
	row(h, "Credential", e->flavour == M2M_MEF_FLAVOUR_KPM ? "pre-provisioned Kpm (KpmID)" : "certificate");
	row(h, "KpmID / certificate identity", e->client_id);
	row(h, "Enrolee-ID", e->enrolee_id);
	m2mi_html_fmt(h, "<tr><th>State</th><td id=\"state\" class=\"%s\">%s</td></tr>\n", st, st);
	m2mi_html_raw(h, "<tr><th>Enrolment Expiry</th><td>");
	when(h, e->expiry);
	m2mi_html_raw(h, "</td></tr><tr><th>Enrolled</th><td>");
	when(h, e->created_at);
	m2mi_html_raw(h, "</td></tr><tr><th>Revoked</th><td>");
	when(h, e->revoked_at);
	m2mi_html_raw(h, "</td></tr>\n");
	row(h, "Enrolment Targets", targets);
	row(h, "Further Enrolee-IDs allowed", e->allowed);
	row(h, "Group", e->group_id);
	m2mi_html_raw(h, "</table>\n<h2>Keys</h2><table id=\"keys\"><tr><th>Key</th><th>Identifier</th><th>SUID</th>"
			 "<th>Created</th><th>Expires</th><th>State</th></tr>\n");
	kw = (struct key_walk){.h = h, .now = r->now};
	if (m2mi_mefstore_keys_list(c->st, e->client_id, key_row, &kw) != M2M_OK) {
		m2m_mef_enrolee_free(e);
		m2mi_html_raw(h, "</table><p>The store could not be read.</p>");
		return 500;
	}
	if (kw.n == 0)
		m2mi_html_raw(h, "<tr><td colspan=\"6\">none</td></tr>");
	m2mi_html_raw(h, "</table>\n");
	if (e->state != M2M_CRED_STATE_REVOKED) {
		action_form(h, r, e->client_id, false);
		if (e->flavour == M2M_MEF_FLAVOUR_KPM && strcmp(st, "active") == 0)
			action_form(h, r, e->client_id, true);
	}
	m2m_mef_enrolee_free(e);
	return 200;
}

static void audit_action(m2m_mef_console *c, const char *proc, const char *outcome, const char *id)
{
	m2m_mef_audit ev = {.procedure = proc, .outcome = outcome, .client = c->admin_identity, .enrolee_id = id};

	if (c->audit != NULL)
		c->audit(c->audit_ctx, &ev);
	else
		m2m_mef_console_audit(c, &ev);
}

/* The new Kpm of a rotation: exactly 64 hex digits. */
static m2m_err new_kpm(const m2mi_console_req *r, m2m_key **k)
{
	char hex[80];
	uint8_t b[32];
	size_t n = 0;
	m2m_err e = m2mi_form_get(r->body, r->body_len, "kpm", hex, sizeof(hex));

	*k = NULL;
	if (e == M2M_OK)
		e = strlen(hex) != 64 ? M2M_E_KEY_LEN : m2m_hex_decode(hex, 64, b, sizeof(b), &n);
	if (e == M2M_OK)
		e = m2m_key_new(b, sizeof(b), k);
	m2m_memzero(hex, sizeof(hex));
	m2m_memzero(b, sizeof(b));
	return e;
}

int m2mi_console_action(m2m_mef_console *c, const m2mi_console_req *r, bool rotate, m2mi_html *h)
{
	const char *proc = rotate ? "console-rotate" : "console-revoke";
	char id[QMAX];
	m2m_key *k = NULL;
	m2m_err e;
	int status;

	if (m2mi_form_get(r->body, r->body_len, "id", id, sizeof(id)) != M2M_OK || id[0] == '\0') {
		m2mi_html_raw(h, "<h1>Bad request: no enrolee</h1>");
		return 400;
	}
	if (rotate && new_kpm(r, &k) != M2M_OK) {
		audit_action(c, proc, "malformed", id);
		m2mi_html_raw(h, "<h1>Bad request: the new Kpm must be 64 hex digits</h1>");
		return 400;
	}
	e = rotate ? m2m_mefstore_enrolee_rotate(c->st, id, k, r->now) : m2m_mefstore_enrolee_revoke(c->st, id, r->now);
	m2m_key_free(k);
	status = e == M2M_OK ? 200 : e == M2M_E_NOT_FOUND ? 404 : e == M2M_E_KEY_REVOKED ? 409 :
		 server_fault(e) ? 500 : 400;
	audit_action(c, proc, e == M2M_OK ? "ok" : status == 404 ? "unknown-client" : status == 409 ? "revoked" :
			     status == 400 ? "malformed" : "store-error", id);
	m2mi_html_fmt(h, "<h1 id=\"result\">%s %s</h1><p>", rotate ? "Rotate" : "Revoke",
		      e == M2M_OK ? "done" : status == 404 ? "refused: no such enrolee" :
		      status == 409 ? "refused: the enrolee is revoked" : "failed");
	m2mi_html_raw(h, "<a id=\"back\" href=\"/console/enrolee?id=");
	m2mi_html_url(h, id);
	m2mi_html_raw(h, "\">");
	m2mi_html_esc(h, id);
	m2mi_html_raw(h, "</a></p>");
	return status;
}
