/* cmd.h: the subcommands of the gridgate binary. Each returns the process exit code:
 * 0 ok, 1 input invalid, 2 usage or configuration error, 3 runtime failure. */
#ifndef GG_CMD_H
#define GG_CMD_H

#include <stdio.h>

enum { GG_EXIT_OK = 0, GG_EXIT_INVALID = 1, GG_EXIT_USAGE = 2, GG_EXIT_RUNTIME = 3 };

/* config_path is the -c argument (or the default path); argv[0] is the command name. */
int gg_cmd_run(const char *config_path, int argc, char **argv);
int gg_cmd_check_config(const char *config_path, int argc, char **argv);
int gg_cmd_validate(const char *config_path, int argc, char **argv);
int gg_cmd_topics(const char *config_path, int argc, char **argv);
int gg_cmd_spool(const char *config_path, int argc, char **argv);
int gg_cmd_map(const char *config_path, int argc, char **argv);
int gg_cmd_help(const char *config_path, int argc, char **argv);

/* One command-line option of a command, as --help and gridgate(8) show it. */
struct gg_cmd_option {
	const char *flags; /* "-m, --mapping NAME" */
	const char *help;
};

/* The command table: dispatch, `gridgate COMMAND --help`, `gridgate help` and gridgate(8)
 * all read it. Ends with a NULL name. */
struct gg_command {
	const char *name;
	int (*fn)(const char *config_path, int argc, char **argv);
	const char *args;    /* what follows the name: "[--schema-dir DIR] FILE..." */
	const char *summary; /* one line */
	const char *text;    /* a paragraph: what it does, what it reads, what it prints */
	const struct gg_cmd_option *options; /* ends with NULL flags; may be NULL */
};
extern const struct gg_command gg_commands[];

/* The global options (-c, -d, --help, --version), for usage and gridgate(8). */
extern const struct gg_cmd_option gg_global_options_help[];
/* The text of `gridgate COMMAND --help`. */
void gg_command_usage(FILE *fp, const struct gg_command *cmd);
const struct gg_command *gg_command_find(const char *name);

#endif
