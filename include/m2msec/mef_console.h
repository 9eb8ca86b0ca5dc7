/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public API of the MEF's operator console (docs/procedures/console.md):
 * server-rendered HTML pages on the MEF's admin listener ([mef] admin-listen) to list, search,
 * revoke and rotate enrolees, read the recent audit entries and the CRL, and see enrolments per
 * day. The operator authenticates with an admin client certificate (mutual TLS, [mef] admin-ca)
 * whose identity is [mef] admin-identity; every state-changing request is a POST with a
 * same-origin check and a per-session CSRF token. No key is ever rendered.
 */
#ifndef M2MSEC_MEF_CONSOLE_H
#define M2MSEC_MEF_CONSOLE_H

#include "m2msec/est.h"
#include "m2msec/http.h"
#include "m2msec/mef.h"

#define M2M_MEF_CONSOLE_PATH "/console"
#define M2M_MEF_CONSOLE_AUDIT_MAX 256 /* audit entries kept (the newest) */

typedef struct m2m_mef_console m2m_mef_console;

typedef struct m2m_mef_console_config {
	const char *store;          /* the MEF store (the same file the service and the CLI open) */
	const char *admin_identity; /* the DNS SAN (or TLS-bound identity) of the admin certificate */
	m2m_est *est;               /* ca-dir set: the CA whose CRL the console shows; NULL = none */
	/* The audit of the console's own actions ("console-revoke", "console-rotate"; client = the
	 * admin identity); NULL = the console's ring and the log. A service that also feeds the ring
	 * (m2m_mef_console_audit) from here records every MEF outcome in one place. */
	m2m_mef_audit_fn audit;
	void *audit_ctx;
} m2m_mef_console_config;

/* M2M_E_CONFIG (no store / identity), M2M_E_NOT_FOUND (no such store: never created here),
 * M2M_E_STORE, M2M_E_NOMEM. */
M2M_API M2M_WUR m2m_err m2m_mef_console_new(const m2m_mef_console_config *cfg, m2m_mef_console **out);
M2M_API void m2m_mef_console_free(m2m_mef_console *c);
/* Register M2M_MEF_CONSOLE_PATH on srv (the admin listener, one thread; before run). */
M2M_API M2M_WUR m2m_err m2m_mef_console_route(m2m_http_server *srv, m2m_mef_console *c);
/* Keep ev in the console's bounded audit ring (the newest M2M_MEF_CONSOLE_AUDIT_MAX); any thread.
 * Identifiers only: the audit never carries a key. */
M2M_API void m2m_mef_console_audit(m2m_mef_console *c, const m2m_mef_audit *ev);

#endif
