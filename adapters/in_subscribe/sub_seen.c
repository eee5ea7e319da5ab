/* sub_seen.c: the subscriber's seen-id table (SQLite, WAL, one handle, its thread's). */
#include "in_subscribe/sub_seen.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct sub_seen {
	sqlite3 *db;
	sqlite3_stmt *has, *add, *list, *del;
};

static int seen_fail(struct sub_seen *s, struct gg_error *err, const char *what)
{
	return gg_error_set(err, -EIO, "seen ids: %s: %s", what, sqlite3_errmsg(s->db));
}

int sub_seen_open(const char *path, struct sub_seen **out, struct gg_error *err)
{
	struct sub_seen *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "CREATE TABLE IF NOT EXISTS seen (topic TEXT NOT NULL, item TEXT NOT NULL,"
			 " PRIMARY KEY (topic, item)) WITHOUT ROWID;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT 1 FROM seen WHERE topic = ?1 AND item = ?2", -1,
			       &s->has, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO seen(topic, item) VALUES (?1, ?2)",
			       -1, &s->add, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT item FROM seen WHERE topic = ?1", -1, &s->list,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM seen WHERE topic = ?1 AND item = ?2", -1,
			       &s->del, NULL) != SQLITE_OK) {
		r = gg_error_set(err, -EIO, "%s: %s", path,
				 s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sub_seen_close(s);
		return r;
	}
	*out = s;
	return 0;
}

void sub_seen_close(struct sub_seen *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->has);
	sqlite3_finalize(s->add);
	sqlite3_finalize(s->list);
	sqlite3_finalize(s->del);
	sqlite3_close(s->db);
	free(s);
}

int sub_seen_has(struct sub_seen *s, const char *topic, const char *id)
{
	int rc;

	sqlite3_bind_text(s->has, 1, topic, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->has, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->has);
	sqlite3_reset(s->has);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

/* Runs stmt with (a, b) bound. */
static int seen_step2(sqlite3_stmt *stmt, const char *a, const char *b)
{
	int rc;

	sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int sub_seen_add(struct sub_seen *s, char *const *topics, char *const *ids, size_t n,
		 struct gg_error *err)
{
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return seen_fail(s, err, "begin");
	for (size_t i = 0; i < n; i++) {
		if (seen_step2(s->add, topics[i], ids[i]) != 0) {
			int r = seen_fail(s, err, "insert");

			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return r;
		}
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int r = seen_fail(s, err, "commit");

		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return 0;
}

static int seen_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sub_seen_retain(struct sub_seen *s, const char *topic, const struct gg_grid_strv *keep,
		    struct gg_error *err)
{
	struct gg_grid_strv gone = { 0 };
	char **sorted = NULL;
	int rc, r = 0;

	/* An empty topic has no array: qsort is not to be given NULL, even for 0 members. */
	if (keep->n > 0) {
		if ((sorted = malloc(keep->n * sizeof(*sorted))) == NULL)
			return gg_error_set(err, -ENOMEM, "out of memory");
		memcpy(sorted, keep->v, keep->n * sizeof(*sorted));
		qsort(sorted, keep->n, sizeof(*sorted), seen_cmp);
	}
	sqlite3_bind_text(s->list, 1, topic, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s->list)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s->list, 0);

		if (id != NULL && (keep->n == 0 ||
				   bsearch(&id, sorted, keep->n, sizeof(*sorted), seen_cmp) == NULL) &&
		    gg_grid_strv_add(&gone, id) != 0) {
			r = gg_error_set(err, -ENOMEM, "out of memory");
			break;
		}
	}
	sqlite3_reset(s->list);
	free(sorted);
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = seen_fail(s, err, "list");
	if (r == 0 && gone.n > 0) {
		sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
		for (size_t i = 0; r == 0 && i < gone.n; i++)
			if (seen_step2(s->del, topic, gone.v[i]) != 0)
				r = seen_fail(s, err, "delete");
		sqlite3_exec(s->db, r == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	}
	gg_grid_strv_free(&gone);
	return r;
}
