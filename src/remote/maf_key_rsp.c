/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MAF configuration of the remote-key resolver (remote_key.h): the
 * RETRIEVE path /mafKeyReg/<relKeyID> and the parser of the MAF's Key Retrieval answer
 * (TS-0003 §8.8.2.8, Table 8.8.2.8-2; docs/procedures/maf.md "MAF Key Retrieval" and "The CSE
 * side"). The CSE is Entity B of MAF-based SAEF (§8.2.2.3): the Kc Entity A registered for it
 * becomes, after the key-split rule (§8.3.5.1 step 10, §8.8.1), the TLS-PSK of A's association,
 * bound to the identity the MAF reports for A (sourceID).
 * Everything is checked, since a key handed to a handshake decides who the peer is: the one
 * wrapper, the relKeyID / keyID asked for (a confused or buggy MAF must not bind another key to
 * this identity), the SUID, an unexpired expirationTime, a 32-byte keyValue and a sourceID that
 * is an AE-ID or a CSE-ID. Members this parser does not know are ignored (the mapping is
 * additive, maf.md).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/mef_codec.h"
#include "m2msec/hex.h"
#include "m2msec/mem.h"
#include "remote/remote_key.h"

#define KC_LEN 32 /* Kc: the 32 least significant bytes of the export (TS-0003 §10.3.1) */

void m2mi_remote_key_cfg_maf(m2mi_remote_key_cfg *cfg, const char *fqdn)
{
	cfg->kind = M2M_ID_KCID;
	cfg->fqdn = fqdn;
	cfg->suid = M2MI_MAF_SUID_SAEF;
	cfg->path = m2mi_maf_key_path;
	cfg->parse = m2mi_maf_parse_key_rsp;
}

int m2mi_maf_key_path(const m2m_id *id, int suid, char *buf, size_t cap)
{
	const char *c = m2m_id_canonical(id), *at = strchr(c, '@');
	int n;

	(void)suid; /* the MAF keeps the SUID with the key registration */
	if (at == NULL)
		return -1;
	n = snprintf(buf, cap, "/mafKeyReg/%.*s", (int)(at - c), c);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* The sourceID: an AE-ID or a CSE-ID (maf.md: the source client's identity). */
static bool source_entity(const char *sid, m2m_entity_kind *entity)
{
	m2m_id *id = NULL;
	bool ok = true;

	if (m2m_id_parse(sid, strlen(sid), M2M_ID_AE_ID, &id) == M2M_OK)
		*entity = M2M_ENTITY_AE;
	else if (m2m_id_parse(sid, strlen(sid), M2M_ID_CSE_ID, &id) == M2M_OK)
		*entity = M2M_ENTITY_CSE;
	else
		ok = false;
	m2m_id_free(id);
	return ok;
}

bool m2mi_maf_rsp_names(const char *body, size_t len, const char *abs, const char *rel)
{
	json_t *root = body != NULL ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL, *e;
	const json_t *tg = json_object_get(json_object_get(root, "sec:mafKeyReg"), "targetIDs");
	const char *s;
	bool hit = false;
	size_t i;

	json_array_foreach(tg, i, e) {
		s = json_string_value(e);
		hit = hit || (s != NULL && ((abs != NULL && abs[0] != '\0' && strcmp(s, abs) == 0) || /* public: ids */
					    (rel != NULL && rel[0] != '\0' && strcmp(s, rel) == 0)));  /* public: ids */
	}
	json_decref(root); /* keyValue is in it: short-lived, as in the parser below */
	return hit;
}

m2m_err m2mi_maf_parse_key_rsp(int rsc, const char *body, size_t len, const char *key_id, int suid, int64_t now,
			       m2m_key **key, m2m_sa *sa)
{
	json_t *root = NULL, *o, *js;
	const char *rel, *kid, *exp, *sid, *kv, *at;
	int64_t expiry = 0;
	uint8_t b[KC_LEN];
	size_t n = 0, rlen;
	m2m_key *kc = NULL;
	m2m_err r = M2M_E_PROTO;

	*key = NULL;
	memset(sa, 0, sizeof(*sa));
	if (rsc != 2000)
		return m2mi_remote_rsc_error(rsc);
	if (key_id == NULL || (at = strchr(key_id, '@')) == NULL || body == NULL ||
	    (root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return M2M_E_PROTO;
	rlen = (size_t)(at - key_id);
	o = json_object_get(root, "sec:mafKeyReg");
	if (!json_is_object(root) || json_object_size(root) != 1 || !json_is_object(o))
		goto out; /* exactly the one wrapper */
	rel = json_string_value(json_object_get(o, "relKeyID"));
	kid = json_string_value(json_object_get(o, "keyID"));
	exp = json_string_value(json_object_get(o, "expirationTime"));
	sid = json_string_value(json_object_get(o, "sourceID"));
	kv = json_string_value(json_object_get(o, "keyValue"));
	js = json_object_get(o, "SUID");
	if (rel == NULL || exp == NULL || sid == NULL || kv == NULL || !json_is_integer(js) ||
	    (json_object_get(o, "keyID") != NULL && kid == NULL))
		goto out;
	/* The key asked for, nothing else (hexBinary: either case; maf.md). */
	if (strlen(rel) != rlen || strncasecmp(rel, key_id, rlen) != 0 ||
	    (kid != NULL && strcasecmp(kid, key_id) != 0) || json_integer_value(js) != suid)
		goto out;
	if (m2mi_mef_ts_parse(exp, &expiry) != M2M_OK || expiry <= now)
		goto out; /* expired (or unreadable): the MAF should have said 4103; fail closed */
	if (strlen(kv) != 2 * KC_LEN || m2m_hex_decode(kv, 2 * KC_LEN, b, sizeof(b), &n) != M2M_OK || n != KC_LEN)
		goto out;
	if (!source_entity(sid, &sa->entity) || strlen(sid) >= sizeof(sa->bound_id) ||
	    strlen(key_id) + 3 >= sizeof(sa->credential_id))
		goto out;
	/* (D)TLS-PSK needs one key: psk = the first half of Kc (TS-0003 §8.8.1, m2m_key_split). A Kc
	 * registered with the ESPrim SUID 33 is the pairwiseESPrimKey itself: §8.4.2 A derives it
	 * "from Kc and a reserved string" that TS-0003 never defines, so Kc is used directly
	 * (docs/keys.md choice 8). */
	if ((r = m2m_key_new(b, KC_LEN, &kc)) != M2M_OK)
		goto out;
	if (suid == 33) {
		*key = kc;
		kc = NULL;
	} else if ((r = m2m_key_split(kc, 1, 0, key)) != M2M_OK) {
		goto out;
	}
	sa->kind = M2M_SA_PSK;
	snprintf(sa->bound_id, sizeof(sa->bound_id), "%s", sid);
	snprintf(sa->credential_id, sizeof(sa->credential_id), "12-%s", key_id);
	sa->suid = suid;
	sa->expiry = expiry;
	m2m_key_set_suid(*key, suid);
	m2m_key_set_validity(*key, 0, expiry);
	r = m2m_key_set_id(*key, key_id);
out:
	if (r != M2M_OK) {
		m2m_key_free(*key);
		*key = NULL;
		memset(sa, 0, sizeof(*sa));
	}
	m2m_key_free(kc);
	m2m_memzero(b, sizeof(b));
	json_decref(root); /* keyValue is in it: jansson frees without wiping, kept short-lived */
	return r;
}
