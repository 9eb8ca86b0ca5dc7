/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/mef/console_html.c: every character that
 * matters to HTML is escaped, query values are percent-encoded, and the form decoder refuses what
 * is ambiguous or unsafe (a field twice, a bad %-escape, a NUL or control character, too long).
 */
#include "m2m_test.h"

#include <stdlib.h>

#include "services/mef/console_int.h"

static void test_escape(void **state)
{
	m2mi_html h = {0};

	(void)state;
	m2mi_html_esc(&h, "<script>alert('x')</script>&\"");
	assert_string_equal(h.p, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
	m2mi_html_free(&h);
	m2mi_html_url(&h, "dev1@mef.example.com/\"<a> b");
	assert_string_equal(h.p, "dev1%40mef.example.com%2F%22%3Ca%3E%20b");
	m2mi_html_free(&h);
	m2mi_html_fmt(&h, "%d-%s", 42, "x");
	m2mi_html_raw(&h, "<b>");
	assert_string_equal(h.p, "42-x<b>");
	assert_false(h.oom);
	m2mi_html_free(&h);
}

static void test_form(void **state)
{
	char v[16];

	(void)state;
	assert_int_equal(m2mi_form_get("a=1&id=dev1%40x+y&b", 19, "id", v, sizeof(v)), M2M_OK);
	assert_string_equal(v, "dev1@x y");
	assert_int_equal(m2mi_form_get("a=1&b", 5, "b", v, sizeof(v)), M2M_OK);
	assert_string_equal(v, "");
	assert_int_equal(m2mi_form_get("a=1", 3, "id", v, sizeof(v)), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_form_get("ida=1", 5, "id", v, sizeof(v)), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_form_get("id=1&id=2", 9, "id", v, sizeof(v)), M2M_E_PROTO);
	assert_int_equal(m2mi_form_get("id=%4", 5, "id", v, sizeof(v)), M2M_E_PROTO);
	assert_int_equal(m2mi_form_get("id=%zz", 6, "id", v, sizeof(v)), M2M_E_PROTO);
	assert_int_equal(m2mi_form_get("id=a%00b", 8, "id", v, sizeof(v)), M2M_E_PROTO);
	assert_int_equal(m2mi_form_get("id=a%0Ab", 8, "id", v, sizeof(v)), M2M_E_PROTO);
	assert_int_equal(m2mi_form_get("id=0123456789abcdef", 19, "id", v, sizeof(v)), M2M_E_RANGE);
	/* the length bounds the parse: nothing beyond len is read */
	assert_int_equal(m2mi_form_get("id=ab&x", 4, "id", v, sizeof(v)), M2M_OK);
	assert_string_equal(v, "a");
	assert_int_equal(m2mi_form_get(NULL, 0, "id", v, sizeof(v)), M2M_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
