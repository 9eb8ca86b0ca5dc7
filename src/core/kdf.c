/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the derivation context and the enrolment-key derivations of TS-0003
 * clause 10.3: Km (10.3.2), Kpsa (10.3.3), the usage-constrained key (10.3.7) and the split of a
 * TLS exporter output into key and identifier (10.3.1, 10.3.4, 10.3.5).
 *
 * The context fetches EVP_MAC "HMAC" with digest SHA256 once; every derivation re-keys the same
 * EVP_MAC_CTX with EVP_MAC_init (one-shot HMAC() re-fetches the digest and is several times
 * slower). Identifiers are NFKC-normalised as the clauses require; an ASCII identifier is its own
 * NFKC form, so it is hashed in place without a copy. Pure: no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "core/kdf_int.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"
#include "m2msec/utf8.h"

#define KDF_MAGIC 0x6d326b64u /* "m2kd" */

struct m2m_kdf {
	uint32_t magic;
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
};

bool m2mi_kdf_ok(const m2m_kdf *kdf)
{
	return kdf != NULL && kdf->magic == KDF_MAGIC && kdf->ctx != NULL;
}

m2m_err m2m_kdf_new(m2m_kdf **out)
{
	OSSL_PARAM params[2];
	m2m_kdf *kdf = NULL;
	m2m_err r = M2M_E_CRYPTO;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if ((kdf = calloc(1, sizeof(*kdf))) == NULL)
		return M2M_E_NOMEM;
	kdf->magic = KDF_MAGIC;
	if ((kdf->mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL)) == NULL)
		goto out;
	if ((kdf->ctx = EVP_MAC_CTX_new(kdf->mac)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(kdf->ctx, params) != 1)
		goto out;
	*out = kdf;
	kdf = NULL;
	r = M2M_OK;
out:
	m2m_kdf_free(kdf);
	return r;
}

void m2m_kdf_free(m2m_kdf *kdf)
{
	if (kdf == NULL)
		return;
	EVP_MAC_CTX_free(kdf->ctx); /* the HMAC state holds key-derived pads: OpenSSL cleanses it */
	EVP_MAC_free(kdf->mac);
	m2m_freezero(kdf, sizeof(*kdf));
}

m2m_err m2mi_kdf_key_bytes(const m2m_key *key, size_t need, const uint8_t **bytes, size_t *len)
{
	*bytes = m2m_key_bytes(key, len);
	if (*bytes == NULL)
		return M2M_E_INVAL;
	if (need != 0 && *len != need)
		return M2M_E_KEY_LEN;
	return M2M_OK;
}

m2m_err m2mi_kdf_begin(m2m_kdf *kdf, const uint8_t *key, size_t len)
{
	return EVP_MAC_init(kdf->ctx, key, len, NULL) == 1 ? M2M_OK : M2M_E_CRYPTO;
}

m2m_err m2mi_kdf_update(m2m_kdf *kdf, const void *p, size_t n)
{
	if (n == 0)
		return M2M_OK;
	return EVP_MAC_update(kdf->ctx, p, n) == 1 ? M2M_OK : M2M_E_CRYPTO;
}

m2m_err m2mi_kdf_end_raw(m2m_kdf *kdf, uint8_t out[M2M_KDF_OUT_LEN])
{
	size_t n = 0;

	if (EVP_MAC_final(kdf->ctx, out, &n, M2M_KDF_OUT_LEN) != 1 || n != M2M_KDF_OUT_LEN) {
		m2m_memzero(out, M2M_KDF_OUT_LEN);
		return M2M_E_CRYPTO;
	}
	return M2M_OK;
}

m2m_err m2mi_kdf_end_key(m2m_kdf *kdf, m2m_key **out)
{
	uint8_t buf[M2M_KDF_OUT_LEN];
	m2m_err r;

	if ((r = m2mi_kdf_end_raw(kdf, buf)) != M2M_OK)
		goto out;
	r = m2m_key_new(buf, sizeof(buf), out);
out:
	m2m_memzero(buf, sizeof(buf));
	return r;
}

/*
 * An identifier entering a derivation: NFKC(UTF-8). ASCII is already NFKC, so it is used in
 * place (no allocation); anything else goes through m2m_utf8_nfkc into *norm (free() it).
 * Errors are those of m2m_utf8_nfkc.
 */
static m2m_err id_prepare(const char *id, const char **p, size_t *n, char **norm)
{
	size_t len;
	m2m_err r;

	*norm = NULL;
	if (id == NULL)
		return M2M_E_ID_EMPTY;
	len = strnlen(id, M2M_ID_MAX + 1);
	if (len == 0)
		return M2M_E_ID_EMPTY;
	if (len > M2M_ID_MAX)
		return M2M_E_ID_TOO_LONG;
	if (m2m_utf8_is_ascii(id, len)) {
		*p = id;
		*n = len;
		return M2M_OK;
	}
	if ((r = m2m_utf8_nfkc(id, len, norm, n)) == M2M_OK)
		*p = *norm;
	return r;
}

/* HMAC-SHA-256(Ke, label || mid || NFKC(id)): the shape of clauses 10.3.2, 10.3.3, 10.3.7. */
static m2m_err derive_from_ke(m2m_kdf *kdf, const m2m_key *ke, const char *label, size_t label_len,
			      const char *mid, size_t mid_len, const char *id, m2m_key **out)
{
	const uint8_t *kb;
	const char *idp = NULL;
	char *norm = NULL;
	size_t kl, idn = 0;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (!m2mi_kdf_ok(kdf))
		return M2M_E_INVAL;
	if ((r = m2mi_kdf_key_bytes(ke, M2M_KEY_LEN, &kb, &kl)) != M2M_OK)
		return r;
	if ((r = id_prepare(id, &idp, &idn, &norm)) != M2M_OK)
		return r;
	if ((r = m2mi_kdf_begin(kdf, kb, kl)) != M2M_OK ||
	    (r = m2mi_kdf_update(kdf, label, label_len)) != M2M_OK ||
	    (r = m2mi_kdf_update(kdf, mid, mid_len)) != M2M_OK ||
	    (r = m2mi_kdf_update(kdf, idp, idn)) != M2M_OK)
		goto out;
	r = m2mi_kdf_end_key(kdf, out);
out:
	free(norm);
	return r;
}

/* TS-0003 clause 10.3.2: Km = HMAC-SHA-256(Ke, "oneM2M Enrolment Key to Master Credential
 * derivation" || MAF-ID), MAF-ID as UTF-8 after NFKC. */
m2m_err m2m_kdf_km(m2m_kdf *kdf, const m2m_key *ke, const char *maf_id, m2m_key **km)
{
	return derive_from_ke(kdf, ke, M2M_KDF_LABEL_KM, sizeof(M2M_KDF_LABEL_KM) - 1, NULL, 0, maf_id, km);
}

/* TS-0003 clause 10.3.3: Kpsa = HMAC-SHA-256(Ke, "oneM2M Enrolment Key to Provisioned Secure
 * Connection Key derivation" || Enrolee-B-ID), Enrolee-B-ID (CSE-ID/AE-ID) as UTF-8 after NFKC. */
m2m_err m2m_kdf_kpsa(m2m_kdf *kdf, const m2m_key *ke, const char *enrolee_b_id, m2m_key **kpsa)
{
	return derive_from_ke(kdf, ke, M2M_KDF_LABEL_KPSA, sizeof(M2M_KDF_LABEL_KPSA) - 1, NULL, 0,
			      enrolee_b_id, kpsa);
}

/*
 * TS-0003 clause 10.3.7: HMAC-SHA-256(Ke, "oneM2M Enrolment Key to Usage-Constrained Symmetric
 * Key derivation" || SUID || Enrolment-Target-ID). The clause does not fix the octets of SUID; we
 * hash its decimal ASCII text ("22"), the form m2m:suid has in XML, JSON and CBOR-to-text, and
 * the way it appears in Credential-IDs (docs/keys.md). The output key carries the SUID.
 */
m2m_err m2m_kdf_ucsk(m2m_kdf *kdf, const m2m_key *ke, int suid, const char *target_id, m2m_key **out)
{
	char text[16];
	int n;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (!m2m_suid_valid(suid))
		return M2M_E_ID_BAD_TYPE;
	n = snprintf(text, sizeof(text), "%d", suid);
	if (n <= 0 || (size_t)n >= sizeof(text))
		return M2M_E_INTERNAL;
	r = derive_from_ke(kdf, ke, M2M_KDF_LABEL_UCSK, sizeof(M2M_KDF_LABEL_UCSK) - 1, text, (size_t)n,
			   target_id, out);
	if (r == M2M_OK)
		m2m_key_set_suid(*out, suid);
	return r;
}

/*
 * TS-0003 clause 10.3.1 (48-byte exporter output: 16 most significant bytes = RelativeKeID/KcID/
 * pairwiseE2EKeyID, 32 least significant = the key) with the identifier of clause 10.3.4/10.3.5:
 * hexBinary(rel)@FQDN. "Most significant" is read as the first bytes of the exporter output, the
 * usual big-endian reading of an octet string (docs/keys.md).
 */
m2m_err m2m_kdf_exporter_split(const uint8_t material[M2M_EXPORTER_LEN], const char *fqdn, m2m_key **key,
			       char *key_id, size_t key_id_cap)
{
	char id[2 * M2M_EXPORTER_REL_LEN + 1 + 256 + 1];
	m2m_key *k = NULL;
	size_t idlen;
	m2m_err r;

	if (key == NULL)
		return M2M_E_INVAL;
	*key = NULL;
	if (key_id != NULL && key_id_cap > 0)
		key_id[0] = '\0';
	if (material == NULL || (key_id != NULL && key_id_cap == 0))
		return M2M_E_INVAL;
	if (fqdn == NULL || fqdn[0] == '\0')
		return M2M_E_ID_BAD_FQDN;
	if (strnlen(fqdn, 256) > 254) /* 253 plus an optional trailing dot */
		return M2M_E_ID_BAD_FQDN;
	if ((r = m2m_id_format_key_id(material, fqdn, id, sizeof(id))) != M2M_OK)
		return r;
	idlen = strlen(id);
	if (key_id != NULL && idlen + 1 > key_id_cap)
		return M2M_E_RANGE;
	if ((r = m2m_key_new(material + M2M_EXPORTER_REL_LEN, M2M_EXPORTER_LEN - M2M_EXPORTER_REL_LEN, &k)) !=
	    M2M_OK)
		return r;
	if ((r = m2m_key_set_id(k, id)) != M2M_OK)
		goto out;
	if (key_id != NULL)
		memcpy(key_id, id, idlen + 1);
	*key = k;
	k = NULL;
out:
	m2m_key_free(k);
	return r;
}
