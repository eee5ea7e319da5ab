/* cmd.h: the subcommands of the gridgate binary. Each returns the process exit code:
 * 0 ok, 1 input invalid, 2 usage or configuration error, 3 runtime failure. */
#ifndef GG_CMD_H
#define GG_CMD_H

enum { GG_EXIT_OK = 0, GG_EXIT_INVALID = 1, GG_EXIT_USAGE = 2, GG_EXIT_RUNTIME = 3 };

/* config_path is the -c argument (or the default path); argv[0] is the command name. */
int gg_cmd_run(const char *config_path, int argc, char **argv);
int gg_cmd_check_config(const char *config_path, int argc, char **argv);
int gg_cmd_validate(const char *config_path, int argc, char **argv);
int gg_cmd_topics(const char *config_path, int argc, char **argv);
int gg_cmd_spool(const char *config_path, int argc, char **argv);
int gg_cmd_map(const char *config_path, int argc, char **argv);

#endif
