/* spool_checkpoint.c: a thread with its own SQLite connection that checkpoints the spool's WAL
 * when a committing handle asks (an eventfd), so that no input's commit pays for the bulk. */
#include "engine/spool_checkpoint.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/input_thread.h"
#include "base/log.h"

struct gg_spool_checkpointer {
	sqlite3 *db;
	int kick_fd;
	struct gg_input_thread thread;
	/* Held for a pass: SQLite's checkpoint lock does not wait, so a handle's copy of the
	 * tail waits here for the thread's pass to end instead of failing. */
	pthread_mutex_t pass_lock;
	atomic_ulong passes;
	atomic_int asked_at; /* WAL pages at the last ask */
};

static void checkpoint(struct gg_spool_checkpointer *c)
{
	int rc;

	pthread_mutex_lock(&c->pass_lock);
	rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	pthread_mutex_unlock(&c->pass_lock);
	/* BUSY: a handle copies a tail right now; the next kick goes on from where it got. */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		gg_log_warnx("spool: checkpoint: %s", sqlite3_errmsg(c->db));
	atomic_fetch_add(&c->passes, 1);
}

static void *checkpointer_main(void *arg)
{
	struct gg_spool_checkpointer *c = arg;
	uint64_t kicks;

	while (gg_input_thread_wait(&c->thread, c->kick_fd, -1) == 1) {
		if (read(c->kick_fd, &kicks, sizeof(kicks)) != sizeof(kicks))
			continue;
		checkpoint(c);
	}
	return NULL;
}

int gg_spool_checkpointer_start(const char *path, struct gg_spool_checkpointer **out,
				struct gg_error *err)
{
	struct gg_spool_checkpointer *c = calloc(1, sizeof(*c));
	int r, rc;

	*out = NULL;
	if (c == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	c->kick_fd = -1;
	pthread_mutex_init(&c->pass_lock, NULL);
	if ((r = gg_input_thread_init(&c->thread, err)) != 0)
		goto fail;
	if ((c->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		r = gg_error_set(err, -errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	/* A connection opens the WAL on its first read: before it, a checkpoint is a no-op
	 * ("not in WAL mode"). Its own checkpoints are the ones it runs. */
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(c->db, 10000);
		rc = sqlite3_exec(c->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		r = gg_error_set(err, -EIO, "spool %s: open for checkpoints: %s", path,
				 c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_wal_autocheckpoint(c->db, 0);
	if ((r = gg_input_thread_start(&c->thread, checkpointer_main, c, err)) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	gg_spool_checkpointer_stop(c);
	return r;
}

void gg_spool_checkpointer_grew(struct gg_spool_checkpointer *c, int pages)
{
	int asked = atomic_load(&c->asked_at);
	uint64_t one = 1;

	/* Fewer pages than at the last ask: the WAL started over since. Two handles racing
	 * here both ask: one pass more, harmless. */
	if (pages >= asked && pages < asked + GG_SPOOL_WAL_STEP_PAGES)
		return;
	atomic_store(&c->asked_at, pages);
	/* Non-blocking: a counter already set asks just the same. */
	if (write(c->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		gg_log_warn("spool: ask for a checkpoint");
}

int gg_spool_checkpointer_tail(struct gg_spool_checkpointer *c, sqlite3 *db, const char *name,
			       int mode)
{
	int rc;

	pthread_mutex_lock(&c->pass_lock);
	rc = sqlite3_wal_checkpoint_v2(db, name, mode, NULL, NULL);
	pthread_mutex_unlock(&c->pass_lock);
	return rc;
}

unsigned long gg_spool_checkpointer_passes(const struct gg_spool_checkpointer *c)
{
	return atomic_load(&c->passes);
}

void gg_spool_checkpointer_stop(struct gg_spool_checkpointer *c)
{
	if (c == NULL)
		return;
	gg_input_thread_stop(&c->thread);
	if (c->db != NULL)
		checkpoint(c);
	gg_input_thread_close(&c->thread);
	sqlite3_close(c->db);
	if (c->kick_fd >= 0)
		close(c->kick_fd);
	pthread_mutex_destroy(&c->pass_lock);
	free(c);
}
