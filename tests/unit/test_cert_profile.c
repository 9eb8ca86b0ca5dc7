/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of pki/cert_profile.c: the TS-0003 clause 10.1.1 name
 * rules for SANs and nameConstraints domains (no wildcards, AE-ID URI form), P-256 key
 * normalisation (uncompressed point, named curve), the 10.1.1.8 Node-ID otherName, serial
 * numbers, and the profile check of a
 * finished certificate (curve, point format, ECDSA-SHA256, keyUsage digitalSignature).
 */
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "m2m_test.h"
#include "m2msec/ca.h"
#include "pki/cert_profile.h"

static bool is_id_err(m2m_err r)
{
	return r <= M2M_E_ID_EMPTY && r >= M2M_E_ID_BAD_LEN;
}

static void test_san_valid(void **state)
{
	static const struct {
		const char *in, *canon;
		m2mi_san_kind kind;
	} ok[] = {
		{"cse-in.sp.example.com", "cse-in.sp.example.com", M2MI_SAN_DNS},
		{"MEF.Example.COM.", "mef.example.com", M2MI_SAN_DNS},
		{"m2m://sp.example.com/cse-in/Cabc", "m2m://sp.example.com/cse-in/Cabc", M2MI_SAN_URI},
		{"M2M://SP.Example.com/cse-in/Cabc", "m2m://sp.example.com/cse-in/Cabc", M2MI_SAN_URI},
		{"m2m://sp.example.com/Sxyz", "m2m://sp.example.com/Sxyz", M2MI_SAN_URI},
		{"HTTPS://Node.SP.example.com:8443/a/b?c=d#e", "https://node.sp.example.com:8443/a/b?c=d#e",
		 M2MI_SAN_URI},
		{"coap://gw.example.com", "coap://gw.example.com", M2MI_SAN_URI},
		{"https://sp.example.com/%41b", "https://sp.example.com/%41b", M2MI_SAN_URI},
		/* the spelling of OpenSSL's x509v3_config(5), any case */
		{"DNS:id-in.sp.example.com", "id-in.sp.example.com", M2MI_SAN_DNS},
		{"dns:ID-IN.sp.example.com", "id-in.sp.example.com", M2MI_SAN_DNS},
		{"URI:m2m://sp.example.com/id-in/Cdev3", "m2m://sp.example.com/id-in/Cdev3", M2MI_SAN_URI},
		/* development servers */
		{"localhost", "localhost", M2MI_SAN_DNS},
		{"DNS:LocalHost", "localhost", M2MI_SAN_DNS},
		{"IP:127.0.0.1", "127.0.0.1", M2MI_SAN_IP},
		{"ip:::1", "::1", M2MI_SAN_IP},
		{"IP:2001:DB8:0:0:0:0:0:1", "2001:db8::1", M2MI_SAN_IP},
	};
	char out[M2MI_SAN_MAX + 1];
	m2mi_san_kind kind;

	for (size_t i = 0; i < M2M_ARRAY_LEN(ok); i++) {
		assert_int_equal(m2mi_cert_profile_san(ok[i].in, &kind, out, sizeof(out)), M2M_OK);
		assert_int_equal(kind, ok[i].kind);
		assert_string_equal(out, ok[i].canon);
	}
}

static void test_san_invalid(void **state)
{
	static const struct {
		const char *in;
		m2m_err want; /* 1 = any M2M_E_ID_* */
	} bad[] = {
		{"*.sp.example.com", M2M_E_ID_WILDCARD},
		{"a.*.example.com", M2M_E_ID_WILDCARD},
		{"m2m://*.example.com/cse-in/Cabc", M2M_E_CERT_NAME},
		{"https://sp.example.com/*", M2M_E_CERT_NAME},
		{"https://user@sp.example.com/", 1},
		{"https://user:pw@sp.example.com/", M2M_E_CERT_NAME},
		{"https://sp.example.com?q", 1},
		{"https://sp.example.com/a:b", M2M_E_CERT_NAME},
		{"https://sp.example.com:/", M2M_E_CERT_NAME},
		{"https://sp.example.com:123456/", M2M_E_CERT_NAME},
		{"https://sp.example.com:8a/", M2M_E_CERT_NAME},
		{"https://[::1]/", M2M_E_CERT_NAME},
		{"https:///path", M2M_E_CERT_NAME},
		{"1ttp://sp.example.com/", M2M_E_CERT_NAME},
		{"ht_p://sp.example.com/", M2M_E_CERT_NAME},
		{"://sp.example.com/", M2M_E_CERT_NAME},
		{"https://sp.example.com/a b", M2M_E_CERT_NAME},
		{"https://sp.example.com/%4", M2M_E_CERT_NAME},
		{"https://sp.example.com/%zz", M2M_E_CERT_NAME},
		{"https://sp.example.com/a\\b", M2M_E_CERT_NAME},
		{"m2m://sp.example.com/cse-in", 1},
		{"m2m://sp.example.com/cse-in/Xabc", 1},
		{"localhost.", 1},
		{"sp..example.com", 1},
		/* OpenSSL-style prefixes must agree with the value */
		{"URI:sp.example.com", M2M_E_CERT_NAME},
		{"DNS:m2m://sp.example.com/cse-in/Cabc", M2M_E_CERT_NAME},
		{"IP:sp.example.com", M2M_E_CERT_NAME},
		{"IP:127.0.0.256", M2M_E_CERT_NAME},
		{"IP:1.2.3", M2M_E_CERT_NAME},
		{"IP:fe80::1%eth0", M2M_E_CERT_NAME},
		{"IP:[::1]", M2M_E_CERT_NAME},
		{"IP:10.0.0.0/8", M2M_E_CERT_NAME},
		{"IP:", M2M_E_ID_EMPTY},
		{"DNS:", M2M_E_ID_EMPTY},
		{"EMAIL:a@sp.example.com", 1},
		{"-sp.example.com", 1},
		{"sp.example.com/path", 1},
		{"", M2M_E_ID_EMPTY},
		{"caf\xc3\xa9.example.com", M2M_E_CERT_NAME},
	};
	char out[M2MI_SAN_MAX + 1];
	m2mi_san_kind kind;

	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		m2m_err r = m2mi_cert_profile_san(bad[i].in, &kind, out, sizeof(out));
		if (bad[i].want == 1 && !is_id_err(r))
			fail_msg("'%s': %d", bad[i].in, r);
		if (bad[i].want == 1)
			assert_true(is_id_err(r));
		else
			assert_int_equal(r, bad[i].want);
		assert_int_equal(kind, 0);
		assert_string_equal(out, "");
	}
	{
		char longer[M2MI_SAN_MAX + 2];
		memset(longer, 'a', sizeof(longer) - 1);
		longer[sizeof(longer) - 1] = '\0';
		assert_int_equal(m2mi_cert_profile_san(longer, &kind, out, sizeof(out)), M2M_E_ID_TOO_LONG);
	}
	assert_int_equal(m2mi_cert_profile_san("sp.example.com", &kind, out, 4), M2M_E_RANGE);
	assert_int_equal(m2mi_cert_profile_san(NULL, &kind, out, sizeof(out)), M2M_E_INVAL);
}

static void test_domain_and_cn(void **state)
{
	char out[256];

	assert_int_equal(m2mi_cert_profile_domain("SP.Example.com.", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "sp.example.com");
	assert_int_equal(m2mi_cert_profile_domain("*.example.com", out, sizeof(out)), M2M_E_ID_WILDCARD);
	assert_true(is_id_err(m2mi_cert_profile_domain(".example.com", out, sizeof(out))));
	assert_true(is_id_err(m2mi_cert_profile_domain("example com", out, sizeof(out))));
	assert_int_equal(m2mi_cert_profile_domain(NULL, out, sizeof(out)), M2M_E_INVAL);

	assert_int_equal(m2mi_cert_profile_cn("Example CA"), M2M_OK);
	assert_int_equal(m2mi_cert_profile_cn("Caf\xc3\xa9 CA"), M2M_OK);
	assert_int_equal(m2mi_cert_profile_cn(""), M2M_E_INVAL);
	assert_int_equal(m2mi_cert_profile_cn("bad\nname"), M2M_E_INVAL);
	assert_int_equal(m2mi_cert_profile_cn("\xc3\x28"), M2M_E_INVAL);
	assert_int_equal(m2mi_cert_profile_cn("*.example.com"), M2M_E_CERT_NAME);
	{
		char cn[M2M_CA_CN_MAX + 2];
		memset(cn, 'a', sizeof(cn) - 1);
		cn[sizeof(cn) - 1] = '\0';
		assert_int_equal(m2mi_cert_profile_cn(cn), M2M_E_INVAL);
		cn[M2M_CA_CN_MAX] = '\0';
		assert_int_equal(m2mi_cert_profile_cn(cn), M2M_OK);
	}
}

static void test_sans_list(void **state)
{
	const char *sans[] = {"m2m://sp.example.com/cse-in/Cabc", "cse-in.sp.example.com"};
	const char *dup[] = {"sp.example.com", "SP.EXAMPLE.COM"};
	GENERAL_NAMES *g = NULL;
	char first[M2MI_SAN_MAX + 1];

	assert_int_equal(m2mi_cert_profile_sans(sans, 2, &g, first, sizeof(first)), M2M_OK);
	assert_int_equal(sk_GENERAL_NAME_num(g), 2);
	assert_int_equal(sk_GENERAL_NAME_value(g, 0)->type, GEN_URI);
	assert_int_equal(sk_GENERAL_NAME_value(g, 1)->type, GEN_DNS);
	assert_string_equal(first, "m2m://sp.example.com/cse-in/Cabc");
	GENERAL_NAMES_free(g);
	assert_int_equal(m2mi_cert_profile_sans(dup, 2, &g, first, sizeof(first)), M2M_E_CERT_NAME);
	assert_null(g);
	assert_int_equal(m2mi_cert_profile_sans(dup, 0, &g, first, sizeof(first)), M2M_E_INVAL);
	assert_int_equal(m2mi_cert_profile_sans(dup, M2M_CA_MAX_SANS + 1, &g, first, sizeof(first)), M2M_E_RANGE);
}

/* IP SANs are iPAddress GeneralNames (RFC 5280 4.2.1.6: 4 or 16 octets), never in the default
 * commonName, and only in development server certificates: not next to an AE-ID URI. */
static void test_sans_ip_and_localhost(void **state)
{
	const char *srv[] = {"IP:127.0.0.1", "id-in.sp.example.com", "localhost", "IP:::1"};
	const char *ae_ip[] = {"m2m://sp.example.com/id-in/Cdev3", "IP:127.0.0.1"};
	const char *ae_lh[] = {"URI:m2m://sp.example.com/id-in/Cdev3", "localhost"};
	const char *dup[] = {"IP:::1", "IP:0:0:0:0:0:0:0:1"};
	GENERAL_NAMES *g = NULL;
	char first[M2MI_SAN_MAX + 1];
	const GENERAL_NAME *gn;

	assert_int_equal(m2mi_cert_profile_sans(srv, 4, &g, first, sizeof(first)), M2M_OK);
	assert_int_equal(sk_GENERAL_NAME_num(g), 4);
	gn = sk_GENERAL_NAME_value(g, 0);
	assert_int_equal(gn->type, GEN_IPADD);
	assert_int_equal(ASN1_STRING_length(gn->d.iPAddress), 4);
	assert_memory_equal(ASN1_STRING_get0_data(gn->d.iPAddress), "\x7f\0\0\x01", 4);
	assert_int_equal(sk_GENERAL_NAME_value(g, 2)->type, GEN_DNS);
	gn = sk_GENERAL_NAME_value(g, 3);
	assert_int_equal(gn->type, GEN_IPADD);
	assert_int_equal(ASN1_STRING_length(gn->d.iPAddress), 16);
	assert_string_equal(first, ""); /* an address is not a commonName */
	GENERAL_NAMES_free(g);
	g = NULL;
	assert_int_equal(m2mi_cert_profile_sans(ae_ip, 2, &g, first, sizeof(first)), M2M_E_CERT_NAME);
	assert_null(g);
	assert_int_equal(m2mi_cert_profile_sans(ae_lh, 2, &g, first, sizeof(first)), M2M_E_CERT_NAME);
	assert_null(g);
	assert_int_equal(m2mi_cert_profile_sans(dup, 2, &g, first, sizeof(first)), M2M_E_CERT_NAME);
	assert_null(g);
	assert_int_equal(m2mi_cert_profile_domain("LOCALHOST", first, sizeof(first)), M2M_OK);
	assert_string_equal(first, "localhost");
}

/* TS-0003 10.1.1.8: "NODE:" makes a Node-ID otherName (M2MI_NODE_ID_OID, UTF8String) holding
 * the Node-ID byte for byte; never a commonName; one client identity per certificate. */
static void test_sans_node_id(void **state)
{
	const char *node[] = {"NODE:urn:gsma:imei:90420156-025763-0;svn=42", "gw1.sp.example.com"};
	const char *node_ae[] = {"node:urn:x:1", "m2m://sp.example.com/id-in/Cdev3"};
	const char *node_ip[] = {"NODE:urn:x:1", "IP:127.0.0.1"};
	const char *two[] = {"NODE:urn:x:1", "NODE:urn:x:2"};
	const char *dup[] = {"NODE:urn:x:1", "NODE:urn:x:1"};
	char long_id[M2MI_NODE_ID_MAX + 8] = "NODE:", out[M2MI_SAN_MAX + 1], nid[M2MI_NODE_ID_MAX + 1];
	GENERAL_NAMES *g = NULL;
	m2mi_san_kind kind;

	assert_int_equal(m2mi_cert_profile_san("NODE:Urn:GSMA:imei:1", &kind, out, sizeof(out)), M2M_OK);
	assert_int_equal(kind, M2MI_SAN_NODE);
	assert_string_equal(out, "Urn:GSMA:imei:1"); /* exact match (TS-0003 8.1.2.5): no case folding */
	assert_int_equal(m2mi_cert_profile_san("NODE:urn:gsma:*", &kind, out, sizeof(out)), M2M_E_CERT_NAME);
	assert_int_equal(m2mi_cert_profile_san("NODE:urn:a b", &kind, out, sizeof(out)), M2M_E_CERT_NAME);
	assert_int_equal(m2mi_cert_profile_san("NODE:urn:\x01", &kind, out, sizeof(out)), M2M_E_CERT_NAME);
	assert_int_equal(m2mi_cert_profile_san("NODE:", &kind, out, sizeof(out)), M2M_E_ID_EMPTY);
	memset(long_id + 5, 'a', M2MI_NODE_ID_MAX + 1);
	long_id[5 + M2MI_NODE_ID_MAX + 1] = '\0';
	assert_int_equal(m2mi_cert_profile_san(long_id, &kind, out, sizeof(out)), M2M_E_ID_TOO_LONG);
	long_id[5 + M2MI_NODE_ID_MAX] = '\0';
	assert_int_equal(m2mi_cert_profile_san(long_id, &kind, out, sizeof(out)), M2M_OK);

	assert_int_equal(m2mi_cert_profile_sans(node, 2, &g, out, sizeof(out)), M2M_OK);
	assert_int_equal(sk_GENERAL_NAME_num(g), 2);
	assert_int_equal(sk_GENERAL_NAME_value(g, 0)->type, GEN_OTHERNAME);
	assert_int_equal(m2mi_cert_profile_node_id(sk_GENERAL_NAME_value(g, 0), nid, sizeof(nid)), M2M_OK);
	assert_string_equal(nid, "urn:gsma:imei:90420156-025763-0;svn=42");
	assert_int_equal(m2mi_cert_profile_node_id(sk_GENERAL_NAME_value(g, 1), nid, sizeof(nid)), M2M_E_NOT_FOUND);
	assert_string_equal(out, ""); /* the Node-ID is not a commonName */
	GENERAL_NAMES_free(g);
	g = NULL;
	assert_int_equal(m2mi_cert_profile_sans(node_ae, 2, &g, out, sizeof(out)), M2M_E_CERT_NAME);
	assert_int_equal(m2mi_cert_profile_sans(node_ip, 2, &g, out, sizeof(out)), M2M_E_CERT_NAME);
	assert_int_equal(m2mi_cert_profile_sans(two, 2, &g, out, sizeof(out)), M2M_E_CERT_NAME);
	assert_int_equal(m2mi_cert_profile_sans(dup, 2, &g, out, sizeof(out)), M2M_E_CERT_NAME);
	assert_null(g);
}

static void test_pubkey_normalise(void **state)
{
	EVP_PKEY *k = NULL, *p = NULL;
	unsigned char buf[128];
	size_t len = 0;
	char fmt[32];

	assert_int_equal(m2mi_cert_profile_keygen(&k), M2M_OK);
	assert_true(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"));
	/* SubjectPublicKeyInfo: 26 bytes of header and a 33-byte compressed or 65-byte point. */
	assert_int_equal(i2d_PUBKEY(k, NULL), 26 + 33);
	assert_int_equal(m2mi_cert_profile_pubkey(k, &p), M2M_OK);
	assert_true(EVP_PKEY_get_utf8_string_param(p, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, fmt, sizeof(fmt),
						   NULL));
	assert_string_equal(fmt, "uncompressed");
	assert_int_equal(i2d_PUBKEY(p, NULL), 26 + 65);
	assert_true(EVP_PKEY_get_octet_string_param(p, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof(buf), &len));
	assert_int_equal(len, 65);
	assert_int_equal(buf[0], 0x04);
	assert_int_equal(EVP_PKEY_eq(k, p), 1);
	EVP_PKEY_free(p);
	EVP_PKEY_free(k);

	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	assert_int_equal(m2mi_cert_profile_pubkey(k, &p), M2M_E_CERT);
	assert_null(p);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_int_equal(m2mi_cert_profile_pubkey(k, &p), M2M_E_CERT);
	EVP_PKEY_free(k);
	assert_int_equal(m2mi_cert_profile_pubkey(NULL, &p), M2M_E_INVAL);
}

static void test_serial(void **state)
{
	X509 *a = X509_new(), *b = X509_new();

	assert_int_equal(m2mi_cert_profile_serial(a), M2M_OK);
	assert_int_equal(m2mi_cert_profile_serial(b), M2M_OK);
	assert_int_equal(ASN1_STRING_type(X509_get0_serialNumber(a)), V_ASN1_INTEGER); /* positive */
	assert_int_equal(ASN1_STRING_length(X509_get0_serialNumber(a)), 16);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)), 0);
	X509_free(a);
	X509_free(b);
}

/* A self-signed certificate with the given curve, digest and keyUsage, for the profile check. */
static X509 *make_cert(const char *curve, const EVP_MD *md, const char *ku, const char *san, const char *cn)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	X509 *x = X509_new();

	assert_non_null(k);
	X509_set_version(x, X509_VERSION_3);
	assert_int_equal(m2mi_cert_profile_serial(x), M2M_OK);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
				   0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	if (ku != NULL)
		assert_int_equal(m2mi_cert_profile_ext(x, NULL, NID_key_usage, ku), M2M_OK);
	if (san != NULL)
		assert_int_equal(m2mi_cert_profile_ext(x, NULL, NID_subject_alt_name, san), M2M_OK);
	assert_true(X509_sign(x, k, md) > 0);
	EVP_PKEY_free(k);
	return x;
}

static void test_profile_check(void **state)
{
	static const struct {
		const char *curve;
		int md; /* 256 or 384 */
		const char *ku, *san, *cn;
		m2m_err want;
	} cases[] = {
		{"P-256", 256, "critical,digitalSignature", "DNS:a.example.com", "a", M2M_OK},
		{"P-256", 256, "digitalSignature,keyEncipherment", "URI:m2m://sp.example.com/cse-in/Cabc", "a",
		 M2M_OK},
		{"P-384", 256, "digitalSignature", NULL, "a", M2M_E_CERT},
		{"P-256", 384, "digitalSignature", NULL, "a", M2M_E_CERT},
		{"P-256", 256, NULL, NULL, "a", M2M_E_CERT},
		{"P-256", 256, "keyCertSign", NULL, "a", M2M_E_CERT},
		{"P-256", 256, "digitalSignature", "DNS:*.example.com", "a", M2M_E_CERT_NAME},
		{"P-256", 256, "digitalSignature", "URI:https://*.example.com/", "a", M2M_E_CERT_NAME},
		{"P-256", 256, "digitalSignature", NULL, "*.example.com", M2M_E_CERT_NAME},
		/* TS-0003 10.1.1.8 Node-ID (RFC 4043 permanentIdentifier): the value must be a SEQUENCE */
		{"P-256", 256, "digitalSignature", "otherName:" M2MI_NODE_ID_OID ";UTF8:urn:x:1", "a", M2M_E_CERT_NAME},
		{"P-256", 256, "digitalSignature", "otherName:1.2.3.4;UTF8:*", "a", M2M_OK}, /* not a Node-ID */
	};

	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		X509 *x = make_cert(cases[i].curve, cases[i].md == 256 ? EVP_sha256() : EVP_sha384(), cases[i].ku,
				    cases[i].san, cases[i].cn);
		assert_int_equal(m2mi_cert_profile_check(x), cases[i].want);
		X509_free(x);
	}
	assert_int_equal(m2mi_cert_profile_check(NULL), M2M_E_INVAL);
}

/* A self-signed P-256 certificate whose SAN is one permanentIdentifier otherName with the given
 * DER value (the PermanentIdentifier SEQUENCE). */
static X509 *make_node_cert(const unsigned char *der, size_t n)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = make_cert("P-256", EVP_sha256(), "digitalSignature", NULL, "a");
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_STRING *seq = ASN1_STRING_new();
	ASN1_TYPE *t = ASN1_TYPE_new();

	assert_true(k != NULL && gens != NULL && gn != NULL && seq != NULL && t != NULL);
	assert_true(ASN1_STRING_set(seq, der, (int)n));
	ASN1_TYPE_set(t, V_ASN1_SEQUENCE, seq);
	assert_true(GENERAL_NAME_set0_othername(gn, OBJ_nid2obj(NID_id_on_permanentIdentifier), t));
	assert_true(sk_GENERAL_NAME_push(gens, gn));
	assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT), 1);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	GENERAL_NAMES_free(gens);
	EVP_PKEY_free(k);
	return x;
}

/* TS-0003 10.1.1.8 in a finished certificate: a Node-ID without wildcard passes; a wildcard, a
 * space, a trailing byte or a non-UTF8String identifierValue fails; an assigner makes it
 * something else than a Node-ID (ignored here, never bound by tls/peer.c). */
static void test_profile_check_node_id(void **state)
{
	static const struct {
		const char *der;
		size_t n;
		m2m_err want;
	} cases[] = {
		{"\x30\x09\x0c\x07urn:x:1", 11, M2M_OK},
		{"\x30\x09\x0c\x07urn:x:*", 11, M2M_E_CERT_NAME},
		{"\x30\x09\x0c\x07urn x:1", 11, M2M_E_CERT_NAME},
		{"\x30\x09\x16\x07urn:x:1", 11, M2M_E_CERT_NAME},      /* IA5String */
		{"\x30\x02\x0c\x00", 4, M2M_E_CERT_NAME},              /* empty */
		{"\x30\x0a\x0c\x07urn:x:1\x00", 12, M2M_E_CERT_NAME}, /* trailing byte in the SEQUENCE */
		{"\x30\x0e\x0c\x07urn:x:1\x06\x03\x2a\x03\x04", 16, M2M_OK}, /* with assigner 1.2.3.4 */
	};
	char out[M2MI_NODE_ID_MAX + 1];

	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		X509 *x = make_node_cert((const unsigned char *)cases[i].der, cases[i].n);
		GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
		assert_int_equal(m2mi_cert_profile_check(x), cases[i].want);
		if (i == 0) {
			assert_int_equal(m2mi_cert_profile_node_id(sk_GENERAL_NAME_value(g, 0), out, sizeof(out)), M2M_OK);
			assert_string_equal(out, "urn:x:1");
		}
		if (i == 6)
			assert_int_equal(m2mi_cert_profile_node_id(sk_GENERAL_NAME_value(g, 0), out, sizeof(out)),
					 M2M_E_NOT_FOUND);
		GENERAL_NAMES_free(g);
		X509_free(x);
	}
}

static void test_profile_check_compressed(void **state)
{
	EVP_PKEY *k = NULL;
	X509 *x = X509_new();

	/* The same P-256 key with a compressed point breaks 10.1.1.1 "uncompressed". */
	assert_int_equal(m2mi_cert_profile_keygen(&k), M2M_OK);
	assert_true(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"));
	X509_set_version(x, X509_VERSION_3);
	X509_set_pubkey(x, k);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	assert_int_equal(m2mi_cert_profile_ext(x, NULL, NID_key_usage, "digitalSignature"), M2M_OK);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_int_equal(m2mi_cert_profile_check(x), M2M_E_CERT);
	X509_free(x);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_san_valid),
		cmocka_unit_test(test_san_invalid),
		cmocka_unit_test(test_domain_and_cn),
		cmocka_unit_test(test_sans_list),
		cmocka_unit_test(test_sans_ip_and_localhost),
		cmocka_unit_test(test_sans_node_id),
		cmocka_unit_test(test_pubkey_normalise),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_profile_check),
		cmocka_unit_test(test_profile_check_node_id),
		cmocka_unit_test(test_profile_check_compressed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
