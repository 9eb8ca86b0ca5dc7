/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the TLS Key Export step of TS-0003 clause 10.3.1 over OpenSSL: RFC 5705
 * SSL_export_keying_material with a oneM2M label, length 48 and no context (the clause names no
 * context; RFC 5705 distinguishes "no context" from an empty one, and "no context" is what a
 * plain reading and `openssl s_client -keymatexport` produce). The split into key and identifier
 * is the pure m2m_kdf_exporter_split (core/kdf.c). Works for TLS 1.2, TLS 1.3 and DTLS sessions.
 */
#include <string.h>

#include "m2msec/exporter.h"
#include "m2msec/mem.h"

m2m_err m2m_tls_export_key(SSL *ssl, const char *label, const char *fqdn, m2m_key **key, char *key_id,
			   size_t cap)
{
	uint8_t material[M2M_EXPORTER_LEN];
	m2m_err r;

	if (key == NULL)
		return M2M_E_INVAL;
	*key = NULL;
	if (key_id != NULL && cap > 0)
		key_id[0] = '\0';
	if (ssl == NULL || label == NULL || label[0] == '\0')
		return M2M_E_INVAL;
	if (!SSL_is_init_finished(ssl))
		return M2M_E_CRYPTO;
	if (SSL_export_keying_material(ssl, material, sizeof(material), label, strlen(label), NULL, 0, 0) != 1) {
		r = M2M_E_CRYPTO;
		goto out;
	}
	r = m2m_kdf_exporter_split(material, fqdn, key, key_id, cap);
out:
	m2m_memzero(material, sizeof(material));
	return r;
}
