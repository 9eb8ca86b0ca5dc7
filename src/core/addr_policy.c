/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the notification destination policy (docs/config.md notify-allow,
 * notify-deny): the decision whether the CSE may connect to one resolved address to deliver a
 * oneM2M NOTIFY (TS-0004 clause 7.5.1.2.2) or a subscription verification request (clause
 * 7.5.1.2.3). Without it a subscriber could make the CSE probe and post to services that only
 * trust this host (loopback, link-local metadata endpoints): a server-side request forgery.
 *
 * Model: a set of CIDR ranges, each allow or deny; the longest matching prefix decides (at equal
 * length a configured range beats a built-in one, then deny beats allow), an address matched by nothing is allowed. Built in (deny): 0.0.0.0/8 (this
 * network), 127.0.0.0/8 (loopback), 169.254.0.0/16 (link-local), 224.0.0.0/4 (multicast),
 * 240.0.0.0/4 (reserved, broadcast), ::/96 (unspecified, loopback, IPv4-compatible),
 * fe80::/10 (link-local), fec0::/10 (site-local), ff00::/8 (multicast). An operator lifts one
 * with a more specific allow ("127.0.0.1/32"), and denies more with notify-deny ("10.0.0.0/8";
 * "0.0.0.0/0, ::/0" plus allows gives an allow-list). IPv4-mapped IPv6 addresses are decided as
 * the IPv4 address they carry. The CIDR text is parsed by the ACP parser (core/acp_ip.c).
 * Pure: no I/O.
 */
#include <stdio.h>
#include <string.h>

#include "core/acp_int.h"
#include "core/addr_policy.h"

static const char *const builtin_deny[] = {
	"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
	"::/96", "fe80::/10", "fec0::/10", "ff00::/8",
};

static unsigned popcount64(uint64_t v)
{
	unsigned n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}

static void put64(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static m2m_err add_rule(m2mi_addr_policy *p, const char *s, size_t len, bool allow, char *msg, size_t cap)
{
	m2mi_addr_rule *r;
	char why[128];

	if (p->n >= M2MI_ADDR_RULES_MAX) {
		snprintf(msg, cap, "too many address ranges");
		return M2M_E_CONFIG;
	}
	r = &p->r[p->n];
	memset(r, 0, sizeof(*r));
	r->allow = allow;
	if (memchr(s, ':', len) != NULL) {
		struct m2mi_acp_net6 n6;
		if (m2mi_acp_ip_parse6(s, len, &n6, why, sizeof(why)) != M2M_OK) {
			snprintf(msg, cap, "%s", why);
			return M2M_E_CONFIG;
		}
		r->v6 = true;
		put64(r->net, n6.hi);
		put64(r->net + 8, n6.lo);
		r->plen = (uint8_t)(popcount64(n6.mhi) + popcount64(n6.mlo));
	} else {
		struct m2mi_acp_net4 n4;
		if (m2mi_acp_ip_parse4(s, len, &n4, why, sizeof(why)) != M2M_OK) {
			snprintf(msg, cap, "%s", why);
			return M2M_E_CONFIG;
		}
		r->net[0] = (uint8_t)(n4.addr >> 24);
		r->net[1] = (uint8_t)(n4.addr >> 16);
		r->net[2] = (uint8_t)(n4.addr >> 8);
		r->net[3] = (uint8_t)n4.addr;
		r->plen = (uint8_t)popcount64(n4.mask);
	}
	p->n++;
	return M2M_OK;
}

/* Every comma-separated entry of list (spaces around entries ignored; empty entries refused). */
static m2m_err add_list(m2mi_addr_policy *p, const char *list, bool allow, char *msg, size_t cap)
{
	const char *s = list;

	if (list == NULL || list[strspn(list, " \t")] == '\0')
		return M2M_OK;
	for (;;) {
		const char *end = strchr(s, ','), *a, *b;
		m2m_err e;

		if (end == NULL)
			end = s + strlen(s);
		for (a = s; a < end && (*a == ' ' || *a == '\t'); a++)
			;
		for (b = end; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--)
			;
		if (a == b) {
			snprintf(msg, cap, "empty entry in the address list");
			return M2M_E_CONFIG;
		}
		if ((e = add_rule(p, a, (size_t)(b - a), allow, msg, cap)) != M2M_OK)
			return e;
		if (*end == '\0')
			return M2M_OK;
		s = end + 1;
	}
}

m2m_err m2mi_addr_policy_init(m2mi_addr_policy *p, const char *allow, const char *deny, char *msg, size_t cap)
{
	m2m_err e;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < sizeof(builtin_deny) / sizeof(builtin_deny[0]); i++) {
		if ((e = add_rule(p, builtin_deny[i], strlen(builtin_deny[i]), false, msg, cap)) != M2M_OK)
			return e;
		p->r[p->n - 1].builtin = true;
	}
	if ((e = add_list(p, allow, true, msg, cap)) != M2M_OK || (e = add_list(p, deny, false, msg, cap)) != M2M_OK)
		return e;
	return M2M_OK;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *net, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(a, net, full) != 0) /* public: addresses */
		return false;
	return rest == 0 || ((a[full] ^ net[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool m2mi_addr_policy_allows(const m2mi_addr_policy *p, int family, const uint8_t *ip)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	bool v6, allow = true;
	int best = -1, rank;

	if (p == NULL || ip == NULL || (family != 4 && family != 6))
		return false;
	v6 = family == 6;
	if (v6 && memcmp(ip, mapped, sizeof(mapped)) == 0) { /* public: addresses */
		ip += 12;
		v6 = false;
	}
	for (size_t i = 0; i < p->n; i++) {
		const m2mi_addr_rule *r = &p->r[i];
		if (r->v6 != v6 || !prefix_eq(ip, r->net, r->plen))
			continue;
		rank = r->plen * 4 + (r->builtin ? 0 : 2) + (r->allow ? 0 : 1);
		if (rank > best) {
			best = rank;
			allow = r->allow;
		}
	}
	return allow;
}
