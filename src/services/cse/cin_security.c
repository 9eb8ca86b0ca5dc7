/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the check of a <contentInstance>'s content against the
 * m2m:contentSecurity component of its contentInfo (TS-0004 Table 6.3.3-1 m2m:contentInfo,
 * Table 6.3.4.2.38-1): the Hosting CSE stores ESData-protected content opaquely and never holds
 * its key (TS-0003 clause 8.6.3), but refuses with BAD_REQUEST (4000, TS-0004 clause 7.3.3.3:
 * an attribute value "not accepted for any other reason") a content that is not the
 * serialisation the flag claims, so a Target is never handed data labelled protected that is not:
 *   0 / absent  nothing to check;
 *   1           a string that is a JWE or JWS Compact Serialization (m2m_esdata_shape);
 *   2           the JSON Serialization, as a JSON object or as a string holding one;
 *   3           a string of base64 (RFC 4648 clause 4, canonical) whose decoding is the JSON
 *               Serialization;
 *   4, 5        XML Encryption / XML Signature (not implemented by m2msec): a string that starts
 *               with '<', for 5 after base64 decoding; the CSE keeps it opaque.
 * The refusal text names the rule, never the content.
 */
#include <stdlib.h>
#include <string.h>

#include "core/b64_int.h"
#include "m2msec/esdata.h"
#include "services/cse/cse_int.h"

/* The contentSecurity of a syntactically valid cnf (m2mi_cnf_ok): 0 when absent. */
static int content_security(const char *cnf)
{
	const char *p = cnf != NULL ? strrchr(cnf, ':') : NULL;

	if (p == NULL || p == cnf || strchr(cnf, ':') == p)
		return 0; /* only "type/subtype:enc": no contentSecurity */
	return p[1] - '0';
}

/* The canonical base64 decoding of a string (heap, NUL-terminated), or NULL. */
static char *b64_text(json_t *con, size_t *len)
{
	size_t n = json_string_length(con), cap = n / 4 * 3 + 1;
	char *out;

	if (n == 0 || (out = malloc(cap)) == NULL)
		return NULL;
	if (m2mi_b64_decode(json_string_value(con), n, (uint8_t *)out, cap - 1, len) != M2M_OK) {
		free(out);
		return NULL;
	}
	out[*len] = '\0';
	return out;
}

static bool xml_start(const char *s)
{
	s += strspn(s, " \t\r\n");
	return s[0] == '<';
}

int m2mi_cin_security(m2mi_ctx *c, json_t *attr)
{
	json_t *con = json_object_get(attr, "con");
	int cs = content_security(json_string_value(json_object_get(attr, "cnf")));
	char *text = NULL;
	size_t len = 0;
	bool ok = false;

	if (cs == 0)
		return 0;
	if (cs == 2 && json_is_object(con)) {
		text = json_dumps(con, JSON_COMPACT);
		ok = text != NULL && m2m_esdata_shape(text, strlen(text), M2M_ESD_JSON) == M2M_OK;
	} else if (!json_is_string(con)) {
		ok = false;
	} else if (cs == 1 || cs == 2) {
		ok = m2m_esdata_shape(json_string_value(con), json_string_length(con),
				      cs == 1 ? M2M_ESD_COMPACT : M2M_ESD_JSON) == M2M_OK;
	} else if (cs == 3) {
		ok = (text = b64_text(con, &len)) != NULL && m2m_esdata_shape(text, len, M2M_ESD_JSON) == M2M_OK;
	} else if (cs == 4) {
		ok = xml_start(json_string_value(con));
	} else if (cs == 5) {
		ok = (text = b64_text(con, &len)) != NULL && strlen(text) == len && xml_start(text);
	}
	free(text);
	if (ok)
		return 0;
	return m2mi_fail(c, M2M_RSC_BAD_REQUEST,
			 "content is not the ESData serialisation contentInfo claims (contentSecurity %d, "
			 "TS-0004 Table 6.3.4.2.38-1)",
			 cs);
}
