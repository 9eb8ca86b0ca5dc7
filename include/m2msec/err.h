/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the one error type of libm2msec: 0 is success, every error is negative and
 * has a fixed, non-empty description (m2m_strerror). Library functions return an m2m_err and never
 * print or exit; callers map errors to exit codes (CLI) or oneM2M Response Status Codes (services).
 * Codes are grouped by module; never renumber a published code.
 */
#ifndef M2MSEC_ERR_H
#define M2MSEC_ERR_H

#include "m2msec/common.h"

typedef int m2m_err;

/* X-macro: name, value, description. The table in err.c and the enum are generated from it. */
#define M2M_ERR_TABLE(X) \
	X(M2M_OK, 0, "success") \
	/* generic */ \
	X(M2M_E_INVAL, -1, "invalid argument") \
	X(M2M_E_NOMEM, -2, "out of memory") \
	X(M2M_E_CRYPTO, -3, "cryptographic library failure") \
	X(M2M_E_IO, -4, "input/output error") \
	X(M2M_E_KEY_PERMS, -5, "credential file permissions too open (must be 0600 or stricter)") \
	X(M2M_E_AUTH, -6, "authentication failed") \
	X(M2M_E_NOT_FOUND, -7, "not found") \
	X(M2M_E_EXISTS, -8, "already exists") \
	X(M2M_E_RANGE, -9, "value out of range") \
	X(M2M_E_UNSUPPORTED, -10, "not supported") \
	X(M2M_E_CONFIG, -11, "invalid configuration") \
	X(M2M_E_PROTO, -12, "malformed protocol message") \
	X(M2M_E_TOO_LARGE, -13, "input too large") \
	X(M2M_E_INTERNAL, -14, "internal error") \
	/* identifiers (core/id.c), TS-0003 clause 10.4-10.6, TS-0001 clause 7.2 */ \
	X(M2M_E_ID_EMPTY, -20, "identifier is empty") \
	X(M2M_E_ID_TOO_LONG, -21, "identifier is too long") \
	X(M2M_E_ID_BAD_UTF8, -22, "identifier is not valid UTF-8") \
	X(M2M_E_ID_BAD_CHAR, -23, "identifier contains a character not allowed here") \
	X(M2M_E_ID_BAD_HEX, -24, "identifier has invalid hexBinary") \
	X(M2M_E_ID_NO_AT, -25, "identifier lacks '@' before the issuer FQDN") \
	X(M2M_E_ID_BAD_FQDN, -26, "identifier has an invalid FQDN") \
	X(M2M_E_ID_WILDCARD, -27, "wildcard not allowed in this identifier") \
	X(M2M_E_ID_BAD_FORM, -28, "identifier does not have the required form") \
	X(M2M_E_ID_BAD_TYPE, -29, "unknown identifier type or enumeration value") \
	X(M2M_E_ID_BAD_LEN, -30, "identifier component has the wrong length") \
	/* keys (core/key.c, core/kdf.c), TS-0003 clause 10.3 */ \
	X(M2M_E_KEY_LEN, -40, "key has the wrong length") \
	X(M2M_E_KEY_EXPIRED, -41, "credential has expired") \
	X(M2M_E_KEY_NOT_YET_VALID, -42, "credential is not yet valid") \
	X(M2M_E_KEY_REVOKED, -43, "credential has been revoked") \
	/* credential store (store/) */ \
	X(M2M_E_STORE, -50, "credential store failure") \
	X(M2M_E_STORE_SCHEMA, -51, "credential store has an unknown schema version") \
	/* certificates and the CA (pki/), TS-0003 clause 10.1 */ \
	X(M2M_E_CERT, -60, "certificate is invalid") \
	X(M2M_E_CERT_NAME, -61, "certificate name is not allowed (wildcard, SAN or nameConstraints)") \
	X(M2M_E_CERT_EXPIRED, -62, "certificate has expired or is not yet valid") \
	X(M2M_E_CERT_UNTRUSTED, -63, "certificate does not chain to a trust anchor") \
	/* access-control policies (core/acp*.c), TS-0003 clause 7.1 */ \
	X(M2M_E_ACP_PARSE, -90, "access-control rule set is malformed (bad JSON, missing or unknown member)") \
	X(M2M_E_ACP_VALUE, -91, "access-control rule has a value of the wrong type or out of range") \
	X(M2M_E_ACP_CRON, -92, "access-control window is not a valid 7-field schedule entry") \
	X(M2M_E_ACP_IP, -93, "access-control IP address or prefix is invalid") \
	X(M2M_E_ACP_ORIG, -94, "access-control originator entry is invalid") \
	X(M2M_E_ACP_LIMIT, -95, "access-control rule set exceeds a size limit") \
	/* HTTP binding and server (bindings/http_*.c), TS-0009 */ \
	X(M2M_E_HTTP_BIND, -110, "HTTP listener cannot bind its address (in use or not permitted)") \
	X(M2M_E_HTTP_FRAMING, -111, "HTTP message framing is ambiguous (request smuggling)") \
	/* CSE core and resource store (services/cse/, store/resstore_sqlite.c), TS-0004 clause 7 */ \
	X(M2M_E_RESSTORE, -120, "resource store failure") \
	X(M2M_E_RESSTORE_SCHEMA, -121, "resource store has an unknown schema version") \
	X(M2M_E_STORAGE_FULL, -122, "store is full (disk or database size limit)") \
	X(M2M_E_STORAGE_READONLY, -123, "store is read-only") \
	/* oneM2M tokens (core/token*.c), TS-0003 clauses 7.3.2.4-7.3.2.6; one code per refusal */ \
	X(M2M_E_TOKEN_FORMAT, -130, "token is not a compact JWS (m2m:dynAuthJWT)") \
	X(M2M_E_TOKEN_TOO_LARGE, -131, "token exceeds a size, count or nesting limit") \
	X(M2M_E_TOKEN_HEADER, -132, "token JOSE header is malformed (typ, cty, crit)") \
	X(M2M_E_TOKEN_ALG, -133, "token algorithm is not permitted for its issuer") \
	X(M2M_E_TOKEN_UNSECURED, -134, "unsecured token (alg none) is not permitted") \
	X(M2M_E_TOKEN_CLASS, -135, "token ESData security class is not supported (JWE)") \
	X(M2M_E_TOKEN_ISSUER, -136, "token issuer is not trusted") \
	X(M2M_E_TOKEN_SIGNATURE, -137, "token signature does not verify") \
	X(M2M_E_TOKEN_CLAIMS, -138, "token claim set is malformed (missing or mistyped claim)") \
	X(M2M_E_TOKEN_PERMISSIONS, -139, "token permissions (tkps) are malformed") \
	X(M2M_E_TOKEN_AUDIENCE, -140, "token audience does not include this CSE") \
	X(M2M_E_TOKEN_HOLDER, -141, "token holder is not the originator") \
	X(M2M_E_TOKEN_EXPIRED, -142, "token has expired") \
	X(M2M_E_TOKEN_NOT_YET_VALID, -143, "token is not yet valid") \
	X(M2M_E_TOKEN_REVOKED, -144, "token has been revoked") \
	X(M2M_E_TOKEN_KEY, -145, "token signing key is unusable or does not match its certificate") \
	X(M2M_E_TOKEN_TRUST, -146, "token issuer trust file (das-trust) is invalid") \
	/* GBA and UMTS AKA (core/aka.c, core/digest_aka.c), 3GPP TS 33.102, TS 33.220, RFC 3310 */ \
	X(M2M_E_AKA_MAC, -160, "AKA authentication failed (MAC does not verify)") \
	X(M2M_E_AKA_SYNC, -161, "AKA sequence number out of range (resynchronisation needed)") \
	/* ESData (core/esdata*.c), TS-0003 clause 8.5; one code per refusal */ \
	X(M2M_E_ESD_FORMAT, -150, "ESData object is not a JWE/JWS compact or JSON serialisation") \
	X(M2M_E_ESD_TOO_LARGE, -151, "ESData object exceeds a size, count or nesting limit") \
	X(M2M_E_ESD_HEADER, -152, "ESData JOSE header is malformed (typ, cty, crit, kid)") \
	X(M2M_E_ESD_UNSECURED, -153, "ESData algorithm none is never permitted") \
	X(M2M_E_ESD_ALG, -154, "ESData algorithm is not permitted") \
	X(M2M_E_ESD_CLASS, -155, "ESData security class is not the expected one") \
	X(M2M_E_ESD_KEY, -156, "no ESData credential fits the algorithm and key identifier") \
	X(M2M_E_ESD_DECRYPT, -157, "ESData decryption failed (authentication tag or key unwrap)") \
	X(M2M_E_ESD_SIGNATURE, -158, "ESData signature does not verify") \
	X(M2M_E_ESD_LIMIT, -159, "direct AES-GCM key reached its 2^32 invocation limit") \
	/* ESPrim (core/esprim*.c), TS-0003 clause 8.4, TS-0004 Table 7.6.2-1; one code per refusal */ \
	X(M2M_E_ESP_FORMAT, -170, "ESPrim object cannot be parsed") \
	X(M2M_E_ESP_UNSUPPORTED, -171, "ESPrim protocol, AEAD or key generation algorithm not supported") \
	X(M2M_E_ESP_KEY_ID, -172, "ESPrim pairwise key identifier unknown or expired") \
	X(M2M_E_ESP_ORIG_RAND, -173, "ESPrim originator rand object unknown or expired") \
	X(M2M_E_ESP_RECV_RAND, -174, "ESPrim receiver rand object unknown or expired") \
	X(M2M_E_ESP_BAD_MAC, -175, "ESPrim integrity verification failed") \
	X(M2M_E_ESP_DECRYPT, -176, "ESPrim object could not be decrypted") \
	X(M2M_E_ESP_ENCRYPT, -177, "ESPrim object could not be formed") \
	X(M2M_E_ESP_IMPERSONATION, -178, "ESPrim inner From is not the identity of the pairwise key") \
	X(M2M_E_ESP_RAND_OBJ, -179, "ESPrim rand object is malformed") \
	X(M2M_E_SECI_FORMAT, -180, "securityInfo (m2m:seci) is malformed")

enum m2m_err_code {
#define M2M_ERR_ENUM(name, value, text) name = (value),
	M2M_ERR_TABLE(M2M_ERR_ENUM)
#undef M2M_ERR_ENUM
};

/* A fixed description of err; never NULL, never contains secret data. */
M2M_API const char *m2m_strerror(m2m_err err);
/* The symbolic name ("M2M_E_ID_BAD_HEX"); "M2M_E_UNKNOWN" for a value not in the table. */
M2M_API const char *m2m_errname(m2m_err err);

#endif
