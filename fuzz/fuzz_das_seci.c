/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the dynamic authorization consultation codec
 * (services/das/das_seci.c; TS-0004 Tables 6.3.5.46-1 dreq, 6.3.5.47-1 dres, 6.3.5.48-1 seci):
 * the DAS parses a CSE's request, the CSE parses a DAS's answer, both untrusted JSON. The first
 * byte picks the direction (even = dreq, odd = dres). Invariants besides memory safety: a parsed
 * message re-encodes, and the re-encoding parses again to the same members (a round trip).
 */
#include <stdlib.h>
#include <string.h>

#include "m2msec/das.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1800000000

static void dreq_round(const json_t *v)
{
	m2m_das_dreq q, q2;
	json_t *out = NULL;

	if (m2m_das_dreq_parse(v, NOW, &q) != M2M_OK)
		return;
	if (q.originator == NULL || q.trid == NULL || q.op < 1 || q.op > 6)
		abort();
	if (m2m_das_dreq_to_json(&q, &out) != M2M_OK || m2m_das_dreq_parse(out, NOW, &q2) != M2M_OK)
		abort();
	if (strcmp(q.originator, q2.originator) != 0 || strcmp(q.trid, q2.trid) != 0 || q.op != q2.op ||
	    q.ppl != q2.ppl || q.norid != q2.norid || q.ntids != q2.ntids || q.nrfa != q2.nrfa || q.asi != q2.asi)
		abort();
	m2m_das_dreq_clear(&q2);
	m2m_das_dreq_clear(&q);
	json_decref(out);
}

static void dres_round(const json_t *v)
{
	m2m_das_dres a, b;
	json_t *out = NULL;

	if (m2m_das_dres_parse(v, NOW, &a) != M2M_OK)
		return;
	if (m2m_das_dres_to_json(&a, &out) != M2M_OK || m2m_das_dres_parse(out, NOW, &b) != M2M_OK)
		abort();
	if (a.has_dai != b.has_dai || a.ntkns != b.ntkns || (a.gp != NULL) != (b.gp != NULL) ||
	    (a.gp != NULL && !json_equal(a.gp, b.gp)) || (a.pl > 0 && a.pl != b.pl))
		abort();
	for (size_t i = 0; i < a.ntkns; i++)
		if (strcmp(a.tkns[i], b.tkns[i]) != 0)
			abort();
	m2m_das_dres_clear(&b);
	m2m_das_dres_clear(&a);
	json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t e;
	json_t *v;

	if (size < 1 || size > 65536)
		return 0;
	v = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &e);
	if (v == NULL)
		return 0;
	if ((data[0] & 1) == 0)
		dreq_round(v);
	else
		dres_round(v);
	json_decref(v);
	return 0;
}
