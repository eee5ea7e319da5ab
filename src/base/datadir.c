/* datadir.c: the data directory: an environment override, the installed one, or the source
 * tree's for an uninstalled build. Decided in this one place for the config's defaults and
 * the commands that need no config (validate, map). */
#include "base/datadir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The file that makes a directory a data directory: the schema every document is checked
 * against. */
#define GG_DATADIR_PROBE "/schemas/iodef-2.0.xsd"

static int has_schemas(const char *dir)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s" GG_DATADIR_PROBE, dir);

	return n > 0 && (size_t)n < sizeof(path) && access(path, R_OK) == 0;
}

const char *gg_datadir(void)
{
	const char *env = getenv("GRIDGATE_DATADIR");

	if (env != NULL && env[0] != '\0')
		return env;
	if (!has_schemas(GG_DATADIR) && has_schemas(GG_SRCDIR))
		return GG_SRCDIR;
	return GG_DATADIR;
}

const char *gg_datadir_path(const char *path, char *buf, size_t size)
{
	size_t len = strlen(GG_DATADIR);
	const char *dir;
	int n;

	if (strncmp(path, GG_DATADIR, len) != 0 || (path[len] != '/' && path[len] != '\0'))
		return path;
	dir = gg_datadir();
	if (strcmp(dir, GG_DATADIR) == 0)
		return path;
	n = snprintf(buf, size, "%s%s", dir, path + len);
	return n > 0 && (size_t)n < size ? buf : path;
}
