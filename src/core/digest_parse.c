/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the strict parser of HTTP Digest header values for Digest AKA on the GBA
 * Ub reference point (RFC 3310, 3GPP TS 33.220 clause 4.5.2, TS-0003 clause 8.3.2.3). Grammar
 * (RFC 7235 clause 2.1, RFC 7230 clauses 3.2.3 and 3.2.6):
 *   value      = "Digest" 1*SP auth-param *( OWS "," OWS auth-param )
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *   quoted-string = DQUOTE *( qdtext / "\" ( HTAB / SP / VCHAR ) ) DQUOTE
 * The input is untrusted (it comes from the network on both ends of Ub), so: a hard length
 * bound, a bound on the number of parameters, no control characters and no octets above 0x7e
 * (obs-text is refused: every Ub value is ASCII), every parameter at most once (a duplicate could
 * make two implementations see two different values), values bounded by their field, and the
 * semantic checks of RFC 7616 / RFC 3310 after the syntax. Fuzzed by fuzz/fuzz_digest_aka.c.
 */
#include <string.h>
#include <strings.h>

#include "core/b64_int.h"
#include "m2msec/digest_aka.h"
#include "m2msec/mem.h"

struct field {
	const char *name;
	unsigned bit;
	size_t off, cap;
};

#define F(n, b, m) {n, b, offsetof(m2m_digest, m), sizeof(((m2m_digest *)0)->m)}
static const struct field fields[] = {
	F("username", M2M_DIGEST_HAS_USERNAME, username), F("realm", M2M_DIGEST_HAS_REALM, realm),
	F("nonce", M2M_DIGEST_HAS_NONCE, nonce),          F("uri", M2M_DIGEST_HAS_URI, uri),
	F("response", M2M_DIGEST_HAS_RESPONSE, response), F("algorithm", M2M_DIGEST_HAS_ALGORITHM, algorithm),
	F("cnonce", M2M_DIGEST_HAS_CNONCE, cnonce),       F("nc", M2M_DIGEST_HAS_NC, nc),
	F("opaque", M2M_DIGEST_HAS_OPAQUE, opaque),       F("domain", M2M_DIGEST_HAS_DOMAIN, domain),
	F("auts", M2M_DIGEST_HAS_AUTS, auts),
};
#undef F

/* tchar of RFC 7230 clause 3.2.6 */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

struct cursor {
	const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && is_ws(*c->p))
		c->p++;
}

/* token: [start, *n) */
static m2m_err take_token(struct cursor *c, const char **start, size_t *n)
{
	*start = c->p;
	while (c->p < c->end && is_tchar((unsigned char)*c->p))
		c->p++;
	*n = (size_t)(c->p - *start);
	return *n > 0 ? M2M_OK : M2M_E_PROTO;
}

/* A value (token or quoted-string), unescaped into buf[cap] (NUL-terminated). */
static m2m_err take_value(struct cursor *c, char *buf, size_t cap, bool *quoted)
{
	size_t n = 0;

	*quoted = c->p < c->end && *c->p == '"';
	if (!*quoted) {
		const char *s;
		size_t l;

		if (take_token(c, &s, &l) != M2M_OK)
			return M2M_E_PROTO;
		if (l >= cap)
			return M2M_E_PROTO;
		memcpy(buf, s, l);
		buf[l] = '\0';
		return M2M_OK;
	}
	c->p++;
	for (;;) {
		unsigned char ch;

		if (c->p >= c->end)
			return M2M_E_PROTO; /* unterminated */
		ch = (unsigned char)*c->p++;
		if (ch == '"')
			break;
		if (ch == '\\') {
			if (c->p >= c->end)
				return M2M_E_PROTO;
			ch = (unsigned char)*c->p++;
		}
		/* qdtext / quoted-pair octets: HTAB, SP, VCHAR; no CTL, no obs-text */
		if (ch != '\t' && (ch < 0x20 || ch > 0x7e))
			return M2M_E_PROTO;
		if (n + 1 >= cap)
			return M2M_E_PROTO;
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	return M2M_OK;
}

static bool all_hex(const char *s, size_t n, bool lower_only)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (!lower_only && ch >= 'A' && ch <= 'F');
		if (!ok)
			return false;
	}
	return s[n] == '\0';
}

/* qop: in a challenge a quoted comma list that must offer "auth"; in credentials the token "auth". */
static m2m_err set_qop(m2m_digest *d, const char *v, m2m_digest_kind kind)
{
	if (kind == M2M_DIGEST_CREDENTIALS) {
		if (strcmp(v, "auth") != 0) /* public: protocol token */
			return M2M_E_UNSUPPORTED;
	} else {
		bool found = false;
		const char *p = v;

		while (*p != '\0') {
			size_t n = strcspn(p, ",");
			const char *s = p, *e = p + n;

			while (s < e && is_ws(*s))
				s++;
			while (e > s && is_ws(e[-1]))
				e--;
			if (e == s)
				return M2M_E_PROTO;
			for (const char *q = s; q < e; q++)
				if (!is_tchar((unsigned char)*q))
					return M2M_E_PROTO;
			if ((size_t)(e - s) == 4 && memcmp(s, "auth", 4) == 0) /* public: protocol token */
				found = true;
			p += n;
			if (*p == ',' && *++p == '\0')
				return M2M_E_PROTO;
		}
		if (!found)
			return M2M_E_UNSUPPORTED;
	}
	memcpy(d->qop, "auth", 5);
	return M2M_OK;
}

/* TS 24.109 clause 5.2.1: the first request names the IMPI and carries no answer yet. */
static m2m_err initial_ok(const m2m_digest *d)
{
	const unsigned need = M2M_DIGEST_HAS_USERNAME | M2M_DIGEST_HAS_REALM | M2M_DIGEST_HAS_URI;

	if ((d->present & need) != need || d->username[0] == '\0' || d->realm[0] == '\0' || d->uri[0] == '\0')
		return M2M_E_PROTO;
	if (d->nonce[0] != '\0' || d->response[0] != '\0' || (d->present & M2M_DIGEST_HAS_AUTS))
		return M2M_E_PROTO;
	if ((d->present & M2M_DIGEST_HAS_ALGORITHM) &&
	    strcasecmp(d->algorithm, M2M_DIGEST_ALGORITHM) != 0) /* public: protocol token */
		return M2M_E_UNSUPPORTED;
	return M2M_OK;
}

/* The checks after the syntax: required fields and the form of the constrained ones. */
static m2m_err semantics(m2m_digest *d, m2m_digest_kind kind)
{
	const unsigned need = kind == M2M_DIGEST_CHALLENGE
				      ? (M2M_DIGEST_HAS_REALM | M2M_DIGEST_HAS_NONCE | M2M_DIGEST_HAS_ALGORITHM)
				      : (M2M_DIGEST_HAS_USERNAME | M2M_DIGEST_HAS_REALM | M2M_DIGEST_HAS_NONCE |
					 M2M_DIGEST_HAS_URI | M2M_DIGEST_HAS_RESPONSE | M2M_DIGEST_HAS_ALGORITHM);
	uint8_t auts[M2M_AKA_AUTS_LEN + 2];
	size_t n = 0;

	if (kind == M2M_DIGEST_INITIAL)
		return initial_ok(d);
	if ((d->present & need) != need)
		return M2M_E_PROTO;
	/* RFC 3310 clause 3.1: the algorithm is AKAv1-MD5 (token, case-insensitive) */
	if (strcasecmp(d->algorithm, M2M_DIGEST_ALGORITHM) != 0) /* public: protocol token */
		return M2M_E_UNSUPPORTED;
	if (d->nonce[0] == '\0' || d->realm[0] == '\0')
		return M2M_E_PROTO;
	if (kind == M2M_DIGEST_CHALLENGE)
		return M2M_OK;
	if (d->username[0] == '\0' || d->uri[0] == '\0')
		return M2M_E_PROTO;
	if (strlen(d->response) != M2M_DIGEST_RESPONSE_LEN || !all_hex(d->response, M2M_DIGEST_RESPONSE_LEN, true))
		return M2M_E_PROTO;
	/* RFC 7616 clause 3.4: with qop, cnonce and nc are required; without, neither may appear */
	if (d->present & M2M_DIGEST_HAS_QOP) {
		if (!(d->present & M2M_DIGEST_HAS_CNONCE) || !(d->present & M2M_DIGEST_HAS_NC) || d->cnonce[0] == '\0')
			return M2M_E_PROTO;
		if (strlen(d->nc) != 8 || !all_hex(d->nc, 8, false))
			return M2M_E_PROTO;
	} else if (d->present & (M2M_DIGEST_HAS_CNONCE | M2M_DIGEST_HAS_NC)) {
		return M2M_E_PROTO;
	}
	if (d->present & M2M_DIGEST_HAS_AUTS) {
		/* RFC 3310 clause 3.5: auts = base64(AUTS), AUTS 14 octets */
		if (m2mi_b64_decode(d->auts, strlen(d->auts), auts, sizeof(auts), &n) != M2M_OK ||
		    n != M2M_AKA_AUTS_LEN)
			return M2M_E_PROTO;
		m2m_memzero(auts, sizeof(auts));
	}
	return M2M_OK;
}

static m2m_err one_param(struct cursor *c, m2m_digest *d, m2m_digest_kind kind, char (*unknown)[32],
			 size_t *n_unknown)
{
	char tmp[M2M_DIGEST_NONCE_MAX + 1];
	const char *name;
	size_t nl;
	bool quoted;
	m2m_err r;

	if (take_token(c, &name, &nl) != M2M_OK)
		return M2M_E_PROTO;
	skip_ws(c);
	if (c->p >= c->end || *c->p != '=')
		return M2M_E_PROTO;
	c->p++;
	skip_ws(c);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strlen(fields[i].name) != nl || strncasecmp(name, fields[i].name, nl) != 0)
			continue;
		if (d->present & fields[i].bit)
			return M2M_E_PROTO; /* duplicate */
		d->present |= fields[i].bit;
		return take_value(c, (char *)d + fields[i].off, fields[i].cap, &quoted);
	}
	if (nl == 3 && strncasecmp(name, "qop", 3) == 0) {
		if (d->present & M2M_DIGEST_HAS_QOP)
			return M2M_E_PROTO;
		d->present |= M2M_DIGEST_HAS_QOP;
		if ((r = take_value(c, tmp, sizeof(tmp), &quoted)) != M2M_OK)
			return r;
		return set_qop(d, tmp, kind);
	}
	if (nl == 5 && strncasecmp(name, "stale", 5) == 0) {
		if (d->present & M2M_DIGEST_HAS_STALE)
			return M2M_E_PROTO;
		d->present |= M2M_DIGEST_HAS_STALE;
		if ((r = take_value(c, tmp, sizeof(tmp), &quoted)) != M2M_OK)
			return r;
		if (strcasecmp(tmp, "true") == 0)
			d->stale = true;
		else if (strcasecmp(tmp, "false") != 0)
			return M2M_E_PROTO;
		return M2M_OK;
	}
	/* unknown: ignored (RFC 7616 clause 3.3), but parsed, bounded and not repeated */
	if (nl >= sizeof(unknown[0]))
		return M2M_E_PROTO;
	for (size_t i = 0; i < *n_unknown; i++)
		if (strlen(unknown[i]) == nl && strncasecmp(unknown[i], name, nl) == 0)
			return M2M_E_PROTO;
	memcpy(unknown[*n_unknown], name, nl);
	unknown[(*n_unknown)++][nl] = '\0';
	return take_value(c, tmp, sizeof(tmp), &quoted);
}

m2m_err m2m_digest_parse(const char *value, size_t len, m2m_digest_kind kind, m2m_digest *out)
{
	char unknown[M2M_DIGEST_PARAMS_MAX][32];
	struct cursor c;
	size_t n_unknown = 0, params = 0;
	m2m_err r = M2M_OK;

	if (out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	if (value == NULL || (kind != M2M_DIGEST_CHALLENGE && kind != M2M_DIGEST_CREDENTIALS && kind != M2M_DIGEST_INITIAL))
		return M2M_E_INVAL;
	if (len == 0)
		return M2M_E_PROTO;
	if (len > M2M_DIGEST_HDR_MAX)
		return M2M_E_TOO_LARGE;
	c.p = value;
	c.end = value + len;
	/* auth-scheme "Digest" (case-insensitive), then at least one SP */
	if (len < 7 || strncasecmp(value, "Digest", 6) != 0 || value[6] != ' ') {
		r = M2M_E_PROTO;
		goto out;
	}
	c.p += 7;
	skip_ws(&c);
	for (;;) {
		if (++params > M2M_DIGEST_PARAMS_MAX) {
			r = M2M_E_PROTO;
			goto out;
		}
		if ((r = one_param(&c, out, kind, unknown, &n_unknown)) != M2M_OK)
			goto out;
		skip_ws(&c);
		if (c.p == c.end)
			break;
		if (*c.p != ',') {
			r = M2M_E_PROTO;
			goto out;
		}
		c.p++;
		skip_ws(&c);
		if (c.p == c.end) { /* a trailing comma */
			r = M2M_E_PROTO;
			goto out;
		}
	}
	r = semantics(out, kind);
out:
	if (r != M2M_OK)
		m2m_memzero(out, sizeof(*out));
	return r;
}
