/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the token minter of bench/das: COUNT distinct ES256 tokens (TS-0003 clause
 * 7.3.2.6, the claim set `m2msec das token issue` writes: tkvr, jti, iss, azp, nbf, exp, aud, and
 * tkps {pm:[{ris:[RESOURCE], pv:{acr:[{acor:[HOLDER], acop:OP}]}}]}), one per line on stdout, each
 * with its own random jti, so each has its own digest in the CSE's verified-token cache. The
 * cold measurement of bench/das needs more tokens than the cache holds; the CLI issues one per
 * process (about 20 ms each), this signs them in one process with the library's issuer
 * (m2m_token_sign), so the tokens are the DAS's, not a second JOSE implementation's.
 * Usage: bench_mint --key PEM --cert PEM --issuer ID --holder ID --audience CSE-ID
 *                   --resource ID --op ACOP --lifetime S --count N
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "m2msec/mem.h"
#include "m2msec/token.h"

#define PROG "bench_mint"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, PROG ": cannot read %s\n", path);
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	if (f != NULL)
		fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"key", required_argument, NULL, 'k'},	    {"cert", required_argument, NULL, 'c'},
		{"issuer", required_argument, NULL, 'i'},   {"holder", required_argument, NULL, 'H'},
		{"audience", required_argument, NULL, 'a'}, {"resource", required_argument, NULL, 'r'},
		{"op", required_argument, NULL, 'o'},	    {"lifetime", required_argument, NULL, 'l'},
		{"count", required_argument, NULL, 'n'},    {NULL, 0, NULL, 0},
	};
	const char *keyf = NULL, *certf = NULL, *iss = NULL, *holder = NULL, *aud = NULL, *res = NULL;
	long op = 0, lifetime = 0, count = 0;
	char *kp, *cp, pv[1024], *fqdn_end;
	size_t klen = 0, clen = 0;
	m2m_token_signer *s = NULL;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': keyf = optarg; break;
		case 'c': certf = optarg; break;
		case 'i': iss = optarg; break;
		case 'H': holder = optarg; break;
		case 'a': aud = optarg; break;
		case 'r': res = optarg; break;
		case 'o': op = strtol(optarg, NULL, 10); break;
		case 'l': lifetime = strtol(optarg, NULL, 10); break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		default: fputs("usage: see the header of bench/bench_mint.c\n", stderr); return 2;
		}
	}
	if (!keyf || !certf || !iss || !holder || !aud || !res || op < 1 || op > 63 || lifetime < 1 || count < 1 ||
	    strncmp(iss, "//", 2) != 0 || (fqdn_end = strchr(iss + 2, '/')) == NULL) {
		fputs(PROG ": every option is required (--issuer an absolute //FQDN/... AE-ID; --op 1..63)\n", stderr);
		return 2;
	}
	if ((kp = slurp(keyf, &klen)) == NULL || (cp = slurp(certf, &clen)) == NULL)
		return 1;
	if (m2m_token_signer_new(kp, klen, cp, clen, &s) != M2M_OK) {
		fprintf(stderr, PROG ": %s / %s: not a usable signing key and certificate\n", keyf, certf);
		return 1;
	}
	m2m_memzero(kp, klen);
	snprintf(pv, sizeof(pv), "{\"acr\":[{\"acor\":[\"%s\"],\"acop\":%ld}]}", holder, op);

	char fqdn[256];
	snprintf(fqdn, sizeof(fqdn), "%.*s", (int)(fqdn_end - iss - 2), iss + 2);
	const char *const auds[] = {aud}, *const ris[] = {res};
	m2m_token_perm perm = {.ris = ris, .nris = 1, .pv_json = pv};
	int64_t now = (int64_t)time(NULL);
	for (long i = 0; i < count && rc == 0; i++) {
		uint8_t rnd[16];
		char jti[300], *tok = NULL;
		m2m_token_claims cl = {.version = "1", .token_id = jti, .issuer = iss, .holder = holder,
				       .not_before = now, .not_after = now + lifetime, .audience = auds,
				       .naudience = 1, .perms = &perm, .nperms = 1, .has_perms = true};
		if (RAND_bytes(rnd, sizeof(rnd)) != 1 || m2m_token_format_id(rnd, fqdn, jti, sizeof(jti)) != M2M_OK ||
		    m2m_token_sign(&cl, s, &tok) != M2M_OK) {
			fprintf(stderr, PROG ": token %ld could not be issued\n", i + 1);
			rc = 1;
		} else if (puts(tok) < 0) {
			rc = 1;
		}
		free(tok);
	}
	m2m_token_signer_free(s);
	free(kp);
	free(cp);
	return rc;
}
