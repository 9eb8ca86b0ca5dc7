/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the unit tests of store/credstore_file.c: the fail-closed file rules of
 * the credential store (TS-0003 clause 6.3 secure storage; docs/style.md #12). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "m2m_test.h"
#include "store/credstore_file.h"

struct fx {
	char dir[64];
	char path[128];
	char wal[136];
	char shm[136];
	char link[136];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/m2m-credfile-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/s.db", f->dir);
	snprintf(f->wal, sizeof(f->wal), "%s-wal", f->path);
	snprintf(f->shm, sizeof(f->shm), "%s-shm", f->path);
	snprintf(f->link, sizeof(f->link), "%s/l.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->path);
	unlink(f->wal);
	unlink(f->shm);
	unlink(f->link);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void touch(const char *p, mode_t m)
{
	int fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0600);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(p, m), 0);
}

static void test_create_is_0600_under_any_umask(void **state)
{
	struct fx *f = *state;
	static const mode_t masks[] = {0, 022, 0277, 0777};
	struct stat st, st2;

	for (size_t i = 0; i < M2M_ARRAY_LEN(masks); i++) {
		mode_t old = umask(masks[i]);
		m2m_err r = m2mi_credstore_file_create(f->path, &st);
		umask(old);
		assert_int_equal(r, M2M_OK);
		assert_int_equal(stat(f->path, &st2), 0);
		assert_int_equal(st2.st_mode & 07777, 0600);
		assert_int_equal(st.st_ino, st2.st_ino);
		assert_int_equal(m2mi_credstore_file_check(f->path, &st2), M2M_OK);
		assert_int_equal(m2mi_credstore_file_create(f->path, &st), M2M_E_EXISTS);
		unlink(f->path);
	}
}

static void test_check_refuses_loose_or_odd_files(void **state)
{
	struct fx *f = *state;
	static const mode_t loose[] = {0604, 0640, 0644, 0660, 0666, 0601, 0610};
	struct stat st;

	assert_int_equal(m2mi_credstore_file_check(f->path, &st), M2M_E_NOT_FOUND);
	touch(f->path, 0600);
	assert_int_equal(m2mi_credstore_file_check(f->path, &st), M2M_OK);
	for (size_t i = 0; i < M2M_ARRAY_LEN(loose); i++) {
		assert_int_equal(chmod(f->path, loose[i]), 0);
		assert_int_equal(m2mi_credstore_file_check(f->path, &st), M2M_E_KEY_PERMS);
	}
	assert_int_equal(chmod(f->path, 0400), 0); /* stricter is fine */
	assert_int_equal(m2mi_credstore_file_check(f->path, &st), M2M_OK);
	assert_int_equal(chmod(f->path, 0600), 0);
	if (geteuid() == 0) { /* another owner, even with mode 0600, is refused */
		assert_int_equal(chown(f->path, 65534, (gid_t)-1), 0);
		assert_int_equal(m2mi_credstore_file_check(f->path, &st), M2M_E_KEY_PERMS);
		assert_int_equal(chown(f->path, 0, (gid_t)-1), 0);
	}
	/* symlinks are neither followed on create nor accepted on check */
	assert_int_equal(symlink(f->path, f->link), 0);
	assert_int_equal(m2mi_credstore_file_check(f->link, &st), M2M_E_IO);
	assert_int_equal(m2mi_credstore_file_create(f->link, &st), M2M_E_EXISTS);
	/* a directory is not a store */
	assert_int_equal(m2mi_credstore_file_check(f->dir, &st), M2M_E_IO);
	assert_int_equal(m2mi_credstore_file_check(NULL, &st), M2M_E_INVAL);
}

static void test_companions_follow_the_same_rule(void **state)
{
	struct fx *f = *state;
	struct stat st;

	touch(f->path, 0600);
	touch(f->wal, 0600);
	touch(f->shm, 0644);
	assert_int_equal(m2mi_credstore_file_check(f->path, &st), M2M_E_KEY_PERMS);
	assert_int_equal(chmod(f->shm, 0600), 0);
	assert_int_equal(m2mi_credstore_file_check(f->path, &st), M2M_OK);
	assert_int_equal(chmod(f->wal, 0620), 0);
	assert_int_equal(m2mi_credstore_file_check(f->path, &st), M2M_E_KEY_PERMS);
	m2mi_credstore_file_remove(f->path);
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(access(f->wal, F_OK), -1);
	assert_int_equal(access(f->shm, F_OK), -1);
	m2mi_credstore_file_remove(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_is_0600_under_any_umask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_refuses_loose_or_odd_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_companions_follow_the_same_rule, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
