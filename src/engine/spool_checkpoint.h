/* spool_checkpoint.h: the spool's WAL checkpoints, run on a thread of their own.
 *
 * SQLite checkpoints by default inside the commit that takes the WAL past 1000 pages: that
 * writer copies the WAL back into the database and syncs both files before its commit
 * returns, so every few MB an input's commit costs many times a normal one (measured with
 * bench/syslog: half of the spool writer's time). A daemon's spool handles instead ask this
 * thread (gg_spool_options.checkpointer) and go on; it checkpoints PASSIVE, which never blocks
 * a writer or a reader, and copies the bulk of the WAL into the database meanwhile.
 *
 * SQLite starts the WAL over only when a write transaction begins with every frame copied,
 * which a pass beside a busy writer never achieves (the writer adds frames during each pass).
 * So a committing handle that finds the WAL over GG_SPOOL_WAL_RESTART_PAGES waits for the
 * thread's pass to end and copies the tail it left itself (what was written since it began:
 * short while the thread keeps up), and its next transaction starts the WAL over. Over
 * GG_SPOOL_WAL_HARD_PAGES (a reader pinning the WAL, which PASSIVE cannot pass) it also waits
 * for the readers, so the WAL stays bounded. */
#ifndef GG_SPOOL_CHECKPOINT_H
#define GG_SPOOL_CHECKPOINT_H

#include <sqlite3.h>

#include "base/error.h"

/* WAL pages after which a commit asks for a checkpoint (SQLite's own default threshold). */
#define GG_SPOOL_WAL_SOFT_PAGES 1000
/* Over the soft bound, a pass is asked for again only after the WAL grew by this much: asked
 * at every commit, passes ran back to back (each syncing both files) for a few frames each. */
#define GG_SPOOL_WAL_STEP_PAGES 256
/* WAL pages after which a commit copies the tail the thread left, to start the WAL over. */
#define GG_SPOOL_WAL_RESTART_PAGES 4000
/* WAL pages after which that copy also waits for the readers to leave the WAL. */
#define GG_SPOOL_WAL_HARD_PAGES 16000

struct gg_spool_checkpointer;

/* Opens its own connection to the spool at path and starts the thread. */
int gg_spool_checkpointer_start(const char *path, struct gg_spool_checkpointer **out,
				struct gg_error *err);
/* A handle's commit left the WAL at pages (over GG_SPOOL_WAL_SOFT_PAGES): asks for a pass
 * when the WAL started over or grew by GG_SPOOL_WAL_STEP_PAGES since the last ask. */
void gg_spool_checkpointer_grew(struct gg_spool_checkpointer *c, int pages);
/* A handle's own checkpoint of db (mode SQLITE_CHECKPOINT_*), after the thread's pass running
 * now, if any; returns SQLite's code. */
int gg_spool_checkpointer_tail(struct gg_spool_checkpointer *c, sqlite3 *db, const char *name,
			       int mode);
/* Passes run so far (tests). */
unsigned long gg_spool_checkpointer_passes(const struct gg_spool_checkpointer *c);
/* Runs a last checkpoint, stops and joins the thread, frees. Takes NULL. */
void gg_spool_checkpointer_stop(struct gg_spool_checkpointer *c);

#endif
