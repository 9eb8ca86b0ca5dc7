/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of an outbound association (remote_link.c): a dedicated
 * outbound loop sending RETRIEVE requests to a key service (the MEF, the MAF) over mutually
 * authenticated TLS (docs/procedures/mef.md, maf.md). m2mi_remote_link_fetch is an
 * m2mi_remote_fetch_fn (remote_key.h). The process must ignore SIGPIPE (the service shells do):
 * TLS writes to a socket the peer closed.
 */
#ifndef M2MSEC_REMOTE_LINK_H
#define M2MSEC_REMOTE_LINK_H

#include "core/addr_policy.h"
#include "remote/remote_key.h"

typedef struct m2mi_remote_link_cfg {
	const char *url;         /* mef-url / maf-url: https://HOST:PORT */
	const char *ca_file;     /* mef-ca / maf-ca: the CA that authenticates the service */
	const char *cert_file;   /* mef-cert / maf-cert: this entity's certificate (SAN = its ID) */
	const char *key_file;    /* mef-key / maf-key (0600) */
	const char *verify_name; /* the name the service's certificate must carry (its FQDN); NULL = URL host */
	const char *origin;      /* X-M2M-Origin: this CSE's CSE-ID (the MAF: its FQDN) */
	int timeout_ms;          /* total deadline of one request */
	size_t max_jobs;         /* requests queued or in flight at once */
	const char *psk_identity; /* non-empty: TLS-PSK (1.2) with this identity and psk_file (hex,
				   * 0600) instead of cert_file/key_file; NULL = certificate */
	const char *psk_file;
	const m2mi_addr_policy *pol; /* non-NULL: every resolved address of every request is checked
				      * against this destination policy (copied), as notifications are:
				      * the URLs come from the resources (an <AE>'s poa); NULL = any */
} m2mi_remote_link_cfg;

typedef struct m2mi_remote_link m2mi_remote_link;

/* Errors: M2M_E_INVAL (not https://, missing files), M2M_E_KEY_PERMS (key file readable by
 * others), M2M_E_CONFIG (a file that does not load, key and certificate do not match; a psk_file
 * that holds no hex key). */
m2m_err m2mi_remote_link_new(const m2mi_remote_link_cfg *cfg, m2mi_remote_link **out);
/* Stops the loop; every request not answered yet gets done(result -1) on the calling thread.
 * done's result: 0 answered, -1 not answered (connection, TLS, deadline), -2 the target refused
 * by cfg->pol before any connection. */
void m2mi_remote_link_free(m2mi_remote_link *l);
/* RETRIEVE <url><path>; thread-safe; 0 when queued (done exactly once, on the link's thread or
 * in m2mi_remote_link_free), -1 when refused (stopping, or max_jobs reached; done not called). */
int m2mi_remote_link_fetch(void *link, const char *path, m2mi_remote_rsp_fn done, void *arg);
/* The same, waited for: for a service's own background threads (a refresh), NEVER an event loop.
 * 0 with the answer's RSC and Content (*body heap, NUL-terminated, NULL = none: the caller wipes
 * and frees it), -1 when not sent or not answered (connection, deadline). */
int m2mi_remote_link_fetch_wait(m2mi_remote_link *l, const char *path, int *rsc, char **body, size_t *len);
/* NOTIFY the absolute https:// url (not under cfg->url: a DAS's dap entry) with X-M2M-RI rqi and
 * the JSON body; done as for fetch (the answer's Content in body). Same bound, same deadline. */
int m2mi_remote_link_notify(m2mi_remote_link *l, const char *url, const char *rqi, const char *body,
			    m2mi_remote_rsp_fn done, void *arg);
/* CREATE of type ty under <url><path> (the Registree's <remoteCSE> registration), sent delay_ms
 * after it was queued (a retry's back-off; the delay counts towards nothing else); done as for
 * fetch. Same bound, same deadline once sent. */
int m2mi_remote_link_create(m2mi_remote_link *l, const char *path, const char *rqi, int ty, const char *body,
			    int delay_ms, m2mi_remote_rsp_fn done, void *arg);

/* Any operation (1 CREATE .. 5 NOTIFY, TS-0009 Table 6.2.2-1) to the absolute https:// url with
 * From, Request Identifier and Release Version Indicator (NULL = "3") of its own, the server's
 * certificate checked for verify_name (NULL: the link's name): a request a
 * transit CSE forwards (services/cse/forward.c). done as for fetch; same bound, same deadline. */
int m2mi_remote_link_request(m2mi_remote_link *l, const char *url, const char *verify_name, int op, int ty,
			     const char *from, const char *rqi, const char *rvi, const char *body,
			     m2mi_remote_rsp_fn done, void *arg);
/* cfg->url without a trailing '/'. */
const char *m2mi_remote_link_base(const m2mi_remote_link *l);

#endif
