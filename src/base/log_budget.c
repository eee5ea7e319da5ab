/* log_budget.c: at most per_second lines a second, the rest counted and reported. */
#include "base/log_budget.h"

#include <time.h>

#include "base/log.h"

#define NS_PER_SECOND 1000000000ull

void gg_log_budget_init(struct gg_log_budget *b, unsigned per_second)
{
	pthread_mutex_init(&b->lock, NULL);
	b->per_second = per_second;
	b->second = 0;
	b->used = 0;
	b->left_out = 0;
}

void gg_log_budget_destroy(struct gg_log_budget *b)
{
	pthread_mutex_destroy(&b->lock);
}

int gg_log_budget_take(struct gg_log_budget *b, uint64_t now_ns, uint64_t *left_out)
{
	int ok;

	*left_out = 0;
	pthread_mutex_lock(&b->lock);
	/* used is 0 only before the first line: that one starts the first second. */
	if (b->used == 0 || now_ns - b->second >= NS_PER_SECOND) {
		b->second = now_ns;
		b->used = 0;
	}
	ok = b->used < b->per_second;
	if (ok) {
		b->used++;
		*left_out = b->left_out;
		b->left_out = 0;
	} else {
		b->left_out++;
	}
	pthread_mutex_unlock(&b->lock);
	return ok;
}

static void report(const struct gg_log_budget *b, const char *who, uint64_t left_out)
{
	if (left_out > 0)
		gg_log_info("%s: %llu more line(s) like these not logged (at most %u a second)", who,
			    (unsigned long long)left_out, b->per_second);
}

int gg_log_budget_allow(struct gg_log_budget *b, const char *who)
{
	struct timespec ts;
	uint64_t left_out;
	int ok;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ok = gg_log_budget_take(b, (uint64_t)ts.tv_sec * NS_PER_SECOND + (uint64_t)ts.tv_nsec,
				&left_out);
	report(b, who, left_out);
	return ok;
}

void gg_log_budget_flush(struct gg_log_budget *b, const char *who)
{
	uint64_t left_out;

	pthread_mutex_lock(&b->lock);
	left_out = b->left_out;
	b->left_out = 0;
	pthread_mutex_unlock(&b->lock);
	report(b, who, left_out);
}
