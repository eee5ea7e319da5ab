/* input_thread.c: an input's loop thread and its stop eventfd. */
#include "base/input_thread.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int gg_input_thread_init(struct gg_input_thread *t, struct gg_error *err)
{
	t->started = 0;
	t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->stop_fd < 0)
		return gg_error_set(err, -errno, "eventfd: %s", strerror(errno));
	return 0;
}

int gg_input_thread_start(struct gg_input_thread *t, void *(*loop)(void *), void *arg,
			  struct gg_error *err)
{
	int r = pthread_create(&t->id, NULL, loop, arg);

	if (r != 0)
		return gg_error_set(err, -r, "pthread_create: %s", strerror(r));
	t->started = 1;
	return 0;
}

void gg_input_thread_stop(struct gg_input_thread *t)
{
	uint64_t one = 1;

	if (!t->started)
		return;
	/* An eventfd counter only fails to take a write at its maximum, and then it is
	 * readable already. */
	(void)!write(t->stop_fd, &one, sizeof(one));
	pthread_join(t->id, NULL);
	t->started = 0;
}

void gg_input_thread_close(struct gg_input_thread *t)
{
	gg_input_thread_stop(t);
	if (t->stop_fd >= 0)
		close(t->stop_fd);
	t->stop_fd = -1;
}

int gg_input_thread_wait(const struct gg_input_thread *t, int fd, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = t->stop_fd, .events = POLLIN },
	};
	int r;

	/* Input threads block every signal, so EINTR is rare; waiting again is right. */
	while ((r = poll(pfd, 2, timeout_ms)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -errno;
	if (pfd[1].revents & POLLIN)
		return -ECANCELED;
	return (pfd[0].revents & POLLIN) != 0;
}
