/* main.c: the gridgate command line: global options, then one subcommand in the style of
 * git/openssl (run, check-config, validate, topics, spool, version). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>

#include "cli/cmd.h"
#include "engine/config.h"
#include "engine/daemon.h"
#include "base/log.h"
#include "iodef/xmlsafe.h"

#define GG_DEFAULT_CONFIG GG_CONFIG_FILE

static const struct command {
	const char *name;
	int (*fn)(const char *config_path, int argc, char **argv);
	const char *help;
} commands[] = {
	{ "run", gg_cmd_run, "run the gateway (inputs -> spool -> XMPP-Grid) until SIGTERM" },
	{ "check-config", gg_cmd_check_config, "load the configuration and schemas, report" },
	{ "validate", gg_cmd_validate, "validate IODEF documents: validate FILE..." },
	{ "topics", gg_cmd_topics, "inspect the topic: topics check | topics items [--out DIR]" },
	{ "spool", gg_cmd_spool, "inspect the spool: spool stats, spool refused [MAX]" },
	{ "map", gg_cmd_map, "run mappings on log lines: map -m MAPPING [--explain] [FILE...]" },
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: gridgate [-c FILE] [-d] COMMAND [ARGS]\n"
		    "  -c FILE  configuration (default " GG_DEFAULT_CONFIG ")\n"
		    "  -d       debug logging\n"
		    "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-13s %s\n", commands[i].name, commands[i].help);
	fprintf(fp, "  %-13s %s\n", "version", "print the version");
	fprintf(fp, "environment:\n"
		    "  GRIDGATE_DATADIR=DIR  read schemas/ and mappings/ from DIR instead of\n"
		    "                        " GG_DATADIR " (or, uninstalled, the source tree)\n");
}

int gg_cmd_run(const char *config_path, int argc, char **argv)
{
	struct gg_config *cfg = NULL;
	struct gg_error err;
	enum gg_log_level level;
	int code;

	if (gg_config_load(config_path, &cfg, &err) != 0) {
		fprintf(stderr, "gridgate: %s\n", err.msg);
		return GG_EXIT_USAGE;
	}
	if (gg_log_level_parse(cfg->global.log_level, &level) == 0 &&
	    getenv("GRIDGATE_DEBUG") == NULL)
		gg_log_set_level(level);
	code = gg_daemon_run(cfg);
	gg_config_free(cfg);
	return code;
}

int main(int argc, char **argv)
{
	const char *config_path = GG_DEFAULT_CONFIG;
	int opt;

	gg_log_init(GG_LOG_INFO);
	while ((opt = getopt(argc, argv, "+c:dhV")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'd':
			setenv("GRIDGATE_DEBUG", "1", 1);
			gg_log_set_level(GG_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return GG_EXIT_OK;
		case 'V':
			puts(PACKAGE_STRING);
			return GG_EXIT_OK;
		default:
			usage(stderr);
			return GG_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return GG_EXIT_USAGE;
	}
	if (strcmp(argv[optind], "version") == 0) {
		puts(PACKAGE_STRING);
		return GG_EXIT_OK;
	}
	if (strcmp(argv[optind], "help") == 0) {
		usage(stdout);
		return GG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		int code;

		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		gg_xml_init();
		xmpp_initialize();
		code = commands[i].fn(config_path, argc - optind, argv + optind);
		xmpp_shutdown();
		return code;
	}
	fprintf(stderr, "gridgate: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return GG_EXIT_USAGE;
}
