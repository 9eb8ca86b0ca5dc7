/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the TLS Key Export glue of TS-0003 clause 10.3.1:
 * after a successful (D)TLS handshake both ends export 48 bytes with RFC 5705 under one of the
 * oneM2M labels (M2M_EXPORTER_BOOTSTRAP for Ke/RelativeKeID, M2M_EXPORTER_CONNECTION for
 * Kc/KcID, M2M_EXPORTER_ESCERTKE for pairwiseE2EKey/ID) and split them into a 32-byte key and a
 * key identifier hexBinary(rel)@FQDN (clauses 10.3.4, 10.3.5). It is the only m2msec code that
 * calls the OpenSSL SSL API for key derivation.
 */
#ifndef M2MSEC_EXPORTER_H
#define M2MSEC_EXPORTER_H

#include <openssl/ssl.h>

#include "m2msec/kdf.h"

/*
 * Export M2M_EXPORTER_LEN bytes from the established session ssl with label (RFC 5705 with no
 * context: use_context = 0; TS-0003 gives no context value, docs/keys.md) and split them with
 * m2m_kdf_exporter_split: *key gets the 32 least significant bytes and the identifier
 * hexBinary(16 most significant bytes)@fqdn, also written to key_id when key_id is not NULL
 * (cap >= 32 + 1 + strlen(fqdn) + 1). The exported bytes are wiped. A session whose handshake
 * has not completed gives M2M_E_CRYPTO. *key is NULL unless M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_tls_export_key(SSL *ssl, const char *label, const char *fqdn, m2m_key **key,
					   char *key_id, size_t cap);

#endif
