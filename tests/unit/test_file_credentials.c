/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the $CREDENTIALS_DIRECTORY rule of io/file.c
 * (docs/operations.md "Units"): a secret that systemd's LoadCredential= placed there may be
 * root-owned with group bits (the ACL mask of the service user's entry), but never readable by
 * others; the rule holds only directly in that directory and only when the directory itself is
 * closed to others; elsewhere the 0600-and-ours rule stands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "m2m_test.h"
#include "m2msec/file.h"
#include "m2msec/mem.h"

static char dir[64], sub[96], file[128], deep[160];

static void put(const char *path, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("secret\n", f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static m2m_err rd(const char *path)
{
	char *t = NULL;
	size_t n = 0;
	m2m_err r = m2m_file_read(path, 1024, M2M_FILE_SECRET, &t, &n);

	m2m_freezero(t, n + 1);
	return r;
}

static void test_credentials_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/m2m-creds-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/server.key", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(deep, sizeof(deep), "%s/sub/k", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	put(file, 0440);
	put(deep, 0440);

	unsetenv("CREDENTIALS_DIRECTORY");
	assert_int_equal(rd(file), M2M_E_KEY_PERMS); /* group bits: refused outside */
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
	assert_int_equal(rd(file), M2M_OK);
	assert_int_equal(rd(deep), M2M_E_KEY_PERMS); /* only directly in it */
	put(file, 0444);
	assert_int_equal(rd(file), M2M_E_KEY_PERMS); /* others may read it: never */
	put(file, 0400);
	assert_int_equal(chmod(dir, 0705), 0);
	put(file, 0440);
	assert_int_equal(rd(file), M2M_E_KEY_PERMS); /* a directory open to others is no credentials dir */
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", "relative", 1), 0);
	assert_int_equal(rd(file), M2M_E_KEY_PERMS);
	unsetenv("CREDENTIALS_DIRECTORY");
	unlink(deep);
	rmdir(sub);
	unlink(file);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credentials_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
