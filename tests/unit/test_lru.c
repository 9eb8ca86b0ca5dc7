/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of core/lru.h: the intrusive recency list of the bounded
 * caches (push to the front, touch, unlink at either end and in the middle, entry recovery). */
#include "m2m_test.h"
#include "core/lru.h"

struct item {
	int id;
	m2mi_lru_node lru;
};

#define ITEM(n) M2MI_LRU_ENTRY(n, struct item, lru)

static void test_order_touch_unlink(void **state)
{
	struct item it[3] = {{.id = 0}, {.id = 1}, {.id = 2}};
	m2mi_lru l = {0};

	(void)state;
	assert_null(ITEM(l.tail));
	for (int i = 0; i < 3; i++)
		m2mi_lru_push_front(&l, &it[i].lru);
	assert_int_equal(ITEM(l.head)->id, 2); /* most recent */
	assert_int_equal(ITEM(l.tail)->id, 0); /* eviction candidate */
	m2mi_lru_touch(&l, &it[0].lru);
	assert_int_equal(ITEM(l.head)->id, 0);
	assert_int_equal(ITEM(l.tail)->id, 1);
	m2mi_lru_unlink(&l, &it[2].lru); /* the middle */
	assert_ptr_equal(l.head->next, &it[1].lru);
	assert_ptr_equal(l.tail->prev, &it[0].lru);
	assert_null(it[2].lru.prev);
	assert_null(it[2].lru.next);
	m2mi_lru_unlink(&l, &it[1].lru); /* the tail */
	m2mi_lru_unlink(&l, &it[0].lru); /* the last one */
	assert_null(l.head);
	assert_null(l.tail);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_touch_unlink),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
