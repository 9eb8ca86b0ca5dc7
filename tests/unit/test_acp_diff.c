/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the differential test of the access-control engine (house style #17):
 * a NAIVE reference evaluator written directly from TS-0003 clause 7.1.5 (the res_acr formula,
 * evaluated on the jansson tree with string matching, libc gmtime_r and bit-by-bit prefix
 * comparison, no precompilation) is compared with m2m_acp_decide on random (policy, request)
 * pairs generated from a fixed seed. Zero mismatches are required. The interpretation choices
 * both sides share are those of docs/acp.md (forms of the originator, '*' not crossing '/',
 * AND of day-of-month and day-of-week, IPv4-mapped addresses counted as IPv4, acod for CREATE
 * only, empty acco/acod meaning "no constraint").
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "m2m_test.h"
#include "m2msec/acp.h"

#define N_POLICIES 25000
#define N_REQUESTS 8 /* per policy: 200,000 pairs */

/* ---- deterministic generator ---- */

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int rn(int n) /* 0..n-1 */
{
	return (int)(rnd() % (uint64_t)n);
}

static bool chance(int percent)
{
	return rn(100) < percent;
}

#define PICK(a) ((a)[rn((int)M2M_ARRAY_LEN(a))])

struct buf {
	char s[16384];
	size_t n;
};

__attribute__((format(printf, 2, 3))) static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
	va_end(ap);
	assert_true(k >= 0 && (size_t)k < sizeof(b->s) - b->n);
	b->n += (size_t)k;
}

static const char *const SPS[] = {"sp.example.com", "m2msp.org"};
static const char *const CSES[] = {"cse-in", "cse-mn1", "myCSE1"};
static const char *const AES[] = {"Cabc", "C9886", "C98x", "SmyAE1", "Sx"};
static const char *const SP_PAT[] = {"*", "*.example.com", "m2m*", "sp.example.com", "m2msp.org",
				     "other.net", "SP.Example.COM", "M2M*"};
static const char *const CSE_PAT[] = {"*", "cse-*", "my*1", "cse-in", "myCSE1", "*mn*", "cse"};
static const char *const AE_PAT[] = {"*", "C98*", "C*c", "*x", "Cabc", "C9886", "S*", "*9*8*",
				     "SmyAE1", "C"};
static const char *const ROLES_RULE[] = {"admin@roles.example.com", "viewer@Roles.example.com",
					 "op@other.org"};
static const char *const ROLES_REQ[] = {"admin@ROLES.example.com", "viewer@roles.example.com",
					"x@y.org", "op@other.org"};
static const char *const GROUPS[] = {"/cse-in/grp1", "/cse-in/grp2", "grp3"};
static const char *const V4[] = {"10.0.0.0", "10.1.2.3", "192.168.1.0", "192.168.1.77",
				 "172.16.5.4"};
static const char *const V6[] = {"2001:db8::", "2001:db8:1::5", "fe80::1", "::ffff:10.1.2.3",
				 "2001:db8:1:2:3:4:5:6"};
static const char *const CCS[] = {"DE", "KR", "FR", "us"};
static const int TYS[] = {2, 3, 5, 13, 28};
static const int CHTYS[] = {2, 3, 4, 13, 23, 28};
static const double CENTRES[][2] = {{48.853, 2.3499}, {37.5665, 126.978}, {0, 0},
				    {-33.8688, 151.2093}, {89.9, 0}, {10, 179.9}};

static void gen_cron_elem(struct buf *b, int lo, int hi)
{
	int a = lo + rn(hi - lo + 1), c = lo + rn(hi - lo + 1);
	int x = a < c ? a : c, y = a < c ? c : a;

	switch (rn(4)) {
	case 0: put(b, "%d", a); break;
	case 1: put(b, "%d-%d", x, y); break;
	case 2: put(b, "%d-%d/%d", x, y, 1 + rn(5)); break;
	default: put(b, "*/%d", 1 + rn(7)); break;
	}
}

static void gen_cron(struct buf *b)
{
	static const int lo[7] = {0, 0, 0, 1, 1, 0, 2000}, hi[7] = {59, 59, 23, 31, 12, 6, 9999};

	put(b, "\"");
	for (int f = 0; f < 7; f++) {
		int l = f == 6 ? 2022 : lo[f], h = f == 6 ? 2027 : hi[f];
		if (f)
			put(b, " ");
		if (chance(f == 6 ? 60 : 55)) {
			put(b, "*");
			continue;
		}
		gen_cron_elem(b, l, h);
		for (int k = rn(3); k > 0 && chance(40); k--) {
			put(b, ",");
			gen_cron_elem(b, l, h);
		}
	}
	put(b, "\"");
}

static void gen_orig(struct buf *b)
{
	switch (rn(9)) {
	case 0: put(b, "\"all\""); break;
	case 1: put(b, "\"//%s\"", PICK(SP_PAT)); break;
	case 2: {
		const char *sp = PICK(SP_PAT); /* one rn() per statement: reproducible across compilers */
		put(b, "\"//%s/%s", sp, PICK(CSE_PAT));
		if (chance(70))
			put(b, "/%s", PICK(AE_PAT));
		put(b, "\"");
		break;
	}
	case 3:
	case 4:
		put(b, "\"/%s", PICK(CSE_PAT));
		if (chance(70))
			put(b, "/%s", PICK(AE_PAT));
		put(b, "\"");
		break;
	case 5:
	case 6: put(b, "\"%s\"", PICK(AE_PAT)); break;
	case 7: put(b, "\"%s\"", PICK(ROLES_RULE)); break;
	default: put(b, "\"%s\"", PICK(GROUPS)); break;
	}
}

static void gen_ctx(struct buf *b)
{
	bool first = true;

	put(b, "{");
	if (chance(50)) {
		put(b, "\"actw\":[");
		for (int k = 1 + rn(2), i = 0; i < k; i++) {
			if (i)
				put(b, ",");
			gen_cron(b);
		}
		put(b, "]");
		first = false;
	}
	if (chance(45)) {
		bool v4 = chance(70), v6 = !v4 || chance(40);
		put(b, "%s\"acip\":{", first ? "" : ",");
		if (v4) {
			put(b, "\"ipv4\":[");
			for (int k = 1 + rn(3), i = 0; i < k; i++) {
				put(b, "%s\"%s", i ? "," : "", PICK(V4));
				if (chance(75))
					put(b, "/%d", rn(33));
				put(b, "\"");
			}
			put(b, "]");
		}
		if (v6) {
			put(b, "%s\"ipv6\":[", v4 ? "," : "");
			for (int k = 1 + rn(2), i = 0; i < k; i++) {
				put(b, "%s\"%s", i ? "," : "", PICK(V6));
				if (chance(75))
					put(b, "/%d", rn(129));
				put(b, "\"");
			}
			put(b, "]");
		}
		put(b, "}");
		first = false;
	}
	if (chance(30)) {
		put(b, "%s\"aclr\":{", first ? "" : ",");
		if (chance(50)) {
			put(b, "\"accc\":[\"%s\"", PICK(CCS));
			if (chance(50))
				put(b, ",\"%s\"", PICK(CCS));
			put(b, "]");
		} else {
			const double *c = CENTRES[rn((int)M2M_ARRAY_LEN(CENTRES))];
			double r = 100.0;
			for (int e = rn(6); e > 0; e--)
				r *= 10.0;
			put(b, "\"accr\":[%.6f,%.6f,%.1f]", c[0], c[1], r * (1 + rn(9)));
		}
		put(b, "}");
	}
	put(b, "}");
}

static void gen_policy(struct buf *b)
{
	int nr = rn(5);

	b->n = 0;
	put(b, "{\"acr\":[");
	for (int r = 0; r < nr; r++) {
		put(b, "%s{\"acor\":[", r ? "," : "");
		for (int k = 1 + rn(3), i = 0; i < k; i++) {
			if (i)
				put(b, ",");
			gen_orig(b);
		}
		put(b, "],\"acop\":%d", 1 + rn(63));
		if (chance(30))
			put(b, ",\"acaf\":%s", chance(50) ? "true" : "false");
		if (chance(55)) {
			int k = rn(3);
			put(b, ",\"acco\":[");
			for (int i = 0; i < k; i++) {
				if (i)
					put(b, ",");
				gen_ctx(b);
			}
			put(b, "]");
		}
		if (chance(35)) {
			int k = rn(3);
			put(b, ",\"acod\":[");
			for (int i = 0; i < k; i++) {
				int ty = chance(50) ? PICK(TYS) : -1;
				put(b, "%s{", i ? "," : "");
				if (ty > 0)
					put(b, "\"ty\":%d,", ty);
				if (ty == 13 || ty == 28 || chance(30))
					put(b, "\"spty\":%s,",
					    chance(60) ? (chance(50) ? "1001" : "1002") : "\"org.ex.def\"");
				put(b, "\"chty\":[%d", PICK(CHTYS));
				if (chance(50))
					put(b, ",%d", PICK(CHTYS));
				put(b, "]}");
			}
			put(b, "]");
		}
		put(b, "}");
	}
	put(b, "]}");
}

struct genreq {
	m2m_acp_request q;
	char abs[96], sp[64], cse[32];
	const char *roles[3];
};

static bool member(void *ctx, const char *group_ri, const m2m_acp_request *req)
{
	if (strcmp(group_ri, "/cse-in/grp1") == 0)
		return req->orig_abs && strstr(req->orig_abs, "C98") != NULL;
	if (strcmp(group_ri, "grp3") == 0)
		return req->orig_cse && req->orig_cse[0] == 'S';
	return false;
}

static void gen_request(struct genreq *g)
{
	static const unsigned ops[] = {1, 2, 4, 8, 16, 32};
	static const char *const sptys[] = {"1001", "1002", "org.ex.def"};
	const char *sp = PICK(SPS), *cse = PICK(CSES), *ae = PICK(AES);
	m2m_acp_request *q = &g->q;

	memset(g, 0, sizeof(*g));
	if (chance(80)) {
		snprintf(g->abs, sizeof(g->abs), "//%s/%s/%s", sp, cse, ae);
		snprintf(g->sp, sizeof(g->sp), "/%s/%s", cse, ae);
		snprintf(g->cse, sizeof(g->cse), "%s", ae);
		q->orig_cse = chance(60) ? g->cse : NULL;
	} else {
		snprintf(g->abs, sizeof(g->abs), "//%s/%s", sp, cse);
		snprintf(g->sp, sizeof(g->sp), "/%s", cse);
	}
	q->orig_abs = chance(85) ? g->abs : NULL;
	q->orig_sp = chance(70) ? g->sp : NULL;
	q->rq_authn = chance(50);
	q->op = chance(2) ? (unsigned)rn(70) : ops[rn(6)];
	/* mostly 2023..2025; sometimes outside the representable years */
	q->time = INT64_C(1672531200) + (int64_t)(rnd() % (UINT64_C(3) * 365 * 86400));
	if (chance(3))
		q->time = chance(50) ? (int64_t)(rnd() % 946684800) : INT64_C(253402300800) + rn(1000);
	switch (rn(5)) {
	case 0: break; /* unknown */
	case 1:
	case 2:
		q->ip_family = 4;
		assert_int_equal(inet_pton(AF_INET, PICK(V4), q->ip), 1);
		q->ip[3] = (uint8_t)(chance(50) ? q->ip[3] : rn(256));
		break;
	case 3:
		q->ip_family = 6;
		assert_int_equal(inet_pton(AF_INET6, PICK(V6), q->ip), 1);
		q->ip[15] = (uint8_t)(chance(50) ? q->ip[15] : rn(256));
		break;
	default:
		q->ip_family = 6; /* IPv4-mapped */
		assert_int_equal(inet_pton(AF_INET6, "::ffff:10.1.2.3", q->ip), 1);
		q->ip[15] = (uint8_t)rn(256);
		break;
	}
	switch (rn(3)) {
	case 0: break;
	case 1:
		q->loc_kind = M2M_ACP_LOC_COUNTRY;
		snprintf(q->country, sizeof(q->country), "%s",
			 chance(20) ? "kr" : chance(10) ? "1A" : PICK(CCS));
		break;
	default: {
		const double *c = CENTRES[rn((int)M2M_ARRAY_LEN(CENTRES))];
		double dlat = (double)(rn(2000001) - 1000000) / 1e6;
		double dlon = (double)(rn(2000001) - 1000000) / 1e6;
		double spread = chance(50) ? 0.05 : 3.0;
		q->loc_kind = M2M_ACP_LOC_POINT;
		q->lat = c[0] + dlat * spread;
		q->lon = c[1] + dlon * spread;
		if (q->lat > 90.0)
			q->lat = 180.0 - q->lat;
		if (q->lon > 180.0)
			q->lon -= 360.0;
		break;
	}
	}
	q->target_ty = PICK(TYS);
	q->child_ty = PICK(CHTYS);
	q->child_spty = chance(50) ? PICK(sptys) : NULL;
	for (int i = rn(3); i > 0; i--)
		g->roles[q->nrole_ids++] = PICK(ROLES_REQ);
	q->role_ids = g->roles;
	if (chance(80)) {
		q->is_member = member;
		q->member_ctx = NULL;
	}
}

/* ---- the naive reference evaluator, TS-0003 clause 7.1.5 ---- */

/* '*' matches any run of characters that contains no '/' (clause 7.1.3). */
static bool ref_wild(const char *p, const char *t)
{
	if (*p == '\0')
		return *t == '\0';
	if (*p == '*') {
		for (const char *u = t;; u++) {
			if (ref_wild(p + 1, u))
				return true;
			if (*u == '\0' || *u == '/')
				return false;
		}
	}
	return *p == *t && ref_wild(p + 1, t + 1);
}

static bool ref_ismember_originator(const char *entry, const m2m_acp_request *q)
{
	char e[300];

	/* the SP domain (FQDN) of an entry compares case-insensitively; request forms are
	 * canonical (lower-case FQDN) */
	snprintf(e, sizeof(e), "%s", entry);
	for (size_t i = 2; strncmp(e, "//", 2) == 0 && e[i] && e[i] != '/'; i++)
		e[i] = (char)((e[i] >= 'A' && e[i] <= 'Z') ? e[i] + 32 : e[i]);
	if (strcmp(e, "all") == 0)
		return true;
	if (strchr(e, '@')) { /* Role-ID */
		const char *at = strchr(e, '@');
		for (size_t i = 0; q->role_ids && i < q->nrole_ids; i++) {
			const char *r = q->role_ids[i], *rat = strchr(r, '@');
			if (rat && rat - r == at - e && strncmp(r, e, (size_t)(at - e)) == 0 &&
			    strcasecmp(rat + 1, at + 1) == 0)
				return true;
		}
		return false;
	}
	if (strncmp(e, "//", 2) == 0 && !strchr(e + 2, '/')) { /* SP domain */
		char dom[128];
		const char *slash;
		if (!q->orig_abs || strncmp(q->orig_abs, "//", 2) != 0 ||
		    !(slash = strchr(q->orig_abs + 2, '/')))
			return false;
		snprintf(dom, sizeof(dom), "%.*s", (int)(slash - q->orig_abs - 2), q->orig_abs + 2);
		return ref_wild(e + 2, dom);
	}
	{
		const char *form = strncmp(e, "//", 2) == 0 ? q->orig_abs
				   : e[0] == '/'            ? q->orig_sp
							    : q->orig_cse;
		if (form && ref_wild(e, form))
			return true;
	}
	/* not an ID of the Originator: maybe the resource ID of a <group> */
	return !strchr(e, '*') && q->is_member && q->is_member(q->member_ctx, entry, q);
}

/* One field: a comma list of "*", "n", "a-b", "a-b/s" or "*\/s" over [fmin, fmax]. */
static bool ref_cron_field(const char *field, int v, int fmin, int fmax)
{
	char tmp[300];
	char *save = NULL;

	snprintf(tmp, sizeof(tmp), "%s", field);
	for (char *el = strtok_r(tmp, ",", &save); el; el = strtok_r(NULL, ",", &save)) {
		long a, b, step = 1;
		char *slash = strchr(el, '/'), *dash;
		if (slash) {
			step = strtol(slash + 1, NULL, 10);
			*slash = '\0';
		}
		if (strcmp(el, "*") == 0) {
			a = fmin;
			b = fmax;
		} else if ((dash = strchr(el, '-'))) {
			a = strtol(el, NULL, 10);
			b = strtol(dash + 1, NULL, 10);
		} else {
			a = b = strtol(el, NULL, 10);
		}
		if (v >= a && v <= b && (v - a) % step == 0)
			return true;
	}
	return false;
}

/* rq_time in an extended-crontab entry, every field in UTC (TS-0004 clause 7.4.9.1). */
static bool ref_cron(const char *entry, int64_t t)
{
	static const int fmin[7] = {0, 0, 0, 1, 1, 0, 2000}, fmax[7] = {59, 59, 23, 31, 12, 6, 9999};
	char tmp[300], *save = NULL, *f[7];
	time_t tt = (time_t)t;
	struct tm tm;
	int vals[7], n = 0;

	if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 < 2000 || tm.tm_year + 1900 > 9999)
		return false;
	vals[0] = tm.tm_sec;
	vals[1] = tm.tm_min;
	vals[2] = tm.tm_hour;
	vals[3] = tm.tm_mday;
	vals[4] = tm.tm_mon + 1;
	vals[5] = tm.tm_wday;
	vals[6] = tm.tm_year + 1900;
	snprintf(tmp, sizeof(tmp), "%s", entry);
	for (char *x = strtok_r(tmp, " ", &save); x && n < 7; x = strtok_r(NULL, " ", &save))
		f[n++] = x;
	assert_int_equal(n, 7);
	for (int i = 0; i < 7; i++)
		if (!ref_cron_field(f[i], vals[i], fmin[i], fmax[i]))
			return false;
	return true;
}

static bool ref_prefix(const char *text, int af, const uint8_t *addr)
{
	char tmp[80];
	uint8_t net[16];
	char *slash;
	int bits = af == AF_INET ? 32 : 128;

	snprintf(tmp, sizeof(tmp), "%s", text);
	if ((slash = strchr(tmp, '/'))) {
		bits = (int)strtol(slash + 1, NULL, 10);
		*slash = '\0';
	}
	assert_int_equal(inet_pton(af, tmp, net), 1);
	for (int i = 0; i < bits; i++)
		if (((net[i / 8] >> (7 - i % 8)) & 1) != ((addr[i / 8] >> (7 - i % 8)) & 1))
			return false;
	return true;
}

static bool ref_ip(const json_t *acip, const m2m_acp_request *q)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const json_t *l4 = json_object_get(acip, "ipv4"), *l6 = json_object_get(acip, "ipv6");
	bool is4 = q->ip_family == 4 || (q->ip_family == 6 && memcmp(q->ip, mapped, 12) == 0);
	const uint8_t *a4 = q->ip_family == 4 ? q->ip : q->ip + 12;
	size_t i;
	json_t *e;

	if (is4) {
		json_array_foreach(l4, i, e) if (ref_prefix(json_string_value(e), AF_INET, a4)) return true;
	} else if (q->ip_family == 6) {
		json_array_foreach(l6, i, e) if (ref_prefix(json_string_value(e), AF_INET6, q->ip)) return true;
	}
	return false;
}

static double ref_sin(double x)
{
	double term, sum;
	const double pi = 3.14159265358979323846;

	while (x > pi)
		x -= 2 * pi;
	while (x < -pi)
		x += 2 * pi;
	term = x;
	sum = x;
	for (int n = 1; n < 30; n++) {
		term *= -x * x / ((2.0 * n) * (2.0 * n + 1));
		sum += term;
	}
	return sum;
}

static double ref_cos(double x)
{
	return ref_sin(x + 3.14159265358979323846 / 2);
}

/* Great-circle distance test via the chord between unit vectors: d <= r iff
 * (chord/2)^2 <= sin^2(r / 2R), the haversine of the angle. */
static bool ref_circle(const json_t *accr, double lat, double lon)
{
	const double deg = 3.14159265358979323846 / 180.0, R = 6371008.8;
	double la1 = json_number_value(json_array_get(accr, 0)) * deg;
	double lo1 = json_number_value(json_array_get(accr, 1)) * deg;
	double r = json_number_value(json_array_get(accr, 2));
	double la2 = lat * deg, lo2 = lon * deg, dx, dy, dz, hav, s;

	if (r / (2 * R) >= 3.14159265358979323846 / 2)
		return true;
	dx = ref_cos(la1) * ref_cos(lo1) - ref_cos(la2) * ref_cos(lo2);
	dy = ref_cos(la1) * ref_sin(lo1) - ref_cos(la2) * ref_sin(lo2);
	dz = ref_sin(la1) - ref_sin(la2);
	hav = (dx * dx + dy * dy + dz * dz) / 4;
	s = ref_sin(r / (2 * R));
	return hav <= s * s;
}

static bool ref_loc(const json_t *aclr, const m2m_acp_request *q)
{
	const json_t *cc = json_object_get(aclr, "accc"), *cr = json_object_get(aclr, "accr");
	size_t i;
	json_t *e;

	if (cc) {
		if (q->loc_kind != M2M_ACP_LOC_COUNTRY || strlen(q->country) != 2 ||
		    !((q->country[0] | 32) >= 'a' && (q->country[0] | 32) <= 'z') ||
		    !((q->country[1] | 32) >= 'a' && (q->country[1] | 32) <= 'z'))
			return false;
		json_array_foreach(cc, i, e) if (strcasecmp(json_string_value(e), q->country) == 0) return true;
		return false;
	}
	if (q->loc_kind != M2M_ACP_LOC_POINT || !(q->lat >= -90 && q->lat <= 90) ||
	    !(q->lon >= -180 && q->lon <= 180))
		return false;
	return ref_circle(cr, q->lat, q->lon);
}

static bool ref_ctxts(const json_t *acco, const m2m_acp_request *q)
{
	size_t m, i;
	json_t *c, *e;

	if (!acco || json_array_size(acco) == 0)
		return true;
	json_array_foreach(acco, m, c) {
		const json_t *tw = json_object_get(c, "actw"), *ip = json_object_get(c, "acip");
		const json_t *lr = json_object_get(c, "aclr");
		bool res_time = !tw, res_ip = !ip || ref_ip(ip, q), res_loc = !lr || ref_loc(lr, q);
		json_array_foreach(tw, i, e) res_time = res_time || ref_cron(json_string_value(e), q->time);
		if (res_time && res_ip && res_loc)
			return true;
	}
	return false;
}

static bool ref_objd(const json_t *acod, const m2m_acp_request *q)
{
	size_t m, j;
	json_t *d, *t;

	if (q->op != M2M_ACP_OP_CREATE || !acod || json_array_size(acod) == 0)
		return true;
	json_array_foreach(acod, m, d) {
		const json_t *ty = json_object_get(d, "ty"), *sp = json_object_get(d, "spty");
		bool res_ty = !ty || json_integer_value(ty) == q->target_ty, res_sp = !sp, res_ch = false;
		if (sp && q->child_spty) {
			char num[32];
			const char *want = json_is_string(sp) ? json_string_value(sp) : num;
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(sp));
			res_sp = strcmp(want, q->child_spty) == 0;
		}
		json_array_foreach(json_object_get(d, "chty"), j, t) res_ch = res_ch || json_integer_value(t) == q->child_ty;
		if (res_ty && res_sp && res_ch)
			return true;
	}
	return false;
}

static m2m_acp_decision ref_decide(json_t *const *pols, size_t n, const m2m_acp_request *q)
{
	unsigned op = q->op;

	if (op != 1 && op != 2 && op != 4 && op != 8 && op != 16 && op != 32)
		return M2M_ACP_DENY; /* indeterminate operation */
	for (size_t p = 0; p < n; p++) {
		size_t k, i;
		json_t *acr, *e;
		json_array_foreach(json_object_get(pols[p], "acr"), k, acr) {
			const json_t *acaf = json_object_get(acr, "acaf");
			bool res_authn = !(acaf && json_is_true(acaf)) || q->rq_authn;
			bool res_ops = (json_integer_value(json_object_get(acr, "acop")) & op) != 0;
			bool res_origs = false;
			if (!res_authn || !res_ops || !ref_ctxts(json_object_get(acr, "acco"), q) ||
			    !ref_objd(json_object_get(acr, "acod"), q))
				continue;
			json_array_foreach(json_object_get(acr, "acor"), i, e) {
				if (!res_origs)
					res_origs = ref_ismember_originator(json_string_value(e), q);
			}
			if (res_origs)
				return M2M_ACP_PERMIT; /* Permit-overrides */
		}
	}
	return M2M_ACP_DENY;
}

static void test_differential(void **state)
{
	struct buf pol[3];
	long pairs = 0, permits = 0, mismatches = 0;

	for (int it = 0; it < N_POLICIES; it++) {
		int nsets = rn(4);
		m2m_acp_rules *rules[3] = {NULL, NULL, NULL};
		json_t *js[3] = {NULL, NULL, NULL};
		const m2m_acp_rules *sets[3];
		char msg[256];

		for (int s = 0; s < nsets; s++) {
			gen_policy(&pol[s]);
			if (m2m_acp_rules_parse(pol[s].s, pol[s].n, &rules[s], msg, sizeof(msg)) != M2M_OK)
				fail_msg("generated policy rejected: %s\n%s", msg, pol[s].s);
			js[s] = json_loadb(pol[s].s, pol[s].n, 0, NULL);
			assert_non_null(js[s]);
			sets[s] = rules[s];
		}
		for (int k = 0; k < N_REQUESTS; k++) {
			struct genreq g;
			m2m_acp_decision fast, ref;
			gen_request(&g);
			fast = m2m_acp_decide(sets, (size_t)nsets, &g.q);
			ref = ref_decide(js, (size_t)nsets, &g.q);
			pairs++;
			permits += fast == M2M_ACP_PERMIT;
			if (fast != ref && ++mismatches <= 5) {
				print_message("MISMATCH fast=%d ref=%d abs=%s sp=%s cse=%s op=%u t=%lld "
					      "ipf=%d loc=%d cc=%s lat=%f lon=%f ty=%d chty=%d spty=%s\n",
					      fast, ref, g.q.orig_abs ? g.q.orig_abs : "-",
					      g.q.orig_sp ? g.q.orig_sp : "-",
					      g.q.orig_cse ? g.q.orig_cse : "-", g.q.op,
					      (long long)g.q.time, g.q.ip_family, g.q.loc_kind, g.q.country,
					      g.q.lat, g.q.lon, g.q.target_ty, g.q.child_ty,
					      g.q.child_spty ? g.q.child_spty : "-");
				for (int s = 0; s < nsets; s++)
					print_message("  set %d: %s\n", s, pol[s].s);
			}
		}
		for (int s = 0; s < nsets; s++) {
			m2m_acp_rules_unref(rules[s]);
			json_decref(js[s]);
		}
	}
	print_message("acp differential: %ld pairs, %ld permit, %ld deny, %ld mismatches\n", pairs,
		      permits, pairs - permits, mismatches);
	assert_true(pairs >= 100000);
	assert_int_equal(mismatches, 0);
	/* the generator must exercise both outcomes substantially */
	assert_true(permits > pairs / 20);
	assert_true(pairs - permits > pairs / 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
