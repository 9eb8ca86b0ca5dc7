/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the UE and BSF decision steps of GBA bootstrapping on Ub (3GPP TS 33.220
 * clause 4.5.2, RFC 3310 clauses 3.2 to 3.5; TS-0003 clause 8.3.2.3): the UE's answer to a
 * Digest AKA challenge through its software USIM, and the BSF's check of the answer against the
 * authentication vector it issued. Every secret (RES, CK, IK, AUTS) is wiped after use. Pure.
 */
#include <stdio.h>
#include <string.h>

#include "core/b64_int.h"
#include "m2msec/gba_ub.h"
#include "m2msec/mem.h"

void m2m_gba_answer_clear(m2m_gba_answer *a)
{
	if (a == NULL)
		return;
	m2m_key_free(a->ks);
	m2m_memzero(a, sizeof(*a));
}

/* The fields of the credentials the UE fills, bounded by their buffers. */
static m2m_err fill_cred(m2m_digest *c, const m2m_digest *ch, const char *impi, const char *uri, const char *cnonce,
			 uint32_t nc)
{
	size_t cl = cnonce != NULL ? strlen(cnonce) : 0;

	if (impi == NULL || impi[0] == '\0' || uri == NULL || uri[0] == '\0' || cl == 0 || nc == 0)
		return M2M_E_INVAL;
	if (strlen(impi) >= sizeof(c->username) || strlen(uri) >= sizeof(c->uri) || cl >= sizeof(c->cnonce))
		return M2M_E_TOO_LARGE;
	memcpy(c->username, impi, strlen(impi) + 1);
	memcpy(c->realm, ch->realm, sizeof(c->realm));
	memcpy(c->nonce, ch->nonce, sizeof(c->nonce));
	memcpy(c->opaque, ch->opaque, sizeof(c->opaque));
	memcpy(c->uri, uri, strlen(uri) + 1);
	memcpy(c->cnonce, cnonce, cl + 1);
	memcpy(c->algorithm, M2M_DIGEST_ALGORITHM, sizeof(M2M_DIGEST_ALGORITHM));
	memcpy(c->qop, "auth", 5);
	snprintf(c->nc, sizeof(c->nc), "%08x", (unsigned)nc);
	c->present = M2M_DIGEST_HAS_USERNAME | M2M_DIGEST_HAS_REALM | M2M_DIGEST_HAS_NONCE | M2M_DIGEST_HAS_URI |
		     M2M_DIGEST_HAS_RESPONSE | M2M_DIGEST_HAS_ALGORITHM | M2M_DIGEST_HAS_QOP | M2M_DIGEST_HAS_CNONCE |
		     M2M_DIGEST_HAS_NC | (c->opaque[0] != '\0' ? M2M_DIGEST_HAS_OPAQUE : 0);
	return M2M_OK;
}

m2m_err m2m_gba_ue_answer(m2m_usim *u, const m2m_digest *ch, const char *impi, const char *method, const char *uri,
			  const char *cnonce, uint32_t nc, m2m_gba_answer *out)
{
	uint8_t rand[M2M_MILENAGE_RAND_LEN], autn[M2M_AKA_AUTN_LEN];
	m2m_aka_result res;
	size_t sl = 0;
	m2m_err r, ar;

	if (out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	if (u == NULL || ch == NULL || method == NULL || method[0] == '\0' || (ch->present & M2M_DIGEST_HAS_NONCE) == 0)
		return M2M_E_INVAL;
	if ((r = fill_cred(&out->cred, ch, impi, uri, cnonce, nc)) != M2M_OK)
		goto fail;
	if ((r = m2m_digest_aka_nonce_split(ch->nonce, rand, autn, NULL, 0, &sl)) != M2M_OK)
		goto fail;
	ar = m2m_usim_authenticate(u, rand, autn, &res);
	if (ar == M2M_OK) {
		/* RFC 3310 clause 3.4: the password is RES */
		r = m2m_digest_aka_response(out->cred.username, out->cred.realm, res.res, sizeof(res.res), method,
					    out->cred.uri, out->cred.nonce, out->cred.nc, out->cred.cnonce, "auth",
					    out->cred.response);
		if (r == M2M_OK)
			r = m2m_gba_ks(res.ck, res.ik, &out->ks);
		memcpy(out->rand, rand, sizeof(rand));
	} else if (ar == M2M_E_AKA_SYNC) {
		/* RFC 3310 clause 3.5: auts = base64(AUTS), response with the empty password */
		r = m2mi_b64_encode(res.auts, sizeof(res.auts), out->cred.auts, sizeof(out->cred.auts));
		out->cred.present |= M2M_DIGEST_HAS_AUTS;
		if (r == M2M_OK)
			r = m2m_digest_aka_response(out->cred.username, out->cred.realm, NULL, 0, method, out->cred.uri,
						    out->cred.nonce, out->cred.nc, out->cred.cnonce, "auth",
						    out->cred.response);
		if (r == M2M_OK)
			r = M2M_E_AKA_SYNC;
	} else {
		r = ar;
	}
	m2m_aka_result_clear(&res);
	if (r == M2M_OK || r == M2M_E_AKA_SYNC)
		return r;
fail:
	m2m_gba_answer_clear(out);
	return r;
}

m2m_err m2m_gba_bsf_check(m2m_milenage *m, const m2m_aka_av *av, const m2m_digest *cred, const char *method,
			  uint64_t *sqn_ms)
{
	uint8_t rand[M2M_MILENAGE_RAND_LEN], autn[M2M_AKA_AUTN_LEN], auts[M2M_AKA_AUTS_LEN];
	size_t sl = 0, n = 0;
	uint64_t s = 0;
	m2m_err r;

	if (sqn_ms != NULL)
		*sqn_ms = 0;
	if (m == NULL || av == NULL || cred == NULL || method == NULL)
		return M2M_E_INVAL;
	/* the answer must be to this challenge: same RAND and AUTN in the nonce */
	if (m2m_digest_aka_nonce_split(cred->nonce, rand, autn, NULL, 0, &sl) != M2M_OK ||
	    !m2m_ct_eq(rand, av->rand, sizeof(rand)) || !m2m_ct_eq(autn, av->autn, sizeof(autn)))
		return M2M_E_AUTH;
	if ((cred->present & M2M_DIGEST_HAS_AUTS) == 0)
		return m2m_digest_aka_verify(cred, method, av->xres, sizeof(av->xres));
	/* resynchronisation: signed with the empty password (m2m_digest_aka_verify uses it with auts) */
	if ((r = m2m_digest_aka_verify(cred, method, NULL, 0)) != M2M_OK)
		return r;
	if (m2mi_b64_decode(cred->auts, strlen(cred->auts), auts, sizeof(auts), &n) != M2M_OK || n != sizeof(auts))
		return M2M_E_PROTO;
	r = m2m_aka_auts_verify(m, av->rand, auts, &s);
	m2m_memzero(auts, sizeof(auts));
	if (r != M2M_OK)
		return r;
	if (sqn_ms != NULL)
		*sqn_ms = s;
	return M2M_E_AKA_SYNC;
}
