/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the oneM2M CBOR serialisation (TS-0004 V3.32.0 clause 8.5.1, RFC 8949)
 * as a strict, bounded codec between CBOR bytes and jansson values (core/cbor_codec.h).
 * Decoding uses libcbor's streaming decoder (one callback per data item, no tree of its own and
 * no recursion), building the JSON value with an explicit, depth-bounded stack; every item that
 * JSON cannot carry exactly is refused rather than approximated (docs/coap-binding.md §1.5.1).
 * Encoding writes the heads with libcbor's encoders into a growing buffer.
 */
#include <cbor.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cbor_codec.h"
#include "m2msec/utf8.h"

/* One open array or map. left counts the items (arrays) or pairs (maps) still due of a
 * definite-length container; key is a map's key waiting for its value. */
struct frame {
	json_t *c;
	uint64_t left;
	bool indef;
	char *key;
};

struct dec {
	struct frame st[M2MI_CBOR_MAX_DEPTH];
	size_t depth, max_depth, items, max_items;
	json_t *root;
	bool done;
	m2m_err err;
	char *why;
	size_t whylen;
};

static void stop(struct dec *d, m2m_err err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void stop(struct dec *d, m2m_err err, const char *fmt, ...)
{
	va_list ap;

	if (d->err != M2M_OK)
		return; /* the first reason counts */
	d->err = err;
	if (d->why != NULL && d->whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(d->why, d->whylen, fmt, ap);
		va_end(ap);
	}
}

/* Every data item counts against max_items; false once the decoder has stopped. */
static bool go(struct dec *d)
{
	if (d->err != M2M_OK)
		return false;
	if (d->done) {
		stop(d, M2M_E_PROTO, "more than one data item");
		return false;
	}
	if (++d->items > d->max_items) {
		stop(d, M2M_E_TOO_LARGE, "more than %zu data items", d->max_items);
		return false;
	}
	return true;
}

/* Pop every container whose last item has arrived. */
static void settle(struct dec *d)
{
	while (d->depth > 0 && !d->st[d->depth - 1].indef && d->st[d->depth - 1].left == 0)
		d->depth--;
	if (d->depth == 0)
		d->done = true;
}

/* Attach v (reference stolen) where the stack expects the next value; open >= 0 pushes v as a
 * container with that many items due (-1: indefinite), open == -2 means v is complete. */
static void attach(struct dec *d, json_t *v, int64_t open)
{
	struct frame *top = d->depth > 0 ? &d->st[d->depth - 1] : NULL;

	if (v == NULL) {
		stop(d, M2M_E_NOMEM, "out of memory");
		return;
	}
	if (top == NULL) {
		d->root = v;
	} else if (json_is_object(top->c)) {
		if (top->key == NULL) { /* a non-string where a key is due */
			json_decref(v);
			stop(d, M2M_E_PROTO, "a map key is not a text string");
			return;
		}
		if (json_object_set_new_nocheck(top->c, top->key, v) != 0) {
			stop(d, M2M_E_NOMEM, "out of memory");
			return;
		}
		free(top->key);
		top->key = NULL;
	} else if (json_array_append_new(top->c, v) != 0) {
		stop(d, M2M_E_NOMEM, "out of memory");
		return;
	}
	if (top != NULL && !top->indef)
		top->left--;
	if (open != -2) {
		if (d->depth >= d->max_depth) {
			stop(d, M2M_E_TOO_LARGE, "nested deeper than %zu", d->max_depth);
			return;
		}
		d->st[d->depth++] = (struct frame){v, open < 0 ? 0 : (uint64_t)open, open < 0, NULL};
	}
	settle(d);
}

static void on_uint(struct dec *d, uint64_t u)
{
	if (!go(d))
		return;
	if (u > INT64_MAX) /* json_int_t is 64-bit signed: no exact JSON value */
		stop(d, M2M_E_PROTO, "an unsigned integer above 2^63-1");
	else
		attach(d, json_integer((json_int_t)u), -2);
}

/* Major type 1 carries n for the value -1 - n (RFC 8949 clause 3.1). */
static void on_neg(struct dec *d, uint64_t n)
{
	if (!go(d))
		return;
	if (n > INT64_MAX)
		stop(d, M2M_E_PROTO, "a negative integer below -2^63");
	else
		attach(d, json_integer(-1 - (json_int_t)n), -2);
}

static void cb_u8(void *c, uint8_t v) { on_uint(c, v); }
static void cb_u16(void *c, uint16_t v) { on_uint(c, v); }
static void cb_u32(void *c, uint32_t v) { on_uint(c, v); }
static void cb_u64(void *c, uint64_t v) { on_uint(c, v); }
static void cb_n8(void *c, uint8_t v) { on_neg(c, v); }
static void cb_n16(void *c, uint16_t v) { on_neg(c, v); }
static void cb_n32(void *c, uint32_t v) { on_neg(c, v); }
static void cb_n64(void *c, uint64_t v) { on_neg(c, v); }

static void refuse(void *c, const char *what)
{
	if (go(c))
		stop(c, M2M_E_PROTO, "%s is not allowed (no JSON equivalent)", what);
}

static void cb_bytes(void *c, cbor_data s, size_t n) { refuse(c, "a byte string"); }
static void cb_bytes_start(void *c) { refuse(c, "a byte string"); }
static void cb_str_start(void *c) { refuse(c, "an indefinite-length text string"); }
static void cb_tag(void *c, uint64_t t) { refuse(c, "a tag"); }
static void cb_undef(void *c) { refuse(c, "undefined"); }

/* A text string: a map key when the open map waits for one, else a value. RFC 8949 clause
 * 3.1 requires UTF-8; NUL is refused as jansson's JSON parser refuses \u0000, so both
 * serialisations accept the same strings. */
static void cb_str(void *c, cbor_data s, size_t n)
{
	struct dec *d = c;
	struct frame *top;

	if (!go(d))
		return;
	if (!m2m_utf8_valid((const char *)s, n) || (n > 0 && memchr(s, 0, n) != NULL)) {
		stop(d, M2M_E_PROTO, "a text string is not UTF-8 without NUL");
		return;
	}
	top = d->depth > 0 ? &d->st[d->depth - 1] : NULL;
	if (top != NULL && json_is_object(top->c) && top->key == NULL) {
		if ((top->key = strndup((const char *)s, n)) == NULL) {
			stop(d, M2M_E_NOMEM, "out of memory");
			return;
		}
		if (json_object_get(top->c, top->key) != NULL) /* as JSON_REJECT_DUPLICATES */
			stop(d, M2M_E_PROTO, "duplicate map key");
		return;
	}
	attach(d, json_stringn_nocheck((const char *)s, n), -2);
}

static void cb_array(void *c, size_t n)
{
	if (go(c))
		attach(c, json_array(), (int64_t)(n > INT64_MAX ? INT64_MAX : n));
}

static void cb_map(void *c, size_t n)
{
	if (go(c))
		attach(c, json_object(), (int64_t)(n > INT64_MAX ? INT64_MAX : n));
}

static void cb_iarray(void *c)
{
	if (go(c))
		attach(c, json_array(), -1);
}

static void cb_imap(void *c)
{
	if (go(c))
		attach(c, json_object(), -1);
}

/* The break ends the innermost container only if it is indefinite and (a map) not between a
 * key and its value (RFC 8949 clause 3.2.1). */
static void cb_break(void *c)
{
	struct dec *d = c;
	struct frame *top = d->depth > 0 ? &d->st[d->depth - 1] : NULL;

	if (d->err != M2M_OK)
		return;
	if (top == NULL || !top->indef || top->key != NULL) {
		stop(d, M2M_E_PROTO, "a break outside an indefinite-length container");
		return;
	}
	d->depth--;
	settle(d);
}

static void on_real(struct dec *d, double v)
{
	if (!go(d))
		return;
	if (!isfinite(v))
		stop(d, M2M_E_PROTO, "NaN or infinity (no JSON number)");
	else
		attach(d, json_real(v), -2);
}

/* float to double is exact, half precision included (libcbor widens it to float). */
static void cb_f4(void *c, float v) { on_real(c, v); }
static void cb_f8(void *c, double v) { on_real(c, v); }

static void cb_null(void *c)
{
	if (go(c))
		attach(c, json_null(), -2);
}

static void cb_bool(void *c, bool v)
{
	if (go(c))
		attach(c, json_boolean(v), -2);
}

static const struct cbor_callbacks callbacks = {
	.uint8 = cb_u8, .uint16 = cb_u16, .uint32 = cb_u32, .uint64 = cb_u64,
	.negint8 = cb_n8, .negint16 = cb_n16, .negint32 = cb_n32, .negint64 = cb_n64,
	.byte_string = cb_bytes, .byte_string_start = cb_bytes_start,
	.string = cb_str, .string_start = cb_str_start,
	.array_start = cb_array, .indef_array_start = cb_iarray,
	.map_start = cb_map, .indef_map_start = cb_imap,
	.tag = cb_tag, .float2 = cb_f4, .float4 = cb_f4, .float8 = cb_f8,
	.undefined = cb_undef, .null = cb_null, .boolean = cb_bool, .indef_break = cb_break,
};

m2m_err m2mi_cbor_decode(const uint8_t *buf, size_t len, const m2mi_cbor_limits *lim, json_t **out, char *why,
			 size_t whylen)
{
	struct dec *d;
	size_t off = 0;
	m2m_err rc;

	if (out != NULL)
		*out = NULL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (out == NULL || (buf == NULL && len > 0))
		return M2M_E_INVAL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return M2M_E_NOMEM;
	d->max_depth = lim != NULL && lim->max_depth > 0 && lim->max_depth < M2MI_CBOR_MAX_DEPTH ? lim->max_depth
												: M2MI_CBOR_MAX_DEPTH;
	d->max_items = lim != NULL && lim->max_items > 0 ? lim->max_items : M2MI_CBOR_MAX_ITEMS;
	d->why = why;
	d->whylen = whylen;
	while (d->err == M2M_OK && !d->done) {
		struct cbor_decoder_result r;

		if (off >= len) {
			stop(d, M2M_E_PROTO, len == 0 ? "empty" : "truncated");
			break;
		}
		r = cbor_stream_decode(buf + off, len - off, &callbacks, d);
		if (r.status == CBOR_DECODER_NEDATA)
			stop(d, M2M_E_PROTO, "truncated");
		else if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
			stop(d, M2M_E_PROTO, "malformed (reserved or unassigned initial byte at offset %zu)", off);
		off += r.read;
	}
	if (d->err == M2M_OK && off != len)
		stop(d, M2M_E_PROTO, "%zu bytes after the data item", len - off);
	for (size_t i = 0; i < d->depth; i++)
		free(d->st[i].key);
	rc = d->err;
	if (rc == M2M_OK)
		*out = d->root;
	else
		json_decref(d->root);
	free(d);
	return rc;
}

/* ---- encoding ------------------------------------------------------------------------------ */

struct enc {
	uint8_t *b;
	size_t len, cap;
};

static bool reserve(struct enc *e, size_t n)
{
	size_t cap = e->cap ? e->cap : 256;
	uint8_t *nb;

	if (n > SIZE_MAX - e->len)
		return false;
	if (e->len + n <= e->cap)
		return true;
	while (cap < e->len + n)
		cap = cap > SIZE_MAX / 2 ? e->len + n : cap * 2;
	if ((nb = realloc(e->b, cap)) == NULL)
		return false;
	e->b = nb;
	e->cap = cap;
	return true;
}

/* A head (at most 9 bytes) written by one of libcbor's cbor_encode_* functions. */
#define HEAD(e, call)                                                                                          \
	do {                                                                                                   \
		size_t n_;                                                                                     \
		if (!reserve((e), 9))                                                                          \
			return M2M_E_NOMEM;                                                                    \
		if ((n_ = (call)) == 0)                                                                        \
			return M2M_E_INTERNAL;                                                                 \
		(e)->len += n_;                                                                                \
	} while (0)

static m2m_err put_text(struct enc *e, const char *s, size_t n)
{
	HEAD(e, cbor_encode_string_start(n, e->b + e->len, e->cap - e->len));
	if (!reserve(e, n))
		return M2M_E_NOMEM;
	if (n > 0)
		memcpy(e->b + e->len, s, n);
	e->len += n;
	return M2M_OK;
}

static m2m_err put(struct enc *e, const json_t *v, size_t depth)
{
	m2m_err rc = M2M_OK;

	if (depth > M2MI_CBOR_ENC_MAX_DEPTH)
		return M2M_E_RANGE;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *m;

		HEAD(e, cbor_encode_map_start(json_object_size(v), e->b + e->len, e->cap - e->len));
		json_object_foreach((json_t *)v, k, m) {
			if ((rc = put_text(e, k, strlen(k))) != M2M_OK || (rc = put(e, m, depth + 1)) != M2M_OK)
				return rc;
		}
		return M2M_OK;
	}
	case JSON_ARRAY:
		HEAD(e, cbor_encode_array_start(json_array_size(v), e->b + e->len, e->cap - e->len));
		for (size_t i = 0; i < json_array_size(v) && rc == M2M_OK; i++)
			rc = put(e, json_array_get(v, i), depth + 1);
		return rc;
	case JSON_STRING:
		return put_text(e, json_string_value(v), json_string_length(v));
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);
		if (i >= 0)
			HEAD(e, cbor_encode_uint((uint64_t)i, e->b + e->len, e->cap - e->len));
		else /* -1 - i without overflow at INT64_MIN */
			HEAD(e, cbor_encode_negint((uint64_t)(-(i + 1)), e->b + e->len, e->cap - e->len));
		return M2M_OK;
	}
	case JSON_REAL: /* always double precision (AI 27): exact for every jansson real */
		HEAD(e, cbor_encode_double(json_real_value(v), e->b + e->len, e->cap - e->len));
		return M2M_OK;
	case JSON_TRUE:
	case JSON_FALSE:
		HEAD(e, cbor_encode_bool(json_is_true(v), e->b + e->len, e->cap - e->len));
		return M2M_OK;
	case JSON_NULL:
		HEAD(e, cbor_encode_null(e->b + e->len, e->cap - e->len));
		return M2M_OK;
	}
	return M2M_E_INVAL;
}

m2m_err m2mi_cbor_encode(const json_t *v, uint8_t **out, size_t *outlen)
{
	struct enc e = {NULL, 0, 0};
	m2m_err rc;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (v == NULL || out == NULL || outlen == NULL)
		return M2M_E_INVAL;
	if ((rc = put(&e, v, 0)) != M2M_OK) {
		free(e.b);
		return rc;
	}
	*out = e.b;
	*outlen = e.len;
	return M2M_OK;
}
