/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements loading the das-trust file of the Hosting CSE (TS-0003 clause 7.3.2.6.3,
 * docs/procedures/das.md "The das-trust file"): the file and the issuer certificates it names
 * are read with m2m_file_read (a FIFO or device is refused without blocking) and handed to the
 * pure parser of core/token_trust.c. Relative certificate paths are relative to the working
 * directory, as every path of docs/config.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include "m2msec/file.h"
#include "m2msec/token.h"

/* A das-trust file and each certificate it names are small text files. */
#define TRUST_FILE_MAX (256 * 1024)
#define CERT_FILE_MAX (64 * 1024)

static m2m_err read_cert(void *ctx, const char *path, char **pem, size_t *len)
{
	(void)ctx;
	return m2m_file_read(path, CERT_FILE_MAX, 0, pem, len);
}

m2m_err m2m_token_trust_load(const char *path, m2m_token_trust **out, char *errmsg, size_t errcap)
{
	char *text = NULL;
	size_t len = 0;
	m2m_token_trust *t = NULL;
	m2m_err r;

	if (errmsg != NULL && errcap > 0)
		errmsg[0] = '\0';
	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (path == NULL || *path == '\0')
		return M2M_E_INVAL;
	if ((r = m2m_file_read(path, TRUST_FILE_MAX, 0, &text, &len)) != M2M_OK) {
		if (errmsg != NULL && errcap > 0)
			snprintf(errmsg, errcap, "%s", m2m_strerror(r));
		return r;
	}
	if ((r = m2m_token_trust_new(&t)) == M2M_OK &&
	    (r = m2m_token_trust_parse(t, text, len, read_cert, NULL, errmsg, errcap)) == M2M_OK) {
		*out = t;
		t = NULL;
	}
	m2m_token_trust_free(t);
	free(text);
	return r;
}
