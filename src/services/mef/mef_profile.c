/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF's security profile procedure (docs/procedures/mef.md "Security
 * profile"; the CSE <-> MEF profile): RETRIEVE `securityProfile/<CSE-ID without its leading
 * '/'>` by an Enrolment Target over its own association. The MEF answers only the target's own
 * profile: another CSE's profile is 4103, whatever exists (no oracle); none set is 4004. The
 * content is the stored {"sec:secProfile": {...}} with cseID set to the target's CSE-ID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/mefstore.h"
#include "m2msec/rsc.h"
#include "services/mef/mef_int.h"

m2m_err m2mi_mef_profile(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_request *req, m2m_response *rsp,
			 int64_t now, m2mi_proc_out *o)
{
	char cse[M2MI_MEF_ID_MAX];
	const char *to = req->to, *self[1] = {a->client_id};
	char *text = NULL;
	json_t *body, *p;
	m2m_err r;

	(void)now;
	o->proc = "security-profile";
	if (req->op != M2M_OP_RETRIEVE)
		return m2mi_proc_fail(rsp, o, M2M_RSC_OPERATION_NOT_ALLOWED, "operation-not-allowed", "only RETRIEVE");
	if (a->peer != M2M_MEF_PEER_TARGET)
		return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not-authorized",
				     "not an Enrolment Target");
	if (req->fr != NULL && !m2m_mef_target_listed(self, 1, req->fr, w->mef->sp_id))
		return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED, "not-authorized",
				     "From is not the authenticated target");
	if (to[0] == '/' && to[1] != '/')
		to++;
	to += strlen("securityProfile");
	if (to[0] != '/' || to[1] == '\0' || strchr(to + 1, '/') != NULL || strlen(to) >= sizeof(cse) ||
	    req->pc != NULL)
		return m2mi_proc_fail(rsp, o, M2M_RSC_BAD_REQUEST, "malformed", "malformed securityProfile request");
	snprintf(cse, sizeof(cse), "%s", to); /* "/id-in": the SP-relative CSE-ID */
	{
		const char *want[1] = {cse};
		if (!m2m_mef_target_listed(want, 1, a->client_id, w->mef->sp_id))
			return m2mi_proc_fail(rsp, o, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE, "not-authorized",
					     "not this CSE's profile");
	}
	r = m2m_mefstore_profile_get(w->st, cse, &text);
	if (r == M2M_E_NOT_FOUND)
		return m2mi_proc_fail(rsp, o, M2M_RSC_NOT_FOUND, "not-found", "no security profile for this CSE");
	if (r != M2M_OK || (body = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		free(text);
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "profile unavailable");
	}
	free(text);
	p = json_object_get(body, "sec:secProfile");
	if (!json_is_object(p) || json_object_set_new(p, "cseID", json_string(cse)) != 0) {
		json_decref(body);
		return m2mi_proc_fail(rsp, o, M2M_RSC_INTERNAL_SERVER_ERROR, "store-error", "profile unavailable");
	}
	json_decref(rsp->pc);
	rsp->pc = body;
	rsp->rsc = M2M_RSC_OK;
	return M2M_OK;
}
