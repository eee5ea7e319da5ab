/* export_body.c: the JSON envelope (jansson). */
#include "out_export/export_body.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

int export_envelope(const char *id, const char *source, int64_t received, const char *payload,
		    size_t len, char **out, size_t *out_len)
{
	time_t when = (time_t)received;
	json_t *o, *p;
	char stamp[32];
	struct tm tm;

	*out = NULL;
	if ((p = json_stringn(payload, len)) == NULL)
		return -EINVAL; /* jansson refuses bytes that are not UTF-8 */
	gmtime_r(&when, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s, s:s, s:s, s:o}", "id", id, "source", source != NULL ? source : "",
		      "received", stamp, "payload", p);
	if (o == NULL)
		return -ENOMEM; /* json_pack took p's reference and released it */
	*out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (*out == NULL)
		return -ENOMEM;
	*out_len = strlen(*out);
	return 0;
}
