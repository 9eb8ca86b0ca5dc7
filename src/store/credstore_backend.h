/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal contract between the backend-independent credential store
 * (store/credstore.c: validation, canonical identifiers, the single validity decision) and one
 * storage backend (store/credstore_sqlite.c, store/credstore_pg.c). A backend only
 * stores and fetches validated records (TS-0003 clause 10.3 keys, clause 10.1 certificates); it
 * never decides whether a credential may be used. Every write is one all-or-nothing transaction.
 */
#ifndef M2M_STORE_CREDSTORE_BACKEND_H
#define M2M_STORE_CREDSTORE_BACKEND_H

#include <pthread.h>

#include "m2msec/credstore.h"

/* A validated, canonical record handed to a backend's insert. */
typedef struct m2mi_cred_row {
	const m2m_cred_info *info; /* canonical id, owner, targets; state ACTIVE */
	const char *fold;          /* ASCII-lowercase id: unique across the store */
	const uint8_t *key;        /* symmetric kinds: key bytes (never copied by the backend) */
	size_t keylen;
	const char *cert_pem;      /* CERT kind: normalised PEM */
} m2mi_cred_row;

typedef struct m2mi_credstore_ops {
	const char *name;
	/* Open an existing store at location (create: a new one, M2M_E_EXISTS if present). */
	m2m_err (*open)(const char *location, bool create, void **be);
	void (*close)(void *be);
	/* Insert row; M2M_E_EXISTS when row->fold is taken. Nothing is written on error. */
	m2m_err (*insert)(void *be, const m2mi_cred_row *row);
	/* The record whose fold is fold (M2M_E_NOT_FOUND if none). key and cert_pem are fetched
	 * only when the pointer is not NULL; *key is an m2m_key with no metadata set. */
	m2m_err (*fetch)(void *be, const char *fold, m2m_cred_info **info, m2m_key **key,
			 char **cert_pem);
	/* Every record whose kind is in kinds (a non-zero set), ordered by kind then id. */
	m2m_err (*list)(void *be, unsigned kinds, m2m_credstore_list_fn fn, void *arg);
	/* Set state REVOKED at now if ACTIVE (M2M_OK if already revoked; M2M_E_NOT_FOUND). */
	m2m_err (*revoke)(void *be, const char *id, int64_t now);
	/* Record now as the last use of id (M2M_E_NOT_FOUND if it vanished). */
	m2m_err (*touch)(void *be, const char *id, int64_t now);
	/* Delete id and its targets (M2M_E_NOT_FOUND). */
	m2m_err (*remove)(void *be, const char *id);
	/* Set the fields of what (M2M_CRED_SET_*) of id from the validated v (M2M_E_NOT_FOUND). */
	m2m_err (*update)(void *be, const char *id, unsigned what, const m2m_cred_info *v);
	/* Open / close a transaction grouping the following operations (see m2m_credstore_begin). */
	m2m_err (*begin)(void *be);
	/* The same, read only: a deferred transaction in which every write fails (M2M_E_INVAL). */
	m2m_err (*begin_read)(void *be);
	m2m_err (*end)(void *be, m2m_err r);
	/* Count the records of kind (one kind) whose owner is the canonical owner: *active those
	 * active at now, *all every one. */
	m2m_err (*count_owner)(void *be, m2m_cred_kind kind, const char *owner, int64_t now, size_t *active,
			       size_t *all);
} m2mi_credstore_ops;

extern const m2mi_credstore_ops m2mi_credstore_sqlite_ops;
extern const m2mi_credstore_ops m2mi_credstore_pg_ops;

/* True when store's records live on another server (PostgreSQL): a lookup is a network round trip
 * that must not run on an event loop (tls/psk.c). */
bool m2mi_credstore_is_remote(const m2m_credstore *store);
/* A backend handle's mutex: recursive, a grouping transaction holds it from begin to end while its
 * operations take it again. 0 or an errno value. */
int m2mi_credstore_mutex_init(pthread_mutex_t *mu);

#endif
