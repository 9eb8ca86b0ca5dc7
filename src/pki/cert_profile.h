/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements (internal to pki/) the TS-0003 clause 10.1.1 certificate profile rules:
 * name checks for subjectAltName values and nameConstraints subtrees (10.1.1.5-10.1.1.7: "shall
 * not include wildcards"), P-256 key generation and normalisation (10.1.1.1: id-ecPublicKey,
 * namedCurve secp256r1, uncompressed point), serial numbers, extensions, and the check that a
 * finished certificate meets 10.1.1.1/10.1.1.3 (ECDSA with SHA-256, keyUsage digitalSignature).
 */
#ifndef M2M_PKI_CERT_PROFILE_H
#define M2M_PKI_CERT_PROFILE_H

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "m2msec/err.h"

/* Longest SAN value accepted (bytes, without NUL). */
#define M2MI_SAN_MAX 1024

typedef enum m2mi_san_kind {
	M2MI_SAN_DNS = 1,
	M2MI_SAN_URI = 2,
	M2MI_SAN_IP = 3, /* iPAddress (RFC 5280 4.2.1.6), development server certificates only */
	M2MI_SAN_NODE = 4, /* Node-ID (TS-0003 10.1.1.8): otherName M2MI_NODE_ID_OID, UTF8String */
} m2mi_san_kind;

/*
 * TS-0003 clause 10.1.1.8 ("the subjectAltName extension shall include the Node-ID") leaves the
 * encoding open. m2msec carries it as an otherName id-on-permanentIdentifier (RFC 4043: a name
 * that stays with its subject across certificates) whose identifierValue (UTF8String) is the
 * M2M-Node-ID and whose assigner is absent. Not a URI SAN: OpenSSL 3.0 refuses a URN (no "//"
 * authority) under any URI nameConstraints subtree, so constrained CAs could not issue it.
 */
#define M2MI_NODE_ID_OID "1.3.6.1.5.5.7.8.3"
/* Longest Node-ID (the <node> resource's ni accepts 1..256 printable characters). */
#define M2MI_NODE_ID_MAX 256

/* The Node-ID of g when it is a permanentIdentifier otherName without assigner (value copied to
 * out, cap > M2MI_NODE_ID_MAX): M2M_OK; M2M_E_NOT_FOUND when g is another kind of name (an
 * assigner makes it an identifier of that assigner's namespace, not a Node-ID); M2M_E_CERT_NAME
 * when the value is malformed or not a valid Node-ID (empty, too long, control or space
 * characters, '*'). */
m2m_err m2mi_cert_profile_node_id(const GENERAL_NAME *g, char *out, size_t cap);

/* A nameConstraints domain: an FQDN without wildcard. Writes the canonical form (lowercase, no
 * trailing dot) to out. Errors: M2M_E_ID_* from m2m_id_check_fqdn, M2M_E_RANGE for cap. */
m2m_err m2mi_cert_profile_domain(const char *s, char *out, size_t cap);

/* One SAN value, optionally with an OpenSSL-style type prefix (DNS:, URI:, IP:, NODE:, any case;
 * NODE: is required for a Node-ID, 1..M2MI_NODE_ID_MAX printable ASCII characters without '*'):
 * "scheme://host[:port][/path]" is a URI (m2m:// must be an AE-ID URI), "IP:" an IPv4 or IPv6
 * address, anything else a DNS name (an FQDN, or "localhost"). Writes the kind and canonical form
 * (cap >= M2MI_SAN_MAX + 1; an address in inet_ntop form).
 * Errors: M2M_E_CERT_NAME (bad URI or address, '*', a prefix that contradicts the value),
 * M2M_E_ID_* (bad FQDN or AE-ID). */
m2m_err m2mi_cert_profile_san(const char *s, m2mi_san_kind *kind, char *out, size_t cap);

/* GENERAL_NAMES from n SAN values (validated as above, duplicates refused with
 * M2M_E_CERT_NAME); the canonical form of sans[0] is copied to first, or "" when it is an
 * address (an address in the commonName would be read as a host name by nameConstraints).
 * IP and localhost SANs are for development server certificates: next to an m2m:// AE-ID URI
 * (a client identity, TS-0003 10.1.1.5) they are refused with M2M_E_CERT_NAME, and so is a
 * Node-ID next to an AE-ID URI (two client identities) or next to another Node-ID. */
m2m_err m2mi_cert_profile_sans(const char *const *sans, size_t n, GENERAL_NAMES **out, char *first,
			       size_t cap);

/* A commonName: 1..M2M_CA_CN_MAX bytes of UTF-8 without control characters (M2M_E_INVAL), and
 * without '*' (M2M_E_CERT_NAME). */
m2m_err m2mi_cert_profile_cn(const char *cn);

/* A fresh P-256 key pair. */
m2m_err m2mi_cert_profile_keygen(EVP_PKEY **out);

/* The public half of in, re-encoded as P-256 named curve with an uncompressed point. Anything
 * else than an EC key on P-256 gives M2M_E_CERT. */
m2m_err m2mi_cert_profile_pubkey(const EVP_PKEY *in, EVP_PKEY **out);

/* A random positive 16-byte serial number (first byte 0x40..0x7f). */
m2m_err m2mi_cert_profile_serial(X509 *x);

/* Add the extension nid = value (OpenSSL config syntax) to x, issued by issuer (x itself when
 * self-signed). */
m2m_err m2mi_cert_profile_ext(X509 *x, X509 *issuer, int nid, const char *value);

/* TS-0003 clause 10.1.1.1/10.1.1.3: X.509 v3, id-ecPublicKey on namedCurve secp256r1 with an
 * uncompressed point, ecdsa-with-SHA256 signature, keyUsage with digitalSignature (M2M_E_CERT),
 * no '*' in any SAN or commonName (M2M_E_CERT_NAME). */
m2m_err m2mi_cert_profile_check(X509 *x);

#endif
