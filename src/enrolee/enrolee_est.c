/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the EST client of the enrolee (RFC 7030, TS-0003 clause 8.3.6): the
 * device generates its P-256 key pair (TS-0003 clause 10.1.1) and a PKCS#10 request whose
 * subjectAltName is its AE-ID (URI m2m://sp/cse/stem, clause 10.1.1.5) or CSE-ID (DNS public
 * domain name, clause 10.1.1.7) or, when the MEF's CERT_PROV command names a Node subject, its
 * Node-ID (clause 10.1.1.8, an otherName made by pki/cert_profile.c, docs/pki.md), GETs /cacerts and /csrattrs, POSTs /simpleenroll (or
 * /simplereenroll) with the base64 DER request and takes the certificate from the base64 DER
 * certs-only PKCS#7 answer. The private key never leaves the device.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "enrolee/enrolee_int.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"
#include "pki/cert_profile.h"

m2m_err m2mi_enr_subject_san(const char *enrolee_id, const char *registrar, char *out, size_t cap)
{
	m2m_id *id = NULL, *reg = NULL, *abs = NULL;
	const char *sp = NULL, *rcse = NULL;
	char buf[600];
	m2m_err r;
	int n = -1;

	if (enrolee_id == NULL || out == NULL)
		return M2M_E_INVAL;
	if ((r = m2m_id_parse(enrolee_id, strlen(enrolee_id), M2M_ID_ANY, &id)) != M2M_OK)
		return r;
	if (registrar != NULL && m2m_id_parse(registrar, strlen(registrar), M2M_ID_CSE_ID, &reg) == M2M_OK &&
	    m2m_id_form_of(reg) == M2M_ID_FORM_ABSOLUTE) {
		sp = m2m_id_fqdn(reg);
		rcse = m2m_id_cse(reg);
	}
	r = M2M_E_ID_BAD_FORM;
	if (m2m_id_kind_of(id) == M2M_ID_CSE_ID) {
		const char *isp = m2m_id_form_of(id) == M2M_ID_FORM_ABSOLUTE ? m2m_id_fqdn(id) : sp;
		r = isp != NULL ? m2m_id_cse_domain_name(id, isp, out, cap) : M2M_E_ID_BAD_FORM;
	} else if (m2m_id_kind_of(id) == M2M_ID_AE_ID) {
		switch (m2m_id_form_of(id)) {
		case M2M_ID_FORM_ABSOLUTE:
			n = snprintf(buf, sizeof(buf), "%s", enrolee_id);
			break;
		case M2M_ID_FORM_SP_RELATIVE:
			if (sp != NULL)
				n = snprintf(buf, sizeof(buf), "//%s%s", sp, enrolee_id);
			break;
		default: /* AE-ID-Stem: an S-type is SP-wide, a C-type lives under its registrar */
			if (sp != NULL && enrolee_id[0] == 'S')
				n = snprintf(buf, sizeof(buf), "//%s/%s", sp, enrolee_id);
			else if (sp != NULL && rcse != NULL)
				n = snprintf(buf, sizeof(buf), "//%s/%s/%s", sp, rcse, enrolee_id);
			break;
		}
		if (n > 0 && (size_t)n < sizeof(buf) &&
		    (r = m2m_id_parse(buf, (size_t)n, M2M_ID_AE_ID, &abs)) == M2M_OK)
			r = m2m_id_ae_uri(abs, out, cap);
		else if (r == M2M_E_ID_BAD_FORM && n > 0)
			r = M2M_E_ID_BAD_FORM;
	}
	m2m_id_free(abs);
	m2m_id_free(reg);
	m2m_id_free(id);
	return r;
}

bool m2mi_enr_node_san(const char *node_id, char *out, size_t cap)
{
	char in[M2MI_NODE_ID_MAX + 8], canon[M2MI_SAN_MAX + 1];
	m2mi_san_kind kind;
	int n;

	if (node_id == NULL || out == NULL || cap == 0 || strlen(node_id) > M2MI_NODE_ID_MAX)
		return false;
	snprintf(in, sizeof(in), "NODE:%s", node_id);
	if (m2mi_cert_profile_san(in, &kind, canon, sizeof(canon)) != M2M_OK || kind != M2MI_SAN_NODE)
		return false;
	n = snprintf(out, cap, "NODE:%s", canon);
	return n > 0 && (size_t)n < cap;
}

m2m_err m2mi_enr_csr_new(const char *san, const char *cn, EVP_PKEY **key, X509_REQ **req)
{
	EVP_PKEY *pk = NULL;
	X509_REQ *rq = NULL;
	X509_NAME *name = NULL;
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	m2m_err r = M2M_E_CRYPTO;

	*key = NULL;
	*req = NULL;
	if (san == NULL || san[0] == '\0' || strlen(san) > 512)
		return M2M_E_INVAL;
	/* TS-0003 clause 10.1.1: ECDSA over P-256, generated here, never sent. */
	if ((pk = EVP_EC_gen("P-256")) == NULL || (rq = X509_REQ_new()) == NULL || (name = X509_NAME_new()) == NULL)
		goto out;
	if (cn != NULL && X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn,
						      -1, -1, 0) != 1)
		goto out;
	if (strncasecmp(san, "NODE:", 5) == 0) { /* public: SAN spelling */
		char first[M2MI_SAN_MAX + 1];
		/* the CA's own encoder, so the CSR carries exactly what the MEF certifies */
		if ((r = m2mi_cert_profile_sans(&san, 1, &gens, first, sizeof(first))) != M2M_OK) {
			r = M2M_E_CERT_NAME;
			goto out;
		}
		r = M2M_E_CRYPTO;
	} else {
		if ((gens = sk_GENERAL_NAME_new_null()) == NULL || (gn = GENERAL_NAME_new()) == NULL ||
		    (ia5 = ASN1_IA5STRING_new()) == NULL || ASN1_STRING_set(ia5, san, (int)strlen(san)) != 1)
			goto out;
		GENERAL_NAME_set0_value(gn, strstr(san, "://") != NULL ? GEN_URI : GEN_DNS, ia5);
		ia5 = NULL;
		if (sk_GENERAL_NAME_push(gens, gn) <= 0)
			goto out;
		gn = NULL;
	}
	/* RFC 5280 clause 4.2.1.6: critical when the subject is empty. */
	if (X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, cn == NULL, X509V3_ADD_DEFAULT) != 1 ||
	    X509_REQ_set_version(rq, 0) != 1 || X509_REQ_set_subject_name(rq, name) != 1 ||
	    X509_REQ_set_pubkey(rq, pk) != 1 || X509_REQ_add_extensions(rq, exts) != 1 ||
	    X509_REQ_sign(rq, pk, EVP_sha256()) <= 0)
		goto out;
	*key = pk;
	*req = rq;
	pk = NULL;
	rq = NULL;
	r = M2M_OK;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	GENERAL_NAME_free(gn);
	ASN1_IA5STRING_free(ia5);
	X509_NAME_free(name);
	X509_REQ_free(rq);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return r;
}

m2m_err m2mi_enr_csr_b64(X509_REQ *req, char **out, size_t *outlen)
{
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);
	size_t b64len, lines, pos = 0;
	char *b64, *txt;

	*out = NULL;
	if (n <= 0)
		return M2M_E_CRYPTO;
	b64len = 4 * (((size_t)n + 2) / 3);
	lines = (b64len + 63) / 64;
	b64 = malloc(b64len + 1);
	txt = malloc(b64len + 2 * lines + 1);
	if (b64 == NULL || txt == NULL) {
		free(b64);
		free(txt);
		OPENSSL_free(der);
		return M2M_E_NOMEM;
	}
	EVP_EncodeBlock((unsigned char *)b64, der, n);
	OPENSSL_free(der);
	for (size_t i = 0; i < b64len; i += 64) {
		size_t k = b64len - i < 64 ? b64len - i : 64;
		memcpy(txt + pos, b64 + i, k);
		pos += k;
		txt[pos++] = '\r';
		txt[pos++] = '\n';
	}
	txt[pos] = '\0';
	free(b64);
	*out = txt;
	*outlen = pos;
	return M2M_OK;
}

m2m_err m2mi_enr_parse_certs_only(const char *b64, size_t len, STACK_OF(X509) **out)
{
	char *clean = malloc(len + 1);
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t n = 0, pad = 0;
	int dl;
	PKCS7 *p7 = NULL;
	STACK_OF(X509) *certs = NULL;
	m2m_err r = M2M_E_PROTO;

	*out = NULL;
	if (clean == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < len; i++) /* RFC 7030 clause 4.1.3: base64, line breaks allowed */
		if (!isspace((unsigned char)b64[i]))
			clean[n++] = b64[i];
	clean[n] = '\0';
	if (n == 0 || n % 4 != 0 || (der = malloc(n / 4 * 3 + 1)) == NULL)
		goto out;
	if ((dl = EVP_DecodeBlock(der, (unsigned char *)clean, (int)n)) < 0)
		goto out;
	pad = (clean[n - 1] == '=') + (n > 1 && clean[n - 2] == '=');
	p = der;
	if ((p7 = d2i_PKCS7(NULL, &p, dl - (int)pad)) == NULL || p != der + dl - (int)pad)
		goto out;
	if (OBJ_obj2nid(p7->type) != NID_pkcs7_signed || p7->d.sign == NULL || p7->d.sign->cert == NULL ||
	    sk_X509_num(p7->d.sign->cert) < 1)
		goto out;
	if ((certs = X509_chain_up_ref(p7->d.sign->cert)) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	*out = certs;
	r = M2M_OK;
out:
	PKCS7_free(p7);
	free(der);
	free(clean);
	ERR_clear_error();
	return r;
}

static m2m_err est_get(m2mi_enr_conn *c, const char *base, const char *op, const char *const *hdr,
		       const char *body, size_t blen, m2mi_enr_rsp *rsp)
{
	char path[600];

	if (snprintf(path, sizeof(path), "%s/%s", base, op) >= (int)sizeof(path))
		return M2M_E_TOO_LARGE;
	return m2mi_enr_http(c, body != NULL ? "POST" : "GET", path, hdr, body, blen, rsp);
}

/* PEM of a certificate list into a heap string. */
static char *certs_pem(X509 *leaf, STACK_OF(X509) *rest)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *s = NULL;
	long n;

	if (b == NULL || PEM_write_bio_X509(b, leaf) != 1)
		goto out;
	for (int i = 0; i < sk_X509_num(rest); i++)
		if (sk_X509_value(rest, i) != leaf && PEM_write_bio_X509(b, sk_X509_value(rest, i)) != 1)
			goto out;
	n = BIO_get_mem_data(b, &data);
	if (n > 0 && (s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, data, (size_t)n);
		s[n] = '\0';
	}
out:
	BIO_free(b);
	return s;
}

static char *key_pem(EVP_PKEY *pk)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *data, *s = NULL;
	long n;

	if (b != NULL && PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (n = BIO_get_mem_data(b, &data)) > 0 && (s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, data, (size_t)n);
		s[n] = '\0';
	}
	BIO_free(b);
	return s;
}

/* The reason of an EST refusal: step, status and the first printable line of the answer. */
static void est_why(char *why, size_t cap, const char *step, const m2mi_enr_rsp *rsp)
{
	size_t n = 0;
	const char *b = rsp->body != NULL && strncmp(rsp->ctype, "text/plain", 10) == 0 ? rsp->body : "";

	while (n < rsp->blen && n < 120 && b[n] >= 0x20 && b[n] < 0x7f)
		n++;
	snprintf(why, cap, "EST %s: HTTP %d%s%.*s", step, rsp->status, n > 0 ? ": " : "", (int)n, b);
}

m2m_err m2mi_enr_est_run(m2mi_enr_conn *c, const char *base_path, const char *san, bool reenrol,
			 char **cert_pem, char **kpem, char *why, size_t whycap)
{
	static const char *const get_hdr[] = {"Accept: */*", NULL};
	static const char *const post_hdr[] = {"Content-Type: application/pkcs10", "Content-Transfer-Encoding: base64",
					       NULL};
	STACK_OF(X509) *cas = NULL, *issued = NULL;
	EVP_PKEY *pk = NULL;
	X509_REQ *req = NULL;
	X509 *leaf = NULL;
	char *csr = NULL;
	size_t csrlen = 0;
	m2mi_enr_rsp rsp = {0};
	m2m_err r;

	*cert_pem = *kpem = NULL;
	/* RFC 7030 clause 4.1: the current CA certificates (the issuer of ours must be one). */
	if ((r = est_get(c, base_path, "cacerts", get_hdr, NULL, 0, &rsp)) != M2M_OK)
		goto out;
	if (rsp.status != 200 || (r = m2mi_enr_parse_certs_only(rsp.body, rsp.blen, &cas)) != M2M_OK) {
		est_why(why, whycap, "cacerts", &rsp);
		r = M2M_E_PROTO;
		goto out;
	}
	m2mi_enr_rsp_clear(&rsp);
	/* Clause 4.5: the attributes are informational for us (the SAN is fixed by the MEF); a
	 * server without them answers 204 or 404. */
	if ((r = est_get(c, base_path, "csrattrs", get_hdr, NULL, 0, &rsp)) != M2M_OK)
		goto out;
	m2mi_enr_rsp_clear(&rsp);
	if ((r = m2mi_enr_csr_new(san, NULL, &pk, &req)) != M2M_OK || (r = m2mi_enr_csr_b64(req, &csr, &csrlen)) != M2M_OK)
		goto out;
	if ((r = est_get(c, base_path, reenrol ? "simplereenroll" : "simpleenroll", post_hdr, csr, csrlen, &rsp)) != M2M_OK)
		goto out;
	if (rsp.status != 200 || m2mi_enr_parse_certs_only(rsp.body, rsp.blen, &issued) != M2M_OK) {
		est_why(why, whycap, reenrol ? "simplereenroll" : "simpleenroll", &rsp);
		r = M2M_E_PROTO; /* refused (4xx/5xx) or 202 "retry later": no certificate now */
		goto out;
	}
	r = M2M_E_CERT;
	for (int i = 0; i < sk_X509_num(issued) && leaf == NULL; i++)
		if (X509_check_private_key(sk_X509_value(issued, i), pk) == 1)
			leaf = sk_X509_value(issued, i);
	if (leaf == NULL) {
		snprintf(why, whycap, "EST: no certificate for the device key in the answer");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(cas); i++)
		if (X509_verify(leaf, X509_get0_pubkey(sk_X509_value(cas, i))) == 1) {
			r = M2M_OK;
			break;
		}
	if (r != M2M_OK) {
		snprintf(why, whycap, "EST: the certificate is not signed by a cacerts certificate");
		goto out;
	}
	*cert_pem = certs_pem(leaf, issued);
	*kpem = key_pem(pk);
	if (*cert_pem == NULL || *kpem == NULL) {
		free(*cert_pem);
		if (*kpem != NULL)
			m2m_freezero(*kpem, strlen(*kpem));
		*cert_pem = *kpem = NULL;
		r = M2M_E_NOMEM;
	}
out:
	m2mi_enr_rsp_clear(&rsp);
	free(csr);
	X509_REQ_free(req);
	EVP_PKEY_free(pk);
	sk_X509_pop_free(cas, X509_free);
	sk_X509_pop_free(issued, X509_free);
	ERR_clear_error();
	return r;
}
