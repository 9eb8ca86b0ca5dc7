/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the identifier parser (core/id.c and friends,
 * TS-0003 clauses 10.3.4-10.6, 12.2; TS-0001 Table 7.2-1; TS-0004 clause 6.3.3). The first input
 * byte picks the kind (byte % 13, 0 = M2M_ID_ANY), the rest is the identifier. On success the
 * canonical form must re-parse to itself with the same fields (round-trip invariant), and the
 * certificate name helpers must round-trip too; any violation traps.
 */
#include <string.h>

#include "m2msec/id.h"

#define KINDS 13

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_str(const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
		__builtin_trap();
}

static void check_cert_names(const m2m_id *id)
{
	char out[M2M_ID_MAX + 16];
	m2m_id *back = NULL;
	m2m_err r;

	if (m2m_id_kind_of(id) == M2M_ID_AE_ID && m2m_id_form_of(id) == M2M_ID_FORM_ABSOLUTE) {
		if (m2m_id_ae_uri(id, out, sizeof(out)) != M2M_OK)
			__builtin_trap();
		if (m2m_id_from_ae_uri(out, strlen(out), &back) != M2M_OK)
			__builtin_trap();
		same_str(m2m_id_canonical(back), m2m_id_canonical(id));
		m2m_id_free(back);
	}
	if (m2m_id_kind_of(id) == M2M_ID_CSE_ID) {
		r = m2m_id_cse_domain_name(id, m2m_id_fqdn(id) != NULL ? NULL : "sp.example.com", out, sizeof(out));
		if (r == M2M_OK && m2m_id_check_fqdn(out, strlen(out)) != M2M_OK)
			__builtin_trap();
		if (r != M2M_OK && r != M2M_E_ID_BAD_FQDN)
			__builtin_trap();
	}
	if (m2m_id_relative_bytes(id) != NULL) {
		if (m2m_id_format_key_id(m2m_id_relative_bytes(id), m2m_id_fqdn(id), out, sizeof(out)) != M2M_OK)
			__builtin_trap();
		same_str(out, m2m_id_canonical(id));
	}
	if (m2m_id_fqdn(id) != NULL && m2m_id_check_fqdn(m2m_id_fqdn(id), strlen(m2m_id_fqdn(id))) != M2M_OK)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	m2m_id *id = NULL, *again = NULL;
	m2m_id_kind kind;
	const char *s, *canon;
	size_t len;
	m2m_err r;

	if (size == 0)
		return 0;
	kind = (m2m_id_kind)(data[0] % KINDS);
	s = (const char *)data + 1;
	len = size - 1;
	(void)m2m_id_check_fqdn(s, len);
	if (m2m_id_from_ae_uri(s, len, &again) == M2M_OK)
		m2m_id_free(again);
	again = NULL;

	r = m2m_id_parse(s, len, kind, &id);
	if (r != M2M_OK) {
		if (id != NULL || r >= 0 || r == M2M_E_INTERNAL)
			__builtin_trap();
		return 0;
	}
	canon = m2m_id_canonical(id);
	if (canon == NULL || strlen(canon) > len || strlen(canon) == 0)
		__builtin_trap();
	if (kind != M2M_ID_ANY && m2m_id_kind_of(id) != kind)
		__builtin_trap();
	/* round trip: the canonical form parses, as the same kind, to itself with the same fields */
	if (m2m_id_parse(canon, strlen(canon), m2m_id_kind_of(id), &again) != M2M_OK)
		__builtin_trap();
	same_str(m2m_id_canonical(again), canon);
	same_str(m2m_id_relative(again), m2m_id_relative(id));
	same_str(m2m_id_fqdn(again), m2m_id_fqdn(id));
	same_str(m2m_id_cse(again), m2m_id_cse(id));
	same_str(m2m_id_stem(again), m2m_id_stem(id));
	if (m2m_id_form_of(again) != m2m_id_form_of(id) || m2m_id_number(again) != m2m_id_number(id))
		__builtin_trap();
	m2m_id_free(again);
	again = NULL;
	/* inference is stable under canonicalisation */
	if (kind == M2M_ID_ANY) {
		if (m2m_id_parse(canon, strlen(canon), M2M_ID_ANY, &again) != M2M_OK ||
		    m2m_id_kind_of(again) != m2m_id_kind_of(id))
			__builtin_trap();
		m2m_id_free(again);
	}
	check_cert_names(id);
	m2m_id_free(id);
	return 0;
}
