/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements how the CSE process learns and refreshes the underlying-network
 * authorization of the nodes its MEF provisioned (cse_netauth.h; docs/procedures/mef.md
 * "Underlying-network authorization"; the 3GPP liaison on TS-0001 clause 6.2.2 CMDH):
 *  - at a handshake, the KeID fetch's answer (fetchCredentials, TS-0003 §8.3.2.1, with the
 *    m2msec member networkAuthorized, parsed into m2m_sa.net_unauthorized) is observed: the
 *    KeID and its Enrolee-ID are recorded and the status handed to the CSE at once;
 *  - the CSE fetches nothing on its own otherwise (a session lives on with its key), so a thread
 *    of this process RETRIEVEs every recorded KeID again every interval (mef-cache-seconds, at
 *    least 1 s) over the MEF link, one at a time, each bounded by the link's deadline
 *    (psk-lookup-timeout-ms): a change at the MEF reaches the CSE within one interval plus one
 *    round. Never on a request loop: the loops only read the CSE's table (netauth.c);
 *  - a KeID the MEF no longer knows (revoked, expired: 4004/4103) leaves the table; the node's
 *    last status stays (it cannot authenticate any more anyway). A transient failure (MEF down,
 *    malformed answer) changes nothing: the last status the MEF gave stays until it answers;
 *  - the same for the B-TIDs of a CSE as NAF (cse_gba.c, one more table): the Zn answer
 *    (gbaNafKey, docs/procedures/gba.md "Zn") carries the GBA subscriber's status from the HSS
 *    and is re-fetched over the BSF link, every bsf-cache-seconds (at least 1 s);
 *  - at most CSE_NETAUTH_KEYS KeIDs: the oldest recorded is forgotten first (its node keeps its
 *    last status); nothing secret is kept (the re-fetched key is freed at once).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cse_netauth.h"
#include "m2msec/gba_zn.h"
#include "m2msec/log.h"
#include "m2msec/mem.h"

#define CSE_NETAUTH_KEYS 4096

struct rec {
	char keid[M2M_SA_ID_MAX];
	char eid[M2M_SA_ID_MAX];
	bool unauth;        /* the last status the MEF gave for it */
};

struct cse_netauth {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	m2mi_remote_link *link;
	m2m_cse *cse;       /* NULL until attached: statuses are then only recorded */
	struct rec *recs;
	size_t n;
	int interval_s;
	pthread_t th;
	bool th_started, stop;
	bool zn;            /* B-TIDs, re-fetched over Zn for naf (cse_netauth_new_zn) */
	m2mi_gba_naf naf;
	const char *peer;   /* "MEF" / "BSF", for the log */
};

struct cse_netauth *cse_netauth_new(void)
{
	struct cse_netauth *na = calloc(1, sizeof(*na));

	if (na == NULL || (na->recs = calloc(CSE_NETAUTH_KEYS, sizeof(*na->recs))) == NULL) {
		free(na);
		return NULL;
	}
	pthread_mutex_init(&na->mu, NULL);
	pthread_cond_init(&na->cv, NULL);
	na->peer = "MEF";
	return na;
}

struct cse_netauth *cse_netauth_new_zn(const m2mi_gba_naf *naf)
{
	struct cse_netauth *na = cse_netauth_new();

	if (na != NULL) {
		na->zn = true;
		na->naf = *naf;
		na->peer = "BSF";
	}
	return na;
}


static size_t find(const struct cse_netauth *na, const char *keid)
{
	for (size_t i = 0; i < na->n; i++)
		if (strcmp(na->recs[i].keid, keid) == 0)
			return i;
	return na->n;
}

static void forget(struct cse_netauth *na, size_t i)
{
	memmove(&na->recs[i], &na->recs[i + 1], (na->n - i - 1) * sizeof(*na->recs));
	na->n--;
}

/* Record what one fetch said; returns true when the node's status changed (a new node counts
 * as a change only when it is not authorized: "authorized" is every node's default). */
static bool record(struct cse_netauth *na, const char *key_id, m2m_err err, const m2m_sa *sa)
{
	bool changed = false;
	size_t i = find(na, key_id);

	if (err == M2M_OK && sa != NULL && sa->bound_id[0] != '\0') {
		if (i == na->n && na->n == CSE_NETAUTH_KEYS)
			forget(na, 0); /* the oldest recorded */
		if ((i = find(na, key_id)) == na->n) {
			i = na->n++;
			snprintf(na->recs[i].keid, sizeof(na->recs[i].keid), "%s", key_id);
			na->recs[i].unauth = false;
			na->recs[i].eid[0] = '\0';
		}
		changed = na->recs[i].unauth != sa->net_unauthorized || strcmp(na->recs[i].eid, sa->bound_id) != 0;
		changed = changed && (sa->net_unauthorized || na->recs[i].eid[0] != '\0');
		snprintf(na->recs[i].eid, sizeof(na->recs[i].eid), "%s", sa->bound_id);
		na->recs[i].unauth = sa->net_unauthorized;
	} else if ((err == M2M_E_NOT_FOUND || err == M2M_E_AUTH) && i < na->n) {
		forget(na, i);
	}
	return changed;
}

/* Hand one fetch's status to the CSE (once attached); log a change and a refusal. */
static void observed(struct cse_netauth *na, const char *key_id, m2m_err err, const m2m_sa *sa, bool handshake)
{
	m2m_cse *cse;
	bool changed;
	m2m_err r;

	pthread_mutex_lock(&na->mu);
	changed = record(na, key_id, err, sa);
	cse = na->cse;
	pthread_mutex_unlock(&na->mu);
	if (err != M2M_OK || sa == NULL || sa->bound_id[0] == '\0')
		return;
	if (cse != NULL && (r = m2m_cse_set_node_authorized(cse, sa->bound_id, !sa->net_unauthorized)) != M2M_OK)
		m2m_log(M2M_LOG_ERROR, "underlying network authorization of %s not recorded: %s", sa->bound_id,
			m2m_strerror(r));
	else if (changed)
		m2m_log(M2M_LOG_INFO, "underlying network authorization of %s: %s (%s the %s%s)", sa->bound_id,
			sa->net_unauthorized ? "no" : "yes", handshake ? "from" : "refreshed from", na->peer,
			handshake ? " at a handshake" : "");
}

void cse_netauth_observe(void *ctx, const char *key_id, m2m_err err, const m2m_key *key, const m2m_sa *sa)
{
	(void)key;
	if (ctx != NULL && key_id != NULL && strlen(key_id) < M2M_SA_ID_MAX)
		observed(ctx, key_id, err, sa, true);
}

/* Fetch keid again and apply what the MEF says now. */
static void refresh_one(struct cse_netauth *na, const char *keid)
{
	char path[M2M_GBA_ZN_PATH_MAX + 48], *body = NULL;
	size_t len = 0;
	int rsc = 0;
	m2m_key *key = NULL;
	m2m_sa sa;
	m2m_err r;

	if (na->zn && m2m_gba_zn_path(keid, na->naf.fqdn, na->naf.kind, path, sizeof(path)) != M2M_OK)
		return;
	if (!na->zn)
		snprintf(path, sizeof(path), "/fetchCredentials/%s/%d", keid, M2MI_MEF_SUID_SAEF);
	memset(&sa, 0, sizeof(sa));
	if (m2mi_remote_link_fetch_wait(na->link, path, &rsc, &body, &len) != 0)
		r = M2M_E_IO;
	else if (na->zn) /* the same SUID the NAF resolver binds (remote/gba_zn_rsp.c) */
		r = m2mi_gba_parse_zn_rsp(rsc, body, len, keid, M2MI_MEF_SUID_SAEF, (int64_t)time(NULL), &key, &sa);
	else
		r = m2mi_mef_parse_fetch_rsp(rsc, body, len, keid, M2MI_MEF_SUID_SAEF, (int64_t)time(NULL), &key,
					     &sa);
	m2m_key_free(key); /* only the status is wanted */
	if (body != NULL) {
		m2m_memzero(body, len); /* it held the credential */
		free(body);
	}
	if (r == M2M_OK || r == M2M_E_NOT_FOUND || r == M2M_E_AUTH)
		observed(na, keid, r, r == M2M_OK ? &sa : NULL, false);
	m2m_memzero(&sa, sizeof(sa));
}

static void *refresh(void *arg)
{
	struct cse_netauth *na = arg;
	char keid[M2M_SA_ID_MAX];

	pthread_mutex_lock(&na->mu);
	while (!na->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += na->interval_s;
		while (!na->stop && pthread_cond_timedwait(&na->cv, &na->mu, &ts) == 0)
			;
		/* one round over the KeIDs recorded now; the table may change between two fetches */
		for (size_t i = 0; !na->stop && i < na->n; i++) {
			snprintf(keid, sizeof(keid), "%s", na->recs[i].keid);
			pthread_mutex_unlock(&na->mu);
			refresh_one(na, keid);
			pthread_mutex_lock(&na->mu);
			if (i < na->n && strcmp(na->recs[i].keid, keid) != 0)
				i--; /* it was forgotten: the next one moved to i */
		}
	}
	pthread_mutex_unlock(&na->mu);
	return NULL;
}

int cse_netauth_start(struct cse_netauth *na, m2m_cse *cse, m2mi_remote_link *link, int interval_s)
{
	if (na == NULL)
		return 0;
	pthread_mutex_lock(&na->mu);
	na->cse = cse;
	na->link = link;
	na->interval_s = interval_s < 1 ? 1 : interval_s;
	pthread_mutex_unlock(&na->mu);
	if (pthread_create(&na->th, NULL, refresh, na) != 0)
		return -1;
	na->th_started = true;
	return 0;
}

void cse_netauth_stop(struct cse_netauth *na)
{
	if (na == NULL || !na->th_started)
		return;
	pthread_mutex_lock(&na->mu);
	na->stop = true;
	pthread_cond_signal(&na->cv);
	pthread_mutex_unlock(&na->mu);
	pthread_join(na->th, NULL);
	na->th_started = false;
}

void cse_netauth_free(struct cse_netauth *na)
{
	if (na == NULL)
		return;
	cse_netauth_stop(na);
	pthread_cond_destroy(&na->cv);
	pthread_mutex_destroy(&na->mu);
	free(na->recs);
	free(na);
}
