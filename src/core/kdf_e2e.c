/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the end-to-end key derivations of TS-0003:
 *  - clause 10.3.6: Ke2e_master = HMAC-SHA-256(Salt, Kpsa) (RFC 5869 HKDF-Extract) and its
 *    expansion into Ke2e_msg_auth, Ke2e_msg_conf, Ke2e_att_auth, Ke2e_att_conf, where
 *    T(i) = HMAC(Ke2e_master, T(i-1) || label_i || i) with a different label per step (so it is
 *    RFC 5869 HKDF-Expand only for T(1));
 *  - clause 10.3.8.2: sessionESPrimKey = HMAC-SHA256(pairwiseESPrimKey,
 *    receiverESPrimRandObject || originatorESPrimRandObject || label).
 * Choices where the clauses are silent (salt absent, rand-object octets) are in docs/keys.md.
 * Pure: no I/O.
 */
#include <string.h>

#include "core/kdf_int.h"
#include "m2msec/mem.h"

/* RFC 5869 section 2.2: "if not provided, [salt] is set to a string of HashLen zeros". */
static const uint8_t zero_salt[M2M_KDF_OUT_LEN];

m2m_err m2m_kdf_e2e_master(m2m_kdf *kdf, const m2m_key *kpsa, const uint8_t *salt, size_t salt_len,
			   m2m_key **master)
{
	const uint8_t *kb;
	size_t kl;
	m2m_err r;

	if (master == NULL)
		return M2M_E_INVAL;
	*master = NULL;
	if (!m2mi_kdf_ok(kdf))
		return M2M_E_INVAL;
	if ((r = m2mi_kdf_key_bytes(kpsa, 0, &kb, &kl)) != M2M_OK)
		return r;
	if (salt == NULL || salt_len == 0) {
		salt = zero_salt;
		salt_len = sizeof(zero_salt);
	} else if (salt_len > M2M_KDF_INPUT_MAX) {
		return M2M_E_TOO_LARGE;
	}
	/* HMAC-Hash(Salt, Kpsa): the salt is the HMAC key, Kpsa the message. */
	if ((r = m2mi_kdf_begin(kdf, salt, salt_len)) != M2M_OK || (r = m2mi_kdf_update(kdf, kb, kl)) != M2M_OK)
		return r;
	return m2mi_kdf_end_key(kdf, master);
}

m2m_err m2m_kdf_e2e_expand(m2m_kdf *kdf, const m2m_key *master, m2m_kdf_e2e_keys *out)
{
	static const struct {
		const char *label;
		size_t len;
	} steps[4] = {
		{M2M_KDF_LABEL_E2E_MSG_AUTH, sizeof(M2M_KDF_LABEL_E2E_MSG_AUTH) - 1},
		{M2M_KDF_LABEL_E2E_MSG_CONF, sizeof(M2M_KDF_LABEL_E2E_MSG_CONF) - 1},
		{M2M_KDF_LABEL_E2E_ATT_AUTH, sizeof(M2M_KDF_LABEL_E2E_ATT_AUTH) - 1},
		{M2M_KDF_LABEL_E2E_ATT_CONF, sizeof(M2M_KDF_LABEL_E2E_ATT_CONF) - 1},
	};
	uint8_t t[M2M_KDF_OUT_LEN];
	m2m_key *keys[4] = {NULL, NULL, NULL, NULL};
	const uint8_t *mb;
	size_t ml, tlen = 0;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	if (!m2mi_kdf_ok(kdf))
		return M2M_E_INVAL;
	if ((r = m2mi_kdf_key_bytes(master, 0, &mb, &ml)) != M2M_OK)
		return r;
	for (size_t i = 0; i < 4; i++) {
		uint8_t counter = (uint8_t)(i + 1);

		/* T(i) = HMAC(master, T(i-1) || label_i || i); T(0) is empty. */
		if ((r = m2mi_kdf_begin(kdf, mb, ml)) != M2M_OK || (r = m2mi_kdf_update(kdf, t, tlen)) != M2M_OK ||
		    (r = m2mi_kdf_update(kdf, steps[i].label, steps[i].len)) != M2M_OK ||
		    (r = m2mi_kdf_update(kdf, &counter, 1)) != M2M_OK || (r = m2mi_kdf_end_raw(kdf, t)) != M2M_OK)
			goto out;
		tlen = sizeof(t);
		if ((r = m2m_key_new(t, sizeof(t), &keys[i])) != M2M_OK)
			goto out;
	}
	out->msg_auth = keys[0];
	out->msg_conf = keys[1];
	out->att_auth = keys[2];
	out->att_conf = keys[3];
	memset(keys, 0, sizeof(keys));
out:
	for (size_t i = 0; i < 4; i++)
		m2m_key_free(keys[i]);
	m2m_memzero(t, sizeof(t));
	return r;
}

m2m_err m2m_kdf_e2e(m2m_kdf *kdf, const m2m_key *kpsa, const uint8_t *salt, size_t salt_len,
		    m2m_kdf_e2e_keys *out)
{
	m2m_key *master = NULL;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	if ((r = m2m_kdf_e2e_master(kdf, kpsa, salt, salt_len, &master)) != M2M_OK)
		return r;
	r = m2m_kdf_e2e_expand(kdf, master, out);
	m2m_key_free(master);
	return r;
}

void m2m_kdf_e2e_keys_clear(m2m_kdf_e2e_keys *keys)
{
	if (keys == NULL)
		return;
	m2m_key_free(keys->msg_auth);
	m2m_key_free(keys->msg_conf);
	m2m_key_free(keys->att_auth);
	m2m_key_free(keys->att_conf);
	memset(keys, 0, sizeof(*keys));
}

/*
 * TS-0003 clause 10.3.8.2. The clause concatenates "receiverESPrimRandObject ||
 * originatorESPrimRandObject" without saying which octets of the objects; we take the
 * esprimRandValue (esrv) of each object exactly as carried (the octets of its xs:NCName text,
 * TS-0004 clause 6.3.5.50/51), so both ends hash the same bytes without re-encoding. The caller
 * passes those octets; this function treats them as opaque.
 */
m2m_err m2m_kdf_session_esprim(m2m_kdf *kdf, const m2m_key *pairwise_key, const uint8_t *rcv_rand,
			       size_t rcv_len, const uint8_t *orig_rand, size_t orig_len, m2m_key **out)
{
	const uint8_t *kb;
	size_t kl;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (!m2mi_kdf_ok(kdf) || rcv_rand == NULL || orig_rand == NULL || rcv_len == 0 || orig_len == 0)
		return M2M_E_INVAL;
	if (rcv_len > M2M_KDF_INPUT_MAX || orig_len > M2M_KDF_INPUT_MAX)
		return M2M_E_TOO_LARGE;
	if ((r = m2mi_kdf_key_bytes(pairwise_key, 0, &kb, &kl)) != M2M_OK)
		return r;
	if ((r = m2mi_kdf_begin(kdf, kb, kl)) != M2M_OK || (r = m2mi_kdf_update(kdf, rcv_rand, rcv_len)) != M2M_OK ||
	    (r = m2mi_kdf_update(kdf, orig_rand, orig_len)) != M2M_OK ||
	    (r = m2mi_kdf_update(kdf, M2M_KDF_LABEL_SESSION_ESPRIM, sizeof(M2M_KDF_LABEL_SESSION_ESPRIM) - 1)) !=
		    M2M_OK)
		return r;
	return m2mi_kdf_end_key(kdf, out);
}
