/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the pure oneM2M CoAP binding mapping (TS-0008 V3.9.0
 * clause 6.2, docs/coap-binding.md): a CoAP message as seen after the transport (code, type,
 * token, options in order, payload; block-wise transfer already reassembled) becomes an
 * m2m_request, and an m2m_response becomes a CoAP response code, option list and payload. No
 * I/O and no libcoap types, so the DTLS server, the unit tests and the fuzzer feed it the same
 * neutral struct.
 */
#ifndef M2M_BINDINGS_COAP_MAP_H
#define M2M_BINDINGS_COAP_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"
#include "m2msec/primitive.h"

/* CoAP code as class << 5 | detail (RFC 7252 clause 3): M2MI_COAP_CODE(4, 2) is 4.02. */
#define M2MI_COAP_CODE(c, d) ((uint8_t)(((c) << 5) | (d)))
#define M2MI_COAP_CLASS(code) ((code) >> 5)
#define M2MI_COAP_DETAIL(code) ((code) & 0x1f)

/* Message types (RFC 7252 clause 3). */
enum m2mi_coap_type { M2MI_COAP_CON = 0, M2MI_COAP_NON = 1, M2MI_COAP_ACK = 2, M2MI_COAP_RST = 3 };

/* Request methods (RFC 7252 clause 12.1.1). */
enum { M2MI_COAP_GET = 1, M2MI_COAP_POST = 2, M2MI_COAP_PUT = 3, M2MI_COAP_DELETE = 4 };

/* Option numbers: RFC 7252 clause 5.10, RFC 7959 (Block), RFC 7641 (Observe), RFC 7967
 * (No-Response) and the oneM2M options of TS-0008 Table 6.2.2.4.0-1. */
enum m2mi_coap_optnum {
	M2MI_COAP_OPT_IF_MATCH = 1, M2MI_COAP_OPT_URI_HOST = 3, M2MI_COAP_OPT_ETAG = 4,
	M2MI_COAP_OPT_IF_NONE_MATCH = 5, M2MI_COAP_OPT_OBSERVE = 6, M2MI_COAP_OPT_URI_PORT = 7,
	M2MI_COAP_OPT_LOCATION_PATH = 8, M2MI_COAP_OPT_URI_PATH = 11, M2MI_COAP_OPT_CONTENT_FORMAT = 12,
	M2MI_COAP_OPT_MAX_AGE = 14, M2MI_COAP_OPT_URI_QUERY = 15, M2MI_COAP_OPT_ACCEPT = 17,
	M2MI_COAP_OPT_LOCATION_QUERY = 20, M2MI_COAP_OPT_BLOCK2 = 23, M2MI_COAP_OPT_BLOCK1 = 27,
	M2MI_COAP_OPT_SIZE2 = 28, M2MI_COAP_OPT_PROXY_URI = 35, M2MI_COAP_OPT_PROXY_SCHEME = 39,
	M2MI_COAP_OPT_SIZE1 = 60, M2MI_COAP_OPT_NO_RESPONSE = 258, M2MI_COAP_OPT_REQUEST_TAG = 292,
	M2MI_COAP_OPT_OT = 259, M2MI_COAP_OPT_RTURI = 263, M2MI_COAP_OPT_TY = 267, M2MI_COAP_OPT_RVI = 271,
	M2MI_COAP_OPT_ASRI = 275, M2MI_COAP_OPT_FR = 279, M2MI_COAP_OPT_RQI = 283, M2MI_COAP_OPT_RQET = 291,
	M2MI_COAP_OPT_RSET = 295, M2MI_COAP_OPT_OET = 299, M2MI_COAP_OPT_EC = 303, M2MI_COAP_OPT_RSC = 307,
	M2MI_COAP_OPT_GID = 311, M2MI_COAP_OPT_CTO = 319, M2MI_COAP_OPT_CTS = 323, M2MI_COAP_OPT_ATI = 327,
	M2MI_COAP_OPT_VSI = 331, M2MI_COAP_OPT_GTM = 335, M2MI_COAP_OPT_AUS = 339,
};

/* Content-Format identifiers (RFC 7252 clause 12.3, TS-0008 Table 6.2.2.2-1). */
enum {
	M2MI_COAP_CF_JSON = 50, M2MI_COAP_CF_CBOR = 60, M2MI_COAP_CF_RES_JSON = 10001,
	M2MI_COAP_CF_NTFY_JSON = 10003, M2MI_COAP_CF_RES_CBOR = 10010, M2MI_COAP_CF_NTFY_CBOR = 10011,
};

/* A response Content-Format that is serialised as CBOR (TS-0004 clause 8.5) rather than JSON. */
bool m2mi_coap_cf_is_cbor(unsigned long cf);

/* One option; value borrowed (not NUL-terminated). */
typedef struct m2mi_coap_opt {
	uint16_t num;
	const uint8_t *val;
	size_t len;
} m2mi_coap_opt;

/* A CoAP message after the transport (documented value type; every pointer borrowed). opts are
 * in message order (ascending numbers on the wire; repeated options keep their order). */
typedef struct m2mi_coap_msg {
	uint8_t type;          /* enum m2mi_coap_type */
	uint8_t code;          /* M2MI_COAP_CODE(class, detail); a request has class 0 */
	uint16_t mid;          /* Message ID (the transport's business; carried for the fuzzer) */
	const uint8_t *token;  /* 0..8 bytes (RFC 7252 clause 3) */
	size_t token_len;
	const m2mi_coap_opt *opts;
	size_t nopts;
	const uint8_t *payload; /* NULL when empty */
	size_t payload_len;
} m2mi_coap_msg;

#define M2MI_COAP_DEFAULT_MAX_OPTIONS 4096u   /* sum of option value bytes of one request */
#define M2MI_COAP_DEFAULT_MAX_PAYLOAD 1048576u /* reassembled payload (same as the HTTP body) */
#define M2MI_COAP_MAX_NOPTS 256                /* options of one request (more: 4.02) */

/* Size limits; 0 selects the default. */
typedef struct m2mi_coap_limits {
	size_t max_options;
	size_t max_payload;
} m2mi_coap_limits;

/*
 * What the request mapping tells the response mapping, filled on success and on refusal:
 * code is the CoAP response code to use instead of the one the RSC maps to (0 = from the RSC;
 * e.g. 4.02 Bad Option, 4.13, 4.08, 5.05, whose RSC has no CoAP row of its own), and
 * content_format is the Content-Format of the response: the request's Accept when it names a
 * supported format (50, 10001, 60, 10010); without Accept, application/cbor (60) when the
 * request carried a CBOR payload, else application/json (50). docs/coap-binding.md §1.5.
 */
typedef struct m2mi_coap_reqinfo {
	uint8_t code;
	uint16_t content_format;
} m2mi_coap_reqinfo;

/*
 * Map one CoAP request to a request primitive (TS-0008 clause 6.2; the rules and the exact
 * refusal codes are in docs/coap-binding.md). req and rsp must be initialised.
 * Returns:
 *   M2M_OK           req is complete and goes to the CSE; rsp untouched.
 *   M2M_E_PROTO      the request does not map: rsp holds the error (rsc, m2m:dbg, rqi when it
 *                    was valid), info->code the CoAP code when the RSC's own does not apply;
 *                    req is cleared. Nothing may reach the CSE.
 *   M2M_E_TOO_LARGE  options or payload over the limits: rsc 4000, code 4.13.
 *   M2M_E_NOMEM      rsp holds 5000.
 *   M2M_E_INVAL      a NULL argument or an inconsistent msg (NULL pointer with a length).
 */
M2M_WUR m2m_err m2mi_coap_to_request(const m2mi_coap_msg *msg, const m2mi_coap_limits *limits, m2m_request *req,
				     m2m_response *rsp, m2mi_coap_reqinfo *info);

#define M2MI_COAP_OUT_MAX_OPTS 48

/* A CoAP response ready to be encoded (documented value type). Option values point into out
 * itself and into rsp: keep both alive and do not copy the struct. Options are in ascending
 * number order, as the wire needs them. Type, message ID and token are the transport's (the
 * request's token, RFC 7252 clause 5.3.2). */
typedef struct m2mi_coap_out {
	uint8_t code;
	m2mi_coap_opt opts[M2MI_COAP_OUT_MAX_OPTS];
	size_t nopts;
	char *payload;           /* compact JSON or CBOR (malloc'd), NULL when there is none */
	size_t payload_len;
	char *loc;               /* storage of the Location-Path segments (malloc'd) */
	uint8_t num[8][4];       /* storage of uint option values */
	size_t nnum;
} m2mi_coap_out;

/*
 * Serialise rsp (TS-0008 clauses 6.2.1, 6.2.3, 6.2.4): code = info->code if set, else the RSC
 * mapped by TS-0008 Table 6.2.4-1 (2000 is 2.05 for a RETRIEVE and 2.04 with no payload for a
 * NOTIFY; rsc 0 counts as 5000); Location-Path of a CREATE; Content-Format; Max-Age for a
 * retry_after; oneM2M-RVI, oneM2M-RQI, oneM2M-RSC (always), oneM2M-CTO/CTS of a partial answer.
 * req and info may be NULL (the request did not parse). On error out is cleared.
 */
M2M_WUR m2m_err m2mi_coap_from_response(const m2m_request *req, const m2m_response *rsp,
					const m2mi_coap_reqinfo *info, m2mi_coap_out *out);
/* Release out's storage and zero it. NULL is a no-op. */
void m2mi_coap_out_clear(m2mi_coap_out *out);
/* Append one option to out (M2M_E_RANGE when full); the value is not copied. */
m2m_err m2mi_coap_out_opt(m2mi_coap_out *out, uint16_t num, const void *val, size_t len);
/* Append a uint option in the fewest bytes (RFC 7252 clause 3.2), its bytes kept in out->num. */
m2m_err m2mi_coap_out_uint(m2mi_coap_out *out, uint16_t num, unsigned long v);

/* True for valid UTF-8 without control characters (RFC 7252 clause 3.2 "string"; no NUL, CR,
 * LF): what may be copied from an option into a primitive or a log, or from one into an option. */
bool m2mi_coap_text_ok(const uint8_t *s, size_t n);

/* The CoAP response code of rsc for operation op (TS-0008 Table 6.2.4-1). */
uint8_t m2mi_coap_code_of(int rsc, m2m_op op);

/* The value length range, kind (string or uint) and repeatability of an option this binding
 * recognises (the table of coap_map.c); false for any other number. */
bool m2mi_coap_opt_spec(uint16_t num, size_t *min, size_t *max, bool *text, bool *repeat);

#endif
