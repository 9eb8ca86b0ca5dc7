/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the common includes for cmocka unit tests (tests/unit/test_<module>.c). */
#ifndef M2M_TEST_H
#define M2M_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#define M2M_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

/* Remove a flat scratch directory and the files in it (a test's database, its -wal / -shm). */
static inline void m2m_test_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

#endif
