/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the CLIENT direction of the oneM2M CoAP binding mapping
 * (TS-0008 V3.9.0 clause 6.2, docs/coap-binding.md section 5): a request primitive becomes a CoAP
 * request (method, Uri-Path, Uri-Query, Content-Format, Accept, Block2, oneM2M-TY, -RVI, -FR,
 * -RQI, -VSI), and a CoAP response becomes a response primitive. Pure: no I/O, the encoded
 * message goes through bindings/coap_wire.c; the option length table is coap_map.c's.
 */
#ifndef M2M_BINDINGS_COAP_CLIENT_MAP_H
#define M2M_BINDINGS_COAP_CLIENT_MAP_H

#include "bindings/coap_map.h"

#define M2MI_COAP_NO_BLOCK2 (-1L)

/*
 * Encode req as a CoAP request into out (code, ascending options, compact JSON payload):
 * CREATE with ty > 0 is POST with oneM2M-TY, CREATE with ty 0 and NOTIFY are POST without it
 * (clause 6.2.1); to "//sp/x" is Uri-Path "_", "sp", "x", "/cse/x" is "~", "cse", "x", "x/y" is
 * "x", "y" (clause 6.2.2.3); rcn and drt go as Uri-Query; block2 (RFC 7959 clause 2.2 value:
 * NUM << 4 | SZX) is the block asked for, or M2MI_COAP_NO_BLOCK2. rqi and rvi are required.
 * Errors: M2M_E_INVAL (no operation, to, rqi or rvi, a path segment that is empty, "." or "..",
 * over 255 bytes or not text; an option value that is not text), M2M_E_RANGE (too many options),
 * M2M_E_NOMEM. On error out is cleared (m2mi_coap_out_clear releases it on success).
 */
M2M_WUR m2m_err m2mi_coap_from_request(const m2m_request *req, long block2, m2mi_coap_out *out);

/* What a response says about block-wise transfer and its representation (RFC 7959 clause 2.2,
 * RFC 7252 clause 5.10.6); pointers borrowed from the message. */
typedef struct m2mi_coap_rspinfo {
	bool has_block2;
	uint32_t block2_num;
	bool block2_more;
	unsigned block2_szx; /* block size 2^(szx+4) */
	const uint8_t *etag;
	size_t etag_len;
} m2mi_coap_rspinfo;

/*
 * Check the header and options of one response message (RFC 7252 clause 5.4.1: an unrecognised
 * critical option rejects a response; repeated non-repeatable options, values outside their
 * length range, text that is not UTF-8 without control characters, request-only options such as
 * Uri-Path or oneM2M-TY, a code that is not 2.xx/4.xx/5.xx, Block2 SZX 7 are all M2M_E_PROTO) and
 * fill info. M2M_E_INVAL for NULL arguments.
 */
M2M_WUR m2m_err m2mi_coap_rsp_check(const m2mi_coap_msg *msg, m2mi_coap_rspinfo *info);

/*
 * Map one complete response (block-wise transfer reassembled: msg->payload is the whole body)
 * into rsp (initialised): rsc from oneM2M-RSC (required, 1000..6999, and success RSCs only with a
 * 2.xx code, error RSCs only with 4.xx/5.xx: a contradiction is a forged or broken answer), rqi
 * (when present it must equal want_rqi), rvi, the content (Content-Format 50, 10001 or 10003
 * required with a payload, which must be one JSON object without duplicate names), location
 * from Location-Path, cnst/cnot from oneM2M-CTS/-CTO, retry_after from Max-Age of a 5.03.
 * Errors: M2M_E_PROTO (anything above; rsp is cleared), M2M_E_NOMEM, M2M_E_INVAL.
 */
M2M_WUR m2m_err m2mi_coap_to_response(const m2mi_coap_msg *msg, const char *want_rqi, m2m_response *rsp);

#endif
