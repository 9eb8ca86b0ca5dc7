/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the pure mapping of the oneM2M HTTP binding (TS-0009 V3.9.1) between an
 * HTTP message and the request/response primitives: method (clause 6.2.1), request-target path
 * (clause 6.2.2.1) and query component (clause 6.2.2.2, Table 6.2.2.2-1), header fields (clause
 * 6.4), message body (clause 6.5), and back: status code (clause 6.3.2, via core/rsc.c), header
 * fields and body. No I/O, no libevent: the server and the fuzzer feed it the pieces of a request.
 * Everything that does not map is refused (fail closed); the exact rules are in
 * docs/http-binding.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "m2msec/http.h"
#include "m2msec/rsc.h"
#include "bindings/query_map.h"
#include "core/esprim_int.h"

#define RI_MAX 1024    /* X-M2M-RI length */
#define IDS_MAX 64     /* rids / tids entries */

static const char *const json_media[] = {
	"application/json", "application/vnd.onem2m-res+json", "application/vnd.onem2m-ntfy+json",
};
/* Release Version Indicators accepted (TS-0004 clause 6.4.1, releaseVersion). */
static const char *const rvi_ok[] = {"2a", "3", "4", "5"};
#define RVI_R1 "1" /* a Release-1 entity: no RVI in its requests, none in responses to it */

static m2m_err fail(m2m_response *rsp, m2m_err err, int rsc, int http_status, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static m2m_err fail(m2m_response *rsp, m2m_err err, int rsc, int http_status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	m2m_response_verror(rsp, rsc, fmt, ap);
	va_end(ap);
	rsp->http_status = http_status;
	return err;
}

#define BAD(...) fail(rsp, M2M_E_PROTO, M2M_RSC_BAD_REQUEST, 0, __VA_ARGS__)
#define NOMEM() fail(rsp, M2M_E_NOMEM, M2M_RSC_INTERNAL_SERVER_ERROR, 0, "out of memory")

/* No control characters except HTAB: what may be copied into a primitive, a log or a header. */
static bool clean(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* Unsigned decimal of at most 9 digits in [min, max]. */
static bool parse_uint(const char *s, size_t n, long min, long max, int *out)
{
	long v = 0;

	if (n == 0 || n > 9)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = (int)v;
	return true;
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

/* Percent-decode n bytes (RFC 3986 clause 2.1); bad escapes, control characters and NUL fail
 * with M2M_E_PROTO. '+' is kept literally: TS-0009 uses it as the list separator. */
static m2m_err pct_decode(const char *s, size_t n, char **out)
{
	char *d;
	size_t j = 0;

	*out = NULL;
	d = malloc(n + 1);
	if (d == NULL)
		return M2M_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				free(d);
				return M2M_E_PROTO;
			}
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (!clean(&c, 1) || c == '\0') {
			free(d);
			return M2M_E_PROTO;
		}
		d[j++] = c;
	}
	d[j] = '\0';
	*out = d;
	return M2M_OK;
}

/* ---- request-target (TS-0009 clause 6.2.2.1) ------------------------------------------------ */

/*
 * "/~/X" -> SP-relative "/X"; "/_/X" -> absolute "//X"; "/X" -> CSE-relative "X". One trailing
 * '/' is dropped (Table 6.2.2.1-1). Segments are percent-decoded one by one and must be
 * non-empty, not "." or "..", and must not decode to a '/'.
 */
static m2m_err map_path(const char *path, size_t n, char **to)
{
	const char *prefix = "";
	size_t skip = 1, len, j, plen;
	char *d;

	*to = NULL;
	if (n >= 2 && (path[1] == '~' || path[1] == '_') && (n == 2 || path[2] == '/')) {
		prefix = path[1] == '~' ? "/" : "//";
		skip = 3;
	}
	if (skip >= n)
		return M2M_E_PROTO;
	path += skip;
	len = n - skip;
	if (path[len - 1] == '/')
		len--;
	if (len == 0)
		return M2M_E_PROTO;
	plen = strlen(prefix);
	d = malloc(plen + len + 1);
	if (d == NULL)
		return M2M_E_NOMEM;
	memcpy(d, prefix, plen);
	j = plen;
	for (size_t i = 0; i <= len;) {
		const char *slash = memchr(path + i, '/', len - i);
		size_t seg = slash ? (size_t)(slash - (path + i)) : len - i;
		char *dec = NULL;
		m2m_err rc = pct_decode(path + i, seg, &dec);
		if (rc == M2M_OK && (dec[0] == '\0' || strcmp(dec, ".") == 0 || strcmp(dec, "..") == 0 ||
				     strchr(dec, '/') != NULL))
			rc = M2M_E_PROTO;
		if (rc != M2M_OK) {
			free(dec);
			free(d);
			return rc;
		}
		if (j > plen)
			d[j++] = '/';
		memcpy(d + j, dec, strlen(dec));
		j += strlen(dec);
		free(dec);
		i += seg + 1;
	}
	d[j] = '\0';
	*to = d;
	return M2M_OK;
}

/* ---- query component (TS-0009 clause 6.2.2.2, Table 6.2.2.2-1) -------------------------- */

enum qp { Q_RCN, Q_FU, Q_RN, Q_CRA, Q_CRB, Q_LIM, Q_LVL, Q_OFST, Q_TQI, Q_DRT, Q_RT, Q_RP, Q_DA,
	  Q_TY, Q_LBL, Q_RIDS, Q_TIDS, Q_MS, Q_US, Q_EXA, Q_EXB, Q_SZA, Q_SZB, Q_FO, Q_ARP, Q_CTY,
	  Q_LTIDS, Q_ASI, Q_AURI };

#define NUM_MAX 999999999L

static const struct {
	const char *name;
	bool list;     /* 0..n: repeatable and/or '+'-joined */
	long min, max; /* integer parameters */
} qparams[] = {
	[Q_RCN] = {"rcn", false, 0, 99}, [Q_FU] = {"fu", false, 1, 2}, [Q_RN] = {"rn", false, 0, 0},
	[Q_CRA] = {"cra", false, 0, 0}, [Q_CRB] = {"crb", false, 0, 0}, [Q_LIM] = {"lim", false, 0, NUM_MAX},
	[Q_LVL] = {"lvl", false, 1, NUM_MAX}, [Q_OFST] = {"ofst", false, 1, NUM_MAX}, [Q_TQI] = {"tqi", false, 0, 0},
	[Q_DRT] = {"drt", false, 1, 2}, [Q_RT] = {"rt", false, 0, 0}, [Q_RP] = {"rp", false, 0, 0},
	[Q_DA] = {"da", false, 0, 0}, [Q_TY] = {"ty", true, 1, 65535}, [Q_LBL] = {"lbl", true, 0, 0},
	[Q_RIDS] = {"rids", true, 0, 0}, [Q_TIDS] = {"tids", true, 0, 0},
	/* filter criteria of TS-0004 Table 6.3.5.8-1; level and offset are positiveInteger */
	[Q_MS] = {"ms", false, 0, 0}, [Q_US] = {"us", false, 0, 0}, [Q_EXA] = {"exa", false, 0, 0},
	[Q_EXB] = {"exb", false, 0, 0}, [Q_SZA] = {"sza", false, 0, NUM_MAX}, [Q_SZB] = {"szb", false, 1, NUM_MAX},
	[Q_FO] = {"fo", false, 1, 2}, [Q_ARP] = {"arp", false, 0, 0}, [Q_CTY] = {"cty", true, 0, 0},
	/* dynamic authorization (TS-0009 Table 6.2.2.2-1): asi and auri are parsed and carried to
	 * the relationship mapping (TS-0003 clause 7.3.2.7, services/cse/access_relmap.c) */
	[Q_LTIDS] = {"ltids", true, 0, 0}, [Q_ASI] = {"asi", false, 0, 0}, [Q_AURI] = {"auri", false, 0, 0},
};

/* Resource attribute short names usable as "attribute" conditions (TS-0009 clause 6.2.2.2,
 * TS-0004 clause 7.3.3.17.9): those of the implemented types, minus the ones the clause excludes
 * (ct, lt, st, et, lbl, ty, cs, cnf), rn (its own parameter above) and the ones that would make
 * discovery an oracle on content or secrets-adjacent data (con, pv, pvs, poa, nu, acpi, enc, su). */
static const char *const attr_names[] = {
	"ri", "pi", "cr", "aei", "api", "apn", "rr", "csi", "cst", "srv", "cni", "cbs", "mni", "mbs", "mia",
	"disr", "li", "or", "mt", "cnm", "mnm", "nct", "gn", "csy", "mtv", "srt",
};

static bool attr_name(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (strlen(attr_names[i]) == n && memcmp(attr_names[i], p, n) == 0)
			return true;
	return false;
}

bool m2mi_query_attr_name(const char *name, size_t n)
{
	return name != NULL && attr_name(name, n);
}

/* TS-0004 timestamp, ISO 8601 basic: YYYYMMDDTHHMMSS with an optional ",fraction". */
static bool is_timestamp(const char *s)
{
	size_t n = strlen(s);

	if (n < 15 || s[8] != 'T')
		return false;
	for (size_t i = 0; i < 15; i++)
		if (i != 8 && (s[i] < '0' || s[i] > '9'))
			return false;
	if (n == 15)
		return true;
	if (s[15] != ',' || n == 16)
		return false;
	for (size_t i = 16; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static m2m_err push_id(char ***v, size_t *nv, char *s)
{
	char **nl;

	if (*nv >= IDS_MAX)
		return M2M_E_RANGE;
	nl = realloc(*v, (*nv + 1) * sizeof(**v));
	if (nl == NULL)
		return M2M_E_NOMEM;
	nl[(*nv)++] = s;
	*v = nl;
	return M2M_OK;
}

/* One element of a list parameter (between '+'), raw. */
static m2m_err list_elem(enum qp k, const char *s, size_t n, m2m_request *req, m2m_response *rsp)
{
	char *dec = NULL;
	m2m_err rc;
	int ty;

	if (k == Q_TY) {
		if (req->fc.nty >= M2M_FC_MAX)
			return BAD("query parameter ty has more than %d values", M2M_FC_MAX);
		if (!parse_uint(s, n, qparams[Q_TY].min, qparams[Q_TY].max, &ty))
			return BAD("query parameter ty must be a list of integers in 1..65535");
		req->fc.ty[req->fc.nty++] = ty;
		return M2M_OK;
	}
	rc = pct_decode(s, n, &dec);
	if (rc == M2M_E_NOMEM)
		return NOMEM();
	if (rc != M2M_OK || dec[0] == '\0') {
		free(dec);
		return BAD("query parameter %s has an empty or badly encoded value", qparams[k].name);
	}
	if (k == Q_CTY) {
		if (req->fc.ncty >= M2M_FC_MAX) {
			free(dec);
			return BAD("query parameter cty has more than %d values", M2M_FC_MAX);
		}
		req->fc.cty[req->fc.ncty++] = dec;
		return M2M_OK;
	}
	if (k == Q_LBL) {
		if (req->fc.nlbl >= M2M_FC_MAX) {
			free(dec);
			return BAD("query parameter lbl has more than %d values", M2M_FC_MAX);
		}
		req->fc.lbl[req->fc.nlbl++] = dec;
		return M2M_OK;
	}
	rc = k == Q_RIDS    ? push_id(&req->rids, &req->nrids, dec)
	     : k == Q_LTIDS ? push_id(&req->ltids, &req->nltids, dec)
			    : push_id(&req->tids, &req->ntids, dec);
	if (rc != M2M_OK)
		free(dec);
	if (rc == M2M_E_NOMEM)
		return NOMEM();
	if (rc != M2M_OK)
		return BAD("query parameter %s has more than %d values", qparams[k].name, IDS_MAX);
	return M2M_OK;
}

static m2m_err scalar(enum qp k, const char *v, size_t n, m2m_request *req, m2m_response *rsp)
{
	int *num = k == Q_RCN ? &req->rcn : k == Q_FU ? &req->fc.fu : k == Q_LIM ? &req->fc.lim
		   : k == Q_LVL ? &req->fc.lvl : k == Q_OFST ? &req->fc.ofst : k == Q_FO ? &req->fc.fo
		   : k == Q_DRT ? &req->drt : NULL;
	char **str = k == Q_RN ? &req->fc.rn : k == Q_CRA ? &req->fc.cra : k == Q_CRB ? &req->fc.crb
		     : k == Q_MS ? &req->fc.ms : k == Q_US ? &req->fc.us : k == Q_EXA ? &req->fc.exa
		     : k == Q_EXB ? &req->fc.exb : &req->fc.arp;
	bool stamp = k != Q_RN && k != Q_ARP;
	char *dec = NULL;
	m2m_err rc;
	int size;

	if (k == Q_SZA || k == Q_SZB) {
		if (!parse_uint(v, n, qparams[k].min, qparams[k].max, &size))
			return BAD("query parameter %s must be an integer in %ld..%ld", qparams[k].name, qparams[k].min,
				   qparams[k].max);
		*(k == Q_SZA ? &req->fc.sza : &req->fc.szb) = size;
		return M2M_OK;
	}

	if (num != NULL)
		return parse_uint(v, n, qparams[k].min, qparams[k].max, num) ? M2M_OK
			: BAD("query parameter %s must be an integer in %ld..%ld", qparams[k].name, qparams[k].min,
			      qparams[k].max);
	if (k == Q_TQI || k == Q_ASI || k == Q_AURI) {
		int b;
		if ((n == 4 && memcmp(v, "true", 4) == 0) || (n == 1 && v[0] == '1'))
			b = 2;
		else if ((n == 5 && memcmp(v, "false", 5) == 0) || (n == 1 && v[0] == '0'))
			b = 1;
		else
			return BAD("query parameter %s must be true, false, 1 or 0", qparams[k].name);
		if (k == Q_TQI)
			req->tqi = b == 2;
		else
			*(k == Q_ASI ? &req->asi : &req->auri) = b;
		return M2M_OK;
	}
	if (k == Q_RT || k == Q_RP || k == Q_DA)
		return M2M_OK; /* accepted and not acted upon (docs/http-binding.md) */
	/* rn, arp and the timestamps: strings; arp is a relative path (TS-0004 clause 7.3.3.17.17) */
	rc = pct_decode(v, n, &dec);
	if (rc == M2M_E_NOMEM)
		return NOMEM();
	if (rc != M2M_OK || dec[0] == '\0' || (stamp && !is_timestamp(dec)) || (k == Q_ARP && dec[0] == '/')) {
		free(dec);
		return BAD("query parameter %s has a bad value", qparams[k].name);
	}
	*str = dec;
	return M2M_OK;
}

/* name=value of an attribute condition (TS-0009 clause 6.2.2.2); the value may hold '*'. */
static m2m_err attribute(const char *name, size_t nn, const char *v, size_t n, m2m_request *req,
			 m2m_response *rsp)
{
	char *dn, *dv = NULL;
	m2m_err rc;

	if (req->fc.natr >= M2M_FC_MAX)
		return BAD("more than %d attribute conditions", M2M_FC_MAX);
	if ((dn = strndup(name, nn)) == NULL)
		return NOMEM();
	rc = pct_decode(v, n, &dv);
	if (rc != M2M_OK || dv[0] == '\0') {
		free(dn);
		free(dv);
		return rc == M2M_E_NOMEM ? NOMEM()
					 : BAD("attribute condition %.*s has a bad value", (int)(nn > 32 ? 32 : nn), name);
	}
	req->fc.atr_n[req->fc.natr] = dn;
	req->fc.atr_v[req->fc.natr++] = dv;
	return M2M_OK;
}

m2m_err m2mi_query_map(const char *q, size_t qn, m2m_request *req, m2m_response *rsp)
{
	const char *end = q + qn;
	unsigned seen = 0;

	for (const char *p = q; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *eq;
		size_t pn, nn, k;
		m2m_err rc = M2M_OK;

		if (amp == NULL)
			amp = end;
		pn = (size_t)(amp - p);
		eq = memchr(p, '=', pn);
		if (pn == 0) { /* "&&" or a trailing '&': nothing to map */
			p = amp + 1;
			continue;
		}
		nn = eq ? (size_t)(eq - p) : pn;
		for (k = 0; k < sizeof(qparams) / sizeof(qparams[0]); k++)
			if (strlen(qparams[k].name) == nn && memcmp(qparams[k].name, p, nn) == 0)
				break;
		if (k == sizeof(qparams) / sizeof(qparams[0]) && !attr_name(p, nn))
			return BAD("unsupported query parameter '%.*s'", (int)(nn > 32 ? 32 : nn), p);
		if (eq == NULL || eq + 1 == amp)
			return BAD("query parameter %.*s has no value", (int)(nn > 32 ? 32 : nn), p);
		if (k == sizeof(qparams) / sizeof(qparams[0])) {
			if ((rc = attribute(p, nn, eq + 1, (size_t)(amp - eq - 1), req, rsp)) != M2M_OK)
				return rc;
			p = amp + 1;
			continue;
		}
		if (qparams[k].list) {
			for (const char *e = eq + 1; rc == M2M_OK && e <= amp;) {
				const char *plus = memchr(e, '+', (size_t)(amp - e));
				if (plus == NULL)
					plus = amp;
				rc = list_elem((enum qp)k, e, (size_t)(plus - e), req, rsp);
				e = plus + 1;
			}
		} else {
			if (seen & (1u << k))
				return BAD("query parameter %s given more than once", qparams[k].name);
			seen |= 1u << k;
			rc = scalar((enum qp)k, eq + 1, (size_t)(amp - eq - 1), req, rsp);
		}
		if (rc != M2M_OK)
			return rc;
		p = amp + 1;
	}
	return M2M_OK;
}

/* ---- Content-Type (TS-0009 clause 6.4.3) and message body (clause 6.5) ---------------------- */

struct ctype {
	bool json;       /* one of json_media */
	bool charset_ok; /* no charset parameter, or UTF-8 */
	const char *ty;  /* raw value of the ty parameter, NULL when absent */
	size_t ty_n;
};

static const char *skip_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *trim_ows(const char *begin, const char *end)
{
	while (end > begin && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return end;
}

/* First c in [p, end), else end. */
static const char *find(const char *p, const char *end, char c)
{
	const char *f = p < end ? memchr(p, c, (size_t)(end - p)) : NULL;
	return f ? f : end;
}

/* media-type *( OWS ";" OWS parameter ); false when malformed or ty is repeated. */
static bool parse_ctype(const char *v, struct ctype *ct)
{
	const char *end = v + strlen(v), *p = skip_ows(v, end), *semi, *mend;

	memset(ct, 0, sizeof(*ct));
	ct->charset_ok = true;
	semi = find(p, end, ';');
	mend = trim_ows(p, semi);
	for (size_t i = 0; i < sizeof(json_media) / sizeof(json_media[0]); i++)
		if (strlen(json_media[i]) == (size_t)(mend - p) && strncasecmp(json_media[i], p, (size_t)(mend - p)) == 0)
			ct->json = true;
	for (p = semi; p < end; p = semi) {
		const char *nb, *ne, *vb, *ve, *eq;

		p = skip_ows(p + 1, end);
		semi = find(p, end, ';');
		if (trim_ows(p, semi) == p)
			continue; /* empty parameter, e.g. a trailing ';' */
		eq = find(p, semi, '=');
		if (eq == semi)
			return false;
		nb = p;
		ne = trim_ows(nb, eq);
		vb = skip_ows(eq + 1, semi);
		ve = trim_ows(vb, semi);
		if (ve - vb >= 2 && vb[0] == '"' && ve[-1] == '"') {
			vb++;
			ve--;
		}
		if (ne - nb == 2 && strncasecmp(nb, "ty", 2) == 0) {
			if (ct->ty != NULL)
				return false;
			ct->ty = vb;
			ct->ty_n = (size_t)(ve - vb);
		} else if (ne - nb == 7 && strncasecmp(nb, "charset", 7) == 0) {
			ct->charset_ok = ve - vb == 5 && strncasecmp(vb, "utf-8", 5) == 0;
		}
	}
	return true;
}

static m2m_err map_content(const char *ctv, const uint8_t *body, size_t n, m2m_request *req,
			   m2m_response *rsp)
{
	struct ctype ct;
	json_error_t jerr;

	if (req->op == M2M_OP_RETRIEVE || req->op == M2M_OP_DELETE) {
		/* Content-Type and body tolerated and ignored, but a Resource Type in it is mapped: the
		 * CSE refuses it outside CREATE (TS-0004 Table 7.2.1.1-1), as over every binding */
		if (ctv != NULL && parse_ctype(ctv, &ct) && ct.ty != NULL &&
		    !parse_uint(ct.ty, ct.ty_n, 1, 65535, &req->ty))
			return BAD("ty in Content-Type must be a positive integer");
		return M2M_OK;
	}
	if (ctv != NULL) {
		if (!parse_ctype(ctv, &ct))
			return BAD("malformed Content-Type");
		if (!ct.json || !ct.charset_ok)
			return fail(rsp, M2M_E_PROTO, M2M_RSC_UNSUPPORTED_MEDIA_TYPE, 0,
				    "Content-Type must be application/json or application/vnd.onem2m-res+json"
				    " (UTF-8)");
		/* mapped on any method; its presence outside CREATE is the CSE's to refuse (one rule) */
		if (ct.ty != NULL && !parse_uint(ct.ty, ct.ty_n, 1, 65535, &req->ty))
			return BAD("ty in Content-Type must be a positive integer");
	}
	if (req->op == M2M_OP_CREATE && req->ty == 0)
		req->op = M2M_OP_NOTIFY; /* POST without ty (TS-0009 clause 6.2.1) */
	if (n == 0) {
		if (req->op == M2M_OP_CREATE || req->op == M2M_OP_UPDATE)
			return BAD("%s needs content", m2m_op_name(req->op));
		return M2M_OK;
	}
	if (ctv == NULL)
		return fail(rsp, M2M_E_PROTO, M2M_RSC_UNSUPPORTED_MEDIA_TYPE, 0,
			    "a body needs Content-Type application/json");
	/* an ESPrim Object's seci (TS-0004 7.6.2) in its exact encoder form: the same object without
	 * the JSON parse of its long string (any other body, or no memory, through jansson) */
	if ((req->pc = m2mi_seci_e2e_text_json((const char *)body, n)) == NULL)
		req->pc = json_loadb((const char *)body, n, JSON_REJECT_DUPLICATES, &jerr);
	if (req->pc == NULL)
		return BAD("malformed JSON content: %.96s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
	if (!json_is_object(req->pc))
		return BAD("content must be a JSON object");
	return M2M_OK;
}

/* ---- request ---------------------------------------------------------------------------------- */

struct hdrs {
	const char *ri, *rvi, *fr, *vsi, *ct, *auth, *as;
	const char *dup;     /* name of a mapped header given twice */
	const char *framing; /* why the message framing is ambiguous (request smuggling), or NULL */
	const char *cl;      /* the Content-Length value */
	int ncl, nte, nhost;
};

/* RFC 9110 clause 5.6.2 tchar: a field name is a token. */
static bool is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      strchr("!#$%&'*+-.^_`|~", *s) != NULL))
			return false;
	return true;
}

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * Request-smuggling ambiguities (RFC 9112 clauses 3.2, 5.1, 6.1, 6.3; RFC 7230 clause 3.3.2):
 * whenever two parsers (ours, libevent's, a proxy's) could disagree on where this message ends,
 * the request is refused and the connection closed, because whatever follows on it cannot be
 * trusted. libevent takes the first Content-Length and treats any Transfer-Encoding other than
 * exactly "chunked" as absent, so each of these would let bytes of the body run as a second
 * request: a repeated Content-Length (even with equal values: fail closed), one that is not a
 * plain decimal, Transfer-Encoding other than one "chunked", both framings at once, a repeated
 * Host, and a field name that is not a token ("Content-Length : 5" is not Content-Length to
 * libevent).
 */
static const char *framing_error(const struct hdrs *h)
{
	if (h->framing != NULL)
		return h->framing;
	if (h->ncl > 1)
		return "Content-Length given more than once";
	if (h->ncl == 1 && !all_digits(h->cl))
		return "Content-Length is not a decimal number";
	if (h->nte > 1)
		return "Transfer-Encoding given more than once";
	if (h->ncl > 0 && h->nte > 0)
		return "both Content-Length and Transfer-Encoding";
	if (h->nhost > 1)
		return "Host given more than once";
	return NULL;
}

static void pick_header(const m2m_http_header *hd, struct hdrs *h)
{
	const char **slot = NULL;

	if (strcasecmp(hd->name, "X-M2M-RI") == 0)
		slot = &h->ri;
	else if (strcasecmp(hd->name, "X-M2M-RVI") == 0)
		slot = &h->rvi;
	else if (strcasecmp(hd->name, "X-M2M-Origin") == 0)
		slot = &h->fr;
	else if (strcasecmp(hd->name, "X-M2M-VSI") == 0)
		slot = &h->vsi;
	else if (strcasecmp(hd->name, "Content-Type") == 0)
		slot = &h->ct;
	else if (strcasecmp(hd->name, "Authorization") == 0)
		slot = &h->auth;
	else if (strcasecmp(hd->name, "X-M2M-AS") == 0)
		slot = &h->as;
	else if (strcasecmp(hd->name, "Content-Length") == 0)
		h->cl = h->ncl++ == 0 ? hd->value : h->cl;
	else if (strcasecmp(hd->name, "Transfer-Encoding") == 0) {
		if (h->nte++ == 0 && strcasecmp(hd->value, "chunked") != 0)
			h->framing = "Transfer-Encoding other than chunked";
	} else if (strcasecmp(hd->name, "Host") == 0)
		h->nhost++;
	else if (!is_token(hd->name) && h->framing == NULL)
		h->framing = "a header field name is not a token";
	if (slot != NULL && *slot != NULL && h->dup == NULL)
		h->dup = hd->name;
	else if (slot != NULL)
		*slot = hd->value;
}

static bool ri_ok(const char *ri)
{
	return ri != NULL && ri[0] != '\0' && strlen(ri) <= RI_MAX && clean(ri, strlen(ri));
}

static m2m_op map_method(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return M2M_OP_RETRIEVE;
	if (strcmp(m, "POST") == 0)
		return M2M_OP_CREATE; /* or NOTIFY: decided by the Content-Type */
	if (strcmp(m, "PUT") == 0)
		return M2M_OP_UPDATE;
	if (strcmp(m, "DELETE") == 0)
		return M2M_OP_DELETE;
	return M2M_OP_NONE;
}

static m2m_err copy_opt(const char *v, char **out)
{
	if (v == NULL || v[0] == '\0')
		return M2M_OK;
	*out = strdup(v);
	return *out ? M2M_OK : M2M_E_NOMEM;
}

/* The Tokens parameter in the Authorization header (docs/http-binding.md): TS-0009 clause 6.4.19
 * writes the compact tokens joined with '+' and no scheme; clause 7.1 names the RFC 6750 Bearer
 * scheme for access tokens, so "Bearer <tokens>" (scheme case-insensitive, RFC 9110 clause 11.1)
 * carries the same list. A JWS/JWE in compact form is base64url and '.', so neither a space nor
 * a '+' can be part of a token: the two forms cannot be confused. */
static const char *bearer(const char *auth)
{
	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
		auth += 7;
		while (*auth == ' ')
			auth++;
	}
	return auth;
}

static m2m_err parse(const char *method, const char *target, const struct hdrs *h, const uint8_t *body,
		     size_t body_len, m2m_request *req, m2m_response *rsp)
{
	const char *q, *opt[] = {h->fr, h->vsi, h->auth, h->as};
	bool rvi_known = false;
	m2m_err rc;

	req->op = map_method(method);
	if (req->op == M2M_OP_NONE)
		return fail(rsp, M2M_E_PROTO, M2M_RSC_OPERATION_NOT_ALLOWED, 0,
			    "method %.16s is not a oneM2M operation (GET, POST, PUT, DELETE)", method);
	if (h->dup != NULL)
		return BAD("header %.32s given more than once", h->dup);
	if (h->ri == NULL || h->ri[0] == '\0')
		return BAD("X-M2M-RI (request identifier) is missing");
	if (!ri_ok(h->ri))
		return BAD("X-M2M-RI is longer than %d bytes or has control characters", RI_MAX);
	if (h->rvi == NULL || h->rvi[0] == '\0' || strcmp(h->rvi, RVI_R1) == 0) {
		/* TS-0004 7.3.2.1: a request without RVI is a Release-1 request (RVI 1), which this CSE
		 * does not support (4001); the response to a Release-1 entity carries no RVI (TS-0004
		 * Table 6.4.2-1), which RVI_R1 in rsp->rvi tells the serializer. */
		rc = fail(rsp, M2M_E_PROTO, M2M_RSC_RELEASE_VERSION_NOT_SUPPORTED, 0,
			  "release version 1 (a request without X-M2M-RVI) is not supported (2a, 3, 4, 5)");
		free(rsp->rvi);
		rsp->rvi = strdup(RVI_R1);
		return rsp->rvi != NULL ? rc : NOMEM();
	}
	for (size_t i = 0; i < sizeof(rvi_ok) / sizeof(rvi_ok[0]); i++)
		rvi_known |= strcmp(h->rvi, rvi_ok[i]) == 0;
	if (!rvi_known)
		return fail(rsp, M2M_E_PROTO, M2M_RSC_RELEASE_VERSION_NOT_SUPPORTED, 0,
			    "release version '%.8s' is not supported (2a, 3, 4, 5)", h->rvi);
	for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++)
		if (opt[i] != NULL && !clean(opt[i], strlen(opt[i])))
			return BAD("a header value has control characters");
	if (target[0] != '/')
		return BAD("request-target must be in origin form (start with '/')");
	if (strchr(target, '#') != NULL)
		return BAD("request-target must not carry a fragment");
	q = strchr(target, '?');
	rc = map_path(target, q ? (size_t)(q - target) : strlen(target), &req->to);
	if (rc == M2M_E_NOMEM)
		return NOMEM();
	if (rc != M2M_OK)
		return BAD("request-target path does not map to a resource ID");
	if (q != NULL && (rc = m2mi_query_map(q + 1, strlen(q + 1), req, rsp)) != M2M_OK)
		return rc;
	if ((rc = map_content(h->ct, body, body_len, req, rsp)) != M2M_OK)
		return rc;
	if (copy_opt(h->ri, &req->rqi) != M2M_OK || copy_opt(h->rvi, &req->rvi) != M2M_OK ||
	    copy_opt(h->fr, &req->fr) != M2M_OK || copy_opt(h->vsi, &req->vsi) != M2M_OK ||
	    copy_opt(bearer(h->auth), &req->tkns) != M2M_OK || copy_opt(h->as, &req->aus) != M2M_OK)
		return NOMEM();
	return M2M_OK;
}

m2m_err m2m_http_parse_request(const char *method, const char *target, const m2m_http_header *headers,
			       size_t nheaders, const uint8_t *body, size_t body_len,
			       const m2m_http_limits *limits, m2m_request *req, m2m_response *rsp)
{
	m2m_http_limits lim = {M2M_HTTP_DEFAULT_MAX_HEADER, M2M_HTTP_DEFAULT_MAX_BODY};
	struct hdrs h;
	size_t head;
	m2m_err rc;

	if (method == NULL || target == NULL || (headers == NULL && nheaders > 0) ||
	    (body == NULL && body_len > 0) || req == NULL || rsp == NULL)
		return M2M_E_INVAL;
	for (size_t i = 0; i < nheaders; i++)
		if (headers[i].name == NULL || headers[i].value == NULL)
			return M2M_E_INVAL;
	if (limits != NULL && limits->max_header > 0)
		lim.max_header = limits->max_header;
	if (limits != NULL && limits->max_body > 0)
		lim.max_body = limits->max_body;
	/* "METHOD SP target SP HTTP/1.1 CRLF" + "Name: value CRLF"... + CRLF */
	head = strlen(method) + 1 + strlen(target) + 11 + 2;
	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < nheaders; i++) {
		head += strlen(headers[i].name) + 2 + strlen(headers[i].value) + 2;
		pick_header(&headers[i], &h);
	}
	if (head > lim.max_header)
		return fail(rsp, M2M_E_TOO_LARGE, M2M_RSC_BAD_REQUEST, 431,
			    "request line and header fields (%zu bytes) exceed the limit of %zu bytes", head,
			    lim.max_header);
	if (framing_error(&h) != NULL)
		rc = fail(rsp, M2M_E_HTTP_FRAMING, M2M_RSC_BAD_REQUEST, 400, "%s", framing_error(&h));
	else if (body_len > lim.max_body)
		rc = fail(rsp, M2M_E_TOO_LARGE, M2M_RSC_BAD_REQUEST, 413,
			  "body (%zu bytes) exceeds the limit of %zu bytes", body_len, lim.max_body);
	else
		rc = parse(method, target, &h, body, body_len, req, rsp);
	if (rc != M2M_OK) {
		m2m_request_clear(req);
		if (rsp->rqi == NULL && ri_ok(h.ri))
			rsp->rqi = strdup(h.ri); /* echo when possible; best effort */
	}
	return rc;
}

/* ---- response (TS-0009 clauses 6.3, 6.4) ------------------------------------------------------ */

static void add_header(m2m_http_out *out, const char *name, const char *value)
{
	/* A value with a control character (CR/LF) is dropped: no header injection. */
	if (value != NULL && clean(value, strlen(value)) && out->nheaders < M2M_HTTP_OUT_MAX_HEADERS)
		out->headers[out->nheaders++] = (m2m_http_header){name, value};
}

m2m_err m2m_http_serialize_response(const m2m_request *req, const m2m_response *rsp, m2m_http_out *out)
{
	int rsc;
	const char *ri, *rvi;

	if (rsp == NULL || out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	rsc = rsp->rsc != 0 ? rsp->rsc : M2M_RSC_INTERNAL_SERVER_ERROR;
	out->status = rsp->http_status != 0 ? rsp->http_status : m2m_rsc_http_status(rsc);
	snprintf(out->rsc_buf, sizeof(out->rsc_buf), "%d", rsc);
	ri = rsp->rqi ? rsp->rqi : req ? req->rqi : NULL;
	rvi = rsp->rvi ? rsp->rvi : req && req->rvi ? req->rvi : "3";
	add_header(out, "X-M2M-RSC", out->rsc_buf);
	add_header(out, "X-M2M-RI", ri);
	if (strcmp(rvi, RVI_R1) != 0) /* TS-0004 Table 6.4.2-1: absent towards a Release-1 entity */
		add_header(out, "X-M2M-RVI", rvi);
	/* TS-0009 6.4.4: the created resource's ID, structured unless drt=2 asks for unstructured
	 * (TS-0004 Table 6.4.1-1: default structured); location alone when no path is known */
	if (req != NULL && req->op == M2M_OP_CREATE && (rsp->location != NULL || rsp->location_s != NULL))
		add_header(out, "Content-Location",
			   (req->drt == 2 && rsp->location != NULL) || rsp->location_s == NULL ? rsp->location
												: rsp->location_s);
	if (out->status == 405)
		add_header(out, "Allow", "GET, POST, PUT, DELETE");
	if (rsp->cnst == 1 && rsp->cnot > 0) { /* partial content and where to continue */
		snprintf(out->cto_buf, sizeof(out->cto_buf), "%ld", rsp->cnot);
		add_header(out, "X-M2M-CTS", "1");
		add_header(out, "X-M2M-CTO", out->cto_buf);
	}
	add_header(out, "X-M2M-ATI", rsp->ati); /* TS-0009 clause 6.4.18 */
	if (rsp->asri)
		add_header(out, "X-M2M-ASRI", "true"); /* TS-0009 clause 6.4.25 */
	if (rsp->retry_after > 0) { /* RFC 9110 clause 10.2.3: delay-seconds (with 429 or 503) */
		snprintf(out->retry_buf, sizeof(out->retry_buf), "%d", rsp->retry_after);
		add_header(out, "Retry-After", out->retry_buf);
	}
	if (rsp->pc != NULL) {
		/* an ESPrim answer's seci (TS-0004 7.6.2): its json_dumps bytes without the dump */
		if ((out->body = m2mi_seci_e2e_json_text(rsp->pc, &out->body_len)) == NULL &&
		    (out->body = json_dumps(rsp->pc, JSON_COMPACT)) != NULL)
			out->body_len = strlen(out->body);
		if (out->body == NULL) {
			memset(out, 0, sizeof(*out));
			return M2M_E_NOMEM;
		}
		add_header(out, "Content-Type", "application/json");
	}
	snprintf(out->len_buf, sizeof(out->len_buf), "%zu", out->body_len);
	add_header(out, "Content-Length", out->len_buf);
	return M2M_OK;
}

void m2m_http_out_clear(m2m_http_out *out)
{
	if (out == NULL)
		return;
	free(out->body);
	memset(out, 0, sizeof(*out));
}
