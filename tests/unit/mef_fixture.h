/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the shared fixture of the MEF unit tests (TS-0003 clause 8.3): a MEF
 * over a fresh store in a temporary directory (or, in the ".pg" pass, a fresh PostgreSQL database:
 * tests/unit/pg_fixture.h), a Kpm enrolee, and helpers to build enrolee and
 * target associations and requests.
 */
#ifndef M2M_TEST_MEF_FIXTURE_H
#define M2M_TEST_MEF_FIXTURE_H

#include "m2msec/mef.h"
#include "pg_fixture.h"
#include "svc_fixture.h"

#define FX_NOW sf_now()
#define FX_KPMID "dev1@mef.example.com"
#define FX_EID "Cdev1"
#define FX_TARGET "/cse-in"

typedef struct fx {
	char dir[64];
	char path[128];
	m2m_mef *mef;
	m2m_mef_worker *w;
} fx;

static inline void fx_rm(fx *f)
{
	sf_tmp_rm(f->dir, f->path);
}

/* The MEF with [mef] maf-fqdns = maf_fqdns (NULL: none) and the enrolee's targets t2 (NULL: only
 * FX_TARGET) added to FX_TARGET. */
static inline fx *fx_new_maf(const char *est, m2m_mef_audit_fn audit, void *actx, int auth_suid, const char *maf_fqdns,
			     const char *t2)
{
	fx *f = calloc(1, sizeof(*f));
	m2m_mef_config c = {.mef_fqdn = "mef.example.com", .sp_id = "//sp.example.com", .est_uri = est,
			    .audit = audit, .audit_ctx = actx, .auth_profile_suid = auth_suid, .maf_fqdns = maf_fqdns};
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = FX_KPMID, .enrolee_id = FX_EID,
			     .targets = {FX_TARGET, (char *)t2}, .ntargets = t2 != NULL ? 2 : 1, .expiry = FX_NOW + 1000};
	uint8_t kb[32];
	m2m_key *kpm = NULL;

	memset(kb, 0x11, sizeof(kb));
	sf_tmp_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "/tmp/m2mmefXXXXXX", "mef.db");
	(void)pgf_mef_store(f->path, sizeof(f->path)); /* the ".pg" pass: the same tests on PostgreSQL */
	c.store = f->path;
	assert_int_equal(m2m_mef_new(&c, &f->mef), M2M_OK);
	assert_int_equal(m2m_mef_worker_new(f->mef, &f->w), M2M_OK);
	assert_int_equal(m2m_key_new(kb, 32, &kpm), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_add(m2m_mef_store(f->mef), &e, kpm, FX_NOW - 10, NULL), M2M_OK);
	m2m_key_free(kpm);
	return f;
}

static inline fx *fx_new_full(const char *est, m2m_mef_audit_fn audit, void *actx, int auth_suid)
{
	return fx_new_maf(est, audit, actx, auth_suid, NULL, NULL);
}

static inline fx *fx_new_audit(const char *est, m2m_mef_audit_fn audit, void *actx)
{
	return fx_new_full(est, audit, actx, 0);
}

static inline fx *fx_new(const char *est)
{
	return fx_new_full(est, NULL, NULL, 0);
}

/* cmdClassID of a sec:mefClientCmd answer. */
static inline int fx_cmd_class(const json_t *pc)
{
	return (int)json_integer_value(
		json_object_get(json_object_get(json_object_get(pc, "sec:mefClientCmd"), "cmdDescription"), "cmdClassID"));
}

static inline void fx_free(fx *f)
{
	m2m_mef_worker_free(f->w);
	m2m_mef_free(f->mef);
	fx_rm(f);
	free(f);
}

/* An enrolee association with Ke bytes all `fill` (RelativeKeID likewise). */
static inline m2m_mef_assoc *fx_enrolee(fx *f, uint8_t fill)
{
	m2m_key *ke = sf_exporter_key(fill, "mef.example.com");
	m2m_sa sa = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE};
	m2m_mef_assoc *a = NULL;

	snprintf(sa.bound_id, sizeof(sa.bound_id), FX_EID);
	snprintf(sa.credential_id, sizeof(sa.credential_id), "10-" FX_KPMID);
	assert_int_equal(m2m_mef_assoc_new(f->mef, &sa, ke, NULL, &a), M2M_OK);
	m2m_key_free(ke);
	return a;
}

static inline m2m_mef_assoc *fx_target(fx *f, const char *cse_id)
{
	m2m_sa sa = sf_cert_sa(cse_id, M2M_ENTITY_CSE);
	m2m_mef_assoc *a = NULL;

	assert_int_equal(m2m_mef_assoc_new(f->mef, &sa, NULL, NULL, &a), M2M_OK);
	return a;
}

/* Run one request with From fr (NULL: none) at time now; returns the RSC; *pc_out (if not NULL)
 * gets a reference to the content. */
static inline int fx_run_from(fx *f, const m2m_mef_assoc *a, m2m_op op, const char *to, const char *fr,
			      const char *body, int64_t now, json_t **pc_out)
{
	m2m_request req;
	m2m_response rsp;

	sf_req_begin(&req, &rsp, op, to, body, fr);
	m2m_mef_handle(f->w, a, &req, &rsp, now);
	return sf_req_end(&req, &rsp, pc_out);
}

static inline int fx_run(fx *f, const m2m_mef_assoc *a, m2m_op op, const char *to, const char *body, json_t **pc_out)
{
	return fx_run_from(f, a, op, to, NULL, body, FX_NOW, pc_out);
}

#define FX_REG_BODY "{\"sec:clientRegCfg\":{\"fqdn\":\"mef.example.com\",\"adminFQDN\":\"admin.example.com\"}}"

#endif
