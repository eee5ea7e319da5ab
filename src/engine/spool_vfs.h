/* spool_vfs.h: the SQLite VFS every spool connection opens its file with: the default one, but
 * a commit's WAL frames reach the file in one write instead of two a page (spool_vfs.c). */
#ifndef GG_SPOOL_VFS_H
#define GG_SPOOL_VFS_H

#include <sqlite3.h>

#define GG_SPOOL_VFS "gridgate"

/* Registers the VFS once for the process (not as the default); later calls return the first
 * call's SQLite code. Thread-safe. */
int gg_spool_vfs_register(void);

#endif
