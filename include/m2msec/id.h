/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the parsing, validation and formatting of oneM2M identifiers:
 *  - KeID = hexBinary(RelativeKeID) "@" MEF-FQDN                 TS-0003 clause 10.3.4
 *  - MAF/MEF key identifier = hexBinary(KcID) "@" MAF-FQDN       TS-0003 clause 10.3.5
 *  - KpsaID = Issuer_Relative_KpsaID "@" Issuer-FQDN             TS-0003 clause 10.5
 *  - KmID = MAF_RELATIVE_KmID "@" MAF-FQDN (case-insensitive)    TS-0003 clause 10.6
 *  - Credential-ID = credIDTypeID "-" value                      TS-0003 clause 10.4, 12.2
 *  - SUID (m2m:suid)                                             TS-0004 Table 6.3.4.2.39-1
 *  - CSE-ID, AE-ID, AE-ID-Stem, M2M-SP-ID                        TS-0001 clause 7.2, Table 7.2-1
 *  - Role-ID / Token-ID = issuerRelativeID "@" issuerFQDN         TS-0004 clause 6.3.3
 *  - FQDN (RFC 1035/1123 host name, no wildcard)
 * Pure: no I/O. Every malformed input gets a specific M2M_E_ID_* error.
 */
#ifndef M2MSEC_ID_H
#define M2MSEC_ID_H

#include "m2msec/err.h"
#include "m2msec/utf8.h"

/* The kinds of identifier. M2M_ID_ANY asks m2m_id_parse to classify (see m2m_id_parse). */
typedef enum m2m_id_kind {
	M2M_ID_ANY = 0,
	M2M_ID_KEID,          /* hexBinary(16 bytes)@MEF-FQDN */
	M2M_ID_KCID,          /* hexBinary(16 bytes)@MAF-FQDN: MAF/MEF key identifier */
	M2M_ID_KPSAID,        /* [A-Za-z0-9._-]+@Issuer-FQDN */
	M2M_ID_KMID,          /* [A-Za-z0-9._-]+@MAF-FQDN, case-insensitive (canonical: lowercase) */
	M2M_ID_CREDENTIAL_ID, /* credIDTypeID-value */
	M2M_ID_SUID,          /* decimal m2m:suid value */
	M2M_ID_CSE_ID,        /* SP-relative "/cse" or absolute "//sp.fqdn/cse" */
	M2M_ID_AE_ID,         /* AE-ID-Stem "Cxyz"/"Sxyz", SP-relative "/cse/Cxyz" or "/Sxyz", absolute */
	M2M_ID_SP_ID,         /* "//fqdn" */
	M2M_ID_FQDN,          /* host name */
	M2M_ID_ROLE_ID,       /* issuerRelativeID@issuerFQDN (m2m:roleID) */
	M2M_ID_TOKEN_ID,      /* issuerRelativeID@issuerFQDN (m2m:tokenID) */
} m2m_id_kind;

/* The form of a CSE-ID or AE-ID (TS-0001 Table 7.2-1). */
typedef enum m2m_id_form {
	M2M_ID_FORM_NONE = 0,
	M2M_ID_FORM_CSE_RELATIVE, /* AE-ID-Stem */
	M2M_ID_FORM_SP_RELATIVE,  /* starts with one '/' */
	M2M_ID_FORM_ABSOLUTE,     /* starts with "//" */
} m2m_id_form;

/* sec:credIDTypeID, TS-0003 Table 12.3.2.1-1. */
typedef enum m2m_cred_type {
	M2M_CRED_KPMID = 10, M2M_CRED_KMID = 11, M2M_CRED_KPSAID_KCID = 12,
	M2M_CRED_PAIRWISE_ESPRIM = 13, M2M_CRED_ESDATA_DIRECT = 14, M2M_CRED_ESDATA_KEYWRAP = 15,
	M2M_CRED_ESDATA_HMAC = 16,
	M2M_CRED_TLS_RAW_PUBKEY = 30, M2M_CRED_TLS_DEVICE_CERT = 31, M2M_CRED_TLS_CSE_CERT = 32,
	M2M_CRED_TLS_AE_CERT = 33, M2M_CRED_TLS_NODE_CERT = 34,
	/* 41..45: ESData key management, 51..55: ESData signatures, same flavours as 30..34 */
} m2m_cred_type;

/* m2m:suid, TS-0004 Table 6.3.4.2.39-1. */
M2M_API bool m2m_suid_valid(int suid);

typedef struct m2m_id m2m_id;

/* Length of hexBinary(RelativeKeID) and hexBinary(KcID): 16 bytes, 32 hex digits. */
#define M2M_REL_KEY_ID_LEN 16

/*
 * Parse s[0..len) as an identifier of kind `expect`. With M2M_ID_ANY the kind is inferred:
 * "NN-..." Credential-ID; "//x" with one segment SP-ID, "//sp/cse" CSE-ID, longer AE-ID;
 * "/x" CSE-ID, "/cse/C.." or "/S.." AE-ID; "C.."/"S.." without '/' or '@' AE-ID-Stem;
 * "<32 hex>@fqdn" KeID (a KcID has the same shape: ask for M2M_ID_KCID explicitly);
 * "<rel>@fqdn" KpsaID (KmID, Role-ID and Token-ID have the same shape: ask explicitly);
 * a bare host name FQDN. SUIDs are never inferred.
 * *out is NULL unless M2M_OK.
 */
M2M_API M2M_WUR m2m_err m2m_id_parse(const char *s, size_t len, m2m_id_kind expect, m2m_id **out);
M2M_API void m2m_id_free(m2m_id *id);

M2M_API m2m_id_kind m2m_id_kind_of(const m2m_id *id);
/* Short lowercase name of a kind ("keid", "kpsaid", "credential-id", "cse-id", ...). */
M2M_API const char *m2m_id_kind_name(m2m_id_kind kind);
/* Inverse of m2m_id_kind_name; M2M_E_ID_BAD_TYPE for an unknown name. */
M2M_API M2M_WUR m2m_err m2m_id_kind_from_name(const char *name, m2m_id_kind *out);

/* Canonical text: hexBinary parts uppercase, FQDNs lowercase without trailing dot, KmID
 * lowercase; everything else as given. Two identifiers denote the same thing iff canonical
 * forms are equal. */
M2M_API const char *m2m_id_canonical(const m2m_id *id);
/* The part before '@' (key/role/token ids), the Credential-ID value, or NULL. */
M2M_API const char *m2m_id_relative(const m2m_id *id);
/* The decoded 16 bytes of a KeID/KCID relative part; NULL for other kinds. */
M2M_API const uint8_t *m2m_id_relative_bytes(const m2m_id *id);
/* The FQDN of a key/role/token id, the SP FQDN of an absolute CSE-ID/AE-ID/SP-ID, the FQDN
 * itself for M2M_ID_FQDN; NULL otherwise. Lowercase. */
M2M_API const char *m2m_id_fqdn(const m2m_id *id);
M2M_API m2m_id_form m2m_id_form_of(const m2m_id *id);
/* CSE-ID part without slashes ("cse-in") of a CSE-ID or an SP-relative/absolute C-type AE-ID. */
M2M_API const char *m2m_id_cse(const m2m_id *id);
/* AE-ID-Stem of an AE-ID ("Cabc", "Sxyz"). */
M2M_API const char *m2m_id_stem(const m2m_id *id);
/* credIDTypeID of a Credential-ID, SUID value of an M2M_ID_SUID; 0 otherwise. */
M2M_API int m2m_id_number(const m2m_id *id);

/* Format hexBinary(rel)@fqdn (uppercase hex, lowercase FQDN) for a KeID or KcID into out.
 * fqdn is validated. out needs 2*16+1+strlen(fqdn)+1 bytes. */
M2M_API M2M_WUR m2m_err m2m_id_format_key_id(const uint8_t rel[M2M_REL_KEY_ID_LEN], const char *fqdn,
					      char *out, size_t outcap);
/* Validate a host name (no wildcard, labels 1..63 of [A-Za-z0-9-], not starting/ending with '-',
 * total <= 253, at least two labels, optional trailing dot). */
M2M_API M2M_WUR m2m_err m2m_id_check_fqdn(const char *s, size_t len);

/*
 * Certificate name forms (TS-0003 clause 10.1.1.5, 10.1.1.7; the spec leaves the exact
 * representation open, docs/identifiers.md records the choice):
 *  - CSE-ID public domain name: SP-relative CSE-ID "/cse-in" in SP "//sp.example.com" is
 *    "cse-in.sp.example.com".
 *  - AE-ID full URI: Absolute-AE-ID "//sp.example.com/cse-in/Cabc" is
 *    "m2m://sp.example.com/cse-in/Cabc".
 * Both functions write NUL-terminated text into out.
 */
M2M_API M2M_WUR m2m_err m2m_id_cse_domain_name(const m2m_id *cse_id, const char *sp_fqdn, char *out,
						size_t outcap);
M2M_API M2M_WUR m2m_err m2m_id_ae_uri(const m2m_id *ae_id, char *out, size_t outcap);
/* Inverse of m2m_id_ae_uri: "m2m://sp/cse/Cabc" -> absolute AE-ID. */
M2M_API M2M_WUR m2m_err m2m_id_from_ae_uri(const char *uri, size_t len, m2m_id **out);

#endif
