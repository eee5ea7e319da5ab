/* export_body.h: the JSON envelope format = json sends: the record's id, the input it came
 * from, when the spool received it, and the IODEF document as published, as a string. */
#ifndef GG_EXPORT_BODY_H
#define GG_EXPORT_BODY_H

#include <stddef.h>
#include <stdint.h>

/* {"id":..,"source":..,"received":"YYYY-MM-DDTHH:MM:SSZ"[,"topic":..,"item":..,
 * "published":..],"payload":".."} into *out (free()); topic, item and published come from
 * meta (the record's, gg_spool_row.meta; NULL: none) when it has them. 0, -EINVAL (the
 * payload is not UTF-8: JSON cannot carry it) or -ENOMEM. */
int export_envelope(const char *id, const char *source, int64_t received, const char *meta,
		    const char *payload, size_t len, char **out, size_t *out_len);

#endif
