/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MAF client's checks of the MAF's answers (docs/procedures/maf.md):
 * the MAF Key Registration answer of TS-0003 Table 8.8.2.7-2 must describe exactly the key this
 * client exported (relKeyID = hexBinary(KcID), clause 10.3.1/10.3.5) for exactly the target it
 * asked for, and the MAF Client Registration answer of Table 8.8.2.3-2 must carry a KmID of this
 * MAF when the client asked for one (remote provisioning, clause 8.8.2.3 step 2). Anything else
 * fails closed: a key both ends do not agree on is never written.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/mef_codec.h"
#include "enrolee/maf_client_int.h"
#include "m2msec/id.h"

static m2m_err bad(char *why, size_t whycap, const char *what)
{
	snprintf(why, whycap, "MAF answer: %s", what);
	return M2M_E_PROTO;
}

static bool is_hex32(const char *s)
{
	return s != NULL && strlen(s) == 32 && strspn(s, "0123456789abcdefABCDEF") == 32;
}

m2m_err m2mi_mafc_rel_of(const char *key_id, char rel[33])
{
	const char *at;

	if (key_id == NULL)
		return M2M_E_INVAL;
	at = strchr(key_id, '@');
	if (at != NULL) {
		m2m_id *id = NULL;
		if (m2m_id_parse(key_id, strlen(key_id), M2M_ID_KCID, &id) != M2M_OK)
			return M2M_E_INVAL;
		m2m_id_free(id);
	}
	if ((at != NULL && at - key_id != 32) || (at == NULL && strlen(key_id) != 32))
		return M2M_E_INVAL;
	for (int i = 0; i < 32; i++) {
		char ch = key_id[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
			return M2M_E_INVAL;
		rel[i] = ch >= 'a' && ch <= 'f' ? (char)(ch - 'a' + 'A') : ch;
	}
	rel[32] = '\0';
	return M2M_OK;
}

m2m_err m2mi_mafc_check_key_reg(const json_t *reg, const char *key_id, const char *target, int suid_asked, int64_t now,
				int64_t requested, int64_t *expiry, char *why, size_t whycap)
{
	const char *rel = json_string_value(json_object_get(reg, "relKeyID"));
	const char *kid = json_string_value(json_object_get(reg, "keyID"));
	const char *src = json_string_value(json_object_get(reg, "sourceID"));
	const char *ts = json_string_value(json_object_get(reg, "expirationTime"));
	json_t *suid = json_object_get(reg, "SUID"), *t = json_object_get(reg, "targetIDs");
	int64_t exp = 0;

	*expiry = 0;
	if (!json_is_object(reg))
		return bad(why, whycap, "no sec:mafKeyReg object");
	if (!is_hex32(rel))
		return bad(why, whycap, "relKeyID is not 32 hex digits");
	/* TS-0003 clause 10.3.1: both ends ran the same export; a relKeyID that is not this
	 * session's KcID names a key this client does not hold. */
	if (key_id == NULL || strlen(key_id) < 33 || strncasecmp(rel, key_id, 32) != 0)
		return bad(why, whycap, "relKeyID differs from this session's KcID");
	if (kid == NULL || strcasecmp(kid, key_id) != 0)
		return bad(why, whycap, "keyID is not hexBinary(KcID)@MAF-FQDN");
	if (!json_is_integer(suid) || json_integer_value(suid) != suid_asked)
		return bad(why, whycap, "SUID is not the one registered");
	if (!json_is_array(t) || json_array_size(t) != 1 || json_string_value(json_array_get(t, 0)) == NULL ||
	    strcmp(json_string_value(json_array_get(t, 0)), target) != 0)
		return bad(why, whycap, "targetIDs is not the requested target");
	if (src == NULL || src[0] == '\0')
		return bad(why, whycap, "sourceID missing");
	if (ts == NULL || m2mi_mef_ts_parse(ts, &exp) != M2M_OK)
		return bad(why, whycap, "expirationTime is no timestamp");
	if (exp <= now)
		return bad(why, whycap, "expirationTime already passed");
	if (exp > requested)
		return bad(why, whycap, "expirationTime later than requested");
	*expiry = exp;
	return M2M_OK;
}

m2m_err m2mi_mafc_check_client_reg(const json_t *reg, const char *fqdn, char *kmid, size_t kcap, char *why,
				   size_t whycap)
{
	const char *rid = json_string_value(json_object_get(reg, "mafClientRegID"));
	const char *a = json_string_value(json_object_get(reg, "assignedSymmKeyID"));
	m2m_id *id = NULL;
	bool ok;

	if (!json_is_object(reg))
		return bad(why, whycap, "no sec:mafClientReg object");
	if (rid == NULL || rid[0] == '\0')
		return bad(why, whycap, "mafClientRegID missing");
	if (kmid == NULL)
		return M2M_OK;
	if (a == NULL || m2m_id_parse(a, strlen(a), M2M_ID_KMID, &id) != M2M_OK)
		return bad(why, whycap, "assignedSymmKeyID is no KmID");
	ok = m2m_id_fqdn(id) != NULL && strcasecmp(m2m_id_fqdn(id), fqdn) == 0;
	m2m_id_free(id);
	if (!ok)
		return bad(why, whycap, "assignedSymmKeyID names another MAF");
	if (strlen(a) >= kcap)
		return bad(why, whycap, "assignedSymmKeyID too long");
	memcpy(kmid, a, strlen(a) + 1);
	return M2M_OK;
}

m2m_err m2mi_mafc_check_target(const char *target, char *why, size_t whycap)
{
	m2m_id *id = NULL;
	m2m_id_form form;

	if (target == NULL || m2m_id_parse(target, strlen(target), M2M_ID_CSE_ID, &id) != M2M_OK) {
		snprintf(why, whycap, "target is not a CSE-ID");
		return M2M_E_INVAL;
	}
	form = m2m_id_form_of(id);
	m2m_id_free(id);
	/* The MAF stores absolute targetIDs; an SP-relative one would be made absolute with the
	 * MAF's SP, which the client cannot check: refuse it here. */
	if (form != M2M_ID_FORM_ABSOLUTE) {
		snprintf(why, whycap, "target must be an absolute CSE-ID (//sp-fqdn/cse-id)");
		return M2M_E_INVAL;
	}
	return M2M_OK;
}
