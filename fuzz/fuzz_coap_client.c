/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the client direction of the oneM2M CoAP binding
 * (TS-0008 clause 6.2, bindings/coap_client_map.c): the input is one raw CoAP datagram as a
 * server (or an attacker on the path before DTLS, or a broken server) would send it back. It is
 * decoded by bindings/coap_wire.c, checked by m2mi_coap_rsp_check and mapped by
 * m2mi_coap_to_response. Invariants trap: an accepted answer has an RSC of 1000..6999 whose
 * class agrees with the CoAP code, an echoed RQI equal to the request's, content that is a JSON
 * object; a refused one leaves the response primitive empty.
 */
#include <string.h>

#include "bindings/coap_client_map.h"
#include "bindings/coap_wire.h"

#define MAX_OPTS 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static m2mi_coap_opt opts[MAX_OPTS];
	m2mi_coap_msg msg;
	m2mi_coap_rspinfo info;
	m2m_response rsp;
	m2m_err rc;

	if (size > 65535 || m2mi_coap_decode(data, size, opts, MAX_OPTS, &msg) != M2M_OK)
		return 0;
	rc = m2mi_coap_rsp_check(&msg, &info);
	CHECK(rc == M2M_OK || rc == M2M_E_PROTO);
	CHECK(rc != M2M_OK || !info.has_block2 || info.block2_szx < 7);
	m2m_response_init(&rsp);
	rc = m2mi_coap_to_response(&msg, "enrolee-1", &rsp);
	if (rc == M2M_OK) {
		CHECK(rsp.rsc >= 1000 && rsp.rsc <= 6999);
		CHECK((rsp.rsc < 4000) == (M2MI_COAP_CLASS(msg.code) == 2));
		CHECK(rsp.rqi == NULL || strcmp(rsp.rqi, "enrolee-1") == 0);
		CHECK(rsp.pc == NULL || json_is_object(rsp.pc));
		CHECK((rsp.pc != NULL) == (msg.payload_len > 0));
	} else {
		CHECK(rc == M2M_E_PROTO || rc == M2M_E_NOMEM);
		CHECK(rsp.rsc == 0 && rsp.pc == NULL && rsp.rqi == NULL && rsp.location == NULL);
	}
	m2m_response_clear(&rsp);
	return 0;
}
