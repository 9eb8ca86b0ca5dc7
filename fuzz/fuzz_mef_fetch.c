/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the fetchCredentials target parser
 * (core/mef_codec.c, RETRIEVE /fetchCredentials/<KeID>/<SUID> of TS-0003 clause 8.3.2.1) and of
 * the m2m:timestamp parser. Invariants besides memory safety: an accepted path gives a KeID
 * that parses again as a KeID and a valid m2m:suid; an accepted timestamp formats back to the
 * same text.
 */
#include <stdlib.h>
#include <string.h>

#include "core/mef_codec.h"
#include "m2msec/id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), keid[300], back[16];
	m2m_id *id = NULL;
	int64_t t;
	int suid;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (m2mi_mef_parse_fetch_path(s, keid, sizeof(keid), &suid) == M2M_OK) {
		if (!m2m_suid_valid(suid) || m2m_id_parse(keid, strlen(keid), M2M_ID_KEID, &id) != M2M_OK)
			abort();
		m2m_id_free(id);
	}
	if (m2mi_mef_ts_parse(s, &t) == M2M_OK &&
	    (m2mi_mef_ts_format(t, back, sizeof(back)) != M2M_OK || strcmp(back, s) != 0))
		abort();
	free(s);
	return 0;
}
