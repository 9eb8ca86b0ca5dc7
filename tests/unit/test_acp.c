/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/acp.c: the TS-0003 clause 7.1.5 decision, one
 * table per dimension, each both permitting and denying, plus Permit-overrides and default
 * deny (house style #13). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "m2m_test.h"
#include "core/acp_int.h"

#define T_WED_103015 INT64_C(1718188215) /* 2024-06-12 10:30:15 UTC, Wednesday */
#define T_SUN_235959 INT64_C(1718582399) /* 2024-06-16 23:59:59 UTC, Sunday */

#define P M2M_ACP_PERMIT
#define D M2M_ACP_DENY

static m2m_acp_rules *compile(const char *json)
{
	m2m_acp_rules *r = NULL;
	char msg[256];

	if (m2m_acp_rules_parse(json, strlen(json), &r, msg, sizeof(msg)) != M2M_OK)
		fail_msg("policy rejected: %s: %s", json, msg);
	return r;
}

/* The default request: AE Cabc of CSE cse-in in SP sp.example.com, RETRIEVE, unauthenticated,
 * Wednesday 10:30:15 UTC, from 192.168.1.10, no location, target a <container> (3). */
static m2m_acp_request req0(void)
{
	m2m_acp_request q;

	memset(&q, 0, sizeof(q));
	q.orig_abs = "//sp.example.com/cse-in/Cabc";
	q.orig_sp = "/cse-in/Cabc";
	q.orig_cse = "Cabc";
	q.op = M2M_ACP_OP_RETRIEVE;
	q.time = T_WED_103015;
	q.ip_family = 4;
	q.ip[0] = 192;
	q.ip[1] = 168;
	q.ip[2] = 1;
	q.ip[3] = 10;
	q.target_ty = 3;
	return q;
}

static m2m_acp_decision decide1(const char *json, const m2m_acp_request *q)
{
	m2m_acp_rules *r = compile(json);
	const m2m_acp_rules *sets[1] = {r};
	m2m_acp_decision d = m2m_acp_decide(sets, 1, q);

	m2m_acp_rules_unref(r);
	return d;
}

#define EXPECT(json, q, want)                                                                  \
	do {                                                                                   \
		m2m_acp_decision got_ = decide1((json), (q));                                  \
		if (got_ != (want))                                                            \
			fail_msg("line %d: %s: got %d want %d", __LINE__, (json), got_, (want)); \
	} while (0)

#define ACOR(list) "{\"acr\":[{\"acor\":[" list "],\"acop\":63}]}"
#define CTX(ctx) "{\"acr\":[{\"acor\":[\"all\"],\"acop\":63,\"acco\":[" ctx "]}]}"

static void test_acor(void **state)
{
	m2m_acp_request q = req0();

	EXPECT(ACOR("\"all\""), &q, P);
	EXPECT(ACOR("\"All\""), &q, D);                       /* keyword is case-sensitive */
	EXPECT(ACOR("\"//sp.example.com\""), &q, P);         /* SP domain */
	EXPECT(ACOR("\"//other.example.com\""), &q, D);
	EXPECT(ACOR("\"//*.example.com\""), &q, P);
	EXPECT(ACOR("\"//sp.example\""), &q, D);             /* no prefix matching of domains */
	EXPECT(ACOR("\"//SP.Example.com\""), &q, P);         /* FQDNs are case-insensitive */
	EXPECT(ACOR("\"//SP.EXAMPLE.COM/cse-in/Cabc\""), &q, P);
	EXPECT(ACOR("\"//sp.example.com/CSE-in/Cabc\""), &q, D); /* the rest is not */
	EXPECT(ACOR("\"/cse-in\""), &q, D);                  /* a CSE-ID is not its AEs */
	EXPECT(ACOR("\"Cabc\""), &q, P);                     /* AE-ID exact, CSE-relative */
	EXPECT(ACOR("\"CABC\""), &q, D);                     /* IDs are case-sensitive */
	EXPECT(ACOR("\"Cab\""), &q, D);
	EXPECT(ACOR("\"/cse-in/Cabc\""), &q, P);             /* SP-relative */
	EXPECT(ACOR("\"//sp.example.com/cse-in/Cabc\""), &q, P);
	EXPECT(ACOR("\"//sp.example.com/cse-in/Cabcd\""), &q, D);
	EXPECT(ACOR("\"//*/cse-in/Cabc\""), &q, P);          /* wildcards */
	EXPECT(ACOR("\"/cse*/C*\""), &q, P);
	EXPECT(ACOR("\"/cse*/Ca*c\""), &q, P);
	EXPECT(ACOR("\"/cse*/Cx*\""), &q, D);
	EXPECT(ACOR("\"/*\""), &q, D);                       /* '*' does not cross '/' */
	EXPECT(ACOR("\"/cse-in*\""), &q, D);
	EXPECT(ACOR("\"//*\""), &q, P);                      /* any domain */
	EXPECT(ACOR("\"//*/*\""), &q, D);                    /* a CSE-ID pattern, not an AE */
	EXPECT(ACOR("\"//*/*/*\""), &q, P);
	EXPECT(ACOR("\"C*\""), &q, P);
	EXPECT(ACOR("\"*\""), &q, P);
	EXPECT(ACOR("\"Cx\",\"//other\",\"/cse-in/Cabc\""), &q, P); /* any entry */

	/* the CSE-relative entry needs the CSE-relative form */
	q.orig_cse = NULL;
	EXPECT(ACOR("\"Cabc\""), &q, D);
	EXPECT(ACOR("\"/cse-in/Cabc\""), &q, P);
	q.orig_sp = NULL;
	EXPECT(ACOR("\"/cse-in/Cabc\""), &q, D);
	EXPECT(ACOR("\"//sp.example.com\""), &q, P);
	q.orig_abs = NULL;
	EXPECT(ACOR("\"//sp.example.com\""), &q, D);
	EXPECT(ACOR("\"all\""), &q, P);

	/* a CSE originator: its SP-relative CSE-ID */
	q = req0();
	q.orig_abs = "//sp.example.com/cse-mn1";
	q.orig_sp = "/cse-mn1";
	q.orig_cse = NULL;
	EXPECT(ACOR("\"/cse-mn1\""), &q, P);
	EXPECT(ACOR("\"/cse-mn*\""), &q, P);
	EXPECT(ACOR("\"//*/cse-mn*\""), &q, P);
	EXPECT(ACOR("\"/cse-mn1/*\""), &q, D);
	EXPECT(ACOR("\"//sp.example.com\""), &q, P);
}

static void test_acor_table_7_1_3_2(void **state)
{
	/* TS-0003 Table 7.1.3-2 examples against an AE "/myCSE1/C9886" in SP m2msp.org */
	m2m_acp_request q = req0();

	q.orig_abs = "//m2msp.org/myCSE1/C9886";
	q.orig_sp = "/myCSE1/C9886";
	q.orig_cse = NULL;
	EXPECT(ACOR("\"//*/myCSE*/C9886\""), &q, P);
	EXPECT(ACOR("\"/myCSE1/C98*\""), &q, P);
	EXPECT(ACOR("\"/myCSE*/C98*\""), &q, P);
	EXPECT(ACOR("\"/myCSE*/C97*\""), &q, D);
	EXPECT(ACOR("\"/SmyAE*\""), &q, D);
	EXPECT(ACOR("\"//m2msp.org/myCSEID\""), &q, D);
	q.orig_abs = "//m2msp.org/SmyAE42";
	q.orig_sp = "/SmyAE42";
	EXPECT(ACOR("\"/SmyAE*\""), &q, P);
	EXPECT(ACOR("\"//m2msp.org/S988\""), &q, D);
}

struct member_ctx {
	const char *group;
	int calls;
};

static bool member_of(void *ctx, const char *group_ri, const m2m_acp_request *req)
{
	struct member_ctx *m = ctx;
	m->calls++;
	return strcmp(group_ri, m->group) == 0 && strcmp(req->orig_cse, "Cabc") == 0;
}

static void test_acor_groups_and_roles(void **state)
{
	m2m_acp_request q = req0();
	struct member_ctx mc = {"/cse-in/grp1", 0};
	const char *roles[] = {"viewer@roles.example.com", "admin@Roles.Example.COM"};

	/* group: NULL callback never matches */
	EXPECT(ACOR("\"/cse-in/grp1\""), &q, D);
	q.is_member = member_of;
	q.member_ctx = &mc;
	EXPECT(ACOR("\"/cse-in/grp1\""), &q, P);
	assert_int_equal(mc.calls, 1);
	EXPECT(ACOR("\"/cse-in/grp2\""), &q, D);
	/* wildcard entries, roles, domains and "all" are never groups */
	mc.calls = 0;
	EXPECT(ACOR("\"/cse-in/grp*\",\"//sp.other\",\"x@y.example\""), &q, D);
	assert_int_equal(mc.calls, 0);
	/* the oracle is asked only when the rest of the rule permits */
	mc.calls = 0;
	EXPECT("{\"acr\":[{\"acor\":[\"/cse-in/grp1\"],\"acop\":1}]}", &q, D);
	assert_int_equal(mc.calls, 0);
	/* nor when the originator already matched directly */
	EXPECT(ACOR("\"Cabc\",\"/cse-in/grp1\""), &q, P);
	assert_int_equal(mc.calls, 0);

	/* Role-IDs: relative part exact, issuer FQDN case-insensitive */
	q = req0();
	EXPECT(ACOR("\"admin@roles.example.com\""), &q, D);
	q.role_ids = roles;
	q.nrole_ids = 2;
	EXPECT(ACOR("\"admin@roles.example.com\""), &q, P);
	EXPECT(ACOR("\"viewer@ROLES.example.com\""), &q, P);
	EXPECT(ACOR("\"Viewer@roles.example.com\""), &q, D);
	EXPECT(ACOR("\"operator@roles.example.com\""), &q, D);
	EXPECT(ACOR("\"admin@roles.example.co\""), &q, D);
	q.nrole_ids = 1;
	EXPECT(ACOR("\"admin@roles.example.com\""), &q, D);
}

static void test_acop(void **state)
{
	static const unsigned ops[] = {1, 2, 4, 8, 16, 32};
	m2m_acp_request q = req0();
	char json[128];

	for (unsigned acop = 1; acop <= 63; acop++) {
		snprintf(json, sizeof(json), "{\"acr\":[{\"acor\":[\"all\"],\"acop\":%u}]}", acop);
		for (size_t i = 0; i < M2M_ARRAY_LEN(ops); i++) {
			q.op = ops[i];
			EXPECT(json, &q, (acop & ops[i]) ? P : D);
		}
	}
	/* op must be exactly one known bit */
	q.op = 0;
	EXPECT(ACOR("\"all\""), &q, D);
	q.op = 3;
	EXPECT(ACOR("\"all\""), &q, D);
	q.op = 64;
	EXPECT(ACOR("\"all\""), &q, D);
}

static void test_acaf(void **state)
{
	m2m_acp_request q = req0();
	const char *strict = "{\"acr\":[{\"acor\":[\"all\"],\"acop\":63,\"acaf\":true}]}";
	const char *lax = "{\"acr\":[{\"acor\":[\"all\"],\"acop\":63,\"acaf\":false}]}";

	EXPECT(strict, &q, D);
	EXPECT(lax, &q, P);
	q.rq_authn = true;
	EXPECT(strict, &q, P);
	EXPECT(lax, &q, P);
}

static void test_actw(void **state)
{
	m2m_acp_request q = req0();

	EXPECT(CTX("{\"actw\":[\"* * 8-20 * * 1-5 *\"]}"), &q, P);  /* inside */
	EXPECT(CTX("{\"actw\":[\"* * 11-20 * * * *\"]}"), &q, D);   /* outside */
	EXPECT(CTX("{\"actw\":[\"* * 0-23/2 * * * *\"]}"), &q, P);  /* step */
	EXPECT(CTX("{\"actw\":[\"* * 1-23/2 * * * *\"]}"), &q, D);
	EXPECT(CTX("{\"actw\":[\"* 0-5,30 2,6,10 * * * *\"]}"), &q, P); /* lists */
	EXPECT(CTX("{\"actw\":[\"* 0-5 2,6,10 * * * *\"]}"), &q, D);
	EXPECT(CTX("{\"actw\":[\"* * * * * 0,6 *\"]}"), &q, D);     /* dow */
	EXPECT(CTX("{\"actw\":[\"* * * * * * 2024\"]}"), &q, P);    /* year */
	EXPECT(CTX("{\"actw\":[\"* * * * * * 2025-2030\"]}"), &q, D);
	EXPECT(CTX("{\"actw\":[\"* * 11 * * * *\",\"* * 10 * * * *\"]}"), &q, P); /* any entry */
	q.time = T_SUN_235959;
	EXPECT(CTX("{\"actw\":[\"* * * * * 0,6 *\"]}"), &q, P);
	EXPECT(CTX("{\"actw\":[\"* * 8-20 * * 1-5 *\"]}"), &q, D);
	q.time = 0; /* 1970: outside the representable years */
	EXPECT(CTX("{\"actw\":[\"* * * * * * *\"]}"), &q, D);
	EXPECT(CTX("{}"), &q, P);
}

static void test_acip(void **state)
{
	m2m_acp_request q = req0();
	const char *v4 = CTX("{\"acip\":{\"ipv4\":[\"10.0.0.0/8\",\"192.168.0.0/16\"]}}");
	const char *v6 = CTX("{\"acip\":{\"ipv6\":[\"2001:db8::/32\"]}}");
	const char *both = CTX("{\"acip\":{\"ipv4\":[\"10.0.0.0/8\"],\"ipv6\":[\"2001:db8::/32\"]}}");

	EXPECT(v4, &q, P);
	EXPECT(v6, &q, D);
	EXPECT(both, &q, D);
	q.ip[0] = 10;
	EXPECT(both, &q, P);
	q.ip_family = 6;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::7", q.ip), 1);
	EXPECT(v6, &q, P);
	EXPECT(both, &q, P);
	EXPECT(v4, &q, D);
	assert_int_equal(inet_pton(AF_INET6, "2001:db9::7", q.ip), 1);
	EXPECT(v6, &q, D);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:10.1.2.3", q.ip), 1); /* IPv4-mapped */
	EXPECT(v4, &q, P);
	EXPECT(v6, &q, D);
	q.ip_family = 0; /* unknown source IP: indeterminate */
	EXPECT(v4, &q, D);
	EXPECT(v6, &q, D);
	EXPECT(CTX("{\"acip\":{\"ipv4\":[\"0.0.0.0/0\"]}}"), &q, D);
	q.ip_family = 5; /* nonsense family counts as unknown */
	EXPECT(CTX("{\"acip\":{\"ipv4\":[\"0.0.0.0/0\"]}}"), &q, D);
	EXPECT(CTX("{}"), &q, P);
}

static void test_aclr(void **state)
{
	m2m_acp_request q = req0();
	const char *cc = CTX("{\"aclr\":{\"accc\":[\"DE\",\"KR\"]}}");
	/* 10 km around Paris Notre-Dame (48.8530, 2.3499) */
	const char *circle = CTX("{\"aclr\":{\"accr\":[48.853,2.3499,10000]}}");

	EXPECT(cc, &q, D); /* no location: indeterminate */
	EXPECT(circle, &q, D);
	q.loc_kind = M2M_ACP_LOC_COUNTRY;
	memcpy(q.country, "KR", 3);
	EXPECT(cc, &q, P);
	memcpy(q.country, "kr", 3);
	EXPECT(cc, &q, P);
	memcpy(q.country, "FR", 3);
	EXPECT(cc, &q, D);
	EXPECT(circle, &q, D); /* a country cannot be placed in a circle */
	memcpy(q.country, "K1", 3);
	EXPECT(cc, &q, D);
	q.loc_kind = M2M_ACP_LOC_POINT;
	q.lat = 48.8606; /* Louvre, ~1 km */
	q.lon = 2.3376;
	EXPECT(circle, &q, P);
	EXPECT(cc, &q, D);
	q.lat = 48.8049; /* Versailles-ish direction, ~17 km west */
	q.lon = 2.1204;
	EXPECT(circle, &q, D);
	q.lat = 48.9395; /* ~9.6 km north: inside; 48.9425 ~ 9.95 km; 48.9440 ~ 10.1 km */
	q.lon = 2.3499;
	EXPECT(circle, &q, P);
	q.lat = 48.9440;
	EXPECT(circle, &q, D);
	q.lat = 48.853; /* the centre itself with radius 0 */
	EXPECT(CTX("{\"aclr\":{\"accr\":[48.853,2.3499,0]}}"), &q, P);
	q.lat = -48.853; /* antipode inside a globe-covering circle */
	q.lon = -177.6501;
	EXPECT(CTX("{\"aclr\":{\"accr\":[48.853,2.3499,2.1e7]}}"), &q, P);
	EXPECT(circle, &q, D);
	q.lat = 91; /* invalid point: indeterminate */
	EXPECT(CTX("{\"aclr\":{\"accr\":[0,0,1e12]}}"), &q, D);
}

static void test_acco_combination(void **state)
{
	m2m_acp_request q = req0();

	/* AND inside a context */
	EXPECT(CTX("{\"actw\":[\"* * 10 * * * *\"],\"acip\":{\"ipv4\":[\"192.168.1.0/24\"]}}"), &q, P);
	EXPECT(CTX("{\"actw\":[\"* * 11 * * * *\"],\"acip\":{\"ipv4\":[\"192.168.1.0/24\"]}}"), &q, D);
	EXPECT(CTX("{\"actw\":[\"* * 10 * * * *\"],\"acip\":{\"ipv4\":[\"10.0.0.0/8\"]}}"), &q, D);
	/* OR across contexts */
	EXPECT(CTX("{\"actw\":[\"* * 11 * * * *\"]},{\"acip\":{\"ipv4\":[\"192.168.0.0/16\"]}}"),
	       &q, P);
	EXPECT(CTX("{\"actw\":[\"* * 11 * * * *\"]},{\"acip\":{\"ipv4\":[\"10.0.0.0/8\"]}}"), &q, D);
	/* empty acco / empty context: no constraint */
	EXPECT(CTX(""), &q, P);
	EXPECT(CTX("{}"), &q, P);
	EXPECT(CTX("{\"aclr\":{\"accc\":[\"DE\"]}},{}"), &q, P);
}

static void test_acod(void **state)
{
	m2m_acp_request q = req0();
	const char *chty = "{\"acr\":[{\"acor\":[\"all\"],\"acop\":63,\"acod\":[{\"chty\":[4]}]}]}";
	const char *ty = "{\"acr\":[{\"acor\":[\"all\"],\"acop\":63,\"acod\":[{\"ty\":2,\"chty\":[3,4]}]}]}";
	const char *spty = "{\"acr\":[{\"acor\":[\"all\"],\"acop\":63,"
			   "\"acod\":[{\"ty\":13,\"spty\":1001,\"chty\":[13]}]}]}";
	const char *two = "{\"acr\":[{\"acor\":[\"all\"],\"acop\":63,"
			  "\"acod\":[{\"ty\":2,\"chty\":[3]},{\"ty\":3,\"chty\":[4]}]}]}";

	q.op = M2M_ACP_OP_CREATE;
	q.child_ty = 4;
	EXPECT(chty, &q, P);
	q.child_ty = 23;
	EXPECT(chty, &q, D);
	q.child_ty = 4; /* target is a container (3), ty asks for an AE (2) */
	EXPECT(ty, &q, D);
	q.target_ty = 2;
	EXPECT(ty, &q, P);
	EXPECT(two, &q, D);
	q.target_ty = 3;
	EXPECT(two, &q, P);
	/* specialization */
	q.target_ty = 13;
	q.child_ty = 13;
	EXPECT(spty, &q, D); /* no spty in the request */
	q.child_spty = "1001";
	EXPECT(spty, &q, P);
	q.child_spty = "1002";
	EXPECT(spty, &q, D);
	/* non-CREATE operations ignore acod (TS-0003 clause 7.1.5) */
	q = req0();
	q.child_ty = 23;
	EXPECT(chty, &q, P);
	EXPECT(ty, &q, P);
	q.op = M2M_ACP_OP_DELETE;
	EXPECT(spty, &q, P);
}

static void test_permit_overrides_and_default_deny(void **state)
{
	m2m_acp_request q = req0();
	m2m_acp_rules *a = compile("{\"acr\":[{\"acor\":[\"Cother\"],\"acop\":63},"
				   "{\"acor\":[\"Cabc\"],\"acop\":4}]}");
	m2m_acp_rules *b = compile("{\"acr\":[{\"acor\":[\"Cabc\"],\"acop\":2}]}");
	m2m_acp_rules *empty = compile("{\"acr\":[]}");
	const m2m_acp_rules *ab[] = {a, b};
	const m2m_acp_rules *ba[] = {b, a};
	const m2m_acp_rules *aonly[] = {a};
	const m2m_acp_rules *none[] = {empty, NULL, empty};
	const m2m_acp_rules *withnull[] = {NULL, b};

	/* a rule of set b permits: the deny-ish rules of a do not matter, in any order */
	assert_int_equal(m2m_acp_decide(ab, 2, &q), P);
	assert_int_equal(m2m_acp_decide(ba, 2, &q), P);
	assert_int_equal(m2m_acp_decide(aonly, 1, &q), D);
	q.op = M2M_ACP_OP_UPDATE; /* second rule of the first set */
	assert_int_equal(m2m_acp_decide(ab, 2, &q), P);
	q.op = M2M_ACP_OP_DELETE; /* nothing grants DELETE */
	assert_int_equal(m2m_acp_decide(ab, 2, &q), D);
	q.op = M2M_ACP_OP_RETRIEVE;
	/* default deny: no sets, only empty sets, NULL sets, NULL request */
	assert_int_equal(m2m_acp_decide(ab, 0, &q), D);
	assert_int_equal(m2m_acp_decide(NULL, 0, &q), D);
	assert_int_equal(m2m_acp_decide(NULL, 3, &q), D);
	assert_int_equal(m2m_acp_decide(none, 3, &q), D);
	assert_int_equal(m2m_acp_decide(withnull, 2, &q), P);
	assert_int_equal(m2m_acp_decide(ab, 2, NULL), D);
	assert_int_equal(m2m_acp_rules_count(empty), 0);
	/* the decision never reports "not applicable" */
	assert_int_not_equal(m2m_acp_decide(aonly, 1, &q), M2M_ACP_NOT_APPLICABLE);
	assert_int_equal(M2M_ACP_DENY, 0);
	m2m_acp_rules_unref(a);
	m2m_acp_rules_unref(b);
	m2m_acp_rules_unref(empty);
}

static void test_unknown_context_attribute_denies(void **state)
{
	/* house style #13: an unknown context attribute can never reach a decision */
	m2m_acp_rules *r = (m2m_acp_rules *)0x1;
	const char *j = CTX("{\"acui\":[\"x\"]}");

	assert_int_equal(m2m_acp_rules_parse(j, strlen(j), &r, NULL, 0), M2M_E_ACP_PARSE);
	assert_null(r);
}

static void test_libm_free_trig(void **state)
{
	static const struct {
		double x, s, c;
	} kv[] = {
		{0.0, 0.0, 1.0},
		{0.5235987755982988, 0.5, 0.8660254037844387},
		{1.0, 0.8414709848078965, 0.5403023058681398},
		{2.5, 0.5984721441039565, -0.8011436155469337},
		{-3.0, -0.1411200080598672, -0.9899924966004454},
		{6.0, -0.27941549819892586, 0.960170286650366},
		{-6.2, 0.0830894028174964, 0.9965420970232175},
	};
	for (size_t i = 0; i < M2M_ARRAY_LEN(kv); i++) {
		assert_true(m2mi_acp_sin(kv[i].x) - kv[i].s < 1e-14 &&
			    kv[i].s - m2mi_acp_sin(kv[i].x) < 1e-14);
		assert_true(m2mi_acp_cos(kv[i].x) - kv[i].c < 1e-14 &&
			    kv[i].c - m2mi_acp_cos(kv[i].x) < 1e-14);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acor),
		cmocka_unit_test(test_acor_table_7_1_3_2),
		cmocka_unit_test(test_acor_groups_and_roles),
		cmocka_unit_test(test_acop),
		cmocka_unit_test(test_acaf),
		cmocka_unit_test(test_actw),
		cmocka_unit_test(test_acip),
		cmocka_unit_test(test_aclr),
		cmocka_unit_test(test_acco_combination),
		cmocka_unit_test(test_acod),
		cmocka_unit_test(test_permit_overrides_and_default_deny),
		cmocka_unit_test(test_unknown_context_attribute_denies),
		cmocka_unit_test(test_libm_free_trig),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
