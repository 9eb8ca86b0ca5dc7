/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE's view of the underlying-network authorization of the nodes it
 * delivers to (docs/procedures/mef.md "Underlying-network authorization"): the answer to the 3GPP
 * liaison of the seed on Communication Management and Delivery Handling (TS-0001 clause 6.2.2:
 * the CMDH CSF decides when and whether a communication can be delivered; an Underlying Network
 * may know that a device cannot be reached). The MEF hands the status with the credential
 * (fetchCredentials "networkAuthorized", m2m_sa.net_unauthorized); the service shell tells the
 * CSE (m2m_cse_set_node_authorized) at the handshake's fetch and at every refresh. Rules:
 *  - only "not authorized" is kept, per Enrolee-ID (the bound identity of the node's
 *    associations: an AE-ID or a CSE-ID), in its absolute form (m2m_originator_forms), so the
 *    MEF's "Cdev1", a creator "//sp/id-in/Cdev1" and an aei "Cdev1" are the same node; no entry
 *    = authorized or no statement, so a CSE without a MEF delivers as before;
 *  - the table is bounded (NETAUTH_MAX): when it is full a further "not authorized" is refused
 *    (M2M_E_RANGE, the caller logs it) and the node stays deliverable — delivery handling is not
 *    an access decision, and refusing memory growth must not stop every node;
 *  - a delivery skipped for this reason is counted (m2m_cse_undelivered_unauthorized) and logged
 *    by the caller without any key material.
 * One mutex; lookups are a linear scan of the few unauthorized nodes (never on the request path
 * for a CSE without them: the slot does not exist until the first statement).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "services/cse/cse_int.h"

#define NETAUTH_MAX 4096

struct m2mi_netauth {
	pthread_mutex_t mu;
	char (*ids)[M2M_SA_ID_MAX]; /* the nodes not authorized */
	size_t n, cap;
	uint64_t undelivered;
};

static pthread_mutex_t slot_init = PTHREAD_MUTEX_INITIALIZER;

/* The CSE's table; created by the first statement (create). Read without the global lock: the
 * pointer is published once, fully initialised, with release/acquire ordering. */
static struct m2mi_netauth *slot(m2m_cse *cse, bool create)
{
	struct m2mi_netauth *na = __atomic_load_n(&cse->netauth, __ATOMIC_ACQUIRE);

	if (na != NULL || !create)
		return na;
	pthread_mutex_lock(&slot_init);
	if ((na = cse->netauth) == NULL && (na = calloc(1, sizeof(*na))) != NULL) {
		pthread_mutex_init(&na->mu, NULL);
		__atomic_store_n(&cse->netauth, na, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&slot_init);
	return na;
}

/* The absolute form of id into out; false when id is no AE-ID / CSE-ID. */
static bool absolute(m2m_cse *cse, const char *id, char out[M2M_SA_ID_MAX])
{
	m2m_origin_forms f;

	if (m2m_originator_forms(&cse->octx, id, &f) != M2M_OK || strlen(f.absolute) >= M2M_SA_ID_MAX)
		return false;
	memcpy(out, f.absolute, strlen(f.absolute) + 1);
	return true;
}

static size_t find(const struct m2mi_netauth *na, const char *id)
{
	for (size_t i = 0; i < na->n; i++)
		if (strcmp(na->ids[i], id) == 0)
			return i;
	return na->n;
}

m2m_err m2m_cse_set_node_authorized(m2m_cse *cse, const char *node_id, bool authorized)
{
	struct m2mi_netauth *na;
	char abs[M2M_SA_ID_MAX];
	m2m_err r = M2M_OK;
	size_t i;

	if (cse == NULL || node_id == NULL || node_id[0] == '\0' || strlen(node_id) >= M2M_SA_ID_MAX ||
	    !absolute(cse, node_id, abs))
		return M2M_E_INVAL;
	node_id = abs;
	if ((na = slot(cse, !authorized)) == NULL)
		return authorized ? M2M_OK : M2M_E_NOMEM;
	pthread_mutex_lock(&na->mu);
	i = find(na, node_id);
	if (authorized) {
		if (i < na->n) {
			na->n--;
			if (i != na->n)
				memcpy(na->ids[i], na->ids[na->n], M2M_SA_ID_MAX);
		}
	} else if (i == na->n) {
		if (na->n == na->cap) {
			size_t nc = na->cap ? na->cap * 2 : 16;
			void *p = nc > NETAUTH_MAX ? NULL : realloc(na->ids, nc * sizeof(*na->ids));
			if (p == NULL)
				r = nc > NETAUTH_MAX ? M2M_E_RANGE : M2M_E_NOMEM;
			else {
				na->ids = p;
				na->cap = nc;
			}
		}
		if (r == M2M_OK)
			memcpy(na->ids[na->n++], node_id, strlen(node_id) + 1);
	}
	pthread_mutex_unlock(&na->mu);
	return r;
}

bool m2mi_cse_node_reachable(m2m_cse *cse, const char *node_id)
{
	struct m2mi_netauth *na;
	char abs[M2M_SA_ID_MAX];
	bool ok;

	if (cse == NULL || node_id == NULL || (na = slot(cse, false)) == NULL)
		return true; /* no statement about any node */
	if (!absolute(cse, node_id, abs))
		return true; /* no AE-ID / CSE-ID: no node the MEF can have named */
	node_id = abs;
	pthread_mutex_lock(&na->mu);
	ok = find(na, node_id) == na->n;
	pthread_mutex_unlock(&na->mu);
	return ok;
}

uint64_t m2mi_cse_note_undelivered(m2m_cse *cse)
{
	struct m2mi_netauth *na = cse ? slot(cse, false) : NULL;
	uint64_t n;

	if (na == NULL)
		return 0;
	pthread_mutex_lock(&na->mu);
	n = ++na->undelivered;
	pthread_mutex_unlock(&na->mu);
	return n;
}

uint64_t m2m_cse_undelivered_unauthorized(m2m_cse *cse)
{
	struct m2mi_netauth *na = cse ? slot(cse, false) : NULL;
	uint64_t n;

	if (na == NULL)
		return 0;
	pthread_mutex_lock(&na->mu);
	n = na->undelivered;
	pthread_mutex_unlock(&na->mu);
	return n;
}

void m2mi_netauth_free(struct m2mi_netauth *na)
{
	if (na == NULL)
		return;
	pthread_mutex_destroy(&na->mu);
	free(na->ids);
	free(na);
}
