/* export_body.c: the JSON envelope (jansson). */
#include "out_export/export_body.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* The grid event's topic, item id and publish time from the record's meta, when it has them:
 * only these keys, so that the envelope's shape is the documented one. */
static int envelope_meta(json_t *o, const char *meta)
{
	static const char *const keys[] = { "topic", "item", "published", NULL };
	json_t *m = meta != NULL ? json_loads(meta, 0, NULL) : NULL;
	int r = 0;

	for (size_t i = 0; m != NULL && keys[i] != NULL && r == 0; i++) {
		json_t *v = json_object_get(m, keys[i]);

		if (json_is_string(v))
			r = json_object_set(o, keys[i], v);
	}
	json_decref(m);
	return r;
}

int export_envelope(const char *id, const char *source, int64_t received, const char *meta,
		    const char *payload, size_t len, char **out, size_t *out_len)
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
	o = json_pack("{s:s, s:s, s:s}", "id", id, "source", source != NULL ? source : "",
		      "received", stamp);
	if (o == NULL || envelope_meta(o, meta) != 0) {
		json_decref(p);
		json_decref(o);
		return -ENOMEM;
	}
	if (json_object_set_new(o, "payload", p) != 0) { /* takes p even when it fails */
		json_decref(o);
		return -ENOMEM;
	}
	*out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (*out == NULL)
		return -ENOMEM;
	*out_len = strlen(*out);
	return 0;
}
