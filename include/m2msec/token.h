/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of oneM2M tokens (TS-0003 clauses 7.3.2.4-7.3.2.6,
 * TS-0004 Tables 6.3.5.41-1, 6.3.5.42-1, 6.3.5.53-1): the claim set (m2m:tokenClaimSet as oneM2M
 * JWT claims), issuing a token as a compact JWS (ES256, JOSE through libcjose), and the
 * Hosting CSE's validation of a received token in two stages:
 *
 *   1. security validation (m2m_token_parse): m2m:dynAuthJWT form, size/nesting limits, JOSE
 *      header (typ "JWT", no cty, no crit), algorithm allowed for the issuer (alg "none" only
 *      where explicitly permitted, clause 7.3.2.6.3), issuer in the trust set, signature, claim
 *      syntax and permissions (tkps, pv compiled by the ACP engine). The result depends only on
 *      the token and the trust set, so it is what the verified-token cache holds.
 *   2. content validation per request (m2m_token_check, clause 7.3.2.5 and 7.3.2.3 step 7.1.3):
 *      audience includes this CSE-ID (wildcards of clause 7.1.3), holder == the authenticated
 *      Originator (exact), notBefore <= now <= notAfter within a documented clock skew.
 *
 * Every refusal is its own m2m_err (M2M_E_TOKEN_*, include/m2msec/err.h) so the CSE can log why;
 * m2m_token_err_rsc maps it to the Response Status Code. docs/procedures/das.md is the manual.
 * Thread safety: m2m_token and m2m_token_trust are immutable after construction and may be
 * shared between threads; m2m_token_cache locks internally.
 */
#ifndef M2MSEC_TOKEN_H
#define M2MSEC_TOKEN_H

#include "m2msec/acp.h"
#include "m2msec/err.h"

/* Limits (docs/procedures/das.md "Limits"); each violation is M2M_E_TOKEN_TOO_LARGE. */
#define M2M_TOKEN_MAX_LEN 8192   /* bytes of a compact token (default of opts.max_len) */
#define M2M_TOKEN_MAX_DEPTH 16   /* JSON nesting of the JOSE header and of the claim set (a
				  * setOfAcrs with acco/acip inside tkps is 10 deep) */
#define M2M_TOKEN_MAX_LIST 64    /* entries of aud, of tkps.pm, and of ris / rids per permission */
#define M2M_TOKEN_STR_MAX 1024   /* bytes of any string claim (IDs, tknm, tkex) */
/* Default tolerated difference between the issuer's and this CSE's clocks (seconds). */
#define M2M_TOKEN_DEFAULT_SKEW 60
/* Version this implementation writes in "tkvr" (any non-empty string is accepted). */
#define M2M_TOKEN_VERSION "1"

/* JWS algorithms (bit set). Only ECDSA with the curve of the issuer's certificate key is ever
 * used for a signature; HMAC and RSA are refused (a certificate's key must never be taken as an
 * HMAC secret: the classic algorithm-confusion attack). */
enum m2m_token_alg {
	M2M_TOKEN_ALG_NONE = 1u << 0,  /* unsecured JWT (RFC 7519 §6): the "unsecured" ESData class */
	M2M_TOKEN_ALG_ES256 = 1u << 1, /* ECDSA P-256 SHA-256: what m2msec issues */
	M2M_TOKEN_ALG_ES384 = 1u << 2, /* ECDSA P-384 SHA-384 */
	M2M_TOKEN_ALG_ES512 = 1u << 3, /* ECDSA P-521 SHA-512 */
};
/* "none", "ES256", ... for one bit; NULL otherwise. */
M2M_API const char *m2m_token_alg_name(unsigned alg);
/* Parse a comma-separated list ("ES256,none", case-sensitive as in JOSE) into a bit set. */
M2M_API M2M_WUR m2m_err m2m_token_algs_parse(const char *list, unsigned *out);

/* One element of m2m:tokenPermissions "pm" (TS-0004 Table 6.3.5.41-1, TS-0003 clause 7.3.2.5):
 * ris = resourceIDs the permission is limited to (required when pv is present), pv = an
 * m2m:setOfAcrs used as extra ACP rules, rids = Role-IDs granted to the holder. */
typedef struct m2m_token_perm {
	const char *const *ris;  /* resourceIDs, nris entries (NULL, 0 = absent) */
	size_t nris;
	const char *pv_json;     /* privileges: JSON text of m2m:setOfAcrs ({"acr":[...]}); NULL = absent */
	const m2m_acp_rules *pv; /* parsed tokens: pv_json compiled (NULL when absent); ignored when issuing */
	const char *const *rids; /* roleIDs (m2m:roleID), nrids entries (NULL, 0 = absent) */
	size_t nrids;
} m2m_token_perm;

/*
 * The Token Claimset Object (TS-0004 Table 6.3.5.42-1) with its JWT claim names (TS-0003 Table
 * 7.3.2.6.2-1). A documented value type: to issue, the caller fills it (every pointer borrowed for
 * the call); in a parsed token every pointer belongs to the m2m_token and lives as long as it.
 */
typedef struct m2m_token_claims {
	const char *version;      /* "tkvr"  version, required (M2M_TOKEN_VERSION when issuing) */
	const char *token_id;     /* "jti"   tokenID, required: m2m:tokenID "name@issuer-fqdn" */
	const char *issuer;       /* "iss"   issuer, required: the issuer's m2m:ID (DAS AE-ID) */
	const char *holder;       /* "azp"   holder, required: Absolute AE-ID / CSE-ID of the holder */
	int64_t not_before;       /* "nbf"   notBefore, NumericDate (UTC seconds), required */
	int64_t not_after;        /* "exp"   notAfter, NumericDate, required, >= not_before */
	const char *name;         /* "tknm"  tokenName, optional (NULL) */
	const char *const *audience; /* "aud" audience: CSE-IDs (wildcards allowed), naudience entries */
	size_t naudience;
	const m2m_token_perm *perms; /* "tkps" {"pm": [...]} permissions, nperms entries */
	size_t nperms;
	bool has_perms;           /* "tkps" present (possibly with an empty pm) */
	const char *extension;    /* "tkex"  extension, optional (NULL) */
} m2m_token_claims;

/* ---- issuing (the DAS side) ------------------------------------------------------------------ */

/* An ES256/384/512 signing key: the private key whose public half is in the issuer certificate. */
typedef struct m2m_token_signer m2m_token_signer;

/*
 * A signer from a PEM private key (key_pem, secret: the caller wipes its buffer) and the PEM
 * certificate it belongs to. The key must be EC P-256 (ES256), P-384 or P-521 and match the
 * certificate's public key (M2M_E_TOKEN_KEY otherwise). *out is NULL unless M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_token_signer_new(const char *key_pem, size_t key_len, const char *cert_pem,
					      size_t cert_len, m2m_token_signer **out);
/* Wipes the key; NULL is a no-op. */
M2M_API void m2m_token_signer_free(m2m_token_signer *s);
/* The algorithm the signer uses (one M2M_TOKEN_ALG_* bit). */
M2M_API unsigned m2m_token_signer_alg(const m2m_token_signer *s);

/* The JWT claim set of c as compact JSON (*out, release with free()). Checks c as m2m_token_parse
 * would (M2M_E_TOKEN_CLAIMS / M2M_E_TOKEN_PERMISSIONS / M2M_E_TOKEN_TOO_LARGE), so an issuer
 * cannot produce a token its own verifier refuses. */
M2M_API M2M_WUR m2m_err m2m_token_claims_json(const m2m_token_claims *c, char **out);
/* A token ID (m2m:tokenID, TS-0004 Table 6.3.3-1) "<32 lower-case hex of rnd>@<fqdn lower-cased>"
 * into out (at least 34 + strlen(fqdn) bytes). rnd: 16 bytes from a CSPRNG (the caller's: the
 * core takes no randomness of its own). M2M_E_INVAL for a bad FQDN, M2M_E_RANGE when out is too
 * small. */
M2M_API M2M_WUR m2m_err m2m_token_format_id(const uint8_t rnd[16], const char *fqdn, char *out, size_t cap);
/* Issue: the claim set signed as a compact JWS with header {"alg":"ES256","typ":"JWT"} (TS-0003
 * clause 7.3.2.6.2: typ JWT, no cty). *out (release with free()) is NULL unless M2M_OK. */
M2M_API M2M_WUR m2m_err m2m_token_sign(const m2m_token_claims *c, const m2m_token_signer *s, char **out);

/* ---- trust: which issuers, which algorithms, which keys (clause 7.3.2.6.3) ---------------- */

typedef struct m2m_token_trust m2m_token_trust;

M2M_API M2M_WUR m2m_err m2m_token_trust_new(m2m_token_trust **out);
M2M_API void m2m_token_trust_free(m2m_token_trust *t);
/*
 * Trust issuer (its m2m:ID, exactly as tokens carry it in "iss") with the public key of the PEM
 * certificate cert_pem for the algorithms algs. algs 0 = the algorithm of the key's curve
 * (ES256 for P-256). An algorithm other than that one (and "none") is M2M_E_TOKEN_ALG; a
 * non-EC key M2M_E_TOKEN_KEY; an issuer already present M2M_E_EXISTS. cert_pem may be NULL only
 * when algs is exactly M2M_TOKEN_ALG_NONE (unsecured tokens need no credential). The
 * certificate's validity window is kept: a token is refused (M2M_E_TOKEN_ISSUER) while the
 * issuer certificate is not valid.
 */
M2M_API M2M_WUR m2m_err m2m_token_trust_add(m2m_token_trust *t, const char *issuer, const char *cert_pem,
					     size_t cert_len, unsigned algs);
M2M_API size_t m2m_token_trust_count(const m2m_token_trust *t);
/* Reads the certificate file named on a das-trust line (path as written) into a NUL-terminated
 * heap buffer the parser releases with free(). */
typedef m2m_err (*m2m_token_cert_reader)(void *ctx, const char *path, char **pem, size_t *len);
/*
 * Parse a das-trust text (docs/procedures/das.md "The das-trust file"): one trusted issuer per
 * line, `ISSUER-ID PATH-TO-CERTIFICATE-PEM [ALGS]`, ALGS a comma list (default: the key's
 * algorithm; `ISSUER-ID - none` trusts unsecured tokens of that issuer); blank lines and lines
 * starting with '#' are ignored. On error returns M2M_E_TOKEN_TRUST (or M2M_E_NOMEM) with errmsg
 * "line N: reason" (the certificate path named, never its contents), and t unchanged is not
 * guaranteed (discard it). A file without any issuer is an error (nothing could ever verify).
 */
M2M_API M2M_WUR m2m_err m2m_token_trust_parse(m2m_token_trust *t, const char *text, size_t len,
					       m2m_token_cert_reader read, void *read_ctx, char *errmsg,
					       size_t errcap);
/* Read and parse the das-trust file path (certificates read with m2m_file_read, relative paths
 * from the working directory). Errors as m2m_token_trust_parse, plus the file's own error with
 * errmsg naming it. *out is NULL unless M2M_OK. */
M2M_API M2M_WUR m2m_err m2m_token_trust_load(const char *path, m2m_token_trust **out, char *errmsg,
					      size_t errcap);

/* ---- verification (the Hosting CSE side) ---------------------------------------------------- */

/* A security-validated token: immutable, reference counted. */
typedef struct m2m_token m2m_token;

typedef struct m2m_token_verify_opts {
	unsigned algs;         /* algorithms this CSE permits at all; 0 = ES256 only. A token's alg
				* must be in algs AND in its issuer's set (das-trust line) */
	size_t max_len;        /* largest compact token accepted; 0 = M2M_TOKEN_MAX_LEN */
	int64_t now;           /* current time, UTC seconds (parse: the issuer certificate's window;
				* check: the token's window) */
	/* m2m_token_check only: */
	const char *audience;  /* this CSE's Absolute CSE-ID ("//sp.example.com/id-in"); NULL = the
				* audience is not checked (only for `m2msec das token verify`) */
	bool audience_optional;/* accept a token without "aud" (clause 7.3.2.5 makes the check
				* conditional); false = such a token is M2M_E_TOKEN_AUDIENCE because
				* clause 7.3.2.3 step 7.1.3 requires the CSE-ID to match */
	const char *holder;    /* Absolute ID of the authenticated Originator; NULL = not checked */
	int64_t skew;          /* tolerated clock difference in seconds (>= 0); the window is
				* [nbf - skew, exp + skew]; use M2M_TOKEN_DEFAULT_SKEW */
} m2m_token_verify_opts;

/*
 * Security validation (stage 1) of the compact token text[0..len) against trust. Order, each a
 * distinct refusal: M2M_E_TOKEN_TOO_LARGE (len), M2M_E_TOKEN_FORMAT (not 3 base64url parts;
 * 5 parts = JWE: M2M_E_TOKEN_CLASS), M2M_E_TOKEN_HEADER, M2M_E_TOKEN_UNSECURED / M2M_E_TOKEN_ALG,
 * M2M_E_TOKEN_CLAIMS (payload not a JSON object or no "iss"), M2M_E_TOKEN_ISSUER (not in trust,
 * or its certificate not valid at opts->now), M2M_E_TOKEN_ALG (alg not allowed for that issuer),
 * M2M_E_TOKEN_SIGNATURE, then M2M_E_TOKEN_CLAIMS / M2M_E_TOKEN_PERMISSIONS for the claim syntax.
 * *out (refcount 1) is NULL unless M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_token_parse(const char *text, size_t len, const m2m_token_trust *trust,
					 const m2m_token_verify_opts *opts, m2m_token **out);
/* Content validation (stage 2), in this order: M2M_E_TOKEN_AUDIENCE, M2M_E_TOKEN_HOLDER,
 * M2M_E_TOKEN_NOT_YET_VALID, M2M_E_TOKEN_EXPIRED. */
M2M_API M2M_WUR m2m_err m2m_token_check(const m2m_token *tok, const m2m_token_verify_opts *opts);
/* Both stages. */
M2M_API M2M_WUR m2m_err m2m_token_verify(const char *text, size_t len, const m2m_token_trust *trust,
					  const m2m_token_verify_opts *opts, m2m_token **out);

M2M_API m2m_token *m2m_token_ref(m2m_token *tok);
M2M_API void m2m_token_unref(m2m_token *tok); /* NULL is a no-op */
M2M_API const m2m_token_claims *m2m_token_claims_of(const m2m_token *tok);
/* The JWS algorithm the token was verified with (one M2M_TOKEN_ALG_* bit). */
M2M_API unsigned m2m_token_alg(const m2m_token *tok);
/* SHA-256 of the compact text: the cache key. */
M2M_API const uint8_t *m2m_token_digest(const m2m_token *tok);
/* True when the audience of tok includes cse_id (absolute; '*' of TS-0003 clause 7.1.3 matches
 * within one '/'-segment). */
M2M_API bool m2m_token_audience_match(const m2m_token *tok, const char *cse_id);

/* The Response Status Code for a refusal: 4000 BAD_REQUEST for a token that is not even
 * well-formed (FORMAT, TOO_LARGE, HEADER, CLAIMS, PERMISSIONS, CLASS), 4103
 * ORIGINATOR_HAS_NO_PRIVILEGE for every verification failure, 5000 for anything else. */
M2M_API int m2m_token_err_rsc(m2m_err err);

/* ---- the verified-token cache ----------------------------------------------------------------- */

typedef struct m2m_token_cache m2m_token_cache;

/* At most capacity (>= 1) tokens, least recently used evicted; also at most capacity revoked
 * token IDs remembered (until their notAfter). Thread-safe. */
M2M_API M2M_WUR m2m_err m2m_token_cache_new(size_t capacity, m2m_token_cache **out);
M2M_API void m2m_token_cache_free(m2m_token_cache *c);
/*
 * The cached token for the compact text (keyed by its SHA-256): *out a NEW reference and M2M_OK;
 * M2M_E_NOT_FOUND when absent or past its notAfter + skew at now (the entry is dropped);
 * M2M_E_TOKEN_REVOKED when its token ID was revoked. Stage 2 (m2m_token_check) is still the
 * caller's, per request.
 */
M2M_API M2M_WUR m2m_err m2m_token_cache_get(m2m_token_cache *c, const char *text, size_t len, int64_t now,
					     int64_t skew, m2m_token **out);
/* Insert tok (the cache takes its own reference). M2M_E_TOKEN_REVOKED when its token ID is
 * revoked, M2M_E_TOKEN_EXPIRED when already past notAfter + skew (nothing cached). */
M2M_API M2M_WUR m2m_err m2m_token_cache_put(m2m_token_cache *c, m2m_token *tok, int64_t now, int64_t skew);
/*
 * Revoke token_id (deleting its <token> resource, TS-0001 §9.6.39): every cached token with that
 * "jti" is dropped and the ID is remembered until `until` (its notAfter; INT64_MAX when unknown)
 * so the same token presented again is refused. *dropped (may be NULL) = tokens removed.
 * M2M_E_STORAGE_FULL when capacity revoked IDs are already remembered and none has expired
 * (fail closed: the caller must not report the revocation as done).
 */
M2M_API M2M_WUR m2m_err m2m_token_cache_revoke(m2m_token_cache *c, const char *token_id, int64_t until,
						int64_t now, size_t *dropped);
/* Drop every cached token (keeps the revoked IDs): after the trust set changed (das-trust
 * reloaded), tokens verified against the old one must be verified again. */
M2M_API void m2m_token_cache_clear(m2m_token_cache *c);
/* Tokens currently cached. */
M2M_API size_t m2m_token_cache_count(m2m_token_cache *c);

#endif
