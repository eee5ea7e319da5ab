/* raw_publisher.c: the benchmark baseline: the least a publisher can do with libstrophe: read
 * documents, publish them pipelined (a window of IQs), count results. No spool, no validation. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <time.h>

struct raw {
	xmpp_ctx_t *ctx;
	xmpp_conn_t *conn;
	char **docs;
	size_t n_docs, sent, acked, errors;
	int window, up, done;
	const char *service, *node;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Drops the XML declaration: a payload cannot carry one inside a stanza. */
static char *read_doc(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf, *start;
	long n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0) {
		if (fp)
			fclose(fp);
		return NULL;
	}
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	start = strncmp(buf, "<?xml", 5) == 0 ? strstr(buf, "?>") + 2 : buf;
	memmove(buf, start, strlen(start) + 1);
	return buf;
}

static void send_more(struct raw *r)
{
	while (r->sent < r->n_docs && r->sent - r->acked - r->errors < (size_t)r->window) {
		char head[512];
		int n = snprintf(head, sizeof(head),
				 "<iq type='set' id='r%zu' to='%s'><pubsub xmlns='http://jabber.org/"
				 "protocol/pubsub'><publish node='%s'><item id='raw-%zu'>",
				 r->sent, r->service, r->node, r->sent);

		xmpp_send_raw(r->conn, head, (size_t)n);
		xmpp_send_raw(r->conn, r->docs[r->sent], strlen(r->docs[r->sent]));
		xmpp_send_raw_string(r->conn, "</item></publish></pubsub></iq>");
		r->sent++;
	}
}

static int on_iq(xmpp_conn_t *conn, xmpp_stanza_t *st, void *arg)
{
	struct raw *r = arg;
	const char *id = xmpp_stanza_get_id(st), *type = xmpp_stanza_get_type(st);

	if (id == NULL || id[0] != 'r' || type == NULL)
		return 1;
	if (strcmp(type, "result") == 0)
		r->acked++;
	else if (strcmp(type, "error") == 0)
		r->errors++;
	if (r->acked + r->errors == r->n_docs)
		r->done = 1;
	else
		send_more(r);
	return 1;
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t ev, int err, xmpp_stream_error_t *se,
		    void *arg)
{
	struct raw *r = arg;

	r->up = ev == XMPP_CONN_CONNECT;
	if (!r->up)
		r->done = 1;
}

int main(int argc, char **argv)
{
	struct raw r = { 0 };
	struct dirent *de;
	DIR *d;
	double t0, t1;

	if (argc != 9) {
		fprintf(stderr, "usage: raw_publisher JID PASSWORD HOST PORT CAFILE SERVICE NODE DIR\n"
				"  (the node must exist; WINDOW from $WINDOW, default 64)\n");
		return 2;
	}
	r.service = argv[6];
	r.node = argv[7];
	r.window = getenv("WINDOW") ? atoi(getenv("WINDOW")) : 64;
	if ((d = opendir(argv[8])) == NULL)
		return 3;
	while ((de = readdir(d)) != NULL) {
		char path[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[8], de->d_name);
		r.docs = realloc(r.docs, (r.n_docs + 1) * sizeof(*r.docs));
		if (r.docs == NULL || (r.docs[r.n_docs] = read_doc(path)) == NULL)
			return 3;
		r.n_docs++;
	}
	closedir(d);
	xmpp_initialize();
	r.ctx = xmpp_ctx_new(NULL, NULL);
	r.conn = xmpp_conn_new(r.ctx);
	xmpp_conn_set_flags(r.conn, XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_DISABLE_SM);
	xmpp_conn_set_jid(r.conn, argv[1]);
	xmpp_conn_set_pass(r.conn, argv[2]);
	xmpp_conn_set_cafile(r.conn, argv[5]);
	xmpp_handler_add(r.conn, on_iq, NULL, "iq", NULL, &r);
	if (xmpp_connect_client(r.conn, argv[3], (unsigned short)atoi(argv[4]), on_conn, &r) !=
	    XMPP_EOK)
		return 3;
	while (!r.up && !r.done)
		xmpp_run_once(r.ctx, 10);
	if (!r.up)
		return 3;
	t0 = now_s();
	send_more(&r);
	while (!r.done)
		xmpp_run_once(r.ctx, 1);
	t1 = now_s();
	printf("%zu published, %zu errors, %.3f s, %.0f items/s\n", r.acked, r.errors, t1 - t0,
	       (double)r.acked / (t1 - t0));
	xmpp_disconnect(r.conn);
	for (int i = 0; i < 100 && r.up; i++)
		xmpp_run_once(r.ctx, 10);
	xmpp_conn_release(r.conn);
	xmpp_ctx_free(r.ctx);
	xmpp_shutdown();
	for (size_t i = 0; i < r.n_docs; i++)
		free(r.docs[i]);
	free(r.docs);
	return r.errors ? 1 : 0;
}
