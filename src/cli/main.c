/* main.c: the gridgate command line: global options, then one subcommand in the style of
 * git/openssl (run, check-config, validate, topics, spool, version). */
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>

#include "cli/cmd.h"
#include "engine/config.h"
#include "engine/config_doc.h"
#include "engine/daemon.h"
#include "base/log.h"
#include "iodef/xmlsafe.h"

#define GG_DEFAULT_CONFIG GG_CONFIG_FILE

static const struct gg_cmd_option validate_options[] = {
	{ "-s, --schema-dir DIR", "read iodef-2.0.xsd and its imports from DIR "
	  "(default: $GRIDGATE_SCHEMA_DIR, else the installed schemas)" },
	{ NULL, NULL },
};

static const struct gg_cmd_option topics_options[] = {
	{ "--jid JID", "log in as JID instead of the configuration's [xmpp] jid (with "
	  "--password-file)" },
	{ "--password-file FILE", "the password of --jid: the first line of FILE" },
	{ "--since ID|TIME", "items: only the items published after item ID, or (an RFC 3339 "
	  "date-time) those whose document is later than TIME: the latest ReportTime or "
	  "GenerationTime of its Incidents (Prosody tells no client when an item was published)" },
	{ "--max N", "items: at most N: the first N after --since (page on with --since the last "
	  "id printed), else the N most recent" },
	{ "--format iodef|json", "items: iodef (default) writes files with --out; json prints one "
	  "{\"topic\",\"id\",\"payload\"} object per line (the payload document as a string) and "
	  "the count on standard error" },
	{ "--out DIR", "items, iodef: write each item's payload to DIR/ITEM-ID.xml" },
	{ "--list", "items, iodef: print each item's id" },
	{ NULL, NULL },
};

static const struct gg_cmd_option map_options[] = {
	{ "-m, --mapping NAME", "a mapping to try, in order (repeatable): a name in the "
	  "mapping directory, a path to a .map file, or * for every mapping there" },
	{ "-e, --explain", "print which rule of which mapping matched each line, and why others "
	  "did not" },
	{ "-q, --quiet", "print no documents, only the verdicts" },
	{ "-S, --stats", "print counts of mapped, ignored, unmatched, invalid and failed lines at "
	  "the end" },
	{ "-n, --now TIME", "the current time (YYYY-MM-DDTHH:MM:SSZ) for stamps without a year" },
	{ "-z, --timezone ZONE", "zone of stamps written without one: UTC or +HH:MM" },
	{ "-C, --csirt NAME", "IncidentID@name of built documents (default gridgate.invalid)" },
	{ "-i, --input NAME", "the input name mappings may select on (default map)" },
	{ "-M, --mapping-dir DIR", "where mapping names are looked up (default: "
	  "$GRIDGATE_MAPPING_DIR, else the installed mappings)" },
	{ "-s, --schema-dir DIR", "where iodef-2.0.xsd is (default: $GRIDGATE_SCHEMA_DIR, else "
	  "the installed schemas)" },
	{ NULL, NULL },
};

static const struct gg_cmd_option spool_options[] = {
	{ "--output NAME", "refused: only the dead letters of output NAME" },
	{ "--older-than AGE", "quarantine purge: only records quarantined more than AGE ago "
	  "(90s, 30m, 12h, 7d)" },
	{ NULL, NULL },
};

static const struct gg_cmd_option help_options[] = {
	{ "--man8", "write gridgate(8) in roff" },
	{ "--man5", "write gridgate.conf(5) in roff" },
	{ "--keys", "list SECTION KEY DEFAULT of every option, one per line (for tests)" },
	{ NULL, NULL },
};

const struct gg_cmd_option gg_global_options_help[] = {
	{ "-c, --config FILE", "the configuration (default " GG_DEFAULT_CONFIG ")" },
	{ "-d, --debug", "log debug messages too, whatever log_level says" },
	{ "-h, --help", "print the commands and exit" },
	{ "-V, --version", "print the version and exit" },
	{ NULL, NULL },
};

const struct gg_command gg_commands[] = {
	{ "run", gg_cmd_run, "",
	  "run the gateway (inputs -> spool -> XMPP-Grid) until SIGTERM",
	  "Loads the configuration, opens the spool, starts every input and output, and runs "
	  "until SIGTERM or SIGINT. SIGHUP reads the whole configuration again (a file with an "
	  "error is refused and the running one stays); SIGUSR1 logs the counters.", NULL },
	{ "check-config", gg_cmd_check_config, "",
	  "load the configuration, schemas and mappings, and report",
	  "Loads the configuration, the schemas and every input's mappings as run would, prints "
	  "what it found and \"configuration OK\", or names the first error with file:line.", NULL },
	{ "validate", gg_cmd_validate, "[--schema-dir DIR] FILE...",
	  "validate IODEF documents",
	  "Validates each FILE against IODEF 2.0 (RFC 7970); an IODEF 1.0 document is upgraded "
	  "first. Exit 1 when a document is invalid, 3 when one cannot be read. Reads no "
	  "configuration.", validate_options },
	{ "topics", gg_cmd_topics, "check|items [--jid JID --password-file FILE] [--since ID|TIME] "
	  "[--max N] [--format iodef|json] [--out DIR] [--list]",
	  "inspect the topic on the controller",
	  "check logs in to the controller of the configuration's [xmpp] section, finds the pubsub "
	  "service and says whether the topic exists; a connection that cannot succeed (refused "
	  "port, DNS, TLS verification, SASL refusal) fails at once with its cause and what to "
	  "check, exit 3. items is the directed or bulk historic query of RFC 8600: it fetches "
	  "the topic's items (XEP-0060 item retrieval) in the order the controller keeps them "
	  "(Prosody: publish order), each payload as the controller sent it, read from the "
	  "stream's bytes (namespaced attributes kept); exit 1 when the --since ID is not on "
	  "the topic.",
	  topics_options },
	{ "spool", gg_cmd_spool, "stats | refused [MAX] [--output NAME] | requeue SEQ | "
	  "retry OUTPUT [SEQ|all] | purge-dead OUTPUT | quarantine [list [MAX] | show ID | "
	  "release ID | purge [--older-than AGE]]",
	  "inspect the spool, its dead letters and its quarantine",
	  "stats prints the spool's pending, published, refused and quarantined counts, then per "
	  "output its depth, the age of its oldest pending record, delivered and dead; refused "
	  "prints the newest MAX (default 20) dead letters (records an output refused or gave up "
	  "on), of every output or of output NAME, with the reason; requeue puts refused record "
	  "SEQ back in its outputs' queues. retry OUTPUT puts that output's dead letters (all, "
	  "or SEQ alone) back in its queue with their attempts counted from zero, once the "
	  "endpoint is fixed; purge-dead OUTPUT deletes them (a record no other output still "
	  "needs goes with them). A running gridgate sends requeued records within a minute (an "
	  "export output within seconds). quarantine list prints the newest MAX (default 20) "
	  "records an input "
	  "refused, one line each: seq, record id, source input, when, payload size, line:column "
	  "and reason. quarantine show ID prints one whole (ID: its seq, or a record id) and its "
	  "payload as stored. quarantine release ID runs it again through today's engine as its "
	  "input would (mappings, schema, max_document_size as the configuration now says): when "
	  "it passes it is queued and its quarantine row deleted in one transaction; when it "
	  "fails again the reason is printed, the row kept, and the exit status is 1. quarantine "
	  "purge deletes every quarantined record, or those older than AGE, and prints how many.",
	  spool_options },
	{ "map", gg_cmd_map, "-m MAPPING [-m MAPPING]... [OPTIONS] [FILE...]",
	  "run mappings on log lines",
	  "Maps each line of the FILEs (or standard input) with the mappings and prints the IODEF "
	  "document each line becomes, validated (one per element for a JSON line a mapping "
	  "splits with each). Reads no configuration: a mapping is tried before an input names "
	  "it.", map_options },
	{ "help", gg_cmd_help, "[COMMAND | SECTION | --man8 | --man5]",
	  "list commands and configuration sections, or explain one",
	  "Without an argument, lists the commands and the configuration sections and input "
	  "kinds. With a COMMAND, prints its usage; with a SECTION (gridgate, spool, xmpp, input, "
	  "or an input kind such as filedrop or syslog), every option of it with its type, "
	  "accepted values, default and help, from the same table the configuration is read "
	  "with.", help_options },
	{ "version", NULL, "", "print the version", "Prints the package name and version.", NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

const struct gg_command *gg_command_find(const char *name)
{
	for (const struct gg_command *c = gg_commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void gg_command_usage(FILE *fp, const struct gg_command *cmd)
{
	fprintf(fp, "usage: gridgate [-c FILE] %s%s%s\n%s.\n\n", cmd->name,
		cmd->args[0] ? " " : "", cmd->args, cmd->summary);
	gg_print_wrapped(fp, cmd->text, 0, 0, 78);
	if (cmd->options != NULL) {
		fprintf(fp, "\noptions:\n");
		for (const struct gg_cmd_option *o = cmd->options; o->flags != NULL; o++)
			gg_print_wrapped(fp, o->help, fprintf(fp, "  %-23s", o->flags), 26, 78);
	}
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: gridgate [-c FILE] [-d] COMMAND [ARGS]\n"
		    "       gridgate COMMAND --help | gridgate help [COMMAND | SECTION]\n");
	for (const struct gg_cmd_option *o = gg_global_options_help; o->flags != NULL; o++)
		fprintf(fp, "  %-20s %s\n", o->flags, o->help);
	fprintf(fp, "commands:\n");
	for (const struct gg_command *c = gg_commands; c->name != NULL; c++)
		fprintf(fp, "  %-13s %s\n", c->name, c->summary);
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

/* `gridgate COMMAND --help` (or -h) anywhere before "--": the usage, and no config opened. */
static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = GG_DEFAULT_CONFIG;
	const struct gg_command *cmd;
	int opt, code;

	/* SQLite's allocation statistics take one process-wide mutex on every allocation, which
	 * the spool writer, the checkpointer and the workers' connections then take in turn
	 * (a twentieth of the writer's time under bench/syslog); nothing here reads them. Only
	 * before SQLite's first use. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	gg_log_init(GG_LOG_INFO);
	while ((opt = getopt_long(argc, argv, "+c:dhV", longopts, NULL)) != -1) {
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
	cmd = gg_command_find(argv[optind]);
	if (cmd == NULL) {
		fprintf(stderr, "gridgate: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return GG_EXIT_USAGE;
	}
	if (wants_help(argc - optind, argv + optind)) {
		gg_command_usage(stdout, cmd);
		return GG_EXIT_OK;
	}
	if (cmd->fn == NULL) { /* version */
		puts(PACKAGE_STRING);
		return GG_EXIT_OK;
	}
	if (cmd->fn == gg_cmd_help)
		return gg_cmd_help(config_path, argc - optind, argv + optind);
	gg_xml_init();
	xmpp_initialize();
	code = cmd->fn(config_path, argc - optind, argv + optind);
	xmpp_shutdown();
	return code;
}
