/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the one '*' wildcard match of the code base (core/wildcard.h): labels in
 * filter criteria (TS-0004 clause 7.3.3.17.9) and the originator / resource patterns of the DAS
 * policy (docs/procedures/das.md). Iterative with one backtrack point: no recursion on hostile
 * input.
 */
#include <stddef.h>

#include "core/wildcard.h"

/* '*' matches any run of characters (TS-0004 clause 7.3.3.17.9); iterative, O(len(p) * len(s)). */
bool m2mi_wildcard_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}
