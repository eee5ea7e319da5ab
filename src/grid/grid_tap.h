/* grid_tap.h: the decrypted bytes libstrophe reads from its TLS connection, exactly as they
 * came, handed to a function of this thread's choosing (grid_stream.h reads items from them).
 * libstrophe 0.12 offers no hook for its input: the tap wraps OpenSSL's SSL_read, which
 * libstrophe's TLS backend calls; other threads (libcurl's) pass straight through. */
#ifndef GG_GRID_TAP_H
#define GG_GRID_TAP_H

#include <stddef.h>

typedef void (*gg_grid_tap_fn)(void *arg, const char *data, size_t len);

/* Sets (fn NULL: clears) the tap of the calling thread. Returns 0, or -ENOSYS when SSL_read
 * is not ours to wrap (a libstrophe built on another TLS library would never call it). */
int gg_grid_tap_set(gg_grid_tap_fn fn, void *arg);
/* Whether the calling thread's last SSL_read left bytes in OpenSSL's buffers, which poll on the
 * socket does not see (libstrophe reads 4 KiB at a time; a burst of events is more); clears
 * the mark, so a read that never comes cannot leave it set. */
int gg_grid_tap_take_pending(void);

#endif
