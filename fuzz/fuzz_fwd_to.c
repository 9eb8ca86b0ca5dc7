/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness for the transit decision on a request's To
 * (services/cse/forward.c m2mi_fwd_classify; TS-0004 clause 7.3.2.8): arbitrary bytes as To
 * against a fixed SP and CSE-ID. Invariants: the answer is one of the three classes; a CSE
 * target is a non-empty "/segment" that is a prefix of To (or of its SP-relative part), fits
 * the buffer, and is never this CSE's own CSE-ID; a CSE-relative To is always hosted here.
 */
#include <stdlib.h>
#include <string.h>

#include "services/cse/cse_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sp[] = "//sp.example.com", cse[] = "/id-in";
	char *to = malloc(size + 1), id[64];
	const char *rel;
	int k;

	if (to == NULL)
		return 0;
	memcpy(to, data, size);
	to[size] = '\0';
	memset(id, 0x55, sizeof(id));
	k = m2mi_fwd_classify(sp, cse, to, id, sizeof(id));
	if (k != M2MI_FWD_HERE && k != M2MI_FWD_CSE && k != M2MI_FWD_SP)
		__builtin_trap();
	if (to[0] != '/' && k != M2MI_FWD_HERE)
		__builtin_trap();
	if (k == M2MI_FWD_CSE) {
		rel = strncmp(to, "//", 2) == 0 ? to + strlen(sp) : to;
		if (memchr(id, '\0', sizeof(id)) == NULL || id[0] != '/' || strlen(id) < 2 ||
		    strchr(id + 1, '/') != NULL || strncmp(rel, id, strlen(id)) != 0 || strcmp(id, cse) == 0)
			__builtin_trap();
	}
	free(to);
	return 0;
}
