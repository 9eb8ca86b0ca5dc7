/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the End-to-End Security of Primitives (ESPrim)
 * object codec (TS-0003 clauses 8.4.2-8.4.3, TS-0004 clauses 6.3.5.50-51 and 7.6.2):
 *  - rand objects: originatorESPrimRandObject / receiverESPrimRandObject (short names esri,
 *    esrv, esrx, esk / esks, espa), their generation, JSON codec and the Receiver's checks of
 *    clause 8.4.2 C.6b-C.6c;
 *  - sessionESPrimKey (esprimKeyGenAlgID 1, TS-0003 clause 10.3.8.2, via m2m_kdf);
 *  - the ESPrim Object: JWE Compact, "alg":"dir", "enc" A128GCM / A192GCM / A256GCM, with the
 *    protected header members "kid", "ori", "rri", "cty", "oro", "rro" of TS-0003 Table
 *    8.4.3.2-2 (JOSE through libcjose);
 *  - every refusal its own m2m_err (M2M_E_ESP_*), and m2m_esprim_err_rsc mapping it to the
 *    Response Status Code of TS-0004 Table 7.6.2-1.
 * The caller (the CSE's ESPrim receiver, the client library) owns key look-up, the rand-object
 * caches, replay windows and transport (the outer NOTIFY with m2m:seci, m2msec/seci_e2e.h).
 * docs/procedures/e2e.md is the manual. Pure (the time and the random octets are the caller's).
 */
#ifndef M2MSEC_ESPRIM_H
#define M2MSEC_ESPRIM_H

#include "m2msec/err.h"
#include "m2msec/kdf.h"
#include "m2msec/key.h"

/* m2m:esprimKeyGenAlgID (TS-0004 Table 6.3.4.2.40-1) */
#define M2M_ESPRIM_KEYGEN_HMAC_SHA256 1
/* m2m:esprimProtocolAndAlgID (TS-0004 Table 6.3.4.2.41-1): JWE Compact with "enc" = */
#define M2M_ESPRIM_A128GCM 10
#define M2M_ESPRIM_A192GCM 11
#define M2M_ESPRIM_A256GCM 12

#define M2M_ESPRIM_ID_MAX 64      /* bytes of an esprimRandID (xs:NCName) */
#define M2M_ESPRIM_VALUE_MAX 128  /* bytes of an esprimRandValue (xs:NCName) */
#define M2M_ESPRIM_MAX_ALGS 8     /* entries of esks / espa */
#define M2M_ESPRIM_KID_MAX 256    /* bytes of a pairwiseESPrimKeyID ("kid") */
#define M2M_ESPRIM_CTY_MAX 64
#define M2M_ESPRIM_MAX_LEN (1024u * 1024u) /* bytes of an ESPrim Object */
#define M2M_ESPRIM_RAND_LEN 16    /* a 128-bit random value (clause 8.4.2 B.1a.1) */
#define M2M_ESPRIM_RANDID_LEN 8   /* random octets in an esprimRandID generated here */

/*
 * One rand object (a documented value type). For a receiverESPrimRandObject keygen holds esks
 * (a list); for an originatorESPrimRandObject exactly one entry, esk.
 */
typedef struct m2m_esprim_rand {
	char id[M2M_ESPRIM_ID_MAX + 1];       /* esri */
	char value[M2M_ESPRIM_VALUE_MAX + 1]; /* esrv, hashed as these octets (docs/keys.md) */
	int64_t expiry;                       /* esrx, UTC seconds */
	int keygen[M2M_ESPRIM_MAX_ALGS];      /* esks (receiver) / esk (originator, nkeygen 1) */
	size_t nkeygen;
	int aead[M2M_ESPRIM_MAX_ALGS];        /* espa */
	size_t naead;
} m2m_esprim_rand;

/*
 * Fill r as a new rand object (clause 8.4.2 B.1a.1, B.2e, B.2g): esrv = "v" + hex(rnd) (an
 * xs:NCName carrying the 128 random bits), esri = ("s" shared | "n" non-shared) + hex(idrnd), so
 * the identifier says whether the object is shared and is unique while valid with overwhelming
 * probability (the caller may still check its own cache). rnd / idrnd from the caller's CSPRNG.
 * An originator object takes exactly one keygen (esk). M2M_E_INVAL for an empty list, a list over
 * M2M_ESPRIM_MAX_ALGS, an originator with nkeygen != 1.
 */
M2M_API M2M_WUR m2m_err m2m_esprim_rand_init(m2m_esprim_rand *r, bool originator, bool shared,
					      const uint8_t rnd[M2M_ESPRIM_RAND_LEN],
					      const uint8_t idrnd[M2M_ESPRIM_RANDID_LEN], int64_t expiry,
					      const int *keygen, size_t nkeygen, const int *aead, size_t naead);
/* True when an esprimRandID generated here marks a shared receiverESPrimRandObject. */
M2M_API bool m2m_esprim_rand_id_shared(const char *id);
/* The JSON serialisation with short names ({"esri","esrv","esrx","esk"|"esks","espa"}; esrx as an
 * absolute m2m:timestamp "YYYYMMDDTHHMMSS"). *out heap (free()). */
M2M_API M2M_WUR m2m_err m2m_esprim_rand_encode(const m2m_esprim_rand *r, bool originator, char **out);
/* Parse one (TS-0004 Tables 6.3.5.50-1 / 6.3.5.51-1): every element required and of its type
 * (NCName ids/values, integer lists), esrx absolute or relative (milliseconds from now), no
 * duplicate members. M2M_E_ESP_RAND_OBJ otherwise. */
M2M_API M2M_WUR m2m_err m2m_esprim_rand_decode(const char *json, size_t len, bool originator, int64_t now,
						m2m_esprim_rand *out);

/*
 * The Receiver's checks of clause 8.4.2 C.6b.1-C.6c.1 (TS-0004 Table 7.6.2-1 NOTE 1/2: the
 * objects' own expiry), in this order: M2M_E_ESP_RECV_RAND (rro expired at now),
 * M2M_E_ESP_ORIG_RAND (oro expired, or expiring after rro), M2M_E_ESP_UNSUPPORTED (oro's esk not
 * one of rro's esks or not 1 = HMAC-SHA256; oro's espa not a subset of rro's; aead not in oro's
 * espa or not 10..12).
 */
M2M_API M2M_WUR m2m_err m2m_esprim_check_rands(const m2m_esprim_rand *rro, const m2m_esprim_rand *oro, int aead,
						int64_t now);
/*
 * sessionESPrimKey (clause 10.3.8.2) of pairwise, rro and oro, as the content-encryption key of
 * aead: HMAC-SHA256 gives 32 octets; A256GCM uses them all, A192GCM / A128GCM the first 24 / 16
 * (TS-0003 says the key is "used directly" without saying how a 32-octet key serves a shorter
 * AES key; docs/procedures/e2e.md). M2M_E_ESP_UNSUPPORTED for another aead. *out NULL unless OK.
 */
M2M_API M2M_WUR m2m_err m2m_esprim_session_key(m2m_kdf *kdf, const m2m_key *pairwise, const m2m_esprim_rand *rro,
						const m2m_esprim_rand *oro, int aead, m2m_key **out);

/* The protected header of an ESPrim Object (TS-0003 Table 8.4.3.2-2); "alg" is always "dir". */
typedef struct m2m_esprim_hdr {
	int aead;                   /* "enc": M2M_ESPRIM_A128GCM..A256GCM */
	const char *kid;            /* "kid": pairwiseESPrimKeyID, required */
	const char *ori;            /* "ori": esprimRandID of the originatorESPrimRandObject, required */
	const char *rri;            /* "rri": esprimRandID of the receiverESPrimRandObject, required */
	const char *cty;            /* "cty": media type of the inner primitive, or NULL */
	const m2m_esprim_rand *oro; /* "oro": the full originatorESPrimRandObject (Originator only), or NULL */
	const m2m_esprim_rand *rro; /* "rro": a receiverESPrimRandObject (Receiver only), or NULL */
} m2m_esprim_hdr;

/*
 * Form an ESPrim Object: the serialised inner primitive pt encrypted with session_key (whose
 * length must be aead's: 16 / 24 / 32) as a JWE Compact Serialization with an empty encrypted
 * key. M2M_E_INVAL for a missing kid/ori/rri or a bad length; M2M_E_ESP_ENCRYPT (5211) when the
 * encryption itself fails. *out heap (free()), NULL unless M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_esprim_seal(const m2m_key *session_key, const m2m_esprim_hdr *h, const uint8_t *pt,
					size_t ptlen, char **out);

/* A parsed (not yet decrypted) ESPrim Object. */
typedef struct m2m_esprim_obj m2m_esprim_obj;

/*
 * Parse text[0..len) (m2m:e2eCompactJWE). M2M_E_ESP_FORMAT (4000): not five base64url parts,
 * header not a JSON object (or duplicate members), encrypted key not empty, IV not 12 octets or
 * tag not 16, kid / ori / rri missing or not strings (or ori / rri not NCNames), oro / rro
 * malformed, over M2M_ESPRIM_MAX_LEN. M2M_E_ESP_UNSUPPORTED (4111): "alg" not "dir", "enc" not
 * A128GCM / A192GCM / A256GCM, "crit" or "zip" present. now resolves a relative esrx in oro/rro.
 */
M2M_API M2M_WUR m2m_err m2m_esprim_parse(const char *text, size_t len, int64_t now, m2m_esprim_obj **out);
/* The header of a parsed object (pointers live as long as o). */
M2M_API const m2m_esprim_hdr *m2m_esprim_obj_hdr(const m2m_esprim_obj *o);
/*
 * Decrypt a parsed object with session_key. M2M_E_ESP_BAD_MAC (4115) when the authentication
 * tag does not verify; M2M_E_ESP_DECRYPT (5210) for any other failure (e.g. a key of the wrong
 * length). *pt (heap, m2m_freezero it) is NULL unless M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_esprim_open(const m2m_esprim_obj *o, const m2m_key *session_key, uint8_t **pt,
					size_t *ptlen);
M2M_API void m2m_esprim_obj_free(m2m_esprim_obj *o);

/* Clause 7.6.2 / Table 7.6.2-1 "impersonation": the inner From must be the identity associated
 * with the pairwiseESPrimKey (exact string comparison). M2M_E_ESP_IMPERSONATION otherwise. */
M2M_API M2M_WUR m2m_err m2m_esprim_check_from(const char *inner_from, const char *key_identity);

/* The Response Status Code of TS-0004 Table 7.6.2-1 for an ESPrim refusal: 4000 (FORMAT,
 * RAND_OBJ), 4111..4116, 5210, 5211; 5000 for anything else. */
M2M_API int m2m_esprim_err_rsc(m2m_err err);

#endif
