/* http_deadline.c: connections that take too long to send a request are shut down by a thread
 * that looks at them four times a second. */
#include "http/http_deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* How often the thread looks: a connection is cut within this after its deadline. */
#define DEADLINE_TICK_MS 250

struct gg_http_deadline {
	struct gg_http_deadline *prev, *next;
	int fd;
	uint64_t due_ms; /* 0: disarmed */
};

struct gg_http_deadlines {
	uint64_t limit_ms;
	atomic_uint_fast64_t *cut;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct gg_http_deadline *head;
	int stop;
	pthread_t thread;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *deadline_main(void *arg)
{
	struct gg_http_deadlines *d = arg;
	struct timespec ts;

	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		uint64_t now = now_ms();

		/* Under the lock: a connection's fd stays open until it is removed, and removing
		 * takes the lock, so the fd shut down here is never one already reused. */
		for (struct gg_http_deadline *c = d->head; c != NULL; c = c->next) {
			if (c->due_ms != 0 && c->due_ms <= now) {
				shutdown(c->fd, SHUT_RDWR);
				c->due_ms = 0;
				(*d->cut)++;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += DEADLINE_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->wake, &d->lock, &ts);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int gg_http_deadlines_new(uint64_t limit_ms, atomic_uint_fast64_t *cut,
			  struct gg_http_deadlines **out, struct gg_error *err)
{
	struct gg_http_deadlines *d = calloc(1, sizeof(*d));
	pthread_condattr_t attr;
	int r;

	*out = NULL;
	if (d == NULL)
		return gg_error_set(err, -ENOMEM, "out of memory");
	d->limit_ms = limit_ms;
	d->cut = cut;
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake, &attr);
	pthread_condattr_destroy(&attr);
	if ((r = pthread_create(&d->thread, NULL, deadline_main, d)) != 0) {
		pthread_cond_destroy(&d->wake);
		pthread_mutex_destroy(&d->lock);
		free(d);
		return gg_error_set(err, -r, "request deadline thread: %s", strerror(r));
	}
	*out = d;
	return 0;
}

void gg_http_deadlines_free(struct gg_http_deadlines *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = 1;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

struct gg_http_deadline *gg_http_deadline_add(struct gg_http_deadlines *d, int fd)
{
	struct gg_http_deadline *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = fd;
	c->due_ms = now_ms() + d->limit_ms;
	pthread_mutex_lock(&d->lock);
	c->next = d->head;
	if (d->head != NULL)
		d->head->prev = c;
	d->head = c;
	pthread_mutex_unlock(&d->lock);
	return c;
}

void gg_http_deadline_remove(struct gg_http_deadlines *d, struct gg_http_deadline *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		d->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&d->lock);
	free(c);
}

void gg_http_deadline_arm(struct gg_http_deadlines *d, struct gg_http_deadline *c)
{
	uint64_t due = now_ms() + d->limit_ms;

	pthread_mutex_lock(&d->lock);
	c->due_ms = due;
	pthread_mutex_unlock(&d->lock);
}

void gg_http_deadline_disarm(struct gg_http_deadlines *d, struct gg_http_deadline *c)
{
	pthread_mutex_lock(&d->lock);
	c->due_ms = 0;
	pthread_mutex_unlock(&d->lock);
}
