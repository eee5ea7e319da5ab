/* cmd_spool.c: `gridgate spool stats|refused|requeue|quarantine`: the spool's own counts, the
 * durable truth about what was accepted, published, refused and quarantined (they survive
 * restarts; counters do not), the records set aside as refused with the reason for each,
 * putting one back in the queue once its cause is fixed, and the quarantine: what never
 * became a valid document, listed, shown, given another chance through today's engine, or
 * purged. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "cli/cmd.h"
#include "engine/adapter.h"
#include "engine/config.h"
#include "engine/emit.h"
#include "engine/map_input.h"
#include "engine/pipeline.h"
#include "engine/spool.h"

#define REFUSED_DEFAULT_MAX 20
/* A reason in a list line is cut here; `quarantine show` prints it whole. */
#define QUARANTINE_LIST_REASON_MAX 200

static int usage(void)
{
	fprintf(stderr, "usage: gridgate [-c FILE] spool stats\n"
			"       gridgate [-c FILE] spool refused [MAX] [--output NAME]   (newest "
			"first, default %d)\n"
			"       gridgate [-c FILE] spool requeue SEQ     (a refused record, again)\n"
			"       gridgate [-c FILE] spool retry OUTPUT [SEQ|all]   (its dead letters, "
			"again)\n"
			"       gridgate [-c FILE] spool purge-dead OUTPUT\n"
			"       gridgate [-c FILE] spool quarantine [list [MAX] | show ID | "
			"release ID | purge [--older-than AGE]]\n",
		REFUSED_DEFAULT_MAX);
	return GG_EXIT_USAGE;
}

static void print_refused(void *arg, const struct gg_spool_failed *row)
{
	time_t when = (time_t)row->updated;
	char stamp[32];
	struct tm tm;

	(void)arg;
	gmtime_r(&when, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("seq=%lld id=%s source=%s output=%s attempts=%d refused=%s reason=%s\n",
	       (long long)row->seq, row->id ? row->id : "", row->source ? row->source : "",
	       row->output ? row->output : "", row->attempts, stamp,
	       row->reason ? row->reason : "");
}

#define STATS_MAX_OUTPUTS 64

struct output_list {
	struct gg_spool_output_stats o[STATS_MAX_OUTPUTS];
	size_t n;
};

static void collect_output(void *arg, const struct gg_spool_output_stats *o)
{
	struct output_list *list = arg;

	if (list->n < STATS_MAX_OUTPUTS)
		list->o[list->n++] = *o;
}

/* The totals, then one line per output, all from one snapshot; the output lines' keys differ
 * from the totals' so that a script reading "pending=" finds the total. */
static int spool_stats(struct gg_spool *spool, struct gg_error *err)
{
	static struct output_list list;
	struct gg_spool_stats st;
	time_t now = time(NULL);

	list.n = 0;
	if (gg_spool_stats_outputs(spool, &st, collect_output, &list, err) != 0)
		return -1;
	printf("pending=%lld published=%lld refused=%lld quarantined=%lld\n",
	       (long long)st.pending, (long long)st.done, (long long)st.failed,
	       (long long)st.quarantined);
	for (size_t i = 0; i < list.n; i++) {
		const struct gg_spool_output_stats *o = &list.o[i];
		int64_t age = o->oldest_pending > 0 && now > o->oldest_pending
				      ? (int64_t)now - o->oldest_pending : 0;

		printf("output %s: depth=%lld oldest_age=%llds delivered=%lld dead=%lld\n",
		       o->output, (long long)o->pending, (long long)age, (long long)o->done,
		       (long long)o->failed);
	}
	return 0;
}

/* ------------------------------------------------------------------ quarantine */

static void utc_stamp(int64_t t, char *buf, size_t size)
{
	time_t when = (time_t)t;
	struct tm tm;

	gmtime_r(&when, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* " at=LINE:COLUMN" (" at=LINE" when the column is unknown), or nothing. */
static void where_text(const struct gg_spool_quarantined *row, char *buf, size_t size)
{
	if (row->line > 0 && row->column > 0)
		snprintf(buf, size, " at=%d:%d", row->line, row->column);
	else if (row->line > 0)
		snprintf(buf, size, " at=%d", row->line);
	else
		buf[0] = '\0';
}

static void print_quarantined(void *arg, const struct gg_spool_quarantined *row)
{
	const char *reason = row->reason ? row->reason : "";
	size_t len = strlen(reason);
	char stamp[32], where[40];

	(void)arg;
	utc_stamp(row->created, stamp, sizeof(stamp));
	where_text(row, where, sizeof(where));
	printf("seq=%lld id=%s source=%s created=%s size=%zu%s reason=", (long long)row->seq,
	       row->id ? row->id : "", row->source ? row->source : "", stamp, row->payload_len,
	       where);
	/* One line per row, whatever the reason holds. */
	for (size_t i = 0; i < len && i < QUARANTINE_LIST_REASON_MAX; i++)
		putchar(reason[i] == '\n' || reason[i] == '\r' || reason[i] == '\t' ? ' '
										     : reason[i]);
	printf("%s\n", len > QUARANTINE_LIST_REASON_MAX ? "..." : "");
}

static void show_quarantined(void *arg, const struct gg_spool_quarantined *row)
{
	int *shown = arg;
	char stamp[32];

	utc_stamp(row->created, stamp, sizeof(stamp));
	if ((*shown)++ > 0)
		printf("\n");
	printf("seq: %lld\nid: %s\nsource: %s\ncreated: %s\n", (long long)row->seq,
	       row->id ? row->id : "", row->source ? row->source : "", stamp);
	if (row->line > 0)
		printf("line: %d\n", row->line);
	if (row->column > 0)
		printf("column: %d\n", row->column);
	printf("reason: %s\npayload: %zu bytes\n\n", row->reason ? row->reason : "",
	       row->payload_len);
	/* As stored, byte for byte: what the sender sent, or the document it became. */
	fwrite(row->payload, 1, row->payload_len, stdout);
	if (row->payload_len > 0 && row->payload[row->payload_len - 1] != '\n')
		printf("\n");
}

/* The row release works on, copied out of the query. */
struct quarantined_copy {
	int n;
	int64_t seq;
	char id[65];
	char *source, *reason, *payload;
	size_t payload_len;
};

static void copy_quarantined(void *arg, const struct gg_spool_quarantined *row)
{
	struct quarantined_copy *c = arg;

	if (c->n++ > 0)
		return; /* newest first: the first is the one */
	c->seq = row->seq;
	snprintf(c->id, sizeof(c->id), "%s", row->id ? row->id : "");
	c->source = strdup(row->source ? row->source : "");
	c->reason = strdup(row->reason ? row->reason : "");
	c->payload = malloc(row->payload_len + 1);
	if (c->payload != NULL) {
		memcpy(c->payload, row->payload, row->payload_len);
		c->payload[row->payload_len] = '\0';
		c->payload_len = row->payload_len;
	}
}

static const struct gg_input_conf *find_input(const struct gg_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_inputs; i++)
		if (strcmp(cfg->inputs[i].name, name) == 0)
			return &cfg->inputs[i];
	return NULL;
}

/* A size option of an input's section, read through its option row (the adapter's struct is
 * its own); 0 when the adapter has no such option. */
static int64_t input_size_option(const struct gg_input_conf *in, const char *key)
{
	for (const struct gg_option *o = in->adapter->options; o != NULL && o->key != NULL; o++)
		if (strcmp(o->key, key) == 0 && o->type == GG_OPT_SIZE)
			return *(const int64_t *)(const void *)((const char *)in->conf + o->offset);
	return 0;
}

/* The quarantine keeps the bytes, not which kind of record they were; the input they came from
 * and their first bytes tell. A file-drop input reads a file starting with '<' as one XML
 * document and any other line by line (log lines with mappings, NDJSON without); a document a
 * mapping built and the schema or the size bound refused is quarantined as that document.
 * A syslog input's records are messages, "<PRI>" first, or such documents. Returns 0, or <0
 * with why when the bytes cannot be a record of that input again. */
static int release_kind(const struct gg_input_conf *in, int has_mappings,
			const struct quarantined_copy *q, enum gg_record_kind *kind,
			struct gg_error *why)
{
	const char *p = q->payload, *end = q->payload + q->payload_len;
	const char *name = in->adapter->name;

	if (q->payload_len == 0)
		return gg_error_set(why, -ENODATA, "nothing of it was kept (%s): give the input "
				    "the original again", q->reason);
	if (strcmp(name, "syslog") == 0) {
		*kind = p[0] == '<' && (isalpha((unsigned char)p[1]) || p[1] == '?')
				? GG_RECORD_XML : GG_RECORD_SYSLOG;
		return 0;
	}
	if (strcmp(name, "filedrop") != 0)
		return gg_error_set(why, -ENOTSUP, "input %s is a %s input: release knows file-drop "
				    "and syslog inputs only", in->name, name);
	if ((size_t)(end - p) >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p < end && *p == '<') {
		*kind = GG_RECORD_XML;
		return 0;
	}
	/* A line never holds a line end: these bytes are a whole file the input refused (a
	 * binary file in a log input). */
	if (memchr(q->payload, '\n', q->payload_len - 1) != NULL)
		return gg_error_set(why, -EINVAL, "a whole file the input refused, not one record: "
				    "put the file in the drop directory again");
	*kind = has_mappings ? GG_RECORD_LINE : GG_RECORD_JSON;
	return 0;
}

static const char *kind_name(enum gg_record_kind kind)
{
	switch (kind) {
	case GG_RECORD_XML: return "an XML document";
	case GG_RECORD_JSON: return "an NDJSON line";
	case GG_RECORD_LINE: return "a log line";
	case GG_RECORD_SYSLOG: return "a syslog message";
	case GG_RECORD_DOC: return "a parsed XML document";
	}
	return "a record";
}

/* Runs quarantine row q through today's engine as its input would: its mappings, the schema
 * and the size bound of the configuration as it is now. Staged, the record and the row's
 * deletion commit in one transaction; anything else leaves the row as it was. */
static int quarantine_release(const struct gg_config *cfg, struct quarantined_copy *q)
{
	const struct gg_input_conf *inconf = find_input(cfg, q->source);
	struct gg_pipeline *pipeline = NULL;
	struct gg_emitter *emitter = NULL;
	struct gg_input in = { 0 };
	struct gg_emitter_opts eo = { 0 };
	enum gg_emit_outcome outcome;
	enum gg_record_kind kind = GG_RECORD_XML;
	struct gg_record rec;
	struct gg_error err, why;
	char origin[80];
	int code = GG_EXIT_RUNTIME, r;

	gg_error_clear(&why);
	if (inconf == NULL) {
		fprintf(stderr, "gridgate: quarantine seq %lld: input '%s' is not in %s any more: "
			"nothing to run it through; kept\n", (long long)q->seq, q->source, cfg->path);
		return GG_EXIT_INVALID;
	}
	/* The engine logs a refusal as "quarantined"; here nothing is, so only errors show. */
	if (getenv("GRIDGATE_DEBUG") == NULL)
		gg_log_set_level(GG_LOG_ERROR);
	if (gg_pipeline_new(cfg, &pipeline, &err) != 0 ||
	    gg_mapper_new(cfg, inconf, &in.mapper, &err) != 0) {
		fprintf(stderr, "gridgate: %s: %s\n", inconf->name, err.msg);
		code = GG_EXIT_USAGE;
		goto out;
	}
	if (release_kind(inconf, in.mapper != NULL, q, &kind, &why) != 0) {
		fprintf(stderr, "gridgate: quarantine seq %lld: %s; kept\n", (long long)q->seq,
			why.msg);
		code = GG_EXIT_INVALID;
		goto out;
	}
	in.adapter = inconf->adapter;
	in.name = inconf->name;
	in.conf = inconf->conf;
	in.pipeline = pipeline;
	in.routes = inconf->routes;
	in.n_routes = inconf->n_routes;
	if (kind == GG_RECORD_SYSLOG)
		eo.max_syslog = (size_t)input_size_option(inconf, "max_message_size");
	snprintf(origin, sizeof(origin), "quarantine:%lld", (long long)q->seq);
	rec = (struct gg_record){ .kind = kind, .origin = origin, .bytes = q->payload,
				  .len = q->payload_len, .id = q->id[0] ? q->id : NULL };
	if (gg_emitter_new(&in, &eo, &emitter, &err) != 0 ||
	    gg_batch_begin(emitter, 0, &err) != 0) {
		fprintf(stderr, "gridgate: %s: %s\n", inconf->name, err.msg);
		goto out;
	}
	gg_batch_release(emitter, q->seq);
	if (gg_emit(emitter, &rec, &outcome, &why) < 0) {
		fprintf(stderr, "gridgate: %s: %s\n", inconf->name, why.msg);
		gg_batch_rollback(emitter);
		goto out;
	}
	switch (outcome) {
	case GG_EMIT_STAGED:
		if ((r = gg_batch_commit(emitter, &err)) != 0) {
			gg_batch_rollback(emitter);
			fprintf(stderr, "gridgate: quarantine seq %lld: %s\n", (long long)q->seq,
				err.msg);
			code = r == -ENOENT ? GG_EXIT_INVALID : GG_EXIT_RUNTIME;
			goto out;
		}
		printf("released seq=%lld id=%s: %s of input %s passes today; queued, and its "
		       "quarantine row deleted (a running gridgate sends it within a minute)\n",
		       (long long)q->seq, q->id, kind_name(kind), inconf->name);
		code = GG_EXIT_OK;
		break;
	case GG_EMIT_DROPPED:
		gg_batch_rollback(emitter);
		printf("seq=%lld id=%s: input %s's mappings drop it today (not an incident); kept: "
		       "purge it, or change the mappings\n", (long long)q->seq, q->id, inconf->name);
		code = GG_EXIT_INVALID;
		break;
	case GG_EMIT_EMPTY:
		gg_batch_rollback(emitter);
		printf("seq=%lld id=%s: a syslog message with nothing in it (input %s drops such "
		       "messages today); kept: purge it\n", (long long)q->seq, q->id, inconf->name);
		code = GG_EXIT_INVALID;
		break;
	case GG_EMIT_REFUSED:
	case GG_EMIT_INVALID:
		gg_batch_rollback(emitter);
		printf("seq=%lld id=%s: refused again as %s of input %s: %s; kept\n",
		       (long long)q->seq, q->id, kind_name(kind), inconf->name, why.msg);
		code = GG_EXIT_INVALID;
		break;
	}
out:
	gg_emitter_free(emitter);
	gg_mapper_free(in.mapper);
	gg_pipeline_free(pipeline);
	return code;
}

/* "--older-than AGE" (a duration: 7d, 12h, 30m, 90s) into seconds. */
static int purge_age(int argc, char **argv, int64_t *age_s)
{
	int64_t ms;

	*age_s = 0;
	if (argc == 2)
		return 0;
	if (argc == 4 && strcmp(argv[2], "--older-than") == 0 &&
	    gg_parse_duration_ms(argv[3], &ms) == 0 && ms >= 1000) {
		*age_s = ms / 1000;
		return 0;
	}
	fprintf(stderr, "gridgate: spool quarantine purge [--older-than AGE]: AGE is a duration "
		"of a second or more: 90s, 30m, 12h, 7d\n");
	return -1;
}

/* argv[0] is "quarantine". */
static int spool_quarantine(const char *config_path, int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : "list";
	struct gg_spool_options opts = { 0 };
	struct gg_config *cfg = NULL;
	struct gg_spool *spool = NULL;
	struct quarantined_copy q = { 0 };
	struct gg_error err;
	int64_t age_s = 0, removed = 0;
	int code = GG_EXIT_RUNTIME, max = REFUSED_DEFAULT_MAX, r = 0, shown = 0;
	char *end;

	if (strcmp(sub, "list") == 0) {
		if (argc > 3)
			return usage();
		if (argc == 3) {
			long v = strtol(argv[2], &end, 10);

			if (*end != '\0' || v < 1 || v > 1000000)
				return usage();
			max = (int)v;
		}
	} else if (strcmp(sub, "show") == 0 || strcmp(sub, "release") == 0) {
		if (argc != 3 || argv[2][0] == '\0')
			return usage();
	} else if (strcmp(sub, "purge") == 0) {
		if (purge_age(argc, argv, &age_s) != 0)
			return GG_EXIT_USAGE;
	} else {
		return usage();
	}
	if (gg_config_load(config_path, &cfg, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		return GG_EXIT_USAGE;
	}
	opts.path = cfg->spool.path;
	opts.busy_timeout_ms = 10000;
	if (gg_spool_open(&opts, &spool, &err) != 0)
		goto spool_error;
	if (sub[0] == 'l') {
		if ((r = gg_spool_quarantine_list(spool, max, print_quarantined, NULL, &err)) < 0)
			goto spool_error;
		code = GG_EXIT_OK;
	} else if (sub[0] == 's') {
		if ((r = gg_spool_quarantine_get(spool, argv[2], show_quarantined, &shown,
						 &err)) < 0)
			goto spool_error;
		code = r > 0 ? GG_EXIT_OK : GG_EXIT_INVALID;
	} else if (sub[0] == 'r') {
		if ((r = gg_spool_quarantine_get(spool, argv[2], copy_quarantined, &q, &err)) < 0)
			goto spool_error;
		if (r > 1) {
			fprintf(stderr, "gridgate: spool: record id %s is quarantined %d times: "
				"release one by its seq (spool quarantine list)\n", argv[2], r);
			code = GG_EXIT_INVALID;
		} else if (r == 1 && (q.source == NULL || q.reason == NULL || q.payload == NULL)) {
			fprintf(stderr, "gridgate: out of memory\n");
		} else if (r == 1) {
			/* The engine opens its own handles; this one must not hold the file. */
			gg_spool_close(spool);
			spool = NULL;
			code = quarantine_release(cfg, &q);
		}
	} else {
		if (gg_spool_quarantine_purge(spool, age_s, &removed, &err) != 0)
			goto spool_error;
		if (age_s > 0)
			printf("purged %lld quarantined record(s) older than %s\n",
			       (long long)removed, argv[3]);
		else
			printf("purged %lld quarantined record(s)\n", (long long)removed);
		code = GG_EXIT_OK;
	}
	if ((sub[0] == 's' || sub[0] == 'r') && r == 0) {
		fprintf(stderr, "gridgate: spool: nothing quarantined has seq or record id %s\n",
			argv[2]);
		code = GG_EXIT_INVALID;
	}
	goto out;
spool_error:
	fprintf(stderr, "gridgate: spool %s: %s\n", cfg->spool.path, err.msg);
out:
	free(q.source);
	free(q.reason);
	free(q.payload);
	gg_spool_close(spool);
	gg_config_free(cfg);
	return code;
}

/* "SEQ" (>= 1) or "all" (0). */
static int parse_seq(const char *s, int64_t *seq)
{
	char *end;
	long long v;

	if (strcmp(s, "all") == 0) {
		*seq = 0;
		return 0;
	}
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 1)
		return -1;
	*seq = v;
	return 0;
}

/* refused [MAX] [--output NAME]: into max and output. */
static int refused_args(int argc, char **argv, int *max, const char **output)
{
	char *end;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--output") == 0 && i + 1 < argc) {
			*output = argv[++i];
		} else {
			long v = strtol(argv[i], &end, 10);

			if (*end != '\0' || v < 1 || v > 1000000)
				return -1;
			*max = (int)v;
		}
	}
	return 0;
}

/* retry OUTPUT [SEQ|all] and purge-dead OUTPUT: an output's dead letters, back in its queue
 * (attempts from zero) or deleted. */
static int spool_dead(struct gg_spool *spool, int retry, const char *output, int64_t seq,
		      struct gg_error *err)
{
	int64_t n = 0;
	int r;

	if (!retry) {
		if (gg_spool_purge_dead(spool, output, &n, err) != 0)
			return -1;
		printf("purged %lld dead letter(s) of output %s\n", (long long)n, output);
		return GG_EXIT_OK;
	}
	if ((r = gg_spool_requeue_output(spool, output, seq, err)) < 0)
		return -1;
	if (r == 0) {
		if (seq > 0)
			fprintf(stderr, "gridgate: spool: record seq %lld is no dead letter of "
				"output %s\n", (long long)seq, output);
		else
			fprintf(stderr, "gridgate: spool: output %s has no dead letters\n", output);
		return GG_EXIT_INVALID;
	}
	printf("%d dead letter(s) of output %s queued again (a running gridgate sends them within "
	       "a minute, an export output within seconds)\n", r, output);
	return GG_EXIT_OK;
}

int gg_cmd_spool(const char *config_path, int argc, char **argv)
{
	struct gg_spool_options opts = { 0 };
	struct gg_config *cfg = NULL;
	struct gg_spool *spool = NULL;
	struct gg_error err;
	const char *sub = argc >= 2 ? argv[1] : "", *output = NULL;
	int code = GG_EXIT_RUNTIME, max = REFUSED_DEFAULT_MAX, r;
	int64_t seq = 0;

	if (strcmp(sub, "quarantine") == 0)
		return spool_quarantine(config_path, argc - 1, argv + 1);
	if (strcmp(sub, "stats") == 0) {
		if (argc != 2)
			return usage();
	} else if (strcmp(sub, "refused") == 0) {
		if (refused_args(argc, argv, &max, &output) != 0)
			return usage();
	} else if (strcmp(sub, "requeue") == 0) {
		if (argc != 3 || parse_seq(argv[2], &seq) != 0 || seq == 0)
			return usage();
	} else if (strcmp(sub, "retry") == 0) {
		if (argc < 3 || argc > 4 || (argc == 4 && parse_seq(argv[3], &seq) != 0))
			return usage();
		output = argv[2];
	} else if (strcmp(sub, "purge-dead") == 0) {
		if (argc != 3)
			return usage();
		output = argv[2];
	} else {
		return usage();
	}
	if (gg_config_load(config_path, &cfg, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		return GG_EXIT_USAGE;
	}
	opts.path = cfg->spool.path;
	opts.busy_timeout_ms = 10000;
	if (gg_spool_open(&opts, &spool, &err) != 0)
		goto spool_error;
	if (strcmp(sub, "retry") == 0 || strcmp(sub, "purge-dead") == 0) {
		if ((code = spool_dead(spool, sub[1] == 'e', output, seq, &err)) < 0)
			goto spool_error;
		goto out;
	}
	if (strcmp(sub, "stats") == 0)
		r = spool_stats(spool, &err);
	else if (strcmp(sub, "refused") == 0)
		r = gg_spool_list_failed(spool, output, max, print_refused, NULL, &err);
	else
		r = gg_spool_requeue(spool, seq, &err);
	if (r < 0)
		goto spool_error;
	code = GG_EXIT_OK;
	if (strcmp(sub, "requeue") == 0 && r == 0) {
		fprintf(stderr, "gridgate: spool: record seq %lld is not refused by any output\n",
			(long long)seq);
		code = GG_EXIT_INVALID;
	} else if (strcmp(sub, "requeue") == 0) {
		printf("record seq %lld queued again for %d output(s)\n", (long long)seq, r);
	}
	goto out;
spool_error:
	fprintf(stderr, "gridgate: spool %s: %s\n", cfg->spool.path, err.msg);
out:
	gg_spool_close(spool);
	gg_config_free(cfg);
	return code;
}
