/* in_filedrop.c: watches a directory (inotify) for IODEF 2.0, IODEF 1.0 and NDJSON files, and
 * when the input has mappings, log files whose lines the mappings turn into incidents. A file
 * ends in one place: done/ once all its records are committed (with NAME.report when lines were
 * refused or none became a record), or failed/ with NAME.reason and nothing of it published. */
#include "in_filedrop/in_filedrop.h"

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

#include "base/input_thread.h"
#include "base/log.h"
#include "engine/emit.h"
#include "engine/pipeline.h"
#include "formats/inflate.h"

struct filedrop_conf {
	char *directory;
	int64_t max_file_size;
	int64_t max_line_errors;
	int64_t max_invalid_utf8;
};

/* Refused lines a .reason or .report lists before it says "and N more". */
#define FILEDROP_LISTED_LINES 10

static const struct gg_option filedrop_options[] = {
	{ "directory", GG_OPT_STRING, NULL, offsetof(struct filedrop_conf, directory),
	  .help = "watched directory; done/ and failed/ are created inside it", .flags = GG_OPT_REQUIRED },
	{ "max_file_size", GG_OPT_SIZE, "16M", offsetof(struct filedrop_conf, max_file_size),
	  .help = "larger files go to failed/ unread; a gzip file whose text is larger, too",
	  .min = 1, .max = 1024LL * 1024 * 1024 },
	{ "max_line_errors", GG_OPT_INT, "100", offsetof(struct filedrop_conf, max_line_errors),
	  .help = "refused lines (NDJSON, log lines) a file may have and still go to done/ with a .report; "
	  "one more and it goes to failed/ with nothing of it published", .min = 0,
	  .max = 1000000000 },
	{ "max_invalid_utf8", GG_OPT_INT, "1", offsetof(struct filedrop_conf, max_invalid_utf8),
	  .help = "inputs with mappings: percent of a file's bytes that may be invalid UTF-8 before it is "
	  "refused whole as binary (a NUL byte always refuses it); 100 turns the share test off",
	  .min = 0, .max = 100 },
	GG_OPTIONS_END,
};

/* The outcome of one file, kept until the transaction holding its records commits. */
struct file_outcome {
	char *name;
	int failed;
	char *text; /* malloc'd: NAME.reason when failed, NAME.report when done; may be NULL */
};

/* What became of the lines of one file; its .report or .reason says it. */
struct line_tally {
	uint64_t read;      /* lines read, blank ones included */
	uint64_t blank;
	uint64_t spooled;   /* records handed to the spool */
	uint64_t dropped;   /* dropped or ignored on purpose by the mappings */
	uint64_t refused;   /* no record: parse or mapping error, invalid document (quarantined) */
	int stopped;        /* reading stopped once refused passed max_line_errors */
	char *lines;        /* the first FILEDROP_LISTED_LINES refusals, one per line */
};

struct filedrop {
	struct gg_input *input;
	const struct filedrop_conf *conf;
	struct gg_emitter *emitter;
	int dir_fd, done_fd, failed_fd;
	int inotify_fd;
	struct gg_input_thread thread;
	struct file_outcome *batch;
	size_t batch_len;
	size_t batch_records;
	int batch_open; /* a batch has begun (it may hold no file yet) */
};

static int filedrop_skipped_name(const char *name)
{
	size_t n = strlen(name);

	/* Writers create NAME.tmp and rename it: only the final name is ours. Hidden files are
	 * editors' and rsync's partial files. Our own .reason and .report files come back when
	 * someone moves failed/ or done/ back in to try again. */
	return name[0] == '.' || (n >= 4 && strcmp(name + n - 4, ".tmp") == 0) ||
	       (n >= 7 && strcmp(name + n - 7, ".reason") == 0) ||
	       (n >= 7 && strcmp(name + n - 7, ".report") == 0);
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

	/* A file gridgate may not read (often: written by root's umask while gridgate runs as
	 * its own user) is refused with that reason, not skipped without a word. */
	if (fd < 0 && errno == EACCES) {
		reason_append(reason, "cannot read: %s (gridgate runs as uid %u)", strerror(errno),
			      (unsigned)geteuid());
		return -EACCES;
	}
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

/* A gzip file (logrotate's compress: auth.log.2.gz) is read as the text it decodes to, held
 * to max_file_size decoded. 0: *buf is that text, or untouched when the file is no gzip; 1:
 * refused, *reason says why; -ENOMEM. */
static int filedrop_gunzip(const struct filedrop *st, char **buf, size_t *len, char **reason)
{
	char *text;
	size_t text_len;
	int r;

	if (*len < 2 || memcmp(*buf, GG_INFLATE_GZIP_MAGIC, 2) != 0)
		return 0;
	r = gg_inflate(GG_INFLATE_GZIP, *buf, *len, (size_t)st->conf->max_file_size, &text,
		       &text_len);
	if (r == -ENOMEM)
		return r;
	if (r == -E2BIG) {
		reason_append(reason, "gzip file that decodes to more than max_file_size %lld",
			      (long long)st->conf->max_file_size);
		return 1;
	}
	if (r != 0) {
		reason_append(reason, "gzip file that does not decode (cut short or damaged)");
		return 1;
	}
	free(*buf);
	*buf = text;
	*len = text_len;
	return 0;
}

/* Quarantines a file the input refuses whole and notes why for the .reason file. */
static int filedrop_refuse(struct filedrop *st, const char *name, const char *bytes, size_t len,
			   const struct gg_error *why, char **reason)
{
	struct gg_record rec = { .kind = GG_RECORD_XML, .origin = name, .bytes = bytes,
				 .len = len };
	struct gg_error err;
	int r = gg_emit_refused(st->emitter, &rec, why, &err);

	reason_append(reason, "%s", why->msg);
	if (r != 0)
		gg_log_warnx("%s: quarantine: %s", st->input->name, err.msg);
	return r;
}

/* Refuses a file whole for what a check wrote into *reason, whose first line becomes the
 * quarantine's reason. 1, or -EIO when the quarantine failed. */
static int filedrop_refuse_noted(struct filedrop *st, const char *name, const char *bytes,
				 size_t len, int code, char **reason)
{
	struct gg_error why;

	gg_error_set(&why, code, "%.*s", (int)strcspn(*reason, "\n"), *reason);
	free(*reason);
	*reason = NULL;
	return filedrop_refuse(st, name, bytes, len, &why, reason) ? -EIO : 1;
}

static int filedrop_xml(struct filedrop *st, const char *name, const char *buf, size_t len,
			char **reason)
{
	struct gg_record rec = { .kind = GG_RECORD_XML, .origin = name, .bytes = buf,
				 .len = len };
	enum gg_emit_outcome outcome;
	struct gg_error why;
	int r = gg_emit(st->emitter, &rec, &outcome, &why);

	if (r < 0) {
		gg_log_warnx("%s: %s: %s", st->input->name, name, why.msg);
		return r;
	}
	if (outcome != GG_EMIT_STAGED) {
		/* Parser and schema messages carry their own line and column. */
		reason_append(reason, "%s", why.msg);
		return 1;
	}
	st->batch_records++;
	return 0;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF), or 0 when none starts there. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		n = 2;
	else if (p[0] == 0xE0)
		n = 3, lo = 0xA0;
	else if (p[0] == 0xED)
		n = 3, hi = 0x9F;
	else if (p[0] >= 0xE1 && p[0] <= 0xEF)
		n = 3;
	else if (p[0] == 0xF0)
		n = 4, lo = 0x90;
	else if (p[0] >= 0xF1 && p[0] <= 0xF3)
		n = 4;
	else if (p[0] == 0xF4)
		n = 4, hi = 0x8F;
	else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

/* A log input reads text. Every line of a binary file would become a generic incident holding
 * random bytes, so such a file is refused whole, before anything of it is spooled: when it
 * holds a NUL byte (no text encoding a log line is in besides UTF-16, which the mappings do not
 * read either), or when more than max_invalid_utf8 percent of its bytes are not UTF-8. A few
 * stray bytes (a Latin-1 user name) do not count against a file: such lines keep their bytes
 * in base64. Returns 1 with *reason set when the file is binary. */
static int filedrop_binary(const struct filedrop *st, const char *buf, size_t len, char **reason)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;
	size_t nuls = 0, invalid = 0, first_nul = 0, first_invalid = 0;

	while (p < end) {
		size_t n = *p == 0 ? 0 : utf8_sequence(p, end);

		if (n > 0) {
			p += n;
			continue;
		}
		if (*p == 0 && nuls++ == 0)
			first_nul = (size_t)(p - (const unsigned char *)buf);
		else if (*p != 0 && invalid++ == 0)
			first_invalid = (size_t)(p - (const unsigned char *)buf);
		p++;
	}
	if (nuls > 0) {
		reason_append(reason, "binary file, not text: NUL byte at offset %zu (%zu NUL bytes, "
			      "%zu bytes not UTF-8, in %zu); a log input reads text only", first_nul,
			      nuls, invalid, len);
		return 1;
	}
	/* invalid / len > max / 100, in integers: len is at most max_file_size. */
	if ((uint64_t)invalid * 100 > (uint64_t)st->conf->max_invalid_utf8 * len) {
		reason_append(reason, "binary file, not text: %zu of %zu bytes (%.1f%%) are not "
			      "UTF-8, over max_invalid_utf8 %lld%% (first at offset %zu)", invalid, len,
			      100.0 * (double)invalid / (double)len,
			      (long long)st->conf->max_invalid_utf8, first_invalid);
		return 1;
	}
	return 0;
}

/* Lists the first refused lines (NDJSON, log; the engine quarantined them) for the file's
 * text. */
static void filedrop_line_refused(struct line_tally *t, uint64_t lineno,
				  const struct gg_error *why)
{
	if (t->refused++ < FILEDROP_LISTED_LINES)
		reason_append(&t->lines, "line %llu: %s", (unsigned long long)lineno, why->msg);
}

/* The .report (done) or .reason (failed) of a file read line by line: what happened, the
 * counts, and the first refused lines. discarded: records built, then dropped with the file. */
static char *filedrop_tally_text(const struct filedrop *st, const struct line_tally *t,
				 int failed, uint64_t discarded)
{
	long long max = (long long)st->conf->max_line_errors;
	char *text = NULL;

	if (failed && t->refused > (uint64_t)max)
		reason_append(&text, "failed: more than max_line_errors (%lld) lines refused; "
			      "nothing of the file was published", max);
	else if (failed)
		reason_append(&text, "failed: every line was refused, none became a record; "
			      "nothing of the file was published");
	else if (t->refused > 0)
		reason_append(&text, "done: every record spooled; %llu line(s) refused, at most "
			      "max_line_errors (%lld) may be", (unsigned long long)t->refused, max);
	else
		reason_append(&text, "done: no line became a record");
	if (t->stopped)
		reason_append(&text, "reading stopped at line %llu", (unsigned long long)t->read);
	reason_append(&text, "lines read: %llu (%llu blank)", (unsigned long long)t->read,
		      (unsigned long long)t->blank);
	if (failed)
		reason_append(&text, "records spooled: 0 (%llu built, discarded with the file)",
			      (unsigned long long)discarded);
	else
		reason_append(&text, "records spooled: %llu", (unsigned long long)t->spooled);
	reason_append(&text, "lines dropped by mappings: %llu", (unsigned long long)t->dropped);
	reason_append(&text, "lines refused: %llu (quarantined)", (unsigned long long)t->refused);
	if (t->lines != NULL)
		reason_append(&text, "%.*s", (int)strlen(t->lines) - 1, t->lines); /* no 2nd \n */
	if (t->refused > FILEDROP_LISTED_LINES)
		reason_append(&text, "and %llu more refused lines",
			      (unsigned long long)(t->refused - FILEDROP_LISTED_LINES));
	return text;
}

/* The lines of an NDJSON file (flat JSON mapping) or, when the input has mappings, of any
 * file that is not XML. Returns 0 (done; *text the .report or NULL), 1 (failed; *text the
 * .reason; none of its records is committed) or <0 (spool error: the batch is abandoned).
 * A file over spool.batch records is committed in slices to the spool's staging rows and
 * enters the queue in one transaction at its end, so a file that fails late publishes
 * nothing, and one that needs many slices never has to fit in memory. */
static int filedrop_lines(struct filedrop *st, const char *name, const char *buf, size_t len,
			  char **text)
{
	struct gg_ingest *ingest = gg_emitter_ingest(st->emitter);
	const char *end = buf + len, *next;
	/* This file's entries in the ingest begin at mark; those before are earlier files'. */
	size_t mark = gg_batch_staged(st->emitter);
	struct line_tally t = { 0 };
	uint64_t discarded = 0;
	int r = 0, sliced = 0, failed;
	/* With mappings every line is a log line (JSON ones included: Suricata EVE); without,
	 * the file is NDJSON for the built-in mapping. */
	enum gg_record_kind kind = st->input->mapper != NULL ? GG_RECORD_LINE : GG_RECORD_JSON;

	for (const char *line = buf; line < end; line = next) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		struct gg_record rec = { .kind = kind, .origin = name, .bytes = line };
		enum gg_emit_outcome outcome;
		struct gg_error why;

		/* The file has failed already: reading on would only build what is thrown away. */
		if (t.refused > (uint64_t)st->conf->max_line_errors) {
			t.stopped = 1;
			break;
		}
		next = nl ? nl + 1 : end;
		t.read++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (strspn(line, " \t") >= n) {
			t.blank++;
			continue;
		}
		rec.position = t.read;
		rec.len = n;
		r = gg_emit(st->emitter, &rec, &outcome, &why);
		if (r < 0) {
			gg_log_warnx("%s: %s: %s", st->input->name, name, why.msg);
			break;
		}
		if (outcome == GG_EMIT_DROPPED) {
			t.dropped++;
			continue;
		}
		if (outcome != GG_EMIT_STAGED) {
			filedrop_line_refused(&t, t.read, &why);
			continue;
		}
		t.spooled++;
		if (gg_batch_full(st->emitter)) {
			struct gg_error err;

			/* Each slice is its own short transaction: the write lock is never held
			 * while lines are parsed, mapped and validated. */
			if (gg_ingest_commit_slice(ingest, mark, name, !sliced, &err) != 0) {
				gg_log_warnx("%s: %s: spool: %s", st->input->name, name, err.msg);
				r = -EIO;
				break;
			}
			sliced = 1;
			mark = 0;
		}
	}
	if (r < 0) {
		/* Staging rows left by a slice are deleted when the file is read again. */
		free(t.lines);
		return r;
	}
	/* A file none of whose lines was usable is a bad file, not a done one with a report. */
	failed = t.refused > (uint64_t)st->conf->max_line_errors ||
		 (t.refused > 0 && t.spooled == 0 && t.dropped == 0);
	if (failed) {
		struct gg_error err;

		discarded = gg_ingest_drop_records(ingest, mark);
		if (sliced) {
			discarded = t.spooled;
			/* Should this fail, the rows stay staged, where nothing reads them, until
			 * the file's name is read again or the input restarts. */
			if (gg_ingest_discard_file(ingest, name, &err) != 0)
				gg_log_warnx("%s: %s: spool: %s", st->input->name, name, err.msg);
		}
	} else if (sliced) {
		struct gg_error err;

		if (gg_ingest_commit_file(ingest, mark, name, &err) != 0) {
			gg_log_warnx("%s: %s: spool: %s", st->input->name, name, err.msg);
			free(t.lines);
			return -EIO;
		}
	}
	if (failed || t.refused > 0 || t.spooled == 0)
		*text = filedrop_tally_text(st, &t, failed, discarded);
	if (!failed)
		st->batch_records += t.spooled;
	free(t.lines);
	return failed;
}

/* Writes the text beside the file's new name in done/ or failed/. Before the move: should
 * gridgate die between the two, the file is read again and the text rewritten, whereas a file
 * moved first could end up without its text. */
static void filedrop_write_text(struct filedrop *st, int to_fd, const char *to, const char *dest,
				const char *suffix, const char *text)
{
	char path[NAME_MAX + 64];
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s.%s", dest, suffix);
	fd = openat(to_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		gg_log_warn("%s: %s/%s", st->input->name, to, path);
	if (fd >= 0)
		close(fd);
}

/* Moves a file to done/ or failed/ with its text. A name already there (the same name dropped
 * twice) gets a timestamp suffix, and its text follows that name. */
static void filedrop_finish(struct filedrop *st, const struct file_outcome *o)
{
	int to_fd = o->failed ? st->failed_fd : st->done_fd;
	const char *to = o->failed ? "failed" : "done";
	char dest[NAME_MAX + 32];
	struct timespec ts;

	snprintf(dest, sizeof(dest), "%s", o->name);
	if (faccessat(to_fd, dest, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(dest, sizeof(dest), "%s.%lld%09ld", o->name, (long long)ts.tv_sec,
			 ts.tv_nsec);
	}
	if (o->failed || o->text != NULL)
		filedrop_write_text(st, to_fd, to, dest, o->failed ? "reason" : "report",
				    o->text != NULL ? o->text : "refused\n");
	if (renameat(st->dir_fd, o->name, to_fd, dest) != 0)
		gg_log_warn("%s: move %s to %s/", st->input->name, o->name, to);
}

static void filedrop_batch_clear(struct filedrop *st)
{
	for (size_t i = 0; i < st->batch_len; i++) {
		free(st->batch[i].name);
		free(st->batch[i].text);
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
	if (gg_batch_commit(st->emitter, &err) != 0) {
		gg_log_warnx("%s: spool commit: %s; %zu files stay for the next scan",
			     st->input->name, err.msg, st->batch_len);
		gg_batch_rollback(st->emitter);
		filedrop_batch_clear(st);
		return -EIO;
	}
	for (size_t i = 0; i < st->batch_len; i++) {
		struct file_outcome *o = &st->batch[i];

		filedrop_finish(st, o);
		if (o->failed) {
			atomic_fetch_add(&p->counters.files_failed, 1);
			gg_log_info("%s: %s -> failed/", st->input->name, o->name);
		} else {
			atomic_fetch_add(&p->counters.files_done, 1);
			if (o->text != NULL)
				gg_log_info("%s: %s -> done/, with a report", st->input->name,
					    o->name);
			else
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
	int r, z;

	if (filedrop_skipped_name(name))
		return 0;
	for (size_t i = 0; i < st->batch_len; i++)
		if (strcmp(st->batch[i].name, name) == 0)
			return 0; /* a scan and an event both saw it */
	r = filedrop_read(st, name, &buf, &len, &reason);
	if (r < 0 && r != -EFBIG && r != -EACCES) {
		/* Gone already (moved after an earlier event) or not a regular file: not ours. */
		gg_log_debug("%s: %s: skipped: %s", st->input->name, name, strerror(-r));
		free(reason);
		return 0;
	}
	if (!st->batch_open) {
		/* Backpressure: a new batch starts only when the spool has room. */
		if (gg_batch_begin(st->emitter, 1, &err) != 0) {
			if (!atomic_load(&p->stopping))
				gg_log_warnx("%s: spool: %s", st->input->name, err.msg);
			free(buf);
			free(reason);
			return atomic_load(&p->stopping) ? -ECANCELED : -EIO;
		}
		st->batch_open = 1;
	}
	if (r == -EFBIG || r == -EACCES) {
		r = filedrop_refuse_noted(st, name, "", 0, r, &reason);
	} else if ((z = filedrop_gunzip(st, &buf, &len, &reason)) != 0) {
		r = z < 0 ? z : filedrop_refuse_noted(st, name, buf, len, -EINVAL, &reason);
		if (r == 1)
			reason_append(&reason, "nothing of it was spooled");
		free(buf);
	} else {
		c = buf;
		if (len >= 3 && memcmp(c, "\xEF\xBB\xBF", 3) == 0)
			c += 3;
		c += strspn(c, " \t\r\n\f\v");
		if (c == buf + len) {
			/* Nothing to read is not an error: an exporter that had nothing to say in
			 * its interval, a rotated quiet log. The report keeps it visible. */
			reason_append(&reason, "done: empty file (%zu bytes%s): nothing to spool",
				      len, len > 0 ? ", whitespace only" : "");
			r = 0;
		} else if (*c == '<') {
			r = filedrop_xml(st, name, buf, len, &reason);
		} else if (st->input->mapper != NULL && filedrop_binary(st, buf, len, &reason)) {
			r = filedrop_refuse_noted(st, name, buf, len, -EINVAL, &reason);
			reason_append(&reason, "nothing of it was spooled");
		} else if (*c == '{' || st->input->mapper != NULL) {
			r = filedrop_lines(st, name, buf, len, &reason);
		} else {
			struct gg_error why;

			gg_error_set(&why, -EINVAL, "neither XML nor NDJSON (first byte 0x%02x), and "
				     "the input has no mappings for log lines", (unsigned char)*c);
			r = filedrop_refuse(st, name, buf, len, &why, &reason) ? -EIO : 1;
		}
		free(buf);
	}
	if (r < 0) {
		free(reason);
		gg_batch_rollback(st->emitter);
		st->batch_open = 0;
		filedrop_batch_clear(st);
		return r;
	}
	o = &st->batch[st->batch_len];
	o->name = strdup(name);
	o->failed = r == 1;
	o->text = reason;
	if (o->name == NULL) {
		free(reason);
		gg_batch_rollback(st->emitter);
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
	gg_emitter_free(st->emitter);
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

/* The directories, the inotify watch, the emitter and the spool's staging table: all before
 * privileges go; the thread starts in filedrop_start. */
static int filedrop_open(struct gg_input *in, struct gg_error *err)
{
	struct filedrop *st = calloc(1, sizeof(*st));
	int64_t leftovers = 0;
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
	if ((r = gg_emitter_new(in, &(struct gg_emitter_opts){ 0 }, &st->emitter, err)) != 0 ||
	    (r = gg_ingest_stage_init(gg_emitter_ingest(st->emitter), &leftovers, err)) != 0)
		goto fail;
	if (leftovers > 0)
		gg_log_info("%s: %lld staged records of unfinished files deleted; the files are "
			    "read again", in->name, (long long)leftovers);
	in->state = st;
	return 0;
fail:
	filedrop_free(st);
	return r;
}

static int filedrop_start(struct gg_input *in, struct gg_error *err)
{
	struct filedrop *st = in->state;
	int r = gg_input_thread_start(&st->thread, filedrop_main, st, err);

	if (r == 0)
		gg_log_info("%s: watching %s", in->name, st->conf->directory);
	return r;
}

static void filedrop_stop(struct gg_input *in)
{
	struct filedrop *st = in->state;

	gg_input_thread_stop(&st->thread);
}

static void filedrop_release(struct gg_input *in)
{
	filedrop_free(in->state);
	in->state = NULL;
}

const struct gg_adapter gg_in_filedrop = {
	.name = "filedrop",
	.desc = "watched directory of IODEF 2.0, IODEF 1.0, NDJSON and (with mappings) log files",
	.options = filedrop_options,
	.conf_size = sizeof(struct filedrop_conf),
	.open = filedrop_open,
	.start = filedrop_start,
	.stop = filedrop_stop,
	.free = filedrop_release,
};
