/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of bindings/coap_wire.c: the CoAP message format of
 * RFC 7252 clause 3 (4-byte header, token, delta-encoded options, payload marker) decoded into
 * and encoded from the neutral m2mi_coap_msg of bindings/coap_map.h (TS-0008 clause 5.2.1).
 */
#ifndef M2M_BINDINGS_COAP_WIRE_H
#define M2M_BINDINGS_COAP_WIRE_H

#include "bindings/coap_map.h"

/*
 * Decode one datagram. msg's pointers and opts[] values point into buf. Errors: M2M_E_PROTO
 * for a message format error (RFC 7252 clauses 3, 3.1: version not 1, token length 9-15, option
 * delta or length nibble 15, an option running past the end, a payload marker with no payload,
 * an empty message 0.00 with anything after the header) - the transport answers it with Reset or
 * drops it; M2M_E_RANGE for more than max_opts options; M2M_E_INVAL for NULL arguments.
 */
M2M_WUR m2m_err m2mi_coap_decode(const uint8_t *buf, size_t len, m2mi_coap_opt *opts, size_t max_opts,
				 m2mi_coap_msg *msg);

/*
 * Encode msg into buf (options must be in ascending number order). Returns the length through
 * *out_len. Errors: M2M_E_RANGE (buf too small), M2M_E_INVAL (token over 8 bytes, options out of
 * order, NULL arguments).
 */
M2M_WUR m2m_err m2mi_coap_encode(const m2mi_coap_msg *msg, uint8_t *buf, size_t cap, size_t *out_len);

#endif
