/* privdrop.h: giving up root after the privileged work is done (listening sockets, key files),
 * before any input is read, as OpenBSD daemons do. */
#ifndef GG_PRIVDROP_H
#define GG_PRIVDROP_H

#include <sys/types.h>

#include "base/error.h"

/* The uid and gid of a user name, or -ENOENT (err says so). */
int gg_user_lookup(const char *user, uid_t *uid, gid_t *gid, struct gg_error *err);

/* Hands the existing paths (NULL-terminated list; missing ones are skipped) to the user, so it
 * can go on writing its state, then switches every thread of the process to that user and its
 * group alone (setgroups, setresgid, setresuid) and checks that root cannot be had back.
 * Returns 0, or <0 with err: the caller must then stop, not run on as root. */
int gg_drop_privileges(const char *user, const char *const *chown_paths, struct gg_error *err);

#endif
