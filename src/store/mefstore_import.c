/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the batch import of the MEF store (m2msec mef enrolee import): the
 * Bootstrap Credential Configuration of TS-0003 clause 8.3.2.1 for many devices at once, one
 * transaction per row so that good rows are kept when a bad one fails, and idempotent on
 * re-run because m2m_mefstore_enrolee_add reports an identical row as M2M_MEF_UNCHANGED.
 */
#include "store/mefstore_sql.h"

m2m_err m2m_mefstore_enrolee_import(m2m_mefstore *st, const m2m_mef_enrolee *rows, const m2m_key *const *kpms,
				    size_t n, int64_t now, m2m_mefstore_import_fn fn, void *arg, size_t *added,
				    size_t *unchanged, size_t *failed)
{
	size_t c[3] = {0, 0, 0};
	m2m_err r = M2M_OK;

	if (st == NULL || (rows == NULL && n > 0) || (kpms == NULL && n > 0))
		return M2M_E_INVAL;
	for (size_t i = 0; i < n && r == M2M_OK; i++) {
		m2m_mef_add_result res = 0;
		m2m_err e = m2m_mefstore_enrolee_add(st, &rows[i], kpms[i], now, &res);
		c[e != M2M_OK ? 2 : res == M2M_MEF_ADDED ? 0 : 1]++;
		if (fn != NULL)
			r = fn(i, e, res, arg);
	}
	if (added != NULL)
		*added = c[0];
	if (unchanged != NULL)
		*unchanged = c[1];
	if (failed != NULL)
		*failed = c[2];
	return r;
}
