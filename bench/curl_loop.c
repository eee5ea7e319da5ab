/* curl_loop.c: bench/export's baseline for the exporter's HTTP side: the least a libcurl client
 * can do to POST COUNT bodies: one thread, one multi handle and CONCURRENCY easy handles reused
 * (keep-alive), set up as the exporter sets its own (adapters/out_export/export_loop.c: HTTP/2
 * where offered, else one HTTP/1.1 connection per request in flight, PIPEWAIT, TLS 1.2+, no
 * Expect: 100-continue, the same headers), each body TEMPLATE with every "@ID@" replaced by
 * "raw.N", N the request's number, which is also its Idempotency-Key. No spool, no filter, no
 * retry policy: a failed transfer is sent again at once, so the sink gets all COUNT.
 *   curl_loop URL CAFILE TEMPLATE COUNT CONCURRENCY
 * Prints "DONE NON2XX FAILED SECONDS CPU_SECONDS": answered requests, of them not 2xx, transfers
 * that failed and were sent again, the time from the first request to the last answer, and the
 * process's CPU time (user + system). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>

#define MARK "@ID@"

struct slot {
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	size_t n; /* the request's number */
};

struct loop {
	const char *url, *ca;
	char **parts; /* the template cut at each MARK */
	size_t n_parts, template_len;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p, (void)arg;
	return size * n;
}

/* TEMPLATE whole, cut at each MARK; the pieces point into one buffer kept for the run. */
static int load_template(struct loop *L, const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL, *q;
	long n = -1;
	size_t at = 0;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (text = calloc(1, (size_t)n + 1)) != NULL &&
	    fread(text, 1, (size_t)n, f) != (size_t)n) {
		free(text);
		text = NULL;
	}
	if (f != NULL)
		fclose(f);
	if (text == NULL)
		return -1;
	L->template_len = (size_t)n;
	L->n_parts = 1;
	for (q = text; (q = strstr(q, MARK)) != NULL; q += strlen(MARK))
		L->n_parts++;
	if ((L->parts = calloc(L->n_parts, sizeof(*L->parts))) == NULL) {
		free(text);
		return -1;
	}
	for (size_t i = 0; i < L->n_parts; i++) {
		L->parts[i] = text + at;
		if ((q = strstr(text + at, MARK)) != NULL) {
			*q = '\0';
			at = (size_t)(q - text) + strlen(MARK);
		}
	}
	return 0;
}

static int slot_init(const struct loop *L, struct slot *s)
{
	CURL *e;

	if ((s->body = malloc(L->template_len + L->n_parts * 32)) == NULL ||
	    (s->easy = e = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, L->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)s);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_CAINFO, L->ca);
	return 0;
}

/* Request n on slot s: its body and headers, then into the multi handle. */
static int slot_start(const struct loop *L, CURLM *multi, struct slot *s, size_t n)
{
	char id[48], line[96];
	size_t at = 0, idlen;
	struct curl_slist *h = NULL, *t;

	idlen = (size_t)snprintf(id, sizeof(id), "raw.%zu", n);
	for (size_t i = 0; i < L->n_parts; i++) {
		size_t len = strlen(L->parts[i]);

		memcpy(s->body + at, L->parts[i], len);
		at += len;
		if (i + 1 < L->n_parts) {
			memcpy(s->body + at, id, idlen);
			at += idlen;
		}
	}
	curl_slist_free_all(s->headers);
	s->headers = NULL;
	h = curl_slist_append(NULL, "Content-Type: application/xml");
	if (h != NULL && (t = curl_slist_append(h, "Expect:")) != NULL)
		h = t;
	snprintf(line, sizeof(line), "Idempotency-Key: \"%s\"", id);
	if (h != NULL && (t = curl_slist_append(h, line)) != NULL)
		h = t;
	snprintf(line, sizeof(line), "webhook-id: %s", id);
	if (h != NULL && (t = curl_slist_append(h, line)) != NULL)
		h = t;
	if (h == NULL)
		return -1;
	s->headers = h;
	s->n = n;
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)at);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
	return curl_multi_add_handle(multi, s->easy) == CURLM_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct loop L = { 0 };
	struct slot *slots;
	CURLM *multi;
	size_t count, conc, next = 0, done = 0, non2xx = 0, failed = 0, busy = 0;
	struct rusage ru;
	double t0, t1;
	int running, error = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: curl_loop URL CAFILE TEMPLATE COUNT CONCURRENCY\n");
		return 2;
	}
	L.url = argv[1];
	L.ca = argv[2];
	count = (size_t)strtoull(argv[4], NULL, 10);
	conc = (size_t)strtoull(argv[5], NULL, 10);
	if (count == 0 || conc == 0 || conc > 1024) {
		fprintf(stderr, "curl_loop: COUNT >= 1, CONCURRENCY from 1 to 1024\n");
		return 2;
	}
	if (load_template(&L, argv[3]) != 0) {
		fprintf(stderr, "curl_loop: cannot read %s\n", argv[3]);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_ALL);
	slots = calloc(conc, sizeof(*slots));
	multi = curl_multi_init();
	if (slots == NULL || multi == NULL)
		return 1;
	curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	t0 = now_s();
	for (size_t i = 0; i < conc; i++) {
		if (slot_init(&L, &slots[i]) != 0)
			return 1;
		if (next < count) {
			if (slot_start(&L, multi, &slots[i], next++) != 0)
				return 1;
			busy++;
		}
	}
	while (busy > 0 && !error) {
		CURLMsg *m;
		int left;

		curl_multi_perform(multi, &running);
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			struct slot *s = NULL;
			CURLcode rc = m->data.result;
			long status = 0;
			size_t again;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
			curl_multi_remove_handle(multi, s->easy);
			busy--;
			if (rc != CURLE_OK) {
				failed++;
				again = s->n; /* the same request once more */
			} else {
				done++;
				if (status < 200 || status > 299)
					non2xx++;
				if (next >= count)
					continue;
				again = next++;
			}
			if (failed > count) {
				fprintf(stderr, "curl_loop: %s\n", curl_easy_strerror(rc));
				error = 1;
				break;
			}
			if (slot_start(&L, multi, s, again) != 0) {
				error = 1;
				break;
			}
			busy++;
		}
		if (busy > 0)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	}
	t1 = now_s();
	getrusage(RUSAGE_SELF, &ru);
	printf("%zu %zu %zu %.3f %.3f\n", done, non2xx, failed, t1 - t0,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	for (size_t i = 0; i < conc; i++) {
		if (slots[i].easy != NULL) {
			curl_multi_remove_handle(multi, slots[i].easy);
			curl_easy_cleanup(slots[i].easy);
		}
		curl_slist_free_all(slots[i].headers);
		free(slots[i].body);
	}
	free(slots);
	curl_multi_cleanup(multi);
	free(L.parts[0]);
	free(L.parts);
	curl_global_cleanup();
	return error;
}
