/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the helpers every load client under bench/ shares (bench_tlsclient,
 * bench_dtls, bench_mef): the monotonic clock, the sort order of latency samples, the TLS-PSK
 * client callback's copy of identity and key, and the printing of OpenSSL's error queue. Header
 * only: each client is one executable built from one .c file.
 */
#ifndef M2M_BENCH_COMMON_H
#define M2M_BENCH_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* qsort order of uint32_t latency samples */
static inline int bench_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The body of an OpenSSL PSK client callback: id and key into its buffers, 0 when they do not fit. */
static inline unsigned int bench_psk_copy(const char *id, const uint8_t *key, size_t key_len, char *identity,
					  unsigned int max_identity_len, unsigned char *psk, unsigned int max_psk_len)
{
	size_t n = strlen(id);

	if (n + 1 > max_identity_len || key_len > max_psk_len)
		return 0;
	memcpy(identity, id, n + 1);
	memcpy(psk, key, key_len);
	return (unsigned int)key_len;
}

/* "prog: what: <each queued OpenSSL error>", or errno / none_text when the queue is empty. */
static inline void bench_ssl_errors(const char *prog, const char *what, const char *none_text)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e == 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, what, errno ? strerror(errno) : none_text);
		return;
	}
	for (; e != 0; e = ERR_get_error()) {
		ERR_error_string_n(e, buf, sizeof(buf));
		fprintf(stderr, "%s: %s: %s\n", prog, what, buf);
	}
}

#endif
