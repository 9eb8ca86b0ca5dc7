/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/cse.c: the request dispatch of
 * m2m_cse_handle in-process — lifecycle and first start, the originator rules (TS-0004 clause
 * 7.3.2.1), primitive checks, the admin bypass only over a bound association, and rollback.
 */
#include <sys/stat.h>

#include "cse_fixture.h"

static void test_lifecycle_and_reopen(void **state)
{
	fx *f = fx_open(true);
	m2m_cse *again = NULL;
	m2m_cse_config bad;
	struct stat st;
	const char *ae;

	(void)state;
	m2m_cse_free(NULL);
	m2m_cse_worker_free(NULL);
	assert_int_equal(m2m_cse_new(NULL, &again), M2M_E_INVAL);
	assert_null(again);
	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	ae = fx_ae(f, "Cpersist", "persist");
	assert_string_equal(ae, "Cpersist");
	/* a second CSE on the same store keeps everything */
	assert_int_equal(m2m_cse_new(&f->cfg, &again), M2M_OK);
	m2m_cse_free(again);
	assert_int_equal(fx_rows(f, "Cpersist"), 1);
	assert_int_equal(fx_rows(f, "cse-in"), 1);
	assert_int_equal(fx_rows(f, M2MI_ADMIN_ACP), 1);
	/* a different CSE-ID on an existing store is refused */
	bad = f->cfg;
	snprintf(bad.cse_id, sizeof(bad.cse_id), "/id-other");
	assert_int_equal(m2m_cse_new(&bad, &again), M2M_E_CONFIG);
	assert_null(again);
	fx_close(f);
}

static void test_null_and_bad_primitives(void **state)
{
	fx *f = *state;
	m2m_response rsp;

	m2m_response_init(&rsp);
	m2m_cse_handle(NULL, NULL, NULL, &rsp, 0);
	assert_int_equal(rsp.rsc, M2M_RSC_INTERNAL_SERVER_ERROR);
	m2m_response_clear(&rsp);
	m2m_cse_handle(f->w, NULL, NULL, NULL, 0); /* no crash */
	fx_auth(f);
	assert_rsc(f, fx_req(f, M2M_OP_NOTIFY, "cse-in", "CAdmin", 0, "{}"), M2M_RSC_NOT_IMPLEMENTED);
	assert_rsc(f, fx_req(f, (m2m_op)9, "cse-in", "CAdmin", 0, NULL), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", 0, "{\"m2m:cnt\":{}}"), M2M_RSC_BAD_REQUEST);
	fx_prepare(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{}}");
	f->req.fc.nty = 1;
	f->req.fc.ty[0] = 3;
	assert_rsc(f, fx_send(f), M2M_RSC_BAD_REQUEST);
	/* TS-0004 Table 7.2.1.1-1: Resource Type is NP outside CREATE, whatever the binding mapped */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "CAdmin", M2M_TY_AE, NULL), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in", "CAdmin", M2M_TY_CNT, NULL), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in", "CAdmin", M2M_TY_CSEBASE, "{\"m2m:cb\":{\"lbl\":[\"x\"]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_NOTIFY, "cse-in", "CAdmin", M2M_TY_AE, "{}"), M2M_RSC_BAD_REQUEST);
	fx_prepare(f, M2M_OP_DELETE, "cse-in", "CAdmin", 0, NULL);
	f->req.fc.fu = 1;
	assert_rsc(f, fx_send(f), M2M_RSC_BAD_REQUEST);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", 13, "{\"m2m:mgo\":{}}"), M2M_RSC_NOT_IMPLEMENTED);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_CSEBASE, "{\"m2m:cb\":{}}"),
		   M2M_RSC_INVALID_CHILD_RESOURCE_TYPE);
	/* rqi / rvi are echoed */
	fx_prepare(f, M2M_OP_RETRIEVE, "cse-in", "CAdmin", 0, NULL);
	f->req.rvi = strdup("3");
	assert_rsc(f, fx_send(f), M2M_RSC_OK);
	assert_string_equal(f->rsp.rqi, f->req.rqi);
	assert_string_equal(f->rsp.rvi, "3");
}

static void test_originator_rules(void **state)
{
	fx *f = *state;

	fx_plain(f);
	/* From missing outside AE registration */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", NULL, 0, NULL), M2M_RSC_BAD_REQUEST);
	/* outside an association, an AE-ID of no registered AE */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "Cnobody", 0, NULL), M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "/id-mn/Cnobody", 0, NULL),
		   M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	/* an AE-ID of this CSE in a non-stem form: TS-0004 7.3.2.1 BAD_REQUEST (issue 6) */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "/id-in/Cnobody", 0, NULL), M2M_RSC_BAD_REQUEST);
	/* a CSE-ID outside an association */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "/id-mn", 0, NULL), M2M_RSC_SECURITY_ASSOCIATION_REQUIRED);
	/* over an association, From must be the bound identity */
	fx_bound(f, "Cdev1");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "Cdev2", 0, NULL), M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	/* a registered AE is accepted outside an association, but only with what an ACP grants to
	 * unauthenticated originators: not even its own <AE> (creator rule needs rq_authn; issue 6,
	 * was 2000) */
	fx_ae(f, "Cplain", "plain");
	fx_plain(f);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/plain", "Cplain", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "Cplain", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
}

static void test_missing_target(void **state)
{
	fx *f = *state;

	fx_auth(f);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/nothing", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cnt0000", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/nothing", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "", "CAdmin", 0, NULL), M2M_RSC_BAD_REQUEST);
}

/* The admin has full access only when bound (or on plain HTTP with the dev switch). */
static void test_admin_only_when_bound(void **state)
{
	fx *f = fx_open(false);
	const char *cnt = "{\"m2m:cnt\":{\"rn\":\"adm\"}}";

	(void)state;
	fx_plain(f); /* plain HTTP without the switch: an ordinary, unregistered originator */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "CAdmin", 0, NULL), M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_CNT, cnt),
		   M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	fx_bound(f, "Cother"); /* bound to someone else: From CAdmin is an impersonation */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "CAdmin", 0, NULL), M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	fx_bound(f, "CAdmin"); /* bound to the admin: full access */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "CAdmin", 0, NULL), M2M_RSC_OK);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, cnt);
	fx_bound(f, "/id-in/CAdmin"); /* the same identity in SP-relative form */
	assert_rsc(f, fx_req(f, M2M_OP_DELETE, "cse-in/adm", "CAdmin", 0, NULL), M2M_RSC_DELETED);
	/* nobody may register as the admin's AE-ID */
	fx_plain(f);
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_AE,
			     "{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"]}}"),
		   M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	fx_close(f);
	/* with dev-admin-over-plain-http the plain listener is trusted for the admin */
	f = fx_open(true);
	fx_plain(f);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "CAdmin", 0, NULL), M2M_RSC_OK);
	/* but not for anybody else */
	fx_ae(f, "Cuser", "user");
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cuser", M2M_TY_CNT, cnt), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	fx_close(f);
}

/* A failing request leaves nothing behind, even after it wrote inside its transaction. */
static void test_rollback(void **state)
{
	fx *f = *state;
	int64_t t0 = f->now;

	fx_auth(f);
	/* an AE registration expiring soon */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cshort", M2M_TY_AE,
			     "{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"],\"et\":\"20991231T000000\"}}"),
		   M2M_RSC_CREATED);
	/* an instant after its et, a re-registration removes the stale row, then fails: rollback */
	f->now = 4102444800LL; /* 2100-01-01 */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "Cshort", M2M_TY_AE,
			     "{\"m2m:ae\":{\"api\":\"bad\",\"rr\":true,\"srv\":[\"3\"]}}"),
		   M2M_RSC_BAD_REQUEST);
	assert_int_equal(fx_rows(f, "Cshort"), 1);
	f->now = t0;
	/* a failed CREATE leaves no row */
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"rb\"}}");
	fx_prepare(f, M2M_OP_CREATE, "cse-in/rb", "CAdmin", M2M_TY_GRP,
		   "{\"m2m:grp\":{\"rn\":\"g\",\"mt\":2,\"mnm\":5,\"csy\":2,\"mid\":[\"cse-in/rb\"]}}");
	assert_rsc(f, fx_send(f), M2M_RSC_INVALID_CHILD_RESOURCE_TYPE); /* groups: under CSEBase/AE only */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", M2M_TY_GRP,
			     "{\"m2m:grp\":{\"rn\":\"g\",\"mt\":2,\"mnm\":5,\"csy\":2,\"mid\":[\"cse-in/rb\"]}}"),
		   M2M_RSC_GROUP_MEMBER_TYPE_INCONSISTENT);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/g", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
}

/* Workers on separate threads share the store: writes serialise, none is lost. */
typedef struct worker_arg {
	m2m_cse *cse;
	int ok;
} worker_arg;

static void *writer(void *p)
{
	worker_arg *a = p;
	m2m_cse_worker *w = NULL;
	m2m_request req;
	m2m_response rsp;
	m2m_sa sa;

	memset(&sa, 0, sizeof(sa));
	if (m2m_cse_worker_new(a->cse, &w) != M2M_OK)
		return NULL;
	m2m_response_init(&rsp);
	for (int i = 0; i < 100; i++) {
		m2m_request_init(&req);
		req.op = M2M_OP_CREATE;
		req.to = strdup("cse-in/par");
		req.fr = strdup("CAdmin");
		req.ty = M2M_TY_CIN;
		req.pc = json_pack("{s:{s:i}}", "m2m:cin", "con", i);
		m2m_cse_handle(w, &sa, &req, &rsp, (int64_t)time(NULL));
		a->ok += rsp.rsc == M2M_RSC_CREATED;
		m2m_request_clear(&req);
		m2m_response_clear(&rsp);
	}
	m2m_cse_worker_free(w);
	return NULL;
}

static void test_concurrent_workers(void **state)
{
	fx *f = *state;
	worker_arg a[3] = {{f->cse, 0}, {f->cse, 0}, {f->cse, 0}};
	pthread_t th[3];

	fx_auth(f);
	fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"par\"}}");
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer, &a[i]), 0);
	for (int i = 0; i < 20; i++)
		assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/par", "CAdmin", 0, NULL), M2M_RSC_OK);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(a[0].ok + a[1].ok + a[2].ok, 300);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/par", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_int_equal(json_integer_value(json_object_get(fx_attrs(f, "m2m:cnt"), "cni")), 300);
}

/* TS-0004 7.3.2.1 / 7.3.3.3: an undefined resource type is an invalid Resource Type (4000); a type
 * the spec defines but this CSE does not implement is NOT_IMPLEMENTED (5001). */
static void test_unknown_and_unimplemented_types(void **state)
{
	fx *f = *state;
	static const int undefined[] = {33, 52, 999, 10006, 10033, 65535};
	static const int unimplemented[] = {6, 17, 35, 51, 10001, 10046}; /* 31, 32, 34: res_dynauth.c */

	fx_auth(f);
	for (size_t i = 0; i < sizeof(undefined) / sizeof(undefined[0]); i++)
		assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", undefined[i], "{\"m2m:x\":{}}"),
			   M2M_RSC_BAD_REQUEST);
	for (size_t i = 0; i < sizeof(unimplemented) / sizeof(unimplemented[0]); i++)
		assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "CAdmin", unimplemented[i], "{\"m2m:x\":{}}"),
			   M2M_RSC_NOT_IMPLEMENTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle_and_reopen),
		cmocka_unit_test_setup_teardown(test_null_and_bad_primitives, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_originator_rules, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_missing_target, fx_setup, fx_teardown),
		cmocka_unit_test(test_admin_only_when_bound),
		cmocka_unit_test_setup_teardown(test_rollback, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_workers, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_unimplemented_types, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
