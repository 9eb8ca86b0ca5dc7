/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the ESPrim Originator (TS-0003 clause 8.4.2
 * phases B-C at the Originator, TS-0004 clause 7.6.2 steps E-F and O-P): given the
 * pairwiseESPrimKey, its "kid" and the Target's receiverESPrimRandObject (from esi.esro of the
 * <CSEBase>/<AE>, or a seci sit 4 answer), make an originatorESPrimRandObject, derive the
 * sessionESPrimKey, seal an inner request primitive (JSON serialisation) into the Content of the
 * outer NOTIFY ({"m2m:seci":{"sit":5,"epo":...}}, the header carrying "oro") and open the
 * protected inner response. Transport-free: `m2msec esprim` (src/cli/cmd_esprim.c), tests and
 * benchmarks send the outer NOTIFY themselves. docs/procedures/e2e.md is the manual.
 * A session keeps memos (its encoded protected header, the header of the last answer): use one
 * from one thread at a time.
 */
#ifndef M2MSEC_ESPRIM_ORIG_H
#define M2MSEC_ESPRIM_ORIG_H

#include "m2msec/esprim.h"

typedef struct m2m_esprim_orig m2m_esprim_orig;

/*
 * A session for the Target that published rro: a fresh originator rand object (CSPRNG; esk 1,
 * espa = rro's, expiry = rro's, clause 8.4.2 B.1b) and the session key for aead.
 * M2M_E_ESP_RECV_RAND when rro is expired at now; M2M_E_ESP_UNSUPPORTED when rro does not offer
 * HMAC-SHA256 or aead; M2M_E_INVAL for a bad argument.
 */
M2M_API M2M_WUR m2m_err m2m_esprim_orig_new(const m2m_key *pairwise, const char *kid, const m2m_esprim_rand *rro,
					     int aead, int64_t now, m2m_esprim_orig **out);
M2M_API void m2m_esprim_orig_free(m2m_esprim_orig *o);
/* Seal the serialised inner request into the outer NOTIFY's Content (heap, free()). The
 * protected header carries the originatorESPrimRandObject ("oro") until the session is
 * confirmed. */
M2M_API M2M_WUR m2m_err m2m_esprim_orig_seal(m2m_esprim_orig *o, const char *inner, size_t len, char **content);
/*
 * The Receiver accepted an inner request of this session: its protected inner response had a
 * success RSC (2xxx). A Receiver keeps the "oro" of every inner request it accepts (TS-0003
 * clause 8.4.3.2: "oro" is sent at the beginning of a session), so later objects of the session
 * leave it out: a smaller header to encode, send and parse. A Receiver that has since forgotten
 * it (a restart, its bounded memory) answers such an object with a plain 4113
 * (ESPRIM_UNKNOWN_ORIG_RAND_ID): make a new session then. Do not confirm on any other RSC: the
 * refusals before the request is accepted (4000, 4111, 4113, 4116) are protected too.
 */
M2M_API void m2m_esprim_orig_confirm(m2m_esprim_orig *o);
/*
 * Open the outer NOTIFY response's Content: an m2m:seci of sit 5 whose header names this
 * session's kid, ori and rri, decrypted with its key. *inner (heap, m2m_freezero it) is the
 * serialised inner response. M2M_E_SECI_FORMAT / M2M_E_ESP_* otherwise.
 */
M2M_API M2M_WUR m2m_err m2m_esprim_orig_open(m2m_esprim_orig *o, const char *content, size_t len, int64_t now,
					      char **inner, size_t *inner_len);

#endif
