/* log_budget.h: a budget of log lines a second for what a remote peer can cause at will (a
 * refused request): past it lines are only counted, and the first line let through later is
 * preceded by one saying how many were left out, so a flood cannot write the log full and
 * nothing goes unmentioned. Thread-safe: a listener's threads share one budget. */
#ifndef GG_LOG_BUDGET_H
#define GG_LOG_BUDGET_H

#include <pthread.h>
#include <stdint.h>

struct gg_log_budget {
	pthread_mutex_t lock;
	unsigned per_second;
	uint64_t second;   /* when the current second began, monotonic ns */
	unsigned used;     /* lines let through in it */
	uint64_t left_out; /* lines left out and not reported yet */
};

void gg_log_budget_init(struct gg_log_budget *b, unsigned per_second);
void gg_log_budget_destroy(struct gg_log_budget *b);
/* Whether one more line may be logged at now_ns; when it may, *left_out gets the lines left
 * out before it that are to be reported first (0: none). */
int gg_log_budget_take(struct gg_log_budget *b, uint64_t now_ns, uint64_t *left_out);
/* gg_log_budget_take now, the report of lines left out logged (as who) when there is one: 1
 * when the caller may log its line, 0 when it is left out (and counted). */
int gg_log_budget_allow(struct gg_log_budget *b, const char *who);
/* Logs (as who) how many lines were left out and not reported yet, if any: at a stop. */
void gg_log_budget_flush(struct gg_log_budget *b, const char *who);

#endif
