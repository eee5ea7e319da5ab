/* grid_tap.c: SSL_read, defined here, wins over libssl's for every caller in the process (the
 * executable's definition is interposed); it calls libssl's and shows what it read to the
 * calling thread's tap. A thread without a tap pays one thread-local load. */
#include "grid/grid_tap.h"

#include <dlfcn.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <pthread.h>

static _Thread_local gg_grid_tap_fn tap_fn;
static _Thread_local void *tap_arg;
/* The thread's last SSL_read left bytes in OpenSSL (decrypted or a whole record read ahead). */
static _Thread_local int tap_pending;

typedef int (*ssl_read_fn)(SSL *ssl, void *buf, int num);
static ssl_read_fn tap_real;
static pthread_once_t tap_once = PTHREAD_ONCE_INIT;

static void tap_resolve(void)
{
	/* POSIX allows converting dlsym's result to a function pointer. */
	*(void **)&tap_real = dlsym(RTLD_NEXT, "SSL_read");
}

int SSL_read(SSL *ssl, void *buf, int num)
{
	int n;

	pthread_once(&tap_once, tap_resolve);
	if (tap_real == NULL)
		return -1;
	n = tap_real(ssl, buf, num);
	tap_pending = SSL_has_pending(ssl);
	if (n > 0 && tap_fn != NULL)
		tap_fn(tap_arg, buf, (size_t)n);
	return n;
}

int gg_grid_tap_take_pending(void)
{
	int pending = tap_pending;

	tap_pending = 0;
	return pending;
}

int gg_grid_tap_set(gg_grid_tap_fn fn, void *arg)
{
	pthread_once(&tap_once, tap_resolve);
	if (tap_real == NULL)
		return -ENOSYS;
	tap_fn = fn;
	tap_arg = arg;
	return 0;
}
