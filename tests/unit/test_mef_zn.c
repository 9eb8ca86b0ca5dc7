/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of Zn on the MEF (services/mef/mef_zn.c; 3GPP TS 33.220
 * clause 4.5.3, TS-0003 clause 8.3.2.3): Ks_NAF and Ks_int_NAF against an independent Python
 * computation (hmac.new(Ks, b"\x01" + P0 + L0 + RAND + L1 + IMPI + L2 + NAF_Id + L3, sha256) with
 * NAF_Id = b"cse-in.sp.example.com" + b"\xff\x00\x00\x00\x01"), the lifetime bounded by the
 * bootstrap's, and every refusal with its RSC: unknown B-TID 4004, expired 4103, NAF not
 * authorised / no record / another NAF's FQDN / GBA_U not available / an enrolee association 4103,
 * malformed 4000, not RETRIEVE 4005.
 */
#include "m2msec/bsfstore.h"
#include "m2msec/gba_zn.h"
#include "mef_fixture.h"

#define KAT_KS_NAF "2f1d113a34b081f43f77bca65ecd2b6648a260ac8899e3be217f90b244b552a0"
#define KAT_KS_INT_NAF "d339ff6312fae807c6d9aed55cc443d32f5e0ada222bb6c478fe7c705f1fa66a"
#define BTID "AAECAwQFBgcICQoLDA0ODw==@mef.example.com"
#define IMPI "u1@ims.example.org"
#define NAF "cse-in.sp.example.com"

static int zn(fx *f, const m2m_mef_assoc *a, m2m_op op, const char *btid, const char *naf, m2m_gba_naf_kind kind,
	      int64_t now, json_t **o)
{
	char path[M2M_GBA_ZN_PATH_MAX];
	m2m_request req;
	m2m_response rsp;
	int rsc;

	assert_int_equal(m2m_gba_zn_path(btid, naf, kind, path, sizeof(path)), M2M_OK);
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = op;
	req.to = strdup(path + 1);
	m2m_mef_handle(f->w, a, &req, &rsp, now);
	rsc = rsp.rsc;
	if (o != NULL)
		*o = json_incref(json_object_get(rsp.pc, M2M_GBA_ZN_RSP));
	m2m_response_clear(&rsp);
	m2m_request_clear(&req);
	return rsc;
}

static const char *err_of(json_t *o)
{
	return json_string_value(json_object_get(o, "errorString"));
}

static void put_bootstrap(fx *f, bool gba_u, const char *nafs)
{
	uint8_t ksb[32];
	m2m_key *ks = NULL;
	m2m_gba_subscriber sub = {.gba_u = gba_u};

	for (int i = 0; i < 32; i++)
		ksb[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(m2m_key_new(ksb, 32, &ks), M2M_OK);
	assert_int_equal(m2m_mefstore_bootstrap_put(m2m_mef_store(f->mef), BTID, IMPI, ks, FX_NOW + 100, FX_NOW),
			 M2M_OK);
	m2m_key_free(ks);
	if (nafs != NULL) {
		snprintf(sub.enrolee_id, sizeof(sub.enrolee_id), "Cgba1");
		snprintf(sub.nafs, sizeof(sub.nafs), "%s", nafs);
		assert_int_equal(m2m_mefstore_gba_subscriber_set(m2m_mef_store(f->mef), IMPI, &sub), M2M_OK);
	}
}

static void test_zn_keys(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *t = fx_target(f, FX_TARGET);
	json_t *o = NULL;

	(void)state;
	put_bootstrap(f, true, "other.example.com,CSE-IN.sp.example.com");
	assert_int_equal(zn(f, t, M2M_OP_RETRIEVE, BTID, NAF, M2M_GBA_KS_NAF, FX_NOW, &o), 2000);
	assert_true(json_is_true(json_object_get(o, "status")));
	assert_string_equal(json_string_value(json_object_get(o, "key")), KAT_KS_NAF);
	assert_string_equal(json_string_value(json_object_get(o, "btid")), BTID);
	assert_string_equal(json_string_value(json_object_get(o, "impi")), IMPI);
	assert_string_equal(json_string_value(json_object_get(o, "enroleeID")), "Cgba1");
	assert_string_equal(json_string_value(json_object_get(o, "keyKind")), "ks-naf");
	assert_int_equal(json_integer_value(json_object_get(o, "lifetime")), 100);
	json_decref(o);
	/* GBA_U: Ks_ext_NAF = Ks_NAF's value (P0 "gba-me"), Ks_int_NAF with P0 "gba-u" */
	assert_int_equal(zn(f, t, M2M_OP_RETRIEVE, BTID, NAF, M2M_GBA_KS_EXT_NAF, FX_NOW + 40, &o), 2000);
	assert_string_equal(json_string_value(json_object_get(o, "key")), KAT_KS_NAF);
	assert_int_equal(json_integer_value(json_object_get(o, "lifetime")), 60); /* the bootstrap's rest */
	json_decref(o);
	assert_int_equal(zn(f, t, M2M_OP_RETRIEVE, BTID, NAF, M2M_GBA_KS_INT_NAF, FX_NOW + 99, &o), 2000);
	assert_string_equal(json_string_value(json_object_get(o, "key")), KAT_KS_INT_NAF);
	assert_int_equal(json_integer_value(json_object_get(o, "lifetime")), 1);
	json_decref(o);
	/* expired bootstrap */
	assert_int_equal(zn(f, t, M2M_OP_RETRIEVE, BTID, NAF, M2M_GBA_KS_NAF, FX_NOW + 100, &o), 4103);
	assert_string_equal(err_of(o), "bootstrap expired");
	assert_true(json_is_false(json_object_get(o, "status")));
	json_decref(o);
	m2m_mef_assoc_free(t);
	fx_free(f);
}

static void test_zn_refusals(void **state)
{
	fx *f = fx_new(NULL);
	m2m_mef_assoc *t = fx_target(f, FX_TARGET), *t2 = fx_target(f, "/cse-other"), *e = fx_enrolee(f, 0x05);
	json_t *o = NULL;
	m2m_request req;
	m2m_response rsp;

	(void)state;
	/* unknown B-TID (no bootstrap table at all, then another B-TID) */
	assert_int_equal(zn(f, t, M2M_OP_RETRIEVE, BTID, NAF, M2M_GBA_KS_NAF, FX_NOW, &o), 4004);
	assert_string_equal(err_of(o), "unknown B-TID");
	json_decref(o);
	put_bootstrap(f, false, NULL);
	assert_int_equal(zn(f, t, M2M_OP_RETRIEVE, "BAECAwQFBgcICQoLDA0ODw==@mef.example.com", NAF, M2M_GBA_KS_NAF,
			    FX_NOW, NULL),
			 4004);
	/* a subscriber without a record: no NAF is authorised */
	assert_int_equal(zn(f, t, M2M_OP_RETRIEVE, BTID, NAF, M2M_GBA_KS_NAF, FX_NOW, &o), 4103);
	assert_string_equal(err_of(o), "NAF not authorised for this subscriber");
	json_decref(o);
	{
		m2m_gba_subscriber sub = {.enrolee_id = "Cgba1", .nafs = "cse-other.sp.example.com"};
		assert_int_equal(m2m_mefstore_gba_subscriber_set(m2m_mef_store(f->mef), IMPI, &sub), M2M_OK);
	}
	assert_int_equal(zn(f, t, M2M_OP_RETRIEVE, BTID, NAF, M2M_GBA_KS_NAF, FX_NOW, &o), 4103);
	assert_string_equal(err_of(o), "NAF not authorised for this subscriber");
	json_decref(o);
	/* the listed NAF may; GBA_U keys not for a GBA_ME subscriber */
	assert_int_equal(zn(f, t2, M2M_OP_RETRIEVE, BTID, "cse-other.sp.example.com", M2M_GBA_KS_NAF, FX_NOW, NULL),
			 2000);
	assert_int_equal(zn(f, t2, M2M_OP_RETRIEVE, BTID, "cse-other.sp.example.com", M2M_GBA_KS_INT_NAF, FX_NOW, &o),
			 4103);
	assert_string_equal(err_of(o), "GBA_U not available for this subscriber");
	json_decref(o);
	/* another NAF's FQDN: refused whatever the subscriber lists */
	assert_int_equal(zn(f, t, M2M_OP_RETRIEVE, BTID, "cse-other.sp.example.com", M2M_GBA_KS_NAF, FX_NOW, &o), 4103);
	assert_string_equal(err_of(o), "NAF FQDN is not the authenticated NAF's");
	json_decref(o);
	/* an enrolee association is no NAF; not RETRIEVE */
	assert_int_equal(zn(f, e, M2M_OP_RETRIEVE, BTID, NAF, M2M_GBA_KS_NAF, FX_NOW, &o), 4103);
	assert_string_equal(err_of(o), "not a NAF");
	json_decref(o);
	assert_int_equal(zn(f, t2, M2M_OP_DELETE, BTID, "cse-other.sp.example.com", M2M_GBA_KS_NAF, FX_NOW, NULL), 4005);
	/* malformed */
	static const char *const bad[] = {
		"gbaNafKey",
		"gbaNafKey/AAECAwQFBgcICQoLDA0ODw==@mef.example.com/cse-other.sp.example.com/ks-naf/x",
		"gbaNafKey/AAECAwQFBgcICQoLDA0ODw==@mef.example.com/cse-other.sp.example.com/KS-NAF",
		"gbaNafKey/AAECAwQFBgcICQoLDA0ODw==@mef.example.com/Cse-other.sp.example.com/ks-naf",
		"gbaNafKey/AAECAwQFBgcICQoLDA0ODw@mef.example.com/cse-other.sp.example.com/ks-naf",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m2m_request_init(&req);
		m2m_response_init(&rsp);
		req.op = M2M_OP_RETRIEVE;
		req.to = strdup(bad[i]);
		m2m_mef_handle(f->w, t2, &req, &rsp, FX_NOW);
		assert_int_equal(rsp.rsc, 4000);
		m2m_response_clear(&rsp);
		m2m_request_clear(&req);
	}
	m2m_mef_assoc_free(t);
	m2m_mef_assoc_free(t2);
	m2m_mef_assoc_free(e);
	fx_free(f);
}

/* A MAF as NAF (TS-0003 clause 8.3.2.3: NAF FQDN = its MAF-FQDN): Ks_NAF against Python's hmac
 * with NAF_Id = b"maf.sp.example.com" + b"\xff\x00\x00\x00\x01"; another MAF's FQDN refused. */
static void test_zn_maf(void **state)
{
	fx *f = fx_new_maf(NULL, NULL, NULL, 0, "maf.sp.example.com maf2.sp.example.com", NULL);
	m2m_mef_assoc *m = fx_target(f, "//sp.example.com/maf");
	json_t *o = NULL;

	(void)state;
	assert_int_equal(m2m_mef_assoc_peer(m), M2M_MEF_PEER_MAF);
	put_bootstrap(f, false, "maf.sp.example.com");
	assert_int_equal(zn(f, m, M2M_OP_RETRIEVE, BTID, "maf.sp.example.com", M2M_GBA_KS_NAF, FX_NOW, &o), 2000);
	assert_string_equal(json_string_value(json_object_get(o, "key")),
			    "3e8e8e1a98f47cc00a752d96dd295361250821e12633ac05762290882cf8a2eb");
	json_decref(o);
	assert_int_equal(zn(f, m, M2M_OP_RETRIEVE, BTID, "maf2.sp.example.com", M2M_GBA_KS_NAF, FX_NOW, NULL), 4103);
	m2m_mef_assoc_free(m);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zn_keys),
		cmocka_unit_test(test_zn_refusals),
		cmocka_unit_test(test_zn_maf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
