/* spool_vfs.c: the spool's SQLite VFS, the default (unix) one with the WAL's writes gathered.
 * SQLite writes a WAL frame as two pwrite() calls, its 24-byte header and its page, so a
 * commit of N pages is 2N system calls; on this project's machines a system call costs more
 * than copying the page (perf put the WAL's pwrites at a tenth of a webhook request's CPU).
 * Here the frames of a commit gather in one buffer, written with one pwrite() once the commit
 * frame's page is in (a frame header whose "database size" field is not 0 marks the commit:
 * the WAL format, sqlite.org/fileformat2.html#walformat), before SQLite publishes the commit
 * in the wal-index, so every reader finds the frames in the file; an error then is the
 * commit's error. Any other call on the WAL file (read, sync, size, truncate, close, a file
 * control) writes what is gathered first, so SQLite never sees the file behind its own
 * writes. Every other file (the database, its shared memory) goes straight through. */
#include "engine/spool_vfs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A commit bigger than this is written in more than one call. The unix VFS takes at most
 * 128 KiB a write (it masks the length with 0x1ffff: a longer write would be cut short and
 * reported as a full disk). */
#define GATHER_MAX (120u << 10)
/* The size of a WAL frame header. */
#define FRAME_HEADER 24

struct vfs_file {
	sqlite3_file base;         /* its methods: the WAL's or the others' */
	sqlite3_file *real;        /* the unix VFS's file, right after this struct */
	unsigned char *buf;        /* the WAL's gathered writes (GATHER_MAX), from offset at */
	size_t len;
	sqlite3_int64 at;
	int commit_next;           /* the next write is a commit frame's page */
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs gather_vfs;
static int register_rc = SQLITE_ERROR;
static pthread_once_t register_once = PTHREAD_ONCE_INIT;

static sqlite3_file *real_of(sqlite3_file *f)
{
	return ((struct vfs_file *)f)->real;
}

/* Writes what is gathered. An SQLite code. */
static int flush(struct vfs_file *f)
{
	int rc;

	if (f->len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->at);
	f->len = 0;
	return rc;
}

static int wal_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
	struct vfs_file *f = (struct vfs_file *)file;
	const unsigned char *bytes = data;
	int commit = f->commit_next, rc;

	f->commit_next = 0;
	/* Not next to what is gathered (SQLite rewrites a frame of the open transaction in
	 * place), or more than fits: what is gathered goes first, in order. */
	if (f->len > 0 &&
	    (off != f->at + (sqlite3_int64)f->len || f->len + (size_t)amt > GATHER_MAX) &&
	    (rc = flush(f)) != SQLITE_OK)
		return rc;
	if ((size_t)amt > GATHER_MAX || (f->buf == NULL && (f->buf = malloc(GATHER_MAX)) == NULL))
		return f->real->pMethods->xWrite(f->real, data, amt, off);
	if (f->len == 0)
		f->at = off;
	memcpy(f->buf + f->len, bytes, (size_t)amt);
	f->len += (size_t)amt;
	/* A frame header with a database size (bytes 4-7) is a commit's last frame. */
	if (amt == FRAME_HEADER && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0)
		f->commit_next = 1;
	return commit ? flush(f) : SQLITE_OK;
}

static int wal_close(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = flush(f), rc2 = f->real->pMethods->xClose(f->real);

	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int wal_read(sqlite3_file *file, void *data, int amt, sqlite3_int64 off)
{
	int rc = flush((struct vfs_file *)file);

	return rc != SQLITE_OK ? rc : real_of(file)->pMethods->xRead(real_of(file), data, amt, off);
}

static int wal_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	int rc = flush((struct vfs_file *)file);

	return rc != SQLITE_OK ? rc : real_of(file)->pMethods->xTruncate(real_of(file), size);
}

static int wal_sync(sqlite3_file *file, int flags)
{
	int rc = flush((struct vfs_file *)file);

	return rc != SQLITE_OK ? rc : real_of(file)->pMethods->xSync(real_of(file), flags);
}

static int wal_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	int rc = flush((struct vfs_file *)file);

	return rc != SQLITE_OK ? rc : real_of(file)->pMethods->xFileSize(real_of(file), size);
}

static int wal_file_control(sqlite3_file *file, int op, void *arg)
{
	int rc = flush((struct vfs_file *)file);

	return rc != SQLITE_OK ? rc : real_of(file)->pMethods->xFileControl(real_of(file), op, arg);
}

/* The rest go straight through, for the WAL and every other file alike. */
static int pass_close(sqlite3_file *file)
{
	return real_of(file)->pMethods->xClose(real_of(file));
}

static int pass_read(sqlite3_file *file, void *data, int amt, sqlite3_int64 off)
{
	return real_of(file)->pMethods->xRead(real_of(file), data, amt, off);
}

static int pass_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
	return real_of(file)->pMethods->xWrite(real_of(file), data, amt, off);
}

static int pass_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	return real_of(file)->pMethods->xTruncate(real_of(file), size);
}

static int pass_sync(sqlite3_file *file, int flags)
{
	return real_of(file)->pMethods->xSync(real_of(file), flags);
}

static int pass_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	return real_of(file)->pMethods->xFileSize(real_of(file), size);
}

static int pass_lock(sqlite3_file *file, int lock)
{
	return real_of(file)->pMethods->xLock(real_of(file), lock);
}

static int pass_unlock(sqlite3_file *file, int lock)
{
	return real_of(file)->pMethods->xUnlock(real_of(file), lock);
}

static int pass_check_reserved(sqlite3_file *file, int *out)
{
	return real_of(file)->pMethods->xCheckReservedLock(real_of(file), out);
}

static int pass_file_control(sqlite3_file *file, int op, void *arg)
{
	return real_of(file)->pMethods->xFileControl(real_of(file), op, arg);
}

static int pass_sector_size(sqlite3_file *file)
{
	return real_of(file)->pMethods->xSectorSize(real_of(file));
}

static int pass_device_characteristics(sqlite3_file *file)
{
	return real_of(file)->pMethods->xDeviceCharacteristics(real_of(file));
}

static int pass_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
	return real_of(file)->pMethods->xShmMap(real_of(file), region, size, extend, out);
}

static int pass_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	return real_of(file)->pMethods->xShmLock(real_of(file), offset, n, flags);
}

static void pass_shm_barrier(sqlite3_file *file)
{
	real_of(file)->pMethods->xShmBarrier(real_of(file));
}

static int pass_shm_unmap(sqlite3_file *file, int delete_flag)
{
	return real_of(file)->pMethods->xShmUnmap(real_of(file), delete_flag);
}

static int pass_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **out)
{
	return real_of(file)->pMethods->xFetch(real_of(file), off, amt, out);
}

static int pass_unfetch(sqlite3_file *file, sqlite3_int64 off, void *page)
{
	return real_of(file)->pMethods->xUnfetch(real_of(file), off, page);
}

static const sqlite3_io_methods pass_methods = {
	.iVersion = 3,
	.xClose = pass_close,
	.xRead = pass_read,
	.xWrite = pass_write,
	.xTruncate = pass_truncate,
	.xSync = pass_sync,
	.xFileSize = pass_file_size,
	.xLock = pass_lock,
	.xUnlock = pass_unlock,
	.xCheckReservedLock = pass_check_reserved,
	.xFileControl = pass_file_control,
	.xSectorSize = pass_sector_size,
	.xDeviceCharacteristics = pass_device_characteristics,
	.xShmMap = pass_shm_map,
	.xShmLock = pass_shm_lock,
	.xShmBarrier = pass_shm_barrier,
	.xShmUnmap = pass_shm_unmap,
	.xFetch = pass_fetch,
	.xUnfetch = pass_unfetch,
};

static const sqlite3_io_methods wal_methods = {
	.iVersion = 3,
	.xClose = wal_close,
	.xRead = wal_read,
	.xWrite = wal_write,
	.xTruncate = wal_truncate,
	.xSync = wal_sync,
	.xFileSize = wal_file_size,
	.xLock = pass_lock,
	.xUnlock = pass_unlock,
	.xCheckReservedLock = pass_check_reserved,
	.xFileControl = wal_file_control,
	.xSectorSize = pass_sector_size,
	.xDeviceCharacteristics = pass_device_characteristics,
	.xShmMap = pass_shm_map,
	.xShmLock = pass_shm_lock,
	.xShmBarrier = pass_shm_barrier,
	.xShmUnmap = pass_shm_unmap,
	.xFetch = pass_fetch,
	.xUnfetch = pass_unfetch,
};

static int gather_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
		       int *out_flags)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)&f[1];
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	/* A file the real VFS did not open has no methods: SQLite then calls no xClose. */
	if (f->real->pMethods != NULL)
		f->base.pMethods = (flags & SQLITE_OPEN_WAL) ? &wal_methods : &pass_methods;
	return rc;
}

static int gather_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int gather_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int gather_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *gather_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xDlOpen(real_vfs, name);
}

static void gather_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*gather_dlsym(sqlite3_vfs *vfs, void *handle, const char *sym))(void)
{
	(void)vfs;
	return real_vfs->xDlSym(real_vfs, handle, sym);
}

static void gather_dlclose(sqlite3_vfs *vfs, void *handle)
{
	(void)vfs;
	real_vfs->xDlClose(real_vfs, handle);
}

static int gather_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int gather_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int gather_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int gather_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int gather_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static void register_vfs(void)
{
	if ((real_vfs = sqlite3_vfs_find(NULL)) == NULL || real_vfs->iVersion < 2)
		return;
	gather_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct vfs_file) + real_vfs->szOsFile,
		.mxPathname = real_vfs->mxPathname,
		.zName = GG_SPOOL_VFS,
		.xOpen = gather_open,
		.xDelete = gather_delete,
		.xAccess = gather_access,
		.xFullPathname = gather_full_pathname,
		.xDlOpen = gather_dlopen,
		.xDlError = gather_dlerror,
		.xDlSym = gather_dlsym,
		.xDlClose = gather_dlclose,
		.xRandomness = gather_randomness,
		.xSleep = gather_sleep,
		.xCurrentTime = gather_current_time,
		.xGetLastError = gather_last_error,
		.xCurrentTimeInt64 = gather_current_time_int64,
	};
	register_rc = sqlite3_vfs_register(&gather_vfs, 0);
}

int gg_spool_vfs_register(void)
{
	pthread_once(&register_once, register_vfs);
	return register_rc;
}
