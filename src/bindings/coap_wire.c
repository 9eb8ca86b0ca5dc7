/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CoAP message format of RFC 7252 clause 3 (TS-0008 clause 5.2.1):
 * decoding one datagram into the neutral m2mi_coap_msg of bindings/coap_map.h without copying,
 * and encoding one back. Every length is checked against the end of the buffer before it is
 * used; anything RFC 7252 calls a message format error is M2M_E_PROTO.
 */
#include <string.h>

#include "bindings/coap_wire.h"

/* Option delta / length nibble with its extended bytes (RFC 7252 clause 3.1): 13 = one more
 * byte + 13, 14 = two more bytes + 269, 15 = reserved (a format error outside the marker). */
static m2m_err ext(unsigned nib, const uint8_t *buf, size_t len, size_t *p, size_t *out)
{
	if (nib < 13) {
		*out = nib;
	} else if (nib == 13) {
		if (*p + 1 > len)
			return M2M_E_PROTO;
		*out = (size_t)buf[*p] + 13;
		*p += 1;
	} else if (nib == 14) {
		if (*p + 2 > len)
			return M2M_E_PROTO;
		*out = ((size_t)buf[*p] << 8 | buf[*p + 1]) + 269;
		*p += 2;
	} else {
		return M2M_E_PROTO;
	}
	return M2M_OK;
}

m2m_err m2mi_coap_decode(const uint8_t *buf, size_t len, m2mi_coap_opt *opts, size_t max_opts, m2mi_coap_msg *msg)
{
	size_t p, num = 0, tkl;

	if (buf == NULL || msg == NULL || (opts == NULL && max_opts > 0))
		return M2M_E_INVAL;
	memset(msg, 0, sizeof(*msg));
	msg->opts = opts;
	if (len < 4 || buf[0] >> 6 != 1)
		return M2M_E_PROTO;
	msg->type = (buf[0] >> 4) & 3;
	tkl = buf[0] & 15;
	msg->code = buf[1];
	msg->mid = (uint16_t)(buf[2] << 8 | buf[3]);
	/* clause 4.1: an Empty message is the 4-byte header alone, token length 0 */
	if (tkl > 8 || (msg->code == 0 && (len != 4 || tkl != 0)) || 4 + tkl > len)
		return M2M_E_PROTO;
	msg->token = tkl ? buf + 4 : NULL;
	msg->token_len = tkl;
	for (p = 4 + tkl; p < len;) {
		size_t delta, olen;
		unsigned b = buf[p++];
		m2m_err rc;

		if (b == 0xff) { /* payload marker: a zero-length payload after it is a format error */
			if (p == len)
				return M2M_E_PROTO;
			msg->payload = buf + p;
			msg->payload_len = len - p;
			break;
		}
		if ((rc = ext(b >> 4, buf, len, &p, &delta)) != M2M_OK || (rc = ext(b & 15, buf, len, &p, &olen)) != M2M_OK)
			return rc;
		num += delta;
		if (num > 0xffff || olen > len - p)
			return M2M_E_PROTO;
		if (msg->nopts >= max_opts)
			return M2M_E_RANGE;
		opts[msg->nopts++] = (m2mi_coap_opt){(uint16_t)num, buf + p, olen};
		p += olen;
	}
	return M2M_OK;
}

/* Write a nibble's extended bytes for v; returns the nibble. */
static unsigned put_ext(size_t v, uint8_t *ext, size_t *n)
{
	if (v < 13) {
		*n = 0;
		return (unsigned)v;
	}
	if (v < 269) {
		ext[0] = (uint8_t)(v - 13);
		*n = 1;
		return 13;
	}
	ext[0] = (uint8_t)((v - 269) >> 8);
	ext[1] = (uint8_t)(v - 269);
	*n = 2;
	return 14;
}

m2m_err m2mi_coap_encode(const m2mi_coap_msg *msg, uint8_t *buf, size_t cap, size_t *out_len)
{
	size_t p = 4, prev = 0;

	if (msg == NULL || buf == NULL || out_len == NULL || msg->token_len > 8 || (msg->token == NULL && msg->token_len) ||
	    (msg->opts == NULL && msg->nopts) || (msg->payload == NULL && msg->payload_len) || msg->type > 3)
		return M2M_E_INVAL;
	if (cap < 4 + msg->token_len)
		return M2M_E_RANGE;
	buf[0] = (uint8_t)(1 << 6 | msg->type << 4 | msg->token_len);
	buf[1] = msg->code;
	buf[2] = (uint8_t)(msg->mid >> 8);
	buf[3] = (uint8_t)msg->mid;
	if (msg->token_len)
		memcpy(buf + 4, msg->token, msg->token_len);
	p += msg->token_len;
	for (size_t i = 0; i < msg->nopts; i++) {
		const m2mi_coap_opt *o = &msg->opts[i];
		uint8_t de[2], le[2];
		size_t dn, ln;
		unsigned dnib, lnib;

		if (o->num < prev || (o->val == NULL && o->len) || o->len > 65535 + 269)
			return M2M_E_INVAL;
		dnib = put_ext(o->num - prev, de, &dn);
		lnib = put_ext(o->len, le, &ln);
		if (cap - p < 1 + dn + ln + o->len)
			return M2M_E_RANGE;
		buf[p++] = (uint8_t)(dnib << 4 | lnib);
		memcpy(buf + p, de, dn);
		p += dn;
		memcpy(buf + p, le, ln);
		p += ln;
		if (o->len)
			memcpy(buf + p, o->val, o->len);
		p += o->len;
		prev = o->num;
	}
	if (msg->payload_len) {
		if (cap - p < 1 + msg->payload_len)
			return M2M_E_RANGE;
		buf[p++] = 0xff;
		memcpy(buf + p, msg->payload, msg->payload_len);
		p += msg->payload_len;
	}
	*out_len = p;
	return M2M_OK;
}
