/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the topic form of an entity identifier of the MQTT binding (TS-0010
 * clause 6.4.2; include/m2msec/mqtt.h): the leading '/' of an SP-relative ID is omitted, "//" of
 * an absolute ID becomes ':', every other '/' becomes ':'. A pure identifier transform, here in
 * the core because the configuration check (cse-id must have a topic form) needs it as much as
 * the MQTT binding and the ACL writer do.
 */
#include <string.h>

#include "m2msec/mqtt.h"

/* No control character (C0 or DEL): a topic level is UTF-8 text (TS-0010 clause 6.4). */
static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

m2m_err m2m_mqtt_id_encode(const char *id, char out[M2M_MQTT_SEG_MAX + 1])
{
	size_t j = 0, n;

	if (id == NULL || out == NULL)
		return M2M_E_INVAL;
	out[0] = '\0';
	n = strlen(id);
	if (!printable(id, n) || strpbrk(id, ":+#") != NULL)
		return M2M_E_ID_BAD_CHAR;
	if (id[0] == '/' && id[1] == '/') { /* absolute: "//" becomes ':' (Mcc', clause 6.4.2) */
		out[j++] = ':';
		id += 2;
	} else {
		while (*id == '/')
			id++;
	}
	if (*id == '\0')
		return M2M_E_ID_EMPTY;
	for (; *id; id++) {
		if (j == M2M_MQTT_SEG_MAX) {
			out[0] = '\0';
			return M2M_E_ID_TOO_LONG;
		}
		out[j++] = *id == '/' ? ':' : *id;
	}
	out[j] = '\0';
	return M2M_OK;
}
