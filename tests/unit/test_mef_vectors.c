/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the known-answer tests of the MEF against tests/vectors/mef_vectors.txt
 * (computed independently by tests/vectors/gen_mef_vectors.py with Python hmac/hashlib): the
 * fleet Kpm (m2msec extension) and, end to end through m2m_mef_handle, the chain TS-0003 clause
 * 10.3.1 exporter split -> KeID (10.3.4) -> MEF Client Registration -> fetchCredentials ->
 * usage-constrained key of clause 10.3.7 for the target's public domain name.
 */
#include "mef_fixture.h"
#include "m2msec/hex.h"

static void run_fetch(const char *mat_hex, const char *fqdn, int suid, const char *cse, const char *sp,
		      const char *keid, const char *want)
{
	char dir[64] = "/tmp/m2mmefvXXXXXX", path[128], to[512], p2[512];
	m2m_mef_config c = {.mef_fqdn = fqdn, .sp_id = sp};
	m2m_mef_enrolee e = {.flavour = M2M_MEF_FLAVOUR_KPM, .client_id = FX_KPMID, .enrolee_id = FX_EID,
			     .targets = {(char *)cse}, .ntargets = 1, .expiry = FX_NOW + 1000};
	m2m_sa sa = {.kind = M2M_SA_PSK, .entity = M2M_ENTITY_AE}, ts = {.kind = M2M_SA_CERT, .entity = M2M_ENTITY_CSE};
	uint8_t mat[48], kb[32];
	size_t n = 0;
	m2m_key *ke = NULL, *kpm = NULL;
	m2m_mef_assoc *a = NULL, *t = NULL;
	fx f;
	json_t *pc = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mef.db", dir);
	c.store = path;
	memset(&f, 0, sizeof(f));
	snprintf(f.dir, sizeof(f.dir), "%s", dir);
	snprintf(f.path, sizeof(f.path), "%s", path);
	assert_int_equal(m2m_mef_new(&c, &f.mef), M2M_OK);
	assert_int_equal(m2m_mef_worker_new(f.mef, &f.w), M2M_OK);
	memset(kb, 0x11, sizeof(kb));
	assert_int_equal(m2m_key_new(kb, 32, &kpm), M2M_OK);
	assert_int_equal(m2m_mefstore_enrolee_add(m2m_mef_store(f.mef), &e, kpm, FX_NOW - 10, NULL), M2M_OK);
	m2m_key_free(kpm);
	assert_int_equal(m2m_hex_decode(mat_hex, strlen(mat_hex), mat, sizeof(mat), &n), M2M_OK);
	assert_int_equal(m2m_kdf_exporter_split(mat, fqdn, &ke, NULL, 0), M2M_OK);
	assert_string_equal(m2m_key_id(ke), keid);
	snprintf(sa.bound_id, sizeof(sa.bound_id), FX_EID);
	snprintf(sa.credential_id, sizeof(sa.credential_id), "10-" FX_KPMID);
	assert_int_equal(m2m_mef_assoc_new(f.mef, &sa, ke, NULL, &a), M2M_OK);
	m2m_key_free(ke);
	snprintf(p2, sizeof(p2), "{\"sec:clientRegCfg\":{\"fqdn\":\"%.100s\",\"adminFQDN\":\"admin.example.com\"}}", fqdn);
	assert_int_equal(fx_run(&f, a, M2M_OP_CREATE, "mefClientReg", p2, NULL), 2001);
	snprintf(ts.bound_id, sizeof(ts.bound_id), "%.60s%.60s", sp, cse);
	assert_int_equal(m2m_mef_assoc_new(f.mef, &ts, NULL, NULL, &t), M2M_OK);
	snprintf(to, sizeof(to), "/fetchCredentials/%s/%d", keid, suid);
	assert_int_equal(fx_run(&f, t, M2M_OP_RETRIEVE, to, NULL, &pc), 2000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(pc, "sec:fetchCredRsp"), "credential")), want);
	json_decref(pc);
	m2m_mef_assoc_free(a);
	m2m_mef_assoc_free(t);
	m2m_mef_worker_free(f.w);
	m2m_mef_free(f.mef);
	fx_rm(&f);
}

static void test_vectors(void **state)
{
	FILE *fp = fopen(M2M_SOURCE_DIR "/tests/vectors/mef_vectors.txt", "r");
	char line[1024], a[8][200];
	int nfleet = 0, nfetch = 0;

	(void)state;
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "fleet %199s %199s %199s", a[0], a[1], a[2]) == 3) {
			uint8_t gb[32];
			size_t n = 0;
			char hex[65];
			m2m_key *g = NULL, *k = NULL;
			assert_int_equal(m2m_hex_decode(a[0], strlen(a[0]), gb, sizeof(gb), &n), M2M_OK);
			assert_int_equal(m2m_key_new(gb, n, &g), M2M_OK);
			assert_int_equal(m2m_mef_fleet_kpm(g, a[1], &k), M2M_OK);
			assert_int_equal(m2m_key_export_hex(k, hex, sizeof(hex)), M2M_OK);
			assert_string_equal(hex, a[2]);
			m2m_key_free(g);
			m2m_key_free(k);
			nfleet++;
		} else if (sscanf(line, "fetch %199s %199s %199s %199s %199s %199s %199s", a[0], a[1], a[2], a[3], a[4],
				  a[5], a[6]) == 7) {
			run_fetch(a[0], a[1], (int)strtol(a[2], NULL, 10), a[3], a[4], a[5], a[6]);
			nfetch++;
		} else {
			fail_msg("bad vector line: %s", line);
		}
	}
	fclose(fp);
	assert_int_equal(nfleet, 4);
	assert_int_equal(nfetch, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
