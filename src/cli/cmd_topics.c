/* cmd_topics.c: `gridgate topics check|items`: looks at the topic as a grid client does, with
 * the gateway's identity or another one (--jid/--password-file, e.g. a subscriber's). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "engine/config.h"
#include "grid/grid.h"

static const char topics_usage[] =
	"usage: gridgate [-c FILE] topics check|items [--jid JID --password-file FILE] "
	"[--out DIR] [--list]\n";

int gg_cmd_topics(const char *config_path, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "jid", required_argument, NULL, 'j' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *jid = NULL, *password_file = NULL, *out_dir = NULL, *action;
	struct gg_config *cfg = NULL;
	const struct gg_xmpp_conf *grid = NULL;
	struct gg_grid_session *s = NULL;
	struct gg_grid_topic topic = { 0 };
	struct gg_grid_identity who;
	struct gg_error err;
	char *password = NULL;
	int opt, list = 0, code = GG_EXIT_RUNTIME, n;

	/* 0, not 1: glibc then also resets its permutation state left by main's getopt. */
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': jid = optarg; break;
		case 'p': password_file = optarg; break;
		case 'o': out_dir = optarg; break;
		case 'l': list = 1; break;
		default: fputs(topics_usage, stderr); return GG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || (strcmp(argv[optind], "check") != 0 &&
				   strcmp(argv[optind], "items") != 0) ||
	    (jid != NULL) != (password_file != NULL)) {
		fputs(topics_usage, stderr);
		return GG_EXIT_USAGE;
	}
	action = argv[optind];
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
	n = gg_grid_fetch_items(s, topic.service, grid->topic, out_dir, list ? stdout : NULL,
				&err);
	if (n < 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		goto out;
	}
	printf("%d items on topic %s at %s\n", n, grid->topic, topic.service);
	code = GG_EXIT_OK;
out:
	gg_grid_topic_clear(&topic);
	gg_grid_session_free(s);
	free(password);
	gg_config_free(cfg);
	return code;
}
