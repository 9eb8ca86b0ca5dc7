/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/forward.c: where To points (TS-0004
 * 7.3.2.8: CSE-relative and this CSE-ID are hosted here, another CSE-ID of this SP or another SP
 * is transit) and the transit decisions that need no next hop (TS-0004 7.3.2.6): an IN-CSE
 * without a matching <remoteCSE> answers NOT_FOUND, a registration through a transit CSE is
 * BAD_REQUEST, a request is never sent back to the CSE it came from (4004), a <remoteCSE>
 * without a reachable point of access (or without the forward-* association) is
 * TARGET_NOT_REACHABLE (5103). The forwarding itself: tests/system/test_54_forwarding.py.
 */
#include "cse_fixture.h"

#define SPID "//m2msec.example.com"
#define CSR(poa) "{\"m2m:csr\":{\"cb\":\"/id-mn/cse-mn\",\"rr\":true,\"srv\":[\"3\"]" poa "}}"

static void test_classify(void **state)
{
	char id[64];

	(void)state;
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", "cse-in/box", id, sizeof(id)), M2MI_FWD_HERE);
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", "/id-in/cse-in", id, sizeof(id)), M2MI_FWD_HERE);
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", "/id-in", id, sizeof(id)), M2MI_FWD_HERE);
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", SPID "/id-in/cse-in", id, sizeof(id)), M2MI_FWD_HERE);
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", NULL, id, sizeof(id)), M2MI_FWD_HERE);
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", "/", id, sizeof(id)), M2MI_FWD_HERE);
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", "/id-mn/cse-mn/box", id, sizeof(id)), M2MI_FWD_CSE);
	assert_string_equal(id, "/id-mn");
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", "/id-mn", id, sizeof(id)), M2MI_FWD_CSE);
	assert_string_equal(id, "/id-mn");
	/* a prefix of this CSE-ID is another CSE */
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", "/id-i/x", id, sizeof(id)), M2MI_FWD_CSE);
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", "/id-inx/x", id, sizeof(id)), M2MI_FWD_CSE);
	assert_string_equal(id, "/id-inx");
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", SPID "/id-mn/x", id, sizeof(id)), M2MI_FWD_CSE);
	assert_string_equal(id, "/id-mn");
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", "//other.example.com/id-in/x", id, sizeof(id)),
			 M2MI_FWD_SP);
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", "//m2msec.example.co/id-in/x", id, sizeof(id)),
			 M2MI_FWD_SP);
	assert_int_equal(m2mi_fwd_classify(SPID, "/id-in", "/id-muchtoolongforthebuffer/x", id, 8), M2MI_FWD_HERE);
}

static void test_in_without_match(void **state)
{
	fx *f = *state;

	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "/id-mn/cse-mn", "CAdmin", 0, NULL), M2M_RSC_NOT_FOUND);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "//other.example.com/id-mn/x", "CAdmin", 0, NULL),
		   M2M_RSC_NOT_FOUND);
	/* TS-0004 7.3.2.8: registrations never go through a transit CSE */
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "/id-mn/cse-mn", "Cnew", M2M_TY_AE,
			     "{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":false,\"srv\":[\"3\"]}}"),
		   M2M_RSC_BAD_REQUEST);
	/* no security association (the loopback plain-HTTP listener): never vouched for */
	fx_plain(f);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "/id-mn/cse-mn", "CAdmin", 0, NULL),
		   M2M_RSC_SECURITY_ASSOCIATION_REQUIRED);
	fx_auth(f);
	/* hosted here: unchanged */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "/id-in/cse-in", "CAdmin", 0, NULL), M2M_RSC_OK);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, SPID "/id-in/cse-in", "CAdmin", 0, NULL), M2M_RSC_OK);
}

static void test_registree_hops(void **state)
{
	fx *f = *state;

	fx_create(f, "cse-in", "/id-mn", M2M_TY_CSR, CSR(",\"poa\":[\"https://127.0.0.1:1\"]"));
	/* a match, but no forward-* association configured: not reachable */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "/id-mn/cse-mn", "CAdmin", 0, NULL), M2M_RSC_TARGET_NOT_REACHABLE);
	/* never back to the CSE it came from */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "/id-mn/cse-mn", "/id-mn", 0, NULL), M2M_RSC_NOT_FOUND);
	/* a <remoteCSE> without an https:// poa: not reachable */
	fx_create(f, "cse-in", "/id-mn2", M2M_TY_CSR,
		  "{\"m2m:csr\":{\"cb\":\"/id-mn2/c\",\"rr\":true,\"srv\":[\"3\"],\"poa\":[\"http://127.0.0.1:1\"]}}");
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "/id-mn2/c", "CAdmin", 0, NULL), M2M_RSC_TARGET_NOT_REACHABLE);
	/* over the Registree's association: its AEs pass the originator rules, others do not */
	fx_bound(f, "/id-mn");
	f->sa.entity = M2M_ENTITY_CSE;
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "/id-mn2/c", "/id-mn/Cx", 0, NULL), M2M_RSC_TARGET_NOT_REACHABLE);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "/id-mn2/c", "/id-other/Cx", 0, NULL),
		   M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "/id-mn/c", "/id-mn/Cx", 0, NULL), M2M_RSC_NOT_FOUND);
}

/* An ESPrim / ESCertKE NOTIFY to an <AE> with an https:// poa is the AE's (TS-0004 7.6.2, esprim_rx.c ->
 * m2mi_fwd_to_ae): the decisions before any connection (the relay itself and the destination
 * policy: tests/system/test_76_esprim_ae_target.py). */
#define SECI5 "{\"m2m:seci\":{\"sit\":5,\"epo\":\"not.even.an.esprim.object\"}}"
static void test_ae_target(void **state)
{
	fx *f = *state;

	fx_create(f, "cse-in", "Cae9", M2M_TY_AE,
		  "{\"m2m:ae\":{\"rn\":\"ae9\",\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"],"
		  "\"poa\":[\"http://127.0.0.1:1\",\"https://127.0.0.1:1/n\"]}}");
	/* no forward-* association: nowhere to send it (the Content is never decoded: no 4000) */
	assert_rsc(f, fx_req(f, M2M_OP_NOTIFY, "cse-in/ae9", "CAdmin", 0, SECI5), M2M_RSC_TARGET_NOT_REACHABLE);
	assert_non_null(strstr(fx_dbg(f), "forward-ca"));
	/* TS-0003 7.1: the NOTIFY privilege on the <AE> first (another AE has none here) */
	assert_rsc(f, fx_req(f, M2M_OP_NOTIFY, "cse-in/ae9", "Cother", 0, SECI5), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* never vouched for without a security association */
	fx_plain(f);
	assert_rsc(f, fx_req(f, M2M_OP_NOTIFY, "cse-in/ae9", "CAdmin", 0, SECI5), M2M_RSC_SECURITY_ASSOCIATION_REQUIRED);
	fx_auth(f);
	/* http:// only: the CSE answers as the AE's delegate (the object is malformed: 4000) */
	fx_create(f, "cse-in", "Cae8", M2M_TY_AE,
		  "{\"m2m:ae\":{\"rn\":\"ae8\",\"api\":\"Nx\",\"rr\":true,\"srv\":[\"3\"],"
		  "\"poa\":[\"http://127.0.0.1:1\"]}}");
	assert_rsc(f, fx_req(f, M2M_OP_NOTIFY, "cse-in/ae8", "CAdmin", 0, SECI5), M2M_RSC_BAD_REQUEST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test_setup_teardown(test_in_without_match, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_registree_hops, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ae_target, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
