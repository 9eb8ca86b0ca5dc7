/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the CSE's ESPrim Receiver (TS-0003 clauses
 * 8.4.2-8.4.3, TS-0001 clause 11.4.2, TS-0004 clause 7.6.2; docs/procedures/e2e.md):
 * esprim_state.c keeps the receiver's memory (the shared receiverESPrimRandObject published in
 * esi.esro and renewed before it expires, the non-shared ones handed out by seci sit 3 -> 4, the
 * originatorESPrimRandObjects seen, the replay window), all bounded and under one mutex;
 * esprim_rx.c answers the outer NOTIFYs (m2m:seci types 3 and 5) and the e2eSecInfo attribute.
 */
#ifndef M2MSEC_CSE_ESPRIM_RX_H
#define M2MSEC_CSE_ESPRIM_RX_H

#include "core/esprim_int.h"
#include "m2msec/esprim.h"
#include "services/cse/cse_int.h"

#define M2MI_ESP_NS_MAX 512      /* non-shared receiver rand objects held at once */
#define M2MI_ESP_NS_PER_ORIG 8   /* ... of them for one Originator */
#define M2MI_ESP_ORO_MAX 512     /* originatorESPrimRandObjects remembered (header without "oro") */
#define M2MI_ESP_REPLAY_MAX 65536 /* inner requests remembered by the replay window (~3.5 MiB) */
#define M2MI_ESP_BANNED_MAX 4096  /* originator rand objects banned by it (esprim_replay.c) */
#define M2MI_ESP_SK_MAX 64       /* sessionESPrimKeys memoised (m2mi_esprim_session) */
#define M2MI_ESP_HDR_MAX 64      /* protected headers memoised (m2mi_esprim_parse) */

typedef struct m2mi_esprim m2mi_esprim;

m2m_err m2mi_esprim_new(const m2m_cse_config *cfg, m2mi_esprim **out);
void m2mi_esprim_free(m2mi_esprim *e);

/* The shared receiverESPrimRandObject valid at now, made (or renewed once less than half its
 * lifetime is left) on demand; the previous one stays acceptable until its own expiry. */
m2m_err m2mi_esprim_shared(m2mi_esprim *e, int64_t now, m2m_esprim_rand *out);
/* A new non-shared one for the Originator orig (its absolute form). */
m2m_err m2mi_esprim_issue(m2mi_esprim *e, const char *orig, int64_t now, m2m_esprim_rand *out);
/* The receiver object rri that the key owner owner may use: a shared one, or a non-shared one
 * issued to owner. M2M_E_ESP_RECV_RAND otherwise (expiry is m2m_esprim_check_rands's). */
m2m_err m2mi_esprim_find_rro(m2mi_esprim *e, const char *rri, const char *owner, m2m_esprim_rand *out);
/* The originator object ori of key kid: hdr_oro when the header carries one (its esri must be
 * ori), else one remembered. M2M_E_ESP_ORIG_RAND otherwise. */
m2m_err m2mi_esprim_find_oro(m2mi_esprim *e, const char *kid, const char *ori, const m2m_esprim_rand *hdr_oro,
			     m2m_esprim_rand *out);
/* After a successful decryption: remember oro for kid. */
void m2mi_esprim_keep_oro(m2mi_esprim *e, const char *kid, const m2m_esprim_rand *oro);
/* The replay window (esprim_replay.c, docs/procedures/e2e.md "Replay"): M2M_OK and remembered
 * when (kid, ori, inner rqi) is new; M2M_E_EXISTS for a replay; M2M_E_ESP_ORIG_RAND when the
 * bounded window can no longer prove the object fresh (fail closed). */
m2m_err m2mi_esprim_replay(m2mi_esprim *e, const char *kid, const m2m_esprim_rand *oro, const char *rqi,
			   int64_t now);
/* sessionESPrimKey through the receiver's m2m_kdf (m2m_esprim_session_key), memoised: the key
 * is a function of exactly (pairwise key bytes, rro value, oro value, aead), so an entry is
 * reused only when all four are equal (the pairwise key compared in constant time) and dropped
 * once either rand object has expired at now; at most M2MI_ESP_SK_MAX entries, the least
 * recently used goes first. The caller still resolves the pairwise key per request (that lookup
 * is the revocation/expiry check); only the HMAC derivation is skipped. The key is handed out
 * as the memo holds it, a cjose JWK made once (a reference: m2mi_esp_key_unref it). */
m2m_err m2mi_esprim_session(m2mi_esprim *e, const m2m_key *pairwise, const m2m_esprim_rand *rro,
			    const m2m_esprim_rand *oro, int aead, int64_t now, m2mi_esp_key **out);
/* m2m_esprim_parse, with the protected header taken from a memo when it is byte for byte that
 * of an object parsed before (an Originator sends the same header on every object of its
 * session; m2mi_esprim_parse_same_hdr): the same result and refusals, one JSON parse less per
 * request. A header with a relative esrx depends on now and is never reused; at most
 * M2MI_ESP_HDR_MAX headers are kept (a slot by a hash of the header, the last one wins). */
m2m_err m2mi_esprim_parse(m2mi_esprim *e, const char *text, size_t len, int64_t now, m2m_esprim_obj **out);
/* For tests: the session keys held and how many were derived (not found in the memo) so far. */
size_t m2mi_esprim_sk_held(m2mi_esprim *e, uint64_t *derived);

/* esprim_rx.c: an outer NOTIFY whose Content is an m2m:seci (dispatch, before the primitive
 * checks): 0 with c->rsp answered, or an RSC. */
bool m2mi_seci_request(const m2m_request *req);
int m2mi_seci_dispatch(m2mi_ctx *c);
/* The e2eSecInfo the <CSEBase> publishes (esf, esro), added to n->attr when n is the CSEBase
 * and ESPrim is on. 0 or 5000. */
int m2mi_esi_publish(m2mi_ctx *c, m2mi_node *n);
/* An e2eSecInfo value set on an <AE> or <remoteCSE> (TS-0004 clause 6.3.5.52): an object with
 * only esf (list of SUIDs), escert (list of base64 strings), esro (receiverESPrimRandObject). */
bool m2mi_esi_ok(json_t *v);

#endif
