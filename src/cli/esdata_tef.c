/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the key fetch of `m2msec esdata ... --mef URL --key-id ID`: the Target
 * (or a listed Source) obtains a Source-generated ESData key from the MEF acting as Trust
 * Enabling Function (TS-0003 clause 8.6.3) through the enrolee library's MEF Key Retrieval
 * (m2m_enrolee_tef_key, docs/procedures/e2e.md "TEF"), with the TLS options of `m2msec enrol`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/esdata_tef.h"
#include "m2msec/enrol.h"

static int usage_error(const char *msg)
{
	cli_errorf("esdata: %s", msg);
	return CLI_USAGE;
}

int cli_esdata_tef_key(const cli_tef_opts *o, m2m_key **key, int *suid)
{
	m2m_enrolee *e = NULL;
	int rc = CLI_OK;
	m2m_err r;

	*key = NULL;
	if (o->key_id == NULL || o->mef_ca == NULL)
		return usage_error("--mef needs --key-id and --mef-ca");
	if ((o->client_cert == NULL) != (o->client_key == NULL) || o->client_cert == NULL)
		return usage_error("--mef needs --client-cert and --client-key (the Target's certificate)");
	if (m2m_enrolee_new(&e) != M2M_OK)
		return CLI_FAIL;
	if (m2m_enrolee_set_mef(e, o->mef) != M2M_OK)
		rc = usage_error("--mef must be HOST:PORT, https://HOST[:PORT] or coaps://HOST[:PORT]");
	else if (m2m_enrolee_set_mef_ca(e, o->mef_ca) != M2M_OK)
		rc = usage_error("bad --mef-ca");
	else if (o->mef_fqdn != NULL && m2m_enrolee_set_mef_fqdn(e, o->mef_fqdn) != M2M_OK)
		rc = usage_error("--mef-fqdn is not a host name");
	else if (m2m_enrolee_set_cert(e, o->client_cert, o->client_key) != M2M_OK)
		rc = usage_error("bad --client-cert / --client-key");
	if (rc == CLI_OK && o->timeout != NULL) {
		char *end;
		long t = strtol(o->timeout, &end, 10);
		if (*end != '\0' || m2m_enrolee_set_deadline(e, t > 0 && t <= 3600 ? (int)t : 0) != M2M_OK)
			rc = usage_error("--timeout must be 1..3600");
	}
	if (rc == CLI_OK && (r = m2m_enrolee_tef_key(e, o->key_id, key, suid)) != M2M_OK) {
		if (r == M2M_E_INVAL)
			rc = usage_error("--key-id must be [SUID-]<32 hex>@<this MEF's FQDN> with an ESData SUID "
					 "(14, 15, 24, 25)");
		else if (m2m_enrolee_rsc(e) != 0)
			cli_errorf("esdata: MEF Key Retrieval refused: RSC %d: %s", m2m_enrolee_rsc(e), m2m_enrolee_reason(e));
		else
			cli_errorf("esdata: MEF Key Retrieval: %s: %s", m2m_errname(r),
				   m2m_enrolee_reason(e)[0] != '\0' ? m2m_enrolee_reason(e) : m2m_strerror(r));
		if (r != M2M_E_INVAL)
			rc = CLI_FAIL;
	}
	m2m_enrolee_free(e);
	return rc;
}
