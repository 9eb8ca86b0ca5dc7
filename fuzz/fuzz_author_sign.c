/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the AuthorSign parser of the relationship
 * mapping (services/cse/access_relmap.c; TS-0003 clause 7.3.2.7, TS-0004 Table 6.4.1-1 aus): the
 * X-M2M-AS list an Originator sends, untrusted base64url around a DER certificate and an ES256
 * signature. Invariants besides memory safety: the result is one of the documented codes, and a
 * list that verifies has an entry that verifies on its own with the same key digest.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "services/cse/relmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOKEN "fuzz.token.x"
#define ORIG "//sp.example.com/id-in/Cae1"
#define AUD "//sp.example.com/id-in"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t dig[32], k[32], k2[32];
	char *s;
	m2m_err r;

	if (size > 3 * M2MI_AUS_ENTRY_MAX || memchr(data, '\0', size) != NULL)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	SHA256((const uint8_t *)TOKEN, strlen(TOKEN), dig);
	r = m2mi_author_signs_find(s, dig, ORIG, AUD, NULL, k);
	if (r != M2M_OK && r != M2M_E_TOKEN_FORMAT && r != M2M_E_TOKEN_SIGNATURE && r != M2M_E_NOMEM)
		abort();
	if (r == M2M_OK) {
		const char *p = s;
		bool found = false;
		for (;;) { /* the entry that verified, alone */
			size_t n = strcspn(p, "+");
			if (m2mi_author_sign_check(p, n, dig, ORIG, AUD, k2) == M2M_OK && memcmp(k, k2, 32) == 0)
				found = true;
			if (p[n] == '\0')
				break;
			p += n + 1;
		}
		/* the same list for another originator never verifies with that entry */
		if (!found || m2mi_author_signs_find(s, dig, AUD "/Cae2", AUD, k, k2) == M2M_OK)
			abort();
	}
	free(s);
	return 0;
}
