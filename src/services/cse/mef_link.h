/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the CSE's association with the MEF (mef_link.c): a
 * dedicated outbound loop sending RETRIEVE requests to the MEF over mutually authenticated TLS
 * (docs/procedures/mef.md). m2mi_mef_link_fetch is an m2mi_mef_fetch_fn (mef_client.h).
 * The process must ignore SIGPIPE (the service shell does): TLS writes to a socket the MEF closed.
 */
#ifndef M2MSEC_MEF_LINK_H
#define M2MSEC_MEF_LINK_H

#include "services/cse/mef_client.h"

typedef struct m2mi_mef_link_cfg {
	const char *url;         /* mef-url: https://HOST:PORT */
	const char *ca_file;     /* mef-ca: the CA that authenticates the MEF */
	const char *cert_file;   /* mef-cert: this CSE's certificate (SAN = its CSE-ID) */
	const char *key_file;    /* mef-key (0600) */
	const char *verify_name; /* the name the MEF's certificate must carry (its FQDN); NULL = URL host */
	const char *origin;      /* X-M2M-Origin: this CSE's CSE-ID */
	int timeout_ms;          /* total deadline of one request */
	size_t max_jobs;         /* requests queued or in flight at once */
} m2mi_mef_link_cfg;

typedef struct m2mi_mef_link m2mi_mef_link;

/* Errors: M2M_E_INVAL (not https://, missing files), M2M_E_KEY_PERMS (key file readable by
 * others), M2M_E_CONFIG (a file that does not load, key and certificate do not match). */
m2m_err m2mi_mef_link_new(const m2mi_mef_link_cfg *cfg, m2mi_mef_link **out);
/* Stops the loop; every request not answered yet gets done(result -1) on the calling thread. */
void m2mi_mef_link_free(m2mi_mef_link *l);
/* RETRIEVE <url><path>; thread-safe; 0 when queued (done exactly once, on the link's thread or
 * in m2mi_mef_link_free), -1 when refused (stopping, or max_jobs reached; done not called). */
int m2mi_mef_link_fetch(void *link, const char *path, m2mi_mef_rsp_fn done, void *arg);

#endif
