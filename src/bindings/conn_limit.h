/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of bindings/conn_limit.c: the connection caps of the HTTP
 * server (docs/http-binding.md, "Connection limits"), one process-wide count and one count per
 * source address, shared by every event-loop thread.
 */
#ifndef M2M_BINDINGS_CONN_LIMIT_H
#define M2M_BINDINGS_CONN_LIMIT_H

#include <stdint.h>
#include <sys/socket.h>

#include "m2msec/err.h"

typedef struct m2mi_conn_limit m2mi_conn_limit;

typedef enum m2mi_conn_verdict {
	M2MI_CONN_ADMIT = 0,
	M2MI_CONN_OVER_TOTAL,   /* max_total connections are open */
	M2MI_CONN_OVER_ADDRESS, /* max_per_address connections from this address are open */
} m2mi_conn_verdict;

/* Caps >= 1; max_per_address is clamped to max_total. */
M2M_WUR m2m_err m2mi_conn_limit_new(size_t max_total, size_t max_per_address, m2mi_conn_limit **out);
void m2mi_conn_limit_free(m2mi_conn_limit *l);
/*
 * Count one more connection from ip (family 4: 4 bytes, 6: 16 bytes, anything else: one shared
 * "unknown" address) unless a cap is reached. IPv6 addresses count per /64, the smallest prefix
 * one subscriber gets. Only an ADMIT must be released, with the same address.
 */
m2mi_conn_verdict m2mi_conn_limit_acquire(m2mi_conn_limit *l, int family, const uint8_t *ip);
void m2mi_conn_limit_release(m2mi_conn_limit *l, int family, const uint8_t *ip);
/* The source address of a peer as the bindings carry it (m2m_request ip_family/ip for acip,
 * TS-0003 clause 7.1.2, and the caps above): 4 or 6, IPv4-mapped IPv6 as 4; family 0 (unknown)
 * for another address family or NULL. The one conversion for every binding. */
void m2mi_addr_from_sockaddr(const struct sockaddr *sa, int *family, uint8_t ip[16]);
/* Open connections in total, and from ip's address (or /64). */
size_t m2mi_conn_limit_total(m2mi_conn_limit *l);
size_t m2mi_conn_limit_of(m2mi_conn_limit *l, int family, const uint8_t *ip);

#endif
