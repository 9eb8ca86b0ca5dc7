/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the EST enrolment body (services/mef/est.c,
 * RFC 7030 section 4.2.1 base64 DER PKCS#10; TS-0003 clause 8.3.6.2): the input is the POST body
 * of /simpleenroll from a Kpm enrolee of a MEF whose CA permits sp.example.com. Invariants
 * besides memory safety: every input gets an answer with one of the documented statuses (200,
 * 400, 403) and a body; a 200 answer is a base64 certs-only PKCS#7.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "m2msec/est.h"
#include "m2msec/kdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static m2m_est *est;
static m2m_mef *mef;
static m2m_mef_worker *w;
static m2m_mef_assoc *assoc;

static void init(void)
{
	static const char *const permit[] = {"sp.example.com"};
	static char dir[64] = "/tmp/m2m_fuzz_estXXXXXX";
	char ca[128], store[128];
	int64_t now = (int64_t)time(NULL);
	m2m_mef_config c = {.mef_fqdn = "mef.example.com", .sp_id = "//sp.example.com"};
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = "dev1@mef.example.com",
			     .enrolee_id = "Cdev1", .targets = {"/cse-in"}, .ntargets = 1, .expiry = now + 86400 * 365};
	m2m_sa sa = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE, .bound_id = "Cdev1",
		     .credential_id = "10-dev1@mef.example.com"};
	uint8_t kb[32], mat[48];
	m2m_key *kpm = NULL, *ke = NULL;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(ca, sizeof(ca), "%s/ca", dir);
	snprintf(store, sizeof(store), "%s/mef.db", dir);
	c.store = store;
	memset(kb, 0x11, sizeof(kb));
	memset(mat, 0x42, sizeof(mat));
	if (m2m_ca_init(ca, "Fuzz CA", permit, 1, 0) != M2M_OK || m2m_est_new(ca, 0, &est) != M2M_OK ||
	    m2m_mef_new(&c, &mef) != M2M_OK || m2m_mef_worker_new(mef, &w) != M2M_OK ||
	    m2m_key_new(kb, 32, &kpm) != M2M_OK ||
	    m2m_mefstore_enrolee_add(m2m_mef_store(mef), &e, kpm, now - 10, NULL) != M2M_OK ||
	    m2m_kdf_exporter_split(mat, "mef.example.com", &ke, NULL, 0) != M2M_OK ||
	    m2m_mef_assoc_new(mef, &sa, ke, NULL, &assoc) != M2M_OK)
		abort();
	m2m_key_free(kpm);
	m2m_key_free(ke);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	m2m_est_reply r = {0};

	if (est == NULL)
		init();
	if (m2m_est_enroll(est, w, assoc, NULL, false, data, size, (int64_t)time(NULL), &r) != M2M_OK)
		abort();
	if ((r.status != 200 && r.status != 400 && r.status != 403) || r.body == NULL || r.outcome == NULL)
		abort();
	if (r.status == 200 && strncmp(r.body, "MII", 3) != 0)
		abort();
	m2m_est_reply_clear(&r);
	return 0;
}
