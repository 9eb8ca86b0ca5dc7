/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the server settings shared by the enrolee library's clients
 * (enrolee/enrolee_int.h m2mi_enr_server): the MEF of m2m_enrolee (TS-0003 clause 8.3.2.1 MEF
 * Handshake) and the MAF of m2m_maf_client (clause 8.8.2.2 MAF Handshake) are both reached at
 * an address, trusted through a CA file, named by an FQDN and, with a PSK, by an identity
 * "<relative>@<FQDN>" (KpmID / KmID, clause 10.6) whose FQDN part names the server.
 */
#include <stdlib.h>
#include <string.h>

#include "enrolee/enrolee_int.h"
#include "m2msec/id.h"

m2m_err m2mi_enr_set_str(char **dst, const char *v)
{
	char *c;

	if (v == NULL || v[0] == '\0' || strlen(v) > 4096)
		return M2M_E_INVAL;
	if ((c = strdup(v)) == NULL)
		return M2M_E_NOMEM;
	free(*dst);
	*dst = c;
	return M2M_OK;
}

m2m_err m2mi_enr_server_addr(m2mi_enr_server *s, const char *hostport)
{
	char buf[300];
	const char *a = hostport, *dflt = NULL, *rb;
	bool coaps = false;
	m2m_err r;

	if (hostport == NULL)
		return M2M_E_INVAL;
	if (strncmp(hostport, "coaps://", 8) == 0) {
		a = hostport + 8;
		dflt = "5684"; /* RFC 7252 clause 12.7 */
		coaps = true;
	} else if (strncmp(hostport, "https://", 8) == 0) {
		a = hostport + 8;
		dflt = "443";
	}
	/* a URL without a port gets its scheme's default; a path is not allowed */
	rb = strrchr(a, ']');
	if (dflt != NULL && strchr(rb != NULL ? rb : a, ':') == NULL) {
		if (snprintf(buf, sizeof(buf), "%s:%s", a, dflt) >= (int)sizeof(buf))
			return M2M_E_INVAL;
		a = buf;
	}
	if (strchr(a, '/') != NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_enr_split_hostport(a, s->host, sizeof(s->host), s->port, sizeof(s->port))) == M2M_OK)
		s->coaps = coaps;
	return r;
}

m2m_err m2mi_enr_server_fqdn(m2mi_enr_server *s, const char *fqdn)
{
	if (fqdn == NULL || m2m_id_check_fqdn(fqdn, strlen(fqdn)) != M2M_OK)
		return M2M_E_INVAL;
	return m2mi_enr_set_str(&s->fqdn, fqdn);
}

m2m_err m2mi_enr_server_psk(m2mi_enr_server *s, const char *id, const m2m_key *key)
{
	m2m_key *k = NULL;
	m2m_err r;

	if ((r = m2m_key_dup(key, &k)) != M2M_OK)
		return r;
	if ((r = m2mi_enr_set_str(&s->psk_id, id)) != M2M_OK) {
		m2m_key_free(k);
		return r;
	}
	m2m_key_free(s->psk);
	s->psk = k;
	return M2M_OK;
}

const char *m2mi_enr_server_name(const m2mi_enr_server *s, bool name_only)
{
	if (s->fqdn != NULL)
		return s->fqdn;
	if (s->psk_id != NULL)
		return strrchr(s->psk_id, '@') + 1;
	if (name_only && (strspn(s->host, "0123456789.") == strlen(s->host) || strchr(s->host, ':') != NULL ||
			  m2m_id_check_fqdn(s->host, strlen(s->host)) != M2M_OK))
		return NULL;
	return s->host;
}

void m2mi_enr_server_clear(m2mi_enr_server *s)
{
	m2m_key_free(s->psk);
	free(s->ca_file);
	free(s->fqdn);
	free(s->psk_id);
	s->psk = NULL;
	s->ca_file = s->fqdn = s->psk_id = NULL;
}
