/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the one row helper of the resource-store unit tests (test_resstore.c runs
 * against both backends, test_resstore_sqlite.c the SQLite-only cases): a minimal m2m_res inserted
 * with path parent/rn.
 */
#ifndef M2M_TEST_RESSTORE_FIXTURE_H
#define M2M_TEST_RESSTORE_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include "m2msec/resstore.h"

/* Insert a row with path parent/rn (parent NULL: a root). */
static inline m2m_err put(m2m_resstore *s, const char *ri, const char *pi, const char *ppath, const char *rn, int ty,
		   int64_t size)
{
	char path[256];
	m2m_res r = {0};

	if (ppath)
		snprintf(path, sizeof(path), "%s/%s", ppath, rn);
	else
		snprintf(path, sizeof(path), "%s", rn);
	r.ri = (char *)ri;
	r.pi = (char *)pi;
	r.rn = (char *)rn;
	r.path = path;
	r.ty = ty;
	r.body = (char *)"{}";
	r.lbl = (char *)"[\"l\"]";
	r.ver = 1;
	r.size = size;
	snprintf(r.ct, sizeof(r.ct), "20240101T000000");
	snprintf(r.lt, sizeof(r.lt), "20240101T000000");
	snprintf(r.et, sizeof(r.et), "20250101T000000");
	return m2m_resstore_insert(s, &r);
}

#endif
