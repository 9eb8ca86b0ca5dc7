/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the strict codecs of the Mmef procedure bodies (core/mef_codec.h,
 * docs/procedures/mef.md): sec:clientRegCfg (TS-0003 Table 12.4.2-1), sec:keyRegCfg (Table
 * 12.4.3-1), the MEF Client Command update (clause 8.3.9.5, cmdStatusCode Table 12.3.2.4-1) and
 * the fetchCredentials target path (clause 8.3.2.1), and the key registration representation
 * the MEF and the MAF answer with. Strict on purpose: the MEF issues keys, so
 * a body it does not fully understand is refused (M2M_E_PROTO -> 4000) rather than half-read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mef_codec.h"
#include "m2msec/hex.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"
#include "m2msec/utf8.h"

#define BODY_MAX 16384

m2m_err m2mi_mef_parse_json(const uint8_t *buf, size_t len, json_t **out)
{
	json_error_t e;

	*out = NULL;
	if (buf == NULL || len == 0 || len > BODY_MAX)
		return M2M_E_PROTO;
	*out = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &e);
	if (*out != NULL && json_is_object(*out))
		return M2M_OK;
	json_decref(*out);
	*out = NULL;
	return M2M_E_PROTO;
}

m2m_err m2mi_mef_ts_parse(const char *s, int64_t *out)
{
	struct tm tm;
	int v[6];
	const int w[6] = {4, 2, 2, 2, 2, 2};
	size_t p = 0;

	*out = 0;
	if (s == NULL || strlen(s) != 15 || s[8] != 'T')
		return M2M_E_PROTO;
	for (int i = 0; i < 6; i++) {
		v[i] = 0;
		if (i == 3)
			p++; /* the 'T' */
		for (int j = 0; j < w[i]; j++, p++) {
			if (s[p] < '0' || s[p] > '9')
				return M2M_E_PROTO;
			v[i] = v[i] * 10 + (s[p] - '0');
		}
	}
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59)
		return M2M_E_PROTO;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	*out = (int64_t)timegm(&tm);
	/* 31 February normalises to March: refuse dates that moved. */
	if (tm.tm_mday != v[2] || tm.tm_mon != v[1] - 1)
		return M2M_E_PROTO;
	return M2M_OK;
}

m2m_err m2mi_mef_ts_format(int64_t t, char *out, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (out == NULL || cap < 16 || t < 0 || gmtime_r(&tt, &tm) == NULL)
		return M2M_E_INVAL;
	return strftime(out, cap, "%Y%m%dT%H%M%S", &tm) == 15 ? M2M_OK : M2M_E_RANGE;
}

/* A non-empty, valid-UTF-8 string member of at most M2MI_MEF_STR_MAX - 1 bytes, copied. */
static m2m_err get_str(const json_t *v, char *out, size_t cap)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return M2M_E_PROTO;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n >= cap || strlen(s) != n || !m2m_utf8_valid(s, n))
		return M2M_E_PROTO;
	memcpy(out, s, n + 1);
	return M2M_OK;
}

static m2m_err get_fqdn(const json_t *v, char *out, size_t cap)
{
	m2m_err r = get_str(v, out, cap);

	if (r == M2M_OK && m2m_id_check_fqdn(out, strlen(out)) != M2M_OK)
		r = M2M_E_PROTO;
	return r;
}

static m2m_err get_int(const json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return M2M_E_PROTO;
	*out = json_integer_value(v);
	return M2M_OK;
}

static m2m_err get_ts(const json_t *v, int64_t *out)
{
	return json_is_string(v) ? m2mi_mef_ts_parse(json_string_value(v), out) : M2M_E_PROTO;
}

static m2m_err get_labels(const json_t *v, m2mi_mef_labels *l)
{
	size_t i;
	const json_t *e;

	if (!json_is_array(v) || json_array_size(v) > M2MI_MEF_LABELS_MAX)
		return M2M_E_PROTO;
	json_array_foreach(v, i, e) {
		if (get_str(e, l->v[i], sizeof(l->v[i])) != M2M_OK)
			return M2M_E_PROTO;
	}
	l->n = json_array_size(v);
	l->present = true;
	return M2M_OK;
}

/* The one member named wrapper of pc, an object: anything else in pc is refused. */
static const json_t *unwrap(const json_t *pc, const char *wrapper)
{
	const json_t *o;

	if (!json_is_object(pc) || json_object_size(pc) != 1)
		return NULL;
	o = json_object_get(pc, wrapper);
	return json_is_object(o) ? o : NULL;
}

m2m_err m2mi_mef_parse_client_reg(const json_t *pc, bool update, m2mi_mef_client_reg *out)
{
	const json_t *o = unwrap(pc, "sec:clientRegCfg"), *v;
	const char *k;
	int64_t n = 0;
	m2m_err r = M2M_OK;

	memset(out, 0, sizeof(*out));
	out->http_port = out->coap_port = out->ws_port = -1;
	if (o == NULL)
		return M2M_E_PROTO;
	json_object_foreach((json_t *)o, k, v) {
		if (strcmp(k, "expirationTime") == 0)
			r = get_ts(v, &out->et);
		else if (strcmp(k, "labels") == 0)
			r = get_labels(v, &out->lbl);
		else if (update)
			r = M2M_E_PROTO; /* Registration Update carries only expirationTime and labels */
		else if (strcmp(k, "fqdn") == 0)
			r = get_fqdn(v, out->fqdn, sizeof(out->fqdn));
		else if (strcmp(k, "adminFQDN") == 0)
			r = get_fqdn(v, out->admin_fqdn, sizeof(out->admin_fqdn));
		else if (strcmp(k, "httpPort") == 0 || strcmp(k, "coapPort") == 0 || strcmp(k, "websocketPort") == 0) {
			int *p = k[0] == 'h' ? &out->http_port : k[0] == 'c' ? &out->coap_port : &out->ws_port;
			if ((r = get_int(v, 0, 255, &n)) == M2M_OK) /* xs:unsignedByte, as the XSD says */
				*p = (int)n;
		} else if (strcmp(k, "enroleeID") == 0)
			r = get_str(v, out->enrolee_id, sizeof(out->enrolee_id));
		else if (strcmp(k, "certEnrolInd") == 0) {
			if (!json_is_boolean(v))
				r = M2M_E_PROTO;
			out->cert_enrol = json_is_true(v);
		} else
			r = M2M_E_PROTO;
		if (r != M2M_OK)
			return M2M_E_PROTO;
	}
	if (update)
		return out->et != 0 || out->lbl.present ? M2M_OK : M2M_E_PROTO;
	return out->fqdn[0] != '\0' && out->admin_fqdn[0] != '\0' ? M2M_OK : M2M_E_PROTO;
}

static m2m_err get_targets(const json_t *v, m2mi_mef_key_reg *out)
{
	size_t i;
	const json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > M2MI_MEF_TARGETS_MAX)
		return M2M_E_PROTO;
	json_array_foreach(v, i, e) {
		m2m_id *id = NULL;
		m2m_err r = get_str(e, out->targets[i], sizeof(out->targets[i]));
		if (r == M2M_OK && m2m_id_parse(out->targets[i], strlen(out->targets[i]), M2M_ID_ANY, &id) != M2M_OK)
			r = M2M_E_PROTO;
		if (r == M2M_OK && m2m_id_kind_of(id) != M2M_ID_AE_ID && m2m_id_kind_of(id) != M2M_ID_CSE_ID)
			r = M2M_E_PROTO; /* m2m:listOfM2MID: AE-IDs and CSE-IDs */
		m2m_id_free(id);
		if (r != M2M_OK)
			return M2M_E_PROTO;
	}
	out->ntargets = json_array_size(v);
	out->targets_present = true;
	return M2M_OK;
}

static m2m_err get_key(const json_t *v, m2mi_mef_key_reg *out)
{
	size_t n;

	if (!json_is_string(v) || json_string_length(v) < 2 * 16 || json_string_length(v) > 2 * M2MI_MEF_KEY_MAX)
		return M2M_E_PROTO;
	if (m2m_hex_decode(json_string_value(v), json_string_length(v), out->key, sizeof(out->key), &n) != M2M_OK)
		return M2M_E_PROTO;
	out->key_len = n;
	return M2M_OK;
}

m2m_err m2mi_mef_parse_key_reg(const json_t *pc, bool update, m2mi_mef_key_reg *out)
{
	const json_t *o = unwrap(pc, "sec:keyRegCfg"), *v;
	const char *k;
	int64_t n = 0;
	m2m_err r = M2M_OK;

	memset(out, 0, sizeof(*out));
	if (o == NULL)
		return M2M_E_PROTO;
	json_object_foreach((json_t *)o, k, v) {
		if (strcmp(k, "expirationTime") == 0)
			r = get_ts(v, &out->et);
		else if (strcmp(k, "labels") == 0)
			r = get_labels(v, &out->lbl);
		else if (strcmp(k, "targetIDs") == 0)
			r = get_targets(v, out);
		else if (update)
			r = M2M_E_PROTO;
		else if (strcmp(k, "fqdn") == 0)
			r = get_fqdn(v, out->fqdn, sizeof(out->fqdn));
		else if (strcmp(k, "adminFQDN") == 0)
			r = get_fqdn(v, out->admin_fqdn, sizeof(out->admin_fqdn));
		else if (strcmp(k, "SUID") == 0) {
			if ((r = get_int(v, 1, 99, &n)) == M2M_OK && !m2m_suid_valid((int)n))
				r = M2M_E_PROTO;
			out->suid = (int)n;
		} else if (strcmp(k, "keyValue") == 0)
			r = get_key(v, out);
		else
			r = M2M_E_PROTO;
		if (r != M2M_OK) {
			m2mi_mef_key_reg_wipe(out);
			return M2M_E_PROTO;
		}
	}
	if (update ? (out->et != 0 || out->lbl.present || out->targets_present)
		   : (out->fqdn[0] != '\0' && out->admin_fqdn[0] != '\0' && out->suid != 0))
		return M2M_OK;
	m2mi_mef_key_reg_wipe(out);
	return M2M_E_PROTO;
}

void m2mi_mef_key_reg_wipe(m2mi_mef_key_reg *k)
{
	if (k == NULL)
		return;
	m2m_memzero(k->key, sizeof(k->key));
	k->key_len = 0;
}

bool m2mi_mef_client_status_ok(int s)
{
	/* 10 ISSUED and 11 REISSUED are the MEF's own; everything else of Table 12.3.2.4-1. */
	return s == 20 || (s >= 40 && s <= 43) || s == 100 || s == 101 || s == 201 || s == 202 ||
	       (s >= 300 && s <= 305);
}

m2m_err m2mi_mef_parse_cmd_update(const json_t *pc, int64_t *cmd_id, int *status)
{
	const json_t *o = unwrap(pc, "sec:mefClientCmd");
	int64_t id = 0, st = 0;

	*cmd_id = 0;
	*status = 0;
	if (o == NULL || json_object_size(o) != 2 ||
	    get_int(json_object_get(o, "cmdID"), 1, INT32_MAX, &id) != M2M_OK ||
	    get_int(json_object_get(o, "cmdStatusCode"), 0, 999, &st) != M2M_OK)
		return M2M_E_PROTO;
	*cmd_id = id;
	*status = (int)st;
	return M2M_OK;
}

m2m_err m2mi_mef_parse_fetch_path(const char *to, char *keid, size_t cap, int *suid)
{
	static const char pfx[] = "fetchCredentials/";
	const char *p, *slash;
	m2m_id *id = NULL;
	m2m_err r = M2M_E_PROTO;
	int v = 0;

	*suid = 0;
	if (to == NULL || cap == 0)
		return M2M_E_PROTO;
	keid[0] = '\0';
	if (to[0] == '/')
		to++;
	if (strncmp(to, pfx, sizeof(pfx) - 1) != 0)
		return M2M_E_NOT_FOUND;
	p = to + sizeof(pfx) - 1;
	if ((slash = strchr(p, '/')) == NULL || strchr(slash + 1, '/') != NULL)
		return M2M_E_PROTO;
	for (const char *s = slash + 1; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > 99)
			return M2M_E_PROTO;
		v = v * 10 + (*s - '0');
	}
	if (slash[1] == '\0' || (slash[1] == '0' && slash[2] != '\0') || !m2m_suid_valid(v))
		return M2M_E_PROTO;
	if (m2m_id_parse(p, (size_t)(slash - p), M2M_ID_KEID, &id) == M2M_OK &&
	    strlen(m2m_id_canonical(id)) < cap) {
		memcpy(keid, m2m_id_canonical(id), strlen(m2m_id_canonical(id)) + 1);
		*suid = v;
		r = M2M_OK;
	}
	m2m_id_free(id);
	return r;
}

m2m_err m2mi_mef_labels_text(const m2mi_mef_labels *l, char *out, size_t cap)
{
	json_t *a;
	char *s = NULL;
	m2m_err r = M2M_E_NOMEM;

	out[0] = '\0';
	if (!l->present)
		return M2M_OK;
	if ((a = json_array()) == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < l->n; i++)
		if (json_array_append_new(a, json_string(l->v[i])) != 0)
			goto out;
	if ((s = json_dumps(a, JSON_COMPACT)) == NULL)
		goto out;
	r = strlen(s) < cap ? M2M_OK : M2M_E_RANGE;
	if (r == M2M_OK)
		memcpy(out, s, strlen(s) + 1);
out:
	free(s);
	json_decref(a);
	return r;
}

json_t *m2mi_keyreg_json(const char *wrapper, const m2mi_keyreg_view *v, const m2m_key *key)
{
	char ts[16] = "", hex[2 * M2M_KEY_MAX + 1];
	json_t *o, *in, *tg = json_array();

	(void)m2mi_mef_ts_format(v->expiry, ts, sizeof(ts));
	for (size_t i = 0; tg != NULL && i < v->ntargets; i++)
		json_array_append_new(tg, json_string(v->targets[i]));
	o = json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:i,s:o}}", wrapper, "relKeyID", v->rel_key_id ? v->rel_key_id : "",
		      "keyID", v->key_id ? v->key_id : "", "expirationTime", ts, "sourceID",
		      v->source_id ? v->source_id : "", "adminFQDN", v->admin_fqdn ? v->admin_fqdn : "", "SUID", v->suid,
		      "targetIDs", tg);
	in = json_object_get(o, wrapper);
	if (in != NULL && json_is_array(v->labels))
		json_object_set(in, "labels", v->labels);
	if (in != NULL && key != NULL) {
		if (m2m_key_export_hex(key, hex, sizeof(hex)) != M2M_OK) {
			json_decref(o);
			o = NULL;
		} else {
			json_object_set_new(in, "keyValue", json_string(hex));
		}
		m2m_memzero(hex, sizeof(hex));
	}
	return o;
}
