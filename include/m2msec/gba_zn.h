/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the Zn reference point as m2msec maps it (3GPP TS
 * 33.220 clause 4.4.5 / 4.5.3; TS-0003 clause 8.3.2.3 "Integration to the Association Security
 * Handshake"): a NAF (the Enrolment Target: a CSE or a MAF) asks the BSF (the MEF) for the
 * NAF-specific key of a B-TID. 3GPP carries Zn over Diameter (TS 29.109) or SOAP; m2msec carries it
 * as a oneM2M-style RETRIEVE to the MEF over the NAF's own mutually authenticated association, like
 * fetchCredentials (docs/procedures/gba.md "Zn"):
 *
 *   RETRIEVE /gbaNafKey/<B-TID in URL-safe base64>/<NAF FQDN>/<key kind>
 *
 * The B-TID's base64 part uses '+' and '/' (RFC 4648 clause 4), which a path segment cannot carry
 * ('/' never, TS-0009 clause 6.2.2.1); the request writes it in the URL-safe alphabet of RFC 4648
 * clause 5 ('-' and '_'), a one-to-one mapping. The key kind names which NAF key is asked for
 * (m2m_gba_naf_kind). Pure: no I/O; the strict parser is fuzzed (fuzz/fuzz_gba_zn.c).
 */
#ifndef M2MSEC_GBA_ZN_H
#define M2MSEC_GBA_ZN_H

#include "m2msec/gba.h"

/* The first path segment of a Zn request at the MEF. */
#define M2M_GBA_ZN_RESOURCE "gbaNafKey"
/* The member name of the answer's content (a sec:gbaNafKeyRsp object, docs/procedures/gba.md). */
#define M2M_GBA_ZN_RSP "sec:gbaNafKeyRsp"
/* The longest request path: "/gbaNafKey/" + B-TID + "/" + FQDN + "/" + kind + NUL. */
#define M2M_GBA_ZN_PATH_MAX (11 + M2M_GBA_BTID_MAX + 1 + 253 + 1 + 10 + 1)

/* The name of a kind in the request and the answer: "ks-naf", "ks-ext-naf", "ks-int-naf"; NULL for
 * an unknown kind. */
M2M_API const char *m2m_gba_naf_kind_name(m2m_gba_naf_kind kind);
/* The kind named s (exact, lowercase); M2M_E_INVAL otherwise. */
M2M_API M2M_WUR m2m_err m2m_gba_naf_kind_parse(const char *s, m2m_gba_naf_kind *kind);

/* "/gbaNafKey/<btid64url>/<naf_fqdn lowercase>/<kind>" into out (cap bytes, M2M_E_RANGE). btid
 * must parse (m2m_gba_btid_parse), naf_fqdn be an FQDN, kind known (M2M_E_INVAL otherwise). */
M2M_API M2M_WUR m2m_err m2m_gba_zn_path(const char *btid, const char *naf_fqdn, m2m_gba_naf_kind kind, char *out,
					size_t cap);

/*
 * Parse the To of a Zn request ("gbaNafKey/..." with or without a leading '/'): btid receives the
 * B-TID in its standard form (M2M_GBA_BTID_MAX bytes), naf the NAF FQDN in lowercase (ncap bytes),
 * kind the key kind. M2M_E_NOT_FOUND when to is no Zn request at all; M2M_E_PROTO when it is one
 * but malformed (a segment missing or extra, a B-TID that does not parse strictly, a standard
 * base64 '+' or '/', an invalid FQDN, an unknown kind).
 */
M2M_API M2M_WUR m2m_err m2m_gba_zn_path_parse(const char *to, char *btid, char *naf, size_t ncap,
					      m2m_gba_naf_kind *kind);

#endif
