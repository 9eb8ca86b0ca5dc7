/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements random AEAD initialisation vectors drawn from a per-thread pool of
 * OpenSSL CSPRNG output (RAND_bytes), for the AES-GCM IV of every ESPrim object (TS-0003 clause
 * 8.4.3.2, RFC 7518 clause 5.3: a 96-bit random IV per encryption under a key). The pool exists
 * for speed only: each RAND_bytes call costs the DRBG a fixed re-keying (~2.5 µs on the reference
 * machine, as much as the AES-GCM of the object), so one call fills the IVs of 32 objects. The
 * bytes are the DRBG's, each handed out once; an IV is public, so the pool needs no clearing.
 * A fork must not let parent and child hand out the same bytes: the child's pool (only the
 * forking thread exists there) is discarded by an atfork handler. A raw clone(2) that bypasses
 * the atfork handlers would copy the pool, as it would copy any user-space random state.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/iv_pool.h"

#define POOL_LEN 384 /* 32 96-bit IVs */

static atomic_uint fork_gen;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static _Thread_local struct {
	uint8_t buf[POOL_LEN];
	size_t off;    /* bytes already handed out; POOL_LEN: empty */
	unsigned gen;  /* fork_gen when filled */
	bool filled;
} pool;

static void after_fork_child(void)
{
	atomic_fetch_add(&fork_gen, 1);
}

static void register_atfork(void)
{
	(void)pthread_atfork(NULL, NULL, after_fork_child);
}

bool m2mi_iv_random(uint8_t *iv, size_t n)
{
	unsigned gen;

	if (n == 0 || n > 16)
		return false;
	(void)pthread_once(&atfork_once, register_atfork);
	gen = atomic_load(&fork_gen);
	if (!pool.filled || pool.gen != gen || POOL_LEN - pool.off < n) {
		pool.filled = false;
		if (RAND_bytes(pool.buf, POOL_LEN) != 1)
			return false;
		pool.off = 0;
		pool.gen = gen;
		pool.filled = true;
	}
	memcpy(iv, pool.buf + pool.off, n);
	memset(pool.buf + pool.off, 0, n); /* handed out once: not kept in the pool */
	pool.off += n;
	return true;
}
