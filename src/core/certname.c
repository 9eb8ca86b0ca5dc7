/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the certificate name forms of the entity identifiers:
 *  - the public domain name of a CSE-ID (TS-0003 clause 10.1.1.7, TS-0001 clause 6.5.1.1:
 *    "<CSE Identifier>.<M2M Service Provider domain name>"): "/cse-in" in "//sp.example.com" is
 *    "cse-in.sp.example.com". The CSE-ID must then be one DNS label ([A-Za-z0-9-], 1..63, no
 *    '.', '_' or '~'); the result is lowercase, as DNS names compare case-insensitively.
 *  - the full URI of an AE-ID (TS-0003 clause 10.1.1.5): the absolute AE-ID behind the scheme
 *    "m2m:", so "//sp.example.com/cse-in/Cabc" is "m2m://sp.example.com/cse-in/Cabc"; the
 *    hostname part the issuing CA constrains is the SP FQDN.
 * The spec leaves both representations open; docs/identifiers.md records the choice.
 */
#include <string.h>
#include <strings.h>

#include "core/id_int.h"

#define AE_URI_SCHEME "m2m:"
#define AE_URI_SCHEME_LEN (sizeof(AE_URI_SCHEME) - 1)

static m2m_err copy_out(const m2mi_idbuf *b, char *out, size_t outcap)
{
	if (b->over)
		return M2M_E_ID_TOO_LONG;
	if (b->n + 1 > outcap)
		return M2M_E_RANGE;
	memcpy(out, b->b, b->n + 1);
	return M2M_OK;
}

m2m_err m2m_id_cse_domain_name(const m2m_id *cse_id, const char *sp_fqdn, char *out, size_t outcap)
{
	m2mi_idbuf sp = {0}, b = {0};
	m2m_err r;

	if (out == NULL || outcap == 0)
		return M2M_E_INVAL;
	out[0] = '\0';
	if (!m2mi_id_ok(cse_id) || cse_id->kind != M2M_ID_CSE_ID || cse_id->cse == NULL)
		return M2M_E_INVAL;
	if (sp_fqdn != NULL) {
		if ((r = m2m_id_check_fqdn(sp_fqdn, strlen(sp_fqdn))) != M2M_OK)
			return r;
		if ((r = m2mi_fqdn_canon(sp_fqdn, strlen(sp_fqdn), &sp)) != M2M_OK)
			return r;
	}
	if (cse_id->form == M2M_ID_FORM_ABSOLUTE) {
		/* The absolute CSE-ID names its SP; a different sp_fqdn is a caller error. */
		if (sp_fqdn != NULL && strcmp(sp.b, cse_id->fqdn) != 0) /* public: host names */
			return M2M_E_INVAL;
		sp.n = 0;
		sp.over = false;
		m2mi_id_put(&sp, cse_id->fqdn, strlen(cse_id->fqdn), M2MI_CASE_KEEP);
	} else if (sp_fqdn == NULL) {
		return M2M_E_INVAL; /* an SP-relative CSE-ID needs the SP it is relative to */
	}
	if (strchr(cse_id->cse, '.') != NULL)
		return M2M_E_ID_BAD_FQDN; /* would become several labels */
	m2mi_id_put(&b, cse_id->cse, strlen(cse_id->cse), M2MI_CASE_KEEP);
	m2mi_id_put(&b, ".", 1, M2MI_CASE_KEEP);
	m2mi_id_put(&b, sp.b, sp.n, M2MI_CASE_KEEP);
	if (b.over)
		return M2M_E_ID_BAD_FQDN;
	sp.n = 0;
	sp.over = false;
	/* The CSE label obeys the host name rules; the whole name stays within 253 characters. */
	if ((r = m2mi_fqdn_canon(b.b, b.n, &sp)) != M2M_OK)
		return r;
	return copy_out(&sp, out, outcap);
}

m2m_err m2m_id_ae_uri(const m2m_id *ae_id, char *out, size_t outcap)
{
	m2mi_idbuf b = {0};

	if (out == NULL || outcap == 0)
		return M2M_E_INVAL;
	out[0] = '\0';
	if (!m2mi_id_ok(ae_id) || ae_id->kind != M2M_ID_AE_ID)
		return M2M_E_INVAL;
	if (ae_id->form != M2M_ID_FORM_ABSOLUTE)
		return M2M_E_ID_BAD_FORM; /* the URI carries the SP FQDN: only an absolute AE-ID has one */
	m2mi_id_put(&b, AE_URI_SCHEME, AE_URI_SCHEME_LEN, M2MI_CASE_KEEP);
	m2mi_id_put(&b, ae_id->canonical, strlen(ae_id->canonical), M2MI_CASE_KEEP);
	return copy_out(&b, out, outcap);
}

m2m_err m2m_id_from_ae_uri(const char *uri, size_t len, m2m_id **out)
{
	m2m_id *id = NULL;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if ((r = m2mi_id_precheck(uri, len, M2M_ID_MAX + AE_URI_SCHEME_LEN)) != M2M_OK)
		return r;
	if (len < AE_URI_SCHEME_LEN || strncasecmp(uri, AE_URI_SCHEME, AE_URI_SCHEME_LEN) != 0)
		return M2M_E_ID_BAD_FORM; /* public: scheme names compare case-insensitively */
	if ((r = m2m_id_parse(uri + AE_URI_SCHEME_LEN, len - AE_URI_SCHEME_LEN, M2M_ID_AE_ID, &id)) != M2M_OK)
		goto out;
	if (id->form != M2M_ID_FORM_ABSOLUTE) {
		r = M2M_E_ID_BAD_FORM;
		goto out;
	}
	*out = id;
	id = NULL;
out:
	m2m_id_free(id);
	return r;
}
