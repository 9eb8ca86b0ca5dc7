/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/digest_parse.c, the strict parser of HTTP Digest
 * AKA headers on GBA Ub (RFC 3310, RFC 7235 clause 2.1, RFC 7230 clause 3.2.6, RFC 7616; TS-0003
 * clause 8.3.2.3): challenges and credentials as a BSF and a UE send them, quoted-pair escapes,
 * case-insensitive names, ignored unknown parameters, and one refusal per malformed form
 * (duplicates, control characters, bounds, missing or malformed required parameters).
 */
#include <stdio.h>
#include <string.h>

#include "m2m_test.h"
#include "m2msec/digest_aka.h"

#define NONCE "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M="
#define RESP "0123456789abcdef0123456789abcdef"

static m2m_err parse(const char *s, m2m_digest_kind kind, m2m_digest *d)
{
	return m2m_digest_parse(s, strlen(s), kind, d);
}

static void test_challenge(void **state)
{
	m2m_digest d;

	assert_int_equal(parse("Digest realm=\"bsf.example.com\", nonce=\"" NONCE "\", algorithm=AKAv1-MD5, "
			       "qop=\"auth,auth-int\", opaque=\"5ccc\", stale=FALSE",
			       M2M_DIGEST_CHALLENGE, &d),
			 M2M_OK);
	assert_string_equal(d.realm, "bsf.example.com");
	assert_string_equal(d.nonce, NONCE);
	assert_string_equal(d.qop, "auth");
	assert_string_equal(d.opaque, "5ccc");
	assert_false(d.stale);
	assert_true(d.present & M2M_DIGEST_HAS_STALE);
	/* case-insensitive scheme, names and algorithm; OWS around '=' and ','; unknown ignored */
	assert_int_equal(parse("digest REALM = \"r\" ,Nonce=\"n\",\talgorithm=akav1-md5, charset=UTF-8, x=\"y\","
			       " stale=true",
			       M2M_DIGEST_CHALLENGE, &d),
			 M2M_OK);
	assert_string_equal(d.realm, "r");
	assert_true(d.stale);
	assert_string_equal(d.qop, "");
}

static void test_credentials(void **state)
{
	m2m_digest d;

	assert_int_equal(parse("Digest username=\"imsi\\\"x\\\\y@ims.example\", realm=\"bsf.example.com\", nonce=\"" NONCE
			       "\", uri=\"/\", response=\"" RESP "\", algorithm=AKAv1-MD5, qop=auth, nc=0000000A, "
			       "cnonce=\"c n\", auts=\"AAECAwQFBgcICQoLDA0=\"",
			       M2M_DIGEST_CREDENTIALS, &d),
			 M2M_OK);
	assert_string_equal(d.username, "imsi\"x\\y@ims.example");
	assert_string_equal(d.uri, "/");
	assert_string_equal(d.response, RESP);
	assert_string_equal(d.nc, "0000000A");
	assert_string_equal(d.cnonce, "c n");
	assert_string_equal(d.auts, "AAECAwQFBgcICQoLDA0=");
	/* without qop (RFC 2069 compatibility form) */
	assert_int_equal(parse("Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"" RESP
			       "\", algorithm=\"AKAv1-MD5\"",
			       M2M_DIGEST_CREDENTIALS, &d),
			 M2M_OK);
	assert_string_equal(d.qop, "");
}

#define CRED_OK "username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", algorithm=AKAv1-MD5, "

static void test_refusals(void **state)
{
	static const struct {
		m2m_digest_kind kind;
		const char *v;
		m2m_err want;
	} bad[] = {
		{M2M_DIGEST_CHALLENGE, "Basic realm=\"r\"", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest ", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digestrealm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", realm=\"s\", nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", REALM=\"r\", nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5, x=1, X=2", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5, stale=true, stale=true",
		 M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5, qop=\"auth\", qop=\"auth\"",
		 M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r, nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\x01\", nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\x7f\", nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"\xc3\xa9\", nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\\\x01\", nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\\", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm \"r\", nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=, nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5,", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\",, nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\" nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\"x, nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=r@x, nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"\", nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest nonce=\"n\", algorithm=AKAv1-MD5", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", nonce=\"n\"", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", nonce=\"n\", algorithm=MD5", M2M_E_UNSUPPORTED},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", nonce=\"n\", algorithm=AKAv2-MD5", M2M_E_UNSUPPORTED},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5, qop=\"auth-int\"",
		 M2M_E_UNSUPPORTED},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5, qop=\"auth,\"", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5, qop=\"au th\"", M2M_E_PROTO},
		{M2M_DIGEST_CHALLENGE, "Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5, stale=maybe", M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest " CRED_OK "response=\"0123\"", M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest " CRED_OK "response=\"0123456789ABCDEF0123456789abcdef\"", M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest " CRED_OK "response=\"0123456789abcdef0123456789abcdeg\"", M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest " CRED_OK "response=\"" RESP "0\"", M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest " CRED_OK "response=\"" RESP "\", qop=auth, nc=00000001", M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest " CRED_OK "response=\"" RESP "\", qop=auth, cnonce=\"c\"", M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest " CRED_OK "response=\"" RESP "\", qop=auth, cnonce=\"c\", nc=0000001",
		 M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest " CRED_OK "response=\"" RESP "\", qop=auth, cnonce=\"c\", nc=0000000g",
		 M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest " CRED_OK "response=\"" RESP "\", cnonce=\"c\"", M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest " CRED_OK "response=\"" RESP "\", qop=auth-int, cnonce=\"c\", nc=00000001",
		 M2M_E_UNSUPPORTED},
		{M2M_DIGEST_CREDENTIALS, "Digest " CRED_OK "response=\"" RESP "\", auts=\"AAECAwQFBgcICQoLDA==\"",
		 M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest " CRED_OK "response=\"" RESP "\", auts=\"not base64!\"", M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest username=\"u\", realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5, "
					 "response=\"" RESP "\"",
		 M2M_E_PROTO},
		{M2M_DIGEST_CREDENTIALS, "Digest username=\"\", realm=\"r\", nonce=\"n\", uri=\"/\", algorithm=AKAv1-MD5, "
					 "response=\"" RESP "\"",
		 M2M_E_PROTO},
	};
	m2m_digest d;

	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		m2m_err r = parse(bad[i].v, bad[i].kind, &d);

		if (r != bad[i].want)
			print_error("case %zu: %s -> %d\n", i, bad[i].v, r);
		assert_int_equal(r, bad[i].want);
		assert_int_equal(d.present, 0);
		assert_string_equal(d.realm, "");
	}
}

static void test_bounds(void **state)
{
	char big[M2M_DIGEST_HDR_MAX + 64];
	m2m_digest d;
	size_t n;

	/* a value longer than its field */
	n = (size_t)snprintf(big, sizeof(big), "Digest nonce=\"n\", algorithm=AKAv1-MD5, realm=\"");
	memset(big + n, 'r', 256);
	memcpy(big + n + 256, "\"", 2);
	assert_int_equal(parse(big, M2M_DIGEST_CHALLENGE, &d), M2M_E_PROTO);
	/* 255 characters fit */
	memcpy(big + n + 255, "\"", 2);
	assert_int_equal(parse(big, M2M_DIGEST_CHALLENGE, &d), M2M_OK);
	/* too many parameters */
	n = (size_t)snprintf(big, sizeof(big), "Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5");
	for (int i = 0; i < M2M_DIGEST_PARAMS_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, ", x%d=1", i);
	assert_int_equal(parse(big, M2M_DIGEST_CHALLENGE, &d), M2M_E_PROTO);
	/* the header bound, and an embedded NUL */
	memset(big, 'a', sizeof(big));
	assert_int_equal(m2m_digest_parse(big, M2M_DIGEST_HDR_MAX + 1, M2M_DIGEST_CHALLENGE, &d), M2M_E_TOO_LARGE);
	assert_int_equal(m2m_digest_parse("Digest realm=\"r\0\", nonce=\"n\", algorithm=AKAv1-MD5", 49,
					  M2M_DIGEST_CHALLENGE, &d),
			 M2M_E_PROTO);
	assert_int_equal(m2m_digest_parse("", 0, M2M_DIGEST_CHALLENGE, &d), M2M_E_PROTO);
	assert_int_equal(m2m_digest_parse(NULL, 3, M2M_DIGEST_CHALLENGE, &d), M2M_E_INVAL);
	assert_int_equal(m2m_digest_parse("Digest a=b", 10, (m2m_digest_kind)9, &d), M2M_E_INVAL);
	assert_int_equal(m2m_digest_parse("Digest a=b", 10, M2M_DIGEST_CHALLENGE, NULL), M2M_E_INVAL);
}

/* TS 24.109 clause 5.2.1: the UE's first request names the IMPI, with an empty nonce and response. */
static void test_initial(void **state)
{
	static const char *bad[] = {
		"Digest realm=\"b\", uri=\"/bsf\"",                                          /* no username */
		"Digest username=\"u\", uri=\"/bsf\"",                                      /* no realm */
		"Digest username=\"u\", realm=\"b\"",                                       /* no uri */
		"Digest username=\"u\", realm=\"b\", uri=\"/bsf\", nonce=\"x\"",               /* a nonce */
		"Digest username=\"u\", realm=\"b\", uri=\"/bsf\", response=\"x\"",            /* a response */
		"Digest username=\"u\", realm=\"b\", uri=\"/bsf\", auts=\"AAAAAAAAAAAAAAAAAAA=\"", /* auts */
		"Digest username=\"\", realm=\"b\", uri=\"/bsf\"",                             /* empty IMPI */
	};
	const char *ok = "Digest username=\"u@ims.example.org\", realm=\"bsf.example.com\", nonce=\"\", uri=\"/bsf\", "
			 "response=\"\"";
	const char *md5 = "Digest username=\"u\", realm=\"b\", uri=\"/bsf\", algorithm=MD5";
	m2m_digest d;

	(void)state;
	assert_int_equal(m2m_digest_parse(ok, strlen(ok), M2M_DIGEST_INITIAL, &d), M2M_OK);
	assert_string_equal(d.username, "u@ims.example.org");
	/* not credentials: the empty response is malformed there */
	assert_int_equal(m2m_digest_parse(ok, strlen(ok), M2M_DIGEST_CREDENTIALS, &d), M2M_E_PROTO);
	assert_int_equal(m2m_digest_parse(md5, strlen(md5), M2M_DIGEST_INITIAL, &d), M2M_E_UNSUPPORTED);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(m2m_digest_parse(bad[i], strlen(bad[i]), M2M_DIGEST_INITIAL, &d), M2M_E_PROTO);
	assert_int_equal(m2m_digest_parse(ok, strlen(ok), (m2m_digest_kind)4, &d), M2M_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_initial),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
