/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the MEF Client procedures (services/mef/mef_reg.c,
 * TS-0003 clauses 8.3.5, 8.3.4.6, 10.3.1): registration stores Ke under KeID, a replay in the
 * same session is 4117, malformed bodies 4000, the command flow (CERT_PROV, NO_MORE_COMMANDS)
 * with its stale-command refusal, re-enrolment replacing the old KeID, de-registration.
 */
#include "mef_fixture.h"

static void test_register_and_replay(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *a = fx_enrolee(f, 0x01);
	json_t *pc = NULL;
	char path[128];

	(void)state;
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, &pc), 2001);
	assert_string_equal(json_string_value(json_object_get(json_object_get(pc, "sec:mefClientReg"), "keyID")),
			    m2m_mef_assoc_keid(a));
	assert_string_equal(json_string_value(json_object_get(json_object_get(pc, "sec:mefClientReg"), "mefClientID")),
			    FX_EID);
	json_decref(pc);
	/* the same body again in the same session: already registered (a POST without ty, which
	 * the HTTP binding hands over as NOTIFY, is the same CREATE) */
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 4117);
	assert_int_equal(fx_run(f, a, M2M_OP_NOTIFY, "mefClientReg", FX_REG_BODY, NULL), 4117);
	/* malformed: unknown member, wrong type, other MEF, claim refused */
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg",
				"{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"x\":1}}", NULL), 4000);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg",
				"{\"sec:clientRegCfg\":{\"fqdn\":7,\"adminFQDN\":\"a.example.com\"}}", NULL), 4000);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg",
				"{\"sec:clientRegCfg\":{\"fqdn\":\"other.example.com\",\"adminFQDN\":\"a.example.com\"}}", NULL), 4000);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg",
				"{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"enroleeID\":\"Cother\"}}", NULL), 4103);
	/* the command flow: NO_MORE_COMMANDS by default */
	snprintf(path, sizeof(path), "mefClientReg/%.32s/mefClientCmd", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, a, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(pc, "sec:mefClientCmd"),
									   "cmdDescription"), "cmdClassID")), 0);
	json_decref(pc);
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:mefClientCmd\":{\"cmdID\":9,\"cmdStatusCode\":20}}", NULL), 4105);
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:mefClientCmd\":{\"cmdID\":1,\"cmdStatusCode\":10}}", NULL), 4000);
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:mefClientCmd\":{\"cmdID\":1,\"cmdStatusCode\":20}}", NULL), 2004);
	/* replayed status update */
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:mefClientCmd\":{\"cmdID\":1,\"cmdStatusCode\":20}}", NULL), 4105);
	snprintf(path, sizeof(path), "mefClientReg/%.32s", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, a, M2M_OP_RETRIEVE, path, NULL, NULL), 2000);
	assert_int_equal(fx_run(f, a, M2M_OP_DELETE, path, NULL, NULL), 2002);
	assert_int_equal(fx_run(f, a, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	m2m_mef_assoc_free(a);
	fx_free(f);
}

static void test_cert_prov_and_reenrol(void **state)
{
	fx *f = fx_new("https://mef.example.com:8443/.well-known/est");
	m2m_mef_assoc *a = fx_enrolee(f, 0x02), *b = fx_enrolee(f, 0x03);
	m2m_mef_enrolee *e = NULL;
	json_t *pc = NULL;
	char path[128];

	(void)state;
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg",
				"{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"a.example.com\",\"certEnrolInd\":true}}", NULL), 2001);
	snprintf(path, sizeof(path), "mefClientReg/%.32s/mefClientCmd", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, a, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(pc, "sec:mefClientCmd"),
									   "cmdDescription"), "cmdClassID")), 1);
	json_decref(pc);
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:mefClientCmd\":{\"cmdID\":1,\"cmdStatusCode\":20}}", &pc), 2004);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(pc, "sec:mefClientCmd"),
									   "cmdDescription"), "cmdClassID")), 0);
	json_decref(pc);
	/* re-enrolment in a new session replaces the Ke: the old registration is gone */
	assert_int_equal(fx_run(f, b, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 2001);
	assert_int_equal(fx_run(f, a, M2M_OP_RETRIEVE, path, NULL, NULL), 4004);
	assert_int_equal(m2m_mefstore_enrolee_get(m2m_mef_store(f->mef), FX_KPMID, &e), M2M_OK);
	assert_string_equal(e->keid, m2m_mef_assoc_keid(b));
	m2m_mef_enrolee_free(e);
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(b);
	fx_free(f);
}

/* Enrolment expired or enrolee revoked between handshake and registration: 4103, nothing stored. */
static void test_expired_revoked(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *a = fx_enrolee(f, 0x09);
	m2m_mef_enrolee *e = NULL;
	m2m_request req;
	m2m_response rsp;

	(void)state;
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = M2M_OP_CREATE;
	req.to = strdup("mefClientReg");
	req.pc = json_loads(FX_REG_BODY, 0, NULL);
	m2m_mef_handle(f->w, a, &req, &rsp, FX_NOW + 1000); /* the first second past the expiry */
	assert_int_equal(rsp.rsc, 4103);
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	assert_int_equal(m2m_mefstore_enrolee_revoke(m2m_mef_store(f->mef), FX_KPMID, FX_NOW), M2M_OK);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, NULL), 4103);
	assert_int_equal(m2m_mefstore_enrolee_get(m2m_mef_store(f->mef), FX_KPMID, &e), M2M_OK);
	assert_null(e->keid);
	m2m_mef_enrolee_free(e);
	m2m_mef_assoc_free(a);
	fx_free(f);
}

/* The full plan: CERT_PROV, MO_NODE [authenticationProfile] (SUID 22), NO_MORE_COMMANDS; a
 * client error status also moves the plan on; a NO_MORE_COMMANDS ack ends it (then 4105). */
static void test_full_plan(void **state)
{
	fx *f = fx_new_full("https://mef.example.com/.well-known/est", NULL, NULL, 22);
	m2m_mef_assoc *a = fx_enrolee(f, 0x0A);
	json_t *pc = NULL, *args;
	char path[128];

	(void)state;
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg",
				"{\"sec:clientRegCfg\":{\"fqdn\":\"MEF.example.com\",\"adminFQDN\":\"a.example.com\",\"certEnrolInd\":true}}", NULL), 2001);
	snprintf(path, sizeof(path), "mefClientReg/%.32s/mefClientCmd", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, a, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	assert_int_equal(fx_cmd_class(pc), 1);
	args = json_object_get(json_object_get(json_object_get(json_object_get(pc, "sec:mefClientCmd"), "cmdDescription"),
					       "cmdArgs"), "certProvCmdArgs");
	assert_int_equal(json_integer_value(json_object_get(args, "certSubjectType")), 3);
	assert_string_equal(json_string_value(json_object_get(args, "certSubjectID")), FX_EID);
	json_decref(pc);
	/* the client reports an EST client error: the MEF goes on with the next command */
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:mefClientCmd\":{\"cmdID\":1,\"cmdStatusCode\":101}}", &pc), 2004);
	assert_int_equal(fx_cmd_class(pc), 3);
	args = json_object_get(json_object_get(json_object_get(json_object_get(pc, "sec:mefClientCmd"), "cmdDescription"),
					       "cmdArgs"), "MONodeCmdArgs");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(args, "objectTypeSpecifcArgs"), "SUID")), 22);
	json_decref(pc);
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:mefClientCmd\":{\"cmdID\":2,\"cmdStatusCode\":20}}", &pc), 2004);
	assert_int_equal(fx_cmd_class(pc), 0);
	args = json_object_get(json_object_get(json_object_get(json_object_get(pc, "sec:mefClientCmd"), "cmdDescription"),
					       "cmdArgs"), "noMoreCmdArgs");
	assert_string_equal(json_string_value(json_object_get(args, "retryDuration")), "PT86400S");
	json_decref(pc);
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:mefClientCmd\":{\"cmdID\":3,\"cmdStatusCode\":20}}", NULL), 2004);
	assert_int_equal(fx_run(f, a, M2M_OP_UPDATE, path, "{\"sec:mefClientCmd\":{\"cmdID\":3,\"cmdStatusCode\":20}}", NULL), 4105);
	assert_int_equal(fx_run(f, a, M2M_OP_DELETE, path, NULL, NULL), 4005);
	m2m_mef_assoc_free(a);
	fx_free(f);
}

/* A MEF under a long SP-ID (up to "//" + 253 bytes) whose enrolee has a long SP-relative target
 * (up to 255 bytes, provisioned): the absolute targetIDs of the <mefClientReg> answer (m2msec
 * extension) are the SP-ID and the target whole, on registration and Configuration Retrieval. */
static void test_long_target_ids(void **state)
{
	char sp[2 + 254], tgt[256], want[600], path[128];
	fx *f = calloc(1, sizeof(*f));
	m2m_mef_config c = {.mef_fqdn = "mef.example.com", .sp_id = sp};
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = FX_KPMID, .enrolee_id = FX_EID,
			     .targets = {tgt}, .ntargets = 1, .expiry = FX_NOW + 1000};
	uint8_t kb[32];
	m2m_key *kpm = NULL;
	m2m_mef_assoc *a;
	json_t *pc = NULL;

	(void)state;
	/* "//" + a 253-byte FQDN: three 63-byte labels and a 61-byte one */
	memset(sp, 's', sizeof(sp));
	sp[0] = sp[1] = '/';
	sp[2 + 63] = sp[2 + 127] = sp[2 + 191] = '.';
	sp[sizeof(sp) - 1] = '\0';
	tgt[0] = '/';
	memset(tgt + 1, 'C', 254);
	tgt[255] = '\0';
	snprintf(want, sizeof(want), "%s%s", sp, tgt);
	memset(kb, 0x11, sizeof(kb));
	sf_tmp_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "/tmp/m2mmefXXXXXX", "mef.db");
	c.store = f->path;
	assert_int_equal(m2m_mef_new(&c, &f->mef), M2M_OK);
	assert_int_equal(m2m_mef_worker_new(f->mef, &f->w), M2M_OK);
	assert_int_equal(m2m_key_new(kb, 32, &kpm), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_add(m2m_mef_store(f->mef), &e, kpm, FX_NOW - 10, NULL), M2M_OK);
	m2m_key_free(kpm);
	a = fx_enrolee(f, 0x05);
	assert_int_equal(fx_run(f, a, M2M_OP_CREATE, "mefClientReg", FX_REG_BODY, &pc), 2001);
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(pc, "sec:mefClientReg"), "targetIDs"), 0)), want);
	json_decref(pc);
	snprintf(path, sizeof(path), "mefClientReg/%.32s", m2m_mef_assoc_keid(a));
	assert_int_equal(fx_run(f, a, M2M_OP_RETRIEVE, path, NULL, &pc), 2000);
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(pc, "sec:mefClientReg"), "targetIDs"), 0)), want);
	json_decref(pc);
	m2m_mef_assoc_free(a);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_and_replay),
		cmocka_unit_test(test_cert_prov_and_reenrol),
		cmocka_unit_test(test_expired_revoked),
		cmocka_unit_test(test_full_plan),
		cmocka_unit_test(test_long_target_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
