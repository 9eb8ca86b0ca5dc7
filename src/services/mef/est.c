/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF's EST server logic (TS-0003 clause 8.3.6.2, RFC 7030 sections
 * 4.1, 4.2 and 4.5): the MEF is the EST server and RA, the MEF CA (a `m2msec ca init`
 * directory) the EST CA. An enrolee authenticated by the MEF Handshake (PSK with Kpm:
 * certificate-less TLS mutual authentication, RFC 7030 section 3.3.3; or its certificate)
 * sends a PKCS#10 CSR made with a key generated on the device; the MEF certifies only that
 * public key, for exactly the one identity (AE-ID URI, CSE-ID DNS or Node-ID otherName
 * subjectAltName, TS-0003 clauses 10.1.1.5, 10.1.1.7, 10.1.1.8, 10.1.4) that this enrolee may
 * claim (a Node-ID only when its record's --allow list names it as "NODE:<Node-ID>"). Every issued certificate is
 * recorded in the MEF store in the same transaction that re-checks the enrolee, so a revoked
 * enrolee's certificates end up on the CRL (store/mefstore_est.c).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "m2msec/est.h"
#include "m2msec/id.h"
#include "pki/ca_int.h"
#include "pki/cert_facts.h"
#include "pki/cert_profile.h"
#include "services/mef/mef_int.h"
#include "store/mefstore_est.h"
#include "store/mefstore_int.h"

#define EST_MAX_BODY 16384 /* a P-256 CSR is well under 1 KiB */
#define CT_PKCS7 "application/pkcs7-mime; smime-type=certs-only"
#define CT_CSRATTRS "application/csrattrs"
#define CT_TEXT "text/plain"

struct m2m_est {
	m2m_ca *ca;
	int leaf_days;
};

/*
 * CsrAttrs (RFC 7030 section 4.5.2), DER: challengePassword (TS-0003 clause 8.3.6.2.2 step 2),
 * extensionRequest { subjectAltName } (the identity attribute), id-ecPublicKey { secp256r1 } and
 * ecdsa-with-SHA256 (clause 10.1.1.1 / 10.1.4 CSR profile).
 */
static const unsigned char csrattrs_der[] = {
	0x30, 0x40,
	0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x07,
	0x30, 0x12, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x0E,
	0x31, 0x05, 0x06, 0x03, 0x55, 0x1D, 0x11,
	0x30, 0x15, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
	0x31, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07,
	0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02,
};

m2m_err m2m_est_new(const char *ca_dir, int leaf_days, m2m_est **out)
{
	m2m_est *est;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (ca_dir == NULL || leaf_days < 0 || leaf_days > M2M_CA_DAYS_MAX)
		return M2M_E_INVAL;
	if ((est = calloc(1, sizeof(*est))) == NULL)
		return M2M_E_NOMEM;
	if ((r = m2m_ca_open(ca_dir, &est->ca)) != M2M_OK) {
		free(est);
		return r;
	}
	est->leaf_days = leaf_days;
	*out = est;
	return M2M_OK;
}

void m2m_est_free(m2m_est *est)
{
	if (est == NULL)
		return;
	m2m_ca_free(est->ca);
	free(est);
}

void m2m_est_reply_clear(m2m_est_reply *r)
{
	if (r == NULL)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static m2m_err reply_text(m2m_est_reply *out, int status, const char *outcome, const char *msg)
{
	size_t n = strlen(msg);

	m2m_est_reply_clear(out);
	out->status = status;
	out->content_type = CT_TEXT;
	out->outcome = outcome;
	if ((out->body = malloc(n + 2)) == NULL)
		return M2M_E_NOMEM;
	memcpy(out->body, msg, n);
	out->body[n] = '\n';
	out->body[n + 1] = '\0';
	out->body_len = n + 1;
	return M2M_OK;
}

/* Base64 of der in 64-character lines (RFC 7030 section 4: Content-Transfer-Encoding base64). */
static m2m_err reply_b64(m2m_est_reply *out, const char *ct, const unsigned char *der, size_t len)
{
	size_t lines = len / 48 + 1, cap = 4 * (len / 3 + 1) + lines + 1, o = 0;
	char *b;

	m2m_est_reply_clear(out);
	if ((b = malloc(cap)) == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < len; i += 48) {
		size_t chunk = len - i < 48 ? len - i : 48;
		o += (size_t)EVP_EncodeBlock((unsigned char *)b + o, der + i, (int)chunk);
		b[o++] = '\n';
	}
	b[o] = '\0';
	out->status = 200;
	out->content_type = ct;
	out->outcome = "ok";
	out->body = b;
	out->body_len = o;
	return M2M_OK;
}

/* A PKCS#7 certs-only (degenerate SignedData, RFC 7030 section 4.1.3) holding x. */
static m2m_err reply_certs_only(m2m_est_reply *out, X509 *x)
{
	PKCS7 *p7 = PKCS7_new();
	unsigned char *der = NULL;
	int len;
	m2m_err r = M2M_E_CRYPTO;

	if (p7 == NULL)
		return M2M_E_NOMEM;
	if (PKCS7_set_type(p7, NID_pkcs7_signed) && PKCS7_content_new(p7, NID_pkcs7_data) &&
	    PKCS7_add_certificate(p7, x) && (len = i2d_PKCS7(p7, &der)) > 0) {
		r = reply_b64(out, CT_PKCS7, der, (size_t)len);
		OPENSSL_free(der);
	}
	PKCS7_free(p7);
	return r;
}

m2m_err m2m_est_cacerts(const m2m_est *est, m2m_est_reply *out)
{
	const char *pem;
	X509 *x = NULL;
	m2m_err r;

	if (est == NULL || out == NULL)
		return M2M_E_INVAL;
	pem = m2m_ca_cert_pem(est->ca);
	if ((r = m2mi_ca_parse_cert(pem, strlen(pem), &x)) != M2M_OK)
		return r;
	r = reply_certs_only(out, x);
	X509_free(x);
	return r;
}

m2m_err m2m_est_csrattrs(const m2m_est *est, m2m_est_reply *out)
{
	if (est == NULL || out == NULL)
		return M2M_E_INVAL;
	return reply_b64(out, CT_CSRATTRS, csrattrs_der, sizeof(csrattrs_der));
}

/* Decode base64 with any whitespace; NULL when malformed. */
static unsigned char *b64_decode(const uint8_t *in, size_t len, size_t *out_len)
{
	char *clean = malloc(len + 1);
	unsigned char *der = NULL;
	size_t n = 0, pad = 0;
	int d;

	if (clean == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (in[i] != ' ' && in[i] != '\t' && in[i] != '\r' && in[i] != '\n')
			clean[n++] = (char)in[i];
	if (n == 0 || n % 4 != 0)
		goto out;
	clean[n] = '\0';
	if (strspn(clean, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n)
		goto out;
	pad = clean[n - 1] == '=' ? (clean[n - 2] == '=' ? 2 : 1) : 0;
	if ((der = malloc(n / 4 * 3)) == NULL)
		goto out;
	if ((d = EVP_DecodeBlock(der, (const unsigned char *)clean, (int)n)) < 0 || (size_t)d < pad) {
		free(der);
		der = NULL;
		goto out;
	}
	*out_len = (size_t)d - pad;
out:
	free(clean);
	return der;
}

/* The identity the one SAN claims, in the forms m2m_mef_claim_allowed may match: absolute,
 * SP-relative and (AE) the AE-ID-Stem. san_txt gets the SAN value to certify. */
typedef struct claim {
	char forms[3][M2M_SA_ID_MAX];
	size_t n;
	char cse[M2M_SA_ID_MAX]; /* registrar CSE of a C-type AE-ID ("" otherwise) */
	char node[M2MI_NODE_ID_MAX + 1]; /* the Node-ID of a Node-ID claim (n == 0), "" otherwise */
	char san_txt[M2M_SA_ID_MAX]; /* "NODE:<Node-ID>" for a Node-ID: the CA's SAN spelling */
} claim;

static bool sp_of(const m2m_mef *mef, char *sp, size_t cap)
{
	if (mef->sp_id == NULL || strlen(mef->sp_id) < 3 || strlen(mef->sp_id + 2) >= cap)
		return false;
	memcpy(sp, mef->sp_id + 2, strlen(mef->sp_id + 2) + 1);
	return true;
}

static m2m_err san_claim(const GENERAL_NAME *g, const char *sp, claim *c)
{
	const char *v;
	size_t len, sl = strlen(sp);
	m2m_id *id = NULL;
	m2m_err r = M2M_E_CERT_NAME;

	memset(c, 0, sizeof(*c));
	/* TS-0003 10.1.1.8 Node-ID (RFC 4043 permanentIdentifier otherName, docs/pki.md) */
	if ((r = m2mi_cert_profile_node_id(g, c->node, sizeof(c->node))) != M2M_E_NOT_FOUND) {
		int n = r == M2M_OK ? snprintf(c->san_txt, sizeof(c->san_txt), "NODE:%s", c->node) : -1;
		return n > 0 && (size_t)n < sizeof(c->san_txt) ? M2M_OK : M2M_E_CERT_NAME;
	}
	r = M2M_E_CERT_NAME;
	if (g->type != GEN_URI && g->type != GEN_DNS)
		return M2M_E_CERT_NAME; /* other otherNames, e-mail, IP...: not issued by this MEF */
	v = (const char *)ASN1_STRING_get0_data(g->d.ia5);
	len = (size_t)ASN1_STRING_length(g->d.ia5);
	if (v == NULL || len == 0 || len >= sizeof(c->san_txt) || memchr(v, '\0', len) != NULL ||
	    memchr(v, '*', len) != NULL)
		return M2M_E_CERT_NAME;
	if (g->type == GEN_DNS) {
		char low[M2M_SA_ID_MAX];
		for (size_t i = 0; i < len; i++)
			low[i] = (char)((v[i] >= 'A' && v[i] <= 'Z') ? v[i] + 32 : v[i]);
		low[len] = '\0';
		/* "<cse>.<sp>": a CSE-ID of our SP (TS-0003 clause 10.1.1.7), one label deep */
		if (len <= sl + 1 || low[len - sl - 1] != '.' || strcmp(low + len - sl, sp) != 0 ||
		    memchr(low, '.', len - sl - 1) != NULL)
			return M2M_E_CERT_NAME;
		snprintf(c->forms[0], sizeof(c->forms[0]), "/%.*s", (int)(len - sl - 1), low);
		snprintf(c->forms[1], sizeof(c->forms[1]), "//%s/%.*s", sp, (int)(len - sl - 1), low);
		if (m2m_id_parse(c->forms[0], strlen(c->forms[0]), M2M_ID_CSE_ID, &id) != M2M_OK)
			return M2M_E_CERT_NAME;
		m2m_id_free(id);
		c->n = 2;
		memcpy(c->san_txt, low, len + 1);
		return M2M_OK;
	}
	if (m2m_id_from_ae_uri(v, len, &id) != M2M_OK)
		return M2M_E_CERT_NAME;
	if (m2m_id_fqdn(id) == NULL || strcmp(m2m_id_fqdn(id), sp) != 0)
		goto out; /* an AE-ID of another SP */
	const char *abs = m2m_id_canonical(id), *stem = m2m_id_stem(id), *cse = m2m_id_cse(id);
	if (abs == NULL || stem == NULL || strlen(abs) <= sl + 2)
		goto out;
	snprintf(c->forms[0], sizeof(c->forms[0]), "%s", abs);
	snprintf(c->forms[1], sizeof(c->forms[1]), "%s", abs + 2 + sl);
	if (c->forms[1][0] == '/' && stem[0] == 'S')
		memmove(c->forms[1], c->forms[1] + 1, strlen(c->forms[1])); /* "/Sx" -> "Sx" */
	snprintf(c->forms[2], sizeof(c->forms[2]), "%s", stem);
	if (cse != NULL && stem[0] == 'C')
		snprintf(c->cse, sizeof(c->cse), "%s", cse);
	c->n = 3;
	r = m2m_id_ae_uri(id, c->san_txt, sizeof(c->san_txt)) == M2M_OK ? M2M_OK : M2M_E_CERT_NAME;
out:
	m2m_id_free(id);
	return r;
}

/* May enrolee e claim Node-ID node? Only when an --allow pattern "NODE:<Node-ID>" (exact) or
 * "NODE:<prefix>*" names it: an Enrolee-ID is an AE-ID or CSE-ID, never a Node-ID, and AE/CSE
 * patterns never match a Node-ID (distinct namespaces). "NODE:*" alone allows nothing. */
static bool node_claim_ok(const m2m_mef_enrolee *e, const char *node)
{
	static const char pre[] = "NODE:";
	const size_t pl = sizeof(pre) - 1;

	if (e->allowed == NULL || node[0] == '\0')
		return false;
	for (const char *p = e->allowed; *p != '\0';) {
		size_t n, v;
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n > pl && strncmp(p, pre, pl) == 0) {
			const char *pat = p + pl;
			v = n - pl;
			if (pat[v - 1] == '*') {
				if (v > 1 && memchr(pat, '*', v - 1) == NULL &&
				    strncmp(node, pat, v - 1) == 0) /* public: identifiers */
					return true;
			} else if (memchr(pat, '*', v) == NULL && strlen(node) == v &&
				   strncmp(node, pat, v) == 0) { /* public: identifiers */
				return true;
			}
		}
		p += n;
	}
	return false;
}

/* May enrolee e claim c? A bare C-stem says nothing about the registrar: its CSE must be one of
 * the enrolee's Enrolment Targets. */
static bool claim_ok(const m2m_mef_enrolee *e, const claim *c)
{
	if (c->node[0] != '\0')
		return node_claim_ok(e, c->node);
	for (size_t i = 0; i < c->n; i++) {
		if (!m2m_mef_claim_allowed(e->enrolee_id, e->allowed, c->forms[i]))
			continue;
		if (i < 2 || c->cse[0] == '\0')
			return true;
		for (size_t t = 0; t < e->ntargets; t++) {
			const char *tg = e->targets[t], *last = strrchr(tg, '/');
			if (last != NULL && strcmp(last + 1, c->cse) == 0)
				return true;
		}
	}
	return false;
}

/* The one subjectAltName of req, or an answer refusing the request. */
static m2m_err csr_san(X509_REQ *req, GENERAL_NAME **san)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *gens = NULL;
	int idx, crit = 0;
	m2m_err r = M2M_E_CERT_NAME;

	*san = NULL;
	if (exts == NULL)
		return M2M_E_CERT_NAME;
	if ((idx = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1)) < 0 ||
	    X509v3_get_ext_by_NID(exts, NID_subject_alt_name, idx) >= 0)
		goto out; /* none, or two extensions */
	if ((gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL)) == NULL ||
	    sk_GENERAL_NAME_num(gens) != 1)
		goto out; /* nothing else in the SAN */
	*san = sk_GENERAL_NAME_shift(gens);
	r = M2M_OK;
out:
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
}

static bool key_is_p256(EVP_PKEY *pk)
{
	char grp[64];
	size_t gl = 0;

	return pk != NULL && EVP_PKEY_is_a(pk, "EC") &&
	       EVP_PKEY_get_group_name(pk, grp, sizeof(grp), &gl) == 1 &&
	       (strcmp(grp, "prime256v1") == 0 || strcmp(grp, "P-256") == 0);
}

static void hex_serial(X509 *x, char *out, size_t cap)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(out, cap, "%s", h != NULL ? h : "");
	OPENSSL_free(h);
	BN_free(bn);
}

/* Reenrolment: peer must be a live certificate issued here for the same SAN. */
static m2m_err check_holder(const m2m_est *est, m2m_mef_worker *w, X509 *peer, const claim *c, int64_t now,
			    m2m_est_record *old)
{
	unsigned char *der = NULL;
	int len;
	m2m_err r;

	if (peer == NULL || (len = i2d_X509(peer, &der)) <= 0)
		return M2M_E_AUTH;
	r = m2m_ca_verify(est->ca, (const char *)der, (size_t)len, now);
	OPENSSL_free(der);
	if (r != M2M_OK)
		return M2M_E_AUTH;
	hex_serial(peer, old->serial, sizeof(old->serial));
	if (m2mi_mefstore_est_get(w->st, old->serial, old) != M2M_OK || old->revoked_at != 0)
		return M2M_E_AUTH;
	if (strcmp(old->san, c->san_txt) != 0) /* RFC 7030 section 4.2.2: same identity */
		return M2M_E_AUTH;
	return M2M_OK;
}

/* The enrolee whose certificate is asked for, inside the transaction. */
static m2m_err enrolee_of(m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_est_record *old, int64_t now,
			  m2m_mef_enrolee **e)
{
	m2m_err r;

	if (old != NULL)
		r = m2mi_mefstore_enrolee_check(w->st, old->client_id, now, e);
	else if (a == NULL || a->peer != M2M_MEF_PEER_ENROLEE)
		return M2M_E_AUTH;
	else
		r = m2mi_mefstore_enrolee_check(w->st, a->client_id, now, e);
	return r == M2M_E_NOT_FOUND ? M2M_E_KEY_REVOKED : r;
}

static m2m_err refuse_enrolee(m2m_est_reply *out, m2m_err r)
{
	if (r == M2M_E_KEY_REVOKED)
		return reply_text(out, 403, "revoked", "enrolee revoked");
	if (r == M2M_E_KEY_EXPIRED)
		return reply_text(out, 403, "expired", "enrolment expired");
	if (r == M2M_E_AUTH)
		return reply_text(out, 403, "not-authorized", "not an enrolee of this MEF");
	return reply_text(out, 500, "store-error", "store error");
}

/* Issue for c, record (superseding old) and answer; all in one transaction. */
static m2m_err issue(const m2m_est *est, m2m_mef_worker *w, const m2m_mef_assoc *a, const m2m_est_record *old,
		     const unsigned char *der, size_t len, const claim *c, int64_t now, m2m_est_reply *out)
{
	const char *sans[1] = {c->san_txt};
	m2m_mef_enrolee *e = NULL;
	m2m_est_record rec;
	char *pem = NULL;
	X509 *x = NULL;
	m2m_err r, ir;

	if ((r = m2mi_mefstore_est_ensure(w->st)) != M2M_OK || (r = m2mi_mefstore_begin(w->st)) != M2M_OK)
		return reply_text(out, 500, "store-error", "store error");
	if ((r = enrolee_of(w, a, old, now, &e)) != M2M_OK) {
		(void)m2mi_mefstore_end(w->st, r);
		return refuse_enrolee(out, r);
	}
	if (!claim_ok(e, c)) {
		r = M2M_E_AUTH;
		ir = reply_text(out, 403, "claim-refused", "subjectAltName not allowed for this enrolee");
		goto out;
	}
	if ((r = m2m_ca_issue_csr(est->ca, (const char *)der, len, sans, 1, est->leaf_days, NULL, &pem)) != M2M_OK) {
		ir = r == M2M_E_CERT_NAME ? reply_text(out, 403, "claim-refused", "outside the CA's name constraints")
					  : reply_text(out, 500, "internal", "issuance failed");
		goto out;
	}
	memset(&rec, 0, sizeof(rec));
	if ((r = m2mi_ca_parse_cert(pem, strlen(pem), &x)) != M2M_OK ||
	    (r = m2mi_cert_time(X509_get0_notAfter(x), &rec.not_after)) != M2M_OK) {
		ir = reply_text(out, 500, "internal", "issuance failed");
		goto out;
	}
	hex_serial(x, rec.serial, sizeof(rec.serial));
	snprintf(rec.client_id, sizeof(rec.client_id), "%s", e->client_id);
	snprintf(rec.enrolee_id, sizeof(rec.enrolee_id), "%s", e->enrolee_id);
	snprintf(rec.san, sizeof(rec.san), "%s", c->san_txt);
	rec.issued_at = now;
	r = m2mi_mefstore_est_put(w->st, &rec);
	if (r == M2M_OK && old != NULL)
		r = m2mi_mefstore_est_revoke(w->st, old->serial, now, M2M_CA_REASON_SUPERSEDED);
	if (r == M2M_E_NOT_FOUND) { /* a concurrent re-enrolment superseded it first */
		ir = reply_text(out, 403, "not-holder", "re-enrolment needs the current certificate for this identity");
		goto out;
	}
	if (r != M2M_OK) {
		ir = reply_text(out, 500, "store-error", "store error");
		goto out;
	}
	ir = reply_certs_only(out, x);
	r = ir;
out:
	r = m2mi_mefstore_end(w->st, r);
	if (r != M2M_OK && out->status == 200) /* the commit failed: nothing was issued */
		ir = reply_text(out, 500, "store-error", "store error");
	X509_free(x);
	free(pem);
	m2m_mef_enrolee_free(e);
	return ir;
}

m2m_err m2m_est_enroll(const m2m_est *est, m2m_mef_worker *w, const m2m_mef_assoc *a, X509 *peer, bool reenroll,
		       const uint8_t *body, size_t len, int64_t now, m2m_est_reply *out)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t dlen = 0;
	X509_REQ *req = NULL;
	GENERAL_NAME *san = NULL;
	m2m_est_record old;
	char sp[256];
	claim c;
	m2m_err r;

	if (est == NULL || w == NULL || out == NULL || (body == NULL && len > 0))
		return M2M_E_INVAL;
	m2m_est_reply_clear(out); /* a previous answer in out is released */
	if (!reenroll && (a == NULL || a->peer == M2M_MEF_PEER_NONE))
		return reply_text(out, 401, "no-association", "no enrolee association");
	if (len == 0 || len > EST_MAX_BODY || (der = b64_decode(body, len, &dlen)) == NULL) {
		r = reply_text(out, 400, "malformed", "body is not a base64 PKCS#10 request");
		goto out;
	}
	p = der;
	if ((req = d2i_X509_REQ(NULL, &p, (long)dlen)) == NULL || p != der + dlen ||
	    X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) != 1) {
		r = reply_text(out, 400, "malformed", "bad PKCS#10 request or signature");
		goto out;
	}
	if (!key_is_p256(X509_REQ_get0_pubkey(req))) {
		r = reply_text(out, 400, "bad-key", "key must be EC P-256 (TS-0003 clause 10.1.1.1)");
		goto out;
	}
	if (!sp_of(w->mef, sp, sizeof(sp))) {
		r = reply_text(out, 500, "internal", "MEF has no sp-id");
		goto out;
	}
	if (csr_san(req, &san) != M2M_OK || san_claim(san, sp, &c) != M2M_OK) {
		r = reply_text(out, 400, "bad-san",
			       "exactly one AE-ID URI, CSE-ID DNS or Node-ID subjectAltName required");
		goto out;
	}
	if (reenroll && check_holder(est, w, peer, &c, now, &old) != M2M_OK) {
		r = reply_text(out, 403, "not-holder", "re-enrolment needs the current certificate for this identity");
		goto out;
	}
	r = issue(est, w, a, reenroll ? &old : NULL, der, dlen, &c, now, out);
out:
	GENERAL_NAME_free(san);
	X509_REQ_free(req);
	free(der);
	return r;
}

struct rv_list {
	m2m_ca_revoked *v;
	char (*serials)[48];
	size_t n, cap;
	bool oom;
};

static void collect(void *arg, const m2m_ca_revoked *rv)
{
	struct rv_list *l = arg;

	if (l->oom)
		return;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		m2m_ca_revoked *v = realloc(l->v, nc * sizeof(*v));
		if (v != NULL)
			l->v = v;
		char (*s)[48] = v != NULL ? realloc(l->serials, nc * sizeof(*s)) : NULL;
		if (v == NULL || s == NULL) {
			l->oom = true;
			return;
		}
		l->serials = s;
		l->cap = nc;
	}
	snprintf(l->serials[l->n], sizeof(l->serials[0]), "%s", rv->serial_hex);
	l->v[l->n] = *rv;
	l->n++;
}

m2m_err m2m_est_crl(const m2m_est *est, m2m_mefstore *st, int64_t now, int64_t validity_s, char **crl_pem)
{
	struct rv_list l = {0};
	m2m_err r;

	if (crl_pem != NULL)
		*crl_pem = NULL;
	if (est == NULL || st == NULL || crl_pem == NULL)
		return M2M_E_INVAL;
	r = m2m_mefstore_est_revoked(st, now, collect, &l);
	if (r == M2M_OK && l.oom)
		r = M2M_E_NOMEM;
	for (size_t i = 0; r == M2M_OK && i < l.n; i++)
		l.v[i].serial_hex = l.serials[i]; /* the callback's strings were the statement's */
	if (r == M2M_OK)
		r = m2m_ca_crl(est->ca, l.v, l.n, now, validity_s, crl_pem);
	free(l.v);
	free(l.serials);
	return r;
}
