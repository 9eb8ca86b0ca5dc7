/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/access_das.c: direct dynamic authorization
 * at the Hosting CSE (TS-0003 clause 7.3.2.2, TS-0004 §7.5.1.2.10) where the DAS cannot grant:
 * the association off without das-ca, refused with unusable files, a DAS that is down (connection
 * refused) or silent (the das-timeout deadline) gives 4103 and creates nothing, dae false or no
 * daci consults nobody. The granting path with a real DAS is tests/system/test_47_das_direct.py.
 */
#include "cse_fixture.h"

#include <pthread.h>
#include <sys/stat.h>

#include "m2msec/ca.h"
#include "m2msec/mem.h"

struct dfx {
	fx *f;
	char base[64], ca[128], crt[128], key[128];
};

static void issue_files(struct dfx *d)
{
	static const char *const permit[] = {"sp.example.com"};
	static const char *const san[] = {"id-in.sp.example.com"};
	m2m_ca *ca = NULL;
	char *cert = NULL, *key = NULL, prefix[96], cadir[96];
	FILE *out;

	snprintf(d->base, sizeof(d->base), "/tmp/m2mdas.XXXXXX");
	assert_non_null(mkdtemp(d->base));
	snprintf(cadir, sizeof(cadir), "%s/ca", d->base);
	assert_int_equal(m2m_ca_init(cadir, "Test CA", permit, 1, 0), M2M_OK);
	assert_int_equal(m2m_ca_open(cadir, &ca), M2M_OK);
	assert_int_equal(m2m_ca_issue(ca, san, 1, 0, NULL, &cert, &key), M2M_OK);
	snprintf(prefix, sizeof(prefix), "%s/cse", d->base);
	assert_int_equal(m2m_ca_write_leaf(prefix, cert, key), M2M_OK);
	snprintf(d->ca, sizeof(d->ca), "%s/ca.crt", d->base);
	out = fopen(d->ca, "w");
	assert_non_null(out);
	fputs(m2m_ca_cert_pem(ca), out);
	fclose(out);
	snprintf(d->crt, sizeof(d->crt), "%s.crt", prefix);
	snprintf(d->key, sizeof(d->key), "%s.key", prefix);
	free(cert);
	m2m_freezero(key, strlen(key) + 1);
	m2m_ca_free(ca);
}

/* A CSE like fx_open, with the DAS association (das-timeout 300 ms). */
static int setup(void **state)
{
	struct dfx *d = calloc(1, sizeof(*d));
	fx *f = calloc(1, sizeof(*f));

	issue_files(d);
	snprintf(f->dir, sizeof(f->dir), "/tmp/m2mcse.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/cse.db", f->dir);
	m2m_cse_config_defaults(&f->cfg);
	snprintf(f->cfg.store, sizeof(f->cfg.store), "%s", f->db);
	snprintf(f->cfg.sp_id, sizeof(f->cfg.sp_id), "//sp.example.com");
	snprintf(f->cfg.das_ca, sizeof(f->cfg.das_ca), "%s", d->ca);
	snprintf(f->cfg.das_cert, sizeof(f->cfg.das_cert), "%s", d->crt);
	snprintf(f->cfg.das_key, sizeof(f->cfg.das_key), "%s", d->key);
	f->cfg.das_timeout_ms = 300;
	f->cfg.admin_plain_http = true;
	assert_int_equal(m2m_cse_new(&f->cfg, &f->cse), M2M_OK);
	assert_non_null(f->cse->das);
	assert_int_equal(m2m_cse_worker_new(f->cse, &f->w), M2M_OK);
	f->now = (int64_t)time(NULL);
	f->authed = true;
	m2m_request_init(&f->req);
	m2m_response_init(&f->rsp);
	d->f = f;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dfx *d = *state;
	char p[128];

	fx_close(d->f);
	snprintf(p, sizeof(p), "%s/ca", d->base);
	fx_rmdir(p);
	fx_rmdir(d->base);
	free(d);
	return 0;
}

/* Admin-only ACP, a dac to port (dae), a container "rn" linking it. */
static void resources(fx *f, const char *rn, int port, bool dae)
{
	char body[512];
	const char *acp;

	acp = fx_create(f, "cse-in", "CAdmin", M2M_TY_ACP,
			"{\"m2m:acp\":{\"pv\":{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63}]},"
			"\"pvs\":{\"acr\":[{\"acor\":[\"CAdmin\"],\"acop\":63}]}}}");
	snprintf(body, sizeof(body), "{\"m2m:dac\":{\"rn\":\"d%s\",\"dae\":%s,\"dap\":[\"https://127.0.0.1:%d/das\"]}}",
		 rn, dae ? "true" : "false", port);
	(void)fx_create(f, "cse-in", "CAdmin", M2MI_TY_DAC, body);
	snprintf(body, sizeof(body), "{\"m2m:cnt\":{\"rn\":\"%s\",\"acpi\":[\"%s\"],\"daci\":[\"cse-in/d%s\"]}}", rn,
		 acp, rn);
	(void)fx_create(f, "cse-in", "CAdmin", M2M_TY_CNT, body);
	fx_ae(f, "Cvisitor", "visitor");
}

static void test_das_down(void **state)
{
	struct dfx *d = *state;
	fx *f = d->f;

	resources(f, "box", fx_closed_port(), true);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/box", "Cvisitor", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	/* nothing was created under the container */
	{
		m2m_res *v = NULL, row = {0};
		size_t n = 0;
		assert_int_equal(m2m_resstore_get_path(f->w->store, "cse-in/box", &row), M2M_OK);
		assert_int_equal(m2m_resstore_children(f->w->store, row.ri, M2M_TY_ACP, 10, &v, &n), M2M_OK);
		assert_int_equal(n, 0);
		m2m_res_clear(&row);
	}
}

static void test_das_silent(void **state)
{
	struct dfx *d = *state;
	fx *f = d->f;
	int port, lfd = fx_silent_listener(&port);

	resources(f, "slow", port, true);
	/* the deadline (das-timeout) ends the wait: 4103 */
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/slow", "Cvisitor", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	close(lfd);
}

static void test_dae_false_and_admin(void **state)
{
	struct dfx *d = *state;
	fx *f = d->f;

	resources(f, "off", fx_closed_port(), false);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/off", "Cvisitor", 0, NULL), M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in/off", "CAdmin", 0, NULL), M2M_RSC_OK);
}

/* ---- writes on the writer thread (TS-0003 7.3.2.2 for CREATE/UPDATE/DELETE) ----------------- */

static int answered, answer_rsc;

static void on_done(void *arg, const m2m_request *req, m2m_response *rsp)
{
	(void)arg;
	(void)req;
	assert_non_null(rsp);
	answer_rsc = rsp->rsc;
	answered++;
}

/* A CREATE denied by the ACP, handed to the writer thread: it is consulted for (the DAS's
 * failure wakes the loop, which hands it back to the writer: two wakes, not the one of a
 * static decision), answered 4103 once, and nothing is written. */
static void write_denied(fx *f, int port, const char *rn)
{
	char to[64];
	m2m_cse_pending *p;
	m2m_res row = {0};
	m2m_res *v = NULL;
	size_t n = 0;
	waker k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

	answered = answer_rsc = 0;
	resources(f, rn, port, true);
	assert_int_equal(m2m_cse_writer_start(f->cse), M2M_OK);
	m2m_cse_worker_set_wake(f->w, on_wake, &k);
	snprintf(to, sizeof(to), "cse-in/%s", rn);
	fx_prepare(f, M2M_OP_CREATE, to, "Cvisitor", M2M_TY_CIN, "{\"m2m:cin\":{\"con\":\"x\"}}");
	fx_auth_sa(f);
	m2m_response_clear(&f->rsp);
	p = m2m_cse_handle_async(f->w, &f->sa, &f->req, &f->rsp, f->now);
	assert_non_null(p);
	m2m_cse_pending_on_done(p, on_done, NULL);
	wait_completed(f->w, f->now, &k, &answered, 1);
	assert_int_equal(answered, 1);
	assert_int_equal(answer_rsc, M2M_RSC_ORIGINATOR_HAS_NO_PRIVILEGE);
	assert_true(k.wakes >= 2);
	assert_int_equal(m2m_resstore_get_path(f->w->store, to, &row), M2M_OK);
	assert_int_equal(m2m_resstore_children(f->w->store, row.ri, 0, 10, &v, &n), M2M_OK);
	m2m_res_free_list(v, n);
	assert_int_equal(n, 0); /* no <contentInstance>, no ACP */
	m2m_res_clear(&row);
}

static void test_write_das_down(void **state)
{
	struct dfx *d = *state;

	write_denied(d->f, fx_closed_port(), "wdown");
}

static void test_write_das_silent(void **state)
{
	struct dfx *d = *state;
	int port, lfd = fx_silent_listener(&port);

	write_denied(d->f, port, "wslow"); /* ended by das-timeout */
	close(lfd);
}

static void test_association_config(void **state)
{
	m2m_cse_config cfg;
	m2mi_das *das = (m2mi_das *)1;
	char err[256];

	(void)state;
	m2m_cse_config_defaults(&cfg);
	assert_int_equal(m2mi_das_new(&cfg, &das), M2M_OK); /* no das-ca: off */
	assert_null(das);
	snprintf(cfg.das_ca, sizeof(cfg.das_ca), "/nonexistent/ca.crt");
	snprintf(cfg.das_cert, sizeof(cfg.das_cert), "/nonexistent/c.crt");
	snprintf(cfg.das_key, sizeof(cfg.das_key), "/nonexistent/c.key");
	assert_int_not_equal(m2mi_das_new(&cfg, &das), M2M_OK);
	assert_null(das);
	/* das-ca, das-cert, das-key go together */
	m2m_cse_config_defaults(&cfg);
	{
		static const char ini[] = "https-listen = off\nhttp-listen = 127.0.0.1:8080\ndas-ca = /x\n";
		assert_int_equal(m2m_cse_config_parse(&cfg, ini, sizeof(ini) - 1, err, sizeof(err)), M2M_OK);
	}
	assert_int_equal(m2m_cse_config_validate(&cfg, err, sizeof(err)), M2M_E_CONFIG);
	if (strstr(err, "das-ca, das-cert and das-key go together") == NULL)
		fail_msg("%s", err);
	m2m_cse_config_defaults(&cfg);
	assert_int_equal(cfg.das_timeout_ms, 3000);
	assert_int_equal(m2m_cse_config_parse(&cfg, "das-timeout = 50\n", 17, err, sizeof(err)), M2M_E_CONFIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_das_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_das_silent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dae_false_and_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_das_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_das_silent, setup, teardown),
		cmocka_unit_test(test_association_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
