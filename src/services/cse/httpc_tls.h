/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the HTTPS and RETRIEVE side of the CSE's non-blocking
 * HTTP client (httpc.c): what the CSE's association with the MEF uses (mef_link.c,
 * docs/procedures/mef.md). Same rules as the notification side: one event_base, one total
 * deadline per exchange, the callback exactly once and never inside the call that started it.
 */
#ifndef M2MSEC_HTTPC_TLS_H
#define M2MSEC_HTTPC_TLS_H

#include <openssl/ssl.h>

#include "services/cse/cse_int.h"

/* "http://..." or "https://host[:port][/path]" (default port 443); *tls tells which. */
m2m_err m2mi_url_parse_any(const char *url, m2mi_url *u, bool *tls);
/* Use ctx (up-ref'd: client certificate, trust anchors) for https:// URLs and verify the
 * server's certificate for verify_name (NULL or "" = the URL's host; an IP literal is checked
 * against the certificate's iPAddress SAN). Loop thread, before the first request. */
m2m_err m2mi_httpc_set_tls(m2mi_httpc *h, SSL_CTX *ctx, const char *verify_name);
/* Answer of a RETRIEVE: result M2MI_HTTPC_OK with the HTTP status, X-M2M-RSC and the body
 * (borrowed for the call; at most 16 KiB), or M2MI_HTTPC_FAILED / _DENIED with body NULL. */
typedef void (*m2mi_httpc_body_cb)(void *arg, int result, int status, int rsc, const char *body, size_t len);
/* RETRIEVE url (GET with X-M2M-Origin = origin, TS-0009 clause 6) within timeout_ms; cb runs
 * exactly once, later, on the base's thread. M2MI_HTTPC_FAILED: not started, cb not called. */
int m2mi_httpc_retrieve(m2mi_httpc *h, const char *url, const char *origin, int timeout_ms, m2mi_httpc_body_cb cb,
			void *arg);

#endif
