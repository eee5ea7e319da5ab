/* in_filedrop.c: watches a directory (inotify) for IODEF 2.0, IODEF 1.0 and NDJSON files, and
 * when the input has mappings, log files whose lines the mappings turn into incidents; a file
 * moves to done/ only after its records are committed, or to failed/ with a .reason file. */
#include "in_filedrop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "input_thread.h"
#include "log.h"
#include "map_input.h"
#include "pipeline.h"
#include "record_id.h"
#include "syslog/syslog_parse.h"

struct filedrop_conf {
	char *directory;
	int64_t max_file_size;
	int64_t max_line_errors;
};

static const struct gg_option filedrop_options[] = {
	{ "directory", GG_OPT_STRING, NULL, offsetof(struct filedrop_conf, directory),
	  "watched directory (required); done/ and failed/ are created inside it" },
	{ "max_file_size", GG_OPT_SIZE, "16M", offsetof(struct filedrop_conf, max_file_size),
	  "larger files go to failed/ unread" },
	{ "max_line_errors", GG_OPT_INT, "100", offsetof(struct filedrop_conf, max_line_errors),
	  "line errors (NDJSON, log lines) listed in a .reason file before it says 'and N more'" },
	GG_OPTIONS_END,
};

/* The outcome of one file, kept until the transaction holding its records commits. */
struct file_outcome {
	char *name;
	int failed;
	char *reason; /* malloc'd text for the .reason file, NULL when done */
};

struct filedrop {
	struct gg_input *input;
	const struct filedrop_conf *conf;
	struct gg_ingest *ingest;
	int dir_fd, done_fd, failed_fd;
	int inotify_fd;
	struct gg_input_thread thread;
	struct file_outcome *batch;
	size_t batch_len;
	size_t batch_records;
	int batch_open; /* a batch has begun (it may hold no file yet) */
	struct gg_map_ctx *map_ctx; /* when the input has mappings */
};

static int filedrop_check(const void *conf_ptr, struct gg_error *err)
{
	const struct filedrop_conf *conf = conf_ptr;

	if (conf->directory == NULL)
		return gg_error_set(err, -EINVAL, "directory is required");
	if (conf->max_file_size < 1)
		return gg_error_set(err, -EINVAL, "max_file_size must be positive");
	return 0;
}

static int filedrop_skipped_name(const char *name)
{
	size_t n = strlen(name);

	/* Writers create NAME.tmp and rename it: only the final name is ours. Hidden files are
	 * editors' and rsync's partial files. */
	return name[0] == '.' || (n >= 4 && strcmp(name + n - 4, ".tmp") == 0) ||
	       (n >= 7 && strcmp(name + n - 7, ".reason") == 0);
}

/* Appends one line to a growing reason text. */
static void reason_append(char **reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason_append(char **reason, const char *fmt, ...)
{
	char *line = NULL, *joined = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	if (asprintf(&joined, "%s%s\n", *reason ? *reason : "", line) >= 0) {
		free(*reason);
		*reason = joined;
	}
	free(line);
}

static int filedrop_read(struct filedrop *fd_state, const char *name, char **out, size_t *len,
			 char **reason)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = openat(fd_state->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOENT;
	}
	if (st.st_size > fd_state->conf->max_file_size) {
		reason_append(reason, "file is %lld bytes, over max_file_size %lld",
			      (long long)st.st_size, (long long)fd_state->conf->max_file_size);
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

/* Quarantines what never became a document and notes why for the .reason file. */
static int filedrop_reject(struct filedrop *st, const char *id, const char *bytes, size_t len,
			   const struct gg_error *why, char **reason)
{
	struct gg_error err;
	int r = gg_ingest_reject(st->ingest, id, bytes, len, why, &err);

	/* Parser and schema messages carry their own line and column. */
	reason_append(reason, "%s", why->msg);
	if (r != 0)
		gg_log_warnx("%s: quarantine: %s", st->input->name, err.msg);
	return r;
}

static int filedrop_xml(struct filedrop *st, const char *name, const char *buf, size_t len,
			char **reason)
{
	struct gg_pipeline *p = st->input->pipeline;
	char id[GG_RECORD_ID_LEN];
	struct gg_error why;
	xmlDocPtr doc = NULL;
	int r;

	gg_record_id(st->input->name, name, 0, buf, len, id);
	gg_error_clear(&why);
	r = gg_xml_parse(buf, len, &p->xml_limits, &doc, &why);
	if (r != 0)
		return filedrop_reject(st, id, buf, len, &why, reason) ? r : 1;
	r = gg_ingest_document(st->ingest, doc, id, &why);
	xmlFreeDoc(doc);
	if (r == -EINVAL) {
		reason_append(reason, "%s", why.msg);
		return 1;
	}
	if (r < 0) {
		gg_log_warnx("%s: %s: %s", st->input->name, name, why.msg);
		return r;
	}
	st->batch_records++;
	return 0;
}

/* Quarantines one refused NDJSON line and lists it in the .reason text (up to a bound). */
static int filedrop_line_refused(struct filedrop *st, const char *id, const char *line, size_t n,
				 uint64_t lineno, int already_quarantined,
				 const struct gg_error *why, int64_t *errors, char **reason)
{
	struct gg_error err;

	if (!already_quarantined && gg_ingest_reject(st->ingest, id, line, n, why, &err) != 0) {
		gg_log_warnx("%s: quarantine: %s", st->input->name, err.msg);
		return -EIO;
	}
	if ((*errors)++ < st->conf->max_line_errors)
		reason_append(reason, "line %llu: %s", (unsigned long long)lineno, why->msg);
	return 0;
}

/* One line through the input's mappings: *doc is the incident to stage, or NULL when the line
 * is dropped (on purpose or by the unmatched policy). Unmatched lines under the generic policy
 * become what they would be without mappings: a JSON object through the flat JSON mapping,
 * anything else an unclassified incident carrying the line. */
static int filedrop_map_line(struct filedrop *st, struct gg_mapset *set, const char *name,
			     uint64_t lineno, const char *line, size_t n, const char *id,
			     xmlDocPtr *doc, struct gg_error *why)
{
	struct gg_pipeline *p = st->input->pipeline;
	const struct gg_syslog_msg *header;
	enum gg_map_verdict verdict;
	time_t now = time(NULL);
	int r;

	r = gg_map_line(st->map_ctx, set, st->input->name, name, lineno, line, n, now,
			&p->iodef_defaults, &verdict, doc, NULL, NULL, &header, why);
	switch (gg_mapper_outcome(st->input->mapper, st->input->name, r, verdict, why)) {
	case GG_OUTCOME_DOCUMENT:
		return 0;
	case GG_OUTCOME_IGNORED:
	case GG_OUTCOME_DROPPED:
		*doc = NULL;
		return 0;
	case GG_OUTCOME_GENERIC:
		break;
	}
	gg_error_clear(why);
	if (line[strspn(line, " \t")] == '{')
		return gg_iodef_from_json(line, n, &p->iodef_defaults, doc, why);
	if (header == NULL)
		return gg_error_set(why, -EINVAL, "not a log line the syslog parser reads");
	return gg_iodef_from_syslog(header, line, n, id, &p->iodef_defaults, now, doc, why);
}

/* The lines of an NDJSON file (flat JSON mapping) or, when the input has mappings, of any
 * file that is not XML. */
static int filedrop_lines(struct filedrop *st, const char *name, const char *buf, size_t len,
			  char **reason)
{
	struct gg_pipeline *p = st->input->pipeline;
	struct gg_mapset *set = NULL;
	const char *end = buf + len, *next;
	int64_t errors = 0;
	uint64_t lineno = 0;
	int r = 0;

	if (st->input->mapper != NULL)
		set = gg_mapper_acquire(st->input->mapper);
	for (const char *line = buf; line < end; line = next) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		char id[GG_RECORD_ID_LEN];
		struct gg_error why;
		xmlDocPtr doc = NULL;

		next = nl ? nl + 1 : end;
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (strspn(line, " \t") >= n)
			continue;
		gg_record_id(st->input->name, name, lineno, line, n, id);
		gg_error_clear(&why);
		if (set != NULL)
			r = filedrop_map_line(st, set, name, lineno, line, n, id, &doc, &why);
		else
			r = gg_iodef_from_json(line, n, &p->iodef_defaults, &doc, &why);
		if (r != 0) {
			r = filedrop_line_refused(st, id, line, n, lineno, 0, &why, &errors, reason);
			if (r != 0)
				break;
			continue;
		}
		if (doc == NULL)
			continue;
		r = gg_ingest_built(st->ingest, doc, id, &why);
		xmlFreeDoc(doc);
		if (r == -EINVAL) {
			/* gg_ingest_built has quarantined it already. */
			filedrop_line_refused(st, id, line, n, lineno, 1, &why, &errors, reason);
			r = 0;
			continue;
		}
		if (r < 0) {
			gg_log_warnx("%s: %s: %s", st->input->name, name, why.msg);
			break;
		}
		st->batch_records++;
		/* A large file is committed in slices: its records are safe to write before the
		 * file moves, since reading it again after a crash gives the same ids. */
		if (gg_ingest_staged(st->ingest) >= (size_t)p->cfg->spool.batch) {
			struct gg_error err;

			if (gg_ingest_commit(st->ingest, &err) != 0) {
				gg_log_warnx("%s: %s: spool: %s", st->input->name, name, err.msg);
				r = -EIO;
				break;
			}
		}
	}
	gg_mapset_unref(set);
	if (r < 0)
		return r;
	if (errors > st->conf->max_line_errors)
		reason_append(reason, "and %lld more line errors",
			      (long long)(errors - st->conf->max_line_errors));
	return errors > 0 ? 1 : 0;
}

static void filedrop_move(struct filedrop *st, const char *name, int to_fd, const char *to)
{
	char alt[NAME_MAX + 32];
	struct timespec ts;

	if (faccessat(to_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(alt, sizeof(alt), "%s.%lld%09ld", name, (long long)ts.tv_sec, ts.tv_nsec);
		if (renameat(st->dir_fd, name, to_fd, alt) != 0)
			gg_log_warn("%s: move %s to %s/", st->input->name, name, to);
		return;
	}
	if (renameat(st->dir_fd, name, to_fd, name) != 0)
		gg_log_warn("%s: move %s to %s/", st->input->name, name, to);
}

static void filedrop_write_reason(struct filedrop *st, const char *name, const char *reason)
{
	char path[NAME_MAX + 16];
	size_t len = strlen(reason);
	int fd;

	snprintf(path, sizeof(path), "%s.reason", name);
	fd = openat(st->failed_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, reason, len) != (ssize_t)len)
		gg_log_warn("%s: failed/%s", st->input->name, path);
	if (fd >= 0)
		close(fd);
}

static void filedrop_batch_clear(struct filedrop *st)
{
	for (size_t i = 0; i < st->batch_len; i++) {
		free(st->batch[i].name);
		free(st->batch[i].reason);
	}
	st->batch_len = 0;
	st->batch_records = 0;
}

/* Commits the open transaction, then (and only then) moves its files. On a spool error the
 * files stay where they are and are read again on the next scan: their ids make that safe. */
static int filedrop_flush(struct filedrop *st)
{
	struct gg_pipeline *p = st->input->pipeline;
	struct gg_error err;

	if (!st->batch_open)
		return 0;
	st->batch_open = 0;
	if (gg_ingest_commit(st->ingest, &err) != 0) {
		gg_log_warnx("%s: spool commit: %s; %zu files stay for the next scan",
			     st->input->name, err.msg, st->batch_len);
		gg_ingest_rollback(st->ingest);
		filedrop_batch_clear(st);
		return -EIO;
	}
	for (size_t i = 0; i < st->batch_len; i++) {
		struct file_outcome *o = &st->batch[i];

		if (o->failed) {
			filedrop_write_reason(st, o->name, o->reason ? o->reason : "refused\n");
			filedrop_move(st, o->name, st->failed_fd, "failed");
			atomic_fetch_add(&p->counters.files_failed, 1);
			gg_log_info("%s: %s -> failed/", st->input->name, o->name);
		} else {
			filedrop_move(st, o->name, st->done_fd, "done");
			atomic_fetch_add(&p->counters.files_done, 1);
			gg_log_debug("%s: %s -> done/", st->input->name, o->name);
		}
	}
	filedrop_batch_clear(st);
	return 0;
}

/* Reads one file into the open batch. Returns <0 only for spool errors (batch abandoned). */
static int filedrop_file(struct filedrop *st, const char *name)
{
	struct gg_pipeline *p = st->input->pipeline;
	char *buf = NULL, *reason = NULL;
	size_t len = 0;
	const char *c;
	struct gg_error err;
	struct file_outcome *o;
	int r;

	if (filedrop_skipped_name(name))
		return 0;
	for (size_t i = 0; i < st->batch_len; i++)
		if (strcmp(st->batch[i].name, name) == 0)
			return 0; /* a scan and an event both saw it */
	r = filedrop_read(st, name, &buf, &len, &reason);
	if (r < 0 && r != -EFBIG) {
		/* Gone already (moved after an earlier event) or not a regular file: not ours. */
		gg_log_debug("%s: %s: skipped: %s", st->input->name, name, strerror(-r));
		free(reason);
		return 0;
	}
	if (!st->batch_open) {
		/* Backpressure: a new batch starts only when the spool has room. */
		if (gg_ingest_wait_room(st->ingest) != 0 ||
		    gg_ingest_begin(st->ingest, &err) != 0) {
			if (!atomic_load(&p->stopping))
				gg_log_warnx("%s: spool: %s", st->input->name, err.msg);
			free(buf);
			free(reason);
			return atomic_load(&p->stopping) ? -ECANCELED : -EIO;
		}
		st->batch_open = 1;
	}
	if (r == -EFBIG) {
		char id[GG_RECORD_ID_LEN];
		struct gg_error why;

		gg_record_id(st->input->name, name, 0, "", 0, id);
		gg_error_set(&why, -EFBIG, "%s", reason);
		free(reason);
		reason = NULL;
		r = filedrop_reject(st, id, "", 0, &why, &reason) ? -EIO : 1;
	} else {
		c = buf;
		if (len >= 3 && memcmp(c, "\xEF\xBB\xBF", 3) == 0)
			c += 3;
		c += strspn(c, " \t\r\n");
		if (*c == '<') {
			r = filedrop_xml(st, name, buf, len, &reason);
		} else if (*c == '{' || st->input->mapper != NULL) {
			r = filedrop_lines(st, name, buf, len, &reason);
		} else {
			char id[GG_RECORD_ID_LEN];
			struct gg_error why;

			gg_record_id(st->input->name, name, 0, buf, len, id);
			gg_error_set(&why, -EINVAL, "neither XML nor NDJSON (first byte 0x%02x), and "
				     "the input has no mappings for log lines", (unsigned char)*c);
			r = filedrop_reject(st, id, buf, len, &why, &reason) ? -EIO : 1;
		}
		free(buf);
	}
	if (r < 0) {
		free(reason);
		gg_ingest_rollback(st->ingest);
		st->batch_open = 0;
		filedrop_batch_clear(st);
		return r;
	}
	o = &st->batch[st->batch_len];
	o->name = strdup(name);
	o->failed = r == 1;
	o->reason = reason;
	if (o->name == NULL) {
		free(reason);
		gg_ingest_rollback(st->ingest);
		st->batch_open = 0;
		filedrop_batch_clear(st);
		return -ENOMEM;
	}
	st->batch_len++;
	if (st->batch_len >= (size_t)p->cfg->spool.batch ||
	    st->batch_records >= (size_t)p->cfg->spool.batch)
		return filedrop_flush(st);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Picks up files present before the watch began (or after an event-queue overflow). */
static int filedrop_scan(struct filedrop *st)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int fd = dup(st->dir_fd), r = 0;
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		gg_log_warn("%s: scan %s", st->input->name, st->conf->directory);
		return -EIO;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (filedrop_skipped_name(de->d_name))
			continue;
		if (n == cap) {
			char **grown = realloc(names, (cap ? cap * 2 : 64) * sizeof(*names));

			if (grown == NULL)
				break;
			names = grown;
			cap = cap ? cap * 2 : 64;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (n > 0) /* qsort(NULL, 0, ...) is undefined */
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && r == 0; i++)
		r = filedrop_file(st, names[i]);
	if (r == 0)
		r = filedrop_flush(st);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

/* Handles one read of inotify events; returns 1 when a rescan is needed. */
static int filedrop_events(struct filedrop *st)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	int rescan = 0;
	ssize_t n;

	while ((n = read(st->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *ptr = buf; ptr < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)ptr;

			ptr += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW)
				rescan = 1;
			else if (ev->len > 0 && (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) &&
				 filedrop_file(st, ev->name) < 0)
				rescan = 1;
		}
	}
	if (filedrop_flush(st) != 0)
		rescan = 1;
	return rescan;
}

static void *filedrop_main(void *arg)
{
	struct filedrop *st = arg;
	int rescan = filedrop_scan(st) != 0;

	for (;;) {
		/* After a spool error, try again once a second rather than wait for an event. */
		int r = gg_input_thread_wait(&st->thread, st->inotify_fd, rescan ? 1000 : -1);

		if (r < 0 && r != -ECANCELED)
			gg_log_warnx("%s: poll: %s", st->input->name, strerror(-r));
		if (r < 0 || atomic_load(&st->input->pipeline->stopping))
			break;
		if (r == 1)
			rescan |= filedrop_events(st);
		if (r == 0 && rescan)
			rescan = filedrop_scan(st) != 0;
	}
	/* What was read before the stop is committed and its files moved, not read again. */
	filedrop_flush(st);
	return NULL;
}

static void filedrop_free(struct filedrop *st)
{
	if (st == NULL)
		return;
	gg_input_thread_close(&st->thread);
	filedrop_batch_clear(st);
	free(st->batch);
	gg_ingest_free(st->ingest);
	gg_map_ctx_free(st->map_ctx);
	int fds[] = { st->dir_fd, st->done_fd, st->failed_fd, st->inotify_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(st);
}

static int filedrop_subdir(struct filedrop *st, const char *sub, int *out, struct gg_error *err)
{
	if (mkdirat(st->dir_fd, sub, 0750) != 0 && errno != EEXIST)
		return gg_error_set(err, -errno, "%s/%s: %s", st->conf->directory, sub,
				    strerror(errno));
	*out = openat(st->dir_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*out < 0)
		return gg_error_set(err, -errno, "%s/%s: %s", st->conf->directory, sub,
				    strerror(errno));
	return 0;
}

static int filedrop_start(struct gg_input *in, struct gg_error *err)
{
	struct filedrop *st = calloc(1, sizeof(*st));
	int r;

	if (st == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	st->dir_fd = st->done_fd = st->failed_fd = st->inotify_fd = -1;
	if ((r = gg_input_thread_init(&st->thread, err)) != 0)
		goto fail;
	st->input = in;
	st->conf = in->conf;
	st->batch = calloc((size_t)in->pipeline->cfg->spool.batch, sizeof(*st->batch));
	if (st->batch == NULL) {
		r = gg_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (mkdir(st->conf->directory, 0750) != 0 && errno != EEXIST) {
		r = gg_error_set(err, -errno, "%s: %s", st->conf->directory, strerror(errno));
		goto fail;
	}
	st->dir_fd = open(st->conf->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dir_fd < 0) {
		r = gg_error_set(err, -errno, "%s: %s", st->conf->directory, strerror(errno));
		goto fail;
	}
	if ((r = filedrop_subdir(st, "done", &st->done_fd, err)) != 0 ||
	    (r = filedrop_subdir(st, "failed", &st->failed_fd, err)) != 0)
		goto fail;
	st->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (st->inotify_fd < 0) {
		r = gg_error_set(err, -errno, "inotify: %s", strerror(errno));
		goto fail;
	}
	/* The watch exists before the first scan, so a file arriving in between is seen twice at
	 * worst (the second time it is gone and skipped), never missed. */
	if (inotify_add_watch(st->inotify_fd, st->conf->directory,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR) < 0) {
		r = gg_error_set(err, -errno, "watch %s: %s", st->conf->directory, strerror(errno));
		goto fail;
	}
	if ((r = gg_ingest_new(in->pipeline, in->name, &st->ingest, err)) != 0)
		goto fail;
	if (in->mapper != NULL && (r = gg_mapper_ctx_new(in->mapper, &st->map_ctx, err)) != 0)
		goto fail;
	if ((r = gg_input_thread_start(&st->thread, filedrop_main, st, err)) != 0)
		goto fail;
	in->state = st;
	gg_log_info("%s: watching %s", in->name, st->conf->directory);
	return 0;
fail:
	filedrop_free(st);
	return r;
}

static void filedrop_stop(struct gg_input *in)
{
	struct filedrop *st = in->state;

	if (st == NULL)
		return;
	gg_input_thread_stop(&st->thread);
	filedrop_free(st);
	in->state = NULL;
}

const struct gg_adapter gg_in_filedrop = {
	.name = "filedrop",
	.desc = "watched directory of IODEF 2.0, IODEF 1.0, NDJSON and (with mappings) log files",
	.options = filedrop_options,
	.conf_size = sizeof(struct filedrop_conf),
	.check = filedrop_check,
	.start = filedrop_start,
	.stop = filedrop_stop,
};
