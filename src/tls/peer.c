/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the server side of the Certificate-Based SAEF (TS-0003 clause 8.2.2.2):
 * the client certificate is path-validated by OpenSSL against the configured trust anchors
 * (RFC 5280 clause 6.1, clause 8.1.2.5), must meet the clause 10.1.1 profile (ECDSA P-256 key,
 * keyUsage digitalSignature, extendedKeyUsage absent or allowing clientAuth, not a CA), and its
 * subjectAltName is mapped to the identity Entity B binds (clause 8.2.1): the URI form of an
 * AE-ID certificate (clause 10.1.1.5) to the Absolute AE-ID, the public domain name of a CSE-ID
 * certificate (clause 10.1.1.7) to the Absolute CSE-ID in our SP, and the Node-ID of a Node-ID
 * certificate (clause 10.1.1.8, an RFC 4043 permanentIdentifier, docs/pki.md) to the
 * Credential-ID "34-<Node-ID>" with no bound AE-ID or CSE-ID (clause 8.2.1: a Node-ID certificate
 * is not an AE or CSE identity, so the CSE's originator rules fail closed for it except AE
 * registration). Wildcards, no usable SAN or two different identities fail the handshake. It also answers m2m_tls_peer_sa() for both PSK
 * and certificate associations (TS-0004 clause 7.3.2.1 consumes it).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "m2msec/id.h"
#include "pki/cert_facts.h"
#include "pki/cert_profile.h"
#include "tls/tls_int.h"

/* Client certificate chains: leaf + at most 3 CAs above it ("keep chains short", 10.1.1). */
#define PEER_VERIFY_DEPTH 4

/* Clause 10.1.1.1/10.1.1.3 profile of a client leaf certificate. */
static m2m_err leaf_profile(X509 *leaf)
{
	uint32_t flags = X509_get_extension_flags(leaf);

	if (!m2mi_tls_key_is_p256(X509_get0_pubkey(leaf)))
		return M2M_E_CERT;
	if (X509_check_ca(leaf) != 0)
		return M2M_E_CERT;
	if ((flags & EXFLAG_KUSAGE) == 0 || (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) == 0)
		return M2M_E_CERT;
	if ((flags & EXFLAG_XKUSAGE) != 0 && (X509_get_extended_key_usage(leaf) & XKU_SSL_CLIENT) == 0)
		return M2M_E_CERT;
	return M2M_OK;
}

/* Canonical form of the parsed s[0..len) of kind expect into out. */
static m2m_err parse_canon(const char *s, size_t len, m2m_id_kind expect, char *out, size_t cap)
{
	m2m_id *id = NULL;
	m2m_err r;

	if ((r = m2m_id_parse(s, len, expect, &id)) == M2M_OK)
		r = m2mi_tls_copy(out, cap, m2m_id_canonical(id));
	m2m_id_free(id);
	return r;
}

/* A DNS SAN "<cse>.<sp_fqdn>" -> Absolute CSE-ID "//<sp_fqdn>/<cse>", the inverse of
 * m2m_id_cse_domain_name. Anything else is not usable (M2M_E_NOT_FOUND). */
static m2m_err dns_to_cse(const char *dns, size_t len, const char *sp_fqdn, char *out, size_t cap)
{
	char low[256], rel[256], back[256], abs[512];
	size_t sl = strlen(sp_fqdn), ll;
	m2m_id *id = NULL;
	m2m_err r = M2M_E_NOT_FOUND;

	if (sl == 0 || len >= sizeof(low))
		return M2M_E_NOT_FOUND;
	for (size_t i = 0; i < len; i++)
		low[i] = (char)((dns[i] >= 'A' && dns[i] <= 'Z') ? dns[i] - 'A' + 'a' : dns[i]);
	if (len > 0 && low[len - 1] == '.')
		len--;
	low[len] = '\0';
	if (len <= sl + 1 || low[len - sl - 1] != '.' || strcmp(low + len - sl, sp_fqdn) != 0)
		return M2M_E_NOT_FOUND;
	ll = len - sl - 1;
	if (memchr(low, '.', ll) != NULL)
		return M2M_E_NOT_FOUND; /* a deeper name is not a CSE-ID of this SP */
	snprintf(rel, sizeof(rel), "/%.*s", (int)ll, low);
	if (m2m_id_parse(rel, ll + 1, M2M_ID_CSE_ID, &id) != M2M_OK)
		goto out;
	/* Agree with the documented forward mapping (include/m2msec/id.h). */
	if (m2m_id_cse_domain_name(id, sp_fqdn, back, sizeof(back)) != M2M_OK ||
	    strcasecmp(back, low) != 0) /* public: host names */
		goto out;
	snprintf(abs, sizeof(abs), "//%s/%.*s", sp_fqdn, (int)ll, low);
	r = parse_canon(abs, strlen(abs), M2M_ID_CSE_ID, out, cap);
	if (r != M2M_OK && r != M2M_E_RANGE)
		r = M2M_E_NOT_FOUND;
out:
	m2m_id_free(id);
	return r;
}

/* The identity one SAN denotes. M2M_E_NOT_FOUND: not usable, ignored; other errors reject the
 * certificate (wildcard, embedded NUL, malformed m2m: URI). */
static m2m_err san_identity(const GENERAL_NAME *g, const char *sp_fqdn, char *out, size_t cap,
			    m2m_entity_kind *kind)
{
	const ASN1_IA5STRING *s;
	const char *v;
	size_t len;
	m2m_err nr;

	/* Clause 10.1.1.8: a Node-ID identifies a Node, no AE or CSE (M2M_ENTITY_UNKNOWN). */
	if ((nr = m2mi_cert_profile_node_id(g, out, cap)) != M2M_E_NOT_FOUND) {
		*kind = M2M_ENTITY_UNKNOWN;
		return nr == M2M_OK ? M2M_OK : M2M_E_CERT_NAME;
	}
	if (g->type == GEN_URI)
		s = g->d.uniformResourceIdentifier;
	else if (g->type == GEN_DNS)
		s = g->d.dNSName;
	else
		return M2M_E_NOT_FOUND;
	v = (const char *)ASN1_STRING_get0_data(s);
	len = (size_t)ASN1_STRING_length(s);
	if (v == NULL || len == 0 || memchr(v, '\0', len) != NULL)
		return M2M_E_CERT_NAME;
	if (memchr(v, '*', len) != NULL)
		return M2M_E_CERT_NAME; /* clause 10.1.1.5-10.1.1.7: no wildcards */
	if (g->type == GEN_DNS) {
		*kind = M2M_ENTITY_CSE;
		return dns_to_cse(v, len, sp_fqdn, out, cap);
	}
	if (len < 6 || strncasecmp(v, "m2m://", 6) != 0) /* public: URI scheme */
		return M2M_E_NOT_FOUND;
	m2m_id *id = NULL;
	m2m_err r = m2m_id_from_ae_uri(v, len, &id);
	if (r == M2M_OK)
		r = m2mi_tls_copy(out, cap, m2m_id_canonical(id));
	else
		r = M2M_E_CERT_NAME;
	m2m_id_free(id);
	*kind = M2M_ENTITY_AE;
	return r;
}

static m2m_err fill_cert_sa(X509 *leaf, m2m_entity_kind kind, const char *bound, m2m_sa *out)
{
	char hex[M2MI_CERT_FINGERPRINT_HEX];
	m2m_err r;

	if ((r = m2mi_cert_fingerprint(leaf, true, hex, sizeof(hex))) != M2M_OK)
		return r;
	out->kind = M2M_SA_CERT;
	out->entity = kind;
	if (kind == M2M_ENTITY_UNKNOWN) {
		/* Clause 8.2.1: "the Credential-ID formed from the globally unique Node identifier in
		 * the certificate" (credIDTypeID 34, Table 12.3.2.1-1); nothing is bound yet. */
		int n = snprintf(out->credential_id, sizeof(out->credential_id), "%d-%s", M2M_CRED_TLS_NODE_CERT,
				 bound);
		if (n < 0 || (size_t)n >= sizeof(out->credential_id))
			return M2M_E_CERT_NAME;
		out->suid = 0;
		return m2mi_cert_time(X509_get0_notAfter(leaf), &out->expiry);
	}
	if ((r = m2mi_tls_copy(out->bound_id, sizeof(out->bound_id), bound)) != M2M_OK)
		return r;
	snprintf(out->credential_id, sizeof(out->credential_id), "%d-%s",
		 kind == M2M_ENTITY_AE ? M2M_CRED_TLS_AE_CERT : M2M_CRED_TLS_CSE_CERT, hex);
	out->suid = 0;
	return m2mi_cert_time(X509_get0_notAfter(leaf), &out->expiry);
}

m2m_err m2mi_peer_binding(X509 *leaf, const char *sp_fqdn, m2m_sa *out)
{
	GENERAL_NAMES *gens = NULL;
	char cand[M2M_SA_ID_MAX] = "", one[M2M_SA_ID_MAX];
	m2m_entity_kind ck = M2M_ENTITY_UNKNOWN, k = M2M_ENTITY_UNKNOWN;
	int crit = 0;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	if (leaf == NULL)
		return M2M_E_INVAL;
	if ((r = leaf_profile(leaf)) != M2M_OK)
		return r;
	/* NULL also when the extension is present twice (crit == -2): refused. */
	if ((gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, NULL)) == NULL)
		return M2M_E_CERT_NAME;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		r = san_identity(sk_GENERAL_NAME_value(gens, i), sp_fqdn != NULL ? sp_fqdn : "", one,
				 sizeof(one), &k);
		if (r == M2M_E_NOT_FOUND)
			continue;
		if (r != M2M_OK)
			goto out;
		if (cand[0] != '\0' && (k != ck || strcmp(cand, one) != 0)) { /* public: identifiers */
			r = M2M_E_CERT_NAME; /* two identities: ambiguous, refuse */
			goto out;
		}
		memcpy(cand, one, sizeof(cand));
		ck = k;
	}
	if (cand[0] == '\0') {
		r = M2M_E_CERT_NAME;
		goto out;
	}
	r = fill_cert_sa(leaf, ck, cand, out);
out:
	GENERAL_NAMES_free(gens);
	if (r != M2M_OK)
		memset(out, 0, sizeof(*out));
	return r;
}

/* Replaces OpenSSL's verification step: RFC 5280 path validation first, then the profile and
 * SAN rules; the binding is stored on the connection. Returning 0 fails the handshake. */
static int peer_verify_cb(X509_STORE_CTX *xs, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	m2m_tls *tls = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	STACK_OF(X509_CRL) *crls = NULL;
	m2m_sa sa;
	m2m_err r;
	int ok;

	m2mi_tls_crl_attach(tls->crl, xs, &crls); /* TS-0003 8.1.2.2 certificate status */
	ok = X509_verify_cert(xs);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	if (ok != 1) {
		m2mi_tls_log_refused(__func__, "client certificate",
				     X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)), M2M_E_CERT_UNTRUSTED);
		return 0;
	}
	if ((r = m2mi_peer_binding(leaf, tls->sp_fqdn, &sa)) != M2M_OK ||
	    (r = m2mi_tls_set_sa(ssl, &sa)) != M2M_OK) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		m2mi_tls_log_refused(__func__, "client certificate", "subjectAltName/profile", r);
		return 0;
	}
	return 1;
}

m2m_err m2mi_peer_setup(m2m_tls *tls, const m2m_tls_config *cfg, char *errmsg, size_t errcap)
{
	/* A CRL only means something for certificate clients; a setting that cannot act is an error. */
	if (cfg->crl_file != NULL && (cfg->cert_file == NULL || cfg->trust_anchors == NULL || cfg->crl_refresh_s < 0)) {
		snprintf(errmsg, errcap, "crl-file needs cert and trust-anchors, crl-refresh-seconds >= 0");
		return M2M_E_CONFIG;
	}
	if (cfg->cert_file == NULL || cfg->server_auth_only || cfg->crl_file == NULL)
		return M2M_OK;
	if (m2mi_tls_crl_new(cfg->crl_file, cfg->crl_refresh_s, &tls->crl) != M2M_OK) {
		snprintf(errmsg, errcap, "crl-file: no PEM CRL could be loaded");
		return M2M_E_CONFIG;
	}
	return M2M_OK;
}

m2m_err m2mi_peer_ctx(m2m_tls *tls, SSL_CTX *ctx, const m2m_tls_config *cfg, char *errmsg, size_t errcap)
{
	STACK_OF(X509_NAME) *cas = NULL;

	if (cfg->cert_file == NULL || cfg->server_auth_only) {
		/* PSK only: no certificate handshake can complete; server authentication only: no
		 * client certificate is requested (m2m_tls_peer_sa answers M2M_SA_NONE) */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return M2M_OK;
	}
	/*
	 * A certificate handshake must authenticate the client: without trust anchors the store
	 * is empty and every client certificate fails. FAIL_IF_NO_PEER_CERT only applies when a
	 * certificate was requested, which OpenSSL never does for PSK handshakes (1.2 or 1.3).
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, PEER_VERIFY_DEPTH);
	SSL_CTX_set_cert_verify_callback(ctx, peer_verify_cb, tls);
	if (cfg->trust_anchors == NULL)
		return M2M_OK;
	if (SSL_CTX_load_verify_file(ctx, cfg->trust_anchors) != 1 ||
	    (cas = SSL_load_client_CA_file(cfg->trust_anchors)) == NULL) {
		snprintf(errmsg, errcap, "trust anchors: no PEM certificate could be loaded");
		return M2M_E_CONFIG;
	}
	SSL_CTX_set_client_CA_list(ctx, cas);
	/* OpenSSL decodes a certificate's extensions at its first use and caches them behind a flag
	 * it reads without the certificate's lock: decode them now, while ctx is not yet shared, so
	 * concurrent handshakes on it only read (tls_reload.c: a context is immutable once published). */
	STACK_OF(X509) *all = X509_STORE_get1_all_certs(SSL_CTX_get_cert_store(ctx));
	if (all == NULL)
		return M2M_E_NOMEM;
	for (int i = 0; i < sk_X509_num(all); i++)
		(void)X509_check_purpose(sk_X509_value(all, i), -1, 0);
	sk_X509_pop_free(all, X509_free);
	return M2M_OK;
}

m2m_err m2mi_peer_copy(m2m_tls *tls, SSL_CTX *from, SSL_CTX *to)
{
	int mode = SSL_CTX_get_verify_mode(from);
	STACK_OF(X509_NAME) *cas = SSL_CTX_get_client_CA_list(from), *dup = NULL;

	SSL_CTX_set_verify(to, mode, NULL);
	if (mode == SSL_VERIFY_NONE)
		return M2M_OK;
	SSL_CTX_set_verify_depth(to, PEER_VERIFY_DEPTH);
	SSL_CTX_set_cert_verify_callback(to, peer_verify_cb, tls);
	/* the same X509_STORE (shared, up-referenced): one set of trust anchors for both */
	SSL_CTX_set1_cert_store(to, SSL_CTX_get_cert_store(from));
	if (cas != NULL) {
		if ((dup = SSL_dup_CA_list(cas)) == NULL)
			return M2M_E_NOMEM;
		SSL_CTX_set_client_CA_list(to, dup);
	}
	return M2M_OK;
}

m2m_err m2m_tls_peer_sa(m2m_tls *tls, SSL *ssl, m2m_sa *out)
{
	const m2m_sa *sa;
	bool psk;

	if (out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	if (!m2mi_tls_ok(tls) || ssl == NULL || m2mi_tls_of_ssl(ssl) != tls)
		return M2M_E_INVAL;
	/* Server authentication only: the client is anonymous at this layer (a certificate-based
	 * suite is the only one negotiable: no PSK is configured), kind NONE. */
	if (tls->server_auth_only) {
		if (!SSL_is_init_finished(ssl) || SSL_CIPHER_get_auth_nid(SSL_get_current_cipher(ssl)) == NID_auth_psk)
			return M2M_E_AUTH;
		out->kind = M2M_SA_NONE;
		return M2M_OK;
	}
	if (!SSL_is_init_finished(ssl) || (sa = m2mi_tls_get_sa(ssl)) == NULL)
		return M2M_E_AUTH;
	/* How the peer authenticated, from the negotiated handshake, not from the slot. */
	if (SSL_version(ssl) == TLS1_3_VERSION)
		psk = SSL_session_reused(ssl) == 1; /* resumption is off: reuse = external PSK */
	else
		psk = SSL_CIPHER_get_auth_nid(SSL_get_current_cipher(ssl)) == NID_auth_psk;
	if (psk && sa->kind != M2M_SA_PSK)
		return M2M_E_AUTH;
	if (!psk && (sa->kind != M2M_SA_CERT || SSL_get0_peer_certificate(ssl) == NULL ||
		     SSL_get_verify_result(ssl) != X509_V_OK))
		return M2M_E_AUTH;
	if (sa->credential_id[0] == '\0' || (sa->entity == M2M_ENTITY_UNKNOWN) != (sa->bound_id[0] == '\0'))
		return M2M_E_AUTH;
	*out = *sa;
	return M2M_OK;
}
