/* cmd_help.c: `gridgate help`: the commands, the configuration sections and plugin kinds, one
 * section's options, and the man pages gridgate(8) and gridgate.conf(5), all printed from the
 * command table and the option tables. */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "engine/adapter.h"
#include "engine/config.h"
#include "engine/config_doc.h"

static void help_overview(FILE *fp)
{
	fprintf(fp, "usage: gridgate [-c FILE] [-d] COMMAND [ARGS]; gridgate COMMAND --help\n"
		    "commands:\n");
	for (const struct gg_command *c = gg_commands; c->name != NULL; c++)
		fprintf(fp, "  %-13s %s\n", c->name, c->summary);
	fprintf(fp, "configuration sections (gridgate help SECTION lists their options):\n");
	for (const struct gg_config_section *s = gg_config_sections; s->name != NULL; s++)
		fprintf(fp, "  %-13s %s\n", s->name, s->desc);
	fprintf(fp, "input kinds, one [KIND:NAME] section per instance (gridgate help KIND):\n");
	for (size_t i = 0; gg_adapters[i] != NULL; i++)
		if (gg_adapters[i]->kind == GG_PLUGIN_INPUT)
			fprintf(fp, "  %-13s %s\n", gg_adapters[i]->name, gg_adapters[i]->desc);
	fprintf(fp, "output kinds, one [KIND:NAME] section per instance ([xmpp] is out_grid:grid):\n");
	for (size_t i = 0; gg_adapters[i] != NULL; i++)
		if (gg_adapters[i]->kind == GG_PLUGIN_OUTPUT)
			fprintf(fp, "  %-13s %s\n", gg_adapters[i]->name, gg_adapters[i]->desc);
	fprintf(fp, "environment:\n"
		    "  GRIDGATE_DATADIR  where schemas/ and mappings/ are, instead of the installed "
		    "data\n"
		    "                    directory (an uninstalled build finds its source tree's)\n");
}

static const struct gg_config_section *section_find(const char *name)
{
	for (const struct gg_config_section *s = gg_config_sections; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* SECTION KEY DEFAULT per option ("-": none), for the tests that hold docs and the example
 * configuration to the tables. */
static void help_keys(FILE *fp)
{
	const struct gg_option *o;

	for (const struct gg_config_section *s = gg_config_sections; s->name != NULL; s++)
		for (o = s->options; o->key != NULL; o++)
			fprintf(fp, "%s %s %s\n", s->name, o->key, o->def ? o->def : "-");
	for (size_t i = 0; gg_adapters[i] != NULL; i++)
		for (o = gg_adapters[i]->options; o != NULL && o->key != NULL; o++)
			fprintf(fp, "%s %s %s\n", gg_adapters[i]->name, o->key, o->def ? o->def : "-");
}

static void man_options(FILE *fp, const struct gg_cmd_option *o)
{
	for (; o != NULL && o->flags != NULL; o++) {
		fputs(".TP\n.B ", fp);
		gg_roff_text(fp, o->flags);
		fputs("\n", fp);
		gg_roff_text(fp, o->help);
		fputs(".\n", fp);
	}
}

static void man8(FILE *fp)
{
	fputs(".TH GRIDGATE 8 \"\" \"", fp);
	gg_roff_text(fp, PACKAGE_STRING);
	fputs("\" \"System Manager's Manual\"\n"
	      ".SH NAME\n"
	      "gridgate \\- gateway from logs and files to IODEF 2.0 on an XMPP\\-Grid topic\n"
	      ".SH SYNOPSIS\n"
	      ".B gridgate\n"
	      ".RB [ \\-c\n"
	      ".IR FILE ]\n"
	      ".RB [ \\-d ]\n"
	      ".I COMMAND\n"
	      ".RI [ ARGS ]\n"
	      ".br\n"
	      ".B gridgate\n"
	      ".I COMMAND\n"
	      ".B \\-\\-help\n"
	      ".br\n"
	      ".B gridgate help\n"
	      ".RI [ COMMAND | SECTION ]\n"
	      ".SH DESCRIPTION\n"
	      ".B gridgate\n"
	      "reads security events from its inputs (a watched directory; syslog over UDP,\n"
	      "TCP or TLS; JSON webhooks and RID messages over HTTPS; another XMPP\\-Grid\n"
	      "topic), turns each into an IODEF 2.0 document (RFC 7970) through declarative\n"
	      "mappings, validates it against the schema, keeps it in an SQLite spool and\n"
	      "publishes it to a topic of an XMPP\\-Grid controller (RFC 8600) or sends it to\n"
	      "HTTPS endpoints.\n"
	      "An input acknowledges a record only once the spool holds it.\n"
	      "The configuration is described in\n"
	      ".BR gridgate.conf (5);\n"
	      ".B gridgate help\n"
	      ".I SECTION\n"
	      "prints the same descriptions.\n"
	      ".SH OPTIONS\n", fp);
	man_options(fp, gg_global_options_help);
	fputs(".SH COMMANDS\n", fp);
	for (const struct gg_command *c = gg_commands; c->name != NULL; c++) {
		fputs(".SS ", fp);
		gg_roff_text(fp, c->name);
		fputs("\n.B gridgate\n", fp);
		if (c->fn != NULL && c->fn != gg_cmd_help)
			fputs(".RB [ \\-c\n.IR FILE ]\n", fp);
		fputs(".B ", fp);
		gg_roff_text(fp, c->name);
		fputs("\n", fp);
		if (c->args[0] != '\0') {
			gg_roff_text(fp, c->args);
			fputs("\n", fp);
		}
		fputs(".PP\n", fp);
		gg_roff_text(fp, c->text);
		fputs("\n", fp);
		man_options(fp, c->options);
	}
	fputs(".SH EXIT STATUS\n"
	      ".TP\n.B 0\nsuccess.\n"
	      ".TP\n.B 1\nan input is invalid (validate, map: a document or line that does not\n"
	      "pass).\n"
	      ".TP\n.B 2\nusage or configuration error: a bad command line, a configuration,\n"
	      "schema or mapping that does not load (the message names file and line).\n"
	      ".TP\n.B 3\nruntime failure: a file that cannot be read, the controller unreachable,\n"
	      "the spool not opened.\n"
	      ".SH FILES\n"
	      ".TP\n.I ", fp);
	gg_roff_text(fp, GG_CONFIG_FILE);
	fputs("\nthe configuration, unless\n.B \\-c\nnames another.\n"
	      ".TP\n.I STATE_DIR/spool.db\n"
	      "the spool (SQLite, WAL): records not yet published, published ones for\n"
	      ".BR keep_done ,\n"
	      "and the refused and quarantined ones.\n"
	      ".TP\n.I ", fp);
	gg_roff_text(fp, GG_SCHEMA_DIR);
	fputs("\nthe IODEF schemas documents are validated with.\n.TP\n.I ", fp);
	gg_roff_text(fp, GG_MAPPING_DIR);
	fputs("\nthe shipped mappings\n.RI ( NAME .map).\n"
	      ".SH ENVIRONMENT\n"
	      ".TP\n.B GRIDGATE_DATADIR\n"
	      "read schemas/ and mappings/ from this directory instead of the installed ones.\n"
	      ".TP\n.BR GRIDGATE_SCHEMA_DIR \", \" GRIDGATE_MAPPING_DIR\n"
	      "the schema and mapping directories of validate and map (their \\-\\-schema\\-dir\n"
	      "and \\-\\-mapping\\-dir win).\n"
	      ".SH SIGNALS\n"
	      ".TP\n.BR SIGTERM \", \" SIGINT\n"
	      "stop: inputs stop taking records, what is spooled stays for the next start.\n"
	      ".TP\n.B SIGHUP\n"
	      "read the whole configuration again. A file with an error is refused (logged\n"
	      "with file:line) and the running configuration stays; otherwise inputs and\n"
	      "outputs whose sections changed restart, new ones start, removed ones stop, and\n"
	      "the others keep running and read their mappings again.\n"
	      ".B [gridgate]\n"
	      "and\n"
	      ".B [spool]\n"
	      "changes wait for a restart.\n"
	      ".TP\n.B SIGUSR1\n"
	      "log the counters now (they are also logged every minute).\n"
	      ".SH SEE ALSO\n"
	      ".BR gridgate.conf (5)\n", fp);
}

int gg_cmd_help(const char *config_path, int argc, char **argv)
{
	const struct gg_config_section *s;
	const struct gg_adapter *a;
	const struct gg_command *c;
	const char *name;
	char bare[64];
	size_t len;

	(void)config_path;
	if (argc < 2) {
		help_overview(stdout);
		return GG_EXIT_OK;
	}
	if (argc > 2) {
		gg_command_usage(stderr, gg_command_find("help"));
		return GG_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--man8") == 0) {
		man8(stdout);
		return GG_EXIT_OK;
	}
	if (strcmp(argv[1], "--man5") == 0) {
		gg_config_man5(stdout, PACKAGE_STRING);
		return GG_EXIT_OK;
	}
	if (strcmp(argv[1], "--keys") == 0) {
		help_keys(stdout);
		return GG_EXIT_OK;
	}
	name = argv[1];
	/* "[spool]" as the configuration writes it: the section, never the command. */
	len = strlen(name);
	if (len > 2 && name[0] == '[' && name[len - 1] == ']' && len - 2 < sizeof(bare)) {
		memcpy(bare, name + 1, len - 2);
		bare[len - 2] = '\0';
		name = bare;
	} else if ((c = gg_command_find(name)) != NULL) {
		gg_command_usage(stdout, c);
		/* `spool` is a command and a section: the overview promises both. */
		if (section_find(name) == NULL)
			return GG_EXIT_OK;
		putchar('\n');
	}
	if ((s = section_find(name)) != NULL) {
		if (strcmp(s->name, "input") == 0)
			printf("every input ([KIND:NAME]): %s\n", s->desc);
		else
			printf("[%s]: %s\n", s->name, s->desc);
		gg_options_print(stdout, s->options);
		return GG_EXIT_OK;
	}
	if ((a = gg_adapter_find(GG_PLUGIN_INPUT, name)) != NULL) {
		printf("[%s:NAME]: %s\n", a->name, a->desc);
		gg_options_print(stdout, a->options);
		printf("and every input's options (gridgate help input):\n");
		gg_options_print(stdout, section_find("input")->options);
		return GG_EXIT_OK;
	}
	if ((a = gg_adapter_find(GG_PLUGIN_OUTPUT, name)) != NULL) {
		printf("[%s:NAME]: %s\n", a->name, a->desc);
		gg_options_print(stdout, a->options);
		return GG_EXIT_OK;
	}
	fprintf(stderr, "gridgate help: '%s' is no command, section or plugin kind; gridgate "
		"help lists them\n", argv[1]);
	return GG_EXIT_USAGE;
}
