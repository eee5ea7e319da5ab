/* privdrop.c: switching from root to an unprivileged user for good (see privdrop.h). */
#include "base/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int gg_user_lookup(const char *user, uid_t *uid, gid_t *gid, struct gg_error *err)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	int r = getpwnam_r(user, &pw, buf, sizeof(buf), &found);

	if (r != 0)
		return gg_error_set(err, -r, "user %s: %s", user, strerror(r));
	if (found == NULL)
		return gg_error_set(err, -ENOENT, "user %s: no such user", user);
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

int gg_drop_privileges(const char *user, const char *const *chown_paths, struct gg_error *err)
{
	uid_t uid, ruid, euid, suid;
	gid_t gid, rgid, egid, sgid;
	int r;

	if ((r = gg_user_lookup(user, &uid, &gid, err)) != 0)
		return r;
	if (uid == 0)
		return gg_error_set(err, -EINVAL, "user %s is root: nothing to drop", user);
	for (size_t i = 0; chown_paths != NULL && chown_paths[i] != NULL; i++) {
		if (chown(chown_paths[i], uid, gid) != 0 && errno != ENOENT)
			return gg_error_set(err, -errno, "chown %s to %s: %s", chown_paths[i], user,
					    strerror(errno));
	}
	/* glibc applies each of these to every thread of the process. Groups first: once the
	 * uid is gone, the right to change them is gone too. */
	if (setgroups(1, &gid) != 0)
		return gg_error_set(err, -errno, "setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid) != 0)
		return gg_error_set(err, -errno, "setresgid %u: %s", (unsigned)gid,
				    strerror(errno));
	if (setresuid(uid, uid, uid) != 0)
		return gg_error_set(err, -errno, "setresuid %u: %s", (unsigned)uid,
				    strerror(errno));
	if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0 ||
	    ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid ||
	    sgid != gid)
		return gg_error_set(err, -EPERM, "privileges not dropped to %s as asked", user);
	/* Were any way back left, this would succeed. */
	if (setuid(0) == 0 || seteuid(0) == 0)
		return gg_error_set(err, -EPERM, "root can be had back after dropping to %s", user);
	return 0;
}
