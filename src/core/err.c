/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements m2m_strerror()/m2m_errname(): the descriptions of the error table in
 * include/m2msec/err.h. Pure, no I/O.
 */
#include "m2msec/err.h"

struct err_entry {
	m2m_err code;
	const char *name;
	const char *text;
};

static const struct err_entry err_table[] = {
#define M2M_ERR_ROW(name, value, text) {(value), #name, (text)},
	M2M_ERR_TABLE(M2M_ERR_ROW)
#undef M2M_ERR_ROW
};

static const struct err_entry *err_find(m2m_err err)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == err)
			return &err_table[i];
	return NULL;
}

const char *m2m_strerror(m2m_err err)
{
	const struct err_entry *e = err_find(err);
	return e ? e->text : "unknown error";
}

const char *m2m_errname(m2m_err err)
{
	const struct err_entry *e = err_find(err);
	return e ? e->name : "M2M_E_UNKNOWN";
}
