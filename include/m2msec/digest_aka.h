/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of HTTP Digest AKA (RFC 3310, AKAv1-MD5) on the Ub
 * reference point of GBA (3GPP TS 33.220 clause 4.5.2), which the GBA-based RSPF (TS-0003 clause
 * 8.3.2.3) runs between the enrolee (UE) and the MEF (BSF):
 *  - a strict, bounded parser of the Digest challenge (WWW-Authenticate) and credentials
 *    (Authorization) header values (RFC 7235 clause 2.1 auth-params, RFC 7230 clause 3.2.6
 *    quoted-string rules; every parameter at most once; RFC 7616 / RFC 2617 semantics);
 *  - the nonce = base64(RAND || AUTN || server data) of RFC 3310 clause 3.2;
 *  - the request-digest of RFC 2617 clause 3.2.2.1 with algorithm AKAv1-MD5, whose password is
 *    RES as raw octets (RFC 3310 clause 3.4), or the empty password when the client sends AUTS
 *    (resynchronisation, RFC 3310 clause 3.5);
 *  - formatting of both headers, escaping every quoted value.
 * MD5 is used only because RFC 3310 mandates it for AKAv1; Ub additionally runs over TLS with
 * server authentication (TS 33.220 clause 4.5.2). Pure: no I/O.
 */
#ifndef M2MSEC_DIGEST_AKA_H
#define M2MSEC_DIGEST_AKA_H

#include "m2msec/err.h"
#include "m2msec/aka.h"

/* Longest header value accepted (after "WWW-Authenticate:" / "Authorization:"), in bytes. */
#define M2M_DIGEST_HDR_MAX 4096
/* At most this many auth-params in one header (known and unknown together). */
#define M2M_DIGEST_PARAMS_MAX 24
#define M2M_DIGEST_ALGORITHM "AKAv1-MD5"
#define M2M_DIGEST_RESPONSE_LEN 32 /* lowercase hex MD5 */
/* Longest server data carried in the nonce after RAND || AUTN. */
#define M2M_DIGEST_SERVER_DATA_MAX 64
#define M2M_DIGEST_NONCE_MAX (((32 + M2M_DIGEST_SERVER_DATA_MAX + 2) / 3) * 4)
#define M2M_DIGEST_AUTS_B64_LEN 20 /* base64 of the 14-octet AUTS */

typedef enum m2m_digest_kind {
	M2M_DIGEST_CHALLENGE = 1,   /* WWW-Authenticate: realm, nonce, algorithm required */
	M2M_DIGEST_CREDENTIALS = 2, /* Authorization: username, realm, nonce, uri, response required */
	/* The UE's first Authorization on Ub (3GPP TS 24.109 clause 5.2.1): username (the IMPI),
	 * realm and uri required; nonce and response, when present, empty; algorithm, when present,
	 * AKAv1-MD5; no auts. */
	M2M_DIGEST_INITIAL = 3,
} m2m_digest_kind;

/* Bits of m2m_digest.present. */
enum {
	M2M_DIGEST_HAS_USERNAME = 1u << 0,
	M2M_DIGEST_HAS_REALM = 1u << 1,
	M2M_DIGEST_HAS_NONCE = 1u << 2,
	M2M_DIGEST_HAS_URI = 1u << 3,
	M2M_DIGEST_HAS_RESPONSE = 1u << 4,
	M2M_DIGEST_HAS_ALGORITHM = 1u << 5,
	M2M_DIGEST_HAS_CNONCE = 1u << 6,
	M2M_DIGEST_HAS_NC = 1u << 7,
	M2M_DIGEST_HAS_QOP = 1u << 8,
	M2M_DIGEST_HAS_OPAQUE = 1u << 9,
	M2M_DIGEST_HAS_STALE = 1u << 10,
	M2M_DIGEST_HAS_AUTS = 1u << 11,
	M2M_DIGEST_HAS_DOMAIN = 1u << 12,
};

/*
 * One parsed header (a value type; every string NUL-terminated and unescaped, "" when absent).
 * qop is "auth" or "" (m2msec supports qop=auth only; a challenge offering "auth,auth-int" keeps
 * "auth"). stale is true only for stale=true.
 */
typedef struct m2m_digest {
	unsigned present;
	char username[256]; /* the IMPI on Ub */
	char realm[256];
	char nonce[M2M_DIGEST_NONCE_MAX + 1];
	char uri[256];
	char response[M2M_DIGEST_RESPONSE_LEN + 1];
	char algorithm[16];
	char cnonce[128];
	char nc[9];
	char qop[8];
	char opaque[128];
	char domain[256];
	char auts[M2M_DIGEST_AUTS_B64_LEN + 1];
	bool stale;
} m2m_digest;

/*
 * Parse a Digest header value of len bytes (1..M2M_DIGEST_HDR_MAX, else M2M_E_TOO_LARGE): the
 * scheme "Digest" (case-insensitive), one or more spaces, then a comma-separated list of
 * name=token or name="quoted-string". Refused with M2M_E_PROTO: another scheme, a syntax error, a
 * control character or a non-ASCII octet, a parameter given twice, more than
 * M2M_DIGEST_PARAMS_MAX parameters, a value longer than its field, a required parameter missing
 * for kind, a malformed response (not 32 lowercase hex), nc (not 8 hex), stale (not true/false)
 * or auts (not base64 of 14 octets). An algorithm other than AKAv1-MD5, or a qop without "auth",
 * is M2M_E_UNSUPPORTED. Unknown parameters are ignored (RFC 7616 clause 3.3). *out is zeroed on
 * error.
 */
M2M_API M2M_WUR m2m_err m2m_digest_parse(const char *value, size_t len, m2m_digest_kind kind, m2m_digest *out);

/*
 * nonce = base64(RAND || AUTN || server_data) (RFC 3310 clause 3.2), server_data 0..
 * M2M_DIGEST_SERVER_DATA_MAX bytes (the BSF's own binding, e.g. a MAC over a timestamp). out needs
 * M2M_DIGEST_NONCE_MAX + 1 bytes at most (M2M_E_RANGE).
 */
M2M_API M2M_WUR m2m_err m2m_digest_aka_nonce(const uint8_t rand[M2M_MILENAGE_RAND_LEN], const uint8_t autn[M2M_AKA_AUTN_LEN],
					     const uint8_t *server_data, size_t sd_len, char *out, size_t cap);
/* Split a nonce back (canonical base64 of 32..32 + M2M_DIGEST_SERVER_DATA_MAX bytes, else
 * M2M_E_PROTO). server_data may be NULL when not wanted; *sd_len receives its length. */
M2M_API M2M_WUR m2m_err m2m_digest_aka_nonce_split(const char *nonce, uint8_t rand[M2M_MILENAGE_RAND_LEN],
						   uint8_t autn[M2M_AKA_AUTN_LEN], uint8_t *server_data, size_t sd_cap,
						   size_t *sd_len);

/*
 * The request-digest of RFC 2617 clause 3.2.2.1 for AKAv1-MD5 (RFC 3310 clause 3.4):
 *   HA1 = MD5(username ":" realm ":" password), HA2 = MD5(method ":" uri),
 *   response = MD5(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2) when qop is "auth",
 *            = MD5(HA1 ":" nonce ":" HA2) when qop is NULL or "".
 * password is RES (raw octets, 1..16) or, for a resynchronisation request carrying auts, empty
 * (password NULL, pw_len 0). out receives 32 lowercase hex digits and a NUL.
 */
M2M_API M2M_WUR m2m_err m2m_digest_aka_response(const char *username, const char *realm, const uint8_t *password,
						size_t pw_len, const char *method, const char *uri,
						const char *nonce, const char *nc, const char *cnonce,
						const char *qop, char out[M2M_DIGEST_RESPONSE_LEN + 1]);

/*
 * Server side: recompute the response of parsed credentials cred (kind M2M_DIGEST_CREDENTIALS)
 * for method with password xres (XRES; NULL/0 when cred carries auts) and compare in constant
 * time. M2M_OK when it matches, M2M_E_AUTH when it does not.
 */
M2M_API M2M_WUR m2m_err m2m_digest_aka_verify(const m2m_digest *cred, const char *method, const uint8_t *xres,
					      size_t xres_len);

/*
 * Format a challenge value: Digest realm="..", nonce="..", algorithm=AKAv1-MD5, qop="auth"
 * [, opaque=".."] [, stale=true] (opaque may be NULL). Quoted values are escaped; a control
 * character or non-ASCII octet in a value is M2M_E_INVAL. M2M_E_RANGE when cap is too small.
 */
M2M_API M2M_WUR m2m_err m2m_digest_format_challenge(const char *realm, const char *nonce, const char *opaque,
						    bool stale, char *out, size_t cap);
/*
 * Format credentials: Digest username="..", realm="..", nonce="..", uri="..", response="..",
 * algorithm=AKAv1-MD5, qop=auth, nc=.., cnonce=".." [, opaque=".."] [, auts=".."] from the
 * fields of d (username, realm, nonce, uri, response, nc, cnonce, opaque, auts; empty opaque or
 * auts are left out). Same errors as m2m_digest_format_challenge.
 */
M2M_API M2M_WUR m2m_err m2m_digest_format_credentials(const m2m_digest *d, char *out, size_t cap);

#endif
