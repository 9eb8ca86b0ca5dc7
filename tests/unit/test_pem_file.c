/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of pki/pem_file.c: secret files are read only when 0600 or
 * stricter and not through a symlink, and a set of files is written all or nothing, with exact
 * modes, never replacing an existing file and never leaving temporaries behind.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "m2m_test.h"
#include "m2msec/mem.h"
#include "pki/pem_file.h"

static char base[64];

static int setup(void **state)
{
	snprintf(base, sizeof(base), "/tmp/m2m_pem_XXXXXX");
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

static int count_entries(void)
{
	DIR *d = opendir(base);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_read_secret_modes(void **state)
{
	char path[128], link_path[128], *buf = (char *)0x1;
	size_t len = 99;

	snprintf(path, sizeof(path), "%s/k.pem", base);
	put(path, "secret", 0600);
	assert_int_equal(m2mi_pem_file_read(path, true, &buf, &len), M2M_OK);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "secret");
	m2m_freezero(buf, len + 1);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(m2mi_pem_file_read(path, true, &buf, &len), M2M_E_KEY_PERMS);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(m2mi_pem_file_read(path, true, &buf, &len), M2M_E_KEY_PERMS);
	assert_int_equal(m2mi_pem_file_read(path, false, &buf, &len), M2M_OK); /* not a secret */
	free(buf);
	assert_int_equal(chmod(path, 0600), 0);
	snprintf(link_path, sizeof(link_path), "%s/link.pem", base);
	assert_int_equal(symlink(path, link_path), 0);
	assert_int_equal(m2mi_pem_file_read(link_path, true, &buf, &len), M2M_E_KEY_PERMS);
	assert_int_equal(m2mi_pem_file_read(base, false, &buf, &len), M2M_E_IO);
	snprintf(path, sizeof(path), "%s/none.pem", base);
	assert_int_equal(m2mi_pem_file_read(path, true, &buf, &len), M2M_E_NOT_FOUND);
	assert_int_equal(m2mi_pem_file_read(NULL, true, &buf, &len), M2M_E_INVAL);
}

static void test_read_too_large(void **state)
{
	char path[128], *buf = NULL;
	size_t len = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/big.pem", base);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, M2MI_PEM_FILE_MAX + 1), 0);
	close(fd);
	assert_int_equal(m2mi_pem_file_read(path, true, &buf, &len), M2M_E_TOO_LARGE);
	assert_null(buf);
}

static void test_write_modes(void **state)
{
	char crt[128], key[128];
	struct stat st;
	char *buf = NULL;
	size_t len = 0;

	snprintf(crt, sizeof(crt), "%s/a.crt", base);
	snprintf(key, sizeof(key), "%s/a.key", base);
	{
		const struct m2mi_pem_out f[] = {{crt, "CERT", 4, 0644}, {key, "KEY", 3, 0600}};
		mode_t old = umask(022);
		assert_int_equal(m2mi_pem_file_write(f, 2), M2M_OK);
		umask(old);
	}
	assert_int_equal(stat(crt, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(m2mi_pem_file_read(key, true, &buf, &len), M2M_OK);
	assert_string_equal(buf, "KEY");
	m2m_freezero(buf, len + 1);
	assert_int_equal(count_entries(), 2);
}

static void test_write_never_replaces(void **state)
{
	char a[128], b[128], *buf = NULL;
	size_t len = 0;
	struct stat st;

	snprintf(a, sizeof(a), "%s/x.crt", base);
	snprintf(b, sizeof(b), "%s/x.key", base);
	put(b, "OLD", 0600);
	{
		/* The second name exists: the first must not be left behind, nor any temporary. */
		const struct m2mi_pem_out f[] = {{a, "NEW", 3, 0644}, {b, "NEWKEY", 6, 0600}};
		assert_int_equal(m2mi_pem_file_write(f, 2), M2M_E_EXISTS);
	}
	assert_int_equal(stat(a, &st), -1);
	assert_int_equal(count_entries(), 1);
	assert_int_equal(m2mi_pem_file_read(b, true, &buf, &len), M2M_OK);
	assert_string_equal(buf, "OLD");
	m2m_freezero(buf, len + 1);
}

static void test_write_bad_args(void **state)
{
	char p[128];
	const struct m2mi_pem_out none[] = {{NULL, "x", 1, 0600}};
	const struct m2mi_pem_out many[5] = {{0}};

	assert_int_equal(m2mi_pem_file_write(NULL, 1), M2M_E_INVAL);
	assert_int_equal(m2mi_pem_file_write(none, 0), M2M_E_INVAL);
	assert_int_equal(m2mi_pem_file_write(none, 1), M2M_E_INVAL);
	assert_int_equal(m2mi_pem_file_write(many, 5), M2M_E_INVAL);
	snprintf(p, sizeof(p), "%s/no/such/dir.crt", base);
	{
		const struct m2mi_pem_out f[] = {{p, "x", 1, 0644}};
		assert_int_equal(m2mi_pem_file_write(f, 1), M2M_E_NOT_FOUND);
	}
	assert_int_equal(count_entries(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_secret_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_never_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_bad_args, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
