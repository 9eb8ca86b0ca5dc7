/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CoAP over DTLS door of the procedures-only services (service.h
 * svc_coap_*; `coaps-listen` in [mef] and [maf], docs/coap-dtls.md): the same CoAP server as the
 * CSE's (bindings/coap_server.c) on the TLS context of https-listen, so a DTLS-PSK identity goes
 * through the same resolver chain (psk-file, credential store, the service's own resolvers:
 * KpmID, KmID, the MEF's KeIDs) and gets the same association as over HTTPS: the service's
 * per-connection hooks (m2m_http_conn_hooks) run on each DTLS session, right after its
 * handshake, with its SSL (the RFC 5705 exporter of TS-0003 clause 10.3.1 then runs on the DTLS
 * session). The CoAP thread is one more worker of the service: thread_index = the number of HTTP
 * loop threads. What the HTTP listener serves outside the oneM2M mapping (raw routes: the MEF's
 * EST of RFC 7030 and its CRL) has no CoAP form here (EST over CoAP, RFC 9148, is not
 * implemented): such a request is answered 5001 (CoAP 5.01) and reaches no procedure.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/service.h"
#include "m2msec/log.h"
#include "m2msec/rsc.h"

/* The CoAP thread's handler: the service's handler with the CoAP worker's index. */
static void on_coap(void *ctx, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct svc *s = ctx;
	const char *to = req->to != NULL ? req->to : "";
	char path[512];

	/* CSE-relative "a/b" is the HTTP path "/a/b" (the raw routes are paths of this listener) */
	snprintf(path, sizeof(path), "%s%s", to[0] == '/' ? "" : "/", to);
	if (m2m_http_server_has_route(s->srv, path)) {
		m2m_response_error(rsp, M2M_RSC_NOT_IMPLEMENTED,
				   "served over HTTPS only (EST over CoAP, RFC 9148, is not implemented)");
		return;
	}
	s->coap_fn(s->coap_ctx, s->coap_index, sa, req, rsp);
}

int svc_coap_listen(struct svc *s, m2m_http_handler_fn fn, void *ctx)
{
	const char *listen = s->set.coaps_listen != NULL ? svc_on(s->set.coaps_listen) : NULL;
	m2m_coap_server_config cc = {.coaps_listen = listen,
				     .tls = s->tls,
				     .max_body = (size_t)s->set.max_body,
				     .psk_lookup_timeout_ms = s->set.psk_lookup_timeout_ms,
				     .psk_lookups_max = (unsigned)s->set.psk_lookups_max};
	m2m_err r;

	s->coap = NULL;
	s->coap_index = m2m_http_server_threads(s->srv);
	if (listen == NULL)
		return CLI_OK;
	if (s->tls == NULL) /* config validation requires https-listen; never serve without its chain */
		return svc_errorf(s, "coaps-listen", listen, "needs https-listen (it shares its TLS context)", CLI_USAGE);
	s->coap_fn = fn;
	s->coap_ctx = ctx;
	if ((r = m2m_coap_server_new(&cc, on_coap, s, &s->coap)) == M2M_OK)
		return CLI_OK;
	if (r == M2M_E_HTTP_BIND)
		return svc_errorf(s, "coaps-listen", listen, "cannot bind (address in use or not permitted)", CLI_FAIL);
	return svc_errorf(s, "coaps-listen", listen, m2m_strerror(r), cli_exit_code(r));
}

int svc_workers(const struct svc *s)
{
	return m2m_http_server_threads(s->srv) + (s->coap != NULL ? 1 : 0);
}

void svc_set_conn_hooks(struct svc *s, const m2m_http_conn_hooks *hooks)
{
	m2m_http_server_set_conn_hooks(s->srv, hooks);
	if (s->coap != NULL)
		m2m_coap_server_set_conn_hooks(s->coap, hooks, s->coap_index);
}

void *svc_conn_state(const struct svc *s, int thread_index)
{
	if (s->coap != NULL && thread_index == s->coap_index)
		return m2m_coap_conn_state(s->coap);
	return m2m_http_conn_state(s->srv, thread_index);
}

m2m_err svc_coap_start(struct svc *s)
{
	return s->coap != NULL ? m2m_coap_server_start(s->coap) : M2M_OK;
}

int svc_coap_port(const struct svc *s)
{
	return m2m_coap_server_port(s->coap, true);
}

void svc_coap_close(struct svc *s)
{
	m2m_coap_server_free(s->coap); /* joins the thread, then runs the close hooks */
	s->coap = NULL;
}
