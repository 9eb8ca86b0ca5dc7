/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the MEF store: what the M2M Enrolment Function
 * keeps between requests (TS-0003 clause 8.3.2.1 "Bootstrap Credential Configuration" and
 * "Bootstrap Instruction Configuration", clause 10.3.1 Enrolment Key Generation, clause 10.7
 * lifetimes): enrolee records (a Kpm with its KpmID, or a certificate identity; the Enrolee-ID,
 * the Enrolment Target(s), the Enrolment Expiry, the allowed Enrolee-IDs policy), fleet groups
 * (m2msec extension: per-device Kpm = HMAC-SHA-256(groupKey, KpmID)), the Ke of each
 * registration with its MEF Client Command state, and MEF key registrations. One SQLite file
 * (0600, WAL, synchronous=FULL, secure_delete), one handle per thread; every public write is
 * one transaction. Listing never returns key bytes. docs/credstore.md ("MEF store").
 */
#ifndef M2MSEC_MEFSTORE_H
#define M2MSEC_MEFSTORE_H

#include "m2msec/credstore.h"
#include "m2msec/err.h"
#include "m2msec/key.h"

/* How an enrolee authenticates in the MEF Handshake (TS-0003 clauses 8.3.2.1, 8.3.2.2). */
typedef enum m2m_mef_flavour {
	M2M_MEF_FLAVOUR_KPM = 1,  /* TLS-PSK, psk_identity = KpmID, psk = Kpm */
	M2M_MEF_FLAVOUR_CERT = 2, /* mutual certificates; client_id = the identity bound from its SAN */
} m2m_mef_flavour;

#define M2M_MEF_MAX_TARGETS 8
/* Allowed Enrolee-ID patterns: at most this many, space separated (see m2m_mef_claim_allowed). */
#define M2M_MEF_MAX_ALLOWED 8

/*
 * One enrolee (documented value type). As input (add/import) strings are read, never kept; as
 * output every string is heap-owned: free with m2m_mef_enrolee_free(). Times: unix seconds UTC.
 */
typedef struct m2m_mef_enrolee {
	m2m_mef_flavour flavour;
	char *client_id;       /* KpmID ("rel@fqdn", KpsaID shape) or the certificate identity */
	char *enrolee_id;      /* Enrolee-ID: AE-ID or CSE-ID (TS-0003 clause 8.3.2.1) */
	char *targets[M2M_MEF_MAX_TARGETS]; /* Enrolment Target CSE-IDs (SP-relative or absolute)
					       or MAF-FQDNs (lowercase, m2m_mef_target_canon) */
	size_t ntargets;       /* 1..M2M_MEF_MAX_TARGETS */
	char *allowed;         /* extra Enrolee-IDs it may claim: patterns, space separated; NULL = none */
	char *group_id;        /* fleet group it came from, or NULL (output only) */
	int64_t expiry;        /* Enrolment Expiry (first second no longer valid); > 0 */
	m2m_cred_state state;  /* output: ACTIVE or REVOKED (stored), ignored on add */
	int64_t created_at;    /* output */
	int64_t revoked_at;    /* output, 0 unless revoked */
	char *keid;            /* output: KeID of the current registration, or NULL */
} m2m_mef_enrolee;

/* A fleet group (documented value type, same ownership rules). m2msec extension: a device of
 * the group has Kpm = HMAC-SHA-256(groupKey, KpmID) (m2m_mef_fleet_kpm) and no row until its
 * first enrolment. */
typedef struct m2m_mef_group {
	char *group_id;        /* [A-Za-z0-9._-]{1,64} */
	char *kpm_prefix;      /* KpmIDs starting with it belong to the group (longest prefix wins) */
	char *enrolee_tmpl;    /* Enrolee-ID template; "{id}" is replaced by the KpmID's relative
				  part after the prefix, e.g. "Cdev-{id}" */
	char *targets[M2M_MEF_MAX_TARGETS];
	size_t ntargets;
	int64_t expiry;        /* Enrolment Expiry of every member */
	m2m_cred_state state;  /* output */
	int64_t created_at;    /* output */
} m2m_mef_group;

typedef struct m2m_mefstore m2m_mefstore;

/* Open the store at path; create it (0600) when create is true and it is missing. Same file
 * rules as the credential store (M2M_E_KEY_PERMS, M2M_E_NOT_FOUND, M2M_E_STORE_SCHEMA). */
M2M_API M2M_WUR m2m_err m2m_mefstore_open(const char *path, bool create, m2m_mefstore **out);

/* Durability of an acknowledged write on one connection (the MEF's store-sync, docs/config.md).
 * FULL (0, the default of m2m_mefstore_open): the WAL is synced before every COMMIT returns, so
 * the write survives a power loss. NORMAL: it survives a crash or kill -9 of the process; a power
 * loss may roll back the commits since the last checkpoint (whole transactions, never half). */
typedef enum m2m_mefstore_sync {
	M2M_MEFSTORE_SYNC_FULL = 0,
	M2M_MEFSTORE_SYNC_NORMAL = 1,
} m2m_mefstore_sync;

/* m2m_mefstore_open with the durability of this connection (M2M_E_INVAL for another value).
 * m2m_mefstore_open is this with FULL: the operator CLI's revocations are on disk when it returns. */
M2M_API M2M_WUR m2m_err m2m_mefstore_open_sync(const char *path, bool create, m2m_mefstore_sync sync,
					       m2m_mefstore **out);
/* The durability in effect on st's connection, read back (PRAGMA synchronous); M2M_E_STORE when it
 * is neither NORMAL nor FULL. */
M2M_API M2M_WUR m2m_err m2m_mefstore_sync_in_effect(m2m_mefstore *st, m2m_mefstore_sync *out);
M2M_API void m2m_mefstore_close(m2m_mefstore *st);

/* Outcome of an add that did not fail. */
typedef enum m2m_mef_add_result {
	M2M_MEF_ADDED = 1,     /* a new record */
	M2M_MEF_UNCHANGED = 2, /* the same client_id with the same content (and key) was present */
} m2m_mef_add_result;

/*
 * Add one enrolee in one transaction. Kpm flavour: kpm is 32 bytes (M2M_E_KEY_LEN), client_id a
 * KpmID (M2M_E_ID_*); cert flavour: kpm NULL. enrolee_id must be an AE-ID or CSE-ID, targets
 * CSE-IDs, expiry > now (M2M_E_RANGE), allowed patterns well-formed (M2M_E_INVAL). The same
 * client_id with identical content is M2M_OK with *res = M2M_MEF_UNCHANGED (idempotent import;
 * the expiry is identical when it is the same instant or the same lifetime from now as the stored
 * one had from its creation, e.g. a batch re-run a day later: the stored expiry stays); with
 * different content (or revoked) M2M_E_EXISTS. res may be NULL.
 */
M2M_API M2M_WUR m2m_err m2m_mefstore_enrolee_add(m2m_mefstore *st, const m2m_mef_enrolee *e,
						 const m2m_key *kpm, int64_t now, m2m_mef_add_result *res);
/* Called once per row of an import with its index, its outcome (M2M_OK with *res, or the
 * error of that row); a non-zero return stops the import and is returned. */
typedef m2m_err (*m2m_mefstore_import_fn)(size_t index, m2m_err r, m2m_mef_add_result res, void *arg);
/*
 * Batch add (m2msec mef enrolee import): rows[i] with kpms[i] (NULL for certificate rows), each
 * in its own transaction, so good rows are kept when a bad one fails (reported through fn with
 * its error: M2M_E_EXISTS for a KpmID already present with different content). Re-running the
 * same batch reports every row M2M_MEF_UNCHANGED. *added / *unchanged / *failed count the rows
 * (each may be NULL). Returns M2M_OK unless fn stopped it or the arguments are invalid.
 */
M2M_API M2M_WUR m2m_err m2m_mefstore_enrolee_import(m2m_mefstore *st, const m2m_mef_enrolee *rows,
						    const m2m_key *const *kpms, size_t n, int64_t now,
						    m2m_mefstore_import_fn fn, void *arg, size_t *added,
						    size_t *unchanged, size_t *failed);
/* Revoke the enrolee and, in the same transaction, delete every key derived from its Ke (its
 * registration and key registrations): fetchCredentials for its KeIDs answers "unknown" then.
 * A group member without a row gets a revoked row (tombstone). Revoking twice is M2M_OK. */
M2M_API M2M_WUR m2m_err m2m_mefstore_enrolee_revoke(m2m_mefstore *st, const char *client_id, int64_t now);
/* Replace the Kpm of an active Kpm enrolee (the old one stops working at once). The current Ke
 * and what derives from it are kept. M2M_E_NOT_FOUND, M2M_E_KEY_REVOKED, M2M_E_KEY_LEN. */
M2M_API M2M_WUR m2m_err m2m_mefstore_enrolee_rotate(m2m_mefstore *st, const char *client_id,
						    const m2m_key *new_kpm, int64_t now);
/* The record of client_id (also a revoked one); never key bytes. */
M2M_API M2M_WUR m2m_err m2m_mefstore_enrolee_get(m2m_mefstore *st, const char *client_id,
						 m2m_mef_enrolee **out);
typedef m2m_err (*m2m_mefstore_enrolee_fn)(const m2m_mef_enrolee *e, void *arg);
/* Visit every enrolee ordered by client_id; a non-zero return stops and is returned. */
M2M_API M2M_WUR m2m_err m2m_mefstore_enrolee_list(m2m_mefstore *st, m2m_mefstore_enrolee_fn fn, void *arg);
M2M_API void m2m_mef_enrolee_free(m2m_mef_enrolee *e);

/* Add a fleet group (groupKey 32 bytes); M2M_E_EXISTS for a known group_id or prefix. */
M2M_API M2M_WUR m2m_err m2m_mefstore_group_add(m2m_mefstore *st, const m2m_mef_group *g,
					       const m2m_key *group_key, int64_t now);
/* Revoke a group: no member without a row can enrol any more. */
M2M_API M2M_WUR m2m_err m2m_mefstore_group_revoke(m2m_mefstore *st, const char *group_id, int64_t now);
M2M_API void m2m_mef_group_free(m2m_mef_group *g);

/*
 * THE Kpm check of the MEF Handshake: KpmID -> Kpm (a new key, id = KpmID, window up to the
 * Enrolment Expiry) and, when info is not NULL, the enrolee record (for a group member without
 * a row: the record it would get). M2M_E_NOT_FOUND (unknown), M2M_E_KEY_REVOKED,
 * M2M_E_KEY_EXPIRED. Pure read.
 */
M2M_API M2M_WUR m2m_err m2m_mefstore_kpm_lookup(m2m_mefstore *st, const char *kpm_id, int64_t now,
						m2m_key **kpm, m2m_mef_enrolee **info);

/* Security profiles per CSE-ID (SP-relative, "/id-in"; docs/procedures/mef.md "Security
 * profile"): set (insert or replace the JSON text, at most 64 KiB) and get (a malloc'd copy;
 * M2M_E_NOT_FOUND when none is set). */
M2M_API M2M_WUR m2m_err m2m_mefstore_profile_set(m2m_mefstore *st, const char *cse_id, const char *profile);
M2M_API M2M_WUR m2m_err m2m_mefstore_profile_get(m2m_mefstore *st, const char *cse_id, char **profile);

/* Underlying-network authorization of an enrolee (docs/procedures/mef.md "Underlying-network
 * authorization"; the 3GPP liaison on CMDH delivery handling): set by the operator for a known
 * enrolee (client_id: KpmID or certificate identity; M2M_E_NOT_FOUND for an unknown one), read
 * back for the fetchCredentials answer. No statement = authorized (*authorized true, M2M_OK); a
 * store failure is an error with *authorized false. */
M2M_API M2M_WUR m2m_err m2m_mefstore_netauth_set(m2m_mefstore *st, const char *client_id, bool authorized,
						 int64_t now);
M2M_API M2M_WUR m2m_err m2m_mefstore_netauth_get(m2m_mefstore *st, const char *client_id, bool *authorized);

#endif
