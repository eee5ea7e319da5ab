/* in_syslog.h: the syslog listener input (RFC 5424 / RFC 3164 over UDP, or over TCP with
 * RFC 6587 framing). */
#ifndef GG_IN_SYSLOG_H
#define GG_IN_SYSLOG_H

#include "engine/adapter.h"

extern const struct gg_adapter gg_in_syslog;

#endif
