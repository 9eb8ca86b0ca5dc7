/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the fakes shared by the unit tests of the asynchronous remote-key
 * resolver (remote/remote_key.c) in its MEF and MAF configurations: a settable clock and a
 * transport that records the fetches started (path, completion, argument) instead of sending.
 */
#ifndef M2M_TEST_REMOTE_FAKE_H
#define M2M_TEST_REMOTE_FAKE_H

#include <stdio.h>

#include "remote/remote_key.h"

static int64_t now_s = 1000;
static int64_t clk(void)
{
	return now_s;
}

/* The fake transport: remembers the fetches started; fail_start refuses to start one. */
static struct {
	int n;
	char path[8][192];
	m2mi_remote_rsp_fn done[8];
	void *arg[8];
	int fail_start;
} tr;

static int fake_fetch(void *fctx, const char *path, m2mi_remote_rsp_fn done, void *arg)
{
	(void)fctx;
	if (tr.fail_start)
		return -1;
	assert_true(tr.n < 8);
	snprintf(tr.path[tr.n], sizeof(tr.path[0]), "%s", path);
	tr.done[tr.n] = done;
	tr.arg[tr.n] = arg;
	tr.n++;
	return 0;
}

#endif
