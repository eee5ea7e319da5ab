/* cmd_topics.c: `gridgate topics check|items`: looks at the topic as a grid client does, with
 * the gateway's identity or another one (--jid/--password-file, e.g. a subscriber's); items is
 * the operator's directed or bulk historic query (RFC 8600), as files or as JSON lines. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "engine/config.h"
#include "grid/grid.h"
#include "grid/grid_reader.h"

static const char topics_usage[] =
	"usage: gridgate [-c FILE] topics check|items [--jid JID --password-file FILE] "
	"[--since ID|TIME] [--max N] [--format iodef|json] [--out DIR] [--list]\n";

/* What items writes: with iodef, DIR/ITEM-ID.xml per item (--out) and the ids (--list); with
 * json, one {"topic","id","payload"} per line on stdout. */
struct topics_out {
	const char *dir;
	int list, json;
};

static int write_file(const char *dir, const struct gg_topic_item *it)
{
	char path[4096];
	int fd;

	if (strchr(it->id, '/') != NULL || it->id[0] == '.' || it->id[0] == '\0') {
		fprintf(stderr, "gridgate: item id '%s' is not a file name\n", it->id);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.xml", dir, it->id);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, it->text, it->len) != (ssize_t)it->len) {
		fprintf(stderr, "gridgate: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (close(fd) != 0) {
		fprintf(stderr, "gridgate: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_json(const char *topic, const struct gg_topic_item *it)
{
	json_t *o = json_pack("{s:s, s:s, s:s%}", "topic", topic, "id", it->id, "payload",
			      it->text, it->len);
	int r = o != NULL ? json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) : -1;

	json_decref(o);
	if (r != 0) {
		fprintf(stderr, "gridgate: item %s: not UTF-8, or out of memory\n", it->id);
		return -1;
	}
	putchar('\n');
	return 0;
}

static int write_items(const struct topics_out *out, const char *topic,
		       const struct gg_topic_items *items)
{
	for (size_t i = 0; i < items->n; i++) {
		const struct gg_topic_item *it = &items->v[i];

		if (out->json ? write_json(topic, it) != 0
			      : out->dir != NULL && write_file(out->dir, it) != 0)
			return -1;
		if (out->list)
			printf("%s\n", it->id);
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

int gg_cmd_topics(const char *config_path, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "jid", required_argument, NULL, 'j' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ "since", required_argument, NULL, 's' },
		{ "max", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *jid = NULL, *password_file = NULL, *since = NULL, *format = "iodef", *action;
	struct gg_config *cfg = NULL;
	const struct gg_xmpp_conf *grid = NULL;
	struct gg_grid_session *s = NULL;
	struct gg_grid_reader *reader = NULL;
	struct gg_grid_topic topic = { 0 };
	struct gg_topic_items items = { 0 };
	struct topics_out out = { 0 };
	struct gg_grid_identity who;
	struct gg_error err;
	char *password = NULL, *end;
	int64_t since_us = GG_TIME_NONE;
	unsigned long max = 0;
	int opt, code = GG_EXIT_RUNTIME, r;

	/* 0, not 1: glibc then also resets its permutation state left by main's getopt. */
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': jid = optarg; break;
		case 'p': password_file = optarg; break;
		case 'o': out.dir = optarg; break;
		case 'l': out.list = 1; break;
		case 's': since = optarg; break;
		case 'f': format = optarg; break;
		case 'm':
			errno = 0;
			max = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || max == 0 ||
			    optarg[0] == '-') {
				fprintf(stderr, "gridgate: --max %s: not a positive number\n", optarg);
				return GG_EXIT_USAGE;
			}
			break;
		default: fputs(topics_usage, stderr); return GG_EXIT_USAGE;
		}
	}
	out.json = strcmp(format, "json") == 0;
	if (optind != argc - 1 || (strcmp(argv[optind], "check") != 0 &&
				   strcmp(argv[optind], "items") != 0) ||
	    (jid != NULL) != (password_file != NULL) ||
	    (!out.json && strcmp(format, "iodef") != 0) ||
	    (out.json && (out.dir != NULL || out.list)) ||
	    (strcmp(argv[optind], "check") == 0 &&
	     (since != NULL || max > 0 || out.json || out.dir != NULL || out.list))) {
		fputs(topics_usage, stderr);
		return GG_EXIT_USAGE;
	}
	action = argv[optind];
	/* A time is an RFC 3339 date-time; anything else is an item id. */
	if (since != NULL && gg_rfc3339_us(since, &since_us) != 0)
		since_us = GG_TIME_NONE;
	if (gg_config_load(config_path, &cfg, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		return GG_EXIT_USAGE;
	}
	if ((grid = gg_config_grid(cfg)) == NULL) {
		fprintf(stderr, "gridgate: %s has no XMPP-Grid output ([xmpp] or [out_grid:NAME])\n",
			cfg->path);
		goto out;
	}
	who = (struct gg_grid_identity){ grid->jid, grid->password, grid->client_cert,
					 grid->client_key };
	if (jid != NULL) {
		FILE *fp = fopen(password_file, "re");
		char line[512] = "";

		if (fp == NULL || fgets(line, sizeof(line), fp) == NULL) {
			fprintf(stderr, "gridgate: %s: cannot read\n", password_file);
			if (fp)
				fclose(fp);
			goto out;
		}
		fclose(fp);
		line[strcspn(line, "\r\n")] = '\0';
		password = strdup(line);
		who = (struct gg_grid_identity){ jid, password, NULL, NULL };
	}
	/* Before the session connects: the reader must see the stream from its header on. */
	if (strcmp(action, "items") == 0 && gg_grid_reader_new(&reader, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		goto out;
	}
	if (gg_grid_session_new(grid, &who, NULL, NULL, NULL, &s, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		goto out;
	}
	/* Tries until iq_timeout, but not again after a failure retrying cannot fix (password,
	 * certificate, port): the cause is the message, the one the daemon logs. */
	if (gg_grid_session_wait_up(s, grid->iq_timeout_ms) != 0) {
		const char *why;
		int final;

		gg_grid_session_last_failure(s, &why, &final);
		fprintf(stderr, "gridgate: cannot connect to the controller as %s: %s\n", who.jid,
			why[0] ? why : "no session");
		goto out;
	}
	if (gg_grid_topic_prepare(s, grid, 0, &topic, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		goto out;
	}
	if (strcmp(action, "check") == 0) {
		printf("service %s topic %s: present\n", topic.service, grid->topic);
		code = GG_EXIT_OK;
		goto out;
	}
	/* Without --since the controller picks the most recent max (XEP-0060 max_items); after
	 * an id or a time every item must be seen, then the first max after it are kept. */
	if (gg_grid_reader_fetch(reader, s, topic.service, grid->topic, since ? 0 : max, 60000,
				 &items, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		goto out;
	}
	r = gg_topic_items_select(&items, since_us == GG_TIME_NONE ? since : NULL, since_us,
				  since ? max : 0);
	if (r == -ENOENT) {
		fprintf(stderr, "gridgate: item %s is not on topic %s (retracted, or pushed out by "
			"pubsub#max_items?)\n", since, grid->topic);
		code = GG_EXIT_INVALID;
		goto out;
	}
	if (write_items(&out, grid->topic, &items) != 0)
		goto out;
	/* With json, stdout holds the JSON lines alone. */
	fprintf(out.json ? stderr : stdout, "%zu items on topic %s at %s%s%s\n", items.n,
		grid->topic, topic.service, since ? " after " : "", since ? since : "");
	code = GG_EXIT_OK;
out:
	gg_topic_items_free(&items);
	gg_grid_topic_clear(&topic);
	gg_grid_session_free(s);
	gg_grid_reader_free(reader);
	free(password);
	gg_config_free(cfg);
	return code;
}
