/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/das/das_policy.c: the DAS grant-rule file
 * (docs/procedures/das.md "The policy file"): every field, each error with its line number, the
 * wildcard patterns, first-match order and role= rules (TS-0003 clause 7.3.2.2 step 3.1).
 */
#include <stdio.h>
#include <stdlib.h>

#include "m2m_test.h"
#include "m2msec/das.h"

static m2m_das_policy *parse_ok(const char *text)
{
	m2m_das_policy *p = NULL;
	char err[256];

	assert_int_equal(m2m_das_policy_parse(text, strlen(text), &p, err, sizeof(err)), M2M_OK);
	return p;
}

static void test_parse_fields(void **state)
{
	m2m_das_policy *p = parse_ok("# comment\n\n  grant //sp/id-in/Cv /id-in/cnt-* retrieve,update 2h\r\n"
				     "\tgrant * /id-in/x 63 90 role=a@sp,b@sp\n"
				     "grant //sp/id-in/Cd /id-in/y discover 1d\n");
	const m2m_das_rule *r;
	const char *roles[] = {"b@sp"};

	(void)state;
	assert_int_equal(m2m_das_policy_count(p), 3);
	r = m2m_das_policy_match(p, "//sp/id-in/Cv", "/id-in/cnt-7", 2, NULL, 0);
	assert_non_null(r);
	assert_int_equal(r->acop, 6);
	assert_int_equal(r->lifetime, 7200);
	assert_int_equal(r->line, 3);
	assert_null(m2m_das_policy_match(p, "//sp/id-in/Cv", "/id-in/cnt-7", 8, NULL, 0)); /* delete */
	/* role= rule: only with one of its roles */
	assert_null(m2m_das_policy_match(p, "//sp/id-in/Cz", "/id-in/x", 1, NULL, 0));
	r = m2m_das_policy_match(p, "//sp/id-in/Cz", "/id-in/x", 1, roles, 1);
	assert_non_null(r);
	assert_int_equal(r->line, 4);
	assert_int_equal(r->lifetime, 90);
	assert_int_equal(r->nroles, 2);
	assert_string_equal(r->roles[1], "b@sp");
	r = m2m_das_policy_match(p, "//sp/id-in/Cd", "/id-in/y", 32, NULL, 0);
	assert_non_null(r);
	assert_int_equal(r->lifetime, 86400);
	assert_null(m2m_das_policy_match(p, "//sp/id-in/Cd", "/id-in/y", 0, NULL, 0));
	assert_null(m2m_das_policy_match(NULL, "a", "b", 1, NULL, 0));
	m2m_das_policy_free(p);
	p = parse_ok(""); /* no rule: valid, grants nothing */
	assert_int_equal(m2m_das_policy_count(p), 0);
	assert_null(m2m_das_policy_match(p, "a", "b", 1, NULL, 0));
	m2m_das_policy_free(p);
}

static void test_first_match(void **state)
{
	m2m_das_policy *p = parse_ok("grant //sp/id-in/C* /id-in/* 2 60\ngrant //sp/id-in/Ca /id-in/a 2 600\n");

	(void)state;
	assert_int_equal(m2m_das_policy_match(p, "//sp/id-in/Ca", "/id-in/a", 2, NULL, 0)->line, 1);
	m2m_das_policy_free(p);
}

static void test_errors(void **state)
{
	static const struct { const char *text; const char *msg; } bad[] = {
		{"allow a b 2 1h\n", "line 1: unknown directive"},
		{"\n\ngrant a b 2\n", "line 3: expected grant"},
		{"grant a b 2 1h role=x extra\n", "line 1: expected grant"},
		{"grant a b 0 1h\n", "line 1: privileges"},
		{"grant a b 64 1h\n", "line 1: privileges"},
		{"grant a b retrieve, 1h\n", "line 1: privileges"},
		{"grant a b read 1h\n", "line 1: privileges"},
		{"grant a b 2 0\n", "line 1: lifetime"},
		{"grant a b 2 367d\n", "line 1: lifetime"},
		{"grant a b 2 1w\n", "line 1: lifetime"},
		{"grant a b 2 -5\n", "line 1: lifetime"},
		{"grant a b 2 1hh\n", "line 1: lifetime"},
		{"grant a b 2 1h roles=x\n", "line 1: the sixth field"},
		{"grant a b 2 1h role=\n", "line 1: the sixth field"},
		{"grant a b 2 1h role=x*\n", "line 1: role="},
		{"grant a b 2 1h role=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n", "line 1: role="},
		{"grant a b\x01 2 1h\n", "line 1: resource"},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		m2m_das_policy *p = (m2m_das_policy *)1;
		err[0] = '\0';
		assert_int_equal(m2m_das_policy_parse(bad[i].text, strlen(bad[i].text), &p, err, sizeof(err)),
				 M2M_E_CONFIG);
		assert_null(p);
		if (strncmp(err, bad[i].msg, strlen(bad[i].msg)) != 0)
			fail_msg("%s: got \"%s\"", bad[i].text, err);
	}
	{
		const char text[] = "grant a b 2 1h\n\0grant";
		m2m_das_policy *p = NULL;
		assert_int_equal(m2m_das_policy_parse(text, sizeof(text) - 1, &p, err, sizeof(err)), M2M_E_CONFIG);
		assert_string_equal(err, "line 2: NUL byte");
	}
	{
		char *big = malloc(5000);
		m2m_das_policy *p = NULL;
		memset(big, 'a', 4999);
		big[4999] = '\0';
		assert_int_equal(m2m_das_policy_parse(big, 4999, &p, err, sizeof(err)), M2M_E_CONFIG);
		assert_string_equal(err, "line 1: longer than 4096 bytes");
		free(big);
	}
	assert_int_equal(m2m_das_policy_load("/nonexistent/policy", &(m2m_das_policy *){NULL}, err, sizeof(err)),
			 M2M_E_NOT_FOUND);
	assert_non_null(strstr(err, "/nonexistent/policy"));
}

static void test_pattern(void **state)
{
	(void)state;
	assert_true(m2m_das_pattern_match("*", ""));
	assert_true(m2m_das_pattern_match("*", "//sp/x/y"));
	assert_true(m2m_das_pattern_match("/id-in/cnt-*", "/id-in/cnt-1/la"));
	assert_true(m2m_das_pattern_match("//sp/*/C*", "//sp/id-in/Cae"));
	assert_true(m2m_das_pattern_match("a*b*c", "aXbYbc"));
	assert_false(m2m_das_pattern_match("a*b*c", "aXbYb"));
	assert_false(m2m_das_pattern_match("/id-in/cnt-1", "/id-in/cnt-10"));
	assert_false(m2m_das_pattern_match("/id-in/cnt-1", "/id-in/cnt-"));
	assert_true(m2m_das_pattern_match("/id-in/cnt-1", "/id-in/cnt-1"));
	assert_false(m2m_das_pattern_match(NULL, "x"));
	assert_false(m2m_das_pattern_match("x", NULL));
	{ /* a hostile pattern against a long subject stays quick (iterative, one backtrack point) */
		char s[3001];
		memset(s, 'a', 3000);
		s[3000] = '\0';
		assert_false(m2m_das_pattern_match("*a*a*a*a*a*a*a*a*b", s));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_first_match),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_pattern),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
