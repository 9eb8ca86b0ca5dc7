/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the shared fixture of the MAF unit tests (TS-0003 clause 8.8): a MAF over
 * a fresh credential store in a temporary directory, Km clients added to that store, helpers to
 * build Km, certificate and remote-provisioning associations (explicit parts, no TLS) and to run
 * one request, and an audit recorder.
 */
#ifndef M2M_TEST_MAF_FIXTURE_H
#define M2M_TEST_MAF_FIXTURE_H

#include "m2msec/credstore.h"
#include "m2msec/maf.h"
#include "svc_fixture.h"

#define MX_NOW sf_now()
#define MX_FQDN "maf.example.com"
#define MX_KMID_A "deva@maf.example.com"
#define MX_KMID_B "devb@maf.example.com"
#define MX_A "Cdeva"
#define MX_B "Cdevb"
#define MX_CSE "/cse-in"
#define MX_CSE_ABS "//sp.example.com/cse-in"

typedef struct mx {
	char dir[64];
	char path[128];
	m2m_maf *maf;
	m2m_maf_worker *w;
	char last_outcome[32]; /* the last audited outcome */
	char last_proc[40];
	int naudit;
} mx;

static inline void mx_audit(void *ctx, const m2m_maf_audit *ev)
{
	mx *f = ctx;

	snprintf(f->last_outcome, sizeof(f->last_outcome), "%s", ev->outcome);
	snprintf(f->last_proc, sizeof(f->last_proc), "%s", ev->procedure);
	f->naudit++;
}

/* Add a Km record kmid for owner (bytes all fill) valid until na (0 = unbounded). */
static inline void mx_add_km(mx *f, const char *kmid, const char *owner, uint8_t fill, int64_t na)
{
	uint8_t kb[32];
	m2m_key *k = NULL;
	m2m_credstore *st = NULL;
	m2m_cred_info ci = {.kind = M2M_CRED_KIND_KM, .id = (char *)kmid, .owner = (char *)owner, .not_after = na,
			    .created_at = MX_NOW - 10};

	memset(kb, fill, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &k), M2M_OK);
	assert_int_equal(m2m_credstore_open(f->path, &st), M2M_OK);
	assert_int_equal(m2m_credstore_add(st, &ci, k, NULL, NULL), M2M_OK);
	m2m_credstore_close(st);
	m2m_key_free(k);
}

static inline void mx_revoke(mx *f, const char *id)
{
	m2m_credstore *st = NULL;

	assert_int_equal(m2m_credstore_open(f->path, &st), M2M_OK);
	assert_int_equal(m2m_credstore_revoke(st, id, MX_NOW), M2M_OK);
	m2m_credstore_close(st);
}

static inline mx *mx_new_cfg(const char *mef_fqdn)
{
	mx *f = calloc(1, sizeof(*f));
	m2m_maf_config c = {.maf_fqdn = MX_FQDN, .sp_id = "//sp.example.com", .mef_fqdn = mef_fqdn,
			    .audit = mx_audit};

	assert_non_null(f);
	c.audit_ctx = f;
	sf_tmp_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path), "/tmp/m2mmafXXXXXX", "maf.db");
	c.store = f->path;
	assert_int_equal(m2m_maf_new(&c, &f->maf), M2M_OK);
	assert_int_equal(m2m_maf_worker_new(f->maf, &f->w), M2M_OK);
	mx_add_km(f, MX_KMID_A, MX_A, 0x11, 0);
	mx_add_km(f, MX_KMID_B, MX_B, 0x22, 0);
	return f;
}

static inline mx *mx_new(void)
{
	return mx_new_cfg("mef.example.com");
}

static inline void mx_free(mx *f)
{
	m2m_maf_worker_free(f->w);
	m2m_maf_free(f->maf);
	sf_tmp_rm(f->dir, f->path);
	free(f);
}

/* A Km association for kmid (the MAF Handshake succeeded); Kc/KcID exported bytes all fill. */
static inline m2m_maf_assoc *mx_km(mx *f, const char *kmid, uint8_t fill)
{
	m2m_key *kc = sf_exporter_key(fill, MX_FQDN);
	m2m_sa sa = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE};
	m2m_maf_assoc *a = NULL;

	snprintf(sa.credential_id, sizeof(sa.credential_id), "11-%s", kmid);
	assert_int_equal(m2m_maf_assoc_new(f->maf, &sa, kc, NULL, &a), M2M_OK);
	m2m_key_free(kc);
	return a;
}

/* A certificate association bound to id (entity CSE or AE), without a certificate. */
static inline m2m_maf_assoc *mx_cert(mx *f, const char *id, m2m_entity_kind ent)
{
	m2m_sa sa = sf_cert_sa(id, ent);
	m2m_maf_assoc *a = NULL;

	assert_int_equal(m2m_maf_assoc_new(f->maf, &sa, NULL, NULL, &a), M2M_OK);
	return a;
}

/* A self-signed P-256 certificate made at run time (PEM, heap). */
static inline char *mx_make_cert(void)
{
	return sf_self_signed_pem("c", time(NULL) - 3600, time(NULL) + 86400L * 30);
}

/* Run one request at time now; returns the RSC; *pc_out (if not NULL) gets the content. */
static inline int mx_run_at(mx *f, const m2m_maf_assoc *a, m2m_op op, const char *to, const char *body,
			    json_t **pc_out, int64_t now)
{
	m2m_request req;
	m2m_response rsp;

	sf_req_begin(&req, &rsp, op, to, body, NULL);
	m2m_maf_handle(f->w, a, &req, &rsp, now);
	return sf_req_end(&req, &rsp, pc_out);
}

static inline int mx_run(mx *f, const m2m_maf_assoc *a, m2m_op op, const char *to, const char *body, json_t **pc_out)
{
	return mx_run_at(f, a, op, to, body, pc_out, MX_NOW);
}

/* A member of the content's single wrapper. */
static inline const char *mx_str(const json_t *pc, const char *wrapper, const char *member)
{
	return json_string_value(json_object_get(json_object_get(pc, wrapper), member));
}

#define MX_ET "20991231T000000"
#define MX_REG_BODY                                                                                   \
	"{\"sec:clientRegCfg\":{\"fqdn\":\"maf.example.com\",\"adminFQDN\":\"admin.example.com\","    \
	"\"expirationTime\":\"" MX_ET "\",\"labels\":[\"l1\"]}}"
#define MX_KEYVAL "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define MX_KR(suid, targets, extra)                                                                  \
	"{\"sec:keyRegCfg\":{\"fqdn\":\"maf.example.com\",\"adminFQDN\":\"admin.example.com\","      \
	"\"SUID\":" suid ",\"targetIDs\":" targets ",\"expirationTime\":\"" MX_ET "\"" extra "}}"

/* Register the client of a (2001) and return its mafClientRegID (static buffer). */
static inline const char *mx_register(mx *f, const m2m_maf_assoc *a)
{
	static char id[64];
	json_t *pc = NULL;

	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafClientReg", MX_REG_BODY, &pc), 2001);
	snprintf(id, sizeof(id), "%s", mx_str(pc, "sec:mafClientReg", "mafClientRegID"));
	json_decref(pc);
	return id;
}

/* Register a key with body as the client of a (2001) and return its "mafKeyReg/<relKeyID>"
 * (static buffer). */
static inline const char *mx_key_reg(mx *f, const m2m_maf_assoc *a, const char *body)
{
	static char path[96];
	json_t *pc = NULL;

	assert_int_equal(mx_run(f, a, M2M_OP_CREATE, "mafKeyReg", body, &pc), 2001);
	snprintf(path, sizeof(path), "mafKeyReg/%s", mx_str(pc, "sec:mafKeyReg", "relKeyID"));
	json_decref(pc);
	return path;
}

/* A remote-provisioning association: PSK identity = a KeID of the configured MEF ("13-<keid>"),
 * bound to bound, with a Km from the MEF (0x5a bytes) and the SA's expiry (0 = none). */
static inline m2m_maf_assoc *mx_remote(mx *f, const char *keid, const char *bound, int64_t expiry)
{
	uint8_t kb[32];
	m2m_key *km = NULL;
	m2m_sa sa = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE, .expiry = expiry};
	m2m_maf_assoc *a = NULL;

	memset(kb, 0x5a, sizeof(kb));
	snprintf(sa.credential_id, sizeof(sa.credential_id), "13-%s", keid);
	snprintf(sa.bound_id, sizeof(sa.bound_id), "%s", bound);
	assert_int_equal(m2m_key_new(kb, 32, &km), M2M_OK);
	assert_int_equal(m2m_maf_assoc_new(f->maf, &sa, NULL, km, &a), M2M_OK);
	m2m_key_free(km);
	return a;
}

/* The end of a test: free its associations (zeroized), then the fixture. */
static inline void mx_done(mx *f, m2m_maf_assoc *const *as, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m2m_maf_assoc_free(as[i]);
	mx_free(f);
}
#define MX_DONE(f, ...)                                                                              \
	mx_done((f), (m2m_maf_assoc *const[]){__VA_ARGS__},                                          \
		sizeof((m2m_maf_assoc *const[]){__VA_ARGS__}) / sizeof(m2m_maf_assoc *))

#endif
