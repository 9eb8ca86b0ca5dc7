/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the psk-file parser (tls/psk_file.c): the
 * operator's table of pre-provisioned Kpsa for the Provisioned Symmetric Key SAEF, TS-0003
 * clause 8.2.2.1. Invariants checked besides memory safety: a failure always has a
 * "line N: reason" message that never carries a run of 32 hex digits (key text); a success
 * gives a table whose every entry can be looked up.
 */
#include <string.h>

#include "m2msec/key.h"
#include "tls/tls_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_hex_run(const char *s, size_t run)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		bool hex = (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F');
		n = hex ? n + 1 : 0;
		if (n >= run)
			return true;
	}
	return false;
}

/* Look up the first field of every line: each must resolve or be "not found". */
static void lookups(m2mi_psk_table *t, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	char id[300];
	m2m_key *k = NULL;
	m2m_sa sa;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		size_t n = 0;

		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		while (p + n < le && p[n] != ' ' && p[n] != '\t' && n + 1 < sizeof(id))
			n++;
		memcpy(id, p, n);
		id[n] = '\0';
		if (memchr(id, '\0', n) == NULL) {
			m2m_err r = m2mi_psk_file_resolve(t, id, 0, &k, &sa);
			if (r != M2M_OK && r != M2M_E_NOT_FOUND)
				__builtin_trap();
			if (r == M2M_OK && (k == NULL || sa.kind != M2M_SA_PSK || sa.bound_id[0] == '\0'))
				__builtin_trap();
			m2m_key_free(k);
			k = NULL;
		}
		p = nl != NULL ? nl + 1 : end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[256];
	m2mi_psk_table *t = NULL;
	m2m_err r = m2mi_psk_file_parse((const char *)data, size, &t, msg, sizeof(msg));

	if (r == M2M_OK) {
		if (t == NULL)
			__builtin_trap();
		lookups(t, (const char *)data, size);
	} else if (t != NULL || strncmp(msg, "line ", 5) != 0 || has_hex_run(msg, 32)) {
		__builtin_trap();
	}
	m2mi_psk_table_free(t);
	return 0;
}
