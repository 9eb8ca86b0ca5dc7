/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the TS-0003 clause 10.1.1 certificate profile rules used by the CA
 * (pki/ca.c): subjectAltName and nameConstraints name checks (10.1.1.5 AE-ID URI, 10.1.1.6 FQDN,
 * 10.1.1.7 CSE-ID domain name, 10.1.1.8 Node-ID; "shall not include wildcards"), P-256 keys with uncompressed
 * points (10.1.1.1), serial numbers and extensions, and the final profile check of a certificate
 * (10.1.1.1 and 10.1.1.3: ECDSA with SHA-256, keyUsage digitalSignature).
 *
 * URI SANs are restricted to what OpenSSL's nameConstraints matcher reads unambiguously: the host
 * ends at ':' (port) or '/', so userinfo ('@' in the authority), '?'/'#' right after the host and
 * ':' after the authority are refused rather than risk a host that the matcher sees differently.
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>

#include "m2msec/ca.h"
#include "m2msec/id.h"
#include "m2msec/utf8.h"
#include "pki/cert_profile.h"

#define P256_POINT_LEN 65

static void lower_ascii(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}

/* Validate an FQDN s[0..len) and write lowercase without trailing dot. */
static m2m_err fqdn_canon(const char *s, size_t len, char *out, size_t cap)
{
	m2m_err r;

	if (memchr(s, '*', len) != NULL)
		return M2M_E_ID_WILDCARD;
	if ((r = m2m_id_check_fqdn(s, len)) != M2M_OK)
		return r;
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len + 1 > cap)
		return M2M_E_RANGE;
	memcpy(out, s, len);
	out[len] = '\0';
	lower_ascii(out, len);
	return M2M_OK;
}

m2m_err m2mi_cert_profile_domain(const char *s, char *out, size_t cap)
{
	if (s == NULL || out == NULL || cap == 0)
		return M2M_E_INVAL;
	out[0] = '\0';
	/* A development CA may permit "localhost" (the SAN of a development server, see below). */
	if (strcasecmp(s, "localhost") == 0 && cap > 9) {
		memcpy(out, "localhost", 10);
		return M2M_OK;
	}
	return fqdn_canon(s, strlen(s), out, cap);
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Path, query and fragment characters of RFC 3986 except ':' (see the file comment). */
static m2m_err check_uri_rest(const char *p, size_t n)
{
	static const char ok[] = "-._~!$&'()+,;=@/?#";

	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '%') {
			if (i + 2 >= n || !is_hex(p[i + 1]) || !is_hex(p[i + 2]))
				return M2M_E_CERT_NAME;
			i += 2;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && strchr(ok, c) == NULL)
			return M2M_E_CERT_NAME;
	}
	return M2M_OK;
}

/* Generic absolute URI with an FQDN host, canonicalised (lowercase scheme and host). */
static m2m_err uri_canon(const char *s, size_t len, char *out, size_t cap)
{
	const char *sep = strstr(s, "://"), *host, *end, *colon;
	size_t slen, hlen, plen = 0, rlen, o = 0;
	char hbuf[256];
	m2m_err r;

	if (memchr(s, '*', len) != NULL || sep == NULL || sep == s || !is_alpha(s[0]))
		return M2M_E_CERT_NAME;
	slen = (size_t)(sep - s);
	for (size_t i = 1; i < slen; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.')
			return M2M_E_CERT_NAME;
	host = sep + 3;
	end = strchr(host, '/');
	if (end == NULL)
		end = s + len;
	colon = memchr(host, ':', (size_t)(end - host));
	hlen = (size_t)((colon != NULL ? colon : end) - host);
	if (hlen == 0 || hlen >= sizeof(hbuf))
		return M2M_E_CERT_NAME;
	if (colon != NULL) {
		plen = (size_t)(end - colon - 1);
		if (plen == 0 || plen > 5)
			return M2M_E_CERT_NAME;
		for (size_t i = 1; i <= plen; i++)
			if (!is_digit(colon[i]))
				return M2M_E_CERT_NAME;
		plen++; /* include the ':' */
	}
	/* '@', '?', '#', '[' in the host part fail the FQDN check below. */
	if ((r = fqdn_canon(host, hlen, hbuf, sizeof(hbuf))) != M2M_OK)
		return r == M2M_E_ID_WILDCARD ? M2M_E_CERT_NAME : r;
	rlen = (size_t)(s + len - end);
	if ((r = check_uri_rest(end, rlen)) != M2M_OK)
		return r;
	if (slen + 3 + strlen(hbuf) + plen + rlen + 1 > cap)
		return M2M_E_RANGE;
	memcpy(out, s, slen);
	lower_ascii(out, slen);
	o = slen;
	memcpy(out + o, "://", 3);
	o += 3;
	memcpy(out + o, hbuf, strlen(hbuf));
	o += strlen(hbuf);
	if (plen > 0)
		memcpy(out + o, colon, plen);
	o += plen;
	memcpy(out + o, end, rlen);
	o += rlen;
	out[o] = '\0';
	return M2M_OK;
}

/* m2m:// URIs are AE-ID certificates (TS-0003 clause 10.1.1.5): round-trip through the
 * identifier module so the SAN is exactly the full URI representation of an Absolute AE-ID. */
static m2m_err ae_uri_canon(char *buf, size_t cap)
{
	m2m_id *id = NULL;
	m2m_err r;

	if ((r = m2m_id_from_ae_uri(buf, strlen(buf), &id)) != M2M_OK)
		return r;
	r = m2m_id_ae_uri(id, buf, cap);
	m2m_id_free(id);
	return r;
}

/* An IPv4 or IPv6 address literal in its inet_ntop form (no zone, no brackets, no prefix). */
static m2m_err ip_canon(const char *s, char *out, size_t cap)
{
	unsigned char a[16];
	int af = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;

	if (inet_pton(af, s, a) != 1)
		return M2M_E_CERT_NAME;
	if (cap < INET6_ADDRSTRLEN || inet_ntop(af, a, out, (socklen_t)cap) == NULL)
		return M2M_E_RANGE;
	return M2M_OK;
}

/* OpenSSL users write SANs as "DNS:x", "URI:x", "IP:x" (x509v3_config(5)); accept that spelling.
 * "NODE:x" is ours: a Node-ID has no syntax of its own to tell it from the others. */
static const char *strip_prefix(const char *s, m2mi_san_kind *want)
{
	static const struct { const char *p; m2mi_san_kind k; } pre[] = {
		{"DNS:", M2MI_SAN_DNS}, {"URI:", M2MI_SAN_URI}, {"IP:", M2MI_SAN_IP}, {"NODE:", M2MI_SAN_NODE}};

	*want = 0;
	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (strncasecmp(s, pre[i].p, strlen(pre[i].p)) == 0) {
			*want = pre[i].k;
			return s + strlen(pre[i].p);
		}
	return s;
}

m2m_err m2mi_cert_profile_san(const char *s, m2mi_san_kind *kind, char *out, size_t cap)
{
	m2mi_san_kind want;
	size_t len;
	m2m_err r;

	if (s == NULL || kind == NULL || out == NULL || cap == 0)
		return M2M_E_INVAL;
	*kind = 0;
	out[0] = '\0';
	s = strip_prefix(s, &want);
	len = strlen(s);
	if (len == 0)
		return M2M_E_ID_EMPTY;
	if (len > M2MI_SAN_MAX)
		return M2M_E_ID_TOO_LONG;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return M2M_E_CERT_NAME;
	if (want == M2MI_SAN_NODE) {
		/* TS-0003 10.1.1.8: the Node-ID as TS-0001 7.1.5 defines it (m2m:nodeID, e.g.
		 * urn:gsma:imei:...), kept byte for byte since a peer compares it exactly
		 * (TS-0003 8.1.2.5); "shall not include wildcards". */
		if (len > M2MI_NODE_ID_MAX || memchr(s, '*', len) != NULL)
			return len > M2MI_NODE_ID_MAX ? M2M_E_ID_TOO_LONG : M2M_E_CERT_NAME;
		if (len + 1 > cap)
			return M2M_E_RANGE;
		memcpy(out, s, len + 1);
		*kind = M2MI_SAN_NODE;
		return M2M_OK;
	}
	if (want == M2MI_SAN_IP) {
		if ((r = ip_canon(s, out, cap)) != M2M_OK)
			return r;
		*kind = M2MI_SAN_IP;
		return M2M_OK;
	}
	if ((want == M2MI_SAN_URI && strstr(s, "://") == NULL) ||
	    (want == M2MI_SAN_DNS && strstr(s, "://") != NULL))
		return M2M_E_CERT_NAME; /* "URI:" without a scheme, or "DNS:" with one */
	if (strstr(s, "://") == NULL) {
		/* "localhost" is one label, so no FQDN, but development servers are reached by it. */
		if (strcasecmp(s, "localhost") == 0 && cap > 9) {
			memcpy(out, "localhost", 10);
			*kind = M2MI_SAN_DNS;
			return M2M_OK;
		}
		if ((r = fqdn_canon(s, len, out, cap)) != M2M_OK)
			return r;
		*kind = M2MI_SAN_DNS;
		return M2M_OK;
	}
	if ((r = uri_canon(s, len, out, cap)) != M2M_OK)
		goto out;
	if (strncmp(out, "m2m://", 6) == 0 && (r = ae_uri_canon(out, cap)) != M2M_OK)
		goto out;
	*kind = M2MI_SAN_URI;
out:
	if (r != M2M_OK)
		out[0] = '\0';
	return r;
}

/* otherName { type-id id-on-permanentIdentifier, value [0] SEQUENCE { UTF8String } } (RFC 4043) */
static GENERAL_NAME *new_node_name(const char *value)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_OBJECT *oid = OBJ_nid2obj(NID_id_on_permanentIdentifier);
	STACK_OF(ASN1_TYPE) *seq = sk_ASN1_TYPE_new_null();
	ASN1_TYPE *item = ASN1_TYPE_new(), *t = NULL;
	ASN1_UTF8STRING *u = ASN1_UTF8STRING_new();
	ASN1_STRING *der = NULL;
	unsigned char *buf = NULL;
	int len;

	if (gn == NULL || oid == NULL || seq == NULL || item == NULL || u == NULL ||
	    !ASN1_STRING_set(u, value, (int)strlen(value)))
		goto fail;
	ASN1_TYPE_set(item, V_ASN1_UTF8STRING, u);
	u = NULL;
	if (!sk_ASN1_TYPE_push(seq, item))
		goto fail;
	item = NULL;
	if ((len = i2d_ASN1_SEQUENCE_ANY(seq, &buf)) <= 0 || (der = ASN1_STRING_new()) == NULL ||
	    !ASN1_STRING_set(der, buf, len) || (t = ASN1_TYPE_new()) == NULL)
		goto fail;
	ASN1_TYPE_set(t, V_ASN1_SEQUENCE, der);
	der = NULL;
	if (!GENERAL_NAME_set0_othername(gn, oid, t))
		goto fail;
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	OPENSSL_free(buf);
	return gn;
fail:
	OPENSSL_free(buf);
	ASN1_STRING_free(der);
	ASN1_TYPE_free(t);
	ASN1_UTF8STRING_free(u);
	ASN1_TYPE_free(item);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	GENERAL_NAME_free(gn);
	return NULL;
}

m2m_err m2mi_cert_profile_node_id(const GENERAL_NAME *g, char *out, size_t cap)
{
	STACK_OF(ASN1_TYPE) *seq = NULL;
	const ASN1_TYPE *t, *item;
	const unsigned char *p;
	const char *v;
	int len;
	m2m_err r = M2M_E_CERT_NAME;

	if (g == NULL || out == NULL || cap == 0)
		return M2M_E_INVAL;
	out[0] = '\0';
	if (g->type != GEN_OTHERNAME || g->d.otherName == NULL ||
	    OBJ_obj2nid(g->d.otherName->type_id) != NID_id_on_permanentIdentifier)
		return M2M_E_NOT_FOUND;
	t = g->d.otherName->value;
	if (t == NULL || t->type != V_ASN1_SEQUENCE || t->value.sequence == NULL)
		return M2M_E_CERT_NAME;
	p = ASN1_STRING_get0_data(t->value.sequence);
	len = ASN1_STRING_length(t->value.sequence);
	if ((seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, len)) == NULL ||
	    p != ASN1_STRING_get0_data(t->value.sequence) + len)
		goto out;
	if (sk_ASN1_TYPE_num(seq) != 1) {
		/* RFC 4043: an assigner (or no identifierValue) is not an M2M-Node-ID */
		r = M2M_E_NOT_FOUND;
		goto out;
	}
	item = sk_ASN1_TYPE_value(seq, 0);
	if (item->type != V_ASN1_UTF8STRING) {
		r = item->type == V_ASN1_OBJECT ? M2M_E_NOT_FOUND : M2M_E_CERT_NAME;
		goto out;
	}
	v = (const char *)ASN1_STRING_get0_data(item->value.utf8string);
	len = ASN1_STRING_length(item->value.utf8string);
	if (v == NULL || len <= 0 || len > M2MI_NODE_ID_MAX || (size_t)len >= cap)
		goto out;
	for (int i = 0; i < len; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f || v[i] == '*')
			goto out;
	memcpy(out, v, (size_t)len);
	out[len] = '\0';
	r = M2M_OK;
out:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return r;
}

static GENERAL_NAME *new_name(m2mi_san_kind kind, const char *value)
{
	GENERAL_NAME *gn = NULL;
	ASN1_STRING *v = NULL;

	if (kind == M2MI_SAN_NODE)
		return new_node_name(value);
	if (kind == M2MI_SAN_IP)
		v = a2i_IPADDRESS(value); /* 4 or 16 octets */
	else if ((v = ASN1_IA5STRING_new()) != NULL && !ASN1_STRING_set(v, value, (int)strlen(value))) {
		ASN1_IA5STRING_free(v);
		v = NULL;
	}
	if (v == NULL || (gn = GENERAL_NAME_new()) == NULL) {
		ASN1_STRING_free(v);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, kind == M2MI_SAN_IP ? GEN_IPADD : kind == M2MI_SAN_URI ? GEN_URI : GEN_DNS, v);
	return gn;
}

/* Adds the name, or M2M_E_CERT_NAME when the same name (type and value) is already there. */
static m2m_err add_name(GENERAL_NAMES *gens, m2mi_san_kind kind, const char *value)
{
	GENERAL_NAME *gn = new_name(kind, value);

	if (gn == NULL)
		return M2M_E_NOMEM;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++)
		if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(gens, i), gn) == 0) {
			GENERAL_NAME_free(gn);
			return M2M_E_CERT_NAME;
		}
	if (!sk_GENERAL_NAME_push(gens, gn)) {
		GENERAL_NAME_free(gn);
		return M2M_E_NOMEM;
	}
	return M2M_OK;
}

m2m_err m2mi_cert_profile_sans(const char *const *sans, size_t n, GENERAL_NAMES **out, char *first,
			       size_t cap)
{
	GENERAL_NAMES *gens = NULL;
	char buf[M2MI_SAN_MAX + 1];
	m2mi_san_kind kind;
	bool ae = false, dev = false;
	size_t nodes = 0;
	m2m_err r = M2M_E_INVAL;

	*out = NULL;
	if (sans == NULL || n == 0 || first == NULL || cap == 0)
		return M2M_E_INVAL;
	if (n > M2M_CA_MAX_SANS)
		return M2M_E_RANGE;
	first[0] = '\0';
	if ((gens = sk_GENERAL_NAME_new_null()) == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((r = m2mi_cert_profile_san(sans[i], &kind, buf, sizeof(buf))) != M2M_OK)
			goto out;
		ae = ae || (kind == M2MI_SAN_URI && strncmp(buf, "m2m://", 6) == 0);
		dev = dev || kind == M2MI_SAN_IP || strcmp(buf, "localhost") == 0;
		nodes += kind == M2MI_SAN_NODE;
		if ((r = add_name(gens, kind, buf)) != M2M_OK)
			goto out;
		/* A Node-ID is not a host name: it never goes to the commonName. */
		if (i == 0 && kind != M2MI_SAN_IP && kind != M2MI_SAN_NODE && strlen(buf) < cap)
			memcpy(first, buf, strlen(buf) + 1);
	}
	/* Addresses and localhost name a development server, never an AE (TS-0003 10.1.1.5). */
	/* One client identity per certificate: a Node-ID cert is not also an AE-ID cert (a CSE
	 * could not tell which one the association is bound to, TS-0003 8.2.1). */
	if ((ae && dev) || nodes > 1 || (nodes > 0 && (ae || dev))) {
		r = M2M_E_CERT_NAME;
		goto out;
	}
	*out = gens;
	gens = NULL;
	r = M2M_OK;
out:
	GENERAL_NAMES_free(gens);
	return r;
}

m2m_err m2mi_cert_profile_cn(const char *cn)
{
	size_t len;

	if (cn == NULL)
		return M2M_E_INVAL;
	len = strlen(cn);
	if (len == 0 || len > M2M_CA_CN_MAX || !m2m_utf8_valid(cn, len))
		return M2M_E_INVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)cn[i] < 0x20 || cn[i] == 0x7f)
			return M2M_E_INVAL;
	if (strchr(cn, '*') != NULL)
		return M2M_E_CERT_NAME;
	return M2M_OK;
}

m2m_err m2mi_cert_profile_keygen(EVP_PKEY **out)
{
	*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return *out != NULL ? M2M_OK : M2M_E_CRYPTO;
}

m2m_err m2mi_cert_profile_pubkey(const EVP_PKEY *in, EVP_PKEY **out)
{
	EVP_PKEY_CTX *pctx = NULL;
	BIGNUM *x = NULL, *y = NULL;
	uint8_t point[P256_POINT_LEN];
	char group[64] = "";
	char gname[] = "prime256v1", enc[] = "named_curve", form[] = "uncompressed";
	OSSL_PARAM params[5];
	m2m_err r = M2M_E_CERT;

	*out = NULL;
	if (in == NULL)
		return M2M_E_INVAL;
	if (!EVP_PKEY_is_a(in, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(in, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) ||
	    strcmp(group, gname) != 0)
		goto out;
	if (!EVP_PKEY_get_bn_param(in, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(in, OSSL_PKEY_PARAM_EC_PUB_Y, &y) ||
	    BN_bn2binpad(x, point + 1, 32) != 32 || BN_bn2binpad(y, point + 33, 32) != 32)
		goto out;
	point[0] = 0x04;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, gname, 0);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, enc, 0);
	params[2] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, form, 0);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
	params[4] = OSSL_PARAM_construct_end();
	/* fromdata decodes the point, so one that is not on the curve is refused here. */
	if ((pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) <= 0 || EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		*out = NULL;
		goto out;
	}
	r = M2M_OK;
out:
	EVP_PKEY_CTX_free(pctx);
	BN_free(x);
	BN_free(y);
	return r;
}

m2m_err m2mi_cert_profile_serial(X509 *x)
{
	uint8_t b[16];
	BIGNUM *bn = NULL;
	m2m_err r = M2M_E_CRYPTO;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return M2M_E_CRYPTO;
	b[0] = (uint8_t)((b[0] & 0x7f) | 0x40); /* positive, exactly 16 bytes in DER */
	if ((bn = BN_bin2bn(b, sizeof(b), NULL)) != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		r = M2M_OK;
	BN_free(bn);
	return r;
}

m2m_err m2mi_cert_profile_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	m2m_err r = M2M_OK;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return M2M_E_CRYPTO;
	if (!X509_add_ext(x, ext, -1))
		r = M2M_E_NOMEM;
	X509_EXTENSION_free(ext);
	return r;
}

/* 10.1.1.1: id-ecPublicKey, namedCurve secp256r1, uncompressed point. */
static bool spki_is_p256_uncompressed(X509 *x)
{
	X509_PUBKEY *pub = X509_get_X509_PUBKEY(x);
	ASN1_OBJECT *alg = NULL;
	const unsigned char *pk = NULL;
	const void *pval = NULL;
	int pklen = 0, ptype = 0;
	X509_ALGOR *pa = NULL;

	if (pub == NULL || !X509_PUBKEY_get0_param(&alg, &pk, &pklen, &pa, pub) || pa == NULL)
		return false;
	X509_ALGOR_get0(NULL, &ptype, &pval, pa);
	return OBJ_obj2nid(alg) == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_OBJECT &&
	       OBJ_obj2nid(pval) == NID_X9_62_prime256v1 && pklen == P256_POINT_LEN && pk[0] == 0x04;
}

static bool names_have_wildcard(X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	X509_NAME *subj = X509_get_subject_name(x);
	bool bad = false;

	for (int i = 0; i < sk_GENERAL_NAME_num(gens) && !bad; i++) {
		int type;
		const ASN1_STRING *v = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, i), &type);
		char node[M2MI_NODE_ID_MAX + 1];
		if ((type == GEN_DNS || type == GEN_URI || type == GEN_EMAIL) &&
		    memchr(ASN1_STRING_get0_data(v), '*', (size_t)ASN1_STRING_length(v)) != NULL)
			bad = true;
		/* 10.1.1.8: a Node-ID otherName must be a valid Node-ID without wildcards. */
		if (type == GEN_OTHERNAME &&
		    m2mi_cert_profile_node_id(sk_GENERAL_NAME_value(gens, i), node, sizeof(node)) == M2M_E_CERT_NAME)
			bad = true;
	}
	GENERAL_NAMES_free(gens);
	for (int i = -1; !bad && (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;) {
		const ASN1_STRING *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
		if (memchr(ASN1_STRING_get0_data(v), '*', (size_t)ASN1_STRING_length(v)) != NULL)
			bad = true;
	}
	return bad;
}

m2m_err m2mi_cert_profile_check(X509 *x)
{
	if (x == NULL)
		return M2M_E_INVAL;
	if (X509_get_version(x) != X509_VERSION_3 || !spki_is_p256_uncompressed(x) ||
	    X509_get_signature_nid(x) != NID_ecdsa_with_SHA256)
		return M2M_E_CERT;
	/* X509_get_extension_flags caches the extensions; a malformed one sets EXFLAG_INVALID. */
	if ((X509_get_extension_flags(x) & (EXFLAG_KUSAGE | EXFLAG_INVALID)) != EXFLAG_KUSAGE ||
	    (X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE) == 0)
		return M2M_E_CERT;
	if (names_have_wildcard(x))
		return M2M_E_CERT_NAME;
	return M2M_OK;
}
