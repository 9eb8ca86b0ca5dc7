/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of core/cbor_codec.c: the oneM2M CBOR
 * serialisation (TS-0004 V3.32.0 clause 8.5.1; RFC 8949) between CBOR bytes and the JSON values
 * (jansson) the primitive layer uses, so a binding maps a CBOR body to exactly the m2m_request of
 * its JSON twin. Strict and bounded (docs/coap-binding.md §1.5.1 lists every rule): one data
 * item, no trailing bytes; text-string map keys only, no duplicates; valid UTF-8 without NUL; no
 * byte strings, tags, undefined or other simple values, indefinite-length strings, NaN or
 * infinities (JSON cannot carry them); integers within int64; nesting and item limits. Pure,
 * I/O-free.
 */
#ifndef M2M_CORE_CBOR_CODEC_H
#define M2M_CORE_CBOR_CODEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"

#define M2MI_CBOR_MAX_DEPTH 64         /* nested arrays/maps of one decoded item */
#define M2MI_CBOR_MAX_ITEMS 262144u    /* data items (keys and values) of one decoded item */
#define M2MI_CBOR_ENC_MAX_DEPTH 2048   /* what jansson's own JSON parser allows */

/* Decoding limits; 0 selects the default. */
typedef struct m2mi_cbor_limits {
	size_t max_depth;
	size_t max_items;
} m2mi_cbor_limits;

/*
 * Decode exactly one CBOR data item of buf[0..len) to a JSON value (*out, owned by the caller).
 * Returns M2M_OK; M2M_E_PROTO for anything malformed or outside the mapping (why holds a short
 * reason without input bytes, for an m2m:dbg); M2M_E_TOO_LARGE over a limit; M2M_E_NOMEM;
 * M2M_E_INVAL for NULL arguments. On error *out is NULL. why may be NULL.
 */
M2M_WUR m2m_err m2mi_cbor_decode(const uint8_t *buf, size_t len, const m2mi_cbor_limits *lim, json_t **out,
				 char *why, size_t whylen);

/*
 * Encode a JSON value as CBOR (*out malloc'd, *outlen bytes): objects as definite maps (text
 * keys in jansson's order), arrays as definite arrays, strings as text strings (major type 3),
 * integers as major types 0/1, reals as double precision (AI 27; exact), true/false/null as
 * simple values (TS-0004 clause 8.5.1). M2M_E_RANGE deeper than
 * M2MI_CBOR_ENC_MAX_DEPTH, M2M_E_NOMEM, M2M_E_INVAL.
 */
M2M_WUR m2m_err m2mi_cbor_encode(const json_t *v, uint8_t **out, size_t *outlen);

#endif
