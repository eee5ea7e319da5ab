/* raw_subscriber.c: bench/export's baseline: the least a subscriber can do with libstrophe:
 * subscribe its full JID to NODE (so the controller sends this session, and no other session of
 * the account, the events), then note the time each event arrives. No spool, no validation, no
 * HTTP. For each item of each event it appends one line to LOG, in https_sink's form:
 *   RECEIVED_US 0 ITEM_ID ITEM_ID
 * RECEIVED_US: CLOCK_REALTIME in microseconds when libstrophe handed over the message (the item
 * id carries the publish time, see paced_publisher.c). Prints "ready" once subscribed, then runs
 * until SIGTERM or SIGINT.
 *   raw_subscriber JID/RESOURCE PASSWORD HOST PORT CAFILE SERVICE NODE LOG */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <time.h>
#include <unistd.h>

struct sub {
	const char *service, *node;
	int log_fd, up, subscribed, failed;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int on_iq(xmpp_conn_t *conn, xmpp_stanza_t *st, void *arg)
{
	struct sub *s = arg;
	const char *id = xmpp_stanza_get_id(st), *type = xmpp_stanza_get_type(st);

	(void)conn;
	if (id == NULL || type == NULL || strcmp(id, "sub") != 0)
		return 1;
	if (strcmp(type, "result") == 0)
		s->subscribed = 1;
	else
		s->failed = 1;
	return 1;
}

static int on_message(xmpp_conn_t *conn, xmpp_stanza_t *st, void *arg)
{
	struct sub *s = arg;
	struct timespec ts;
	xmpp_stanza_t *ev, *items, *item;
	long long us;

	(void)conn;
	clock_gettime(CLOCK_REALTIME, &ts);
	us = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if ((ev = xmpp_stanza_get_child_by_name(st, "event")) == NULL ||
	    (items = xmpp_stanza_get_child_by_name(ev, "items")) == NULL)
		return 1;
	for (item = xmpp_stanza_get_children(items); item; item = xmpp_stanza_get_next(item)) {
		const char *name = xmpp_stanza_get_name(item), *iid;
		char line[300];
		int n;

		if (name == NULL || strcmp(name, "item") != 0 ||
		    (iid = xmpp_stanza_get_attribute(item, "id")) == NULL)
			continue;
		n = snprintf(line, sizeof(line), "%lld 0 %s %s\n", us, iid, iid);
		if (n > 0 && (size_t)n < sizeof(line) && write(s->log_fd, line, (size_t)n) != n)
			perror("raw_subscriber: log");
	}
	return 1;
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t ev, int err, xmpp_stream_error_t *se,
		    void *arg)
{
	struct sub *s = arg;

	(void)conn, (void)err, (void)se;
	s->up = ev == XMPP_CONN_CONNECT;
	if (!s->up)
		s->failed = 1;
}

int main(int argc, char **argv)
{
	struct sub s = { 0 };
	xmpp_ctx_t *ctx;
	xmpp_conn_t *conn;
	char iq[1024];
	int n;

	if (argc != 9) {
		fprintf(stderr, "usage: raw_subscriber JID/RESOURCE PASSWORD HOST PORT CAFILE SERVICE "
				"NODE LOG\n");
		return 2;
	}
	s.service = argv[6];
	s.node = argv[7];
	if ((s.log_fd = open(argv[8], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
		perror(argv[8]);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	xmpp_initialize();
	ctx = xmpp_ctx_new(NULL, NULL);
	conn = xmpp_conn_new(ctx);
	xmpp_conn_set_flags(conn, XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_DISABLE_SM);
	xmpp_conn_set_jid(conn, argv[1]);
	xmpp_conn_set_pass(conn, argv[2]);
	xmpp_conn_set_cafile(conn, argv[5]);
	xmpp_handler_add(conn, on_iq, NULL, "iq", NULL, &s);
	xmpp_handler_add(conn, on_message, NULL, "message", NULL, &s);
	if (xmpp_connect_client(conn, argv[3], (unsigned short)atoi(argv[4]), on_conn, &s) !=
	    XMPP_EOK)
		return 3;
	while (!s.up && !s.failed && !stop)
		xmpp_run_once(ctx, 10);
	if (!s.up)
		return 3;
	/* Available, as gridgate's subscriber is; the subscription names this session. */
	xmpp_send_raw_string(conn, "<presence/>");
	n = snprintf(iq, sizeof(iq),
		     "<iq type='set' id='sub' to='%s'><pubsub xmlns='http://jabber.org/protocol/"
		     "pubsub'><subscribe node='%s' jid='%s'/></pubsub></iq>",
		     s.service, s.node, xmpp_conn_get_bound_jid(conn));
	xmpp_send_raw(conn, iq, (size_t)n);
	while (!s.subscribed && !s.failed && !stop)
		xmpp_run_once(ctx, 10);
	if (!s.subscribed) {
		fprintf(stderr, "raw_subscriber: the subscription to %s was refused\n", s.node);
		return 3;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop && !s.failed)
		xmpp_run_once(ctx, 100);
	n = s.failed; /* the session lost before we were told to stop */
	xmpp_disconnect(conn);
	for (int i = 0; i < 100 && s.up; i++)
		xmpp_run_once(ctx, 10);
	xmpp_conn_release(conn);
	xmpp_ctx_free(ctx);
	xmpp_shutdown();
	close(s.log_fd);
	return n ? 1 : 0;
}
