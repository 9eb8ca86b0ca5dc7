/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the computations of HTTP Digest AKA (RFC 3310) on the GBA Ub reference
 * point (3GPP TS 33.220 clause 4.5.2; TS-0003 clause 8.3.2.3): the nonce base64(RAND || AUTN ||
 * server data) of RFC 3310 clause 3.2, the request-digest of RFC 2617 clause 3.2.2.1 with
 * algorithm AKAv1-MD5 (password = RES as raw octets, RFC 3310 clause 3.4; empty with auts, clause
 * 3.5), its constant-time verification, and the formatting of both headers with every quoted
 * value escaped. MD5 comes from OpenSSL EVP only because RFC 3310 mandates it for AKAv1; Ub runs
 * over server-authenticated TLS. The parser is in core/digest_parse.c. Pure: no I/O.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/b64_int.h"
#include "m2msec/digest_aka.h"
#include "m2msec/hex.h"
#include "m2msec/mem.h"

#define RA_LEN (M2M_MILENAGE_RAND_LEN + M2M_AKA_AUTN_LEN)

m2m_err m2m_digest_aka_nonce(const uint8_t rand[M2M_MILENAGE_RAND_LEN], const uint8_t autn[M2M_AKA_AUTN_LEN],
			     const uint8_t *server_data, size_t sd_len, char *out, size_t cap)
{
	uint8_t buf[RA_LEN + M2M_DIGEST_SERVER_DATA_MAX];

	if (rand == NULL || autn == NULL || out == NULL || (server_data == NULL && sd_len > 0))
		return M2M_E_INVAL;
	if (sd_len > M2M_DIGEST_SERVER_DATA_MAX)
		return M2M_E_TOO_LARGE;
	memcpy(buf, rand, M2M_MILENAGE_RAND_LEN);
	memcpy(buf + M2M_MILENAGE_RAND_LEN, autn, M2M_AKA_AUTN_LEN);
	if (sd_len > 0)
		memcpy(buf + RA_LEN, server_data, sd_len);
	return m2mi_b64_encode(buf, RA_LEN + sd_len, out, cap);
}

m2m_err m2m_digest_aka_nonce_split(const char *nonce, uint8_t rand[M2M_MILENAGE_RAND_LEN],
				   uint8_t autn[M2M_AKA_AUTN_LEN], uint8_t *server_data, size_t sd_cap,
				   size_t *sd_len)
{
	uint8_t buf[RA_LEN + M2M_DIGEST_SERVER_DATA_MAX];
	size_t n = 0, l;

	if (sd_len != NULL)
		*sd_len = 0;
	if (nonce == NULL || rand == NULL || autn == NULL || sd_len == NULL)
		return M2M_E_INVAL;
	if ((l = strnlen(nonce, M2M_DIGEST_NONCE_MAX + 1)) > M2M_DIGEST_NONCE_MAX)
		return M2M_E_PROTO;
	if (m2mi_b64_decode(nonce, l, buf, sizeof(buf), &n) != M2M_OK || n < RA_LEN)
		return M2M_E_PROTO;
	/* server data is returned only when asked for (server_data not NULL) */
	if (server_data != NULL && sd_cap < n - RA_LEN)
		return M2M_E_RANGE;
	memcpy(rand, buf, M2M_MILENAGE_RAND_LEN);
	memcpy(autn, buf + M2M_MILENAGE_RAND_LEN, M2M_AKA_AUTN_LEN);
	if (server_data != NULL && n > RA_LEN)
		memcpy(server_data, buf + RA_LEN, n - RA_LEN);
	*sd_len = n - RA_LEN;
	return M2M_OK;
}

/* MD5 over the parts (NULL-terminated list of (ptr, len) pairs), as lowercase hex. */
struct part {
	const void *p;
	size_t n;
};

static m2m_err md5_hex(const struct part *parts, size_t count, char out[M2M_DIGEST_RESPONSE_LEN + 1])
{
	/* RFC 3310 clause 3.1 fixes MD5 for AKAv1-MD5; fetched through EVP, never hand-rolled. */
	EVP_MD *md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t dig[16];
	unsigned int dl = 0;
	m2m_err r = M2M_E_CRYPTO;

	if (md5 != NULL && ctx != NULL && EVP_DigestInit_ex2(ctx, md5, NULL) == 1) {
		size_t i;

		for (i = 0; i < count; i++)
			if (parts[i].n > 0 && EVP_DigestUpdate(ctx, parts[i].p, parts[i].n) != 1)
				break;
		if (i == count && EVP_DigestFinal_ex(ctx, dig, &dl) == 1 && dl == 16)
			r = m2m_hex_encode(dig, 16, false, out, M2M_DIGEST_RESPONSE_LEN + 1);
	}
	m2m_memzero(dig, sizeof(dig));
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md5);
	return r;
}

#define S(x) {(x), strlen(x)}
#define COLON {":", 1}

m2m_err m2m_digest_aka_response(const char *username, const char *realm, const uint8_t *password, size_t pw_len,
				const char *method, const char *uri, const char *nonce, const char *nc,
				const char *cnonce, const char *qop, char out[M2M_DIGEST_RESPONSE_LEN + 1])
{
	char ha1[M2M_DIGEST_RESPONSE_LEN + 1], ha2[M2M_DIGEST_RESPONSE_LEN + 1];
	bool with_qop = qop != NULL && qop[0] != '\0';
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	out[0] = '\0';
	if (username == NULL || realm == NULL || method == NULL || uri == NULL || nonce == NULL ||
	    (password == NULL && pw_len > 0) || pw_len > 16 || method[0] == '\0')
		return M2M_E_INVAL;
	if (with_qop && (strcmp(qop, "auth") != 0 || nc == NULL || cnonce == NULL)) /* public: token */
		return qop != NULL && strcmp(qop, "auth") != 0 ? M2M_E_UNSUPPORTED : M2M_E_INVAL;
	{
		const struct part a1[] = {S(username), COLON, S(realm), COLON, {password, pw_len}};
		const struct part a2[] = {S(method), COLON, S(uri)};

		if ((r = md5_hex(a1, 5, ha1)) != M2M_OK || (r = md5_hex(a2, 3, ha2)) != M2M_OK)
			goto out;
	}
	if (with_qop) {
		const struct part kd[] = {{ha1, 32}, COLON, S(nonce), COLON, S(nc),  COLON,
					  S(cnonce), COLON, S(qop),   COLON, {ha2, 32}};
		r = md5_hex(kd, 11, out);
	} else {
		const struct part kd[] = {{ha1, 32}, COLON, S(nonce), COLON, {ha2, 32}};
		r = md5_hex(kd, 5, out);
	}
out:
	/* HA1 is a password equivalent */
	m2m_memzero(ha1, sizeof(ha1));
	m2m_memzero(ha2, sizeof(ha2));
	return r;
}

m2m_err m2m_digest_aka_verify(const m2m_digest *cred, const char *method, const uint8_t *xres, size_t xres_len)
{
	char want[M2M_DIGEST_RESPONSE_LEN + 1];
	m2m_err r;

	if (cred == NULL || method == NULL || (cred->present & M2M_DIGEST_HAS_RESPONSE) == 0)
		return M2M_E_INVAL;
	/* RFC 3310 clause 3.5: a resynchronisation request is signed with the empty password */
	if (cred->present & M2M_DIGEST_HAS_AUTS)
		xres = NULL, xres_len = 0;
	else if (xres == NULL || xres_len == 0)
		return M2M_E_INVAL;
	r = m2m_digest_aka_response(cred->username, cred->realm, xres, xres_len, method, cred->uri, cred->nonce,
				    cred->nc, cred->cnonce, cred->qop, want);
	if (r == M2M_OK && strlen(cred->response) == M2M_DIGEST_RESPONSE_LEN)
		r = m2m_ct_eq(want, cred->response, M2M_DIGEST_RESPONSE_LEN) ? M2M_OK : M2M_E_AUTH;
	else if (r == M2M_OK)
		r = M2M_E_AUTH;
	m2m_memzero(want, sizeof(want));
	return r;
}

/* Append text to out at *n; M2M_E_RANGE when it does not fit. */
static m2m_err put(char *out, size_t cap, size_t *n, const char *s)
{
	size_t l = strlen(s);

	if (*n + l + 1 > cap)
		return M2M_E_RANGE;
	memcpy(out + *n, s, l + 1);
	*n += l;
	return M2M_OK;
}

/* Append name="value" with '"' and '\' escaped; control or non-ASCII octets are refused. */
static m2m_err put_quoted(char *out, size_t cap, size_t *n, const char *sep, const char *name, const char *v)
{
	m2m_err r;

	if (v == NULL)
		return M2M_E_INVAL;
	if ((r = put(out, cap, n, sep)) != M2M_OK || (r = put(out, cap, n, name)) != M2M_OK ||
	    (r = put(out, cap, n, "=\"")) != M2M_OK)
		return r;
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		char e[3] = {'\\', (char)*p, '\0'};

		if (*p != '\t' && (*p < 0x20 || *p > 0x7e))
			return M2M_E_INVAL;
		if ((r = put(out, cap, n, (*p == '"' || *p == '\\') ? e : e + 1)) != M2M_OK)
			return r;
	}
	return put(out, cap, n, "\"");
}

m2m_err m2m_digest_format_challenge(const char *realm, const char *nonce, const char *opaque, bool stale,
				    char *out, size_t cap)
{
	size_t n = 0;
	m2m_err r;

	if (out == NULL || cap == 0)
		return M2M_E_INVAL;
	out[0] = '\0';
	if (realm == NULL || nonce == NULL || realm[0] == '\0' || nonce[0] == '\0')
		return M2M_E_INVAL;
	if ((r = put(out, cap, &n, "Digest")) != M2M_OK || (r = put_quoted(out, cap, &n, " ", "realm", realm)) != M2M_OK ||
	    (r = put_quoted(out, cap, &n, ", ", "nonce", nonce)) != M2M_OK ||
	    (r = put(out, cap, &n, ", algorithm=" M2M_DIGEST_ALGORITHM ", qop=\"auth\"")) != M2M_OK ||
	    (opaque != NULL && (r = put_quoted(out, cap, &n, ", ", "opaque", opaque)) != M2M_OK) ||
	    (stale && (r = put(out, cap, &n, ", stale=true")) != M2M_OK))
		out[0] = '\0';
	return r;
}

m2m_err m2m_digest_format_credentials(const m2m_digest *d, char *out, size_t cap)
{
	size_t n = 0;
	m2m_err r;

	if (out == NULL || cap == 0)
		return M2M_E_INVAL;
	out[0] = '\0';
	if (d == NULL || d->username[0] == '\0' || d->realm[0] == '\0' || d->nonce[0] == '\0' || d->uri[0] == '\0' ||
	    strlen(d->response) != M2M_DIGEST_RESPONSE_LEN || strlen(d->nc) != 8 || d->cnonce[0] == '\0')
		return M2M_E_INVAL;
	if ((r = put(out, cap, &n, "Digest")) != M2M_OK ||
	    (r = put_quoted(out, cap, &n, " ", "username", d->username)) != M2M_OK ||
	    (r = put_quoted(out, cap, &n, ", ", "realm", d->realm)) != M2M_OK ||
	    (r = put_quoted(out, cap, &n, ", ", "nonce", d->nonce)) != M2M_OK ||
	    (r = put_quoted(out, cap, &n, ", ", "uri", d->uri)) != M2M_OK ||
	    (r = put_quoted(out, cap, &n, ", ", "response", d->response)) != M2M_OK ||
	    (r = put(out, cap, &n, ", algorithm=" M2M_DIGEST_ALGORITHM ", qop=auth, nc=")) != M2M_OK ||
	    (r = put(out, cap, &n, d->nc)) != M2M_OK || (r = put_quoted(out, cap, &n, ", ", "cnonce", d->cnonce)) != M2M_OK ||
	    (d->opaque[0] != '\0' && (r = put_quoted(out, cap, &n, ", ", "opaque", d->opaque)) != M2M_OK) ||
	    (d->auts[0] != '\0' && (r = put_quoted(out, cap, &n, ", ", "auts", d->auts)) != M2M_OK))
		out[0] = '\0';
	return r;
}
