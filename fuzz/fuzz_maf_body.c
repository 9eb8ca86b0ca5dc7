/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the MAF procedures (services/maf/, TS-0003
 * clause 8.8.2, docs/procedures/maf.md): arbitrary bodies and To paths through m2m_maf_handle()
 * on a temporary credential store, as a registered Km client, a listed target CSE, a
 * remote-provisioning peer or nobody. Input: byte 0 picks the operation (bits 0-1), the
 * association (bits 2-3) and the To (bits 4-5; bit 6: To is the input's first line); the rest
 * is the JSON body. Invariants besides memory safety: every answer has an RSC; no association
 * is always 4107; a Key Value only ever leaves in a 2000 answer to a RETRIEVE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mef_codec.h"
#include "m2msec/credstore.h"
#include "m2msec/kdf.h"
#include "m2msec/maf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FQDN "maf.example.com"
#define REL "00112233445566778899AABBCCDDEEFF"

static m2m_maf *maf;
static m2m_maf_worker *w;
static m2m_maf_assoc *as[4];
static char regid[64];

static void quiet_audit(void *ctx, const m2m_maf_audit *ev)
{
	(void)ctx;
	(void)ev;
}

static m2m_err run(const m2m_maf_assoc *a, m2m_op op, const char *to, json_t *pc, m2m_response *rsp)
{
	m2m_request req;

	m2m_request_init(&req);
	req.op = op;
	req.to = strdup(to);
	req.rqi = strdup("f");
	req.pc = json_incref(pc);
	m2m_response_init(rsp);
	m2m_maf_handle(w, a, &req, rsp, 1900000000);
	m2m_request_clear(&req);
	return M2M_OK;
}

static void init(void)
{
	static char dir[] = "/tmp/m2mfuzzmafXXXXXX";
	char path[128];
	uint8_t kb[48];
	m2m_key *k = NULL, *kc = NULL;
	m2m_credstore *st = NULL;
	m2m_cred_info ci = {.kind = M2M_CRED_KIND_KM, .id = "deva@" FQDN, .owner = "Cdeva", .created_at = 1};
	m2m_maf_config c = {.maf_fqdn = FQDN, .sp_id = "//sp.example.com", .mef_fqdn = "mef.example.com",
			    .audit = quiet_audit};
	m2m_sa sa = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE, .credential_id = "11-deva@" FQDN};
	m2m_sa cse = {.kind = M2M_SA_CERT, .entity = M2M_ENTITY_CSE, .bound_id = "//sp.example.com/cse-in"};
	m2m_sa rem = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE, .bound_id = "Cenr",
		      .credential_id = "13-" REL "@mef.example.com"};
	m2m_response rsp;
	json_t *pc;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/maf.db", dir);
	c.store = path;
	memset(kb, 0x11, sizeof(kb));
	if (m2m_maf_new(&c, &maf) != M2M_OK || m2m_maf_worker_new(maf, &w) != M2M_OK ||
	    m2m_key_new(kb, 32, &k) != M2M_OK || m2m_credstore_open(path, &st) != M2M_OK ||
	    m2m_credstore_add(st, &ci, k, NULL, NULL) != M2M_OK ||
	    m2m_kdf_exporter_split(kb, FQDN, &kc, NULL, 0) != M2M_OK ||
	    m2m_maf_assoc_new(maf, &sa, kc, NULL, &as[0]) != M2M_OK ||
	    m2m_maf_assoc_new(maf, &cse, NULL, NULL, &as[1]) != M2M_OK ||
	    m2m_maf_assoc_new(maf, &rem, NULL, k, &as[2]) != M2M_OK)
		abort();
	m2m_credstore_close(st);
	m2m_key_free(k);
	m2m_key_free(kc);
	/* a registration and a key, so that the paths below name something */
	pc = json_loads("{\"sec:clientRegCfg\":{\"fqdn\":\"" FQDN "\",\"adminFQDN\":\"a.example.com\","
			"\"expirationTime\":\"20991231T000000\"}}", 0, NULL);
	run(as[0], M2M_OP_CREATE, "mafClientReg", pc, &rsp);
	json_decref(pc);
	if (rsp.rsc != 2001)
		abort();
	snprintf(regid, sizeof(regid), "%s",
		 json_string_value(json_object_get(json_object_get(rsp.pc, "sec:mafClientReg"), "mafClientRegID")));
	m2m_response_clear(&rsp);
	pc = json_loads("{\"sec:keyRegCfg\":{\"fqdn\":\"" FQDN "\",\"adminFQDN\":\"a.example.com\",\"SUID\":32,"
			"\"targetIDs\":[\"/cse-in\"],\"expirationTime\":\"20991231T000000\"}}", 0, NULL);
	run(as[0], M2M_OP_CREATE, "mafKeyReg", pc, &rsp);
	json_decref(pc);
	m2m_response_clear(&rsp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const m2m_op ops[] = {M2M_OP_CREATE, M2M_OP_RETRIEVE, M2M_OP_UPDATE, M2M_OP_DELETE};
	char to[256];
	const uint8_t *body;
	size_t blen;
	json_t *pc = NULL;
	m2m_response rsp;
	m2m_op op;
	const m2m_maf_assoc *a;
	bool has_key;

	if (maf == NULL)
		init();
	if (size < 1)
		return 0;
	op = ops[data[0] & 3];
	a = as[(data[0] >> 2) & 3]; /* as[3] is NULL: no association */
	body = data + 1;
	blen = size - 1;
	if (data[0] & 0x40) {
		const uint8_t *nl = memchr(body, '\n', blen);
		size_t n = nl != NULL ? (size_t)(nl - body) : blen;
		if (n >= sizeof(to))
			return 0;
		memcpy(to, body, n);
		to[n] = '\0';
		if (strlen(to) != n)
			return 0; /* a NUL in To cannot come from a binding */
		body += nl != NULL ? n + 1 : n;
		blen -= nl != NULL ? n + 1 : n;
	} else {
		const char *pick[] = {"mafClientReg", "mafClientReg/", "mafKeyReg", "mafKeyReg/11111111111111111111111111111111"};
		int i = (data[0] >> 4) & 3;
		snprintf(to, sizeof(to), "%s%s", pick[i], i == 1 ? regid : "");
	}
	if (blen > 0 && m2mi_mef_parse_json(body, blen, &pc) != M2M_OK)
		return 0;
	run(a, op, to, pc, &rsp);
	if (rsp.rsc == 0 || (a == NULL && rsp.rsc != 4107))
		abort();
	has_key = json_object_get(json_object_get(rsp.pc, "sec:mafKeyReg"), "keyValue") != NULL;
	if (has_key && (rsp.rsc != 2000 || op != M2M_OP_RETRIEVE))
		abort();
	m2m_response_clear(&rsp);
	json_decref(pc);
	return 0;
}
