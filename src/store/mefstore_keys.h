/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the MEF store's key listing for the operator
 * (store/mefstore_keys.c, docs/procedures/console.md): the keys an enrolee holds, identifiers and
 * dates only, never key bytes.
 */
#ifndef M2M_STORE_MEFSTORE_KEYS_H
#define M2M_STORE_MEFSTORE_KEYS_H

#include "m2msec/mefstore.h"

/* One key of an enrolee: its registration's Ke (TS-0003 §10.3.1; suid 0) or a MEF Key
 * Registration (§8.3.5; its SUID). Strings are valid during the callback only. */
typedef struct m2mi_mef_key_info {
	bool is_ke;
	const char *id;     /* KeID, or the RelativeKeyID of a key registration */
	int suid;
	int64_t expiry;
	int64_t created_at;
} m2mi_mef_key_info;

typedef m2m_err (*m2mi_mef_key_fn)(const m2mi_mef_key_info *k, void *arg);
/* Visit the keys of client_id (the Ke first, then key registrations by creation); a non-zero
 * return of fn stops and is returned. No key: M2M_OK without a call. */
m2m_err m2mi_mefstore_keys_list(m2m_mefstore *st, const char *client_id, m2mi_mef_key_fn fn, void *arg);

#endif
