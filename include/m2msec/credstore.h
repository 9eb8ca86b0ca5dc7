/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the credential store: the one place where the
 * long-term credentials of TS-0003 live between uses, i.e. the pre-provisioned and derived
 * symmetric keys of clause 10.3 (Kpm, Ke, Km, Kpsa, Kc) under their identifiers of clauses
 * 10.3.4-10.6, and certificates (clause 10.1) under their SHA-256 fingerprint. Each record
 * carries its owner, its targets (TS-0003 clause 8.3.5 targetIDs), its SUID (TS-0004 Table
 * 6.3.4.2.39-1) and its validity window. m2m_credstore_lookup_key() is the single place where
 * revocation, expiry and not-yet-valid are decided; listing never returns key bytes. Backends
 * (SQLite now, PostgreSQL later) sit behind one internal vtable; see docs/credstore.md.
 */
#ifndef M2MSEC_CREDSTORE_H
#define M2MSEC_CREDSTORE_H

#include "m2msec/err.h"
#include "m2msec/key.h"

/* The kind of a record. Each value is one bit so that lookups can accept a set of kinds. */
typedef enum m2m_cred_kind {
	M2M_CRED_KIND_KPM = 1 << 0,  /* pre-provisioned enrolee key (MEF), id: KpmID       */
	M2M_CRED_KIND_KE = 1 << 1,   /* enrolment key, id: KeID = hex(RelativeKeID)@MEF    */
	M2M_CRED_KIND_KM = 1 << 2,   /* master credential, id: KmID (case-insensitive)     */
	M2M_CRED_KIND_KPSA = 1 << 3, /* provisioned secure connection key, id: KpsaID      */
	M2M_CRED_KIND_KC = 1 << 4,   /* M2M secure connection key, id: hex(KcID)@MAF-FQDN  */
	M2M_CRED_KIND_CERT = 1 << 5, /* X.509 certificate (public), id: SHA-256 fingerprint */
} m2m_cred_kind;

#define M2M_CRED_KINDS_SYMMETRIC                                                             \
	(M2M_CRED_KIND_KPM | M2M_CRED_KIND_KE | M2M_CRED_KIND_KM | M2M_CRED_KIND_KPSA |      \
	 M2M_CRED_KIND_KC)
#define M2M_CRED_KINDS_ALL (M2M_CRED_KINDS_SYMMETRIC | M2M_CRED_KIND_CERT)

/* Stored state is ACTIVE or REVOKED; EXPIRED and NOT_YET_VALID are derived from the window at
 * the time asked (m2m_credstore_state_at) and never stored. */
typedef enum m2m_cred_state {
	M2M_CRED_STATE_ACTIVE = 1,
	M2M_CRED_STATE_REVOKED = 2,
	M2M_CRED_STATE_EXPIRED = 3,
	M2M_CRED_STATE_NOT_YET_VALID = 4,
} m2m_cred_state;

/* At most this many target IDs per record. */
#define M2M_CRED_MAX_TARGETS 16
/* Length of a certificate identifier: uppercase hex SHA-256 of the DER certificate. */
#define M2M_CRED_CERT_ID_LEN 64

/*
 * Metadata of one record (documented value type). It has no key field: key bytes leave the
 * store only through m2m_credstore_lookup_key(). As input to m2m_credstore_add() the strings
 * are read, never kept; as output every string is heap-owned: free with
 * m2m_credstore_info_free(). Times are seconds since the Unix epoch, UTC.
 */
typedef struct m2m_cred_info {
	m2m_cred_kind kind;
	char *id;              /* canonical identifier (see docs/credstore.md); NULL on add of a
				  certificate = take its fingerprint */
	char *owner;           /* Enrolee-ID / AE-ID / CSE-ID / FQDN / Credential-ID, or NULL */
	char **targets;        /* ntargets canonical target IDs (CSE-ID, AE-ID or FQDN) */
	size_t ntargets;
	int suid;              /* m2m:suid, 0 = unconstrained */
	int64_t not_before;    /* 0 = unbounded */
	int64_t not_after;     /* first second the record is no longer valid; 0 = unbounded */
	m2m_cred_state state;  /* stored state: ACTIVE or REVOKED (ignored on add) */
	int64_t revoked_at;    /* 0 unless REVOKED */
	int64_t created_at;    /* on add: the caller's "now" (the store reads no clock) */
	int64_t last_used;     /* last successful lookup; 0 = never (ignored on add) */
	char *attrs;           /* opaque application attributes (a service's JSON text, at most
				  M2M_CRED_ATTRS_MAX bytes), NULL = none; never a key (schema 2) */
} m2m_cred_info;

/* Longest attrs text accepted, bytes without the NUL. */
#define M2M_CRED_ATTRS_MAX 4096

typedef struct m2m_credstore m2m_credstore;

/*
 * Open an existing store. uri_or_path is a plain path, "sqlite:PATH" or a "postgresql://..." /
 * "postgres://..." URI (a database several processes share; docs/credstore.md "PostgreSQL").
 * A missing store (file, or a database without the credential store's schema) gives
 * M2M_E_NOT_FOUND; an unreachable server M2M_E_STORE; a store file (or its -wal/-shm) readable or writable by group or others, or
 * not owned by the effective user, gives M2M_E_KEY_PERMS; a newer schema M2M_E_STORE_SCHEMA.
 */
M2M_API M2M_WUR m2m_err m2m_credstore_open(const char *uri_or_path, m2m_credstore **out);
/* Create a new, empty store (file mode 0600 regardless of umask). M2M_E_EXISTS if present. */
M2M_API M2M_WUR m2m_err m2m_credstore_create(const char *uri_or_path, m2m_credstore **out);
/* Close; NULL is a no-op. */
M2M_API void m2m_credstore_close(m2m_credstore *store);

/*
 * Add one record in one transaction (all or nothing). info->id, owner and targets are
 * validated and canonicalised with m2m_id_parse (their M2M_E_ID_* error is returned as is).
 * Symmetric kinds take key (16..64 bytes, else M2M_E_KEY_LEN) and cert_pem NULL; the CERT kind
 * takes cert_pem (exactly one PEM certificate, else M2M_E_CERT) and key NULL, and its window is
 * the intersection of info's window and the certificate's. An identifier already present
 * (compared case-insensitively) gives M2M_E_EXISTS. When id_out is not NULL it receives the
 * canonical identifier (heap, free()).
 */
M2M_API M2M_WUR m2m_err m2m_credstore_add(m2m_credstore *store, const m2m_cred_info *info,
					  const m2m_key *key, const char *cert_pem, char **id_out);

/* Called once per record; a non-zero return stops the listing and is returned by list. */
typedef m2m_err (*m2m_credstore_list_fn)(const m2m_cred_info *info, void *arg);
/* Visit every record whose kind is in the set kinds (0 = all), ordered by kind then id. */
M2M_API M2M_WUR m2m_err m2m_credstore_list(m2m_credstore *store, unsigned kinds,
					   m2m_credstore_list_fn fn, void *arg);

/* Metadata of the record with identifier id (any accepted spelling of it). */
M2M_API M2M_WUR m2m_err m2m_credstore_get_info(m2m_credstore *store, const char *id,
					       m2m_cred_info **out);
/* Mark revoked at time now. Revoking a revoked record is M2M_OK and keeps the first time. */
M2M_API M2M_WUR m2m_err m2m_credstore_revoke(m2m_credstore *store, const char *id, int64_t now);
/* Delete the record and its key bytes (secure_delete overwrites the freed pages). */
M2M_API M2M_WUR m2m_err m2m_credstore_delete(m2m_credstore *store, const char *id);

/*
 * THE check before use. Find the symmetric key whose identifier is id and whose kind is in the
 * set kinds (one m2m_cred_kind or an OR of several, e.g. the PSK identities a TLS server
 * accepts: M2M_CRED_KIND_KPSA | M2M_CRED_KIND_KE | M2M_CRED_KIND_KC takes a KpsaID, a KeID or
 * hex(KcID)@MAF-FQDN as presented). Returns M2M_E_NOT_FOUND, M2M_E_KEY_REVOKED,
 * M2M_E_KEY_NOT_YET_VALID or M2M_E_KEY_EXPIRED at time now, else M2M_OK with a new key carrying
 * the canonical id, SUID and window, and records now as the last use.
 */
M2M_API M2M_WUR m2m_err m2m_credstore_lookup_key(m2m_credstore *store, const char *id, unsigned kinds,
						 int64_t now, m2m_key **out);
/* The same lookup also returning the record's metadata (owner, targets, ...) from the same read,
 * when info_out is not NULL: what a TLS PSK callback needs to bind the security association. */
M2M_API M2M_WUR m2m_err m2m_credstore_lookup(m2m_credstore *store, const char *id, unsigned kinds,
					     int64_t now, m2m_key **key_out, m2m_cred_info **info_out);
/* The same lookup without recording the last use (it writes nothing): for a request that only
 * reads, inside m2m_credstore_begin_read (the MAF's Key Retrieval, docs/credstore.md). */
M2M_API M2M_WUR m2m_err m2m_credstore_lookup_read(m2m_credstore *store, const char *id, unsigned kinds,
						  int64_t now, m2m_key **key_out, m2m_cred_info **info_out);
/* The same check for a certificate record; *pem_out is heap (free()). */
M2M_API M2M_WUR m2m_err m2m_credstore_lookup_cert(m2m_credstore *store, const char *id, int64_t now,
						  char **pem_out);

/* The state of info at time now: REVOKED, else NOT_YET_VALID / EXPIRED from the window, else
 * ACTIVE. The window is [not_before, not_after) with 0 meaning unbounded. */
M2M_API m2m_cred_state m2m_credstore_state_at(const m2m_cred_info *info, int64_t now);
/* The m2m_err that m2m_credstore_lookup_key returns for that state (M2M_OK when active). */
M2M_API M2M_WUR m2m_err m2m_credstore_check(const m2m_cred_info *info, int64_t now);

/* "kpm", "ke", "km", "kpsa", "kc", "cert"; "?" for anything else. */
M2M_API const char *m2m_credstore_kind_name(m2m_cred_kind kind);
/* Inverse of m2m_credstore_kind_name; M2M_E_INVAL for an unknown name. */
M2M_API M2M_WUR m2m_err m2m_credstore_kind_from_name(const char *name, m2m_cred_kind *out);
/* "active", "revoked", "expired", "not-yet-valid"; "?" for anything else. */
M2M_API const char *m2m_credstore_state_name(m2m_cred_state state);

/* What m2m_credstore_update() changes (an OR of these). */
#define M2M_CRED_SET_NOT_AFTER 1u /* v->not_after (0 = unbounded), checked against not_before */
#define M2M_CRED_SET_TARGETS 2u   /* v->targets / v->ntargets, validated as on add */
#define M2M_CRED_SET_ATTRS 4u     /* v->attrs (NULL clears) */
/*
 * Change the fields named by what of the record id in one transaction (all or nothing); the
 * key, kind, owner, SUID and state never change here (revocation is m2m_credstore_revoke).
 */
M2M_API M2M_WUR m2m_err m2m_credstore_update(m2m_credstore *store, const char *id, unsigned what,
					     const m2m_cred_info *v);
/*
 * Count the records of one kind whose owner is owner (canonicalised as on add): *active those
 * ACTIVE at now, *all every one, revoked and expired included. For the bounds a service puts on
 * what one owner may hold (the MAF's keys per client), without listing the store.
 */
M2M_API M2M_WUR m2m_err m2m_credstore_count_owner(m2m_credstore *store, m2m_cred_kind kind, const char *owner,
						  int64_t now, size_t *active, size_t *all);
/*
 * Group the following operations of this handle into one transaction (a service request):
 * m2m_credstore_end(store, M2M_OK) commits, any other r rolls everything back and returns r.
 * Each operation inside still is all or nothing (a savepoint). Until end, other threads using
 * the same handle wait; give each thread its own handle. No nesting.
 */
M2M_API M2M_WUR m2m_err m2m_credstore_begin(m2m_credstore *store);
/*
 * The same grouping for a request that only reads: a deferred transaction (no write lock), so it
 * runs beside other readers and beside a writer holding the write lock, and sees one snapshot.
 * Any write inside it (add, update, revoke, delete, a recording lookup) fails with M2M_E_INVAL
 * and writes nothing. Ended by m2m_credstore_end. No nesting.
 */
M2M_API M2M_WUR m2m_err m2m_credstore_begin_read(m2m_credstore *store);
M2M_API M2M_WUR m2m_err m2m_credstore_end(m2m_credstore *store, m2m_err r);

/* Free an info returned by the store; NULL is a no-op. */
M2M_API void m2m_credstore_info_free(m2m_cred_info *info);

#endif
