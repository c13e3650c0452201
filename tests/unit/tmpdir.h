/*
 * A temporary directory for a unit test program's files, under $TMPDIR (or
 * /tmp), and its removal with everything in it.
 */
#ifndef NPO_TEST_TMPDIR_H
#define NPO_TEST_TMPDIR_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Makes dir (of n bytes) as TMPDIR/npo-unit-NAME-XXXXXX. */
static inline void tmpdir_make(char *dir, size_t n, const char *name)
{
	const char *t = getenv("TMPDIR");

	ck_assert_uint_lt(snprintf(dir, n, "%s/npo-unit-%s-XXXXXX",
				   t && *t ? t : "/tmp", name),
			  n);
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s", dir);
}

static inline int tmpdir_remove_one(const char *path, const struct stat *st,
				    int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes dir and what is in it (nothing when dir is empty). */
static inline void tmpdir_remove(const char *dir)
{
	if (dir[0])
		nftw(dir, tmpdir_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
