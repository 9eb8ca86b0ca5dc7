/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements accessControlWindow (actw) of an access-control context, TS-0003 clause
 * 7.1.3 / 7.1.5 res_time: compiling an m2m:scheduleEntry (TS-0004 clause 7.4.9.1, Table
 * 7.4.9.1-4) into per-field bitsets, and matching a UTC time against it.
 *
 * Syntax accepted: exactly 7 fields "second minute hour day-of-month month day-of-week year"
 * separated by runs of spaces/tabs (leading/trailing blanks ignored). A field is a comma list
 * of elements; an element is "*", "*\/step", "n", "a-b" or "a-b/step" (decimal, leading zeros
 * allowed). "n/step" is not an element in Table 7.4.9.1-4 and is rejected, as are reversed
 * ranges, step 0, values outside the field range and day-of-week 7 (the table says 0..6,
 * 0 = Sunday). A time matches when EVERY field matches (day-of-month AND day-of-week, unlike
 * Vixie cron's OR). Times outside 2000..9999 match no window. Pure: no I/O, no libc time.
 */
#include <stdio.h>
#include <string.h>

#include "core/acp_int.h"

struct cron_field {
	const char *name;
	int lo, hi;
};

static const struct cron_field cron_fields[7] = {
	{"second", 0, 59}, {"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31},
	{"month", 1, 12},  {"day of week", 0, 6}, {"year", 2000, 9999},
};

/* Seconds at 2000-01-01T00:00:00Z and 10000-01-01T00:00:00Z. */
#define CRON_T_MIN INT64_C(946684800)
#define CRON_T_END INT64_C(253402300800)

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Parse up to 6 decimal digits at *p (< end). Returns -1 when there is no digit, -2 when the
 * number has more than 6 digits. */
static long cron_num(const char **p, const char *end)
{
	long v = 0;
	int n = 0;

	while (*p < end && **p >= '0' && **p <= '9') {
		if (++n > 6)
			return -2;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return n == 0 ? -1 : v;
}

static void cron_set(struct m2mi_acp_cron *c, int field, int lo, int hi, int step)
{
	for (int v = lo; v <= hi; v += step) {
		switch (field) {
		case 0: c->sec |= UINT64_C(1) << v; break;
		case 1: c->min |= UINT64_C(1) << v; break;
		case 2: c->hour |= UINT32_C(1) << v; break;
		case 3: c->mday |= UINT32_C(1) << v; break;
		case 4: c->mon = (uint16_t)(c->mon | (1u << v)); break;
		default: c->wday = (uint8_t)(c->wday | (1u << v)); break;
		}
	}
}

/* One element e[0..n) of field f. */
static m2m_err cron_element(struct m2mi_acp_cron *c, int f, const char *e, size_t n, char *msg,
			    size_t msgcap)
{
	const struct cron_field *d = &cron_fields[f];
	const char *p = e, *end = e + n;
	long lo, hi, step = 1;
	bool range = false;

	if (n == 0) {
		snprintf(msg, msgcap, "field '%s': empty list element", d->name);
		return M2M_E_ACP_CRON;
	}
	if (*p == '*') {
		p++;
		lo = d->lo;
		hi = d->hi;
		range = true;
	} else {
		lo = cron_num(&p, end);
		hi = lo;
		if (lo >= 0 && p < end && *p == '-') {
			p++;
			hi = cron_num(&p, end);
			range = true;
		}
	}
	if (lo >= 0 && hi >= 0 && p < end && *p == '/') {
		if (!range) {
			snprintf(msg, msgcap, "field '%s': a step needs '*' or a range before '/'",
				 d->name);
			return M2M_E_ACP_CRON;
		}
		p++;
		step = cron_num(&p, end);
		if (step == 0) {
			snprintf(msg, msgcap, "field '%s': step must be at least 1", d->name);
			return M2M_E_ACP_CRON;
		}
	}
	if (lo == -2 || hi == -2 || step == -2) {
		snprintf(msg, msgcap, "field '%s': number too long", d->name);
		return M2M_E_ACP_CRON;
	}
	if (lo < 0 || hi < 0 || step < 0 || p != end) {
		snprintf(msg, msgcap, "field '%s': '%.*s' is not *, n, a-b or a-b/step", d->name,
			 (int)(n > 24 ? 24 : n), e);
		return M2M_E_ACP_CRON;
	}
	if (lo < d->lo || lo > d->hi || hi < d->lo || hi > d->hi) {
		snprintf(msg, msgcap, "field '%s': %ld is out of range %d-%d%s", d->name,
			 (lo < d->lo || lo > d->hi) ? lo : hi, d->lo, d->hi,
			 f == 5 ? " (0 is Sunday)" : "");
		return M2M_E_ACP_CRON;
	}
	if (hi < lo) {
		snprintf(msg, msgcap, "field '%s': range %ld-%ld is reversed", d->name, lo, hi);
		return M2M_E_ACP_CRON;
	}
	if (step > d->hi - d->lo + 1) {
		snprintf(msg, msgcap, "field '%s': step %ld is out of range 1-%d", d->name, step,
			 d->hi - d->lo + 1);
		return M2M_E_ACP_CRON;
	}
	if (f < 6) {
		cron_set(c, f, (int)lo, (int)hi, (int)step);
		return M2M_OK;
	}
	if (c->nyear >= M2MI_ACP_CRON_YEARS) {
		snprintf(msg, msgcap, "field 'year': more than %d list elements",
			 M2MI_ACP_CRON_YEARS);
		return M2M_E_ACP_CRON;
	}
	c->year[c->nyear].lo = (uint16_t)lo;
	c->year[c->nyear].hi = (uint16_t)hi;
	c->year[c->nyear].step = (uint16_t)step;
	c->nyear++;
	return M2M_OK;
}

static m2m_err cron_field_parse(struct m2mi_acp_cron *c, int f, const char *s, size_t n,
				char *msg, size_t msgcap)
{
	size_t start = 0;

	if (f == 6 && n == 1 && s[0] == '*')
		return M2M_OK; /* nyear 0: any year */
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == ',') {
			m2m_err r = cron_element(c, f, s + start, i - start, msg, msgcap);
			if (r != M2M_OK)
				return r;
			start = i + 1;
		}
	}
	return M2M_OK;
}

m2m_err m2mi_acp_cron_parse(const char *s, size_t len, struct m2mi_acp_cron *out, char *msg,
			    size_t msgcap)
{
	struct m2mi_acp_cron c;
	const char *f[8];
	size_t flen[8];
	int nf = 0;
	size_t i = 0;

	memset(&c, 0, sizeof(c));
	if (len > M2MI_ACP_CRON_TEXT_MAX) {
		snprintf(msg, msgcap, "schedule entry longer than %d bytes", M2MI_ACP_CRON_TEXT_MAX);
		return M2M_E_ACP_CRON;
	}
	while (i < len) {
		while (i < len && is_blank(s[i]))
			i++;
		if (i == len)
			break;
		if (nf == 7) {
			nf++;
			break;
		}
		f[nf] = s + i;
		while (i < len && !is_blank(s[i]))
			i++;
		flen[nf] = (size_t)(s + i - f[nf]);
		nf++;
	}
	if (nf != 7) {
		snprintf(msg, msgcap,
			 "expected 7 fields 'sec min hour day-of-month month day-of-week year', found %s%d",
			 nf > 7 ? "more than " : "", nf > 7 ? 7 : nf);
		return M2M_E_ACP_CRON;
	}
	for (int k = 0; k < 7; k++) {
		m2m_err r = cron_field_parse(&c, k, f[k], flen[k], msg, msgcap);
		if (r != M2M_OK)
			return r;
	}
	*out = c;
	return M2M_OK;
}

bool m2mi_acp_cron_split(int64_t t, struct m2mi_acp_tm *tm)
{
	int64_t days, rem, z, era, doe, yoe, doy, mp;

	if (t < CRON_T_MIN || t >= CRON_T_END)
		return false;
	days = t / 86400;
	rem = t % 86400;
	tm->hour = (int)(rem / 3600);
	tm->min = (int)(rem / 60 % 60);
	tm->sec = (int)(rem % 60);
	tm->wday = (int)((days + 4) % 7); /* 1970-01-01 was a Thursday */
	/* days -> civil date (proleptic Gregorian), after H. Hinnant's days_from_civil inverse */
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = (int)(yoe + era * 400 + (tm->mon <= 2));
	return true;
}

bool m2mi_acp_cron_match(const struct m2mi_acp_cron *c, const struct m2mi_acp_tm *tm)
{
	if (!(c->sec >> tm->sec & 1) || !(c->min >> tm->min & 1) || !(c->hour >> tm->hour & 1) ||
	    !(c->mday >> tm->mday & 1) || !(c->mon >> tm->mon & 1) || !(c->wday >> tm->wday & 1))
		return false;
	if (c->nyear == 0)
		return true;
	for (unsigned i = 0; i < c->nyear; i++) {
		int lo = c->year[i].lo, hi = c->year[i].hi, st = c->year[i].step;
		if (tm->year >= lo && tm->year <= hi && (tm->year - lo) % st == 0)
			return true;
	}
	return false;
}
