/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF configuration of the remote-key resolver (remote_key.h): the
 * RETRIEVE path /fetchCredentials/<KeID>/<SUID> and the parser of the MEF's answer, a
 * sec:fetchCredRsp (TS-0003 §8.3.2.1 "Use of provisioned credentials", docs/procedures/mef.md).
 * The optional m2msec member "networkAuthorized" (boolean) becomes m2m_sa.net_unauthorized.
 * Used by the CSE (SUID 22, RSPF-based SAEF) and by the MAF (SUID 21, the Km of an enrolee).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "m2msec/hex.h"
#include "m2msec/mem.h"
#include "remote/remote_key.h"

void m2mi_remote_key_cfg_mef(m2mi_remote_key_cfg *cfg, const char *fqdn, int suid)
{
	cfg->kind = M2M_ID_KEID;
	cfg->fqdn = fqdn;
	cfg->suid = suid;
	cfg->path = m2mi_mef_fetch_path;
	cfg->parse = m2mi_mef_parse_fetch_rsp;
}

int m2mi_mef_fetch_path(const m2m_id *id, int suid, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "/fetchCredentials/%s/%d", m2m_id_canonical(id), suid);

	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int m2mi_remote_net_unauth(const json_t *o, bool *unauth)
{
	/* m2msec extension (docs/procedures/mef.md "Underlying-network authorization"): absent = no
	 * statement (a MEF before it); present, it must be a boolean, anything else is malformed */
	const json_t *na = json_object_get(o, "networkAuthorized");

	*unauth = na != NULL && json_is_false(na);
	return na != NULL && !json_is_boolean(na) ? -1 : 0;
}

m2m_err m2mi_remote_bind_key(const char *hexkey, const char *eid, const char *key_id, int suid, int64_t now,
			     int64_t lifetime, bool unauth, m2m_key **key, m2m_sa *sa)
{
	uint8_t b[32];
	size_t n = 0;
	m2m_err r = M2M_E_PROTO;
	m2m_id *id = NULL;

	*key = NULL;
	memset(sa, 0, sizeof(*sa));
	if (strlen(hexkey) != 64 || m2m_hex_decode(hexkey, 64, b, sizeof(b), &n) != M2M_OK || n != 32)
		goto out;
	/* The Enrolee-ID: an AE-ID or a CSE-ID (docs/procedures/mef.md, enrolee add --enrolee-id). */
	if (m2m_id_parse(eid, strlen(eid), M2M_ID_AE_ID, &id) == M2M_OK)
		sa->entity = M2M_ENTITY_AE;
	else if (m2m_id_parse(eid, strlen(eid), M2M_ID_CSE_ID, &id) == M2M_OK)
		sa->entity = M2M_ENTITY_CSE;
	else
		goto out;
	if (strlen(eid) >= sizeof(sa->bound_id) || strlen(key_id) + 3 >= sizeof(sa->credential_id))
		goto out;
	if ((r = m2m_key_new(b, 32, key)) != M2M_OK)
		goto out;
	sa->kind = M2M_SA_PSK;
	snprintf(sa->bound_id, sizeof(sa->bound_id), "%s", eid);
	snprintf(sa->credential_id, sizeof(sa->credential_id), "12-%s", key_id);
	sa->suid = suid;
	sa->expiry = now + lifetime;
	sa->net_unauthorized = unauth; /* the node's network access (the MEF's / the HSS's) */
	m2m_key_set_suid(*key, suid);
	m2m_key_set_validity(*key, 0, sa->expiry);
	if ((r = m2m_key_set_id(*key, key_id)) != M2M_OK) {
		m2m_key_free(*key);
		*key = NULL;
	}
out:
	if (r != M2M_OK)
		memset(sa, 0, sizeof(*sa));
	m2m_memzero(b, sizeof(b));
	m2m_id_free(id);
	return r;
}

m2m_err m2mi_mef_parse_fetch_rsp(int rsc, const char *body, size_t len, const char *keid, int suid, int64_t now,
				 m2m_key **key, m2m_sa *sa)
{
	json_t *root = NULL, *o;
	bool unauth = false;
	const char *cred, *eid, *kid;
	json_int_t lifetime, rs;
	m2m_err r = M2M_E_PROTO;


	*key = NULL;
	memset(sa, 0, sizeof(*sa));
	if (rsc != 2000)
		return m2mi_remote_rsc_error(rsc);
	if (body == NULL || (root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return M2M_E_PROTO;
	o = json_object_get(root, "sec:fetchCredRsp");
	cred = json_string_value(json_object_get(o, "credential"));
	eid = json_string_value(json_object_get(o, "enroleeID"));
	kid = json_string_value(json_object_get(o, "keyID"));
	if (!json_is_object(o) || !json_is_true(json_object_get(o, "status")) || cred == NULL || eid == NULL ||
	    kid == NULL || !json_is_integer(json_object_get(o, "SUID")) ||
	    !json_is_integer(json_object_get(o, "lifetime")))
		goto out;
	if (m2mi_remote_net_unauth(o, &unauth) != 0)
		goto out;
	rs = json_integer_value(json_object_get(o, "SUID"));
	lifetime = json_integer_value(json_object_get(o, "lifetime"));
	/* The answer must be for exactly what was asked: a MEF bug or a confused deputy must not
	 * bind a key of another KeID or usage to this identity. */
	if (strcmp(kid, keid) != 0 || rs != suid || lifetime < 1 || lifetime > 10ll * 365 * 86400)
		goto out;
	r = m2mi_remote_bind_key(cred, eid, keid, suid, now, (int64_t)lifetime, unauth, key, sa);
out:
	json_decref(root); /* the credential string is in it: jansson frees without wiping, kept short-lived */
	return r;
}
