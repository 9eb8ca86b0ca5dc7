/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal (library-only) representation of a compiled m2m:setOfAcrs
 * shared by core/acp_parse.c (builds it), core/acp.c (decides over it), core/acp_cron.c
 * (accessControlWindow, TS-0004 Table 7.4.9.1-4) and core/acp_ip.c (accessControlIpAddresses,
 * TS-0004 clause 6.3.5.27). Everything a decision needs is precomputed here so that
 * m2m_acp_decide never parses text and never allocates. Not installed; tests include it.
 */
#ifndef M2MSEC_CORE_ACP_INT_H
#define M2MSEC_CORE_ACP_INT_H

#include "m2msec/acp.h"

#define M2MI_ACP_MAGIC 0x41435052u /* "ACPR" */

/* ---- accessControlWindow (core/acp_cron.c) ---- */

/* A UTC civil time split into the seven scheduleEntry fields. */
struct m2mi_acp_tm {
	int sec, min, hour, mday, mon, wday, year;
};

#define M2MI_ACP_CRON_TEXT_MAX 256 /* bytes of one scheduleEntry */
#define M2MI_ACP_CRON_YEARS 16     /* list elements of the year field */

/* One compiled scheduleEntry: a bitset per field (bit v set = value v matches) and, for the
 * year field, a list of lo-hi/step ranges (nyear 0 = any year). */
struct m2mi_acp_cron {
	uint64_t sec, min;
	uint32_t hour, mday;
	uint16_t mon;
	uint8_t wday;
	uint8_t nyear;
	struct {
		uint16_t lo, hi, step;
	} year[M2MI_ACP_CRON_YEARS];
};

/* Compile s[0..len). On error returns M2M_E_ACP_CRON and a message in msg (no path prefix). */
m2m_err m2mi_acp_cron_parse(const char *s, size_t len, struct m2mi_acp_cron *out, char *msg,
			    size_t msgcap);
/* Split UTC seconds; false when the year is outside 2000..9999 (no window can match). */
bool m2mi_acp_cron_split(int64_t t, struct m2mi_acp_tm *tm);
/* true iff every field of c matches tm (day-of-month AND day-of-week, see docs/acp.md). */
bool m2mi_acp_cron_match(const struct m2mi_acp_cron *c, const struct m2mi_acp_tm *tm);

/* ---- accessControlIpAddresses (core/acp_ip.c) ---- */

struct m2mi_acp_net4 {
	uint32_t addr, mask; /* host order, addr already masked */
};
struct m2mi_acp_net6 {
	uint64_t hi, lo, mhi, mlo; /* host order halves, addr already masked */
};

/* Parse "a.b.c.d[/n]" (n 0..32) / an RFC 4291 text address "[/n]" (n 0..128). Host bits
 * beyond the prefix are cleared. M2M_E_ACP_IP with a message on error. */
m2m_err m2mi_acp_ip_parse4(const char *s, size_t len, struct m2mi_acp_net4 *out, char *msg,
			   size_t msgcap);
m2m_err m2mi_acp_ip_parse6(const char *s, size_t len, struct m2mi_acp_net6 *out, char *msg,
			   size_t msgcap);

static inline bool m2mi_acp_ip_match4(const struct m2mi_acp_net4 *n, uint32_t a)
{
	return (a & n->mask) == n->addr;
}

static inline bool m2mi_acp_ip_match6(const struct m2mi_acp_net6 *n, uint64_t hi, uint64_t lo)
{
	return (hi & n->mhi) == n->hi && (lo & n->mlo) == n->lo;
}

/* ---- compiled rules (built by core/acp_parse.c, evaluated by core/acp.c) ---- */

enum m2mi_acp_orig_cls {
	M2MI_ACP_ORIG_ALL = 1, /* "all" */
	M2MI_ACP_ORIG_DOMAIN,  /* "//fqdn": SP domain, pattern is s+2 (one segment) */
	M2MI_ACP_ORIG_ABS,     /* "//fqdn/...": vs. the absolute form (also a group candidate) */
	M2MI_ACP_ORIG_SP,      /* "/...": vs. the SP-relative form (also a group candidate) */
	M2MI_ACP_ORIG_REL,     /* anything else: vs. the CSE-relative form (also a group candidate) */
	M2MI_ACP_ORIG_ROLE,    /* "rel@fqdn": vs. the request's Role-IDs */
};

struct m2mi_acp_orig {
	const char *s;       /* NUL-terminated entry, verbatim */
	uint32_t len;
	uint8_t cls;         /* enum m2mi_acp_orig_cls */
	bool star;           /* contains '*': glob per '/'-segment, never a group */
	uint16_t nseg;       /* star: number of '/'-separated segments of s */
	const uint16_t *seg; /* star: nseg+1 offsets, segment i is s[seg[i] .. seg[i+1]-1) */
	uint32_t at;         /* ROLE: offset of the '@' */
};

/* Classify and validate one acor entry s[0..len) (1..M2M_ACP_STR_MAX bytes, no blanks): sets
 * every field but s and seg. M2M_E_ACP_ORIG with a message for a malformed Role-ID or an ID
 * with an empty '/'-segment (core/acp.c). */
m2m_err m2mi_acp_orig_classify(const char *s, size_t n, struct m2mi_acp_orig *o, char *msg,
			       size_t msgcap);

enum m2mi_acp_lr { M2MI_ACP_LR_NONE = 0, M2MI_ACP_LR_COUNTRY, M2MI_ACP_LR_CIRCLE };

struct m2mi_acp_ctx {
	bool has_tw, has_ip;
	uint8_t lr;                       /* enum m2mi_acp_lr */
	uint32_t ntw, nv4, nv6, ncc;
	const struct m2mi_acp_cron *tw;
	const struct m2mi_acp_net4 *v4;
	const struct m2mi_acp_net6 *v6;
	const uint16_t *cc;               /* upper-case letters packed as (c0 << 8) | c1 */
	double c_lat, c_lon, c_coslat;    /* circle centre (radians) and cos(latitude) */
	double c_thr;                     /* haversine threshold sin^2(r / 2R); > 1 = everything */
};

struct m2mi_acp_objd {
	int32_t ty;          /* -1 when absent */
	const char *spty;    /* NULL when absent */
	uint32_t nchty;
	const uint16_t *chty;
};

struct m2mi_acp_rule {
	uint8_t acop;
	bool acaf;
	bool all;       /* acor contains "all" */
	bool has_group; /* some entry may be a group resource ID */
	uint32_t norig, nctx, nobjd;
	const struct m2mi_acp_orig *orig;
	const struct m2mi_acp_ctx *ctx; /* nctx 0: res_ctxts TRUE */
	const struct m2mi_acp_objd *objd; /* nobjd 0: res_objd TRUE */
};

struct m2m_acp_rules {
	uint32_t magic;
	size_t refs;
	size_t nrules;
	const struct m2mi_acp_rule *rules;
	void *arena; /* every block above lives here (core/acp_parse.c) */
};

/* Compile an accr circle (degrees, metres; ranges already checked) into c (core/acp.c). */
void m2mi_acp_circle_init(struct m2mi_acp_ctx *c, double lat, double lon, double radius);
/* At most 32 printable bytes of s, "..." if cut, for messages that never echo raw input. */
void m2mi_acp_quote(const char *s, size_t n, char out[36]);

/* Free a rule set whose last reference was dropped (core/acp_parse.c owns the arena). */
void m2mi_acp_rules_destroy(m2m_acp_rules *rules);

/* Mean Earth radius (IUGG) in metres, for accr circles. */
#define M2MI_ACP_EARTH_R 6371008.8
#define M2MI_ACP_PI 3.14159265358979323846
#define M2MI_ACP_DEG (M2MI_ACP_PI / 180.0)

/* ASCII letter tests that do not depend on the C locale. */
#define M2MI_ACP_ALPHA(c) (((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z'))
#define M2MI_ACP_UPPER(c) ((c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 'A' : (c))

/* libm-free sine/cosine accurate to ~1e-15 for |x| <= 2*pi (core/acp.c). */
double m2mi_acp_sin(double x);
double m2mi_acp_cos(double x);

#endif
