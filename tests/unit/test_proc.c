/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the procedure-service envelope shared by the MEF and
 * the MAF (services/proc/proc.c): NULL arguments answer 5000 without an audit, rqi/rvi are
 * echoed, an unassociated caller gets 4107 before any store access, a POST (NOTIFY) to a listed
 * collection becomes its CREATE and to anything else does not, a failed begin is a 5000, a
 * failed commit turns a success into a 5000 "store-error", and the PSK binding / configured-name
 * helpers refuse what does not fit.
 */
#include "m2m_test.h"

#include <stdlib.h>

#include "m2msec/rsc.h"
#include "services/proc/proc.h"

typedef struct fake {
	m2m_err begin_r, end_r;
	int begun, dispatched;
	m2m_op op_seen;
	m2m_op begin_op; /* the op begin was given (it picks a read or a write transaction) */
	char to_seen[64];
} fake;

static const int the_assoc = 1;

static const char *procedure(const char *to)
{
	return m2mi_proc_starts(to, "fetch") ? "fetch-proc" : NULL;
}

static m2m_err begin(void *ctx, const char *to, m2m_op op)
{
	fake *f = ctx;

	(void)to;
	f->begun++;
	f->begin_op = op;
	return f->begin_r;
}

static m2m_err dispatch(void *ctx, const void *a, const char *to, m2m_request *req, m2m_response *rsp, int64_t now,
		       m2mi_proc_out *o)
{
	fake *f = ctx;

	assert_ptr_equal(a, &the_assoc);
	assert_int_equal(now, 42);

	f->dispatched++;
	f->op_seen = req->op;
	snprintf(f->to_seen, sizeof(f->to_seen), "%s", to);
	snprintf(o->enrolee_id, sizeof(o->enrolee_id), "enr");
	m2mi_proc_set_body(rsp, M2M_RSC_CREATED, json_object());
	return M2M_OK;
}

static m2m_err end(void *ctx, m2m_err r)
{
	fake *f = ctx;

	return r == M2M_OK ? f->end_r : r;
}

static const char *const colls[] = {"coll", NULL};
static const m2mi_proc_ops ops = {"XYZ", colls, procedure, begin, dispatch, end};

static int run(fake *f, bool assoc, m2m_op op, const char *to, m2mi_proc_out *o, m2m_response *rsp)
{
	m2m_request req;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.to = (char *)to;
	req.rqi = (char *)"rq-1";
	req.rvi = (char *)"4";
	m2m_response_init(rsp);
	assert_true(m2mi_proc_handle(&ops, f, &the_assoc, assoc, "Cme", &req, rsp, 42, o));
	return rsp->rsc;
}

static void test_envelope(void **state)
{
	fake f = {.begin_r = M2M_OK, .end_r = M2M_OK};
	m2mi_proc_out o = {.proc = "request", .outcome = "ok"};
	m2m_response rsp;

	(void)state;
	assert_int_equal(run(&f, true, M2M_OP_NOTIFY, "/coll", &o, &rsp), M2M_RSC_CREATED);
	assert_int_equal(f.op_seen, M2M_OP_CREATE);
	assert_int_equal(f.begin_op, M2M_OP_CREATE); /* begin sees the CREATE: a write transaction */
	assert_string_equal(f.to_seen, "coll");
	assert_string_equal(rsp.rqi, "rq-1");
	assert_string_equal(rsp.rvi, "4");
	assert_string_equal(o.outcome, "ok");
	/* what the audit reports */
	assert_int_equal(o.rsc, M2M_RSC_CREATED);
	assert_string_equal(o.client, "Cme");
	assert_string_equal(o.rqi, "rq-1");
	assert_null(m2mi_proc_nz(o.key_id));
	assert_string_equal(m2mi_proc_nz(o.enrolee_id), "enr");
	m2m_response_clear(&rsp);
	/* a POST below the collection stays a NOTIFY for the handler to refuse */
	assert_int_equal(run(&f, true, M2M_OP_NOTIFY, "coll/x", &o, &rsp), M2M_RSC_CREATED);
	assert_int_equal(f.op_seen, M2M_OP_NOTIFY);
	assert_int_equal(f.begin_op, M2M_OP_NOTIFY);
	m2m_response_clear(&rsp);
}

static void test_refusals(void **state)
{
	fake f = {.begin_r = M2M_OK, .end_r = M2M_OK};
	m2mi_proc_out o = {.proc = "request", .outcome = "ok"};
	m2m_response rsp;
	m2m_request req;

	(void)state;
	/* no association: 4107 before the store is touched; the early procedure name stays */
	assert_int_equal(run(&f, false, M2M_OP_RETRIEVE, "fetch/1", &o, &rsp), M2M_RSC_SECURITY_ASSOCIATION_REQUIRED);
	assert_int_equal(f.begun, 0);
	assert_string_equal(o.outcome, "no-association");
	assert_string_equal(o.proc, "fetch-proc");
	m2m_response_clear(&rsp);
	/* the store does not open: 5000, no dispatch */
	f.begin_r = M2M_E_STORE;
	o.outcome = "ok";
	assert_int_equal(run(&f, true, M2M_OP_RETRIEVE, "coll", &o, &rsp), M2M_RSC_INTERNAL_SERVER_ERROR);
	assert_int_equal(f.dispatched, 0);
	assert_string_equal(o.outcome, "store-error");
	m2m_response_clear(&rsp);
	/* the commit fails: the success is withdrawn, the enrolee not reported */
	f.begin_r = M2M_OK;
	f.end_r = M2M_E_STORE;
	o.outcome = "ok";
	assert_int_equal(run(&f, true, M2M_OP_CREATE, "coll", &o, &rsp), M2M_RSC_INTERNAL_SERVER_ERROR);
	assert_string_equal(o.outcome, "store-error");
	assert_string_equal(o.enrolee_id, "");
	m2m_response_clear(&rsp);
	/* nothing to answer with */
	memset(&req, 0, sizeof(req));
	m2m_response_init(&rsp);
	assert_false(m2mi_proc_handle(&ops, NULL, &the_assoc, true, NULL, &req, &rsp, 42, &o));
	assert_int_equal(rsp.rsc, M2M_RSC_INTERNAL_SERVER_ERROR);
	m2m_response_clear(&rsp);
	assert_false(m2mi_proc_handle(&ops, &f, &the_assoc, true, NULL, NULL, NULL, 42, &o));
}

static void test_helpers(void **state)
{
	char big[M2M_SA_ID_MAX + 8];
	m2m_sa b;
	bool ok = true;
	char *d;

	(void)state;
	assert_int_equal(m2mi_proc_psk_binding(&b, M2M_ENTITY_AE, 7, "CAE1", "11-", "k@maf.example.com"), M2M_OK);
	assert_int_equal(b.kind, M2M_SA_PSK);
	assert_int_equal(b.entity, M2M_ENTITY_AE);
	assert_int_equal(b.expiry, 7);
	assert_string_equal(b.bound_id, "CAE1");
	assert_string_equal(b.credential_id, "11-k@maf.example.com");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(m2mi_proc_psk_binding(&b, M2M_ENTITY_AE, 7, big, "11-", "k"), M2M_E_RANGE);
	assert_int_equal(m2mi_proc_psk_binding(&b, M2M_ENTITY_AE, 7, "CAE1", "11-", big), M2M_E_RANGE);
	assert_true(m2mi_proc_sp_id_ok(NULL));
	assert_true(m2mi_proc_sp_id_ok("//sp.example.com"));
	assert_false(m2mi_proc_sp_id_ok("sp.example.com"));
	assert_false(m2mi_proc_sp_id_ok("//bad_host!"));
	assert_false(m2mi_proc_fqdn_ok(NULL));
	assert_true(m2mi_proc_fqdn_ok("maf.example.com"));
	assert_null(m2mi_proc_dup(NULL, &ok));
	assert_true(ok);
	d = m2mi_proc_dup("x", &ok);
	assert_string_equal(d, "x");
	free(d);
	assert_true(m2mi_proc_starts("mafKeyReg/ABC", "mafKeyReg"));
	assert_false(m2mi_proc_starts("mafKeyRegX", "mafKeyReg"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
