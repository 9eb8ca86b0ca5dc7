/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE's asynchronous TLS-PSK resolver for KeIDs (mef_client.h): a
 * psk_identity that is a KeID of the configured MEF (hexBinary(RelativeKeID)@MEF-FQDN, TS-0003
 * §10.3.4) makes the CSE RETRIEVE /fetchCredentials/<KeID>/<SUID> from the MEF (TS-0003
 * §8.3.2.1, docs/procedures/mef.md) during the handshake, without blocking its loop:
 *  - start (HTTP loop thread, inside OpenSSL's ASYNC job: small stack, no big buffers) answers a
 *    cache hit or a cached refusal at once, otherwise queues the handshake on the KeID's single
 *    fetch (keid_cache.c) and returns "pending";
 *  - the transport answers on its own thread; the answer is checked (keyID and SUID must be the
 *    ones asked for, the key 32 bytes, the lifetime positive), cached and handed to every waiting
 *    handshake through m2m_psk_wait_done_post;
 *  - the association is bound to the Enrolee-ID the MEF returned, Credential-ID "12-<KeID>"
 *    (TS-0003 Table 12.3.2.1-1: 12 = a key of a SAEF), the SUID and expiry = now + lifetime, so
 *    the originator checks (4106/4107) and ACPs apply exactly as for provisioned keys;
 *  - anything unexpected is a refusal (fail closed); the handshake deadline of the HTTP server
 *    bounds a slow MEF, and the transport deadline ends the fetch, so each wait gets its answer.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "m2msec/hex.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"
#include "services/cse/mef_client.h"

struct m2mi_mef_client {
	char fqdn[256];
	int suid;
	m2mi_keid_cache *cache;
	m2mi_mef_fetch_fn fetch;
	void *fetch_ctx;
	_Atomic(m2mi_mef_wait_done_fn) done; /* swapped at shutdown (m2mi_mef_client_set_done) */
	atomic_bool suid_refused;            /* the security profile does not accept our SUID */
	int64_t (*clock)(void);
};

/* One fetch in flight (the transport's argument). */
typedef struct fetch {
	m2mi_mef_client *mc;
	char keid[128];
} fetch;

static int64_t wall(void)
{
	return (int64_t)time(NULL);
}

m2m_err m2mi_mef_client_new(const m2mi_mef_client_cfg *cfg, m2mi_mef_client **out)
{
	m2mi_mef_client *mc;
	m2m_err r;

	*out = NULL;
	if (cfg == NULL || cfg->mef_fqdn == NULL || cfg->fetch == NULL || strlen(cfg->mef_fqdn) >= sizeof(mc->fqdn) ||
	    m2m_id_check_fqdn(cfg->mef_fqdn, strlen(cfg->mef_fqdn)) != M2M_OK)
		return M2M_E_INVAL;
	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; cfg->mef_fqdn[i]; i++) /* KeIDs carry the FQDN in lowercase (canonical) */
		mc->fqdn[i] = (char)(cfg->mef_fqdn[i] >= 'A' && cfg->mef_fqdn[i] <= 'Z' ? cfg->mef_fqdn[i] + 32
											   : cfg->mef_fqdn[i]);
	mc->suid = cfg->suid ? cfg->suid : M2MI_MEF_SUID_SAEF;
	mc->fetch = cfg->fetch;
	mc->fetch_ctx = cfg->fetch_ctx;
	atomic_init(&mc->done, cfg->done ? cfg->done : m2m_psk_wait_done_post);
	mc->clock = cfg->clock ? cfg->clock : wall;
	if ((r = m2mi_keid_cache_new(&cfg->lim, &mc->cache)) != M2M_OK) {
		free(mc);
		return r;
	}
	*out = mc;
	return M2M_OK;
}

/* Wake one waiting handshake: each gets its own copy of the key (m2m_psk_wait_done consumes). */
static void wake(void *arg, void *w, m2m_err err, const m2m_key *key, const m2m_sa *sa)
{
	m2mi_mef_client *mc = arg;
	m2m_key *copy = NULL;

	if (err == M2M_OK && (err = m2m_key_dup(key, &copy)) != M2M_OK)
		copy = NULL;
	(void)atomic_load(&mc->done)(w, err, err == M2M_OK ? copy : NULL, err == M2M_OK ? sa : NULL);
}

void m2mi_mef_client_free(m2mi_mef_client *mc)
{
	if (mc == NULL)
		return;
	m2mi_keid_cache_free(mc->cache, wake, mc);
	free(mc);
}

void m2mi_mef_client_set_done(m2mi_mef_client *mc, m2mi_mef_wait_done_fn done)
{
	atomic_store(&mc->done, done);
}

void m2mi_mef_client_set_suid_refused(m2mi_mef_client *mc, bool refused)
{
	atomic_store(&mc->suid_refused, refused);
}

int m2mi_mef_client_suid(const m2mi_mef_client *mc)
{
	return mc->suid;
}

size_t m2mi_mef_client_cached(m2mi_mef_client *mc)
{
	return m2mi_keid_cache_size(mc->cache);
}

static m2m_err rsc_error(int rsc)
{
	if (rsc == 4004)
		return M2M_E_NOT_FOUND; /* unknown KeID, or this CSE is not a target of that enrolee */
	if (rsc == 4103)
		return M2M_E_AUTH;      /* revoked, expired, SUID not allowed, not a target */
	return M2M_E_PROTO;
}

m2m_err m2mi_mef_parse_fetch_rsp(int rsc, const char *body, size_t len, const char *keid, int suid, int64_t now,
				 m2m_key **key, m2m_sa *sa)
{
	json_t *root = NULL, *o;
	const char *cred, *eid, *kid;
	json_int_t lifetime, rs;
	uint8_t b[32];
	size_t n = 0;
	m2m_err r = M2M_E_PROTO;
	m2m_id *id = NULL;

	*key = NULL;
	memset(sa, 0, sizeof(*sa));
	if (rsc != 2000)
		return rsc_error(rsc);
	if (body == NULL || (root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return M2M_E_PROTO;
	o = json_object_get(root, "sec:fetchCredRsp");
	cred = json_string_value(json_object_get(o, "credential"));
	eid = json_string_value(json_object_get(o, "enroleeID"));
	kid = json_string_value(json_object_get(o, "keyID"));
	if (!json_is_object(o) || !json_is_true(json_object_get(o, "status")) || cred == NULL || eid == NULL ||
	    kid == NULL || !json_is_integer(json_object_get(o, "SUID")) ||
	    !json_is_integer(json_object_get(o, "lifetime")))
		goto out;
	rs = json_integer_value(json_object_get(o, "SUID"));
	lifetime = json_integer_value(json_object_get(o, "lifetime"));
	/* The answer must be for exactly what was asked: a MEF bug or a confused deputy must not
	 * bind a key of another KeID or usage to this identity. */
	if (strcmp(kid, keid) != 0 || rs != suid || lifetime < 1 || lifetime > 10ll * 365 * 86400)
		goto out;
	if (strlen(cred) != 64 || m2m_hex_decode(cred, 64, b, sizeof(b), &n) != M2M_OK || n != 32)
		goto out;
	/* The Enrolee-ID: an AE-ID or a CSE-ID (docs/procedures/mef.md, enrolee add --enrolee-id). */
	if (m2m_id_parse(eid, strlen(eid), M2M_ID_AE_ID, &id) == M2M_OK)
		sa->entity = M2M_ENTITY_AE;
	else if (m2m_id_parse(eid, strlen(eid), M2M_ID_CSE_ID, &id) == M2M_OK)
		sa->entity = M2M_ENTITY_CSE;
	else
		goto out;
	if (strlen(eid) >= sizeof(sa->bound_id) || strlen(keid) + 3 >= sizeof(sa->credential_id))
		goto out;
	if ((r = m2m_key_new(b, 32, key)) != M2M_OK)
		goto out;
	sa->kind = M2M_SA_PSK;
	snprintf(sa->bound_id, sizeof(sa->bound_id), "%s", eid);
	snprintf(sa->credential_id, sizeof(sa->credential_id), "12-%s", keid);
	sa->suid = suid;
	sa->expiry = now + (int64_t)lifetime;
	m2m_key_set_suid(*key, suid);
	m2m_key_set_validity(*key, 0, sa->expiry);
	if ((r = m2m_key_set_id(*key, keid)) != M2M_OK) {
		m2m_key_free(*key);
		*key = NULL;
	}
out:
	if (r != M2M_OK)
		memset(sa, 0, sizeof(*sa));
	m2m_memzero(b, sizeof(b));
	m2m_id_free(id);
	json_decref(root); /* the credential string is in it: jansson frees without wiping, kept short-lived */
	return r;
}

/* The transport's answer (any thread). */
static void on_rsp(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	fetch *f = arg;
	m2mi_mef_client *mc = f->mc;
	int64_t now = mc->clock();
	m2m_key *key = NULL;
	m2m_sa sa;
	m2m_err err;

	(void)status;
	if (result != 0)
		err = M2M_E_IO; /* MEF unreachable or too slow: refuse now, ask again next time */
	else
		err = m2mi_mef_parse_fetch_rsp(rsc, body, len, f->keid, mc->suid, now, &key, &sa);
	m2mi_keid_cache_complete(mc->cache, f->keid, now, err, key, err == M2M_OK ? &sa : NULL, wake, mc);
	m2m_memzero(&sa, sizeof(sa));
	free(f);
}

m2m_err m2mi_mef_keid_start(void *ctx, const char *identity, int64_t now, m2m_psk_wait *w, m2m_key **key,
			    m2m_sa *binding)
{
	m2mi_mef_client *mc = ctx;
	m2m_id *id = NULL;
	fetch *f;
	char path[192];
	m2m_err err = M2M_OK;
	m2mi_kc_result res;

	*key = NULL;
	if (m2m_id_parse(identity, strlen(identity), M2M_ID_KEID, &id) != M2M_OK)
		return M2M_E_NOT_FOUND; /* not a KeID: another resolver's identity */
	if (strcmp(m2m_id_fqdn(id), mc->fqdn) != 0 || strlen(m2m_id_canonical(id)) >= sizeof(f->keid)) {
		m2m_id_free(id);
		return M2M_E_NOT_FOUND; /* a KeID of another MEF */
	}
	if (atomic_load(&mc->suid_refused)) {
		m2m_id_free(id);
		return M2M_E_AUTH; /* security profile: SUID not accepted (or no valid profile) */
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		m2m_id_free(id);
		return M2M_E_NOMEM;
	}
	f->mc = mc;
	snprintf(f->keid, sizeof(f->keid), "%s", m2m_id_canonical(id));
	m2m_id_free(id);
	res = m2mi_keid_cache_get(mc->cache, f->keid, now, w, key, binding, &err);
	switch (res) {
	case M2MI_KC_HIT:
		free(f);
		return M2M_OK;
	case M2MI_KC_NEGATIVE:
		free(f);
		return err != M2M_OK ? err : M2M_E_AUTH;
	case M2MI_KC_PENDING:
		free(f);
		return M2M_OK; /* *key NULL: wait for the fetch in flight */
	case M2MI_KC_FULL:
		free(f);
		return M2M_E_AUTH; /* no waiting possible or too many fetches: fail closed */
	case M2MI_KC_START:
		break;
	}
	snprintf(path, sizeof(path), "/fetchCredentials/%s/%d", f->keid, mc->suid);
	if (mc->fetch(mc->fetch_ctx, path, on_rsp, f) != 0) {
		/* not started: end the pending entry (wakes w through done, asynchronously) */
		m2mi_keid_cache_complete(mc->cache, f->keid, mc->clock(), M2M_E_IO, NULL, NULL, wake, mc);
		free(f);
	}
	return M2M_OK;
}
