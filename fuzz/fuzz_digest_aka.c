/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness for the HTTP Digest AKA header parser of GBA Ub
 * (RFC 3310, TS-0003 clause 8.3.2.3): the first input byte picks challenge or credentials, the
 * rest is the header value. A value that parses must survive the round trip: formatting it again
 * and parsing that gives the same fields (the escaping and the parser agree), and the nonce
 * splitter and response verifier must not crash on whatever the parser accepted.
 */
#include <string.h>

#include "m2msec/digest_aka.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t res[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	m2m_digest d, again;
	m2m_digest_kind kind;
	char hdr[M2M_DIGEST_HDR_MAX * 2];
	uint8_t rand[16], autn[16], sd[M2M_DIGEST_SERVER_DATA_MAX];
	size_t sl = 0;

	if (size < 1)
		return 0;
	kind = (data[0] & 1) ? M2M_DIGEST_CREDENTIALS : M2M_DIGEST_CHALLENGE;
	/* the BSF's first-request form (TS 24.109 clause 5.2.1): an accepted one names an IMPI and
	 * carries neither nonce nor response */
	if ((data[0] & 2) && m2m_digest_parse((const char *)data + 1, size - 1, M2M_DIGEST_INITIAL, &d) == M2M_OK &&
	    (d.username[0] == '\0' || d.nonce[0] != '\0' || d.response[0] != '\0'))
		__builtin_trap();
	if (m2m_digest_parse((const char *)data + 1, size - 1, kind, &d) != M2M_OK)
		return 0;
	(void)m2m_digest_aka_nonce_split(d.nonce, rand, autn, sd, sizeof(sd), &sl);
	if (kind == M2M_DIGEST_CHALLENGE) {
		if (m2m_digest_format_challenge(d.realm, d.nonce, d.opaque[0] != '\0' ? d.opaque : NULL, d.stale, hdr,
						sizeof(hdr)) == M2M_OK) {
			if (m2m_digest_parse(hdr, strlen(hdr), kind, &again) != M2M_OK ||
			    strcmp(again.realm, d.realm) != 0 || strcmp(again.nonce, d.nonce) != 0 ||
			    strcmp(again.opaque, d.opaque) != 0 || again.stale != d.stale)
				__builtin_trap();
		}
		return 0;
	}
	(void)m2m_digest_aka_verify(&d, "GET", res, sizeof(res));
	if (d.nc[0] != '\0' && m2m_digest_format_credentials(&d, hdr, sizeof(hdr)) == M2M_OK) {
		if (m2m_digest_parse(hdr, strlen(hdr), kind, &again) != M2M_OK || strcmp(again.username, d.username) != 0 ||
		    strcmp(again.realm, d.realm) != 0 || strcmp(again.uri, d.uri) != 0 ||
		    strcmp(again.response, d.response) != 0 || strcmp(again.cnonce, d.cnonce) != 0 ||
		    strcmp(again.auts, d.auts) != 0)
			__builtin_trap();
	}
	return 0;
}
