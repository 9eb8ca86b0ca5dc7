/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/acp_parse.c: strict validation of m2m:setOfAcrs
 * (TS-0004 Tables 6.3.5.26-1..28-1) with a clear message for every rejection, and the rule-set
 * life cycle. */
#include <jansson.h>
#include <stdlib.h>

#include "m2m_test.h"
#include "core/acp_int.h"

static void accept(const char *json, size_t nrules)
{
	m2m_acp_rules *r = NULL;
	char msg[256] = "untouched";
	m2m_err e = m2m_acp_rules_parse(json, strlen(json), &r, msg, sizeof(msg));

	if (e != M2M_OK)
		fail_msg("rejected %s: %s (%s)", json, msg, m2m_errname(e));
	assert_string_equal(msg, "");
	assert_int_equal(m2m_acp_rules_count(r), nrules);
	m2m_acp_rules_free(r);
}

static void reject(const char *json, m2m_err code, const char *needle)
{
	m2m_acp_rules *r = (m2m_acp_rules *)0x1;
	char msg[256] = "";
	m2m_err e = m2m_acp_rules_parse(json, strlen(json), &r, msg, sizeof(msg));

	assert_null(r);
	if (e != code || !strstr(msg, needle))
		fail_msg("%.80s: got %s '%s', want %s containing '%s'", json, m2m_errname(e), msg,
			 m2m_errname(code), needle);
}

#define RULE(x) "{\"acr\":[{\"acor\":[\"all\"],\"acop\":63," x "}]}"

static void test_accepts_every_dimension(void **state)
{
	accept("{}", 0);
	accept("{\"acr\":[]}", 0);
	accept("{\"acr\":[{\"acor\":[\"all\"],\"acop\":1}]}", 1);
	accept("{\"acr\":[{\"acor\":[\"CAdmin\",\"/cse-in/C98*\",\"//sp.example.com\",\"//*/cse*\","
	       "\"role1@sp.example.com\",\"/cse-in/grp1\",\"//sp.example.com/cse-in/Cx\"],"
	       "\"acop\":63},{\"acor\":[\"all\"],\"acop\":2}]}",
	       2);
	accept(RULE("\"acaf\":true"), 1);
	accept(RULE("\"acco\":[]"), 1);
	accept(RULE("\"acco\":[{}]"), 1);
	accept(RULE("\"acco\":[{\"actw\":[\"* * 8-20 * * 1-5 *\",\"0 0 0 1 1 * 2030\"]}]"), 1);
	accept(RULE("\"acco\":[{\"acip\":{\"ipv4\":[\"192.168.0.0/16\"],\"ipv6\":[\"::/0\"]}}]"), 1);
	accept(RULE("\"acco\":[{\"acip\":{\"ipv6\":[\"fadf:ddd0::/32\"]}}]"), 1);
	accept(RULE("\"acco\":[{\"aclr\":{\"accc\":[\"DE\",\"kr\"]}}]"), 1);
	accept(RULE("\"acco\":[{\"aclr\":{\"accr\":[48.85,2.35,1000.5]}}]"), 1);
	accept(RULE("\"acco\":[{\"aclr\":{\"accr\":[-90,180,0]}}]"), 1);
	accept(RULE("\"acod\":[]"), 1);
	accept(RULE("\"acod\":[{\"chty\":[4,3]},{\"ty\":3,\"chty\":[4]}]"), 1);
	accept(RULE("\"acod\":[{\"ty\":13,\"spty\":1001,\"chty\":[13]}]"), 1);
	accept(RULE("\"acod\":[{\"ty\":28,\"spty\":\"org.example.fcnt\",\"chty\":[28]}]"), 1);
}

static void test_rejects_structure(void **state)
{
	reject("", M2M_E_ACP_PARSE, "invalid JSON");
	reject("{\"acr\":[", M2M_E_ACP_PARSE, "invalid JSON");
	reject("{} x", M2M_E_ACP_PARSE, "invalid JSON");
	reject("[]", M2M_E_ACP_PARSE, "must be an object, not an array");
	reject("{\"acr\":{}}", M2M_E_ACP_PARSE, "acr: must be an array");
	reject("{\"acr\":[],\"foo\":1}", M2M_E_ACP_PARSE, "unknown member \"foo\"");
	reject("{\"acr\":[],\"acr\":[]}", M2M_E_ACP_PARSE, "duplicate");
	reject("{\"acr\":[1]}", M2M_E_ACP_PARSE, "acr[0]: must be an object");
	reject(RULE("\"extra\":1"), M2M_E_ACP_PARSE, "acr[0]: unknown member \"extra\"");
	reject("{\"acr\":[{\"acop\":1}]}", M2M_E_ACP_PARSE, "missing mandatory member \"acor\"");
	reject("{\"acr\":[{\"acor\":[\"all\"]}]}", M2M_E_ACP_PARSE, "missing mandatory member \"acop\"");
	reject(RULE("\"acco\":[{\"acui\":1}]"), M2M_E_ACP_PARSE,
	       "acr[0].acco[0]: unknown member \"acui\"");
	reject(RULE("\"acco\":{}"), M2M_E_ACP_PARSE, "acr[0].acco: must be an array");
	reject(RULE("\"acco\":[{\"acip\":{}}]"), M2M_E_ACP_PARSE, "needs ipv4 or ipv6");
	reject(RULE("\"acco\":[{\"acip\":{\"ipv4\":[\"1.1.1.1\"],\"v4\":[]}}]"), M2M_E_ACP_PARSE,
	       "unknown member \"v4\"");
	reject(RULE("\"acco\":[{\"aclr\":{}}]"), M2M_E_ACP_PARSE, "exactly one of accc and accr");
	reject(RULE("\"acco\":[{\"aclr\":{\"accc\":[\"DE\"],\"accr\":[1,2,3]}}]"), M2M_E_ACP_PARSE,
	       "exactly one");
	reject(RULE("\"acod\":[{\"ty\":3}]"), M2M_E_ACP_PARSE, "missing mandatory member \"chty\"");
	reject(RULE("\"acod\":[{\"chty\":[3],\"xx\":1}]"), M2M_E_ACP_PARSE, "unknown member \"xx\"");
	/* an unknown member name is quoted truncated and sanitised */
	reject("{\"acr\":[],\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\n\":1}",
	       M2M_E_ACP_PARSE, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
}

static void test_rejects_values(void **state)
{
	reject("{\"acr\":[{\"acor\":[\"all\"],\"acop\":0}]}", M2M_E_ACP_VALUE,
	       "acr[0].acop: must be an integer 1..63 (got 0)");
	reject("{\"acr\":[{\"acor\":[\"all\"],\"acop\":64}]}", M2M_E_ACP_VALUE, "(got 64)");
	reject("{\"acr\":[{\"acor\":[\"all\"],\"acop\":\"x\"}]}", M2M_E_ACP_VALUE, "not a string");
	reject("{\"acr\":[{\"acor\":[\"all\"],\"acop\":3.0}]}", M2M_E_ACP_VALUE, "not a real number");
	reject("{\"acr\":[{\"acor\":[\"all\"],\"acop\":-1}]}", M2M_E_ACP_VALUE, "(got -1)");
	reject("{\"acr\":[{\"acor\":[\"all\"],\"acop\":99999999999999999999}]}", M2M_E_ACP_PARSE,
	       "invalid JSON");
	reject("{\"acr\":[{\"acor\":[\"all\"],\"acop\":1e400}]}", M2M_E_ACP_PARSE, "invalid JSON");
	reject("{\"acr\":[{\"acor\":[\"all\"],\"acop\":9223372036854775807}]}", M2M_E_ACP_VALUE,
	       "must be an integer 1..63");
	reject(RULE("\"acaf\":1"), M2M_E_ACP_VALUE, "acaf must be a boolean");
	reject(RULE("\"acaf\":\"true\""), M2M_E_ACP_VALUE, "acaf must be a boolean");
	reject(RULE("\"acco\":[{\"actw\":[]}]"), M2M_E_ACP_VALUE, "actw: must not be an empty list");
	reject(RULE("\"acco\":[{\"actw\":[7]}]"), M2M_E_ACP_CRON, "actw[0]: must be a string");
	reject(RULE("\"acco\":[{\"actw\":[\"* * * * *\"]}]"), M2M_E_ACP_CRON, "expected 7 fields");
	reject(RULE("\"acco\":[{\"actw\":[\"* * * * * *\"]}]"), M2M_E_ACP_CRON, "found 6");
	reject(RULE("\"acco\":[{\"actw\":[\"61 * * * * * *\"]}]"), M2M_E_ACP_CRON,
	       "acr[0].acco[0].actw[0]: field 'second': 61 is out of range 0-59");
	reject(RULE("\"acco\":[{\"actw\":[\"* * * * 13 * *\"]}]"), M2M_E_ACP_CRON, "'month': 13");
	reject(RULE("\"acco\":[{\"actw\":[\"* * * * * * 1999\"]}]"), M2M_E_ACP_CRON, "'year': 1999");
	reject(RULE("\"acco\":[{\"acip\":{\"ipv4\":[\"10.0.0.0/33\"]}}]"), M2M_E_ACP_IP,
	       "acr[0].acco[0].acip.ipv4[0]: '10.0.0.0/33': prefix length");
	reject(RULE("\"acco\":[{\"acip\":{\"ipv4\":[\"300.1.1.1\"]}}]"), M2M_E_ACP_IP,
	       "'300.1.1.1' is not a dotted-decimal IPv4 address");
	reject(RULE("\"acco\":[{\"acip\":{\"ipv6\":[\"1.2.3.4\"]}}]"), M2M_E_ACP_IP,
	       "is not an IPv6 address");
	reject(RULE("\"acco\":[{\"acip\":{\"ipv4\":[]}}]"), M2M_E_ACP_VALUE, "must not be an empty");
	reject(RULE("\"acco\":[{\"acip\":{\"ipv4\":[17]}}]"), M2M_E_ACP_IP, "must be a string");
	reject(RULE("\"acco\":[{\"aclr\":{\"accc\":[\"DEU\"]}}]"), M2M_E_ACP_VALUE, "2-letter");
	reject(RULE("\"acco\":[{\"aclr\":{\"accc\":[\"D1\"]}}]"), M2M_E_ACP_VALUE, "2-letter");
	reject(RULE("\"acco\":[{\"aclr\":{\"accr\":[1,2]}}]"), M2M_E_ACP_VALUE, "[latitude");
	reject(RULE("\"acco\":[{\"aclr\":{\"accr\":[91,2,3]}}]"), M2M_E_ACP_VALUE, "latitude -90..90");
	reject(RULE("\"acco\":[{\"aclr\":{\"accr\":[1,-181,3]}}]"), M2M_E_ACP_VALUE, "longitude");
	reject(RULE("\"acco\":[{\"aclr\":{\"accr\":[1,2,-3]}}]"), M2M_E_ACP_VALUE, "radius");
	reject(RULE("\"acod\":[{\"chty\":[]}]"), M2M_E_ACP_VALUE, "chty: must not be an empty list");
	reject(RULE("\"acod\":[{\"chty\":[0]}]"), M2M_E_ACP_VALUE, "chty[0]: must be an integer");
	reject(RULE("\"acod\":[{\"chty\":[\"4\"]}]"), M2M_E_ACP_VALUE, "not a string");
	reject(RULE("\"acod\":[{\"ty\":70000,\"chty\":[4]}]"), M2M_E_ACP_VALUE, "ty: must be");
	reject(RULE("\"acod\":[{\"ty\":13,\"chty\":[4]}]"), M2M_E_ACP_VALUE, "ty 13 requires spty");
	reject(RULE("\"acod\":[{\"ty\":28,\"spty\":\"\",\"chty\":[4]}]"), M2M_E_ACP_VALUE, "empty");
	reject(RULE("\"acod\":[{\"spty\":true,\"chty\":[4]}]"), M2M_E_ACP_VALUE, "must be a string");
}

static void test_rejects_originators(void **state)
{
	reject("{\"acr\":[{\"acor\":[],\"acop\":1}]}", M2M_E_ACP_VALUE,
	       "acr[0].acor: must not be an empty list");
	reject("{\"acr\":[{\"acor\":\"all\",\"acop\":1}]}", M2M_E_ACP_PARSE, "acor: must be an array");
	reject("{\"acr\":[{\"acor\":[1],\"acop\":1}]}", M2M_E_ACP_VALUE, "acor[0]: must be a string");
	reject("{\"acr\":[{\"acor\":[\"\"],\"acop\":1}]}", M2M_E_ACP_VALUE, "empty string");
	reject("{\"acr\":[{\"acor\":[\"C a\"],\"acop\":1}]}", M2M_E_ACP_VALUE, "blank or control");
	reject("{\"acr\":[{\"acor\":[\"Ca\\t\"],\"acop\":1}]}", M2M_E_ACP_VALUE, "blank or control");
	reject("{\"acr\":[{\"acor\":[\"role*@sp.example.com\"],\"acop\":1}]}", M2M_E_ACP_ORIG,
	       "a Role-ID is relative@fqdn without '/' or '*'");
	reject("{\"acr\":[{\"acor\":[\"/cse/r@sp\"],\"acop\":1}]}", M2M_E_ACP_ORIG, "Role-ID");
	reject("{\"acr\":[{\"acor\":[\"@sp\"],\"acop\":1}]}", M2M_E_ACP_ORIG, "Role-ID");
	reject("{\"acr\":[{\"acor\":[\"r@\"],\"acop\":1}]}", M2M_E_ACP_ORIG, "Role-ID");
	reject("{\"acr\":[{\"acor\":[\"a@b@c\"],\"acop\":1}]}", M2M_E_ACP_ORIG, "Role-ID");
	reject("{\"acr\":[{\"acor\":[\"//\"],\"acop\":1}]}", M2M_E_ACP_ORIG, "empty '/'-separated");
	reject("{\"acr\":[{\"acor\":[\"/\"],\"acop\":1}]}", M2M_E_ACP_ORIG, "empty");
	reject("{\"acr\":[{\"acor\":[\"///x\"],\"acop\":1}]}", M2M_E_ACP_ORIG, "empty");
	reject("{\"acr\":[{\"acor\":[\"/cse//C1\"],\"acop\":1}]}", M2M_E_ACP_ORIG, "empty");
	reject("{\"acr\":[{\"acor\":[\"/cse/\"],\"acop\":1}]}", M2M_E_ACP_ORIG, "empty");
}

static void test_limits_and_nesting(void **state)
{
	size_t n = 200000;
	char *deep = malloc(2 * n + 1);
	char *big, *many;
	size_t off = 0;

	assert_non_null(deep);
	for (size_t i = 0; i < n; i++)
		deep[i] = '[';
	for (size_t i = 0; i < n; i++)
		deep[n + i] = ']';
	deep[2 * n] = '\0';
	reject(deep, M2M_E_ACP_PARSE, "invalid JSON");
	free(deep);
	/* nesting that jansson accepts but the schema never has */
	reject("{\"acr\":[{\"acor\":[[[[[\"all\"]]]]],\"acop\":1}]}", M2M_E_ACP_VALUE,
	       "acor[0]: must be a string, not an array");

	big = malloc(M2M_ACP_JSON_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', M2M_ACP_JSON_MAX + 1);
	big[0] = '{';
	big[M2M_ACP_JSON_MAX] = '}';
	big[M2M_ACP_JSON_MAX + 1] = '\0';
	reject(big, M2M_E_ACP_LIMIT, "larger than");
	free(big);

	many = malloc(64 * (M2M_ACP_MAX_RULES + 2));
	assert_non_null(many);
	off += (size_t)snprintf(many, 16, "{\"acr\":[");
	for (int i = 0; i <= M2M_ACP_MAX_RULES; i++)
		off += (size_t)snprintf(many + off, 64, "%s{\"acor\":[\"all\"],\"acop\":1}",
					i ? "," : "");
	snprintf(many + off, 8, "]}");
	reject(many, M2M_E_ACP_LIMIT, "more than 1024 rules");
	free(many);

	{
		char longid[M2M_ACP_STR_MAX + 64];
		memset(longid, 'C', sizeof(longid));
		memcpy(longid, "{\"acr\":[{\"acor\":[\"", 18);
		memcpy(longid + sizeof(longid) - 20, "\"],\"acop\":1}]}", 15);
		reject(longid, M2M_E_ACP_LIMIT, "longer than 1024 bytes");
	}
}

static void test_errmsg_handling_and_lifecycle(void **state)
{
	m2m_acp_rules *r = NULL, *r2;
	json_t *v;
	char tiny[8];

	/* a NULL or tiny message buffer is fine */
	assert_int_equal(m2m_acp_rules_parse("[]", 2, &r, NULL, 0), M2M_E_ACP_PARSE);
	assert_int_equal(m2m_acp_rules_parse("[]", 2, &r, tiny, sizeof(tiny)), M2M_E_ACP_PARSE);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	assert_int_equal(m2m_acp_rules_parse(NULL, 0, &r, NULL, 0), M2M_E_INVAL);
	assert_int_equal(m2m_acp_rules_parse("{}", 2, NULL, NULL, 0), M2M_E_INVAL);
	assert_int_equal(m2m_acp_rules_from_json(NULL, &r, NULL, 0), M2M_E_INVAL);
	assert_null(r);

	/* length is honoured: trailing bytes after len are not read */
	assert_int_equal(m2m_acp_rules_parse("{}garbage", 2, &r, NULL, 0), M2M_OK);
	m2m_acp_rules_free(r);

	/* from an existing jansson value; the value is not consumed */
	v = json_loads("{\"acr\":[{\"acor\":[\"all\"],\"acop\":2}]}", 0, NULL);
	assert_non_null(v);
	assert_int_equal(m2m_acp_rules_from_json(v, &r, NULL, 0), M2M_OK);
	assert_int_equal(m2m_acp_rules_count(r), 1);
	json_decref(v);

	/* reference counting */
	r2 = m2m_acp_rules_ref(r);
	assert_ptr_equal(r, r2);
	m2m_acp_rules_unref(r);
	assert_int_equal(m2m_acp_rules_count(r2), 1); /* still alive (ASan would catch a UAF) */
	m2m_acp_rules_unref(r2);
	m2m_acp_rules_free(NULL);
	m2m_acp_rules_unref(NULL);
	assert_null(m2m_acp_rules_ref(NULL));
	assert_int_equal(m2m_acp_rules_count(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_every_dimension),
		cmocka_unit_test(test_rejects_structure),
		cmocka_unit_test(test_rejects_values),
		cmocka_unit_test(test_rejects_originators),
		cmocka_unit_test(test_limits_and_nesting),
		cmocka_unit_test(test_errmsg_handling_and_lifecycle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
