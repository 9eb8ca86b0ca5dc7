/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/acp_cron.c: accessControlWindow scheduleEntry
 * compilation and matching (TS-0004 Table 7.4.9.1-4). */
#include "m2m_test.h"
#include "core/acp_int.h"

#define T_WED_103015 INT64_C(1718188215) /* 2024-06-12 10:30:15 UTC, Wednesday */
#define T_SUN_235959 INT64_C(1718582399) /* 2024-06-16 23:59:59 UTC, Sunday */
#define T_Y2K INT64_C(946684800)         /* 2000-01-01 00:00:00 UTC, Saturday */
#define T_LEAPDAY INT64_C(1709208000)    /* 2024-02-29 12:00:00 UTC, Thursday */
#define T_LAST INT64_C(253402300799)     /* 9999-12-31 23:59:59 UTC, Friday */

static bool matches(const char *entry, int64_t t)
{
	struct m2mi_acp_cron c;
	struct m2mi_acp_tm tm;
	char msg[128];

	assert_int_equal(m2mi_acp_cron_parse(entry, strlen(entry), &c, msg, sizeof(msg)), M2M_OK);
	if (!m2mi_acp_cron_split(t, &tm))
		return false;
	return m2mi_acp_cron_match(&c, &tm);
}

static void rejects(const char *entry, const char *needle)
{
	struct m2mi_acp_cron c;
	char msg[128] = "";

	assert_int_equal(m2mi_acp_cron_parse(entry, strlen(entry), &c, msg, sizeof(msg)),
			 M2M_E_ACP_CRON);
	if (!strstr(msg, needle))
		fail_msg("'%s': message '%s' lacks '%s'", entry, msg, needle);
}

static void test_split(void **state)
{
	struct m2mi_acp_tm tm;

	assert_true(m2mi_acp_cron_split(T_WED_103015, &tm));
	assert_int_equal(tm.year, 2024);
	assert_int_equal(tm.mon, 6);
	assert_int_equal(tm.mday, 12);
	assert_int_equal(tm.hour, 10);
	assert_int_equal(tm.min, 30);
	assert_int_equal(tm.sec, 15);
	assert_int_equal(tm.wday, 3);
	assert_true(m2mi_acp_cron_split(T_LEAPDAY, &tm));
	assert_int_equal(tm.mon, 2);
	assert_int_equal(tm.mday, 29);
	assert_int_equal(tm.wday, 4);
	assert_true(m2mi_acp_cron_split(T_Y2K, &tm));
	assert_int_equal(tm.year, 2000);
	assert_int_equal(tm.wday, 6);
	assert_true(m2mi_acp_cron_split(T_LAST, &tm));
	assert_int_equal(tm.year, 9999);
	assert_int_equal(tm.mon, 12);
	assert_int_equal(tm.mday, 31);
	assert_int_equal(tm.wday, 5);
	assert_false(m2mi_acp_cron_split(T_Y2K - 1, &tm));  /* 1999 */
	assert_false(m2mi_acp_cron_split(T_LAST + 1, &tm)); /* 10000 */
	assert_false(m2mi_acp_cron_split(INT64_MIN, &tm));
	assert_false(m2mi_acp_cron_split(INT64_MAX, &tm));
}

static void test_split_matches_days_walk(void **state)
{
	/* walk day by day from 2000-01-01 for 30 years and check against a naive calendar */
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = 2000, m = 1, d = 1, wd = 6;
	struct m2mi_acp_tm tm;

	for (int64_t t = T_Y2K + 3661; t < T_Y2K + INT64_C(86400) * 366 * 30; t += 86400) {
		int dim = mdays[m - 1] + (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
		assert_true(m2mi_acp_cron_split(t, &tm));
		assert_int_equal(tm.year, y);
		assert_int_equal(tm.mon, m);
		assert_int_equal(tm.mday, d);
		assert_int_equal(tm.wday, wd);
		assert_int_equal(tm.hour, 1);
		assert_int_equal(tm.min, 1);
		assert_int_equal(tm.sec, 1);
		wd = (wd + 1) % 7;
		if (++d > dim) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
}

static void test_windows(void **state)
{
	assert_true(matches("* * * * * * *", T_WED_103015));
	assert_true(matches("15 30 10 12 6 3 2024", T_WED_103015));
	assert_false(matches("16 30 10 12 6 3 2024", T_WED_103015));
	/* ranges */
	assert_true(matches("* * 8-20 * * * *", T_WED_103015));
	assert_false(matches("* * 11-20 * * * *", T_WED_103015));
	assert_true(matches("* * 10-10 * * * *", T_WED_103015));
	/* steps: 0-23/2 contains 10, 1-23/2 does not; */
	assert_true(matches("* * 0-23/2 * * * *", T_WED_103015));
	assert_false(matches("* * 1-23/2 * * * *", T_WED_103015));
	assert_true(matches("*/5 */15 * * * * *", T_WED_103015));
	assert_false(matches("*/4 * * * * * *", T_WED_103015));
	/* lists */
	assert_true(matches("* 0-5,30 2,6,10 * * * *", T_WED_103015));
	assert_false(matches("* 0-5 2,6,10 * * * *", T_WED_103015));
	/* day of week, 0 = Sunday; AND with day of month */
	assert_true(matches("* * * * * 1-5 *", T_WED_103015));
	assert_false(matches("* * * * * 1-5 *", T_SUN_235959));
	assert_true(matches("* * * * * 0 *", T_SUN_235959));
	assert_true(matches("* * * * * */2 *", T_SUN_235959)); /* 0,2,4,6 */
	assert_false(matches("* * * * * */2 *", T_WED_103015));
	assert_false(matches("* * * 12 * 1 *", T_WED_103015)); /* dom matches, dow does not */
	/* month, leap day */
	assert_true(matches("* * * 29 2 * *", T_LEAPDAY));
	assert_false(matches("* * * * 1,3-12 * *", T_LEAPDAY));
	/* year */
	assert_true(matches("* * * * * * 2024", T_WED_103015));
	assert_false(matches("* * * * * * 2025", T_WED_103015));
	assert_true(matches("* * * * * * 2020-2030/2", T_WED_103015));
	assert_false(matches("* * * * * * 2021-2030/2", T_WED_103015));
	assert_true(matches("* * * * * * 2000,2024", T_WED_103015));
	assert_true(matches("* * * * * * */4", T_WED_103015)); /* 2000, 2004, ... */
	assert_true(matches("*/60 * * * * */7 *", T_SUN_235959 - 59)); /* step = span: minimum only */
	assert_false(matches("*/60 * * * * */7 *", T_SUN_235959));
	assert_false(matches("* * * * * * */5", T_WED_103015));
	assert_true(matches("* * * * * * 9999", T_LAST));
	/* outside the representable years: no window matches, not even all-stars */
	assert_false(matches("* * * * * * *", T_Y2K - 1));
	/* whitespace and leading zeros */
	assert_true(matches("  15\t30  10 12 06 3 2024 ", T_WED_103015));
}

static void test_rejects(void **state)
{
	rejects("* * * * * *", "expected 7 fields");
	rejects("* * * * * * * *", "more than 7");
	rejects("", "found 0");
	rejects("61 * * * * * *", "'second': 61 is out of range 0-59");
	rejects("* 60 * * * * *", "'minute': 60");
	rejects("* * 24 * * * *", "'hour'");
	rejects("* * * 0 * * *", "'day of month': 0");
	rejects("* * * 32 * * *", "'day of month'");
	rejects("* * * * 13 * *", "'month': 13 is out of range 1-12");
	rejects("* * * * 0 * *", "'month'");
	rejects("* * * * * 7 *", "'day of week': 7 is out of range 0-6");
	rejects("* * * * * * 1999", "'year': 1999 is out of range 2000-9999");
	rejects("* * * * * * 10000", "'year'");
	rejects("* * 5-3 * * * *", "reversed");
	rejects("* * */0 * * * *", "step must be at least 1");
	rejects("* * 5/2 * * * *", "needs '*' or a range");
	rejects("* * 1,,2 * * * *", "empty list element");
	rejects("* * 1, * * * *", "empty list element");
	rejects("* * -1 * * * *", "is not *, n, a-b");
	rejects("* * a * * * *", "is not *, n, a-b");
	rejects("* * 1-2-3 * * * *", "is not *, n, a-b");
	rejects("* * ? * * * *", "is not *, n, a-b");
	rejects("* * 0000001 * * * *", "number too long");
	rejects("*/61 * * * * * *", "step 61 is out of range 1-60");
	rejects("* * * * * */8 *", "step 8 is out of range 1-7");
	rejects("* * * * * * 2000,2001,2002,2003,2004,2005,2006,2007,2008,2009,2010,2011,2012,"
		"2013,2014,2015,2016", "more than 16");
	{
		char big[400];
		memset(big, '*', sizeof(big));
		big[sizeof(big) - 1] = '\0';
		rejects(big, "longer than 256");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_matches_days_walk),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
