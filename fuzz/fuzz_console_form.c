/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the MEF console's form and query decoder
 * (services/mef/console_html.c, docs/procedures/console.md): arbitrary bytes are a POST body or
 * a query string; every field the console reads is decoded, and what is accepted is rendered
 * through the HTML and URL escapers, which must leave no markup character behind.
 */
#include <stdlib.h>
#include <string.h>

#include "services/mef/console_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"id", "csrf", "kpm", "q", "page"};
	char out[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		m2m_err e = m2mi_form_get((const char *)data, size, names[i], out, sizeof(out));
		m2mi_html h = {0}, u = {0};

		if (memchr(out, '\0', sizeof(out)) == NULL)
			__builtin_trap(); /* always terminated */
		if (e != M2M_OK) {
			if (out[0] != '\0')
				__builtin_trap(); /* nothing half-decoded is left */
			continue;
		}
		for (const char *p = out; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				__builtin_trap(); /* no control character gets through */
		m2mi_html_esc(&h, out);
		m2mi_html_url(&u, out);
		if (!h.oom && h.p != NULL && strpbrk(h.p, "<>\"'") != NULL)
			__builtin_trap();
		if (!u.oom && u.p != NULL && strpbrk(u.p, "<>\"'&=?#/ ") != NULL)
			__builtin_trap();
		m2mi_html_free(&h);
		m2mi_html_free(&u);
	}
	return 0;
}
