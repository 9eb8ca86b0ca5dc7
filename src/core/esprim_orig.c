/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the ESPrim Originator (m2msec/esprim_orig.h, TS-0003 clause 8.4.2 B.1b and
 * C.1-C.4, clause 8.4.3.2): the originatorESPrimRandObject (esk 1 = HMAC-SHA256, espa and expiry
 * taken from the receiver's object, so the Receiver's checks of C.6c hold by construction), the
 * sessionESPrimKey (clause 10.3.8.2), the outer NOTIFY Content and the opening of the protected
 * response, whose header must name this session (kid, ori, rri), else it answers another one.
 * The session key becomes a cjose JWK and the protected header a cjose header once, at
 * m2m_esprim_orig_new; every object of the session is sealed with them (JOSE through cjose).
 * The header carries "oro" at the beginning of the session (clause 8.4.3.2: "either at the
 * beginning of an ESPrim session or to refresh the session keys"); once the caller confirms that
 * the Receiver accepted a request of the session (and so keeps the object), it is left out.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "core/esprim_int.h"
#include "m2msec/mem.h"
#include "m2msec/esprim_orig.h"
#include "m2msec/seci_e2e.h"

struct m2m_esprim_orig {
	char kid[M2M_ESPRIM_KID_MAX + 1];
	m2m_esprim_rand rro, oro;
	int aead;
	m2mi_esp_key *key;   /* the sessionESPrimKey as a cjose JWK, made once */
	cjose_header_t *hdr; /* the protected header, built once (the same for every object) */
	cjose_header_t *bare; /* the same without "oro", once the Receiver keeps it (confirmed) */
	bool confirmed;
	m2m_esprim_obj *last; /* the last answer: the Receiver's header is the same for a session */
};

static bool has(const int *list, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

m2m_err m2m_esprim_orig_new(const m2m_key *pairwise, const char *kid, const m2m_esprim_rand *rro, int aead,
			    int64_t now, m2m_esprim_orig **out)
{
	uint8_t rnd[M2M_ESPRIM_RAND_LEN], idrnd[M2M_ESPRIM_RANDID_LEN];
	static const int esk = M2M_ESPRIM_KEYGEN_HMAC_SHA256;
	m2m_esprim_orig *o;
	m2m_kdf *kdf = NULL;
	m2m_key *sk = NULL;
	m2m_esprim_hdr h;
	m2m_err r;

	if (out != NULL)
		*out = NULL;
	if (pairwise == NULL || kid == NULL || rro == NULL || out == NULL || kid[0] == '\0' ||
	    strlen(kid) > M2M_ESPRIM_KID_MAX)
		return M2M_E_INVAL;
	if (rro->expiry <= now)
		return M2M_E_ESP_RECV_RAND;
	if (!has(rro->keygen, rro->nkeygen, esk) || !has(rro->aead, rro->naead, aead))
		return M2M_E_ESP_UNSUPPORTED;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return M2M_E_NOMEM;
	memcpy(o->kid, kid, strlen(kid) + 1);
	o->rro = *rro;
	o->aead = aead;
	r = M2M_E_CRYPTO;
	if (RAND_bytes(rnd, sizeof(rnd)) == 1 && RAND_bytes(idrnd, sizeof(idrnd)) == 1 &&
	    (r = m2m_esprim_rand_init(&o->oro, true, false, rnd, idrnd, rro->expiry, &esk, 1, rro->aead,
				      rro->naead)) == M2M_OK &&
	    (r = m2m_kdf_new(&kdf)) == M2M_OK)
		r = m2m_esprim_session_key(kdf, pairwise, &o->rro, &o->oro, aead, &sk);
	m2m_kdf_free(kdf);
	m2m_memzero(rnd, sizeof(rnd));
	if (r == M2M_OK)
		r = m2mi_esp_key_new(sk, &o->key);
	m2m_key_free(sk);
	h = (m2m_esprim_hdr){.aead = aead, .kid = o->kid, .ori = o->oro.id, .rri = o->rro.id, .cty = "application/json",
			     .oro = &o->oro};
	if (r == M2M_OK && (o->hdr = m2mi_esprim_hdr_new(&h)) == NULL)
		r = M2M_E_ESP_ENCRYPT;
	h.oro = NULL;
	if (r == M2M_OK && (o->bare = m2mi_esprim_hdr_new(&h)) == NULL)
		r = M2M_E_ESP_ENCRYPT;
	if (r != M2M_OK) {
		m2m_esprim_orig_free(o);
		return r;
	}
	*out = o;
	return M2M_OK;
}

void m2m_esprim_orig_free(m2m_esprim_orig *o)
{
	if (o == NULL)
		return;
	m2mi_esp_key_unref(o->key);
	cjose_header_release(o->hdr);
	cjose_header_release(o->bare);
	m2m_esprim_obj_free(o->last);
	m2m_freezero(o, sizeof(*o));
}

m2m_err m2m_esprim_orig_seal(m2m_esprim_orig *o, const char *inner, size_t len, char **content)
{
	m2m_seci_e2e s = {.sit = M2M_SECI_ESPRIM};
	m2m_err r;

	if (content != NULL)
		*content = NULL;
	if (o == NULL || inner == NULL || content == NULL)
		return M2M_E_INVAL;
	r = m2mi_esprim_seal_key(o->key, o->aead, o->confirmed ? o->bare : o->hdr, (const uint8_t *)inner, len, &s.epo);
	if (r != M2M_OK)
		return r;
	r = m2m_seci_e2e_encode(&s, content);
	m2m_seci_e2e_clear(&s);
	return r;
}

void m2m_esprim_orig_confirm(m2m_esprim_orig *o)
{
	if (o != NULL)
		o->confirmed = true;
}

m2m_err m2m_esprim_orig_open(m2m_esprim_orig *o, const char *content, size_t len, int64_t now, char **inner,
			     size_t *inner_len)
{
	m2m_seci_e2e s = {0};
	m2m_esprim_obj *obj = NULL;
	const m2m_esprim_hdr *h;
	uint8_t *pt = NULL, *z;
	size_t ptlen = 0;
	m2m_err r;

	if (inner != NULL)
		*inner = NULL;
	if (o == NULL || content == NULL || inner == NULL || inner_len == NULL)
		return M2M_E_INVAL;
	if ((r = m2m_seci_e2e_decode(content, len, now, &s)) != M2M_OK)
		return r == M2M_E_UNSUPPORTED ? M2M_E_SECI_FORMAT : r;
	if (s.sit != M2M_SECI_ESPRIM) {
		r = M2M_E_SECI_FORMAT;
		goto out;
	}
	/* the header of the previous answer, byte for byte, is taken from it (exactly its parse) */
	r = o->last != NULL ? m2mi_esprim_parse_same_hdr(s.epo, strlen(s.epo), o->last, &obj) : M2M_E_NOT_FOUND;
	if (r == M2M_E_NOT_FOUND)
		r = m2m_esprim_parse(s.epo, strlen(s.epo), now, &obj);
	if (r != M2M_OK)
		goto out;
	h = m2m_esprim_obj_hdr(obj);
	if (strcmp(h->kid, o->kid) != 0) {
		r = M2M_E_ESP_KEY_ID;
	} else if (strcmp(h->ori, o->oro.id) != 0) {
		r = M2M_E_ESP_ORIG_RAND;
	} else if (strcmp(h->rri, o->rro.id) != 0) {
		r = M2M_E_ESP_RECV_RAND;
	} else if (h->aead != o->aead) {
		r = M2M_E_ESP_UNSUPPORTED;
	} else if ((r = m2mi_esprim_open_key(obj, o->key, &pt, &ptlen)) == M2M_OK) {
		if ((z = malloc(ptlen + 1)) == NULL) {
			r = M2M_E_NOMEM;
		} else {
			memcpy(z, pt, ptlen);
			z[ptlen] = '\0';
			*inner = (char *)z;
			*inner_len = ptlen;
		}
	}
out:
	m2m_freezero(pt, ptlen);
	if (r == M2M_OK && m2mi_esprim_hdr_reusable(obj)) { /* an answer of this session: keep it */
		m2m_esprim_obj_free(o->last);
		o->last = obj;
		obj = NULL;
	}
	m2m_esprim_obj_free(obj);
	m2m_seci_e2e_clear(&s);
	return r;
}
