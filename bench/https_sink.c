/* https_sink.c: bench/export's endpoint, for gridgate's exporter and the raw libcurl loop alike:
 * libmicrohttpd over TLS (thread pool, TLS 1.2+, as bench/raw_http), reading each request's body
 * whole and answering 200 with no body. When a body has arrived whole it appends one line to LOG:
 *   RECEIVED_US BODY_BYTES KEY INCIDENT
 * RECEIVED_US: CLOCK_REALTIME in microseconds (the publisher stamps with the same clock, on the
 * same machine); KEY: the Idempotency-Key without its quotes ("-" when absent); INCIDENT: the
 * text of the body's first IncidentID ("-" when none), which carries the publish time. Each line
 * is one write(2) to a file opened O_APPEND, so the threads need no lock and the script can
 * count lines while the run goes on.
 *   https_sink PORT CERT KEY THREADS LOG
 * Runs until SIGTERM or SIGINT. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#define BODY_MAX (16u << 20)

struct req {
	char *body;
	size_t len, cap;
	int too_big;
};

static int log_fd = -1;

/* The text of the first IncidentID element, or "-": the element's name is matched whatever
 * prefix the controller gave it (Prosody re-serializes what it relays). */
static void incident_of(const char *b, size_t len, char *out, size_t out_len)
{
	const char *end = b + len, *p = b, *gt, *lt;
	size_t n;

	snprintf(out, out_len, "-");
	while ((p = memmem(p, (size_t)(end - p), "IncidentID", 10)) != NULL) {
		p += 10;
		if (p >= end || (*p != '>' && *p != ' ' && *p != '\t' && *p != '\n'))
			continue; /* a longer name */
		if ((gt = memchr(p, '>', (size_t)(end - p))) == NULL ||
		    (lt = memchr(gt, '<', (size_t)(end - gt))) == NULL)
			return;
		/* xs:string keeps the whitespace around the text; the id is the rest. */
		for (gt++; gt < lt && strchr(" \t\r\n", *gt) != NULL; gt++)
			;
		while (lt > gt && strchr(" \t\r\n", lt[-1]) != NULL)
			lt--;
		n = (size_t)(lt - gt);
		if (n == 0 || n >= out_len)
			return;
		memcpy(out, gt, n);
		out[n] = '\0';
		for (char *c = out; *c != '\0'; c++)
			if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')
				*c = '_';
		return;
	}
}

static void record(struct MHD_Connection *conn, const struct req *r)
{
	struct timespec ts;
	const char *key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
	char kbuf[160], incident[160], line[400];
	size_t klen;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (key == NULL || *key == '\0')
		key = "-";
	/* A structured-field string: "ID". */
	klen = strlen(key);
	if (klen >= 2 && key[0] == '"' && key[klen - 1] == '"') {
		snprintf(kbuf, sizeof(kbuf), "%.*s", (int)(klen - 2), key + 1);
		key = kbuf;
	}
	incident_of(r->body != NULL ? r->body : "", r->len, incident, sizeof(incident));
	n = snprintf(line, sizeof(line), "%lld %zu %s %s\n",
		     (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, r->len, key, incident);
	if (n > 0 && (size_t)n < sizeof(line) && write(log_fd, line, (size_t)n) != n)
		perror("https_sink: log");
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version, const char *upload_data,
			     size_t *upload_data_size, void **con_cls)
{
	static const char empty[] = "";
	struct req *r = *con_cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)cls, (void)url, (void)method, (void)version;
	if (r == NULL) { /* the headers: the body comes next */
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		if (r->len + n > BODY_MAX) {
			r->too_big = 1;
		} else if (!r->too_big) {
			if (r->len + n > r->cap) {
				size_t cap = r->cap ? r->cap : 4096;
				char *b;

				while (cap < r->len + n)
					cap *= 2;
				if ((b = realloc(r->body, cap)) == NULL)
					return MHD_NO;
				r->body = b;
				r->cap = cap;
			}
			memcpy(r->body + r->len, upload_data, n);
			r->len += n;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!r->too_big)
		record(conn, r);
	resp = MHD_create_response_from_buffer(0, (void *)empty, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	ret = MHD_queue_response(conn, r->too_big ? MHD_HTTP_CONTENT_TOO_LARGE : MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode why)
{
	struct req *r = *con_cls;

	(void)cls, (void)conn, (void)why;
	if (r != NULL) {
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

/* A PEM file whole, NUL-terminated, or NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = calloc(1, (size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (f != NULL)
		fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct MHD_Daemon *d;
	char *cert, *key;
	sigset_t set;
	int sig;

	if (argc != 6) {
		fprintf(stderr, "usage: https_sink PORT CERT KEY THREADS LOG\n");
		return 2;
	}
	if ((cert = slurp(argv[2])) == NULL || (key = slurp(argv[3])) == NULL) {
		fprintf(stderr, "https_sink: cannot read %s or %s\n", argv[2], argv[3]);
		return 1;
	}
	if ((log_fd = open(argv[5], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
		perror(argv[5]);
		return 1;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_TLS,
			     (uint16_t)atoi(argv[1]), NULL, NULL, serve, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
			     MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[4]),
			     MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "https_sink: libmicrohttpd did not start\n");
		return 1;
	}
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	close(log_fd);
	free(cert);
	free(key);
	return 0;
}
