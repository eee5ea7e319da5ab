/* spool.c: the durable queue between stages, SQLite in WAL mode with one connection per thread.
 * A record is stored once; each output it goes to has a delivery row of its own (state,
 * attempts, next attempt, reason), so outputs drain independently. Group commit, puts made
 * idempotent by record id, and exact counts per output and state kept by triggers. */
#include "engine/spool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "base/log.h"
#include "engine/spool_checkpoint.h"
#include "engine/spool_vfs.h"

/* Bump with every schema change and teach spool_schema() the upgrade. A file written by a newer
 * gridgate is refused: guessing at a layout we do not know could lose records. */
#define SPOOL_SCHEMA_VERSION 4
/* A zero timeout would make every lock collision between two writers a hard error. */
#define SPOOL_BUSY_TIMEOUT_MS 5000
#define SPOOL_ID_MAX ((int)sizeof(((struct gg_spool_row *)0)->id) - 1)
/* Prune deletes in chunks, each its own short write transaction, so a large sweep never holds
 * the write lock long enough to stall the inputs behind it. */
#define SPOOL_PRUNE_CHUNK 1000
/* After a checkpoint SQLite reuses the WAL without shrinking it; cap what a burst leaves. */
#define SPOOL_WAL_LIMIT_BYTES (64 * 1024 * 1024)

/* The counts table's row for the quarantine (rows 0-2 were the record states of schema 1). */
#define SPOOL_KIND_QUARANTINE 3

/* Schema 2's records, for the upgrade from schema 1 (which goes on to 3 after it). */
#define SPOOL_DDL_RECORDS_2(name)                                                           \
	"CREATE TABLE " name " ("                                                            \
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"                                            \
	" id TEXT UNIQUE NOT NULL,"                                                          \
	" source TEXT,"                                                                      \
	" payload BLOB,"                                                                     \
	" created INTEGER NOT NULL);"

/* unique_id = 1: the record came from an input that may read it twice (a file read again
 * after a crash, a request retried) and its id is checked against the others' (replays are
 * recognised by id). 0: a stream's record, read once, whose id is never checked: the check is
 * an insert at a random place of an index, which was two thirds of a syslog commit's cost. */
#define SPOOL_DDL_RECORDS(name)                                                             \
	"CREATE TABLE " name " ("                                                            \
	" seq INTEGER PRIMARY KEY AUTOINCREMENT," /* never reused: it is the outputs' cursor */ \
	" id TEXT NOT NULL,"                                                                 \
	" source TEXT,"                                                                      \
	" payload BLOB,"                                                                     \
	" created INTEGER NOT NULL,"                                                         \
	" unique_id INTEGER NOT NULL DEFAULT 1);"

/* A record leaves with its deliveries (a trigger: foreign keys are off by default). */
#define SPOOL_DDL_RECORDS_TAIL                                                              \
	"CREATE UNIQUE INDEX records_id ON records(id) WHERE unique_id = 1;"                 \
	"CREATE TRIGGER records_del AFTER DELETE ON records BEGIN"                           \
	" DELETE FROM deliveries WHERE seq = OLD.seq; END;"

/* One row per record and output; WITHOUT ROWID: the key is the row. */
#define SPOOL_DDL_DELIVERIES                                                                \
	"CREATE TABLE deliveries ("                                                          \
	" output TEXT NOT NULL,"                                                             \
	" seq INTEGER NOT NULL,"                                                             \
	" state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),"                      \
	" attempts INTEGER NOT NULL DEFAULT 0,"                                              \
	" next_at INTEGER NOT NULL DEFAULT 0,"                                               \
	" updated INTEGER NOT NULL,"                                                         \
	" reason TEXT,"                                                                      \
	" PRIMARY KEY (seq, output)) WITHOUT ROWID;"

/* Partial indexes: an output's scan touches its pending rows only, prune done rows only.
 * Counts kept by triggers inside every writing statement: exact, cost one row lookup to read
 * (count(*) would walk an index on every backpressure check), and right whatever writes the
 * file, a retry or purge done in plain SQL included. */
#define SPOOL_DDL_DELIVERY_TAIL                                                             \
	"CREATE INDEX deliveries_pending ON deliveries(output, seq) WHERE state = 0;"         \
	"CREATE INDEX deliveries_done ON deliveries(updated) WHERE state = 1;"                \
	"CREATE TABLE delivery_counts (output TEXT NOT NULL, state INTEGER NOT NULL,"        \
	" n INTEGER NOT NULL, PRIMARY KEY (output, state)) WITHOUT ROWID;"                   \
	"CREATE TRIGGER deliveries_ins AFTER INSERT ON deliveries BEGIN"                     \
	" INSERT OR IGNORE INTO delivery_counts(output, state, n)"                           \
	"  VALUES (NEW.output, NEW.state, 0);"                                               \
	" UPDATE delivery_counts SET n = n + 1 WHERE output = NEW.output"                    \
	"  AND state = NEW.state; END;"                                                      \
	"CREATE TRIGGER deliveries_upd AFTER UPDATE OF state ON deliveries"                  \
	" WHEN OLD.state <> NEW.state BEGIN"                                                 \
	" UPDATE delivery_counts SET n = n - 1 WHERE output = OLD.output"                    \
	"  AND state = OLD.state;"                                                           \
	" INSERT OR IGNORE INTO delivery_counts(output, state, n)"                           \
	"  VALUES (NEW.output, NEW.state, 0);"                                               \
	" UPDATE delivery_counts SET n = n + 1 WHERE output = NEW.output"                    \
	"  AND state = NEW.state; END;"                                                      \
	"CREATE TRIGGER deliveries_del AFTER DELETE ON deliveries BEGIN"                     \
	" UPDATE delivery_counts SET n = n - 1 WHERE output = OLD.output"                    \
	"  AND state = OLD.state; END;"

static const char spool_ddl[] =
	SPOOL_DDL_RECORDS("records")
	SPOOL_DDL_RECORDS_TAIL
	SPOOL_DDL_DELIVERIES
	SPOOL_DDL_DELIVERY_TAIL
	"CREATE TABLE quarantine ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT,"
	" source TEXT,"
	" reason TEXT,"
	" line INTEGER,"
	" col INTEGER,"
	" payload BLOB,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE counts (kind INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
	"INSERT INTO counts(kind, n) VALUES (3, 0);"
	"CREATE TRIGGER quarantine_ins AFTER INSERT ON quarantine BEGIN"
	" UPDATE counts SET n = n + 1 WHERE kind = 3; END;"
	"CREATE TRIGGER quarantine_del AFTER DELETE ON quarantine BEGIN"
	" UPDATE counts SET n = n - 1 WHERE kind = 3; END;";

/* Schema 1 kept one state per record, for the one consumer there was: the publisher. Its rows
 * become records plus a delivery for that consumer's output, in one transaction; the sequence
 * goes on from where schema 1 left it (pruned rows included), and dropping the old table takes
 * its triggers and indexes with it. */
static const char spool_upgrade_1_2[] =
	SPOOL_DDL_RECORDS_2("records_2")
	SPOOL_DDL_DELIVERIES
	"INSERT INTO records_2(seq, id, source, payload, created)"
	" SELECT seq, id, source, payload, created FROM records;"
	"INSERT INTO deliveries(output, seq, state, attempts, next_at, updated, reason)"
	" SELECT '" GG_SPOOL_OUTPUT_DEFAULT "', seq, state, attempts, 0, updated, reason"
	" FROM records;"
	"DELETE FROM sqlite_sequence WHERE name = 'records_2';"
	"INSERT INTO sqlite_sequence(name, seq)"
	" SELECT 'records_2', seq FROM sqlite_sequence WHERE name = 'records';"
	"DROP TABLE records;"
	"ALTER TABLE records_2 RENAME TO records;"
	"DELETE FROM counts WHERE kind <> 3;"
	SPOOL_DDL_DELIVERY_TAIL
	"CREATE TRIGGER records_del AFTER DELETE ON records BEGIN"
	" DELETE FROM deliveries WHERE seq = OLD.seq; END;"
	"INSERT INTO delivery_counts(output, state, n)"
	" SELECT output, state, count(*) FROM deliveries GROUP BY output, state;";

/* Schema 3 checks ids only for the records of inputs that may read one twice: the table is
 * rebuilt without its UNIQUE constraint (SQLite cannot drop one), every record so far keeps
 * its id checked, and the deliveries stay as they are. */
static const char spool_upgrade_2_3[] =
	SPOOL_DDL_RECORDS("records_3")
	"INSERT INTO records_3(seq, id, source, payload, created, unique_id)"
	" SELECT seq, id, source, payload, created, 1 FROM records;"
	"DELETE FROM sqlite_sequence WHERE name = 'records_3';"
	"INSERT INTO sqlite_sequence(name, seq)"
	" SELECT 'records_3', seq FROM sqlite_sequence WHERE name = 'records';"
	"DROP TABLE records;"
	"ALTER TABLE records_3 RENAME TO records;"
	SPOOL_DDL_RECORDS_TAIL;

/* Schema 4: what an input knows of a record beyond its bytes (meta: a JSON object, e.g. the
 * topic, item id and publish time of a grid event), for the outputs. */
static const char spool_upgrade_3_4[] = "ALTER TABLE records ADD COLUMN meta TEXT;";

/* The steps from each older schema: spool_upgrade[v] takes schema v to v + 1. A new file is
 * made as schema 3 (spool_ddl) and takes the same steps from there. */
#define SPOOL_DDL_SCHEMA 3
static const char *const spool_upgrade[] = {
	[1] = spool_upgrade_1_2,
	[2] = spool_upgrade_2_3,
	[3] = spool_upgrade_3_4,
};

enum spool_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_PUT,
	ST_DELIVER,
	ST_QUARANTINE,
	ST_FETCH,
	ST_DONE,
	ST_FAILED,
	ST_RETRY,
	ST_COUNT_ANY,
	ST_COUNTS,
	ST_QUARANTINED,
	ST_MAX_SEQ,
	ST_PRUNE,
	ST__N
};

static const char *const spool_sql[ST__N] = {
	/* IMMEDIATE takes the write lock up front: a deferred transaction that read first could
	 * meet another writer's commit and fail with SQLITE_BUSY without the busy handler. */
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_PUT] = "INSERT OR IGNORE INTO records(id, source, payload, created, unique_id, meta)"
		   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_DELIVER] = "INSERT OR IGNORE INTO deliveries(output, seq, updated)"
		       " SELECT ?1, seq, ?3 FROM records WHERE seq > ?2",
	/* A record its input quarantined already (same id, same input) is not stored again. */
	[ST_QUARANTINE] = "INSERT INTO quarantine(id, source, reason, line, col, payload, created)"
			  " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE NOT EXISTS (SELECT 1 FROM"
			  " quarantine WHERE id = ?1 AND source IS ?2)",
	/* next_at: a delivery an output asked to retry later stays out of its scans till then. */
	[ST_FETCH] = "SELECT d.seq, r.id, r.payload, d.attempts, r.source, r.created, r.meta"
		     " FROM deliveries d"
		     " JOIN records r ON r.seq = d.seq WHERE d.output = ?1 AND d.state = 0"
		     " AND d.seq > ?2 AND d.next_at <= ?4 ORDER BY d.seq LIMIT ?3",
	[ST_DONE] = "UPDATE deliveries SET state = 1, updated = ?1"
		    " WHERE output = ?3 AND seq = ?2 AND state = 0",
	/* A delivery already acknowledged stays done: a late refusal must not undo it. */
	[ST_FAILED] = "UPDATE deliveries SET state = 2, reason = ?1, attempts = attempts + 1,"
		      " updated = ?2 WHERE output = ?4 AND seq = ?3 AND state <> 1",
	[ST_RETRY] = "UPDATE deliveries SET next_at = ?1, reason = ?2, attempts = attempts + 1,"
		     " updated = ?3 WHERE output = ?5 AND seq = ?4 AND state = 0",
	/* Backpressure: the deepest output's queue, so no output's queue outgrows the bound. */
	[ST_COUNT_ANY] = "SELECT coalesce(max(n), 0) FROM delivery_counts WHERE state = ?1",
	[ST_COUNTS] = "SELECT output, state, n FROM delivery_counts ORDER BY output, state",
	[ST_QUARANTINED] = "SELECT n FROM counts WHERE kind = 3",
	[ST_MAX_SEQ] = "SELECT coalesce(max(seq), 0) FROM records",
	/* A record goes when every output is done with it, the last one max_age_s ago or more. */
	[ST_PRUNE] = "DELETE FROM records WHERE seq IN (SELECT d.seq FROM deliveries d"
		     " WHERE d.state = 1 AND d.updated <= ?1 AND NOT EXISTS (SELECT 1 FROM"
		     " deliveries e WHERE e.seq = d.seq AND (e.state <> 1 OR e.updated > ?1))"
		     " LIMIT ?2)",
};

struct gg_spool {
	sqlite3 *db;
	char *path;
	char *output;     /* the output this handle consumes as */
	char **outputs;   /* where a put delivers */
	size_t n_outputs;
	int64_t max_pending;
	int count_warned; /* is_full logged its failure already; cleared by the next success */
	struct gg_spool_checkpointer *checkpointer;
	int stream_ids; /* puts are never replays: their ids are not checked (unique_id = 0) */
	/* Puts inside a transaction get their delivery rows at commit, one statement per output
	 * for the whole batch: a statement per record and output was a third of a put's cost.
	 * The seq before the transaction's first put, or -1 when it has none yet. */
	int64_t deliver_after;
	sqlite3_stmt *st[ST__N];
};

/* SQLite calls it after each commit in WAL mode, in place of its own checkpoint. */
static int spool_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct gg_spool *sp = arg;

	if (pages < GG_SPOOL_WAL_SOFT_PAGES)
		return SQLITE_OK;
	if (pages < GG_SPOOL_WAL_RESTART_PAGES) {
		gg_spool_checkpointer_grew(sp->checkpointer, pages);
		return SQLITE_OK;
	}
	/* The tail the thread left, copied between two of this handle's transactions; past the
	 * hard bound a reader pins the WAL: RESTART also waits for the readers to leave it. */
	gg_spool_checkpointer_tail(sp->checkpointer, db, name, pages >= GG_SPOOL_WAL_HARD_PAGES
							       ? SQLITE_CHECKPOINT_RESTART
							       : SQLITE_CHECKPOINT_PASSIVE);
	return SQLITE_OK;
}

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
static int spool_schema(struct gg_spool *sp, int timeout_ms, struct gg_error *err)
{
	const struct timespec pause = { 0, 5 * 1000000L };
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

	/* Two first openers of a new file can meet here while the other still switches the
	 * file to WAL, and SQLite then answers BUSY at once instead of calling the busy handler
	 * (seen with two writer threads under load): retry, as spool_wal does. */
	for (int waited = 0; (rc = sqlite3_exec(sp->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) !=
			     SQLITE_OK; waited += 5) {
		if ((rc & 0xff) != SQLITE_BUSY || waited >= timeout_ms)
			return spool_fail(sp, err, rc, "create schema");
		nanosleep(&pause, NULL);
	}
	rc = spool_query_int(sp, "PRAGMA user_version", &version);
	if (rc != SQLITE_OK) {
		ret = spool_fail(sp, err, rc, "read schema version");
		goto fail;
	}
	if ((ret = spool_version_check(sp, version, err)) != 0)
		goto fail;
	if (version < SPOOL_SCHEMA_VERSION) {
		/* A new file gets the schema; a file of an older schema (1: one state per record,
		 * 2: every id checked) is upgraded in place, step by step, in this transaction:
		 * all or nothing. */
		int from = version;

		rc = version == 0 ? sqlite3_exec(sp->db, spool_ddl, NULL, NULL, NULL) : SQLITE_OK;
		for (int v = version == 0 ? SPOOL_DDL_SCHEMA : version;
		     v < SPOOL_SCHEMA_VERSION && rc == SQLITE_OK; v++)
			rc = sqlite3_exec(sp->db, spool_upgrade[v], NULL, NULL, NULL);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SPOOL_SCHEMA_VERSION);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(sp->db, sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			ret = spool_fail(sp, err, rc, from == 0 ? "create schema" : "upgrade schema");
			goto fail;
		}
		if (from > 0)
			gg_log_info("spool %s: upgraded from schema %d to %d", sp->path, from,
				    SPOOL_SCHEMA_VERSION);
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

/* The quarantine's index on id, which keeps a retried record's second insert from scanning
 * the table. Additive, like file_stage: created at open when missing, so spools of any
 * schema get it without a version bump, and an older gridgate that finds it ignores it. It
 * is looked for first: every handle opens through here, and a CREATE would want the write
 * lock even when the index exists. */
static int spool_quarantine_index(struct gg_spool *sp, struct gg_error *err)
{
	int n = 0, rc;

	rc = spool_query_int(sp, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
			     " AND name = 'quarantine_id'", &n);
	if (rc == SQLITE_OK && n == 0)
		rc = sqlite3_exec(sp->db, "CREATE INDEX IF NOT EXISTS quarantine_id"
				  " ON quarantine(id)", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : spool_fail(sp, err, rc, "create quarantine index");
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
	sp->checkpointer = opts->checkpointer;
	if (sp->checkpointer != NULL)
		sqlite3_wal_hook(sp->db, spool_wal_hook, sp);
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
	sp->deliver_after = -1;
	sp->path = strdup(opts->path);
	sp->output = strdup(opts->output != NULL ? opts->output : GG_SPOOL_OUTPUT_DEFAULT);
	sp->n_outputs = opts->n_outputs > 0 ? opts->n_outputs : 1;
	sp->outputs = calloc(sp->n_outputs, sizeof(*sp->outputs));
	if (sp->path == NULL || sp->output == NULL || sp->outputs == NULL) {
		ret = gg_error_set(err, -ENOMEM, "spool: out of memory");
		goto fail;
	}
	for (size_t i = 0; i < sp->n_outputs; i++) {
		sp->outputs[i] = strdup(opts->n_outputs > 0 ? opts->outputs[i]
							    : GG_SPOOL_OUTPUT_DEFAULT);
		if (sp->outputs[i] == NULL) {
			ret = gg_error_set(err, -ENOMEM, "spool: out of memory");
			goto fail;
		}
	}

	/* Multi-thread mode: every thread opens its own handle and never shares it, so the
	 * per-connection mutex FULLMUTEX would take on every call protects nothing. */
	rc = sqlite3_open_v2(sp->path, &sp->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     gg_spool_vfs_register() == SQLITE_OK ? GG_SPOOL_VFS : NULL);
	if (rc != SQLITE_OK) {
		ret = spool_fail(sp, err, rc, "open");
		goto fail;
	}
	if ((ret = spool_configure(sp, opts, err)) != 0 ||
	    (ret = spool_schema(sp, opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms
							      : SPOOL_BUSY_TIMEOUT_MS, err)) != 0 ||
	    (ret = spool_quarantine_index(sp, err)) != 0)
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

void gg_spool_set_stream_ids(struct gg_spool *sp)
{
	sp->stream_ids = 1;
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
	for (size_t i = 0; sp->outputs != NULL && i < sp->n_outputs; i++)
		free(sp->outputs[i]);
	free(sp->outputs);
	free(sp->output);
	free(sp->path);
	free(sp);
}

/* Delivery rows, for every output of this handle, of the records added after seq before.
 * An SQLite code. */
static int spool_deliver_rows(struct gg_spool *sp, int64_t before)
{
	sqlite3_stmt *st = sp->st[ST_DELIVER];
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	int rc = SQLITE_OK;

	for (size_t i = 0; i < sp->n_outputs && rc == SQLITE_OK; i++) {
		rc = sqlite3_bind_text(st, 1, sp->outputs[i], -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 2, before);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 3, now);
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
			rc = SQLITE_OK;
		sqlite3_reset(st);
	}
	sqlite3_clear_bindings(st);
	return rc;
}

static int spool_deliver_after(struct gg_spool *sp, int64_t before, struct gg_error *err)
{
	int rc = spool_deliver_rows(sp, before);

	return rc == SQLITE_OK ? 0 : spool_fail(sp, err, rc, "deliveries");
}

int gg_spool_begin(struct gg_spool *sp, struct gg_error *err)
{
	int rc = spool_run(sp, ST_BEGIN);

	sp->deliver_after = -1;
	return rc == SQLITE_OK ? 0 : spool_fail(sp, err, rc, "begin");
}

/* A failed commit is rolled back here so that "not committed" is the only outcome the caller
 * has to handle: it must not acknowledge, and gg_spool_rollback is then a harmless no-op. */
int gg_spool_commit(struct gg_spool *sp, struct gg_error *err)
{
	int rc, ret;

	if (sp->deliver_after >= 0 && (ret = spool_deliver_after(sp, sp->deliver_after, err)) != 0) {
		gg_spool_rollback(sp);
		return ret;
	}
	sp->deliver_after = -1;
	if ((rc = spool_run(sp, ST_COMMIT)) == SQLITE_OK)
		return 0;
	ret = spool_fail(sp, err, rc, "commit");
	gg_spool_rollback(sp);
	return ret;
}

void gg_spool_rollback(struct gg_spool *sp)
{
	if (sp == NULL)
		return;
	sp->deliver_after = -1;
	if (spool_in_txn(sp))
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

int gg_spool_put(struct gg_spool *sp, const char *id, const char *source, const char *payload,
		 size_t len, struct gg_error *err)
{
	return gg_spool_put_meta(sp, id, source, NULL, payload, len, err);
}

/* A delivery row for each output the record goes to, in the caller's transaction. */
int gg_spool_put_meta(struct gg_spool *sp, const char *id, const char *source, const char *meta,
		      const char *payload, size_t len, struct gg_error *err)
{
	sqlite3_stmt *st = sp->st[ST_PUT];
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	int64_t seq;
	int rc, ret, changed;

	if ((ret = spool_check_id(id, "put", err)) != 0)
		return ret;
	if (payload == NULL && len > 0)
		return gg_error_set(err, -EINVAL, "spool: put: %s: no payload", id);
	rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = spool_bind_blob(st, 3, payload, len);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, now);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 5, !sp->stream_ids);
	if (rc == SQLITE_OK)
		rc = meta != NULL ? sqlite3_bind_text(st, 6, meta, -1, SQLITE_STATIC)
				  : sqlite3_bind_null(st, 6);
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
	if (changed == 0)
		return 1;
	seq = sqlite3_last_insert_rowid(sp->db);
	if (!spool_in_txn(sp))
		return spool_deliver_after(sp, seq - 1, err);
	if (sp->deliver_after < 0)
		sp->deliver_after = seq - 1;
	return 0;
}

/* Quarantine rows are for people to inspect and release, so a record is kept once: a
 * partner retrying a refused request, or a file read again after a crash, brings the same
 * record under the same id (its bytes are in the id, or for RID its canonical form), and a
 * row per try grew the quarantine by a body each time. The first row stays; a later refusal
 * of it is in the log, and a release runs it through today's engine anyway. */
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
	ret = rc != SQLITE_DONE ? spool_fail(sp, err, rc, "quarantine")
				: sqlite3_changes(sp->db) == 0;
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
	int has_meta;

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
	row->payload = spool_column_dup(st, 2, &row->payload_len);
	row->attempts = sqlite3_column_int(st, 3);
	row->source = spool_column_dup(st, 4, NULL);
	row->created = sqlite3_column_int64(st, 5);
	/* NULL for a record its input said nothing more of. */
	has_meta = sqlite3_column_type(st, 6) != SQLITE_NULL;
	if (has_meta)
		row->meta = spool_column_dup(st, 6, NULL);
	if (row->payload == NULL || row->source == NULL || (has_meta && row->meta == NULL)) {
		free(row->payload);
		free(row->source);
		free(row->meta);
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
	rc = sqlite3_bind_text(st, 1, sp->output, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, after_seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, max);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
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
		free(rows[i].payload);
		free(rows[i].source);
		free(rows[i].meta);
		rows[i].payload = NULL;
		rows[i].source = NULL;
		rows[i].meta = NULL;
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
			rc = sqlite3_bind_text(st, 3, sp->output, -1, SQLITE_STATIC);
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
		rc = sqlite3_bind_text(st, 4, sp->output, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	ret = rc == SQLITE_DONE ? 0 : spool_fail(sp, err, rc, "mark failed");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

int gg_spool_requeue(struct gg_spool *sp, int64_t seq, struct gg_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sp->db, "UPDATE deliveries SET state = 0, next_at = 0,"
				    " reason = NULL, attempts = 0, updated = ?2 WHERE seq = ?1"
				    " AND state = 2",
				    -1, &st, NULL);
	int ret;

	/* Prepared here, not kept: only the CLI asks. */
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	ret = rc == SQLITE_DONE ? sqlite3_changes(sp->db) : spool_fail(sp, err, rc, "requeue");
	sqlite3_finalize(st);
	return ret;
}

int gg_spool_requeue_output(struct gg_spool *sp, const char *output, int64_t seq,
			    struct gg_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sp->db, "UPDATE deliveries SET state = 0, next_at = 0,"
				    " reason = NULL, attempts = 0, updated = ?3 WHERE output = ?1"
				    " AND state = 2 AND (?2 = 0 OR seq = ?2)", -1, &st, NULL);
	int ret;

	/* attempts start over: the output's max_attempts would dead-letter it again at once. */
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	ret = rc == SQLITE_DONE ? sqlite3_changes(sp->db) : spool_fail(sp, err, rc, "requeue");
	sqlite3_finalize(st);
	return ret;
}

/* A record whose only deliveries left are the purged dead letters goes with them (nothing
 * would ever prune it); the others lose their dead delivery and are pruned as usual. */
int gg_spool_purge_dead(struct gg_spool *sp, const char *output, int64_t *removed,
			struct gg_error *err)
{
	static const char *const sql[] = {
		"SELECT count(*) FROM deliveries WHERE output = ?1 AND state = 2",
		"DELETE FROM records WHERE seq IN (SELECT seq FROM deliveries WHERE output = ?1"
		" AND state = 2) AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE"
		" e.seq = records.seq AND NOT (e.output = ?1 AND e.state = 2))",
		"DELETE FROM deliveries WHERE output = ?1 AND state = 2",
	};
	sqlite3_stmt *st = NULL;
	int rc = spool_run(sp, ST_BEGIN), ret = 0;

	*removed = 0;
	if (rc != SQLITE_OK)
		return spool_fail(sp, err, rc, "purge dead: begin");
	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(sql) / sizeof(sql[0]); i++) {
		rc = sqlite3_prepare_v2(sp->db, sql[i], -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*removed = sqlite3_column_int64(st, 0);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
		if (rc != SQLITE_OK)
			ret = spool_fail(sp, err, rc, "purge dead");
		sqlite3_finalize(st);
		st = NULL;
	}
	if (rc == SQLITE_OK && (rc = spool_run(sp, ST_COMMIT)) != SQLITE_OK)
		ret = spool_fail(sp, err, rc, "purge dead: commit");
	if (rc != SQLITE_OK) {
		gg_spool_rollback(sp);
		*removed = 0;
		return ret;
	}
	return 0;
}

int gg_spool_retry_at(struct gg_spool *sp, int64_t seq, int64_t not_before, const char *reason,
		      struct gg_error *err)
{
	sqlite3_stmt *st = sp->st[ST_RETRY];
	int rc, ret;

	rc = sqlite3_bind_int64(st, 1, not_before);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 5, sp->output, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	ret = rc == SQLITE_DONE ? 0 : spool_fail(sp, err, rc, "retry");
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

/* Runs a one-integer query (statement which, its ?1 bound to text1 when given); returns an
 * SQLite result code, the message staying on the handle for the caller to use. */
static int spool_count(struct gg_spool *sp, enum spool_stmt which, const char *text1, int state,
		       int64_t *out)
{
	sqlite3_stmt *st = sp->st[which];
	int rc = SQLITE_OK, col = 1;

	/* The counts include this handle's own puts of its open transaction. */
	if (sp->deliver_after >= 0) {
		if ((rc = spool_deliver_rows(sp, sp->deliver_after)) != SQLITE_OK)
			return rc;
		sp->deliver_after = -1;
	}
	if (text1 != NULL)
		rc = sqlite3_bind_text(st, col++, text1, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(st) >= col)
		rc = sqlite3_bind_int(st, col, state);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		*out = 0; /* an output's counts row appears with its first delivery */
		rc = SQLITE_OK;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int gg_spool_pending_count(struct gg_spool *sp, int64_t *out)
{
	int rc = spool_count(sp, ST_COUNT_ANY, NULL, GG_SPOOL_PENDING, out);

	return rc == SQLITE_OK ? 0 : spool_errno(rc);
}

/* Reads the trigger-kept count, exact for everything committed plus this handle's open
 * transaction. Writers are serialised by BEGIN IMMEDIATE, so a check made after gg_spool_begin
 * cannot overshoot. A check made outside a transaction can be passed by other writers before
 * this one's put or begin: with a check before every put, the bound goes over by at most one
 * record per other writing handle. The bound is on the deepest output's queue: a stalled
 * output holds the inputs back rather than let the spool grow without end. */
int64_t gg_spool_room(struct gg_spool *sp)
{
	int64_t n = 0;
	int rc;

	if (sp->max_pending <= 0)
		return INT64_MAX;
	rc = spool_count(sp, ST_COUNT_ANY, NULL, GG_SPOOL_PENDING, &n);
	if (rc != SQLITE_OK) {
		/* No err parameter here, so this is where it is logged; once per failure run.
		 * No room holds inputs back instead of accepting what may not be kept. */
		if (!sp->count_warned)
			gg_log_warnx("spool %s: pending count: %s; holding inputs back", sp->path,
				     sqlite3_errmsg(sp->db));
		sp->count_warned = 1;
		return 0;
	}
	sp->count_warned = 0;
	return n < sp->max_pending ? sp->max_pending - n : 0;
}

int gg_spool_is_full(struct gg_spool *sp)
{
	return gg_spool_room(sp) == 0;
}

/* Per output: its counts and the creation time of its oldest pending record. */
static int spool_output_stats(struct gg_spool *sp, gg_spool_output_fn fn, void *arg,
			      struct gg_spool_stats *total, struct gg_error *err)
{
	static const char oldest_sql[] = "SELECT r.created FROM deliveries d JOIN records r"
					 " ON r.seq = d.seq WHERE d.output = ?1 AND d.state = 0"
					 " ORDER BY d.seq LIMIT 1";
	sqlite3_stmt *st = sp->st[ST_COUNTS], *oldest = NULL;
	struct gg_spool_output_stats o = { 0 };
	int rc = sqlite3_prepare_v2(sp->db, oldest_sql, -1, &oldest, NULL), ret = 0;

	for (int more = rc == SQLITE_OK; more;) {
		const char *name = NULL;

		rc = sqlite3_step(st);
		more = rc == SQLITE_ROW;
		if (more)
			name = (const char *)sqlite3_column_text(st, 0);
		/* Rows come ordered by output: one is complete when the next begins. */
		if (o.output[0] != '\0' && (!more || name == NULL || strcmp(name, o.output) != 0)) {
			if (o.pending > 0) {
				sqlite3_bind_text(oldest, 1, o.output, -1, SQLITE_STATIC);
				if (sqlite3_step(oldest) == SQLITE_ROW)
					o.oldest_pending = sqlite3_column_int64(oldest, 0);
				sqlite3_reset(oldest);
			}
			if (fn != NULL)
				fn(arg, &o);
			memset(&o, 0, sizeof(o));
		}
		if (!more || name == NULL)
			continue;
		snprintf(o.output, sizeof(o.output), "%s", name);
		switch (sqlite3_column_int(st, 1)) {
		case GG_SPOOL_PENDING:
			o.pending = sqlite3_column_int64(st, 2);
			total->pending += o.pending;
			break;
		case GG_SPOOL_DONE:
			o.done = sqlite3_column_int64(st, 2);
			total->done += o.done;
			break;
		case GG_SPOOL_FAILED:
			o.failed = sqlite3_column_int64(st, 2);
			total->failed += o.failed;
			break;
		default:
			break;
		}
	}
	if (rc != SQLITE_DONE)
		ret = spool_fail(sp, err, rc, "stats");
	sqlite3_reset(st);
	sqlite3_finalize(oldest);
	return ret;
}

int gg_spool_stats_outputs(struct gg_spool *sp, struct gg_spool_stats *out, gg_spool_output_fn fn,
			   void *arg, struct gg_error *err)
{
	int own = !spool_in_txn(sp), rc, ret;

	memset(out, 0, sizeof(*out));
	/* One read transaction: one snapshot, so the numbers agree with each other. */
	if (own && (rc = sqlite3_exec(sp->db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK)
		return spool_fail(sp, err, rc, "stats");
	ret = spool_output_stats(sp, fn, arg, out, err);
	if (ret == 0 && (rc = spool_count(sp, ST_QUARANTINED, NULL, 0, &out->quarantined)) !=
			       SQLITE_OK)
		ret = spool_fail(sp, err, rc, "stats");
	if (own)
		sqlite3_exec(sp->db, "COMMIT", NULL, NULL, NULL);
	return ret;
}

int gg_spool_stats(struct gg_spool *sp, struct gg_spool_stats *out, struct gg_error *err)
{
	return gg_spool_stats_outputs(sp, out, NULL, NULL, err);
}

int gg_spool_list_failed(struct gg_spool *sp, const char *output, int max,
			 gg_spool_failed_fn fn, void *arg, struct gg_error *err)
{
	static const char sql[] = "SELECT d.seq, r.id, r.source, d.attempts, d.updated, d.reason,"
				  " d.output FROM deliveries d JOIN records r ON r.seq = d.seq"
				  " WHERE d.state = 2 AND (?2 IS NULL OR d.output = ?2)"
				  " ORDER BY d.seq DESC LIMIT ?1";
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	/* Prepared here, not kept: only the CLI asks, once. */
	rc = sqlite3_prepare_v2(sp->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 1, max);
	if (rc == SQLITE_OK && output != NULL)
		rc = sqlite3_bind_text(st, 2, output, -1, SQLITE_STATIC);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct gg_spool_failed row = {
			.seq = sqlite3_column_int64(st, 0),
			.id = (const char *)sqlite3_column_text(st, 1),
			.source = (const char *)sqlite3_column_text(st, 2),
			.attempts = sqlite3_column_int(st, 3),
			.updated = sqlite3_column_int64(st, 4),
			.reason = (const char *)sqlite3_column_text(st, 5),
			.output = (const char *)sqlite3_column_text(st, 6),
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

/* ------------------------------------------------------------------ quarantine (the CLI's) */

/* Steps a quarantine query (columns: seq, id, source, reason, line, col, created, payload
 * size, payload) and calls fn per row. Returns how many rows, or <0. */
static int spool_quarantine_rows(struct gg_spool *sp, sqlite3_stmt *st, gg_spool_quarantined_fn fn,
				 void *arg, struct gg_error *err)
{
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct gg_spool_quarantined row = {
			.seq = sqlite3_column_int64(st, 0),
			.id = (const char *)sqlite3_column_text(st, 1),
			.source = (const char *)sqlite3_column_text(st, 2),
			.reason = (const char *)sqlite3_column_text(st, 3),
			.line = sqlite3_column_int(st, 4),
			.column = sqlite3_column_int(st, 5),
			.created = sqlite3_column_int64(st, 6),
			.payload_len = (size_t)sqlite3_column_int64(st, 7),
		};

		if (sqlite3_column_count(st) > 8) {
			/* A zero-length blob reads as NULL: the payload is "" then, not absent. */
			row.payload = (const char *)sqlite3_column_blob(st, 8);
			row.payload_len = (size_t)sqlite3_column_bytes(st, 8);
			if (row.payload == NULL)
				row.payload = "";
		}
		fn(arg, &row);
		n++;
	}
	return rc == SQLITE_DONE ? n : spool_fail(sp, err, rc, "quarantine");
}

#define SPOOL_QUARANTINE_COLUMNS "seq, id, source, reason, line, col, created, length(payload)"

int gg_spool_quarantine_list(struct gg_spool *sp, int max, gg_spool_quarantined_fn fn, void *arg,
			     struct gg_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, ret;

	/* Prepared here, not kept: only the CLI asks, once. */
	rc = sqlite3_prepare_v2(sp->db, "SELECT " SPOOL_QUARANTINE_COLUMNS " FROM quarantine"
				" ORDER BY seq DESC LIMIT ?1", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 1, max);
	ret = rc == SQLITE_OK ? spool_quarantine_rows(sp, st, fn, arg, err)
			      : spool_fail(sp, err, rc, "list quarantine");
	sqlite3_finalize(st);
	return ret;
}

int gg_spool_quarantine_get(struct gg_spool *sp, const char *key, gg_spool_quarantined_fn fn,
			    void *arg, struct gg_error *err)
{
	/* A seq is a few digits; a record id is 32 hex digits, which may all be decimal ones. */
	size_t digits = strspn(key, "0123456789");
	int by_seq = digits > 0 && digits <= 18 && key[digits] == '\0';
	sqlite3_stmt *st = NULL;
	int rc, ret;

	rc = sqlite3_prepare_v2(sp->db, by_seq ? "SELECT " SPOOL_QUARANTINE_COLUMNS ", payload"
				" FROM quarantine WHERE seq = ?1" : "SELECT " SPOOL_QUARANTINE_COLUMNS
				", payload FROM quarantine WHERE id = ?1 ORDER BY seq DESC", -1, &st,
				NULL);
	if (rc == SQLITE_OK)
		rc = by_seq ? sqlite3_bind_int64(st, 1, strtoll(key, NULL, 10))
			    : sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	ret = rc == SQLITE_OK ? spool_quarantine_rows(sp, st, fn, arg, err)
			      : spool_fail(sp, err, rc, "quarantine");
	sqlite3_finalize(st);
	return ret;
}

int gg_spool_quarantine_delete(struct gg_spool *sp, int64_t seq, struct gg_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, ret;

	rc = sqlite3_prepare_v2(sp->db, "DELETE FROM quarantine WHERE seq = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	ret = rc == SQLITE_DONE ? sqlite3_changes(sp->db) : spool_fail(sp, err, rc,
								       "quarantine delete");
	sqlite3_finalize(st);
	return ret;
}

/* One statement: an autocommit DELETE is its own transaction, and the trigger keeps the count
 * in it. The quarantine only grows by what was refused, so no chunking is needed. */
int gg_spool_quarantine_purge(struct gg_spool *sp, int64_t max_age_s, int64_t *removed,
			      struct gg_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	*removed = 0;
	if (max_age_s < 0)
		return gg_error_set(err, -EINVAL, "spool: quarantine purge: negative age");
	rc = sqlite3_prepare_v2(sp->db, max_age_s > 0 ? "DELETE FROM quarantine WHERE created < ?1"
				: "DELETE FROM quarantine", -1, &st, NULL);
	if (rc == SQLITE_OK && max_age_s > 0)
		rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL) - max_age_s);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		*removed = sqlite3_changes64(sp->db);
	else
		ret = spool_fail(sp, err, rc, "quarantine purge");
	sqlite3_finalize(st);
	return ret;
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
	" topic TEXT," /* unused since schema 2; kept so the table's shape never changes */
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
		       const struct gg_spool_stage_row *rows, size_t n, struct gg_error *err)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	int rc, ret = 0;

	if (n == 0)
		return 0;
	rc = sqlite3_prepare_v2(sp->db, "INSERT INTO file_stage(source, file, id, payload, created)"
				" VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL);
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
			rc = spool_bind_blob(st, 4, rows[i].payload, rows[i].len);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 5, now);
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
	int64_t moved = 0, total = 0, before = 0;
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	int ret, rc;

	*added = *duplicates = 0;
	/* Outside a transaction the copy and the delete would be two commits, and a crash
	 * between them would leave rows that a later publish copies again. */
	if (!spool_in_txn(sp))
		return gg_error_set(err, -EINVAL, "spool %s: stage publish outside a transaction",
				    sp->path);
	/* This transaction holds the write lock: every seq above this one is the file's. */
	rc = spool_count(sp, ST_MAX_SEQ, NULL, 0, &before);
	if (rc != SQLITE_OK)
		return spool_fail(sp, err, rc, "stage publish");
	/* OR IGNORE: an id already in records is a file read again after a crash. */
	ret = spool_stage_exec(sp, "INSERT OR IGNORE INTO records(id, source, payload, created)"
			       " SELECT id, source, payload, ?3 FROM file_stage WHERE source = ?1"
			       " AND file = ?2 ORDER BY seq", source, file, now, &moved,
			       "stage publish", err);
	if (ret == 0)
		ret = spool_deliver_after(sp, before, err);
	if (ret == 0)
		ret = gg_spool_stage_drop(sp, source, file, &total, err);
	if (ret != 0)
		return ret;
	*added = moved;
	*duplicates = total - moved;
	return 0;
}
