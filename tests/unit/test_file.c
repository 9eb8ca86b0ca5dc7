/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of io/file.c (m2m_file_read): a secret file is read
 * only when it is a regular 0600-or-stricter file of the effective user reached without a
 * symlink (docs/style.md #12); a FIFO is refused without blocking; size limits, missing and
 * empty files, and a file that grows while being read.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "m2m_test.h"
#include "m2msec/file.h"
#include "m2msec/mem.h"

static char base[64];

static int setup(void **state)
{
	snprintf(base, sizeof(base), "/tmp/m2m_file_XXXXXX");
	assert_non_null(mkdtemp(base));
	return 0;
}

static int teardown(void **state)
{
	DIR *d = opendir(base);
	struct dirent *e;
	char p[512];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", base, e->d_name);
		(void)unlink(p);
	}
	if (d != NULL)
		closedir(d);
	(void)rmdir(base);
	return 0;
}

/* Write len bytes of text to base/name with exactly mode; the path goes to path. */
static void put(char *path, size_t cap, const char *name, const char *text, size_t len, mode_t mode)
{
	int fd;

	snprintf(path, cap, "%s/%s", base, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

/* Expect err and the out-parameters left NULL/0. */
static void refused(const char *path, size_t max, unsigned flags, m2m_err err)
{
	char *buf = (char *)0x1;
	size_t len = 99;

	assert_int_equal(m2m_file_read(path, max, flags, &buf, &len), err);
	assert_null(buf);
	assert_int_equal(len, 0);
}

static void test_secret_0600_read(void **state)
{
	char path[128], *buf = NULL;
	size_t len = 0;

	put(path, sizeof(path), "k", "secret\n", 7, 0600);
	assert_int_equal(m2m_file_read(path, 64, M2M_FILE_SECRET, &buf, &len), M2M_OK);
	assert_int_equal(len, 7);
	assert_string_equal(buf, "secret\n");
	m2m_freezero(buf, len + 1);
	assert_int_equal(chmod(path, 0400), 0); /* stricter is fine */
	assert_int_equal(m2m_file_read(path, 64, M2M_FILE_SECRET, &buf, &len), M2M_OK);
	m2m_freezero(buf, len + 1);
}

static void test_secret_loose_modes_refused(void **state)
{
	static const mode_t loose[] = {0644, 0640, 0604, 0620, 0602, 0610, 0601, 0700 | 0070};
	char path[128], *buf = NULL;
	size_t len = 0;

	put(path, sizeof(path), "k", "secret", 6, 0600);
	for (size_t i = 0; i < M2M_ARRAY_LEN(loose); i++) {
		assert_int_equal(chmod(path, loose[i]), 0);
		refused(path, 64, M2M_FILE_SECRET, M2M_E_KEY_PERMS);
	}
	/* the same file is fine when it holds no secret */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(m2m_file_read(path, 64, 0, &buf, &len), M2M_OK);
	assert_string_equal(buf, "secret");
	free(buf);
}

static void test_secret_other_owner_refused(void **state)
{
	char path[128], *buf = NULL;
	size_t len = 0;

	if (geteuid() != 0) {
		skip(); /* only root can give a file away */
		return;
	}
	put(path, sizeof(path), "k", "secret", 6, 0600);
	assert_int_equal(chown(path, 1, (gid_t)-1), 0);
	refused(path, 64, M2M_FILE_SECRET, M2M_E_KEY_PERMS);
	assert_int_equal(m2m_file_read(path, 64, 0, &buf, &len), M2M_OK);
	free(buf);
}

static void test_symlink(void **state)
{
	char path[128], link_path[128], *buf = NULL;
	size_t len = 0;

	put(path, sizeof(path), "k", "secret", 6, 0600);
	snprintf(link_path, sizeof(link_path), "%s/link", base);
	assert_int_equal(symlink(path, link_path), 0);
	refused(link_path, 64, M2M_FILE_SECRET, M2M_E_KEY_PERMS);
	/* a certificate or configuration may be a symlink */
	assert_int_equal(m2m_file_read(link_path, 64, 0, &buf, &len), M2M_OK);
	assert_string_equal(buf, "secret");
	free(buf);
}

static void test_not_regular_refused_without_blocking(void **state)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/fifo", base);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(20); /* a blocking open would hang here: SIGALRM ends the test as failed */
	refused(path, 64, M2M_FILE_SECRET, M2M_E_KEY_PERMS);
	refused(path, 64, 0, M2M_E_IO);
	alarm(0);
	refused(base, 64, M2M_FILE_SECRET, M2M_E_KEY_PERMS); /* a directory */
	refused(base, 64, 0, M2M_E_IO);
	refused("/dev/null", 64, M2M_FILE_SECRET, M2M_E_KEY_PERMS); /* a device */
	refused("/dev/null", 64, 0, M2M_E_IO);
}

static void test_size_limit(void **state)
{
	char path[128], *buf = NULL;
	size_t len = 0;
	int fd;

	put(path, sizeof(path), "k", "12345", 5, 0600);
	refused(path, 4, M2M_FILE_SECRET, M2M_E_TOO_LARGE);
	refused(path, 4, 0, M2M_E_TOO_LARGE);
	assert_int_equal(m2m_file_read(path, 5, M2M_FILE_SECRET, &buf, &len), M2M_OK); /* exactly max */
	assert_int_equal(len, 5);
	m2m_freezero(buf, len + 1);
	/* refused from fstat: a huge sparse file is never allocated */
	snprintf(path, sizeof(path), "%s/big", base);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)1 << 32), 0);
	close(fd);
	refused(path, 1 << 20, M2M_FILE_SECRET, M2M_E_TOO_LARGE);
}

static void test_missing_and_empty(void **state)
{
	char path[128], *buf = NULL;
	size_t len = 7;

	snprintf(path, sizeof(path), "%s/none", base);
	refused(path, 64, M2M_FILE_SECRET, M2M_E_NOT_FOUND);
	refused(path, 64, 0, M2M_E_NOT_FOUND);
	snprintf(path, sizeof(path), "%s/nodir/none", base);
	refused(path, 64, M2M_FILE_SECRET, M2M_E_NOT_FOUND);
	put(path, sizeof(path), "empty", "", 0, 0600);
	assert_int_equal(m2m_file_read(path, 0, M2M_FILE_SECRET, &buf, &len), M2M_OK);
	assert_non_null(buf);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	m2m_freezero(buf, len + 1);
}

static void test_binary_content(void **state)
{
	static const char bin[] = {'a', '\0', 'b', '\n', (char)0xff};
	char path[128], *buf = NULL;
	size_t len = 0;

	put(path, sizeof(path), "bin", bin, sizeof(bin), 0600);
	assert_int_equal(m2m_file_read(path, 64, M2M_FILE_SECRET, &buf, &len), M2M_OK);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(buf, bin, sizeof(bin));
	assert_int_equal(buf[len], '\0');
	m2m_freezero(buf, len + 1);
}

/* /proc files are regular with st_size 0 but have content: like a file grown after fstat. */
static void test_grown_while_read_refused(void **state)
{
	struct stat st;

	if (stat("/proc/self/status", &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0) {
		skip();
		return;
	}
	refused("/proc/self/status", 1 << 20, 0, M2M_E_IO);
}

static void test_invalid_arguments(void **state)
{
	char path[128], *buf = (char *)0x1;
	size_t len = 99;

	put(path, sizeof(path), "k", "x", 1, 0600);
	refused(NULL, 64, 0, M2M_E_INVAL);
	refused("", 64, 0, M2M_E_INVAL);
	refused(path, 64, 0x2, M2M_E_INVAL); /* unknown flag */
	assert_int_equal(m2m_file_read(path, 64, 0, NULL, &len), M2M_E_INVAL);
	assert_int_equal(len, 0);
	assert_int_equal(m2m_file_read(path, 64, 0, &buf, NULL), M2M_E_INVAL);
	assert_null(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_secret_0600_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_loose_modes_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_other_owner_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_regular_refused_without_blocking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grown_while_read_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_arguments, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
