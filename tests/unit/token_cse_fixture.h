/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the fixture of the token-aware CSE unit tests (test_access_token.c,
 * test_res_dynauth.c): an in-process CSE (cse_fixture.h) whose das-trust names the test issuer
 * of token_fixture.h, three AEs (Cown, Cae1, Cae3) and two containers of Cown without acpi.
 */
#ifndef M2M_TOKEN_CSE_FIXTURE_H
#define M2M_TOKEN_CSE_FIXTURE_H

#include "cse_fixture.h"
#include "token_fixture.h"

typedef struct afx {
	fx *f;
	struct tfx *t;
	char cnt[64], other[64];
} afx;

/* A CSE whose das-trust names ISS (token_fixture.h); trust = false: no das-trust at all. */
static inline afx *open_cse(bool trust, const char *algs)
{
	afx *a = calloc(1, sizeof(*a));
	fx *f = calloc(1, sizeof(*f));
	char path[160], line[400];
	FILE *fp;

	a->f = f;
	a->t = tfx_new();
	snprintf(f->dir, sizeof(f->dir), "/tmp/m2mtok.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/cse.db", f->dir);
	m2m_cse_config_defaults(&f->cfg);
	snprintf(f->cfg.store, sizeof(f->cfg.store), "%s", f->db);
	snprintf(f->cfg.sp_id, sizeof(f->cfg.sp_id), "//sp.example.com");
	snprintf(f->cfg.http_listen, sizeof(f->cfg.http_listen), "127.0.0.1:8080");
	snprintf(f->cfg.das_token_uri, sizeof(f->cfg.das_token_uri), "https://das.sp.example.com/token");
	if (algs != NULL)
		snprintf(f->cfg.token_algorithms, sizeof(f->cfg.token_algorithms), "%s", algs);
	snprintf(path, sizeof(path), "%s/issuer.crt", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite(a->t->cert_pem, 1, a->t->cert_len, fp);
	fclose(fp);
	if (trust) {
		snprintf(path, sizeof(path), "%s/das-trust", f->dir);
		fp = fopen(path, "w");
		assert_non_null(fp);
		/* with "none" in the CSE's set, the issuer's line permits it too */
		snprintf(line, sizeof(line), "%s %s/issuer.crt%s\n", ISS, f->dir,
			 algs != NULL && strstr(algs, "none") != NULL ? " ES256,none" : "");
		fputs(line, fp);
		fclose(fp);
		snprintf(f->cfg.das_trust, sizeof(f->cfg.das_trust), "%s", path);
	}
	assert_int_equal(m2m_cse_new(&f->cfg, &f->cse), M2M_OK);
	assert_int_equal(m2m_cse_worker_new(f->cse, &f->w), M2M_OK);
	f->now = NOW;
	f->authed = true;
	m2m_request_init(&f->req);
	m2m_response_init(&f->rsp);
	fx_ae(f, "Cown", "own");
	fx_ae(f, "Cae1", "ae1");
	fx_ae(f, "Cae3", "ae3");
	/* no acpi: only the creator Cown has access (TS-0001 Table 9.6.1.3.2-1) */
	snprintf(a->cnt, sizeof(a->cnt), "%s", fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"data\"}}"));
	snprintf(a->other, sizeof(a->other), "%s",
		 fx_create(f, "cse-in/own", "Cown", M2M_TY_CNT, "{\"m2m:cnt\":{\"rn\":\"other\"}}"));
	return a;
}

static inline void close_cse(afx *a)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/issuer.crt", a->f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/das-trust", a->f->dir);
	unlink(path);
	fx_close(a->f);
	tfx_free(a->t);
	free(a);
}

/* A token for holder with one permission: ris = [ri], pv = acop for the holder. */
static inline char *tok(const afx *a, const char *holder, const char *ri, int acop)
{
	char extra[600], *c, *t, hdr[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";

	snprintf(extra, sizeof(extra), "\"tkps\":{\"pm\":[{\"ris\":[\"%s\"],\"pv\":{\"acr\":[{\"acor\":[\"%s\"],\"acop\":%d}]}}]}",
		 ri, holder, acop);
	c = claims(extra);
	if (strcmp(holder, HOLDER) != 0) { /* azp of the claim set follows the holder */
		char *p = strstr(c, HOLDER);
		char *n = malloc(strlen(c) + strlen(holder) + 1);
		memcpy(n, c, (size_t)(p - c));
		strcpy(n + (p - c), holder);
		strcat(n, p + strlen(HOLDER));
		free(c);
		c = n;
	}
	t = forge(a->t, hdr, c);
	free(c);
	return t;
}

#endif
