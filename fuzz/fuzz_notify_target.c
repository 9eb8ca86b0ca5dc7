/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness for notification targets (TS-0004 clause
 * 7.4.8.2.1, docs/config.md notify-allow): arbitrary bytes are parsed as a subscriber's
 * notificationURI (m2mi_url_parse: the host, port and path must stay inside their buffers and
 * never contain a byte that could end the request head) and as a notify-allow/notify-deny list
 * (m2mi_addr_policy_init); the built policy is asked about the bytes as an address.
 */
#include <stdlib.h>
#include <string.h>

#include "core/addr_policy.h"
#include "services/cse/cse_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_ctl(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		__builtin_trap(); /* not terminated */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	m2mi_url u;
	m2mi_addr_policy p;
	char msg[160];
	uint8_t ip[16] = {0};

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (m2mi_url_parse(s, &u) == M2M_OK) {
		no_ctl(u.host, sizeof(u.host));
		no_ctl(u.port, sizeof(u.port));
		no_ctl(u.path, sizeof(u.path));
		if (u.host[0] == '\0' || u.path[0] != '/' || strtol(u.port, NULL, 10) < 1)
			__builtin_trap();
	}
	msg[0] = '\0';
	if (m2mi_addr_policy_init(&p, s, "", msg, sizeof(msg)) == M2M_OK) {
		memcpy(ip, data, size < 16 ? size : 16);
		(void)m2mi_addr_policy_allows(&p, 4, ip);
		(void)m2mi_addr_policy_allows(&p, 6, ip);
		/* the built-in denies hold whatever was configured unless named exactly or narrower */
		ip[0] = 169;
		ip[1] = 254;
		if (m2mi_addr_policy_allows(&p, 4, ip) && strchr(s, '1') == NULL)
			__builtin_trap();
	} else if (memchr(msg, '\0', sizeof(msg)) == NULL || msg[0] == '\0') {
		__builtin_trap();
	}
	free(s);
	return 0;
}
