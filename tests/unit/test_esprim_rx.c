/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of services/cse/esprim_rx.c that need no running CSE (the
 * NOTIFY handling is tested end to end by tests/system/test_55_esprim.py): which requests are
 * outer ESPrim NOTIFYs, and the e2eSecInfo attribute check (TS-0004 clause 6.3.5.52); an inner
 * request that defers makes the outer NOTIFY pending, sealed on completion (m2mi_esp_defer).
 */
#include "cse_fixture.h"
#include "m2msec/esprim_orig.h"
#include "m2msec/mem.h"
#include "m2msec/seci_e2e.h"
#include "services/cse/esprim_rx.h"

/* A key service that has to fetch: with a kick it keeps the wait and answers from another
 * thread; without one it answers from its "cache" (filled by that answer, or refused). */
typedef struct fake_keys {
	int waits, lookups;
	bool fetch_ok, fetched;
	uint8_t key[32];
} fake_keys;

typedef struct kicker {
	fake_keys *fk;
	void (*kick)(void *);
	void *arg;
} kicker;

static void *kick_thread(void *arg)
{
	kicker *k = arg;

	k->fk->fetched = k->fk->fetch_ok; /* the answer goes into the cache, then the kick */
	k->kick(k->arg);
	free(k);
	return NULL;
}

static m2m_err fake_lookup(void *ctx, const char *kid, int64_t now, void (*kick)(void *), void *kick_arg,
			   m2m_key **key, m2m_sa *binding)
{
	fake_keys *fk = ctx;
	pthread_t t;
	kicker *k;

	(void)now;
	(void)kid;
	*key = NULL;
	fk->lookups++;
	if (kick != NULL) {
		fk->waits++;
		k = calloc(1, sizeof(*k));
		assert_non_null(k);
		*k = (kicker){fk, kick, kick_arg};
		assert_int_equal(pthread_create(&t, NULL, kick_thread, k), 0);
		assert_int_equal(pthread_detach(t), 0);
		return M2M_OK; /* waiting */
	}
	if (!fk->fetched)
		return M2M_E_AUTH;
	memset(binding, 0, sizeof(*binding));
	binding->kind = M2M_SA_PSK;
	binding->entity = M2M_ENTITY_AE;
	binding->suid = 23; /* MEF-provisioned ESPrim key */
	snprintf(binding->bound_id, sizeof(binding->bound_id), "CAE1");
	return m2m_key_new(fk->key, sizeof(fk->key), key);
}

/* One ESPrim RETRIEVE through the CSE; the outer rsc, the inner one in *inner_rsc (0 = plain). */
static int esprim_once(fx *f, fake_keys *fk, int *inner_rsc)
{
	m2m_esprim_rand rro;
	m2m_esprim_orig *o = NULL;
	m2m_key *pw = NULL;
	m2m_seci_e2e s = {0};
	static const char in[] = "{\"op\":2,\"to\":\"/id-in/cse-in\",\"fr\":\"CAE1\",\"rqi\":\"i1\",\"rvi\":\"3\"}";
	char *text, *content = NULL, *inner = NULL;
	size_t n = 0;
	json_t *j;
	int rsc;

	*inner_rsc = 0;
	fx_plain(f);
	assert_int_equal(fx_req(f, M2M_OP_NOTIFY, "/id-in/.", "CAE1", 0, "{\"m2m:seci\":{\"sit\":3}}"), 2000);
	text = json_dumps(f->rsp.pc, JSON_COMPACT);
	assert_int_equal(m2m_seci_e2e_decode(text, strlen(text), f->now, &s), M2M_OK);
	free(text);
	rro = s.ero;
	m2m_seci_e2e_clear(&s);
	assert_int_equal(m2m_key_new(fk->key, sizeof(fk->key), &pw), M2M_OK);
	assert_int_equal(m2m_esprim_orig_new(pw, "00112233445566778899aabbccddeeff@mef.example.com", &rro,
					     M2M_ESPRIM_A256GCM, f->now, &o),
			 M2M_OK);
	assert_int_equal(m2m_esprim_orig_seal(o, in, strlen(in), &content), M2M_OK);
	fx_prepare(f, M2M_OP_NOTIFY, "/id-in/.", "CAE1", 0, NULL);
	f->req.pc = json_loads(content, 0, NULL);
	rsc = fx_send(f);
	if (rsc == 2000) {
		text = json_dumps(f->rsp.pc, JSON_COMPACT);
		assert_int_equal(m2m_esprim_orig_open(o, text, strlen(text), f->now, &inner, &n), M2M_OK);
		j = json_loads(inner, 0, NULL);
		*inner_rsc = (int)json_integer_value(json_object_get(j, "rsc"));
		json_decref(j);
		free(text);
		m2m_freezero(inner, n);
	}
	free(content);
	m2m_esprim_orig_free(o);
	m2m_key_free(pw);
	return rsc;
}

/* A pairwiseESPrimKey a key service must fetch: the NOTIFY waits (kick), then the second pass
 * takes it from the cache; a failed fetch is 4112 after exactly one wait. */
static void test_key_wait(void **state)
{
	fx *f = fx_open(false);
	fake_keys fk = {.fetch_ok = true};
	int inner = 0;

	(void)state;
	memset(fk.key, 0x3c, sizeof(fk.key));
	m2m_cse_set_esprim_keys(f->cse, fake_lookup, &fk);
	assert_int_equal(esprim_once(f, &fk, &inner), 2000);
	assert_int_equal(fk.waits, 1);
	assert_true(inner != 0); /* a protected inner answer (its RSC is the ACP's) */
	/* cached now: no wait */
	assert_int_equal(esprim_once(f, &fk, &inner), 2000);
	assert_int_equal(fk.waits, 1);
	/* the service refuses: one wait, then 4112, plain */
	fk.fetched = false;
	fk.fetch_ok = false;
	assert_int_equal(esprim_once(f, &fk, &inner), 4112);
	assert_int_equal(fk.waits, 2);
	assert_int_equal(inner, 0);
	fx_close(f);
}

static void test_seci_request(void **state)
{
	m2m_request req;

	(void)state;
	m2m_request_init(&req);
	req.op = M2M_OP_NOTIFY;
	req.pc = json_pack("{s:{s:i}}", "m2m:seci", "sit", 3);
	assert_true(m2mi_seci_request(&req));
	req.op = M2M_OP_CREATE;
	assert_false(m2mi_seci_request(&req));
	req.op = M2M_OP_NOTIFY;
	json_decref(req.pc);
	req.pc = json_pack("{s:{},s:{}}", "m2m:seci", "m2m:sgn");
	assert_false(m2mi_seci_request(&req)); /* a seci with something else: not ours */
	m2m_request_clear(&req);
}

static void test_esi(void **state)
{
	json_t *v;
	static const char *good[] = {
		"{}", "{\"esf\":[13,23]}", "{\"escert\":[\"MIIB\"]}",
		("{\"esro\":{\"esri\":\"s0102030405060708\",\"esrv\":\"v0102\",\"esrx\":\"20991231T000000\","
		 "\"esks\":[1],\"espa\":[12]}}"),
	};
	static const char *bad[] = {
		"[]", "{\"esf\":13}", "{\"esf\":[\"x\"]}", "{\"esf\":[-1]}", "{\"escert\":[1]}",
		"{\"esro\":{\"esri\":\"s1\"}}", "{\"esro\":\"s1\"}", "{\"other\":1}",
	};

	(void)state;
	for (size_t i = 0; i < M2M_ARRAY_LEN(good); i++) {
		v = json_loads(good[i], 0, NULL);
		assert_non_null(v);
		assert_true(m2mi_esi_ok(v));
		json_decref(v);
	}
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		v = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		assert_false(m2mi_esi_ok(v));
		json_decref(v);
	}
}

/* e2eSecInfo: published on the <CSEBase> (not writable there), set by a Registree CSE on its
 * <remoteCSE> (validated). */
static void test_esi_resources(void **state)
{
	fx *f = fx_open(true);
	json_t *esi;
	const char *esro_id;
	char shared[32];

	(void)state;
	fx_auth(f);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "CAdmin", 0, NULL), 2000);
	esi = json_object_get(fx_attrs(f, "m2m:cb"), "esi");
	assert_non_null(esi);
	/* escertke off in this fixture: no SUID 43 in esf (TS-0003 Table 8.4.3.1.3-1) */
	assert_int_equal(json_array_size(json_object_get(esi, "esf")), 3);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(esi, "esf"), 2)), 33);
	esro_id = json_string_value(json_object_get(json_object_get(esi, "esro"), "esri"));
	assert_non_null(esro_id);
	assert_true(m2m_esprim_rand_id_shared(esro_id));
	snprintf(shared, sizeof(shared), "%s", esro_id);
	assert_rsc(f, fx_req(f, M2M_OP_RETRIEVE, "cse-in", "CAdmin", 0, NULL), 2000);
	esi = json_object_get(fx_attrs(f, "m2m:cb"), "esi");
	assert_string_equal(json_string_value(json_object_get(json_object_get(esi, "esro"), "esri")), shared);
	assert_rsc(f, fx_req(f, M2M_OP_UPDATE, "cse-in", "CAdmin", 0, "{\"m2m:cb\":{\"esi\":{\"esf\":[13]}}}"),
		   M2M_RSC_BAD_REQUEST);
	fx_create(f, "cse-in", "/id-mn", M2M_TY_CSR,
		  "{\"m2m:csr\":{\"cb\":\"/id-mn/cse-mn\",\"rr\":true,\"srv\":[\"3\"],\"esi\":{\"esf\":[13]}}}");
	assert_non_null(json_object_get(fx_attrs(f, "m2m:csr"), "esi"));
	assert_rsc(f, fx_req(f, M2M_OP_CREATE, "cse-in", "/id-mn2", M2M_TY_CSR,
			     "{\"m2m:csr\":{\"cb\":\"/id-mn2/c\",\"rr\":true,\"srv\":[\"3\"],\"esi\":{\"x\":1}}}"),
		   M2M_RSC_BAD_REQUEST);
	fx_close(f);
}

/* One sealed inner RETRIEVE (request id rqi) of an existing Originator o; outer rsc. */
static int esprim_again(fx *f, m2m_esprim_orig *o, const char *rqi)
{
	char in[160], *content = NULL;
	int rsc;

	snprintf(in, sizeof(in), "{\"op\":2,\"to\":\"/id-in/cse-in\",\"fr\":\"CAE1\",\"rqi\":\"%s\",\"rvi\":\"3\"}",
		 rqi);
	assert_int_equal(m2m_esprim_orig_seal(o, in, strlen(in), &content), M2M_OK);
	fx_prepare(f, M2M_OP_NOTIFY, "/id-in/.", "CAE1", 0, NULL);
	f->req.pc = json_loads(content, 0, NULL);
	rsc = fx_send(f);
	free(content);
	return rsc;
}

/* A non-shared receiverESPrimRandObject for CAE1 (NOTIFY seci sit 3 -> 4). */
static m2m_esprim_rand non_shared_rro(fx *f)
{
	m2m_seci_e2e s = {0};
	m2m_esprim_rand rro;
	char *text;

	fx_plain(f);
	assert_int_equal(fx_req(f, M2M_OP_NOTIFY, "/id-in/.", "CAE1", 0, "{\"m2m:seci\":{\"sit\":3}}"), 2000);
	text = json_dumps(f->rsp.pc, JSON_COMPACT);
	assert_int_equal(m2m_seci_e2e_decode(text, strlen(text), f->now, &s), M2M_OK);
	free(text);
	rro = s.ero;
	m2m_seci_e2e_clear(&s);
	return rro;
}

/* A CSE whose ESPrim key service answers the key of fill bytes (fk), and an Originator session
 * for it (its pairwise key in *pw) on a non-shared receiver rand object. */
static m2m_esprim_orig *session(fx *f, fake_keys *fk, uint8_t fill, m2m_key **pw)
{
	m2m_esprim_rand rro;
	m2m_esprim_orig *o = NULL;

	memset(fk->key, fill, sizeof(fk->key));
	m2m_cse_set_esprim_keys(f->cse, fake_lookup, fk);
	rro = non_shared_rro(f);
	assert_int_equal(m2m_key_new(fk->key, sizeof(fk->key), pw), M2M_OK);
	assert_int_equal(m2m_esprim_orig_new(*pw, "00112233445566778899aabbccddeeff@mef.example.com", &rro,
					     M2M_ESPRIM_A256GCM, f->now, &o),
			 M2M_OK);
	return o;
}

/* Whether the next object o seals carries "oro" in its protected header. */
static bool seals_oro(fx *f, m2m_esprim_orig *o)
{
	m2m_seci_e2e s = {0};
	m2m_esprim_obj *obj = NULL;
	char *content = NULL;
	bool has;

	assert_int_equal(m2m_esprim_orig_seal(o, "{}", 2, &content), M2M_OK);
	assert_int_equal(m2m_seci_e2e_decode(content, strlen(content), f->now, &s), M2M_OK);
	assert_int_equal(m2m_esprim_parse(s.epo, strlen(s.epo), f->now, &obj), M2M_OK);
	has = m2m_esprim_obj_hdr(obj)->oro != NULL;
	m2m_esprim_obj_free(obj);
	m2m_seci_e2e_clear(&s);
	free(content);
	return has;
}

/* An Originator sends "oro" at the beginning of its session (TS-0003 clause 8.4.3.2) and leaves
 * it out once confirmed: the Receiver kept it when it accepted the first request. A session
 * confirmed before the Receiver accepted any of its requests has an "ori" the Receiver does not
 * know: 4113 ESPRIM_UNKNOWN_ORIG_RAND_ID, plain (no session key without the object). */
static void test_confirmed_session_omits_oro(void **state)
{
	fx *f = fx_open(false);
	fake_keys fk = {.fetch_ok = true, .fetched = true};
	m2m_key *pw = NULL;
	m2m_esprim_orig *o = session(f, &fk, 0x3e, &pw), *early = NULL;
	m2m_esprim_rand rro = non_shared_rro(f);

	(void)state;
	assert_true(seals_oro(f, o));
	assert_int_equal(esprim_again(f, o, "c1"), 2000);
	assert_true(seals_oro(f, o)); /* not before the caller confirms */
	m2m_esprim_orig_confirm(o);
	assert_false(seals_oro(f, o));
	assert_int_equal(esprim_again(f, o, "c2"), 2000);
	assert_int_equal(esprim_again(f, o, "c3"), 2000);
	assert_int_equal(m2m_esprim_orig_new(pw, "00112233445566778899aabbccddeeff@mef.example.com", &rro,
					     M2M_ESPRIM_A256GCM, f->now, &early),
			 M2M_OK);
	m2m_esprim_orig_confirm(early);
	assert_int_equal(esprim_again(f, early, "c4"), M2M_RSC_ESPRIM_UNKNOWN_ORIG_RAND_ID);
	assert_null(f->rsp.pc == NULL ? NULL : json_object_get(f->rsp.pc, "m2m:seci")); /* plain */
	m2m_esprim_orig_confirm(NULL);
	m2m_esprim_orig_free(o);
	m2m_esprim_orig_free(early);
	m2m_key_free(pw);
	fx_close(f);
}

/* The sessionESPrimKey memo skips only the derivation: the pairwise key is still resolved on
 * every request, so a key revoked (or expired) while its session key is memoised is refused on
 * its very next use, 4112 (TS-0004 Table 7.6.2-1), plain. */
static void test_memo_keeps_revocation(void **state)
{
	fx *f = fx_open(false);
	fake_keys fk = {.fetch_ok = true, .fetched = true};
	m2m_key *pw = NULL;
	m2m_esprim_orig *o = session(f, &fk, 0x3d, &pw);
	uint64_t derived = 0;

	(void)state;
	assert_int_equal(esprim_again(f, o, "m1"), 2000);
	assert_int_equal(esprim_again(f, o, "m2"), 2000);
	assert_int_equal(m2mi_esprim_sk_held(f->cse->esprim, &derived), 1);
	assert_int_equal(derived, 1); /* the second request used the memo */
	assert_int_equal(fk.lookups, 2); /* ... and still resolved the key */
	fk.fetched = false; /* revoked: the resolver refuses it from now on */
	fk.fetch_ok = false;
	assert_int_equal(esprim_again(f, o, "m3"), 4112);
	assert_int_equal(derived, 1);
	m2m_esprim_orig_free(o);
	m2m_key_free(pw);
	fx_close(f);
}

/* ---- an inner request that defers (cse.c m2mi_cse_inner, esprim_rx.c m2mi_esp_defer) ---------- */

typedef struct outer_answer {
	int calls, rsc;
	char rqi[32];
	char *pc; /* the outer Content, serialised */
} outer_answer;

static void on_outer(void *arg, const m2m_request *req, m2m_response *rsp)
{
	outer_answer *a = arg;

	a->calls++;
	if (rsp == NULL)
		return;
	a->rsc = rsp->rsc;
	snprintf(a->rqi, sizeof(a->rqi), "%s", req != NULL && req->rqi != NULL ? req->rqi : "");
	a->pc = rsp->pc != NULL ? json_dumps(rsp->pc, JSON_COMPACT) : NULL;
}

/* The inner rsc of the sealed answer a (its rqi must be rqi); the text is freed. */
static int inner_rsc(fx *f, m2m_esprim_orig *o, outer_answer *a, const char *rqi)
{
	char *inner = NULL;
	size_t n = 0;
	json_t *j;
	int rsc;

	assert_non_null(a->pc);
	assert_int_equal(m2m_esprim_orig_open(o, a->pc, strlen(a->pc), f->now, &inner, &n), M2M_OK);
	j = json_loads(inner, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "rqi")), rqi);
	rsc = (int)json_integer_value(json_object_get(j, "rsc"));
	json_decref(j);
	m2m_freezero(inner, n);
	free(a->pc);
	a->pc = NULL;
	return rsc;
}

/* A sealed inner request through the asynchronous API: the pending outer NOTIFY, or NULL. */
static m2m_cse_pending *send_async(fx *f, m2m_esprim_orig *o, const char *in, outer_answer *a, char *orqi)
{
	char *content = NULL;
	m2m_cse_pending *p;

	assert_int_equal(m2m_esprim_orig_seal(o, in, strlen(in), &content), M2M_OK);
	fx_prepare(f, M2M_OP_NOTIFY, "/id-in/.", "CAE1", 0, NULL);
	f->req.pc = json_loads(content, 0, NULL);
	free(content);
	snprintf(orqi, 32, "%s", f->req.rqi != NULL ? f->req.rqi : "");
	m2m_response_clear(&f->rsp);
	p = m2m_cse_handle_async(f->w, &f->sa, &f->req, &f->rsp, f->now);
	if (p != NULL)
		m2m_cse_pending_on_done(p, on_outer, a);
	return p;
}

/*
 * A <subscription> CREATE as inner request waits for its verification (TS-0004 7.5.1.2.3): the
 * outer NOTIFY goes pending with it instead of the worker waiting, and on completion its answer
 * is the inner one sealed with the same session key (here the protected 5204 of a refused
 * target, as on the direct path). The same when the inner request defers on the second pass
 * after a key fetch: the outer NOTIFY is relayed to the new pending request.
 */
static void test_inner_deferred(void **state)
{
	fx *f = fx_open(false);
	fake_keys fk = {.fetch_ok = true, .fetched = true};
	static const char reg[] = "{\"op\":1,\"to\":\"/id-in/cse-in\",\"fr\":\"CAE1\",\"rqi\":\"r0\",\"rvi\":\"3\","
				  "\"ty\":2,\"pc\":{\"m2m:ae\":{\"rn\":\"ae1\",\"api\":\"Nx\",\"rr\":false,\"srv\":[\"3\"]}}}";
	char sub[256], orqi[32], *content = NULL;
	outer_answer a = {0}, b = {0};
	m2m_esprim_rand rro;
	m2m_esprim_orig *o = NULL;
	m2m_seci_e2e s = {0};
	m2m_key *pw = NULL;
	waker k = {.wakes = 0};
	char *text;

	(void)state;
	pthread_mutex_init(&k.mu, NULL);
	pthread_cond_init(&k.cv, NULL);
	memset(fk.key, 0x3e, sizeof(fk.key));
	m2m_cse_set_esprim_keys(f->cse, fake_lookup, &fk);
	fx_plain(f);
	assert_int_equal(fx_req(f, M2M_OP_NOTIFY, "/id-in/.", "CAE1", 0, "{\"m2m:seci\":{\"sit\":3}}"), 2000);
	text = json_dumps(f->rsp.pc, JSON_COMPACT);
	assert_int_equal(m2m_seci_e2e_decode(text, strlen(text), f->now, &s), M2M_OK);
	free(text);
	rro = s.ero;
	m2m_seci_e2e_clear(&s);
	assert_int_equal(m2m_key_new(fk.key, sizeof(fk.key), &pw), M2M_OK);
	assert_int_equal(m2m_esprim_orig_new(pw, "00112233445566778899aabbccddeeff@mef.example.com", &rro,
					     M2M_ESPRIM_A256GCM, f->now, &o),
			 M2M_OK);
	/* the AE, synchronously (no wake function yet: m2m_cse_handle waits in place) */
	assert_int_equal(m2m_esprim_orig_seal(o, reg, strlen(reg), &content), M2M_OK);
	fx_prepare(f, M2M_OP_NOTIFY, "/id-in/.", "CAE1", 0, NULL);
	f->req.pc = json_loads(content, 0, NULL);
	free(content);
	assert_int_equal(fx_send(f), 2000);
	a.pc = json_dumps(f->rsp.pc, JSON_COMPACT);
	assert_int_equal(inner_rsc(f, o, &a, "r0"), M2M_RSC_CREATED);

	m2m_cse_worker_set_wake(f->w, on_wake, &k);
	snprintf(sub, sizeof(sub),
		 "{\"op\":1,\"to\":\"/id-in/cse-in/ae1\",\"fr\":\"CAE1\",\"rqi\":\"s1\",\"rvi\":\"3\",\"ty\":23,"
		 "\"pc\":{\"m2m:sub\":{\"rn\":\"s\",\"nu\":[\"http://127.0.0.1:%d/n\"]}}}",
		 fx_closed_port());
	/* first pass: the inner CREATE waits for its verification, so does the outer NOTIFY */
	assert_non_null(send_async(f, o, sub, &a, orqi));
	assert_null(f->req.rqi); /* moved into the pending request */
	assert_int_equal(a.calls, 0);
	wait_wakes(&k, 1);
	m2m_cse_worker_complete(f->w, f->now);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.rsc, 2000);
	assert_string_equal(a.rqi, orqi); /* the outer request's answer, given to the binding */
	assert_int_equal(inner_rsc(f, o, &a, "s1"), M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);

	/* the key must be fetched first: the second pass defers, the outer NOTIFY follows it */
	fk.fetched = false;
	sub[strstr(sub, "\"s1\"") - sub + 2] = '2';
	assert_non_null(send_async(f, o, sub, &b, orqi));
	wait_wakes(&k, 2); /* the key is in */
	m2m_cse_worker_complete(f->w, f->now);
	assert_int_equal(b.calls, 0); /* relayed: the inner CREATE waits for its verification */
	assert_int_equal(fk.waits, 1);
	wait_wakes(&k, 3);
	m2m_cse_worker_complete(f->w, f->now);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.rsc, 2000);
	assert_string_equal(b.rqi, orqi);
	assert_int_equal(inner_rsc(f, o, &b, "s2"), M2M_RSC_SUBSCRIPTION_VERIFICATION_INITIATION_FAILED);

	m2m_cse_worker_set_wake(f->w, NULL, NULL);
	m2m_esprim_orig_free(o);
	m2m_key_free(pw);
	fx_close(f);
	pthread_cond_destroy(&k.cv);
	pthread_mutex_destroy(&k.mu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_seci_request), cmocka_unit_test(test_esi),
					   cmocka_unit_test(test_key_wait), cmocka_unit_test(test_esi_resources),
					   cmocka_unit_test(test_memo_keeps_revocation),
					   cmocka_unit_test(test_confirmed_session_omits_oro),
					   cmocka_unit_test(test_inner_deferred)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
