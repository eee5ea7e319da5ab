/* export_retry.c: the retry rules of the HTTPS exporter. As Fluent Bit's out_http and the
 * Standard Webhooks senders do, a 4xx is the endpoint's final word except 408 (timeout), 425
 * (too early) and 429 (rate limited), which ask for a later try as 5xx do. */
#include "out_export/export_retry.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <curl/curl.h>

enum export_verdict export_classify(long status)
{
	if (status >= 200 && status <= 299)
		return EXPORT_DONE;
	if (status == 0 || status == 408 || status == 425 || status == 429 ||
	    (status >= 500 && status <= 599))
		return EXPORT_RETRY;
	return EXPORT_DEAD;
}

int export_retry_after(const char *value, int64_t now_s, int64_t *delay_s)
{
	const char *p = value;
	time_t when;

	if (value == NULL)
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)*p)) {
		int64_t v = 0;

		for (; isdigit((unsigned char)*p); p++) {
			if (v > INT64_MAX / 10 - 10)
				return -EINVAL;
			v = v * 10 + (*p - '0');
		}
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '\0')
			return -EINVAL;
		*delay_s = v;
		return 0;
	}
	/* libcurl's date parser reads the three forms RFC 9110 5.6.7 requires a recipient to. */
	when = curl_getdate(p, NULL);
	if (when == (time_t)-1)
		return -EINVAL;
	*delay_s = (int64_t)when > now_s ? (int64_t)when - now_s : 0;
	return 0;
}

int64_t export_backoff_ms(int attempts, int64_t min_ms, int64_t max_ms, uint64_t rnd)
{
	int64_t base = min_ms;

	for (int i = 1; i < attempts && base < max_ms; i++)
		base *= 2;
	if (base > max_ms)
		base = max_ms;
	return base - base / 2 + (int64_t)(rnd % (uint64_t)(base / 2 + 1));
}

int64_t export_retry_delay_ms(const char *retry_after, int64_t now_s, int attempts,
			      int64_t min_ms, int64_t max_ms, uint64_t rnd)
{
	int64_t s;

	if (retry_after != NULL && export_retry_after(retry_after, now_s, &s) == 0)
		return s > max_ms / 1000 ? max_ms : s * 1000;
	return export_backoff_ms(attempts, min_ms, max_ms, rnd);
}
