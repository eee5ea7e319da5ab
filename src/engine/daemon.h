/* daemon.h: `gridgate run`: starts the publisher and the inputs, handles signals, stops
 * everything in order (inputs first, so nothing is taken in that cannot be spooled). */
#ifndef GG_DAEMON_H
#define GG_DAEMON_H

#include "engine/config.h"

/* Returns the process exit code. */
int gg_daemon_run(const struct gg_config *cfg);

#endif
