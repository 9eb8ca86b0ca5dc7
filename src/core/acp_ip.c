/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements accessControlIpAddresses (acip) of an access-control context, TS-0003
 * clause 7.1.3 / 7.1.5 res_ip: compiling m2m:ipv4 ("10.125.0.0/16", RFC 4632) and m2m:ipv6
 * ("fadf:ddd0::/32", RFC 4291/5952) list entries (TS-0004 clause 6.3.5.27, Table 6.3.2-1) into
 * address/mask pairs. Matching is two AND-compares (inline in core/acp_int.h).
 *
 * Accepted: a dotted-quad without leading zeros (inet_pton), or any RFC 4291 text form of an
 * IPv6 address (no zone "%..."), each optionally followed by "/" and a decimal prefix length
 * without sign or leading zero (0..32 / 0..128). Host bits below the prefix are cleared (the
 * network is unambiguous). No prefix means a single host (/32, /128). Pure: no I/O.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/acp_int.h"

#define IP_TEXT_MAX 64

/* Split s[0..len) into a NUL-terminated address in buf and a prefix length (default max). */
static m2m_err ip_split(const char *s, size_t len, unsigned max, char *buf, unsigned *plen,
			char *msg, size_t msgcap)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;

	if (len == 0 || memchr(s, '\0', len) || alen >= IP_TEXT_MAX || alen == 0) {
		snprintf(msg, msgcap, "'%.*s' is not an IPv%c address", (int)(len > 32 ? 32 : len), s,
			 max == 32 ? '4' : '6');
		return M2M_E_ACP_IP;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	*plen = max;
	if (slash) {
		const char *p = slash + 1, *end = s + len;
		unsigned v = 0;
		size_t nd = (size_t)(end - p);

		if (nd == 0 || nd > 3 || (nd > 1 && *p == '0'))
			goto bad_prefix;
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				goto bad_prefix;
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (v > max)
			goto bad_prefix;
		*plen = v;
	}
	return M2M_OK;
bad_prefix:
	snprintf(msg, msgcap, "'%.*s': prefix length must be a decimal 0..%u",
		 (int)(len > 32 ? 32 : len), s, max);
	return M2M_E_ACP_IP;
}

m2m_err m2mi_acp_ip_parse4(const char *s, size_t len, struct m2mi_acp_net4 *out, char *msg,
			   size_t msgcap)
{
	char buf[IP_TEXT_MAX];
	unsigned plen;
	uint8_t a[4];
	m2m_err r = ip_split(s, len, 32, buf, &plen, msg, msgcap);

	if (r != M2M_OK)
		return r;
	if (inet_pton(AF_INET, buf, a) != 1) {
		snprintf(msg, msgcap, "'%.*s' is not a dotted-decimal IPv4 address",
			 (int)(len > 32 ? 32 : len), s);
		return M2M_E_ACP_IP;
	}
	out->mask = plen == 0 ? 0 : UINT32_MAX << (32 - plen);
	out->addr = ((uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3]) &
		    out->mask;
	return M2M_OK;
}

static uint64_t be64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static uint64_t mask64(unsigned bits)
{
	return bits == 0 ? 0 : bits >= 64 ? UINT64_MAX : UINT64_MAX << (64 - bits);
}

m2m_err m2mi_acp_ip_parse6(const char *s, size_t len, struct m2mi_acp_net6 *out, char *msg,
			   size_t msgcap)
{
	char buf[IP_TEXT_MAX];
	unsigned plen;
	uint8_t a[16];
	m2m_err r = ip_split(s, len, 128, buf, &plen, msg, msgcap);

	if (r != M2M_OK)
		return r;
	if (inet_pton(AF_INET6, buf, a) != 1) {
		snprintf(msg, msgcap, "'%.*s' is not an IPv6 address", (int)(len > 32 ? 32 : len), s);
		return M2M_E_ACP_IP;
	}
	out->mhi = mask64(plen);
	out->mlo = mask64(plen > 64 ? plen - 64 : 0);
	out->hi = be64(a) & out->mhi;
	out->lo = be64(a + 8) & out->mlo;
	return M2M_OK;
}
