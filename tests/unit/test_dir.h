/* test_dir.h: a scratch directory under /tmp for the tests that write a spool (the file and its
 * -wal and -shm), made fresh for each test and removed whole, whatever the test left in it. */
#ifndef GG_TEST_DIR_H
#define GG_TEST_DIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct gg_test_dir {
	char dir[64];
	char path[128]; /* dir/spool.db */
};

/* Makes /tmp/gg-NAME-XXXXXX; 0, or -1 when it cannot. */
static inline int gg_test_dir_make(struct gg_test_dir *t, const char *name)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/gg-%s-XXXXXX", name);
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/spool.db", t->dir);
	return 0;
}

/* Removes every file in the directory, then the directory; -1 when something stays. */
static inline int gg_test_dir_remove(const struct gg_test_dir *t)
{
	struct dirent *de;
	char path[512];
	DIR *d = opendir(t->dir);
	int ret = 0;

	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", t->dir, de->d_name);
			if (unlink(path) != 0)
				ret = -1;
		}
		closedir(d);
	}
	if (rmdir(t->dir) != 0)
		ret = -1;
	return ret;
}

#endif
