/* raw_http.c: the baseline of bench/webhook and bench/rid: libmicrohttpd over TLS, configured as
 * gridgate's HTTP listeners configure it (thread pool, TLS 1.2+, the same certificate), reading
 * every POST body and answering with a fixed body, doing nothing else: what HTTPS itself costs
 * on this machine, with no gridgate code.
 *   raw_http PORT CERT KEY THREADS                     202 and a small JSON body (webhook)
 *   raw_http PORT CERT KEY THREADS CLIENT_CA ANSWER    clients asked for a certificate (mutual
 *                                                      TLS), 200 and ANSWER's text as text/xml
 *                                                      (RID: a fixed Acknowledgement)
 *   ... --handoff                                      each request suspended once its body is
 *                                                      in and resumed by another thread, which
 *                                                      is how gridgate answers after its spool
 *                                                      writer's commit: what that costs alone
 * Runs until SIGTERM or SIGINT. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

/* The answer every request gets. */
static const char *answer = "{\"status\":202,\"items\":[]}";
static const char *answer_type = "application/json";
static unsigned answer_status = 202;

/* A request in --handoff mode: queued for the answering thread, answered once resumed. */
struct handoff {
	struct MHD_Connection *conn;
	struct handoff *next;
	int resumed;
};

static int handoff_mode;
static pthread_mutex_t handoff_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t handoff_queued = PTHREAD_COND_INITIALIZER;
static struct handoff *handoff_queue;

/* The answering thread: resumes what is queued, a batch at a time as a writer's group commit
 * answers its requests. */
static void *answerer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&handoff_lock);
	for (;;) {
		struct handoff *h;

		while (handoff_queue == NULL)
			pthread_cond_wait(&handoff_queued, &handoff_lock);
		h = handoff_queue;
		handoff_queue = NULL;
		pthread_mutex_unlock(&handoff_lock);
		while (h != NULL) {
			struct handoff *next = h->next;

			h->resumed = 1;
			MHD_resume_connection(h->conn);
			h = next;
		}
		pthread_mutex_lock(&handoff_lock);
	}
	return NULL;
}

/* Suspends a request whose body is in and queues it for the answering thread. */
static enum MHD_Result hand_off(struct MHD_Connection *conn, struct handoff *h)
{
	h->conn = conn;
	MHD_suspend_connection(conn);
	pthread_mutex_lock(&handoff_lock);
	h->next = handoff_queue;
	handoff_queue = h;
	pthread_cond_signal(&handoff_queued);
	pthread_mutex_unlock(&handoff_lock);
	return MHD_YES;
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version, const char *upload_data,
			     size_t *upload_data_size, void **con_cls)
{
	static int first;
	struct MHD_Response *resp;
	enum MHD_Result r;

	(void)cls, (void)url, (void)method, (void)version, (void)upload_data;
	if (*con_cls == NULL) { /* the headers: read the body next */
		*con_cls = handoff_mode ? calloc(1, sizeof(struct handoff)) : (void *)&first;
		return *con_cls != NULL ? MHD_YES : MHD_NO;
	}
	if (*upload_data_size > 0) { /* a piece of the body, dropped */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (handoff_mode && !((struct handoff *)*con_cls)->resumed)
		return hand_off(conn, *con_cls);
	resp = MHD_create_response_from_buffer(strlen(answer), (void *)answer,
					       MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, answer_type);
	r = MHD_queue_response(conn, answer_status, resp);
	MHD_destroy_response(resp);
	return r;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)conn, (void)toe;
	if (handoff_mode)
		free(*con_cls);
	*con_cls = NULL;
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
	char *cert, *key, *ca = NULL, *fixed = NULL;
	/* The client CA, when given: libmicrohttpd then asks for a client certificate. */
	struct MHD_OptionItem trust[] = { { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL } };
	sigset_t set;
	pthread_t answer_thread;
	int sig;

	if (argc > 5 && strcmp(argv[argc - 1], "--handoff") == 0) {
		handoff_mode = 1;
		argc--;
	}
	if (argc != 5 && argc != 7) {
		fprintf(stderr, "usage: raw_http PORT CERT KEY THREADS [CLIENT_CA ANSWER] "
			"[--handoff]\n");
		return 2;
	}
	if ((cert = slurp(argv[2])) == NULL || (key = slurp(argv[3])) == NULL) {
		fprintf(stderr, "raw_http: cannot read %s or %s\n", argv[2], argv[3]);
		return 1;
	}
	if (argc == 7) {
		if ((ca = slurp(argv[5])) == NULL || (fixed = slurp(argv[6])) == NULL) {
			fprintf(stderr, "raw_http: cannot read %s or %s\n", argv[5], argv[6]);
			return 1;
		}
		trust[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, ca };
		answer = fixed;
		answer_type = "text/xml; charset=utf-8";
		answer_status = 200;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (handoff_mode && pthread_create(&answer_thread, NULL, answerer, NULL) != 0) {
		fprintf(stderr, "raw_http: no answering thread\n");
		return 1;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_TLS |
				     (handoff_mode ? MHD_ALLOW_SUSPEND_RESUME : 0),
			     (uint16_t)atoi(argv[1]), NULL, NULL, serve, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
			     MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[4]),
			     MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			     MHD_OPTION_ARRAY, trust, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "raw_http: libmicrohttpd did not start\n");
		return 1;
	}
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	free(cert);
	free(key);
	free(ca);
	free(fixed);
	return 0;
}
