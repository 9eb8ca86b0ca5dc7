/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the benchmark of resource discovery (TS-0004 clause 7.3.3.14) under the
 * scan budget (docs/resources.md "Discovery"): in one process it builds a resource tree of
 * about 20k and then 120k resources (1 container per 120 contentInstances, creator-only
 * policies) and measures the time of one request through m2m_cse_handle, as a ratio to a plain
 * RETRIEVE of one <contentInstance> measured in the same run:
 *   - discovery from the <CSEBase> by an AE without any privilege (the amplification case),
 *     with the default budget (discovery-scan-max 10000) and with the budget lifted (every row
 *     examined: the cost before the budget existed);
 *   - discovery of the containers (ty=3) by the admin, default budget and limit.
 * With the budget the ratio must not grow with the tree; without it, it grows with the tree.
 * Usage: bench_discovery [seconds per measurement, default 0.5]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "m2msec/cse.h"
#include "m2msec/resstore.h"

#define PER_CNT 120

static double seconds = 0.5;
static int64_t now_s;
static int ofst = -1; /* filter criteria offset of the discovery requests */

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bound(m2m_sa *sa, const char *id)
{
	memset(sa, 0, sizeof(*sa));
	sa->kind = M2M_SA_PSK;
	sa->entity = M2M_ENTITY_AE;
	snprintf(sa->bound_id, sizeof(sa->bound_id), "%s", id);
	snprintf(sa->credential_id, sizeof(sa->credential_id), "1-bench@sp.example.com");
}

/* One request; returns the RSC and, for a discovery, the number of URIs found. */
static int request(m2m_cse_worker *w, const m2m_sa *sa, m2m_op op, const char *to, int ty, const char *pc,
		   int fu, int fty, size_t *found, long *cnot)
{
	m2m_request req;
	m2m_response rsp;
	int rsc;

	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = op;
	req.to = strdup(to);
	req.rqi = strdup("b1");
	req.fr = ty == 2 ? NULL : strdup(sa->bound_id); /* an AE registers with From absent */
	req.ty = ty;
	req.fc.fu = fu;
	req.fc.ofst = ofst;
	if (fty) {
		req.fc.ty[0] = fty;
		req.fc.nty = 1;
	}
	if (pc != NULL)
		req.pc = json_loads(pc, 0, NULL);
	m2m_cse_handle(w, sa, &req, &rsp, now_s);
	rsc = rsp.rsc;
	if (found != NULL)
		*found = json_array_size(json_object_get(rsp.pc, "m2m:uril"));
	if (cnot != NULL)
		*cnot = rsp.cnot;
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	return rsc;
}

/* Rows cnt<first>..cnt<last-1> under cse-in/data, each with PER_CNT instances, in one transaction. */
static int grow(const char *db, const char *data_ri, int first, int last)
{
	m2m_resstore *st;
	char path[128], rn[32], pri[64], body[160];
	m2m_res r;
	int ok = 1;

	if (m2m_resstore_open(db, &st) != M2M_OK || m2m_resstore_begin(st, true) != M2M_OK)
		return 0;
	for (int c = first; ok && c < last; c++) {
		memset(&r, 0, sizeof(r));
		snprintf(pri, sizeof(pri), "cntbench%06d", c);
		snprintf(rn, sizeof(rn), "c%06d", c);
		snprintf(path, sizeof(path), "cse-in/data/%s", rn);
		snprintf(body, sizeof(body), "{\"rn\":\"%s\",\"ty\":3,\"ri\":\"%s\",\"cni\":%d,\"cbs\":%d}", rn, pri,
			 PER_CNT, PER_CNT);
		r = (m2m_res){.ri = pri, .pi = (char *)data_ri, .rn = rn, .path = path, .cr = "//sp.example.com/id-in/CAdmin",
			      .body = body, .ty = 3, .ver = 1};
		snprintf(r.ct, sizeof(r.ct), "20250101T000000");
		snprintf(r.lt, sizeof(r.lt), "20250101T000000");
		ok = m2m_resstore_insert(st, &r) == M2M_OK;
		for (int i = 0; ok && i < PER_CNT; i++) {
			char cri[64], cpath[160], crn[16], cbody[160];
			snprintf(cri, sizeof(cri), "cinbench%06d_%03d", c, i);
			snprintf(crn, sizeof(crn), "i%03d", i);
			snprintf(cpath, sizeof(cpath), "%s/%s", path, crn);
			snprintf(cbody, sizeof(cbody), "{\"rn\":\"%s\",\"ty\":4,\"ri\":\"%s\",\"con\":\"1\",\"cs\":1}", crn, cri);
			m2m_res k = {.ri = cri, .pi = pri, .rn = crn, .path = cpath, .body = cbody, .ty = 4, .ver = 1, .size = 1};
			snprintf(k.ct, sizeof(k.ct), "20250101T000000");
			snprintf(k.lt, sizeof(k.lt), "20250101T000000");
			ok = m2m_resstore_insert(st, &k) == M2M_OK;
		}
	}
	ok = ok && m2m_resstore_commit(st) == M2M_OK;
	m2m_resstore_free(st);
	return ok;
}

typedef struct measure {
	double us;     /* microseconds per request */
	size_t found;  /* URIs in the last answer */
	long cnot;
} measure;

static measure run(m2m_cse_worker *w, const m2m_sa *sa, const char *to, int fu, int fty)
{
	measure m = {0};
	long n = 0;
	double t0 = mono(), t;

	do {
		if (request(w, sa, M2M_OP_RETRIEVE, to, 0, NULL, fu, fty, &m.found, &m.cnot) != 2000) {
			fprintf(stderr, "bench_discovery: RETRIEVE %s (fu=%d) failed\n", to, fu);
			exit(1);
		}
		n++;
	} while ((t = mono() - t0) < seconds || n < 3);
	m.us = t * 1e6 / (double)n;
	return m;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/m2m-benchdisc.XXXXXX", db[96], data_ri[64] = {0};
	m2m_cse_config cfg;
	m2m_cse *lim_cse = NULL, *open_cse = NULL;
	m2m_cse_worker *lim_w = NULL, *open_w = NULL;
	m2m_sa admin, ae;
	const int sizes[] = {165, 1000}; /* containers: ~20k and ~120k rows */
	int done = 0;
	m2m_request req;
	m2m_response rsp;

	if (argc > 1)
		seconds = atof(argv[1]);
	if (seconds <= 0 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/cse.db", dir);
	now_s = (int64_t)time(NULL);
	m2m_cse_config_defaults(&cfg);
	snprintf(cfg.store, sizeof(cfg.store), "%s", db);
	snprintf(cfg.sp_id, sizeof(cfg.sp_id), "//sp.example.com");
	if (m2m_cse_new(&cfg, &lim_cse) != M2M_OK || m2m_cse_worker_new(lim_cse, &lim_w) != M2M_OK)
		return 1;
	cfg.discovery_scan_max = 1000000; /* the same store without the budget: every row examined */
	cfg.discovery_lim_default = 1000000;
	if (m2m_cse_new(&cfg, &open_cse) != M2M_OK || m2m_cse_worker_new(open_cse, &open_w) != M2M_OK)
		return 1;
	bound(&admin, "CAdmin");
	bound(&ae, "Cbench");
	if (request(lim_w, &ae, M2M_OP_CREATE, "cse-in", 2,
		    "{\"m2m:ae\":{\"rn\":\"bench\",\"api\":\"Nbench\",\"rr\":false,\"srv\":[\"3\"]}}", 0, 0, NULL,
		    NULL) != 2001 ||
	    request(lim_w, &admin, M2M_OP_CREATE, "cse-in", 3, "{\"m2m:cnt\":{\"rn\":\"data\"}}", 0, 0, NULL,
		    NULL) != 2001) {
		fprintf(stderr, "bench_discovery: setup failed\n");
		return 1;
	}
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	req.op = M2M_OP_RETRIEVE;
	req.to = strdup("cse-in/data");
	req.rqi = strdup("b0");
	req.fr = strdup("CAdmin");
	m2m_cse_handle(lim_w, &admin, &req, &rsp, now_s);
	snprintf(data_ri, sizeof(data_ri), "%s",
		 json_string_value(json_object_get(json_object_get(rsp.pc, "m2m:cnt"), "ri")) ?: "");
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);

	printf("bench_discovery: time per request relative to RETRIEVE of one contentInstance (same run)\n");
	printf("%8s  %10s  %28s  %28s  %28s\n", "rows", "RETRIEVE", "no-privilege fu=1 (budget)",
	       "no-privilege fu=1 (no budget)", "admin fu=1&ty=3 (budget)");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		measure base, lim, open, adm, tail;

		if (!grow(db, data_ri, done, sizes[s])) {
			fprintf(stderr, "bench_discovery: building the tree failed\n");
			return 1;
		}
		done = sizes[s];
		base = run(lim_w, &admin, "cse-in/data/c000000/i000", 0, 0);
		lim = run(lim_w, &ae, "cse-in", 1, 0);
		open = run(open_w, &ae, "cse-in", 1, 0);
		adm = run(lim_w, &admin, "cse-in", 1, 3);
		ofst = done * (PER_CNT + 1) - 5000; /* a continuation near the end of the tree */
		tail = run(lim_w, &ae, "cse-in", 1, 0);
		ofst = -1;
		printf("%8d  %8.1fus  %9.1fus = %6.1fx (cto %ld)  %9.1fus = %6.1fx (%zu found)  %9.1fus = %6.1fx "
		       "(%zu found)\n",
		       done * (PER_CNT + 1), base.us, lim.us, lim.us / base.us, lim.cnot, open.us, open.us / base.us,
		       open.found, adm.us, adm.us / base.us, adm.found);
		printf("%8s  %10s  %9.1fus = %6.1fx with ofst=%d (the continuation skips in the index)\n", "", "",
		       tail.us, tail.us / base.us, done * (PER_CNT + 1) - 5000);
	}
	printf("with the budget the no-privilege ratio stays flat as the tree grows; without it, it grows\n");
	m2m_cse_worker_free(lim_w);
	m2m_cse_worker_free(open_w);
	m2m_cse_free(lim_cse);
	m2m_cse_free(open_cse);
	unlink(db);
	snprintf(db, sizeof(db), "%s/cse.db-wal", dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/cse.db-shm", dir);
	unlink(db);
	rmdir(dir);
	return 0;
}
