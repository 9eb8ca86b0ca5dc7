/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of End-to-End Security of Data (ESData, TS-0003
 * clause 8.5) with JOSE: the Encryption-only class (JWE, Tables 8.5.3.2-3/-4), the
 * Signature-only class (JWS, Table 8.5.3.3-2) and Nested Sign-then-Encrypt (clause 8.5.3.4: a
 * JWS signed with certificate keys, then encrypted), each in the JWE/JWS Compact or the JSON
 * Serialization (clause 8.5.3.2: m2m:e2eCompactJWE / m2m:e2eCompactJWS, TS-0004 Table 6.3.3-1;
 * the contentSecurity values 1 and 2 of TS-0004 Table 6.3.4.2.38-1).
 *
 * The protected object is opaque to a CSE: only the Source and the Target End-Points call this.
 * Opening is fail-closed: the caller names the algorithms it allows (never "none") and the class
 * it expects; anything else, any header member this code does not understand (crit), and any key
 * not of the algorithm's type is refused with its own M2M_E_ESD_* error (err.h).
 * docs/procedures/e2e.md is the manual (header rules, limits, the 2^32 counter).
 * Pure apart from the CSPRNG of OpenSSL (CEKs, IVs, ephemeral keys); thread-safe (no state).
 */
#ifndef M2MSEC_ESDATA_H
#define M2MSEC_ESDATA_H

#include <openssl/types.h>

#include "m2msec/err.h"
#include "m2msec/key.h"

/* One bit per JOSE algorithm identifier. Key management ("alg" of a JWE, Table 8.5.3.2-3): */
#define M2M_ESD_DIR (1u << 0)
#define M2M_ESD_A128KW (1u << 1)
#define M2M_ESD_A192KW (1u << 2)
#define M2M_ESD_A256KW (1u << 3)
#define M2M_ESD_RSA_OAEP_256 (1u << 4)
#define M2M_ESD_ECDH_ES (1u << 5) /* direct key agreement: NOT in Table 8.5.3.2-3, opt-in only */
#define M2M_ESD_ECDH_ES_A128KW (1u << 6)
#define M2M_ESD_ECDH_ES_A192KW (1u << 7)
#define M2M_ESD_ECDH_ES_A256KW (1u << 8)
#define M2M_ESD_KM_MASK 0x1ffu
/* Content encryption ("enc", Table 8.5.3.2-4): */
#define M2M_ESD_A128GCM (1u << 9)
#define M2M_ESD_A192GCM (1u << 10)
#define M2M_ESD_A256GCM (1u << 11)
#define M2M_ESD_ENC_MASK 0xe00u
/* Signatures ("alg" of a JWS, Table 8.5.3.3-2): */
#define M2M_ESD_HS256 (1u << 12)
#define M2M_ESD_HS384 (1u << 13)
#define M2M_ESD_HS512 (1u << 14)
#define M2M_ESD_RS256 (1u << 15)
#define M2M_ESD_RS384 (1u << 16)
#define M2M_ESD_RS512 (1u << 17)
#define M2M_ESD_ES256 (1u << 18)
#define M2M_ESD_ES384 (1u << 19)
#define M2M_ESD_ES512 (1u << 20)
#define M2M_ESD_SIG_MASK 0x1ff000u
#define M2M_ESD_HS_MASK (M2M_ESD_HS256 | M2M_ESD_HS384 | M2M_ESD_HS512)
/* Everything of the three tables (ECDH-ES without key wrap excluded): the default allow-list. */
#define M2M_ESD_ALGS_SPEC ((M2M_ESD_KM_MASK & ~M2M_ESD_ECDH_ES) | M2M_ESD_ENC_MASK | M2M_ESD_SIG_MASK)

/* Limits (docs/procedures/e2e.md "Limits"). */
#define M2M_ESD_MAX_LEN (1024u * 1024u) /* bytes of a protected object (default of max_len) */
#define M2M_ESD_MAX_PLAINTEXT (512u * 1024u)
#define M2M_ESD_MAX_CREDS 8             /* recipients or signatures in one object */
#define M2M_ESD_MAX_DEPTH 8             /* JSON nesting of a JSON serialisation / header */
#define M2M_ESD_KID_MAX 256             /* bytes of a "kid" */
/* Direct AES-GCM: at most 2^32 encryptions under one key (clause 8.5.2.2.1, RFC 7518 §8.4). */
#define M2M_ESD_DIRECT_LIMIT (UINT64_C(1) << 32)

/* The JOSE name ("A128KW", "ES256", ...) of one bit; NULL otherwise. */
M2M_API const char *m2m_esdata_alg_name(unsigned alg);
/* The bit for a JOSE name (case-sensitive, RFC 7518); 0 for anything else (including "none"). */
M2M_API unsigned m2m_esdata_alg_from_name(const char *name);

typedef enum m2m_esdata_ser {
	M2M_ESD_COMPACT = 1, /* m2m:e2eCompactJWE / JWS, contentSecurity 1, media type application/jose */
	M2M_ESD_JSON = 2,    /* JSON Serialization, contentSecurity 2, media type application/jose+json */
} m2m_esdata_ser;

typedef enum m2m_esdata_class {
	M2M_ESD_CLASS_ENC = 1,    /* Encryption-only (clause 8.5.2.2) */
	M2M_ESD_CLASS_SIG = 2,    /* Signature-only (clause 8.5.2.3) */
	M2M_ESD_CLASS_NESTED = 3, /* Nested Sign-then-Encrypt (clause 8.5.2.4) */
} m2m_esdata_class;

/*
 * One credential (a documented value type; every pointer borrowed for the call).
 *  - encryption, protect: dir / A*KW: key (length of the algorithm: 16, 24, 32; dir: the enc's);
 *    RSA-OAEP-256: pkey an RSA public (or private) key; ECDH-ES*: pkey an EC P-256/384/521 key.
 *  - encryption, open: the same with the private key for RSA / ECDH.
 *  - signature, protect: HS*: key (the MIC key, >= the hash length); RS*: RSA private key
 *    (>= 2048 bits); ES*: EC private key of the algorithm's curve.
 *  - signature, verify: HS*: key; RS* / ES*: the public key (from the source's certificate).
 * kid: the credential identifier written to / matched against the header "kid" (e.g. a
 * Credential-ID "14-k1@mef.example.com", TS-0003 clause 10.4); NULL = none written / any matches.
 */
typedef struct m2m_esdata_cred {
	unsigned alg;        /* exactly one M2M_ESD_* key-management or signature bit */
	const m2m_key *key;  /* symmetric credential, or NULL */
	EVP_PKEY *pkey;      /* asymmetric credential, or NULL */
	const char *kid;
} m2m_esdata_cred;

typedef struct m2m_esdata_protect_opts {
	m2m_esdata_ser ser;
	unsigned enc;                    /* M2M_ESD_A*GCM when encrypting */
	const m2m_esdata_cred *signers;  /* sign first (Signature-only, or the inner JWS of Nested) */
	size_t nsigners;
	const m2m_esdata_cred *rcpts;    /* then encrypt for these (Encryption-only or Nested) */
	size_t nrcpts;
	const char *cty;                 /* media type of the payload ("cty" of the innermost object;
					  * NULL = none). A Nested outer JWE always gets cty "JOSE" /
					  * "JOSE+JSON" (RFC 7516 §4.1.12) */
	uint64_t *direct_uses;           /* required with dir: the number of encryptions already made
					  * under that key, which the CALLER persists. Incremented before
					  * encrypting; M2M_E_ESD_LIMIT once it reaches 2^32 */
} m2m_esdata_protect_opts;

/*
 * Protect pt[0..ptlen): with only signers, Signature-only; with only rcpts, Encryption-only; with
 * both, Nested (signers must be RS* / ES*: clause 8.5.2.4 signs with certificates). Rules
 * (M2M_E_ESD_* refusals): compact allows exactly one signer / one recipient; dir and ECDH-ES
 * (no wrap) only as the single recipient (clause 8.5.2.2.1 "Direct Encryption Mode ... single
 * symmetric key"); each credential must fit its algorithm. *out is a NUL-terminated heap
 * string (release with free()), NULL unless M2M_OK; *outlen (may be NULL) its length.
 */
M2M_API M2M_WUR m2m_err m2m_esdata_protect(const uint8_t *pt, size_t ptlen, const m2m_esdata_protect_opts *o,
					   char **out, size_t *outlen);

typedef struct m2m_esdata_open_opts {
	unsigned algs;                     /* allow-list; 0 = M2M_ESD_ALGS_SPEC. "none" never */
	m2m_esdata_class expect;           /* the class the caller requires; 0 = any */
	const m2m_esdata_cred *keys;       /* decryption credentials, tried in order */
	size_t nkeys;
	const m2m_esdata_cred *verifiers;  /* verification credentials, tried in order */
	size_t nverifiers;
	size_t max_len;                    /* 0 = M2M_ESD_MAX_LEN */
} m2m_esdata_open_opts;

/* What was opened (a documented value type; strings are copies inside it). */
typedef struct m2m_esdata_info {
	m2m_esdata_class cls;
	m2m_esdata_ser ser;
	unsigned km;      /* key-management bit used (0 for Signature-only) */
	unsigned enc;     /* content-encryption bit (0 for Signature-only) */
	unsigned sig;     /* signature bit that verified (0 for Encryption-only) */
	char kid[M2M_ESD_KID_MAX + 1]; /* kid of the credential that verified (or decrypted) */
	char cty[64];     /* "cty" of the innermost object; "" when absent */
} m2m_esdata_info;

/*
 * Open (decrypt and/or verify) in[0..len), compact or JSON (detected: a JSON object is the JSON
 * Serialization). Order of refusals: M2M_E_ESD_TOO_LARGE, M2M_E_ESD_FORMAT, M2M_E_ESD_HEADER
 * (typ/cty/crit/kid rules, docs), M2M_E_ESD_UNSECURED ("none"), M2M_E_ESD_ALG (not allowed),
 * M2M_E_ESD_CLASS (not the expected class), M2M_E_ESD_KEY (no credential of the algorithm and
 * kid), M2M_E_ESD_DECRYPT (authentication tag / unwrap failure for every usable credential),
 * M2M_E_ESD_SIGNATURE (no signature verifies). A Nested object is decrypted and then its JWS
 * verified; at least one signature must verify. *pt (heap, m2m_freezero it) is NULL unless
 * M2M_OK; info may be NULL.
 */
M2M_API M2M_WUR m2m_err m2m_esdata_open(const char *in, size_t len, const m2m_esdata_open_opts *o, uint8_t **pt,
					size_t *ptlen, m2m_esdata_info *info);

/*
 * Key-free shape check of a protected object of serialisation ser, for a Hosting CSE that stores
 * it opaquely (TS-0004 Table 6.3.4.2.38-1 contentSecurity 1 / 2; docs/procedures/e2e.md
 * "contentInfo"): compact = a JWS (3 parts) or JWE (5 parts) of TS-0004 Table 6.3.3-1 with a
 * JSON protected header naming "alg" (and "enc" for a JWE); JSON = a JWE or JWS JSON
 * Serialization whose every signature / recipient names an "alg". Nothing is decrypted or
 * verified. M2M_OK, M2M_E_ESD_FORMAT, M2M_E_ESD_HEADER, M2M_E_ESD_UNSECURED ("none"),
 * M2M_E_ESD_TOO_LARGE, M2M_E_INVAL.
 */
M2M_API M2M_WUR m2m_err m2m_esdata_shape(const char *in, size_t len, m2m_esdata_ser ser);

/* The contentSecurity value (TS-0004 Table 6.3.4.2.38-1) of a serialisation: 1 or 2. */
M2M_API int m2m_esdata_content_security(m2m_esdata_ser ser);

#endif
