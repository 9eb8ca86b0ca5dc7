/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the enrolee's parsers of what a MEF or an EST
 * server sends (src/enrolee): the HTTP response framing and the RFC 7030 certs-only PKCS#7.
 */
#include <stdint.h>
#include <stdlib.h>

#include "enrolee/enrolee_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	m2mi_enr_rsp rsp;
	size_t used = 0;
	STACK_OF(X509) *sk = NULL;

	if (m2mi_enr_parse_response((const char *)data, size, &rsp, &used) == M2M_OK) {
		if (used > size)
			abort();
		if (m2mi_enr_parse_certs_only(rsp.body, rsp.blen, &sk) == M2M_OK)
			sk_X509_pop_free(sk, X509_free);
		m2mi_enr_rsp_clear(&rsp);
	}
	if (m2mi_enr_parse_certs_only((const char *)data, size, &sk) == M2M_OK)
		sk_X509_pop_free(sk, X509_free);
	return 0;
}
