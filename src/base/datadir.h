/* datadir.h: where the shipped data (schemas/, mappings/) is read from. */
#ifndef GG_DATADIR_H
#define GG_DATADIR_H

#include <stddef.h>

/* $GRIDGATE_DATADIR when set; else the installed GG_DATADIR ($(pkgdatadir)); else, for a build
 * that was never installed (GG_DATADIR has no schemas/iodef-2.0.xsd), the source tree it was
 * built from (GG_SRCDIR), so build/gridgate finds its own schemas and mappings. */
const char *gg_datadir(void);

/* PATH with a leading GG_DATADIR (the default schema_dir and mapping_dir, and the paths
 * gridgate.conf shows) replaced by gg_datadir(), in BUF; PATH itself when it does not start
 * with GG_DATADIR, when gg_datadir() is GG_DATADIR, or when the result does not fit. */
const char *gg_datadir_path(const char *path, char *buf, size_t size);

#endif
