/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of store/sqlite_gate.c, the writer gate of the SQLite
 * stores: one gate per (device, inode) shared by reference, mutual exclusion under contention,
 * arrival-order hand-over once waiters starve (never overtaken by a later arrival), and the
 * payload made once per gate (the resource store's one write connection per file).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "m2m_test.h"
#include "store/sqlite_gate.h"

static void test_registry(void **state)
{
	m2mi_sqlite_gate *a = NULL, *b = NULL, *c = NULL;
	size_t n0 = m2mi_sqlite_gate_count();

	(void)state;
	assert_int_equal(m2mi_sqlite_gate_get(7, 11, &a), M2M_OK);
	assert_int_equal(m2mi_sqlite_gate_get(7, 11, &b), M2M_OK);
	assert_ptr_equal(a, b); /* the same file: the same gate */
	assert_int_equal(m2mi_sqlite_gate_get(7, 12, &c), M2M_OK);
	assert_ptr_not_equal(a, c); /* another file never waits on this one */
	assert_int_equal(m2mi_sqlite_gate_count(), n0 + 2);
	m2mi_sqlite_gate_put(b);
	assert_int_equal(m2mi_sqlite_gate_count(), n0 + 2); /* a still holds a reference */
	m2mi_sqlite_gate_put(a);
	m2mi_sqlite_gate_put(c);
	assert_int_equal(m2mi_sqlite_gate_count(), n0);
	m2mi_sqlite_gate_put(NULL);
}

struct order {
	m2mi_sqlite_gate *g;
	atomic_int next;
	int seen[2];
};

struct arrival {
	struct order *o;
	int id;
};

static void *enter_and_record(void *arg)
{
	struct arrival *a = arg;

	m2mi_sqlite_gate_enter(a->o->g);
	a->o->seen[atomic_fetch_add(&a->o->next, 1)] = a->id;
	m2mi_sqlite_gate_leave(a->o->g);
	return NULL;
}

static void wait_queued(m2mi_sqlite_gate *g, size_t n)
{
	while (m2mi_sqlite_gate_queued(g) != n)
		sched_yield();
}

/* Starving waiters are served in arrival order: A queued before B enters before B (patience 0:
 * every waiter counts as starving at once, so the order does not depend on timing). */
static void test_first_come_first_served(void **state)
{
	struct order o = {0};
	struct arrival a = {&o, 1}, b = {&o, 2};
	pthread_t ta, tb;

	(void)state;
	assert_int_equal(m2mi_sqlite_gate_get(7, 21, &o.g), M2M_OK);
	m2mi_sqlite_gate_set_patience(o.g, 0);
	m2mi_sqlite_gate_enter(o.g);
	assert_int_equal(m2mi_sqlite_gate_queued(o.g), 1);
	assert_int_equal(pthread_create(&ta, NULL, enter_and_record, &a), 0);
	wait_queued(o.g, 2);
	assert_int_equal(pthread_create(&tb, NULL, enter_and_record, &b), 0);
	wait_queued(o.g, 3);
	assert_int_equal(atomic_load(&o.next), 0); /* nobody got in while the gate was held */
	/* the woken waiters turn the gate to arrival order (patience 0): A first, then B */
	m2mi_sqlite_gate_leave(o.g);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(o.seen[0], 1);
	assert_int_equal(o.seen[1], 2);
	assert_int_equal(m2mi_sqlite_gate_queued(o.g), 0);
	m2mi_sqlite_gate_put(o.g);
}

#define NTHREADS 4
#define ROUNDS 2000

struct excl {
	m2mi_sqlite_gate *g;
	int inside;   /* written only under the gate */
	long total;   /* written only under the gate */
	atomic_int overlaps;
};

static void *hammer(void *arg)
{
	struct excl *x = arg;

	for (int i = 0; i < ROUNDS; i++) {
		m2mi_sqlite_gate_enter(x->g);
		if (x->inside++ != 0)
			atomic_fetch_add(&x->overlaps, 1);
		x->total++;
		if (i % 64 == 0)
			sched_yield(); /* give the others a chance to run while the gate is held */
		x->inside--;
		m2mi_sqlite_gate_leave(x->g);
	}
	return NULL;
}

static void test_mutual_exclusion(void **state)
{
	struct excl x = {0};
	pthread_t t[NTHREADS];

	(void)state;
	assert_int_equal(m2mi_sqlite_gate_get(7, 31, &x.g), M2M_OK);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &x), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&x.overlaps), 0);
	assert_int_equal(x.total, (long)NTHREADS * ROUNDS);
	assert_int_equal(m2mi_sqlite_gate_queued(x.g), 0);
	m2mi_sqlite_gate_put(x.g);
}

static int made, dropped;

static m2m_err make_obj(void *arg, void **obj)
{
	if (arg != NULL)
		return M2M_E_IO; /* a failing make attaches nothing */
	made++;
	*obj = &made;
	return M2M_OK;
}

static void drop_obj(void *obj)
{
	assert_ptr_equal(obj, &made);
	dropped++;
}

/* The payload (the resource store's write connection) is made once per gate and dropped with
 * the last reference. */
static void test_payload(void **state)
{
	m2mi_sqlite_gate *a = NULL, *b = NULL;
	void *o1 = NULL, *o2 = NULL;
	int fail = 1;

	(void)state;
	assert_int_equal(m2mi_sqlite_gate_get(7, 41, &a), M2M_OK);
	assert_int_equal(m2mi_sqlite_gate_get(7, 41, &b), M2M_OK);
	assert_int_equal(m2mi_sqlite_gate_payload(a, make_obj, &fail, drop_obj, &o1), M2M_E_IO);
	assert_null(o1);
	assert_int_equal(m2mi_sqlite_gate_payload(a, make_obj, NULL, drop_obj, &o1), M2M_OK);
	assert_int_equal(m2mi_sqlite_gate_payload(b, make_obj, NULL, drop_obj, &o2), M2M_OK);
	assert_ptr_equal(o1, &made);
	assert_ptr_equal(o2, o1);
	assert_int_equal(made, 1);
	m2mi_sqlite_gate_put(a);
	assert_int_equal(dropped, 0);
	m2mi_sqlite_gate_put(b);
	assert_int_equal(dropped, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_first_come_first_served),
		cmocka_unit_test(test_mutual_exclusion),
		cmocka_unit_test(test_payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
