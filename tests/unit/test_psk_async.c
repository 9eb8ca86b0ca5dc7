/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the asynchronous PSK resolvers of the TLS layer
 * (tls/psk_async.c; TS-0003 clause 8.2.2.1, a psk_identity whose key lives in another service):
 * in-process TLS 1.2 and 1.3 PSK handshakes over a memory BIO pair, the server end attached
 * (SSL_MODE_ASYNC) so a pending lookup pauses it with SSL_ERROR_WANT_ASYNC; the test answers the
 * lookup and resumes. Covered: the answer completes the handshake with the resolver's binding
 * (m2m_tls_peer_sa), an error or a cancel fails it, a late answer is wiped, no transport or a
 * full loop gives the resolver w = NULL, an answer at once needs no pause. The transport half
 * (sockets, one loop) is tests/unit/test_http_hs.c.
 */
#include <time.h>

#include "tls_test.h"
#include "m2msec/credstore.h"
#include "m2msec/log.h"

#define KA "f0e1d2c3b4a5968778695a4b3c2d1e0f"
#define ID_ASYNC "kpsa2@sp.example.com"

struct res {
	m2m_psk_wait *w;
	int calls;
	bool saw_null;
	bool at_once; /* answer from a "cache" instead of waiting */
};

static m2m_key *key_a(void)
{
	uint8_t b[16];
	size_t n = 0;
	m2m_key *k = NULL;

	assert_int_equal(m2m_hex_decode(KA, strlen(KA), b, sizeof(b), &n), M2M_OK);
	assert_int_equal(m2m_key_new(b, n, &k), M2M_OK);
	return k;
}

static m2m_err start(void *ctx, const char *identity, int64_t now, m2m_psk_wait *w, m2m_key **key,
		     m2m_sa *binding)
{
	struct res *r = ctx;

	(void)now;
	r->calls++;
	if (strcmp(identity, ID_ASYNC) != 0)
		return M2M_E_NOT_FOUND;
	if (w == NULL)
		r->saw_null = true;
	if (w == NULL || r->at_once) {
		if (!r->at_once)
			return M2M_E_NOT_FOUND;
		*key = key_a();
		snprintf(binding->bound_id, sizeof(binding->bound_id), "Cnow");
		return M2M_OK;
	}
	r->w = w;
	return M2M_OK; /* pending */
}

static int woke;
static unsigned inflight;
static void wake(void *arg) { (void)arg; woke++; }
static const m2m_tls_async_host host = {.wake = wake, .inflight = &inflight, .max_inflight = 4};

struct fx {
	m2m_tls *tls;
	SSL_CTX *cctx;
	struct tt_psk psk;
	struct res res;
	SSL *c, *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	m2m_tls_config tc = {.sp_id = "//sp.example.com", .allow_tls13 = true};

	assert_int_equal(m2m_tls_new(&tc, &f->tls), M2M_OK);
	assert_int_equal(m2m_tls_add_psk_resolver_async(NULL, start, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_tls_add_psk_resolver_async(f->tls, NULL, NULL), M2M_E_INVAL);
	assert_int_equal(m2m_tls_add_psk_resolver_async(f->tls, start, &f->res), M2M_OK);
	tt_psk_set(&f->psk, ID_ASYNC, KA);
	woke = 0;
	inflight = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	SSL_free(f->c);
	SSL_free(f->s);
	SSL_CTX_free(f->cctx);
	m2m_tls_free(f->tls);
	free(f);
	ERR_clear_error();
	return 0;
}

/* A client of version v and the server end over a BIO pair; attach the server when asked. */
static void pair(struct fx *f, int v, bool attach)
{
	BIO *bc = NULL, *bs = NULL;

	f->cctx = tt_psk_client(&f->psk, v, v == TLS1_3_VERSION ? NULL : "PSK-AES128-CCM8");
	f->c = SSL_new(f->cctx);
	f->s = SSL_new(m2m_tls_ctx(f->tls));
	assert_int_equal(BIO_new_bio_pair(&bc, 0, &bs, 0), 1);
	SSL_set_bio(f->c, bc, bc);
	SSL_set_bio(f->s, bs, bs);
	SSL_set_connect_state(f->c);
	SSL_set_accept_state(f->s);
	if (attach)
		assert_int_equal(m2m_tls_async_attach(f->s, &host), M2M_OK);
}

/* Run both ends until the server pauses (1), both finish (2) or one fails (0). */
static int drive(struct fx *f)
{
	bool cdone = false, sdone = false;

	for (int i = 0; i < 64; i++) {
		int r;
		if (!cdone) {
			r = SSL_do_handshake(f->c);
			if (r == 1)
				cdone = true;
			else if (SSL_get_error(f->c, r) != SSL_ERROR_WANT_READ && SSL_get_error(f->c, r) != SSL_ERROR_WANT_WRITE)
				return 0;
		}
		if (!sdone) {
			r = SSL_do_handshake(f->s);
			if (r == 1)
				sdone = true;
			else if (SSL_get_error(f->s, r) == SSL_ERROR_WANT_ASYNC)
				return 1;
			else if (SSL_get_error(f->s, r) != SSL_ERROR_WANT_READ && SSL_get_error(f->s, r) != SSL_ERROR_WANT_WRITE)
				return 0;
		}
		if (cdone && sdone)
			return 2;
	}
	return 0;
}

static void answered_completes(struct fx *f, int v)
{
	m2m_sa sa = {.bound_id = "Casync", .expiry = 4102444800};
	m2m_sa got;

	pair(f, v, true);
	assert_int_equal(drive(f), 1); /* paused in the lookup */
	assert_true(m2m_tls_async_waiting(f->s));
	assert_int_equal(inflight, 1);
	assert_non_null(f->res.w);
	assert_false(m2m_psk_wait_abandoned(f->res.w));
	assert_int_equal(woke, 0);
	assert_int_equal(SSL_do_handshake(f->s), -1); /* nothing answered yet: still paused */
	assert_int_equal(SSL_get_error(f->s, -1), SSL_ERROR_WANT_ASYNC);
	m2m_psk_wait_done(f->res.w, M2M_OK, key_a(), &sa);
	assert_int_equal(woke, 1);
	assert_int_equal(drive(f), 2);
	assert_false(m2m_tls_async_waiting(f->s));
	assert_int_equal(inflight, 0);
	m2m_tls_async_detach(f->s);
	assert_int_equal(SSL_get_mode(f->s) & SSL_MODE_ASYNC, 0);
	assert_int_equal(m2m_tls_peer_sa(f->tls, f->s, &got), M2M_OK);
	assert_int_equal(got.kind, M2M_SA_PSK);
	assert_int_equal(got.entity, M2M_ENTITY_AE);
	assert_string_equal(got.bound_id, "Casync");
	assert_non_null(strstr(got.credential_id, ID_ASYNC));
	assert_int_equal(got.expiry, 4102444800);
}

static void test_answer_tls12(void **state) { answered_completes(*state, TLS1_2_VERSION); }
static void test_answer_tls13(void **state) { answered_completes(*state, TLS1_3_VERSION); }

static void test_error_fails(void **state)
{
	struct fx *f = *state;

	pair(f, TLS1_2_VERSION, true);
	assert_int_equal(drive(f), 1);
	m2m_psk_wait_done(f->res.w, M2M_E_KEY_REVOKED, NULL, NULL);
	assert_int_equal(drive(f), 0);
	assert_int_equal(inflight, 0);
	assert_int_equal(m2m_tls_peer_sa(f->tls, f->s, &(m2m_sa){0}), M2M_E_AUTH);
}

/* A deadline or disconnect: the transport cancels; the late answer is wiped (ASan: no leak). */
static void test_cancel_then_late_answer(void **state)
{
	struct fx *f = *state;
	m2m_sa sa = {.bound_id = "Casync"};

	pair(f, TLS1_2_VERSION, true);
	assert_int_equal(drive(f), 1);
	m2m_tls_async_cancel(f->s);
	assert_true(m2m_psk_wait_abandoned(f->res.w));
	assert_int_equal(drive(f), 0);
	assert_false(m2m_tls_async_waiting(f->s));
	m2m_psk_wait_done(f->res.w, M2M_OK, key_a(), &sa);
	assert_int_equal(woke, 0); /* nobody to wake */
}

/* Without a transport that can wait (not attached) the resolver gets w = NULL. */
static void test_not_attached(void **state)
{
	struct fx *f = *state;

	pair(f, TLS1_2_VERSION, false);
	assert_int_equal(drive(f), 0); /* not in the "cache": fails closed */
	assert_true(f->res.saw_null);
}

static void test_cap_reached(void **state)
{
	struct fx *f = *state;

	inflight = host.max_inflight;
	pair(f, TLS1_2_VERSION, true);
	assert_int_equal(drive(f), 0);
	assert_true(f->res.saw_null);
	assert_int_equal(inflight, host.max_inflight);
}

/* A cache hit answers at once: no pause. */
static void test_answer_at_once(void **state)
{
	struct fx *f = *state;
	m2m_sa got;

	f->res.at_once = true;
	pair(f, TLS1_2_VERSION, true);
	assert_int_equal(drive(f), 2);
	assert_int_equal(woke, 0);
	assert_int_equal(m2m_tls_peer_sa(f->tls, f->s, &got), M2M_OK);
	assert_string_equal(got.bound_id, "Cnow");
}

/* A resolver of ESPrim keys (m2m_tls_add_esprim_resolver_async) is asked by the ESPrim lookup
 * only; the ESPrim lookup does not ask the hop-by-hop asynchronous resolvers (a MEF KeID names a
 * SUID 22 and a SUID 23 key alike, docs/procedures/e2e.md). */
static void test_esprim_only_resolver(void **state)
{
	struct fx *f = *state;
	struct res esp = {.at_once = true};
	m2m_key *k = NULL;
	m2m_sa sa;

	f->res.at_once = true;
	assert_int_equal(m2m_tls_add_esprim_resolver_async(NULL, start, &esp), M2M_E_INVAL);
	assert_int_equal(m2m_tls_add_esprim_resolver_async(f->tls, NULL, &esp), M2M_E_INVAL);
	assert_int_equal(m2m_tls_add_esprim_resolver_async(f->tls, start, &esp), M2M_OK);
	assert_int_equal(m2m_tls_esprim_lookup(f->tls, ID_ASYNC, (int64_t)time(NULL), NULL, NULL, &k, &sa), M2M_OK);
	assert_non_null(k);
	m2m_key_free(k);
	k = NULL;
	assert_int_equal(esp.calls, 1);
	assert_int_equal(f->res.calls, 0); /* the hop-by-hop resolver was not asked */
	assert_int_equal(m2m_tls_psk_lookup(f->tls, ID_ASYNC, (int64_t)time(NULL), NULL, NULL, &k, &sa), M2M_OK);
	m2m_key_free(k);
	k = NULL;
	assert_int_equal(f->res.calls, 1);
	assert_int_equal(esp.calls, 1); /* ... and the ESPrim resolver not by a hop-by-hop lookup */
	assert_int_equal(m2m_tls_esprim_lookup(f->tls, ID_ASYNC, 0, NULL, NULL, NULL, &sa), M2M_E_INVAL);
	/* a handshake never reaches it: with the hop-by-hop resolver refusing, the handshake fails */
	f->res.at_once = false;
	pair(f, TLS1_2_VERSION, false);
	assert_true(drive(f) < 0 || m2m_tls_peer_sa(f->tls, f->s, &sa) != M2M_OK);
	assert_int_equal(esp.calls, 1);
}

/*
 * With an asynchronous resolver every handshake runs in an ASYNC job, on OpenSSL's small fibre
 * stack (32 KiB in 3.0): the synchronous resolvers before it must fit, the credential store
 * (SQLite) included, with debug logging on (the refusal path formats a line).
 */
static int nlogged;
static void sink(void *ctx, const m2m_log_event *ev)
{
	char line[2048]; /* what a real sink formats, on the same stack */

	(void)ctx;
	snprintf(line, sizeof(line), "%s %s", ev->func ? ev->func : "", ev->msg ? ev->msg : "");
	nlogged += line[0] != '\0';
}

static void test_store_in_job(void **state)
{
	struct fx *f = *state;
	char path[256];
	uint8_t b[64];
	size_t n = 0;
	m2m_key *k = NULL;
	m2m_credstore *st = NULL;
	m2m_tls *tls = NULL;
	m2m_tls_config tc = {.sp_id = "//sp.example.com"};
	m2m_cred_info info = {.kind = M2M_CRED_KIND_KPSA, .id = (char *)(uintptr_t)ID_ASYNC,
			      .owner = (char *)(uintptr_t)"Cstore", .created_at = (int64_t)time(NULL)};
	m2m_sa got;

	snprintf(path, sizeof(path), "%s/async-creds.db", tt_dir());
	unlink(path);
	assert_int_equal(m2m_credstore_create(path, &st), M2M_OK);
	assert_int_equal(m2m_hex_decode(KA, strlen(KA), b, sizeof(b), &n), M2M_OK);
	assert_int_equal(m2m_key_new(b, n, &k), M2M_OK);
	assert_int_equal(m2m_credstore_add(st, &info, k, NULL, NULL), M2M_OK);
	m2m_key_free(k);
	tc.store = st;
	assert_int_equal(m2m_tls_new(&tc, &tls), M2M_OK);
	assert_int_equal(m2m_tls_add_psk_resolver_async(tls, start, &f->res), M2M_OK);
	m2m_tls_free(f->tls);
	f->tls = tls;
	m2m_log_set_sink(sink, NULL, M2M_LOG_DEBUG);
	for (int round = 0; round < 2; round++) {
		pair(f, TLS1_2_VERSION, true);
		assert_int_equal(drive(f), round == 0 ? 2 : 0);
		if (round == 0) {
			assert_int_equal(m2m_tls_peer_sa(f->tls, f->s, &got), M2M_OK);
			assert_string_equal(got.bound_id, "Cstore");
			assert_int_equal(f->res.calls, 0); /* the store answered first */
			/* a wrong identity goes down the whole chain and the refusal is logged */
			tt_psk_set(&f->psk, "kpsa-unknown@sp.example.com", KA);
		}
		SSL_free(f->c);
		SSL_free(f->s);
		SSL_CTX_free(f->cctx);
		f->c = f->s = NULL;
		f->cctx = NULL;
	}
	m2m_log_set_sink(NULL, NULL, M2M_LOG_WARN);
	assert_true(nlogged > 0);
	m2m_tls_free(f->tls);
	f->tls = NULL;
	m2m_credstore_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answer_tls12, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_tls13, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_then_late_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_attached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_reached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_in_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_esprim_only_resolver, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
