/* config_doc.c: the option tables as people read them: `gridgate help SECTION` and the
 * gridgate.conf(5) man page. Nothing here is written twice: every line comes from a table row. */
#include "engine/config_doc.h"

#include <stdio.h>
#include <string.h>

#include "engine/adapter.h"

/* "(integer, 1..65535; default 5222)", "(udp, tcp, tls; default udp)", "(string; required)". */
static void option_summary(const struct gg_option *opt, char *buf, size_t size)
{
	char accepts[256];

	gg_option_accepts(opt, accepts, sizeof(accepts));
	if (opt->type == GG_OPT_STRING && accepts[0] != '\0')
		snprintf(buf, size, "one of %s; ", accepts);
	else if (opt->type == GG_OPT_BOOL)
		snprintf(buf, size, "yes or no; ");
	else
		snprintf(buf, size, "%s%s%s; ", gg_option_type_name(opt->type),
			 accepts[0] ? ", " : "", accepts);
	if (opt->flags & GG_OPT_REQUIRED)
		snprintf(buf + strlen(buf), size - strlen(buf), "required");
	else if (opt->def != NULL)
		snprintf(buf + strlen(buf), size - strlen(buf), "default %s",
			 opt->def[0] ? opt->def : "\"\"");
	else
		snprintf(buf + strlen(buf), size - strlen(buf), "no default");
}

void gg_print_wrapped(FILE *fp, const char *text, int col, int indent, int width)
{
	while (*text != '\0') {
		size_t word = strcspn(text, " ");

		if (col > indent && col + 1 + (int)word > width) {
			fputc('\n', fp);
			col = 0;
		}
		if (col < indent)
			col += fprintf(fp, "%*s", indent - col, "");
		else if (col > 0)
			col += fprintf(fp, " ");
		col += fprintf(fp, "%.*s", (int)word, text);
		text += word;
		text += strspn(text, " ");
	}
	fputc('\n', fp);
}

void gg_options_print(FILE *fp, const struct gg_option *table)
{
	for (; table->key != NULL; table++) {
		char summary[512];

		option_summary(table, summary, sizeof(summary));
		fprintf(fp, "  %s (%s)\n", table->key, summary);
		gg_print_wrapped(fp, table->help, 0, 6, 78);
	}
}

void gg_roff_text(FILE *fp, const char *text)
{
	if (*text == '.' || *text == '\'')
		fputs("\\&", fp);
	for (; *text != '\0'; text++) {
		if (*text == '\\')
			fputs("\\e", fp);
		else if (*text == '-')
			fputs("\\-", fp);
		else
			fputc(*text, fp);
	}
}

static void man_options(FILE *fp, const struct gg_option *table)
{
	for (; table->key != NULL; table++) {
		char summary[512];

		option_summary(table, summary, sizeof(summary));
		fputs(".TP\n.B ", fp);
		gg_roff_text(fp, table->key);
		fputs("\n", fp);
		gg_roff_text(fp, table->help);
		fputs(".\n.br\n", fp);
		gg_roff_text(fp, summary);
		fputs(".\n", fp);
	}
}

static void man_section(FILE *fp, const char *title, const char *desc,
			const struct gg_option *table)
{
	fputs(".SS ", fp);
	gg_roff_text(fp, title);
	fputs("\n", fp);
	gg_roff_text(fp, desc);
	fputs(".\n", fp);
	man_options(fp, table);
}

void gg_config_man5(FILE *fp, const char *package_string)
{
	fputs(".TH GRIDGATE.CONF 5 \"\" \"", fp);
	gg_roff_text(fp, package_string);
	fputs("\" \"File Formats Manual\"\n"
	      ".SH NAME\n"
	      "gridgate.conf \\- configuration file of gridgate\n"
	      ".SH DESCRIPTION\n"
	      ".B gridgate\n"
	      "reads an INI file: sections in brackets, one\n"
	      ".I key\n"
	      "=\n"
	      ".I value\n"
	      "per line, comments from ; or # to the end of the line.\n"
	      "Each section appears once and each key at most once in its section;\n"
	      "a key the file leaves out takes the default shown below.\n"
	      "Sizes take k, M or G (1024\\-based), durations ms, s, m, h or d (a bare number is\n"
	      "seconds).\n"
	      "Numbers outside the range shown, words not listed, unknown sections and unknown\n"
	      "keys are refused with the file, line, section, key, value and what is accepted;\n"
	      ".B gridgate check\\-config\n"
	      "loads the file as\n"
	      ".B gridgate run\n"
	      "would and names the first error.\n"
	      ".PP\n"
	      "Besides [gridgate], [spool] and [xmpp], each input and each output is a section\n"
	      ".RI [ KIND : NAME ]:\n"
	      "an instance of the plugin\n"
	      ".I KIND\n"
	      "named\n"
	      ".IR NAME ,\n"
	      "unique across kinds.\n"
	      "The [xmpp] section is the output named\n"
	      ".B grid\n"
	      "of kind out_grid; an input's records go to every output unless its\n"
	      ".B outputs\n"
	      "names some.\n"
	      ".SH SECTIONS\n", fp);
	for (const struct gg_config_section *s = gg_config_sections; s->name != NULL; s++) {
		char title[64];

		if (strcmp(s->name, "input") == 0)
			continue;
		snprintf(title, sizeof(title), "[%s]", s->name);
		man_section(fp, title, s->desc, s->options);
	}
	fputs(".SH INPUTS\n", fp);
	for (const struct gg_config_section *s = gg_config_sections; s->name != NULL; s++)
		if (strcmp(s->name, "input") == 0)
			man_section(fp, "Every input", s->desc, s->options);
	for (size_t i = 0; gg_adapters[i] != NULL; i++) {
		char title[64];

		if (gg_adapters[i]->kind != GG_PLUGIN_INPUT)
			continue;
		snprintf(title, sizeof(title), "[%s:NAME]", gg_adapters[i]->name);
		man_section(fp, title, gg_adapters[i]->desc, gg_adapters[i]->options);
	}
	fputs(".SH OUTPUTS\n", fp);
	for (size_t i = 0; gg_adapters[i] != NULL; i++) {
		char title[64];

		if (gg_adapters[i]->kind != GG_PLUGIN_OUTPUT)
			continue;
		snprintf(title, sizeof(title), "[%s:NAME]", gg_adapters[i]->name);
		man_section(fp, title, gg_adapters[i]->desc, gg_adapters[i]->options);
	}
	fputs(".SH EXAMPLE\n"
	      ".EX\n"
	      "[gridgate]\n"
	      "csirt_name = csirt.example.org\n"
	      "\n"
	      "[xmpp]\n"
	      "jid = gateway@grid.example.org\n"
	      "password_file = /etc/gridgate/xmpp.password\n"
	      "\n"
	      "[filedrop:incoming]\n"
	      "directory = /var/spool/gridgate/incoming\n"
	      "\n"
	      "[syslog:local]\n"
	      "listen = 127.0.0.1:5514\n"
	      "protocol = tcp\n"
	      "mappings = *\n"
	      ".EE\n"
	      ".SH SEE ALSO\n"
	      ".BR gridgate (8)\n", fp);
}
