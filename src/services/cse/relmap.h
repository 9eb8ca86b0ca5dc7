/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the authorization relationship mapping of the
 * Hosting CSE (TS-0003 clauses 7.3.2.2 steps 5-8 and 7.3.2.7; TS-0004 Table 6.4.1-1 asi/aus/auri,
 * Table 7.2.1.2-1 asri): AuthorSign parsing and verification, and the bounded table of
 * AuthorRelMapRecords (TS-0003 Table 7.3.2.2-3) that lets a re-registered AE (new AE-ID) use a
 * token issued to its old AE-ID, after it proved with a signature of the same key that it is the
 * same author. docs/procedures/das.md "Relationship mapping" is the manual (byte string, format).
 */
#ifndef M2M_CSE_RELMAP_H
#define M2M_CSE_RELMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "m2msec/err.h"
#include "m2msec/originator.h"

#define M2MI_AUS_DOMAIN "m2msec-AuthorSign-v1" /* first bytes of the signed string (NUL included) */
#define M2MI_AUS_CERT_MAX 4096  /* bytes of the DER certificate in one AuthorSign */
#define M2MI_AUS_ENTRY_MAX 8192 /* characters of one base64url AuthorSign */
#define M2MI_AUS_MAX 16         /* AuthorSigns in one aus list */

/*
 * Verify one AuthorSign (the base64url text entry[0..len), no padding) of the Originator
 * `originator` (absolute AE-ID) on the token whose compact text has SHA-256 tdig, addressed to
 * the Hosting CSE `audience` (absolute CSE-ID). The entry decodes to
 *   u16 big-endian L || L bytes DER X.509 certificate (EC P-256 key) || 64 bytes r||s,
 * r||s an ECDSA P-256 / SHA-256 signature (RFC 7518 clause 3.4 form) over
 *   "m2msec-AuthorSign-v1" 0x00 || tdig (32 bytes) || originator || 0x00 || audience.
 * M2M_E_TOKEN_FORMAT: not that structure; M2M_E_TOKEN_KEY: not a P-256 key;
 * M2M_E_TOKEN_SIGNATURE: the signature does not verify. spki (may be NULL) = SHA-256 of the
 * certificate's DER SubjectPublicKeyInfo, the author's identity in a record.
 */
m2m_err m2mi_author_sign_check(const char *entry, size_t len, const uint8_t tdig[32], const char *originator,
			       const char *audience, uint8_t spki[32]);
/*
 * The '+'-joined list aus (TS-0009 X-M2M-AS): M2M_OK when one entry verifies as above (and, when
 * want is not NULL, its key digest equals want), spki of that entry; entries for other tokens are
 * skipped. M2M_E_TOKEN_FORMAT when any entry is malformed or the list is empty or too long
 * (M2MI_AUS_MAX), M2M_E_TOKEN_SIGNATURE when none verifies.
 */
m2m_err m2mi_author_signs_find(const char *aus, const uint8_t tdig[32], const char *originator, const char *audience,
			       const uint8_t *want, uint8_t spki[32]);

/* One AuthorRelMapRecord (TS-0003 Table 7.3.2.2-3). */
typedef struct m2mi_relmap_rec {
	uint8_t tdig[32];           /* Token: SHA-256 of its compact text */
	char subject[M2M_ORIG_MAX]; /* SubjectID: the token's holder who made the record */
	char mapped[M2M_ORIG_MAX];  /* the AE-ID the holder maps to now; "" = not mapped */
	uint8_t spki[32];           /* SignatureAuthorSign: the key the author signs with */
	char ri[64];                /* ResourceID of the request that made the record */
	int64_t until;              /* the token's notAfter (+ skew): the record expires with it */
} m2mi_relmap_rec;

typedef struct m2mi_relmap m2mi_relmap;

/* At most cap (>= 1) live records; thread-safe. */
m2m_err m2mi_relmap_new(size_t cap, m2mi_relmap **out);
void m2mi_relmap_free(m2mi_relmap *m);
/* A copy of the live record of tdig into *out: true; false when none (or expired at now). */
bool m2mi_relmap_get(m2mi_relmap *m, const uint8_t tdig[32], int64_t now, m2mi_relmap_rec *out);
/* Record rec (rec->mapped ignored). An existing record of the same token and author is kept
 * (M2M_OK); of another author or subject M2M_E_TOKEN_SIGNATURE (a record is never taken over);
 * M2M_E_STORAGE_FULL when cap live records exist (none is evicted: that would drop a mapping). */
m2m_err m2mi_relmap_put(m2mi_relmap *m, const m2mi_relmap_rec *rec, int64_t now);
/* Map the record of tdig to new_id, only for the author spki: M2M_E_NOT_FOUND / M2M_E_TOKEN_SIGNATURE. */
m2m_err m2mi_relmap_map(m2mi_relmap *m, const uint8_t tdig[32], const uint8_t spki[32], const char *new_id,
			int64_t now);
size_t m2mi_relmap_count(m2mi_relmap *m, int64_t now);

#endif
