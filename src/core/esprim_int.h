/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal jansson-level rand-object codec shared by the ESPrim object
 * (esprim.c: the "oro" / "rro" header members, TS-0003 Table 8.4.3.2-2) and the m2m:seci codec
 * (seci_e2e.c: the "ero" element, TS-0004 Table 6.3.5.48-1).
 */
#ifndef M2M_CORE_ESPRIM_INT_H
#define M2M_CORE_ESPRIM_INT_H

#include <cjose/header.h>
#include <jansson.h>

#include "m2msec/esprim.h"

struct m2m_seci_e2e;

/* A new JSON object with short names; NULL on allocation failure or a bad r. */
json_t *m2mi_esprim_rand_to_json(const m2m_esprim_rand *r, bool originator);
/* M2M_OK or M2M_E_ESP_RAND_OBJ. */
m2m_err m2mi_esprim_rand_from_json(const json_t *j, bool originator, int64_t now, m2m_esprim_rand *out);
/* seci_e2e.c: s as the JSON object {"m2m:seci":{...}} (what m2m_seci_e2e_encode serialises), for
 * a caller that puts it into a primitive without a text round trip; M2M_E_INVAL for a bad s. */
m2m_err m2mi_seci_e2e_to_json(const struct m2m_seci_e2e *s, json_t **out);
/* seci_e2e.c: m2m_seci_e2e_decode of an object already parsed (the inner object, without the
 * {"m2m:seci": ...} wrapper): the same checks and errors, no text round trip. */
m2m_err m2mi_seci_e2e_from_json(const json_t *j, int64_t now, struct m2m_seci_e2e *out);
/* seci_e2e.c: the object json_loadb gives for exactly the text of an ESPrim Object's m2m:seci
 * (sit 5, as m2m_seci_e2e_encode writes it), built without a JSON parse; NULL for any other text
 * (parse it as usual) or on allocation failure. */
json_t *m2mi_seci_e2e_text_json(const char *json, size_t len);
/* seci_e2e.c: the reverse, for an answer's Content: the bytes json_dumps(j, JSON_COMPACT) gives
 * when j is exactly an ESPrim Object's m2m:seci ({"m2m:seci":{"sit":5,"epo":…}} in this order, the
 * epo base64url and '.'), written without jansson's dump; NULL for any other j (dump it as usual)
 * or on allocation failure. Its length in *len; free() it. */
char *m2mi_seci_e2e_json_text(const json_t *j, size_t *len);
/* esprim.c: a sessionESPrimKey as a cjose JWK, made once per session and shared by reference
 * (atomic count; the Receiver's memo and its requests, an Originator's session). The last unref
 * clears the key octets and releases the JWK. */
typedef struct m2mi_esp_key m2mi_esp_key;
m2m_err m2mi_esp_key_new(const m2m_key *k, m2mi_esp_key **out);
m2mi_esp_key *m2mi_esp_key_ref(m2mi_esp_key *k);
void m2mi_esp_key_unref(m2mi_esp_key *k);
/* esprim.c: the protected header of h as a cjose header (NULL for a bad h, as m2m_esprim_seal
 * checks it, or on allocation failure; cjose_header_release it), built once where it is the same
 * for many objects (an Originator's session); and m2m_esprim_seal with that header and key. */
cjose_header_t *m2mi_esprim_hdr_new(const m2m_esprim_hdr *h);
m2m_err m2mi_esprim_seal_key(const m2mi_esp_key *k, int aead, cjose_header_t *hdr, const uint8_t *pt, size_t ptlen,
			     char **out);
/* esprim.c: m2m_esprim_open with the session's JWK. */
m2m_err m2mi_esprim_open_key(const m2m_esprim_obj *o, const m2mi_esp_key *k, uint8_t **pt, size_t *ptlen);
/* esprim_rand.c: whether the object's esrx is relative (resolved against "now"). */
bool m2mi_esprim_rand_json_relative(const json_t *j);
/* esprim.c: m2m_esprim_parse of text whose protected header is byte for byte that of like, an
 * object parsed before whose header did not depend on "now" (no relative esrx): the parts are
 * checked as m2m_esprim_parse does and the object goes through cjose's import; its members are
 * read from cjose's parse, its rand objects taken from like (whose check of these very bytes
 * stands, so the result outlives like). M2M_E_NOT_FOUND when the header differs: parse it
 * instead. The header is a pure function of its bytes: the result is exactly what a parse gives. */
m2m_err m2mi_esprim_parse_same_hdr(const char *text, size_t len, const m2m_esprim_obj *like,
				   m2m_esprim_obj **out);
bool m2mi_esprim_hdr_reusable(const m2m_esprim_obj *o);
/* What a memo of o's header check keeps (no copy of the object, no second cjose import): a
 * "like" for m2mi_esprim_parse_same_hdr only (free with m2m_esprim_obj_free); NULL when o's
 * header is not reusable or out of memory. */
m2m_esprim_obj *m2mi_esprim_hdr_memo(const m2m_esprim_obj *o);
/* xs:NCName (ASCII subset: letter or '_' first, then letters, digits, '.', '-', '_'). */
bool m2mi_ncname(const char *s, size_t max);

#endif
