/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of src/pki/cert_facts.c: the facts of an X.509 certificate
 * that several layers need in one agreed form — its SHA-256 fingerprint (the value part of a
 * certificate Credential-ID, TS-0003 clause 10.4) and its validity times as Unix seconds.
 */
#ifndef M2M_PKI_CERT_FACTS_H
#define M2M_PKI_CERT_FACTS_H

#include <openssl/x509.h>
#include "m2msec/err.h"

#define M2MI_CERT_FINGERPRINT_HEX 65 /* 64 hex digits + NUL */

/* SHA-256 of the DER certificate as hex (upper selects A-F). out needs M2MI_CERT_FINGERPRINT_HEX. */
m2m_err m2mi_cert_fingerprint(const X509 *x, bool upper, char *out, size_t cap);
/* An ASN1_TIME as seconds since the Unix epoch (UTC); M2M_E_CERT when it does not parse. */
m2m_err m2mi_cert_time(const ASN1_TIME *t, int64_t *out);

#endif
