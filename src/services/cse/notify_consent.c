/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the notifier's memory of consent (TS-0004 clause 7.5.1.2.3 applied to
 * pointOfAccess-derived targets, docs/resources.md section 8): which URL answered a
 * verification request with 2xxx for which subscription. A notification to an AE's poa that has
 * no such answer yet is preceded by one (notify_q.c). Bounded: at NQ_VERIFIED_MAX entries the
 * memory is cleared (forgetting only costs another verification request). Notifier thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/cse/notify_q_int.h"

void m2mi_nq_seen_clear(m2mi_notifier *n)
{
	for (size_t b = 0; b < NQ_BUCKETS; b++)
		while (n->seen[b] != NULL) {
			nq_seen *e = n->seen[b];
			n->seen[b] = e->next;
			free(e);
		}
	n->nseen = 0;
}

/* Consent is per subscription and URL: "<sur> <url>" (a URL one subscription's target accepted
 * does not receive another subscription's notifications unasked). */
bool m2mi_nq_seen_key(const char *sur, const char *url, char *key, size_t cap)
{
	return snprintf(key, cap, "%s %s", sur ? sur : "", url) < (int)cap;
}

bool m2mi_nq_seen_has(m2mi_notifier *n, const char *sur, const char *url)
{
	char key[2400];

	if (!m2mi_nq_seen_key(sur, url, key, sizeof(key)))
		return false;
	for (nq_seen *e = n->seen[m2mi_nq_hash(key)]; e != NULL; e = e->next)
		if (strcmp(e->url, key) == 0)
			return true;
	return false;
}

void m2mi_nq_seen_add(m2mi_notifier *n, const char *sur, const char *url)
{
	char key[2400];
	size_t len;
	nq_seen *e;

	if (!m2mi_nq_seen_key(sur, url, key, sizeof(key)) || m2mi_nq_seen_has(n, sur, url))
		return;
	if (n->nseen >= NQ_VERIFIED_MAX)
		m2mi_nq_seen_clear(n); /* forgetting only costs a new verification request */
	len = strlen(key);
	if ((e = malloc(sizeof(*e) + len + 1)) == NULL)
		return;
	memcpy(e->url, key, len + 1);
	e->next = n->seen[m2mi_nq_hash(key)];
	n->seen[m2mi_nq_hash(key)] = e;
	n->nseen++;
}

