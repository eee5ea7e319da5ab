/* paced_publisher.c: bench/export's publisher: raw libstrophe, publishing COUNT items to NODE at
 * RATE items/s (0: as fast as WINDOW IQs in flight allow), each stamped with its publish time.
 * Item i's id, and the text of every "@ID@" in TEMPLATE (its IncidentID), is
 *   PREFIX.i.PUBLISHED_US
 * PUBLISHED_US: CLOCK_REALTIME in microseconds, read just before the item is handed to
 * libstrophe, so a receiver on the same machine reads the latency from the event itself.
 * The node is created first (RFC 8600: pubsub#type IODEF 2.0, open, persistent; a conflict, the
 * node already there, is fine); COUNT 0 only creates it.
 *   paced_publisher JID PASSWORD HOST PORT CAFILE SERVICE NODE TEMPLATE PREFIX COUNT RATE
 * WINDOW from the environment (default 64). Prints "ACKED ERRORS SEND_SECONDS OFFERED_RATE":
 * items the controller acknowledged, refused, the time from the first item sent to the last,
 * and COUNT over that time. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <time.h>

#define MARK "@ID@"

struct pub {
	xmpp_ctx_t *ctx;
	xmpp_conn_t *conn;
	const char *service, *node, *prefix;
	char **parts; /* the template cut at each MARK */
	size_t n_parts, template_len;
	char *buf;
	size_t count, sent, acked, errors, window;
	double rate, t0, t_last;
	int up, created, done;
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* TEMPLATE whole, cut at each MARK; the pieces point into one buffer kept for the run. */
static int load_template(struct pub *p, const char *path)
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
	p->template_len = (size_t)n;
	p->n_parts = 1;
	for (q = text; (q = strstr(q, MARK)) != NULL; q += strlen(MARK))
		p->n_parts++;
	if ((p->parts = calloc(p->n_parts, sizeof(*p->parts))) == NULL ||
	    (p->buf = malloc(p->template_len + p->n_parts * 64 + 1024)) == NULL) {
		free(text);
		return -1;
	}
	for (size_t i = 0; i < p->n_parts; i++) {
		p->parts[i] = text + at;
		if ((q = strstr(text + at, MARK)) != NULL) {
			*q = '\0';
			at = (size_t)(q - text) + strlen(MARK);
		}
	}
	return 0;
}

/* Item p->sent, stamped now. */
static void publish_one(struct pub *p)
{
	char id[96];
	size_t at, idlen;

	idlen = (size_t)snprintf(id, sizeof(id), "%s.%zu.%lld", p->prefix, p->sent, real_us());
	at = (size_t)sprintf(p->buf,
			     "<iq type='set' id='p%zu' to='%s'><pubsub xmlns='http://jabber.org/"
			     "protocol/pubsub'><publish node='%s'><item id='%s'>",
			     p->sent, p->service, p->node, id);
	for (size_t i = 0; i < p->n_parts; i++) {
		size_t n = strlen(p->parts[i]);

		memcpy(p->buf + at, p->parts[i], n);
		at += n;
		if (i + 1 < p->n_parts) {
			memcpy(p->buf + at, id, idlen);
			at += idlen;
		}
	}
	at += (size_t)sprintf(p->buf + at, "</item></publish></pubsub></iq>");
	xmpp_send_raw(p->conn, p->buf, at);
	if (p->sent == 0)
		p->t0 = mono_s();
	p->t_last = mono_s();
	p->sent++;
}

/* Every item due by now, within the window. */
static void send_due(struct pub *p)
{
	double now = mono_s();

	while (p->sent < p->count && p->sent - p->acked - p->errors < p->window &&
	       (p->rate <= 0 || p->sent == 0 || now >= p->t0 + (double)p->sent / p->rate))
		publish_one(p);
}

static int on_iq(xmpp_conn_t *conn, xmpp_stanza_t *st, void *arg)
{
	struct pub *p = arg;
	const char *id = xmpp_stanza_get_id(st), *type = xmpp_stanza_get_type(st);

	(void)conn;
	if (id == NULL || type == NULL)
		return 1;
	if (strcmp(id, "create") == 0) {
		/* An error is the node already there (conflict); a real refusal shows as
		 * every publish refused. */
		p->created = 1;
	} else if (id[0] == 'p') {
		if (strcmp(type, "result") == 0)
			p->acked++;
		else if (strcmp(type, "error") == 0)
			p->errors++;
	}
	if (p->created && p->acked + p->errors == p->count)
		p->done = 1;
	return 1;
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t ev, int err, xmpp_stream_error_t *se,
		    void *arg)
{
	struct pub *p = arg;

	(void)conn, (void)err, (void)se;
	p->up = ev == XMPP_CONN_CONNECT;
	if (!p->up)
		p->done = 1;
}

static void create_node(struct pub *p)
{
	char iq[2048];
	int n = snprintf(
		iq, sizeof(iq),
		"<iq type='set' id='create' to='%s'><pubsub xmlns='http://jabber.org/protocol/"
		"pubsub'><create node='%s'/><configure><x xmlns='jabber:x:data' type='submit'>"
		"<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/"
		"pubsub#node_config</value></field>"
		"<field var='pubsub#type'><value>urn:ietf:params:xml:ns:iodef-2.0</value></field>"
		"<field var='pubsub#access_model'><value>open</value></field>"
		"<field var='pubsub#persist_items'><value>1</value></field>"
		"<field var='pubsub#max_items'><value>100000</value></field>"
		"<field var='pubsub#send_last_published_item'><value>never</value></field>"
		"</x></configure></pubsub></iq>",
		p->service, p->node);

	xmpp_send_raw(p->conn, iq, (size_t)n);
}

int main(int argc, char **argv)
{
	struct pub p = { 0 };
	const char *w = getenv("WINDOW");

	if (argc != 12) {
		fprintf(stderr, "usage: paced_publisher JID PASSWORD HOST PORT CAFILE SERVICE NODE "
				"TEMPLATE PREFIX COUNT RATE\n  (WINDOW from $WINDOW, default 64)\n");
		return 2;
	}
	p.service = argv[6];
	p.node = argv[7];
	p.prefix = argv[9];
	p.count = (size_t)strtoull(argv[10], NULL, 10);
	p.rate = atof(argv[11]);
	p.window = w != NULL && atoi(w) > 0 ? (size_t)atoi(w) : 64;
	if (load_template(&p, argv[8]) != 0) {
		fprintf(stderr, "paced_publisher: cannot read %s\n", argv[8]);
		return 2;
	}
	xmpp_initialize();
	p.ctx = xmpp_ctx_new(NULL, NULL);
	p.conn = xmpp_conn_new(p.ctx);
	xmpp_conn_set_flags(p.conn, XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_DISABLE_SM);
	xmpp_conn_set_jid(p.conn, argv[1]);
	xmpp_conn_set_pass(p.conn, argv[2]);
	xmpp_conn_set_cafile(p.conn, argv[5]);
	xmpp_handler_add(p.conn, on_iq, NULL, "iq", NULL, &p);
	if (xmpp_connect_client(p.conn, argv[3], (unsigned short)atoi(argv[4]), on_conn, &p) !=
	    XMPP_EOK)
		return 3;
	while (!p.up && !p.done)
		xmpp_run_once(p.ctx, 10);
	if (!p.up)
		return 3;
	create_node(&p);
	while (!p.created && !p.done)
		xmpp_run_once(p.ctx, 10);
	while (!p.done) {
		long wait_ms = 1;

		send_due(&p);
		/* libstrophe writes what was queued at the top of its next turn; sleeping no more
		 * than until the next item is due keeps the pace within a millisecond. */
		if (p.rate > 0 && p.sent < p.count && p.sent > 0) {
			double due = p.t0 + (double)p.sent / p.rate - mono_s();

			wait_ms = due > 0.001 ? (long)(due * 1000) : 1;
		}
		xmpp_run_once(p.ctx, (unsigned long)wait_ms);
	}
	printf("%zu %zu %.3f %.1f\n", p.acked, p.errors, p.t_last - p.t0,
	       p.sent > 1 && p.t_last > p.t0 ? (double)(p.sent - 1) / (p.t_last - p.t0) : 0.0);
	xmpp_disconnect(p.conn);
	for (int i = 0; i < 100 && p.up; i++)
		xmpp_run_once(p.ctx, 10);
	xmpp_conn_release(p.conn);
	xmpp_ctx_free(p.ctx);
	xmpp_shutdown();
	free(p.parts[0]);
	free(p.parts);
	free(p.buf);
	return p.errors || p.acked != p.count ? 1 : 0;
}
