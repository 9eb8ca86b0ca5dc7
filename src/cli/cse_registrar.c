/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the Registree side of CSE registration (cse_registrar.h; TS-0001 clause
 * 10.1.1.2.1, TS-0004 clause 7.4.4.2.1): at start the CSE sends CREATE <remoteCSE> (ty 16) to
 * "/~<registrar-cse-id>" (the Registrar's <CSEBase>, TS-0009 6.2) over its own mutually
 * authenticated association (registrar-cert/-key; the Registrar's certificate must chain to
 * registrar-ca and carry the DNS SAN <registrar-cse-id>.<sp>, TS-0003 10.1.1.6), From = this
 * CSE's CSE-ID. The request runs on the outbound link's own loop (remote_link.c), never on a
 * serving loop; a failure (no answer within the deadline, TLS refused, an RSC other than 2001)
 * is retried with exponential back-off (0.5 s doubling to 60 s). 4117 (already registered, e.g.
 * after a restart) counts as registered: the <remoteCSE> made by the earlier run is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/cse_registrar.h"
#include "m2msec/cse.h"
#include "m2msec/log.h"
#include "remote/remote_link.h"

#define FIRST_DELAY_MS 500
#define MAX_DELAY_MS 60000
#define REG_TIMEOUT_MS 5000

struct cse_registrar {
	m2mi_remote_link *link;
	m2m_cse *cse;
	char path[M2M_CFG_STR + 4];
	char *body;
	int delay_ms;        /* link thread only */
	unsigned attempt;    /* link thread only */
};

static void on_reg(void *arg, int result, int status, int rsc, const char *body, size_t len);

static int send_reg(struct cse_registrar *r, int delay_ms)
{
	char rqi[64];

	snprintf(rqi, sizeof(rqi), "csr-reg-%u", r->attempt++);
	return m2mi_remote_link_create(r->link, r->path, rqi, 16, r->body, delay_ms, on_reg, r);
}

/* Link thread (or cse_registrar_stop's thread with result -1 at shutdown: the resubmission is
 * then refused by the stopping link, which ends the retries). */
static void on_reg(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	struct cse_registrar *r = arg;

	(void)body;
	(void)len;
	if (result == 0 && (rsc == 2001 || rsc == 4117)) {
		/* TS-0004 7.4.4.2.1 step 004: the Registrar's <remoteCSE> here, before the log line
		 * that tells the registration is complete */
		m2m_err e = m2m_cse_add_registrar(r->cse, (int64_t)time(NULL));
		if (e != M2M_OK)
			m2m_log(M2M_LOG_WARN, "registrar: the Registrar's <remoteCSE> cannot be created here: %s",
				m2m_strerror(e));
		m2m_log(M2M_LOG_INFO, "registrar: registered (%s)", rsc == 2001 ? "created" : "already registered");
		return;
	}
	m2m_log(M2M_LOG_WARN, "registrar: registration failed (%s, HTTP %d, RSC %d), retry in %d ms",
		result == 0 ? "answered" : "no answer", status, rsc, r->delay_ms);
	if (send_reg(r, r->delay_ms) == 0)
		r->delay_ms = r->delay_ms >= MAX_DELAY_MS / 2 ? MAX_DELAY_MS : r->delay_ms * 2;
}

int cse_registrar_start(struct svc *s, const m2m_cse_config *cfg, m2m_cse *cse, struct cse_registrar **out)
{
	struct cse_registrar *r;
	char name[2 * M2M_CFG_STR + 2], cb[2 * M2M_CFG_STR + 2];
	json_t *j;
	m2m_err e;

	*out = NULL;
	if (cfg->registrar[0] == '\0')
		return CLI_OK;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return cli_fail("registrar", M2M_E_NOMEM);
	r->delay_ms = FIRST_DELAY_MS;
	r->cse = cse;
	/* the Registrar's certificate names its CSE-ID: DNS SAN "<id>.<sp-fqdn>" (TS-0003 10.1.1.6) */
	snprintf(name, sizeof(name), "%s.%s", cfg->registrar_cse_id + 1, cfg->sp_id + 2);
	snprintf(r->path, sizeof(r->path), "/~%s", cfg->registrar_cse_id);
	snprintf(cb, sizeof(cb), "%s/%s", cfg->cse_id, cfg->name);
	j = json_pack("{s:{s:s,s:b,s:[s],s:s,s:i}}", "m2m:csr", "cb", cb, "rr", 1, "srv", "3", "csi", cfg->cse_id,
		      "cst", 2 /* MN-CSE */);
	/* its pointOfAccess: where the Registrar forwards requests for this CSE (transit.md) */
	if (j != NULL && cfg->poa[0] != '\0' &&
	    json_object_set_new(json_object_get(j, "m2m:csr"), "poa", json_pack("[s]", cfg->poa)) != 0) {
		json_decref(j);
		j = NULL;
	}
	r->body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (r->body == NULL) {
		free(r);
		return cli_fail("registrar", M2M_E_NOMEM);
	}
	{
		m2mi_remote_link_cfg lc = {cfg->registrar, cfg->registrar_ca, cfg->registrar_cert, cfg->registrar_key,
					   name, cfg->cse_id, REG_TIMEOUT_MS, 4, cfg->registrar_psk_identity,
					   cfg->registrar_psk_file, NULL};
		bool psk = cfg->registrar_psk_identity[0] != '\0';
		if ((e = m2mi_remote_link_new(&lc, &r->link)) != M2M_OK) {
			free(r->body);
			free(r);
			if (psk)
				return svc_errorf(s, "registrar-psk-file", cfg->registrar_psk_file, m2m_strerror(e),
						  cli_exit_code(e));
			return svc_errorf(s, e == M2M_E_KEY_PERMS ? "registrar-key" : "registrar-cert",
					  e == M2M_E_KEY_PERMS ? cfg->registrar_key : cfg->registrar_cert,
					  e == M2M_E_KEY_PERMS ? "key file must be mode 0600"
							       : "cannot load registrar-ca / registrar-cert / registrar-key",
					  cli_exit_code(e));
		}
	}
	if (send_reg(r, 0) != 0) {
		cse_registrar_stop(r);
		return cli_fail("registrar", M2M_E_NOMEM);
	}
	m2m_log(M2M_LOG_INFO, "registrar %s (%s): registering %s", cfg->registrar, cfg->registrar_cse_id, cfg->cse_id);
	*out = r;
	return CLI_OK;
}

void cse_registrar_stop(struct cse_registrar *r)
{
	if (r == NULL)
		return;
	m2mi_remote_link_free(r->link);
	free(r->body);
	free(r);
}
