/* spool_commit.c: what the spool's durable commit costs a record, alone: records of BYTES bytes,
 * each with its own id checked against the others' (as the webhook and RID inputs store them:
 * a retried request is stored once), committed RECORDS_A_COMMIT at a time through gridgate's
 * spool code on one connection, with the spool's checkpointer thread copying the WAL back as
 * in the daemon. bench/webhook and bench/rid give it the records a group commit could hold at
 * most there (every request in flight in one commit), so the figure is the spool's least cost.
 *   spool_commit DIR RECORDS_A_COMMIT BYTES SECONDS
 * Writes DIR/spool.db anew; prints "RECORDS SECONDS CPU_SECONDS", CPU of every thread. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_util.h"
#include "engine/spool.h"
#include "engine/spool_checkpoint.h"

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* A new spool at path, written through a handle that hands checkpoints to ck's thread. */
static struct gg_spool *spool_new(const char *path, struct gg_spool_checkpointer **ck)
{
	struct gg_spool_options opts = { .path = path, .max_pending = INT64_MAX / 2,
					 .busy_timeout_ms = 10000 };
	struct gg_spool *sp;
	struct gg_error err;

	/* The file first: the checkpointer's connection opens an existing one. */
	if (gg_spool_open(&opts, &sp, &err) != 0)
		bench_die(path, err.msg);
	gg_spool_close(sp);
	if (gg_spool_checkpointer_start(path, ck, &err) != 0)
		bench_die("checkpointer", err.msg);
	opts.checkpointer = *ck;
	if (gg_spool_open(&opts, &sp, &err) != 0)
		bench_die(path, err.msg);
	return sp;
}

int main(int argc, char **argv)
{
	struct gg_spool_checkpointer *ck;
	struct gg_spool *sp;
	struct gg_error err;
	char path[4096], id[40], *payload;
	unsigned long long records = 0, x = 0x9e3779b97f4a7c15ull;
	double seconds, start, elapsed, cpu0;
	long per_commit, bytes;

	if (argc != 5 || (per_commit = atol(argv[2])) <= 0 || (bytes = atol(argv[3])) <= 0 ||
	    (seconds = atof(argv[4])) <= 0) {
		fprintf(stderr, "usage: spool_commit DIR RECORDS_A_COMMIT BYTES SECONDS\n");
		return 2;
	}
	/* As the daemon: SQLite's allocation statistics take a process-wide mutex. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	snprintf(path, sizeof(path), "%s/spool.db", argv[1]);
	remove(path);
	if ((payload = malloc((size_t)bytes)) == NULL)
		bench_die("payload", "out of memory");
	memset(payload, 'x', (size_t)bytes);
	sp = spool_new(path, &ck);
	start = bench_now_s();
	cpu0 = cpu_s();
	do {
		if (gg_spool_begin(sp, &err) != 0)
			bench_die("begin", err.msg);
		for (long i = 0; i < per_commit; i++) {
			/* Ids spread as record ids (digests) are: xorshift, not a counter. */
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			snprintf(id, sizeof(id), "%016llx%016llx", x, x * 0x2545f4914f6cdd1dull);
			if (gg_spool_put_meta(sp, id, "bench", NULL, payload, (size_t)bytes, &err) != 0)
				bench_die("put", err.msg);
		}
		if (gg_spool_commit(sp, &err) != 0)
			bench_die("commit", err.msg);
		records += (unsigned long long)per_commit;
	} while ((elapsed = bench_now_s() - start) < seconds);
	printf("%llu %.3f %.3f\n", records, elapsed, cpu_s() - cpu0);
	gg_spool_close(sp);
	gg_spool_checkpointer_stop(ck);
	free(payload);
	return 0;
}
