/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the EST issuance records of the MEF store (TS-0003 clause 8.3.6, RFC
 * 7030 section 4.2; docs/credstore.md "MEF store"): table estcert, one row per certificate the
 * MEF CA issued (serial, subjectAltName, the enrolee's client_id and Enrolee-ID, notAfter, and
 * its revocation). The revocation list is derived, never copied: a certificate is revoked when
 * its own row says so (superseded by re-enrolment, or revoked by the operator) or when its
 * enrolee is revoked, so `mef enrolee revoke` revokes the enrolee's certificates in the same
 * transaction that revokes the enrolee.
 */
#include <string.h>

#include "m2msec/ca.h"
#include "store/mefstore_est.h"
#include "store/mefstore_int.h"
#include "store/mefstore_sql.h"

m2m_err m2mi_mefstore_est_ensure(m2m_mefstore *st)
{
	return m2mi_mefs_ensure(st,
				"CREATE TABLE IF NOT EXISTS estcert (serial TEXT PRIMARY KEY NOT NULL,"
				" client_id TEXT NOT NULL, enrolee_id TEXT NOT NULL, san TEXT NOT NULL,"
				" not_after INTEGER NOT NULL, issued_at INTEGER NOT NULL,"
				" revoked_at INTEGER NOT NULL DEFAULT 0, reason INTEGER NOT NULL DEFAULT -1) STRICT");
}

m2m_err m2mi_mefstore_est_put(m2m_mefstore *st, const m2m_est_record *rec)
{
	m2mi_mefs_stmt *s;
	m2m_err r;

	if ((r = m2mi_mefs_prep(st, "INSERT INTO estcert (serial, client_id, enrolee_id, san, not_after, issued_at)"
				" VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING", &s)) != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, rec->serial);
	m2mi_mefs_bind_text(s, 2, rec->client_id);
	m2mi_mefs_bind_text(s, 3, rec->enrolee_id);
	m2mi_mefs_bind_text(s, 4, rec->san);
	m2mi_mefs_bind_int64(s, 5, rec->not_after);
	m2mi_mefs_bind_int64(s, 6, rec->issued_at);
	/* a serial issued already is M2M_E_EXISTS without failing the statement: on PostgreSQL a
	 * failed statement would end the request's transaction */
	if ((r = m2mi_mefs_step_done(s)) == M2M_OK && m2mi_mefs_changes(st) == 0)
		r = M2M_E_EXISTS;
	m2mi_mefs_done(st, s);
	return r;
}

static void row_record(m2mi_mefs_stmt *s, m2m_est_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	m2mi_mefs_cpy(rec->serial, sizeof(rec->serial), m2mi_mefs_col_text(s, 0));
	m2mi_mefs_cpy(rec->client_id, sizeof(rec->client_id), m2mi_mefs_col_text(s, 1));
	m2mi_mefs_cpy(rec->enrolee_id, sizeof(rec->enrolee_id), m2mi_mefs_col_text(s, 2));
	m2mi_mefs_cpy(rec->san, sizeof(rec->san), m2mi_mefs_col_text(s, 3));
	rec->not_after = m2mi_mefs_col_int64(s, 4);
	rec->issued_at = m2mi_mefs_col_int64(s, 5);
	rec->revoked_at = m2mi_mefs_col_int64(s, 6);
	rec->reason = (int)m2mi_mefs_col_int64(s, 7);
}

m2m_err m2mi_mefstore_est_get(m2m_mefstore *st, const char *serial, m2m_est_record *rec)
{
	m2mi_mefs_stmt *s;
	m2m_err r;
	int rc;

	if ((r = m2mi_mefs_prep(st, "SELECT serial, client_id, enrolee_id, san, not_after, issued_at, revoked_at,"
				" reason FROM estcert WHERE serial = ?1", &s)) != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, serial);
	rc = m2mi_mefs_step(s);
	if (rc == M2MI_MEFS_ROW)
		row_record(s, rec);
	r = rc == M2MI_MEFS_ROW ? M2M_OK : rc == M2MI_MEFS_DONE ? M2M_E_NOT_FOUND : M2M_E_STORE;
	m2mi_mefs_done(st, s);
	return r;
}

m2m_err m2mi_mefstore_est_revoke(m2m_mefstore *st, const char *serial, int64_t now, int reason)
{
	m2mi_mefs_stmt *s;
	m2m_err r;

	if ((r = m2mi_mefs_prep(st, "UPDATE estcert SET revoked_at = ?2, reason = ?3 WHERE serial = ?1"
				" AND revoked_at = 0", &s)) != M2M_OK)
		return r;
	m2mi_mefs_bind_text(s, 1, serial);
	m2mi_mefs_bind_int64(s, 2, now);
	m2mi_mefs_bind_int64(s, 3, reason);
	r = m2mi_mefs_step_done(s);
	if (r == M2M_OK && m2mi_mefs_changes(st) != 1)
		r = M2M_E_NOT_FOUND;
	m2mi_mefs_done(st, s);
	return r;
}

m2m_err m2m_mefstore_est_revoke(m2m_mefstore *st, const char *serial, int64_t now)
{
	m2m_err r;

	if (st == NULL || serial == NULL || now <= 0)
		return M2M_E_INVAL;
	if ((r = m2mi_mefstore_est_ensure(st)) != M2M_OK || (r = m2mi_mefstore_begin(st)) != M2M_OK)
		return r;
	return m2mi_mefstore_end(st, m2mi_mefstore_est_revoke(st, serial, now, M2M_CA_REASON_UNSPECIFIED));
}

m2m_err m2m_mefstore_est_revoked(m2m_mefstore *st, int64_t now, m2m_est_revoked_fn fn, void *arg)
{
	m2mi_mefs_stmt *s = NULL;
	m2m_ca_revoked rv;
	m2m_err r;
	int rc;

	if (st == NULL || fn == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_mefstore_est_ensure(st)) != M2M_OK || (r = m2mi_mefstore_begin_read(st)) != M2M_OK)
		return r;
	/* Expired certificates stay listed until their notAfter is a day old (RFC 5280 section
	 * 3.3 allows dropping them once expired; the margin covers relying parties' clock skew). */
	if ((r = m2mi_mefs_prep(st, "SELECT c.serial, CASE WHEN c.revoked_at > 0 THEN c.revoked_at ELSE"
				" CASE WHEN e.revoked_at IS NULL THEN NULL WHEN e.revoked_at > c.issued_at THEN e.revoked_at"
				" ELSE c.issued_at END END, CASE WHEN c.revoked_at > 0 THEN c.reason"
				" ELSE 5 END FROM estcert c LEFT JOIN enrolee e ON e.client_id = c.client_id"
				" WHERE (c.revoked_at > 0 OR e.state IS NULL OR e.state = 'revoked')"
				" AND c.not_after + 86400 > ?1 ORDER BY c.serial", &s)) != M2M_OK)
		goto out;
	m2mi_mefs_bind_int64(s, 1, now);
	while ((rc = m2mi_mefs_step(s)) == M2MI_MEFS_ROW) {
		rv.serial_hex = (const char *)m2mi_mefs_col_text(s, 0);
		rv.revoked_at = m2mi_mefs_col_int64(s, 1);
		rv.reason = (int)m2mi_mefs_col_int64(s, 2);
		if (rv.serial_hex == NULL)
			continue;
		fn(arg, &rv);
	}
	r = rc == M2MI_MEFS_DONE ? M2M_OK : M2M_E_STORE;
out:
	m2mi_mefs_done(st, s);
	return m2mi_mefstore_end(st, r);
}
