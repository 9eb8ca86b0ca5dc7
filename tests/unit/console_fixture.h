/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the shared fixture of the MEF console unit tests
 * (services/mef/console*.c, docs/procedures/console.md): the MEF fixture's store with one Kpm
 * enrolee, a console on it, and a helper that serves one authenticated request.
 */
#ifndef M2M_TEST_CONSOLE_FIXTURE_H
#define M2M_TEST_CONSOLE_FIXTURE_H

#include "mef_fixture.h"
#include "services/mef/console_int.h"

#define CX_TOKEN "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define CX_HOST "127.0.0.1:8447"
#define CX_ORIGIN "https://" CX_HOST

typedef struct cx {
	fx *f;
	m2m_mef_console *c;
	int status;
	char *body;
} cx;

static inline cx *cx_new(void)
{
	cx *x = calloc(1, sizeof(*x));
	m2m_mef_console_config cc;

	x->f = fx_new(NULL);
	cc = (m2m_mef_console_config){.store = x->f->path, .admin_identity = "admin.sp.example.com"};
	assert_int_equal(m2m_mef_console_new(&cc, &x->c), M2M_OK);
	return x;
}

static inline void cx_free(cx *x)
{
	free(x->body);
	m2m_mef_console_free(x->c);
	fx_free(x->f);
	free(x);
}

/* Serve method path?query (body for a POST from origin, NULL = none); the page in x->body. */
static inline int cx_req(cx *x, const char *method, const char *path, const char *query, const char *origin,
			 const char *body)
{
	m2mi_console_req r = {.method = method, .path = path, .query = query, .origin = origin, .host = CX_HOST,
			      .body = body, .body_len = body != NULL ? strlen(body) : 0, .csrf = CX_TOKEN,
			      .now = FX_NOW};
	size_t len = 0;

	free(x->body);
	x->body = NULL;
	x->status = m2mi_console_serve(x->c, &r, &x->body, &len);
	assert_non_null(x->body);
	assert_int_equal(strlen(x->body), len);
	return x->status;
}

static inline bool cx_has(const cx *x, const char *s)
{
	return x->body != NULL && strstr(x->body, s) != NULL;
}

static inline const char *cx_state(cx *x, const char *kpm_id)
{
	static char st[16];
	m2m_mef_enrolee *e = NULL;

	assert_int_equal(m2m_mefstore_enrolee_get(m2m_mef_store(x->f->mef), kpm_id, &e), M2M_OK);
	snprintf(st, sizeof(st), "%s", e->state == M2M_CRED_STATE_REVOKED ? "revoked" : "active");
	m2m_mef_enrolee_free(e);
	return st;
}

#endif
