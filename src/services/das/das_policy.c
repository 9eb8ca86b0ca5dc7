/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the DAS grant policy (m2msec/das.h, docs/procedures/das.md "The policy
 * file"). TS-0003 clause 7.3.2.2 step 3.1 NOTE 2 leaves the DAS's decision to the Dynamic
 * Authorization System; m2msec's is a plain rule list, one rule a line:
 *
 *   grant ORIGINATOR RESOURCE PRIVILEGES LIFETIME [role=ROLE-ID[,ROLE-ID...]]
 *
 * first match wins, nothing matching grants nothing. Every error names its line.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/wildcard.h"
#include "m2msec/das.h"
#include "m2msec/file.h"

#define POLICY_FILE_MAX (1024 * 1024)
#define LINE_MAX_LEN 4096

struct rule_store {
	m2m_das_rule r;
	char *orig, *res;
	char *roles[M2M_DAS_POLICY_MAX_ROLES];
};

struct m2m_das_policy {
	struct rule_store *rules;
	size_t n, cap;
};

bool m2m_das_pattern_match(const char *p, const char *s)
{
	return p != NULL && s != NULL && m2mi_wildcard_match(p, s);
}

static void rule_clear(struct rule_store *r)
{
	free(r->orig);
	free(r->res);
	for (size_t i = 0; i < r->r.nroles; i++)
		free(r->roles[i]);
}

void m2m_das_policy_free(m2m_das_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		rule_clear(&p->rules[i]);
	free(p->rules);
	free(p);
}

size_t m2m_das_policy_count(const m2m_das_policy *p)
{
	return p != NULL ? p->n : 0;
}

/* acop names of TS-0004 Table 6.3.4.2.26-1 (accessControlOperations bits). */
static const struct { const char *name; unsigned bit; } op_names[] = {
	{"create", 1}, {"retrieve", 2}, {"update", 4}, {"delete", 8}, {"notify", 16}, {"discover", 32},
};

/* PRIVILEGES: a decimal acop 1..63 or a comma list of operation names. */
static bool parse_acop(const char *s, unsigned *out)
{
	unsigned v = 0;

	if (isdigit((unsigned char)s[0])) {
		char *end;
		long n = strtol(s, &end, 10);
		if (*end != '\0' || n < 1 || n > 63)
			return false;
		*out = (unsigned)n;
		return true;
	}
	while (*s != '\0') {
		size_t len = strcspn(s, ",");
		bool ok = false;
		for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
			if (strlen(op_names[i].name) == len && strncmp(s, op_names[i].name, len) == 0) {
				v |= op_names[i].bit;
				ok = true;
			}
		if (!ok)
			return false;
		s += len;
		if (*s == ',' && *++s == '\0')
			return false;
	}
	*out = v;
	return v != 0;
}

/* LIFETIME: seconds, optionally with s, m, h or d; 1 s .. 366 days. */
static bool parse_lifetime(const char *s, int64_t *out)
{
	char *end;
	long long n;
	int64_t mul = 1;

	if (!isdigit((unsigned char)s[0]))
		return false;
	n = strtoll(s, &end, 10);
	if (*end != '\0') {
		if (end[1] != '\0')
			return false;
		switch (*end) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default: return false;
		}
	}
	if (n < 1 || n > 366LL * 86400 || n * mul > 366LL * 86400)
		return false;
	*out = (int64_t)(n * mul);
	return true;
}

/* An originator or resource: printable, no spaces; '*' allowed. */
static bool id_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > M2M_DAS_STR_MAX)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

#define FAIL(...)                                                       \
	do {                                                            \
		snprintf(errmsg, errcap, "line %u: " __VA_ARGS__);      \
		return M2M_E_CONFIG;                                    \
	} while (0)

static m2m_err parse_line(m2m_das_policy *p, char *line, unsigned no, char *errmsg, size_t errcap)
{
	char *tok[8], *save = NULL, *t;
	size_t nt = 0;
	struct rule_store *r;

	for (t = strtok_r(line, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
		if (nt == sizeof(tok) / sizeof(tok[0]))
			FAIL("too many fields (grant ORIGINATOR RESOURCE PRIVILEGES LIFETIME [role=IDS])", no);
		tok[nt++] = t;
	}
	if (nt == 0)
		return M2M_OK;
	if (strcmp(tok[0], "grant") != 0)
		FAIL("unknown directive \"%.32s\" (expected grant)", no, tok[0]);
	if (nt < 5 || nt > 6)
		FAIL("expected grant ORIGINATOR RESOURCE PRIVILEGES LIFETIME [role=IDS]", no);
	if (!id_ok(tok[1]))
		FAIL("originator is not an ID or pattern", no);
	if (!id_ok(tok[2]))
		FAIL("resource is not an ID or pattern", no);
	if (p->n == M2M_DAS_POLICY_MAX_RULES)
		FAIL("more than %d rules", no, M2M_DAS_POLICY_MAX_RULES);
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 16;
		struct rule_store *nr = realloc(p->rules, nc * sizeof(*nr));
		if (nr == NULL)
			return M2M_E_NOMEM;
		p->rules = nr;
		p->cap = nc;
	}
	r = &p->rules[p->n];
	memset(r, 0, sizeof(*r));
	r->r.line = no;
	if (!parse_acop(tok[3], &r->r.acop))
		FAIL("privileges must be an acop 1..63 or a list of create,retrieve,update,delete,notify,discover",
		     no);
	if (!parse_lifetime(tok[4], &r->r.lifetime))
		FAIL("lifetime must be 1..366 days as seconds or with s, m, h, d", no);
	if (nt == 6) {
		char *list = tok[5], *rs = NULL, *role;
		if (strncmp(list, "role=", 5) != 0 || list[5] == '\0')
			FAIL("the sixth field must be role=ROLE-ID[,ROLE-ID...]", no);
		for (role = strtok_r(list + 5, ",", &rs); role != NULL; role = strtok_r(NULL, ",", &rs)) {
			if (r->r.nroles == M2M_DAS_POLICY_MAX_ROLES || !id_ok(role) || strchr(role, '*') != NULL) {
				rule_clear(r);
				FAIL("role= takes up to %d Role-IDs without wildcards", no, M2M_DAS_POLICY_MAX_ROLES);
			}
			if ((r->roles[r->r.nroles] = strdup(role)) == NULL) {
				rule_clear(r);
				return M2M_E_NOMEM;
			}
			r->r.nroles++;
		}
	}
	if ((r->orig = strdup(tok[1])) == NULL || (r->res = strdup(tok[2])) == NULL) {
		rule_clear(r);
		return M2M_E_NOMEM;
	}
	p->n++;
	return M2M_OK;
}
#undef FAIL

m2m_err m2m_das_policy_parse(const char *text, size_t len, m2m_das_policy **out, char *errmsg, size_t errcap)
{
	m2m_das_policy *p;
	size_t off = 0;
	unsigned no = 0;
	m2m_err r = M2M_OK;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (text == NULL || errmsg == NULL || errcap == 0)
		return M2M_E_INVAL;
	errmsg[0] = '\0';
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return M2M_E_NOMEM;
	while (off < len && r == M2M_OK) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		char line[LINE_MAX_LEN + 1];

		no++;
		if (n > 0 && text[off + n - 1] == '\r')
			n--;
		if (n > LINE_MAX_LEN) {
			snprintf(errmsg, errcap, "line %u: longer than %d bytes", no, LINE_MAX_LEN);
			r = M2M_E_CONFIG;
			break;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		off = nl != NULL ? (size_t)(nl - text) + 1 : len;
		if (memchr(line, '\0', n) != NULL) {
			snprintf(errmsg, errcap, "line %u: NUL byte", no);
			r = M2M_E_CONFIG;
			break;
		}
		{
			char *s = line;
			while (*s == ' ' || *s == '\t')
				s++;
			if (*s == '#' || *s == '\0')
				continue;
			r = parse_line(p, s, no, errmsg, errcap);
		}
	}
	if (r != M2M_OK) {
		m2m_das_policy_free(p);
		return r;
	}
	/* the stored pointers, once the array stops moving */
	for (size_t i = 0; i < p->n; i++) {
		p->rules[i].r.originator = p->rules[i].orig;
		p->rules[i].r.resource = p->rules[i].res;
		p->rules[i].r.roles = (const char *const *)p->rules[i].roles;
	}
	*out = p;
	return M2M_OK;
}

m2m_err m2m_das_policy_load(const char *path, m2m_das_policy **out, char *errmsg, size_t errcap)
{
	char *text = NULL;
	size_t len = 0;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (errmsg == NULL || errcap == 0)
		return M2M_E_INVAL;
	if ((r = m2m_file_read(path, POLICY_FILE_MAX, 0, &text, &len)) != M2M_OK) {
		snprintf(errmsg, errcap, "%s: %s", path != NULL ? path : "", m2m_strerror(r));
		return r;
	}
	r = m2m_das_policy_parse(text, len, out, errmsg, errcap);
	free(text);
	return r;
}

const m2m_das_rule *m2m_das_policy_match(const m2m_das_policy *p, const char *originator, const char *resource,
					 unsigned op_bit, const char *const *roles, size_t nroles)
{
	if (p == NULL || originator == NULL || resource == NULL || op_bit == 0)
		return NULL;
	for (size_t i = 0; i < p->n; i++) {
		const m2m_das_rule *r = &p->rules[i].r;
		bool role_ok = r->nroles == 0;

		if ((r->acop & op_bit) == 0 || !m2m_das_pattern_match(r->originator, originator) ||
		    !m2m_das_pattern_match(r->resource, resource))
			continue;
		for (size_t a = 0; !role_ok && a < r->nroles; a++)
			for (size_t b = 0; !role_ok && b < nroles; b++)
				role_ok = roles[b] != NULL && strcmp(r->roles[a], roles[b]) == 0;
		if (role_ok)
			return r;
	}
	return NULL;
}
