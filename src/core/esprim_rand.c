/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the ESPrim rand objects of TS-0003 clauses 8.4.2 B and 8.4.3.1
 * (originatorESPrimRandObject / receiverESPrimRandObject, TS-0004 Tables 6.3.5.50-1 and
 * 6.3.5.51-1, short names esri/esrv/esrx/esk/esks/espa of clause 8.2.5): generation, the JSON
 * codec, the Receiver's checks of clause 8.4.2 C.6b-C.6c, and the sessionESPrimKey of clause
 * 10.3.8.2 derived from them. Pure: time and random octets are the caller's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/esprim_int.h"

bool m2mi_ncname(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static bool aead_ok(int a)
{
	return a == M2M_ESPRIM_A128GCM || a == M2M_ESPRIM_A192GCM || a == M2M_ESPRIM_A256GCM;
}

m2m_err m2m_esprim_rand_init(m2m_esprim_rand *r, bool originator, bool shared, const uint8_t rnd[M2M_ESPRIM_RAND_LEN],
			     const uint8_t idrnd[M2M_ESPRIM_RANDID_LEN], int64_t expiry, const int *keygen,
			     size_t nkeygen, const int *aead, size_t naead)
{
	if (r == NULL || rnd == NULL || idrnd == NULL || keygen == NULL || aead == NULL)
		return M2M_E_INVAL;
	if (nkeygen == 0 || naead == 0 || nkeygen > M2M_ESPRIM_MAX_ALGS || naead > M2M_ESPRIM_MAX_ALGS ||
	    (originator && (nkeygen != 1 || shared)))
		return M2M_E_INVAL;
	memset(r, 0, sizeof(*r));
	r->id[0] = shared ? 's' : 'n';
	hex(idrnd, M2M_ESPRIM_RANDID_LEN, r->id + 1);
	r->value[0] = 'v';
	hex(rnd, M2M_ESPRIM_RAND_LEN, r->value + 1);
	r->expiry = expiry;
	memcpy(r->keygen, keygen, nkeygen * sizeof(int));
	r->nkeygen = nkeygen;
	memcpy(r->aead, aead, naead * sizeof(int));
	r->naead = naead;
	return M2M_OK;
}

bool m2m_esprim_rand_id_shared(const char *id)
{
	return id != NULL && id[0] == 's';
}

static json_t *int_list(const int *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_integer(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *m2mi_esprim_rand_to_json(const m2m_esprim_rand *r, bool originator)
{
	char ts[32];
	struct tm tm;
	time_t t = (time_t)r->expiry;

	/* m2m:timestamp is ISO 8601 basic with a four-digit year */
	if (!m2mi_ncname(r->id, M2M_ESPRIM_ID_MAX) || !m2mi_ncname(r->value, M2M_ESPRIM_VALUE_MAX) ||
	    r->expiry < 0 || gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    snprintf(ts, sizeof(ts), "%04d%02d%02dT%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		     tm.tm_hour, tm.tm_min, tm.tm_sec) != 15)
		return NULL;
	if (originator)
		return r->nkeygen == 1 ? json_pack("{s:s,s:s,s:s,s:i,s:o}", "esri", r->id, "esrv", r->value, "esrx", ts,
						    "esk", r->keygen[0], "espa", int_list(r->aead, r->naead))
				       : NULL;
	return json_pack("{s:s,s:s,s:s,s:o,s:o}", "esri", r->id, "esrv", r->value, "esrx", ts, "esks",
			 int_list(r->keygen, r->nkeygen), "espa", int_list(r->aead, r->naead));
}

/* m2m:absRelTimestamp: "YYYYMMDDTHHMMSS" (optionally ",fraction") or xs:long milliseconds from now. */
static bool parse_time(const json_t *v, int64_t now, int64_t *out)
{
	const char *s;
	struct tm tm;
	int n = 0;

	if (json_is_integer(v)) {
		json_int_t ms = json_integer_value(v);

		if (ms < 0 || ms > INT64_C(100) * 365 * 86400 * 1000)
			return false;
		*out = now + ms / 1000;
		return true;
	}
	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	if (s[0] >= '0' && s[0] <= '9' && strchr(s, 'T') == NULL) {
		char *end;
		long long ms = strtoll(s, &end, 10);

		if (*end != '\0' || ms < 0 || ms > INT64_C(100) * 365 * 86400 * 1000)
			return false;
		*out = now + ms / 1000;
		return true;
	}
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d%2d%2dT%2d%2d%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, &n) != 6 || n != 15 || (s[15] != '\0' && s[15] != ',' && s[15] != '.'))
		return false;
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = (int64_t)timegm(&tm);
	return true;
}

static bool get_list(const json_t *a, int *out, size_t *n)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > M2M_ESPRIM_MAX_ALGS)
		return false;
	json_array_foreach(a, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000)
			return false;
		out[i] = (int)json_integer_value(v);
	}
	*n = json_array_size(a);
	return true;
}

bool m2mi_esprim_rand_json_relative(const json_t *j)
{
	const json_t *v = json_object_get(j, "esrx");
	const char *t = json_is_string(v) ? json_string_value(v) : NULL;

	/* parse_time's rule: an integer, or a string of digits without 'T', counts from now */
	return json_is_integer(v) || (t != NULL && t[0] >= '0' && t[0] <= '9' && strchr(t, 'T') == NULL);
}

m2m_err m2mi_esprim_rand_from_json(const json_t *j, bool originator, int64_t now, m2m_esprim_rand *out)
{
	const json_t *id = json_object_get(j, "esri"), *val = json_object_get(j, "esrv");
	const json_t *k = json_object_get(j, originator ? "esk" : "esks");

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j) || !json_is_string(id) || !json_is_string(val) ||
	    !m2mi_ncname(json_string_value(id), M2M_ESPRIM_ID_MAX) ||
	    !m2mi_ncname(json_string_value(val), M2M_ESPRIM_VALUE_MAX) ||
	    !parse_time(json_object_get(j, "esrx"), now, &out->expiry) ||
	    !get_list(json_object_get(j, "espa"), out->aead, &out->naead) ||
	    json_object_get(j, originator ? "esks" : "esk") != NULL)
		goto bad;
	if (originator) {
		if (!json_is_integer(k) || json_integer_value(k) < 0 || json_integer_value(k) > 1000)
			goto bad;
		out->keygen[0] = (int)json_integer_value(k);
		out->nkeygen = 1;
	} else if (!get_list(k, out->keygen, &out->nkeygen)) {
		goto bad;
	}
	snprintf(out->id, sizeof(out->id), "%s", json_string_value(id));
	snprintf(out->value, sizeof(out->value), "%s", json_string_value(val));
	return M2M_OK;
bad:
	memset(out, 0, sizeof(*out));
	return M2M_E_ESP_RAND_OBJ;
}

m2m_err m2m_esprim_rand_encode(const m2m_esprim_rand *r, bool originator, char **out)
{
	json_t *j;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (r == NULL || (j = m2mi_esprim_rand_to_json(r, originator)) == NULL)
		return M2M_E_INVAL;
	*out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return *out ? M2M_OK : M2M_E_NOMEM;
}

m2m_err m2m_esprim_rand_decode(const char *json, size_t len, bool originator, int64_t now, m2m_esprim_rand *out)
{
	json_t *j;
	m2m_err r;

	if (json == NULL || out == NULL)
		return M2M_E_INVAL;
	if (len > 4096)
		return M2M_E_ESP_RAND_OBJ;
	j = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	r = m2mi_esprim_rand_from_json(j, originator, now, out);
	json_decref(j);
	return r;
}

static bool in_list(int v, const int *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == v)
			return true;
	return false;
}

m2m_err m2m_esprim_check_rands(const m2m_esprim_rand *rro, const m2m_esprim_rand *oro, int aead, int64_t now)
{
	if (rro == NULL || oro == NULL)
		return M2M_E_INVAL;
	/* C.6b.1: the receiver object must be known and not expired */
	if (now >= rro->expiry)
		return M2M_E_ESP_RECV_RAND;
	/* C.6b.2.i: not in the past and not later than the receiver's */
	if (now >= oro->expiry || oro->expiry > rro->expiry)
		return M2M_E_ESP_ORIG_RAND;
	/* C.6b.2.ii: one of the receiver's key generation algorithms, and one we implement */
	if (oro->nkeygen != 1 || oro->keygen[0] != M2M_ESPRIM_KEYGEN_HMAC_SHA256 ||
	    !in_list(oro->keygen[0], rro->keygen, rro->nkeygen))
		return M2M_E_ESP_UNSUPPORTED;
	/* C.6c.1: originator's AEAD list a subset of the receiver's; the used one in it */
	for (size_t i = 0; i < oro->naead; i++)
		if (!in_list(oro->aead[i], rro->aead, rro->naead))
			return M2M_E_ESP_UNSUPPORTED;
	if (!aead_ok(aead) || !in_list(aead, oro->aead, oro->naead))
		return M2M_E_ESP_UNSUPPORTED;
	return M2M_OK;
}

m2m_err m2m_esprim_session_key(m2m_kdf *kdf, const m2m_key *pairwise, const m2m_esprim_rand *rro,
			       const m2m_esprim_rand *oro, int aead, m2m_key **out)
{
	m2m_key *full = NULL;
	const uint8_t *b;
	size_t len, want = aead == M2M_ESPRIM_A128GCM ? 16 : aead == M2M_ESPRIM_A192GCM ? 24 : 32;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (rro == NULL || oro == NULL)
		return M2M_E_INVAL;
	if (!aead_ok(aead))
		return M2M_E_ESP_UNSUPPORTED;
	/* clause 10.3.8.2: receiver's value first, then the originator's (docs/keys.md) */
	r = m2m_kdf_session_esprim(kdf, pairwise, (const uint8_t *)rro->value, strlen(rro->value),
				   (const uint8_t *)oro->value, strlen(oro->value), &full);
	if (r != M2M_OK)
		return r;
	b = m2m_key_bytes(full, &len);
	r = len >= want ? m2m_key_new(b, want, out) : M2M_E_KEY_LEN;
	m2m_key_free(full);
	return r;
}
