/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements m2m_key, the single holder of symmetric key material (TS-0003 clause 10.3
 * keys: Kpm, Ke, Km, Kpsa, Kc, ESPrim and end-to-end keys). Invariants: len is within
 * [M2M_KEY_MIN, M2M_KEY_MAX]; bytes beyond len are zero; the whole struct is wiped on free.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "m2msec/key.h"
#include "m2msec/hex.h"
#include "m2msec/mem.h"

#define KEY_MAGIC 0x6d326b79u /* "m2ky": catches use of a freed or foreign pointer */
#define KEY_ID_MAX 1024

struct m2m_key {
	uint32_t magic;
	size_t len;
	uint8_t bytes[M2M_KEY_MAX];
	char *id;
	int suid;
	int64_t not_before, not_after;
};

static bool key_ok(const m2m_key *k)
{
	return k != NULL && k->magic == KEY_MAGIC && k->len >= M2M_KEY_MIN && k->len <= M2M_KEY_MAX;
}

m2m_err m2m_key_new(const uint8_t *bytes, size_t len, m2m_key **out)
{
	m2m_key *k;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (bytes == NULL)
		return M2M_E_INVAL;
	if (len < M2M_KEY_MIN || len > M2M_KEY_MAX)
		return M2M_E_KEY_LEN;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return M2M_E_NOMEM;
	k->magic = KEY_MAGIC;
	k->len = len;
	memcpy(k->bytes, bytes, len);
	*out = k;
	return M2M_OK;
}

m2m_err m2m_key_generate(size_t len, m2m_key **out)
{
	uint8_t buf[M2M_KEY_MAX];
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (len < M2M_KEY_MIN || len > M2M_KEY_MAX)
		return M2M_E_KEY_LEN;
	if (RAND_priv_bytes(buf, (int)len) != 1) {
		r = M2M_E_CRYPTO;
		goto out;
	}
	r = m2m_key_new(buf, len, out);
out:
	m2m_memzero(buf, sizeof(buf));
	return r;
}

m2m_err m2m_key_dup(const m2m_key *key, m2m_key **out)
{
	m2m_key *k = NULL;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (!key_ok(key))
		return M2M_E_INVAL;
	if ((r = m2m_key_new(key->bytes, key->len, &k)) != M2M_OK)
		return r;
	if (key->id != NULL && (r = m2m_key_set_id(k, key->id)) != M2M_OK) {
		m2m_key_free(k);
		return r;
	}
	k->suid = key->suid;
	k->not_before = key->not_before;
	k->not_after = key->not_after;
	*out = k;
	return M2M_OK;
}

m2m_err m2m_key_split(const m2m_key *key, int nkeys, int index, m2m_key **out)
{
	size_t half;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (!key_ok(key) || nkeys < 1 || nkeys > 2 || index < 0 || index >= nkeys)
		return M2M_E_INVAL;
	if (key->len % 2 != 0)
		return M2M_E_KEY_LEN;
	half = key->len / 2;
	/* Both one-key and two-key protocols start at a half boundary (clause 8.8.1). */
	return m2m_key_new(key->bytes + (size_t)index * half, half, out);
}

void m2m_key_free(m2m_key *key)
{
	if (key == NULL)
		return;
	free(key->id);
	m2m_freezero(key, sizeof(*key));
}

const uint8_t *m2m_key_bytes(const m2m_key *key, size_t *len)
{
	if (!key_ok(key)) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = key->len;
	return key->bytes;
}

size_t m2m_key_len(const m2m_key *key)
{
	return key_ok(key) ? key->len : 0;
}

m2m_err m2m_key_export_hex(const m2m_key *key, char *out, size_t outcap)
{
	if (!key_ok(key) || out == NULL)
		return M2M_E_INVAL;
	return m2m_hex_encode(key->bytes, key->len, false, out, outcap);
}

m2m_err m2m_key_set_id(m2m_key *key, const char *id)
{
	char *copy = NULL;

	if (!key_ok(key))
		return M2M_E_INVAL;
	if (id != NULL) {
		size_t n = strnlen(id, KEY_ID_MAX + 1);
		if (n > KEY_ID_MAX)
			return M2M_E_ID_TOO_LONG;
		if ((copy = strndup(id, n)) == NULL)
			return M2M_E_NOMEM;
	}
	free(key->id);
	key->id = copy;
	return M2M_OK;
}

const char *m2m_key_id(const m2m_key *key)
{
	return key_ok(key) ? key->id : NULL;
}

void m2m_key_set_suid(m2m_key *key, int suid)
{
	if (key_ok(key))
		key->suid = suid;
}

int m2m_key_suid(const m2m_key *key)
{
	return key_ok(key) ? key->suid : 0;
}

void m2m_key_set_validity(m2m_key *key, int64_t not_before, int64_t not_after)
{
	if (!key_ok(key))
		return;
	key->not_before = not_before;
	key->not_after = not_after;
}

void m2m_key_validity(const m2m_key *key, int64_t *not_before, int64_t *not_after)
{
	if (not_before != NULL)
		*not_before = key_ok(key) ? key->not_before : 0;
	if (not_after != NULL)
		*not_after = key_ok(key) ? key->not_after : 0;
}

m2m_err m2m_key_check_validity(const m2m_key *key, int64_t now)
{
	if (!key_ok(key))
		return M2M_E_INVAL;
	if (key->not_before != 0 && now < key->not_before)
		return M2M_E_KEY_NOT_YET_VALID;
	if (key->not_after != 0 && now >= key->not_after)
		return M2M_E_KEY_EXPIRED;
	return M2M_OK;
}

bool m2m_key_equal(const m2m_key *a, const m2m_key *b)
{
	if (!key_ok(a) || !key_ok(b) || a->len != b->len)
		return false;
	return m2m_ct_eq(a->bytes, b->bytes, a->len);
}
