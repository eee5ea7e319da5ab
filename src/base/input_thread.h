/* input_thread.h: the thread an input runs its loop on, and the eventfd that tells the loop to
 * return. Every input needs the same three steps (an eventfd, pthread_create, a wake and a
 * join at stop), and getting one wrong leaks a thread or hangs the stop. */
#ifndef GG_INPUT_THREAD_H
#define GG_INPUT_THREAD_H

#include <pthread.h>

#include "base/error.h"

struct gg_input_thread {
	/* Becomes readable (POLLIN, EPOLLIN) when the thread must return: the loop polls it
	 * next to its own fds. */
	int stop_fd;
	pthread_t id;
	int started;
};

/* Opens the stop eventfd. Call it before anything that can fail, so that the error path can
 * always call gg_input_thread_close. On failure stop_fd is -1. */
int gg_input_thread_init(struct gg_input_thread *t, struct gg_error *err);
/* Runs loop(arg) on a new thread. */
int gg_input_thread_start(struct gg_input_thread *t, void *(*loop)(void *), void *arg,
			  struct gg_error *err);
/* Wakes the loop through stop_fd and joins the thread; nothing when it never started. After
 * it, nothing of the thread runs. */
void gg_input_thread_stop(struct gg_input_thread *t);
/* Stops the thread if it still runs, then closes stop_fd. */
void gg_input_thread_close(struct gg_input_thread *t);

/* For a loop with one descriptor: waits until fd is readable, the thread is asked to stop,
 * or timeout_ms passes (-1: no limit). Returns 1 (fd readable), 0 (timed out), -ECANCELED
 * (stop: it wins over a readable fd), or -errno when poll fails. */
int gg_input_thread_wait(const struct gg_input_thread *t, int fd, int timeout_ms);

#endif
