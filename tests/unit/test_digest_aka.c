/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/digest_aka.c (RFC 3310 HTTP Digest AKA on GBA Ub,
 * TS-0003 clause 8.3.2.3): the request-digest against the published example of RFC 2617 clause
 * 3.5 (a fact from that RFC), the same formula with a binary RES password (RFC 3310 clause 3.4)
 * and the empty password with auts (clause 3.5), the nonce RAND || AUTN || server data, the
 * constant-time verification and its refusals, and format -> parse round trips with escaping.
 */
#include "m2m_test.h"
#include "m2msec/digest_aka.h"

static void test_rfc2617_example(void **state)
{
	char out[M2M_DIGEST_RESPONSE_LEN + 1];

	/* RFC 2617 clause 3.5: Mufasa / "Circle Of Life", GET /dir/index.html */
	assert_int_equal(m2m_digest_aka_response("Mufasa", "testrealm@host.com", (const uint8_t *)"Circle Of Life", 14,
						 "GET", "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
						 "00000001", "0a4f113b", "auth", out),
			 M2M_OK);
	assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
}

static const uint8_t rand1[16] = {0x23, 0x55, 0x3c, 0xbe, 0x96, 0x37, 0xa8, 0x9d,
				  0x21, 0x8a, 0xe6, 0x4d, 0xae, 0x47, 0xbf, 0x35};
static const uint8_t autn1[16] = {0x55, 0xf3, 0x28, 0xb4, 0x35, 0x77, 0xb9, 0xb9,
				  0x4a, 0x9f, 0xfa, 0xc3, 0x54, 0xdf, 0xaf, 0xb3};
/* TS 35.207 set 1 f2 (RES) */
static const uint8_t res1[8] = {0xa5, 0x42, 0x11, 0xd5, 0xe3, 0xba, 0x50, 0xbf};

static void test_nonce(void **state)
{
	char nonce[M2M_DIGEST_NONCE_MAX + 1];
	uint8_t r[16], a[16], sd[M2M_DIGEST_SERVER_DATA_MAX], big[M2M_DIGEST_SERVER_DATA_MAX + 1] = {0};
	size_t sl = 99;

	assert_int_equal(m2m_digest_aka_nonce(rand1, autn1, NULL, 0, nonce, sizeof(nonce)), M2M_OK);
	/* base64(RAND || AUTN) of TS 35.207 set 1, from Python's base64.b64encode */
	assert_string_equal(nonce, "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=");
	assert_int_equal(m2m_digest_aka_nonce_split(nonce, r, a, sd, sizeof(sd), &sl), M2M_OK);
	assert_memory_equal(r, rand1, 16);
	assert_memory_equal(a, autn1, 16);
	assert_int_equal(sl, 0);
	assert_int_equal(m2m_digest_aka_nonce(rand1, autn1, (const uint8_t *)"srv-1", 5, nonce, sizeof(nonce)), M2M_OK);
	assert_int_equal(m2m_digest_aka_nonce_split(nonce, r, a, sd, sizeof(sd), &sl), M2M_OK);
	assert_int_equal(sl, 5);
	assert_memory_equal(sd, "srv-1", 5);
	assert_int_equal(m2m_digest_aka_nonce_split(nonce, r, a, NULL, 0, &sl), M2M_OK);
	assert_int_equal(m2m_digest_aka_nonce_split(nonce, r, a, sd, 4, &sl), M2M_E_RANGE);
	assert_int_equal(m2m_digest_aka_nonce(rand1, autn1, big, sizeof(big), nonce, sizeof(nonce)), M2M_E_TOO_LARGE);
	assert_int_equal(m2m_digest_aka_nonce(rand1, autn1, NULL, 0, nonce, 44), M2M_E_RANGE);
	/* too short (RAND only), not canonical, not base64 */
	assert_int_equal(m2m_digest_aka_nonce_split("I1U8vpY3qJ0hiuZNrke/NQ==", r, a, NULL, 0, &sl), M2M_E_PROTO);
	assert_int_equal(m2m_digest_aka_nonce_split("I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7N=", r, a, NULL, 0, &sl),
			 M2M_E_PROTO);
	assert_int_equal(m2m_digest_aka_nonce_split("nonce!", r, a, NULL, 0, &sl), M2M_E_PROTO);
}

/* The UE side: credentials answering a challenge with RES (or AUTS and the empty password). */
static void make_cred(m2m_digest *d, const uint8_t *pw, size_t pwl, const char *auts)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->username, "001010000000001@ims.mnc001.mcc001.3gppnetwork.org");
	strcpy(d->realm, "bsf.example.com");
	assert_int_equal(m2m_digest_aka_nonce(rand1, autn1, NULL, 0, d->nonce, sizeof(d->nonce)), M2M_OK);
	strcpy(d->uri, "/bootstrap");
	strcpy(d->nc, "00000001");
	strcpy(d->cnonce, "q\"uo\\te");
	strcpy(d->qop, "auth");
	strcpy(d->auts, auts);
	assert_int_equal(m2m_digest_aka_response(d->username, d->realm, pw, pwl, "GET", d->uri, d->nonce, d->nc,
						 d->cnonce, d->qop, d->response),
			 M2M_OK);
}

static void test_verify_round_trip(void **state)
{
	static const uint8_t wrong[8] = {0xa5, 0x42, 0x11, 0xd5, 0xe3, 0xba, 0x50, 0xbe};
	char hdr[M2M_DIGEST_HDR_MAX];
	m2m_digest ue, bsf;

	make_cred(&ue, res1, sizeof(res1), "");
	assert_int_equal(m2m_digest_format_credentials(&ue, hdr, sizeof(hdr)), M2M_OK);
	assert_int_equal(m2m_digest_parse(hdr, strlen(hdr), M2M_DIGEST_CREDENTIALS, &bsf), M2M_OK);
	assert_string_equal(bsf.cnonce, "q\"uo\\te");
	assert_int_equal(m2m_digest_aka_verify(&bsf, "GET", res1, sizeof(res1)), M2M_OK);
	/* wrong RES (last bit), another method, a tampered response */
	assert_int_equal(m2m_digest_aka_verify(&bsf, "GET", wrong, sizeof(wrong)), M2M_E_AUTH);
	assert_int_equal(m2m_digest_aka_verify(&bsf, "POST", res1, sizeof(res1)), M2M_E_AUTH);
	bsf.response[31] = bsf.response[31] == '0' ? '1' : '0';
	assert_int_equal(m2m_digest_aka_verify(&bsf, "GET", res1, sizeof(res1)), M2M_E_AUTH);
	assert_int_equal(m2m_digest_aka_verify(&bsf, "GET", NULL, 0), M2M_E_INVAL);
	/* resynchronisation: auts present, the empty password (RFC 3310 clause 3.5) */
	make_cred(&ue, NULL, 0, "AAECAwQFBgcICQoLDA0=");
	assert_int_equal(m2m_digest_format_credentials(&ue, hdr, sizeof(hdr)), M2M_OK);
	assert_int_equal(m2m_digest_parse(hdr, strlen(hdr), M2M_DIGEST_CREDENTIALS, &bsf), M2M_OK);
	assert_int_equal(m2m_digest_aka_verify(&bsf, "GET", res1, sizeof(res1)), M2M_OK);
	/* signed with RES although auts is sent: refused */
	make_cred(&ue, res1, sizeof(res1), "AAECAwQFBgcICQoLDA0=");
	assert_int_equal(m2m_digest_format_credentials(&ue, hdr, sizeof(hdr)), M2M_OK);
	assert_int_equal(m2m_digest_parse(hdr, strlen(hdr), M2M_DIGEST_CREDENTIALS, &bsf), M2M_OK);
	assert_int_equal(m2m_digest_aka_verify(&bsf, "GET", res1, sizeof(res1)), M2M_E_AUTH);
	/* an unparsed value (no presence bits) is not accepted as credentials */
	assert_int_equal(m2m_digest_aka_verify(&ue, "GET", res1, sizeof(res1)), M2M_E_INVAL);
}

static void test_challenge_format(void **state)
{
	char hdr[512], nonce[M2M_DIGEST_NONCE_MAX + 1];
	m2m_digest d;

	assert_int_equal(m2m_digest_aka_nonce(rand1, autn1, NULL, 0, nonce, sizeof(nonce)), M2M_OK);
	assert_int_equal(m2m_digest_format_challenge("bsf.example.com", nonce, "op\"q", true, hdr, sizeof(hdr)), M2M_OK);
	assert_string_equal(hdr, "Digest realm=\"bsf.example.com\", nonce=\"I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=\", "
				 "algorithm=AKAv1-MD5, qop=\"auth\", opaque=\"op\\\"q\", stale=true");
	assert_int_equal(m2m_digest_parse(hdr, strlen(hdr), M2M_DIGEST_CHALLENGE, &d), M2M_OK);
	assert_string_equal(d.opaque, "op\"q");
	assert_true(d.stale);
	assert_int_equal(m2m_digest_format_challenge("bsf.example.com", nonce, NULL, false, hdr, 20), M2M_E_RANGE);
	assert_string_equal(hdr, "");
	assert_int_equal(m2m_digest_format_challenge("bsf\r\n.example.com", nonce, NULL, false, hdr, sizeof(hdr)),
			 M2M_E_INVAL);
	assert_int_equal(m2m_digest_format_challenge("", nonce, NULL, false, hdr, sizeof(hdr)), M2M_E_INVAL);
}

static void test_response_errors(void **state)
{
	char out[M2M_DIGEST_RESPONSE_LEN + 1];
	static const uint8_t long_pw[17] = {0};

	assert_int_equal(m2m_digest_aka_response("u", "r", res1, 8, "GET", "/", "n", "00000001", "c", "auth-int", out),
			 M2M_E_UNSUPPORTED);
	assert_int_equal(m2m_digest_aka_response("u", "r", res1, 8, "GET", "/", "n", NULL, "c", "auth", out),
			 M2M_E_INVAL);
	assert_int_equal(m2m_digest_aka_response("u", "r", long_pw, 17, "GET", "/", "n", NULL, NULL, NULL, out),
			 M2M_E_INVAL);
	assert_int_equal(m2m_digest_aka_response("u", "r", res1, 8, "", "/", "n", NULL, NULL, NULL, out), M2M_E_INVAL);
	/* no qop: MD5(HA1:nonce:HA2), differs from the qop form */
	assert_int_equal(m2m_digest_aka_response("u", "r", res1, 8, "GET", "/", "n", NULL, NULL, NULL, out), M2M_OK);
	assert_int_equal(strlen(out), 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2617_example),  cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_verify_round_trip), cmocka_unit_test(test_challenge_format),
		cmocka_unit_test(test_response_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
