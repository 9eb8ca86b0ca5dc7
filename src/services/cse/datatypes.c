/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the checks of oneM2M simple data types that the generic attribute
 * validation (resource.c, vt_ok) cannot express as a JSON type, TS-0004 Table 6.3.3-1:
 *  - m2m:serializations (contentSerialization, csz): a list of at least one of "xml", "json",
 *    "cbor";
 *  - m2m:contentInfo (contentInfo, cnf): "<type>/<subtype>:<encodingType>[:<contentSecurity>]"
 *    with the media type's names per RFC 6838 clause 4.2 (restricted-name), encodingType 0..2
 *    (TS-0004 Table 6.3.4.2.28-1) and contentSecurity 0..5 (Table 6.3.4.2.38-1).
 * A value that does not conform is BAD_REQUEST in the CREATE or UPDATE that carries it.
 */
#include <string.h>

#include "services/cse/cse_int.h"

bool m2mi_csz_ok(json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);
		if (s == NULL || (strcmp(s, "xml") != 0 && strcmp(s, "json") != 0 && strcmp(s, "cbor") != 0))
			return false;
	}
	return true;
}

/* RFC 6838 restricted-name: 1..127 characters, the first a letter or digit; *len on success. */
static bool restricted_name(const char *s, size_t *len)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		char ch = s[n];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
		if (!alnum && (n == 0 || strchr("!#$&-^_.+", ch) == NULL))
			break;
	}
	*len = n;
	return n >= 1 && n <= 127;
}

bool m2mi_cnf_ok(const char *s)
{
	size_t n;

	if (s == NULL || !restricted_name(s, &n) || s[n] != '/')
		return false;
	s += n + 1;
	if (!restricted_name(s, &n) || s[n] != ':')
		return false;
	s += n + 1;
	if (s[0] < '0' || s[0] > '2') /* encodingType */
		return false;
	if (s[1] == '\0')
		return true;
	return s[1] == ':' && s[2] >= '0' && s[2] <= '5' && s[3] == '\0'; /* contentSecurity */
}
