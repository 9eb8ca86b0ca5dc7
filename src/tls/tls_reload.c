/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements m2m_tls_reload (m2msec/tls.h, docs/operations.md "Signals"): the SIGHUP
 * reload of the operator's credential files without dropping a connection. The psk-file
 * (TS-0003 clause 8.2.2.1 pre-provisioned Kpsa) is parsed into a new table outside any lock and
 * swapped in under the table's write lock; a lookup holds the read lock only while it copies
 * its key, so an established association (whose key was copied at its handshake) is untouched,
 * a key added to the file works for the next handshake and a removed one is refused from then
 * on. A file that does not load leaves the table in force: a typo must not lock every device out.
 */
#include <stdio.h>

#include "tls/tls_int.h"

m2m_err m2m_tls_reload(m2m_tls *tls, char *errmsg, size_t errcap)
{
	m2mi_psk_table *fresh = NULL, *old;
	char msg[200] = "";
	m2m_err r;

	if (errmsg != NULL && errcap > 0)
		errmsg[0] = '\0';
	if (!m2mi_tls_ok(tls))
		return M2M_E_INVAL;
	m2mi_tls_crl_expire(tls->crl);
	if (tls->psk_file == NULL || !tls->psk_mu_init)
		return M2M_OK;
	if ((r = m2mi_psk_file_load(tls->psk_file, &fresh, msg, sizeof(msg))) != M2M_OK) {
		if (errmsg != NULL && errcap > 0)
			snprintf(errmsg, errcap, "psk file: %s", msg[0] ? msg : m2m_strerror(r));
		return r;
	}
	if (pthread_rwlock_wrlock(&tls->psk_mu) != 0) {
		m2mi_psk_table_free(fresh);
		return M2M_E_INTERNAL;
	}
	old = tls->psk_table;
	tls->psk_table = fresh;
	pthread_rwlock_unlock(&tls->psk_mu);
	m2mi_psk_table_free(old); /* wiped: no reader holds it any more */
	return M2M_OK;
}
