/* bench_util.h: what the one-thread benches of gridgate's own code (map_bench, rid_work,
 * webhook_work) share: a clock, an exit on what the bench cannot go on with, a file read whole,
 * and a timed loop. Header only: each bench is one program of one file. */
#ifndef GG_BENCH_UTIL_H
#define GG_BENCH_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "PROGRAM: what: why" on stderr, exit status 2. */
static inline void bench_die(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, why);
	exit(2);
}

/* The file whole, NUL-terminated (*len without the NUL); exits when it cannot be read. */
static inline char *bench_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n = -1;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n) {
		fclose(f);
		buf[n] = '\0';
		*len = (size_t)n;
		return buf;
	}
	bench_die(path, "cannot read");
	return NULL;
}

/* Runs one(arg) for at least seconds and prints "RUNS SECONDS": 64 runs between clock reads,
 * a read costs nothing beside a run. */
static inline void bench_run_for(double seconds, void (*one)(void *arg), void *arg)
{
	unsigned long long n = 0;
	double start = bench_now_s(), elapsed;

	do {
		for (int i = 0; i < 64; i++)
			one(arg);
		n += 64;
	} while ((elapsed = bench_now_s() - start) < seconds);
	printf("%llu %.3f\n", n, elapsed);
}

#endif
