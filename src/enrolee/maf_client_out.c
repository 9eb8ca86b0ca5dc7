/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MAF client's output files (include/m2msec/mafclient.h): the Kc Key
 * Identifier (TS-0003 clause 10.3.5), Kc as hex and the TLS-PSK key Entity A presents to Entity B
 * (the first half of Kc, the key-split rule of clauses 8.3.5.1 step 10 and 8.8.1). The three files
 * are staged as temporary files with their final modes and renamed only when all were written,
 * the identifier last, so a failure or a crash never leaves a new kcid beside an old key.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enrolee/enrolee_int.h"
#include "m2msec/mafclient.h"
#include "m2msec/mem.h"

#define NFILES 3

static m2m_err key_hex(const m2m_key *k, char *hex, size_t cap, size_t *len)
{
	m2m_err r = m2m_key_export_hex(k, hex, cap - 1);

	if (r != M2M_OK)
		return r;
	*len = strlen(hex);
	hex[(*len)++] = '\n';
	return M2M_OK;
}

/* A rename over dir/name can only fail for something in the way that is no regular file (a
 * directory, say): checked for all three before the first rename, so it replaces none. */
static bool replaceable(const char *dir, const char *name)
{
	char p[4096];
	struct stat st;

	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return false;
	return lstat(p, &st) != 0 || S_ISREG(st.st_mode);
}

m2m_err m2m_maf_client_write(const m2m_maf_client *m, const char *dir)
{
	static const char *const names[NFILES] = {"kc", "target.psk", "kcid"};
	static const mode_t modes[NFILES] = {0600, 0600, 0644};
	const char *kid = m2m_maf_client_key_id(m);
	const m2m_key *kc = m2m_maf_client_kc(m);
	char kc_hex[2 * M2M_KEY_MAX + 2], psk_hex[2 * M2M_KEY_MAX + 2], line[400], tmp[NFILES][4096];
	const char *data[NFILES] = {kc_hex, psk_hex, line};
	size_t len[NFILES] = {0};
	m2m_key *psk = NULL;
	m2m_err r;
	int staged = 0;

	if (kid == NULL || kc == NULL || dir == NULL || strlen(kid) + 2 > sizeof(line))
		return M2M_E_INVAL;
	if ((r = m2mi_enr_ensure_dir(dir)) != M2M_OK)
		return r;
	memcpy(line, kid, strlen(kid));
	line[strlen(kid)] = '\n';
	len[2] = strlen(kid) + 1;
	/* (D)TLS-PSK needs one key: psk = Kc[0..15] (docs/procedures/maf.md "key-split rule"). */
	r = m2m_key_split(kc, 1, 0, &psk);
	if (r == M2M_OK)
		r = key_hex(kc, kc_hex, sizeof(kc_hex), &len[0]);
	if (r == M2M_OK)
		r = key_hex(psk, psk_hex, sizeof(psk_hex), &len[1]);
	m2m_key_free(psk);
	for (; r == M2M_OK && staged < NFILES; staged++)
		r = m2mi_enr_stage_file(dir, names[staged], data[staged], len[staged], modes[staged], tmp[staged],
					sizeof(tmp[staged]));
	m2m_memzero(kc_hex, sizeof(kc_hex));
	m2m_memzero(psk_hex, sizeof(psk_hex));
	for (int i = 0; r == M2M_OK && i < NFILES; i++)
		if (!replaceable(dir, names[i])) {
			r = M2M_E_IO;
			staged++; /* every staged file is removed below */
		}
	if (r != M2M_OK) { /* the failed one removed itself; nothing was renamed */
		for (int i = 0; i < staged - 1; i++)
			unlink(tmp[i]);
		return r;
	}
	for (int i = 0; i < NFILES; i++) {
		m2m_err c = r == M2M_OK ? m2mi_enr_commit_file(tmp[i], dir, names[i]) : M2M_E_IO;
		if (c != M2M_OK) {
			unlink(tmp[i]);
			r = c;
		}
	}
	return r;
}
