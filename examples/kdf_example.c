/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the example of docs/install.md: a program that knows only the installed
 * library (`cc kdf_example.c $(pkg-config --cflags --libs m2msec)`). It reads Ke as hex from
 * standard input (a key never goes on a command line), derives Km for a MAF-ID (TS-0003 clause
 * 10.3.2) and prints it as lowercase hex, exactly as `m2msec key derive km --ke - --maf-id ID`.
 * usage: kdf_example MAF-ID < ke.hex
 */
#include <stdio.h>
#include <string.h>
#include <m2msec/hex.h>
#include <m2msec/kdf.h>
#include <m2msec/mem.h>

int main(int argc, char **argv)
{
	char hex[80] = "", out[65];
	uint8_t ke_bytes[32];
	size_t n = 0, km_len = 0;
	m2m_key *ke = NULL, *km = NULL;
	m2m_kdf *kdf = NULL;
	m2m_err err;
	int rc = 1;

	if (argc != 2 || fgets(hex, sizeof(hex), stdin) == NULL ||
	    m2m_hex_decode(hex, strcspn(hex, "\r\n"), ke_bytes, sizeof(ke_bytes), &n) != M2M_OK || n != 32) {
		fputs("usage: kdf_example MAF-ID < ke.hex   (Ke: 32 bytes as hex)\n", stderr);
		return 2;
	}
	err = m2m_key_new(ke_bytes, n, &ke);
	m2m_memzero(ke_bytes, sizeof(ke_bytes));
	m2m_memzero(hex, sizeof(hex));
	if (err == M2M_OK)
		err = m2m_kdf_new(&kdf);
	if (err == M2M_OK)
		err = m2m_kdf_km(kdf, ke, argv[1], &km);
	if (err == M2M_OK) {
		const uint8_t *km_bytes = m2m_key_bytes(km, &km_len); /* sets km_len: read it after */

		err = m2m_hex_encode(km_bytes, km_len, false, out, sizeof(out));
	}
	if (err == M2M_OK) {
		puts(out);
		m2m_memzero(out, sizeof(out));
		rc = 0;
	} else {
		fprintf(stderr, "kdf_example: %s (%s)\n", m2m_strerror(err), m2m_errname(err));
	}
	m2m_key_free(km);
	m2m_key_free(ke);
	m2m_kdf_free(kdf);
	return rc;
}
