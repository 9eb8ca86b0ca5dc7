/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the lifetime helpers of the request/response primitives (TS-0004 clause
 * 7.2.1) and the operation → accessControlOperations mapping (TS-0004 Table 6.3.4.2.29-1,
 * DISCOVERY = RETRIEVE with filterUsage discovery, TS-0003 clause 7.1.3).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m2msec/primitive.h"

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
}

void m2m_request_init(m2m_request *req)
{
	memset(req, 0, sizeof(*req));
	req->rcn = -1;
	req->fc.lim = -1;
	req->fc.lvl = -1;
	req->fc.ofst = -1;
	req->fc.sza = -1;
	req->fc.szb = -1;
}

void m2m_request_clear(m2m_request *req)
{
	if (req == NULL)
		return;
	free(req->to);
	free(req->fr);
	free(req->rqi);
	free(req->rvi);
	free(req->vsi);
	json_decref(req->pc);
	free_list(req->fc.lbl, req->fc.nlbl);
	free(req->fc.rn);
	free(req->fc.cra);
	free(req->fc.crb);
	free(req->fc.ms);
	free(req->fc.us);
	free(req->fc.exa);
	free(req->fc.exb);
	free_list(req->fc.cty, req->fc.ncty);
	free_list(req->fc.atr_n, req->fc.natr);
	free_list(req->fc.atr_v, req->fc.natr);
	free(req->fc.arp);
	free_list(req->rids, req->nrids);
	free(req->rids);
	free_list(req->tids, req->ntids);
	free(req->tids);
	free(req->tkns);
	free_list(req->ltids, req->nltids);
	free(req->ltids);
	free(req->aus);
	m2m_request_init(req);
}

void m2m_response_init(m2m_response *rsp)
{
	memset(rsp, 0, sizeof(*rsp));
}

void m2m_response_clear(m2m_response *rsp)
{
	if (rsp == NULL)
		return;
	free(rsp->rqi);
	free(rsp->rvi);
	json_decref(rsp->pc);
	free(rsp->location);
	free(rsp->location_s);
	free(rsp->ati);
	m2m_response_init(rsp);
}

void m2m_response_error(m2m_response *rsp, int rsc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	m2m_response_verror(rsp, rsc, fmt, ap);
	va_end(ap);
}

void m2m_response_verror(m2m_response *rsp, int rsc, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	rsp->rsc = rsc;
	json_decref(rsp->pc);
	rsp->pc = json_pack("{s:s}", "m2m:dbg", msg);
	free(rsp->location);
	rsp->location = NULL;
	free(rsp->location_s);
	rsp->location_s = NULL;
}

const char *m2m_op_name(m2m_op op)
{
	switch (op) {
	case M2M_OP_CREATE: return "CREATE";
	case M2M_OP_RETRIEVE: return "RETRIEVE";
	case M2M_OP_UPDATE: return "UPDATE";
	case M2M_OP_DELETE: return "DELETE";
	case M2M_OP_NOTIFY: return "NOTIFY";
	default: return "NONE";
	}
}

unsigned m2m_op_acop_bit(const m2m_request *req)
{
	switch (req->op) {
	case M2M_OP_CREATE: return 1;
	case M2M_OP_RETRIEVE: return req->fc.fu == 1 ? 32u : 2u;
	case M2M_OP_UPDATE: return 4;
	case M2M_OP_DELETE: return 8;
	case M2M_OP_NOTIFY: return 16;
	default: return 0;
	}
}
