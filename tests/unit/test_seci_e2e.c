/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of core/seci_e2e.c: the m2m:securityInfo codec for the
 * end-to-end types of TS-0004 Table 6.3.4.2.35-1 (sit 3 rand request, 4 rand response with
 * "ero", 5 ESPrim Object "epo", 6 ESCertKE "eckm"; clause 6.3.5.48, short names of clause
 * 8.2.5): round trips with exact JSON, the dispatch of types 1/2/7/8 to the DAS codec, and every
 * malformed form refused.
 */
#include <stdio.h>

#include "esprim_fixture.h"
#include "core/esprim_int.h"
#include "m2msec/seci_e2e.h"

static void round_trip(const m2m_seci_e2e *s, const char *want_substr, m2m_seci_e2e *d)
{
	char *out = NULL;
	int sit = 0;

	assert_int_equal(m2m_seci_e2e_encode(s, &out), M2M_OK);
	assert_non_null(strstr(out, want_substr));
	assert_int_equal(m2m_seci_peek_type(out, strlen(out), &sit), M2M_OK);
	assert_int_equal(sit, s->sit);
	assert_int_equal(m2m_seci_e2e_decode(out, strlen(out), T0, d), M2M_OK);
	assert_int_equal(d->sit, s->sit);
	free(out);
}

static void test_round_trips(void **state)
{
	m2m_esprim_rand rro, oro;
	m2m_seci_e2e s = {.sit = 3}, d;
	uint8_t flight[301];
	char epo[] = "eyJhbGciOiJkaXIifQ..AAAAAAAAAAAAAAAA.Y3Q.AAAAAAAAAAAAAAAAAAAAAA";

	(void)state;
	round_trip(&s, "{\"m2m:seci\":{\"sit\":3}}", &d);
	m2m_seci_e2e_clear(&d);
	fx_rands(&rro, &oro);
	s = (m2m_seci_e2e){.sit = 4, .ero = rro};
	round_trip(&s, "\"ero\":{\"esri\":\"sa102030405060708\"", &d);
	assert_memory_equal(&d.ero, &rro, sizeof(rro));
	m2m_seci_e2e_clear(&d);
	s = (m2m_seci_e2e){.sit = 5, .epo = epo};
	round_trip(&s, "\"epo\":\"eyJhbGciOiJkaXIifQ..", &d);
	assert_string_equal(d.epo, epo);
	m2m_seci_e2e_clear(&d);
	{ /* the direct text of sit 5 is exactly the codec object's compact serialisation */
		char *direct = NULL, *dumped;
		json_t *j = NULL;
		assert_int_equal(m2m_seci_e2e_encode(&s, &direct), M2M_OK);
		assert_int_equal(m2mi_seci_e2e_to_json(&s, &j), M2M_OK);
		dumped = json_dumps(j, JSON_COMPACT);
		assert_string_equal(direct, dumped);
		free(direct);
		free(dumped);
		json_decref(j);
		s.epo = (char *)"a.b.c"; /* not the m2m:e2eCompactJWE form: refused as before */
		assert_int_equal(m2m_seci_e2e_encode(&s, &direct), M2M_E_INVAL);
		s.epo = epo;
		/* decoding: the exact text (direct) and any other JSON form (jansson) agree; a text of
		 * that shape with an epo of the wrong form is refused as before */
		char spaced[512];
		m2m_seci_e2e d1, d2;
		snprintf(spaced, sizeof(spaced), "{ \"m2m:seci\" : { \"sit\": 5, \"epo\": \"%s\" } }", epo);
		assert_int_equal(m2m_seci_e2e_decode(spaced, strlen(spaced), T0, &d1), M2M_OK);
		snprintf(spaced, sizeof(spaced), "{\"m2m:seci\":{\"sit\":5,\"epo\":\"%s\"}}", epo);
		assert_int_equal(m2m_seci_e2e_decode(spaced, strlen(spaced), T0, &d2), M2M_OK);
		assert_int_equal(d1.sit, d2.sit);
		assert_string_equal(d1.epo, d2.epo);
		m2m_seci_e2e_clear(&d1);
		m2m_seci_e2e_clear(&d2);
		static const char bad[] = "{\"m2m:seci\":{\"sit\":5,\"epo\":\"a.b.c\"}}";
		assert_int_equal(m2m_seci_e2e_decode(bad, strlen(bad), T0, &d1), M2M_E_SECI_FORMAT);
		static const char two[] = "{\"m2m:seci\":{\"sit\":5,\"epo\":\"a.b.c.d.e\",\"epo\":\"a.b.c.d.e\"}}";
		assert_int_equal(m2m_seci_e2e_decode(two, strlen(two), T0, &d1), M2M_E_SECI_FORMAT);
	}
	for (size_t i = 0; i < sizeof(flight); i++)
		flight[i] = (uint8_t)(i * 7);
	for (size_t n = 1; n <= 3; n++) { /* every padding length */
		s = (m2m_seci_e2e){.sit = 6, .eckm = flight, .eckm_len = sizeof(flight) - n + 1};
		round_trip(&s, "\"eckm\":\"", &d);
		assert_int_equal(d.eckm_len, s.eckm_len);
		assert_memory_equal(d.eckm, flight, d.eckm_len);
		m2m_seci_e2e_clear(&d);
	}
	/* without the m2m:seci wrapper, and the sit 4 example with a relative esrx */
	static const char bare[] = "{\"sit\":4,\"ero\":{\"esri\":\"n1\",\"esrv\":\"vab\",\"esrx\":60000,"
				   "\"esks\":[1],\"espa\":[10,12]}}";
	assert_int_equal(m2m_seci_e2e_decode(bare, strlen(bare), T0, &d), M2M_OK);
	assert_int_equal(d.ero.expiry, T0 + 60);
	assert_int_equal(d.ero.naead, 2);
	m2m_seci_e2e d2;
	json_t *j = json_loads(bare, 0, NULL);
	assert_int_equal(m2mi_seci_e2e_from_json(j, T0, &d2), M2M_OK); /* the object form: the same */
	assert_memory_equal(&d2, &d, sizeof(d));
	json_decref(j);
}

static void test_dispatch(void **state)
{
	static const char das[] = "{\"m2m:seci\":{\"sit\":1,\"dreq\":{\"ors\":\"x\"}}}";
	m2m_seci_e2e d;
	int sit = 0;

	(void)state;
	assert_int_equal(m2m_seci_peek_type(das, strlen(das), &sit), M2M_OK);
	assert_int_equal(sit, 1);
	assert_int_equal(m2m_seci_e2e_decode(das, strlen(das), T0, &d), M2M_E_UNSUPPORTED);
	for (int t = 7; t <= 8; t++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "{\"sit\":%d}", t);
		assert_int_equal(m2m_seci_e2e_decode(buf, strlen(buf), T0, &d), M2M_E_UNSUPPORTED);
	}
}

static void test_refusals(void **state)
{
	static const struct {
		const char *json;
		m2m_err want;
	} cases[] = {
		{"", M2M_E_SECI_FORMAT},
		{"[]", M2M_E_SECI_FORMAT},
		{"{}", M2M_E_SECI_FORMAT},
		{"{\"sit\":0}", M2M_E_SECI_FORMAT},
		{"{\"sit\":9}", M2M_E_SECI_FORMAT},
		{"{\"sit\":\"5\"}", M2M_E_SECI_FORMAT},
		{"{\"sit\":3,\"epo\":\"a.b.c.d.e\"}", M2M_E_SECI_FORMAT},          /* element of another sit */
		{"{\"sit\":4}", M2M_E_SECI_FORMAT},                              /* ero missing */
		{"{\"sit\":4,\"ero\":{\"esri\":\"n1\"}}", M2M_E_ESP_RAND_OBJ},    /* ero malformed */
		{"{\"sit\":5}", M2M_E_SECI_FORMAT},
		{"{\"sit\":5,\"epo\":7}", M2M_E_SECI_FORMAT},
		{"{\"sit\":5,\"epo\":\"a.b.c\"}", M2M_E_SECI_FORMAT},             /* not 5 parts */
		{"{\"sit\":5,\"epo\":\".b.c.d.e\"}", M2M_E_SECI_FORMAT},          /* [a] empty */
		{"{\"sit\":5,\"epo\":\"a.b.c..e\"}", M2M_E_SECI_FORMAT},          /* [d] empty */
		{"{\"sit\":5,\"epo\":\"a.b.c.d!.e\"}", M2M_E_SECI_FORMAT},
		{"{\"sit\":5,\"epo\":\"a.b.c.d.e\",\"eckm\":\"AAAA\"}", M2M_E_SECI_FORMAT},
		{"{\"sit\":6,\"eckm\":\"\"}", M2M_E_SECI_FORMAT},
		{"{\"sit\":6,\"eckm\":\"AAA\"}", M2M_E_SECI_FORMAT},              /* not base64 length */
		{"{\"sit\":6,\"eckm\":\"A!AA\"}", M2M_E_SECI_FORMAT},
		{"{\"sit\":6,\"sit\":6,\"eckm\":\"AAAA\"}", M2M_E_SECI_FORMAT},   /* duplicate */
	};
	m2m_seci_e2e d;

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(cases); i++) {
		assert_int_equal(m2m_seci_e2e_decode(cases[i].json, strlen(cases[i].json), T0, &d), cases[i].want);
		assert_int_equal(d.sit, 0);
		assert_null(d.epo);
		assert_null(d.eckm);
		/* the object form (the CSE's one decode of a primitive's Content) refuses alike */
		json_t *j = json_loads(cases[i].json, JSON_REJECT_DUPLICATES, NULL);
		if (j != NULL) {
			assert_int_equal(m2mi_seci_e2e_from_json(j, T0, &d), cases[i].want);
			assert_int_equal(d.sit, 0);
			assert_null(d.epo);
			assert_null(d.eckm);
			json_decref(j);
		}
	}
	assert_int_equal(m2mi_seci_e2e_from_json(NULL, T0, &d), M2M_E_SECI_FORMAT);
}

static void test_encode_refusals(void **state)
{
	m2m_seci_e2e s = {.sit = 2};
	char *out = NULL;

	(void)state;
	assert_int_equal(m2m_seci_e2e_encode(&s, &out), M2M_E_INVAL);
	s = (m2m_seci_e2e){.sit = 5, .epo = (char *)"not.a.jwe"};
	assert_int_equal(m2m_seci_e2e_encode(&s, &out), M2M_E_INVAL);
	s = (m2m_seci_e2e){.sit = 6};
	assert_int_equal(m2m_seci_e2e_encode(&s, &out), M2M_E_INVAL);
	s = (m2m_seci_e2e){.sit = 4}; /* empty rand object */
	assert_int_equal(m2m_seci_e2e_encode(&s, &out), M2M_E_INVAL);
	assert_null(out);
}

/* m2mi_seci_e2e_text_json (the HTTP binding's Content of an outer ESPrim NOTIFY): the exact encoder
 * text gives the object json_loadb gives; any other text NULL (the caller parses it with jansson,
 * so every refusal above stays the parser's) */
static void test_text_json(void **state)
{
	static const char *const other[] = {
		"{\"m2m:seci\": {\"sit\":5,\"epo\":\"aA.b.c.d-_\"}}", /* spaced */
		"{\"m2m:seci\":{\"sit\":5,\"epo\":\"aA.b.c.d\"}}",        /* four parts */
		"{\"m2m:seci\":{\"sit\":5,\"epo\":\".b.c.d.e\"}}",        /* empty part [a] */
		"{\"m2m:seci\":{\"sit\":5,\"epo\":\"a\\u0041.b.c.d.e\"}}", /* an escape */
		"{\"m2m:seci\":{\"sit\":5,\"epo\":\"a.b.c.d.e\"}}x",      /* trailing */
		"{\"m2m:seci\":{\"sit\":6,\"epo\":\"a.b.c.d.e\"}}",       /* another sit */
		"",
	};
	const char *exact = "{\"m2m:seci\":{\"sit\":5,\"epo\":\"aA9..c.d-_.e\"}}";
	json_t *fast, *parsed;

	(void)state;
	fast = m2mi_seci_e2e_text_json(exact, strlen(exact));
	parsed = json_loads(exact, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(fast);
	assert_non_null(parsed);
	assert_true(json_equal(fast, parsed));
	json_decref(fast);
	json_decref(parsed);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_null(m2mi_seci_e2e_text_json(other[i], strlen(other[i])));
	assert_null(m2mi_seci_e2e_text_json(NULL, 0));
	/* every octet as part [a]: taken exactly when it is of the base64url alphabet */
	for (int c = 1; c < 256; c++) {
		char buf[64];
		int n = snprintf(buf, sizeof(buf), "{\"m2m:seci\":{\"sit\":5,\"epo\":\"%c.b.c.d.e\"}}", c);
		bool b64u = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_';

		fast = m2mi_seci_e2e_text_json(buf, (size_t)n);
		assert_int_equal(fast != NULL, b64u);
		json_decref(fast);
	}
}

/* m2mi_seci_e2e_json_text (the HTTP binding's body of an ESPrim answer): byte for byte what
 * json_dumps(JSON_COMPACT) writes; NULL for any other object (dumped by jansson as before) */
static void test_json_text(void **state)
{
	static const char *const other[] = {
		"{\"m2m:seci\":{\"epo\":\"a.b.c.d.e\",\"sit\":5}}",          /* members in another order */
		"{\"m2m:seci\":{\"sit\":5,\"epo\":\"a.b.c.d.e\",\"x\":1}}",   /* a third member */
		"{\"m2m:seci\":{\"sit\":5,\"epo\":\"a/b.c.d.e\"}}",          /* json_dumps escapes nothing here, but not base64url */
		"{\"m2m:seci\":{\"sit\":5,\"epo\":\"a.b.c.d\"}}",            /* four parts */
		"{\"m2m:seci\":{\"sit\":4,\"epo\":\"a.b.c.d.e\"}}",          /* another sit */
		"{\"m2m:seci\":{\"sit\":5,\"epo\":1}}",                        /* not a string */
		"{\"m2m:seci\":{\"sit\":5,\"epo\":\"a.b.c.d.e\"},\"y\":2}", /* a second top member */
		"{\"m2m:sec\":{\"sit\":5,\"epo\":\"a.b.c.d.e\"}}",
	};
	const char *exact = "{\"m2m:seci\":{\"sit\":5,\"epo\":\"aA9..c.d-_.e\"}}";
	json_t *j = json_loads(exact, 0, NULL);
	char *dumped, *fast;
	size_t n = 0;

	(void)state;
	assert_non_null(j);
	dumped = json_dumps(j, JSON_COMPACT);
	fast = m2mi_seci_e2e_json_text(j, &n);
	assert_non_null(fast);
	assert_string_equal(fast, dumped);
	assert_int_equal(n, strlen(dumped));
	free(fast);
	free(dumped);
	json_decref(j);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		j = json_loads(other[i], 0, NULL);
		assert_non_null(j);
		assert_null(m2mi_seci_e2e_json_text(j, &n));
		json_decref(j);
	}
	assert_null(m2mi_seci_e2e_json_text(NULL, &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips), cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_refusals),    cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_text_json),
		cmocka_unit_test(test_json_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
