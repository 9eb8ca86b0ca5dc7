/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the benchmark of the access-control decision (TS-0003 clause 7.1.5):
 * decisions per second on one core for
 *   1. a 10-rule policy whose only matching rule is the last one and has actw + acip contexts,
 *   2. the same policy with an Originator that no rule admits (scans all 10 rules: DENY),
 *   3. a rule with acor "all" (fast path),
 * plus compilations per second of the 10-rule policy. Usage: bench_acp [iterations]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "m2msec/acp.h"

static const char POLICY10[] =
	"{\"acr\":["
	"{\"acor\":[\"/cse-in/Cadmin\",\"//sp.example.com/cse-mn1/C*\"],\"acop\":63},"
	"{\"acor\":[\"Cother1\",\"Cother2\",\"Cother3\"],\"acop\":2,"
	" \"acco\":[{\"actw\":[\"* * 0-6 * * * *\"]}]},"
	"{\"acor\":[\"viewer@roles.example.com\"],\"acop\":2},"
	"{\"acor\":[\"//other.example.org\"],\"acop\":63},"
	"{\"acor\":[\"/cse-in/S*\"],\"acop\":35,\"acaf\":true},"
	"{\"acor\":[\"/cse-in/Cabc\"],\"acop\":1,\"acod\":[{\"chty\":[4]}]},"
	"{\"acor\":[\"/cse-mn*/C98*\"],\"acop\":63,"
	" \"acco\":[{\"acip\":{\"ipv6\":[\"2001:db8::/32\"]}}]},"
	"{\"acor\":[\"//*/cse-asn*\"],\"acop\":16},"
	"{\"acor\":[\"Cabc\"],\"acop\":8},"
	"{\"acor\":[\"/cse-in/Cabc\",\"/cse-in/Cdef\"],\"acop\":63,"
	" \"acco\":[{\"actw\":[\"* * 8-20 * * 1-5 *\"],"
	"            \"acip\":{\"ipv4\":[\"10.0.0.0/8\",\"192.168.0.0/16\"]}}]}"
	"]}";

static const char POLICY_ALL[] = "{\"acr\":[{\"acor\":[\"all\"],\"acop\":63}]}";

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static m2m_acp_rules *compile(const char *json)
{
	m2m_acp_rules *r = NULL;
	char msg[256];

	if (m2m_acp_rules_parse(json, strlen(json), &r, msg, sizeof(msg)) != M2M_OK) {
		fprintf(stderr, "bench_acp: policy rejected: %s\n", msg);
		exit(1);
	}
	return r;
}

static int run(const char *name, const m2m_acp_rules *set, const m2m_acp_request *q, long n,
	       m2m_acp_decision want)
{
	const m2m_acp_rules *sets[1] = {set};
	volatile unsigned sink = 0;
	double t0, dt;

	if (m2m_acp_decide(sets, 1, q) != want) {
		fprintf(stderr, "bench_acp: %s: wrong decision\n", name);
		return 1;
	}
	t0 = now();
	for (long i = 0; i < n; i++)
		sink += (unsigned)m2m_acp_decide(sets, 1, q);
	dt = now() - t0;
	(void)sink;
	printf("%-46s %12.0f decisions/s  (%.1f ns each)\n", name, (double)n / dt, dt * 1e9 / (double)n);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 5000000;
	m2m_acp_rules *p10 = compile(POLICY10), *pall = compile(POLICY_ALL);
	m2m_acp_request q;
	int rc = 0;
	double t0, dt;
	long nparse = n / 50 > 1000 ? n / 50 : 1000;

	if (n <= 0)
		n = 5000000;
	memset(&q, 0, sizeof(q));
	q.orig_abs = "//sp.example.com/cse-in/Cabc";
	q.orig_sp = "/cse-in/Cabc";
	q.orig_cse = "Cabc";
	q.op = M2M_ACP_OP_RETRIEVE;
	q.time = INT64_C(1718188215); /* Wednesday 10:30:15 UTC */
	q.ip_family = 4;
	q.ip[0] = 192;
	q.ip[1] = 168;
	q.ip[2] = 1;
	q.ip[3] = 10;
	q.target_ty = 3;

	printf("bench_acp: %ld iterations per case\n", n);
	rc |= run("10 rules, match in last (actw+acip): PERMIT", p10, &q, n, M2M_ACP_PERMIT);
	q.orig_abs = "//sp.example.com/cse-in/Czzz";
	q.orig_sp = "/cse-in/Czzz";
	q.orig_cse = "Czzz";
	rc |= run("10 rules, no match (all scanned): DENY", p10, &q, n, M2M_ACP_DENY);
	rc |= run("acor \"all\": PERMIT", pall, &q, n, M2M_ACP_PERMIT);

	t0 = now();
	for (long i = 0; i < nparse; i++) {
		m2m_acp_rules *r = NULL;
		if (m2m_acp_rules_parse(POLICY10, sizeof(POLICY10) - 1, &r, NULL, 0) != M2M_OK)
			return 1;
		m2m_acp_rules_unref(r);
	}
	dt = now() - t0;
	printf("%-46s %12.0f policies/s   (%.1f us each)\n", "compile the 10-rule policy (JSON)",
	       (double)nparse / dt, dt * 1e6 / (double)nparse);
	m2m_acp_rules_unref(p10);
	m2m_acp_rules_unref(pall);
	return rc;
}
