/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the notification destination policy (core/addr_policy.c):
 * which resolved IP addresses the CSE may send a NOTIFY to (TS-0004 clause 7.5.1.2.2 targets,
 * docs/config.md notify-allow / notify-deny). Pure: the caller resolves names and hands over the
 * address it will connect to.
 */
#ifndef M2MSEC_CORE_ADDR_POLICY_H
#define M2MSEC_CORE_ADDR_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"

#define M2MI_ADDR_RULES_MAX 80 /* built-in plus configured ranges */

typedef struct m2mi_addr_rule {
	uint8_t net[16]; /* network order, host bits cleared; v4 in net[0..3] */
	uint8_t plen;    /* prefix length */
	bool v6, allow, builtin;
} m2mi_addr_rule;

typedef struct m2mi_addr_policy {
	size_t n;
	m2mi_addr_rule r[M2MI_ADDR_RULES_MAX];
} m2mi_addr_policy;

/* Build the policy: the built-in deny ranges (loopback, link-local, unspecified, multicast,
 * reserved) plus allow and deny, each a comma-separated list of CIDRs ("" = none). On a
 * malformed entry M2M_E_CONFIG with the reason in msg. */
m2m_err m2mi_addr_policy_init(m2mi_addr_policy *p, const char *allow, const char *deny, char *msg, size_t cap);
/* The decision for one address (family 4: ip[0..3], 6: ip[0..15], network order): the longest
 * matching range decides, a configured range beats a built-in one of the same length, deny wins
 * the remaining ties, no match allows. An IPv4-mapped IPv6 address is
 * decided as its IPv4 address. Unknown family: deny. */
bool m2mi_addr_policy_allows(const m2mi_addr_policy *p, int family, const uint8_t *ip);

#endif
