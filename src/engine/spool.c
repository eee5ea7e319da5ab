/* spool.c: the durable queue between stages, SQLite in WAL mode with one connection per thread.
 * Group commit, puts made idempotent by record id, and exact state counts kept by triggers. */
#include "engine/spool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "base/log.h"

/* Bump with every schema change and teach spool_schema() the upgrade. A file written by a newer
 * gridgate is refused: guessing at a layout we do not know could lose records. */
#define SPOOL_SCHEMA_VERSION 1
/* A zero timeout would make every lock collision between two writers a hard error. */
#define SPOOL_BUSY_TIMEOUT_MS 5000
#define SPOOL_ID_MAX ((int)sizeof(((struct gg_spool_row *)0)->id) - 1)
/* Prune deletes in chunks, each its own short write transaction, so a large sweep never holds
 * the write lock long enough to stall the inputs behind it. */
#define SPOOL_PRUNE_CHUNK 1000
/* After a checkpoint SQLite reuses the WAL without shrinking it; cap what a burst leaves. */
#define SPOOL_WAL_LIMIT_BYTES (64 * 1024 * 1024)

/* Rows of the counts table: the three record states, then the quarantine. */
#define SPOOL_KIND_QUARANTINE 3

static const char spool_ddl[] =
	"CREATE TABLE records ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT," /* never reused: it is the publisher's cursor */
	" id TEXT UNIQUE NOT NULL,"
	" topic TEXT,"
	" source TEXT,"
	" payload BLOB,"
	" state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" reason TEXT);"
	/* Partial indexes: the publisher's scan touches pending rows only, prune done rows only. */
	"CREATE INDEX records_pending ON records(seq) WHERE state = 0;"
	"CREATE INDEX records_done ON records(updated) WHERE state = 1;"
	"CREATE TABLE quarantine ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT,"
	" source TEXT,"
	" reason TEXT,"
	" line INTEGER,"
	" col INTEGER,"
	" payload BLOB,"
	" created INTEGER NOT NULL);"
	/* Counts kept by triggers inside every writing statement: exact, cost one row lookup to
	 * read (count(*) would walk an index on every backpressure check), and right whatever
	 * writes the file, a retry or purge done in plain SQL included. Kind 3 is the quarantine. */
	"CREATE TABLE counts (kind INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
	"INSERT INTO counts(kind, n) VALUES (0, 0), (1, 0), (2, 0), (3, 0);"
	"CREATE TRIGGER records_ins AFTER INSERT ON records BEGIN"
	" UPDATE counts SET n = n + 1 WHERE kind = NEW.state; END;"
	"CREATE TRIGGER records_upd AFTER UPDATE OF state ON records"
	" WHEN OLD.state <> NEW.state BEGIN"
	" UPDATE counts SET n = n - 1 WHERE kind = OLD.state;"
	" UPDATE counts SET n = n + 1 WHERE kind = NEW.state; END;"
	"CREATE TRIGGER records_del AFTER DELETE ON records BEGIN"
	" UPDATE counts SET n = n - 1 WHERE kind = OLD.state; END;"
	"CREATE TRIGGER quarantine_ins AFTER INSERT ON quarantine BEGIN"
	" UPDATE counts SET n = n + 1 WHERE kind = 3; END;"
	"CREATE TRIGGER quarantine_del AFTER DELETE ON quarantine BEGIN"
	" UPDATE counts SET n = n - 1 WHERE kind = 3; END;";

enum spool_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_PUT,
	ST_QUARANTINE,
	ST_FETCH,
	ST_DONE,
	ST_FAILED,
	ST_COUNT,
	ST_COUNTS,
	ST_PRUNE,
	ST__N
};

static const char *const spool_sql[ST__N] = {
	/* IMMEDIATE takes the write lock up front: a deferred transaction that read first could
	 * meet another writer's commit and fail with SQLITE_BUSY without the busy handler. */
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_PUT] = "INSERT OR IGNORE INTO records(id, topic, source, payload, state, attempts,"
		   " created, updated) VALUES (?1, ?2, ?3, ?4, 0, 0, ?5, ?5)",
	[ST_QUARANTINE] = "INSERT INTO quarantine(id, source, reason, line, col, payload, created)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_FETCH] = "SELECT seq, id, topic, payload, attempts FROM records"
		     " WHERE state = 0 AND seq > ?1 ORDER BY seq LIMIT ?2",
	[ST_DONE] = "UPDATE records SET state = 1, updated = ?1 WHERE seq = ?2 AND state = 0",
	/* A row already acknowledged stays done: a late refusal must not undo a delivery. */
	[ST_FAILED] = "UPDATE records SET state = 2, reason = ?1, attempts = attempts + 1,"
		      " updated = ?2 WHERE seq = ?3 AND state <> 1",
	[ST_COUNT] = "SELECT n FROM counts WHERE kind = ?1",
	[ST_COUNTS] = "SELECT kind, n FROM counts",
	[ST_PRUNE] = "DELETE FROM records WHERE seq IN (SELECT seq FROM records"
		     " WHERE state = 1 AND updated <= ?1 LIMIT ?2)",
};

struct gg_spool {
	sqlite3 *db;
	char *path;
	int64_t max_pending;
	int count_warned; /* is_full logged its failure already; cleared by the next success */
	sqlite3_stmt *st[ST__N];
};

static int spool_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Describes a failed SQLite call. Must run before any other call on the handle (a rollback
 * included), which would replace the message. */
static int spool_fail(struct gg_spool *sp, struct gg_error *err, int rc, const char *what)
{
	const char *msg = sp->db != NULL ? sqlite3_errmsg(sp->db) : sqlite3_errstr(rc);

	return gg_error_set(err, spool_errno(rc), "spool %s: %s: %s", sp->path, what, msg);
}

/* Runs a statement that returns no rows and leaves it ready for the next use. */
static int spool_run(struct gg_spool *sp, enum spool_stmt which)
{
	sqlite3_stmt *st = sp->st[which];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int spool_in_txn(const struct gg_spool *sp)
{
	return !sqlite3_get_autocommit(sp->db);
}

/* Reads one integer from a one-value query run directly on the handle, for open-time pragmas. */
static int spool_query_int(struct gg_spool *sp, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sp->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int spool_version_check(struct gg_spool *sp, int version, struct gg_error *err)
{
	if (version > SPOOL_SCHEMA_VERSION)
		return gg_error_set(err, -EPROTO,
				    "spool %s: schema version %d is newer than this gridgate "
				    "supports (%d); refusing to open it (was it written by a "
				    "newer release?)",
				    sp->path, version, SPOOL_SCHEMA_VERSION);
	return 0;
}

/* Creates the schema in a new file. Racing openers are serialised by BEGIN IMMEDIATE and the
 * second one finds the version already set; a file with tables but no version is not ours and
 * makes CREATE TABLE fail rather than be adopted. */
static int spool_schema(struct gg_spool *sp, struct gg_error *err)
{
	char sql[64];
	int version = 0;
	int rc, ret;

	rc = spool_query_int(sp, "PRAGMA user_version", &version);
	if (rc != SQLITE_OK)
		return spool_fail(sp, err, rc, "read schema version");
	if ((ret = spool_version_check(sp, version, err)) != 0)
		return ret;
	if (version == SPOOL_SCHEMA_VERSION)
		return 0;

	rc = sqlite3_exec(sp->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return spool_fail(sp, err, rc, "create schema");
	rc = spool_query_int(sp, "PRAGMA user_version", &version);
	if (rc != SQLITE_OK) {
		ret = spool_fail(sp, err, rc, "read schema version");
		goto fail;
	}
	if ((ret = spool_version_check(sp, version, err)) != 0)
		goto fail;
	if (version == 0) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SPOOL_SCHEMA_VERSION);
		rc = sqlite3_exec(sp->db, spool_ddl, NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(sp->db, sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			ret = spool_fail(sp, err, rc, "create schema");
			goto fail;
		}
	}
	rc = sqlite3_exec(sp->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = spool_fail(sp, err, rc, "create schema");
		goto fail;
	}
	return 0;
fail:
	sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

/* Switches the file to WAL (the mode is stored in the file, so later opens find it set) and
 * checks the answer, which stays "delete" on media that cannot share memory for the WAL index.
 * Two first openers of a new file both hold a shared lock and want an exclusive one; SQLite
 * makes one of them fail with SQLITE_BUSY at once instead of calling the busy handler, since
 * waiting could deadlock. Retrying after the statement let go of its lock resolves it. */
static int spool_wal(struct gg_spool *sp, int timeout_ms, struct gg_error *err)
{
	const struct timespec pause = { 0, 5 * 1000000L };
	sqlite3_stmt *st = NULL;
	const char *mode;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(sp->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return spool_fail(sp, err, rc, "set WAL mode");
	for (int waited = 0; (rc = sqlite3_step(st)) != SQLITE_ROW; waited += 5) {
		if ((rc & 0xff) != SQLITE_BUSY || waited >= timeout_ms) {
			ret = spool_fail(sp, err, rc, "set WAL mode");
			goto out;
		}
		sqlite3_reset(st);
		nanosleep(&pause, NULL);
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0)
		ret = gg_error_set(err, -ENOTSUP, "spool %s: cannot use WAL mode (journal mode is "
				   "%s)", sp->path, mode != NULL ? mode : "unknown");
out:
	sqlite3_finalize(st);
	return ret;
}

static int spool_configure(struct gg_spool *sp, const struct gg_spool_options *opts,
			   struct gg_error *err)
{
	int timeout_ms = opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : SPOOL_BUSY_TIMEOUT_MS;
	char sql[128];
	int rc;

	sqlite3_extended_result_codes(sp->db, 1);
	sqlite3_busy_timeout(sp->db, timeout_ms);
	if ((rc = spool_wal(sp, timeout_ms, err)) != 0)
		return rc;

	/* NORMAL in WAL mode loses nothing when the process dies, only the last commits when the
	 * machine loses power; FULL syncs the WAL at every commit to cover that too. */
	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s; PRAGMA journal_size_limit = %d",
		 opts->synchronous_full ? "FULL" : "NORMAL", SPOOL_WAL_LIMIT_BYTES);
	rc = sqlite3_exec(sp->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return spool_fail(sp, err, rc, "set pragmas");
	return 0;
}

int gg_spool_open(const struct gg_spool_options *opts, struct gg_spool **out,
		  struct gg_error *err)
{
	struct gg_spool *sp;
	int rc, ret;

	*out = NULL;
	if (opts == NULL || opts->path == NULL || opts->path[0] == '\0')
		return gg_error_set(err, -EINVAL, "spool: no path configured");
	/* NOMUTEX below relies on SQLite's own global locks; a single-thread build has none. */
	if (!sqlite3_threadsafe())
		return gg_error_set(err, -ENOTSUP, "spool: libsqlite3 was built without thread "
				    "support (SQLITE_THREADSAFE=0)");
	sp = calloc(1, sizeof(*sp));
	if (sp == NULL)
		return gg_error_set(err, -ENOMEM, "spool: out of memory");
	sp->max_pending = opts->max_pending;
	sp->path = strdup(opts->path);
	if (sp->path == NULL) {
		ret = gg_error_set(err, -ENOMEM, "spool: out of memory");
		goto fail;
	}

	/* Multi-thread mode: every thread opens its own handle and never shares it, so the
	 * per-connection mutex FULLMUTEX would take on every call protects nothing. */
	rc = sqlite3_open_v2(sp->path, &sp->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		ret = spool_fail(sp, err, rc, "open");
		goto fail;
	}
	if ((ret = spool_configure(sp, opts, err)) != 0 || (ret = spool_schema(sp, err)) != 0)
		goto fail;

	/* Prepared once, kept for the life of the handle: a put costs a bind and a step. */
	for (int i = 0; i < ST__N; i++) {
		rc = sqlite3_prepare_v3(sp->db, spool_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&sp->st[i], NULL);
		if (rc != SQLITE_OK) {
			ret = spool_fail(sp, err, rc, "prepare");
			goto fail;
		}
	}
	*out = sp;
	return 0;
fail:
	gg_spool_close(sp);
	return ret;
}

void gg_spool_close(struct gg_spool *sp)
{
	int rc;

	if (sp == NULL)
		return;
	if (sp->db != NULL && spool_in_txn(sp)) {
		/* Uncommitted puts were never acknowledged to anyone; dropping them is the rule. */
		gg_log_warnx("spool %s: closing with an open transaction, rolling it back", sp->path);
		sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
	}
	for (int i = 0; i < ST__N; i++)
		sqlite3_finalize(sp->st[i]);
	rc = sqlite3_close(sp->db);
	if (rc != SQLITE_OK)
		gg_log_warnx("spool %s: close: %s", sp->path, sqlite3_errstr(rc));
	free(sp->path);
	free(sp);
}

int gg_spool_begin(struct gg_spool *sp, struct gg_error *err)
{
	int rc = spool_run(sp, ST_BEGIN);

	return rc == SQLITE_OK ? 0 : spool_fail(sp, err, rc, "begin");
}

/* A failed commit is rolled back here so that "not committed" is the only outcome the caller
 * has to handle: it must not acknowledge, and gg_spool_rollback is then a harmless no-op. */
int gg_spool_commit(struct gg_spool *sp, struct gg_error *err)
{
	int rc = spool_run(sp, ST_COMMIT);
	int ret;

	if (rc == SQLITE_OK)
		return 0;
	ret = spool_fail(sp, err, rc, "commit");
	gg_spool_rollback(sp);
	return ret;
}

void gg_spool_rollback(struct gg_spool *sp)
{
	if (sp != NULL && spool_in_txn(sp))
		spool_run(sp, ST_ROLLBACK);
}

/* A zero-length payload is stored as an empty blob, not NULL, so it reads back as "". */
static int spool_bind_blob(sqlite3_stmt *st, int col, const char *data, size_t len)
{
	return sqlite3_bind_blob64(st, col, len > 0 ? data : "", len, SQLITE_STATIC);
}

static int spool_check_id(const char *id, const char *what, struct gg_error *err)
{
	size_t len;

	if (id == NULL)
		return gg_error_set(err, -EINVAL, "spool: %s: no record id", what);
	len = strnlen(id, (size_t)SPOOL_ID_MAX + 1);
	if (len == 0 || len > (size_t)SPOOL_ID_MAX)
		return gg_error_set(err, -EINVAL, "spool: %s: record id must be 1 to %d bytes",
				    what, SPOOL_ID_MAX);
	return 0;
}

int gg_spool_put(struct gg_spool *sp, const char *id, const char *topic, const char *source,
		 const char *payload, size_t len, struct gg_error *err)
{
	sqlite3_stmt *st = sp->st[ST_PUT];
	int rc, ret, changed;

	if ((ret = spool_check_id(id, "put", err)) != 0)
		return ret;
	if (payload == NULL && len > 0)
		return gg_error_set(err, -EINVAL, "spool: put: %s: no payload", id);
	rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, topic, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = spool_bind_blob(st, 4, payload, len);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		ret = spool_fail(sp, err, rc, "put");
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return ret;
	}
	/* OR IGNORE changes nothing for a known id: a replay after a crash, already queued. */
	changed = sqlite3_changes(sp->db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return changed == 0 ? 1 : 0;
}

/* Quarantine rows are for people to inspect, not a queue: a replay may add the same id twice,
 * which is preferable to hiding a second, different failure of that record. */
int gg_spool_quarantine(struct gg_spool *sp, const char *id, const char *source,
			const char *reason, int line, int column, const char *payload, size_t len,
			struct gg_error *err)
{
	sqlite3_stmt *st = sp->st[ST_QUARANTINE];
	int rc, ret;

	if (payload == NULL && len > 0)
		return gg_error_set(err, -EINVAL, "spool: quarantine: no payload");
	rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 4, line);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 5, column);
	if (rc == SQLITE_OK)
		rc = spool_bind_blob(st, 6, payload, len);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	ret = rc == SQLITE_DONE ? 0 : spool_fail(sp, err, rc, "quarantine");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

/* Copies a column into a new NUL-terminated buffer (also for blobs, for the caller's ease). */
static char *spool_column_dup(sqlite3_stmt *st, int col, size_t *len_out)
{
	const void *data = sqlite3_column_blob(st, col);
	size_t len = (size_t)sqlite3_column_bytes(st, col);
	char *copy;

	if (data == NULL && sqlite3_errcode(sqlite3_db_handle(st)) == SQLITE_NOMEM)
		return NULL;
	copy = malloc(len + 1);
	if (copy == NULL)
		return NULL;
	if (len > 0)
		memcpy(copy, data, len);
	copy[len] = '\0';
	if (len_out != NULL)
		*len_out = len;
	return copy;
}

static int spool_row_copy(sqlite3_stmt *st, struct gg_spool_row *row)
{
	const unsigned char *id;
	size_t id_len;

	memset(row, 0, sizeof(*row));
	row->seq = sqlite3_column_int64(st, 0);
	id = sqlite3_column_text(st, 1);
	id_len = (size_t)sqlite3_column_bytes(st, 1);
	if (id == NULL)
		return -ENOMEM; /* id is NOT NULL, so only a failed conversion gets here */
	if (id_len > sizeof(row->id) - 1)
		id_len = sizeof(row->id) - 1;
	memcpy(row->id, id, id_len);
	row->id[id_len] = '\0';
	row->topic = spool_column_dup(st, 2, NULL);
	row->payload = spool_column_dup(st, 3, &row->payload_len);
	row->attempts = sqlite3_column_int(st, 4);
	if (row->topic == NULL || row->payload == NULL) {
		free(row->topic);
		free(row->payload);
		memset(row, 0, sizeof(*row));
		return -ENOMEM;
	}
	return 0;
}

int gg_spool_fetch_pending(struct gg_spool *sp, int64_t after_seq, int max,
			   struct gg_spool_row *rows, struct gg_error *err)
{
	sqlite3_stmt *st = sp->st[ST_FETCH];
	int n = 0;
	int rc, ret;

	if (max <= 0)
		return 0;
	rc = sqlite3_bind_int64(st, 1, after_seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, max);
	if (rc != SQLITE_OK) {
		ret = spool_fail(sp, err, rc, "fetch");
		goto fail;
	}
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (spool_row_copy(st, &rows[n]) != 0) {
			ret = gg_error_set(err, -ENOMEM, "spool %s: fetch: out of memory",
					   sp->path);
			goto fail;
		}
		n++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		ret = spool_fail(sp, err, rc, "fetch");
		goto fail;
	}
	/* Reset at once: a statement left mid-scan holds its read snapshot open, which stops
	 * checkpoints from ever finishing and lets the WAL grow without bound. */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n;
fail:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	gg_spool_rows_free(rows, n);
	return ret;
}

void gg_spool_rows_free(struct gg_spool_row *rows, int n)
{
	if (rows == NULL)
		return;
	for (int i = 0; i < n; i++) {
		free(rows[i].topic);
		free(rows[i].payload);
		rows[i].topic = NULL;
		rows[i].payload = NULL;
	}
}

/* Inside the caller's transaction the updates join it; otherwise the batch gets its own, so
 * an acknowledged batch is marked all at once and costs one commit. */
int gg_spool_mark_done(struct gg_spool *sp, const int64_t *seqs, size_t n, struct gg_error *err)
{
	sqlite3_stmt *st = sp->st[ST_DONE];
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	int own = !spool_in_txn(sp);
	int rc, ret;

	if (n == 0)
		return 0;
	if (own && (rc = spool_run(sp, ST_BEGIN)) != SQLITE_OK)
		return spool_fail(sp, err, rc, "mark done: begin");
	for (size_t i = 0; i < n; i++) {
		rc = sqlite3_bind_int64(st, 1, now);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 2, seqs[i]);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			ret = spool_fail(sp, err, rc, "mark done");
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			goto fail;
		}
		sqlite3_reset(st);
	}
	sqlite3_clear_bindings(st);
	if (own && (rc = spool_run(sp, ST_COMMIT)) != SQLITE_OK) {
		ret = spool_fail(sp, err, rc, "mark done: commit");
		goto fail;
	}
	return 0;
fail:
	if (own)
		gg_spool_rollback(sp);
	return ret;
}

int gg_spool_mark_failed(struct gg_spool *sp, int64_t seq, const char *reason,
			 struct gg_error *err)
{
	sqlite3_stmt *st = sp->st[ST_FAILED];
	int rc, ret;

	rc = sqlite3_bind_text(st, 1, reason, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	ret = rc == SQLITE_DONE ? 0 : spool_fail(sp, err, rc, "mark failed");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

int gg_spool_synchronous(struct gg_spool *sp)
{
	int level = -1;
	int rc = spool_query_int(sp, "PRAGMA synchronous", &level);

	return rc == SQLITE_OK ? level : spool_errno(rc);
}

/* Returns an SQLite result code; the message stays on the handle for the caller to use. */
static int spool_count(struct gg_spool *sp, int kind, int64_t *out)
{
	sqlite3_stmt *st = sp->st[ST_COUNT];
	int rc = sqlite3_bind_int(st, 1, kind);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_CORRUPT; /* the counts rows are created with the schema */
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int gg_spool_pending_count(struct gg_spool *sp, int64_t *out)
{
	int rc = spool_count(sp, GG_SPOOL_PENDING, out);

	return rc == SQLITE_OK ? 0 : spool_errno(rc);
}

/* Reads the trigger-kept count, exact for everything committed plus this handle's open
 * transaction. Writers are serialised by BEGIN IMMEDIATE, so a check made after gg_spool_begin
 * cannot overshoot. A check made outside a transaction can be passed by other writers before
 * this one's put or begin: with a check before every put, the bound goes over by at most one
 * record per other writing handle. */
int gg_spool_is_full(struct gg_spool *sp)
{
	int64_t n = 0;
	int rc;

	if (sp->max_pending <= 0)
		return 0;
	rc = spool_count(sp, GG_SPOOL_PENDING, &n);
	if (rc != SQLITE_OK) {
		/* No err parameter here, so this is where it is logged; once per failure run.
		 * Claiming full holds inputs back instead of accepting what may not be kept. */
		if (!sp->count_warned)
			gg_log_warnx("spool %s: pending count: %s; holding inputs back", sp->path,
				     sqlite3_errmsg(sp->db));
		sp->count_warned = 1;
		return 1;
	}
	sp->count_warned = 0;
	return n >= sp->max_pending;
}

int gg_spool_stats(struct gg_spool *sp, struct gg_spool_stats *out, struct gg_error *err)
{
	sqlite3_stmt *st = sp->st[ST_COUNTS];
	int rc;

	memset(out, 0, sizeof(*out));
	/* One statement reads one snapshot, so the four numbers agree with each other. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t n = sqlite3_column_int64(st, 1);

		switch (sqlite3_column_int(st, 0)) {
		case GG_SPOOL_PENDING:
			out->pending = n;
			break;
		case GG_SPOOL_DONE:
			out->done = n;
			break;
		case GG_SPOOL_FAILED:
			out->failed = n;
			break;
		case SPOOL_KIND_QUARANTINE:
			out->quarantined = n;
			break;
		default:
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		int ret = spool_fail(sp, err, rc, "stats");

		sqlite3_reset(st);
		return ret;
	}
	sqlite3_reset(st);
	return 0;
}

int gg_spool_list_failed(struct gg_spool *sp, int max, gg_spool_failed_fn fn, void *arg,
			 struct gg_error *err)
{
	static const char sql[] = "SELECT seq, id, source, attempts, updated, reason FROM records"
				  " WHERE state = 2 ORDER BY seq DESC LIMIT ?1";
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	/* Prepared here, not kept: only the CLI asks, once. */
	rc = sqlite3_prepare_v2(sp->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 1, max);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct gg_spool_failed row = {
			.seq = sqlite3_column_int64(st, 0),
			.id = (const char *)sqlite3_column_text(st, 1),
			.source = (const char *)sqlite3_column_text(st, 2),
			.attempts = sqlite3_column_int(st, 3),
			.updated = sqlite3_column_int64(st, 4),
			.reason = (const char *)sqlite3_column_text(st, 5),
		};

		fn(arg, &row);
		n++;
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE) {
		int ret = spool_fail(sp, err, rc, "list refused");

		sqlite3_finalize(st);
		return ret;
	}
	sqlite3_finalize(st);
	return n;
}

/* Age counts from when a row was marked done: a row stays as long as max_age_s after its
 * acknowledgement, so a replay of its id within that window is still recognised. */
int gg_spool_prune_done(struct gg_spool *sp, int64_t max_age_s, struct gg_error *err)
{
	sqlite3_stmt *st = sp->st[ST_PRUNE];
	sqlite3_int64 cutoff;
	int rc, ret, deleted;

	if (max_age_s < 0)
		return gg_error_set(err, -EINVAL, "spool: prune: negative age");
	cutoff = (sqlite3_int64)time(NULL) - max_age_s;
	/* Outside a transaction each chunk is one autocommit statement, which takes the write
	 * lock when it starts, so it never needs to upgrade a read lock. */
	do {
		rc = sqlite3_bind_int64(st, 1, cutoff);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int(st, 2, SPOOL_PRUNE_CHUNK);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			ret = spool_fail(sp, err, rc, "prune");
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return ret;
		}
		deleted = sqlite3_changes(sp->db);
		sqlite3_reset(st);
	} while (deleted >= SPOOL_PRUNE_CHUNK);
	sqlite3_clear_bindings(st);
	return 0;
}

/* File staging: the records of a file read in several commits wait in file_stage, which the
 * publisher never reads, and enter `records` in one transaction when the whole file is known
 * to be good (or are deleted with it). The table is additive: created here if missing rather
 * than by a schema version bump, because a file without it needs no upgrade and an older
 * gridgate that finds it can ignore it safely: its rows were never acknowledged to anyone,
 * their files are still in the drop directory and are read again. */
static const char spool_stage_ddl[] =
	"CREATE TABLE IF NOT EXISTS file_stage ("
	" seq INTEGER PRIMARY KEY," /* line order within a file */
	" source TEXT NOT NULL,"
	" file TEXT NOT NULL,"
	" id TEXT NOT NULL,"
	" topic TEXT,"
	" payload BLOB,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS file_stage_file ON file_stage(source, file, seq);";

/* Runs one prepared-on-the-spot statement binding source (?1), file (?2, when not NULL) and
 * now (?3, when the statement has it); *changes gets the rows it touched. The stage statements run once per slice
 * or file, so preparing them per call costs nothing worth a slot in the handle. */
static int spool_stage_exec(struct gg_spool *sp, const char *sql, const char *source,
			    const char *file, int64_t now, int64_t *changes, const char *what,
			    struct gg_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sp->db, sql, -1, &st, NULL);
	int ret = 0;

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && file != NULL)
		rc = sqlite3_bind_text(st, 2, file, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(st) >= 3)
		rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		ret = spool_fail(sp, err, rc, what);
	else if (changes != NULL)
		*changes = sqlite3_changes64(sp->db);
	sqlite3_finalize(st);
	return ret;
}

int gg_spool_stage_init(struct gg_spool *sp, const char *source, int64_t *removed,
			struct gg_error *err)
{
	int rc, ret;

	*removed = 0;
	rc = sqlite3_exec(sp->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(sp->db, spool_stage_ddl, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = spool_fail(sp, err, rc, "create file_stage");
		goto fail;
	}
	if ((ret = gg_spool_stage_drop(sp, source, NULL, removed, err)) != 0)
		goto fail;
	rc = sqlite3_exec(sp->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = spool_fail(sp, err, rc, "create file_stage: commit");
		goto fail;
	}
	return 0;
fail:
	gg_spool_rollback(sp);
	return ret;
}

int gg_spool_stage_put(struct gg_spool *sp, const char *source, const char *file,
		       const char *topic, const struct gg_spool_stage_row *rows, size_t n,
		       struct gg_error *err)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	int rc, ret = 0;

	if (n == 0)
		return 0;
	rc = sqlite3_prepare_v2(sp->db, "INSERT INTO file_stage(source, file, id, topic, payload,"
				" created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return spool_fail(sp, err, rc, "stage put");
	for (size_t i = 0; i < n && ret == 0; i++) {
		if ((ret = spool_check_id(rows[i].id, "stage put", err)) != 0)
			break;
		rc = sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(st, 2, file, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(st, 3, rows[i].id, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(st, 4, topic, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = spool_bind_blob(st, 5, rows[i].payload, rows[i].len);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 6, now);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		if (rc != SQLITE_DONE)
			ret = spool_fail(sp, err, rc, "stage put");
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return ret;
}

int gg_spool_stage_drop(struct gg_spool *sp, const char *source, const char *file,
			int64_t *removed, struct gg_error *err)
{
	/* Two statements, not "?2 IS NULL OR file = ?2", so the one for a file uses the index. */
	return spool_stage_exec(sp, file != NULL ? "DELETE FROM file_stage WHERE source = ?1 AND"
				" file = ?2" : "DELETE FROM file_stage WHERE source = ?1", source,
				file, 0, removed, "stage drop", err);
}

int gg_spool_stage_publish(struct gg_spool *sp, const char *source, const char *file,
			   int64_t *added, int64_t *duplicates, struct gg_error *err)
{
	int64_t moved = 0, total = 0;
	int ret;

	*added = *duplicates = 0;
	/* Outside a transaction the copy and the delete would be two commits, and a crash
	 * between them would leave rows that a later publish copies again. */
	if (!spool_in_txn(sp))
		return gg_error_set(err, -EINVAL, "spool %s: stage publish outside a transaction",
				    sp->path);
	/* OR IGNORE: an id already in records is a file read again after a crash. */
	ret = spool_stage_exec(sp, "INSERT OR IGNORE INTO records(id, topic, source, payload,"
			       " state, attempts, created, updated) SELECT id, topic, source,"
			       " payload, 0, 0, ?3, ?3 FROM file_stage WHERE source = ?1 AND"
			       " file = ?2 ORDER BY seq", source, file, (int64_t)time(NULL),
			       &moved, "stage publish", err);
	if (ret == 0)
		ret = gg_spool_stage_drop(sp, source, file, &total, err);
	if (ret != 0)
		return ret;
	*added = moved;
	*duplicates = total - moved;
	return 0;
}
