/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/token_claims.c (TS-0003 Table 7.3.2.6.2-1, TS-0004
 * Tables 6.3.5.41-1/42-1/53-1): the claim names an issuer writes, the checks it shares with the
 * verifier, NumericDate rounding towards the inside of the window, and the nesting pre-scan.
 */
#include <jansson.h>

#include "core/token_int.h"
#include "token_fixture.h"

static void test_json_names(void **state)
{
	static const char *const aud[] = {CSE, "//*/id-mn"};
	static const char *const ris[] = {"/id-in/cnt1", "cnt-id"};
	static const char *const rids[] = {"r1@sp.example.com"};
	m2m_token_perm p[2] = {{.ris = ris, .nris = 2, .pv_json = "{\"acr\":[{\"acor\":[\"all\"],\"acop\":3}]}"},
			       {.rids = rids, .nrids = 1}};
	m2m_token_claims c = {.version = "1", .token_id = JTI, .issuer = ISS, .holder = HOLDER, .not_before = 5,
			      .not_after = 6, .name = "visitor", .audience = aud, .naudience = 2, .perms = p,
			      .nperms = 2, .has_perms = true, .extension = "x"};
	char *s = NULL;
	json_t *o;

	(void)state;
	assert_int_equal(m2m_token_claims_json(&c, &s), M2M_OK);
	o = json_loads(s, 0, NULL);
	assert_non_null(o);
	/* the JWT claim names of TS-0003 Table 7.3.2.6.2-1 */
	assert_string_equal(json_string_value(json_object_get(o, "tkvr")), "1");
	assert_string_equal(json_string_value(json_object_get(o, "jti")), JTI);
	assert_string_equal(json_string_value(json_object_get(o, "iss")), ISS);
	assert_string_equal(json_string_value(json_object_get(o, "azp")), HOLDER);
	assert_int_equal(json_integer_value(json_object_get(o, "nbf")), 5);
	assert_int_equal(json_integer_value(json_object_get(o, "exp")), 6);
	assert_string_equal(json_string_value(json_object_get(o, "tknm")), "visitor");
	assert_string_equal(json_string_value(json_object_get(o, "tkex")), "x");
	assert_int_equal(json_array_size(json_object_get(o, "aud")), 2);
	{
		json_t *pm = json_object_get(json_object_get(o, "tkps"), "pm");
		assert_int_equal(json_array_size(pm), 2);
		assert_int_equal(json_array_size(json_object_get(json_array_get(pm, 0), "ris")), 2);
		assert_non_null(json_object_get(json_object_get(json_array_get(pm, 0), "pv"), "acr"));
		assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(pm, 1), "rids"), 0)),
				    "r1@sp.example.com");
	}
	json_decref(o);
	free(s);
	/* the verifier's rules apply to the issuer: a bad jti, a bad Role-ID, pv without ris */
	c.token_id = "nope";
	assert_int_equal(m2m_token_claims_json(&c, &s), M2M_E_TOKEN_CLAIMS);
	assert_null(s);
	c.token_id = JTI;
	p[1].rids = (const char *const[]){"bad role"};
	assert_int_equal(m2m_token_claims_json(&c, &s), M2M_E_TOKEN_PERMISSIONS);
	p[1].rids = rids;
	p[0].nris = 0;
	assert_int_equal(m2m_token_claims_json(&c, &s), M2M_E_TOKEN_PERMISSIONS);
	p[0].nris = 2;
	c.holder = NULL;
	assert_int_equal(m2m_token_claims_json(&c, &s), M2M_E_TOKEN_CLAIMS);
	assert_int_equal(m2m_token_claims_json(NULL, &s), M2M_E_INVAL);
}

static m2m_err decode(const char *json, m2m_token *t)
{
	memset(t, 0, sizeof(*t));
	t->payload = json_loads(json, 0, NULL);
	assert_non_null(t->payload);
	return m2mi_token_claims_decode(t);
}

static void done(m2m_token *t)
{
	m2mi_token_claims_clear(t);
	json_decref(t->payload);
}

static void test_dates_and_aud(void **state)
{
	m2m_token t;

	(void)state;
	/* NumericDate reals are rounded inwards: nbf up, exp down */
	assert_int_equal(decode("{\"tkvr\":\"1\",\"jti\":\"" JTI "\",\"iss\":\"i\",\"azp\":\"h\",\"nbf\":10.2,"
				"\"exp\":20.8,\"aud\":\"" CSE "\"}",
				&t),
			 M2M_OK);
	assert_int_equal(t.c.not_before, 11);
	assert_int_equal(t.c.not_after, 20);
	assert_int_equal(t.c.naudience, 1); /* RFC 7519 §4.1.3: a single string */
	assert_string_equal(t.c.audience[0], CSE);
	done(&t);
	assert_int_equal(decode("{\"tkvr\":\"1\",\"jti\":\"" JTI "\",\"iss\":\"i\",\"azp\":\"h\",\"nbf\":1e300,\"exp\":2}", &t),
			 M2M_E_TOKEN_CLAIMS);
	done(&t);
	assert_int_equal(decode("[1]", &t), M2M_E_TOKEN_CLAIMS);
	done(&t);
	/* more than M2M_TOKEN_MAX_LIST audiences */
	{
		char buf[8192] = "{\"tkvr\":\"1\",\"jti\":\"" JTI "\",\"iss\":\"i\",\"azp\":\"h\",\"nbf\":1,\"exp\":2,\"aud\":[";
		for (int i = 0; i <= M2M_TOKEN_MAX_LIST; i++)
			strcat(buf, i ? ",\"a\"" : "\"a\"");
		strcat(buf, "]}");
		assert_int_equal(decode(buf, &t), M2M_E_TOKEN_TOO_LARGE);
		done(&t);
	}
}

static void test_depth(void **state)
{
	(void)state;
	assert_int_equal(m2mi_token_json_depth("{}", 2), 1);
	assert_int_equal(m2mi_token_json_depth("{\"a\":[[1]]}", 11), 3);
	assert_int_equal(m2mi_token_json_depth("{\"a\":\"[[[[\\\"[[\"}", 16), 1);
	assert_int_equal(m2mi_token_json_depth("{\"a", 3), SIZE_MAX);
	assert_int_equal(m2mi_token_json_depth("", 0), 0);
}

static void test_format_id(void **state)
{
	const uint8_t rnd[16] = {0x00, 0x01, 0xab, 0xff, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xf0};
	char out[64];

	(void)state;
	assert_int_equal(m2m_token_format_id(rnd, "DAS.Example.com", out, sizeof(out)), M2M_OK);
	assert_string_equal(out, "0001abff0405060708090a0b0c0d0ef0@das.example.com");
	assert_int_equal(m2m_token_format_id(rnd, "das.example.com", out, 33 + 15), M2M_E_RANGE);
	assert_string_equal(out, "");
	assert_int_equal(m2m_token_format_id(rnd, "bad fqdn", out, sizeof(out)), M2M_E_INVAL);
	assert_int_equal(m2m_token_format_id(rnd, "", out, sizeof(out)), M2M_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_id),
		cmocka_unit_test(test_json_names),
		cmocka_unit_test(test_dates_and_aud),
		cmocka_unit_test(test_depth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
