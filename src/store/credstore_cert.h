/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of store/credstore_cert.c: turning a PEM
 * certificate (TS-0003 clause 10.1) into what a certificate record of the credential store
 * keeps - its identifier (uppercase hex SHA-256 fingerprint of the DER), its validity window in
 * Unix seconds and a normalised PEM text.
 */
#ifndef M2M_STORE_CREDSTORE_CERT_H
#define M2M_STORE_CREDSTORE_CERT_H

#include "m2msec/err.h"

/* Largest PEM text accepted (M2M_E_TOO_LARGE above). */
#define M2MI_CERT_PEM_MAX 65536

/*
 * Parse exactly one PEM certificate (none, garbage or a second one: M2M_E_CERT). On M2M_OK
 * *fp_hex (65 bytes) and *norm are heap strings (free()), *nb is notBefore (0 if before 1970)
 * and *na notAfter; on error both strings are NULL.
 */
M2M_WUR m2m_err m2mi_credstore_cert_parse(const char *pem, char **fp_hex, int64_t *nb, int64_t *na,
					  char **norm);

#endif
