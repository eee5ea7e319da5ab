/* tls_post.c: bench/rid's HTTP client, for the raw server and gridgate alike. wrk cannot present
 * a client certificate, which RFC 6546 requires, so this is libcurl's multi interface: THREADS
 * threads share CONNECTIONS keep-alive TLS connections, each POSTing the body of TEMPLATE with
 * every "@ID@" replaced by a string no other request of the run has (a RID IncidentID: a
 * repeated one would be the same records, stored once), for SECONDS.
 *   tls_post URL CERT KEY CA CONTENT_TYPE TEMPLATE CONNECTIONS THREADS SECONDS
 * Prints "REQUESTS NON2XX SECONDS FAILED CPU": requests answered within the time, of them those
 * not 2xx, the seconds measured, transfers that failed (connection or TLS errors), and the
 * client's own CPU seconds (user + system: what the client took of the machine the servers
 * share). Requests in flight when the time is up are not counted (the server may still commit
 * them). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>

#define MARK "@ID@"

struct conf {
	const char *url, *cert, *key, *ca;
	struct curl_slist *headers;
	char **parts; /* the template cut at each MARK: n_parts pieces, MARK between two */
	size_t n_parts, template_len;
	unsigned conns;
	double seconds;
};

struct slot {
	CURL *easy;
	char *body;
	size_t cap;
};

struct worker {
	const struct conf *conf;
	pthread_t thread;
	unsigned id, conns;
	uint64_t done, non2xx, failed;
	int error;
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

/* The next body of a slot: the template with this request's own id at every mark. */
static void next_body(const struct conf *c, struct slot *s, unsigned worker, unsigned slot,
		      uint64_t seq)
{
	char id[64];
	size_t at = 0, idlen;

	idlen = (size_t)snprintf(id, sizeof(id), "BENCH-%u-%u-%llu", worker, slot,
				 (unsigned long long)seq);
	for (size_t i = 0; i < c->n_parts; i++) {
		size_t n = strlen(c->parts[i]);

		memcpy(s->body + at, c->parts[i], n);
		at += n;
		if (i + 1 < c->n_parts) {
			memcpy(s->body + at, id, idlen);
			at += idlen;
		}
	}
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)at);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
}

static int slot_init(const struct conf *c, struct slot *s)
{
	s->cap = c->template_len + c->n_parts * 64;
	if ((s->body = malloc(s->cap)) == NULL || (s->easy = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(s->easy, CURLOPT_URL, c->url);
	curl_easy_setopt(s->easy, CURLOPT_SSLCERT, c->cert);
	curl_easy_setopt(s->easy, CURLOPT_SSLKEY, c->key);
	curl_easy_setopt(s->easy, CURLOPT_CAINFO, c->ca);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	/* A TLS session per connection, as a partner keeps its connection. */
	curl_easy_setopt(s->easy, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct conf *c = w->conf;
	struct slot *slots = calloc(w->conns, sizeof(*slots));
	CURLM *multi = curl_multi_init();
	uint64_t seq = 0;
	double end;
	int running = 1;

	if (slots == NULL || multi == NULL) {
		w->error = 1;
		goto out;
	}
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)w->conns);
	for (unsigned i = 0; i < w->conns; i++) {
		if (slot_init(c, &slots[i]) != 0) {
			w->error = 1;
			goto out;
		}
		curl_easy_setopt(slots[i].easy, CURLOPT_PRIVATE, &slots[i]);
		next_body(c, &slots[i], w->id, i, seq++);
		curl_multi_add_handle(multi, slots[i].easy);
	}
	end = now_s() + c->seconds;
	while (running > 0 && now_s() < end) {
		CURLMsg *m;
		int left;

		curl_multi_perform(multi, &running);
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			struct slot *s;
			long status = 0;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
			if (m->data.result != CURLE_OK)
				w->failed++;
			else if (now_s() < end) {
				w->done++;
				if (status < 200 || status > 299)
					w->non2xx++;
			}
			curl_multi_remove_handle(multi, s->easy);
			next_body(c, s, w->id, (unsigned)(s - slots), seq++);
			curl_multi_add_handle(multi, s->easy);
			running = 1;
		}
		curl_multi_poll(multi, NULL, 0, 100, NULL);
	}
out:
	for (unsigned i = 0; slots != NULL && i < w->conns; i++) {
		if (slots[i].easy != NULL) {
			curl_multi_remove_handle(multi, slots[i].easy);
			curl_easy_cleanup(slots[i].easy);
		}
		free(slots[i].body);
	}
	free(slots);
	if (multi != NULL)
		curl_multi_cleanup(multi);
	return NULL;
}

/* The template whole, cut at each MARK. */
static int load_template(const char *path, struct conf *c)
{
	FILE *f = fopen(path, "r");
	char *text = NULL, *p, *q;
	long n = -1;

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
	c->template_len = (size_t)n;
	for (p = text; (p = strstr(p, MARK)) != NULL; p += strlen(MARK))
		c->n_parts++;
	c->n_parts++;
	if ((c->parts = calloc(c->n_parts, sizeof(*c->parts))) == NULL) {
		free(text);
		return -1;
	}
	/* The pieces point into text, which lives as long as the run. */
	for (size_t i = 0, at = 0; i < c->n_parts; i++) {
		c->parts[i] = text + at;
		if ((q = strstr(text + at, MARK)) != NULL) {
			*q = '\0';
			at = (size_t)(q - text) + strlen(MARK);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct conf c = { 0 };
	struct worker *w;
	char type[256];
	unsigned threads;
	uint64_t done = 0, non2xx = 0, failed = 0;
	struct rusage ru;
	int error = 0;

	if (argc != 10) {
		fprintf(stderr, "usage: tls_post URL CERT KEY CA CONTENT_TYPE TEMPLATE CONNECTIONS "
				"THREADS SECONDS\n");
		return 2;
	}
	c.url = argv[1], c.cert = argv[2], c.key = argv[3], c.ca = argv[4];
	c.conns = (unsigned)atoi(argv[7]);
	threads = (unsigned)atoi(argv[8]);
	c.seconds = atof(argv[9]);
	if (c.conns == 0 || threads == 0 || threads > c.conns || c.seconds <= 0) {
		fprintf(stderr, "tls_post: CONNECTIONS >= THREADS >= 1, SECONDS > 0\n");
		return 2;
	}
	if (load_template(argv[6], &c) != 0) {
		fprintf(stderr, "tls_post: cannot read %s\n", argv[6]);
		return 1;
	}
	snprintf(type, sizeof(type), "Content-Type: %s", argv[5]);
	curl_global_init(CURL_GLOBAL_ALL);
	/* Expect: 100-continue would cost a round trip per body over 1 KiB. */
	c.headers = curl_slist_append(curl_slist_append(NULL, type), "Expect:");
	if (c.headers == NULL || (w = calloc(threads, sizeof(*w))) == NULL)
		return 1;
	for (unsigned i = 0; i < threads; i++) {
		w[i] = (struct worker){ .conf = &c, .id = i,
					.conns = c.conns / threads + (i < c.conns % threads) };
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0)
			return 1;
	}
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		done += w[i].done;
		non2xx += w[i].non2xx;
		failed += w[i].failed;
		error |= w[i].error;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%llu %llu %.2f %llu %.3f\n", (unsigned long long)done, (unsigned long long)non2xx,
	       c.seconds, (unsigned long long)failed,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	curl_slist_free_all(c.headers);
	free(c.parts[0]);
	free(c.parts);
	free(w);
	curl_global_cleanup();
	return error;
}
