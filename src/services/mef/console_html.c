/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the HTML building blocks of the MEF's operator console
 * (docs/procedures/console.md): a growing document where every value that is not a literal of
 * the page goes through m2mi_html_esc (Enrolee-IDs and KpmIDs are chosen by whoever enrolled, so
 * they are attacker-controlled text), and the decoder of form fields and query parameters.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/mef/console_int.h"

static bool grow(m2mi_html *h, size_t add)
{
	size_t cap;
	char *p;

	if (h->oom)
		return false;
	if (h->len + add + 1 <= h->cap)
		return true;
	cap = h->cap ? h->cap : 4096;
	while (cap < h->len + add + 1) {
		if (cap > ((size_t)1 << 26)) { /* 64 MiB: far beyond any page; stop, not wrap */
			h->oom = true;
			return false;
		}
		cap *= 2;
	}
	if ((p = realloc(h->p, cap)) == NULL) {
		h->oom = true;
		return false;
	}
	h->p = p;
	h->cap = cap;
	return true;
}

static void put(m2mi_html *h, const char *s, size_t n)
{
	if (!grow(h, n))
		return;
	memcpy(h->p + h->len, s, n);
	h->len += n;
	h->p[h->len] = '\0';
}

void m2mi_html_raw(m2mi_html *h, const char *s)
{
	if (s != NULL)
		put(h, s, strlen(s));
}

void m2mi_html_esc(m2mi_html *h, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '&': put(h, "&amp;", 5); break;
		case '<': put(h, "&lt;", 4); break;
		case '>': put(h, "&gt;", 4); break;
		case '"': put(h, "&quot;", 6); break;
		case '\'': put(h, "&#39;", 5); break;
		default: put(h, s, 1); break;
		}
	}
}

void m2mi_html_url(m2mi_html *h, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3];

	for (; s != NULL && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		    ch == '.' || ch == '_' || ch == '~') {
			put(h, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[ch >> 4];
		e[2] = hex[ch & 15];
		put(h, e, 3);
	}
}

void m2mi_html_fmt(m2mi_html *h, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(small)) {
		h->oom = true; /* callers format numbers and literals only; never truncate silently */
		return;
	}
	put(h, small, (size_t)n);
}

void m2mi_html_free(m2mi_html *h)
{
	if (h == NULL)
		return;
	free(h->p);
	memset(h, 0, sizeof(*h));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one value (n bytes) into out. */
static m2m_err decode(const char *v, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)v[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;
			if (i + 2 >= n) /* fewer than two hex digits follow */
				return M2M_E_PROTO;
			if ((hi = hexval(v[i + 1])) < 0 || (lo = hexval(v[i + 2])) < 0)
				return M2M_E_PROTO;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return M2M_E_PROTO; /* no NUL, no control characters in any console field */
		if (o + 1 >= cap)
			return M2M_E_RANGE;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return M2M_OK;
}

m2m_err m2mi_form_get(const char *form, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl, i = 0;
	bool found = false;
	m2m_err r = M2M_E_NOT_FOUND;

	if (form == NULL || name == NULL || out == NULL || cap == 0)
		return M2M_E_INVAL;
	out[0] = '\0';
	nl = strlen(name);
	while (i < len) {
		size_t end = i, eq;
		while (end < len && form[end] != '&')
			end++;
		for (eq = i; eq < end && form[eq] != '='; eq++)
			;
		if (eq - i == nl && memcmp(form + i, name, nl) == 0) {
			if (found) {
				out[0] = '\0';
				return M2M_E_PROTO; /* twice: which one counts is ambiguous, refuse */
			}
			found = true;
			r = eq < end ? decode(form + eq + 1, end - eq - 1, out, cap) : decode("", 0, out, cap);
			if (r != M2M_OK) {
				out[0] = '\0';
				return r;
			}
		}
		i = end + 1;
	}
	return r;
}
